"""extract: the artifact against an independent circuit evaluation; CLI; bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from _helpers.cli import run_cli
from photonic_dfa.config import load_config
from photonic_dfa.errors import ConfigError
from photonic_dfa.layout import load_layout
from photonic_dfa.network_model.artifact import load_photonic_model
from photonic_dfa.network_model.channel_plan import plan_channels
from photonic_dfa.network_model.run import extract


def _cli(*args):
    return run_cli(*args)


@pytest.fixture(scope="module")
def extracted(layout_json, tmp_path_factory):
    out = tmp_path_factory.mktemp("extract")
    # a TEC-stabilised chip that drifts (the integrated preset's values; off by default)
    cfg = load_config(model={"drift_ambient_K": 0.01, "drift_local_K": 0.005})
    res = extract(layout_json, (24, 13), outdir=out, n_outputs=10, config=cfg)
    return res, out


def test_artifact_equals_independent_circuit_evaluation(extracted, layout_json):
    from photonic_dfa.circuits import BankCircuit

    _, out = extracted
    model = load_photonic_model(out / "photonic_model.npz", hidden=(24, 13), n_outputs=10)
    desc = load_layout(layout_json)
    cfg = load_config()
    s = model.readout.weight_scale
    d_c = model.readout.banks
    assert d_c == desc.n_banks and model.shift_nm.shape == (d_c, 10)
    circuits = [BankCircuit.from_geometry(b, cfg.circuit, model.channel_wl_um) for b in desc.banks]
    for k, n in enumerate(model.hidden):
        for r in range(n):
            b = r % d_c
            T, D = circuits[b].through_drop(
                np.asarray(model.heater_mW[k][r, 0], np.float64), model.shift_nm[b]
            )
            expected = (np.asarray(D) - np.asarray(T)) / s
            np.testing.assert_allclose(model.B_realised[k][r], expected, atol=1e-6)
    # and the realised matrices are close to the ideal ones (calibration precision)
    err = np.concatenate([(a - b).ravel() for a, b in zip(model.B_realised, model.B_ideal)])
    assert np.sqrt(np.mean(err**2)) < 2 / 2**8


def test_sidecar_report_and_plots(extracted):
    _, out = extracted
    side = json.loads((out / "photonic_model.json").read_text())
    cal = side["calibration"]
    assert side["hidden"] == [24, 13] and side["readout"]["rows_per_bank"] == 10
    prov = side["provenance"]
    assert len(prov["layout_sha256"]) == 64 and prov["version"]
    assert cal["mode"] == "feedback" and cal["fab_sigma_nm"] == 0.5
    assert cal["rows"] == 37 and len(cal["per_bank"]) == 2
    for key in ("bits_median", "yield_rows", "unreachable_count", "channel_plan", "noise"):
        assert key in cal
    noise = cal["noise"]
    # the physical readout is far better than the paper's Gaussian per-MAC model
    assert noise["physical"]["std"] < 0.2 * noise["paper_gaussian"]["std"]
    assert noise["paper_gaussian"]["std"] == pytest.approx(0.618, rel=0.03)
    assert cal["energy"]["pJ_per_mac"] > 0
    for name in ("weights.png", "residuals.png", "heaters.png"):
        assert (out / name).stat().st_size > 5000


def test_channel_plan(channel_plan):
    p = channel_plan
    assert np.all(np.diff(p.channel_wl_um) > 0)
    np.testing.assert_allclose(np.diff(p.channel_wl_um) * 1e3, 0.8, atol=1e-9)
    assert p.red_offset_nm.min() == pytest.approx(p.margin_nm, abs=1e-9)
    assert 10 * 0.8 < p.fsr_nm.min() < 10.5
    assert np.all(p.q_loaded > 5e3)
    # Lorentzian estimate of the neighbour crosstalk from the linewidth: 1/(1 + (2Δ/δλ)²)
    lorentz = 10 * np.log10(1 / (1 + (2 * 0.8 / p.linewidth_nm) ** 2))
    np.testing.assert_allclose(p.crosstalk_dB, lorentz, atol=3.0)
    assert p.worst_crosstalk_dB < -15


def test_too_many_channels_for_the_fsr(default_design):
    cfg = load_config()
    with pytest.raises(ConfigError, match="do not fit one free spectral range"):
        plan_channels(default_design, cfg.circuit, spacing_nm=1.0, margin_nm=0.3, anchor_nm=1550)


def test_cli_budget_table_I():
    for args, ref in (
        (["--hidden", 800, "--outputs", 10, "--rows", 10, "--cols", 100], 9.40e12),
        (
            ["--hidden", 400, "--outputs", 100, "--rows", 100, "--cols", 10, "--adc-gsps", 5],
            9.91e12,
        ),
        (["--hidden", 8000, 10000, "--outputs", 100, "--rows", 10, "--cols", 100], 9.95e12),
    ):
        r = _cli("budget", *args, "--heater-mw", 5)
        assert r.returncode == 0, r.stderr
        ops = float(r.stdout.split("OPS = ")[1].split()[0])
        assert ops == pytest.approx(ref, rel=0.011)
        assert "pJ/MAC" in r.stdout and "ADCs" in r.stdout


def test_cli_extract_and_bad_input(layout_json, tmp_path):
    out = tmp_path / "out"
    r = _cli("extract", layout_json, "--hidden", 12, 7, "-o", out, "--no-plots")
    assert r.returncode == 0, r.stderr
    assert "median" in r.stdout and (out / "photonic_model.npz").exists()
    assert load_photonic_model(out / "photonic_model.npz").hidden == (12, 7)

    r = _cli("extract", layout_json, "--hidden", 0, "-o", tmp_path / "x")
    assert r.returncode == 2 and "error:" in r.stderr and "Traceback" not in r.stderr

    bad = tmp_path / "spectra.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    r = _cli("extract", layout_json, "--spectra", bad, "-o", tmp_path / "y")
    assert r.returncode == 2 and "not a readable npz" in r.stderr

    cfg = tmp_path / "fsr.toml"
    cfg.write_text("[model]\nchannel_spacing_nm = 1.0\n")
    r = _cli("extract", layout_json, "--config", cfg, "-o", tmp_path / "z")
    assert r.returncode == 2 and "free spectral range" in r.stderr

    cfg = tmp_path / "unreachable.toml"
    cfg.write_text(
        "[circuit]\nheater_max_mW = 3.0\n[model]\ncalibration = 'model'\nunreachable = 'error'\n"
    )
    r = _cli("extract", layout_json, "--hidden", 6, "--config", cfg, "-o", tmp_path / "u")
    assert r.returncode == 2 and "cannot be realised" in r.stderr, r.stderr

    r = _cli("budget", "--model", bad)
    assert r.returncode == 2 and "not a readable npz" in r.stderr


def test_drift_report_figure_and_artifact(extracted):
    res, out = extracted
    model = load_photonic_model(out / "photonic_model.npz")
    drift = res.report["drift"]
    assert drift["active"] and model.drift["ambient_K"] == pytest.approx(0.01)
    assert [j.shape for j in model.drift_jac] == [(24, 1, 10, 10), (13, 1, 10, 10)]
    np.testing.assert_array_equal(model.tile_bank[0][:, 0], np.arange(24) % 2)
    # dλ/dT of a silicon ring ~0.07-0.09 nm/K [Padmaraju14]
    assert 0.06 < min(drift["nm_per_K"]) and max(drift["nm_per_K"]) < 0.1
    # recalibration bounds the monitored error by its threshold; without it the error is larger
    thr = drift["params"]["recal_threshold_B"]
    assert drift["recal"]["error_B_max"] <= thr < drift["no_recal"]["error_B_max"]
    assert drift["recal"]["count"] >= 1 and drift["recal"]["time_s"] > 0
    # the linear model of B̃(T) holds at the largest drift of the run
    lin = drift["linearisation"]
    assert lin["linear_minus_exact_rms_B"] < 0.2 * lin["exact_change_rms_B"]
    assert (out / "drift.png").stat().st_size > 5000


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("drift_local_K = -0.1", "model.drift_local_K"),
        ("drift_local_K = -1", "model.drift_local_K"),
        ("drift_ambient_K = -0.1", "model.drift_ambient_K"),
        ("recal_every_batches = 0", "model.recal_every_batches"),
        ("modulator_er_dB = -3.0", "model.modulator_er_dB"),
        ("modulator_er_dB = -1", "model.modulator_er_dB"),
        ("heater_dac_bits = 0", "model.heater_dac_bits"),
    ],
)
def test_cli_extract_rejects_bad_drift_and_modulator_input(layout_json, tmp_path, line, key):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f"[model]\n{line}\n")
    r = _cli("extract", layout_json, "--config", cfg, "-o", tmp_path / "o")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and key in err[0] and line.split(" = ")[1] in err[0], r.stderr
    with pytest.raises(ConfigError, match=key.split(".")[1]):
        load_config(model=dict([(line.split(" = ")[0], float(line.split(" = ")[1]))]))


def test_cli_extract_rejects_the_replaced_recal_settle_us(layout_json, tmp_path):
    cfg = tmp_path / "old.toml"
    cfg.write_text("[model]\nrecal_settle_us = 10.0\n")
    r = _cli("extract", layout_json, "--config", cfg, "-o", tmp_path / "o")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    err = r.stderr.strip().splitlines()
    assert len(err) == 1 and "'recal_settle_us' was replaced" in err[0], r.stderr
    assert "heater_tau_us" in err[0] and "heater_dac_bits" in err[0]


def test_extract_fitted_mode_reports_precision_per_bank_dac_and_retuning(layout_json):
    """Mode fitted through extract: per-bank precision and yield on the full circuit, the heater
    DACs, and the throughput with re-tuning beside the weight-stationary OPS."""
    cfg = load_config(model={"calibration": "fitted"})  # 16-bit heater DACs (default)
    r = extract(layout_json, (12,), config=cfg, n_outputs=10, plots=False).report
    assert r["mode"] == "fitted" and r["unreachable_count"] == 0
    assert r["bits_median"] >= 8.5 and r["yield_rows"] >= 0.9, (r["bits_median"], r["yield_rows"])
    for pb in r["per_bank"]:
        assert pb["bits_median"] >= pb["bits_min"] and 0.0 <= pb["yield_rows"] <= 1.0
    d = r["heater_driver"]
    assert d["bits"] == 16 and d["max_power_mW"] == pytest.approx(20.0)
    # one code at full scale: ΔP ≈ 2 P_fs / (2^b − 1), times the ~0.25 nm/mW heater slope
    assert d["lsb_mW_at_full_scale"] == pytest.approx(2 * 20.0 / 65535, rel=1e-3)
    assert 0.1 < d["lsb_pm_at_full_scale"] < 0.2
    rc = r["energy"]["reconfiguration"]
    assert (
        rc["ops_weight_stationary"] == r["energy"]["ops"]
        and rc["ops"] < rc["ops_weight_stationary"]
    )
    rb = _cli("budget", "--hidden", 800, "--errors-per-setting", 1000, "--heater-mw", 5)
    assert rb.returncode == 0 and "re-tuning" in rb.stdout and "1000 error vectors" in rb.stdout
    rb = _cli("budget", "--errors-per-setting", 0)
    assert rb.returncode == 2 and "errors_per_setting = 0" in rb.stderr
