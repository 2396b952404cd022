"""Heater drivers (issue 13 item 2): P = V²/R(T), DAC codes, settling, and the quantisation of the
calibrated heaters showing in the realised weights and the precision."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.config import load_config
from photonic_dfa.errors import ConfigError
from photonic_dfa.network_model.calibration import calibrate
from photonic_dfa.network_model.drivers import HeaterDriver, driver_from_config, settle_time_s


def test_power_is_v_squared_over_r_and_round_trips():
    d = HeaterDriver(bits=12, full_scale_V=5.0, resistance_ohm=1000.0)
    v = np.linspace(0.0, 5.0, 11)
    np.testing.assert_allclose(d.power_mW(v), v**2 / 1000.0 * 1e3)
    p = np.linspace(0.0, 20.0, 41)
    np.testing.assert_allclose(d.power_mW(d.voltage_V(p)), p, atol=1e-12)
    # R(T) = R0 (1 + α Z P): the solved power dissipates V² in the heated resistance
    dt = HeaterDriver(12, 5.0, 1000.0, tcr_per_K=1e-3, thermal_impedance_K_per_mW=5.0)
    pt = dt.power_mW(v) * 1e-3
    np.testing.assert_allclose(pt * 1000.0 * (1 + 1e-3 * 5e3 * pt), v**2, rtol=1e-12)
    assert np.all(pt[1:] < v[1:] ** 2 / 1000.0)  # hotter heater, higher R, less power
    np.testing.assert_allclose(dt.power_mW(dt.voltage_V(p)), p, rtol=1e-10, atol=1e-12)


def test_codes_quantise_within_half_a_step_and_full_scale_matches_heater_limit():
    cfg = load_config(model={"heater_dac_bits": 8}).model
    d = driver_from_config(cfg, heater_max_mW=20.0, thermal_impedance_K_per_mW=5.0)
    assert d.max_power_mW == pytest.approx(20.0)
    p = np.random.default_rng(0).uniform(0.0, 20.0, 5000)
    q = d.quantise_mW(p)
    np.testing.assert_array_equal(d.quantise_mW(q), q)  # codes are fixed points
    # voltage steps of one LSB: |V(q) − V(p)| <= LSB/2
    assert np.max(np.abs(d.voltage_V(q) - d.voltage_V(p))) <= d.lsb_V / 2 + 1e-12
    assert settle_time_s(16, 2.0) == pytest.approx(2e-6 * 16 * math.log(2))


def test_zero_bit_dac_is_a_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match=r"heater_dac_bits = 0: .*greater than or equal to 1"):
        load_config(model={"heater_dac_bits": 0})
    toml = tmp_path / "c.toml"
    toml.write_text("[model]\nheater_dac_bits = 0\n")
    with pytest.raises(ConfigError) as exc:
        load_config(toml)
    msg = str(exc.value)
    assert str(toml) in msg and "model.heater_dac_bits = 0" in msg and "\n" not in msg


def _solve(evaluators, scale, driver):
    rng = np.random.default_rng(7)
    B = rng.uniform(-1, 1, (16, 10))
    offsets = rng.normal(0.0, 0.5, (2, 10))
    ev = evaluators["crosstalk"]
    res = calibrate(
        ev, B, np.ones_like(B, bool), np.arange(16) % 2, offsets, scale=scale, driver=driver
    )
    return res, offsets[np.arange(16) % 2]


def test_dac_quantisation_shows_in_realised_weights(evaluators, scale):
    """Mode model: the heaters are rounded to the DAC's codes; the realised weights move by about
    |∂w/∂P| × (power step)/√12 (a uniform rounding error), 16× less for 4 more bits."""
    ideal, rows = _solve(evaluators, scale, None)
    ev = evaluators["crosstalk"]
    _, J = ev(ideal.heater_mW, rows)
    errs = []
    for bits in (8, 12):
        d = HeaterDriver(bits=bits, full_scale_V=math.sqrt(20e-3 * 1000.0), resistance_ohm=1000.0)
        res, _ = _solve(evaluators, scale, d)
        np.testing.assert_array_equal(d.quantise_mW(res.heater_mW), res.heater_mW)
        dw = (res.weights - ideal.weights) / scale
        # power step of one code at each heater's setting: dP/dV · LSB = 2 V LSB / R
        step = 2.0 * d.voltage_V(ideal.heater_mW) * d.lsb_V / 1000.0 * 1e3
        predicted = np.sqrt(np.mean((np.diagonal(J, axis1=1, axis2=2) * step / scale) ** 2 / 12))
        rms = float(np.sqrt(np.mean(dw**2)))
        assert 0.5 * predicted < rms < 2.0 * predicted, (bits, rms, predicted)
        assert np.median(res.bits) < np.median(ideal.bits)
        errs.append(rms)
    assert errs[0] > 8 * errs[1]
