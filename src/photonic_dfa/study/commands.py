"""``photonic-dfa study``: a sweep of pipeline runs on Dask, its table, plots and report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

__all__ = ["study"]


class _StudyProgress:
    """A rich bar of the points: done / running / failed."""

    def __init__(self, console: Any, total: int, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("points"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task(
            "points", total=total, completed=done, info=f"{done} done"
        )

    def __enter__(self) -> _StudyProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, done: int, running: int, failed: int, total: int) -> None:
        info = f"{done} done, {running} running, {failed} failed"
        self.progress.update(self.task, completed=done + failed, total=total, info=info)


def _finish(study: Any, run: Any, console: Any, report: bool, target_acc: float | None) -> int:
    """Write the table, plots and (optionally) the report; return the number of failed points."""
    from photonic_dfa.study.results import columns, write_plots, write_table

    root = run.studydir
    paths = write_table(run.rows, study.axes, root)
    figures = write_plots(run.rows, study.axes, root, target_acc)
    failed = [r for r in run.rows if r.get("status") != "ok"]
    console.print(
        f"[bold]done[/]: {len(run.rows) - len(failed)} point(s) ok, {len(failed)} failed, "
        f"{run.computed} computed now; results in {paths[0]} and {paths[1].name}"
    )
    for r in failed[:10]:
        console.print(f"  failed {r['id']}: {r.get('error')}", markup=False)
    if report:
        from photonic_dfa.report import write_study_report
        from photonic_dfa.summary import fmt

        cols = [c for c in columns(run.rows, study.axes) if not c.endswith("_status")]
        cols = [c for c in cols if c not in ("error", "provenance", "version")]
        table = [[fmt(r.get(c)) if r.get(c) is not None else "–" for c in cols] for r in run.rows]
        notes = [f"Study file {study.path}; {len(run.rows)} points; axes: {', '.join(study.axes)}."]
        _, html_path = write_study_report(
            root, columns=cols, rows=table, figures=figures, notes=notes
        )
        console.print(f"  report: {html_path}")
    return len(failed)


def study(
    study_file: Path = typer.Argument(..., help="The study TOML (base config, \\[axes], seeds)."),
    outdir: Path = typer.Option(Path("study"), "-o", "--outdir", help="Study directory."),
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Address of a running Dask scheduler (tcp://HOST:8786); "
        "default: a LocalCluster on this machine.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Workers of the LocalCluster (default: one per core)."
    ),
    report: bool = typer.Option(False, "--report", help="Also write report.html / report.md."),
    group_seeds: bool = typer.Option(
        True,
        "--group-seeds/--no-group-seeds",
        help="Train the seeds of points that differ only in the seed in one train_many program "
        "(one task; only when no baselines are trained).",
    ),
    target_acc: float | None = typer.Option(
        None,
        "--target-acc",
        min=0.0,
        max=1.0,
        help="Yield target test accuracy in [0, 1] (default: the best point's − 0.01).",
    ),
) -> None:
    """Sweep pipeline runs over the axes of STUDY_FILE on Dask (shared stages computed once;
    a re-run computes only the missing points); write results.csv / results.parquet and plots.
    Exit status 1 when a point failed (its one-line error is in the summary), 2 on bad input."""
    from rich.console import Console

    from photonic_dfa.study.runner import done_rows, is_done, run_study
    from photonic_dfa.study.spec import load_study

    console = Console(soft_wrap=True, highlight=False)
    spec = load_study(study_file)
    have = done_rows(spec, outdir) if outdir.is_dir() else {}
    done = sum(1 for p in spec.points if is_done(have.get(p.id), p))
    with _StudyProgress(console, len(spec.points), done) as bar:
        run = run_study(
            spec,
            outdir,
            scheduler=scheduler,
            workers=workers,
            progress=bar,
            group_seeds=group_seeds,
            log=lambda line: bar.progress.console.print(line, markup=False),
        )
    if _finish(spec, run, console, report, target_acc):  # every result is written by now
        raise typer.Exit(1)
