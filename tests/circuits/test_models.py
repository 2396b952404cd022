"""Component models: waveguide vs simphony, half-ring data access and conditioning, thermal model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.circuits import couplers, models, passivity, thermal
from photonic_dfa.errors import ConfigError

WL = np.linspace(1.51, 1.59, 9)


def _half_ring(wl, *, radius_um, gap_nm):
    """simphony's raw half-ring data on ``wl`` (the grid checked as every circuit checks it)."""
    return couplers.simphony_half_ring(radius_um, gap_nm).at(models.check_wavelengths(wl))


@pytest.mark.parametrize("width,thickness", [(500, 220), (480, 210), (520, 230)])
def test_waveguide_model_is_simphonys(width, thickness, x64):
    from simphony.libraries import siepic

    coeffs = models.waveguide_coefficients(width, thickness)
    for length, loss in ((0.0, 0.0), (25.3, 3.0), (1000.0, 2.0)):
        ref = siepic.waveguide(wl=WL, length=length, width=width, height=thickness, loss=loss)
        ours = models.waveguide(wl=WL, length_um=length, loss_dB_cm=loss, **coeffs.as_params())
        np.testing.assert_allclose(ours[("o0", "o1")], ref[("o0", "o1")], rtol=0, atol=1e-10)


def test_group_index_is_the_phase_slope():
    c = models.waveguide_coefficients()
    wl = np.array([1.52, 1.55, 1.58])
    h = 1e-6
    beta = lambda w: models.propagation_constant_per_um(w, **c.as_params())  # noqa: E731
    dbeta_dwl = (beta(wl + h) - beta(wl - h)) / (2 * h)
    ng_numeric = -(wl**2) / (2 * np.pi) * dbeta_dwl
    np.testing.assert_allclose(models.group_index(wl, **c.as_params()), ng_numeric, rtol=1e-7)
    assert models.group_index(1.55, **c.as_params()) == pytest.approx(4.19088)


def test_half_ring_matrix_is_simphonys_data(x64):
    from simphony.libraries import siepic

    s = _half_ring(WL, radius_um=10, gap_nm=150)
    ref = siepic.half_ring(wl=WL, gap=150, radius=10)
    for i, p_out in enumerate(couplers.HALF_RING_PORTS):
        for j, p_in in enumerate(couplers.HALF_RING_PORTS):
            np.testing.assert_array_equal(s[:, i, j], np.asarray(ref[(p_out, p_in)]))
    # bus through (1→3) ≈ 0.97, cross coupling (1→4) ≈ 0.03 at R = 10 µm, 150 nm
    assert 0.95 < abs(s[4, 2, 0]) ** 2 < 0.99
    assert 0.02 < abs(s[4, 3, 0]) ** 2 < 0.04


def test_missing_data_point_lists_nearest_valid_points():
    with pytest.raises(ConfigError) as err:
        _half_ring(WL, radius_um=7, gap_nm=150)
    msg = str(err.value)
    assert "\n" not in msg
    assert "no half-ring data for R=7 µm gap=150 nm" in msg
    assert "R=10 µm gap=150 nm" in msg  # a nearest valid point is named


@pytest.mark.parametrize(
    "wl,match",
    [
        (np.array([1.49, 1.55]), "outside simphony's half-ring data"),
        (np.array([1.55, 1.62]), "outside simphony's half-ring data"),
        (np.array([1.56, 1.55]), "inverted"),
    ],
)
def test_bad_wavelength_grids(wl, match):
    with pytest.raises(ConfigError, match=match):
        _half_ring(wl, radius_um=10, gap_nm=150)


def test_simphony_data_is_non_passive_and_conditioning_fixes_it():
    wl = np.linspace(1.5, 1.6, 201)
    raw = _half_ring(wl, radius_um=10, gap_nm=150)
    out, rep = passivity.condition_sparams(raw, wl)
    # the raw data: σ_max ≈ 1.008–1.010, non-reciprocal at ~2e-3, ring-port reflection 1e-4 to 1e-3
    assert 1.005 < rep.sigma_max_raw < 1.02
    assert passivity.column_power_sums(raw).max() > 1.0 + 1e-4  # a port puts out gain
    assert 1e-4 < rep.reciprocity_error_raw < 1e-2
    assert 5e-5 < rep.reflection_max_raw < 2e-3
    # conditioned: passive, reciprocal, forward-only
    assert passivity.largest_singular_value(out).max() <= 1 + 1e-12
    assert passivity.column_power_sums(out).max() <= 1 + 1e-9
    assert passivity.reciprocity_error(out) < 1e-14
    assert np.max(np.abs(np.diagonal(out, axis1=1, axis2=2))) < 1e-12  # no reflections
    # the transmissions change little: only what passivity required (≈ σ_max − 1)
    forward = np.abs(passivity.remove_reflections(raw)) > 0
    assert np.max(np.abs(out - raw)[forward]) < 0.015


def _complex(draw, n):
    re = draw(st.lists(st.floats(-1, 1), min_size=n * n, max_size=n * n))
    im = draw(st.lists(st.floats(-1, 1), min_size=n * n, max_size=n * n))
    return (np.array(re) + 1j * np.array(im)).reshape(n, n)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.floats(0.1, 1.5))
def test_svd_clip_is_passive_keeps_symmetry_and_passive_matrices(data, scale):
    m = _complex(data.draw, 4)
    m = passivity.symmetrize(m)
    sigma = passivity.largest_singular_value(m)
    if sigma < 1e-6:
        return
    m = m * scale / sigma  # largest singular value = scale
    out = passivity.enforce_passivity(m[None])[0]
    assert passivity.largest_singular_value(out) <= 1 + 1e-12
    assert np.max(np.abs(out - out.T)) < 1e-12  # symmetric stays symmetric
    if scale <= 1:
        np.testing.assert_array_equal(out, m)  # already passive: untouched
    else:  # singular values below 1 are kept
        sv_in = np.linalg.svd(m, compute_uv=False)
        sv_out = np.linalg.svd(out, compute_uv=False)
        np.testing.assert_allclose(sv_out, np.minimum(sv_in, 1.0), atol=1e-12)


def test_crosstalk_matrix():
    xy = np.array([[0.0, 0.0], [25.0, 0.0], [50.0, 0.0]])
    k = thermal.crosstalk_matrix(xy, 10.0)
    np.testing.assert_allclose(np.diag(k), 1.0)
    np.testing.assert_allclose(k, k.T)
    assert k[0, 1] == pytest.approx(np.exp(-2.5))
    assert k[0, 2] == pytest.approx(np.exp(-5.0))
    np.testing.assert_array_equal(thermal.crosstalk_matrix(xy, 0.0), np.eye(3))


def test_thermal_phase_and_shift_conversions():
    wl = np.array([1.55])
    dphi = thermal.thermal_phase_rad(np.array([10.0]), wl, np.array([47.0]), 1.8e-4)
    assert dphi[0, 0] == pytest.approx(2 * np.pi * 1.8e-3 * 47.0 / 1.55)
    ng_l = np.array([[4.1 * 62.8]])
    back = thermal.phase_to_shift_nm(
        thermal.shift_to_phase_rad(np.array([0.3]), wl, ng_l), wl, ng_l
    )
    assert back[0, 0] == pytest.approx(0.3)
