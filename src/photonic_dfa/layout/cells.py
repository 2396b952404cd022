"""gdsfactory cells of the weight-bank array (generic PDK layers).

Cells draw exactly what :func:`photonic_dfa.layout.planner.plan_bank` computes. The generic PDK
must be active (:func:`activate_pdk`); nothing here activates it on import.

* :func:`ring_heater` — one add-drop racetrack ring with its heater: a weight bank of one ring.
* :func:`weight_bank` — N rings between an input/through bus and a drop bus. Each heater reaches
  M3 through the PDK's ``via_stack_heater_mtop`` (HEATER–VIA1–M2–VIA2–M3) inside its ring; its
  signal lead runs to its own pad, its ground lead to the bank's ground rail and ground pad
  (N + 1 heater pads). The through and drop ports end on two of the PDK's germanium detectors
  (``ge_detector_straight_si_contacts``) wired in series as a balanced pair (three more pads);
  the add port ends on the PDK's ``terminator``. Contacts are the PDK's ``pad`` with a PADOPEN
  window (probe pads) or its ``bump_pad`` octagon with an octagonal PADOPEN window (bumps).
* :func:`bank_array` — M banks fed from one grating coupler through a 1×M MMI tree, plus a
  loopback pair of grating couplers for fibre alignment, on the floorplan of
  :mod:`photonic_dfa.layout.floorplan` (pads on the chip edge, or a stack of banks with bumps).

Every pad carries a text label (TEXT layer) naming its bank and net; each coupling region is
covered by a DRC_MARKER box (the intended sub-rule bus gap, waived by the DRC deck).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import gdsfactory as gf
import kfactory as kf
import numpy as np

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.layout.floorplan import TREE_LEVEL_DX_UM, ArrayPlan, plan_array
from photonic_dfa.layout.planner import (
    BEND_RADIUS_UM,
    DETECTOR_CONTACT_X_UM,
    DETECTOR_CONTACT_Y_UM,
    DETECTOR_INPUT_X_UM,
    DETECTOR_LEAD_UM,
    RAIL_WIDTH_UM,
    VIA_WG_CLEARANCE_UM,
    BankPlan,
    drop_bus_path,
    heater_outline,
    plan_bank,
    racetrack_arc,
    via_radius_um,
)

__all__ = [
    "LAYERS",
    "ArrayPlan",
    "activate_pdk",
    "bank_array",
    "plan_array",
    "ring_heater",
    "weight_bank",
]

#: layers used (generic PDK numbers): name -> (layer, datatype)
LAYERS: dict[str, tuple[int, int]] = {
    "waveguide": (1, 0),  # WG
    "heater": (47, 0),  # HEATER
    "via1": (44, 0),  # VIA1: heater to M2
    "m2": (45, 0),  # M2
    "via2": (43, 0),  # VIA2: M2 to M3
    "metal": (49, 0),  # M3 / MTOP: leads and pads
    "pad_open": (46, 0),  # PADOPEN
    "detector": (5, 0),  # GE
    "text": (66, 0),  # TEXT: pad labels
    "drc_marker": (205, 0),  # DRC_MARKER: intended coupling gaps
}

#: PADOPEN window inset from the pad metal's edge (µm)
PAD_OPENING_INSET_UM = 2.5
#: centre spacing of the fibre-array grating couplers (µm): the standard 127 µm fibre pitch
FIBRE_PITCH_UM = 127.0


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
    """Outer and inner edge of a racetrack waveguide with vertical straights (``(cx, cy)``: centre
    of its lower half circle), polygon points ``(P, 2)`` each.

    The circle is sampled finely enough that the polygon deviates < 1 nm from the true arc.
    """
    n = 2 * max(32, math.ceil(math.pi / math.sqrt(2e-3 / (radius + width))) // 2)

    def edge(rad: float) -> np.ndarray:
        return racetrack_arc(cx, cy, rad, straight, -math.pi / 2, 1.5 * math.pi, n)[:-1]

    return edge(radius + width / 2), edge(radius - width / 2)


def _drop_bus_outline(plan: BankPlan) -> np.ndarray:
    """Polygon ``(P, 2)`` of the drop bus: its centre line (:func:`drop_bus_path`) widened by
    ``w/2`` on either side along the mitred vertex normals."""
    path = drop_bus_path(plan)
    seg = np.diff(path, axis=0)
    normal = np.stack([-seg[:, 1], seg[:, 0]], -1) / np.hypot(seg[:, 0], seg[:, 1])[:, None]
    vertex = np.concatenate([normal[:1], normal[:-1] + normal[1:], normal[-1:]])
    vertex[1:-1] /= (vertex[1:-1] * normal[:-1]).sum(-1, keepdims=True)  # miter length
    half = plan.wg_width_um / 2
    return np.concatenate([path + half * vertex, (path - half * vertex)[::-1]])


def _pdk_cells(plan: BankPlan) -> dict[str, gf.Component]:
    """The generic PDK cells a bank places (cached by gdsfactory)."""
    vs = plan.via_stack_um
    inset = PAD_OPENING_INSET_UM
    if plan.pad_kind == "bump":
        pad = _bump(plan.pad_size_um)
    else:
        pad = gf.components.pad(
            size=(plan.pad_size_um, plan.pad_size_um),
            bbox_layers=("PADOPEN",),
            bbox_offsets=(-inset,),
        )
    return {
        "via_stack": gf.components.via_stack_heater_mtop(size=(vs, vs)),
        "pad": pad,
        "detector": gf.components.ge_detector_straight_si_contacts(),
        "terminator": gf.components.terminator(),
    }


def _bump(size_um: float) -> gf.Component:
    """A flip-chip bump ``size_um`` across flats: the generic PDK's ``bump_pad`` octagon on MTOP
    (no via stack: the M3 leads land on it) with an octagonal PADOPEN window inset by
    :data:`PAD_OPENING_INSET_UM`."""
    side = size_um / (1 + math.sqrt(2))
    window = (size_um - 2 * PAD_OPENING_INSET_UM) / (1 + math.sqrt(2))

    def draw(c: gf.Component) -> None:
        c.add_ref(gf.components.bump_pad(size=side, layer="MTOP", add_via=False))
        c.add_ref(gf.components.octagon(side_length=window, layer="PADOPEN"))

    return _new_cell(f"bump_{size_um:g}", draw)


def _check_fits(plan: BankPlan) -> None:
    """The two via stacks of a ring must fit inside it, clear of the ring and, on M3, of each
    other (they lead off in opposite directions)."""
    vs, gap = plan.via_stack_um, plan.lead_width_um
    (gx, _), (sx, _) = plan.stub_ends_um[0], plan.stub_ends_um[1]
    if via_radius_um(plan.radius_um, plan.wg_width_um, vs, math.pi / 4) <= 0 or sx - gx < vs + gap:
        # smallest radius: stacks on the 45° rays, vs + gap apart in x (see via_radius_um)
        need = (vs + gap) / math.sqrt(2) + plan.wg_width_um / 2 + VIA_WG_CLEARANCE_UM
        need += vs / math.sqrt(2)
        raise ValueError(
            f"radius_um = {plan.radius_um:g} is too small for two {vs:g} µm via stacks inside "
            f"the ring, clear of it and of each other; use radius_um >= {need:.3g}"
        )


def _stub_outline(plan: BankPlan, k: int) -> np.ndarray:
    """Outline ``(P, 2)`` of heater stub ``k`` (ring ``k // 2``; left, right): a strip as wide as
    the via stack along the ray from the ring's centre through terminal ``k``, from the via stack's
    centre out to the heater's outer edge (a circle arc)."""
    i = k // 2
    (tx, ty), (sx, sy) = plan.terminals_um[k], plan.stub_ends_um[k]
    cx = plan.ring_x_um[i]  # the half circle the terminal lies on (upper: one straight higher)
    cy = plan.ring_y_um + (plan.straights_um[i] if ty > plan.ring_y_um + 1e-9 else 0.0)
    angle = math.atan2(ty - cy, tx - cx)
    half = plan.via_stack_um / 2
    outer = plan.radius_um + plan.heater_width_um / 2
    delta = math.asin(half / outer)
    theta = np.linspace(angle + delta, angle - delta, 9)
    arc = np.stack([cx + outer * np.cos(theta), cy + outer * np.sin(theta)], -1)
    n = np.array([-math.sin(angle), math.cos(angle)]) * half
    via = np.array([sx, sy])
    return np.concatenate([arc, [via - n, via + n]])


@dataclass(frozen=True)
class _BankLayers:
    """Layer indices of the shapes a bank inserts directly (looked up in this order)."""

    wg: int
    heater: int
    metal: int
    marker: int


def _bank_layers(c: gf.Component) -> _BankLayers:
    return _BankLayers(
        wg=c.kcl.layer(*LAYERS["waveguide"]),
        heater=c.kcl.layer(*LAYERS["heater"]),
        metal=c.kcl.layer(*LAYERS["metal"]),
        marker=c.kcl.layer(*LAYERS["drc_marker"]),
    )


def _draw_bank(c: gf.Component, plan: BankPlan) -> None:
    """Draw one bank into ``c`` (bank coordinates): buses, rings, heaters, via stacks, leads,
    pads, the drop U-turn, the balanced detector pair and the add-port terminator."""
    _check_fits(plan)
    cells = _pdk_cells(plan)
    layers = _bank_layers(c)
    _draw_buses_and_rings(c, plan, layers)
    _draw_heater_leads(c, plan, layers, cells)
    _draw_ground_rail_and_pads(c, plan, layers, cells)
    _draw_bus_ends(c, plan, cells)
    _draw_detector_leads(c, plan, layers)
    _add_bank_ports(c, plan)


def _draw_buses_and_rings(c: gf.Component, plan: BankPlan, layers: _BankLayers) -> None:
    """The input and drop buses, each ring with its heater strip and its two coupling markers."""
    w = plan.wg_width_um
    _box(c, "waveguide", 0.0, -w / 2, plan.bus_length_um, w / 2)
    c.shapes(layers.wg).insert(_poly(_drop_bus_outline(plan)))
    r = plan.radius_um
    for i in range(plan.n_rings):
        x, s = plan.ring_x_um[i], plan.straights_um[i]
        outer, inner = _ring_outline(x, plan.ring_y_um, r, s, w)
        c.shapes(layers.wg).insert(_poly(outer, [inner]))
        c.shapes(layers.heater).insert(_poly(heater_outline(plan, i)))
        # coupling regions x ± R (intended sub-rule gaps): from each bus to 1 µm into the ring
        for y0, y1 in (
            (-w / 2, plan.ring_y_um - r + w / 2 + 1.0),
            (plan.ring_y_um + s + r - w / 2 - 1.0, plan.drop_bus_y_um[i] + w / 2),
        ):
            c.shapes(layers.marker).insert(kf.kdb.DBox(x - r, y0, x + r, y1))


def _draw_heater_leads(
    c: gf.Component, plan: BankPlan, layers: _BankLayers, cells: dict[str, gf.Component]
) -> None:
    """Per heater terminal: its stub, its via stack and its M3 lead (ground up to the rail,
    signal down to its pad)."""
    half_lead = plan.lead_width_um / 2
    for k, (sx, sy) in enumerate(plan.stub_ends_um):
        # heater stub from the arc's end inward to the via stack (heater layer), as wide as the
        # stack, its outer end on the heater's outer edge: it merges with the arc and the stack's
        # square without narrow notches
        stub = _stub_outline(plan, k)
        c.shapes(layers.heater).insert(_poly(stub))
        c.add_ref(cells["via_stack"]).dmove((sx, sy))
        i, is_signal = divmod(k, 2)
        if not is_signal:  # ground: straight up over the drop bus to the rail
            c.shapes(layers.metal).insert(
                kf.kdb.DBox(sx - half_lead, sy, sx + half_lead, plan.rail_y_um)
            )
            continue
        _draw_signal_lead(c, plan, layers, i, (sx, sy))


def _draw_signal_lead(
    c: gf.Component, plan: BankPlan, layers: _BankLayers, i: int, via: tuple[float, float]
) -> None:
    """Ring ``i``'s signal lead: from its via stack down to its track, along it, down to its pad."""
    sx, sy = via
    half_lead = plan.lead_width_um / 2
    ty_track = plan.track_y_um[i]
    px = plan.heater_pad_x_um[i]
    pad_top = plan.pad_row_y_um[1 + i] + plan.pad_size_um / 2
    metal = c.shapes(layers.metal)
    metal.insert(kf.kdb.DBox(sx - half_lead, ty_track - half_lead, sx + half_lead, sy))
    metal.insert(
        kf.kdb.DBox(
            min(sx, px) - half_lead,
            ty_track - half_lead,
            max(sx, px) + half_lead,
            ty_track + half_lead,
        )
    )
    metal.insert(kf.kdb.DBox(px - half_lead, pad_top, px + half_lead, ty_track + half_lead))


def _draw_ground_rail_and_pads(
    c: gf.Component, plan: BankPlan, layers: _BankLayers, cells: dict[str, gf.Component]
) -> None:
    """The ground rail over all ground leads, left and down to the ground pad; then every pad."""
    half_lead = plan.lead_width_um / 2
    half_rail = RAIL_WIDTH_UM / 2
    gx = plan.pad_x_um[0]
    last_ground = plan.stub_ends_um[-2][0]
    metal = c.shapes(layers.metal)
    metal.insert(
        kf.kdb.DBox(
            gx - half_rail,
            plan.rail_y_um - half_rail,
            last_ground + half_lead,
            plan.rail_y_um + half_rail,
        )
    )
    metal.insert(
        kf.kdb.DBox(
            gx - half_rail,
            plan.pad_row_y_um[0] + plan.pad_size_um / 2,
            gx + half_rail,
            plan.rail_y_um + half_rail,
        )
    )
    for px, py in zip(plan.pad_x_um, plan.pad_row_y_um, strict=True):
        c.add_ref(cells["pad"]).dmove((px, py))


def _draw_bus_ends(c: gf.Component, plan: BankPlan, cells: dict[str, gf.Component]) -> None:
    """Drop bus: U-turn left of the input port and back above the bank to the drop detector;
    through bus: straight on to the through detector; add port: terminated."""
    w = plan.wg_width_um
    det_x = plan.detector_x_um
    _route(
        c,
        [
            (0.0, plan.drop_y_um),
            (plan.turn_x_um, plan.drop_y_um),
            (plan.turn_x_um, plan.return_y_um),
            (det_x, plan.return_y_um),
        ],
    )
    _box(c, "waveguide", plan.bus_length_um, -w / 2, det_x, w / 2)
    for y in plan.detector_y_um:
        c.add_ref(cells["detector"]).dmove((det_x - DETECTOR_INPUT_X_UM, y))
    term = c.add_ref(cells["terminator"])
    term.dmove((plan.bus_length_um, plan.add_y_um))


def _draw_detector_leads(c: gf.Component, plan: BankPlan, layers: _BankLayers) -> None:
    """Balanced pair: cathode (through detector's bottom contact), output (through top joined to
    drop bottom), anode (drop detector's top contact), each to its pad, right of the detectors."""
    y_thru, y_drop_det = plan.detector_y_um
    xc = plan.detector_x_um - DETECTOR_INPUT_X_UM + DETECTOR_CONTACT_X_UM
    half = DETECTOR_LEAD_UM / 2
    dy = DETECTOR_CONTACT_Y_UM
    x_cat, x_out, x_an = plan.pad_x_um[-3:]
    joint = (y_thru + dy - half, y_drop_det - dy + half)
    y_out = (y_thru + dy + half + y_drop_det - dy - half) / 2
    metal = c.shapes(layers.metal)
    metal.insert(kf.kdb.DBox(xc, joint[0], xc + 2 * half, joint[1]))
    tops = [py + plan.pad_size_um / 2 for py in plan.pad_row_y_um[-3:]]
    for y, xp, pad_top in zip(
        (y_thru - dy, y_out, y_drop_det + dy), (x_cat, x_out, x_an), tops, strict=True
    ):
        metal.insert(kf.kdb.DBox(xc, y - half, xp + half, y + half))
        metal.insert(kf.kdb.DBox(xp - half, pad_top, xp + half, y + half))


def _add_bank_ports(c: gf.Component, plan: BankPlan) -> None:
    """The four bus-end ports: ``in``, ``through``, ``add``, ``drop``."""
    ports = {
        "in": ((0.0, 0.0), 180),
        "through": ((plan.bus_length_um, 0.0), 0),
        "add": ((plan.bus_length_um, plan.add_y_um), 0),
        "drop": ((0.0, plan.drop_y_um), 180),
    }
    for name, (center, orientation) in ports.items():
        c.add_port(
            name=name,
            center=center,
            width=plan.wg_width_um,
            orientation=orientation,
            layer=LAYERS["waveguide"],
            port_type="optical",
        )


def weight_bank(cfg: LayoutConfig) -> gf.Component:
    """A bank of ``cfg.rings`` heated rings between two buses (see the sketch in ``planner``).

    ::

        rail ════════════════════════════════ (M3, ground)      ┌─────┐
         ╭──────────────────────────────────────────────────────┤ PD  │ drop detector
         │  drop ◀──────────────────────────── add ▷ terminator └─────┘
         │          ╭──╮         ╭──╮                            ┌─────┐
         ╰─▶        │▪▪│   ···   │▪▪│   rings, via stacks inside │ PD  │ through detector
            in ─────────────────────────────── through ─────────▶└─────┘
                     ┃ leads (M3) to tracks
        [gnd][h0][h1] … [h N-1]                              [cathode][out][anode]

    Ports: ``in`` (origin, facing 180°), ``through``, ``add``, ``drop`` (the bus ends; all but
    ``in`` are connected inside the cell). ``c.info`` holds the derived values the next stage
    needs (pitch, bus length, ring and drop-bus heights, pad count and pitch).

    Raises:
        ValueError: the via stacks do not fit inside the rings (``radius_um`` too small).
    """
    plan = plan_bank(cfg)

    def draw(c: gf.Component) -> None:
        _draw_bank(c, plan)
        c.info["n_rings"] = cfg.rings
        c.info["pitch_um"] = cfg.resolved_pitch_um()
        c.info["bus_length_um"] = plan.bus_length_um
        c.info["ring_y_um"] = plan.ring_y_um
        c.info["drop_y_um"] = plan.drop_y_um
        c.info["n_pads"] = len(plan.pad_x_um)
        c.info["pad_pitch_um"] = plan.pad_pitch_um
        c.info["pad_kind"] = plan.pad_kind

    return _new_cell(f"weight_bank_N{cfg.rings}_{_key(cfg)}", draw)


def ring_heater(
    *,
    radius_um: float = 10.0,
    gap_in_nm: float = 150.0,
    gap_drop_nm: float = 150.0,
    wg_width_nm: float = 500.0,
    radius_offset_um: float = 0.0,
    heater_width_um: float = 0.5,
    heater_arc_deg: float = 270.0,
    pad_size_um: float = 80.0,
    pad_pitch_um: float = 100.0,
) -> gf.Component:
    """One add-drop ring with a heater over it: a weight bank of one ring (µm, nm as named).

    ::

        drop ◀═══════════════ add
                 ╭─────╮      heater over the ring, opening at the bottom
                 │ ▪ ▪ │      via stacks inside the ring
                 ╰─────╯
        in  ═════════════▶ through

    Parameters as in :class:`~photonic_dfa.config.layout.LayoutConfig`.
    """
    activate_pdk()
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


def _route(c: gf.Component, points: list[tuple[float, float]]) -> None:
    """A waveguide along Manhattan ``points`` with circular bends of :data:`BEND_RADIUS_UM`."""
    path = gf.path.smooth(points=np.array(points), radius=BEND_RADIUS_UM, bend=gf.path.arc)
    c.add_ref(path.extrude(cross_section="strip"))


def _manhattan_corners(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``points`` without repeated points (within 1 nm) and without points on a straight line
    between their neighbours: only the corners of the path remain."""
    out: list[tuple[float, float]] = []
    for p in points:
        if out and abs(p[0] - out[-1][0]) < 1e-3 and abs(p[1] - out[-1][1]) < 1e-3:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (abs(x0 - x1) < 1e-3 and abs(x1 - p[0]) < 1e-3) or (
                abs(y0 - y1) < 1e-3 and abs(y1 - p[1]) < 1e-3
            ):
                out[-1] = p
                continue
        out.append(p)
    return out


def _s_route(c: gf.Component, start: tuple[float, float], end: tuple[float, float]) -> None:
    (x0, y0), (x1, y1) = start, end
    if abs(y1 - y0) < 1e-6:
        _box(c, "waveguide", x0, y0 - 0.25, x1, y0 + 0.25)
        return
    xm = (x0 + x1) / 2
    _route(c, [(x0, y0), (xm, y0), (xm, y1), (x1, y1)])


def bank_array(cfg: LayoutConfig) -> gf.Component:
    """The whole weight-bank array: grating coupler → 1×M MMI tree → M banks, and a loopback
    pair of grating couplers. Ports: ``input`` (the input grating's fibre port)."""
    activate_pdk()
    return _new_cell(
        f"weight_bank_array_M{cfg.banks}_N{cfg.rings}_{_key(cfg)}", lambda c: _draw_array(c, cfg)
    )


def _label(c: gf.Component, text: str, x: float, y: float) -> None:
    c.shapes(c.kcl.layer(*LAYERS["text"])).insert(kf.kdb.DText(text, x, y))


@dataclass
class _Tree:
    """The splitter tree while it is drawn: the MMI outputs by (level, output index), the input
    of its root MMI and the names of the terminated outputs."""

    levels: int
    pitch: float
    y0: float
    outputs: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)
    root_in: tuple[float, float] = (0.0, 0.0)
    unused: list[str] = field(default_factory=list)

    def node_y(self, level: int, k: int) -> float:
        """y of node ``k`` of ``level``: it covers the virtual leaves [k·2^(L-l), (k+1)·2^(L-l))."""
        span = 2 ** (self.levels - level)
        return self.y0 + (k * span + (span - 1) / 2) * self.pitch


def _draw_array(c: gf.Component, cfg: LayoutConfig) -> None:
    plan = plan_bank(cfg)
    arr = plan_array(cfg, plan)
    bank = weight_bank(cfg)
    _place_banks(c, plan, arr, bank)
    root_in, unused = _draw_splitter_tree(c, cfg, arr)
    gc_cell = gf.components.grating_coupler_elliptical_te()
    gc_left = _draw_input_grating(c, gc_cell, root_in)
    _draw_loopback(c, gc_cell, gc_left, root_in)
    c.info["unused_optical_ports"] = ",".join(unused)  # terminated splitter outputs
    c.info["bank_pitch_um"] = arr.bank_pitch_um
    c.info["splitter_levels"] = arr.tree_levels
    c.info["n_pads"] = cfg.banks * len(plan.pad_x_um)
    c.info["pad_kind"] = plan.pad_kind


def _place_banks(c: gf.Component, plan: BankPlan, arr: ArrayPlan, bank: gf.Component) -> None:
    """One instance of ``bank`` per origin (mirrored in y where planned so), each pad labelled
    ``b<bank>.<net>``."""
    for b, ((ox, oy), mirrored) in enumerate(zip(arr.bank_origins_um, arr.mirrored, strict=True)):
        ref = c.add_ref(bank)
        ref.dcplx_trans = kf.kdb.DCplxTrans(1.0, 0.0, mirrored, ox, oy)
        sign = -1.0 if mirrored else 1.0
        for net, px, py in zip(plan.pad_nets, plan.pad_x_um, plan.pad_row_y_um, strict=True):
            _label(c, f"b{b}.{net}", ox + px, oy + sign * py)


def _draw_splitter_tree(
    c: gf.Component, cfg: LayoutConfig, arr: ArrayPlan
) -> tuple[tuple[float, float], list[str]]:
    """The 1×M MMI tree feeding the banks; returns its input point and its terminated outputs."""
    mmi = gf.components.mmi1x2()
    if arr.tree_levels == 0:
        return arr.bank_origins_um[0], []
    tree = _Tree(levels=arr.tree_levels, pitch=arr.tree_pitch_um, y0=arr.tree_y0_um)
    term = gf.components.terminator()
    for level in range(tree.levels):
        _draw_tree_level(c, cfg, arr, tree, mmi, term, level)
    _connect_tree_leaves(c, cfg, arr, tree, term)
    return tree.root_in, tree.unused


def _draw_tree_level(
    c: gf.Component,
    cfg: LayoutConfig,
    arr: ArrayPlan,
    tree: _Tree,
    mmi: gf.Component,
    term: gf.Component,
    level: int,
) -> None:
    """The MMIs of one tree level, each fed from its parent's output; a parent output that feeds
    no bank is terminated."""
    levels = tree.levels
    mmi_in = mmi.ports["o1"].center
    x = arr.tree_x0_um + level * TREE_LEVEL_DX_UM
    for k in range(2**level):
        if k * 2 ** (levels - level) >= cfg.banks:
            if level > 0 and k % 2 == 1:  # its parent's output feeds nothing: terminated
                c.add_ref(term).dmove(tree.outputs[(level - 1, k)])
                tree.unused.append(f"tree_output_{level - 1}_{k}")
            continue
        ref = c.add_ref(mmi)
        ref.dmove((x - mmi_in[0], tree.node_y(level, k) - mmi_in[1]))
        p_lo, p_hi = ref.ports["o3"].center, ref.ports["o2"].center
        tree.outputs[(level, 2 * k)] = (float(p_lo[0]), float(p_lo[1]))
        tree.outputs[(level, 2 * k + 1)] = (float(p_hi[0]), float(p_hi[1]))
        start = (float(ref.ports["o1"].center[0]), float(ref.ports["o1"].center[1]))
        if level > 0:
            _s_route(c, tree.outputs[(level - 1, k)], start)
        else:
            tree.root_in = start


def _connect_tree_leaves(
    c: gf.Component, cfg: LayoutConfig, arr: ArrayPlan, tree: _Tree, term: gf.Component
) -> None:
    """Each output of the last level to its bank's input port (by the bank's jog, lane and feed
    of the floorplan), or terminated if it has none."""
    bank_of_leaf = {leaf: b for b, leaf in enumerate(arr.leaf_of_bank)}
    for child in range(2**tree.levels):
        out = tree.outputs.get((tree.levels - 1, child))
        if out is None:
            continue
        if child in bank_of_leaf:
            b = bank_of_leaf[child]
            bx, by = arr.bank_origins_um[b]
            jog, lane, feed = arr.jog_x_um[b], arr.lane_y_um[b], arr.feed_x_um[b]
            points = [out, (jog, out[1]), (jog, lane), (feed, lane), (feed, by), (bx, by)]
            _route(c, _manhattan_corners(points))
        else:  # an MMI output with no bank: terminated
            c.add_ref(term).dmove(out)
            tree.unused.append(f"tree_output_{child}")


def _draw_input_grating(
    c: gf.Component, gc_cell: gf.Component, root_in: tuple[float, float]
) -> float:
    """The input grating coupler left of ``root_in``, joined to it, with its label and the
    ``input`` port; returns the grating's left edge (x)."""
    gc = c.add_ref(gc_cell)
    gc.drotate(180)
    gc_port = gc.ports["o1"]
    gc.dmove((root_in[0] - 2 * BEND_RADIUS_UM - gc_port.center[0], root_in[1] - gc_port.center[1]))
    _box(c, "waveguide", gc.ports["o1"].center[0], root_in[1] - 0.25, root_in[0], root_in[1] + 0.25)
    _label(c, "input", float(gc.ports["o2"].center[0]), float(gc.ports["o2"].center[1]))
    c.add_port(name="input", port=gc.ports["o2"])
    return float(gc.dbbox().left)


def _draw_loopback(
    c: gf.Component, gc_cell: gf.Component, gc_left: float, root_in: tuple[float, float]
) -> None:
    """Loopback pair for fibre alignment: two gratings one fibre pitch apart, joined by a U-turn,
    left of the input grating."""
    loop_x = gc_left - 4 * BEND_RADIUS_UM - 20.0
    ends = []
    for j, dy in enumerate((FIBRE_PITCH_UM / 2, -FIBRE_PITCH_UM / 2)):
        lg = c.add_ref(gc_cell)
        lg.drotate(180)
        lg.dmove((loop_x - lg.ports["o1"].center[0], root_in[1] + dy - lg.ports["o1"].center[1]))
        o1 = lg.ports["o1"].center
        ends.append((float(o1[0]), float(o1[1])))
        o2 = lg.ports["o2"].center
        _label(c, f"loopback{j}", float(o2[0]), float(o2[1]))
        c.add_port(name=f"loopback{j}", port=lg.ports["o2"])
    x_turn = ends[0][0] + 2 * BEND_RADIUS_UM + 5.0
    _route(c, [ends[0], (x_turn, ends[0][1]), (x_turn, ends[1][1]), ends[1]])
