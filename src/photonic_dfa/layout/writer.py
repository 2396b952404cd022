"""Write a weight-bank array: ``weight_bank.gds``, ``weight_bank.png``, ``bank.png``, ``layout.json``.

All files are first written under temporary names in the output directory and renamed into place
only when every one of them was written, so an interrupted or failed run leaves the directory as it
was (earlier results included).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from photonic_dfa import __version__
from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.coupler_data import has_coupler_data, nearest_coupler_points
from photonic_dfa.io import atomic_path, ensure_writable_dir, sha256_file
from photonic_dfa.layout.cells import LAYERS, activate_pdk, bank_array, plan_array, weight_bank
from photonic_dfa.layout.planner import bank_geometry, plan_bank
from photonic_dfa.layout.render import render_png
from photonic_dfa.layout.schema import (
    LAYOUT_SCHEMA,
    LAYOUT_SCHEMA_VERSION,
    GdsInfo,
    LayoutDescription,
    PortGeometry,
)

__all__ = [
    "GDS_NAME",
    "JSON_NAME",
    "PNG_NAME",
    "LayoutResult",
    "NoCouplerDataWarning",
    "write_layout",
]

GDS_NAME = "weight_bank.gds"
PNG_NAME = "weight_bank.png"
BANK_PNG_NAME = "bank.png"
JSON_NAME = "layout.json"


class NoCouplerDataWarning(UserWarning):
    """The ring radius/gap has no simphony half-ring data: it can be drawn but not simulated."""


@dataclass(frozen=True)
class LayoutResult:
    """What :func:`write_layout` wrote."""

    description: LayoutDescription
    gds_path: Path
    png_path: Path
    bank_png_path: Path
    json_path: Path

    @property
    def n_rings_total(self) -> int:
        return self.description.n_rings * self.description.n_banks


def coupler_data_warnings(cfg: LayoutConfig) -> list[str]:
    """Messages for each bus gap of the design that simphony has no half-ring data for."""
    messages = []
    for label, gap in (("gap_in_nm", cfg.gap_in_nm), ("gap_drop_nm", cfg.gap_drop_nm)):
        if not has_coupler_data(cfg.radius_um, gap, cfg.wg_width_nm, cfg.thickness_nm):
            near = ", ".join(
                str(p)
                for p in nearest_coupler_points(
                    cfg.radius_um, gap, cfg.wg_width_nm, cfg.thickness_nm
                )
            )
            messages.append(
                f"no simphony coupler data for radius_um={cfg.radius_um:g}, {label}={gap:g} "
                f"({cfg.wg_width_nm:g}×{cfg.thickness_nm:g} nm): the layout is drawn, but the "
                f"circuit stage cannot simulate it; nearest points with data: {near}"
            )
    return messages


def describe(
    cfg: LayoutConfig, *, gds_sha256: str, top_cell: str, chip_size_um
) -> LayoutDescription:
    """The :class:`LayoutDescription` of the array drawn from ``cfg``."""
    plan = plan_bank(cfg)
    arr = plan_array(cfg, plan)
    banks = tuple(
        bank_geometry(cfg, plan, b, origin) for b, origin in enumerate(arr.bank_origins_um)
    )
    component = bank_array(cfg)
    ports = {
        name: PortGeometry(
            center_um=(round(float(p.center[0]), 6), round(float(p.center[1]), 6)),
            orientation_deg=float(p.orientation),
        )
        for name, p in ((p.name, p) for p in component.ports)
        if name == "input"
    }
    return LayoutDescription(
        schema_=LAYOUT_SCHEMA,
        schema_version=LAYOUT_SCHEMA_VERSION,
        generator={"package": "photonic_dfa", "version": __version__},
        parameters=cfg,
        gds=GdsInfo(file=GDS_NAME, sha256=gds_sha256, top_cell=top_cell),
        layers=dict(LAYERS),
        chip_size_um=chip_size_um,
        n_rings=cfg.rings,
        n_banks=cfg.banks,
        banks=banks,
        ports=ports,
        splitter={
            "cell": cfg.splitter,
            "levels": arr.tree_levels,
            "outputs": 2**arr.tree_levels,
            "outputs_used": cfg.banks,
            "power_fraction_per_bank": 0.5**arr.tree_levels,
        },
    )


def write_layout(cfg: LayoutConfig, outdir: str | os.PathLike[str]) -> LayoutResult:
    """Draw the array of ``cfg`` and write the GDS, the pictures and ``layout.json`` to ``outdir``.

    Warns (:class:`NoCouplerDataWarning`) when simphony has no coupler data for the ring.

    Raises:
        PhotonicDFAError: ``outdir`` cannot be created or written.
    """
    outdir = ensure_writable_dir(outdir)
    for message in coupler_data_warnings(cfg):
        warnings.warn(message, NoCouplerDataWarning, stacklevel=2)
    activate_pdk()
    component = bank_array(cfg)
    box = component.dbbox()
    chip_size = (round(box.width(), 3), round(box.height(), 3))

    gds_path, png_path = outdir / GDS_NAME, outdir / PNG_NAME
    bank_png_path, json_path = outdir / BANK_PNG_NAME, outdir / JSON_NAME
    with (
        atomic_path(gds_path) as gds_tmp,
        atomic_path(png_path) as png_tmp,
        atomic_path(bank_png_path) as bank_tmp,
        atomic_path(json_path) as json_tmp,
    ):
        component.write_gds(gds_tmp, with_metadata=False)
        description = describe(
            cfg, gds_sha256=sha256_file(gds_tmp), top_cell=component.name, chip_size_um=chip_size
        )
        title = (
            f"{cfg.banks} bank(s) × {cfg.rings} ring(s), R = {cfg.radius_um:g} µm, "
            f"gaps {cfg.gap_in_nm:g}/{cfg.gap_drop_nm:g} nm — {chip_size[0]:.0f} × {chip_size[1]:.0f} µm"
        )
        render_png(component, png_tmp, title=title)
        render_png(weight_bank(cfg), bank_tmp, title=f"one bank: {cfg.rings} ring(s)", width_in=14)
        json_tmp.write_text(description.to_json())
    return LayoutResult(description, gds_path, png_path, bank_png_path, json_path)
