"""The per-MAC error budget: scaling laws, the needed values, the total against a Monte-Carlo of
the chain, the DAC and crosstalk parts through the full circuit, and extract's report and figure."""

from __future__ import annotations

import dataclasses
import json
import math

import jax
import numpy as np
import pytest

from photonic_dfa.config import load_config
from photonic_dfa.network_model import error_budget as eb
from photonic_dfa.network_model.artifact import ReadoutParams
from photonic_dfa.network_model.drivers import HeaterDriver
from photonic_dfa.network_model.readout import noise_breakdown
from photonic_dfa.network_model.run import _sample_errors, extract

#: a readout whose noise terms are all visible (lower power, worse RIN, fewer ADC bits)
NOISY = ReadoutParams(laser_power_mW=0.5, rin_dB_Hz=-135.0, adc_bits=7, weight_scale=0.7)


@pytest.fixture(scope="module")
def errors() -> np.ndarray:
    return _sample_errors(np.random.default_rng(3), 4096, 10)


@pytest.fixture(scope="module")
def B() -> np.ndarray:
    return np.random.default_rng(4).uniform(-1, 1, (256, 10)).astype(np.float32)


def _noise(e, B, p) -> dict[str, eb.SourceError]:
    return {s.name: s for s in eb.noise_sources(noise_breakdown(e, B, p), p)}


def test_noise_sources_follow_their_laws(errors, B):
    base = _noise(errors, B, NOISY)
    power = _noise(errors, B, dataclasses.replace(NOISY, laser_power_mW=1.0))
    assert power["shot"].std == pytest.approx(base["shot"].std / math.sqrt(2), rel=1e-4)
    assert power["tia"].std == pytest.approx(base["tia"].std / 2, rel=1e-4)
    adc = _noise(errors, B, dataclasses.replace(NOISY, adc_bits=8))
    assert adc["adc"].std == pytest.approx(base["adc"].std / 2, rel=1e-6)
    rin = _noise(errors, B, dataclasses.replace(NOISY, rin_dB_Hz=-135.0 + 20 * math.log10(2)))
    assert rin["rin"].std == pytest.approx(2 * base["rin"].std, rel=1e-4)


@pytest.mark.parametrize(
    ("name", "field"),
    [("shot", "laser_power_mW"), ("tia", "tia_noise_pA_rtHz"), ("rin", "rin_dB_Hz")],
)
def test_needed_value_gives_the_needed_std(errors, B, name, field):
    """Set the parameter to the value the law names: the source then has the std asked for."""
    src = _noise(errors, B, NOISY)[name]
    value, law = eb.needed_for(src, 0.5)
    assert law == eb.LAWS[src.law]
    again = _noise(errors, B, dataclasses.replace(NOISY, **{field: value}))[name]
    assert again.std == pytest.approx(0.5, rel=1e-3)


def test_static_error_of_independent_weight_errors(errors):
    """Independent ΔB of std σ: per-MAC std σ·sqrt(E Σ u²); a common shift cancels (Σ e = 0)."""
    sigma = 0.01
    dB = sigma * np.random.default_rng(5).standard_normal((512, 10))
    u = errors / np.abs(errors).max(1, keepdims=True)
    mean, std = eb.static_error(errors, dB)
    assert std == pytest.approx(sigma * math.sqrt(np.mean(np.sum(u**2, 1))), rel=0.03)
    assert abs(mean) < 0.1 * std
    _, common = eb.static_error(errors, np.full((512, 10), 0.3))
    assert common < 1e-6
    # drift: samples of a common shift have no MAC error whatever the series RMS
    assert eb.drift_error(errors, np.full((4, 8, 10), 0.2), 0.5)[1] < 1e-6
    # the series twice as large as the sample: twice the sample's MAC error
    rms = float(np.sqrt(np.mean(dB**2)))
    independent = eb.drift_error(errors, dB[None], 2 * rms)[1]
    assert independent == pytest.approx(2 * math.hypot(mean, std), rel=1e-6)


def test_zero_laser_spread_and_mismatch_give_no_error(errors, B):
    p = dataclasses.replace(NOISY, laser_spread_dB=0.0, bpd_mismatch=0.0, modulator="mzm")
    enc = {s.name: s for s in eb.encoding_sources(errors, B, p)}
    assert enc["laser_spread"].std < 1e-6 and enc["bpd_mismatch"].std < 1e-6
    assert enc["modulator"].std > 0.01  # an MZM without pre-distortion is not linear
    spread = {
        s.name: s
        for s in eb.encoding_sources(errors, B, dataclasses.replace(p, laser_spread_dB=1.0))
    }
    assert spread["laser_spread"].std > 0.01
    assert eb.needed_for(enc["laser_spread"], 0.5)[0] is None  # nothing scales from zero


def test_quadrature_total_agrees_with_the_monte_carlo(errors, B):
    real = B + 0.01 * np.random.default_rng(6).standard_normal(B.shape).astype(np.float32)
    p = dataclasses.replace(NOISY, laser_spread_dB=0.5, modulator="mzm", predistort_points=16)
    st = eb.StaticErrors(residual=real - B)
    rep = eb.chip_budget(jax.random.key(1), errors, B, real, st, p, dac_bits=16, drift_K=0.0)
    t = rep["total"]
    assert t["ratio_quadrature_to_mc"] == pytest.approx(1.0, abs=0.1)
    assert t["monte_carlo_std"] > 0.02  # the sources are not negligible: the check means something
    names = [s["name"] for s in rep["sources"]]
    assert names[:2] == ["calibration_residual", "heater_dac"]
    others = math.sqrt(t["quadrature_std"] ** 2 - rep["sources"][-1]["std"] ** 2)
    assert rep["sources"][-1]["std_needed"] == pytest.approx(math.sqrt(0.618**2 - others**2))
    assert rep["paper"] == {"mean": 0.03, "std": 0.618}


def _bank(evaluators, channel_plan):
    ev = evaluators["crosstalk"]
    heater = np.tile(channel_plan.heater_to_channel_mW, (16, 1))
    heater = heater + np.random.default_rng(7).uniform(0, 0.5, heater.shape)
    return {0: ev}, {0: [0]}, np.zeros(16, int), heater, np.zeros((1, 10))


def test_dac_part_shrinks_with_more_bits(evaluators, channel_plan):
    grp = _bank(evaluators, channel_plan)
    p_max = evaluators["crosstalk"].model.heater_max_mW
    stds = []
    for bits in (10, 14):
        drv = HeaterDriver(bits, math.sqrt(p_max * 1e-3 * 1e3), 1e3)
        dw = eb.dac_error_rows(*grp, drv, np.random.default_rng(0))
        stds.append(float(np.std(dw)))
    assert stds[0] / stds[1] == pytest.approx(2**4, rel=0.1)


def test_crosstalk_part_is_zero_for_an_exact_fit(evaluators, channel_plan):
    grp = _bank(evaluators, channel_plan)
    K = evaluators["crosstalk"].model.crosstalk()
    assert np.abs(eb.crosstalk_error_rows(*grp, K[None])).max() < 1e-9
    assert eb.crosstalk_fit_error(grp[0], grp[1], K[None]) == 0.0
    blind = eb.crosstalk_error_rows(*grp, np.eye(10)[None])  # a model without crosstalk
    assert np.abs(blind).max() > 0.01
    assert eb.crosstalk_fit_error(grp[0], grp[1], np.eye(10)[None]) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def bench(layout_json, tmp_path_factory):
    out = tmp_path_factory.mktemp("budget")
    res = extract(layout_json, (24, 13), outdir=out, config=load_config(preset="bench"))
    return res, out


def test_extract_reports_and_plots_the_budget(bench):
    res, out = bench
    rep = json.loads((out / "photonic_model.json").read_text())["calibration"]["error_budget"]
    names = {s["name"] for s in rep["sources"]}
    assert names >= {
        "calibration_residual",
        "heater_dac",
        "crosstalk_open_loop",
        "drift",
        "modulator",
        "laser_spread",
        "bpd_mismatch",
        "shot",
        "tia",
        "rin",
        "adc",
    }
    t = rep["total"]
    assert t["ratio_quadrature_to_mc"] == pytest.approx(1.0, abs=0.1)
    by = {s["name"]: s for s in rep["sources"]}
    # the bench's 6-bit ADC: the uniform-quantisation figure of its LSB
    assert by["adc"]["std"] > by["shot"]["std"]
    assert by["adc"]["needed_value"] < 6 and by["adc"]["needed_law"] == eb.LAWS["bits"]
    assert by["crosstalk_open_loop"]["parent"] == "calibration_residual"
    assert (out / "error_budget.png").stat().st_size > 5000
    assert res.timings_s["error_budget"] < 10.0
