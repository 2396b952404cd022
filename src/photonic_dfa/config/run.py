"""The ``[run]`` section: what ``photonic-dfa run`` does beyond the stage sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from photonic_dfa.config._base import StageConfig

__all__ = ["RunConfig"]


class RunConfig(StageConfig):
    """Options of the whole-pipeline command.

    ``photonic-dfa run`` trains ``dfa-photonic`` with the extracted model and, as baselines, the
    modes in ``baselines`` (default: ideal ``dfa`` and backprop ``bp``; ``[]`` disables them).
    """

    baselines: tuple[Literal["dfa", "bp", "dfa-gaussian"], ...] = Field(
        ("dfa", "bp"), description="training modes run beside dfa-photonic"
    )
    photonic: bool = Field(True, description="train dfa-photonic with the extracted model")
    data: str | None = Field(
        None,
        description="MNIST directory (IDX .gz files); default: the loader's search order",
    )
