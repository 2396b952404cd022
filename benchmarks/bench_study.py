"""Speed of ``photonic-dfa study``: the same 8-point study sequentially and on a LocalCluster.

The study (embedded MNIST subset, a 4-ring × 1-bank chip, 784-32-10, 1 epoch): 2 chips
(``model.fab_seed`` 0, 1) × 4 training seeds. Layout and circuits are shared by all 8 points, each
chip's model by its 4 seeds. Measured side by side in one run:

1. sequential: the points one after another in this process (``run_sequential``), with the shared
   stage cache;
2. Dask: the same points on a ``LocalCluster`` of ``--workers`` processes (default 2), fresh
   study directory and cache, cluster start-up included; ratio sequential / Dask;
3. shared stages: the stage time the sequential run spent (stages that ran) against the time
   without sharing, i.e. every point running its own layout, circuits and model, each costing what
   that stage measured when it ran (8 × the layout, the circuits and a model);
4. ``train_many``: the 4 seeds of one chip trained in one compiled program against the same 4
   trainings one after another (``train``), both from the same ``photonic_model.npz``.

Usage: ``python benchmarks/bench_study.py [--workers 2]``; writes
``benchmarks/results_study.json``.
"""

from __future__ import annotations

import argparse
import statistics
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


def _train_many_vs_single(model: Path, seeds: list[int]) -> tuple[float, float]:
    import jax

    from photonic_dfa.config import load_config
    from photonic_dfa.training.data import mnist_subset
    from photonic_dfa.training.run import train, train_many

    cfg = load_config(None, training={"hidden": [32], "epochs": 1, "mode": "dfa-photonic"})
    data = mnist_subset()
    with jax.enable_x64(False), tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for s in seeds:
            train(
                cfg.training.model_copy(update={"seed": s}),
                Path(tmp) / str(s),
                mode="dfa-photonic",
                model=model,
                data=data,
                log=lambda _: None,
            )
        single = time.perf_counter() - t0
        t0 = time.perf_counter()
        train_many(cfg.training, seeds=seeds, mode="dfa-photonic", model=model, data=data)
        many = time.perf_counter() - t0
    return single, many


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from photonic_dfa.study import load_study, run_sequential, run_study

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "base.toml").write_text(BASE)
        (root / "study.toml").write_text(STUDY)
        study = load_study(root / "study.toml")
        t0 = time.perf_counter()
        rows = run_sequential(study, root / "seq")
        t_seq = time.perf_counter() - t0
        t0 = time.perf_counter()
        run_study(study, root / "dask", workers=args.workers, log=lambda _: None)
        t_dask = time.perf_counter() - t0
        assert all(r["status"] == "ok" for r in rows), [r.get("error") for r in rows]
        spent, without = _unshared_seconds(rows)
        model = next((root / "seq" / "runs").glob("*/model/photonic_model.npz"))
        single, many = _train_many_vs_single(model, [1, 2, 3, 4])
    figures = [
        figure("sequential, 8 points", t_seq, "s"),
        figure(f"LocalCluster ({args.workers} workers), 8 points", t_dask, "s"),
        figure("speed-up sequential / LocalCluster", t_seq / t_dask, "×"),
        figure("layout+circuits+model time with shared stages", spent, "s"),
        figure("the same without sharing (8 × each stage's measured time)", without, "s"),
        figure("time saved by shared stages", without - spent, "s"),
        figure("4 seeds trained one after another (train)", single, "s"),
        figure("4 seeds in one train_many program", many, "s"),
    ]
    path = write_results("study", figures)
    for f in figures:
        print(f"{f['name']:<62} {f['value']:9.2f} {f['unit']}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
