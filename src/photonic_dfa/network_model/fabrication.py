"""Fabrication variation of the physical weight banks: resonance offsets (nm, red positive).

Two models (``[model] fab_model``):

* ``independent`` (default): each ring's offset is ``N(0, fab_sigma_nm²)``, independent between
  rings and banks — the within-die variation of ring resonances, of order 0.5–1 nm in SOI (Lu et
  al., Opt. Express 25, 9712 (2017)).
* ``layout``: the waveguide width ``w(x, y)`` and silicon thickness ``t(x, y)`` are Gaussian random
  fields over the die with squared-exponential correlation ``σ² exp(−r²/2ℓ²)`` (``fab_width_*``,
  ``fab_thickness_*``), read at each ring's centre from ``layout.json``; a ring's resonance
  ``m λ = n_eff L`` shifts by ``Δλ = λ (∂n_eff/∂w Δw + ∂n_eff/∂t Δt) / n_g`` (:func:`sensitivities`,
  central differences of simphony's strip-waveguide data). Nearby rings shift together, far ones
  independently. With the channel grid aligned to the cold resonances (``center_wl_nm`` unset) the
  die's mean shift is taken up by the grid, so only the within-die part remains.

The offsets enter the circuit as extra round-trip phase (``BankCircuit``'s ``shift_nm``); the
calibration compensates them within the heater range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "correlated_field",
    "draw_offsets",
    "equivalent_sigma_nm",
    "layout_offsets",
    "ring_centres_um",
    "sensitivities",
]

#: half-steps of the central differences on simphony's waveguide grid (20 nm widths, 10 nm
#: thicknesses around 500 × 220 nm)
_DW_NM, _DT_NM = 20.0, 10.0


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


def sensitivities(width_nm: float = 500.0, thickness_nm: float = 220.0) -> tuple[float, float]:
    """``(dλ/dw, dλ/dt)`` of a ring resonance (nm per nm) for a strip waveguide ``width × thickness``.

    ``dλ/dp = λ0 (∂n_eff/∂p) / n_g`` with ``∂n_eff/∂p`` a central difference of simphony's TE
    strip-waveguide data (±20 nm in width, ±10 nm in thickness) and ``λ0``, ``n_g`` of the nominal
    waveguide.

    Raises:
        ConfigError: simphony has no data around this cross-section.
    """
    from photonic_dfa.circuits.models import waveguide_coefficients as wg

    nominal = wg(width_nm, thickness_nm)
    dn_dw = (
        wg(width_nm + _DW_NM, thickness_nm).neff - wg(width_nm - _DW_NM, thickness_nm).neff
    ) / (2 * _DW_NM)
    dn_dt = (
        wg(width_nm, thickness_nm + _DT_NM).neff - wg(width_nm, thickness_nm - _DT_NM).neff
    ) / (2 * _DT_NM)
    lam_nm = nominal.wl0_um * 1e3
    return lam_nm * dn_dw / nominal.ng, lam_nm * dn_dt / nominal.ng


def correlated_field(
    xy_um: np.ndarray, sigma_nm: float, corr_length_um: float, rng: np.random.Generator
) -> np.ndarray:
    """One draw ``(N,)`` (nm) of a zero-mean Gaussian field at the points ``xy_um (N, 2)`` with
    covariance ``σ² exp(−|r_i − r_j|² / 2ℓ²)`` (sampled through its eigendecomposition, stable when
    the points are much closer than ℓ)."""
    if sigma_nm <= 0:
        return np.zeros(len(xy_um))
    d2 = np.sum((xy_um[:, None, :] - xy_um[None, :, :]) ** 2, axis=-1)
    cov = sigma_nm**2 * np.exp(-d2 / (2.0 * corr_length_um**2))
    vals, vecs = np.linalg.eigh(cov)
    return vecs @ (np.sqrt(np.clip(vals, 0.0, None)) * rng.standard_normal(len(xy_um)))


def ring_centres_um(layout: Any, banks: int) -> np.ndarray:
    """``(banks, rings, 2)`` ring centres (µm) of a LayoutDescription; banks beyond the layout's
    are further copies of the array, each placed one chip height above the previous."""
    one = np.array([[r.center_um for r in b.rings] for b in layout.banks], dtype=float)
    copies = -(-banks // len(one))
    height = float(layout.chip_size_um[1])
    tiled = np.concatenate([one + np.array([0.0, k * height]) for k in range(copies)])
    return tiled[:banks]


def equivalent_sigma_nm(mcfg: Any, s_w: float, s_t: float) -> float:
    """Std (nm) of one ring's resonance shift under the layout model (before the mean is removed)."""
    return float(np.hypot(s_w * mcfg.fab_width_sigma_nm, s_t * mcfg.fab_thickness_sigma_nm))


def layout_offsets(layout: Any, banks: int, mcfg: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """Resonance offsets ``(banks, rings)`` (nm) of the layout model, and what produced them.

    Args:
        layout: the LayoutDescription (ring centres, waveguide width and thickness).
        banks: physical banks ``d_C``.
        mcfg: the ``[model]`` section (``fab_width_*``, ``fab_thickness_*``, ``fab_seed``,
            ``center_wl_nm``).
    """
    ring0 = layout.banks[0].rings[0]
    s_w, s_t = sensitivities(ring0.wg_width_nm, ring0.thickness_nm)
    xy = ring_centres_um(layout, banks)
    flat = xy.reshape(-1, 2)
    rng = np.random.default_rng(mcfg.fab_seed)
    dw = correlated_field(flat, mcfg.fab_width_sigma_nm, mcfg.fab_width_corr_um, rng)
    dt = correlated_field(flat, mcfg.fab_thickness_sigma_nm, mcfg.fab_thickness_corr_um, rng)
    shift = s_w * dw + s_t * dt
    remove_mean = mcfg.center_wl_nm is None
    if remove_mean:
        shift = shift - shift.mean()
    info = {
        "model": "layout",
        "dlambda_dw_nm_per_nm": s_w,
        "dlambda_dt_nm_per_nm": s_t,
        "width_sigma_nm": mcfg.fab_width_sigma_nm,
        "thickness_sigma_nm": mcfg.fab_thickness_sigma_nm,
        "width_corr_um": mcfg.fab_width_corr_um,
        "thickness_corr_um": mcfg.fab_thickness_corr_um,
        "die_mean_removed": remove_mean,
        "shift_std_nm": float(np.std(shift)),
    }
    return shift.reshape(xy.shape[:2]), info
