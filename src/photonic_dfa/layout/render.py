"""Pictures of a written GDS and its KLayout layer-properties file.

:func:`write_lyp` writes the generic PDK's layer properties (colours and names, from gdsfactory's
``layer_views.yaml``) as a ``.lyp`` that KLayout opens next to the GDS. :func:`render_png` draws a
region of the GDS with KLayout's own renderer (``klayout.lay.LayoutView``, with its scale bar) in
those colours and adds a title and a legend of the layers drawn (Pillow).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import klayout.db as kdb
import klayout.lay as klay
from PIL import Image, ImageDraw, ImageFont

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


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (shipped with matplotlib: it has µ and ×), else Pillow's default font."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size=size)


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
        layout_image = Image.open(raw).convert("RGB")
    legend = [(colours.get(layer, "#888888"), label) for layer, label in LEGEND.items()]
    legend = [
        (c, label) for (c, label), layer in zip(legend, LEGEND, strict=True) if layer in present
    ]
    font = _font(18)
    head, side = 40, 290
    canvas = Image.new(
        "RGB", (width_px + side, max(height_px, 30 * len(legend) + 20) + head), "white"
    )
    canvas.paste(layout_image, (0, head))
    draw = ImageDraw.Draw(canvas)
    draw.text((10, 10), title, fill="black", font=font)
    for k, (colour, label) in enumerate(legend):
        y = head + 10 + 30 * k
        draw.rectangle((width_px + 12, y, width_px + 36, y + 20), fill=colour, outline="black")
        draw.text((width_px + 46, y), label, fill="black", font=font)
    with atomic_path(path) as tmp_png:
        canvas.save(tmp_png, format="PNG")
    return Path(path)
