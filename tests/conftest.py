"""Shared fixtures: paths to the full MNIST beside the checkout (optional)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


@pytest.fixture(autouse=True)
def _quiet_matplotlib(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def full_mnist_dir() -> Path:
    """The full MNIST (../shared/data/mnist); tests that need it skip when it is absent."""
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"full MNIST not found at {SHARED_MNIST} (../shared is optional)")
    return SHARED_MNIST


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")
