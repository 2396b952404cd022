"""Run a study's points as Dask tasks: a ``LocalCluster`` by default, or a running cluster.

Each point is one task (:func:`~photonic_dfa.study.point.run_point`), or points that differ only in
the training seed one task together (:func:`~photonic_dfa.study.point.run_group`: their trainings
are the runs of one ``train_many`` program); a point's result lands in
``STUDYDIR/points/<id>.json`` (atomic), so a re-run computes only the points without an ``ok``
result (failed points are tried again). The stages shared by several points are computed once
through the shared stage cache ``STUDYDIR/cache``. Workers on other machines must see STUDYDIR
at the same path (a shared file system).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photonic_dfa.errors import PhotonicDFAError
from photonic_dfa.io import atomic_write_json, directory_lock, ensure_writable_dir
from photonic_dfa.study.point import (
    WORKER_ENV,
    groupable,
    identity,
    point_file,
    run_group,
    run_point,
)
from photonic_dfa.study.spec import Point, Study

__all__ = ["StudyRun", "connect", "run_study"]

#: ``progress(done, running, failed, total)``
Progress = Callable[[int, int, int, int], None]


@dataclass(frozen=True)
class StudyRun:
    """What :func:`run_study` did: ``rows`` (one per point, in the study's order)."""

    studydir: Path
    rows: list[dict[str, Any]]
    computed: int
    dashboard: str | None


def done_rows(study: Study, studydir: Path) -> dict[str, dict[str, Any]]:
    """The result files of the study's points, by id (any status)."""
    import json

    rows = {}
    for p in study.points:
        try:
            rows[p.id] = json.loads(point_file(studydir, p.id).read_text())
        except (OSError, ValueError):
            continue
    return rows


def is_done(row: dict[str, Any] | None, point: Point) -> bool:
    """``row`` is an ``ok`` result of exactly this point's config."""
    return (
        row is not None
        and row.get("status") == "ok"
        and row.get("config_sha256") == identity(point)["config_sha256"]
    )


def connect(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """``(client, cluster)``: a client of ``scheduler``, or of a new ``LocalCluster`` (processes,
    one thread each, JAX/XLA single-threaded; ``workers`` of them, default one per core).

    Raises:
        PhotonicDFAError: the scheduler cannot be reached (one line naming the address).
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout="5s"), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise PhotonicDFAError(
                f"cannot reach the Dask scheduler at {scheduler!r} ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else 'no answer'}); start one with "
                "`dask scheduler` or leave out --scheduler for a local cluster"
            ) from None
    os.environ.update({k: os.environ.get(k, v) for k, v in WORKER_ENV.items()})
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env=WORKER_ENV,
    )
    return Client(cluster), cluster


def _running(client: Any, keys: set[str], slots: int) -> int:
    """Tasks of ``keys`` the scheduler has on workers (at most ``slots``, the worker threads)."""
    try:
        busy = sum(1 for ks in client.processing().values() for k in ks if k in keys)
    except Exception:  # the scheduler is busy or gone: show none running
        return 0
    return min(busy, slots)


def _slots(client: Any) -> int:
    try:
        return max(1, sum(client.nthreads().values()))
    except Exception:
        return 1


def groups(points: list[Point], group_seeds: bool) -> list[list[Point]]:
    """The tasks: points whose configs differ only in ``[training] seed`` together (with
    ``group_seeds``, where :func:`~photonic_dfa.study.point.groupable`), every other point alone."""
    import json

    tasks: dict[str, list[Point]] = {}
    for p in points:
        if not (group_seeds and groupable(p.config)):
            tasks[p.id] = [p]
            continue
        cfg = p.config.model_dump(mode="json")
        cfg["training"].pop("seed")
        tasks.setdefault(json.dumps(cfg, sort_keys=True), []).append(p)
    return list(tasks.values())


def _lost(points: list[Point], root: Path, exc: Exception) -> list[dict[str, Any]]:
    """Rows of a task that Dask gave up on (e.g. its workers kept dying), written."""
    line = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    rows = [{"id": p.id, **p.values, "status": "failed", "error": line} for p in points]
    for row in rows:
        atomic_write_json(point_file(root, row["id"]), row)
    return rows


def _submit(client: Any, task: list[Point], root: Path) -> Any:
    if len(task) == 1:
        return client.submit(run_point, task[0], str(root), key=f"point-{task[0].id}", pure=False)
    return client.submit(run_group, task, str(root), key=f"group-{task[0].id}", pure=False)


def _gather(
    client: Any,
    futures: dict[Any, list[Point]],
    root: Path,
    total: int,
    done: int,
    progress: Progress | None,
) -> int:
    """Wait for the tasks, showing the progress; returns the points computed."""
    from distributed import wait

    pending, failed, computed = set(futures), 0, 0
    while pending:
        try:
            finished, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished within the timeout: refresh the display
            finished = set()
        for fut in finished:
            try:
                result = fut.result()
            except Exception as exc:  # the task never finished on any worker
                result = _lost(futures[fut], root, exc)
            rows = result if isinstance(result, list) else [result]
            computed += len(rows)
            done += sum(r.get("status") == "ok" for r in rows)
            failed += sum(r.get("status") != "ok" for r in rows)
        if progress is not None:
            busy = _running(client, {f.key for f in pending}, _slots(client))
            largest = max(len(t) for t in futures.values())
            progress(done, min(busy * largest, total - done - failed), failed, total)
    return computed


def run_study(
    study: Study,
    studydir: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] = print,
    group_seeds: bool = True,
) -> StudyRun:
    """Compute the study's points that have no ``ok`` result in ``studydir``; with
    ``group_seeds``, points that differ only in the training seed are one task (see
    :func:`groups`).

    Raises:
        PhotonicDFAError: the scheduler cannot be reached; ``studydir`` is in use (its lock).
    """
    root = ensure_writable_dir(studydir).resolve()
    ensure_writable_dir(root / "points")
    with directory_lock(root):
        atomic_write_json(root / "study.json", _study_record(study))
        have = done_rows(study, root)
        todo = [p for p in study.points if not is_done(have.get(p.id), p)]
        n_done = len(study.points) - len(todo)
        log(f"{len(study.points)} point(s): {n_done} done, {len(todo)} to compute")
        dashboard, computed = None, 0
        if todo:
            client, cluster = connect(scheduler, workers)
            try:
                dashboard = client.dashboard_link
                log(f"Dask dashboard: {dashboard}")
                futures = {_submit(client, t, root): t for t in groups(todo, group_seeds)}
                computed = _gather(client, futures, root, len(study.points), n_done, progress)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
        rows = done_rows(study, root)
    return StudyRun(root, [rows[p.id] for p in study.points if p.id in rows], computed, dashboard)


def run_sequential(
    study: Study, studydir: str | os.PathLike[str], *, group_seeds: bool = True
) -> list[dict[str, Any]]:
    """The same tasks, one after the other in this process (benchmarks, debugging)."""
    root = ensure_writable_dir(studydir).resolve()
    ensure_writable_dir(root / "points")
    rows: list[dict[str, Any]] = []
    for task in groups(list(study.points), group_seeds):
        if len(task) == 1:
            rows.append(run_point(task[0], str(root)))
        else:
            rows += run_group(task, str(root))
    return rows


def _study_record(study: Study) -> dict[str, Any]:
    return {
        "study_file": str(study.path),
        "base": str(study.base) if study.base else None,
        "axes": list(study.axes),
        "points": [{"id": p.id, "values": p.values} for p in study.points],
    }
