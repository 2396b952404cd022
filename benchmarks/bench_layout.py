"""Layout performance: a 64-bank × 16-ring array (1,024 rings) written as GDS + JSON + PNG.

Target (issue 2): under 20 s on the 2-core development machine. Runs in a fresh process so that no
cell is cached; prints the figures and writes benchmarks/results_layout.json.

    python benchmarks/bench_layout.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from _common import figure, write_results

SCRIPT = """
import time, sys
t0 = time.perf_counter()
from photonic_dfa.config import LayoutConfig
from photonic_dfa.layout.writer import write_layout
t1 = time.perf_counter()
r = write_layout(LayoutConfig(rings={rings}, banks={banks}), sys.argv[1])
t2 = time.perf_counter()
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{r.description.n_rings * r.description.n_banks}}")
"""


def run(rings: int, banks: int) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(rings=rings, banks=banks), tmp],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    t_import, t_write, n = proc.stdout.split()
    return wall, float(t_import), float(t_write), int(n)


def main() -> None:
    figures = []
    for rings, banks in ((10, 8), (16, 64)):
        wall, t_import, t_write, n = run(rings, banks)
        print(
            f"layout {banks} banks × {rings} rings ({n} rings): write {t_write:.2f} s "
            f"(+ import {t_import:.2f} s; whole process {wall:.2f} s)"
        )
        figures.append(
            figure(
                f"layout_write_{banks}x{rings}",
                round(t_write, 3),
                "s",
                target="< 20 s" if n == 1024 else None,
                process_wall_s=round(wall, 3),
            )
        )
    path = write_results("layout", figures)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
