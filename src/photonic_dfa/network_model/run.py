"""Orchestration of the network-model stage: ``extract`` (layout → photonic_model.npz) and ``budget``.

This is the one place of the stage that reads and writes files and times things; the physics is in
the modules it calls. Used by the CLI (:mod:`~photonic_dfa.network_model.commands`) and by the
``photonic-dfa run`` pipeline.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa import __version__
from photonic_dfa.config import Config, config_hash
from photonic_dfa.errors import ArtifactError, ConfigError, PhotonicDFAError
from photonic_dfa.io import ensure_writable_dir, read_npz, sha256_file, to_jsonable
from photonic_dfa.network_model.artifact import PhotonicModel, ReadoutParams, save_photonic_model

__all__ = [
    "Calibrated",
    "CalibrationUnreachableError",
    "ExtractResult",
    "RowTiles",
    "check_hidden",
    "enable_compilation_cache",
    "extract",
    "readout_from_config",
    "run_budget",
    "tile_rows",
]

MODEL_FILE = "photonic_model.npz"


class CalibrationUnreachableError(PhotonicDFAError):
    """Target weights that the banks cannot realise (with ``unreachable = "error"``)."""


@dataclass
class ExtractResult:
    """What :func:`extract` produced.

    Attributes:
        model: the :class:`PhotonicModel` written.
        model_path: the npz (its ``.json`` sidecar beside it).
        plots: paths of the figures.
        report: the calibration report (also in the sidecar).
        timings_s: seconds per step.
    """

    model: PhotonicModel
    model_path: Path
    plots: list[Path] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)


def check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    """Validate hidden layer sizes (one clear line on error)."""
    hidden = tuple(int(h) for h in hidden)
    if not hidden:
        raise ConfigError("--hidden: give at least one hidden layer size, e.g. --hidden 800 800")
    bad = [h for h in hidden if h < 1]
    if bad:
        raise ConfigError(f"--hidden: layer size {bad[0]} is invalid, sizes must be >= 1")
    return hidden


def enable_compilation_cache(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Turn on JAX's persistent compilation cache (the bus circuit's compiled programs take tens of
    seconds to build; later runs load them). ``path`` default: the user cache directory, or
    ``$PHOTONIC_DFA_JAX_CACHE``; ``PHOTONIC_DFA_JAX_CACHE=off`` disables. Call it from a command,
    never at import (it sets process-wide JAX options)."""
    env = os.environ.get("PHOTONIC_DFA_JAX_CACHE")
    if env == "off":
        return None
    if path is None:
        if env:
            path = env
        else:
            import platformdirs

            path = Path(platformdirs.user_cache_dir("photonic_dfa")) / "jax"
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    import jax

    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    return Path(path)


def readout_from_config(
    cfg: Any, *, rows_per_bank: int, banks: int, weight_scale: float, transmission_sum: float
) -> ReadoutParams:
    """The :class:`ReadoutParams` of a ``[model]`` config and a calibrated design."""
    return ReadoutParams(
        encoding=cfg.encoding,
        noise_model=cfg.noise_model,
        rows_per_bank=int(rows_per_bank),
        banks=int(banks),
        adc_bits=int(cfg.adc_bits),
        adc_noise_lsb=float(cfg.adc_noise_lsb()),
        weight_scale=float(weight_scale),
        transmission_sum=float(transmission_sum),
        laser_power_mW=float(cfg.laser_power_mW),
        link_loss_dB=float(cfg.link_loss_dB),
        responsivity_A_W=float(cfg.responsivity_A_W),
        bandwidth_GHz=float(cfg.resolved_bandwidth_GHz()),
        tia_noise_pA_rtHz=float(cfg.tia_noise_pA_rtHz),
        rin_dB_Hz=float(cfg.rin_dB_Hz),
        adc_range_fraction=float(cfg.adc_range_fraction),
        paper_mean=float(cfg.paper_noise_mean),
        paper_std=float(cfg.paper_noise_std),
        modulator=cfg.modulator,
        modulator_er_dB=float(cfg.modulator_er_dB),
        predistort_points=int(cfg.modulator_predistort_points),
        laser_spread_dB=float(cfg.laser_spread_dB),
        laser_rin_spread_dB=float(cfg.laser_rin_spread_dB),
        laser_seed=int(cfg.laser_seed),
        bpd_mismatch=float(cfg.bpd_mismatch),
    ).validate(where="[model]")


def _feedback_settings(cfg: Any, readout: ReadoutParams, iterations: int) -> Any:
    """Measurement model of the calibration loop from the readout chain (units of B)."""
    import jax.numpy as jnp

    from photonic_dfa.network_model.calibration import FeedbackSettings
    from photonic_dfa.network_model.readout import adc_lsb, reading_variance_terms

    n = readout.rows_per_bank
    x = jnp.eye(n)[:, None, :]  # one-hot readings (n readings, 1 tile, n channels)
    terms = reading_variance_terms(x, jnp.full((1, 1, n), 1.0), readout)
    var = np.asarray(terms["shot"]).reshape(-1)[0] + float(terms["thermal"])
    var = var + np.asarray(terms["rin"]).reshape(-1)[0]  # RIN at |B| = 1 (upper bound)
    full_scale = 1.0 / cfg.weight_range_fraction
    var = var + (readout.adc_noise_lsb * adc_lsb(full_scale, readout.adc_bits)) ** 2
    return FeedbackSettings(
        sigma_reading=float(np.sqrt(var)),
        full_scale=full_scale,
        adc_bits=readout.adc_bits,
        averages=cfg.feedback_averages,
        iterations=iterations,
        search_nm=0.3 + 4.0 * cfg.fab_sigma_nm,
    )


def _sample_errors(rng: np.random.Generator, batch: int, n_out: int) -> np.ndarray:
    """Typical DFA output errors ``e = softmax(z) − onehot(y)`` (z ~ N(0, 2²)) for noise stats."""
    z = rng.normal(0.0, 2.0, (batch, n_out))
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(batch), rng.integers(0, n_out, batch)] -= 1.0
    return p.astype(np.float32)


@dataclass(frozen=True)
class RowTiles:
    """The rows of every ``B_k`` cut into bank-sized tiles: what calibration solves.

    Attributes:
        target: ``(R, d_R)`` target weights in units of B (zero where padded).
        mask: ``(R, d_R)`` True where a channel carries a column of B.
        bank_of: ``(R,)`` the physical bank of each row tile (rows of B_k go round the banks).
        n_tiles: tiles per row of B (``ceil(n_outputs / d_R)``).
    """

    target: np.ndarray
    mask: np.ndarray
    bank_of: np.ndarray
    n_tiles: int


def tile_rows(B_ideal: Sequence[np.ndarray], d_r: int, d_c: int) -> RowTiles:
    """Tile the rows of each ``B_k`` ``(n_k, n_outputs)`` over ``d_c`` banks of ``d_r`` rings, with
    the one tiling of the readout (:func:`~photonic_dfa.network_model.readout.tiles`)."""
    from photonic_dfa.network_model.readout import tiles

    target = np.concatenate([tiles(B.astype(np.float64), d_r).reshape(-1, d_r) for B in B_ideal])
    mask = np.concatenate([tiles(np.ones(B.shape, bool), d_r).reshape(-1, d_r) for B in B_ideal])
    n_tiles = -(-B_ideal[0].shape[1] // d_r)
    bank_of = np.concatenate([np.repeat(np.arange(B.shape[0]) % d_c, n_tiles) for B in B_ideal])
    return RowTiles(target, mask, bank_of, n_tiles)


@dataclass
class Calibrated:
    """The calibration of every row tile, reassembled from the per-design groups.

    Attributes:
        heater_mW, weights: ``(R, d_R)`` solved heater powers and realised optical weights.
        rms_B, worst_B, bits: ``(R,)`` residual RMS and worst error (units of B), precision.
        unreachable: ``(row tile, ring, target_B, realised_B, reason)`` of each unreached target.
        summaries: one calibration summary per design group.
        offsets_estimated_nm: ``(d_C, d_R)`` the controller's offset estimates (NaN in mode model).
        transmission_sum: mean ``T + D`` of the calibrated channels (readout normalisation).
        crosstalk_fitted: ``(d_C, N, N)`` the controller's fitted thermal crosstalk (mode
            ``fitted``; None otherwise).
    """

    heater_mW: np.ndarray
    weights: np.ndarray
    rms_B: np.ndarray
    worst_B: np.ndarray
    bits: np.ndarray
    unreachable: list[tuple[int, int, float, float, str]]
    summaries: list[dict[str, Any]]
    offsets_estimated_nm: np.ndarray
    transmission_sum: float
    crosstalk_fitted: np.ndarray | None = None


def extract(
    source: str | os.PathLike[str] | Any,
    hidden: Sequence[int],
    *,
    config: Config | None = None,
    config_path: str | os.PathLike[str] | None = None,
    outdir: str | os.PathLike[str] | None = None,
    n_outputs: int = 10,
    spectra: str | os.PathLike[str] | None = None,
    plots: bool = True,
    progress: Callable[[str], None] | None = None,
    layout: str | os.PathLike[str] | None = None,
) -> ExtractResult:
    """Extract the photonic model of a network from the circuit stage's bank circuits.

    Args:
        source: ``bank_circuits.npz`` (or a :class:`~photonic_dfa.circuits.BankCircuits`); for
            convenience a ``layout.json`` (or :class:`~photonic_dfa.layout.LayoutDescription`),
            whose bank circuits are made first with the config's ``[circuit]`` section (this needs
            simphony; the npz does not).
        hidden: hidden layer sizes ``n_k``.
        config: the configuration (default: defaults, or ``config_path``); its ``[model]`` section
            is used, and its ``[circuit]`` section only to make bank circuits from a layout.
        config_path: a TOML config file (recorded in the provenance).
        outdir: where ``photonic_model.npz``, its ``.json`` and plots go (None: nothing written).
        n_outputs: network outputs (columns of B_k).
        spectra: optional ``spectra.npz`` of the circuit stage (checked readable, hashed for the
            provenance).
        plots: write the figures.
        progress: called with a short message at each step.
        layout: the ``layout.json`` the bank circuits were made from (read only with
            ``[model] fab_model = "layout"``, for the rings' positions; default: the one named in
            the bank circuits' provenance).

    Raises:
        ConfigError, ArtifactError, CalibrationUnreachableError: one line each.
    """
    import jax

    from photonic_dfa.config import load_config

    hidden = check_hidden(hidden)
    if int(n_outputs) < 1:
        raise ConfigError(f"n_outputs = {n_outputs}: must be >= 1")
    cfg = config if config is not None else load_config(config_path)
    if outdir is not None:
        ensure_writable_dir(outdir)
    bank_circuits, inputs = _bank_circuits(source, cfg, spectra)
    fab = _layout_fabrication(cfg, bank_circuits, source, layout)
    if fab is not None:  # fab_sigma_nm (blue margin, search range) from the layout model
        cfg = cfg.model_copy(
            update={"model": cfg.model.model_copy(update={"fab_sigma_nm": fab[1]})}
        )
    with jax.enable_x64(True):  # the bus circuits are evaluated in double precision
        return _extract(
            bank_circuits,
            inputs,
            hidden,
            int(n_outputs),
            cfg,
            config_path,
            outdir,
            plots,
            progress or (lambda _msg: None),
            None if fab is None else fab[0],
        )


def _layout_fabrication(cfg: Config, bc: Any, source: Any, layout: Any) -> tuple[Any, float] | None:
    """With ``fab_model = "layout"``: the LayoutDescription and the equivalent resonance σ (nm)."""
    from photonic_dfa.layout.schema import LayoutDescription, load_layout
    from photonic_dfa.network_model.fabrication import equivalent_sigma_nm, sensitivities

    if cfg.model.fab_model != "layout":
        return None
    if isinstance(source, LayoutDescription):
        desc = source
    else:
        path = layout or bc.provenance.get("layout_file")
        if not path or not os.path.isfile(path):
            raise ConfigError(
                f"[model] fab_model = 'layout' needs the layout.json of the bank circuits (the "
                f"provenance names {path!r}, which does not exist); give it with layout="
            )
        desc = load_layout(path)
    ring = desc.banks[0].rings[0]
    s_w, s_t = sensitivities(ring.wg_width_nm, ring.thickness_nm)
    return desc, equivalent_sigma_nm(cfg.model, s_w, s_t)


def _bank_circuits(source: Any, cfg: Config, spectra: Any) -> tuple[Any, dict[str, Any]]:
    """The bank circuits to extract from, and the input files' provenance."""
    from photonic_dfa.circuits.artifact import BankCircuits, load_bank_circuits

    inputs: dict[str, Any] = {"spectra_file": None, "spectra_sha256": None}
    if spectra is not None:
        read_npz(Path(spectra), "spectra file")  # readable, or a one-line error
        inputs.update(spectra_file=str(spectra), spectra_sha256=sha256_file(spectra))
    if isinstance(source, BankCircuits):
        bc = source
    elif isinstance(source, (str, os.PathLike)) and Path(source).suffix == ".npz":
        bc = load_bank_circuits(source)
    else:
        bc = _from_layout(source, cfg)
    path = bc.path
    inputs.update(
        bank_circuits_file=str(path) if path else None,
        bank_circuits_sha256=sha256_file(path) if path else None,
        layout_file=bc.provenance.get("layout_file"),
        layout_sha256=bc.provenance.get("layout_sha256"),
    )
    return bc, inputs


def _from_layout(layout: Any, cfg: Config) -> Any:
    """Make the bank circuits of a ``layout.json`` path or a LayoutDescription."""
    from photonic_dfa.circuits.artifact import make_bank_circuits
    from photonic_dfa.layout.schema import LayoutDescription, load_layout

    if isinstance(layout, LayoutDescription):
        return make_bank_circuits(layout, cfg.circuit)
    return make_bank_circuits(load_layout(layout), cfg.circuit, layout_path=layout)


def _extract(
    bc: Any,
    inputs: dict[str, Any],
    hidden: tuple[int, ...],
    n_outputs: int,
    cfg: Config,
    config_path: Any,
    outdir: Any,
    plots: bool,
    say: Callable[[str], None],
    layout: Any = None,
) -> ExtractResult:
    """The steps of :func:`extract`, timed (see its docstring); ``layout``: the
    LayoutDescription of the layout fabrication model (None: independent offsets)."""
    from photonic_dfa.network_model.drivers import driver_from_config
    from photonic_dfa.network_model.fabrication import draw_offsets, layout_offsets

    mcfg, ccfg = cfg.model, bc.circuit_config
    times: dict[str, float] = {}
    t_all = time.perf_counter()
    d_r = bc.n_rings
    d_c = int(mcfg.banks) if mcfg.banks is not None else len(bc.bank_design)
    groups = _design_groups(bc, d_c)
    plan = _timed(
        times, "channel_plan", say, "channel plan", _channel_plan, bc.design(0), ccfg, mcfg
    )
    evaluators = _timed(
        times, "circuits", say, "bus circuits", _evaluators, bc, groups, plan, ccfg.heater_max_mW
    )
    if layout is not None:
        offsets, fab_info = layout_offsets(layout, d_c, mcfg)
    else:
        offsets = draw_offsets(d_c, d_r, mcfg.fab_sigma_nm, mcfg.fab_seed)
        fab_info = {"model": "independent", "sigma_nm": mcfg.fab_sigma_nm}
    cannot = _check_reachable(plan, ccfg.heater_max_mW, mcfg.unreachable, d_r)
    first = evaluators[bc.bank_design[0]]
    scale, w_range = _timed(
        times, "weight_range", say, "weight range", _weight_scale, first, plan, cannot, mcfg, d_r
    )
    rng = np.random.default_rng(mcfg.seed)
    B_ideal = tuple(rng.uniform(-1.0, 1.0, (n, n_outputs)).astype(np.float32) for n in hidden)
    rows = tile_rows(B_ideal, d_r, d_c)
    readout = readout_from_config(
        mcfg, rows_per_bank=d_r, banks=d_c, weight_scale=scale, transmission_sum=1.0
    )
    fb = _feedback_settings(mcfg, readout, mcfg.feedback_iterations)
    say(f"calibration ({mcfg.calibration}) of {rows.target.shape[0]} rows on {d_c} banks")
    t = time.perf_counter()
    driver = driver_from_config(mcfg, ccfg.heater_max_mW, ccfg.thermal_impedance_K_per_mW)
    cal = _calibrate_groups(
        evaluators, groups, rows, offsets, scale, mcfg, fb, driver, plan.spacing_nm
    )
    times["calibration"] = time.perf_counter() - t
    _check_unreachable(cal, mcfg.unreachable)
    readout = dataclasses.replace(readout, transmission_sum=cal.transmission_sum).validate()
    B_real, heaters = _reassemble(B_ideal, cal, rows, scale, d_r)
    say("noise and energy")
    t = time.perf_counter()
    noise = _noise_report(readout, B_real[0], n_outputs, mcfg.seed)
    heater = float(np.mean(cal.heater_mW[rows.mask]))
    energy = _energy(hidden, n_outputs, d_r, d_c, mcfg, heater, _SOLVED_HEATER)
    times["noise_energy"] = time.perf_counter() - t
    report = _report(cfg, bc, plan, scale, w_range, rows, cal, offsets, d_c, noise, energy)
    drift = _timed(
        times, "drift", say, "drift", _drift, evaluators, groups, rows, cal, offsets, scale, mcfg
    )
    report["drift"] = drift.report
    ctx = {
        "B_ideal": B_ideal,
        "B_real": B_real,
        "readout": readout,
        "offsets": offsets,
        "scale": scale,
        "evaluators": evaluators,
        "groups": groups,
        "mcfg": mcfg,
    }
    report["error_budget"] = _timed(
        times, "error_budget", say, "error budget", _error_budget, ctx, cal, rows, drift, driver
    )
    report["fabrication"] = fab_info
    report["heater_driver"] = _driver_report(driver, evaluators[bc.bank_design[0]])
    model = PhotonicModel(
        hidden=hidden,
        n_outputs=n_outputs,
        B_ideal=B_ideal,
        B_realised=tuple(B_real),
        readout=readout,
        provenance=_provenance(inputs, cfg, config_path),
        calibration=to_jsonable(report),
        heater_mW=heaters,
        channel_wl_um=plan.channel_wl_um,
        shift_nm=offsets,
        drift=drift.params.to_dict() if drift.params.active else {},
        drift_jac=_per_layer(drift.jac_B, B_ideal, rows.n_tiles) if drift.params.active else (),
        tile_bank=_per_layer(rows.bank_of, B_ideal, rows.n_tiles) if drift.params.active else (),
    )
    result = ExtractResult(model=model, model_path=Path(), report=report, timings_s=times)
    if outdir is not None:
        _write(result, Path(outdir), plots, say)
    times["total"] = time.perf_counter() - t_all
    return result


def _child_seed(seed: int) -> np.random.SeedSequence:
    """An independent stream beside ``default_rng(seed)``: the first child of ``SeedSequence(seed)``
    (the controller's readout noise beside the fabrication offsets drawn from ``fab_seed``; the
    noise samples of the report beside the matrices B drawn from ``seed``)."""
    return np.random.SeedSequence(seed).spawn(1)[0]


def _timed(times: dict[str, float], key: str, say: Callable, msg: str, fn: Callable, *args: Any):
    say(msg)
    t = time.perf_counter()
    out = fn(*args)
    times[key] = time.perf_counter() - t
    return out


def _design_groups(bc: Any, d_c: int) -> dict[int, list[int]]:
    """Physical banks ``0..d_c−1`` (layout banks repeated cyclically) grouped by their design."""
    groups: dict[int, list[int]] = {}
    for b in range(d_c):
        groups.setdefault(bc.bank_design[b % len(bc.bank_design)], []).append(b)
    return groups


def _channel_plan(design: Any, ccfg: Any, mcfg: Any) -> Any:
    """The channel plan of a bank design with the ``[model]`` section's spacing and margin."""
    from photonic_dfa.network_model.channel_plan import plan_channels

    return plan_channels(
        design,
        ccfg,
        spacing_nm=mcfg.channel_spacing_nm,
        margin_nm=mcfg.resolved_blue_margin_nm(),
        anchor_nm=ccfg.channel_anchor_nm,
        center_nm=mcfg.center_wl_nm,
    )


def _evaluators(bc: Any, groups: dict[int, list[int]], plan: Any, p_max: float) -> dict:
    """One weight evaluator per design (its circuits on the channel wavelengths)."""
    from photonic_dfa.network_model.weights import Evaluator, WeightModel

    return {
        d: Evaluator(WeightModel.build(bc.designs[d], plan.channel_wl_um, p_max)) for d in groups
    }


def _check_reachable(plan: Any, p_max: float, policy: str, d_r: int) -> np.ndarray:
    """Rings whose heater cannot bring them onto their channel (an error if policy or count say)."""
    cannot = np.nonzero(plan.heater_to_channel_mW > p_max)[0]
    if cannot.size and (policy == "error" or cannot.size == d_r):
        raise CalibrationUnreachableError(
            f"ring(s) {cannot.tolist()} cannot be tuned onto their channels, so their weights "
            f"cannot be realised: they need up to {plan.heater_to_channel_mW.max():.2f} mW, "
            f"[circuit] heater_max_mW = {p_max:g} (raise it or lower [model] blue_margin_nm)"
        )
    return cannot


def _weight_scale(
    first: Any, plan: Any, cannot: np.ndarray, mcfg: Any, d_r: int
) -> tuple[float, np.ndarray]:
    """Optical weight per unit of B: a fraction of the range every tunable ring reaches in both
    signs; and the ``(N, 2)`` weight range of each ring."""
    from photonic_dfa.network_model.calibration import bank_weight_range

    w_range = bank_weight_range(first, np.zeros((1, d_r)), plan.spacing_nm)[0]
    ok = np.setdiff1d(np.arange(d_r), cannot)
    scale = float(mcfg.weight_range_fraction * min(w_range[ok, 1].min(), -w_range[ok, 0].max()))
    if not scale > 0:
        raise CalibrationUnreachableError(
            f"the rings cannot realise both signs of weight at their channels (weight range "
            f"[{w_range[:, 0].max():.3f}, {w_range[:, 1].min():.3f}]): check the channel plan"
        )
    return scale, w_range


def _calibrate_groups(
    evaluators: dict,
    groups: dict[int, list[int]],
    rows: RowTiles,
    offsets: np.ndarray,
    scale: float,
    mcfg: Any,
    fb: Any,
    driver: Any = None,
    spacing_nm: float | None = None,
) -> Calibrated:
    """Calibrate the row tiles of each design group and put the results back in row order."""
    from photonic_dfa.network_model.calibration import calibrate

    r, d_r = rows.target.shape
    cal = Calibrated(
        np.zeros((r, d_r)),
        np.zeros((r, d_r)),
        np.zeros(r),
        np.zeros(r),
        np.zeros(r),
        [],
        [],
        np.full_like(offsets, np.nan),
        0.0,
    )
    tsum = []
    for d, idx in groups.items():
        local = {b: i for i, b in enumerate(idx)}
        sel = np.nonzero(np.isin(rows.bank_of, idx))[0]
        which = np.array([local[b] for b in rows.bank_of[sel]])
        res = calibrate(
            evaluators[d],
            rows.target[sel],
            rows.mask[sel],
            which,
            offsets[idx],
            scale=scale,
            mode=mcfg.calibration,
            iterations=mcfg.iterations,
            damping=mcfg.damping,
            feedback=fb,
            seed=_child_seed(mcfg.fab_seed),
            driver=driver,
            spacing_nm=spacing_nm,
        )
        cal.heater_mW[sel], cal.weights[sel] = res.heater_mW, res.weights
        cal.rms_B[sel], cal.worst_B[sel], cal.bits[sel] = res.rms_B, res.worst_B, res.bits
        cal.unreachable += [(int(sel[p]), q, tb, rb, why) for p, q, tb, rb, why in res.unreachable]
        cal.summaries.append(res.summary(mcfg.resolved_yield_min_bits()))
        if res.offsets_estimated_nm is not None:
            cal.offsets_estimated_nm[idx] = res.offsets_estimated_nm
        if res.crosstalk_fitted is not None:
            if cal.crosstalk_fitted is None:
                cal.crosstalk_fitted = np.zeros((offsets.shape[0], d_r, d_r))
            cal.crosstalk_fitted[idx] = res.crosstalk_fitted
        T, D = evaluators[d].transmissions(res.heater_mW, offsets[idx][which])
        tsum.append((T + D)[res.mask])
    cal.transmission_sum = float(np.mean(np.concatenate(tsum)))
    return cal


def _driver_report(driver: Any, evaluate: Any) -> dict[str, Any]:
    """The heater DACs: resolution, full scale, power and resonance step of one LSB at full scale,
    settling time per re-tuning."""
    p_fs = driver.max_power_mW
    step_mW = p_fs - float(driver.code_power_mW(driver.codes - 2))
    slope = float(np.max(evaluate.model.own_slope_nm_per_mW()))
    return {
        "bits": driver.bits,
        "full_scale_V": driver.full_scale_V,
        "resistance_ohm": driver.resistance_ohm,
        "tcr_per_K": driver.tcr_per_K,
        "max_power_mW": p_fs,
        "lsb_mW_at_full_scale": step_mW,
        "lsb_pm_at_full_scale": 1e3 * slope * step_mW,
        "tau_us": driver.tau_us,
        "settle_us": 1e6 * driver.settle_s(),
    }


def _check_unreachable(cal: Calibrated, policy: str) -> None:
    if cal.unreachable and policy == "error":
        p, r, tb, rb, why = cal.unreachable[0]
        raise CalibrationUnreachableError(
            f"{len(cal.unreachable)} ring target(s) cannot be realised, e.g. row tile {p} ring {r}: "
            f"target {tb:+.3f}, reached {rb:+.3f} ({why}); lower [model] weight_range_fraction, "
            "raise [circuit] heater_max_mW or set [model] unreachable = 'report'"
        )


def _reassemble(
    B_ideal: Sequence[np.ndarray], cal: Calibrated, rows: RowTiles, scale: float, d_r: int
) -> tuple[list[np.ndarray], tuple[np.ndarray, ...]]:
    """Realised matrices ``B̃_k`` (units of B) and heater powers ``(n_k, T, d_R)`` per layer."""
    B_real, heaters = [], []
    start = 0
    for B in B_ideal:
        n = B.shape[0] * rows.n_tiles
        wB = (cal.weights[start : start + n] / scale).reshape(B.shape[0], rows.n_tiles * d_r)
        B_real.append(wB[:, : B.shape[1]].astype(np.float32))
        h = cal.heater_mW[start : start + n].reshape(B.shape[0], rows.n_tiles, d_r)
        heaters.append(h.astype(np.float64))
        start += n
    return B_real, tuple(heaters)


def _per_layer(a: np.ndarray, B_ideal: Sequence[np.ndarray], n_tiles: int) -> tuple:
    """Per-row-tile array ``(R, …)`` cut into the layers, ``(n_k, T, …)`` each."""
    out, start = [], 0
    for B in B_ideal:
        n = B.shape[0] * n_tiles
        out.append(a[start : start + n].reshape(B.shape[0], n_tiles, *a.shape[1:]))
        start += n
    return tuple(out)


@dataclass
class DriftResult:
    """The drift model of the calibrated chip.

    Attributes:
        params: the temperature processes and recalibration policy.
        jac_B: ``(R, d_R, d_R)`` ``∂B̃/∂T`` of each row tile (units of B per K; channel, ring).
        report: JSON-ready statistics and the error-vs-time series of the report and figure.
        dT_samples: ``{"recal", "no_recal"}``: ``(S, d_C, d_R)`` ring temperatures relative to
            the last (re)calibration at ``S`` evenly spaced times of each series (error budget).
    """

    params: Any
    jac_B: np.ndarray
    report: dict[str, Any]
    dT_samples: dict[str, np.ndarray] = field(default_factory=dict)


def _drift(
    evaluators: dict,
    groups: dict[int, list[int]],
    rows: RowTiles,
    cal: Calibrated,
    offsets: np.ndarray,
    scale: float,
    mcfg: Any,
) -> DriftResult:
    """Jacobians of B̃ in the ring temperatures, and the drift report over ``drift_duration_s``."""
    from photonic_dfa.network_model.drift import DriftParams, drift_jacobian, shift_per_K_nm

    d_c, d_r = offsets.shape
    params = DriftParams(
        ambient_K=mcfg.drift_ambient_K,
        ambient_tau_s=mcfg.drift_ambient_tau_s,
        local_K=mcfg.drift_local_K,
        local_tau_s=mcfg.drift_local_tau_s,
        batch_s=mcfg.drift_batch_s,
        seed=mcfg.drift_seed,
        recal_every_batches=mcfg.recal_every_batches,
        recal_threshold_B=mcfg.recal_threshold_B,
        recal_time_s=_recal_time_s(rows, d_c, d_r, mcfg),
    )
    jac = np.zeros((rows.target.shape[0], d_r, d_r))
    nm_per_K = np.zeros((d_c, d_r))
    if not params.active:
        return DriftResult(params, jac, {"active": False})
    for d, idx in groups.items():
        local = {b: i for i, b in enumerate(idx)}
        sel = np.nonzero(np.isin(rows.bank_of, idx))[0]
        which = np.array([local[b] for b in rows.bank_of[sel]])
        k = shift_per_K_nm(evaluators[d].model.circuit)
        nm_per_K[idx] = k
        jac[sel] = drift_jacobian(evaluators[d], cal.heater_mW[sel], offsets[idx][which], k)
    jac_B = jac / scale * rows.mask[:, :, None]
    report, samples = _drift_report(
        params,
        jac_B,
        rows,
        cal,
        offsets,
        nm_per_K,
        evaluators,
        groups,
        scale,
        mcfg.drift_duration_s,
    )
    return DriftResult(params, jac_B, report, samples)


def _recal_time_s(rows: RowTiles, d_c: int, d_r: int, mcfg: Any) -> float:
    """Time of one recalibration of the array (banks in parallel, their row tiles in turn)."""
    from photonic_dfa.network_model.drift import recalibration_time_s
    from photonic_dfa.network_model.drivers import settle_time_s

    per_bank = int(np.max(np.bincount(rows.bank_of, minlength=d_c)))
    return recalibration_time_s(
        per_bank,
        d_r,
        mcfg.feedback_iterations,
        mcfg.feedback_averages,
        settle_time_s(mcfg.heater_dac_bits, mcfg.heater_tau_us),  # the heater driver's settling
        mcfg.adc_gsps,
    )


#: points of the error-vs-time series kept in the report (the figure's resolution)
_DRIFT_SERIES_POINTS = 600
#: longest temperature trace the report simulates (steps); longer spans are sampled coarser
_DRIFT_MAX_STEPS = 200_000
#: temperature samples of each drift series kept for the error budget
_DRIFT_BUDGET_SAMPLES = 64


def _drift_report(
    params: Any,
    jac_B: np.ndarray,
    rows: RowTiles,
    cal: Calibrated,
    offsets: np.ndarray,
    nm_per_K: np.ndarray,
    evaluators: dict,
    groups: dict[int, list[int]],
    scale: float,
    duration_s: float,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Error vs time with and without recalibration over ``drift_duration_s``, the time the
    recalibrations cost, and the linearisation error against the full circuit; and temperature
    samples of both series (midpoints of :data:`_DRIFT_BUDGET_SAMPLES` equal spans)."""
    from photonic_dfa.network_model.drift import (
        drift_gram,
        recalibration_schedule,
        temperature_trace,
    )

    d_c, d_r = offsets.shape
    n_steps = max(2, round(duration_s / params.batch_s))
    stride = max(1, -(-n_steps // _DRIFT_MAX_STEPS))
    sim = dataclasses.replace(params, batch_s=params.batch_s * stride)
    temps, _ = temperature_trace(sim, -(-n_steps // stride), d_c, d_r)
    gram = drift_gram(jac_B, rows.bank_of, d_c)
    free = recalibration_schedule(temps, gram, None, None)
    every = params.recal_every_batches
    every = None if every is None else max(1, every // stride)
    recal = recalibration_schedule(temps, gram, every, params.recal_threshold_B)
    worst = int(np.argmax(free.error_B))
    lin_err = _linearisation_error(
        evaluators, groups, rows, cal, offsets, nm_per_K, free.dT[worst], jac_B, scale
    )
    t_s = np.arange(temps.shape[0]) * sim.batch_s
    pick = np.unique(np.linspace(0, temps.shape[0] - 1, _DRIFT_SERIES_POINTS).astype(int))
    cal_rms = float(np.median(cal.rms_B))
    n_recal = int(recal.recal_steps.size)
    at = ((np.arange(_DRIFT_BUDGET_SAMPLES) + 0.5) * temps.shape[0] / _DRIFT_BUDGET_SAMPLES).astype(
        int
    )
    samples = {"recal": recal.dT[at], "no_recal": free.dT[at]}
    return {
        "active": True,
        "params": params.to_dict(),
        "duration_s": float(t_s[-1] + sim.batch_s),
        "simulated_step_s": sim.batch_s,
        "nm_per_K": nm_per_K[0].tolist(),
        "error_B_per_K_uniform": float(np.sqrt(max(np.sum(gram), 0.0))),
        "calibration_rms_B_median": cal_rms,
        "no_recal": {
            "error_B_rms": float(np.sqrt(np.mean(free.error_B**2))),
            "error_B_mean": float(free.error_B.mean()),
            "error_B_max": float(free.error_B.max()),
        },
        "recal": {
            "error_B_rms": float(np.sqrt(np.mean(recal.error_B**2))),
            "error_B_mean": float(recal.error_B.mean()),
            "error_B_max": float(recal.error_B.max()),
            "count": n_recal,
            "time_s": n_recal * params.recal_time_s,
            "time_fraction": n_recal * params.recal_time_s / float(t_s[-1] + sim.batch_s),
            "time_per_recal_s": params.recal_time_s,
        },
        "linearisation": lin_err,
        "series": {
            "t_s": t_s[pick].round(4).tolist(),
            "error_B_no_recal": free.error_B[pick].tolist(),
            "error_B_recal": recal.error_B[pick].tolist(),
        },
    }, samples


def _linearisation_error(
    evaluators: dict,
    groups: dict[int, list[int]],
    rows: RowTiles,
    cal: Calibrated,
    offsets: np.ndarray,
    nm_per_K: np.ndarray,
    dT: np.ndarray,
    jac_B: np.ndarray,
    scale: float,
) -> dict[str, float]:
    """RMS (units of B) of the exact change of B̃ at ring temperatures ``dT`` ``(d_C, d_R)``
    through the full circuit, and of its difference from the linear model ``J ΔT``."""
    exact = np.zeros_like(cal.weights)
    for d, idx in groups.items():
        local = {b: i for i, b in enumerate(idx)}
        sel = np.nonzero(np.isin(rows.bank_of, idx))[0]
        which = np.array([local[b] for b in rows.bank_of[sel]])
        shift = (offsets[idx] + nm_per_K[idx] * dT[idx])[which]
        exact[sel] = evaluators[d].weights(cal.heater_mW[sel], shift)
    change = (exact - cal.weights) / scale * rows.mask
    linear = np.einsum("rci,ri->rc", jac_B, dT[rows.bank_of])
    n = max(int(rows.mask.sum()), 1)
    return {
        "max_abs_dT_K": float(np.abs(dT).max()),
        "exact_change_rms_B": float(np.sqrt(np.sum(change**2) / n)),
        "linear_minus_exact_rms_B": float(np.sqrt(np.sum((linear - change) ** 2) / n)),
    }


#: where the heater power of the energy budget comes from, in ``extract``
_SOLVED_HEATER = "mean solved heater power of this calibration"


def _energy(
    hidden: Sequence[int],
    n_out: int,
    d_r: int,
    d_c: int,
    mcfg: Any,
    heater: float,
    source: str,
    adc_gsps: float | None = None,
) -> Any:
    """The power budget with the ``[model]`` section's devices (``adc_gsps`` overrides its rate)."""
    from photonic_dfa.network_model.drivers import settle_time_s
    from photonic_dfa.network_model.energy import budget

    return budget(
        hidden,
        n_out,
        d_r,
        d_c,
        adc_gsps=mcfg.adc_gsps if adc_gsps is None else adc_gsps,
        adc_power_mW=mcfg.adc_power_mW,
        laser_power_mW=mcfg.laser_power_mW,
        wall_plug_efficiency=mcfg.wall_plug_efficiency,
        modulator_pJ_per_symbol=mcfg.modulator_pJ_per_symbol,
        tia_power_mW=mcfg.tia_power_mW,
        heater_mW_per_ring=heater,
        heater_source=source,
        settle_s=settle_time_s(mcfg.heater_dac_bits, mcfg.heater_tau_us),
        errors_per_setting=mcfg.errors_per_setting,
    )


def _per_bank(
    rows: RowTiles, cal: Calibrated, ok: np.ndarray, offsets: np.ndarray, bc: Any, d_c: int
) -> list[dict[str, Any]]:
    out = []
    for b in range(d_c):
        s = rows.bank_of == b
        est = cal.offsets_estimated_nm[b]
        out.append(
            {
                "bank": b,
                "layout_bank": b % len(bc.bank_design),
                "rows": int(s.sum()),
                "rms_B_median": float(np.median(cal.rms_B[s])) if s.any() else None,
                "bits_min": float(np.min(cal.bits[s])) if s.any() else None,
                "bits_median": float(np.median(cal.bits[s])) if s.any() else None,
                "yield_rows": float(np.mean(ok[s])) if s.any() else None,
                "worst_B": float(np.max(cal.worst_B[s])) if s.any() else None,
                "within_tolerance": bool(np.all(ok[s])) if s.any() else None,
                "offsets_nm": offsets[b].round(4).tolist(),
                "offsets_estimated_nm": None if np.isnan(est).all() else est.round(4).tolist(),
            }
        )
    return out


def _report(
    cfg: Config,
    bc: Any,
    plan: Any,
    scale: float,
    w_range: np.ndarray,
    rows: RowTiles,
    cal: Calibrated,
    offsets: np.ndarray,
    d_c: int,
    noise: dict,
    energy: Any,
) -> dict[str, Any]:
    """The calibration report (written into ``photonic_model.json``)."""
    mcfg, ccfg = cfg.model, bc.circuit_config
    ymin = mcfg.resolved_yield_min_bits()
    ok = cal.bits >= ymin
    for p, *_ in cal.unreachable:
        ok[p] = False
    per_bank = _per_bank(rows, cal, ok, offsets, bc, d_c)
    heater, bits = cal.heater_mW, cal.bits
    return {
        "mode": mcfg.calibration,
        "fab_sigma_nm": mcfg.fab_sigma_nm,
        "fab_seed": mcfg.fab_seed,
        "thermal_crosstalk_length_um": ccfg.crosstalk_length_um,
        "heater_max_mW": ccfg.heater_max_mW,
        "weight_scale": scale,
        "weight_range": {"min": w_range[:, 0].tolist(), "max": w_range[:, 1].tolist()},
        "channel_plan": plan.to_dict(),
        "rows": int(rows.target.shape[0]),
        "rms_B_median": float(np.median(cal.rms_B)),
        "rms_B_max": float(np.max(cal.rms_B)),
        "worst_B_max": float(np.max(cal.worst_B)),
        "bits_median": float(np.median(bits)),
        "bits_min": float(np.min(bits)),
        "bits_p05": float(np.percentile(bits, 5)),
        "yield_min_bits": ymin,
        "yield_rows": float(np.mean(ok)),
        "yield_banks": float(np.mean([pb["within_tolerance"] for pb in per_bank if pb["rows"]])),
        "unreachable_count": len(cal.unreachable),
        "unreachable": [
            {"row_tile": p, "ring": r, "target_B": tb, "realised_B": rb, "reason": why}
            for p, r, tb, rb, why in cal.unreachable[:100]
        ],
        "heater_mW_mean": float(np.mean(heater[rows.mask])),
        "heater_mW_max": float(np.max(heater)),
        "groups": cal.summaries,
        "per_bank": per_bank,
        "noise": noise,
        "energy": energy.to_dict(),
    }


def _provenance(inputs: dict[str, Any], cfg: Config, config_path: Any) -> dict[str, Any]:
    return {
        "package": "photonic_dfa",
        "version": __version__,
        **inputs,
        "config_file": str(config_path) if config_path is not None else None,
        "config_sha256": sha256_file(config_path) if config_path is not None else None,
        "model_config_hash": config_hash(cfg.model),
        "circuit_config_hash": config_hash(cfg.circuit),
        "model_config": cfg.model.model_dump(mode="json"),
        "created_unix": time.time(),
    }


def _write(result: ExtractResult, out: Path, plots: bool, say: Callable[[str], None]) -> None:
    """Write ``photonic_model.npz`` (+ ``.json``) and the figures into ``out``."""
    say("writing")
    t = time.perf_counter()
    result.report["timings_s"] = {k: round(v, 3) for k, v in result.timings_s.items()}
    result.model = dataclasses.replace(result.model, calibration=to_jsonable(result.report))
    result.model_path = save_photonic_model(result.model, out / MODEL_FILE)
    if plots:
        from photonic_dfa.network_model.plots import write_plots

        result.plots = write_plots(result.model, out)
    result.timings_s["write"] = time.perf_counter() - t


def _noise_report(readout: ReadoutParams, B: np.ndarray, n_out: int, seed: int) -> dict[str, Any]:
    """Per-MAC error of the readout (paper units), effective bits, per-source breakdown; and the
    paper's Gaussian model for comparison."""
    import jax
    import jax.numpy as jnp

    from photonic_dfa.network_model.readout import mac_error_stats, noise_breakdown

    e = jnp.asarray(_sample_errors(np.random.default_rng(_child_seed(seed)), 4096, n_out))
    key = jax.random.key(seed)
    Bj = jnp.asarray(B[: min(512, B.shape[0])])
    paper = dataclasses.replace(readout, noise_model="paper_gaussian")
    physical = dataclasses.replace(readout, noise_model="physical")
    out = {
        "samples": "e = softmax(z) - onehot(y), z ~ N(0, 2^2), 4096 samples",
        "channel_power_mW": float(readout.channel_power_mW),
        "physical": mac_error_stats(key, e, Bj, physical),
        "breakdown": noise_breakdown(e, Bj, physical),
        "paper_gaussian": mac_error_stats(key, e, Bj, paper),
        "two_pass": mac_error_stats(key, e, Bj, dataclasses.replace(physical, encoding="two_pass")),
        "encoding_hardware": _encoding_errors(e, Bj, physical),
    }
    return {
        k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in out.items()
    }


#: rows of B (evenly spaced over all layers) and error samples of the error budget
_BUDGET_ROWS, _BUDGET_SAMPLES = 1024, 4096


def _error_budget(
    ctx: dict[str, Any], cal: Calibrated, rows: RowTiles, drift: DriftResult, driver: Any
) -> dict[str, Any]:
    """The per-MAC error budget of the realised chip (:mod:`~photonic_dfa.network_model.error_budget`).

    ``ctx``: ``B_ideal``, ``B_real`` (per layer), ``readout``, ``offsets``, ``scale``,
    ``evaluators``, ``groups``, ``mcfg``."""
    import jax

    from photonic_dfa.network_model import error_budget as eb

    B_ideal, mcfg = ctx["B_ideal"], ctx["mcfg"]
    n_out, sizes = B_ideal[0].shape[1], [b.shape[0] for b in B_ideal]
    ideal = np.concatenate(B_ideal)
    pick = np.unique(np.linspace(0, ideal.shape[0] - 1, _BUDGET_ROWS).astype(int))

    def to_rows(a_B: np.ndarray) -> np.ndarray:  # row tiles (R, d_R) → the budget's rows of B
        return eb.rows_to_matrix(a_B * rows.mask, sizes, rows.n_tiles, n_out)[pick]

    grp = (ctx["evaluators"], ctx["groups"], rows.bank_of, cal.heater_mW, ctx["offsets"])
    rng = np.random.default_rng(_child_seed(mcfg.seed + 1))
    xt = cal.crosstalk_fitted
    st = eb.StaticErrors(
        residual=np.concatenate(ctx["B_real"])[pick] - ideal[pick],
        dac=to_rows(eb.dac_error_rows(*grp, driver, rng) / ctx["scale"]),
        crosstalk=None if xt is None else to_rows(eb.crosstalk_error_rows(*grp, xt) / ctx["scale"]),
        crosstalk_fit_error=None if xt is None else eb.crosstalk_fit_error(*grp[:2], xt),
        drift={
            k: np.stack([to_rows(x) for x in _drift_rows(drift, rows, dT)])
            for k, dT in drift.dT_samples.items()
        },
        drift_rms_B={k: drift.report[k]["error_B_rms"] for k in drift.dT_samples},
    )
    e = _sample_errors(np.random.default_rng(_child_seed(mcfg.seed)), _BUDGET_SAMPLES, n_out)
    return eb.chip_budget(
        jax.random.key(mcfg.seed),
        e,
        ideal[pick],
        np.concatenate(ctx["B_real"])[pick],
        st,
        ctx["readout"],
        dac_bits=mcfg.heater_dac_bits,
        drift_K=mcfg.drift_ambient_K,
    )


def _drift_rows(drift: DriftResult, rows: RowTiles, dT: np.ndarray) -> np.ndarray:
    """``(S, R, d_R)`` drift errors ``J ΔT`` (units of B) of temperature samples ``(S, d_C, d_R)``."""
    return np.einsum("rci,sri->src", drift.jac_B, dT[:, rows.bank_of])


def _encoding_errors(e: Any, B: Any, readout: ReadoutParams) -> dict[str, float]:
    """RMS MAC error (units of max|e|, noise off) of each encoding-hardware effect alone:
    modulators, laser power spread, detector mismatch; and all of them together."""
    from photonic_dfa.network_model.error_budget import encoding_errors

    return {k: math.hypot(m, s) for k, (m, s) in encoding_errors(e, B, readout).items()}


def run_budget(
    hidden: Sequence[int],
    n_outputs: int,
    rows_per_bank: int,
    banks: int,
    *,
    config: Config | None = None,
    adc_gsps: float | None = None,
    heater_mW_per_ring: float | None = None,
    model_path: str | os.PathLike[str] | None = None,
) -> Any:
    """The OPS and power budget for a network and array (CLI ``budget``).

    Heater power per ring: ``heater_mW_per_ring`` if given, else the mean solved heater power of
    ``model_path`` (a photonic_model.npz), else the power that brings the default design's rings
    onto their channels (channel plan of the default layout, circuits evaluated).
    """
    from photonic_dfa.config import load_config

    hidden = check_hidden(hidden)
    cfg = config if config is not None else load_config()
    m = cfg.model
    source = "given"
    if heater_mW_per_ring is None and model_path is not None:
        from photonic_dfa.network_model.artifact import load_photonic_model

        pm = load_photonic_model(model_path)
        if not pm.heater_mW:
            raise ArtifactError(f"{model_path}: has no heater powers")
        heater_mW_per_ring = float(np.mean(np.concatenate([h.ravel() for h in pm.heater_mW])))
        source = f"mean solved heater power of {model_path}"
    if heater_mW_per_ring is None:
        from photonic_dfa.circuits.bank_circuit import BankDesign
        from photonic_dfa.layout.planner import design_bank

        design = BankDesign.from_geometry(design_bank(cfg.layout), cfg.circuit)
        plan = _channel_plan(design, cfg.circuit, m)
        heater_mW_per_ring = float(np.mean(plan.heater_to_channel_mW))
        source = "power bringing the default design's rings onto their channels (channel plan)"
    return _energy(hidden, n_outputs, rows_per_bank, banks, m, heater_mW_per_ring, source, adc_gsps)
