"""Signed encoding of the error vector, the BPD/TIA/ADC readout of a weight bank, and its decoding.

Pure JAX, jittable (also inside ``lax.scan``) and vmappable over runs. One MAC result (row ``r`` of
``B̃`` times ``e``) is read as ``ceil(N/d_R)`` tiles; each tile is one analogue BPD reading with its
own noise and ADC conversion, and the tiles are summed digitally.

Encoding (``e``: ``(batch, N)``, ``m = max_j |e_j|`` per sample):

* ``offset``: channel ``j`` carries ``x_j = (1 + e_j/m)/2 ∈ [0, 1]`` of the per-channel power ``P``.
  The BPD current of a tile is ``I = R P s Σ_j B̃_rj x_j`` (``s``: optical weight per unit of B), so
  ``Σ_j B̃_rj e_j = m (2 I/(R P s) − Σ_j B̃_rj)``: the bias ``Σ_j B̃_rj`` is subtracted
  digitally, as the chip's own reading of the zero vector (``x = 1/2`` everywhere) measured at
  calibration (:func:`offset_bias`: it then also cancels the encoding hardware's common-mode part). Cost: the signal spans half the ADC range (one bit), and the
  constant half of the light adds shot noise and RIN even for ``e = 0``.
* ``two_pass``: ``x⁺ = max(e, 0)/m`` and ``x⁻ = max(−e, 0)/m`` in two clock cycles, ``I⁺ − I⁻``
  decoded: the full ADC range for the signal, no bias, but two noisy readings and half the throughput.

Noise of one reading, as a current variance (Δf: bandwidth, R: responsivity, q: electron charge):

* shot noise ``2 q (I_D + I_T) Δf`` of the light reaching both photodiodes, ``I_D + I_T ≈ R P η Σ x``
  with ``η = D + T`` the bank's mean transmission sum (signal dependent);
* laser RIN ``RIN·Δf·(R P s)² Σ_j B̃_rj² x_j²`` (independent lasers per channel; signal dependent);
* TIA input-referred thermal noise ``i_n² Δf``;
* ADC: its own input-referred Gaussian noise ``adc_noise_lsb`` LSB (a converter of ENOB below its
  ``b`` bits), then ``b`` bits over ``±F`` with ``F`` = ``adc_range_fraction`` × the largest possible tile signal
  ``R P s · min(d_R, N)``; the rounding is drawn explicitly (mid-tread, codes ``−2^(b−1) … 2^(b−1)−1``,
  clipped), so its error is the true deterministic quantisation error of the noisy analogue value, of
  variance ``LSB²/12`` for a signal spread over many LSBs (tested).

Encoding hardware (:mod:`~photonic_dfa.network_model.encoding`): the requested fractions ``x`` pass
through the modulators' transfer (finite extinction, sin² or Lorentzian nonlinearity, optional
pre-distortion) and the static per-laser power spread before they reach the bank; the RIN is per
laser; the balanced detector's responsivity mismatch adds to the detected weights. The decoder
knows none of this beyond a calibrated extinction floor (with pre-distortion), so each effect shows
up as MAC error (:func:`mac_error_stats`); with the defaults (ideal modulators, no spread, no
mismatch) the chain is the ideal encoding.

All analogue noise terms are Gaussian; they are summed as one Gaussian per reading with the
variance computed from the actual signal (:func:`reading_variance`). Everything is computed in
"reading units" (the tile signal divided by ``R P s``) so float32 holds it without loss.

The Gaussian draws use :func:`standard_normal`: a counter-based integer hash (seeded from the JAX
key by one threefry call) turned into an approximately Gaussian variate. Threefry itself costs
~5 ns per draw on this 2-core CPU — 0.45 s per MNIST epoch for the ~10⁸ per-MAC draws, more than
the 15 % time budget of ``dfa-photonic`` over ``dfa`` — while the hash costs ~1 ns.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from photonic_dfa.network_model.artifact import ReadoutParams
from photonic_dfa.network_model.encoding import (
    detected_weights,
    floor_correction,
    laser_rin_factors,
    optical_amplitudes,
)

__all__ = [
    "ELECTRON_CHARGE_C",
    "adc_lsb",
    "adc_quantise",
    "decode",
    "encode",
    "mac_error_stats",
    "noise_breakdown",
    "offset_bias",
    "photonic_feedback",
    "reading_variance",
    "reading_variance_terms",
    "standard_normal",
    "tiles",
]

ELECTRON_CHARGE_C = 1.602176634e-19

# Moment-matching cubic applied to the standardised sum of four uniform bytes (Irwin-Hall, n = 4):
# z = s (a + b s²) has mean 0, variance 1 and kurtosis 3 exactly; sixth moment 14.46 (Gaussian:
# 15); largest |z| = 4.04; Kolmogorov distance to N(0, 1) = 0.0032 (computed from the exact pmf).
_IH_MEAN = 510.0
_IH_STD = 147.80054127099805
_IH_A = 0.9490332780919546
_IH_B = 0.01864238250204502


def _mix32(x: jax.Array) -> jax.Array:
    """A 32-bit avalanche hash (the "lowbias32" mixer: xor-shift-multiply, bias ≈ 0.17)."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x7FEB352D)
    x = x ^ (x >> 15)
    x = x * jnp.uint32(0x846CA68B)
    return x ^ (x >> 16)


def standard_normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """Approximately standard-normal float32 variates, fast on CPU.

    One threefry call derives two 32-bit seeds from ``key``; element ``i`` is the double hash
    ``mix(mix(i ⊕ s0) + s1)``, whose four bytes are summed (Irwin-Hall) and passed through a
    moment-matching cubic. Mean, variance and kurtosis are those of N(0, 1); tails are cut at 4.04σ.

    Args:
        key: a JAX PRNG key (typed or raw uint32).
        shape: output shape; at most 2³² elements.
    """
    seeds = jax.random.bits(key, (2,), jnp.uint32)
    size = math.prod(shape)
    h = _mix32(_mix32(lax.iota(jnp.uint32, size) ^ seeds[0]) + seeds[1]).reshape(shape)
    t = (h & 0xFF) + ((h >> 8) & 0xFF) + ((h >> 16) & 0xFF) + (h >> 24)
    s = (t.astype(jnp.float32) - _IH_MEAN) * (1.0 / _IH_STD)
    return s * (_IH_A + _IH_B * s * s)


def encode(e: jax.Array, params: ReadoutParams) -> tuple[jax.Array, jax.Array]:
    """Optical channel amplitudes of ``e`` (fractions of the per-channel power).

    Args:
        e: ``(batch, N)`` error vectors.

    Returns:
        ``(x, m)``: ``x`` is ``(P, batch, N)`` in ``[0, 1]`` with ``P = 1`` pass (offset) or 2 (two
        passes, ``e⁺`` then ``e⁻``); ``m`` is ``(batch,)``, the per-sample ``max|e|`` (the
        digital scale of the decoding; a zero vector is sent as ``x = 1/2`` and decodes to 0).
    """
    m = jnp.max(jnp.abs(e), axis=-1)
    u = e / jnp.where(m > 0, m, jnp.ones_like(m))[:, None]
    if params.encoding == "offset":
        return (0.5 * (1.0 + u))[None], m
    return jnp.stack([jnp.maximum(u, 0.0), jnp.maximum(-u, 0.0)]), m


def _xp(a: Any) -> Any:
    """numpy for numpy inputs (calibration, outside jit), jax.numpy for JAX arrays and tracers."""
    return jnp if isinstance(a, jax.Array) else np


def tiles(a: Any, d_r: int) -> Any:
    """Split the last axis (length N) into ``(T, d_R)`` tiles, ``T = ceil(N / d_R)``, zero-padded:
    the row tiling of a product over a bank of ``d_R`` rings (numpy or JAX arrays)."""
    xp = _xp(a)
    n = a.shape[-1]
    t = -(-n // d_r)
    pad = t * d_r - n
    if pad:
        a = xp.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)])
    return a.reshape(*a.shape[:-1], t, d_r)


def _full_scale(params: ReadoutParams, n: int) -> float:
    """ADC full scale ``F`` (reading units): the signal range is ``[−F, F]``."""
    return params.adc_range_fraction * min(params.rows_per_bank, n)


def adc_lsb(full_scale: Any, bits: int) -> Any:
    """One ADC step over ``±full_scale``."""
    return 2.0 * full_scale / 2.0**bits


def adc_quantise(y: Any, full_scale: Any, bits: int) -> Any:
    """Mid-tread ADC of ``bits`` bits over ``[−full_scale, full_scale]``: round to the LSB
    ``2·full_scale/2^bits`` and clip to the codes ``−2^(bits−1) … 2^(bits−1) − 1`` (numpy or JAX)."""
    xp = _xp(y)
    lsb = adc_lsb(full_scale, bits)
    code = xp.clip(xp.round(y / lsb), -(2.0 ** (bits - 1)), 2.0 ** (bits - 1) - 1)
    return code * lsb


def _noise_coefficients(params: ReadoutParams) -> tuple[Any, Any, Any]:
    """``(shot, rin, thermal)``: variance per unit ``Σx``, per unit ``Σ B²x²``, and constant, in
    reading units (``(R P s)²``)."""
    p_w = params.channel_power_mW * 1e-3
    r = params.responsivity_A_W
    s = params.weight_scale
    df = params.bandwidth_GHz * 1e9
    i0 = r * p_w * s  # A per reading unit
    shot = 2.0 * ELECTRON_CHARGE_C * params.transmission_sum * df / (r * p_w * s * s)
    rin = 10.0 ** (params.rin_dB_Hz / 10.0) * df
    thermal = (params.tia_noise_pA_rtHz * 1e-12) ** 2 * df / (i0 * i0)
    return shot, rin, thermal


def reading_variance_terms(
    x_tiles: jax.Array,
    B_tiles: jax.Array,
    params: ReadoutParams,
    rin_tiles: jax.Array | None = None,
) -> dict[str, jax.Array]:
    """Analogue noise variance of each tile reading by source, in reading units (``(R P s)²``).

    Args:
        x_tiles: ``(batch, T, d_R)`` optical channel amplitudes (units of the nominal power).
        B_tiles: ``(n_k, T, d_R)`` weights as detected, in units of B.
        rin_tiles: ``(T, d_R)`` RIN of each laser relative to ``rin_dB_Hz`` (None: all equal).

    Returns:
        ``shot`` ``(batch, 1, T)``, ``rin`` ``(batch, n_k, T)`` and ``thermal`` ``()`` variances.
    """
    shot, rin, thermal = _noise_coefficients(params)
    sum_x = jnp.sum(x_tiles, axis=-1)  # (batch, T)
    x2 = x_tiles * x_tiles if rin_tiles is None else x_tiles * x_tiles * rin_tiles
    sum_bx2 = jnp.einsum("btj,ktj->bkt", x2, B_tiles * B_tiles)
    return {
        "shot": (shot * sum_x)[:, None, :],
        "rin": rin * sum_bx2,
        "thermal": jnp.asarray(thermal, jnp.float32),
    }


def reading_variance(
    x_tiles: jax.Array,
    B_tiles: jax.Array,
    params: ReadoutParams,
    rin_tiles: jax.Array | None = None,
) -> jax.Array:
    """Total analogue noise variance ``(batch, n_k, T)`` of each tile reading (reading units):
    shot + RIN + TIA thermal (:func:`reading_variance_terms`)."""
    t = reading_variance_terms(x_tiles, B_tiles, params, rin_tiles)
    return t["shot"] + t["rin"] + t["thermal"]


def _read(
    key: jax.Array, x: jax.Array, B: jax.Array, params: ReadoutParams, noise: bool
) -> jax.Array:
    """Digitised readings of one pass summed over tiles: ``(batch, n_k)`` in reading units.

    ``x``: ``(batch, N)`` optical channel amplitudes; ``B``: ``(n_k, N)`` detected weights. One
    tile (``N ≤ d_R``, the common case) uses plain matrix products; more tiles a batched product
    over tiles.
    """
    n = x.shape[-1]
    rin_rel = laser_rin_factors(params, n)
    if n <= params.rows_per_bank:
        signal = x @ B.T  # (batch, n_k)
        if not noise:
            return signal
        shot, rin, thermal = _noise_coefficients(params)
        var = (shot * jnp.sum(x, -1, keepdims=True) + thermal) + rin * (
            (x * x * rin_rel) @ (B * B).T
        )
    else:
        x_t = tiles(x, params.rows_per_bank)  # (batch, T, d_R)
        B_t = tiles(B, params.rows_per_bank)  # (n_k, T, d_R)
        signal = jnp.einsum("btj,ktj->bkt", x_t, B_t)
        if not noise:
            return signal.sum(-1)
        var = reading_variance(x_t, B_t, params, tiles(rin_rel[None], params.rows_per_bank)[0])
    full_scale = _full_scale(params, n)
    var = var + (params.adc_noise_lsb * adc_lsb(full_scale, params.adc_bits)) ** 2
    analog = signal + jnp.sqrt(var) * standard_normal(key, signal.shape)
    q = adc_quantise(analog, full_scale, params.adc_bits)
    return q if q.ndim == 2 else q.sum(-1)


def decode(readings: jax.Array, m: jax.Array, bias: jax.Array, params: ReadoutParams) -> jax.Array:
    """MAC results ``(batch, n_k)`` from the per-pass readings ``(P, batch, n_k)``."""
    if params.encoding == "offset":
        return m[:, None] * (2.0 * readings[0] - bias[None, :])
    return m[:, None] * (readings[0] - readings[1])


def photonic_feedback(
    key: jax.Array,
    e: jax.Array,
    B_realised: jax.Array,
    params: ReadoutParams,
    *,
    noise: bool = True,
) -> jax.Array:
    """The chip's DFA feedback ``B̃ e`` for a batch: encode, tile, read (noise, ADC), decode.

    Args:
        key: PRNG key of this call (ignored when ``noise`` is False).
        e: ``(batch, N)`` output errors.
        B_realised: ``(n_k, N)`` realised matrix in units of B.
        params: the readout chain (static structure; float fields may be traced).
        noise: False: exact encoding/decoding without noise or ADC, which returns
            ``e @ B_realised.T`` to float32 round-off.

    Returns:
        ``(batch, n_k)`` float32.
    """
    e = jnp.asarray(e, jnp.float32)
    B = jnp.asarray(B_realised, jnp.float32)
    if params.noise_model == "paper_gaussian":
        y = e @ B.T
        if not noise:
            return y
        m = jnp.max(jnp.abs(e), axis=-1, keepdims=True)
        z = standard_normal(key, y.shape)
        return y + m * (params.paper_mean + params.paper_std * z)
    x, m = encode(e, params)
    x_opt = optical_amplitudes(x, params)
    B_det = detected_weights(B, params)
    keys = jax.random.split(key, x.shape[0]) if noise and x.shape[0] > 1 else [key] * x.shape[0]
    readings = jnp.stack(
        [_read(keys[p], x_opt[p], B_det, params, noise) for p in range(x.shape[0])]
    )
    readings = _remove_floor(readings, B, params)
    return decode(readings, m, offset_bias(B, params), params)


def _remove_floor(readings: jax.Array, B: jax.Array, params: ReadoutParams) -> jax.Array:
    """Readings with the modulators' calibrated extinction floor removed digitally (only with
    pre-distortion of a non-ideal modulator)."""
    correct, eps = floor_correction(params)
    if not correct:
        return readings
    return (readings - eps * jnp.sum(B, axis=-1)) / (1.0 - eps)


def offset_bias(B_realised: jax.Array, params: ReadoutParams) -> jax.Array:
    """``(n_k,)`` bias the ``offset`` decoder subtracts: twice the chip's own noise-free reading of
    the zero vector (every channel at ``x = 1/2``), measured once per calibration.

    With ideal encoding hardware this is ``Σ_j B̃_rj``. Measured through the chip it also holds what
    the modulators (transfer at ``x = 1/2``), the laser power spread and the detectors' mismatch
    (common-mode light) add to every reading, so they do not leave an ``e``-independent offset
    ``m·c_r`` in the decoded MAC; what remains is their effect on the signal itself. ``two_pass``:
    zeros (no bias).
    """
    B = jnp.asarray(B_realised, jnp.float32)
    if params.encoding != "offset":
        return jnp.zeros(B.shape[0], jnp.float32)
    half = optical_amplitudes(jnp.full((1, B.shape[-1]), 0.5, jnp.float32), params)
    zero = _read(jax.random.key(0), half, detected_weights(B, params), params, False)
    return 2.0 * _remove_floor(zero, B, params)[0]


def mac_error_stats(
    key: jax.Array, e: jax.Array, B_realised: jax.Array, params: ReadoutParams
) -> dict[str, float]:
    """Monte-Carlo statistics of the MAC error ``photonic_feedback − e B̃ᵀ`` in the paper's unit.

    Returns:
        ``mean`` and ``std`` of the error divided by ``max|e|`` (per sample), and
        ``effective_bits = log2(2N / (std·√12))``: the resolution of an ideal quantiser over the
        full MAC range ``±N·max|e|`` (``|B| ≤ 1``) with the same error std.
    """
    y = jax.jit(photonic_feedback, static_argnames="noise")(key, e, B_realised, params, noise=True)
    ref = jnp.asarray(e, jnp.float32) @ jnp.asarray(B_realised, jnp.float32).T
    m = jnp.max(jnp.abs(e), axis=-1, keepdims=True)
    m = jnp.where(m > 0, m, 1.0)
    err = (y - ref) / m
    std = float(jnp.std(err))
    n = e.shape[-1]
    return {
        "mean": float(jnp.mean(err)),
        "std": std,
        "effective_bits": float(math.log2(2 * n / (std * math.sqrt(12)))) if std > 0 else math.inf,
    }


def noise_breakdown(e: jax.Array, B_realised: jax.Array, params: ReadoutParams) -> dict[str, float]:
    """RMS contribution of each noise source to the decoded MAC, in units of ``max|e|``.

    Analytic (no sampling), averaged over the samples of ``e`` and the rows of ``B̃``: the analogue
    variances of :func:`reading_variance_terms` and the ADC's ``LSB²/12`` and its own noise per reading, summed over
    the tiles and passes and propagated through the decoding (× 2 for ``offset``). ``total`` is
    their quadrature sum and ``effective_bits = log2(2N / (total·√12))``.
    """
    e = jnp.asarray(e, jnp.float32)
    B_t = tiles(jnp.asarray(B_realised, jnp.float32), params.rows_per_bank)
    x, _ = encode(e, params)
    x = optical_amplitudes(x, params)
    rin_t = tiles(laser_rin_factors(params, e.shape[-1])[None], params.rows_per_bank)[0]
    n_pass, n_tiles = x.shape[0], B_t.shape[1]
    gain2 = 4.0 if params.encoding == "offset" else 1.0
    var = {"shot": 0.0, "rin": 0.0, "thermal": 0.0}
    for p in range(n_pass):
        terms = reading_variance_terms(tiles(x[p], params.rows_per_bank), B_t, params, rin_t)
        for name, v in terms.items():
            full = jnp.broadcast_to(v, (e.shape[0], B_t.shape[0], n_tiles))
            var[name] = var[name] + float(jnp.mean(full.sum(-1)))
    lsb = adc_lsb(_full_scale(params, e.shape[-1]), params.adc_bits)
    var["adc"] = lsb**2 * (1.0 / 12.0 + params.adc_noise_lsb**2) * n_tiles * n_pass
    out = {name: math.sqrt(gain2 * v) for name, v in var.items()}
    total = math.sqrt(sum(v * v for v in out.values()))
    out["total"] = total
    n = e.shape[-1]
    out["effective_bits"] = math.log2(2 * n / (total * math.sqrt(12))) if total > 0 else math.inf
    return out
