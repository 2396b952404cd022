"""Calibration of weight banks: heater powers that make the realised weights match target rows.

For each calibration problem (one row tile of ``B_k`` on one physical bank) the heater powers
``P ∈ [0, P_max]^N`` minimise ``‖w(P, s) − t‖²`` where ``w = D − T`` is evaluated through the whole
bus circuit (:mod:`~photonic_dfa.network_model.weights`), ``s`` are the bank's resonance offsets and
``t = scale · B_row`` the target. The solver is a projected Levenberg-Marquardt iteration with the
exact JAX Jacobian, all problems solved together (vectorised over banks with ``vmap``; the small
damped normal equations are solved batched on the host). Thermal crosstalk is part of the circuit
(``K_ik``), so the Jacobian couples the heaters.

Start point: each ring's weight vs its own *effective* power ``p = (K P)_i`` (ring alone, offsets
known to the solver) is inverted on its blue-side branch (less power), falling back to the red
branch when the cold ring already sits red of the target; ``P = K⁻¹ p``.

Modes:

* ``model`` (a): the solver knows the circuit and each bank's offsets exactly.
* ``feedback`` (b), like a real control loop (cf. Tait et al., Opt. Express 26, 26422 (2018)): the
  controller knows the nominal circuit but not the offsets. It (1) locates each ring's resonance by
  sweeping its heater and reading the bank's photodetector (the readout chain's noise and ADC,
  averaged), which gives offset estimates; (2) solves its model as in (a); (3) iterates
  *measure the weights on the chip → correct the heaters with its model's Jacobian*. Each weight is
  measured with one channel lit (one-hot), the TIA gain set so that the ADC spans ±1/``fraction``
  of a weight of full scale, ``averages`` readings averaged. The precision reached is set by that
  measurement noise and the ADC resolution, not by the model.
* ``fitted`` (issue 13): as ``feedback``, but the controller has no circuit model: it fits its own
  (per-ring Lorentzians and thermal crosstalk, from noisy heater sweeps through the detector;
  :mod:`~photonic_dfa.network_model.controller`), solves it, then runs the same measure-and-correct
  iterations.

Heater drivers (``driver``, :class:`~photonic_dfa.network_model.drivers.HeaterDriver`): every
setting applied to the chip in the feedback iterations, and the final heaters, are the powers of
the DACs' codes; the realised weights are evaluated at them.

Reported per problem: residual RMS and worst error in units of B, precision in bits
``log2(range / σ)`` with the range of B (2), and the rings that cannot reach their target (target
outside the ring's achievable range, or the heater pinned at a bound with a residual above
tolerance) — reported, never clipped silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from photonic_dfa.network_model.drivers import HeaterDriver
from photonic_dfa.network_model.readout import adc_quantise
from photonic_dfa.network_model.weights import Evaluator, WeightModel

__all__ = [
    "CalibrationResult",
    "FeedbackSettings",
    "bank_weight_range",
    "calibrate",
    "estimate_offsets",
    "initial_heaters",
    "levenberg_marquardt",
    "measure_weights",
    "precision_bits",
]

#: range of the target matrix entries B ~ U[-1, 1]
B_RANGE = 2.0
#: points of the own-heater curves over [0, P_max] (one size: one compiled program)
CURVE_POINTS = 2001


def precision_bits(rms: np.ndarray, value_range: float = B_RANGE) -> np.ndarray:
    """``log2(range / σ)`` (bits); infinite for σ = 0."""
    rms = np.asarray(rms, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(rms > 0, np.log2(value_range / np.maximum(rms, 1e-300)), np.inf)


@dataclass(frozen=True)
class FeedbackSettings:
    """Measurement model and loop settings of feedback calibration (mode b).

    Attributes:
        sigma_reading: ``(N,)`` or scalar std of one one-hot reading, in units of B (analogue
            noise: shot, RIN, TIA; from the readout chain at the calibration gain).
        full_scale: ADC full scale of a calibration reading (units of B): codes span ±full_scale.
        adc_bits: ADC resolution.
        averages: readings averaged per weight measurement.
        iterations: measure-and-correct iterations.
        sweep_step_nm, fine_step_nm: coarse/fine steps of the resonance search (nm of shift).
        search_nm: how far beyond the nominal resonance the search extends on either side (nm).
    """

    sigma_reading: Any
    full_scale: float
    adc_bits: int
    averages: int
    iterations: int
    sweep_step_nm: float = 0.08
    fine_step_nm: float = 0.01
    search_nm: float = 2.0


@dataclass
class CalibrationResult:
    """Solved heaters and the realised weights of all problems.

    Attributes:
        heater_mW: ``(R, N)`` solved heater powers.
        weights: ``(R, N)`` realised ``D − T`` (true circuit, true offsets).
        target: ``(R, N)`` target weights ``scale · B``.
        mask: ``(R, N)`` True where the channel carries a column of B.
        scale: optical weight per unit of B.
        rms_B, worst_B, bits: ``(R,)`` residual RMS / max |error| (units of B), precision.
        unreachable: list of ``(problem, ring, target_B, realised_B, reason)``.
        iterations: solver iterations used; evaluations: bank evaluations made.
        offsets_estimated_nm: mode (b): ``(B, N)`` the controller's offset estimates.
        crosstalk_fitted: mode ``fitted``: ``(B, N, N)`` the controller's fitted thermal crosstalk
            ``K̂`` of each physical bank (None in the other modes: their model has the circuit's).
        history: per solver iteration, the median residual RMS over problems (in mode
            ``model`` in optical weight units, of the solver's own residual; in mode ``feedback``
            in units of B, of the chip's true weights).
    """

    heater_mW: np.ndarray
    weights: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    scale: float
    rms_B: np.ndarray
    worst_B: np.ndarray
    bits: np.ndarray
    unreachable: list[tuple[int, int, float, float, str]]
    iterations: int
    evaluations: int
    mode: str
    offsets_estimated_nm: np.ndarray | None = None
    history: list[float] = field(default_factory=list)
    crosstalk_fitted: np.ndarray | None = None

    def summary(self, yield_min_bits: float | None = None) -> dict[str, Any]:
        """JSON-ready statistics over all problems."""
        bits = self.bits[np.isfinite(self.bits)] if np.any(np.isfinite(self.bits)) else self.bits
        out: dict[str, Any] = {
            "mode": self.mode,
            "problems": int(self.rms_B.size),
            "scale": float(self.scale),
            "rms_B_median": float(np.median(self.rms_B)),
            "rms_B_max": float(np.max(self.rms_B)),
            "worst_B_max": float(np.max(self.worst_B)),
            "bits_median": float(np.median(self.bits)),
            "bits_min": float(np.min(self.bits)),
            "bits_p05": float(np.percentile(bits, 5)) if bits.size else math.inf,
            "unreachable_rings": len(self.unreachable),
            "iterations": int(self.iterations),
            "evaluations": int(self.evaluations),
            "heater_mW_mean": float(np.mean(self.heater_mW)),
            "heater_mW_max": float(np.max(self.heater_mW)),
            "heater_mW_per_bank_mean": float(np.mean(np.sum(self.heater_mW, axis=1))),
        }
        if yield_min_bits is not None:
            bad = np.zeros(self.rms_B.size, bool)
            for prob, *_ in self.unreachable:
                bad[prob] = True
            ok = (self.bits >= yield_min_bits) & ~bad
            out["yield_min_bits"] = float(yield_min_bits)
            out["yield"] = float(np.mean(ok))
        return out


# --------------------------------------------------------------------------------------------
# Start point
# --------------------------------------------------------------------------------------------


def _branches(curve: np.ndarray, grid: np.ndarray):
    """Blue (rising) and red (falling) branch of one ring's weight-vs-power curve around its
    first resonance, each made monotone for interpolation."""
    g = int(np.argmax(curve[: max(2, np.searchsorted(grid, grid[-1]))]))
    rise_w = np.maximum.accumulate(curve[: g + 1])
    fall_w = np.minimum.accumulate(curve[g:])
    return (rise_w, grid[: g + 1]), (fall_w, grid[g:]), curve[g]


def initial_heaters(
    model: WeightModel,
    target_w: np.ndarray,
    bank_of_problem: np.ndarray,
    offsets_nm: np.ndarray,
    *,
    points: int | None = None,
    branch: Literal["auto", "red"] = "auto",
    rings: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Heater start point from each ring's own curve (see module docstring).

    Args:
        target_w: ``(R, N)`` target weights.
        bank_of_problem: ``(R,)`` physical bank index of each problem.
        offsets_nm: ``(B, N)`` offsets assumed for the physical banks.
        branch: ``auto``: blue branch where it reaches the target, else red; ``red``: red branch
            for the rings flagged in ``rings`` ``(R, N)`` (all if None).

    Returns:
        ``(P0 (R, N), w_range (B, N, 2))``: the start point and each ring's achievable
        [min, max] weight (ring alone, within the heater range).
    """
    n = model.n_rings
    K = model.crosstalk()
    # effective power range reachable with all heaters in [0, P_max] is at least [0, P_max]
    grid = np.linspace(0.0, model.heater_max_mW, points or CURVE_POINTS)
    curves = model.own_heater_curves(grid, offsets_nm)  # (B, G, N)
    p_eff = np.zeros_like(target_w, dtype=np.float64)
    w_range = np.zeros((offsets_nm.shape[0], n, 2))
    for b in range(offsets_nm.shape[0]):
        rows = np.nonzero(bank_of_problem == b)[0]
        for i in range(n):
            c = curves[b, :, i]
            w_range[b, i] = (c.min(), c.max())
            if rows.size == 0:
                continue
            (rw, rp), (fw, fp), _ = _branches(c, grid)
            t = target_w[rows, i]
            blue = np.interp(t, rw, rp)
            red = np.interp(-t, -fw, fp)
            use_red = t < rw[0]
            if branch == "red":
                use_red = np.ones_like(use_red) if rings is None else (use_red | rings[rows, i])
            p_eff[rows, i] = np.where(use_red, red, blue)
    P0 = np.clip(np.linalg.solve(K, p_eff.T).T, 0.0, model.heater_max_mW)
    return P0, w_range


def bank_weight_range(
    evaluate: Evaluator, offsets_nm: np.ndarray, spacing_nm: float, *, points: int = 81
) -> np.ndarray:
    """Achievable weight range of each ring at its channel *in the bank*: ``(B, N, 2)`` [min, max].

    All rings are detuned together by ``u ∈ [−Δ/2, Δ/2]`` from the point where their own curve
    peaks (the ring on its channel), so that each ring scans its channel while its neighbours sit
    at the same detuning from theirs — the environment of a calibrated bank. Heaters stay in
    ``[0, P_max]``.
    """
    model = evaluate.model
    n = model.n_rings
    K = model.crosstalk()
    slope = model.own_slope_nm_per_mW()
    grid = np.linspace(0.0, model.heater_max_mW, CURVE_POINTS)
    curves = model.own_heater_curves(grid, offsets_nm)  # (B, G, N)
    p_star = grid[np.argmax(curves, axis=1)]  # (B, N) effective power on channel
    u = np.linspace(-spacing_nm / 2, spacing_nm / 2, points)
    p_eff = p_star[:, None, :] + u[None, :, None] / slope[None, None, :]  # (B, G, N)
    P = np.clip(np.einsum("ik,bgk->bgi", np.linalg.inv(K), p_eff), 0.0, model.heater_max_mW)
    S = np.broadcast_to(offsets_nm[:, None, :], P.shape)
    w = evaluate.weights(P.reshape(-1, n), S.reshape(-1, n)).reshape(P.shape)
    return np.stack([w.min(axis=1), w.max(axis=1)], axis=-1)


# --------------------------------------------------------------------------------------------
# Levenberg-Marquardt (projected, vectorised over problems)
# --------------------------------------------------------------------------------------------


def _lm_step(J: np.ndarray, r: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Damped Gauss-Newton step ``(JᵀJ + λ diag(JᵀJ))⁻¹ (−Jᵀ r)`` per problem."""
    A = np.einsum("rji,rjk->rik", J, J)
    g = np.einsum("rji,rj->ri", J, r)
    d = np.diagonal(A, axis1=1, axis2=2)
    floor = 1e-9 * np.maximum(d.mean(axis=1, keepdims=True), 1e-12)
    A = A + (lam[:, None] * (d + floor))[:, :, None] * np.eye(A.shape[-1])[None]
    return -np.linalg.solve(A, g[..., None])[..., 0]


def levenberg_marquardt(
    evaluate: Evaluator,
    P0: np.ndarray,
    target_w: np.ndarray,
    offsets_nm: np.ndarray,
    mask: np.ndarray,
    *,
    iterations: int,
    damping: float,
    tol_w: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, list[float]]:
    """Solve ``w(P, s) = t`` (masked) for all problems, ``P`` clipped to ``[0, P_max]``.

    Only problems not yet converged (RMS residual > ``tol_w``) are evaluated each iteration.

    Returns:
        ``(P, w, J, iterations, history)``: heaters, weights and Jacobians at the solution;
        history is the median residual RMS after each iteration.
    """
    p_max = evaluate.model.heater_max_mW
    P = np.array(P0, np.float64)
    w, J = evaluate(P, offsets_nm)
    m = mask.astype(np.float64)
    r = (w - target_w) * m
    cost = np.sum(r * r, axis=1)
    lam = np.full(P.shape[0], damping)
    n_valid = np.maximum(m.sum(axis=1), 1)
    history = []
    it = 0
    for it in range(1, iterations + 1):
        active = np.nonzero((np.sqrt(cost / n_valid) > tol_w) & (lam < 1e4))[0]
        if active.size == 0:
            it -= 1
            break
        Ja = J[active] * m[active][:, :, None]
        step = _lm_step(Ja, r[active], lam[active])
        Pn = np.clip(P[active] + step, 0.0, p_max)
        wn, Jn = evaluate(Pn, offsets_nm[active])
        rn = (wn - target_w[active]) * m[active]
        cn = np.sum(rn * rn, axis=1)
        acc = cn < cost[active]
        idx = active[acc]
        P[idx], w[idx], J[idx], r[idx], cost[idx] = Pn[acc], wn[acc], Jn[acc], rn[acc], cn[acc]
        lam[idx] = np.maximum(lam[idx] / 5.0, 1e-12)
        rej = active[~acc]
        lam[rej] = lam[rej] * 8.0
        history.append(float(np.median(np.sqrt(cost / n_valid))))
    return P, w, J, it, history


# --------------------------------------------------------------------------------------------
# Feedback calibration (mode b)
# --------------------------------------------------------------------------------------------


def measure_weights(
    rng: np.random.Generator,
    w_true_B: np.ndarray,
    fb: FeedbackSettings,
    *,
    full_scale: float | None = None,
) -> np.ndarray:
    """The controller's measurement of weights (units of B): one-hot readings with Gaussian
    analogue noise, each rounded by the ADC (mid-tread, ±full scale, clipped), averaged.
    ``full_scale`` overrides ``fb.full_scale`` (another TIA gain); the analogue noise in units of
    B is the same (it is referred to the photocurrent)."""
    fs = fb.full_scale if full_scale is None else full_scale
    shape = (*w_true_B.shape, fb.averages)
    sigma = np.broadcast_to(np.asarray(fb.sigma_reading, np.float64), w_true_B.shape)[..., None]
    analog = w_true_B[..., None] + sigma * rng.standard_normal(shape)
    return adc_quantise(analog, fs, fb.adc_bits).mean(axis=-1)


def _peak(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Location of the maximum of sampled curves ``y (..., G)`` on grids ``p (..., G)``,
    refined by a parabola through the best sample and its neighbours."""
    g = np.clip(np.argmax(y, axis=-1), 1, y.shape[-1] - 2)
    take = np.take_along_axis
    y0 = take(y, (g - 1)[..., None], -1)[..., 0]
    y1 = take(y, g[..., None], -1)[..., 0]
    y2 = take(y, (g + 1)[..., None], -1)[..., 0]
    p1 = take(p, g[..., None], -1)[..., 0]
    h = take(p, (g + 1)[..., None], -1)[..., 0] - p1
    den = y0 - 2 * y1 + y2
    frac = np.where(np.abs(den) > 1e-15, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    return p1 + np.clip(frac, -1, 1) * h


def _resonance_search(
    evaluate: Evaluator,
    offsets_nm: np.ndarray,
    centre_mW: np.ndarray,
    slope: np.ndarray,
    fb: FeedbackSettings,
    scale: float,
    rng: np.random.Generator | None,
    base_mW: np.ndarray | None = None,
    search_nm: float | None = None,
) -> np.ndarray:
    """Heater power (mW) of each ring's weight peak at its channel, found by a coarse and a
    fine sweep of that ring's own heater (the others at ``base_mW (B, N)``, default off), for
    banks with ``offsets_nm (B, N)``. ``rng`` None: noiseless (the controller's model); else
    measured through the readout."""
    n_b, n = offsets_nm.shape
    p_max = evaluate.model.heater_max_mW
    ring = np.arange(n)
    base = np.zeros((n_b, n)) if base_mW is None else np.broadcast_to(base_mW, (n_b, n))
    span = fb.search_nm if search_nm is None else search_nm

    def sweep(grid: np.ndarray) -> np.ndarray:  # grid (B, N, G) → weights (B, N, G)
        g = grid.shape[-1]
        P = np.broadcast_to(base[:, None, None, :], (n_b, n, g, n)).copy()
        P[:, ring, :, ring] = np.moveaxis(grid, 1, 0)
        S = np.broadcast_to(offsets_nm[:, None, None, :], P.shape)
        w = evaluate.weights(P.reshape(-1, n), S.reshape(-1, n))
        w = w.reshape(n_b, n, g, n)[:, ring, :, ring]  # (N, B, G)
        w = np.moveaxis(w, 0, 1)
        if rng is not None:  # search readings: TIA gain for the full optical range |w| <= 1
            w = measure_weights(rng, w / scale, fb, full_scale=1.0 / scale) * scale
        return w

    half = span / slope  # (N,) mW
    n_coarse = math.ceil(2 * span / fb.sweep_step_nm) + 1
    u = np.linspace(-1.0, 1.0, n_coarse)
    centre = np.broadcast_to(centre_mW, (n_b, n))
    grid = np.clip(centre[:, :, None] + half[None, :, None] * u, 0.0, p_max)
    grid = np.broadcast_to(grid, (n_b, n, n_coarse)).copy()
    y = sweep(grid)
    # the ring's own resonance is the sharpest feature (width ≈ linewidth / own slope); rings that
    # its heater moves through thermal crosstalk (K_ik ≪ 1) make features ~1/K_ik broader:
    # remove them with a running median over ±4 samples (±0.3 nm) before taking the maximum
    from scipy.ndimage import median_filter

    sharp = y - median_filter(y, size=(1, 1, 9), mode="nearest")
    coarse = _peak(grid, sharp)
    n_fine = math.ceil(2 * 2 * fb.sweep_step_nm / fb.fine_step_nm) + 1
    v = np.linspace(-1.0, 1.0, n_fine)
    fine_half = 2 * fb.sweep_step_nm / slope
    grid = np.clip(coarse[..., None] + fine_half[None, :, None] * v, 0.0, p_max)
    return _peak(grid, sweep(grid))


def estimate_offsets(
    evaluate: Evaluator,
    true_offsets_nm: np.ndarray,
    fb: FeedbackSettings,
    scale: float,
    rng: np.random.Generator,
    *,
    passes: int = 3,
) -> np.ndarray:
    """The controller's estimate ``(B, N)`` of each ring's resonance offset (nm): the measured
    resonance-search peak vs the same search on its nominal model, times the heater slope.

    While ring ``i`` is swept, every other ring is parked half a channel spacing red of its own
    channel — with the cold rings, another ring's resonance (or its next order, one FSR up) can
    sit on channel ``i`` and hide ring ``i``'s peak. The parking powers come from the current
    offset estimates (zero at first), so the search is repeated ``passes`` times, each pass parking
    with the previous estimates; the model is parked the same way with zero offsets, and the
    known difference of crosstalk heating between chip and model parking is corrected for.
    """
    model = evaluate.model
    n = model.n_rings
    slope = model.own_slope_nm_per_mW()
    K = model.crosstalk()
    off_diag = K - np.diag(np.diag(K))
    p_max = model.heater_max_mW
    spacing = float(np.median(np.diff(model.channel_wl_um))) * 1e3 if n > 1 else 1.0
    nominal = np.zeros((1, n))
    # nominal on-channel power: first resonance of each ring's own curve (own heater only)
    grid = np.linspace(0.0, p_max, CURVE_POINTS)
    curves = model.own_heater_curves(grid, nominal)[0]
    p_on = grid[np.argmax(curves, axis=0)]

    def park(offsets: np.ndarray) -> np.ndarray:  # every ring Δ/2 red of its channel
        p_eff = p_on[None, :] + (0.5 * spacing - offsets) / slope[None, :]
        return np.clip(np.linalg.solve(K, p_eff.T).T, 0.0, p_max)

    base_nom = park(nominal)
    p_nom = _resonance_search(evaluate, nominal, p_on, slope, fb, scale, None, base_mW=base_nom)[0]
    est = np.zeros_like(true_offsets_nm)
    for _ in range(passes):
        base_chip = park(est)
        centre = p_nom[None, :] - est / slope[None, :]
        p_chip = _resonance_search(
            evaluate, true_offsets_nm, centre, slope, fb, scale, rng, base_mW=base_chip
        )
        extra = np.einsum("ij,bj->bi", off_diag, base_chip - base_nom)
        est = (p_nom[None, :] - p_chip - extra) * slope[None, :]
    return est


def _feedback_loop(
    evaluate: Evaluator,
    P: np.ndarray,
    J: np.ndarray,
    target_w: np.ndarray,
    mask: np.ndarray,
    true_rows: np.ndarray,
    fb: FeedbackSettings,
    scale: float,
    rng: np.random.Generator,
    damping: float,
    quantise: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, int, list[float]]:
    """Measure the chip's weights, step the heaters with the controller model's Jacobian at the
    model solution (LM, steps limited to 0.1 nm of resonance shift), keep a step only if the
    *measured* residual decreased. Returns the heaters, iterations and the true median RMS per
    iteration (for the report; the controller never sees it). ``quantise``: the heater DACs'
    rounding of every setting applied to the chip."""
    p_max = evaluate.model.heater_max_mW
    max_step = 0.1 / evaluate.model.own_slope_nm_per_mW()  # mW
    m = mask.astype(np.float64)
    r_count = P.shape[0]

    def chip(Pc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = evaluate.weights(Pc, true_rows)
        return w, measure_weights(rng, w / scale, fb) * scale

    w_chip, meas = chip(P)
    r = (meas - target_w) * m
    cost = np.sum(r * r, axis=1)
    lam = np.full(r_count, max(damping, 1e-2))
    history = []
    for _ in range(fb.iterations):
        step = _lm_step(J * m[:, :, None], r, lam)
        step = np.clip(step, -max_step, max_step)
        Pn = np.clip(P + step, 0.0, p_max)
        if quantise is not None:
            Pn = quantise(Pn)
        wn, measn = chip(Pn)
        rn = (measn - target_w) * m
        cn = np.sum(rn * rn, axis=1)
        acc = cn < cost
        P[acc], w_chip[acc], r[acc], cost[acc] = Pn[acc], wn[acc], rn[acc], cn[acc]
        lam = np.where(acc, np.maximum(lam / 3.0, 1e-6), lam * 4.0)
        err = (w_chip - target_w) * m / scale
        history.append(float(np.median(np.sqrt((err**2).sum(1) / np.maximum(m.sum(1), 1)))))
    return P, fb.iterations, history


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def calibrate(
    evaluate: Evaluator,
    target_B: np.ndarray,
    mask: np.ndarray,
    bank_of_problem: np.ndarray,
    offsets_nm: np.ndarray,
    *,
    scale: float,
    mode: Literal["model", "feedback", "fitted"] = "model",
    iterations: int = 30,
    damping: float = 1e-3,
    feedback: FeedbackSettings | None = None,
    seed: int | np.random.SeedSequence = 0,
    tol_B: float = 1e-3,
    driver: HeaterDriver | None = None,
    spacing_nm: float | None = None,
) -> CalibrationResult:
    """Calibrate all problems (row tiles) on their physical banks.

    Args:
        evaluate: the bank design's :class:`Evaluator`.
        target_B: ``(R, N)`` target rows in units of B (masked entries ignored).
        mask: ``(R, N)`` bool, channels that carry a column.
        bank_of_problem: ``(R,)`` physical bank of each problem.
        offsets_nm: ``(B, N)`` true resonance offsets of the physical banks.
        scale: optical weight per unit of B (targets are ``scale · B``).
        mode: ``model`` (a), ``feedback`` (b, needs ``feedback``) or ``fitted`` (b with the
            controller's own fitted model, :mod:`~photonic_dfa.network_model.controller`; needs
            ``feedback`` and ``spacing_nm``, the channel spacing).
        driver: heater DACs: the final heaters (and every setting of the feedback loop) are
            quantised to its codes (None: continuous heater powers).
        tol_B: a ring whose final error exceeds this (units of B) with its heater at a bound, or
            whose target lies outside its achievable range, is reported unreachable.
    """
    target_w = np.where(mask, target_B * scale, 0.0)
    true_rows = offsets_nm[bank_of_problem]
    calls0 = evaluate.calls
    est, rng, k_fit = None, None, None
    quantise = None if driver is None else driver.quantise_mW
    if mode == "model":
        known = offsets_nm
    elif mode in ("feedback", "fitted"):
        if feedback is None:
            raise ValueError("feedback calibration needs FeedbackSettings")
        rng = np.random.default_rng(seed)
    else:
        raise ValueError(f"unknown calibration mode {mode!r}")
    if mode == "fitted":
        P, J, w_range, iters, history, k_fit = _solve_on_fitted_model(
            evaluate, target_w, bank_of_problem, offsets_nm, feedback, scale, rng, spacing_nm
        )
    else:
        if mode == "feedback" and feedback is not None and rng is not None:
            known = est = estimate_offsets(evaluate, offsets_nm, feedback, scale, rng)
        P, J, w_range, iters, history = _solve_on_model(
            evaluate, target_w, mask, bank_of_problem, known, iterations, damping, tol_B * scale
        )
    if feedback is not None and rng is not None:
        P, n_fb, hist_fb = _feedback_loop(
            evaluate, P, J, target_w, mask, true_rows, feedback, scale, rng, damping, quantise
        )
        iters += n_fb
        history += hist_fb
    if quantise is not None:
        P = quantise(P)
    w = evaluate.weights(P, true_rows)
    err_B = np.where(mask, (w - target_w) / scale, 0.0)
    rms = np.sqrt((err_B**2).sum(axis=1) / np.maximum(mask.sum(axis=1), 1))
    lo = w_range[bank_of_problem, :, 0] / scale
    hi = w_range[bank_of_problem, :, 1] / scale
    pinned = (P <= 1e-9) | (P >= evaluate.model.heater_max_mW - 1e-9)
    return CalibrationResult(
        heater_mW=P,
        weights=w,
        target=target_w,
        mask=mask,
        scale=scale,
        rms_B=rms,
        worst_B=np.abs(err_B).max(axis=1),
        bits=precision_bits(rms),
        unreachable=_unreachable(target_B, w / scale, err_B, mask, lo, hi, pinned, tol_B),
        iterations=iters,
        evaluations=evaluate.calls - calls0,
        mode=mode,
        offsets_estimated_nm=est,
        history=history,
        crosstalk_fitted=k_fit,
    )


def _solve_on_model(
    evaluate: Evaluator,
    target_w: np.ndarray,
    mask: np.ndarray,
    bank_of_problem: np.ndarray,
    known: np.ndarray,
    iterations: int,
    damping: float,
    tol_w: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, list[float]]:
    """Levenberg-Marquardt on the model with the ``known`` offsets, from the blue branch, and a
    second start on the red branch for rings pinned at 0 mW off target (the blue side could not
    reach the target). Returns heaters, Jacobians, the weight range, iterations and history."""
    model = evaluate.model
    P0, w_range = initial_heaters(model, target_w, bank_of_problem, known)
    known_rows = known[bank_of_problem]
    P, w, J, iters, history = levenberg_marquardt(
        evaluate, P0, target_w, known_rows, mask, iterations=iterations, damping=damping
    )
    pinned0 = mask & (P <= 1e-9) & (np.abs(w - target_w) > tol_w * 1e-2)
    retry = np.nonzero(pinned0.any(axis=1))[0]
    if retry.size:
        P0r, _ = initial_heaters(
            model,
            target_w[retry],
            bank_of_problem[retry],
            known,
            branch="red",
            rings=pinned0[retry],
        )
        Pr, wr, Jr, it_r, _ = levenberg_marquardt(
            evaluate,
            P0r,
            target_w[retry],
            known_rows[retry],
            mask[retry],
            iterations=iterations,
            damping=damping,
        )
        m = mask[retry]
        better = np.sum(((wr - target_w[retry]) * m) ** 2, axis=1) < np.sum(
            ((w[retry] - target_w[retry]) * m) ** 2, axis=1
        )
        idx = retry[better]
        P[idx], w[idx], J[idx] = Pr[better], wr[better], Jr[better]
        iters += it_r
    return P, J, w_range, iters, list(history)


def _unreachable(
    target_B: np.ndarray,
    realised_B: np.ndarray,
    err_B: np.ndarray,
    mask: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    pinned: np.ndarray,
    tol_B: float,
) -> list[tuple[int, int, float, float, str]]:
    """``(problem, ring, target_B, realised_B, reason)`` of each target outside its ring's range
    or missed by more than ``tol_B`` with the heater at a bound."""
    out_of_range = mask & ((target_B > hi) | (target_B < lo))
    stuck = mask & pinned & (np.abs(err_B) > tol_B)
    out = []
    for prob, ring in zip(*np.nonzero(out_of_range | stuck), strict=True):
        reason = (
            f"target outside the ring's range [{lo[prob, ring]:.3f}, {hi[prob, ring]:.3f}]"
            if out_of_range[prob, ring]
            else "heater at its bound"
        )
        out.append(
            (
                int(prob),
                int(ring),
                float(target_B[prob, ring]),
                float(realised_B[prob, ring]),
                reason,
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Mode ``fitted``: the controller's own model (issue 13)
# --------------------------------------------------------------------------------------------


def _solve_on_fitted_model(
    evaluate: Evaluator,
    target_w: np.ndarray,
    bank_of_problem: np.ndarray,
    offsets_nm: np.ndarray,
    fb: FeedbackSettings | None,
    scale: float,
    rng: np.random.Generator | None,
    spacing_nm: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, list[float], np.ndarray]:
    """Heaters from the controller's fitted Lorentzian model of each bank, measured on the chip
    (:func:`~photonic_dfa.network_model.controller.fit_controller_model`). The weight range
    returned (for the report of unreachable targets only) is the true rings' own range; last,
    the fitted crosstalk ``(B, N, N)``."""
    from photonic_dfa.network_model.controller import fit_controller_model

    if fb is None or rng is None or spacing_nm is None:
        raise ValueError("calibration mode 'fitted' needs FeedbackSettings and spacing_nm")

    def measure(w: np.ndarray) -> np.ndarray:  # search readings: gain for |w| <= 1
        return measure_weights(rng, w / scale, fb, full_scale=1.0 / scale) * scale

    ctrl = fit_controller_model(evaluate, offsets_nm, measure, spacing_nm)
    P, J = ctrl.solve(target_w, bank_of_problem, evaluate.model.heater_max_mW)
    _, w_range = initial_heaters(evaluate.model, target_w, bank_of_problem, offsets_nm)
    return P, J, w_range, 0, [], ctrl.crosstalk
