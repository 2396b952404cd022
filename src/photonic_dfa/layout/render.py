"""PNG pictures of a layout: each layer's polygons (holes included) filled in its own colour."""

from __future__ import annotations

import os
from pathlib import Path

import gdsfactory as gf
import kfactory as kf
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.collections import PatchCollection
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from photonic_dfa.io import atomic_path
from photonic_dfa.layout.cells import LAYERS

__all__ = ["render_png"]

#: drawing order and style: layer name -> (face colour, alpha, label)
STYLE: dict[str, tuple[str, float, str]] = {
    "metal": ("#d4a017", 0.55, "metal (leads, pads)"),
    "pad_open": ("#8a6d00", 0.6, "pad opening"),
    "waveguide": ("#1f4e9c", 1.0, "Si waveguide"),
    "heater": ("#d62728", 0.75, "heater"),
    "detector": ("#2ca02c", 0.8, "photodetector"),
}


def _layer_paths(component: gf.Component, layer: tuple[int, int]) -> list[MplPath]:
    """All polygons of ``layer`` (flattened, merged), as matplotlib paths with holes."""
    index = component.kcl.layer(*layer)
    region = kf.kdb.Region(component.begin_shapes_rec(index)).merged()
    dbu = component.kcl.dbu
    paths = []
    for poly in region.each():
        verts, codes = [], []
        for contour in [
            poly.each_point_hull(),
            *(poly.each_point_hole(h) for h in range(poly.holes())),
        ]:
            pts = [(p.x * dbu, p.y * dbu) for p in contour]
            if len(pts) < 3:
                continue
            verts += [*pts, pts[0]]
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(pts) - 1) + [MplPath.CLOSEPOLY]
        if verts:
            paths.append(MplPath(verts, codes))
    return paths


def render_png(
    component: gf.Component,
    path: str | os.PathLike[str],
    *,
    title: str = "",
    width_in: float = 10.0,
    dpi: int = 150,
) -> Path:
    """Render ``component`` to a PNG (written atomically) with a legend of the layers."""
    box = component.dbbox()
    w, h = max(box.width(), 1e-3), max(box.height(), 1e-3)
    height_in = min(max(width_in * h / w, 2.5), 40.0)
    fig, ax = plt.subplots(figsize=(width_in, height_in + 0.8), dpi=dpi)
    handles = []
    for name, (colour, alpha, label) in STYLE.items():
        paths = _layer_paths(component, LAYERS[name])
        if not paths:
            continue
        patches = [PathPatch(p) for p in paths]
        ax.add_collection(
            PatchCollection(patches, facecolor=colour, edgecolor=colour, linewidth=0.2, alpha=alpha)
        )
        handles.append(Patch(facecolor=colour, alpha=alpha, label=label))
    margin = 0.02 * max(w, h)
    ax.set_xlim(box.left - margin, box.right + margin)
    ax.set_ylim(box.bottom - margin, box.top + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    if title:
        ax.set_title(title)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(fig)
    return Path(path)
