"""The circuit sweeps: spectrum, heater tuning curve, design space and fabrication corners.

Each sweep is a pure computation that returns a :class:`SweepResult` — named arrays with their
axes and units, the parameters used and per-ring figures of merit; :mod:`.run` writes it to
``spectra.npz``, plots and Touchstone files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from photonic_dfa.circuits.analysis import (
    BiasResult,
    RingMetrics,
    analyze_rings,
    bias_to_channels,
    channel_grid_nm,
    estimated_fsr_nm,
    find_resonances_nm,
    heater_slopes_nm_per_mW,
    ring_spectra,
)
from photonic_dfa.circuits.bank_circuit import BankCircuit, BankDesign, design_key
from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.coupler_data import coupler_points, has_coupler_data
from photonic_dfa.errors import ConfigError
from photonic_dfa.layout.planner import design_bank
from photonic_dfa.layout.schema import BankGeometry

__all__ = [
    "CORNERS",
    "KINDS",
    "BankState",
    "HeaterSpec",
    "SweepResult",
    "bank_state",
    "corner_sweep",
    "design_sweep",
    "heater_sweep",
    "spectrum_sweep",
]

KINDS = ("spectrum", "heater", "design", "corners")
#: fabrication corners (width nm, thickness nm)
CORNERS: tuple[tuple[float, float], ...] = tuple(
    (w, t) for w in (480.0, 500.0, 520.0) for t in (210.0, 220.0, 230.0)
)
METRIC_FIELDS = ("resonance_nm", "fsr_nm", "fwhm_nm", "loaded_q", "extinction_dB", "drop_peak")

#: heater state of a sweep: "bias" (onto the channel grid), one power for all rings, or N powers
HeaterSpec = Literal["bias"] | float | Sequence[float] | None


@dataclass
class SweepResult:
    """Result of a sweep.

    Attributes:
        kind: ``spectrum``, ``heater``, ``design`` or ``corners``.
        arrays: named arrays; ``axes[name]`` names each axis, ``units[name]`` the unit.
        parameters: the circuit config and the sweep's own arguments.
        metrics: per bank, per ring figures of merit at the sweep's heater state.
        channels_nm, heater_mW: per bank ``(N,)``.
        notes: remarks for the user (unreachable channels, corners without data, …).
        files: paths written by :func:`~.run.run_sweep`.
    """

    kind: str
    arrays: dict[str, np.ndarray]
    axes: dict[str, tuple[str, ...]]
    units: dict[str, str]
    parameters: dict
    metrics: list[list[RingMetrics]] = field(default_factory=list)
    channels_nm: list[np.ndarray] = field(default_factory=list)
    heater_mW: list[np.ndarray] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    def add(self, name: str, value: np.ndarray, axes: tuple[str, ...], unit: str = "") -> None:
        value = np.asarray(value)
        if value.ndim != len(axes):
            raise ValueError(f"{name}: {value.ndim} dimensions but axes {axes}")
        self.arrays[name] = value
        self.axes[name] = axes
        self.units[name] = unit


@dataclass(frozen=True)
class BankState:
    """Channels and heater powers of a bank (and the bias solution, if biased)."""

    channels_nm: np.ndarray
    heater_mW: np.ndarray
    bias: BiasResult | None


def _heater_vector(spec: HeaterSpec, n: int) -> np.ndarray | None:
    if spec is None or (isinstance(spec, str) and spec == "bias"):
        return None
    if isinstance(spec, str):
        raise ConfigError(f"heater state {spec!r}: use 'bias', one power or {n} powers (mW)")
    arr = np.atleast_1d(np.asarray(spec, dtype=float))
    if arr.size == 1:
        arr = np.full(n, float(arr[0]))
    if arr.shape != (n,):
        raise ConfigError(f"--heater-mW needs 1 or {n} values (one per ring), got {arr.size}")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise ConfigError(f"heater powers must be finite and >= 0 mW, got {arr.tolist()}")
    return arr


def bank_state(
    bank: BankGeometry,
    cfg: CircuitConfig,
    heater: HeaterSpec = "bias",
    *,
    cache: dict | None = None,
) -> BankState:
    """Channel grid of the bank and its heater powers (biased onto the channels, or as given)."""
    cache = {} if cache is None else cache
    key = (design_key(bank), json.dumps(None if heater is None else heater, default=list))
    if key not in cache:
        n = len(bank.rings)
        channels = channel_grid_nm(bank, cfg)
        given = _heater_vector(heater, n)
        bias = None
        if given is None:
            bias = bias_to_channels(bank, cfg, channels)
            given = bias.heater_mW
        cache[key] = BankState(channels_nm=channels, heater_mW=given, bias=bias)
    return cache[key]


def _wl_grid_um(cfg: CircuitConfig) -> np.ndarray:
    return np.linspace(cfg.wl_start_nm, cfg.wl_stop_nm, cfg.points) * 1e-3


def _metric_arrays(result: SweepResult, metrics: list[list[RingMetrics]], lead: str) -> None:
    units = {"resonance_nm": "nm", "fsr_nm": "nm", "fwhm_nm": "nm", "extinction_dB": "dB"}
    for name in METRIC_FIELDS:
        result.add(
            name,
            np.array([[getattr(m, name) for m in ms] for ms in metrics]),
            (lead, "ring"),
            units.get(name, ""),
        )


def _notes_for_bias(result: SweepResult, bank: BankGeometry, state: BankState, cfg) -> None:
    if state.bias is not None and not np.all(state.bias.reachable):
        bad = np.flatnonzero(~state.bias.reachable).tolist()
        result.notes.append(
            f"bank {bank.index}: rings {bad} cannot reach their channels within 0–"
            f"{cfg.heater_max_mW:g} mW (powers {np.round(state.heater_mW[bad], 2).tolist()} mW)"
        )


# --------------------------------------------------------------------------------------------
# spectrum
# --------------------------------------------------------------------------------------------


def spectrum_sweep(
    banks: Sequence[BankGeometry], cfg: CircuitConfig, heater: HeaterSpec = "bias"
) -> SweepResult:
    """Through/drop spectra and S-parameters of each bank on the config's wavelength grid, at the
    heater state ``heater`` (and with heaters off), with per-ring figures of merit."""
    wl = _wl_grid_um(cfg)
    result = SweepResult("spectrum", {}, {}, {}, {"heater": heater})
    cache: dict = {}
    designs: dict[str, BankDesign] = {}
    circuits: dict[str, BankCircuit] = {}
    rows: dict[str, list] = {k: [] for k in ("t", "d", "tc", "dc", "s")}
    for bank in banks:
        state = bank_state(bank, cfg, heater, cache=cache)
        key = design_key(bank)
        if key not in circuits:
            designs[key] = BankDesign.from_geometry(bank, cfg)
            circuits[key] = BankCircuit.build(designs[key], wl)
        circuit = circuits[key]
        s = np.asarray(circuit.sparams(state.heater_mW))
        tc, dc = (np.asarray(x) for x in circuit.through_drop(np.zeros(len(bank.rings))))
        rows["s"].append(s)
        rows["t"].append(np.abs(s[:, 1, 0]) ** 2)
        rows["d"].append(np.abs(s[:, 3, 0]) ** 2)
        rows["tc"].append(tc)
        rows["dc"].append(dc)
        mkey = ("metrics", key, tuple(state.heater_mW))
        if mkey not in cache:
            cache[mkey] = analyze_rings(bank, cfg, state.heater_mW, targets_nm=state.channels_nm)
        result.metrics.append(cache[mkey])
        result.channels_nm.append(state.channels_nm)
        result.heater_mW.append(state.heater_mW)
        _notes_for_bias(result, bank, state, cfg)
    result.add("wl_nm", wl * 1e3, ("wl",), "nm")
    result.add("bank_index", np.array([b.index for b in banks]), ("bank",))
    result.add("through", np.stack(rows["t"]), ("bank", "wl"))
    result.add("drop", np.stack(rows["d"]), ("bank", "wl"))
    result.add("through_cold", np.stack(rows["tc"]), ("bank", "wl"))
    result.add("drop_cold", np.stack(rows["dc"]), ("bank", "wl"))
    result.add("sparams", np.stack(rows["s"]), ("bank", "wl", "port_out", "port_in"))
    result.add("channels_nm", np.stack(result.channels_nm), ("bank", "ring"), "nm")
    result.add("heater_mW", np.stack(result.heater_mW), ("bank", "ring"), "mW")
    _metric_arrays(result, result.metrics, "bank")
    reports = designs[design_key(banks[0])].passivity_reports(wl)
    sig = max(max(r["in"].sigma_max_raw, r["drop"].sigma_max_raw) for r in reports)
    result.parameters["coupler_sigma_max_raw"] = sig
    return result


# --------------------------------------------------------------------------------------------
# heater tuning curve
# --------------------------------------------------------------------------------------------


def heater_sweep(bank: BankGeometry, cfg: CircuitConfig, *, ring: int | None = None) -> SweepResult:
    """Resonance of ring ``ring`` (and crosstalk shifts of the others) vs its heater power from 0
    to ``heater_max_mW``; linear fit, R² and the slope the parameters predict."""
    n = len(bank.rings)
    ring = cfg.heater_ring if ring is None else ring
    if not 0 <= ring < n:
        raise ConfigError(f"heater_ring = {ring} is not a ring of the bank (0..{n - 1})")
    powers = np.linspace(0.0, cfg.heater_max_mW, cfg.heater_points)
    cold = analyze_rings(bank, cfg, targets_nm=cfg.channel_anchor_nm)
    r0 = np.array([m.resonance_nm for m in cold])
    slope_model = heater_slopes_nm_per_mW(bank, cfg, r0)
    span = slope_model[ring] * cfg.heater_max_mW
    fsr = estimated_fsr_nm(bank.rings[ring], float(r0[ring]))
    step = fsr / 8000
    lo, hi = r0.min() - 1.0, r0.max() + span + 1.0
    wl_nm = np.linspace(lo, hi, round((hi - lo) / step) + 1)
    res = np.full((powers.size, n), np.nan)
    drop_map = np.empty((powers.size, wl_nm.size))
    through_map = np.empty_like(drop_map)
    for p_i, p in enumerate(powers):
        heat = np.zeros(n)
        heat[ring] = p
        t, d = ring_spectra(bank, cfg, wl_nm, heat)
        through_map[p_i], drop_map[p_i] = t[ring], d[ring]
        for k in range(n):
            pk = find_resonances_nm(wl_nm, d[k])
            # follow each ring's resonance from its cold position (it only moves red)
            prev = r0[k] if p_i == 0 else res[p_i - 1, k]
            cand = pk[pk >= prev - 0.05]
            res[p_i, k] = cand.min() if cand.size else np.nan
    shift = res - res[0]
    y = shift[:, ring]
    a, b = np.polyfit(powers, y, 1)
    r2 = 1.0 - np.sum((y - (a * powers + b)) ** 2) / np.sum((y - y.mean()) ** 2)
    result = SweepResult("heater", {}, {}, {}, {"ring": ring, "bank": bank.index})
    result.add("power_mW", powers, ("power",), "mW")
    result.add("wl_nm", wl_nm, ("wl",), "nm")
    result.add("resonance_nm", res, ("power", "ring"), "nm")
    result.add("shift_nm", shift, ("power", "ring"), "nm")
    result.add("drop_map", drop_map, ("power", "wl"))
    result.add("through_map", through_map, ("power", "wl"))
    result.add("slope_fit_nm_per_mW", np.array(a), (), "nm/mW")
    result.add("slope_model_nm_per_mW", np.array(slope_model[ring]), (), "nm/mW")
    result.add("r_squared", np.array(r2), ())
    result.add(
        "crosstalk_slope_nm_per_mW",
        np.array([np.polyfit(powers, shift[:, k], 1)[0] for k in range(n)]),
        ("ring",),
        "nm/mW",
    )
    result.metrics.append(cold)
    result.heater_mW.append(np.zeros(n))
    result.channels_nm.append(r0)
    return result


# --------------------------------------------------------------------------------------------
# design sweep
# --------------------------------------------------------------------------------------------


def _single_ring(layout_cfg: LayoutConfig, radius_um: float, gap_nm: float) -> BankGeometry:
    lc = layout_cfg.model_copy(
        update={
            "rings": 1,
            "radius_um": radius_um,
            "gap_in_nm": gap_nm,
            "gap_drop_nm": gap_nm,
            "radius_offsets_um": None,
            "pitch_um": None,
        }
    )
    return design_bank(lc)


def design_sweep(layout_cfg: LayoutConfig, bank: BankGeometry, cfg: CircuitConfig) -> SweepResult:
    """Ring figures of merit at every (radius, gap) point simphony has data for at the layout's
    width × thickness (equal gaps on both buses), and the bank's channel-spacing trade-off:
    worst inter-channel drop and heater power when biased onto grids of ``design_spacings_nm``."""
    w, t = layout_cfg.wg_width_nm, layout_cfg.thickness_nm
    points = [p for p in coupler_points() if p.width_nm == w and p.thickness_nm == t]
    if not points:
        raise ConfigError(f"simphony has no half-ring data at {w:g}×{t:g} nm")
    sp = cfg.channel_spacing_nm
    rows = []
    for p in points:
        single = _single_ring(layout_cfg, p.radius_um, p.gap_nm)
        m = analyze_rings(single, cfg, targets_nm=cfg.channel_anchor_nm)[0]
        probe = np.array([m.resonance_nm - sp, m.resonance_nm, m.resonance_nm + sp])
        _, d = ring_spectra(single, cfg, probe)
        xt = 10 * math.log10(max(d[0, 0], d[0, 2]) / d[0, 1])
        rows.append((p, m, xt))
    result = SweepResult("design", {}, {}, {}, {"width_nm": w, "thickness_nm": t})
    result.add("point_radius_um", np.array([p.radius_um for p, _, _ in rows]), ("point",), "µm")
    result.add("point_gap_nm", np.array([p.gap_nm for p, _, _ in rows]), ("point",), "nm")
    for name in METRIC_FIELDS:
        result.add(f"point_{name}", np.array([getattr(m, name) for _, m, _ in rows]), ("point",))
    result.add("point_adjacent_drop_dB", np.array([x for _, _, x in rows]), ("point",), "dB")
    result.add(
        "point_max_channels",
        np.array([math.floor(m.fsr_nm / sp) for _, m, _ in rows]),
        ("point",),
    )
    # channel spacing of the layout's bank
    n = len(bank.rings)
    spacing = np.asarray(cfg.design_spacings_nm, dtype=float)
    worst, pmax, ptot, reach = [], [], [], []
    for s in spacing:
        ch = channel_grid_nm(bank, cfg, spacing_nm=s)
        bias = bias_to_channels(bank, cfg, ch)
        _, d = ring_spectra(bank, cfg, ch, bias.heater_mW)  # (N rings, N channels)
        own = np.diag(d)
        other = np.where(np.eye(n, dtype=bool), 0.0, d).max(axis=1) if n > 1 else np.zeros(1)
        worst.append(10 * math.log10(max(np.max(other / own), 1e-12)))
        pmax.append(float(np.max(bias.heater_mW)))
        ptot.append(float(np.sum(bias.heater_mW)))
        reach.append(int(np.sum(bias.reachable)))
    result.add("spacing_nm", spacing, ("spacing",), "nm")
    result.add("spacing_worst_crosstalk_dB", np.array(worst), ("spacing",), "dB")
    result.add("spacing_max_heater_mW", np.array(pmax), ("spacing",), "mW")
    result.add("spacing_total_heater_mW", np.array(ptot), ("spacing",), "mW")
    result.add("spacing_reachable_rings", np.array(reach), ("spacing",))
    result.metrics.append([m for _, m, _ in rows])
    return result


# --------------------------------------------------------------------------------------------
# fabrication corners
# --------------------------------------------------------------------------------------------


def _corner_bank(bank: BankGeometry, w: float, t: float) -> BankGeometry | None:
    rings = []
    for r in bank.rings:
        dg = r.wg_width_nm - w  # the drawn centre-to-centre spacing stays: gap grows as w shrinks
        gi, gd = r.gap_in_nm + dg, r.gap_drop_nm + dg
        if not (
            has_coupler_data(r.radius_um, gi, w, t) and has_coupler_data(r.radius_um, gd, w, t)
        ):
            return None
        rings.append(
            r.model_copy(
                update={"wg_width_nm": w, "thickness_nm": t, "gap_in_nm": gi, "gap_drop_nm": gd}
            )
        )
    return bank.model_copy(update={"rings": tuple(rings)})


def corner_sweep(
    bank: BankGeometry, cfg: CircuitConfig, *, heater: HeaterSpec = "bias"
) -> SweepResult:
    """Width 480/500/520 nm × thickness 210/220/230 nm corners of the bank where simphony has
    data (gap changed by the opposite of the width change: the drawn waveguide centre lines stay):
    cold resonance shift against the nominal design, figures of merit, and the heater powers that
    put the corner's rings back on the nominal channels."""
    n = len(bank.rings)
    nominal = bank_state(bank, cfg, heater)
    cold_nom = analyze_rings(bank, cfg, targets_nm=nominal.channels_nm)
    r_nom = np.array([m.resonance_nm for m in cold_nom])
    k = len(CORNERS)
    shift = np.full((k, n), np.nan)
    heat = np.full((k, n), np.nan)
    reach = np.zeros((k, n), dtype=bool)
    has = np.zeros(k, dtype=bool)
    gaps = np.full(k, np.nan)
    metrics: list[list[RingMetrics]] = []
    result = SweepResult("corners", {}, {}, {}, {"bank": bank.index})
    for c, (w, t) in enumerate(CORNERS):
        corner = _corner_bank(bank, w, t)
        gaps[c] = bank.rings[0].gap_in_nm + bank.rings[0].wg_width_nm - w
        if corner is None:
            result.notes.append(
                f"corner {w:g}×{t:g} nm: no simphony half-ring data at R = "
                f"{bank.rings[0].radius_um:g} µm, gap {gaps[c]:g} nm — skipped"
            )
            metrics.append([])
            continue
        has[c] = True
        cold = analyze_rings(corner, cfg, targets_nm=r_nom)
        shift[c] = np.array([m.resonance_nm for m in cold]) - r_nom
        bias = bias_to_channels(corner, cfg, nominal.channels_nm)
        heat[c], reach[c] = bias.heater_mW, bias.reachable
        metrics.append(cold)
        if not np.all(bias.reachable):
            result.notes.append(
                f"corner {w:g}×{t:g} nm: rings {np.flatnonzero(~bias.reachable).tolist()} cannot "
                f"be brought back to their channels within {cfg.heater_max_mW:g} mW"
            )
    result.add("corner_width_nm", np.array([w for w, _ in CORNERS]), ("corner",), "nm")
    result.add("corner_thickness_nm", np.array([t for _, t in CORNERS]), ("corner",), "nm")
    result.add("corner_gap_nm", gaps, ("corner",), "nm")
    result.add("has_data", has, ("corner",))
    result.add("resonance_shift_nm", shift, ("corner", "ring"), "nm")
    result.add("heater_mW", heat, ("corner", "ring"), "mW")
    result.add("reachable", reach, ("corner", "ring"))
    result.add("channels_nm", nominal.channels_nm, ("ring",), "nm")
    for name in METRIC_FIELDS:
        result.add(
            f"corner_{name}",
            np.array([[getattr(m, name) for m in ms] if ms else [np.nan] * n for ms in metrics]),
            ("corner", "ring"),
        )
    result.metrics.append(cold_nom)
    result.channels_nm.append(nominal.channels_nm)
    result.heater_mW.append(nominal.heater_mW)
    return result
