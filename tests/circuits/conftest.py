"""Fixtures of the circuit-stage tests (float64 JAX for comparisons at 1e-9)."""

from __future__ import annotations

import jax
import pytest

from circuits.circuit_helpers import make_bank
from photonic_dfa.config import CircuitConfig


@pytest.fixture
def x64():
    """Run the test with 64-bit JAX (restored afterwards; nothing global leaks)."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="session")
def default_bank():
    return make_bank()


@pytest.fixture(scope="session")
def cfg():
    return CircuitConfig()
