"""Layout-aware fabrication variation: correlated width/thickness fields at the rings' centres,
turned into resonance shifts with dλ/dw, dλ/dt of simphony's waveguide data."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.config import load_config
from photonic_dfa.network_model.fabrication import (
    correlated_field,
    equivalent_sigma_nm,
    layout_offsets,
    ring_centres_um,
    sensitivities,
)


def test_sensitivities_are_red_shifts_of_the_known_size():
    s_w, s_t = sensitivities(500.0, 220.0)
    # wider / thicker silicon: higher n_eff, a red shift; 220-nm SOI rings are more sensitive to
    # thickness than to width (order 1 nm/nm and 1-2 nm/nm, Chrostowski et al. OFC 2014)
    assert 0.3 < s_w < 1.2
    assert 0.8 < s_t < 2.5 and s_t > s_w
    # the closed form λ Δn_eff / n_g against a resonance found from m λ = n_eff(λ) L directly
    from photonic_dfa.circuits.models import waveguide_coefficients as wg

    length_um = 2 * np.pi * 10.0
    m = round(wg(500, 220).neff * length_um / wg(500, 220).wl0_um)  # one mode order for all

    def resonance_nm(w: float, t: float) -> float:
        c = wg(w, t)
        lam = c.wl0_um  # Newton steps on m λ = n_eff(λ) L with dn_eff/dλ = (n_eff − n_g)/λ0
        for _ in range(20):
            n = c.neff + (c.neff - c.ng) / c.wl0_um * (lam - c.wl0_um)
            lam = lam - (m * lam - n * length_um) / (m - (c.neff - c.ng) / c.wl0_um * length_um)
        return lam * 1e3

    assert (resonance_nm(520, 220) - resonance_nm(480, 220)) / 40.0 == pytest.approx(s_w, rel=0.05)
    assert (resonance_nm(500, 230) - resonance_nm(500, 210)) / 20.0 == pytest.approx(s_t, rel=0.05)


def test_field_is_correlated_near_and_independent_far():
    ell, sigma = 100.0, 2.0
    pts = np.array([[0.0, 0.0], [30.0, 0.0], [0.0, 600.0], [800.0, 800.0]])
    rng = np.random.default_rng(0)
    draws = np.stack([correlated_field(pts, sigma, ell, rng) for _ in range(4000)])
    assert draws.std(axis=0) == pytest.approx(np.full(4, sigma), rel=0.05)
    corr = np.corrcoef(draws.T)
    assert corr[0, 1] == pytest.approx(np.exp(-(30.0**2) / (2 * ell**2)), abs=0.03)  # 0.956
    assert abs(corr[0, 2]) < 0.06 and abs(corr[0, 3]) < 0.06  # 6 ℓ and more apart


def _mcfg(**model):
    return load_config(model={"fab_model": "layout", **model}).model


def test_offsets_at_the_rings_follow_the_correlation_length(layout_factory):
    layout = layout_factory(banks=2, rings=4)
    xy = ring_centres_um(layout, 2)
    assert xy.shape == (2, 4, 2)
    s_w, s_t = sensitivities()
    seeds = range(300)
    # short correlation: rings independent, each with the equivalent σ (mean removed: × √(1−1/N))
    short = _mcfg(fab_width_corr_um=1.0, fab_thickness_corr_um=1.0)
    off = np.stack(
        [layout_offsets(layout, 2, short.model_copy(update={"fab_seed": s}))[0] for s in seeds]
    )
    sigma = equivalent_sigma_nm(short, s_w, s_t)
    assert off.std() == pytest.approx(sigma * np.sqrt(1 - 1 / 8), rel=0.08)
    # long correlation: the die moves together and the grid takes it up; little is left
    long = _mcfg(fab_width_corr_um=1e5, fab_thickness_corr_um=1e5)
    off_long = np.stack(
        [layout_offsets(layout, 2, long.model_copy(update={"fab_seed": s}))[0] for s in seeds]
    )
    assert off_long.std() < 0.02 * sigma
    # with the channel grid fixed, the common shift stays: every ring moves by about σ
    fixed = long.model_copy(update={"center_wl_nm": 1550.0})
    off_fixed = np.stack(
        [layout_offsets(layout, 2, fixed.model_copy(update={"fab_seed": s}))[0] for s in seeds]
    )
    assert off_fixed.std() == pytest.approx(sigma, rel=0.12)


def test_neighbouring_rings_shift_together_distant_banks_do_not(layout_factory):
    layout = layout_factory(banks=2, rings=4)
    xy = ring_centres_um(layout, 2)
    gap = np.linalg.norm(xy[0, 0] - xy[0, 1])
    far = np.linalg.norm(xy[0, 0] - xy[1, 0])
    ell = 3.0 * gap
    assert far > 2.0 * ell, "the test needs banks further apart than the correlation length"
    cfg = _mcfg(fab_width_corr_um=ell, fab_thickness_corr_um=ell, center_wl_nm=1550.0)
    off = np.stack(
        [layout_offsets(layout, 2, cfg.model_copy(update={"fab_seed": s}))[0] for s in range(1500)]
    )
    near_corr = np.corrcoef(off[:, 0, 0], off[:, 0, 1])[0, 1]
    far_corr = np.corrcoef(off[:, 0, 0], off[:, 1, 0])[0, 1]
    assert near_corr == pytest.approx(np.exp(-(gap**2) / (2 * ell**2)), abs=0.05)
    assert near_corr > 0.9 and abs(far_corr) < 0.15


def test_the_chip_seed_draws_another_chip_and_repeats_exactly(layout_factory):
    layout = layout_factory(banks=1, rings=4)
    a, info = layout_offsets(layout, 1, _mcfg(fab_seed=1))
    b, _ = layout_offsets(layout, 1, _mcfg(fab_seed=1))
    c, _ = layout_offsets(layout, 1, _mcfg(fab_seed=2))
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert info["model"] == "layout" and info["dlambda_dt_nm_per_nm"] > 0
