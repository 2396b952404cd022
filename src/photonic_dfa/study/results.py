"""A study's results: the tidy table (CSV and Parquet) and the plots chosen from its axes.

One row per point: ``id``, each axis key as written, ``seed``, ``status`` / ``error``, accuracy
(``test_acc``, ``val_acc`` in [0, 1]), per-MAC error std and effective bits, weight precision, bank
yield, energy per MAC (pJ), throughput (OPS), stage timings (s) and status, ``provenance`` (the
training stage's key: a sha256 over its settings and, through its inputs, every earlier stage;
for seeds grouped into one ``train_many`` program, a sha256 of the model stage's key and the
point's ``[training]`` and ``[run]`` values) and ``config_sha256`` (the point's whole config).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa.io import atomic_path, atomic_write_text

__all__ = ["pareto_front", "write_plots", "write_table", "yield_curve"]

FIRST = ["id"]
LAST = [
    "status",
    "error",
    "mode",
    "test_acc",
    "val_acc",
    "best_epoch",
    "mac_error_std",
    "mac_bits",
    "weight_bits_median",
    "yield_banks",
    "unreachable_rings",
    "energy_pJ_per_mac",
    "throughput_ops",
]
FAB_SIGMA_KEYS = ("model.fab_sigma_nm", "model.fab_width_sigma_nm", "model.fab_thickness_sigma_nm")


def columns(rows: list[dict[str, Any]], axes: tuple[str, ...]) -> list[str]:
    cols = [*FIRST, *[a for a in axes if a != "seed"], "seed", *LAST]
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols


def write_table(rows: list[dict[str, Any]], axes: tuple[str, ...], studydir: Path) -> list[Path]:
    """``results.csv`` and ``results.parquet`` (atomic)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cols = columns(rows, axes)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    csv_path = atomic_write_text(studydir / "results.csv", buf.getvalue())
    table = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])
    with atomic_path(studydir / "results.parquet") as tmp:
        pq.write_table(table, tmp)
    return [csv_path, studydir / "results.parquet"]


def _numeric(rows: list[dict[str, Any]], key: str) -> bool:
    vals = [r.get(key) for r in rows]
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)


def _ok(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r.get("status") == "ok" and r.get("test_acc") is not None]


def yield_curve(rows: list[dict[str, Any]], key: str, target: float) -> tuple[list, list, list]:
    """Per value of ``key``: ``(values, yield, n)``, yield = fraction of points (chips × seeds)
    with ``test_acc >= target``."""
    xs = sorted({r[key] for r in rows})
    ys, ns = [], []
    for x in xs:
        acc = [r["test_acc"] for r in rows if r[key] == x]
        ys.append(float(np.mean([a >= target for a in acc])))
        ns.append(len(acc))
    return xs, ys, ns


def pareto_front(energy: np.ndarray, acc: np.ndarray) -> np.ndarray:
    """Indices of the points no other point beats in both lower energy and higher accuracy,
    sorted by energy."""
    order = np.lexsort((-acc, energy))
    front, best = [], -np.inf
    for i in order:
        if acc[i] > best:
            front.append(int(i))
            best = acc[i]
    return np.asarray(front, dtype=int)


def _accuracy_vs_axis(ax: Any, rows: list[dict[str, Any]], key: str, others: list[str]) -> None:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(o) for o in others), []).append(r)
    for label, members in sorted(groups.items(), key=lambda kv: str(kv[0])):
        xs = sorted({m[key] for m in members})
        acc = [[100 * m["test_acc"] for m in members if m[key] == x] for x in xs]
        mean = [np.mean(a) for a in acc]
        lo = [m - min(a) for m, a in zip(mean, acc)]
        hi = [max(a) - m for m, a in zip(mean, acc)]
        name = ", ".join(f"{o} = {v}" for o, v in zip(others, label)) or None
        ax.errorbar(xs, mean, yerr=[lo, hi], marker="o", capsize=3, label=name)
    ax.set_xlabel(key)
    ax.set_ylabel("test accuracy (%), mean; bars: min–max over seeds")
    if others:
        ax.legend(fontsize=7)


def write_plots(
    rows: list[dict[str, Any]],
    axes: tuple[str, ...],
    studydir: Path,
    target_acc: float | None = None,
) -> dict[str, Path]:
    """The plots the axes allow: accuracy vs each numeric axis (seed spread), yield vs
    fabrication σ, accuracy vs energy per MAC with its Pareto front. Returns name -> path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = _ok(rows)
    made: dict[str, Path] = {}
    if not ok:
        return made
    swept = [a for a in axes if a != "seed" and len({r.get(a) for r in ok}) > 1]
    for key in [a for a in swept if _numeric(ok, a)]:
        others = [a for a in swept if a != key]
        fig, ax = plt.subplots(figsize=(6, 4))
        _accuracy_vs_axis(ax, ok, key, others)
        made[f"accuracy_vs_{key}"] = _save(fig, studydir / f"accuracy_vs_{key}.png")
    target = target_acc if target_acc is not None else default_target(ok)
    for key in [a for a in FAB_SIGMA_KEYS if a in swept]:
        xs, ys, ns = yield_curve(ok, key, target)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(xs, [100 * y for y in ys], marker="o")
        ax.set_xlabel(key)
        ax.set_ylabel(f"yield (%): test accuracy ≥ {100 * target:.1f} %")
        ax.set_title(f"{ns[0]} points (chips × seeds) per value", fontsize=9)
        made[f"yield_vs_{key}"] = _save(fig, studydir / f"yield_vs_{key}.png")
    energy = [r.get("energy_pJ_per_mac") for r in ok]
    if all(e is not None for e in energy) and len(set(energy)) > 1:
        e, a = np.asarray(energy, float), 100 * np.asarray([r["test_acc"] for r in ok])
        front = pareto_front(e, a)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(e, a, s=14, alpha=0.6, label="points")
        ax.step(e[front], a[front], where="post", color="C3", label="Pareto front")
        ax.set_xscale("log")
        ax.set_xlabel("energy per MAC (pJ)")
        ax.set_ylabel("test accuracy (%)")
        ax.legend()
        made["accuracy_vs_energy"] = _save(fig, studydir / "accuracy_vs_energy.png")
    return made


def default_target(rows: list[dict[str, Any]]) -> float:
    """The default yield target: one point (0.01) below the study's best test accuracy."""
    return max(r["test_acc"] for r in rows) - 0.01


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path
