"""Pictures of a written GDS and its KLayout layer-properties file.

:func:`write_lyp` writes the generic PDK's layer properties (colours and names, from gdsfactory's
``layer_views.yaml``) as a ``.lyp`` that KLayout opens next to the GDS. :func:`render_png` draws a
region of the GDS with KLayout's own renderer (``klayout.lay.LayoutView``) in those colours and
frames it with matplotlib (axes in µm, a title, a legend of the layers drawn).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import klayout.db as kdb
import klayout.lay as klay
import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from photonic_dfa.io import atomic_path

__all__ = ["LEGEND", "render_png", "write_lyp"]

#: layers named in the legend: (layer, datatype) -> label
LEGEND: dict[tuple[int, int], str] = {
    (1, 0): "Si waveguide (WG)",
    (5, 0): "germanium (GE)",
    (47, 0): "heater (HEATER)",
    (44, 0): "VIA1",
    (45, 0): "M2",
    (43, 0): "VIA2",
    (49, 0): "M3 / MTOP",
    (46, 0): "pad opening (PADOPEN)",
}

#: layers hidden in the pictures (still in the GDS and the .lyp)
HIDDEN: frozenset[tuple[int, int]] = frozenset({(205, 0), (2, 0)})


def write_lyp(path: str | os.PathLike[str]) -> Path:
    """Write the generic PDK's KLayout layer properties to ``path`` (atomically)."""
    import gdsfactory as gf
    from gdsfactory.technology import LayerViews

    source = gf.gpdk.PDK.layer_views  # the path of the PDK's layer_views.yaml
    views = source if isinstance(source, LayerViews) else LayerViews(filepath=source)
    with atomic_path(path) as tmp:
        views.to_lyp(tmp)  # the temporary name ends in .lyp already
    return Path(path)


def _colours(lyp: Path) -> dict[tuple[int, int], str]:
    view = klay.LayoutView()
    view.load_layer_props(str(lyp))
    out = {}
    it = view.begin_layers()
    while not it.at_end():
        node = it.current()
        if node.source_layer >= 0:
            out[(node.source_layer, node.source_datatype)] = f"#{node.fill_color & 0xFFFFFF:06x}"
        it.next()
    return out


def render_png(
    gds: str | os.PathLike[str],
    lyp: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    box_um: tuple[float, float, float, float] | None = None,
    title: str = "",
    width_px: int = 1800,
) -> Path:
    """Render ``gds`` (or the region ``box_um = (x0, y0, x1, y1)`` of it, µm) to a PNG.

    Args:
        gds: the GDS file; its single top cell is drawn with all levels of hierarchy.
        lyp: KLayout layer properties (:func:`write_lyp`).
        path: the PNG written (atomically).
        box_um: region to draw; the whole cell if ``None``.
        title: picture title.
        width_px: the longer side of the rendered layout in pixels (the other follows the
            aspect ratio).
    """
    view = klay.LayoutView()
    view.load_layout(str(gds))
    view.load_layer_props(str(lyp))
    it = view.begin_layers()
    while not it.at_end():
        node = it.current()
        if (node.source_layer, node.source_datatype) in HIDDEN:
            props = node.dup()
            props.visible = False
            view.set_layer_properties(it, props)
        it.next()
    view.max_hier()
    top = view.cellview(0).layout().top_cell()
    box = kdb.DBox(*box_um) if box_um is not None else top.dbbox()
    box = box.enlarged(0.02 * box.width(), 0.02 * box.height())
    aspect = box.height() / box.width()
    if aspect > 1:
        width_px, height_px = max(200, round(width_px / aspect)), width_px
    else:
        height_px = max(200, round(width_px * aspect))
    colours = _colours(Path(lyp))
    present = {(info.layer, info.datatype) for info in view.cellview(0).layout().layer_infos()}
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.png"
        view.save_image_with_options(str(raw), width_px, height_px, 0, 0, 0, box, False)
        image = mpimg.imread(raw)
    dpi = 150
    fig, ax = plt.subplots(figsize=(width_px / dpi + 2.2, height_px / dpi + 0.8), dpi=dpi)
    ax.imshow(image, extent=(box.left, box.right, box.bottom, box.top), interpolation="none")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    if title:
        ax.set_title(title)
    handles = [
        Patch(facecolor=colours.get(layer, "#888888"), label=label)
        for layer, label in LEGEND.items()
        if layer in present
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    plt.close(fig)
    return Path(path)
