"""The training stage of ``photonic-dfa run``: every mode of ``[run]``, each in ``<dir>/<mode>``.

A mode whose run directory holds a checkpoint of exactly these settings (same ``[training]``
values but ``mode``, same photonic model and data) continues from its last complete epoch — a
finished one is re-used as it is; any other run directory (other settings, a corrupt or
inconsistent checkpoint) is removed and trained afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from photonic_dfa.config import Config
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.io import remove_tree

__all__ = ["resumable", "run_training_stage", "train_modes"]


def train_modes(cfg: Config, has_model: bool) -> list[str]:
    """The modes trained: ``dfa-photonic`` (with a model), then ``[run] baselines``."""
    modes = ["dfa-photonic"] if cfg.run.photonic and has_model else []
    return modes + [m for m in cfg.run.baselines if m not in modes]


def resumable(rundir: Path, cfg: Config) -> bool:
    """``rundir`` has a checkpoint whose ``config.json`` has these ``[training]`` values (but
    ``mode``): it can be continued (or, if finished, re-used)."""
    if not (rundir / "checkpoint.npz").is_file():
        return False
    try:
        saved = json.loads((rundir / "config.json").read_text())["training"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    now = cfg.training.model_dump(mode="json")
    return {k: v for k, v in saved.items() if k != "mode"} == {
        k: v for k, v in now.items() if k != "mode"
    }


def remove_dir(path: Path) -> None:
    """Remove an earlier run's directory tree, or fail with one line naming it."""
    remove_tree(
        path, what="the earlier run", advice="remove it yourself or choose another --outdir"
    )


def _train_mode(
    cfg: Config, rundir: Path, kwargs: dict[str, Any], log: Callable[[str], None]
) -> Any:
    from photonic_dfa.training.run import train

    if resumable(rundir, cfg):
        try:
            return train(cfg.training, rundir, resume=True, log=log, **kwargs)
        except (ConfigError, ArtifactError) as exc:  # other model/data, or a corrupt checkpoint
            log(f"{kwargs['mode']}: earlier run not resumable ({exc}); starting afresh")
    remove_dir(rundir)
    return train(cfg.training, rundir, log=log, **kwargs)


def run_training_stage(
    cfg: Config,
    stage_dir: Path,
    model: Path | None,
    log: Callable[[str], None],
    progress: Callable[[str, Any], None] | None = None,
    resume_hint: str = "run_pipeline again",
) -> tuple[dict[str, Path], dict[str, Any]]:
    """Train every mode into ``stage_dir/<mode>``; return the outputs and the stage's summary.

    Args:
        model: ``photonic_model.npz`` (None: no ``dfa-photonic``).
        progress: receives ``(mode, ProgressEvent)``.
        resume_hint: shown when a second Ctrl-C aborts the process.
    """
    from photonic_dfa.training.plots import plot_curves
    from photonic_dfa.training.run import resolve_data
    from photonic_dfa.training.summary import summarise_training

    mnist = resolve_data(cfg.run.data, log=log)
    if mnist.notice:
        log(mnist.notice)
    quiet = {mnist.notice}  # train() repeats the data notice for each mode

    def mode_log(line: str) -> None:
        if line not in quiet:
            log(line)

    results: dict[str, Any] = {}
    outputs: dict[str, Path] = {}
    for mode in train_modes(cfg, model is not None):
        kwargs = {
            "mode": mode,
            "model": model if mode == "dfa-photonic" else None,
            "data": mnist,
            "resume_hint": resume_hint,
            "progress": None if progress is None else (lambda ev, m=mode: progress(m, ev)),
        }
        result = _train_mode(cfg, stage_dir / mode, kwargs, mode_log)
        results[mode] = result
        for name in ("metrics.json", "history.json", "curves.png"):
            outputs[f"{mode}/{name}"] = stage_dir / mode / name
        m = result.metrics
        log(
            f"{mode}: test accuracy {100 * m['test_acc']:.2f} % "
            f"(best validation epoch {m['best_epoch']})"
        )
    histories = {mode: r.history for mode, r in results.items()}
    outputs["curves.png"] = plot_curves(histories, stage_dir / "curves.png", title="training")
    summary = summarise_training(results, mnist, cfg.training.hidden, cfg.training.epochs)
    return outputs, summary
