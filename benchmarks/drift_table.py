"""The README's drift table: ``extract`` on the test layout (2 default banks, hidden 24-13, 10
outputs) with 1 h of drift at 0.1 s per batch and threshold recalibration at 0.01 (units of B),
for a TEC-stabilised chip (0.01 K, 10 min; 5 mK per ring, 1 s: the integrated preset's drift) and
an unstabilised one (0.5 K, 30 min; 20 mK per ring [Padmaraju14]).

Prints the table's rows and writes ``benchmarks/results_drift_table.json``.
``python benchmarks/drift_table.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import figure, write_results

CHIPS = {
    "tec": {"drift_ambient_K": 0.01, "drift_ambient_tau_s": 600.0, "drift_local_K": 0.005},
    "unstabilised": {"drift_ambient_K": 0.5, "drift_ambient_tau_s": 1800.0, "drift_local_K": 0.02},
}
COMMON = {"drift_duration_s": 3600.0, "drift_batch_s": 0.1, "recal_threshold_B": 0.01}


def _test_layout(path: Path, banks: int = 2) -> Path:
    """The tests' layout description (``tests/_helpers/layouts.py``) written to ``path``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from _helpers.layouts import make_layout

    path.write_text(make_layout(banks=banks).to_json())
    return path


def _row(name: str, drift: dict[str, Any]) -> list[dict[str, Any]]:
    free, recal, lin = drift["no_recal"], drift["recal"], drift["linearisation"]
    print(
        f"{name}: no recal mean/max {free['error_B_mean']:.3g} / {free['error_B_max']:.3g}; "
        f"recal max {recal['error_B_max']:.3g}; {recal['count']:,} recalibrations, "
        f"{recal['time_s']:.3g} s ({100 * recal['time_fraction']:.3g} %), "
        f"{1e3 * recal['time_per_recal_s']:.3g} ms each; linear - circuit "
        f"{lin['linear_minus_exact_rms_B']:.2g} of a {lin['exact_change_rms_B']:.2g} change"
    )
    return [
        figure(f"{name}_no_recal_error_mean", free["error_B_mean"], "B"),
        figure(f"{name}_no_recal_error_max", free["error_B_max"], "B"),
        figure(f"{name}_recal_error_max", recal["error_B_max"], "B"),
        figure(f"{name}_recalibrations", recal["count"], "count"),
        figure(f"{name}_recal_time", recal["time_s"], "s"),
        figure(f"{name}_recal_time_fraction", recal["time_fraction"], "fraction"),
        figure(f"{name}_time_per_recal", recal["time_per_recal_s"], "s"),
        figure(f"{name}_linear_minus_circuit", lin["linear_minus_exact_rms_B"], "B"),
        figure(f"{name}_circuit_change", lin["exact_change_rms_B"], "B"),
    ]


def main() -> None:
    from photonic_dfa.config import load_config
    from photonic_dfa.network_model.run import enable_compilation_cache, extract

    enable_compilation_cache()
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        layout = _test_layout(Path(tmp) / "layout.json")
        for name, chip in CHIPS.items():
            cfg = load_config(model={**COMMON, **chip})
            out = Path(tmp) / name
            res = extract(layout, (24, 13), outdir=out, n_outputs=10, config=cfg)
            figures += _row(name, res.report["drift"])
    path = write_results("drift_table", figures, chips=CHIPS, common=COMMON, hidden=[24, 13])
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
