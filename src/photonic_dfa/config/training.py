"""The ``[training]`` section (reserved: filled in by the training stage)."""

from __future__ import annotations

from photonic_dfa.config._base import StageConfig

__all__ = ["TrainingConfig"]


class TrainingConfig(StageConfig):
    """Settings of the training stage."""
