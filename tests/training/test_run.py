"""Runs: RUNDIR outputs, checkpoints and bit-identical resume, Ctrl-C, bad input, CLI, imports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from photonic_dfa.config.training import TrainingConfig
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.training.run import train

CFG = TrainingConfig(mode="dfa-gaussian", hidden=(32,), epochs=3, align_samples=200)


def _strip_seconds(history):
    return [{k: v for k, v in h.items() if k != "seconds"} for h in history]


def _npz(path):
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _interrupt_after(epoch):
    def progress(ev):
        if ev.kind == "epoch" and ev.epoch == epoch:
            raise KeyboardInterrupt

    return progress


def test_outputs_of_a_complete_run(tmp_path, small):
    res = train(CFG, tmp_path / "run", data=small)
    out = tmp_path / "run"
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "status.json", "history.json", "checkpoint.npz", "metrics.json"} <= names
    assert {"model_best.npz", "curves.png"} <= names
    hist = json.loads((out / "history.json").read_text())["epochs"]
    assert [h["epoch"] for h in hist] == [1, 2, 3]
    for h in hist:
        assert h["seconds"] > 0 and 0 <= h["val_acc"] <= 1 and 0 <= h["test_acc"] <= 1
        assert len(h["align_deg"]) == 1 and 0 < h["align_all_deg"] < 180
    metrics = json.loads((out / "metrics.json").read_text())
    best = max(hist, key=lambda h: h["val_acc"])
    assert metrics["best_epoch"] == best["epoch"] and metrics["test_acc"] == best["test_acc"]
    assert res.test_acc == metrics["test_acc"]
    assert json.loads((out / "status.json").read_text())["status"] == "complete"
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["training"]["noise_std"] == 0.618 and cfg["provenance"]["data"]["is_subset"]
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, small):
    full = train(CFG, tmp_path / "full", data=small, plot=False)
    part = tmp_path / "part"
    with pytest.raises(KeyboardInterrupt):
        train(CFG, part, data=small, progress=_interrupt_after(1), plot=False)
    # an interrupted run keeps a valid checkpoint and does not look complete
    status = json.loads((part / "status.json").read_text())
    assert status["status"] == "interrupted" and status["epochs_done"] == 1
    assert not (part / "metrics.json").exists()
    with pytest.raises(ConfigError, match="already holds a run"):
        train(CFG, part, data=small)
    resumed = train(CFG, part, data=small, resume=True, plot=False)
    assert _strip_seconds(resumed.history) == _strip_seconds(full.history)
    a, b = _npz(tmp_path / "full" / "checkpoint.npz"), _npz(part / "checkpoint.npz")
    for k in a:
        if k != "meta":
            assert np.array_equal(a[k], b[k]), k  # bit-identical state
    assert {k: v for k, v in resumed.metrics.items() if "seconds" not in k} == {
        k: v for k, v in full.metrics.items() if "seconds" not in k
    }


def test_first_ctrl_c_finishes_the_epoch_and_checkpoints(tmp_path, small):
    out = tmp_path / "run"

    def progress(ev):
        if ev.kind == "batch" and ev.epoch == 2 and ev.batch == ev.n_batches:
            os.kill(os.getpid(), signal.SIGINT)  # like Ctrl-C in the middle of epoch 2

    cfg = CFG.model_copy(update={"progress_every": 4})
    with pytest.raises(KeyboardInterrupt):
        train(cfg, out, data=small, progress=progress, plot=False)
    status = json.loads((out / "status.json").read_text())
    assert status["status"] == "interrupted" and status["epochs_done"] == 2
    meta = json.loads(str(_npz(out / "checkpoint.npz")["meta"]))
    assert len(meta["history"]) == 2


def test_resume_rejects_a_changed_protocol_but_allows_more_epochs(tmp_path, small):
    out = tmp_path / "run"
    cfg = CFG.model_copy(update={"epochs": 1, "mode": "dfa"})
    train(cfg, out, data=small, plot=False)
    with pytest.raises(ConfigError, match=r"training\.lr was 0\.01, now 0\.02"):
        train(cfg.model_copy(update={"lr": 0.02}), out, data=small, resume=True)
    more = train(cfg.model_copy(update={"epochs": 2}), out, data=small, resume=True, plot=False)
    assert len(more.history) == 2 and more.metrics["epochs"] == 2
    with pytest.raises(ArtifactError, match="cannot resume"):
        train(cfg, tmp_path / "empty", data=small, resume=True)


def test_bad_inputs_are_one_line_and_leave_no_rundir(tmp_path, small, model_factory):
    out = tmp_path / "run"
    model = model_factory(tmp_path / "m.npz", (64, 64))
    cases = [
        (ConfigError, "needs the extracted chip model", {"mode": "dfa-photonic"}),
        (
            ArtifactError,
            r"made for hidden sizes \[64, 64\]",
            {"mode": "dfa-photonic", "model": model},
        ),
        (ArtifactError, "does not exist", {"mode": "dfa-photonic", "model": tmp_path / "x.npz"}),
        (ConfigError, r"training\.lr = -0\.1: Input should be greater than 0", {"lr": -0.1}),
        (ConfigError, r"training\.hidden", {"hidden": (32, 0)}),
    ]
    for exc, pattern, kwargs in cases:
        with pytest.raises(exc, match=pattern) as info:
            train(CFG, out, data=small, **kwargs)
        assert "\n" not in str(info.value)
        assert not out.exists()
    corrupt = tmp_path / "bad.npz"
    corrupt.write_bytes(model.read_bytes()[:300])
    with pytest.raises(ArtifactError):
        train(CFG, out, mode="dfa-photonic", data=small, model=corrupt)
    assert not out.exists()


def test_photonic_run_records_the_model_sha256(tmp_path, subset, model_32):
    from photonic_dfa.io import sha256_file

    res = train(
        CFG.model_copy(update={"epochs": 1}),
        tmp_path / "r",
        mode="dfa-photonic",
        model=model_32,
        data=subset,
        plot=False,
    )
    assert res.metrics["model_sha256"] == sha256_file(model_32)
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["provenance"]["model"]["sha256"] == sha256_file(model_32)
    assert res.history[0]["test_acc"] > 0.6  # learns far above chance (0.1) through the chip


def test_cli_train_resume_and_compare(tmp_path, small, monkeypatch):
    from photonic_dfa.cli import app
    from photonic_dfa.training import run as run_module

    monkeypatch.setattr(run_module, "resolve_data", lambda data, log=None: small)
    runner = CliRunner()
    args = ["train", "--mode", "bp", "--epochs", "1", "--hidden", "24", "16", "-o"]
    r1 = runner.invoke(app, [*args, str(tmp_path / "a")])
    assert r1.exit_code == 0, r1.output
    assert "784-24-16-10" in r1.output and "test accuracy" in r1.output
    r2 = runner.invoke(
        app,
        ["train", "--mode", "dfa", "--epochs", "2", "--hidden", "24,16", "-o", str(tmp_path / "b")],
    )
    assert r2.exit_code == 0, r2.output
    cfg = json.loads((tmp_path / "b" / "config.json").read_text())["training"]
    assert cfg["hidden"] == [24, 16] and cfg["epochs"] == 2
    r3 = runner.invoke(
        app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(tmp_path / "cmp.png")]
    )
    assert r3.exit_code == 0, r3.output
    assert "bp" in r3.output and "dfa" in r3.output and (tmp_path / "cmp.png").is_file()


def test_cli_errors_are_one_line_with_status_2(tmp_path):
    cmd = [sys.executable, "-c", "from photonic_dfa.cli import main; main()"]
    p = subprocess.run(
        [*cmd, "train", "--mode", "dfa", "--lr", "-1", "-o", str(tmp_path / "r")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1, p.stderr
    assert "training.lr = -1.0: Input should be greater than 0" in lines[0]
    assert not (tmp_path / "r").exists()


def test_cli_rejects_bad_options_before_touching_rundir(tmp_path):
    from photonic_dfa.cli import app
    from photonic_dfa.errors import DataError

    runner = CliRunner()
    out = str(tmp_path / "r")
    for extra, exc, fragment in [
        (["--mode", "dfa-photonic"], ConfigError, "needs the extracted chip model"),
        (["--mode", "dfa", "--data", str(tmp_path / "none")], DataError, "does not exist"),
        (["--mode", "backprop"], ConfigError, "training.mode = 'backprop'"),
        (["--mode", "dfa", "--hidden", "80", "x"], ConfigError, "not a positive integer"),
    ]:
        res = runner.invoke(app, ["train", *extra, "-o", out])
        assert isinstance(res.exception, exc) and fragment in str(res.exception), res.output
        assert "\n" not in str(res.exception)
        assert not (tmp_path / "r").exists()
    res = runner.invoke(app, ["compare", str(tmp_path)])
    assert isinstance(res.exception, ArtifactError)
    assert "not a training run directory" in str(res.exception)


def test_import_does_not_pull_in_gdsfactory_or_simphony():
    code = (
        "import sys, photonic_dfa.training, photonic_dfa.training.commands, "
        "photonic_dfa.network_model.artifact, photonic_dfa.network_model.readout\n"
        "bad = [m for m in ('gdsfactory', 'simphony', 'sax') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
