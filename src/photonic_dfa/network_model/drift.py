"""Drift of the chip's temperature over a training run, its effect on B̃, and recalibration.

Temperature of ring ``i`` of physical bank ``b`` at time ``t`` (K, relative to the calibration):
``T_bi(t) = A(t) + L_bi(t)``, a global ambient term ``A`` and independent per-ring local terms
``L_bi``. Each is an Ornstein–Uhlenbeck process of stationary standard deviation ``σ`` and
correlation time ``τ``: autocovariance ``σ² exp(−|Δt|/τ)``, one-sided power spectral density
``S(f) = 4 σ² τ / (1 + (2π f τ)²)`` (K²/Hz; white below ``1/(2πτ)``, ``1/f²`` above). It is sampled
exactly at the batch period ``Δt``: ``x_{n+1} = a x_n + σ √(1 − a²) ξ_n``, ``a = exp(−Δt/τ)``,
started from the stationary distribution (:func:`ou_process`). Amplitudes: a TEC-stabilised stage
~0.01 K, an unstabilised chip 0.1–1 K over hours (Padmaraju & Bergman, Nanophotonics 3, 269 (2014);
values and citations in :mod:`photonic_dfa.config.model`).

A temperature change ``ΔT`` of a whole ring changes its round-trip phase by
``2π (dn/dT) L ΔT / λ``, i.e. red-shifts its resonance by ``dλ/dT · ΔT`` with
``dλ/dT = λ (dn/dT) L / (n_g L)`` (the circuit's own thermal model and group delay,
:func:`shift_per_K_nm`); it enters the bus circuit as the ring's ``shift_nm``. For training, B̃ is
linearised in the ring temperatures about the calibrated point: ``B̃(t) = B̃ + J ΔT(t)`` with the
Jacobian ``J = ∂B̃/∂T`` of every row tile by central differences through the whole bus circuit
(:func:`drift_jacobian`); ``extract`` reports the linearisation error against the full circuit.

Recalibration (:func:`recalibration_schedule`): every ``K`` batches, and/or when the monitored
drift error (RMS of ``J ΔT`` over all weights, units of B) exceeds a threshold, the controller
recalibrates: the chip returns to its calibrated state and ``ΔT`` is counted from the temperature at
that moment. Its time (:func:`recalibration_time_s`) is that of the feedback loop's measurements.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "DriftClock",
    "DriftParams",
    "DriftSchedule",
    "drift_error_series",
    "drift_gram",
    "drift_jacobian",
    "drifted_matrices",
    "ou_process",
    "recalibration_schedule",
    "recalibration_time_s",
    "shift_per_K_nm",
    "temperature_trace",
]

#: temperature step of the central differences of :func:`drift_jacobian` (K)
JACOBIAN_STEP_K = 0.01


@dataclass(frozen=True)
class DriftParams:
    """The temperature processes, the batch period and the recalibration policy.

    Attributes:
        ambient_K, ambient_tau_s: std (K) and correlation time (s) of the global term.
        local_K, local_tau_s: the same of each ring's own term.
        batch_s: chip time per training batch (s).
        seed: seed of the processes.
        recal_every_batches: recalibrate every K batches (None: no period).
        recal_threshold_B: recalibrate when the monitored error exceeds this (None: never).
        recal_time_s: time one recalibration of the whole array takes (s).
    """

    ambient_K: float = 0.0
    ambient_tau_s: float = 600.0
    local_K: float = 0.0
    local_tau_s: float = 1.0
    batch_s: float = 0.1
    seed: int = 0
    recal_every_batches: int | None = None
    recal_threshold_B: float | None = None
    recal_time_s: float = 0.0

    @property
    def active(self) -> bool:
        return self.ambient_K > 0 or self.local_K > 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftParams:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def ou_process(
    rng: np.random.Generator,
    n_steps: int,
    dt_s: float,
    sigma: float,
    tau_s: float,
    shape: tuple[int, ...] = (),
    start: np.ndarray | None = None,
) -> np.ndarray:
    """``(n_steps, *shape)`` exact samples of an OU process (std ``sigma``, correlation time
    ``tau_s``) at period ``dt_s``; the first sample follows ``start`` by one step, or is drawn
    from the stationary distribution when ``start`` is None."""
    from scipy.signal import lfilter

    a = math.exp(-dt_s / tau_s)
    z = rng.standard_normal((n_steps, *shape))
    if start is None:
        x0 = sigma * z[0]
        drive = sigma * math.sqrt(1.0 - a * a) * z[1:]
        rest = lfilter([1.0], [1.0, -a], drive, axis=0, zi=(a * x0)[None])[0]
        return np.concatenate([x0[None], rest])
    drive = sigma * math.sqrt(1.0 - a * a) * z
    return lfilter([1.0], [1.0, -a], drive, axis=0, zi=(a * np.asarray(start))[None])[0]


def temperature_trace(
    params: DriftParams,
    n_steps: int,
    banks: int,
    rings: int,
    *,
    rng: np.random.Generator | None = None,
    state: tuple[Any, np.ndarray] | None = None,
) -> tuple[np.ndarray, tuple[Any, np.ndarray]]:
    """Ring temperatures ``(n_steps, banks, rings)`` (K): ambient + local OU terms, one sample
    per batch; and the last ``(ambient, local (banks, rings))`` terms, from which a later call
    continues the same processes (``state``, e.g. epoch after epoch)."""
    rng = rng if rng is not None else np.random.default_rng(params.seed)
    a0, l0 = (None, None) if state is None else (np.asarray(state[0]), state[1])
    amb = ou_process(rng, n_steps, params.batch_s, params.ambient_K, params.ambient_tau_s, (), a0)
    loc = ou_process(
        rng, n_steps, params.batch_s, params.local_K, params.local_tau_s, (banks, rings), l0
    )
    return amb[:, None, None] + loc, (amb[-1], loc[-1])


def shift_per_K_nm(circuit: Any) -> np.ndarray:
    """``(N,)`` resonance shift per kelvin of each whole ring (nm/K) at its own channel:
    ``λ_i (dn/dT) L_i / (n_g L)_i`` of a circuit evaluated on the channel grid ``(N,)``."""
    wl = np.asarray(circuit.wl_um, np.float64)
    ngl = np.asarray(circuit.ng_length_um, np.float64)
    idx = np.arange(wl.size)
    length = np.asarray(circuit.round_trip_um, np.float64)
    return wl * 1e3 * float(circuit.dneff_dT_per_K) * length / ngl[idx, idx]


def drift_jacobian(
    evaluator: Any,
    heater_mW: np.ndarray,
    shift_nm: np.ndarray,
    nm_per_K: np.ndarray,
    step_K: float = JACOBIAN_STEP_K,
) -> np.ndarray:
    """``(R, N_channels, N_rings)`` derivative of the optical weights ``D − T`` of ``R`` banks
    with respect to each ring's temperature (1/K), by central differences through the whole bus
    circuit (``evaluator``: :class:`~photonic_dfa.network_model.weights.Evaluator`)."""
    r, n = heater_mW.shape
    steps = np.eye(n) * (nm_per_K * step_K)[None, :]  # (ring, N): one ring shifted at a time
    s = np.concatenate([shift_nm[None] + steps[:, None], shift_nm[None] - steps[:, None]])
    p = np.broadcast_to(heater_mW, (2 * n, r, n))
    w = evaluator.weights(p.reshape(-1, n), s.reshape(-1, n)).reshape(2, n, r, n)
    return np.moveaxis((w[0] - w[1]) / (2.0 * step_K), 0, -1)  # (R, channel, ring)


def drift_gram(jac_B: np.ndarray, bank_of: np.ndarray, banks: int) -> np.ndarray:
    """``(banks, N, N)`` Gram matrices ``G_b`` of the per-row Jacobians ``(R, N_ch, N_ring)``
    (units of B per K) so that the RMS drift error over all ``R·N_ch`` weights is
    ``sqrt(Σ_b ΔT_bᵀ G_b ΔT_b)`` (:func:`drift_error_series`)."""
    n = jac_B.shape[-1]
    per_row = np.einsum("rci,rcj->rij", jac_B, jac_B) / (jac_B.shape[0] * jac_B.shape[1])
    gram = np.zeros((banks, n, n))
    np.add.at(gram, bank_of, per_row)
    return gram


def drift_error_series(gram: np.ndarray, dT: np.ndarray) -> np.ndarray:
    """RMS drift error (units of B) ``(S,)`` of temperature offsets ``(S, banks, N)``."""
    return np.sqrt(np.maximum(np.einsum("sbi,bij,sbj->s", dT, gram, dT), 0.0))


@dataclass(frozen=True)
class DriftSchedule:
    """Temperatures relative to the last recalibration and when the recalibrations happened.

    Attributes:
        dT: ``(S, banks, N)`` ring temperatures minus those at the last (re)calibration (K).
        recal_steps: steps at which the array was recalibrated (before that step's batch).
        error_B: ``(S,)`` monitored RMS drift error (units of B).
        reference: ``(banks, N)`` temperatures at the last recalibration (to continue from).
        since: steps from the last recalibration to the end of the trace (to continue from).
    """

    dT: np.ndarray
    recal_steps: np.ndarray
    error_B: np.ndarray
    reference: np.ndarray
    since: int


#: steps of the monitored error evaluated at once (adapted to the spacing of recalibrations)
_WINDOW_MIN, _WINDOW_MAX = 8, 8192


def recalibration_schedule(
    temps: np.ndarray,
    gram: np.ndarray,
    every: int | None,
    threshold_B: float | None,
    *,
    reference: np.ndarray | None = None,
    since: int = 0,
) -> DriftSchedule:
    """Apply a recalibration policy to a temperature trace ``(S, banks, N)``.

    Args:
        temps: ring temperatures (K) at each step.
        gram: ``(banks, N, N)`` of :func:`drift_gram`.
        every: recalibrate every ``every`` steps after the last recalibration; None: no period.
        threshold_B: recalibrate before the first step whose monitored error exceeds it; None: no.
        reference, since: the temperatures at the last calibration (default ``temps[0]``) and the
            steps since then (to continue a schedule, e.g. over epochs).
    """
    s_all = temps.shape[0]
    ref = temps[0] if reference is None else np.asarray(reference)
    dT, err = np.empty_like(temps), np.empty(s_all)
    recals: list[int] = []
    start, window = 0, _WINDOW_MIN
    while start < s_all:
        limit = s_all if every is None else min(s_all, start + every - since)
        stop = min(limit, start + window)
        d = temps[start:stop] - ref
        e = drift_error_series(gram, d)
        over = np.nonzero(e > threshold_B)[0] if threshold_B is not None else np.zeros(0, int)
        end = start + int(over[0]) if over.size else stop
        recal = bool(over.size) or (every is not None and end == limit)
        dT[start:end], err[start:end] = d[: end - start], e[: end - start]
        # the next window: twice this segment (crossings come at about that spacing)
        window = int(np.clip(2 * (end - start), _WINDOW_MIN, _WINDOW_MAX))
        since += end - start
        if recal and end < s_all:
            recals.append(end)
            ref, since = temps[end], 0
        start = end
    return DriftSchedule(dT, np.asarray(recals, int), err, np.array(ref), since)


def recalibration_time_s(
    problems_per_bank: int,
    rings: int,
    iterations: int,
    averages: int,
    settle_s: float,
    adc_gsps: float,
) -> float:
    """Time of one recalibration (s): every bank in parallel re-runs the feedback loop for each
    of its row tiles: ``iterations`` × (heater settling ``settle_s``, that of the heater driver,
    :func:`~photonic_dfa.network_model.drivers.settle_time_s`, + ``rings`` one-hot weight
    measurements of ``averages`` ADC samples each)."""
    per_iteration = settle_s + rings * averages / (adc_gsps * 1e9)
    return float(problems_per_bank * iterations * per_iteration)


def drifted_matrices(
    B: tuple[jax.Array, ...],
    jac: tuple[jax.Array, ...],
    tile_bank: tuple[jax.Array, ...],
    dT: jax.Array,
) -> tuple[jax.Array, ...]:
    """B̃(t) per layer ``(n_k, n_out)`` = ``B̃ + J ΔT``: ``jac`` per layer ``(n_k, T, d_R, d_R)``
    (units of B per K; channel, ring), ``tile_bank`` ``(n_k, T)`` the physical bank of each row
    tile, ``dT`` ``(banks, d_R)`` the ring temperatures relative to the last calibration (K)."""
    out = []
    for b, j, tb in zip(B, jac, tile_bank, strict=True):
        d = jnp.einsum("rtci,rti->rtc", j, dT[tb])  # (n_k, T, d_R)
        out.append(b + d.reshape(b.shape[0], -1)[:, : b.shape[1]])
    return tuple(out)


class DriftClock:
    """The drift of one training run, epoch after epoch: the temperature processes continued
    across epochs and the recalibration policy applied (deterministic for a seed, so a resumed
    run sees the same temperatures: :meth:`skip`).

    Args:
        params: processes and policy; gram: ``(banks, N, N)`` of :func:`drift_gram`;
        n_batches: batches per epoch (one temperature sample each).
    """

    def __init__(self, params: DriftParams, gram: np.ndarray, n_batches: int) -> None:
        self.params, self.gram, self.n_batches = params, gram, int(n_batches)
        self._rng = np.random.default_rng(params.seed)
        self._state: tuple[Any, np.ndarray] | None = None
        self._reference: np.ndarray | None = None
        self._since = 0

    def next_epoch(self) -> DriftSchedule:
        """The next epoch's schedule: ``dT`` ``(n_batches, banks, N)`` and its recalibrations."""
        banks, n = self.gram.shape[0], self.gram.shape[1]
        temps, self._state = temperature_trace(
            self.params, self.n_batches, banks, n, rng=self._rng, state=self._state
        )
        p = self.params
        sch = recalibration_schedule(
            temps,
            self.gram,
            p.recal_every_batches,
            p.recal_threshold_B,
            reference=self._reference,
            since=self._since,
        )
        self._reference, self._since = sch.reference, sch.since
        return sch

    def skip(self, epochs: int) -> None:
        """Advance over ``epochs`` epochs already trained (resume)."""
        for _ in range(int(epochs)):
            self.next_epoch()
