"""The ``[model]`` section (reserved: filled in by the model stage)."""

from __future__ import annotations

from photonic_dfa.config._base import StageConfig

__all__ = ["ModelConfig"]


class ModelConfig(StageConfig):
    """Settings of the model stage."""
