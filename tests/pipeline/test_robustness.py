"""`photonic-dfa run` under the faults a user meets: Ctrl-C (exit 130, a resume line, nothing of
the earlier run lost), a second run in the same directory (lock), a full disk at every stage, a
corrupt checkpoint. The configs are tiny and skip the model stage where it is not the point."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photonic_dfa.errors import LockedError, PhotonicDFAError
from photonic_dfa.pipeline import STAGES, run_pipeline

TINY = """
[layout]
rings = 4
banks = 1

[training]
hidden = [20]
epochs = {epochs}

[run]
photonic = false
baselines = ["bp"]
"""


def _config(path: Path, epochs: int = 1) -> Path:
    path.write_text(TINY.format(epochs=epochs))
    return path


def _env(tmp: Path) -> dict[str, str]:
    """A private user cache whose download marker is fresh: the subset, without a download."""
    cache = tmp / "cache"
    (cache / "photonic_dfa" / "mnist").mkdir(parents=True, exist_ok=True)
    (cache / "photonic_dfa" / "mnist" / ".download_failed").touch()
    env = {k: v for k, v in os.environ.items() if k != "PHOTONIC_DFA_DATA"}
    return {**env, "XDG_CACHE_HOME": str(cache), "PYTHONUNBUFFERED": "1"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory):
    """A finished tiny run (layout, circuits, bp for 1 epoch) to copy from."""
    root = tmp_path_factory.mktemp("robust")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", _env(root)["XDG_CACHE_HOME"])
        mp.delenv("PHOTONIC_DFA_DATA", raising=False)
        run_pipeline(_config(root / "c1.toml"), root / "out", log=lambda _: None)
    return root


def _copy(complete_run: Path, tmp_path: Path) -> Path:
    shutil.copytree(complete_run / "out", tmp_path / "out", symlinks=True)
    return tmp_path / "out"


def test_ctrl_c_exits_130_with_a_resume_line_and_keeps_the_earlier_run(complete_run, tmp_path):
    out = _copy(complete_run, tmp_path)
    before = {p: _digest(out / p) for p in ("report.html", "train/bp/metrics.json")}
    cfg = _config(tmp_path / "c.toml", epochs=200)  # only training re-runs, for long
    cmd = [sys.executable, "-m", "photonic_dfa", "run", str(cfg), "-o", str(out)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path)
    )
    for line in proc.stdout:  # wait until training has finished an epoch
        if "epoch 1/200" in line:
            break
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)  # the second one aborts the epoch in progress at once
    start = time.perf_counter()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert time.perf_counter() - start < 20
    assert "interrupted:" in err and "resume with: photonic-dfa run" in err
    # the earlier complete run is what OUTDIR still shows
    assert {p: _digest(out / p) for p in before} == before
    status = json.loads((out / ".partial" / "train" / "bp" / "status.json").read_text())
    assert status["status"] == "interrupted" and status["epochs_done"] >= 1


def test_interrupted_training_resumes_from_its_last_epoch(complete_run, tmp_path):
    out = _copy(complete_run, tmp_path)
    cfg = _config(tmp_path / "c.toml", epochs=3)
    env = _env(tmp_path)
    cmd = [sys.executable, "-m", "photonic_dfa", "run", str(cfg), "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if "epoch 1/3" in line:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resuming" in done.stdout  # continued, not restarted
    resumed_after = int(done.stdout.split("after epoch ")[1].split()[0])
    assert resumed_after >= 1
    assert f"epoch {resumed_after}/3" not in done.stdout.split("resuming")[1]
    metrics = json.loads((out / "train" / "bp" / "metrics.json").read_text())
    assert metrics["epochs"] == 3
    assert not (out / ".partial" / "train").exists()


def test_a_second_run_in_the_same_directory_refuses_naming_the_pid(complete_run, tmp_path):
    out = _copy(complete_run, tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".lock").write_text(f"{holder.pid}\n")
        cmd = [
            sys.executable,
            "-m",
            "photonic_dfa",
            "run",
            str(tmp_path / "c.toml"),
            "-o",
            str(out),
        ]
        _config(tmp_path / "c.toml")
        done = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), timeout=60)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and f"in use by process {holder.pid}" in lines[0]
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone: its lock is stale and taken over; released at the end
    with pytest.raises(LockedError):
        from photonic_dfa.io import directory_lock

        (out / ".lock").write_text(f"{os.getppid()}\n")  # a live process (our parent)
        with directory_lock(out):
            pass
    (out / ".lock").write_text(f"{holder.pid}\n")
    result = run_pipeline(tmp_path / "c.toml", out, log=lambda _: None)
    assert all(s.status == "cached" for s in result.stages)
    assert not (out / ".lock").exists()


@pytest.mark.parametrize("stage", [s.name for s in STAGES if s.name != "model"] + ["report"])
def test_a_full_disk_at_any_stage_is_one_line(complete_run, tmp_path, monkeypatch, stage):
    """(The model stage is the same code path; it is left out here for time.)"""
    import dataclasses

    import photonic_dfa.pipeline as pipeline
    import photonic_dfa.report as report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.npz"))

    if stage == "report":
        monkeypatch.setattr(report, "atomic_write_text", full)
    else:
        stages = tuple(
            dataclasses.replace(s, run=full) if s.name == stage else s for s in pipeline.STAGES
        )
        monkeypatch.setattr(pipeline, "STAGES", stages)
    out = _copy(complete_run, tmp_path)
    report_before = _digest(out / "report.html")
    monkeypatch.setenv("XDG_CACHE_HOME", _env(tmp_path)["XDG_CACHE_HOME"])
    with pytest.raises(PhotonicDFAError) as exc:
        run_pipeline(_config(tmp_path / "c.toml"), out, log=lambda _: None, force=True)
    message = str(exc.value)
    assert f"stage {stage}: No space left on device" in message and "\n" not in message
    assert not (out / ".lock").exists()
    assert _digest(out / "report.html") == report_before  # the earlier run is untouched


def test_a_full_disk_in_the_process_is_exit_2_and_one_line(tmp_path):
    code = (
        "import dataclasses, errno, sys\n"
        "import photonic_dfa.pipeline as p\n"
        "def full(*a, **k): raise OSError(errno.ENOSPC, 'No space left on device', 'layout.json')\n"
        "p.STAGES = tuple(dataclasses.replace(s, run=full) for s in p.STAGES)\n"
        "from photonic_dfa.cli import run_app\n"
        f"sys.exit(run_app(['run', {str(_config(tmp_path / 'c.toml'))!r}, '-o', "
        f"{str(tmp_path / 'out')!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0], done.stderr
    assert "Traceback" not in done.stderr


def test_a_corrupt_checkpoint_of_unfinished_training_is_recovered(
    complete_run, tmp_path, monkeypatch
):
    out = _copy(complete_run, tmp_path)
    partial = out / ".partial" / "train" / "bp"
    shutil.copytree(out / "train" / "bp", partial)
    (partial / "metrics.json").unlink()
    (partial / "checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    saved = json.loads((partial / "config.json").read_text())
    saved["training"]["epochs"] = 2  # an unfinished 2-epoch run
    (partial / "config.json").write_text(json.dumps(saved))
    cfg = _config(tmp_path / "c.toml", epochs=2)
    lines: list[str] = []
    monkeypatch.setenv("XDG_CACHE_HOME", _env(tmp_path)["XDG_CACHE_HOME"])
    result = run_pipeline(cfg, out, log=lines.append)
    assert result.stage("train").status == "ran"
    assert any("not resumable" in line for line in lines)
    # and --force discards unfinished work outright
    (out / ".partial" / "train").mkdir(parents=True)
    (out / ".partial" / "train" / "junk").write_text("x")
    result = run_pipeline(cfg, out, log=lambda _: None, force=True)
    assert json.loads((out / "train" / "bp" / "metrics.json").read_text())["epochs"] == 2
    assert not (out / "train" / "junk").exists()


def _idx(arr) -> bytes:
    magic = (0x08 << 8) | arr.ndim
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype("uint8").tobytes()


def test_run_data_trains_on_the_given_directory(complete_run, tmp_path):
    import numpy as np

    data = tmp_path / "mnist"
    data.mkdir()
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 300), ("t10k", 100)):
        (data / f"{prefix}-images-idx3-ubyte").write_bytes(_idx(rng.integers(0, 256, (n, 28, 28))))
        (data / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx(rng.integers(0, 10, n)))
    out = _copy(complete_run, tmp_path)
    cmd = [sys.executable, "-m", "photonic_dfa", "run", str(_config(tmp_path / "c.toml"))]
    done = subprocess.run(
        [*cmd, "-o", str(out), "--data", str(data)],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"MNIST from {str(data)!r}" in done.stdout
    summary = json.loads((out / "train" / "stage.json").read_text())["summary"]
    assert summary["train_images"] == 300 and not summary["is_subset"]
    # a directory without the files is one line and exit status 2
    bad = subprocess.run(
        [*cmd, "-o", str(out), "--data", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=120,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "does not exist" in bad.stderr
