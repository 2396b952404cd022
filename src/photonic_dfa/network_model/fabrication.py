"""Fabrication variation of the physical weight banks.

Each ring's resonance is offset by a random shift (nm, red positive), independent between rings and
banks, Gaussian with standard deviation ``sigma_nm`` — the short-range, within-die part of the
variation of ring resonances (of order 0.5–1 nm in SOI, Lu et al., Opt. Express 25, 9712 (2017)).
The shifts enter the circuit as extra round-trip phase (``BankCircuit``'s ``shift_nm``); the
calibration compensates them within the heater range (heaters only red-shift, which the channel
plan's blue margin allows for). Systematic width/thickness corners change the couplers themselves;
they are circuits of their own (the circuit stage's corner sweep), not offsets.
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_offsets"]


def draw_offsets(banks: int, rings: int, sigma_nm: float, seed: int) -> np.ndarray:
    """Random resonance offsets ``(banks, rings)`` (nm), ``N(0, sigma_nm²)``; zeros if σ = 0.

    Args:
        banks: physical banks.
        rings: rings per bank.
        sigma_nm: standard deviation (nm).
        seed: seed of a ``numpy.random.Generator`` (explicit, reproducible).
    """
    if sigma_nm <= 0:
        return np.zeros((banks, rings))
    return np.random.default_rng(seed).normal(0.0, sigma_nm, size=(banks, rings))
