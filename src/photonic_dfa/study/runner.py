"""Run a study's points as Dask tasks: a ``LocalCluster`` by default, or a running cluster.

Each point is one task (:func:`~photonic_dfa.study.point.run_point`); its result lands in
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
from photonic_dfa.study.point import WORKER_ENV, point_file, run_point
from photonic_dfa.study.spec import Study

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


def _gather(
    client: Any,
    futures: dict[Any, Any],
    root: Path,
    total: int,
    done: int,
    progress: Progress | None,
) -> int:
    """Wait for the futures; record a task that Dask gave up on (e.g. its workers kept dying)."""
    from distributed import wait

    pending, failed, computed = set(futures), 0, 0
    keys = {f.key for f in pending}
    while pending:
        try:
            finished, pending = wait(pending, timeout=0.5, return_when="FIRST_COMPLETED")
        except TimeoutError:  # nothing finished within the timeout: refresh the display
            finished = set()
        for fut in finished:
            point = futures[fut]
            computed += 1
            try:
                row = fut.result()
            except Exception as exc:  # the task never finished on any worker
                row = {
                    "id": point.id,
                    **point.values,
                    "status": "failed",
                    "error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                }
                atomic_write_json(point_file(root, point.id), row)
            done += row.get("status") == "ok"
            failed += row.get("status") != "ok"
        if progress is not None:
            keys = {f.key for f in pending}
            progress(done, _running(client, keys, _slots(client)), failed, total)
    return computed


def run_study(
    study: Study,
    studydir: str | os.PathLike[str],
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] = print,
) -> StudyRun:
    """Compute the study's points that have no ``ok`` result in ``studydir``.

    Raises:
        PhotonicDFAError: the scheduler cannot be reached; ``studydir`` is in use (its lock).
    """
    root = ensure_writable_dir(studydir).resolve()
    ensure_writable_dir(root / "points")
    with directory_lock(root):
        atomic_write_json(root / "study.json", _study_record(study))
        have = done_rows(study, root)
        todo = [p for p in study.points if have.get(p.id, {}).get("status") != "ok"]
        log(
            f"{len(study.points)} point(s): {len(study.points) - len(todo)} done, "
            f"{len(todo)} to compute"
        )
        dashboard, computed = None, 0
        if todo:
            client, cluster = connect(scheduler, workers)
            try:
                dashboard = client.dashboard_link
                log(f"Dask dashboard: {dashboard}")
                futures = {
                    client.submit(run_point, p, str(root), key=f"point-{p.id}", pure=False): p
                    for p in todo
                }
                computed = _gather(
                    client,
                    futures,
                    root,
                    len(study.points),
                    len(study.points) - len(todo),
                    progress,
                )
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
        rows = done_rows(study, root)
    return StudyRun(root, [rows[p.id] for p in study.points if p.id in rows], computed, dashboard)


def run_sequential(study: Study, studydir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The same points, one after the other in this process (benchmarks, debugging)."""
    root = ensure_writable_dir(studydir).resolve()
    ensure_writable_dir(root / "points")
    return [run_point(p, str(root)) for p in study.points]


def _study_record(study: Study) -> dict[str, Any]:
    return {
        "study_file": str(study.path),
        "base": str(study.base) if study.base else None,
        "axes": list(study.axes),
        "points": [{"id": p.id, "values": p.values} for p in study.points],
    }
