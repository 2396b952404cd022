"""``photonic-dfa layout``: draw the weight-bank array (GDS, pictures, ``layout.json``) and verify
it; ``photonic-dfa verify``: DRC and connectivity of a GDS."""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from photonic_dfa.layout.verify import VerifyReport

__all__ = ["layout", "verify"]


def layout(
    outdir: Path = typer.Option(..., "-o", "--outdir", help="Output directory."),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML config; its \\[layout] section is used (options given here override it).",
    ),
    rings: int | None = typer.Option(None, "--rings", help="Rings per bank N (1-64)."),
    banks: int | None = typer.Option(None, "--banks", help="Banks M (1-256)."),
    radius_um: float | None = typer.Option(None, "--radius-um", help="Nominal ring radius (µm)."),
    gap_nm: float | None = typer.Option(
        None, "--gap-nm", help="Bus gap (nm), both input and drop side."
    ),
    pitch_um: float | None = typer.Option(None, "--pitch-um", help="Ring pitch along the bus."),
    pads: str | None = typer.Option(
        None, "--pads", help="Contacts: edge (probe pads), bump (flip-chip) or auto."
    ),
    check: bool = typer.Option(
        True, "--verify/--no-verify", help="Run `photonic-dfa verify` on the GDS (default)."
    ),
    rules: Path | None = typer.Option(None, "--rules", help="TOML file of DRC rule values."),
) -> None:
    """Draw the microring weight-bank array (weight_bank.gds and .lyp, weight_bank.png,
    bank.png, layout.json) and verify it (weight_bank.lyrdb); exit status 1 on violations."""
    from rich.console import Console

    from photonic_dfa.config import load_config
    from photonic_dfa.layout.rules import load_rules
    from photonic_dfa.layout.writer import write_layout

    console = Console(soft_wrap=True)
    overrides = {
        "rings": rings,
        "banks": banks,
        "radius_um": radius_um,
        "gap_in_nm": gap_nm,
        "gap_drop_nm": gap_nm,
        "pitch_um": pitch_um,
        "pads": pads,
    }
    cfg = load_config(config, layout=overrides).layout
    deck = load_rules(rules)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with console.status("drawing the weight-bank array…"):
            result = write_layout(cfg, outdir, verify=check, rules=deck)
    for w in caught:
        console.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    d = result.description
    for note in d.coupler_data.get("notes", []):
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(
        f"[bold]layout[/]: {d.n_banks} bank(s) × {d.n_rings} ring(s) = "
        f"{d.n_banks * d.n_rings} rings with heaters, R = {cfg.radius_um:g} µm, gaps "
        f"{cfg.gap_in_nm:g}/{cfg.gap_drop_nm:g} nm, pitch {cfg.resolved_pitch_um():g} µm; "
        f"chip {d.chip_size_um[0]:.1f} × {d.chip_size_um[1]:.1f} µm = {d.chip_area_mm2:g} mm² "
        f"({d.area_per_ring_um2:,.0f} µm² per ring), {len(d.pads)} pads "
        f"({'flip-chip bumps' if d.pad_layout == 'bump' else 'on the chip edge'}, "
        f"{d.pads[0].size_um:g} µm on {d.pad_pitch_um:g} µm) "
        f"({time.perf_counter() - start:.1f} s)",
        highlight=False,
    )
    paths = [result.gds_path, result.lyp_path, result.png_path, result.bank_png_path]
    paths += [result.json_path, *([result.lyrdb_path] if result.lyrdb_path else [])]
    for path in paths:
        console.print(f"  wrote {path}", highlight=False)
    if result.report is not None:
        _print_report(console, result.report)
        if not result.report.ok:
            raise typer.Exit(1)


def _print_report(console: Console, report: VerifyReport) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
    verdict = "clean" if report.ok else f"{len(report.violations)} violation(s)"
    console.print(f"[bold]verify[/] {report.gds_path.name}: {counts}: {verdict}", highlight=False)
    if not report.ok:
        console.print(report.table(), markup=False, highlight=False)


def verify(
    gds: Path = typer.Argument(..., help="GDS file to check (one top cell)."),
    rules: Path | None = typer.Option(None, "--rules", help="TOML file of DRC rule values."),
    lyrdb: Path | None = typer.Option(
        None, "--lyrdb", help="Marker database to write (default: beside the GDS, .lyrdb)."
    ),
) -> None:
    """DRC (generic PDK rules) and connectivity checks of a weight-bank GDS: prints the
    violations with coordinates, writes a KLayout marker database, exits 1 on violations."""
    from rich.console import Console

    from photonic_dfa.layout.rules import load_rules
    from photonic_dfa.layout.verify import verify_gds

    console = Console(soft_wrap=True)
    report = verify_gds(gds, load_rules(rules))
    target = lyrdb or gds.with_suffix(".lyrdb")
    report.write_lyrdb(target)
    _print_report(console, report)
    console.print(f"  wrote {target}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
