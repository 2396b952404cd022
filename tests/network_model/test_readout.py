"""Readout chain: encoding/decoding, noise sources, ADC, Gaussian sampler, JAX transformations."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from photonic_dfa.network_model.artifact import ReadoutParams
from photonic_dfa.network_model.readout import (
    ELECTRON_CHARGE_C,
    adc_quantise,
    mac_error_stats,
    noise_breakdown,
    photonic_feedback,
    reading_variance_terms,
    standard_normal,
)


def _data(batch=256, n=10, n_k=40, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.normal(size=(batch, n)).astype(np.float32)
    B = rng.uniform(-1, 1, size=(n_k, n)).astype(np.float32)
    return jnp.asarray(e), jnp.asarray(B)


@pytest.mark.parametrize("encoding", ["offset", "two_pass"])
@pytest.mark.parametrize("d_r", [1, 3, 10, 16])
def test_noise_off_decoding_recovers_Be(encoding, d_r):
    e, B = _data()
    p = ReadoutParams(encoding=encoding, rows_per_bank=d_r)
    y = photonic_feedback(jax.random.key(0), e, B, p, noise=False)
    ref = np.asarray(e, np.float64) @ np.asarray(B, np.float64).T
    scale = np.abs(np.asarray(e)).max(axis=1, keepdims=True) * np.abs(B).sum(1)[None]
    assert y.shape == ref.shape and y.dtype == jnp.float32
    assert np.max(np.abs(np.asarray(y) - ref) / scale) < 2e-6


def test_zero_error_vector_gives_zero():
    _, B = _data()
    e = jnp.zeros((4, 10))
    for noise in (False, True):
        y = photonic_feedback(jax.random.key(1), e, B, ReadoutParams(), noise=noise)
        assert np.all(np.isfinite(np.asarray(y)))
        assert np.allclose(np.asarray(y), 0.0)


def _analog_only(p: ReadoutParams, **changes) -> ReadoutParams:
    """No ADC resolution limit (24 bits), other fields as given."""
    return dataclasses.replace(p, adc_bits=24, **changes)


def test_shot_noise_variance_linear_in_optical_power():
    """Only shot noise: the BPD current variance ∝ P (2 q I Δf), measured through the whole chain."""
    e, B = _data(batch=2048, n_k=64)
    base = _analog_only(ReadoutParams(), rin_dB_Hz=-250.0, tia_noise_pA_rtHz=0.0)
    powers = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    measured, predicted = [], []
    for i, power in enumerate(powers):
        p = dataclasses.replace(base, laser_power_mW=float(power))
        y = photonic_feedback(jax.random.key(i), e, B, p)
        m = np.abs(np.asarray(e)).max(1, keepdims=True)
        # decoded error → reading units (÷ 2m for offset) → current (× R P s)
        err = (np.asarray(y) - np.asarray(e) @ np.asarray(B).T) / (2 * m)
        i0 = p.responsivity_A_W * p.channel_power_mW * 1e-3 * p.weight_scale
        measured.append(np.var(err) * i0**2)
        x = 0.5 * (1 + np.asarray(e) / m)
        photocurrent = (
            p.responsivity_A_W * p.channel_power_mW * 1e-3 * p.transmission_sum * x.sum(1)
        )
        predicted.append(np.mean(2 * ELECTRON_CHARGE_C * photocurrent * p.bandwidth_GHz * 1e9))
    measured, predicted = np.array(measured), np.array(predicted)
    slope = np.polyfit(np.log(powers), np.log(measured), 1)[0]
    assert abs(slope - 1.0) < 0.02
    np.testing.assert_allclose(measured, predicted, rtol=0.05)


def test_thermal_and_rin_scaling():
    """TIA noise is independent of power (so its share ∝ 1/P² in reading units); RIN ∝ P² in
    current, i.e. constant in reading units."""
    e, B = _data(batch=8, n_k=4)
    x = (0.5 * (1 + e / jnp.abs(e).max(1, keepdims=True)))[:, None, :]
    Bt = B[:, None, :]
    t1 = reading_variance_terms(x, Bt, ReadoutParams(laser_power_mW=1.0))
    t2 = reading_variance_terms(x, Bt, ReadoutParams(laser_power_mW=4.0))
    np.testing.assert_allclose(float(t1["thermal"]) / float(t2["thermal"]), 16.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(t1["rin"]), np.asarray(t2["rin"]), rtol=1e-5)
    rin = 10 ** (-150 / 10) * 2.5e9
    expected = rin * np.einsum("bj,kj->bk", np.asarray(x[:, 0]) ** 2, np.asarray(B) ** 2)
    np.testing.assert_allclose(np.asarray(t1["rin"][..., 0]), expected, rtol=1e-4)


@pytest.mark.parametrize("bits", [4, 8, 12])
def test_adc_quantisation_variance(bits):
    full_scale = 3.0
    lsb = 2 * full_scale / 2**bits
    # inputs over the codes' span (the top half-LSB of [-F, F] is clipped to the top code)
    y = jnp.asarray(np.random.default_rng(bits).uniform(-full_scale, full_scale - lsb, 400_000))
    err = np.asarray(adc_quantise(y, full_scale, bits) - y, np.float64)
    np.testing.assert_allclose(err.var(), lsb**2 / 12, rtol=0.03)
    assert np.abs(err).max() <= lsb / 2 + 4 * np.finfo(np.float32).eps * full_scale
    codes = np.round(np.asarray(adc_quantise(jnp.asarray([-10.0, 10.0]), full_scale, bits)) / lsb)
    assert codes.tolist() == [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1]  # clipped to the code range


def test_adc_error_through_the_chain():
    """Analogue noise off, 6 bits: the decoded error is the ADC's, ×2 for the offset encoding."""
    e, B = _data(batch=4096, n_k=64)
    p = ReadoutParams(adc_bits=6, rin_dB_Hz=-250.0, tia_noise_pA_rtHz=0.0, laser_power_mW=1e6)
    y = photonic_feedback(jax.random.key(3), e, B, p)
    m = np.abs(np.asarray(e)).max(1, keepdims=True)
    err = (np.asarray(y) - np.asarray(e) @ np.asarray(B).T) / m
    lsb = 2 * 10 / 2**6
    np.testing.assert_allclose(err.std(), 2 * lsb / math.sqrt(12), rtol=0.05)


def test_monte_carlo_matches_analytic_breakdown():
    e, B = _data(batch=2048, n_k=200)
    for enc in ("offset", "two_pass"):
        p = ReadoutParams(encoding=enc, laser_power_mW=0.5)
        mc = mac_error_stats(jax.random.key(5), e, B, p)
        an = noise_breakdown(e, B, p)
        np.testing.assert_allclose(mc["std"], an["total"], rtol=0.05)
        assert abs(mc["mean"]) < 0.1 * mc["std"]
        assert an["effective_bits"] == pytest.approx(mc["effective_bits"], abs=0.1)
    # offset costs one ADC bit: its ADC term is √2 × that of two passes
    a = noise_breakdown(e, B, ReadoutParams(encoding="offset"))["adc"]
    b = noise_breakdown(e, B, ReadoutParams(encoding="two_pass"))["adc"]
    assert a / b == pytest.approx(math.sqrt(2), rel=1e-6)


def test_paper_gaussian_mode():
    e, B = _data(batch=4096, n_k=100)
    p = ReadoutParams(noise_model="paper_gaussian")
    st = mac_error_stats(jax.random.key(7), e, B, p)
    assert st["mean"] == pytest.approx(0.03, abs=0.005)
    assert st["std"] == pytest.approx(0.618, rel=0.01)
    y0 = photonic_feedback(jax.random.key(7), e, B, p, noise=False)
    np.testing.assert_allclose(np.asarray(y0), np.asarray(e @ B.T), rtol=1e-6)


def test_standard_normal_statistics():
    z = np.asarray(standard_normal(jax.random.key(11), (1000, 1000)), np.float64).ravel()
    assert abs(z.mean()) < 0.004 and abs(z.var() - 1) < 0.005
    assert abs(stats.kurtosis(z, fisher=False) - 3.0) < 0.03
    assert abs(stats.skew(z)) < 0.01
    assert stats.kstest(z[:200_000], "norm").statistic < 0.006
    z2 = np.asarray(standard_normal(jax.random.key(12), (1000, 1000))).ravel()
    assert abs(np.corrcoef(z, z2)[0, 1]) < 0.005
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 0.005
    same = np.asarray(standard_normal(jax.random.key(11), (1000, 1000))).ravel()
    assert np.array_equal(z.astype(np.float32), same)


def test_jit_scan_and_vmap_over_runs():
    e, B = _data(batch=32, n_k=16)
    p = ReadoutParams()

    @jax.jit
    def epoch(key, B):
        def body(acc, i):
            y = photonic_feedback(jax.random.fold_in(key, i), e, B, p)
            return acc + jnp.sum(y * y), None

        return jax.lax.scan(body, 0.0, jnp.arange(5))[0]

    keys = jax.random.split(jax.random.key(0), 3)
    Bs = jnp.stack([B, -B, 0.5 * B])
    out = jax.vmap(epoch)(keys, Bs)
    assert out.shape == (3,) and np.all(np.isfinite(np.asarray(out)))
    # vmap over the readout's float leaves (e.g. a laser-power study)
    ps = jax.tree_util.tree_map(lambda v: jnp.asarray([v, v * 0 + 1e-3 + v]), p)
    ys = jax.vmap(lambda q: photonic_feedback(jax.random.key(0), e, B, q))(ps)
    assert ys.shape == (2, 32, 16)
    direct = photonic_feedback(jax.random.key(0), e, B, p)
    np.testing.assert_allclose(np.asarray(ys[0]), np.asarray(direct), rtol=1e-5, atol=1e-5)


def test_adc_enob_noise_matches_an_ideal_quantiser_of_that_many_bits():
    # 8 codes bits + converter noise of 6 effective bits ≈ an ideal 6-bit quantiser's variance
    import dataclasses

    import jax.numpy as jnp
    import numpy as np

    from photonic_dfa.network_model.artifact import ReadoutParams
    from photonic_dfa.network_model.readout import noise_breakdown

    rng = np.random.default_rng(0)
    e = jnp.asarray(rng.normal(0, 0.1, (256, 10)), jnp.float32)
    B = jnp.asarray(rng.uniform(-1, 1, (32, 10)), jnp.float32)
    sigma = float(np.sqrt((4.0**2 - 1.0) / 12.0))
    p8 = dataclasses.replace(ReadoutParams(), adc_bits=8, adc_noise_lsb=sigma)
    p6 = dataclasses.replace(ReadoutParams(), adc_bits=6)
    assert noise_breakdown(e, B, p8)["adc"] == pytest.approx(noise_breakdown(e, B, p6)["adc"])
    # and the sampled chain carries that noise: its MAC error std matches the analytic total
    import jax

    from photonic_dfa.network_model.readout import mac_error_stats

    mc = mac_error_stats(jax.random.key(3), e, B, p8)["std"]
    assert mc == pytest.approx(noise_breakdown(e, B, p8)["total"], rel=0.1)
    assert (
        mc
        > 2.0
        * mac_error_stats(jax.random.key(3), e, B, dataclasses.replace(p8, adc_noise_lsb=0.0))[
            "std"
        ]
    )
