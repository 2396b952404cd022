"""``photonic-dfa run``: the whole pipeline, layout → sweep → extract → train → report.

Each stage writes into its own folder of OUTDIR and, last, a manifest ``<stage>/stage.json`` with a
key (sha256 of the stage's settings and of its input files) and the sha256 of every output. A stage
is skipped when its manifest's key matches and its outputs are intact, and re-run otherwise, so:

* running twice re-uses every stage;
* changing only a ``[training]`` setting re-runs only training (and the report);
* a run killed during any stage is completed by the next one: outputs are written atomically and
  the manifest only after them, so an unfinished stage never looks finished.

Stage code is imported only when a stage runs, so a fully cached run costs little more than hashing.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from photonic_dfa import __version__
from photonic_dfa.config import Config, load_config
from photonic_dfa.io import atomic_write_json, ensure_writable_dir, sha256_file

__all__ = ["STAGES", "PipelineResult", "StageOutcome", "run_pipeline"]

MANIFEST = "stage.json"


@dataclass(frozen=True)
class StageOutcome:
    """One stage of a pipeline run."""

    name: str
    status: str  # "ran" or "cached"
    seconds: float
    outputs: dict[str, str]  # name -> path (relative to OUTDIR)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineResult:
    outdir: Path
    stages: tuple[StageOutcome, ...]
    report_md: Path
    report_html: Path

    def stage(self, name: str) -> StageOutcome:
        return next(s for s in self.stages if s.name == name)


@dataclass(frozen=True)
class Stage:
    """A pipeline stage: ``run(cfg, outdir, inputs, log) -> (outputs, summary)``."""

    name: str
    sections: tuple[str, ...]  # config sections that determine its result
    inputs: tuple[str, ...]  # outputs of earlier stages it reads, as "stage:name"
    run: Callable[..., tuple[dict[str, Path], dict[str, Any]]]
    enabled: Callable[[Config], bool] = lambda cfg: True
    extra_key: Callable[[Config], dict[str, Any]] = lambda cfg: {}


def _hash_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _stage_key(stage: Stage, cfg: Config, input_hashes: dict[str, str]) -> str:
    sections = {name: getattr(cfg, name).model_dump(mode="json") for name in stage.sections}
    # where MNIST comes from can change outside the config
    env = (
        {"PHOTONIC_DFA_DATA": os.environ.get("PHOTONIC_DFA_DATA")} if stage.name == "train" else {}
    )
    return _hash_json(
        {
            "stage": stage.name,
            "version": __version__,
            "config": sections,
            "inputs": input_hashes,
            "env": env,
            "extra": stage.extra_key(cfg),
        }
    )


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _intact(outdir: Path, manifest: dict[str, Any]) -> bool:
    """Every output recorded in the manifest exists with the recorded sha256."""
    for entry in manifest.get("outputs", {}).values():
        path = outdir / entry["path"]
        if not path.is_file() or sha256_file(path) != entry["sha256"]:
            return False
    return True


# ---------------------------------------------------------------------------------------------
# The stages
# ---------------------------------------------------------------------------------------------


def _run_layout(cfg: Config, stage_dir: Path, inputs: dict[str, Path], log: Callable) -> tuple:
    from photonic_dfa.layout.writer import write_layout

    result = write_layout(cfg.layout, stage_dir)
    d = result.description
    log(
        f"{d.n_banks} bank(s) × {d.n_rings} ring(s), chip {d.chip_size_um[0]:.0f} × {d.chip_size_um[1]:.0f} µm"
    )
    outputs = {
        "layout.json": result.json_path,
        "weight_bank.gds": result.gds_path,
        "weight_bank.png": result.png_path,
        "bank.png": result.bank_png_path,
    }
    c = cfg.layout
    summary = {
        "banks": d.n_banks,
        "rings_per_bank": d.n_rings,
        "ring_radius_um": c.radius_um,
        "gaps_nm": [c.gap_in_nm, c.gap_drop_nm],
        "ring_pitch_um": c.resolved_pitch_um(),
        "radius_step_nm": c.radius_step_nm,
        "chip_size_um": list(d.chip_size_um),
        "figures": ["weight_bank.png", "bank.png"],
    }
    return outputs, summary


def _run_circuits(cfg: Config, stage_dir: Path, inputs: dict[str, Path], log: Callable) -> tuple:
    from photonic_dfa.circuits.run import run_sweep

    log("spectra of every bank with the heaters biased onto the channel grid")
    result = run_sweep(inputs["layout:layout.json"], cfg.circuit, stage_dir, kind="spectrum")
    outputs = {name: Path(path) for name, path in result.files.items()}
    rows = [
        [
            m.ring,
            m.resonance_nm,
            m.fsr_nm,
            m.fwhm_nm,
            m.loaded_q,
            m.extinction_dB,
            m.heater_mW,
        ]
        for m in result.metrics[0]
    ]
    for m in result.metrics[0]:
        log(
            f"ring {m.ring}: resonance {m.resonance_nm:.3f} nm, FSR {m.fsr_nm:.2f} nm, "
            f"FWHM {m.fwhm_nm * 1e3:.0f} pm, Q {m.loaded_q:.0f}, ER {m.extinction_dB:.1f} dB"
        )
    summary = {
        "banks_simulated": len(result.metrics),
        "tables": [
            {
                "title": "Bank 0, heaters biased onto the channels",
                "columns": [
                    "ring",
                    "resonance (nm)",
                    "FSR (nm)",
                    "FWHM (nm)",
                    "loaded Q",
                    "extinction (dB)",
                    "heater (mW)",
                ],
                "rows": rows,
            }
        ],
        "figures": [n for n in outputs if n.endswith(".png")],
        "notes": list(result.notes),
    }
    return outputs, summary


def _run_model(cfg: Config, stage_dir: Path, inputs: dict[str, Path], log: Callable) -> tuple:
    from photonic_dfa.network_model.run import extract

    result = extract(
        inputs["layout:layout.json"],
        cfg.training.hidden,
        config=cfg,
        outdir=stage_dir,
        spectra=inputs["circuits:spectra.npz"],
        progress=log,
    )
    rep = result.report
    outputs = {"photonic_model.npz": result.model_path}
    sidecar = result.model_path.with_suffix(".json")
    if sidecar.is_file():
        outputs["photonic_model.json"] = sidecar
    for plot in result.plots:
        outputs[Path(plot).name] = Path(plot)
    noise = rep.get("noise", {})
    energy = rep.get("energy", {})
    physical = noise.get("physical", {})
    log(
        f"calibration: {rep.get('bits_median', float('nan')):.2f} bits median "
        f"({rep.get('bits_min', float('nan')):.2f} worst), {rep.get('unreachable_count', 0)} "
        f"unreachable ring(s); per-MAC error std {physical.get('std', float('nan')):.3f}·max|e|"
    )
    summary: dict[str, Any] = {
        "hidden": list(cfg.training.hidden),
        "calibration_mode": rep.get("mode"),
        "rows_calibrated": rep.get("rows"),
        "precision_bits_median": rep.get("bits_median"),
        "precision_bits_worst": rep.get("bits_min"),
        "weight_rms_error_median": rep.get("rms_B_median"),
        "unreachable_rings": rep.get("unreachable_count"),
        "yield_banks": rep.get("yield_banks"),
        "heater_mean_mW": rep.get("heater_mW_mean"),
        "MAC_error_std_over_max_abs_e": physical.get("std"),
        "MAC_effective_bits": physical.get("effective_bits"),
        "paper_Gaussian_MAC_std_over_max_abs_e": noise.get("paper_gaussian", {}).get("std"),
        "throughput_OPS": energy.get("ops"),
        "energy_per_MAC_pJ": energy.get("pJ_per_mac"),
        "tables": [],
        "figures": [n for n in outputs if n.endswith(".png")],
    }
    if noise.get("breakdown"):
        summary["tables"].append(
            {
                "title": "Readout noise budget (std per MAC relative to max|e|)",
                "columns": ["term", "std / max|e|"],
                "rows": [[k, v] for k, v in noise["breakdown"].items()],
            }
        )
    if energy.get("items_W"):
        summary["tables"].append(
            {
                "title": "Energy budget",
                "columns": ["item", "power (W)", "pJ per MAC"],
                "rows": [
                    [k, w, energy.get("items_pJ_per_mac", {}).get(k)]
                    for k, w in energy["items_W"].items()
                ]
                + [["total", energy.get("total_W"), energy.get("pJ_per_mac")]],
            }
        )
        if energy.get("to_reach_target", {}).get("status"):
            summary["notes"] = [f"Energy: {energy['to_reach_target']['status']}."]
    return outputs, summary


def _resumable(rundir: Path, cfg: Config) -> bool:
    """An unfinished run (killed earlier) with exactly these training settings: continue it.

    A finished run, or one with other settings, is trained afresh: the stage only runs because its
    settings or inputs changed.
    """
    if not (rundir / "checkpoint.npz").is_file() or (rundir / "metrics.json").is_file():
        return False
    try:
        saved = json.loads((rundir / "config.json").read_text())["training"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    now = cfg.training.model_dump(mode="json")
    return {k: v for k, v in saved.items() if k != "mode"} == {
        k: v for k, v in now.items() if k != "mode"
    }


def _train_modes(cfg: Config, inputs: dict[str, Path]) -> list[str]:
    modes = ["dfa-photonic"] if cfg.run.photonic and "model:photonic_model.npz" in inputs else []
    return modes + [m for m in cfg.run.baselines if m not in modes]


def _run_train(cfg: Config, stage_dir: Path, inputs: dict[str, Path], log: Callable) -> tuple:
    import jax

    # importing sax (circuit stages, same process) switches JAX to float64 globally; training is
    # specified in float32, as it runs on its own in `photonic-dfa train`
    with jax.enable_x64(False):
        return _train_all(cfg, stage_dir, inputs, log)


def _train_all(cfg: Config, stage_dir: Path, inputs: dict[str, Path], log: Callable) -> tuple:
    import shutil

    from photonic_dfa.errors import ConfigError
    from photonic_dfa.training.plots import plot_curves
    from photonic_dfa.training.run import resolve_data, train

    seen: set[str] = set()
    raw_log = log

    def log(msg: str) -> None:  # the data notice is logged once, not once per mode
        if msg not in seen:
            seen.add(msg)
            raw_log(msg)

    model = inputs.get("model:photonic_model.npz")
    mnist = resolve_data(cfg.run.data, log=log)
    outputs: dict[str, Path] = {}
    histories, rows = {}, []
    for mode in _train_modes(cfg, inputs):
        rundir = stage_dir / mode

        def progress(event, mode=mode) -> None:
            if event.kind == "epoch":
                r = event.record or {}
                if event.epoch % 10 and event.epoch not in (1, event.epochs):
                    return  # one line every 10 epochs (and the first and last)
                log(
                    f"{mode}: epoch {event.epoch}/{event.epochs} loss {r.get('loss', float('nan')):.4f} "
                    f"val {100 * (r.get('val_acc') or 0):.2f} % ({r.get('seconds', 0):.1f} s)"
                )

        kwargs = dict(mode=mode, model=model if mode == "dfa-photonic" else None, data=mnist)
        result = None
        if _resumable(rundir, cfg):
            try:  # a run killed earlier with the same settings continues from its checkpoint
                result = train(
                    cfg.training, rundir, resume=True, progress=progress, log=log, **kwargs
                )
            except ConfigError as exc:  # other settings (or another model): start afresh
                log(f"{mode}: earlier run not resumable ({exc}); starting afresh")
        if result is None:
            shutil.rmtree(rundir, ignore_errors=True)
            result = train(cfg.training, rundir, progress=progress, log=log, **kwargs)
        m = result.metrics
        histories[mode] = result.history
        rows.append(
            [mode, 100 * m["test_acc"], m["best_epoch"], 100 * m["best_val_acc"], m["epochs"]]
        )
        for name in ("metrics.json", "history.json", "curves.png"):
            outputs[f"{mode}/{name}"] = rundir / name
        log(
            f"{mode}: test accuracy {100 * m['test_acc']:.2f} % (best validation epoch {m['best_epoch']})"
        )
    plot_curves(histories, stage_dir / "curves.png", title="training curves")
    outputs["curves.png"] = stage_dir / "curves.png"
    summary = {
        "data": str(mnist.source),
        "train_images": len(mnist.train_labels),
        "hidden": list(cfg.training.hidden),
        "epochs": cfg.training.epochs,
        "tables": [
            {
                "title": "Accuracy (best-validation epoch, reported on test)",
                "columns": ["mode", "test acc (%)", "best epoch", "val acc (%)", "epochs"],
                "rows": rows,
            }
        ],
        "figures": ["curves.png"],
    }
    if mnist.notice:
        summary["notes"] = [mnist.notice]
    return outputs, summary


STAGES: tuple[Stage, ...] = (
    Stage("layout", ("layout",), (), _run_layout),
    Stage("circuits", ("circuit",), ("layout:layout.json",), _run_circuits),
    Stage(
        "model",
        ("circuit", "model"),
        ("layout:layout.json", "circuits:spectra.npz"),
        _run_model,
        extra_key=lambda cfg: {"hidden": list(cfg.training.hidden)},
        enabled=lambda cfg: cfg.run.photonic,
    ),
    Stage(
        "train",
        ("training", "run"),
        ("model:photonic_model.npz",),
        _run_train,
    ),
)


def run_pipeline(
    config: str | os.PathLike[str] | Config | None,
    outdir: str | os.PathLike[str],
    *,
    log: Callable[[str], None] = print,
    force: bool = False,
) -> PipelineResult:
    """Run every stage whose inputs or settings changed; return what each stage did.

    Args:
        config: a TOML path, a :class:`Config`, or None for the defaults.
        outdir: the run directory (created if needed).
        log: receives one line per event (stage start, skip, summary).
        force: re-run every stage even if cached.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    outdir = ensure_writable_dir(outdir).resolve()
    produced: dict[str, Path] = {}
    outcomes = []
    for stage in STAGES:
        if not stage.enabled(cfg):
            continue
        stage_dir = outdir / stage.name
        inputs = {ref: produced[ref] for ref in stage.inputs if ref in produced}
        input_hashes = {ref: sha256_file(path) for ref, path in inputs.items()}
        key = _stage_key(stage, cfg, input_hashes)
        manifest_path = stage_dir / MANIFEST
        manifest = _read_manifest(manifest_path)
        start = time.perf_counter()
        if (
            not force
            and manifest is not None
            and manifest.get("key") == key
            and _intact(outdir, manifest)
        ):
            outputs = {name: outdir / e["path"] for name, e in manifest["outputs"].items()}
            log(f"[{stage.name}] up to date, re-used ({manifest_path.relative_to(outdir)})")
            status, summary = "cached", manifest.get("summary", {})
        else:
            log(f"[{stage.name}] running…")
            ensure_writable_dir(stage_dir)
            manifest_path.unlink(missing_ok=True)  # the stage is unfinished until rewritten
            outputs, summary = stage.run(
                cfg, stage_dir, inputs, lambda msg, s=stage.name: log(f"[{s}] {msg}")
            )
            seconds = time.perf_counter() - start
            atomic_write_json(
                manifest_path,
                {
                    "stage": stage.name,
                    "key": key,
                    "version": __version__,
                    "inputs": input_hashes,
                    "config": {n: getattr(cfg, n).model_dump(mode="json") for n in stage.sections},
                    "outputs": {
                        name: {
                            "path": str(Path(p).resolve().relative_to(outdir)),
                            "sha256": sha256_file(p),
                        }
                        for name, p in outputs.items()
                    },
                    "summary": summary,
                    "seconds": round(seconds, 3),
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S"),
                },
            )
            log(f"[{stage.name}] done in {seconds:.1f} s")
            status = "ran"
        for name, path in outputs.items():
            produced[f"{stage.name}:{name}"] = Path(path)
        outcomes.append(
            StageOutcome(
                name=stage.name,
                status=status,
                seconds=time.perf_counter() - start,
                outputs={n: str(Path(p).resolve().relative_to(outdir)) for n, p in outputs.items()},
                summary=summary,
            )
        )
    report_md, report_html = outdir / "report.md", outdir / "report.html"
    if (
        force
        or any(o.status == "ran" for o in outcomes)
        or not (report_md.is_file() and report_html.is_file())
    ):
        from photonic_dfa.report import write_report

        write_report(outdir)
        log(f"[report] wrote {report_md.name} and {report_html.name}")
    else:
        log("[report] up to date")
    return PipelineResult(outdir, tuple(outcomes), report_md, report_html)
