"""Reading a written GDS back with klayout, independently of the code that drew it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import klayout.db as kdb


@dataclass
class GdsShapes:
    rings: list[kdb.DBox]  # bounding boxes of the ring-shaped (holed) waveguide polygons
    ring_hole_centers: list[tuple[float, float]]
    heaters: list[kdb.DBox]
    metal_islands: int
    wg: kdb.Region
    dbu: float


def read_gds(path: Path, layers: dict[str, list[int]]) -> GdsShapes:
    layout = kdb.Layout()
    layout.read(str(path))
    (top,) = layout.top_cells()
    dbu = layout.dbu

    def region(name: str) -> kdb.Region:
        layer, datatype = layers[name]
        return kdb.Region(top.begin_shapes_rec(layout.layer(layer, datatype))).merged()

    wg = region("waveguide")
    rings, centers = [], []
    for poly in wg.each():
        if poly.holes() == 1:
            rings.append(poly.bbox().to_dtype(dbu))
            hole = kdb.Polygon([p for p in poly.each_point_hole(0)]).bbox().to_dtype(dbu)
            centers.append((hole.center().x, hole.center().y))
    heaters = [p.bbox().to_dtype(dbu) for p in region("heater").each()]
    metal = region("metal").count()
    return GdsShapes(rings, centers, heaters, metal, wg, dbu)


def wg_touches(shapes: GdsShapes, x: float, y: float, r: float = 0.05) -> bool:
    """True if the waveguide layer covers a small box around (x, y) µm."""
    d = shapes.dbu
    box = kdb.Region(
        kdb.Box(round((x - r) / d), round((y - r) / d), round((x + r) / d), round((y + r) / d))
    )
    return not (box & shapes.wg).is_empty()
