"""Training stage: MLPs on MNIST with backprop, ideal DFA, the paper's noisy DFA, or DFA whose
feedback products come from the extracted photonic chip model (``photonic_model.npz``).

Imports JAX and numpy; from ``network_model`` only ``artifact`` and ``readout`` (the chip's
readout for ``dfa-photonic``, and the fast Gaussian generator for ``dfa-gaussian``) — never
gdsfactory or simphony.
"""

from __future__ import annotations

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

__all__ = [
    "MODES",
    "Checkpoint",
    "DataArrays",
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
