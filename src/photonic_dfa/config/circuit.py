"""The ``[circuit]`` section (reserved: filled in by the circuit stage)."""

from __future__ import annotations

from photonic_dfa.config._base import StageConfig

__all__ = ["CircuitConfig"]


class CircuitConfig(StageConfig):
    """Settings of the circuit stage."""
