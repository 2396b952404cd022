"""Per-MAC error budget of the presets beside the authors' measured per-MAC error (issue 13 items
7-8), and the training accuracy cost of each source. Writes ``benchmarks/results_error_budget.json``.

    python benchmarks/error_budget.py [--presets default,integrated,bench] [--quick]

1. For each preset: ``extract`` of the 784-800-800-10 network on the default layout (8 banks ×
   10 rings, made with ``photonic-dfa layout``); the report's error budget (per source: mean, std,
   effective bits, and the value of its own parameter at which it alone would give the paper's
   std 0.618) is printed beside the authors' mean 0.03 / std 0.618 (units of max|e|).
2. Accuracy cost of each source: a 784-100-10 network trained with ``dfa-photonic`` on the
   embedded 5,000-image MNIST subset (4,000 train; 500 validation / 500 test; best-validation
   epoch on test) with every source on, and with each source turned off in turn — by a config
   change (or, for the calibration residual, B̃ := B in the extracted model), the chip
   re-extracted for each. Cost = mean over seeds of acc(source off) − acc(all on); its standard
   error is the spread of the paired differences over the seeds. ``dfa`` (ideal feedback) and
   ``dfa-gaussian`` (the paper's N(0.03, 0.618) per MAC) are trained beside them for reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import machine  # noqa: E402

#: each source turned off: ([model] overrides, [circuit] overrides, [training] overrides)
SOURCES_OFF: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = {
    "calibration_residual": ({}, {}, {}),  # B̃ := B in the extracted model (below)
    "heater_dac": ({"heater_dac_bits": 24}, {}, {}),
    "crosstalk": ({}, {"crosstalk_length_um": 0.0}, {}),
    "drift": ({"drift_ambient_K": 0.0, "drift_local_K": 0.0}, {}, {}),
    "modulator": ({"modulator": "ideal"}, {}, {}),
    "laser_spread": ({"laser_spread_dB": 0.0}, {}, {}),
    "bpd_mismatch": ({"bpd_mismatch": 0.0}, {}, {}),
    "tia": ({"tia_noise_pA_rtHz": 0.0}, {}, {}),
    "rin": ({"rin_dB_Hz": -200.0}, {}, {}),
    "adc": ({"adc_bits": 24, "adc_enob": None}, {}, {}),
    "readout_noise": ({}, {}, {"photonic_noise": False}),  # shot + TIA + RIN + ADC together
}
#: what "off" means for each, in the results
OFF_MEANING = {
    "calibration_residual": "B̃ := B in the extracted model (drift and readout kept)",
    "heater_dac": "heater_dac_bits = 24",
    "crosstalk": "[circuit] crosstalk_length_um = 0 (no thermal crosstalk on the chip)",
    "drift": "drift_ambient_K = drift_local_K = 0",
    "modulator": "modulator = 'ideal'",
    "laser_spread": "laser_spread_dB = 0",
    "bpd_mismatch": "bpd_mismatch = 0",
    "tia": "tia_noise_pA_rtHz = 0",
    "rin": "rin_dB_Hz = -200",
    "adc": "adc_bits = 24, no converter noise",
    "readout_noise": "[training] photonic_noise = false (shot, TIA, RIN and ADC; shot has no "
    "switch of its own)",
}


def make_layout(tmp: Path) -> Path:
    """The default layout, made by the CLI (gdsfactory)."""
    out = tmp / "layout"
    cmd = [sys.executable, "-c", "from photonic_dfa.cli import main; main()", "layout", "-o"]
    r = subprocess.run([*cmd, str(out)], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(r.stderr)
    return out / "layout.json"


def _config(preset: str, model: dict | None = None, circuit: dict | None = None) -> Any:
    from photonic_dfa.config import load_config

    return load_config(preset=None if preset == "default" else preset, model=model, circuit=circuit)


def budget_of(preset: str, layout: Path) -> dict[str, Any]:
    """The error budget of the 800-800 network extracted with ``preset``, and extract's time."""
    from photonic_dfa.network_model.run import extract

    t = time.perf_counter()
    res = extract(layout, (800, 800), config=_config(preset), plots=False)
    return {
        "wall_s": round(time.perf_counter() - t, 2),
        "timings_s": {k: round(v, 3) for k, v in res.timings_s.items()},
        "budget": res.report["error_budget"],
    }


def _ideal_B(path: Path) -> Path:
    """The extracted model with B̃ := B (the calibration residual off)."""
    from photonic_dfa.network_model.artifact import load_photonic_model, save_photonic_model

    pm = load_photonic_model(path)
    return save_photonic_model(dataclasses.replace(pm, B_realised=pm.B_ideal), path)


def _train(tmp: Path, name: str, cfg: Any, mode: str, model: Path | None, args, data) -> list:
    from photonic_dfa.training.run import train

    accs = []
    for seed in args.seeds:
        out = tmp / f"{name}_s{seed}"
        r = train(
            cfg.training, out, mode=mode, model=model, data=data, plot=False,
            hidden=(args.hidden,), epochs=args.epochs, seed=seed,
        )  # fmt: skip
        accs.append(float(r.metrics["test_acc"]))
    return accs


def accuracy_costs(preset: str, layout: Path, tmp: Path, args, data) -> dict[str, Any]:
    """Test accuracies with all sources on, each one off, and the reference modes."""
    from photonic_dfa.network_model.run import extract

    runs: dict[str, list[float]] = {}
    for name in ["all_on", *SOURCES_OFF]:
        model_o, circuit_o, train_o = SOURCES_OFF.get(name, ({}, {}, {}))
        cfg = _config(preset, model_o, circuit_o)
        cfg = cfg.model_copy(update={"training": cfg.training.model_copy(update=train_o)})
        out = tmp / f"{preset}_{name}"
        extract(layout, (args.hidden,), config=cfg, outdir=out, plots=False)
        model = out / "photonic_model.npz"
        if name == "calibration_residual":
            _ideal_B(model)
        runs[name] = _train(tmp, f"{preset}_{name}", cfg, "dfa-photonic", model, args, data)
        print(f"  {preset:10s} {name:22s} test acc {np.mean(runs[name]):.4f}", flush=True)
    cfg = _config(preset)
    for mode in ("dfa", "dfa-gaussian"):
        runs[mode] = _train(tmp, f"{preset}_{mode}", cfg, mode, None, args, data)
    return _costs(runs)


def _costs(runs: dict[str, list[float]]) -> dict[str, Any]:
    base = np.asarray(runs["all_on"])
    out: dict[str, Any] = {"test_acc": {k: v for k, v in runs.items()}, "cost": {}}
    for name in [*SOURCES_OFF, "dfa", "dfa-gaussian"]:
        d = np.asarray(runs[name]) - base
        se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else None
        out["cost"][name] = {"mean": float(d.mean()), "stderr": se}
    return out


def print_budget(preset: str, b: dict[str, Any]) -> None:
    from photonic_dfa.network_model.summary import budget_lines

    print(f"\n== {preset}: 784-800-800-10, default layout ==")
    for line in budget_lines(b):
        print(line)
    t, p = b["total"], b["paper"]
    print(
        f"  beside the paper: mean {t['monte_carlo_mean']:+.4f} vs {p['mean']:g}, std "
        f"{t['monte_carlo_std']:.4f} vs {p['std']:g} (paper / chip = {b['paper_std_over_mc_std']:.3g})"
    )


def print_costs(preset: str, c: dict[str, Any]) -> None:
    acc = c["test_acc"]
    print(
        f"\n== {preset}: accuracy cost (acc(source off) − acc(all on)), mean ± s.e. over seeds =="
    )
    print(f"  all on: test acc {np.mean(acc['all_on']):.4f}")
    for name, v in c["cost"].items():
        se = "" if v["stderr"] is None else f" ± {v['stderr']:.4f}"
        print(f"  {name:22s} {v['mean']:+.4f}{se}   (acc {np.mean(acc[name]):.4f})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presets", default="default,integrated,bench")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 epochs, 1 seed, 2 presets")
    args = ap.parse_args(argv)
    args.presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    args.hidden, args.epochs, args.seeds = 100, 10, [1, 2, 3, 4]
    if args.quick:
        args.epochs, args.seeds = 2, [1]
    return args


def main(argv: list[str] | None = None) -> None:
    from photonic_dfa.io import atomic_write_json
    from photonic_dfa.network_model.run import enable_compilation_cache
    from photonic_dfa.training.data import mnist_subset

    args = parse_args(argv)
    enable_compilation_cache()
    t0 = time.perf_counter()
    data = mnist_subset()
    results: dict[str, Any] = {"presets": {}, "off_meaning": OFF_MEANING}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        layout = make_layout(tmp)
        for preset in args.presets:
            results["presets"][preset] = budget_of(preset, layout)
            print_budget(preset, results["presets"][preset]["budget"])
        for preset in args.presets:
            try:
                costs = accuracy_costs(preset, layout, tmp, args, data)
            except Exception as exc:  # a training that fails is a result of this preset
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
                results["presets"][preset]["accuracy_cost"] = {"failed": msg}
                print(f"\n== {preset}: accuracy cost not measured: training failed: {msg}")
                continue
            results["presets"][preset]["accuracy_cost"] = costs
            print_costs(preset, costs)
    results["training"] = {
        "network": f"784-{args.hidden}-10",
        "data": data.source,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "protocol": "best-validation epoch on test (500/500 split of the 1,000 held-out images)",
    }
    results["quick"] = args.quick
    results["wall_s"] = round(time.perf_counter() - t0, 1)
    results["machine"] = machine()
    path = HERE / ("results_error_budget_quick.json" if args.quick else "results_error_budget.json")
    atomic_write_json(path, results)
    print(f"\nwall {results['wall_s']} s; wrote {path}")


if __name__ == "__main__":
    main()
