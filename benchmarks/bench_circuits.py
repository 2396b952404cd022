"""Circuit-stage benchmark: vectorised bus evaluation vs per-heater-vector loops, side by side.

Measured in one run, after compilation (best of ``--repeat``), float64:

1. a 16-ring bus at 256 heater vectors × 16 wavelengths: one batched call of
   ``BankCircuit.through_drop`` against Python loops that call, once per heater vector, (a) the
   SAX netlist circuit as ``sax.circuit`` returns it, (b) the same jitted, (c) the jitted fast
   path itself (a single call is already vectorised over rings × wavelengths);
2. a 2,001-point spectrum (S-matrix) of a 16-ring bus: fast path and SAX reference;
3. calibration-sized work: 1,600 banks × 10 rings at their 10 channel wavelengths — weights, and
   weights with the heater Jacobian (``through_drop_and_jacobian`` vs ``vmap(jacfwd)``).

Writes ``benchmarks/results_circuits.json``.

    python benchmarks/bench_circuits.py [--repeat 3] [--sax-loop 256]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from photonic_dfa.circuits import BankCircuit, BankDesign, sax_reference
from photonic_dfa.config import CircuitConfig, LayoutConfig
from photonic_dfa.io import atomic_write_json
from photonic_dfa.layout import design_bank

RESULTS = Path(__file__).with_name("results_circuits.json")


def best_of(fn, repeat: int) -> float:
    jax.block_until_ready(fn())  # compile / warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t)
    return min(times)


def bank(rings: int):
    cfg = LayoutConfig(rings=rings)
    return design_bank(cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sax-loop", type=int, default=256, help="heater vectors of the SAX loop")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    cfg = CircuitConfig()
    out: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_1min": os.getloadavg()[0],
            "python": platform.python_version(),
            "jax": jax.__version__,
            "backend": jax.default_backend(),
        }
    }

    # 1. 16-ring bus, 256 heater vectors × 16 wavelengths ------------------------------------
    b16 = bank(16)
    wl16 = np.linspace(1.546, 1.558, 16)
    d16 = BankDesign.from_geometry(b16, cfg)
    c16 = BankCircuit.build(d16, wl16)
    heaters = jnp.asarray(rng.uniform(0, 5, (256, 16)))
    t_batch = best_of(lambda: c16.through_drop(heaters), args.repeat)
    t_fast_loop = best_of(lambda: [c16.through_drop(h) for h in heaters], args.repeat)

    sax_circuit = sax_reference.sax_circuit(d16, c16)

    def sax_settings(h):
        phase = c16.ring_phase_rad(h)
        s = {}
        for i in range(16):
            s[f"r{i}_arc_r"] = {"extra_phase_rad": 0.5 * phase[i]}
            s[f"r{i}_arc_l"] = {"extra_phase_rad": 0.5 * phase[i]}
        return s

    def sax_td(h):
        sd = sax_circuit(wl=c16.wl_um, **sax_settings(h))
        return jnp.abs(sd[("in", "through")]) ** 2, jnp.abs(sd[("in", "drop")]) ** 2

    sax_jit = jax.jit(sax_td)
    m = min(args.sax_loop, 256)
    t_sax_loop = best_of(lambda: [sax_td(h) for h in heaters[:m]], 1) * 256 / m
    t_sax_jit_loop = best_of(lambda: [sax_jit(h) for h in heaters], args.repeat)
    # consistency of the two models on this problem
    t_ref = np.stack([np.asarray(sax_jit(h)[0]) for h in heaters[:8]])
    diff = float(np.max(np.abs(np.asarray(c16.through_drop(heaters[:8])[0]) - t_ref)))
    out["bus16_256x16"] = {
        "batched_fast_s": t_batch,
        "loop_sax_circuit_s": t_sax_loop,
        "loop_sax_circuit_measured_vectors": m,
        "loop_sax_jitted_s": t_sax_jit_loop,
        "loop_fast_jitted_s": t_fast_loop,
        "speedup_vs_sax_loop": t_sax_loop / t_batch,
        "speedup_vs_jitted_sax_loop": t_sax_jit_loop / t_batch,
        "speedup_vs_jitted_fast_loop": t_fast_loop / t_batch,
        "max_abs_diff_fast_vs_sax": diff,
    }

    # 2. 2,001-point spectrum of a 16-ring bus ---------------------------------------------
    wl2k = np.linspace(1.54, 1.56, 2001)
    c2k = BankCircuit.build(d16, wl2k)
    h0 = jnp.asarray(rng.uniform(0, 5, 16))
    t_spec = best_of(lambda: c2k.sparams(h0), args.repeat)
    sax_fn = sax_reference.sax_circuit(d16, c2k)  # outside jit: its analysis needs concrete data
    sax2k = jax.jit(lambda h: sax_reference.sax_sparams(sax_fn, c2k, h))
    t_spec_sax = best_of(lambda: sax2k(h0), args.repeat)
    out["spectrum16_2001"] = {
        "fast_s": t_spec,
        "sax_jitted_s": t_spec_sax,
        "target_s": 0.5,
        "max_abs_diff_fast_vs_sax": float(
            np.max(np.abs(np.asarray(c2k.sparams(h0)) - np.asarray(sax2k(h0))))
        ),
    }

    # 3. calibration-sized: 1,600 banks × 10 rings at 10 channel wavelengths -----------------
    b10 = bank(10)
    c10 = BankCircuit.from_geometry(b10, cfg, np.linspace(1.5461, 1.5533, 10))
    p = jnp.asarray(rng.uniform(0, 5, (1600, 10)))
    s = jnp.asarray(rng.normal(0, 0.2, (1600, 10)))

    def w(pp, ss):
        t, d = c10.through_drop(pp, ss)
        return d - t

    t_w = best_of(lambda: c10.through_drop(p, s), args.repeat)
    t_j = best_of(lambda: c10.through_drop_and_jacobian(p, s), args.repeat)
    jf = jax.jit(jax.vmap(jax.jacfwd(w)))
    t_jf = best_of(lambda: jf(p, s), args.repeat)
    out["calibration_1600x10"] = {
        "weights_s": t_w,
        "weights_and_jacobian_s": t_j,
        "vmap_jacfwd_s": t_jf,
        "ten_lm_iterations_estimate_s": 10 * t_j,
    }
    atomic_write_json(RESULTS, out)
    print(json.dumps(out, indent=2))
    r = out["bus16_256x16"]
    print(
        f"\n16-ring bus, 256 heater vectors × 16 λ: batched {r['batched_fast_s'] * 1e3:.1f} ms; "
        f"loop over SAX circuit {r['loop_sax_circuit_s']:.2f} s ({r['speedup_vs_sax_loop']:.0f}×), "
        f"over jitted SAX {r['loop_sax_jitted_s'] * 1e3:.0f} ms "
        f"({r['speedup_vs_jitted_sax_loop']:.1f}×), over jitted fast path "
        f"{r['loop_fast_jitted_s'] * 1e3:.0f} ms ({r['speedup_vs_jitted_fast_loop']:.1f}×)"
    )
    print(
        f"2,001-point spectrum, 16 rings: {out['spectrum16_2001']['fast_s'] * 1e3:.1f} ms "
        f"(SAX {out['spectrum16_2001']['sax_jitted_s'] * 1e3:.1f} ms; target < 500 ms)"
    )


if __name__ == "__main__":
    with jax.enable_x64(True):
        main()
