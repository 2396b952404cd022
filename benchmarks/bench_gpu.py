"""The GPU path of training: epoch time, 50 epochs with compilation, many runs in one program.

Self-contained: synthetic MNIST-shaped data (60,000 training and 10,000 held-out images of random
pixels; the time of an epoch does not depend on the pixel values) and a synthetic photonic model
(default ``ReadoutParams``: physical noise, offset encoding, 8-bit ADC; ``B_realised = B_ideal`` +
2 % RMS), so it needs no download and no layout/circuit stage. It runs ``dfa-photonic`` through
the package's :func:`~photonic_dfa.training.run.train_many` on the default JAX device:

1. one epoch of 784-800-800-10 (R = 1), compiled first (the compile time is reported apart);
2. 50 epochs of it including compilation (target: under 10 s on an H200);
3. R = 1, 8, 64 runs (seeds) in one compiled program (``vmap`` on a GPU): seconds per epoch of all
   runs and the throughput in run-epochs per second against R = 1 (target at R = 64: ≥ 20×).

Without a GPU it runs a smaller configuration (``--cpu-small``, the default there: 784-100-100-10,
6,000 training images, 3 epochs instead of 50, R = 1 and 8), which proves the script works but
says nothing about the GPU targets. Usage: ``python benchmarks/bench_gpu.py [--cpu-small |
--full]``; writes ``benchmarks/results_gpu.json`` (and ``$OUT/results_gpu.json`` if ``$OUT`` is
set). Under 5 minutes on a GPU.
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
sys.path.insert(0, str(HERE.parent / "src"))  # the checkout's package, wherever this runs

from bench_training import synthetic_model  # noqa: E402  (this directory, beside this script)


def synthetic_data(n_train: int, n_heldout: int):
    from photonic_dfa.training.data import MnistData

    rng = np.random.default_rng(0)
    return MnistData(
        train_images=rng.integers(0, 256, (n_train, 784), dtype=np.uint8),
        train_labels=rng.integers(0, 10, n_train).astype(np.int32),
        test_images=rng.integers(0, 256, (n_heldout, 784), dtype=np.uint8),
        test_labels=rng.integers(0, 10, n_heldout).astype(np.int32),
        source="synthetic (benchmarks/bench_gpu.py)",
    )


def _many(cfg, seeds, model, data, epochs):
    from photonic_dfa.training.run import train_many

    t0 = time.perf_counter()
    res = train_many(cfg, seeds=seeds, mode="dfa-photonic", model=model, data=data, epochs=epochs)
    return res, time.perf_counter() - t0


def main() -> None:
    import jax

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--cpu-small", action="store_true", help="the small configuration")
    size.add_argument("--full", action="store_true", help="the full configuration on any device")
    args = ap.parse_args()
    backend = jax.default_backend()
    small = args.cpu_small or (backend == "cpu" and not args.full)
    hidden, n_train, epochs, runs = (
        ((100, 100), 6000, 3, (1, 8)) if small else ((800, 800), 60000, 50, (1, 8, 64))
    )

    from photonic_dfa.config import load_config

    cfg = load_config(None, training={"hidden": list(hidden), "epochs": 2}).training
    data = synthetic_data(n_train, 10000 if not small else 1000)
    figures: dict[str, float] = {}
    with jax.enable_x64(False), tempfile.TemporaryDirectory() as tmp:
        model = synthetic_model(
            Path(tmp) / "photonic_model.npz", hidden, source="benchmarks/bench_gpu.py"
        )
        res, _ = _many(cfg, [1], model, data, 2)
        figures["compile_plus_first_epoch_s"] = res.compile_seconds
        figures["epoch_s_R1"] = res.seconds_per_epoch
        _, wall = _many(cfg, [1], model, data, epochs)  # the program is compiled again
        figures[f"{epochs}_epochs_including_compile_s"] = wall
        for r in runs:
            res, _ = _many(cfg, list(range(1, r + 1)), model, data, 2)
            figures[f"epoch_s_R{r}"] = res.seconds_per_epoch
            figures[f"throughput_run_epochs_per_s_R{r}"] = r / res.seconds_per_epoch
            figures[f"many_runs_R{r}"] = res.many_runs  # type: ignore[assignment]
        base = figures["throughput_run_epochs_per_s_R1"]
        for r in runs[1:]:
            figures[f"throughput_ratio_R{r}_vs_R1"] = (
                figures[f"throughput_run_epochs_per_s_R{r}"] / base
            )
    payload = {
        "benchmark": "gpu",
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "backend": backend,
        "devices": [str(d) for d in jax.devices()],
        "configuration": "cpu-small" if small else "full",
        "network": "-".join(str(n) for n in (784, *hidden, 10)),
        "train_images": n_train,
        "targets": "full on an H200: 50 epochs < 10 s incl. compile; R = 64 throughput >= 20x R = 1",
        "figures": figures,
    }
    text = json.dumps(payload, indent=2) + "\n"
    targets = [HERE / "results_gpu.json"]
    if os.environ.get("OUT"):
        targets.append(Path(os.environ["OUT"]) / "results_gpu.json")
    for path in targets:
        tmp_path = path.with_suffix(".json.tmp")
        tmp_path.write_text(text)
        tmp_path.replace(path)
    print(text)


if __name__ == "__main__":
    main()
