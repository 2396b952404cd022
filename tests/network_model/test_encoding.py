"""Encoding hardware: modulator transfers, pre-distortion, laser spread, per-laser RIN and the
balanced detector's mismatch, each seen in the MAC error in the expected direction."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from photonic_dfa.network_model.artifact import ReadoutParams
from photonic_dfa.network_model.encoding import (
    extinction_floor,
    laser_rin_factors,
    modulator_drive,
    modulator_transfer,
)
from photonic_dfa.network_model.readout import noise_breakdown, offset_bias, photonic_feedback


@pytest.mark.parametrize("kind", ["mzm", "ring"])
@pytest.mark.parametrize("er_dB", [7.0, 25.0])
def test_modulator_transfer_spans_the_extinction_ratio_and_is_monotone(kind, er_dB):
    u = np.linspace(0.0, 1.0, 1001)
    t = modulator_transfer(u, kind, er_dB)
    assert t[0] == pytest.approx(extinction_floor(er_dB)) and t[-1] == pytest.approx(1.0)
    assert 10 * np.log10(t[-1] / t[0]) == pytest.approx(er_dB)
    assert np.all(np.diff(t) > 0)
    # MZM: sin² (Mach–Zehnder interference); its midpoint is the mean of the extremes
    if kind == "mzm":
        assert t[500] == pytest.approx(0.5 * (1 + extinction_floor(er_dB)))


def _errors(e, B, **fields):
    """Deterministic MAC error (noise off, so only the encoding hardware) in units of max|e|."""
    p = dataclasses.replace(ReadoutParams(), **fields)
    y = photonic_feedback(jax.random.key(0), e, B, p, noise=False)
    m = jnp.max(jnp.abs(e), axis=-1, keepdims=True)
    return np.asarray((y - e @ B.T) / m)


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    e = jnp.asarray(rng.normal(0, 0.1, (512, 10)), jnp.float32)
    B = jnp.asarray(rng.uniform(-1, 1, (64, 10)), jnp.float32)
    return e, B


def _rms(a):
    return float(np.sqrt(np.mean(a**2)))


def test_ideal_hardware_adds_no_error(batch):
    assert _rms(_errors(*batch)) < 1e-5


def test_nonlinearity_adds_error_and_predistortion_removes_most_of_it(batch):
    raw = _rms(_errors(*batch, modulator="mzm", modulator_er_dB=60.0))
    table = _rms(_errors(*batch, modulator="mzm", modulator_er_dB=60.0, predistort_points=64))
    coarse = _rms(_errors(*batch, modulator="mzm", modulator_er_dB=60.0, predistort_points=8))
    assert raw > 0.05
    assert table < 0.02 * raw and table < coarse < raw  # a finer table: a smaller error


@pytest.mark.parametrize("er_dB", [30.0, 10.0, 5.0])
def test_mzm_without_predistortion_decodes_its_sine(batch, er_dB):
    # t(x) = ε + (1 − ε) sin²(πx/2) at x = (1 + u)/2 is ε + (1 − ε)(1 + sin(πu/2))/2; the offset
    # decoder subtracts the chip's own reading of u = 0, so the floor ε cancels and the MAC is
    # Σ_j B_j (1 − ε) sin(π u_j / 2) instead of Σ_j B_j u_j
    e, B = batch
    eps = extinction_floor(er_dB)
    u = np.asarray(e) / np.max(np.abs(np.asarray(e)), -1, keepdims=True)
    expect = ((1 - eps) * np.sin(0.5 * np.pi * u) - u) @ np.asarray(B).T
    got = _errors(*batch, modulator="mzm", modulator_er_dB=er_dB)
    np.testing.assert_allclose(got, expect, atol=2e-5)


@pytest.mark.parametrize("kind", ["mzm", "ring"])
def test_predistortion_removes_the_transfer_error_at_any_extinction_ratio(batch, kind):
    raw = [_rms(_errors(*batch, modulator=kind, modulator_er_dB=er)) for er in (30.0, 5.0)]
    pre = [
        _rms(_errors(*batch, modulator=kind, modulator_er_dB=er, predistort_points=256))
        for er in (30.0, 5.0)
    ]
    assert min(raw) > 0.1  # the nonlinear transfer, undistorted, is a large error
    assert max(pre) < 1e-3 * min(raw)  # the known floor removed, the table's error is tiny


def test_laser_power_spread_and_detector_mismatch_grow_the_error(batch):
    spread = [_rms(_errors(*batch, laser_spread_dB=s)) for s in (0.0, 0.5, 1.0)]
    assert spread[0] < 1e-5 < spread[1] < spread[2]
    mism = [_rms(_errors(*batch, bpd_mismatch=d)) for d in (0.0, 0.01, 0.05)]
    assert mism[0] < 1e-5 < mism[1] < mism[2]
    # mismatch δ adds c = (δ/2)·η/s to every weight. Offset encoding reads Σ_j (B_j + c) x_j with
    # x = (1 + u)/2, u = e/m, and subtracts the chip's own reading of u = 0, Σ_j (B_j + c): the
    # common-mode light cancels and the error is c Σ_j u_j, as with two passes
    e, B = batch
    p = ReadoutParams()
    c = 0.025 * p.transmission_sum / p.weight_scale
    u = np.asarray(e) / np.max(np.abs(np.asarray(e)), -1, keepdims=True)
    for encoding in ("offset", "two_pass"):
        got = _errors(*batch, bpd_mismatch=0.05, encoding=encoding)[:, 0]
        np.testing.assert_allclose(got, c * u.sum(-1), rtol=1e-3, atol=1e-5)


def test_the_offset_bias_is_the_chips_reading_of_the_zero_vector(batch):
    # a DFA error vector sums to zero; a static gain or mismatch must not leave an offset m·c_r
    e, B = batch
    e0 = e - jnp.mean(e, axis=-1, keepdims=True)
    for fields in ({"bpd_mismatch": 0.05}, {"laser_spread_dB": 1.0}, {"modulator": "mzm"}):
        err = _errors(e0, B, **fields)  # (samples, rows): no row keeps a mean offset
        assert np.max(np.abs(err.mean(0))) < 0.2 * _rms(err) + 1e-5, fields
    p = ReadoutParams()
    np.testing.assert_allclose(offset_bias(B, p), np.asarray(B).sum(-1), rtol=1e-5, atol=1e-5)
    assert not np.any(np.asarray(offset_bias(B, dataclasses.replace(p, encoding="two_pass"))))


def test_rin_is_per_laser(batch):
    e, B = batch
    base = dataclasses.replace(ReadoutParams(), tia_noise_pA_rtHz=0.0)
    flat = noise_breakdown(e, B, base)["rin"]
    spread = dataclasses.replace(base, laser_rin_spread_dB=3.0, laser_seed=5)
    f = laser_rin_factors(spread, 10)
    assert np.ptp(np.asarray(f)) > 0.5  # the lasers differ
    # with equal weights per channel the RIN variance is the lasers' mean factor times the flat one
    Bu = jnp.ones_like(B)
    ratio = noise_breakdown(e, Bu, spread)["rin"] ** 2 / noise_breakdown(e, Bu, base)["rin"] ** 2
    x = np.asarray(0.5 * (1 + e / jnp.max(jnp.abs(e), -1, keepdims=True)))
    expect = np.mean(np.sum(x**2 * np.asarray(f), -1)) / np.mean(np.sum(x**2, -1))
    assert ratio == pytest.approx(expect, rel=1e-4)
    assert flat > 0


def test_drive_inverts_the_transfer_on_the_table():
    x = np.linspace(0, 1, 9)
    u = modulator_drive(x, "mzm", 20.0, 4096)
    eps = extinction_floor(20.0)
    np.testing.assert_allclose(modulator_transfer(u, "mzm", 20.0), eps + (1 - eps) * x, atol=1e-6)
    assert modulator_drive(x, "mzm", 20.0, 0) is x  # no table: the drive is the request


def test_predistorted_amplitudes_stay_float32_under_x64():
    # simphony/SAX switch JAX to float64 for the process; the training scan's carry is float32
    from photonic_dfa.network_model.encoding import optical_amplitudes

    p = dataclasses.replace(ReadoutParams(), modulator="mzm", predistort_points=16)
    with jax.enable_x64(True):
        x = jnp.full((2, 10), 0.3, jnp.float32)
        assert optical_amplitudes(x, p).dtype == jnp.float32
