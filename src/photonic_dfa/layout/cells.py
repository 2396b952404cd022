"""gdsfactory cells of the weight-bank array (generic PDK layers).

Cells draw exactly what :func:`photonic_dfa.layout.planner.plan_bank` computes. The generic PDK
must be active (:func:`activate_pdk`); nothing here activates it on import.

* :func:`ring_heater` — one add-drop racetrack ring with its heater, the heater routed to a pad pair
  (a weight bank of one ring).
* :func:`weight_bank` — N rings between an input/through bus and a drop bus, each heater on its own
  pad pair along the bottom edge; optical ports ``in``, ``through``, ``add``, ``drop``.
* :func:`bpd` — balanced-photodetector placeholder: two optical inputs, three pads.
* :func:`bank_array` — M banks fed from one grating coupler through a 1×M MMI tree, each bank's
  through and drop (brought round by a U-turn) ending at its BPD.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import gdsfactory as gf
import kfactory as kf
import numpy as np

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.layout.planner import BankPlan, heater_outline, plan_bank

__all__ = [
    "LAYERS",
    "ArrayPlan",
    "activate_pdk",
    "bank_array",
    "bpd",
    "ring_heater",
    "weight_bank",
]

#: layers used (generic PDK numbers): name -> (layer, datatype)
LAYERS: dict[str, tuple[int, int]] = {
    "waveguide": (1, 0),  # WG
    "heater": (47, 0),  # HEATER
    "metal": (49, 0),  # M3 / MTOP: leads and pads
    "pad_open": (46, 0),  # PADOPEN
    "detector": (5, 0),  # GE: photodetector placeholder
    "text": (66, 0),  # TEXT
}

BEND_RADIUS_UM = 10.0
TREE_LEVEL_DX_UM = 90.0
BPD_SIZE_UM = (20.0, 10.0)


def activate_pdk() -> None:
    """Activate gdsfactory's generic PDK (idempotent). Call before drawing."""
    gf.gpdk.PDK.activate()


def _key(cfg: LayoutConfig) -> str:
    return hashlib.sha256(cfg.model_dump_json().encode()).hexdigest()[:10]


_CELLS: dict[str, gf.Component] = {}


def _new_cell(name: str, draw) -> gf.Component:
    """Create cell ``name`` and draw it with ``draw(c)``, once per process: a cell name must be
    unique in the gdsfactory layout. A cell whose drawing fails is deleted again."""
    if name not in _CELLS:
        c = gf.Component(name=name)
        try:
            draw(c)
        except BaseException:
            c.delete()
            raise
        _CELLS[name] = c
    return _CELLS[name]


def _poly(points: np.ndarray, holes: list[np.ndarray] | None = None) -> kf.kdb.DPolygon:
    poly = kf.kdb.DPolygon([kf.kdb.DPoint(float(x), float(y)) for x, y in points])
    for hole in holes or []:
        poly.insert_hole([kf.kdb.DPoint(float(x), float(y)) for x, y in hole])
    return poly


def _box(c: gf.Component, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
    lo_x, hi_x = sorted((x0, x1))
    lo_y, hi_y = sorted((y0, y1))
    c.shapes(c.kcl.layer(*LAYERS[layer])).insert(kf.kdb.DBox(lo_x, lo_y, hi_x, hi_y))


def _ring_outline(
    cx: float, cy: float, radius: float, straight: float, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Outer and inner edge of a racetrack waveguide, polygon points ``(P, 2)`` each.

    The circle is sampled finely enough that the polygon deviates < 1 nm from the true arc.
    """
    n_half = max(32, math.ceil(math.pi / math.sqrt(2e-3 / (radius + width))) // 2)
    right = np.linspace(-math.pi / 2, math.pi / 2, n_half)
    left = np.linspace(math.pi / 2, 1.5 * math.pi, n_half)

    def edge(rad: float) -> np.ndarray:
        return np.concatenate(
            [
                np.stack([cx + straight / 2 + rad * np.cos(right), cy + rad * np.sin(right)], -1),
                np.stack([cx - straight / 2 + rad * np.cos(left), cy + rad * np.sin(left)], -1),
            ]
        )

    return edge(radius + width / 2), edge(radius - width / 2)


def _draw_bank(c: gf.Component, cfg: LayoutConfig, plan: BankPlan) -> None:
    """Draw buses, rings, heaters, leads and pads of one bank into ``c`` (bank coordinates)."""
    w = plan.wg_width_um
    wg = c.kcl.layer(*LAYERS["waveguide"])
    heater = c.kcl.layer(*LAYERS["heater"])
    metal = c.kcl.layer(*LAYERS["metal"])

    _box(c, "waveguide", 0.0, -w / 2, plan.bus_length_um, w / 2)
    _box(c, "waveguide", 0.0, plan.drop_y_um - w / 2, plan.bus_length_um, plan.drop_y_um + w / 2)
    for i in range(plan.n_rings):
        outer, inner = _ring_outline(
            plan.ring_x_um[i], plan.ring_y_um, plan.radius_um, plan.straights_um[i], w
        )
        c.shapes(wg).insert(_poly(outer, [inner]))
        c.shapes(heater).insert(_poly(heater_outline(plan, i)))

    half_lead = plan.lead_width_um / 2
    half_land = plan.landing_um / 2
    for k, ((tx, ty), (sx, sy)) in enumerate(
        zip(plan.terminals_um, plan.stub_ends_um, strict=True)
    ):
        # heater stub from the terminal inward to the via landing (heater layer)
        direction = np.array([sx - tx, sy - ty])
        length = float(np.hypot(*direction))
        normal = np.array([-direction[1], direction[0]]) / length * plan.heater_width_um / 2
        stub = np.array(
            [[tx, ty] + normal, [sx, sy] + normal, [sx, sy] - normal, [tx, ty] - normal]
        )
        c.shapes(heater).insert(_poly(stub))
        c.shapes(heater).insert(
            kf.kdb.DBox(sx - half_land, sy - half_land, sx + half_land, sy + half_land)
        )
        # via landing and lead (metal): down to the track, along it, down to the pad
        c.shapes(metal).insert(
            kf.kdb.DBox(sx - half_land, sy - half_land, sx + half_land, sy + half_land)
        )
        ty_track = plan.track_y_um[k]
        px = plan.pad_x_um[k]
        pad_top = plan.pad_y_um + plan.pad_size_um / 2
        c.shapes(metal).insert(
            kf.kdb.DBox(sx - half_lead, ty_track - half_lead, sx + half_lead, sy)
        )
        c.shapes(metal).insert(
            kf.kdb.DBox(
                min(sx, px) - half_lead,
                ty_track - half_lead,
                max(sx, px) + half_lead,
                ty_track + half_lead,
            )
        )
        c.shapes(metal).insert(
            kf.kdb.DBox(px - half_lead, pad_top, px + half_lead, ty_track + half_lead)
        )
        half_pad = plan.pad_size_um / 2
        _box(
            c,
            "metal",
            px - half_pad,
            plan.pad_y_um - half_pad,
            px + half_pad,
            plan.pad_y_um + half_pad,
        )
        inset = min(2.0, half_pad / 4)
        _box(
            c,
            "pad_open",
            px - half_pad + inset,
            plan.pad_y_um - half_pad + inset,
            px + half_pad - inset,
            plan.pad_y_um + half_pad - inset,
        )

    ports = {
        "in": ((0.0, 0.0), 180),
        "through": ((plan.bus_length_um, 0.0), 0),
        "add": ((plan.bus_length_um, plan.drop_y_um), 0),
        "drop": ((0.0, plan.drop_y_um), 180),
    }
    for name, (center, orientation) in ports.items():
        c.add_port(
            name=name,
            center=center,
            width=w,
            orientation=orientation,
            layer=LAYERS["waveguide"],
            port_type="optical",
        )


def weight_bank(cfg: LayoutConfig) -> gf.Component:
    """A bank of ``cfg.rings`` heated rings between two buses (see the sketch in ``planner``).

    Ports: ``in`` (origin, facing 180°), ``through``, ``add``, ``drop``. ``c.info`` holds the
    derived values the next stage needs (pitch, bus length, ring and drop-bus heights).
    """
    plan = plan_bank(cfg)

    def draw(c: gf.Component) -> None:
        _draw_bank(c, cfg, plan)
        c.info["n_rings"] = cfg.rings
        c.info["pitch_um"] = cfg.resolved_pitch_um()
        c.info["bus_length_um"] = plan.bus_length_um
        c.info["ring_y_um"] = plan.ring_y_um
        c.info["drop_y_um"] = plan.drop_y_um

    return _new_cell(f"weight_bank_N{cfg.rings}_{_key(cfg)}", draw)


def ring_heater(
    *,
    radius_um: float = 10.0,
    gap_in_nm: float = 150.0,
    gap_drop_nm: float = 150.0,
    wg_width_nm: float = 500.0,
    radius_offset_um: float = 0.0,
    heater_width_um: float = 2.0,
    heater_arc_deg: float = 270.0,
    pad_size_um: float = 40.0,
    pad_pitch_um: float = 50.0,
) -> gf.Component:
    """One add-drop ring with a heater over it, the heater routed to a pad pair.

    ::

        drop ◀═══════════════ add
                 ╭─────╮      heater (metal) over the ring, opening at the bottom
                 │  ○  │
                 ╰─┬─┬─╯
        in  ═══════╪═╪═══▶ through
                   │ │        leads
                 [p0] [p1]    heater pads

    A weight bank of one ring; parameters as in :class:`~photonic_dfa.config.layout.LayoutConfig`.
    """
    cfg = LayoutConfig(
        rings=1,
        banks=1,
        radius_um=radius_um,
        gap_in_nm=gap_in_nm,
        gap_drop_nm=gap_drop_nm,
        wg_width_nm=wg_width_nm,
        radius_step_nm=0.0,
        radius_offsets_um=(radius_offset_um,),
        heater_width_um=heater_width_um,
        heater_arc_deg=heater_arc_deg,
        pad_size_um=pad_size_um,
        pad_pitch_um=pad_pitch_um,
    )
    return weight_bank(cfg)


def bpd(height_um: float) -> gf.Component:
    """Balanced-photodetector placeholder: a detector box spanning two optical inputs.

    Optical inputs ``o1`` (through, at y = 0) and ``o2`` (drop, at y = ``height_um``) face 180°;
    three pads (anode, output, cathode) on M3 to the right.
    """

    def draw(c: gf.Component) -> None:
        bw, bh = BPD_SIZE_UM
        for y in (0.0, height_um):
            _box(c, "detector", 0.0, y - bh / 2, bw, y + bh / 2)
        _box(c, "detector", bw / 2 - 1.0, 0.0, bw / 2 + 1.0, height_um)
        # pads clear of the heater leads below y = 0; an even number of nm wide (port grid)
        pad = math.floor(min(10.0, height_um / 4 - 1.0) * 500) / 500
        for j, y in enumerate((0.25 * height_um, 0.5 * height_um, 0.75 * height_um)):
            x0 = bw + 6.0
            _box(c, "metal", x0, y - pad / 2, x0 + pad, y + pad / 2)
            _box(c, "pad_open", x0 + 1, y - pad / 2 + 1, x0 + pad - 1, y + pad / 2 - 1)
            c.add_port(
                name=f"e{j + 1}",
                center=(x0 + pad, y),
                width=pad,
                orientation=0,
                layer=LAYERS["metal"],
                port_type="electrical",
            )
        for name, y in (("o1", 0.0), ("o2", height_um)):
            c.add_port(
                name=name, center=(0.0, y), width=0.5, orientation=180, layer=LAYERS["waveguide"]
            )

    return _new_cell(f"bpd_placeholder_{height_um:.3f}".replace(".", "p"), draw)


@dataclass(frozen=True)
class ArrayPlan:
    """Placement of the banks and of the splitter tree in the array (chip coordinates, µm)."""

    bank_origins_um: tuple[tuple[float, float], ...]
    bank_pitch_um: float
    return_y_um: float  # height of the drop U-turn waveguide above a bank's input bus
    tree_levels: int
    tree_x0_um: float
    bpd_x_um: float
    feed_x_um: float  # x of the vertical run of each bank's feed waveguide


def plan_array(cfg: LayoutConfig, plan: BankPlan) -> ArrayPlan:
    """Where each bank sits: stacked in y, splitter tree to the left, BPDs to the right."""
    return_y = plan.drop_y_um + 2 * BEND_RADIUS_UM + 4.0
    height = return_y + BPD_SIZE_UM[1] / 2 - plan.y_min_um
    pitch = round(max(height + cfg.bank_spacing_um, 4 * BEND_RADIUS_UM + 10.0), 3)
    levels = math.ceil(math.log2(cfg.banks)) if cfg.banks > 1 else 0
    x_bank = 0.0
    # the feed of each bank turns into its input row left of the heater pads (which may reach
    # left of the input port), so no waveguide runs under another bank's pads
    feed_x = min(x_bank, plan.x_min_um) - BEND_RADIUS_UM - 10.0
    mmi_length = 25.5  # generic PDK mmi1x2: input at x = -10, outputs at x = 15.5
    tree_x0 = feed_x - BEND_RADIUS_UM - 5.0 - mmi_length - max(levels - 1, 0) * TREE_LEVEL_DX_UM
    origins = tuple((x_bank, round(b * pitch, 3)) for b in range(cfg.banks))
    return ArrayPlan(
        bank_origins_um=origins,
        bank_pitch_um=pitch,
        return_y_um=return_y,
        tree_levels=levels,
        tree_x0_um=tree_x0,
        bpd_x_um=plan.bus_length_um + 2 * BEND_RADIUS_UM,
        feed_x_um=feed_x,
    )


def _route(c: gf.Component, points: list[tuple[float, float]]) -> None:
    """A waveguide along Manhattan ``points`` with circular bends of :data:`BEND_RADIUS_UM`."""
    path = gf.path.smooth(points=np.array(points), radius=BEND_RADIUS_UM, bend=gf.path.arc)
    c.add_ref(path.extrude(cross_section="strip"))


def _s_route(c: gf.Component, start: tuple[float, float], end: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = start, end
    if abs(y1 - y0) < 1e-6:
        _box(c, "waveguide", x0, y0 - 0.25, x1, y0 + 0.25)
        return
    xm = (x0 + x1) / 2
    _route(c, [(x0, y0), (xm, y0), (xm, y1), (x1, y1)])


def bank_array(cfg: LayoutConfig) -> gf.Component:
    """The whole weight-bank array: grating coupler → 1×M MMI tree → M banks → M BPDs."""
    activate_pdk()
    return _new_cell(
        f"weight_bank_array_M{cfg.banks}_N{cfg.rings}_{_key(cfg)}", lambda c: _draw_array(c, cfg)
    )


def _draw_array(c: gf.Component, cfg: LayoutConfig) -> None:
    plan = plan_bank(cfg)
    arr = plan_array(cfg, plan)
    bank = weight_bank(cfg)
    detector = bpd(round(arr.return_y_um, 3))
    unused: list[str] = []

    for b, (ox, oy) in enumerate(arr.bank_origins_um):
        ref = c.add_ref(bank)
        ref.dmove((ox, oy))
        # drop port: U-turn up and back to the right, above the drop bus, to the BPD
        x_turn = ox - 2 * BEND_RADIUS_UM - 2.0
        y_drop, y_ret = oy + plan.drop_y_um, oy + arr.return_y_um
        x_bpd = ox + arr.bpd_x_um
        _route(c, [(ox, y_drop), (x_turn, y_drop), (x_turn, y_ret), (x_bpd, y_ret)])
        _box(c, "waveguide", ox + plan.bus_length_um, oy - 0.25, x_bpd, oy + 0.25)
        det = c.add_ref(detector)
        det.dmove((x_bpd, oy))
        for name in ("through", "add", "drop", "in"):
            c.add_port(name=f"bank{b}_{name}", port=ref.ports[name])
        unused.append(f"bank{b}_add")

    # splitter tree: level l, node k covers the virtual leaves [k·2^(L-l), (k+1)·2^(L-l))
    levels = arr.tree_levels
    pitch = arr.bank_pitch_um
    mmi = gf.components.mmi1x2()
    mmi_in = mmi.ports["o1"].center

    def node_y(level: int, k: int) -> float:
        span = 2 ** (levels - level)
        return (k * span + (span - 1) / 2) * pitch

    root_in: tuple[float, float]
    if levels == 0:
        root_in = arr.bank_origins_um[0]
    else:
        outputs: dict[tuple[int, int], tuple[float, float]] = {}
        for level in range(levels):
            x = arr.tree_x0_um + level * TREE_LEVEL_DX_UM
            for k in range(2**level):
                if k * 2 ** (levels - level) >= cfg.banks:
                    continue
                ref = c.add_ref(mmi)
                ref.dmove((x - mmi_in[0], node_y(level, k) - mmi_in[1]))
                p_lo, p_hi = ref.ports["o3"].center, ref.ports["o2"].center
                outputs[(level, 2 * k)] = (float(p_lo[0]), float(p_lo[1]))
                outputs[(level, 2 * k + 1)] = (float(p_hi[0]), float(p_hi[1]))
                start = (float(ref.ports["o1"].center[0]), float(ref.ports["o1"].center[1]))
                if level > 0:
                    _s_route(c, outputs[(level - 1, k)], start)
                else:
                    root_in = start
        for child in range(2**levels):
            out = outputs.get((levels - 1, child))
            if out is None:
                continue
            if child < cfg.banks:
                bx, by = arr.bank_origins_um[child]
                _route(c, [out, (arr.feed_x_um, out[1]), (arr.feed_x_um, by), (bx, by)])
            else:
                unused.append(f"tree_output_{child}")

    gc = c.add_ref(gf.components.grating_coupler_elliptical_te())
    gc.drotate(180)
    gc_port = gc.ports["o1"]
    gc.dmove((root_in[0] - 2 * BEND_RADIUS_UM - gc_port.center[0], root_in[1] - gc_port.center[1]))
    _box(c, "waveguide", gc.ports["o1"].center[0], root_in[1] - 0.25, root_in[0], root_in[1] + 0.25)
    c.add_port(name="input", port=gc.ports["o2"])
    c.info["unused_optical_ports"] = unused  # type: ignore[assignment]  # kfactory accepts lists
    c.info["bank_pitch_um"] = pitch
    c.info["splitter_levels"] = levels
