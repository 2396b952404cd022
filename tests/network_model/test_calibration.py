"""Weight model and calibration of 10-ring banks of the default design (R = 10 µm, 150/150 nm
gaps, 9 nm radius step) through the circuit stage's bus model."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.network_model.calibration import (
    FeedbackSettings,
    calibrate,
    measure_weights,
    precision_bits,
)

ROWS = 48


def _targets(seed=0, rows=ROWS):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (rows, 10)), np.ones((rows, 10), bool)


def test_weights_are_drop_minus_through_and_jacobian_matches(evaluators):
    ev = evaluators["crosstalk"]
    rng = np.random.default_rng(1)
    P = rng.uniform(0, 8, (6, 10))
    S = rng.normal(0, 0.3, (6, 10))
    T, D = ev.model.circuit.through_drop(P, S)  # the circuit stage's API, directly
    w, J = ev(P, S)
    np.testing.assert_allclose(w, np.asarray(D) - np.asarray(T), atol=1e-12)
    h = 1e-5
    for i in (0, 4, 9):
        dP = np.zeros_like(P)
        dP[:, i] = h
        fd = (ev.weights(P + dP, S) - ev.weights(P - dP, S)) / (2 * h)
        np.testing.assert_allclose(J[:, :, i], fd, atol=1e-6)


@pytest.mark.parametrize("which", ["no_crosstalk", "crosstalk"])
def test_model_calibration_reaches_12_bits(evaluators, scale, which):
    """Mode (a), perfect model knowledge, nominal banks and σ = 0.5 nm offsets known to it."""
    B, mask = _targets()
    for sigma in (0.0, 0.5):
        offsets = np.random.default_rng(2).normal(0, sigma, (4, 10))
        res = calibrate(
            evaluators[which], B, mask, np.arange(ROWS) % 4, offsets, scale=scale, mode="model"
        )
        assert not res.unreachable
        assert res.bits.min() >= 12.0, (which, sigma, res.summary())
        assert np.all(res.heater_mW >= 0) and np.all(res.heater_mW <= 20.0)


def _feedback(sigma_nm):
    return FeedbackSettings(
        sigma_reading=0.02,
        full_scale=1 / 0.9,
        adc_bits=8,
        averages=16,
        iterations=8,
        search_nm=0.3 + 4 * sigma_nm,
    )


def test_feedback_calibration_with_fabrication_variation(evaluators, scale):
    """Mode (b) with σ = 0.5 nm offsets unknown to the controller: precision set by the
    measurement (8-bit ADC, 16 averages), between published MRR banks (5.1–9 bits) and mode (a)."""
    B, mask = _targets(3)
    offsets = np.random.default_rng(4).normal(0, 0.5, (4, 10))
    res = calibrate(
        evaluators["crosstalk"],
        B,
        mask,
        np.arange(ROWS) % 4,
        offsets,
        scale=scale,
        mode="feedback",
        feedback=_feedback(0.5),
        seed=5,
    )
    s = res.summary(yield_min_bits=8.0)
    np.testing.assert_array_less(np.abs(res.offsets_estimated_nm - offsets), 0.01)
    assert 8.0 <= s["bits_median"] <= 13.0, s
    assert s["yield"] >= 0.9 and not res.unreachable


def test_unreachable_targets_are_reported(evaluators, scale):
    B, mask = _targets(6, rows=8)
    B[0, 3] = 1.6  # beyond the ring's range at this scale
    res = calibrate(
        evaluators["crosstalk"], B, mask, np.zeros(8, int), np.zeros((1, 10)), scale=scale
    )
    rings = {(p, r) for p, r, *_ in res.unreachable}
    assert (0, 3) in rings
    assert res.bits[0] < 12 and np.median(res.bits[1:]) > 12


def test_measurement_noise_and_quantisation():
    rng = np.random.default_rng(0)
    fb = FeedbackSettings(sigma_reading=0.0, full_scale=1.0, adc_bits=8, averages=1, iterations=1)
    w = rng.uniform(-0.99, 0.99, 20000)
    err = measure_weights(rng, w, fb) - w
    lsb = 2 / 256
    np.testing.assert_allclose(err.std(), lsb / np.sqrt(12), rtol=0.05)
    fb = FeedbackSettings(
        sigma_reading=0.05, full_scale=1.0, adc_bits=16, averages=25, iterations=1
    )
    err = measure_weights(rng, w, fb) - w
    np.testing.assert_allclose(err.std(), 0.05 / 5, rtol=0.05)
    assert precision_bits(np.array([2 / 4096]))[0] == pytest.approx(12.0)
