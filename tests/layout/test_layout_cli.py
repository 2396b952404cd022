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
    assert "chip" in proc.stdout and "112 pads (on the chip edge, 80 µm on 100 µm)" in proc.stdout
    assert "verify weight_bank.gds: 80 heaters, 16 detectors, 112 pads" in proc.stdout
    assert "clean" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "bank.png",
        "layout.json",
        "weight_bank.gds",
        "weight_bank.lyp",
        "weight_bank.lyrdb",
        "weight_bank.png",
    ]
    # verify on its own: clean, exit 0; a defect: table with coordinates, exit 1
    proc = run_cli("verify", str(out / "weight_bank.gds"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ": clean" in proc.stdout


def test_verify_exit_status_and_table(tmp_path):
    import klayout.db as kdb

    out = tmp_path / "out"
    proc = run_cli("layout", "--rings", "2", "--banks", "1", "--no-verify", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert not (out / "weight_bank.lyrdb").exists()
    assert not any(line.startswith("verify ") for line in proc.stdout.splitlines())
    layout = kdb.Layout()
    layout.read(str(out / "weight_bank.gds"))
    top = layout.top_cell()
    top.flatten(-1, True)
    vias = top.shapes(layout.layer(44, 0))
    for shape in list(vias.each()):
        vias.erase(shape)  # every heater open
    bad = tmp_path / "open.gds"
    layout.write(str(bad))
    proc = run_cli("verify", str(bad), "--lyrdb", str(tmp_path / "m.lyrdb"))
    assert proc.returncode == 1
    assert "heater.open" in proc.stdout and "violation(s)" in proc.stdout
    assert (tmp_path / "m.lyrdb").exists()
    # bad input: one line, exit 2
    proc = run_cli("verify", str(tmp_path / "missing.gds"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "does not exist" in proc.stderr
    rules = tmp_path / "r.toml"
    rules.write_text("not = [toml")
    proc = run_cli("verify", str(bad), "--rules", str(rules))
    assert proc.returncode == 2 and "not a readable TOML rules file" in proc.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--rings", "0"], "layout.rings = 0"),
        (["--radius-um", "-3"], "layout.radius_um = -3.0"),
        (["--pitch-um", "12"], "smaller than the ring diameter + gap"),
        (["--pads", "wirebond"], "layout.pads = 'wirebond': Input should be 'edge', 'bump'"),
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
