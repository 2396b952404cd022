"""Training stage: MLPs on MNIST with backprop, ideal DFA, the paper's noisy DFA, or DFA whose
feedback products come from the extracted photonic chip model (``photonic_model.npz``).

Imports JAX and numpy; from ``network_model`` only ``artifact`` and ``readout`` (the chip's
readout for ``dfa-photonic``, and the fast Gaussian generator for ``dfa-gaussian``) — never
gdsfactory or simphony. The public names are loaded on first use, so importing this package (as
the ``photonic-dfa`` command does for its options) does not import JAX.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from photonic_dfa.config.training import MODES, TrainingConfig
    from photonic_dfa.training.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from photonic_dfa.training.data import MnistData, load_mnist, mnist_from_dir, mnist_subset
    from photonic_dfa.training.metrics import summarise
    from photonic_dfa.training.plots import plot_curves
    from photonic_dfa.training.run import (
        ManyResult,
        ProgressEvent,
        TrainResult,
        load_feedback_model,
        train,
        train_many,
    )
    from photonic_dfa.training.trainer import (
        DataArrays,
        DriftFeedback,
        EpochStats,
        Feedback,
        PhotonicReadout,
        Trainer,
        TrainState,
        alignment_angles,
        feedback_signals,
        gradients,
        train_step,
    )

#: public name -> module that defines it
_WHERE = {
    "MODES": "photonic_dfa.config.training",
    "TrainingConfig": "photonic_dfa.config.training",
    "Checkpoint": "photonic_dfa.training.checkpoint",
    "load_checkpoint": "photonic_dfa.training.checkpoint",
    "save_checkpoint": "photonic_dfa.training.checkpoint",
    "MnistData": "photonic_dfa.training.data",
    "load_mnist": "photonic_dfa.training.data",
    "mnist_from_dir": "photonic_dfa.training.data",
    "mnist_subset": "photonic_dfa.training.data",
    "summarise": "photonic_dfa.training.metrics",
    "plot_curves": "photonic_dfa.training.plots",
    "ManyResult": "photonic_dfa.training.run",
    "ProgressEvent": "photonic_dfa.training.run",
    "TrainResult": "photonic_dfa.training.run",
    "load_feedback_model": "photonic_dfa.training.run",
    "train": "photonic_dfa.training.run",
    "train_many": "photonic_dfa.training.run",
    "DataArrays": "photonic_dfa.training.trainer",
    "EpochStats": "photonic_dfa.training.trainer",
    "Feedback": "photonic_dfa.training.trainer",
    "DriftFeedback": "photonic_dfa.training.trainer",
    "PhotonicReadout": "photonic_dfa.training.trainer",
    "Trainer": "photonic_dfa.training.trainer",
    "TrainState": "photonic_dfa.training.trainer",
    "alignment_angles": "photonic_dfa.training.trainer",
    "feedback_signals": "photonic_dfa.training.trainer",
    "gradients": "photonic_dfa.training.trainer",
    "train_step": "photonic_dfa.training.trainer",
}

__all__ = [
    "MODES",
    "Checkpoint",
    "DataArrays",
    "DriftFeedback",
    "EpochStats",
    "Feedback",
    "ManyResult",
    "MnistData",
    "PhotonicReadout",
    "ProgressEvent",
    "TrainResult",
    "TrainState",
    "Trainer",
    "TrainingConfig",
    "alignment_angles",
    "feedback_signals",
    "gradients",
    "load_checkpoint",
    "load_feedback_model",
    "load_mnist",
    "mnist_from_dir",
    "mnist_subset",
    "plot_curves",
    "save_checkpoint",
    "summarise",
    "train",
    "train_many",
    "train_step",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
