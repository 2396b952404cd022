"""Write a weight-bank array: ``weight_bank.gds`` with its KLayout layer properties
``weight_bank.lyp``, the pictures ``weight_bank.png`` and ``bank.png``, ``layout.json``, and (when
verified, the default) the marker database ``weight_bank.lyrdb`` of ``photonic-dfa verify``.

All files are first written under temporary names in the output directory and renamed into place
only when every one of them was written, so an interrupted or failed run leaves the directory as it
was (earlier results included).
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from photonic_dfa import __version__
from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.coupler_data import has_coupler_data, nearest_coupler_points
from photonic_dfa.io import atomic_path, ensure_writable_dir, sha256_file
from photonic_dfa.layout.cells import LAYERS, activate_pdk, bank_array, plan_array
from photonic_dfa.layout.floorplan import ArrayPlan, mirror_bank_geometry
from photonic_dfa.layout.planner import BankPlan, bank_geometry, plan_bank
from photonic_dfa.layout.render import render_png, write_lyp
from photonic_dfa.layout.rules import DrcRules
from photonic_dfa.layout.schema import (
    LAYOUT_SCHEMA,
    LAYOUT_SCHEMA_VERSION,
    DetectorGeometry,
    GdsInfo,
    LayoutDescription,
    PadGeometry,
    PortGeometry,
)
from photonic_dfa.layout.verify import VerifyReport, verify_gds

__all__ = [
    "GDS_NAME",
    "JSON_NAME",
    "LYP_NAME",
    "LYRDB_NAME",
    "PNG_NAME",
    "LayoutResult",
    "write_layout",
]

GDS_NAME = "weight_bank.gds"
PNG_NAME = "weight_bank.png"
BANK_PNG_NAME = "bank.png"
JSON_NAME = "layout.json"
LYP_NAME = "weight_bank.lyp"
LYRDB_NAME = "weight_bank.lyrdb"


@dataclass(frozen=True)
class LayoutResult:
    """What :func:`write_layout` wrote."""

    description: LayoutDescription
    gds_path: Path
    png_path: Path
    bank_png_path: Path
    json_path: Path
    lyp_path: Path
    report: VerifyReport | None = None  # None when not verified
    lyrdb_path: Path | None = None

    @property
    def n_rings_total(self) -> int:
        return self.description.n_rings * self.description.n_banks


def coupler_data_notes(cfg: LayoutConfig) -> list[str]:
    """Notes for each bus gap of the design that simphony has no half-ring data for."""
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
                f"({cfg.wg_width_nm:g}×{cfg.thickness_nm:g} nm): the circuit stage needs your "
                f"coupler data ([circuit] coupler_in_s4p / coupler_drop_s4p); nearest points "
                f"with data: {near}"
            )
    return messages


def describe(
    cfg: LayoutConfig, *, gds_sha256: str, top_cell: str, chip_size_um
) -> LayoutDescription:
    """The :class:`LayoutDescription` of the array drawn from ``cfg``."""
    plan = plan_bank(cfg)
    arr = plan_array(cfg, plan)
    banks = tuple(
        mirror_bank_geometry(bank_geometry(cfg, plan, b, origin), origin[1])
        if mirrored
        else bank_geometry(cfg, plan, b, origin)
        for b, (origin, mirrored) in enumerate(zip(arr.bank_origins_um, arr.mirrored, strict=True))
    )
    component = bank_array(cfg)
    ports = {
        name: PortGeometry(
            center_um=(round(float(p.center[0]), 6), round(float(p.center[1]), 6)),
            orientation_deg=float(p.orientation),
        )
        for name, p in ((p.name, p) for p in component.ports)
        if name in ("input", "loopback0", "loopback1")
    }
    pads, detectors = _electrical_plan(plan, arr)
    area_um2 = chip_size_um[0] * chip_size_um[1]
    notes = coupler_data_notes(cfg)
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
        pads=pads,
        detectors=detectors,
        pad_pitch_um=plan.pad_pitch_um,
        pad_layout=plan.pad_kind,
        chip_area_mm2=round(area_um2 * 1e-6, 4),
        area_per_ring_um2=round(area_um2 / (cfg.rings * cfg.banks), 1),
        coupler_data={"simphony_has_data": not notes, "notes": notes},
    )


def _electrical_plan(
    plan: BankPlan, arr: ArrayPlan
) -> tuple[tuple[PadGeometry, ...], tuple[DetectorGeometry, ...]]:
    """Every pad and detector of the array, the banks placed (and mirrored) as ``arr`` says."""
    placed = [
        (b, ox, oy, -1.0 if mirrored else 1.0)
        for b, ((ox, oy), mirrored) in enumerate(
            zip(arr.bank_origins_um, arr.mirrored, strict=True)
        )
    ]
    pads = tuple(
        PadGeometry(
            bank=b,
            net=net,
            center_um=(round(ox + px, 6), round(oy + sign * py, 6)),
            size_um=plan.pad_size_um,
        )
        for b, ox, oy, sign in placed
        for net, px, py in zip(plan.pad_nets, plan.pad_x_um, plan.pad_row_y_um, strict=True)
    )
    detectors = tuple(
        DetectorGeometry(
            bank=b, role=role, input_um=(round(ox + plan.detector_x_um, 6), round(oy + sign * y, 6))
        )
        for b, ox, oy, sign in placed
        for role, y in zip(("through", "drop"), plan.detector_y_um, strict=True)
    )
    return pads, detectors


def _bank_box(plan: BankPlan) -> tuple[float, float, float, float]:
    """The region of ``bank.png``: the first three rings of bank 0 with the U-turn and the
    via stacks, leads and tracks below them (µm), at a scale where the waveguides show."""
    last = plan.ring_x_um[min(2, plan.n_rings - 1)]
    bottom = min(plan.track_y_um) - 2 * plan.lead_width_um
    return (plan.turn_x_um - 5.0, bottom, last + plan.radius_um + 10.0, plan.rail_y_um + 6.0)


def write_layout(
    cfg: LayoutConfig,
    outdir: str | os.PathLike[str],
    *,
    verify: bool = True,
    rules: DrcRules | None = None,
) -> LayoutResult:
    """Draw the array of ``cfg`` and write the GDS, its ``.lyp``, the pictures and ``layout.json``
    to ``outdir``; with ``verify`` (the default) also check the GDS (:func:`verify_gds` with
    ``rules``) and write the marker database. Violations do not stop the writing: they are in
    ``result.report``.

    Where simphony has no coupler data for the ring, ``layout.json`` says so
    (``coupler_data``) and names the nearest points that have data.

    Raises:
        PhotonicDFAError: ``outdir`` cannot be created or written.
        ValueError: the via stacks do not fit inside the rings.
    """
    outdir = ensure_writable_dir(outdir)
    activate_pdk()
    component = bank_array(cfg)
    box = component.dbbox()
    chip_size = (round(box.width(), 3), round(box.height(), 3))
    plan = plan_bank(cfg)

    gds_path, png_path = outdir / GDS_NAME, outdir / PNG_NAME
    bank_png_path, json_path = outdir / BANK_PNG_NAME, outdir / JSON_NAME
    lyp_path, lyrdb_path = outdir / LYP_NAME, outdir / LYRDB_NAME
    report = None
    with ExitStack() as stack:
        gds_tmp, lyp_tmp, png_tmp, bank_tmp, json_tmp = (
            stack.enter_context(atomic_path(p))
            for p in (gds_path, lyp_path, png_path, bank_png_path, json_path)
        )
        lyrdb_tmp = stack.enter_context(atomic_path(lyrdb_path)) if verify else None
        component.write_gds(gds_tmp, with_metadata=False)
        write_lyp(lyp_tmp)
        description = describe(
            cfg, gds_sha256=sha256_file(gds_tmp), top_cell=component.name, chip_size_um=chip_size
        )
        title = (
            f"{cfg.banks} bank(s) × {cfg.rings} ring(s), R = {cfg.radius_um:g} µm, "
            f"gaps {cfg.gap_in_nm:g}/{cfg.gap_drop_nm:g} nm — {chip_size[0]:.0f} × "
            f"{chip_size[1]:.0f} µm, {len(description.pads)} "
            f"{'bumps' if plan.pad_kind == 'bump' else 'edge pads'}"
        )
        render_png(gds_tmp, lyp_tmp, png_tmp, title=title, width_px=1600)
        render_png(
            gds_tmp,
            lyp_tmp,
            bank_tmp,
            box_um=_bank_box(plan),
            title=f"bank 0: rings 0–{min(2, cfg.rings - 1)} of {cfg.rings}",
            width_px=1800,
        )
        json_tmp.write_text(description.to_json())
        if lyrdb_tmp is not None:
            report = verify_gds(gds_tmp, rules)
            report.gds_path = gds_path
            report.write_lyrdb(lyrdb_tmp)
    if not verify:
        lyrdb_path.unlink(missing_ok=True)  # a marker database of an earlier GDS would mislead
    return LayoutResult(
        description,
        gds_path,
        png_path,
        bank_png_path,
        json_path,
        lyp_path,
        report,
        lyrdb_path if verify else None,
    )
