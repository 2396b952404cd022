"""Orchestration of a training run: data, model, compiled epochs, checkpoints and the RUNDIR files.

RUNDIR after a run::

    config.json      the [training] values, mode, data and model provenance (sha256)  — at start
    status.json      {"status": "running" | "interrupted" | "failed" | "complete", ...}  — each epoch
    history.json     per epoch: loss, accuracies, seconds, DFA-vs-BP alignment angle  — each epoch
    checkpoint.npz   the whole training state (atomic)                                  — each epoch
    metrics.json     best-validation epoch and its test accuracy                        — at the end
    model_best.npz   the parameters of the best-validation epoch                        — at the end
    curves.png       loss / error / alignment curves                                     — at the end

``metrics.json`` exists only once a run is complete, so an interrupted or failed run never looks
finished. The first Ctrl-C stops after the current epoch (its checkpoint written), a second one aborts
at once; in both cases the last checkpoint is a complete epoch and ``--resume`` continues
bit-identically.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from photonic_dfa.config import config_hash, validate_section
from photonic_dfa.config.training import TrainingConfig
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.io import atomic_path, atomic_write_json, ensure_writable_dir, sha256_file
from photonic_dfa.training.checkpoint import load_checkpoint, save_checkpoint
from photonic_dfa.training.data import MnistData, load_mnist, split_holdout
from photonic_dfa.training.interrupt import graceful_sigint
from photonic_dfa.training.metrics import epoch_record, summarise
from photonic_dfa.training.trainer import (
    MANY_RUNS,
    DataArrays,
    Feedback,
    PhotonicReadout,
    Trainer,
    TrainState,
)

__all__ = [
    "ManyResult",
    "ProgressEvent",
    "TrainResult",
    "device_data",
    "device_data_split",
    "load_feedback_model",
    "resolve_data",
    "train",
    "train_many",
]

#: config keys that may differ when resuming (they do not change the trajectory)
_RESUMABLE_CHANGES = frozenset({"epochs", "progress_every"})


@dataclass(frozen=True)
class ProgressEvent:
    """What a progress display receives.

    ``kind``: ``"start"`` (before the first epoch of this call), ``"batch"`` (every
    ``progress_every`` batches; ``loss``/``acc`` are running means of the epoch), ``"epoch"`` (after
    an epoch: ``record`` is its ``history.json`` entry) or ``"compile"`` (first epoch being compiled).
    """

    kind: str
    epoch: int
    epochs: int
    batch: int = 0
    n_batches: int = 0
    loss: float = float("nan")
    acc: float = float("nan")
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class TrainResult:
    """The outcome of :func:`train`: ``metrics`` is ``metrics.json``, ``history`` ``history.json``."""

    outdir: Path
    config: TrainingConfig
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def test_acc(self) -> float:
        """Test accuracy of the best-validation epoch."""
        return float(self.metrics["test_acc"])


@dataclass(frozen=True)
class ManyResult:
    """The outcome of :func:`train_many`: per run (leading axis ``R``) and per epoch.

    Attributes:
        labels: one dict per run (``seed`` and/or ``noise_std``).
        history: ``{name: (R, epochs)}`` arrays of the :class:`EpochStats` fields
            (``align_deg``: ``(R, epochs, K)``); with drift also ``drift_error_B_mean``,
            ``drift_recalibrations`` and ``drift_recal_time_s`` of the chip's temperature trace
            (the same for every run: all runs train on one chip).
        test_acc: ``(R,)`` test accuracy at each run's best-validation epoch.
        best_epoch: ``(R,)`` 1-based.
        seconds_per_epoch: wall time of one epoch of all runs, median, compile excluded.
        compile_seconds: time of the first (compiling) epoch call.
        many_runs: how the runs shared the program: ``unroll`` or ``vmap`` (see :class:`Trainer`).
    """

    labels: list[dict[str, Any]]
    history: dict[str, np.ndarray]
    test_acc: np.ndarray
    best_epoch: np.ndarray
    seconds_per_epoch: float
    compile_seconds: float
    many_runs: str


# ---------------------------------------------------------------------------------------------
# inputs


def resolve_data(
    data: MnistData | str | os.PathLike[str] | None, *, log: Callable[[str], None] | None = None
) -> MnistData:
    """``MnistData`` as given, else :func:`load_mnist` from a directory or the default sources."""
    if isinstance(data, MnistData):
        return data
    return load_mnist(data, log=log)


def device_data(mnist: MnistData, val_fraction: float, seed: int) -> DataArrays:
    """Split the held-out images into validation/test (seeded) and put everything on the device."""
    val_idx, test_idx = split_holdout(len(mnist.test_labels), val_fraction, seed)
    return device_data_split(mnist, val_idx, test_idx)


def device_data_split(mnist: MnistData, val_idx: np.ndarray, test_idx: np.ndarray) -> DataArrays:
    """Everything on the device, with the held-out images split at the given indices (e.g. another
    framework's split, to compare two trainers on the same validation and test images)."""
    arrays = (
        mnist.train_images,
        mnist.train_labels,
        mnist.test_images[val_idx],
        mnist.test_labels[val_idx],
        mnist.test_images[test_idx],
        mnist.test_labels[test_idx],
    )
    return DataArrays(*(jax.device_put(np.ascontiguousarray(a)) for a in arrays))


def load_feedback_model(
    config: TrainingConfig, model: str | os.PathLike[str] | None
) -> tuple[Any, PhotonicReadout | None, dict[str, Any]]:
    """Load ``photonic_model.npz`` for the mode (or nothing), with its provenance.

    Returns:
        ``(photonic_model or None, readout or None, provenance dict)``. ``dfa-photonic`` uses
        ``B_realised`` through the model's readout; ``dfa``/``dfa-gaussian`` with a model use its
        ``B_ideal`` as ``B`` (the same matrices the chip was calibrated to); ``bp`` ignores it.

    Raises:
        ConfigError: ``dfa-photonic`` without a model.
        ArtifactError: the model is missing, corrupt, or made for other hidden sizes.
    """
    if config.mode == "dfa-photonic" and model is None:
        raise ConfigError(
            "--mode dfa-photonic needs the extracted chip model: pass --model photonic_model.npz"
        )
    if model is None or config.mode == "bp":
        return None, None, {"model": None}
    path = Path(model)
    if not path.is_file():
        raise ArtifactError(f"photonic model {str(path)!r} does not exist")
    from photonic_dfa.network_model.artifact import load_photonic_model

    pm = load_photonic_model(path, hidden=config.hidden, n_outputs=10)
    prov = {
        "model": {
            "path": str(path.resolve()),
            "sha256": sha256_file(path),
            "hidden": list(pm.hidden),
            "provenance": pm.provenance,
            "readout": pm.readout.to_dict(),
        }
    }
    readout = None
    if config.mode == "dfa-photonic":
        from photonic_dfa.network_model.readout import photonic_feedback

        readout = PhotonicReadout(
            fn=photonic_feedback, params=pm.readout, noise=config.photonic_noise
        )
    return pm, readout, prov


def _feedback_matrices(config: TrainingConfig, pm: Any) -> tuple[np.ndarray, ...] | None:
    if pm is None:
        return None
    return tuple(pm.B_realised if config.mode == "dfa-photonic" else pm.B_ideal)


def _resolve_config(
    config: TrainingConfig | None, mode: str | None, overrides: dict[str, Any]
) -> TrainingConfig:
    values = (config or TrainingConfig()).model_dump()
    if mode is not None:
        values["mode"] = mode
    values.update({k: v for k, v in overrides.items() if v is not None})
    return validate_section(TrainingConfig, values, section="training")


# ---------------------------------------------------------------------------------------------
# one run


def _write_status(outdir: Path, status: str, epochs_done: int, epochs: int, **extra: Any) -> None:
    atomic_write_json(
        outdir / "status.json",
        {
            "status": status,
            "epochs_done": epochs_done,
            "epochs": epochs,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **extra,
        },
    )


def _save_params(path: Path, params: Any) -> None:
    arrays = {}
    for i, (w, b) in enumerate(params):
        arrays[f"W_{i}"] = np.asarray(w)
        arrays[f"b_{i}"] = np.asarray(b)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]  # numpy's stub: allow_pickle


def train(
    config: TrainingConfig | None = None,
    outdir: str | os.PathLike[str] = "run",
    *,
    mode: str | None = None,
    model: str | os.PathLike[str] | None = None,
    data: MnistData | str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: Callable[[ProgressEvent], None] | None = None,
    log: Callable[[str], None] | None = None,
    plot: bool = True,
    resume_hint: str = "train(..., resume=True)",
    **overrides: Any,
) -> TrainResult:
    """Train one network and write RUNDIR (see the module docstring).

    Args:
        config: the ``[training]`` section (defaults: the reference protocol).
        outdir: RUNDIR; must not already hold a run unless ``resume``.
        mode: overrides ``config.mode`` (``bp``, ``dfa``, ``dfa-gaussian``, ``dfa-photonic``).
        model: ``photonic_model.npz`` (required by ``dfa-photonic``).
        data: ``MnistData``, a directory with the IDX files, or None for the default sources.
        resume: continue from ``outdir/checkpoint.npz`` (bit-identical to an uninterrupted run).
        progress: receives :class:`ProgressEvent` s.
        log: receives one-line notices (data source, resume).
        plot: write ``curves.png`` at the end.
        resume_hint: how to resume, for the line printed when a second Ctrl-C aborts the run.
        **overrides: ``[training]`` keys to replace (``epochs=``, ``hidden=``, ``seed=``; None ignored).

    Returns:
        The metrics and history. On Ctrl-C the run stops after the epoch in progress, writes its
        checkpoint and ``status.json`` = interrupted, then raises ``KeyboardInterrupt``; a second
        Ctrl-C writes ``status.json`` = interrupted, prints ``interrupted: …`` with
        ``resume_hint`` and ends the process with status 130 at once.

    Raises:
        ConfigError, DataError, ArtifactError: one-line, before anything in ``outdir`` is changed.
    """
    log = log or (lambda _msg: None)
    cfg = _resolve_config(config, mode, overrides)
    out = Path(outdir)
    resume = _check_outdir(out, resume, log)
    pm, readout, model_prov = load_feedback_model(cfg, model)
    mnist = resolve_data(data, log=log)
    if mnist.notice:
        log(mnist.notice)
    out = ensure_writable_dir(out)

    def on_batch(epoch: int, batch: int, nb: int, loss: float, acc: float) -> None:
        if progress is not None:
            progress(ProgressEvent("batch", epoch + 1, cfg.epochs, batch, nb, loss, acc))

    trainer = Trainer(cfg, readout=readout, on_batch=on_batch if progress else None)
    state, fb = trainer.init(B=_feedback_matrices(cfg, pm))
    history: list[dict[str, Any]] = []
    provenance = {
        **model_prov,
        "data": mnist.provenance(),
        "config_sha256": config_hash(cfg),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
    }
    if resume:
        state, fb, history = _resume(out, cfg, provenance, state, fb, log)
        if len(history) >= cfg.epochs and (out / "metrics.json").is_file():
            metrics = _read_json(out / "metrics.json")
            return TrainResult(out, cfg, metrics, history, provenance)
        (out / "metrics.json").unlink(missing_ok=True)
    atomic_write_json(
        out / "config.json",
        {"training": cfg.model_dump(mode="json"), "provenance": provenance},
    )
    run = _EpochLoop(out, cfg, trainer, fb, provenance, history, progress, resume_hint)
    run.drift = _drift_of(cfg, pm, trainer.n_batches(int(mnist.train_labels.shape[0])))
    state = run.run(state, device_data(mnist, cfg.val_fraction, cfg.seed), mnist)
    metrics = {"mode": cfg.mode, "hidden": list(cfg.hidden), **summarise(history)}
    if pm is not None and cfg.mode == "dfa-photonic":
        metrics["model_sha256"] = provenance["model"]["sha256"]
    _save_params(out / "model_best.npz", state.best_params)
    if plot:
        from photonic_dfa.training.plots import plot_curves

        plot_curves({f"{cfg.mode}": history}, out / "curves.png", title=str(out.name))
    atomic_write_json(out / "metrics.json", {**metrics, "provenance": provenance})
    _write_status(out, "complete", len(history), cfg.epochs)
    return TrainResult(out, cfg, metrics, history, provenance)


def _check_outdir(out: Path, resume: bool, log: Callable[[str], None]) -> bool:
    """Refuse a directory that holds a run unless resuming; returns whether to resume (not when
    the run to resume has no completed epoch yet)."""
    ckpt_path = out / "checkpoint.npz"
    existing = [n for n in ("checkpoint.npz", "metrics.json", "status.json") if (out / n).exists()]
    if existing and not resume:
        raise ConfigError(
            f"output directory {str(out)!r} already holds a run ({existing[0]}); pass --resume to "
            f"continue it or choose another directory"
        )
    if resume and not ckpt_path.is_file():
        if not (out / "status.json").is_file():
            raise ArtifactError(f"cannot resume: {str(ckpt_path)!r} does not exist")
        log(f"{str(out)!r} has no completed epoch to resume: starting from scratch")
        return False
    return resume


def _resume(
    out: Path,
    cfg: TrainingConfig,
    provenance: dict[str, Any],
    state: Any,
    fb: Any,
    log: Callable[[str], None],
) -> tuple[Any, Any, list[dict[str, Any]]]:
    """The state, feedback matrices and history of ``out/checkpoint.npz`` (checked against this
    configuration and provenance)."""
    ckpt_path = out / "checkpoint.npz"
    ck = load_checkpoint(ckpt_path, state)
    _check_resume(ck.meta, cfg, provenance, str(ckpt_path))
    history = list(ck.meta.get("history", []))
    if len(history) != int(ck.state.epoch):
        raise ArtifactError(
            f"checkpoint {str(ckpt_path)!r} is inconsistent: {len(history)} history entries "
            f"for {int(ck.state.epoch)} epochs"
        )
    log(f"resuming {str(out)!r} after epoch {len(history)} of {cfg.epochs}")
    return ck.state, fb._replace(B=tuple(jnp.asarray(b) for b in ck.B)), history


def _drift_of(cfg: TrainingConfig, pm: Any, n_batches: int) -> Any:
    """``(DriftFeedback, DriftClock)`` of a photonic model with drift (``dfa-photonic``), else
    None."""
    if cfg.mode != "dfa-photonic" or pm is None or not pm.drift_jac:
        return None
    from photonic_dfa.network_model.drift import DriftClock, DriftParams, drift_gram
    from photonic_dfa.training.trainer import DriftFeedback

    params = DriftParams.from_dict(pm.drift)
    if not params.active:
        return None
    jac = np.concatenate([j.reshape(-1, *j.shape[2:]) for j in pm.drift_jac])
    bank = np.concatenate([b.reshape(-1) for b in pm.tile_bank])
    gram = drift_gram(jac.astype(np.float64), bank, pm.readout.banks)
    feedback = DriftFeedback(
        jac=tuple(jnp.asarray(j) for j in pm.drift_jac),
        tile_bank=tuple(jnp.asarray(b) for b in pm.tile_bank),
    )
    return feedback, DriftClock(params, gram, n_batches)


@dataclass
class _EpochLoop:
    """The epochs of one run: each one compiled epoch, then its checkpoint, history and status
    written; Ctrl-C stops after the epoch in progress, a second one at once."""

    out: Path
    cfg: TrainingConfig
    trainer: Trainer
    fb: Any
    provenance: dict[str, Any]
    history: list[dict[str, Any]]
    progress: Callable[[ProgressEvent], None] | None
    resume_hint: str
    drift: Any = None  # (DriftFeedback, DriftClock) of a chip with drift, or None

    def run(self, state: Any, dev: Any, mnist: MnistData) -> Any:
        cfg, out = self.cfg, self.out
        if self.drift is not None:
            self.drift[1].skip(len(self.history))
        if self.progress is not None:
            n_batches = self.trainer.n_batches(int(mnist.train_labels.shape[0]))
            self.progress(ProgressEvent("start", len(self.history), cfg.epochs, 0, n_batches))
        _write_status(out, "running", len(self.history), cfg.epochs)
        try:
            with graceful_sigint(self._on_abort) as stop:
                while len(self.history) < cfg.epochs:
                    state = self._epoch(state, dev)
                    if stop.is_set() and len(self.history) < cfg.epochs:
                        raise KeyboardInterrupt
        except KeyboardInterrupt:
            _write_status(out, "interrupted", len(self.history), cfg.epochs, resume="--resume")
            raise
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            _write_status(out, "failed", len(self.history), cfg.epochs, error=error)
            raise
        return state

    def _epoch(self, state: Any, dev: Any) -> Any:
        cfg, out = self.cfg, self.out
        t0 = time.perf_counter()
        if self.drift is None:
            state, stats = self.trainer.epoch(state, self.fb, dev)
        else:
            sch = self.drift[1].next_epoch()
            state, stats = self.trainer.epoch(state, self.fb, dev, self.drift[0], sch.dT)
        stats = jax.device_get(stats)
        record = epoch_record(len(self.history) + 1, stats._asdict(), time.perf_counter() - t0)
        if self.drift is not None:
            p = self.drift[1].params
            record["drift_error_B_mean"] = float(np.mean(sch.error_B))
            record["drift_recalibrations"] = int(sch.recal_steps.size)
            record["drift_recal_time_s"] = float(sch.recal_steps.size * p.recal_time_s)
        self.history.append(record)
        meta = {
            "training": cfg.model_dump(mode="json"),
            "provenance": self.provenance,
            "history": self.history,
        }
        save_checkpoint(out / "checkpoint.npz", state, self.fb, meta)
        atomic_write_json(out / "history.json", {"mode": cfg.mode, "epochs": self.history})
        _write_status(out, "running", len(self.history), cfg.epochs)
        if self.progress is not None:
            self.progress(ProgressEvent("epoch", len(self.history), cfg.epochs, record=record))
        return state

    def _on_abort(self) -> None:
        done = len(self.history)
        _write_status(self.out, "interrupted", done, self.cfg.epochs, resume="--resume")
        sys.stderr.write(
            f"interrupted: aborted during epoch {done + 1}; {str(self.out)!r} keeps "
            f"{done} complete epoch(s); resume with: {self.resume_hint}\n"
        )


def _read_json(path: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"{str(path)!r} is unreadable: {exc}") from None


def _check_resume(
    meta: dict[str, Any], cfg: TrainingConfig, prov: dict[str, Any], where: str
) -> None:
    saved = meta.get("training", {})
    now = cfg.model_dump(mode="json")
    diff = sorted(
        k
        for k in set(saved) | set(now)
        if k not in _RESUMABLE_CHANGES and saved.get(k) != now.get(k)
    )
    if diff:
        k = diff[0]
        raise ConfigError(
            f"cannot resume {where!r}: training.{k} was {saved.get(k)!r}, now {now.get(k)!r} "
            f"(only {', '.join(sorted(_RESUMABLE_CHANGES))} may change)"
        )
    old_model = (meta.get("provenance", {}).get("model") or {}).get("sha256")
    new_model = (prov.get("model") or {}).get("sha256")
    if old_model != new_model:
        raise ArtifactError(
            f"cannot resume {where!r}: it was trained with photonic model sha256 {old_model}, "
            f"now {new_model}"
        )
    old_data = meta.get("provenance", {}).get("data", {})
    if old_data and (old_data.get("md5"), old_data.get("n_train")) != (
        prov["data"].get("md5"),
        prov["data"].get("n_train"),
    ):
        raise ConfigError(
            f"cannot resume {where!r}: the training data differ from the checkpoint's"
        )


# ---------------------------------------------------------------------------------------------
# many runs in one compiled program


def _runs(
    cfg: TrainingConfig,
    seeds: Sequence[int] | None,
    noise_stds: Sequence[float] | None,
    many_runs: str,
) -> tuple[list[int], list[float]]:
    """The seed and noise std of each run (a single value broadcast to all), checked."""
    n_runs = max(len(seeds or ()), len(noise_stds or ()), 1)
    out_seeds = list(seeds) if seeds else [cfg.seed] * n_runs
    stds = list(noise_stds) if noise_stds else [cfg.noise_std] * n_runs
    if len(out_seeds) == 1:
        out_seeds = out_seeds * n_runs
    if len(stds) == 1:
        stds = stds * n_runs
    if len(out_seeds) != n_runs or len(stds) != n_runs:
        raise ConfigError(
            f"train_many: {len(out_seeds)} seeds and {len(stds)} noise_stds differ in count"
        )
    if any(s < 0 for s in stds):
        raise ConfigError(f"train_many: noise_stds must be >= 0, got {min(stds)}")
    if many_runs not in MANY_RUNS:
        raise ConfigError(
            f"train_many: many_runs must be one of {', '.join(MANY_RUNS)}, got {many_runs!r}"
        )
    return out_seeds, stds


def _epoch_many(
    trainer: Trainer,
    state: Any,
    fb: Any,
    dev: Any,
    order_key: Any,
    drift: Any,
    n_runs: int,
) -> tuple[Any, dict[str, np.ndarray]]:
    """One epoch of all runs and its host stats ``{name: (R, ...)}``. With drift (``(DriftFeedback,
    DriftClock)``), all runs train on the same chip: one temperature trace, its stats (as a single
    run's ``drift_*`` history entries) repeated per run."""
    if drift is None:
        state, stats = trainer.epoch_many(state, fb, dev, order_key=order_key)
        return state, {k: np.asarray(v) for k, v in jax.device_get(stats)._asdict().items()}
    sch = drift[1].next_epoch()
    state, stats = trainer.epoch_many(
        state, fb, dev, order_key=order_key, drift=drift[0], dT=sch.dT
    )
    host = {k: np.asarray(v) for k, v in jax.device_get(stats)._asdict().items()}
    n_recal = int(sch.recal_steps.size)
    chip = {
        "drift_error_B_mean": float(np.mean(sch.error_B)),
        "drift_recalibrations": n_recal,
        "drift_recal_time_s": float(n_recal * drift[1].params.recal_time_s),
    }
    host.update({k: np.full(n_runs, v) for k, v in chip.items()})
    return state, host


def train_many(
    config: TrainingConfig | None = None,
    *,
    seeds: Sequence[int] | None = None,
    noise_stds: Sequence[float] | None = None,
    mode: str | None = None,
    model: str | os.PathLike[str] | None = None,
    data: MnistData | str | os.PathLike[str] | None = None,
    log: Callable[[str], None] | None = None,
    on_epoch: Callable[[int, dict[str, np.ndarray]], None] | None = None,
    shared_order: bool = True,
    many_runs: str = "auto",
    **overrides: Any,
) -> ManyResult:
    """Train ``R`` networks at once: one compiled program runs an epoch of all of them.

    Runs differ by seed (weights, ``B_k``, shuffling, noise) and/or by the ``dfa-gaussian`` noise
    std; with both given they are paired (same length) — broadcast a single value to vary only one.
    All runs share the data on the device and the validation/test split of ``config.seed``.
    With a drifting chip (``dfa-photonic``, a model with drift) all runs train on that one chip:
    the same ring-temperature trace and recalibrations (one clock), inside the one program.

    Args:
        seeds: per run; default ``config.seed`` for all.
        noise_stds: per run ``dfa-gaussian`` per-MAC error std (units of ``max|e|``).
        on_epoch: called after each epoch with the epoch number and the host stats ``{name: (R,...)}``.
        shared_order: all runs see the batches in the order of the single run of ``config.seed``
            (common random numbers; faster: the input batch is shared). False: each run shuffles
            with its own seed, exactly like a single run of that seed.
        many_runs: ``unroll``, ``vmap`` or ``auto`` (unroll on a CPU, vmap on a GPU); see
            :class:`~photonic_dfa.training.trainer.Trainer`.

    Returns:
        :class:`ManyResult`. Each run equals the corresponding single :func:`train` run (of its seed,
        or with ``shared_order`` of its seed where that is ``config.seed``): exactly when unrolled,
        up to floating-point reassociation of the batched matrix products under ``vmap``.
    """
    cfg = _resolve_config(config, mode, overrides)
    seeds, stds = _runs(cfg, seeds, noise_stds, many_runs)
    n_runs = len(seeds)
    pm, readout, _ = load_feedback_model(cfg, model)
    mnist = resolve_data(data, log=log)
    if mnist.notice and log:
        log(mnist.notice)
    trainer = Trainer(cfg, readout=readout, many_runs=many_runs)
    inits = [trainer.init(seed=s, B=_feedback_matrices(cfg, pm)) for s in seeds]
    state: TrainState = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[s for s, _ in inits])
    fb: Feedback = jax.tree_util.tree_map(lambda *x: jnp.stack(x), *[f for _, f in inits])
    fb = fb._replace(noise_std=jnp.asarray(stds, jnp.float32))
    dev = device_data(mnist, cfg.val_fraction, cfg.seed)
    order_key = trainer.init(seed=cfg.seed)[0].key if shared_order else None
    drift = _drift_of(cfg, pm, trainer.n_batches(int(mnist.train_labels.shape[0])))
    records: list[dict[str, np.ndarray]] = []
    times = []
    for ep in range(cfg.epochs):
        t0 = time.perf_counter()
        state, host = _epoch_many(trainer, state, fb, dev, order_key, drift, n_runs)
        times.append(time.perf_counter() - t0)
        records.append(host)
        if on_epoch is not None:
            on_epoch(ep + 1, host)
    hist = {k: np.stack([r[k] for r in records], axis=1) for k in records[0]}
    val = np.where(np.isnan(hist["val_acc"]), -1.0, hist["val_acc"])
    best = np.argmax(val, axis=1)
    test = hist["test_acc"][np.arange(n_runs), best]
    labels = [{"seed": int(s), "noise_std": float(n)} for s, n in zip(seeds, stds, strict=True)]
    return ManyResult(
        labels=labels,
        history=hist,
        test_acc=test,
        best_epoch=best + 1,
        seconds_per_epoch=float(np.median(times[1:])) if len(times) > 1 else float(times[0]),
        compile_seconds=float(times[0]),
        many_runs=trainer.many_runs,
    )
