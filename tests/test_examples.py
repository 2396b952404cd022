"""Every script in examples/ runs in a small configuration and writes what it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_generate_layout(tmp_path):
    out = run("generate_layout.py", "--rings", "3", "--banks", "2", "-o", str(tmp_path))
    assert (tmp_path / "weight_bank.gds").is_file()
    assert out.count("\n") >= 5  # the header and one line per ring


def test_design_sweep(tmp_path):
    out = run(
        "design_sweep.py",
        "--points",
        "10:150",
        "--spacings",
        "0.8,8.0",
        "--rings",
        "4",
        "--rows",
        "8",
        "-o",
        str(tmp_path),
    )
    results = json.loads((tmp_path / "design_sweep.json").read_text())["results"]
    assert len(results) == 2
    fits, too_wide = results
    assert fits["bits_model"] >= 12 and fits["bits_feedback"] > 5  # a usable design
    assert too_wide["note"] == "channels do not fit one FSR"  # 4 × 8 nm > FSR ≈ 9 nm
    assert (tmp_path / "design_sweep.png").stat().st_size > 1000
    assert "bits (feedback)" in out


@pytest.mark.slow
def test_train_with_model(tmp_path):
    out = run("train_with_model.py", "--hidden", "32", "--epochs", "1", "-o", str(tmp_path))
    assert "dfa-photonic  test accuracy" in out and "dfa           test accuracy" in out
    assert (tmp_path / "model" / "photonic_model.npz").is_file()
    assert (tmp_path / "curves.png").is_file()
