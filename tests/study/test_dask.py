"""A 2 × 2 study on a LocalCluster of 2 workers survives a worker killed mid-study; a re-run
computes nothing; shared stages run once. A point that fails at run time records its error and the
others go on; a re-run retries only it."""

from __future__ import annotations

import csv
import json
import os
import signal
import threading
import time

import pytest

from _helpers.cli import run_cli
from photonic_dfa.study.point import WORKER_ENV
from photonic_dfa.study.runner import run_study
from photonic_dfa.study.spec import load_study

pytestmark = pytest.mark.slow


def _kill_one_worker_when_busy(client, killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the process of a worker as soon as it is running a point (its nanny restarts it)."""
    while not stop.is_set():
        busy = [w for w, keys in client.processing().items() if keys]
        if busy:
            time.sleep(1.0)  # let it get into the pipeline
            pids = client.run(os.getpid, workers=[busy[0]])
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return
        time.sleep(0.2)


def test_study_survives_a_killed_worker_and_reruns_nothing(tiny_study, tmp_path):
    from distributed import Client, LocalCluster

    study = load_study(tiny_study)
    out = tmp_path / "out"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            env=WORKER_ENV,
        ) as cluster,
        Client(cluster) as client,
    ):
        killed: list[int] = []
        stop = threading.Event()
        killer = threading.Thread(target=_kill_one_worker_when_busy, args=(client, killed, stop))
        killer.start()
        try:
            run = run_study(study, out, scheduler=cluster.scheduler_address, log=lambda _: None)
        finally:
            stop.set()
            killer.join()
    assert killed, "no worker was killed"
    assert len(run.rows) == 4 and all(r["status"] == "ok" for r in run.rows), run.rows
    assert all(0.0 <= r["test_acc"] <= 1.0 for r in run.rows)
    assert {(r["training.lr"], r["seed"]) for r in run.rows} == {
        (lr, s) for lr in (0.01, 0.02) for s in (1, 2)
    }
    # layout and circuits were computed for one point only, re-used by the others
    statuses = [(r["layout_status"], r["circuits_status"]) for r in run.rows]
    assert sum(s == ("ran", "ran") for s in statuses) == 1
    assert len(list((out / "cache").glob("[0-9a-f]*[0-9a-f]"))) == 2  # layout, circuits
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")}

    again = run_study(study, out, workers=1, log=lambda _: None)
    assert again.computed == 0 and again.dashboard is None  # no cluster was even started
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (out / "points").glob("*.json")}
    assert json.loads((out / "study.json").read_text())["axes"] == ["training.lr", "seed"]


def test_a_failing_point_records_its_error_and_the_others_go_on(tmp_path):
    """One point of two fails at run time (its config is valid: a blue margin of 10 nm, which
    the 20 mW heaters cannot span, fails in the model stage); the other's row is written, the
    summary counts 1 failed, and a re-run computes only the failed point."""
    (tmp_path / "base.toml").write_text(
        "[layout]\nrings = 4\nbanks = 1\n[model]\ncalibration = 'model'\n"
        "[run]\nbaselines = []\n[training]\nhidden = [16]\nepochs = 1\n"
    )
    study = tmp_path / "s.toml"
    study.write_text('base = "base.toml"\n[axes]\n"model.blue_margin_nm" = [1.8, 10.0]\n')
    good, bad = load_study(study).points  # both validate
    out = tmp_path / "out"
    first = run_cli("study", study, "-o", out, "--workers", "2")
    assert first.returncode == 1, first.stderr  # a failed point: exit 1, the results written
    assert "1 point(s) ok, 1 failed, 2 computed now" in first.stdout
    failed = json.loads((out / "points" / f"{bad.id}.json").read_text())
    assert failed["status"] == "failed" and failed["model.blue_margin_nm"] == 10.0
    assert "cannot be tuned onto their channels" in failed["error"]
    assert "\n" not in failed["error"] and failed["error"] in first.stdout
    assert "Traceback" in (out / "runs" / bad.id / "error.txt").read_text()
    rows = {r["id"]: r for r in csv.DictReader((out / "results.csv").open())}
    assert rows[good.id]["status"] == "ok" and 0.0 < float(rows[good.id]["test_acc"]) <= 1.0
    assert rows[bad.id]["status"] == "failed" and rows[bad.id]["test_acc"] == ""
    stamp = (out / "points" / f"{good.id}.json").stat().st_mtime_ns

    again = run_cli("study", study, "-o", out, "--workers", "1")
    assert again.returncode == 1, again.stderr
    assert "1 point(s) ok, 1 failed, 1 computed now" in again.stdout  # the failed one only
    assert (out / "points" / f"{good.id}.json").stat().st_mtime_ns == stamp
