"""Example 1: draw a microring weight-bank array and inspect its geometry description.

    python examples/generate_layout.py --rings 10 --banks 4 -o out/example_layout

Writes weight_bank.gds (open it in KLayout), weight_bank.png, bank.png and layout.json, then
reads layout.json back the way the circuit stage does and prints each ring of bank 0.
"""

from __future__ import annotations

import argparse

from photonic_dfa.config import LayoutConfig
from photonic_dfa.layout import load_layout, write_layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rings", type=int, default=10)
    parser.add_argument("--banks", type=int, default=4)
    parser.add_argument("--radius-um", type=float, default=10.0)
    parser.add_argument("--gap-nm", type=float, default=150.0)
    parser.add_argument("-o", "--outdir", default="out/example_layout")
    args = parser.parse_args()

    cfg = LayoutConfig(
        rings=args.rings,
        banks=args.banks,
        radius_um=args.radius_um,
        gap_in_nm=args.gap_nm,
        gap_drop_nm=args.gap_nm,
    )
    result = write_layout(cfg, args.outdir)
    layout = load_layout(result.json_path)
    print(
        f"wrote {result.gds_path} ({layout.chip_size_um[0]:.0f} × {layout.chip_size_um[1]:.0f} µm)"
    )
    print("bank 0:  ring  channel   centre (µm)          round trip (µm)  heater (µm)")
    for ring in layout.banks[0].rings:
        x, y = ring.center_um
        print(
            f"        {ring.index:4d}  {ring.channel:7d}   ({x:8.3f}, {y:7.3f})   "
            f"{ring.round_trip_um:12.4f}   {ring.heater.length_um:8.2f}"
        )


if __name__ == "__main__":
    main()
