"""Example 2: a circuit design sweep — ring radius, gap and channel spacing vs calibration precision.

    python examples/design_sweep.py -o out/example_design            # the full sweep (a few minutes)
    python examples/design_sweep.py --points 10:150 --spacings 0.8 --rings 4 --rows 8   # quick

For every (radius, gap) point of simphony's half-ring data and every channel spacing, it draws a
one-bank layout whose ring radii are staggered by one channel spacing, simulates its bus circuit,
calibrates random weight rows through it (perfect model knowledge, then the chip's own noisy readout)
and records the precision in bits. Writes ``design_sweep.json`` and ``design_sweep.png``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from photonic_dfa.circuits.models import waveguide_coefficients
from photonic_dfa.config import LayoutConfig, load_config
from photonic_dfa.io import atomic_write_json
from photonic_dfa.layout import write_layout
from photonic_dfa.network_model.run import extract

WL_NM = 1550.0


def radius_step_nm(radius_um: float, spacing_nm: float) -> float:
    """Radius increment that moves a resonance by one channel: Δλ/λ = (n_eff/n_g)·ΔR/R."""
    wg = waveguide_coefficients(500.0, 220.0)
    return spacing_nm / WL_NM * radius_um * 1e3 * wg.ng / wg.neff


def parse_points(text: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in item.split(":")) for item in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--points",
        default="5:50,5:100,10:100,10:150",
        help="radius_um:gap_nm pairs with simphony data, comma separated",
    )
    parser.add_argument("--spacings", default="0.4,0.8,1.6", help="channel spacings (nm)")
    parser.add_argument("--rings", type=int, default=8, help="rings per bank")
    parser.add_argument("--rows", type=int, default=32, help="random weight rows calibrated")
    parser.add_argument("-o", "--outdir", default="out/example_design")
    args = parser.parse_args()
    outdir = Path(args.outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    results = []
    for radius, gap in parse_points(args.points):
        for spacing in (float(s) for s in args.spacings.split(",")):
            layout_cfg = LayoutConfig(
                rings=args.rings,
                banks=1,
                radius_um=radius,
                gap_in_nm=gap,
                gap_drop_nm=gap,
                radius_step_nm=round(radius_step_nm(radius, spacing), 3),
            )
            fsr_nm = WL_NM**2 / (waveguide_coefficients().ng * 2 * math.pi * radius * 1e3)
            row = {"radius_um": radius, "gap_nm": gap, "spacing_nm": spacing, "fsr_nm": fsr_nm}
            if args.rings * spacing > fsr_nm:
                row["note"] = "channels do not fit one FSR"
                results.append(row)
                print(f"R={radius:g} µm gap={gap:g} nm spacing={spacing:g} nm: {row['note']}")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                layout = write_layout(layout_cfg, tmp).json_path
                for mode in ("model", "feedback"):
                    cfg = load_config(
                        model={
                            "channel_spacing_nm": spacing,
                            "calibration": mode,
                            "fab_sigma_nm": 0.0,
                        }
                    )
                    rep = extract(layout, [args.rows], config=cfg, plots=False).report
                    row[f"bits_{mode}"] = rep["bits_median"]
                    row[f"unreachable_{mode}"] = rep["unreachable_count"]
                row["worst_crosstalk_dB"] = rep["channel_plan"]["worst_crosstalk_dB"]
            results.append(row)
            print(
                f"R={radius:g} µm gap={gap:g} nm spacing={spacing:g} nm: "
                f"{row['bits_model']:.1f} bits (model), {row['bits_feedback']:.1f} bits (feedback), "
                f"crosstalk {row['worst_crosstalk_dB']:.1f} dB"
            )

    atomic_write_json(outdir / "design_sweep.json", {"results": results})
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for radius, gap in parse_points(args.points):
        pts = [
            r
            for r in results
            if r["radius_um"] == radius and r["gap_nm"] == gap and "bits_feedback" in r
        ]
        if pts:
            ax.plot(
                [r["spacing_nm"] for r in pts],
                [r["bits_feedback"] for r in pts],
                "o-",
                label=f"R = {radius:g} µm, gap {gap:g} nm",
            )
    ax.set_xlabel("channel spacing (nm)")
    ax.set_ylabel("calibration precision, feedback mode (bits)")
    ax.set_title("weight-bank design vs calibration precision")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(outdir / "design_sweep.png", dpi=130)
    print(f"wrote {outdir / 'design_sweep.json'} and {outdir / 'design_sweep.png'}")


if __name__ == "__main__":
    main()
