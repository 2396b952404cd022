"""`photonic-dfa train` interrupted by Ctrl-C: exit status 130, a line that says how to resume, and
the run continues bit-identically with that command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def test_ctrl_c_exits_130_and_the_printed_command_resumes(tmp_path):
    cache = tmp_path / "cache" / "photonic_dfa" / "mnist"
    cache.mkdir(parents=True)
    (cache / ".download_failed").touch()  # the subset, without a download attempt
    env = {k: v for k, v in os.environ.items() if k != "PHOTONIC_DFA_DATA"}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONUNBUFFERED="1")
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "photonic_dfa", "train", "--mode", "bp", "-o", str(run)]
    cmd += ["--hidden", "20", "--epochs", "400"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("epoch   1:"):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    line = next(x for x in err.splitlines() if x.startswith("interrupted:"))
    assert "resume with: photonic-dfa train" in line and line.endswith("--resume")
    status = json.loads((run / "status.json").read_text())
    assert status["status"] == "interrupted" and 1 <= status["epochs_done"] < 400
    assert not (run / "metrics.json").exists()  # an interrupted run never looks finished
