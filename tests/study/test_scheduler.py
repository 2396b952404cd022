"""`photonic-dfa study --scheduler`: a `dask scheduler` and a `dask worker` started as separate
processes on loopback, the study run through them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from _helpers.cli import run_cli
from photonic_dfa.study.point import WORKER_ENV

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, timeout_s: float = 60.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise AssertionError(f"no scheduler listening on port {port}")


def test_study_through_a_separate_scheduler_and_worker(tiny_study, tmp_path):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, **WORKER_ENV, "PYTHONPATH": os.pathsep.join(sys.path)}
    scheduler = subprocess.Popen(
        ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        _wait_listening(port)
        worker = subprocess.Popen(
            [
                "dask",
                "worker",
                address,
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--no-dashboard",
                "--local-directory",
                str(tmp_path / "dask-worker"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = run_cli("study", tiny_study, "-o", tmp_path / "out", "--scheduler", address)
        assert result.returncode == 0, result.stderr
        lines = (tmp_path / "out" / "results.csv").read_text().splitlines()
        assert len(lines) == 5 and lines[0].startswith("id,training.lr,seed,status")
        assert all(",ok," in line for line in lines[1:])
        assert (tmp_path / "out" / "results.parquet").is_file()
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
