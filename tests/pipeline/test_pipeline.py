"""`photonic-dfa run`: stages cached by their inputs, re-run on change, resumable after a kill;
the report renders in a browser with every picture."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _helpers.browser import loaded_images, screenshot
from photonic_dfa.pipeline import run_pipeline

SMALL = """
[layout]
rings = 10
banks = 2

[training]
hidden = [32, 32]
epochs = {epochs}
"""


def write_config(path: Path, epochs: int = 2) -> Path:
    path.write_text(SMALL.format(epochs=epochs))
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    cfg = write_config(root / "config.toml")
    lines: list[str] = []
    result = run_pipeline(cfg, root / "out", log=lines.append)
    return root, cfg, result, lines


def test_first_run_runs_every_stage_and_writes_report(first_run):
    root, _, result, _ = first_run
    assert all(s.status == "ran" for s in result.stages)
    assert result.report_md.is_file() and result.report_html.is_file()
    text = result.report_md.read_text()
    for section in ("Layout", "Training"):
        assert section in text
    for stage in result.stages:
        manifest = json.loads((result.outdir / stage.name / "stage.json").read_text())
        assert manifest["key"] and manifest["outputs"]


def test_second_run_reuses_every_stage_quickly(first_run):
    root, cfg, first, _ = first_run
    start = time.perf_counter()
    again = run_pipeline(cfg, root / "out", log=lambda _: None)
    assert time.perf_counter() - start < 10
    assert all(s.status == "cached" for s in again.stages)


def test_changing_a_training_setting_reruns_only_training(first_run, tmp_path):
    root, _, first, _ = first_run
    cfg = write_config(tmp_path / "c3.toml", epochs=3)
    result = run_pipeline(cfg, root / "out", log=lambda _: None)
    status = {s.name: s.status for s in result.stages}
    assert status.pop("train") == "ran"
    assert set(status.values()) == {"cached"}
    # trained afresh with the new setting, not resumed from the finished 2-epoch run
    for mode in ("dfa-photonic", "dfa", "bp"):
        metrics = json.loads((root / "out" / "train" / mode / "metrics.json").read_text())
        assert metrics["epochs"] == 3


def test_report_renders_in_headless_chromium(first_run, tmp_path):
    _, _, result, _ = first_run
    total, ok = loaded_images(result.report_html)
    assert total >= 3 and ok == total
    png = screenshot(result.report_html, tmp_path / "report.png", size="1200,2000")
    from PIL import Image

    with Image.open(png) as im:
        grey = im.convert("L")
        lo, hi = grey.getextrema()
        assert hi - lo > 100  # not a blank page
        assert sum(1 for count in grey.resize((120, 200)).histogram() if count) > 20


def test_killed_run_completes_on_restart(tmp_path):
    cfg = write_config(tmp_path / "config.toml", epochs=6)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "photonic_dfa", "run", str(cfg), "-o", str(out)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    # kill it during training, after at least one epoch has been checkpointed
    deadline = time.time() + 240
    for line in proc.stdout:
        if "epoch 1/6" in line or time.time() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "train" / "stage.json").exists()  # unfinished stage does not look finished
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    # training continued from its checkpoint (the upstream stages were complete and re-used)
    assert "resuming" in done.stdout, done.stdout
    after = int(done.stdout.split("after epoch ")[1].split()[0])
    assert after >= 1
    resumed_mode = done.stdout.split("resuming")[1]
    assert f"epoch {after}/6 " not in resumed_mode.split("\n[train] ")[0]
    manifest = json.loads((out / "train" / "stage.json").read_text())
    for entry in manifest["outputs"].values():
        assert (out / entry["path"]).is_file()
    metrics = json.loads((out / "train" / "dfa" / "metrics.json").read_text())
    assert metrics["epochs"] == 6
