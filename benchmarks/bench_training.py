"""Speed of the training stage, measured side by side in one run.

1. One full-MNIST epoch (training pass over 60k images + validation + test + alignment) of
   784-800-800-10 in each mode, compiled once, then timed in interleaved rounds (``bp``, ``dfa``,
   ``dfa-gaussian``, ``dfa-photonic``, ``bp``, ...) so that load from other processes hits all modes
   alike. Reported: median wall time and median process CPU time per epoch, and the ratio
   ``dfa-photonic / dfa`` (target ≤ 1.15, and ≤ 2.0 s per epoch on this 2-core machine), beside
   a bare ``lax.scan`` of the same DFA products and one of their forward half alone (the rate of
   batch-64 products), and the floor that this machine's float32 matrix-product rate (a 2048³
   product, measured in the same run) puts under any epoch.
2. Many runs at once: ``R`` networks trained in one compiled program — unrolled (the ``R`` train
   steps one after another in one scan step) and ``vmap`` -ped over the runs — against the same
   ``R`` epochs run one after another with the single-run program.

``dfa-photonic`` uses ``--model photonic_model.npz`` if given, else a synthetic model: the default
``ReadoutParams`` (physical noise, offset encoding, 8-bit ADC) with ``B_realised = B_ideal`` + 2 %
RMS calibration error — the readout cost does not depend on the values of B̃.

3. ``--drift-only``: ``dfa`` against ``dfa-photonic`` with drift (a per-batch B̃(t) from ring
   temperatures fed to the compiled epoch), ratio of the medians (target ≤ 1.15).

Usage: ``python benchmarks/bench_training.py [--data DIR] [--model M] [--rounds 5] [--runs 4]
[--skip-epoch] [--skip-many] [--drift-only [--drift-hidden 800 800]]``;
writes ``benchmarks/results_bench_training.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def synthetic_model(
    path: Path, hidden: tuple[int, ...], source: str = "benchmarks/bench_training.py"
) -> Path:
    """A photonic_model.npz of random B (B_realised = B_ideal + 2 % noise) for timing only."""
    from photonic_dfa.network_model.artifact import (
        PhotonicModel,
        ReadoutParams,
        save_photonic_model,
    )

    rng = np.random.default_rng(0)
    b_ideal = tuple(rng.uniform(-1, 1, (n, 10)).astype(np.float32) for n in hidden)
    b_real = tuple((b + 0.02 * rng.standard_normal(b.shape)).astype(np.float32) for b in b_ideal)
    model = PhotonicModel(
        hidden=hidden,
        n_outputs=10,
        B_ideal=b_ideal,
        B_realised=b_real,
        readout=ReadoutParams(),
        provenance={"synthetic": source},
    )
    return save_photonic_model(model, path)


def timed(fn):
    """``(result, wall_s, cpu_s)`` of ``fn()`` (result fetched to the host)."""
    import jax

    w0, c0 = time.perf_counter(), time.process_time()
    out = jax.block_until_ready(fn())
    return out, time.perf_counter() - w0, time.process_time() - c0


def bare_dfa_epoch(data):
    """The issue's yardstick: a bare DFA epoch of 784-800-800-10 as one jitted ``lax.scan`` (data
    pre-normalised float32 in fixed batches, no shuffle, no partial batch, no metrics, no
    validation). Returns ``run() -> params``."""
    import jax
    import jax.numpy as jnp

    from photonic_dfa.training.mlp import init_feedback, init_mlp

    n = (data.train_x.shape[0] // 64) * 64
    x = ((data.train_x[:n].astype(jnp.float32) / 255 - 0.1307) / 0.3081).reshape(-1, 64, 784)
    y = data.train_y[:n].reshape(-1, 64)
    b1, b2 = init_feedback(jax.random.key(1), (800, 800))
    params = init_mlp(jax.random.key(0), (784, 800, 800, 10))
    vel = jax.tree_util.tree_map(jnp.zeros_like, params)

    @jax.jit
    def epoch(params, vel):
        def body(carry, xy):
            p, v = carry
            xb, yb = xy
            (w1, c1), (w2, c2), (w3, c3) = p
            a1 = xb @ w1 + c1
            h1 = jax.nn.relu(a1)
            a2 = h1 @ w2 + c2
            h2 = jax.nn.relu(a2)
            e = (jax.nn.softmax(h2 @ w3 + c3) - jax.nn.one_hot(yb, 10)) / 64
            d1 = (e @ b1.T / jnp.sqrt(800.0)) * (a1 > 0)
            d2 = (e @ b2.T / jnp.sqrt(800.0)) * (a2 > 0)
            g = ((xb.T @ d1, d1.sum(0)), (h1.T @ d2, d2.sum(0)), (h2.T @ e, e.sum(0)))
            v = jax.tree_util.tree_map(lambda v, g: 0.9 * v + g, v, g)
            p = jax.tree_util.tree_map(lambda p, v: p - 0.01 * v, p, v)
            return (p, v), None

        return jax.lax.scan(body, (params, vel), (x, y))[0]

    return lambda: epoch(params, vel)


def bare_forward_epoch(data):
    """The forward products of :func:`bare_dfa_epoch` alone (half its FLOP, no update): how fast
    this machine runs batch-64 products in a scan. Returns ``run() -> scalar``."""
    import jax
    import jax.numpy as jnp

    from photonic_dfa.training.mlp import init_mlp

    n = (data.train_x.shape[0] // 64) * 64
    x = ((data.train_x[:n].astype(jnp.float32) / 255 - 0.1307) / 0.3081).reshape(-1, 64, 784)
    params = init_mlp(jax.random.key(0), (784, 800, 800, 10))

    @jax.jit
    def epoch(params):
        def body(c, xb):
            (w1, c1), (w2, c2), (w3, c3) = params
            h1 = jax.nn.relu((xb + c) @ w1 + c1)  # + c: each batch depends on the last
            h2 = jax.nn.relu(h1 @ w2 + c2)
            return c + 1e-9 * jnp.sum(h2 @ w3 + c3), None

        return jax.lax.scan(body, jnp.float32(0.0), x)[0]

    return lambda: epoch(params)


def epoch_flop(n_train: int, sizes=(784, 800, 800, 10), n_out: int = 10) -> float:
    """Matrix-product FLOP of one DFA training pass: forward, ``B_k e`` and the weight gradients."""
    layers = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    feedback = sum(n * n_out for n in sizes[1:-1])
    return 2.0 * n_train * (2 * layers + feedback)


def gemm_peak(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matrix-product rate (FLOP/s) in XLA: best of ``repeats`` n³ products."""
    import jax
    import jax.numpy as jnp

    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    mm = jax.jit(lambda x: x @ x)
    jax.block_until_ready(mm(a))
    best = min(timed(lambda: mm(a))[1] for _ in range(repeats))
    return 2.0 * n**3 / best


def bench_modes(data, model_path: Path, rounds: int) -> dict:
    from photonic_dfa.config.training import TrainingConfig
    from photonic_dfa.training.run import _feedback_matrices, load_feedback_model
    from photonic_dfa.training.trainer import Trainer

    runs = {}
    for mode in ("bp", "dfa", "dfa-gaussian", "dfa-photonic"):
        cfg = TrainingConfig(mode=mode)
        pm, readout, _ = load_feedback_model(cfg, model_path if mode == "dfa-photonic" else None)
        trainer = Trainer(cfg, readout=readout)
        state, fb = trainer.init(B=_feedback_matrices(cfg, pm))
        (state, stats), wall, _ = timed(lambda t=trainer, s=state, f=fb: t.epoch(s, f, data))
        runs[mode] = {
            "trainer": trainer,
            "state": state,
            "fb": fb,
            "compile_s": wall,
            "wall": [],
            "cpu": [],
            "test_acc_epoch1": float(stats.test_acc),
        }
        print(f"{mode:13s} first epoch (compile + run) {wall:.2f} s", flush=True)
    bare = {"bare-dfa-scan": bare_dfa_epoch(data), "bare-forward-scan": bare_forward_epoch(data)}
    for name, fn in bare.items():
        _, wall, _ = timed(fn)
        runs[name] = {"compile_s": wall, "wall": [], "cpu": [], "test_acc_epoch1": None}
    for r in range(rounds):
        for mode, run in runs.items():
            if mode in bare:
                _, wall, cpu = timed(bare[mode])
            else:
                (run["state"], _), wall, cpu = timed(
                    lambda run=run: run["trainer"].epoch(run["state"], run["fb"], data)
                )
            run["wall"].append(wall)
            run["cpu"].append(cpu)
        print(
            f"round {r + 1}: " + "  ".join(f"{m} {v['wall'][-1]:.2f} s" for m, v in runs.items()),
            flush=True,
        )
    out = {
        m: {
            "wall_s": v["wall"],
            "cpu_s": v["cpu"],
            "wall_median_s": float(np.median(v["wall"])),
            "cpu_median_s": float(np.median(v["cpu"])),
            "compile_and_first_epoch_s": v["compile_s"],
            "test_acc_after_epoch_1": v["test_acc_epoch1"],
        }
        for m, v in runs.items()
    }
    ratio_wall = np.array(runs["dfa-photonic"]["wall"]) / np.array(runs["dfa"]["wall"])
    ratio_cpu = np.array(runs["dfa-photonic"]["cpu"]) / np.array(runs["dfa"]["cpu"])
    out["dfa_over_bare_scan"] = {
        "wall_ratio_of_medians": out["dfa"]["wall_median_s"]
        / out["bare-dfa-scan"]["wall_median_s"],
        "cpu_ratio_of_medians": out["dfa"]["cpu_median_s"] / out["bare-dfa-scan"]["cpu_median_s"],
        "note": "the trainer's epoch also shuffles, gathers uint8 batches, keeps the partial last "
        "batch, tracks loss/accuracy, validates, tests and measures the alignment angle",
    }
    flop = epoch_flop(int(data.train_x.shape[0]))
    peak = gemm_peak()
    fwd_s = out["bare-forward-scan"]["wall_median_s"]
    n_fwd = (int(data.train_x.shape[0]) // 64) * 64
    out["floor"] = {
        "training_pass_flop": flop,
        "gemm_peak_flop_per_s": peak,
        "training_pass_at_peak_s": flop / peak,
        "bare_scan_fraction_of_peak": flop / peak / out["bare-dfa-scan"]["wall_median_s"],
        "batch64_forward_flop_per_s": 2.0 * n_fwd * (784 * 800 + 800 * 800 + 800 * 10) / fwd_s,
        "note": "float32 2048³ XLA matrix product on this machine; no epoch can be faster than "
        "its matrix products at this rate",
    }
    out["photonic_over_dfa"] = {
        "wall_ratio_of_medians": out["dfa-photonic"]["wall_median_s"] / out["dfa"]["wall_median_s"],
        "cpu_ratio_of_medians": out["dfa-photonic"]["cpu_median_s"] / out["dfa"]["cpu_median_s"],
        "wall_ratio_per_round_median": float(np.median(ratio_wall)),
        "cpu_ratio_per_round_median": float(np.median(ratio_cpu)),
        "target_ratio": 1.15,
        "target_seconds": 2.0,
    }
    return out


def bench_many(
    data,
    hidden: tuple[int, ...],
    n_runs: int,
    *,
    shared_order: bool,
    rounds: int = 3,
    mode: str = "dfa-gaussian",
) -> dict:
    """One epoch of ``n_runs`` networks in one compiled program, unrolled and vmapped, against the
    same epochs run one after another with the single-run program.

    ``shared_order``: a noise study (one seed, so one data order, different noise std per run);
    else a seed study (each run its own seed and data order).
    """
    import jax
    import jax.numpy as jnp

    from photonic_dfa.config.training import TrainingConfig
    from photonic_dfa.training.trainer import Trainer

    cfg = TrainingConfig(mode=mode, hidden=hidden)
    trainers = {how: Trainer(cfg, many_runs=how) for how in ("unroll", "vmap")}
    single = trainers["unroll"]  # its epoch() is the single-run program, as in any Trainer
    seeds = [cfg.seed] * n_runs if shared_order else list(range(n_runs))
    stds = np.linspace(0.0, 1.0, n_runs) if shared_order else [cfg.noise_std] * n_runs

    def inits():
        out = []
        for seed, std in zip(seeds, stds, strict=True):
            st, f = single.init(seed=seed)
            out.append((st, f._replace(noise_std=jnp.float32(std))))
        return out

    def stacked():
        stack = lambda *x: jnp.stack(x)  # noqa: E731
        runs = inits()
        return (
            jax.tree_util.tree_map(stack, *[s for s, _ in runs]),
            jax.tree_util.tree_map(stack, *[f for _, f in runs]),
        )

    key = single.init(seed=cfg.seed)[0].key if shared_order else None
    progs = {}
    for how, trainer in trainers.items():
        state, fb = stacked()
        (state, _), compile_s, _ = timed(
            lambda t=trainer, s=state, f=fb: t.epoch_many(s, f, data, order_key=key)
        )
        progs[how] = {"trainer": trainer, "state": state, "fb": fb, "compile_s": compile_s}
    s0, f0 = inits()[0]
    timed(lambda: single.epoch(s0, f0, data))  # compile the single-run program
    singles = inits()
    wall = {how: [] for how in ("sequential", *progs)}
    cpu = {how: [] for how in wall}
    for _ in range(rounds):  # interleaved, so that load from other processes hits all alike
        for how, prog in progs.items():
            (prog["state"], _), w, c = timed(
                lambda p=prog: p["trainer"].epoch_many(p["state"], p["fb"], data, order_key=key)
            )
            wall[how].append(w)
            cpu[how].append(c)
        w0, c0 = time.perf_counter(), time.process_time()
        for i, (st, f) in enumerate(singles):
            st, stats = single.epoch(st, f, data)
            jax.block_until_ready(stats)
            singles[i] = (st, f)
        wall["sequential"].append(time.perf_counter() - w0)
        cpu["sequential"].append(time.process_time() - c0)
    med = {how: float(np.median(v)) for how, v in wall.items()}
    med_cpu = {how: float(np.median(v)) for how, v in cpu.items()}
    res = {
        "hidden": list(hidden),
        "mode": mode,
        "study": "noise (one seed, shared data order)" if shared_order else "seeds (own order)",
        "runs": n_runs,
        "rounds": rounds,
        "wall_s_per_round": wall,
        "epoch_wall_median_s": med,
        "epoch_cpu_median_s": med_cpu,
        "speedup_wall": {how: med["sequential"] / med[how] for how in progs},
        "speedup_cpu": {how: med_cpu["sequential"] / med_cpu[how] for how in progs},
        "compile_and_first_epoch_s": {how: p["compile_s"] for how, p in progs.items()},
        "default_on_this_backend": Trainer(cfg).many_runs,
    }
    print(
        f"{n_runs} × 784-{'-'.join(map(str, hidden))}-10 {mode} {res['study']}: sequential "
        f"{med['sequential']:.2f} s, one program unrolled {med['unroll']:.2f} s "
        f"(×{res['speedup_wall']['unroll']:.2f}), vmapped {med['vmap']:.2f} s "
        f"(×{res['speedup_wall']['vmap']:.2f}) (wall, medians of {rounds} rounds)",
        flush=True,
    )
    return res


def bench_drift(data, hidden: tuple[int, ...], rounds: int) -> dict:
    """``dfa`` against ``dfa-photonic`` with drift (B̃(t) = B̃ + J ΔT per batch, ring temperatures
    of a TEC-stabilised chip with threshold recalibration as scan input), interleaved rounds.
    The drift epoch's time includes generating its temperatures and recalibration schedule."""
    import jax.numpy as jnp

    from photonic_dfa.config.training import TrainingConfig
    from photonic_dfa.network_model.drift import DriftClock, DriftParams, drift_gram
    from photonic_dfa.training.run import _feedback_matrices, load_feedback_model
    from photonic_dfa.training.trainer import DriftFeedback, Trainer

    banks, d_r = 8, 10
    rng = np.random.default_rng(0)
    jac = tuple(rng.normal(0.0, 0.3, (n, 1, d_r, d_r)).astype(np.float32) for n in hidden)
    tile_bank = tuple((np.arange(n)[:, None] % banks).astype(np.int32) for n in hidden)
    gram = drift_gram(
        np.concatenate([j[:, 0] for j in jac]), np.concatenate(tile_bank)[:, 0], banks
    )
    params = DriftParams(ambient_K=0.01, local_K=0.005, recal_threshold_B=0.01, recal_time_s=1e-3)
    model = synthetic_model(Path(tempfile.mkdtemp()) / "drift.npz", hidden)
    runs: dict[str, dict] = {}
    for mode in ("dfa", "dfa-photonic+drift"):
        cfg = TrainingConfig(mode=mode.split("+")[0], hidden=hidden)
        pm, readout, _ = load_feedback_model(cfg, model if "photonic" in mode else None)
        trainer = Trainer(cfg, readout=readout)
        state, fb = trainer.init(B=_feedback_matrices(cfg, pm))
        if "drift" in mode:
            drift = DriftFeedback(tuple(map(jnp.asarray, jac)), tuple(map(jnp.asarray, tile_bank)))
            clock = DriftClock(params, gram, trainer.n_batches(int(data.train_x.shape[0])))

            def step(t=trainer, f=fb, d=drift, c=clock):
                return lambda s: t.epoch(s, f, data, d, c.next_epoch().dT)

            run_epoch = step()
        else:
            run_epoch = lambda s, t=trainer, f=fb: t.epoch(s, f, data)  # noqa: E731
        (state, _), wall, _ = timed(lambda r=run_epoch, s=state: r(s))
        runs[mode] = {"epoch": run_epoch, "state": state, "compile_s": wall, "wall": [], "cpu": []}
    for r in range(rounds):
        for run in runs.values():
            (run["state"], _), wall, cpu = timed(lambda run=run: run["epoch"](run["state"]))
            run["wall"].append(wall)
            run["cpu"].append(cpu)
        print(
            f"drift round {r + 1}: "
            + "  ".join(f"{m} {v['wall'][-1]:.2f} s" for m, v in runs.items())
        )
    med = {m: float(np.median(v["wall"])) for m, v in runs.items()}
    cpu = {m: float(np.median(v["cpu"])) for m, v in runs.items()}
    per_round = np.array(runs["dfa-photonic+drift"]["wall"]) / np.array(runs["dfa"]["wall"])
    return {
        "hidden": list(hidden),
        "banks": banks,
        "wall_s": {m: v["wall"] for m, v in runs.items()},
        "cpu_s": {m: v["cpu"] for m, v in runs.items()},
        "wall_median_s": med,
        "cpu_median_s": cpu,
        "drift_over_dfa_ratio_of_medians": med["dfa-photonic+drift"] / med["dfa"],
        "drift_over_dfa_cpu_ratio_of_medians": cpu["dfa-photonic+drift"] / cpu["dfa"],
        "drift_over_dfa_per_round_median": float(np.median(per_round)),
        "target_ratio": 1.15,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument(
        "--many-rounds", type=int, default=2, help="rounds for the 800-800 many-runs cases"
    )
    ap.add_argument("--results", type=Path, default=HERE / "results_bench_training.json")
    ap.add_argument("--skip-many", action="store_true")
    ap.add_argument("--skip-epoch", action="store_true")
    ap.add_argument(
        "--drift-only",
        action="store_true",
        help="run only the drift case (dfa vs dfa-photonic with drift)",
    )
    ap.add_argument("--drift-hidden", type=int, nargs="+", default=[800, 800])
    args = ap.parse_args()

    import jax

    from photonic_dfa.errors import PhotonicDFAError
    from photonic_dfa.io import atomic_write_json
    from photonic_dfa.training.data import load_mnist
    from photonic_dfa.training.run import device_data

    try:
        mnist = load_mnist(args.data)
    except PhotonicDFAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = device_data(mnist, 0.5, 1)
    model = args.model or synthetic_model(Path(tempfile.mkdtemp()) / "synthetic.npz", (800, 800))
    load = os.getloadavg()
    results = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "backend": jax.default_backend(),
            "loadavg_at_start": load,
            "jax": jax.__version__,
        },
        "model": str(model) if args.model else "synthetic (default ReadoutParams)",
    }
    if args.drift_only:  # the other parts of an earlier run kept as they were
        drift = bench_drift(data, tuple(args.drift_hidden), args.rounds)
        results["machine"]["loadavg_at_end"] = os.getloadavg()
        old = json.loads(args.results.read_text()) if args.results.is_file() else {}
        results = {**old, "drift": {**drift, "machine": results["machine"]}}
        atomic_write_json(args.results, results)
        shown = {k: v for k, v in results["drift"].items() if k not in ("wall_s", "cpu_s")}
        print(json.dumps(shown, indent=1))
        return 0
    if not args.skip_epoch:
        results["epoch"] = bench_modes(data, model, args.rounds)
    if args.results.is_file():  # keep the other part of an earlier run (--skip-epoch/--skip-many)
        old = json.loads(args.results.read_text())
        results = {**{k: v for k, v in old.items() if k in ("epoch", "many_runs")}, **results}
    if not args.skip_many:
        results["many_runs"] = [
            bench_many(data, (100,), args.runs, shared_order=True, rounds=args.rounds),
            bench_many(data, (100,), args.runs, shared_order=False, rounds=args.rounds),
            bench_many(data, (800, 800), args.runs, shared_order=True, rounds=args.many_rounds),
            bench_many(data, (800, 800), args.runs, shared_order=False, rounds=args.many_rounds),
        ]
    results["machine"]["loadavg_at_end"] = os.getloadavg()
    atomic_write_json(args.results, results)
    if "epoch" in results:
        e = results["epoch"]
        print(
            json.dumps({m: round(e[m]["wall_median_s"], 3) for m in e if "wall_median_s" in e[m]})
        )
        print(json.dumps(e["photonic_over_dfa"], indent=1))
        print(json.dumps(e["dfa_over_bare_scan"], indent=1))
        print(json.dumps(e["floor"], indent=1))
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
