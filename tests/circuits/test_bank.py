"""The bank circuit: agreement with the SAX netlist, physics of rings and heaters, derivatives."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from circuits.circuit_helpers import make_bank
from photonic_dfa.circuits import BankCircuit, BankDesign, analysis, couplers, models, passivity
from photonic_dfa.circuits.bank_circuit import PORTS
from photonic_dfa.circuits.sax_reference import sax_circuit, sax_sparams
from photonic_dfa.circuits.solver import ring_block_exact
from photonic_dfa.circuits.sweeps import heater_sweep
from photonic_dfa.config import CircuitConfig
from photonic_dfa.errors import ArtifactError, ConfigError

RNG = np.random.default_rng(7)


@pytest.fixture(scope="module")
def bank10():
    return make_bank()


def _random_state(n):
    return RNG.uniform(0, 3, n), RNG.normal(0, 0.2, n)


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # default conditioning
        {"coupler_reflections": "keep", "reciprocity": "none", "passivity": "none"},  # raw data
    ],
    ids=["conditioned", "raw-data"],
)
def test_fast_path_matches_sax_netlist(bank10, x64, overrides):
    """The star-product cascade is exact: it agrees with SAX's klu solution of the netlist,
    reflections and non-reciprocal raw data included."""
    cfg = CircuitConfig(**overrides)
    wl = np.linspace(1.545, 1.555, 41)
    design = BankDesign.from_geometry(bank10, cfg)
    circuit = BankCircuit.build(design, wl)
    heater, shift = _random_state(10)
    fast = np.asarray(circuit.sparams(heater, shift))
    ref = np.asarray(sax_sparams(sax_circuit(design, circuit), circuit, heater, shift))
    assert fast.shape == (41, 4, 4)
    assert np.max(np.abs(fast - ref)) < 2e-11  # measured: 3e-13 conditioned, 3e-12 raw data
    assert np.max(np.abs(ref)) > 0.5  # not trivially zero
    # and the rational ring blocks equal the direct elimination
    blocks = np.asarray(circuit.ring_blocks(heater, shift))
    exact = ring_block_exact(
        circuit.c_in, circuit.c_drop, circuit.section_t, circuit.ring_phase_rad(heater, shift)
    )
    assert np.max(np.abs(blocks - np.asarray(exact))) < 2e-12  # measured: 2.3e-13


def test_reciprocity_and_passivity_of_the_bank(bank10, x64):
    cfg = CircuitConfig()
    wl = np.linspace(1.54, 1.56, 401)
    circuit = BankCircuit.from_geometry(bank10, cfg, wl)
    heater = np.stack([np.zeros(10), RNG.uniform(0, 5, 10), np.full(10, 20.0)])
    s = np.asarray(circuit.sparams(heater))
    assert s.shape == (3, 401, 4, 4)
    assert np.max(np.abs(s - np.swapaxes(s, -1, -2))) < 1e-12  # S = Sᵀ
    assert passivity.column_power_sums(s).max() <= 1 + 1e-9
    assert passivity.largest_singular_value(s).max() <= 1 + 1e-9
    # the same bank with raw (non-passive) couplers shows gain somewhere: the check can fail
    raw = BankCircuit.from_geometry(
        bank10, CircuitConfig(passivity="none", reciprocity="none", coupler_reflections="keep"), wl
    )
    s_raw = np.asarray(raw.sparams(heater))
    assert passivity.largest_singular_value(s_raw).max() > 1 + 1e-4


def _ideal_source(coupling):
    """Ideal couplers as coupler data, sampled densely enough (5 pm) that the spline is exact to
    ~1e-10."""
    wl = np.linspace(1.5, 1.6, 20001)

    def source(ring, which):
        s = np.asarray(
            models.ideal_half_ring_matrix(
                wl,
                coupling=coupling,
                radius_um=ring.radius_um,
                bus_length_um=models.half_ring_bus_length_um(ring.radius_um, ring.wg_width_nm),
                wg=models.waveguide_coefficients(ring.wg_width_nm, ring.thickness_nm),
            )
        )
        freq = models.SPEED_OF_LIGHT_M_PER_S / (wl * 1e-6)
        return couplers.CouplerData(freq[::-1], s[::-1], f"ideal κ² = {coupling}")

    return source


@pytest.mark.parametrize("heater_mW", [0.0, 3.7])
def test_ideal_couplers_match_closed_form_add_drop(x64, heater_mW):
    """With ideal lossless couplers (κ² = 0.05) the circuit is the textbook add-drop ring
    (Bogaerts et al., Laser Photon. Rev. 6, 47 (2012), eqs. 4–5)."""
    bank = make_bank(rings=1, radius_offsets_um=(0.05,))  # a racetrack: straights of π·50 nm
    ring = bank.rings[0]
    cfg = CircuitConfig(loss_dB_cm=3.0)
    kappa2 = 0.05
    wl = np.linspace(1.540, 1.560, 4001)
    circuit = BankCircuit.from_geometry(bank, cfg, wl, source=_ideal_source(kappa2))
    t, d = (np.asarray(x) for x in circuit.through_drop(np.array([heater_mW])))
    wg = models.waveguide_coefficients()
    beta = models.propagation_constant_per_um(wl, **wg.as_params())
    phi = (
        beta * ring.round_trip_um
        + 2
        * np.pi
        * cfg.dneff_dT_per_K
        * (cfg.thermal_impedance_K_per_mW * heater_mW)
        * ring.heater.length_um
        / wl
    )
    a = np.exp(-cfg.loss_dB_cm * 1e-4 / (20 * math.log10(math.e)) * ring.round_trip_um)
    r = math.sqrt(1 - kappa2)
    den = 1 - 2 * r * r * a * np.cos(phi) + (r * r * a) ** 2
    # the bus waveguides to the ports (lossy, reflection-free) multiply the transmissions
    wt = np.abs(np.asarray(circuit.bus_through_t)) ** 2  # (2, K): in lead, through lead
    wd = np.abs(np.asarray(circuit.bus_drop_t)) ** 2  # drop lead, add lead
    t_ref = wt[0] * wt[1] * (r**2 * a**2 - 2 * r * r * a * np.cos(phi) + r**2) / den
    d_ref = wt[0] * wd[0] * (1 - r**2) ** 2 * a / den
    assert np.max(np.abs(t - t_ref)) < 1e-6
    assert np.max(np.abs(d - d_ref)) < 1e-6
    assert d_ref.max() > 0.9 and t_ref.min() < 0.01  # resonances inside the window


def test_bus_loss_covers_the_whole_drawn_bus_couplers_included(x64):
    """Issue 13 item 1: with couplers that do not couple (κ² = 0, lossless like the FDTD data)
    each bus transmits exactly the attenuation of its whole drawn length — leads, segments (the
    drop bus's S-bends included) and the 2R + 3w of bus inside every half-ring coupler, not only
    the bus waveguides between the couplers (which miss 4 × 21.5 µm here)."""
    bank = make_bank(rings=4, radius_offsets_um=(0.0, 0.1, 0.05, 0.2))
    cfg = CircuitConfig(loss_dB_cm=3.0)
    circuit = BankCircuit.from_geometry(
        bank, cfg, np.linspace(1.545, 1.555, 5), source=_ideal_source(0.0)
    )
    s = np.abs(np.asarray(circuit.sparams(np.zeros(4)))) ** 2  # (K, 4, 4), S[out, in]
    two_r = sum(2 * r.radius_um for r in bank.rings)
    for bus, (a, b) in {"through": ("in", "through"), "drop": ("drop", "add")}.items():
        drawn = bank.bus_leads_um[a] + bank.bus_leads_um[b] + sum(bank.bus_segments_um[bus])
        drawn += two_r  # the coupling regions x ± R
        expect = 10 ** (-cfg.loss_dB_cm * drawn * 1e-4 / 10)
        i, j = PORTS.index(b if bus == "through" else a), PORTS.index(a if bus == "through" else b)
        assert s[:, i, j] == pytest.approx(expect, rel=1e-9), bus
    # the input bus as drawn: from the in port to the through port
    span = bank.ports["through"].center_um[0] - bank.ports["in"].center_um[0]
    assert s[:, 1, 0] == pytest.approx(10 ** (-cfg.loss_dB_cm * span * 1e-4 / 10), rel=1e-9)


def test_racetrack_with_simphony_data_matches_the_closed_form(cfg, x64):
    """Issue 12 item 4: a ring with radius-offset straights (vertical, outside the coupling
    regions) is simphony's half-ring data at R plus plain waveguide: its FSR, FWHM and through
    extinction are those of the textbook add-drop ring (Bogaerts et al., Laser Photon. Rev. 6, 47
    (2012)) with the data's own self-coupling amplitudes at the resonance."""
    bank = make_bank(rings=1, radius_offsets_um=(0.081,))  # ring 9 of 10: straights of 0.254 µm
    design = BankDesign.from_geometry(bank, cfg)
    wl_nm = np.arange(1533.0, 1565.0, 0.0005)
    t, d = (x[0] for x in analysis.ring_spectra(bank, cfg, wl_nm))
    peaks = analysis.find_resonances_nm(wl_nm, d)
    i = int(np.argmin(np.abs(wl_nm - peaks[np.argmin(np.abs(peaks - 1549.0))])))
    lam = float(wl_nm[i])
    arr = design.ring_arrays(0, np.array([lam * 1e-3]))
    r1 = abs(arr.c_in[0, 3, 1])  # ring path port_2 → port_4 of each coupler
    r2 = abs(arr.c_drop[0, 3, 1])
    rho = r1 * r2 * abs(arr.section_t[0]) ** 2  # round-trip amplitude
    ng_l = float(arr.ng_length_um[0]) * 1e3  # nm
    fsr = lam**2 / ng_l
    fwhm = lam**2 * (1 - rho) / (math.pi * ng_l * math.sqrt(rho))
    tb = abs(arr.c_in[0, 2, 0])  # bus through of the input coupler
    a2 = r2 * abs(arr.section_t[0]) ** 2
    er_db = 10 * math.log10(((tb + a2) / (1 + tb * a2)) ** 2 / ((tb - a2) / (1 - tb * a2)) ** 2)
    k = int(np.argmin(np.abs(peaks - lam)))
    assert (peaks[k + 1] - peaks[k - 1]) / 2 == pytest.approx(fsr, rel=2e-3)  # both neighbours
    assert analysis.fwhm_nm(wl_nm, d, i) == pytest.approx(fwhm, rel=0.03)
    # drop peak κ1² κ2² a / (1 − ρ)² (a: the half round trip's power), with the data's cross
    # couplings port_1 → port_4 (bus → ring) and port_2 → port_3 (ring → drop bus)
    k1, k2 = abs(arr.c_in[0, 3, 0]) ** 2, abs(arr.c_drop[0, 2, 1]) ** 2
    peak = k1 * k2 * abs(arr.section_t[0]) ** 2 / (1 - rho) ** 2
    assert d[i] == pytest.approx(peak, rel=0.02)
    # through extinction: near critical coupling the dip depth is sensitive to what the textbook
    # form leaves out (coupler loss and reflections): measured 21.9 dB vs 23.2 dB
    window = np.abs(wl_nm - lam) < fsr / 2
    er = 10 * math.log10(t[window].max() / t[window].min())
    assert er == pytest.approx(er_db, abs=1.5)


def test_drop_peak_and_through_dip_coincide(cfg):
    bank = make_bank(rings=1)
    wl_nm = np.arange(1545.0, 1547.0, 0.0005)
    t, d = analysis.ring_spectra(bank, cfg, wl_nm)
    i_d, i_t = int(np.argmax(d[0])), int(np.argmin(t[0]))
    peak, _ = analysis.refine_peak(wl_nm, d[0], i_d)
    dip, _ = analysis.refine_peak(wl_nm, 1.0 / t[0], i_t)
    assert abs(peak - dip) < 2e-4  # nm, ≪ linewidth ≈ 0.094 nm
    assert d[0, i_d] > 0.8 and t[0, i_t] < 0.01


def test_fsr_matches_group_index_and_round_trip(bank10, cfg):
    """FSR within 2 % of λ²/(n_g L) with the waveguide model's n_g and the layout's round trip
    (the FDTD half-ring data imply n_g ≈ 4.11 vs 4.19: ≈ 1.96 %), and within 0.3 % with the
    group index of the ring model itself. Adding the circumference twice would double L."""
    metrics = analysis.analyze_rings(bank10, cfg, targets_nm=1550.0)
    wg = models.waveguide_coefficients()
    for ring, m in zip(bank10.rings, metrics, strict=True):
        lam_um = m.resonance_nm * 1e-3
        ng_wg = float(models.group_index(lam_um, **wg.as_params()))
        fsr_wg = lam_um**2 / (ng_wg * ring.round_trip_um) * 1e3
        assert abs(m.fsr_nm / fsr_wg - 1) < 0.02, (ring.index, m.fsr_nm, fsr_wg)
    circuit = BankCircuit.from_geometry(
        bank10, cfg, np.array([m.resonance_nm * 1e-3 for m in metrics])
    )
    fsr_model = np.diag(np.asarray(circuit.fsr_nm()))
    np.testing.assert_allclose([m.fsr_nm for m in metrics], fsr_model, rtol=3e-3)


def test_heater_tuning_is_linear_with_the_predicted_slope(cfg):
    bank = make_bank(rings=3)
    sweep_cfg = cfg.model_copy(update={"heater_points": 6})
    r = heater_sweep(bank, sweep_cfg, ring=1)
    a = r.arrays
    assert float(a["r_squared"]) > 0.999
    # slope the parameters predict: λ (dn/dT) Z_th L_heater / (n_g L), n_g L of the ring model
    assert float(a["slope_fit_nm_per_mW"]) == pytest.approx(
        float(a["slope_model_nm_per_mW"]), rel=0.01
    )
    # independent check with the waveguide n_g (the ring model's is 1.9 % lower)
    ring = bank.rings[1]
    lam = float(a["resonance_nm"][0, 1]) * 1e-3
    ng = float(models.group_index(lam, **models.waveguide_coefficients().as_params()))
    rough = (
        lam * 1e3 * cfg.dneff_dT_per_K * cfg.thermal_impedance_K_per_mW * ring.heater.length_um
    ) / (ng * ring.round_trip_um)
    assert float(a["slope_fit_nm_per_mW"]) == pytest.approx(rough, rel=0.03)
    # thermal crosstalk: the neighbours shift by K_ik × the own slope
    k = np.exp(
        -np.linalg.norm(
            np.subtract(bank.rings[0].heater.centroid_um, bank.rings[1].heater.centroid_um)
        )
        / cfg.crosstalk_length_um
    )
    xt = a["crosstalk_slope_nm_per_mW"]
    assert xt[0] == pytest.approx(k * float(a["slope_fit_nm_per_mW"]), rel=0.02)
    assert xt[2] == pytest.approx(xt[0], rel=0.02)


def test_shift_nm_moves_the_resonance_by_that_much(cfg):
    bank = make_bank(rings=1)
    base = analysis.analyze_rings(bank, cfg, targets_nm=1550.0)[0].resonance_nm
    moved = analysis.analyze_rings(bank, cfg, targets_nm=1550.3, shift_nm=[0.3])[0].resonance_nm
    assert moved - base == pytest.approx(0.3, rel=0.005)


def test_ten_ring_bank_biased_onto_its_channels(bank10, cfg, x64):
    channels = analysis.channel_grid_nm(bank10, cfg)
    np.testing.assert_allclose(np.diff(channels), cfg.channel_spacing_nm)
    bias = analysis.bias_to_channels(bank10, cfg, channels)
    assert np.all(bias.reachable) and np.all(bias.heater_mW >= 0)
    wl_nm = np.arange(channels[0] - 1.0, channels[-1] + 1.0, 0.0005)
    circuit = BankCircuit.from_geometry(bank10, cfg, wl_nm * 1e-3)
    t, d = (np.asarray(x) for x in circuit.through_drop(bias.heater_mW))
    peaks = analysis.find_resonances_nm(wl_nm, d, min_rel_height=0.3)
    assert peaks.size == 10
    assert np.max(np.abs(peaks - channels)) < 0.005  # nm, ≪ FWHM ≈ 0.095 nm
    on = np.interp(channels, wl_nm, d)
    assert np.all(on > 0.7)
    # through dips at the channels too
    assert np.all(np.interp(channels, wl_nm, t) < 0.05)


def test_derivatives(bank10, x64):
    cfg = CircuitConfig()
    circuit = BankCircuit.from_geometry(bank10, cfg, np.linspace(1.546, 1.554, 10))
    heater = jnp.asarray(RNG.uniform(0, 3, (2, 10)))
    shift = jnp.asarray(RNG.normal(0, 0.2, (2, 10)))
    t, d, jt, jd = circuit.through_drop_and_jacobian(heater, shift)
    ref_t = jax.jit(jax.vmap(jax.jacfwd(lambda p, s: circuit.through_drop(p, s)[0])))
    ref_d = jax.jit(jax.vmap(jax.jacrev(lambda p, s: circuit.through_drop(p, s)[1])))
    np.testing.assert_allclose(jt, ref_t(heater, shift), atol=1e-10)
    np.testing.assert_allclose(jd, ref_d(heater, shift), atol=1e-10)

    # gradient of the weight sum D − T against central finite differences
    @jax.jit
    def w(p):
        tt, dd = circuit.through_drop(p, shift[0])
        return jnp.sum(dd - tt)

    g = jax.grad(w)(heater[0])
    h = 1e-6
    fd = np.array([(w(heater[0] + h * e) - w(heater[0] - h * e)) / (2 * h) for e in np.eye(10)])
    np.testing.assert_allclose(g, fd, atol=1e-6)
    assert np.max(np.abs(g)) > 0.01  # the weights do depend on the heaters
    # vmap over heater batches gives the same as the batched call
    tb, db = jax.vmap(circuit.through_drop)(heater, shift)
    np.testing.assert_allclose(tb, t, atol=1e-13)
    np.testing.assert_allclose(db, d, atol=1e-13)


def test_bad_geometry_and_data_points(cfg):
    with pytest.raises(ConfigError, match="nearest valid points"):
        BankCircuit.from_geometry(make_bank(rings=2, radius_um=7.0), cfg, [1.55])
    bank = make_bank(rings=2)
    bad = bank.model_copy(update={"bus_segments_um": {"through": (0.5,), "drop": (0.5,)}})
    with pytest.raises(ArtifactError, match="shorter than the bus"):
        BankCircuit.from_geometry(bad, cfg, [1.55])
    ring = bank.rings[0].model_copy(update={"round_trip_um": 70.0})
    with pytest.raises(ArtifactError, match="round_trip_um"):
        BankCircuit.from_geometry(
            bank.model_copy(update={"rings": (ring, bank.rings[1])}), cfg, [1.55]
        )
