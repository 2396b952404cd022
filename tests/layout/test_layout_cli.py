"""`photonic-dfa layout` as a user runs it: summary, files, one-line errors, exit codes."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "photonic_dfa", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_layout_command_writes_files_and_summary(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("layout", "--rings", "10", "--banks", "8", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "8 bank(s) × 10 ring(s) = 80 rings" in proc.stdout
    assert "chip" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "bank.png",
        "layout.json",
        "weight_bank.gds",
        "weight_bank.png",
    ]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--rings", "0"], "layout.rings = 0"),
        (["--radius-um", "-3"], "layout.radius_um = -3.0"),
        (["--pitch-um", "12"], "smaller than the ring diameter + gap"),
    ],
)
def test_bad_options_fail_with_one_line_and_write_nothing(tmp_path, args, fragment):
    out = tmp_path / "out"
    proc = run_cli("layout", *args, "-o", str(out))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_unknown_config_key(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[layout]\nringz = 3\n")
    proc = run_cli("layout", "--config", str(cfg), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {cfg}: unknown key 'layout.ringz'"


def test_unwritable_outdir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli("layout", "-o", str(blocker / "sub"))
    assert proc.returncode == 2
    assert "is not writable" in proc.stderr and proc.stderr.count("\n") == 1


def test_version_and_help():
    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("photonic-dfa ")
    proc = run_cli("--help")
    assert proc.returncode == 0 and "layout" in proc.stdout
