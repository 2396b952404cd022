"""Orchestration of the network-model stage: ``extract`` (layout → photonic_model.npz) and ``budget``.

This is the one place of the stage that reads and writes files and times things; the physics is in
the modules it calls. Used by the CLI (:mod:`~photonic_dfa.network_model.commands`) and by the
``photonic-dfa run`` pipeline.
"""

from __future__ import annotations

import dataclasses
import json
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
    "CalibrationUnreachableError",
    "ExtractResult",
    "check_hidden",
    "enable_compilation_cache",
    "extract",
    "readout_from_config",
    "run_budget",
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
    ).validate(where="[model]")


def _geometry_key(bank: Any) -> str:
    """A bank's design with its position removed (banks with equal keys share one circuit)."""
    d = bank.model_dump(mode="json")
    ox, oy = d["ports"]["in"]["center_um"]
    for ring in d["rings"]:  # relative positions, to 0.1 nm (the layout's float round-off)
        ring["center_um"] = [
            round(ring["center_um"][0] - ox, 4),
            round(ring["center_um"][1] - oy, 4),
        ]
        c = ring["heater"]["centroid_um"]
        ring["heater"]["centroid_um"] = [round(c[0] - ox, 4), round(c[1] - oy, 4)]
    d.pop("index")
    d.pop("ports")
    return json.dumps(d, sort_keys=True)


def _feedback_settings(cfg: Any, readout: ReadoutParams, iterations: int) -> Any:
    """Measurement model of the calibration loop from the readout chain (units of B)."""
    import jax.numpy as jnp

    from photonic_dfa.network_model.calibration import FeedbackSettings
    from photonic_dfa.network_model.readout import reading_variance_terms

    n = readout.rows_per_bank
    x = jnp.eye(n)[:, None, :]  # one-hot readings (n readings, 1 tile, n channels)
    terms = reading_variance_terms(x, jnp.full((1, 1, n), 1.0), readout)
    var = np.asarray(terms["shot"]).reshape(-1)[0] + float(terms["thermal"])
    var = var + np.asarray(terms["rin"]).reshape(-1)[0]  # RIN at |B| = 1 (upper bound)
    return FeedbackSettings(
        sigma_reading=float(np.sqrt(var)),
        full_scale=1.0 / cfg.weight_range_fraction,
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


def extract(
    layout: str | os.PathLike[str] | Any,
    hidden: Sequence[int],
    *,
    config: Config | None = None,
    config_path: str | os.PathLike[str] | None = None,
    outdir: str | os.PathLike[str] | None = None,
    n_outputs: int = 10,
    spectra: str | os.PathLike[str] | None = None,
    plots: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ExtractResult:
    """Extract the photonic model of a network from a layout (see the module docstring).

    Args:
        layout: path of ``layout.json`` or a :class:`~photonic_dfa.layout.schema.LayoutDescription`.
        hidden: hidden layer sizes ``n_k``.
        config: the configuration (default: defaults, or ``config_path``).
        config_path: a TOML config file (recorded in the provenance).
        outdir: where ``photonic_model.npz``, its ``.json`` and plots go (None: nothing written).
        n_outputs: network outputs (columns of B_k).
        spectra: optional ``spectra.npz`` of the circuit stage (checked readable, hashed for the
            provenance; the circuits are evaluated here in any case, at the heater powers needed).
        plots: write the figures.
        progress: called with a short message at each step.

    Raises:
        ConfigError, ArtifactError, CalibrationUnreachableError: one line each.
    """
    from photonic_dfa.config import load_config
    from photonic_dfa.layout.schema import LayoutDescription, load_layout

    say = progress or (lambda _msg: None)
    times: dict[str, float] = {}
    t_all = time.perf_counter()
    hidden = check_hidden(hidden)
    if int(n_outputs) < 1:
        raise ConfigError(f"n_outputs = {n_outputs}: must be >= 1")
    cfg = config if config is not None else load_config(config_path)
    mcfg = cfg.model
    layout_path = None
    if isinstance(layout, LayoutDescription):
        desc = layout
    else:
        layout_path = Path(layout)
        desc = load_layout(layout_path)
    spectra_sha = None
    if spectra is not None:
        sp = Path(spectra)
        read_npz(sp, "spectra file")  # readable, or a one-line error
        spectra_sha = sha256_file(sp)
    if outdir is not None:
        ensure_writable_dir(outdir)

    from photonic_dfa.network_model.calibration import bank_weight_range, calibrate
    from photonic_dfa.network_model.channel_plan import plan_channels
    from photonic_dfa.network_model.fabrication import draw_offsets
    from photonic_dfa.network_model.weights import Evaluator, WeightModel

    d_r = len(desc.banks[0].rings)
    if any(len(b.rings) != d_r for b in desc.banks):
        raise ArtifactError("layout: all banks must have the same number of rings")
    d_c = int(mcfg.banks) if mcfg.banks is not None else len(desc.banks)
    phys_geometry = [desc.banks[b % len(desc.banks)] for b in range(d_c)]
    keys = [_geometry_key(b) for b in phys_geometry]
    groups: dict[str, list[int]] = {}
    for b, k in enumerate(keys):
        groups.setdefault(k, []).append(b)

    say("channel plan")
    t = time.perf_counter()
    spacing = mcfg.channel_spacing_nm
    plan = plan_channels(
        phys_geometry[0],
        cfg.circuit,
        spacing_nm=spacing,
        margin_nm=mcfg.resolved_blue_margin_nm(),
        anchor_nm=cfg.circuit.channel_anchor_nm,
        center_nm=mcfg.center_wl_nm,
    )
    times["channel_plan"] = time.perf_counter() - t

    say("bus circuits")
    t = time.perf_counter()
    evaluators = {
        k: Evaluator(
            WeightModel.build(
                phys_geometry[idx[0]], cfg.circuit, plan.channel_wl_um, cfg.circuit.heater_max_mW
            )
        )
        for k, idx in groups.items()
    }
    times["circuits"] = time.perf_counter() - t

    offsets = draw_offsets(d_c, d_r, mcfg.fab_sigma_nm, mcfg.fab_seed)
    p_max = cfg.circuit.heater_max_mW
    cannot = np.nonzero(plan.heater_to_channel_mW > p_max)[0]
    if cannot.size and (mcfg.unreachable == "error" or cannot.size == d_r):
        raise CalibrationUnreachableError(
            f"ring(s) {cannot.tolist()} cannot be tuned onto their channels, so their weights "
            f"cannot be realised: they need up to {plan.heater_to_channel_mW.max():.2f} mW, "
            f"[circuit] heater_max_mW = {p_max:g} (raise it or lower [model] blue_margin_nm)"
        )
    say("weight range")
    t = time.perf_counter()
    first = evaluators[keys[0]]
    w_range = bank_weight_range(first, np.zeros((1, d_r)), plan.spacing_nm)[0]
    ok_rings = np.setdiff1d(np.arange(d_r), cannot)
    scale = float(
        mcfg.weight_range_fraction * min(w_range[ok_rings, 1].min(), -w_range[ok_rings, 0].max())
    )
    if not scale > 0:
        raise CalibrationUnreachableError(
            f"the rings cannot realise both signs of weight at their channels (weight range "
            f"[{w_range[:, 0].max():.3f}, {w_range[:, 1].min():.3f}]): check the channel plan"
        )
    times["weight_range"] = time.perf_counter() - t

    # target rows and their tiles
    rng = np.random.default_rng(mcfg.seed)
    B_ideal = tuple(rng.uniform(-1.0, 1.0, (n, n_outputs)).astype(np.float32) for n in hidden)
    n_tiles = -(-n_outputs // d_r)
    pad = n_tiles * d_r - n_outputs
    tgt_list, mask_list, bank_list = [], [], []
    for B in B_ideal:
        Bp = np.pad(B.astype(np.float64), ((0, 0), (0, pad)))
        tiles = Bp.reshape(B.shape[0], n_tiles, d_r)
        m = np.pad(np.ones_like(B, bool), ((0, 0), (0, pad))).reshape(B.shape[0], n_tiles, d_r)
        tgt_list.append(tiles.reshape(-1, d_r))
        mask_list.append(m.reshape(-1, d_r))
        bank_list.append(np.repeat(np.arange(B.shape[0]) % d_c, n_tiles))
    target = np.concatenate(tgt_list)
    mask = np.concatenate(mask_list)
    bank_of = np.concatenate(bank_list)

    readout = readout_from_config(
        mcfg, rows_per_bank=d_r, banks=d_c, weight_scale=scale, transmission_sum=1.0
    )
    fb = _feedback_settings(mcfg, readout, mcfg.feedback_iterations)

    say(f"calibration ({mcfg.calibration}) of {target.shape[0]} rows on {d_c} banks")
    t = time.perf_counter()
    heater = np.zeros_like(target)
    realised_w = np.zeros_like(target)
    rms = np.zeros(target.shape[0])
    worst = np.zeros(target.shape[0])
    bits = np.zeros(target.shape[0])
    unreachable: list[tuple[int, int, float, float, str]] = []
    summaries = []
    offsets_est = np.full_like(offsets, np.nan)
    tsum = []
    for k, idx in groups.items():
        ev = evaluators[k]
        local = {b: i for i, b in enumerate(idx)}
        sel = np.nonzero(np.isin(bank_of, idx))[0]
        res = calibrate(
            ev,
            target[sel],
            mask[sel],
            np.array([local[b] for b in bank_of[sel]]),
            offsets[idx],
            scale=scale,
            mode=mcfg.calibration,
            iterations=mcfg.iterations,
            damping=mcfg.damping,
            feedback=fb,
            seed=mcfg.fab_seed + 1,
        )
        heater[sel], realised_w[sel] = res.heater_mW, res.weights
        rms[sel], worst[sel], bits[sel] = res.rms_B, res.worst_B, res.bits
        unreachable += [(int(sel[p]), r, tb, rb, why) for p, r, tb, rb, why in res.unreachable]
        summaries.append(res.summary(mcfg.resolved_yield_min_bits()))
        if res.offsets_estimated_nm is not None:
            offsets_est[idx] = res.offsets_estimated_nm
        T, D = ev.transmissions(
            res.heater_mW, offsets[idx][np.array([local[b] for b in bank_of[sel]])]
        )
        tsum.append((T + D)[res.mask])
    times["calibration"] = time.perf_counter() - t
    if unreachable and mcfg.unreachable == "error":
        p, r, tb, rb, why = unreachable[0]
        raise CalibrationUnreachableError(
            f"{len(unreachable)} ring target(s) cannot be realised, e.g. row tile {p} ring {r}: "
            f"target {tb:+.3f}, reached {rb:+.3f} ({why}); lower [model] weight_range_fraction, "
            "raise [circuit] heater_max_mW or set [model] unreachable = 'report'"
        )
    transmission_sum = float(np.mean(np.concatenate(tsum)))
    readout = dataclasses.replace(readout, transmission_sum=transmission_sum).validate()

    # realised matrices in units of B
    B_real, heaters_layers = [], []
    start = 0
    for B in B_ideal:
        rows = B.shape[0] * n_tiles
        wB = (realised_w[start : start + rows] / scale).reshape(B.shape[0], n_tiles * d_r)
        B_real.append(wB[:, :n_outputs].astype(np.float32))
        heaters_layers.append(heater[start : start + rows].reshape(B.shape[0], n_tiles, d_r))
        start += rows

    say("noise and energy")
    t = time.perf_counter()
    noise = _noise_report(readout, B_real[0], n_outputs, mcfg.seed)
    from photonic_dfa.network_model.energy import budget

    energy = budget(
        hidden,
        n_outputs,
        d_r,
        d_c,
        adc_gsps=mcfg.adc_gsps,
        adc_power_mW=mcfg.adc_power_mW,
        laser_power_mW=mcfg.laser_power_mW,
        wall_plug_efficiency=mcfg.wall_plug_efficiency,
        modulator_pJ_per_symbol=mcfg.modulator_pJ_per_symbol,
        tia_power_mW=mcfg.tia_power_mW,
        heater_mW_per_ring=float(np.mean(heater[mask])),
        heater_source="mean solved heater power of this calibration",
    )
    times["noise_energy"] = time.perf_counter() - t

    ymin = mcfg.resolved_yield_min_bits()
    ok = bits >= ymin
    for p, *_ in unreachable:
        ok[p] = False
    per_bank = []
    for b in range(d_c):
        s = bank_of == b
        per_bank.append(
            {
                "bank": b,
                "layout_bank": int(phys_geometry[b].index),
                "rows": int(s.sum()),
                "rms_B_median": float(np.median(rms[s])) if s.any() else None,
                "bits_min": float(np.min(bits[s])) if s.any() else None,
                "worst_B": float(np.max(worst[s])) if s.any() else None,
                "within_tolerance": bool(np.all(ok[s])) if s.any() else None,
                "offsets_nm": offsets[b].round(4).tolist(),
                "offsets_estimated_nm": None
                if np.isnan(offsets_est[b]).all()
                else offsets_est[b].round(4).tolist(),
            }
        )
    report = {
        "mode": mcfg.calibration,
        "fab_sigma_nm": mcfg.fab_sigma_nm,
        "fab_seed": mcfg.fab_seed,
        "thermal_crosstalk_length_um": cfg.circuit.crosstalk_length_um,
        "heater_max_mW": cfg.circuit.heater_max_mW,
        "weight_scale": scale,
        "weight_range": {"min": w_range[:, 0].tolist(), "max": w_range[:, 1].tolist()},
        "channel_plan": plan.to_dict(),
        "rows": int(target.shape[0]),
        "rms_B_median": float(np.median(rms)),
        "rms_B_max": float(np.max(rms)),
        "worst_B_max": float(np.max(worst)),
        "bits_median": float(np.median(bits)),
        "bits_min": float(np.min(bits)),
        "bits_p05": float(np.percentile(bits, 5)),
        "yield_min_bits": ymin,
        "yield_rows": float(np.mean(ok)),
        "yield_banks": float(np.mean([pb["within_tolerance"] for pb in per_bank if pb["rows"]])),
        "unreachable_count": len(unreachable),
        "unreachable": [
            {"row_tile": p, "ring": r, "target_B": tb, "realised_B": rb, "reason": why}
            for p, r, tb, rb, why in unreachable[:100]
        ],
        "heater_mW_mean": float(np.mean(heater[mask])),
        "heater_mW_max": float(np.max(heater)),
        "groups": summaries,
        "per_bank": per_bank,
        "noise": noise,
        "energy": energy.to_dict(),
    }
    provenance = {
        "package": "photonic_dfa",
        "version": __version__,
        "layout_file": str(layout_path) if layout_path else None,
        "layout_sha256": sha256_file(layout_path) if layout_path else None,
        "spectra_file": str(spectra) if spectra is not None else None,
        "spectra_sha256": spectra_sha,
        "config_file": str(config_path) if config_path is not None else None,
        "config_sha256": sha256_file(config_path) if config_path is not None else None,
        "model_config_hash": config_hash(mcfg),
        "circuit_config_hash": config_hash(cfg.circuit),
        "model_config": mcfg.model_dump(mode="json"),
        "created_unix": time.time(),
    }
    model = PhotonicModel(
        hidden=hidden,
        n_outputs=int(n_outputs),
        B_ideal=B_ideal,
        B_realised=tuple(B_real),
        readout=readout,
        provenance=provenance,
        calibration=to_jsonable(report),
        heater_mW=tuple(h.astype(np.float64) for h in heaters_layers),
        channel_wl_um=plan.channel_wl_um,
        shift_nm=offsets,
    )
    result = ExtractResult(model=model, model_path=Path(), report=report, timings_s=times)
    if outdir is not None:
        out = Path(outdir)
        say("writing")
        t = time.perf_counter()
        report["timings_s"] = {k: round(v, 3) for k, v in times.items()}
        model = dataclasses.replace(model, calibration=to_jsonable(report))
        result.model = model
        result.model_path = save_photonic_model(model, out / MODEL_FILE)
        if plots:
            from photonic_dfa.network_model.plots import write_plots

            result.plots = write_plots(model, out)
        times["write"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t_all
    return result


def _noise_report(readout: ReadoutParams, B: np.ndarray, n_out: int, seed: int) -> dict[str, Any]:
    """Per-MAC error of the readout (paper units), effective bits, per-source breakdown; and the
    paper's Gaussian model for comparison."""
    import jax

    from photonic_dfa.network_model.readout import mac_error_stats, noise_breakdown

    e = _sample_errors(np.random.default_rng(seed + 7), 4096, n_out)
    key = jax.random.key(seed)
    B = B[: min(512, B.shape[0])]
    paper = dataclasses.replace(readout, noise_model="paper_gaussian")
    physical = dataclasses.replace(readout, noise_model="physical")
    out = {
        "samples": "e = softmax(z) - onehot(y), z ~ N(0, 2^2), 4096 samples",
        "channel_power_mW": float(readout.channel_power_mW),
        "physical": mac_error_stats(key, e, B, physical),
        "breakdown": noise_breakdown(e, B, physical),
        "paper_gaussian": mac_error_stats(key, e, B, paper),
        "two_pass": mac_error_stats(key, e, B, dataclasses.replace(physical, encoding="two_pass")),
    }
    return {
        k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in out.items()
    }


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
    from photonic_dfa.network_model.energy import budget

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
        from photonic_dfa.layout.planner import design_bank
        from photonic_dfa.network_model.channel_plan import plan_channels

        bank = design_bank(cfg.layout)
        plan = plan_channels(
            bank,
            cfg.circuit,
            spacing_nm=m.channel_spacing_nm,
            margin_nm=m.resolved_blue_margin_nm(),
            anchor_nm=cfg.circuit.channel_anchor_nm,
            center_nm=m.center_wl_nm,
        )
        heater_mW_per_ring = float(np.mean(plan.heater_to_channel_mW))
        source = "power bringing the default design's rings onto their channels (channel plan)"
    return budget(
        hidden,
        n_outputs,
        rows_per_bank,
        banks,
        adc_gsps=m.adc_gsps if adc_gsps is None else adc_gsps,
        adc_power_mW=m.adc_power_mW,
        laser_power_mW=m.laser_power_mW,
        wall_plug_efficiency=m.wall_plug_efficiency,
        modulator_pJ_per_symbol=m.modulator_pJ_per_symbol,
        tia_power_mW=m.tia_power_mW,
        heater_mW_per_ring=heater_mW_per_ring,
        heater_source=source,
    )
