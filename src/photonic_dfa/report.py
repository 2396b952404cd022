"""The run report: ``report.md`` and a self-contained ``report.html`` (PNGs embedded).

Built from the pipeline's stage manifests alone: each stage's summary (made by the stage, see
:mod:`photonic_dfa.summary`) holds its labelled and rounded ``quantities``, ``tables``, ``notes``,
``figures`` (output names of PNGs) and how an interrupted run resumes; the manifest holds the
provenance (key, input hashes, config, version, time) of every number. The report only lays them
out (markdown cells have ``|`` escaped; the HTML has no markdown syntax).
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

from photonic_dfa import __version__
from photonic_dfa.io import atomic_write_text

__all__ = ["write_report", "write_study_report"]

TITLES = {
    "layout": "Layout: the weight-bank array",
    "circuits": "Circuits: bus spectra from simphony",
    "model": "Network model: calibration, noise, energy and throughput",
    "train": "Training: DFA on MNIST with photonic feedback",
}

CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #1d1d1f; line-height: 1.45; }
h1 { border-bottom: 2px solid #1f4e9c; padding-bottom: .3em; }
h2 { margin-top: 2em; color: #1f4e9c; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
th { background: #eef2f8; }
td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #ddd; margin: .5em 0; }
figure { margin: 1em 0; }
figcaption { font-size: .85em; color: #555; }
code { background: #f4f4f4; padding: 0 3px; }
.prov { font-size: .8em; color: #555; }
"""


def _legacy_quantities(summary: dict[str, Any]) -> list[list[str]]:
    """Rows of a summary written before stages had ``quantities`` (raw keys, formatted here)."""
    from photonic_dfa.summary import fmt

    return [
        [k.replace("_", " "), fmt(v)]
        for k, v in summary.items()
        if k not in ("tables", "figures", "notes", "resume") and not isinstance(v, dict)
    ]


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|")


def _md_table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "| " + " | ".join(map(_md_cell, columns)) + " |\n|" + "---|" * len(columns) + "\n"
    return head + "".join("| " + " | ".join(map(_md_cell, row)) + " |\n" for row in rows)


def _html_table(columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _manifests(outdir: Path, stages: list[str] | None) -> list[dict[str, Any]]:
    found = []
    for name in stages if stages is not None else TITLES:
        path = outdir / name / "stage.json"
        if path.is_file():
            found.append(json.loads(path.read_text()))
    return found


def _provenance(m: dict[str, Any], code: str) -> str:
    """One sentence; ``code`` wraps file names (```` `{}` ```` in markdown, ``<code>`` in HTML)."""
    inputs = ", ".join(f"{k} sha256 {v[:12]}…" for k, v in m.get("inputs", {}).items()) or "none"
    sections = ", ".join(f"[{k}]" for k in m.get("config", {}))
    return (
        f"Provenance: stage key {m['key'][:16]}…, finished {m.get('finished', '?')} in "
        f"{m.get('seconds', 0):.1f} s, photonic_dfa {m.get('version', '?')}; inputs: {inputs}; "
        f"config: {sections} (full values in {code.format(m['stage'] + '/stage.json')})."
    )


def _section(m: dict[str, Any], outdir: Path, md: list[str], body: list[str]) -> None:
    name, summary = m["stage"], m.get("summary", {})
    title = TITLES.get(name, name)
    md.append(f"\n## {title}\n")
    body.append(f"<h2>{html.escape(title)}</h2>")
    rows = summary.get("quantities")
    rows = _legacy_quantities(summary) if rows is None else rows
    if rows:
        md.append(_md_table(["quantity", "value"], rows))
        body.append(_html_table(["quantity", "value"], rows))
    for note in summary.get("notes", []):
        md.append(f"\n{note}\n")
        body.append(f"<p>{html.escape(note)}</p>")
    for table in summary.get("tables", []):
        md.append(f"\n**{table['title']}**\n\n" + _md_table(table["columns"], table["rows"]))
        body.append(f"<h3>{html.escape(table['title'])}</h3>")
        body.append(_html_table(table["columns"], table["rows"]))
    for fig in summary.get("figures", []):
        entry = m["outputs"].get(fig)
        if entry is None:
            continue
        rel = entry["path"]
        data = base64.b64encode((outdir / rel).read_bytes()).decode()
        md.append(f"\n![{fig}]({rel})\n")
        body.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(fig)}">'
            f"<figcaption>{html.escape(rel)}</figcaption></figure>"
        )
    if summary.get("resume"):
        md.append(f"\nIf interrupted: {summary['resume']}.\n")
        body.append(f"<p>If interrupted: {html.escape(summary['resume'])}.</p>")
    md.append(f"\n<sub>{_provenance(m, '`{}`')}</sub>\n")
    prov = html.escape(_provenance(m, "\x00{}\x01"))
    body.append(f'<p class="prov">{prov.replace(chr(0), "<code>").replace(chr(1), "</code>")}</p>')


def write_report(
    outdir: str | os.PathLike[str], *, stages: list[str] | None = None
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``outdir`` from its stage manifests.

    Args:
        stages: the stages to show, in order (default: every stage that has a manifest).
    """
    outdir = Path(outdir)
    md = [f"# photonic_dfa run report\n\nphotonic_dfa {__version__}. Run directory: `{outdir}`.\n"]
    body = [
        "<h1>photonic_dfa run report</h1>",
        f"<p>photonic_dfa {__version__}. Run directory: <code>{html.escape(str(outdir))}</code>.</p>",
    ]
    for m in _manifests(outdir, stages):
        _section(m, outdir, md, body)
    return _write_pages(outdir, "photonic_dfa report", md, body)


def _write_pages(folder: Path, title: str, md: list[str], body: list[str]) -> tuple[Path, Path]:
    """``report.md`` and ``report.html`` (``body`` in the page, ``CSS`` inline), both atomically."""
    md_path, html_path = folder / "report.md", folder / "report.html"
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
    atomic_write_text(md_path, "\n".join(md))
    atomic_write_text(html_path, page)
    return md_path, html_path


def write_study_report(
    studydir: str | os.PathLike[str],
    *,
    columns: list[str],
    rows: list[list[Any]],
    figures: dict[str, Path],
    notes: list[str],
) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` of a study (``photonic-dfa study --report``): its
    notes, the results table and the figures (embedded PNGs), laid out as the run report."""
    studydir = Path(studydir)
    title = "photonic_dfa study report"
    md = [f"# {title}\n\nphotonic_dfa {__version__}. Study directory: `{studydir}`.\n"]
    body = [
        f"<h1>{title}</h1>",
        f"<p>photonic_dfa {__version__}. Study directory: <code>{html.escape(str(studydir))}</code>."
        "</p>",
    ]
    for note in notes:
        md.append(f"\n{note}\n")
        body.append(f"<p>{html.escape(note)}</p>")
    md.append("\n## Results\n\n" + _md_table(columns, rows))
    body += ["<h2>Results</h2>", _html_table(columns, rows), "<h2>Figures</h2>"]
    md.append("\n## Figures\n")
    for name, path in figures.items():
        data = base64.b64encode(Path(path).read_bytes()).decode()
        md.append(f"\n![{name}]({Path(path).name})\n")
        body.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(name)}">'
            f"<figcaption>{html.escape(Path(path).name)}</figcaption></figure>"
        )
    return _write_pages(studydir, title, md, body)
