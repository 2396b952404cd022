"""``photonic-dfa --help`` wall time: this tree against a reference commit, side by side.

The reference (default ``f8ec738``, before the CLI loaded its commands lazily) is extracted with
``git archive`` into a temporary directory; both trees are timed in interleaved rounds, each a
fresh ``python -c`` that imports ``photonic_dfa.cli`` from that tree and prints the root help.
Writes ``benchmarks/results_cli_help.json``.

    python benchmarks/bench_cli_help.py [--rounds 7] [--ref f8ec738]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _common import HERE, figure, write_results

REPO = HERE.parent
CODE = (
    "import sys; sys.argv = ['photonic-dfa', '--help']\nfrom photonic_dfa.cli import main\nmain()\n"
)


def _extract(ref: str, dest: Path) -> Path:
    archive = dest / "ref.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "-C", str(REPO), "archive", ref, "src"], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest / "src"


def _time_help(src: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0 or "Usage" not in done.stdout:
        raise SystemExit(f"--help failed for {src}: {done.stderr.strip()[-300:]}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ref", default="f8ec738")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"reference": _extract(args.ref, Path(tmp)), "current": REPO / "src"}
        for src in trees.values():  # warm the file cache and byte-code of both trees
            _time_help(src)
        times: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, src in trees.items():
                times[name].append(_time_help(src))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<10} median {med[name]:.3f} s  ({', '.join(f'{x:.2f}' for x in t)})")
    print(f"speed-up {med['reference'] / med['current']:.1f}×; load average {load[0]:.2f}")
    write_results(
        "cli_help",
        [
            figure("help_s_reference", med["reference"], "s", ref=args.ref),
            figure("help_s_current", med["current"], "s", target="< 0.5 s"),
            figure("speedup", med["reference"] / med["current"], "x"),
        ],
        rounds=times,
        load_average=list(load),
    )


if __name__ == "__main__":
    main()
