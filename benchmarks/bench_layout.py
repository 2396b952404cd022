"""Layout performance: a 64-bank × 16-ring array (1,024 rings) drawn, verified and written
(GDS + .lyp + JSON + both PNGs + .lyrdb), beside the layout code before issue 12 and the layout
code before the edge-pad / bump floorplan (issue 12 item 2) in the same run.

Target (issue 12, item 7): under 20 s on the 2-core development machine, verification and PNG
included. Each measurement runs in a fresh process so that no cell is cached. The reference is the
layout stage as of commit ``f8ec738`` (no via stacks, pads, detectors or verification; matplotlib
PNGs), checked out from git into a temporary directory and timed the same way; the ratio printed is
``new (draw + verify + write) / old (draw + write)`` for the same array. The second reference,
:data:`PADS_COMMIT`, is the layout with via stacks, detectors and verification but its pads in one
row per bank inside the chip; it is timed with verification like the new code, and the chip areas
of both are printed. The new code without verification (``verify=False``) is timed too. Writes
benchmarks/results_layout.json.

    python benchmarks/bench_layout.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import figure, write_results

REPO = Path(__file__).resolve().parents[1]
OLD_COMMIT = "f8ec738"
PADS_COMMIT = "cec0a0d"

SCRIPT = """
import time, sys
t0 = time.perf_counter()
from photonic_dfa.config import LayoutConfig
from photonic_dfa.layout.writer import write_layout
t1 = time.perf_counter()
kwargs = {{}} if {old} else {{"verify": {verify}}}
r = write_layout(LayoutConfig(rings={rings}, banks={banks}), sys.argv[1], **kwargs)
t2 = time.perf_counter()
ok = getattr(r, "report", None)
ok = "-" if ok is None else str(ok.ok)
w, h = r.description.chip_size_um
n = r.description.n_rings * r.description.n_banks
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{n}} {{ok}} {{w * h * 1e-6:.4f}}")
"""


def _old_src(tmp: Path, commit: str = OLD_COMMIT) -> Path:
    """The ``src`` tree of ``commit``, extracted with ``git archive`` into ``tmp``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "src"],
        capture_output=True,
        check=True,
    ).stdout
    tmp.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return tmp / "src"


def run(src: Path, rings: int, banks: int, *, old: bool, verify: bool = True):
    """Time one ``write_layout`` in a fresh process: (import s, write s, rings, verified clean,
    chip area mm²)."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as tmp:
        script = SCRIPT.format(rings=rings, banks=banks, old=old, verify=verify)
        proc = subprocess.run(
            [sys.executable, "-c", script, tmp], capture_output=True, text=True, check=True, env=env
        )
    t_import, t_write, n, ok, area = proc.stdout.split()
    return float(t_import), float(t_write), int(n), ok, float(area)


def main() -> None:
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        old_src = _old_src(Path(tmp) / "old")
        pads_src = _old_src(Path(tmp) / "pads", PADS_COMMIT)
        new_src = REPO / "src"
        for rings, banks in ((10, 8), (16, 64)):
            _, t_old, n, _, _ = run(old_src, rings, banks, old=True)
            _, t_pads, _, _, area_pads = run(pads_src, rings, banks, old=False, verify=True)
            _, t_plain, _, _, _ = run(new_src, rings, banks, old=False, verify=False)
            t_import, t_new, _, ok, area = run(new_src, rings, banks, old=False, verify=True)
            ratio = t_new / t_old
            print(
                f"layout {banks} banks × {rings} rings ({n} rings): drawn, verified (clean: {ok}) "
                f"and written in {t_new:.2f} s (+ import {t_import:.2f} s); without verification "
                f"{t_plain:.2f} s; before issue 12 ({OLD_COMMIT}, no verification) {t_old:.2f} s; "
                f"ratio new/old {ratio:.2f}; pads in rows ({PADS_COMMIT}, verified) "
                f"{t_pads:.2f} s, ratio {t_new / t_pads:.2f}; chip {area:.2f} mm² "
                f"({area * 1e6 / n:,.0f} µm² per ring) vs {area_pads:.2f} mm² with pad rows"
            )
            figures.append(
                figure(
                    f"layout_write_verify_{banks}x{rings}",
                    round(t_new, 3),
                    "s",
                    target="< 20 s" if n == 1024 else None,
                    verified_clean=ok,
                    without_verify_s=round(t_plain, 3),
                    old_layout_s=round(t_old, 3),
                    ratio_new_over_old=round(ratio, 3),
                    pad_rows_layout_s=round(t_pads, 3),
                    ratio_new_over_pad_rows=round(t_new / t_pads, 3),
                    chip_area_mm2=area,
                    chip_area_pad_rows_mm2=area_pads,
                    area_per_ring_um2=round(area * 1e6 / n, 1),
                )
            )
    path = write_results(
        "layout", figures, reference_commit=OLD_COMMIT, pad_rows_commit=PADS_COMMIT
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
