"""Reciprocity and passivity of S-matrices: checks and the conditioning of the FDTD coupler data.

simphony's half-ring FDTD data are slightly non-passive (largest singular value up to ≈ 1.01 at
R = 10 µm, 150 nm gap) and non-reciprocal at the 10⁻³ level (``|S_ij − S_ji|``), both numerical
artefacts of the FDTD runs: a passive reciprocal coupler has ``S = Sᵀ`` and ``σ_max(S) ≤ 1``.
Before a coupler enters a circuit, :func:`condition_sparams` applies, per wavelength:

0. (optional, default) removal of the reflections and backward couplings of the half-ring data
   (:func:`remove_reflections`: the −40 to −31 dB ring-port reflections are artefacts of the FDTD ports
   that cut the ring's bend; see :class:`~photonic_dfa.config.CircuitConfig`);
1. reciprocity (``"symmetrize"``): ``S ← (S + Sᵀ)/2``, the nearest reciprocal matrix in the
   Frobenius norm;
2. passivity (``"svd_clip"``): ``S = U Σ Vᴴ → U min(Σ, 1) Vᴴ``, the nearest passive matrix in the
   spectral norm, which leaves every singular value ≤ 1 unchanged (so a passive ``S`` is returned as
   is) and keeps a symmetric ``S`` symmetric (``S ↦ U f(Σ) Vᴴ`` does not depend on the choice of
   SVD, and ``Sᵀ = V̄ Σ Uᵀ`` is another SVD of the same matrix).

Any circuit made of passive components is passive, so the bank's S-matrix then has
``σ_max ≤ 1`` and every ``|S|²`` column sum ≤ 1 to round-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "PassivityReport",
    "column_power_sums",
    "condition_sparams",
    "enforce_passivity",
    "largest_singular_value",
    "reciprocity_error",
    "remove_reflections",
    "symmetrize",
]

#: forward entries of a half-ring (ports port_1..port_4 = 0..3): bus 1↔3, ring 2↔4, cross 1↔4, 2↔3
_FORWARD = np.zeros((4, 4), dtype=bool)
for _a, _b in ((0, 2), (1, 3), (0, 3), (1, 2)):
    _FORWARD[_a, _b] = _FORWARD[_b, _a] = True


@dataclass(frozen=True)
class PassivityReport:
    """What conditioning found and did (per coupler, maxima over wavelength).

    Attributes:
        sigma_max_raw: largest singular value of the data.
        sigma_max: largest singular value after conditioning.
        reciprocity_error_raw: ``max |S_ij − S_ji|`` of the data.
        reflection_max_raw: largest ``|S|²`` of a reflection or backward coupling in the data.
        column_sum_max: largest ``Σ_i |S_ij|²`` after conditioning.
        wl_um_worst: wavelength (µm) where the data's σ_max is largest.
        clipped_fraction: fraction of wavelengths at which singular values were clipped.
    """

    sigma_max_raw: float
    sigma_max: float
    reciprocity_error_raw: float
    reflection_max_raw: float
    column_sum_max: float
    wl_um_worst: float
    clipped_fraction: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def largest_singular_value(s: ArrayLike) -> np.ndarray:
    """σ_max of each matrix of ``s`` ``(..., n, n)`` → ``(...)``."""
    return np.linalg.svd(np.asarray(s), compute_uv=False)[..., 0]


def column_power_sums(s: ArrayLike) -> np.ndarray:
    """``Σ_i |S_ij|²`` for each column ``j`` (power leaving when a unit wave enters port ``j``),
    ``(..., n, n)`` → ``(..., n)``."""
    return np.sum(np.abs(np.asarray(s)) ** 2, axis=-2)


def reciprocity_error(s: ArrayLike) -> float:
    """``max |S − Sᵀ|`` over all entries and wavelengths."""
    s = np.asarray(s)
    return float(np.max(np.abs(s - np.swapaxes(s, -1, -2)))) if s.size else 0.0


def symmetrize(s: ArrayLike) -> np.ndarray:
    """Nearest reciprocal matrix: ``(S + Sᵀ)/2``."""
    s = np.asarray(s)
    return 0.5 * (s + np.swapaxes(s, -1, -2))


def enforce_passivity(s: ArrayLike, *, sigma_limit: float = 1.0) -> np.ndarray:
    """Clip the singular values of each ``(n, n)`` matrix to ``sigma_limit`` (``U min(Σ, 1) Vᴴ``)."""
    s = np.asarray(s)
    u, sv, vh = np.linalg.svd(s)
    if np.all(sv <= sigma_limit):
        return s.copy()
    clipped = np.minimum(sv, sigma_limit)
    out = (u * clipped[..., None, :]) @ vh
    # only matrices that needed it are changed (bit-exact elsewhere)
    need = np.any(sv > sigma_limit, axis=-1)
    return np.where(need[..., None, None], out, s)


def remove_reflections(s: ArrayLike) -> np.ndarray:
    """Zero the reflections and backward couplings of half-ring data ``(..., 4, 4)``, keeping bus
    through (1↔3), ring path (2↔4) and the cross couplings (1↔4, 2↔3)."""
    return np.where(_FORWARD, np.asarray(s), 0.0)


def condition_sparams(
    s: ArrayLike,
    wl_um: ArrayLike,
    *,
    reflections: Literal["remove", "keep"] = "remove",
    reciprocity: Literal["symmetrize", "none"] = "symmetrize",
    passivity: Literal["svd_clip", "none"] = "svd_clip",
) -> tuple[np.ndarray, PassivityReport]:
    """Condition half-ring data ``(K, 4, 4)``: optionally remove reflections, then make it
    reciprocal and passive (see the module docstring)."""
    raw = np.asarray(s)
    wl = np.asarray(wl_um, dtype=float).reshape(-1)
    sig_raw = largest_singular_value(raw)
    refl = float(np.max(np.abs(np.where(_FORWARD, 0.0, raw)) ** 2)) if raw.shape[-1] == 4 else 0.0
    out = remove_reflections(raw) if reflections == "remove" and raw.shape[-1] == 4 else raw
    out = symmetrize(out) if reciprocity == "symmetrize" else out.copy()
    clipped = 0.0
    if passivity == "svd_clip":
        u, sv, vh = np.linalg.svd(out)
        need = sv[..., 0] > 1.0
        clipped = float(np.mean(need))
        if np.any(need):
            fixed = (u * np.minimum(sv, 1.0)[..., None, :]) @ vh
            out = np.where(need[..., None, None], fixed, out)
        sigma_after = float(np.max(np.minimum(sv[..., 0], 1.0)))
    else:
        sigma_after = float(largest_singular_value(out).max())
    report = PassivityReport(
        sigma_max_raw=float(sig_raw.max()),
        sigma_max=sigma_after,
        reciprocity_error_raw=reciprocity_error(raw),
        reflection_max_raw=refl,
        column_sum_max=float(column_power_sums(out).max()),
        wl_um_worst=float(wl[int(np.argmax(sig_raw))]),
        clipped_fraction=clipped,
    )
    return out, report
