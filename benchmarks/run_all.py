"""Run every benchmark of the project and collect the figures the issues name.

    python benchmarks/run_all.py            # the speed benchmarks (about 10-15 min on 2 cores)
    python benchmarks/run_all.py --full     # plus the 50-epoch MNIST table and the noise study (hours)
    python benchmarks/run_all.py --collect  # only re-collect the existing results_*.json

Each benchmark script writes its own ``benchmarks/results_<name>.json``; this script runs them one
after another (never in parallel: the figures are timings) and writes ``benchmarks/results.json``:
a list of {benchmark, name, value, unit, target, meets_target} plus the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from _common import HERE, machine

SPEED = [
    ("layout", ["bench_layout.py"]),
    ("circuits", ["bench_circuits.py"]),
    ("extract", ["bench_extract.py"]),
    ("bench_training", ["bench_training.py"]),
]
FULL = [
    ("mnist_full", ["mnist_full.py", "--modes", "bp,dfa,dfa-gaussian,dfa-photonic"]),
    ("noise_study", ["noise_study.py"]),
]


def fig(bench: str, name: str, value: Any, unit: str, target: str = "", ok: bool | None = None):
    return {
        "benchmark": bench,
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "meets_target": ok,
    }


def _layout(d: dict) -> list[dict]:
    out = []
    for f in d["figures"]:
        target = f.get("target", "")
        ok = f["value"] < 20 if target else None
        out.append(fig("layout", f["name"], f["value"], f["unit"], target, ok))
    return out


def _circuits(d: dict) -> list[dict]:
    b, s = d["bus16_256x16"], d["spectrum16_2001"]
    return [
        fig("circuits", "bus16_256x16_batched", b["batched_fast_s"], "s"),
        fig(
            "circuits",
            "speedup_vs_python_loop_of_sax_circuit",
            b["speedup_vs_sax_loop"],
            "x",
            ">= 20x",
            b["speedup_vs_sax_loop"] >= 20,
        ),
        fig("circuits", "speedup_vs_loop_of_jitted_sax", b["speedup_vs_jitted_sax_loop"], "x"),
        fig("circuits", "speedup_vs_loop_of_jitted_fast", b["speedup_vs_jitted_fast_loop"], "x"),
        fig("circuits", "spectrum16_2001pts", s["fast_s"], "s", "< 0.5 s", s["fast_s"] < 0.5),
        fig("circuits", "fast_vs_sax_max_abs_diff", b["max_abs_diff_fast_vs_sax"], ""),
    ]


def _extract(d: dict) -> list[dict]:
    out = []
    for key, run in d["extract"].items():
        if isinstance(run, dict) and "wall_s" in run:
            ok = run["wall_s"] < 60 if run.get("rows") == 1600 else None
            out.append(fig("extract", f"extract_800_800_{key}", run["wall_s"], "s", "< 60 s", ok))
            if "bits_median" in run:
                out.append(fig("extract", f"bits_median_{key}", run["bits_median"], "bits"))
    return out


def _training(d: dict) -> list[dict]:
    e = d["epoch"]
    ratio = e["photonic_over_dfa"]
    out = [
        fig("training", f"epoch_{mode}_wall_median", e[mode]["wall_median_s"], "s")
        for mode in ("bp", "dfa", "dfa-gaussian", "dfa-photonic")
        if mode in e
    ]
    t = e["dfa-photonic"]["wall_median_s"]
    out.append(fig("training", "epoch_dfa-photonic", t, "s", "<= 2.0 s", t <= 2.0))
    r = ratio["wall_ratio_of_medians"]
    out.append(fig("training", "photonic_over_dfa_epoch", r, "x", "<= 1.15", r <= 1.15))
    if "floor" in e:
        f = e["floor"]
        out.append(fig("training", "gemm_peak_fp32", f["gemm_peak_flop_per_s"] / 1e9, "GFLOP/s"))
        out.append(fig("training", "training_pass_at_gemm_peak", f["training_pass_at_peak_s"], "s"))
        out.append(fig("training", "bare_scan_epoch", e["bare-dfa-scan"]["wall_median_s"], "s"))
        if "batch64_forward_flop_per_s" in f:
            rate = f["batch64_forward_flop_per_s"] / 1e9
            out.append(fig("training", "batch64_forward_products", rate, "GFLOP/s"))
    for v in d.get("many_runs", []):
        hidden = "-".join(str(h) for h in v["hidden"])
        label = f"{v['runs']}runs_{v['study'].split(' ')[0]}_{hidden}"
        for how, x in v["speedup_wall"].items():
            out.append(fig("training", f"{how}_speedup_{label}", x, "x"))
    return out


def _mnist(d: dict) -> list[dict]:
    goals = {"bp": 0.982, "dfa": 0.981, "dfa-gaussian": 0.973}
    out = []
    for mode, run in d["runs"].items():
        goal = goals.get(mode)
        out.append(
            fig(
                "mnist_full",
                f"test_acc_{mode}",
                run["test_acc"],
                "fraction",
                f">= {goal}" if goal else "",
                run["test_acc"] >= goal if goal else None,
            )
        )
    return out


def _reference(d: dict) -> list[dict]:
    out = []
    for tag, run in d.items():
        for who in ("torch", "photonic_dfa"):
            out.append(fig("reference_check", f"{tag}_{who}", run[who]["test_acc"], "fraction"))
    return out


def _noise(d: dict) -> list[dict]:
    out = [
        fig("noise_study", f"test_acc_sigma_{row['noise_std']:g}", row["test_acc"], "fraction")
        for row in d["levels"]
    ]
    per_epoch = d["seconds_per_epoch_all_runs"]
    out.append(fig("noise_study", f"epoch_of_{d['runs_in_one_program']}_runs", per_epoch, "s"))
    return out


ADAPTERS: dict[str, Callable[[dict], list[dict]]] = {
    "layout": _layout,
    "circuits": _circuits,
    "extract": _extract,
    "bench_training": _training,
    "mnist_full": _mnist,
    "noise_study": _noise,
    "reference_check": _reference,  # benchmarks/reference_check.py (needs torch; run by hand)
}


def collect() -> list[dict]:
    figures = []
    for name, adapter in ADAPTERS.items():
        path = HERE / f"results_{name}.json"
        if not path.is_file():
            continue
        try:
            figures += adapter(json.loads(path.read_text()))
        except (KeyError, TypeError, ValueError) as exc:
            figures.append(fig(name, "unreadable", None, "", f"{path.name}: {exc!r}"))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="also the long MNIST reproductions")
    ap.add_argument("--collect", action="store_true", help="do not run, only collect")
    args = ap.parse_args()
    timings = {}
    if not args.collect:
        for name, cmd in SPEED + (FULL if args.full else []):
            print(f"== {name}: python benchmarks/{' '.join(cmd)}", flush=True)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], cwd=HERE.parent)
            timings[name] = round(time.perf_counter() - start, 1)
            if proc.returncode != 0:
                print(f"   {name} failed with exit status {proc.returncode}", flush=True)
    figures = collect()
    payload = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "benchmark_seconds": timings,
        "figures": figures,
    }
    path = HERE / "results.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)
    width = max(len(f"{f['benchmark']}/{f['name']}") for f in figures) if figures else 10
    for f in figures:
        value = f["value"]
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        mark = {True: "ok", False: "MISSED", None: ""}[f["meets_target"]]
        print(
            f"{f['benchmark'] + '/' + f['name']:{width}}  {shown:>10} {f['unit']:8} {f['target']:10} {mark}"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
