"""Speed of ``photonic-dfa study``: the same 8-point study sequentially and on a LocalCluster.

The study (embedded MNIST subset, a 4-ring × 1-bank chip, 784-32-10, 1 epoch): 2 chips
(``model.fab_seed`` 0, 1) × 4 training seeds. Layout and circuits are shared by all 8 points, each
chip's model by its 4 seeds. Measured side by side in one run:

1. sequential, a task per point: the points one after another in this process
   (``run_sequential(group_seeds=False)``), with the shared stage cache;
2. sequential, seeds grouped: the 4 seeds of each chip as one task whose trainings are the runs
   of one ``train_many`` program (``group_seeds=True``, the default of ``photonic-dfa study``);
3. Dask: the grouped tasks on a ``LocalCluster`` of ``--workers`` processes (default 2), cluster
   start-up included; ratio sequential (2.) / Dask (3.);
4. shared stages: the layout/circuit/model time run 1 spent (stages that ran) against the time
   without sharing, every point running its own, each costing what that stage measured when it
   ran (8 × the layout, the circuits and a model).

Each run is a fresh process (``--leg``) with a fresh study directory and JAX compilation cache
(``PHOTONIC_DFA_JAX_CACHE``), so none re-uses another's imports or compiled programs.

Usage: ``python benchmarks/bench_study.py [--workers 2]``; writes
``benchmarks/results_study.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import figure, write_results  # noqa: E402

BASE = """
[layout]
rings = 4
banks = 1
[training]
hidden = [32]
epochs = 1
[run]
baselines = []
"""
STUDY = """
base = "base.toml"
seeds = [1, 2, 3, 4]
[axes]
"model.fab_seed" = [0, 1]
"""


def _unshared_seconds(rows: list[dict]) -> tuple[float, float]:
    """(stage seconds spent with sharing, estimated without): layout/circuits/model stages."""
    spent = sum(
        r[f"{s}_s"]
        for r in rows
        for s in ("layout", "circuits", "model")
        if r[f"{s}_status"] == "ran"
    )
    ran = {
        s: [r[f"{s}_s"] for r in rows if r[f"{s}_status"] == "ran"]
        for s in ("layout", "circuits", "model")
    }
    without = len(rows) * (
        statistics.mean(ran["layout"])
        + statistics.mean(ran["circuits"])
        + statistics.mean(ran["model"])
    )
    return spent, without


def _leg(name: str, root: Path, workers: int) -> dict:
    """One run in this process; returns its wall time and rows."""
    from photonic_dfa.study import load_study, run_sequential, run_study

    study = load_study(root / "study.toml")
    t0 = time.perf_counter()
    if name == "seq":
        rows = run_sequential(study, root / name, group_seeds=False)
    elif name == "grouped":
        rows = run_sequential(study, root / name)
    else:
        rows = run_study(study, root / name, workers=workers, log=lambda _: None).rows
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def _run_leg(name: str, root: Path, workers: int) -> dict:
    env = {**os.environ, "PHOTONIC_DFA_JAX_CACHE": str(root / f"jax-{name}")}
    cmd = [sys.executable, __file__, "--leg", name, "--dir", str(root), "--workers", str(workers)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=True)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for r in out["rows"]:
        assert r["status"] == "ok", r.get("error")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--leg", choices=["seq", "grouped", "dask"], help=argparse.SUPPRESS)
    ap.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.leg:
        print(json.dumps(_leg(args.leg, args.dir, args.workers)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "base.toml").write_text(BASE)
        (root / "study.toml").write_text(STUDY)
        seq, grp, dask = (_run_leg(n, root, args.workers) for n in ("seq", "grouped", "dask"))
    t_seq, t_grp, t_dask = seq["seconds"], grp["seconds"], dask["seconds"]
    spent, without = _unshared_seconds(seq["rows"])
    figures = [
        figure("sequential, a task per point, 8 points", t_seq, "s"),
        figure("sequential, seeds grouped (2 train_many tasks of 4 runs)", t_grp, "s"),
        figure(f"LocalCluster ({args.workers} workers), seeds grouped", t_dask, "s"),
        figure("speed-up of grouping (sequential)", t_seq / t_grp, "×"),
        figure("speed-up sequential / LocalCluster (both grouped)", t_grp / t_dask, "×"),
        figure("layout+circuits+model time with shared stages", spent, "s"),
        figure("the same without sharing (8 × each stage's measured time)", without, "s"),
        figure("time saved by shared stages", without - spent, "s"),
    ]
    path = write_results("study", figures, load_average=os.getloadavg())
    for f in figures:
        print(f"{f['name']:<62} {f['value']:9.2f} {f['unit']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
