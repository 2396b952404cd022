"""The yield study: what fraction of fabricated chips trains to a target accuracy, against σ.

``examples/studies/yield.toml``'s points — fabrication σ of the ring resonances 0.25 / 0.5 / 1 nm
(``model.fab_sigma_nm``, the ``independent`` model) × 20 chips (``model.fab_seed`` 0 … 19) × the
training seeds (default 1, 2) — on a base config carried here: the 4-ring × 1-bank chip of
``small.toml``, ``dfa-photonic`` only, and

* default: full MNIST (``--data``, default ``../shared/data/mnist``), 784-100-10, 5 epochs;
* ``--subset``: the embedded 5,000-image subset, 784-32-10, 2 epochs (``small.toml`` itself).

The study runs through the public API (:func:`photonic_dfa.study.run_study`, a ``LocalCluster``
of ``--workers`` processes) in ``--outdir`` (default ``runs/yield_study[_subset]``; a re-run
computes only the missing points). Printed and written to ``benchmarks/results_yield_study.json``:
yield per σ at ``--target-acc`` (default: as ``photonic-dfa study``, the best point's test
accuracy − 0.01) and over a sweep of targets; test accuracy mean / std / min / max per σ; and from
each chip's calibration report (``photonic_model.json``) what decides whether a chip can be
calibrated at all: the blue margin of the channel plan, the heater power to reach the channels, the
heater limit, the rings whose heater cannot reach their channel, and the B error after calibration.
The figure (yield vs σ; accuracy distribution per σ; data, network, epochs and target on it) goes to
``docs/images/yield_study[_subset].png``.

Usage: ``nice -n 5 python benchmarks/yield_study.py [--subset] [--seeds 1,2] [--workers 2]
[--target-acc A]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _common import figure, write_results  # noqa: E402

SIGMA = "model.fab_sigma_nm"
CHIP = "model.fab_seed"
SIGMAS = (0.25, 0.5, 1.0)
CHIPS = 20
#: the base configs: the 4-ring × 1-bank chip of examples/studies/small.toml, dfa-photonic only
NETWORK = {"full": ([100], 5), "subset": ([32], 2)}


def base_config(subset: bool, data: Path) -> str:
    hidden, epochs = NETWORK["subset" if subset else "full"]
    lines = ["[layout]", "rings = 4", "banks = 1", "", "[training]"]
    lines += [f"hidden = {hidden}", f"epochs = {epochs}", "", "[run]", "baselines = []"]
    if not subset:
        lines.append(f"data = {json.dumps(str(data))}")
    return "\n".join(lines) + "\n"


def study_file(seeds: list[int]) -> str:
    """``examples/studies/yield.toml``'s axes on ``base.toml`` (checked against it in main)."""
    return (
        f'base = "base.toml"\nseeds = {seeds}\n\n[axes]\n"{SIGMA}" = {list(SIGMAS)}\n'
        f'"{CHIP}" = {{ start = 0, stop = {CHIPS} }}\n'
    )


def _check_matches_example(study: Any) -> None:
    from photonic_dfa.study import load_study

    example = load_study(REPO / "examples" / "studies" / "yield.toml")
    mine = {(p.values[SIGMA], p.values[CHIP]) for p in study.points}
    theirs = {(p.values[SIGMA], p.values[CHIP]) for p in example.points}
    if mine != theirs:
        raise SystemExit(
            "benchmarks/yield_study.py: its axes differ from examples/studies/yield.toml"
        )


class _Progress:
    """One line per change of the counts (the benchmark runs in the background: no bar)."""

    def __init__(self) -> None:
        self.last: tuple[int, int, int] | None = None
        self.t0 = time.perf_counter()

    def __call__(self, done: int, running: int, failed: int, total: int) -> None:
        if (done, running, failed) != self.last:
            self.last = (done, running, failed)
            dt = time.perf_counter() - self.t0
            print(
                f"[{dt:7.0f} s] {done}/{total} done, {running} running, {failed} failed", flush=True
            )


def run(args: argparse.Namespace) -> tuple[Any, Any, float]:
    from photonic_dfa.study import load_study, run_study

    outdir = args.outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "base.toml").write_text(base_config(args.subset, args.data.resolve()))
    (outdir / "study.toml").write_text(study_file(args.seeds))
    study = load_study(outdir / "study.toml")
    _check_matches_example(study)
    t0 = time.perf_counter()
    result = run_study(study, outdir, workers=args.workers, progress=_Progress(), log=print)
    return study, result, time.perf_counter() - t0


def _ok(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r.get("status") == "ok" and r.get("test_acc") is not None]


def per_sigma(rows: list[dict], target: float) -> list[dict]:
    """Per σ: points, failures, test accuracy mean / std / min / max, yield at ``target``."""
    out = []
    for s in SIGMAS:
        mine = [r for r in rows if r[SIGMA] == s]
        acc = [r["test_acc"] for r in _ok(mine)]
        out.append(
            {
                "sigma_nm": s,
                "points": len(mine),
                "failed": len(mine) - len(acc),
                "acc_mean": statistics.mean(acc) if acc else None,
                "acc_std": statistics.stdev(acc) if len(acc) > 1 else None,
                "acc_min": min(acc, default=None),
                "acc_max": max(acc, default=None),
                "yield": sum(a >= target for a in acc) / len(acc) if acc else None,
                **_by_bank_yield(_ok(mine)),
            }
        )
    return out


def _by_bank_yield(rows: list[dict]) -> dict:
    """Chips whose bank misses the model's precision criterion (``yield_banks`` < 1: a ring
    below ``yield_min_bits``) and the mean test accuracy of the points on either kind of chip."""
    bad = [r for r in rows if (r.get("yield_banks") or 0.0) < 1.0]
    good = [r for r in rows if r not in bad]
    mean = lambda rs: statistics.mean(r["test_acc"] for r in rs) if rs else None  # noqa: E731
    return {
        "chips_below_bank_yield": len({r[CHIP] for r in bad}),
        "acc_mean_bank_ok": mean(good),
        "acc_mean_bank_below": mean(bad),
    }


def target_sweep(rows: list[dict], step: float = 0.0025) -> list[dict]:
    """Yield per σ at targets in ``step`` from below the worst point to above the best."""
    import numpy as np

    acc = [r["test_acc"] for r in _ok(rows)]
    lo, hi = np.floor(min(acc) / step) * step, np.ceil(max(acc) / step) * step
    sweep = []
    for t in np.arange(lo, hi + step / 2, step):
        t = round(float(t), 4)
        row = {"target": t}
        for s in SIGMAS:
            a = [r["test_acc"] for r in _ok(rows) if r[SIGMA] == s]
            row[str(s)] = sum(x >= t for x in a) / len(a) if a else None
        sweep.append(row)
    return sweep


def _chip(report: dict) -> dict:
    """What one chip's calibration report says about reaching its channels."""
    import numpy as np

    from photonic_dfa.network_model.fabrication import draw_offsets

    cal = report["calibration"]
    plan = cal["channel_plan"]
    red = np.asarray(plan["red_offset_nm"])
    eta = red / np.asarray(plan["heater_to_channel_mW"])  # own heater's tuning, nm/mW
    reach = eta * cal["heater_max_mW"]  # red shift at the heater limit (nm)
    # the model's own draw of this chip: a ring reaches its channel if 0 <= red − δ <= reach
    delta = draw_offsets(1, len(red), cal["fab_sigma_nm"], cal["fab_seed"])[0]
    need = red - delta
    return {
        "sigma_nm": cal["fab_sigma_nm"],
        "fab_seed": cal["fab_seed"],
        "margin_nm": plan["margin_nm"],
        "reach_nm": float(reach.min()),
        "offset_max_abs_nm": float(np.abs(delta).max()),
        "rings_out_of_reach": int(np.sum((need < 0) | (need > reach))),
        "heater_mW_mean": cal["heater_mW_mean"],
        "heater_mW_max": cal["heater_mW_max"],
        "heater_max_mW": cal["heater_max_mW"],
        "unreachable_targets": cal["unreachable_count"],
        "rms_B_median": cal["rms_B_median"],
        "bits_median": cal["bits_median"],
        "mac_error_std": cal["noise"]["physical"]["std"],
        "mac_bits": cal["noise"]["physical"]["effective_bits"],
        "pJ_per_mac": cal["energy"]["pJ_per_mac"],
    }


def chip_reports(outdir: Path) -> list[dict]:
    """One entry per chip (σ, fab_seed) from its ``photonic_model.json``."""
    chips: dict[tuple, dict] = {}
    for path in sorted(outdir.glob("runs/*/model/photonic_model.json")):
        c = _chip(json.loads(path.read_text()))
        chips[(c["sigma_nm"], c["fab_seed"])] = c
    return [chips[k] for k in sorted(chips)]


def chips_per_sigma(chips: list[dict]) -> list[dict]:
    """Per σ: the margin, reach, offsets, heater power, rings out of reach, B error, precision."""
    out = []
    for s in SIGMAS:
        mine = [c for c in chips if c["sigma_nm"] == s]
        if not mine:
            continue
        mean = lambda k, m=mine: statistics.mean(c[k] for c in m)  # noqa: E731
        out.append(
            {
                "sigma_nm": s,
                "chips": len(mine),
                "margin_nm": mine[0]["margin_nm"],
                "reach_nm": min(c["reach_nm"] for c in mine),
                "offset_max_abs_nm": max(c["offset_max_abs_nm"] for c in mine),
                "rings_out_of_reach": sum(c["rings_out_of_reach"] for c in mine),
                "chips_with_unreachable_targets": sum(c["unreachable_targets"] > 0 for c in mine),
                "heater_mW_mean": mean("heater_mW_mean"),
                "heater_mW_max": max(c["heater_mW_max"] for c in mine),
                "rms_B_median": mean("rms_B_median"),
                "bits_median": mean("bits_median"),
                "mac_error_std": mean("mac_error_std"),
                "mac_bits": mean("mac_bits"),
                "pJ_per_mac": mean("pJ_per_mac"),
            }
        )
    return out


def data_label(args: argparse.Namespace, study: Any) -> str:
    """Which data, network and epochs, as the study's points actually use them."""
    from photonic_dfa.training.data import split_holdout
    from photonic_dfa.training.run import resolve_data

    cfg = study.points[0].config
    data = resolve_data(cfg.run.data)
    _, test_idx = split_holdout(len(data.test_labels), cfg.training.val_fraction, 0)
    n_test = len(test_idx)
    kind = "embedded MNIST subset" if data.is_subset else "full MNIST"
    net = "-".join(str(n) for n in (784, *cfg.training.hidden, 10))
    return (
        f"{kind} ({len(data.train_labels):,} train / {n_test:,} test), {net} dfa-photonic, "
        f"{cfg.training.epochs} epochs, {cfg.layout.rings}-ring × {cfg.layout.banks}-bank chip"
    )


def _bank_ok(row: dict) -> bool:
    return (row.get("yield_banks") or 0.0) >= 1.0


def _yield_panel(ax: Any, rows: list[dict], stats: list[dict], target: float) -> None:
    import numpy as np

    ys = np.array([st["yield"] for st in stats], float)
    ns = np.array([st["points"] - st["failed"] for st in stats], float)
    err = 100 * np.sqrt(ys * (1 - ys) / np.maximum(ns, 1))
    ax.errorbar(SIGMAS, 100 * ys, yerr=err, marker="o", capsize=4, label="trained accuracy")
    banks = [np.mean([_bank_ok(r) for r in _ok(rows) if r[SIGMA] == s]) for s in SIGMAS]
    ax.plot(SIGMAS, 100 * np.asarray(banks), "s--", color="C2", label="bank within precision")
    ax.set_xlabel("fabrication σ of the ring resonances (nm)")
    ax.set_ylabel("yield (%)")
    ax.set_ylim(-5, 105)
    ax.set_xticks(SIGMAS)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title(
        f"test accuracy ≥ {100 * target:.2f} % ({int(ns[0])} points per σ; bars: binomial "
        "s.e.); bank within precision: the model's yield_banks",
        fontsize=8,
    )


def _accuracy_panel(ax: Any, rows: list[dict], target: float) -> None:
    import numpy as np

    rng, labelled = np.random.default_rng(0), set()
    for i, s in enumerate(SIGMAS):
        mine = [r for r in _ok(rows) if r[SIGMA] == s]
        ax.boxplot(
            [[100 * r["test_acc"] for r in mine]], positions=[i], widths=0.5, showfliers=False
        )
        for ok, style in ((True, {"color": "C0"}), (False, {"color": "C3", "marker": "x"})):
            acc = [100 * r["test_acc"] for r in mine if _bank_ok(r) == ok]
            name = "bank within precision" if ok else "bank below precision (yield_banks < 1)"
            label = name if acc and name not in labelled else None
            labelled.add(label)
            ax.scatter(
                i + rng.uniform(-0.15, 0.15, len(acc)), acc, s=12, alpha=0.7, label=label, **style
            )
    ax.axhline(100 * target, color="k", ls=":", label=f"target {100 * target:.2f} %")
    ax.set_xticks(range(len(SIGMAS)), [f"{s} nm" for s in SIGMAS])
    ax.set_xlabel("fabrication σ")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("every point (chip × seed); box: quartiles", fontsize=9)


def plot(rows: list[dict], stats: list[dict], target: float, label: str, path: Path) -> Path:
    """Yield vs σ and the accuracy of every point per σ, with ``label`` as the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from photonic_dfa.io import atomic_path

    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.8))
    _yield_panel(ax0, rows, stats, target)
    _accuracy_panel(ax1, rows, target)
    fig.suptitle(f"Yield study: {label}", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--subset", action="store_true", help="the embedded subset, 784-32-10, 2 epochs"
    )
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    ap.add_argument("--seeds", default="1,2", help="training seeds, comma-separated")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--target-acc", type=float, default=None, help="yield target in [0, 1]")
    ap.add_argument("--outdir", type=Path, default=None, help="study directory")
    args = ap.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        ap.error(f"--seeds {args.seeds!r}: give integers separated by commas, e.g. 1,2")
    if not args.seeds:
        ap.error("--seeds is empty: give at least one seed")
    if args.target_acc is not None and not 0.0 <= args.target_acc <= 1.0:
        ap.error(f"--target-acc {args.target_acc}: must be in [0, 1]")
    if args.workers < 1:
        ap.error(f"--workers {args.workers}: must be >= 1")
    if not args.subset and not args.data.is_dir():
        ap.error(f"--data {args.data}: no such directory (the full MNIST's IDX files; or --subset)")
    name = "yield_study_subset" if args.subset else "yield_study"
    args.outdir = args.outdir or REPO / "runs" / name
    return args


def _f(value: Any, spec: str) -> str:
    """``value`` formatted, or a dash of the same width where it is None."""
    return format(value, spec) if value is not None else format("–", spec.split(".")[0])


def _print(stats: list[dict], sweep: list[dict], chips: list[dict], target: float) -> None:
    print(f"\nyield at target test accuracy >= {target:.4f}:")
    head = ("sigma nm", "points", "failed", "yield", "mean", "std", "min", "max")
    print(" ".join(f"{h:>8}" for h in head))
    for st in stats:
        cells = [st["sigma_nm"], st["points"], st["failed"], st["yield"]]
        cells += [st[k] for k in ("acc_mean", "acc_std", "acc_min", "acc_max")]
        print(" ".join(_f(c, ">8") if isinstance(c, int) else _f(c, ">8.4f") for c in cells))
    print("\nchips whose bank misses the model's precision criterion (yield_banks < 1):")
    for st in stats:
        print(
            f"  sigma {st['sigma_nm']} nm: {st['chips_below_bank_yield']} of {CHIPS} chips; mean "
            f"test acc {_f(st['acc_mean_bank_ok'], '.4f')} on the others, "
            f"{_f(st['acc_mean_bank_below'], '.4f')} on them"
        )
    print("\nyield per sigma over targets:")
    print(f"{'target':>8} " + " ".join(f"{s:>8}" for s in SIGMAS))
    for row in sweep:
        print(f"{row['target']:>8.3f} " + " ".join(_f(row[str(s)], ">8.3f") for s in SIGMAS))
    print("\nper sigma, from the chips' calibration reports:")
    for c in chips:
        print("  " + ", ".join(f"{k} = {v:.4g}" for k, v in c.items()))


def _rule(args: argparse.Namespace) -> str:
    return "--target-acc" if args.target_acc is not None else "the best point's − 0.01"


def _wall_seconds(outdir: Path, seconds: float, computed: int) -> float | None:
    """The wall time of the run that computed the study's points (kept in the study directory,
    so that a re-run, which computes nothing, still reports it; None if no run here did)."""
    record = outdir / "benchmark_wall.json"
    if computed:
        record.write_text(json.dumps({"seconds": seconds, "computed": computed}))
    if not record.is_file():
        return None
    return float(json.loads(record.read_text())["seconds"])


def _write(args: argparse.Namespace, result: Any, seconds: float, analysis: dict) -> Path:
    rows, stats, target = result.rows, analysis["per_sigma"], analysis["target_acc"]
    tasks_s = sum(r.get("seconds") or 0.0 for r in rows if r.get("model_status") != "group")
    wall = _wall_seconds(result.studydir, seconds, result.computed)
    figures = [
        figure("study wall time (the run that computed the points)", wall, "s"),
        figure("worker time of the study's tasks (sum, as recorded per point)", tasks_s, "s"),
    ]
    for st in stats:
        s = st["sigma_nm"]
        figures += [
            figure(f"yield at sigma = {s} nm (test acc >= {target:.4f})", st["yield"], "fraction"),
            figure(f"test accuracy mean at sigma = {s} nm", st["acc_mean"], "fraction"),
            figure(f"test accuracy std at sigma = {s} nm", st["acc_std"], "fraction"),
        ]
    name = "yield_study_subset" if args.subset else "yield_study"
    return write_results(
        name,
        figures,
        seeds=args.seeds,
        workers=args.workers,
        computed_now=result.computed,
        **analysis,
        load_average=os.getloadavg(),
    )


def main(argv: list[str] | None = None) -> None:
    from photonic_dfa.study.results import default_target

    args = parse_args(argv)
    study, result, seconds = run(args)
    rows = result.rows
    target = args.target_acc if args.target_acc is not None else default_target(_ok(rows))
    stats, sweep = per_sigma(rows, target), target_sweep(rows)
    each_chip = chip_reports(result.studydir)
    label = data_label(args, study)
    name = "yield_study_subset" if args.subset else "yield_study"
    title = (
        f"{label}\n{CHIPS} chips (fab_seed) × {len(args.seeds)} training seeds per σ; yield "
        f"target: test accuracy ≥ {100 * target:.2f} % ({_rule(args)})"
    )
    png = plot(rows, stats, target, title, REPO / "docs" / "images" / f"{name}.png")
    _print(stats, sweep, chips_per_sigma(each_chip), target)
    analysis = {
        "setup": label,
        "target_acc": target,
        "target_rule": _rule(args),
        "per_sigma": stats,
        "target_sweep": sweep,
        "chips_per_sigma": chips_per_sigma(each_chip),
        "chips": each_chip,
        "figure_png": str(png.relative_to(REPO)),
    }
    path = _write(args, result, seconds, analysis)
    print(f"\nlabel: {label}\nwrote {path} and {png}")


if __name__ == "__main__":
    main()
