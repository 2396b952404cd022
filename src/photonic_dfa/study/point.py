"""One point of a study: its pipeline run and its row of results.

A point runs the pipeline in ``STUDYDIR/runs/<id>`` with the shared stage cache
``STUDYDIR/cache`` (see :mod:`photonic_dfa.pipeline`), then writes ``STUDYDIR/points/<id>.json``
atomically: its axis values, ``status`` (``ok`` or ``failed`` with a one-line ``error``) and the
results read from the stages' artifacts (``train/<mode>/metrics.json``, the model's
``photonic_model.json`` calibration report, the stage manifests).
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path
from typing import Any

from photonic_dfa import __version__
from photonic_dfa.io import atomic_write_json

__all__ = ["groupable", "identity", "point_file", "run_group", "run_point"]

#: environment of a study worker: JAX/XLA and BLAS use one thread each (one point per core)
WORKER_ENV = {
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}


def identity(point: Any) -> dict[str, Any]:
    """The row entries that tie a result to its point: the seed and the config's sha256 (a
    result of another config, e.g. after the base config was edited, is not re-used)."""
    from photonic_dfa.config import config_hash

    return {"seed": point.config.training.seed, "config_sha256": config_hash(point.config)}


def point_file(studydir: Path, pid: str) -> Path:
    return studydir / "points" / f"{pid}.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _model_columns(rundir: Path) -> dict[str, Any]:
    """Per-MAC error and bits, weight precision, yield, energy, throughput (model report)."""
    report = _read_json(rundir / "model" / "photonic_model.json").get("calibration", {})
    physical = report.get("noise", {}).get("physical", {})
    energy = report.get("energy", {})
    return {
        "mac_error_std": physical.get("std"),
        "mac_bits": physical.get("effective_bits"),
        "weight_bits_median": report.get("bits_median"),
        "yield_banks": report.get("yield_banks"),
        "unreachable_rings": report.get("unreachable_count"),
        "energy_pJ_per_mac": energy.get("pJ_per_mac"),
        "throughput_ops": energy.get("ops"),
    }


def _train_columns(rundir: Path) -> dict[str, Any]:
    """Test and validation accuracy in [0, 1] of ``dfa-photonic`` (else the first mode)."""
    manifest = _read_json(rundir / "train" / "stage.json")
    modes = sorted({Path(n).parent.name for n in manifest.get("outputs", {}) if "/" in n})
    mode = "dfa-photonic" if "dfa-photonic" in modes else (modes[0] if modes else None)
    metrics = _read_json(rundir / "train" / str(mode) / "metrics.json") if mode else {}
    return {
        "mode": mode,
        "test_acc": metrics.get("test_acc"),
        "val_acc": metrics.get("best_val_acc"),
        "best_epoch": metrics.get("best_epoch"),
        "train_s_per_epoch": metrics.get("seconds_per_epoch_median"),
        "provenance": manifest.get("key"),
    }


def _row(rundir: Path, result: Any) -> dict[str, Any]:
    row: dict[str, Any] = {**_train_columns(rundir), **_model_columns(rundir)}
    for stage in result.stages:
        row[f"{stage.name}_s"] = round(stage.seconds, 3)
        row[f"{stage.name}_status"] = stage.status
    return row


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def run_point(point: Any, studydir: str) -> dict[str, Any]:
    """Run ``point`` (a :class:`~photonic_dfa.study.spec.Point`) and write its result file.

    Returns the row written. A failure is recorded as ``status = "failed"`` with its one-line
    ``error`` (the traceback goes to ``runs/<id>/error.txt``), never raised: the study goes on.
    """
    from photonic_dfa.network_model.run import enable_compilation_cache
    from photonic_dfa.pipeline import run_pipeline

    enable_compilation_cache()  # compiled bus-circuit programs shared by the worker processes
    root = Path(studydir)
    rundir = root / "runs" / point.id
    start = time.perf_counter()
    row: dict[str, Any] = {"id": point.id, **point.values, **identity(point)}
    try:
        result = run_pipeline(
            point.config,
            rundir,
            log=lambda _line: None,
            shared_cache=root / "cache",
            report=False,
        )
        row.update(status="ok", error=None, **_row(rundir, result))
    except Exception as exc:
        rundir.mkdir(parents=True, exist_ok=True)
        (rundir / "error.txt").write_text(traceback.format_exc())
        row.update(status="failed", error=_one_line(exc))
    row.update(seconds=round(time.perf_counter() - start, 3), version=__version__)
    atomic_write_json(point_file(root, point.id), row)
    return row


def groupable(config: Any) -> bool:
    """Points of this config that differ only in ``[training] seed`` can train in one
    ``train_many`` program: only ``dfa-photonic`` is trained (no baselines)."""
    return bool(config.run.photonic) and not config.run.baselines


def _train_group(points: list[Any], model: Path) -> tuple[Any, float]:
    import jax

    from photonic_dfa.training.run import resolve_data, train_many

    cfg = points[0].config
    start = time.perf_counter()
    with jax.enable_x64(False):  # as the pipeline's training stage
        many = train_many(
            cfg.training,
            seeds=[p.config.training.seed for p in points],
            mode="dfa-photonic",
            model=model,
            data=resolve_data(cfg.run.data),
            shared_order=False,  # each run shuffles as the single run of its seed
        )
    return many, time.perf_counter() - start


def _hash(obj: Any) -> str:
    import hashlib

    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def run_group(points: list[Any], studydir: str) -> list[dict[str, Any]]:
    """Points whose configs differ only in ``[training] seed`` (see :func:`groupable`): their
    layout, circuits and model once (in ``runs/<first id>``, with the shared cache), their
    trainings as the runs of one ``train_many`` program (all on the validation/test split of the
    first point's seed; the first point's run is its single run). Writes and returns a row per point;
    a failure marks every point of the group failed with its one-line error."""
    from photonic_dfa.network_model.run import enable_compilation_cache
    from photonic_dfa.pipeline import run_pipeline

    enable_compilation_cache()
    root, start = Path(studydir), time.perf_counter()
    rundir = root / "runs" / points[0].id
    rows = [{"id": p.id, **p.values, **identity(p)} for p in points]
    try:
        result = run_pipeline(
            points[0].config,
            rundir,
            log=lambda _line: None,
            shared_cache=root / "cache",
            report=False,
            stop_after="model",
        )
        many, train_s = _train_group(points, rundir / "model" / "photonic_model.npz")
        shared = {
            **_model_columns(rundir),
            "mode": "dfa-photonic",
            "train_s": train_s,
            "train_status": f"train_many ({len(points)} runs, {many.many_runs})",
        }
        key = _read_json(rundir / "model" / "stage.json").get("key")
        for r, (row, p) in enumerate(zip(rows, points, strict=True)):
            for stage in result.stages:  # the group's first point ran them, the others share
                row[f"{stage.name}_s"] = round(stage.seconds, 3) if r == 0 else 0.0
                row[f"{stage.name}_status"] = stage.status if r == 0 else "group"
            best = int(many.best_epoch[r])
            row.update(
                status="ok",
                error=None,
                **shared,
                test_acc=float(many.test_acc[r]),
                val_acc=float(many.history["val_acc"][r, best - 1]),
                best_epoch=best,
                train_s_per_epoch=many.seconds_per_epoch,
                provenance=_hash(
                    {
                        "model": key,
                        "training": p.config.training.model_dump(mode="json"),
                        "run": p.config.run.model_dump(mode="json"),
                    }
                ),
            )
    except Exception as exc:
        rundir.mkdir(parents=True, exist_ok=True)
        (rundir / "error.txt").write_text(traceback.format_exc())
        for row in rows:
            row.update(status="failed", error=_one_line(exc))
    for row in rows:
        row.update(seconds=round(time.perf_counter() - start, 3), version=__version__)
        atomic_write_json(point_file(root, row["id"]), row)
    return rows
