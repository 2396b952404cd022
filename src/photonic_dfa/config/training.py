"""The ``[training]`` section: the DFA/BP training protocol.

The defaults are the authors' reference protocol (DESIGN.md, ``Shastri-Lab/dfa_optica_paper``):
784-800-800-10 MLP, ReLU, softmax cross-entropy, SGD lr 0.01 with momentum 0.9, batch 64, 50 epochs,
seed 1, inputs normalised with mean 0.1307 / std 0.3081, the 10k test images split at random into
5k validation / 5k test, and the epoch with the best validation accuracy reported on test.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from photonic_dfa.config._base import StageConfig

__all__ = ["MODES", "Mode", "TrainingConfig"]

Mode = Literal["bp", "dfa", "dfa-gaussian", "dfa-photonic"]
MODES: tuple[str, ...] = ("bp", "dfa", "dfa-gaussian", "dfa-photonic")


class TrainingConfig(StageConfig):
    """Settings of ``photonic-dfa train``.

    Modes: ``bp`` (backpropagation), ``dfa`` (ideal direct feedback alignment, hidden layer ``k``
    gets ``δ_k = (B_k e / √n_k) ⊙ f'(a_k)`` with ``B_k ~ U[-1, 1]``), ``dfa-gaussian`` (the paper's
    per-MAC noise: ``B_k e + max|e| · N(noise_mean, noise_std)`` on every MAC result) and
    ``dfa-photonic`` (``B̃_k e`` through the readout of an extracted ``photonic_model.npz``).
    """

    mode: Mode = Field("dfa", description="training algorithm: bp, dfa, dfa-gaussian, dfa-photonic")
    hidden: tuple[int, ...] = Field(
        (800, 800), min_length=1, max_length=16, description="hidden layer sizes n_k (units)"
    )
    epochs: int = Field(50, ge=1, le=100_000, description="passes over the training set")
    batch_size: int = Field(64, ge=1, le=65_536, description="training mini-batch size (samples)")
    lr: float = Field(0.01, gt=0.0, le=10.0, description="SGD learning rate")
    momentum: float = Field(0.9, ge=0.0, lt=1.0, description="SGD momentum (PyTorch convention)")
    seed: int = Field(1, ge=0, lt=2**31, description="seed of weights, B_k, shuffling and split")
    val_fraction: float = Field(
        0.5, gt=0.0, lt=1.0, description="fraction of the test images used for validation"
    )
    shuffle: bool = Field(True, description="reshuffle the training set every epoch")
    input_mean: float = Field(0.1307, ge=-10.0, le=10.0, description="input normalisation mean")
    input_std: float = Field(0.3081, gt=0.0, le=10.0, description="input normalisation std")
    noise_mean: float = Field(
        0.03, ge=-10.0, le=10.0, description="dfa-gaussian: per-MAC error mean, in units of max|e|"
    )
    noise_std: float = Field(
        0.618, ge=0.0, le=100.0, description="dfa-gaussian: per-MAC error std, in units of max|e|"
    )
    photonic_noise: bool = Field(
        True, description="dfa-photonic: include the readout noise and ADC of the model"
    )
    align_samples: int = Field(
        1000,
        ge=0,
        le=60_000,
        description="training samples used for the DFA-vs-BP alignment angle each epoch (0: off)",
    )
    progress_every: int = Field(
        25, ge=1, le=100_000, description="batches between progress updates (CLI progress bar)"
    )

    @field_validator("hidden")
    @classmethod
    def _check_hidden(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        bad = [n for n in value if not 1 <= n <= 65_536]
        if bad:
            raise ValueError(f"hidden layer sizes must be in [1, 65536], got {bad[0]}")
        return value
