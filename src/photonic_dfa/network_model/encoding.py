"""Encoding hardware: the value modulators, the lasers behind them and the balanced detectors.

Pure functions of arrays (JAX or numpy), jittable inside the training scan; the parameters are the
encoding fields of :class:`~photonic_dfa.network_model.artifact.ReadoutParams` (literature values
cited in :mod:`photonic_dfa.config.model`).

Modulator of channel ``j``: the encoder asks for the fraction ``x ∈ [0, 1]`` of the channel's power
(:func:`~photonic_dfa.network_model.readout.encode`); the modulator, driven with ``u ∈ [0, 1]`` of
its swing, transmits ``t(u)`` of its maximum, ``t ∈ [ε, 1]``, ``ε = 10^(−ER/10)``:

* ``ideal``: ``t = u`` (linear, infinite extinction);
* ``mzm``: Mach–Zehnder, biased at null and driven over half a period, ``t = ε + (1 − ε) sin²(πu/2)``;
* ``ring``: a ring modulator's through port, driven from resonance (``u = 0``) to
  ``RING_SWING_HWHM`` half-widths of detuning: ``t ∝ 1 − c / (1 + (a u)²)``, ``c`` set by the ER.

Without pre-distortion the drive is ``u = x`` and the decoder assumes ``t = x``. With the
modulator's own calibration (``predistort_points`` ≥ 2: its transfer measured at that many evenly
spaced drives), the drive is the table's linear interpolation of the inverse transfer at the target
``ε + (1 − ε) x``, and the decoder removes the known floor: ``r' = (r − ε Σ_j B̃_j) / (1 − ε)``. What
remains is the interpolation error of the table.

Lasers: laser ``j`` emits ``10^(σ_P z_j / 10)`` of the nominal power and has
``RIN_j = RIN + σ_RIN z'_j`` (dB/Hz), with ``z, z'`` standard normal draws of ``laser_seed``
(static per chip). The decoder assumes the nominal power on every channel; only its offset bias is
the chip's measured reading of the zero vector (:func:`~photonic_dfa.network_model.readout.offset_bias`).

Balanced detector: responsivities ``R (1 ± δ/2)`` on the drop and through diodes, so channel ``j``
reads ``w_j + (δ/2)(D_j + T_j)`` instead of ``w_j = D_j − T_j``; in units of B the weight gains
``(δ/2) η / s`` (``η``: mean ``D + T``, ``s``: weight scale). The weight calibration does not see it
(it is modelled as a mismatch of the readout detector against the calibration's reference); the
offset decoder's measured bias removes its common-mode part.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from photonic_dfa.network_model.artifact import MODULATORS

__all__ = [
    "MODULATORS",
    "RING_SWING_HWHM",
    "detected_weights",
    "extinction_floor",
    "floor_correction",
    "laser_power_factors",
    "laser_rin_factors",
    "modulator_drive",
    "modulator_transfer",
    "optical_amplitudes",
]

#: drive swing of a ring modulator, in half-widths at half maximum of its resonance
RING_SWING_HWHM = 2.0


def _xp(a: Any) -> Any:
    return np if isinstance(a, np.ndarray) and not isinstance(a, jax.Array) else jnp


def extinction_floor(er_dB: Any) -> Any:
    """``ε = 10^(−ER/10)``: the lowest transmitted fraction of a modulator of ER ``er_dB`` (dB)."""
    return 10.0 ** (-er_dB / 10.0)


def modulator_transfer(u: Any, kind: str, er_dB: Any) -> Any:
    """Transmitted fraction ``t(u)`` of the modulator's maximum for drives ``u ∈ [0, 1]`` (any
    shape); increasing in ``u``, ``t(0) = ε``, ``t(1) = 1`` (``ideal``: ``t = u``)."""
    xp = _xp(u)
    if kind == "ideal":
        return u
    eps = extinction_floor(er_dB)
    if kind == "mzm":
        return eps + (1.0 - eps) * xp.sin(0.5 * np.pi * u) ** 2
    lor1 = 1.0 / (1.0 + RING_SWING_HWHM**2)
    c = (1.0 - eps) / (1.0 - eps * lor1)
    return (1.0 - c / (1.0 + (RING_SWING_HWHM * u) ** 2)) / (1.0 - c * lor1)


def modulator_drive(x: Any, kind: str, er_dB: Any, points: int) -> Any:
    """Drive ``u`` for the requested fractions ``x``: ``x`` itself without pre-distortion
    (``points`` = 0 or an ideal modulator), else the calibration table's inverse at
    ``ε + (1 − ε) x`` (``points`` measured drives, linear interpolation)."""
    if kind == "ideal" or points < 2:
        return x
    xp = _xp(x)
    grid = xp.linspace(0.0, 1.0, points).astype(x.dtype)  # float32 stays float32 under x64
    table = modulator_transfer(grid, kind, er_dB)  # measured transfer, increasing
    eps = extinction_floor(er_dB)
    return xp.interp(eps + (1.0 - eps) * x, table, grid)


def _unit_normals(seed: int, n: int, which: int) -> np.ndarray:
    """``(n,)`` standard normals, the ``which``-th stream of ``seed`` (static per chip)."""
    return np.random.default_rng([seed, which]).standard_normal(n)


def laser_power_factors(params: Any, n: int) -> Any:
    """``(n,)`` power of each laser relative to the nominal one: ``10^(σ_P z_j / 10)``."""
    z = _unit_normals(params.laser_seed, n, 0).astype(np.float32)
    return 10.0 ** (params.laser_spread_dB * z / 10.0)


def laser_rin_factors(params: Any, n: int) -> Any:
    """``(n,)`` RIN of each laser relative to ``rin_dB_Hz``: ``10^(σ_RIN z'_j / 10)``."""
    z = _unit_normals(params.laser_seed, n, 1).astype(np.float32)
    return 10.0 ** (params.laser_rin_spread_dB * z / 10.0)


def optical_amplitudes(x: Any, params: Any) -> Any:
    """Power actually on each channel ``(..., N)``, in units of the nominal channel power, for the
    requested fractions ``x`` ``(..., N)``: laser factor × modulator transfer of the drive."""
    u = modulator_drive(x, params.modulator, params.modulator_er_dB, params.predistort_points)
    t = modulator_transfer(u, params.modulator, params.modulator_er_dB)
    return t * laser_power_factors(params, x.shape[-1])


def detected_weights(B: Any, params: Any) -> Any:
    """Weights ``(n_k, N)`` (units of B) as the mismatched balanced detector reads them:
    ``B̃ + (δ/2) η / s``."""
    return B + 0.5 * params.bpd_mismatch * params.transmission_sum / params.weight_scale


def floor_correction(params: Any) -> tuple[bool, Any]:
    """``(applies, ε)``: whether the decoder removes a known extinction floor ``ε`` (only with
    pre-distortion of a non-ideal modulator)."""
    on = params.modulator != "ideal" and params.predistort_points >= 2
    return on, extinction_floor(params.modulator_er_dB) if on else 0.0
