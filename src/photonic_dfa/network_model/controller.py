"""A calibration controller that knows only what it measures (calibration mode ``fitted``).

The controller of mode ``feedback`` solves the bank's exact circuit (less the fabrication
offsets). A real controller has no such model: this one builds its own from measurements of the
chip, through the bank's detector (one channel lit, the readout's noise and ADC, averaged):

1. **Resonances.** Each ring's own heater is swept (the other heaters parked half a channel
   spacing red of their channels) and the reading of its channel fitted with a Lorentzian in heater
   power, ``w = c + A / (1 + (2 (p − p₀)/Γ)²)``: resonance ``p₀`` (mW), FWHM ``Γ`` (mW), depth ``A``
   and baseline ``c``. Every pass sweeps the whole heater range; the first with the others off,
   later ones with the others parked from the previous pass's fit (a cold ring can sit on another's
   channel and hide its resonance).
2. **Thermal crosstalk.** Heater ``j`` is stepped down by a quarter channel spacing of shift (its
   parked ring moves towards its own channel, away from the others) and every other ring's
   resonance is fitted again: ``K̂_ij = −Δp₀_i / ΔP_j``.
3. **Model.** Ring ``i`` at its channel: ``w_i(P) = c_i + A_i L((K̂ P)_i − p₀_i; Γ_i)``, each ring
   alone (neighbours' tails, bus reflections, the drop/through asymmetry of the circuit are not in
   it). Heaters for a target come from inverting each Lorentzian on its blue flank (red flank where
   the blue one would need negative power), ``P = K̂⁻¹ p``; its Jacobian ``diag(∂w/∂p) K̂`` drives the
   measure-and-correct iterations that follow.

Design data the controller uses: the channel spacing and the heaters' nominal tuning efficiency
(nm/mW) to size its sweeps and parking; nothing else of the circuit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from photonic_dfa.network_model.weights import Evaluator

__all__ = ["LorentzianModel", "fit_controller_model", "fit_lorentzian"]

#: points of a fine (fitted) sweep and its half-width in fitted linewidths
FINE_POINTS = 61
FINE_HALF_FWHM = 3.0


@dataclass(frozen=True)
class LorentzianModel:
    """The controller's model of ``B`` banks of ``N`` rings (all ``(B, N)`` unless noted).

    Attributes:
        centre_mW: effective heater power ``(K̂ P)_i`` of each ring's resonance at its channel.
        fwhm_mW, depth, baseline: Lorentzian FWHM (in heater power), depth ``A`` and baseline ``c``.
        crosstalk: ``(B, N, N)`` fitted thermal crosstalk ``K̂`` (unit diagonal).
    """

    centre_mW: np.ndarray
    fwhm_mW: np.ndarray
    depth: np.ndarray
    baseline: np.ndarray
    crosstalk: np.ndarray

    def weights(self, heater_mW: np.ndarray, bank: np.ndarray) -> np.ndarray:
        """Modelled weights ``(R, N)`` of problems on banks ``bank (R,)``."""
        p = np.einsum("rik,rk->ri", self.crosstalk[bank], heater_mW)
        x = 2.0 * (p - self.centre_mW[bank]) / self.fwhm_mW[bank]
        return self.baseline[bank] + self.depth[bank] / (1.0 + x * x)

    def solve(
        self, target_w: np.ndarray, bank: np.ndarray, p_max: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Heaters ``(R, N)`` for targets ``(R, N)`` and the model's Jacobian ``(R, N, N)``."""
        c, a = self.baseline[bank], self.depth[bank]
        p0, g = self.centre_mW[bank], self.fwhm_mW[bank]
        rel = np.clip((target_w - c) / a, 1e-6, 1.0)
        x = np.sqrt(1.0 / rel - 1.0)
        blue = p0 - 0.5 * g * x
        p_eff = np.where(blue >= 0.0, blue, p0 + 0.5 * g * x)
        K = self.crosstalk[bank]
        P = np.clip(np.linalg.solve(K, p_eff[..., None])[..., 0], 0.0, p_max)
        xs = 2.0 * (np.einsum("rik,rk->ri", K, P) - p0) / g
        dw = a * (-2.0 * xs / (1.0 + xs * xs) ** 2) * (2.0 / g)
        return P, dw[:, :, None] * K


def fit_lorentzian(
    p: np.ndarray, y: np.ndarray, iterations: int = 30
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares fit of ``y ≈ c + A/(1 + (2(p − p₀)/Γ)²)`` to sampled curves ``(..., G)``
    (vectorised Levenberg-Marquardt) from the highest sample, the half-maximum width and the
    end samples. Returns ``(p₀, Γ, A, c)``, each ``(...)``; a fit whose centre leaves the window,
    whose width exceeds it or whose depth is not positive returns the start values."""
    g = np.argmax(y, axis=-1)
    p0 = np.take_along_axis(p, g[..., None], -1)[..., 0]
    c = np.minimum(y[..., 0], y[..., -1])
    a = np.max(y, axis=-1) - c
    above = (y - c[..., None]) > 0.5 * a[..., None]
    width = np.abs(p[..., -1] - p[..., 0]) / (p.shape[-1] - 1)
    gam = np.maximum(above.sum(-1), 1) * width
    theta = np.stack([p0, gam, a, c], axis=-1)
    lam = np.full(p0.shape, 1e-3)

    def resid(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = 2.0 * (p - th[..., :1]) / th[..., 1:2]
        L = 1.0 / (1.0 + x * x)
        r = th[..., 3:4] + th[..., 2:3] * L - y
        dL = -2.0 * x * L * L  # dL/dx
        J = np.stack(
            [
                th[..., 2:3] * dL * (-2.0 / th[..., 1:2]),
                th[..., 2:3] * dL * (-x / th[..., 1:2]),
                L,
                np.ones_like(L),
            ],
            axis=-1,
        )
        return r, J

    r, J = resid(theta)
    cost = np.sum(r * r, -1)
    for _ in range(iterations):
        A = np.einsum("...gi,...gk->...ik", J, J)
        d = np.diagonal(A, axis1=-2, axis2=-1)
        A = A + (lam[..., None] * (d + 1e-18))[..., None] * np.eye(4)
        step = -np.linalg.solve(A, np.einsum("...gi,...g->...i", J, r)[..., None])[..., 0]
        new = theta + step
        new[..., 1] = np.maximum(np.abs(new[..., 1]), 1e-6)
        rn, Jn = resid(new)
        cn = np.sum(rn * rn, -1)
        acc = cn < cost
        theta = np.where(acc[..., None], new, theta)
        r = np.where(acc[..., None], rn, r)
        J = np.where(acc[..., None, None], Jn, J)
        cost = np.where(acc, cn, cost)
        lam = np.where(acc, lam / 5.0, lam * 8.0)
    # a fit that left the swept window (or lost its peak) keeps the start values
    span = np.abs(p[..., -1] - p[..., 0])
    lost = (
        (theta[..., 0] < p.min(-1))
        | (theta[..., 0] > p.max(-1))
        | (theta[..., 1] > span)
        | (theta[..., 2] <= 0)
    )
    theta = np.where(lost[..., None], np.stack([p0, gam, a, c], axis=-1), theta)
    return theta[..., 0], theta[..., 1], theta[..., 2], theta[..., 3]


def _sweep(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    grid: np.ndarray,
    base_mW: np.ndarray,
    measure: object,
) -> np.ndarray:
    """Readings ``(B, N, G)`` of channel ``i`` while heater ``i`` steps through ``grid (B, N, G)``
    and the others stay at ``base_mW (B, N)``; ``measure`` turns true weights into readings."""
    n_b, n, g = grid.shape
    ring = np.arange(n)
    P = np.broadcast_to(base_mW[:, None, None, :], (n_b, n, g, n)).copy()
    P[:, ring, :, ring] = np.moveaxis(grid, 1, 0)
    S = np.broadcast_to(offsets_nm[:, None, None, :], P.shape)
    w = evaluate.weights(P.reshape(-1, n), S.reshape(-1, n)).reshape(n_b, n, g, n)
    w = np.moveaxis(w[:, ring, :, ring], 0, 1)  # (B, N, G)
    return measure(w)  # type: ignore[operator]


def _locate(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    base_mW: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    points: int,
    measure: object,
    step_nm_per_mW: float,
) -> tuple[np.ndarray, ...]:
    """Sweep each ring's heater over ``[lo, hi]`` ``(B, N)``, take the sharpest peak, then fit a
    Lorentzian on a fine sweep of ±3 fitted linewidths around it (broad features, from rings that
    the heater reaches through crosstalk, removed by a running median over ±0.15 nm of shift).
    Returns ``(p₀, Γ, A, c)``."""
    from scipy.ndimage import median_filter

    p_max = evaluate.model.heater_max_mW
    u = np.linspace(0.0, 1.0, points)
    grid = lo[..., None] + (hi - lo)[..., None] * u
    y = _sweep(evaluate, offsets_nm, grid, base_mW, measure)
    size = 2 * max(2, round(0.15 * (points - 1) / np.max(hi - lo) / step_nm_per_mW)) + 1
    sharp = y - median_filter(y, size=(1, 1, size), mode="nearest")
    p0, gam, _, _ = fit_lorentzian(grid, sharp, iterations=0)
    for _ in range(2):  # the first fit refines the width guess of the coarse sweep
        half = np.maximum(FINE_HALF_FWHM * gam, 2.0 * (hi - lo) / (points - 1))
        v = np.linspace(-1.0, 1.0, FINE_POINTS)
        fine = np.clip(p0[..., None] + half[..., None] * v, 0.0, p_max)
        yf = _sweep(evaluate, offsets_nm, fine, base_mW, measure)
        p0, gam, a, c = fit_lorentzian(fine, yf)
    return p0, gam, a, c


def fit_controller_model(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    measure: object,
    spacing_nm: float,
    *,
    passes: int = 3,
    sweep_step_nm: float = 0.02,
) -> LorentzianModel:
    """Measure the chip's banks (true offsets ``(B, N)``, readings through ``measure``) and fit
    the controller's model (see the module docstring)."""
    model = evaluate.model
    p_max, n_b, n = model.heater_max_mW, *offsets_nm.shape
    slope = model.own_slope_nm_per_mW()  # nominal tuning efficiency (design data)
    park_mW = 0.5 * spacing_nm / slope
    K = np.broadcast_to(np.eye(n), (n_b, n, n)).copy()
    base = np.zeros((n_b, n))
    lo, hi = np.zeros((n_b, n)), np.full((n_b, n), p_max)
    points = math.ceil(p_max * slope.max() / sweep_step_nm) + 1
    eff = np.zeros((n_b, n))
    for _ in range(passes):
        p0, gam, a, c = _locate(evaluate, offsets_nm, base, lo, hi, points, measure, slope.max())
        eff = p0 + _others(K, base)
        base = _park(K, eff + park_mW, p_max)
    # crosstalk fitted once the parking has converged, then one more pass with it
    K = _fit_crosstalk(evaluate, offsets_nm, base, p0, gam, measure, 0.5 * park_mW)
    base = _park(K, eff + park_mW, p_max)
    p0, gam, a, c = _locate(evaluate, offsets_nm, base, lo, hi, points, measure, slope.max())
    eff = p0 + _others(K, base)
    return LorentzianModel(eff, gam, a, c, K)


def _others(K: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Effective power each ring receives from the other heaters ``(B, N)``."""
    off = K - np.eye(K.shape[-1])[None] * np.diagonal(K, axis1=1, axis2=2)[..., None]
    return np.einsum("bij,bj->bi", off, base)


def _park(K: np.ndarray, p_eff: np.ndarray, p_max: float) -> np.ndarray:
    return np.clip(np.linalg.solve(K, p_eff[..., None])[..., 0], 0.0, p_max)


def _fit_crosstalk(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    base: np.ndarray,
    p0: np.ndarray,
    gam: np.ndarray,
    measure: object,
    step_mW: np.ndarray,
) -> np.ndarray:
    """``K̂ (B, N, N)``: step heater ``j`` down by ``step_mW[j]`` (its parked ring moves a quarter
    spacing towards its own channel, away from every other), re-fit every ring's resonance on a
    fine sweep, ``K̂_ij = −Δp₀_i / ΔP_j``. The reference is located on a wider sweep first (this
    pass's parking has moved the resonances), then every fit uses the same grid around it."""
    p_max = evaluate.model.heater_max_mW
    n_b, n = p0.shape
    K = np.broadcast_to(np.eye(n), (n_b, n, n)).copy()
    v = np.linspace(-1.0, 1.0, FINE_POINTS)
    # the reference sweep is wider (±9 linewidths): this pass's parking moved the resonances
    around = _fine_centres(evaluate, offsets_nm, base, p0, 3.0 * gam, v, measure, p_max)
    # reference and stepped fits on the same grid (a ring's curve is not exactly Lorentzian, so its
    # fitted centre depends a little on the window); the reference is the median of three fits
    fits = [
        _fine_centres(evaluate, offsets_nm, base, around, gam, v, measure, p_max) for _ in "abc"
    ]
    ref = np.median(np.stack(fits), axis=0)
    for j in range(n):
        b2 = base.copy()
        b2[:, j] = np.maximum(b2[:, j] - step_mW[j], 0.0)
        dP = b2[:, j] - base[:, j]  # <= 0
        moved = _fine_centres(evaluate, offsets_nm, b2, around, gam, v, measure, p_max)
        kij = np.where(dP[:, None] < 0, (ref - moved) / np.minimum(dP[:, None], -1e-12), 0.0)
        others = np.arange(n) != j
        K[:, others, j] = np.clip(kij[:, others], 0.0, 1.0)
    return K


def _fine_centres(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    base: np.ndarray,
    p0: np.ndarray,
    gam: np.ndarray,
    v: np.ndarray,
    measure: object,
    p_max: float,
) -> np.ndarray:
    """Fitted resonance of every ring on a fine sweep of ±3 linewidths around ``p0``."""
    fine = np.clip(p0[..., None] + FINE_HALF_FWHM * gam[..., None] * v, 0.0, p_max)
    return fit_lorentzian(fine, _sweep(evaluate, offsets_nm, fine, base, measure))[0]
