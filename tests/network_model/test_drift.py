"""Drift: the temperature processes' statistics, dλ/dT through the circuit, the linearised B̃(T),
and recalibration bounding the error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.network_model.calibration import calibrate
from photonic_dfa.network_model.drift import (
    DriftClock,
    DriftParams,
    drift_error_series,
    drift_gram,
    drift_jacobian,
    ou_process,
    recalibration_schedule,
    shift_per_K_nm,
    temperature_trace,
)


def test_ou_process_has_the_stated_variance_and_correlation_time():
    sigma, tau, dt = 0.3, 50.0, 5.0
    x = ou_process(np.random.default_rng(0), 200_000, dt, sigma, tau)
    assert x.std() == pytest.approx(sigma, rel=0.03)
    lag = int(tau / dt)  # autocorrelation exp(-|Δt|/τ): 1/e at one correlation time
    rho = np.corrcoef(x[:-lag], x[lag:])[0, 1]
    assert rho == pytest.approx(math.exp(-1.0), abs=0.03)
    assert np.corrcoef(x[:-1], x[1:])[0, 1] == pytest.approx(math.exp(-dt / tau), abs=0.01)


def test_temperature_trace_is_ambient_plus_local_and_continues_across_calls():
    p = DriftParams(ambient_K=0.2, ambient_tau_s=2.0, local_K=0.1, local_tau_s=0.5, batch_s=0.1)
    rng = np.random.default_rng(1)
    temps, state = temperature_trace(p, 100_000, 2, 3, rng=rng)
    assert temps.std() == pytest.approx(math.hypot(0.2, 0.1), rel=0.05)
    # two rings share the ambient term: covariance σ_a², correlation σ_a²/(σ_a² + σ_l²)
    rho = np.corrcoef(temps[:, 0, 0], temps[:, 1, 2])[0, 1]
    assert rho == pytest.approx(0.04 / 0.05, abs=0.03)
    # a continuation starts one step after the last sample: correlated with it as in the process
    ends, starts = [], []
    for _ in range(400):
        a, st = temperature_trace(p, 2, 1, 1, rng=rng)
        b, _ = temperature_trace(p, 1, 1, 1, rng=rng, state=st)
        ends.append(a[-1, 0, 0])
        starts.append(b[0, 0, 0])
    assert np.corrcoef(ends, starts)[0, 1] > 0.8


def _peak_nm(wl_um, drop):
    k = int(np.argmax(drop))
    y0, y1, y2 = drop[k - 1], drop[k], drop[k + 1]
    step = (wl_um[1] - wl_um[0]) * 1e3
    return wl_um[k] * 1e3 + 0.5 * step * (y0 - y2) / (y0 - 2 * y1 + y2)


def test_a_temperature_step_shifts_the_resonance_by_dlambda_dT(default_design, channel_plan):
    from photonic_dfa.circuits import BankCircuit

    grid_circuit = BankCircuit.build(default_design, channel_plan.channel_wl_um)
    nm_per_K = shift_per_K_nm(grid_circuit)
    # dλ/dT = λ (dn/dT) / n_g for a whole ring (~0.07 nm/K for Si at 1550 nm)
    ng = np.asarray(grid_circuit.group_index())[np.arange(10), np.arange(10)]
    lam_nm = channel_plan.channel_wl_um * 1e3
    np.testing.assert_allclose(nm_per_K, lam_nm * default_design.dneff_dT_per_K / ng, rtol=1e-9)
    # independent path: heat ring 0 with its own heater (no shift argument), which raises the
    # temperature of its heated length L_h by Z P: a whole-ring ΔT of Z P L_h / L
    cold = channel_plan.cold_resonance_nm[0] * 1e-3
    wl = np.linspace(cold - 0.3e-3, cold + 0.5e-3, 1601)
    c = BankCircuit.build(default_design, wl)
    # two arrays, not one mutated: JAX may read a numpy argument after the call returns
    _, d0 = c.ring_through_drop(np.zeros(10))
    p = np.r_[0.5, np.zeros(9)]
    _, d1 = c.ring_through_drop(p)
    dT_ring = (
        float(c.temperature_rise_K(p)[0]) * float(c.heated_length_um[0]) / float(c.round_trip_um[0])
    )
    measured = _peak_nm(wl, np.asarray(d1)[0]) - _peak_nm(wl, np.asarray(d0)[0])
    assert measured == pytest.approx(nm_per_K[0] * dT_ring, rel=0.02)
    # and the shift argument of that size moves the resonance the same way
    _, d2 = c.ring_through_drop(np.zeros(10), np.r_[nm_per_K[0] * dT_ring, np.zeros(9)])
    assert _peak_nm(wl, np.asarray(d2)[0]) - _peak_nm(wl, np.asarray(d0)[0]) == pytest.approx(
        measured, rel=0.02
    )


def _calibrated(evaluators, scale, offsets, rows=8):
    rng = np.random.default_rng(3)
    target = rng.uniform(-1, 1, (rows, 10))
    mask = np.ones((rows, 10), bool)
    bank = np.arange(rows) % offsets.shape[0]
    res = calibrate(evaluators["crosstalk"], target, mask, bank, offsets, scale=scale, mode="model")
    return target, mask, bank, res


def test_linearised_drift_matches_the_circuit_and_recalibration_restores_the_weights(
    evaluators, scale
):
    ev = evaluators["crosstalk"]
    offsets = np.zeros((2, 10))
    target, mask, bank, res = _calibrated(evaluators, scale, offsets)
    nm_per_K = shift_per_K_nm(ev.model.circuit)
    jac = drift_jacobian(ev, res.heater_mW, offsets[bank], nm_per_K) / scale
    dT = np.random.default_rng(4).normal(0.0, 0.003, (2, 10))
    drifted = ev.weights(res.heater_mW, (offsets + nm_per_K * dT)[bank]) / scale
    change = drifted - res.weights / scale
    linear = np.einsum("rci,ri->rc", jac, dT[bank])
    assert np.sqrt(np.mean(change**2)) > 3 * res.rms_B.max()  # the drift matters
    assert np.sqrt(np.mean((linear - change) ** 2)) < 0.05 * np.sqrt(np.mean(change**2))
    gram = drift_gram(jac, bank, 2)
    assert drift_error_series(gram, dT[None])[0] == pytest.approx(
        np.sqrt(np.mean(change**2)), rel=0.05
    )
    # recalibration (the calibration's own solve, on the drifted chip) restores the precision
    _, _, _, again = _calibrated(evaluators, scale, offsets + nm_per_K * dT)
    assert again.rms_B.max() < 2 * res.rms_B.max() + 1e-4
    assert np.sqrt(np.mean((again.weights / scale - target) ** 2)) < 0.1 * np.sqrt(
        np.mean(change**2)
    )


@pytest.mark.parametrize(("every", "threshold"), [(None, 0.02), (50, None), (50, 0.02)])
def test_recalibration_policy_bounds_the_error(every, threshold):
    p = DriftParams(ambient_K=0.1, ambient_tau_s=20.0, local_K=0.01, local_tau_s=2.0)
    temps, _ = temperature_trace(p, 3000, 2, 4)
    gram = np.stack([np.eye(4) * 0.5, np.eye(4) * 0.3])
    free = recalibration_schedule(temps, gram, None, None)
    sch = recalibration_schedule(temps, gram, every, threshold)
    assert sch.recal_steps.size > 0 and sch.error_B.max() < free.error_B.max()
    if threshold is not None:
        assert sch.error_B.max() <= threshold
    if every is not None:  # never more than `every` steps between recalibrations
        assert np.diff(np.r_[0, sch.recal_steps, temps.shape[0]]).max() <= every
    # dT is counted from the temperature at the last recalibration
    k = int(sch.recal_steps[0])
    np.testing.assert_array_equal(sch.dT[k], np.zeros((2, 4)))
    np.testing.assert_allclose(sch.dT[k + 1], temps[k + 1] - temps[k])


def test_drift_clock_continues_the_schedule_over_epochs():
    p = DriftParams(ambient_K=0.1, ambient_tau_s=20.0, local_K=0.01, recal_every_batches=70)
    gram = np.stack([np.eye(4) * 0.5])
    clock = DriftClock(p, gram, 40)
    a, b = clock.next_epoch(), clock.next_epoch()
    assert a.recal_steps.size == 0 and b.recal_steps.tolist() == [30]
    other = DriftClock(p, gram, 40)
    other.skip(1)
    np.testing.assert_array_equal(other.next_epoch().dT, b.dT)


def test_recalibration_settles_like_the_heater_driver():
    """A recalibration's settling per feedback iteration is the heater driver's, τ ln(2^b): more
    DAC bits or a slower heater lengthen it by exactly that settling; the ADC readings stay."""
    from types import SimpleNamespace

    from photonic_dfa.config import load_config
    from photonic_dfa.network_model.drivers import settle_time_s
    from photonic_dfa.network_model.run import _recal_time_s

    rows = SimpleNamespace(bank_of=np.array([0, 1, 0, 1, 0]))  # 3 row tiles on the busiest bank

    def per_recal(**model):
        mcfg = load_config(model=model).model
        return mcfg, _recal_time_s(rows, 2, 10, mcfg)

    mcfg, base = per_recal()
    reads = 10 * mcfg.feedback_averages / (mcfg.adc_gsps * 1e9)
    settle = settle_time_s(mcfg.heater_dac_bits, mcfg.heater_tau_us)
    assert base == pytest.approx(3 * mcfg.feedback_iterations * (settle + reads), rel=1e-12)
    for change in ({"heater_dac_bits": 24}, {"heater_tau_us": 10.0}):
        cfg, t = per_recal(**change)
        grown = settle_time_s(cfg.heater_dac_bits, cfg.heater_tau_us) - settle
        assert grown > 0
        assert t - base == pytest.approx(3 * mcfg.feedback_iterations * grown, rel=1e-9)
