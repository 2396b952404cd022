"""A tiny study (4 rings, 1 bank, one hidden layer of 16, 1 epoch, embedded MNIST subset)."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = """
[layout]
rings = 4
banks = 1

[run]
photonic = {photonic}
baselines = {baselines}

[training]
hidden = [16]
epochs = 1
"""


@pytest.fixture
def tiny_study(tmp_path) -> Path:
    """A 2 × 2 study (learning rate × seed) whose points share layout and circuits."""
    (tmp_path / "base.toml").write_text(TINY.format(photonic="false", baselines='["dfa"]'))
    study = tmp_path / "study.toml"
    study.write_text('base = "base.toml"\nseeds = [1, 2]\n[axes]\n"training.lr" = [0.01, 0.02]\n')
    return study
