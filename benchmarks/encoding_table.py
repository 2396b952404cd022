"""Per-MAC error of each encoding-hardware effect on the default readout (README table).

    python benchmarks/encoding_table.py

The default readout chain (noise and 8-bit ADC on) with one effect at a time, on B ~ U[−1, 1]
(512 × 10) and 4,096 DFA-like error vectors e = softmax(z) − onehot(y), z ~ N(0, 2²): mean, std
and effective bits of the MAC error in units of max|e| (``mac_error_stats``). Writes
``benchmarks/results_encoding_table.json``.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, write_results

CASES = {
    "ideal": {},
    "MZM 25 dB": {"modulator": "mzm", "modulator_er_dB": 25.0},
    "MZM 25 dB, 16-point pre-distortion": {
        "modulator": "mzm",
        "modulator_er_dB": 25.0,
        "predistort_points": 16,
    },
    "ring modulator 8 dB": {"modulator": "ring", "modulator_er_dB": 8.0},
    "ring modulator 8 dB, 16-point pre-distortion": {
        "modulator": "ring",
        "modulator_er_dB": 8.0,
        "predistort_points": 16,
    },
    "laser power spread 0.5 dB": {"laser_spread_dB": 0.5},
    "laser power spread 1 dB": {"laser_spread_dB": 1.0},
    "BPD mismatch 2 %": {"bpd_mismatch": 0.02},
}


def main() -> int:
    import jax
    import jax.numpy as jnp

    from photonic_dfa.network_model.artifact import ReadoutParams
    from photonic_dfa.network_model.readout import mac_error_stats
    from photonic_dfa.network_model.run import _sample_errors

    rng = np.random.default_rng(0)
    e = jnp.asarray(_sample_errors(rng, 4096, 10))
    B = jnp.asarray(rng.uniform(-1.0, 1.0, (512, 10)), jnp.float32)
    figures = []
    print(f"{'encoding hardware':46s} {'mean':>7s} {'std':>7s} {'bits':>5s}")
    for name, fields in CASES.items():
        p = dataclasses.replace(ReadoutParams(), **fields)
        s = mac_error_stats(jax.random.key(1), e, B, p)
        print(f"{name:46s} {s['mean']:7.3f} {s['std']:7.3f} {s['effective_bits']:5.1f}")
        figures.append(figure(name, s["std"], "max|e|", mean=s["mean"], bits=s["effective_bits"]))
    print(f"wrote {write_results('encoding_table', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
