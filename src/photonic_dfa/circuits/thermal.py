"""Heater model: power → temperature rise → effective-index change → ring phase, with crosstalk.

For the heaters of one bank (powers ``P`` in mW, shape ``(..., N)``)::

    ΔT = Z_th · K · P                      (K)      K_ik = exp(−d_ik / ℓ), K_ii = 1
    Δn_eff = (dn_eff/dT) · ΔT
    Δφ_i(λ) = 2π · Δn_eff,i · L_heater,i / λ   (rad, added to ring i's round trip)

``d_ik`` is the distance between the centroids of heater ``i`` and ``k`` (from ``layout.json``), ``ℓ``
the crosstalk length (``ℓ = 0`` gives ``K = I``), ``Z_th`` the thermal impedance (K/mW). Rows of
``K`` are the ring that receives the heat. :func:`crosstalk_matrix` is numpy (built once, outside
jit); :func:`phase_to_shift_nm` is JAX; the others compute with JAX for JAX inputs (jit/vmap/grad)
and with numpy for numpy inputs.

A phase Δφ added to a round trip of group delay ``τ = n_g L / c`` moves a resonance by
``Δλ = λ² Δφ / (2π n_g L)``, so the heater's own tuning slope is
``dλ/dP = λ (dn_eff/dT) Z_th L_heater / (n_g L)`` (nm/mW with λ in nm).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from photonic_dfa.circuits.models import _xp

__all__ = [
    "crosstalk_matrix",
    "heater_slope_nm_per_mW",
    "phase_to_shift_nm",
    "shift_to_phase_rad",
    "temperature_rise_K",
    "thermal_phase_rad",
]


def crosstalk_matrix(centroids_um: ArrayLike, length_um: float) -> np.ndarray:
    """Thermal crosstalk ``K (N, N)``: ``exp(−d_ik/ℓ)`` from heater centroids ``(N, 2)`` (µm).

    ``length_um = 0`` disables crosstalk (identity).
    """
    xy = np.asarray(centroids_um, dtype=float).reshape(-1, 2)
    n = xy.shape[0]
    if length_um <= 0:
        return np.eye(n)
    d = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)
    return np.exp(-d / length_um)


def temperature_rise_K(
    heater_mW: ArrayLike, crosstalk: ArrayLike, thermal_impedance_K_per_mW: float
) -> jnp.ndarray:
    """ΔT of each ring ``(..., N)`` (K) from heater powers ``(..., N)`` (mW)."""
    xp = _xp(heater_mW, crosstalk)
    return thermal_impedance_K_per_mW * xp.einsum(
        "ik,...k->...i", xp.asarray(crosstalk), xp.asarray(heater_mW)
    )


def thermal_phase_rad(
    delta_T_K: ArrayLike, wl_um: ArrayLike, heated_length_um: ArrayLike, dneff_dT_per_K: float
) -> jnp.ndarray:
    """Round-trip phase ``(..., N, K)`` of ΔT ``(..., N)`` over heated lengths ``(N,)`` (µm) at
    wavelengths ``(K,)`` (µm)."""
    xp = _xp(delta_T_K, wl_um, heated_length_um)
    dn = dneff_dT_per_K * xp.asarray(delta_T_K)
    return 2 * np.pi * (dn * xp.asarray(heated_length_um))[..., None] / xp.asarray(wl_um)


def shift_to_phase_rad(
    shift_nm: ArrayLike, wl_um: ArrayLike, group_delay_length_um: ArrayLike
) -> jnp.ndarray:
    """Round-trip phase ``(..., N, K)`` that red-shifts resonances by ``shift_nm`` ``(..., N)``:
    ``Δφ = 2π (n_g L) Δλ / λ²`` with ``n_g L`` ``(N, K)`` (µm) the round trip's group delay × c."""
    xp = _xp(shift_nm, wl_um, group_delay_length_um)
    s_um = xp.asarray(shift_nm)[..., None] * 1e-3
    return 2 * np.pi * xp.asarray(group_delay_length_um) * s_um / xp.asarray(wl_um) ** 2


def phase_to_shift_nm(
    phase_rad: ArrayLike, wl_um: ArrayLike, group_delay_length_um: ArrayLike
) -> jnp.ndarray:
    """Inverse of :func:`shift_to_phase_rad`: resonance shift (nm) of a round-trip phase."""
    return (
        jnp.asarray(phase_rad)
        * jnp.asarray(wl_um) ** 2
        / (2 * jnp.pi * jnp.asarray(group_delay_length_um))
        * 1e3
    )


def heater_slope_nm_per_mW(
    wl_um: ArrayLike,
    *,
    heated_length_um: ArrayLike,
    group_delay_length_um: ArrayLike,
    dneff_dT_per_K: float,
    thermal_impedance_K_per_mW: float,
) -> jnp.ndarray:
    """Own-heater tuning slope dλ/dP (nm/mW) = λ (dn/dT) Z_th L_heater / (n_g L)."""
    xp = _xp(wl_um, heated_length_um, group_delay_length_um)
    return (
        xp.asarray(wl_um)
        * 1e3
        * dneff_dT_per_K
        * thermal_impedance_K_per_mW
        * xp.asarray(heated_length_um)
        / xp.asarray(group_delay_length_um)
    )
