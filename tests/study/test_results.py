"""The results table (CSV and Parquet), the yield curve, the Pareto front and the plots."""

from __future__ import annotations

import csv

import numpy as np

from photonic_dfa.study.results import pareto_front, write_plots, write_table, yield_curve


def _rows():
    rng = np.random.default_rng(0)
    rows = []
    for sigma in (0.25, 0.5, 1.0):
        for chip in range(5):
            for seed in (1, 2):
                acc = 0.95 - 0.08 * sigma * rng.random()
                rows.append(
                    {
                        "id": f"{sigma}-{chip}-{seed}",
                        "model.fab_sigma_nm": sigma,
                        "model.fab_seed": chip,
                        "seed": seed,
                        "status": "ok",
                        "test_acc": acc,
                        "val_acc": acc,
                        "energy_pJ_per_mac": 1 + sigma,
                    }
                )
    rows.append(
        {
            "id": "bad",
            "model.fab_sigma_nm": 1.0,
            "model.fab_seed": 9,
            "seed": 1,
            "status": "failed",
            "error": "ArtifactError: x",
        }
    )
    return rows


def test_pareto_front_keeps_only_undominated_points():
    energy = np.array([1.0, 2.0, 3.0, 1.5, 2.5])
    acc = np.array([0.90, 0.95, 0.97, 0.89, 0.96])
    front = pareto_front(energy, acc)
    assert list(front) == [0, 1, 4, 2]  # by energy; 3 is beaten by 0 (less energy, more acc)
    assert 3 not in front


def test_yield_curve_counts_points_at_or_above_the_target():
    rows = [{"s": 0.5, "test_acc": a} for a in (0.9, 0.95, 0.97, 0.99)]
    rows += [{"s": 1.0, "test_acc": a} for a in (0.5, 0.97)]
    xs, ys, ns = yield_curve(rows, "s", 0.97)
    assert xs == [0.5, 1.0] and ys == [0.5, 0.5] and ns == [4, 2]


def test_table_and_plots(tmp_path):
    import pyarrow.parquet as pq

    rows = _rows()
    axes = ("model.fab_sigma_nm", "model.fab_seed", "seed")
    csv_path, pq_path = write_table(rows, axes, tmp_path)
    with open(csv_path) as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 31 and list(table[0])[:4] == [
        "id",
        "model.fab_sigma_nm",
        "model.fab_seed",
        "seed",
    ]
    assert table[-1]["status"] == "failed" and table[-1]["error"] == "ArtifactError: x"
    parquet = pq.read_table(pq_path)
    assert parquet.num_rows == 31 and parquet.column("test_acc").null_count == 1
    plots = write_plots(rows, axes, tmp_path, target_acc=0.9)
    assert set(plots) == {
        "accuracy_vs_model.fab_sigma_nm",
        "accuracy_vs_model.fab_seed",
        "yield_vs_model.fab_sigma_nm",
        "accuracy_vs_energy",
    }
    assert all(p.stat().st_size > 5000 for p in plots.values())
