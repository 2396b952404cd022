"""The layout stage's planner: where every ring, bus, heater, lead and pad of a bank goes.

This module needs no gdsfactory. The cells draw exactly what :func:`plan_bank` computes and
:func:`bank_geometry` describes the same plan in the schema of ``layout.json``
(:mod:`photonic_dfa.layout.schema`), so the GDS and the JSON agree by construction (a test reads the
GDS back to check). Other stages read geometry only from a ``layout.json``, or from
:func:`design_bank` (the one bank of a ``[layout]`` config, for design sweeps and budgets).

One bank, in its own coordinates (µm, x along the buses)::

      drop ◀──────────────────────────────────────────────  add        y = y_drop (drop bus)
                 ╭───╮             ╭───╮             ╭───╮              gap_drop_nm
                 │ 0 │   ·······   │ i │   ·······   │N-1│              rings, centre y = y_ring
                 ╰───╯             ╰───╯             ╰───╯              gap_in_nm
       in ─────────────────────────────────────────────▶ through       y = 0 (input bus)
         lead │◀─pitch─▶│
                 ┃┃                 ┃┃                ┃┃               heater leads (metal)
        [gnd][h0][h1] . . . [hN-1]   [cathode][out][anode]           pad (or bump) row, y < 0

Ring ``i`` is meant for WDM channel ``i``. A ring is a racetrack: two half circles of the nominal
radius ``R`` (a point of simphony's half-ring data) joined by two *vertical* straights of
``straight_um = π·δ_i`` at ``x_i ± R``, where ``δ_i`` is its radius offset. Its round trip is
``2πR + 2π·δ_i``, as for a circle of radius ``R + δ_i``. The straights sit where the ring is far from
both buses, so each coupling region is exactly the half circle of simphony's FDTD data: it spans
``x_i ± R`` on either bus and both gaps stay on the data point. A ring with straights is taller by
``straight_um``, so the drop bus is drawn at each ring's own height (``drop_bus_y_um[i]``) and steps
between neighbouring rings with a raised-cosine S-bend in the middle of the bus segment (clear of the
``1.5 w`` of straight bus on either side of each coupling region that the data contain).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.layout.schema import BankGeometry, HeaterGeometry, PortGeometry, RingGeometry

__all__ = [
    "BankPlan",
    "bank_geometry",
    "design_bank",
    "drop_bus_path",
    "edge_column_pitch_um",
    "feed_x_um",
    "heater_length_um",
    "heater_outline",
    "plan_bank",
    "polygon_centroid",
    "racetrack_arc",
    "racetrack_point",
    "resolve_pads",
    "sbend_min_radius_um",
]

#: distance from the bank's ports to the first/last coupling region (µm)
LEAD_UM = 10.0
#: clearance between the last routing track and the pad row (µm)
PAD_CLEARANCE_UM = 15.0
#: width of the M3 heater leads and the pitch of their routing tracks (µm)
LEAD_WIDTH_UM = 3.0
TRACK_PITCH_UM = 6.0
#: clearance of a via stack from the ring's inner edge (µm): the 1 µm via-to-waveguide rule + margin
VIA_WG_CLEARANCE_UM = 1.2
#: bend radius of the drop U-turn and the feed waveguides (µm)
BEND_RADIUS_UM = 10.0
#: points of one raised-cosine S-bend of the drop bus (its polygon; the length uses 16× more)
SBEND_POINTS = 33
#: generic PDK ``ge_detector_straight_si_contacts``: optical input 20 µm left of the cell origin,
#: contacts (``top``/``bot``, 10 µm wide, ±7.5 µm) on its right edge 40 µm right of it
DETECTOR_INPUT_X_UM = -20.0
DETECTOR_CONTACT_X_UM = 40.0
DETECTOR_CONTACT_Y_UM = 7.5
DETECTOR_HALF_HEIGHT_UM = 12.5
DETECTOR_LEAD_UM = 10.0
#: M3 ground rail width and its clearance above the drop U-turn (µm)
RAIL_WIDTH_UM = 4.0
RAIL_CLEARANCE_UM = 4.0
#: clearance of a feed waveguide's vertical run from the bank's drop U-turn (µm)
FEED_CLEARANCE_UM = 5.0
#: bumps sit in two rows, staggered by half the pitch (as ``bump_pad_grid`` with an offset):
#: the rows are ``sqrt(3)/2`` pitches apart, so that diagonal neighbours keep one pitch
BUMP_ROW_DY_PER_PITCH = math.sqrt(3) / 2
#: M3 space between the ground pad's lead and ring 0's ground lead (µm): the 3 µm rule + margin
GROUND_LEAD_CLEARANCE_UM = 3.5
#: nets of a bank's pad row besides the heaters: shared heater ground, balanced detector pair
GROUND_NET = "gnd"
DETECTOR_NETS = ("pd_cathode", "pd_out", "pd_anode")


class BankPlan(BaseModel):
    """Positions of everything in one bank, in bank coordinates (input port at the origin).

    Electrical plan: ring ``i``'s heater has two terminals (the ends of its arc); each is carried
    radially inwards by a heater-layer stub to a via stack (HEATER–VIA1–M2–VIA2–M3) inside the
    ring. The right one (signal) runs down on M3 over the input bus to routing track
    ``track_y_um[i]`` and its pad; the left one (ground) runs up over the drop bus to the bank's
    ground rail, which leads to the ground pad at the left end of the pad row. The balanced pair of
    germanium detectors at the right end has its three nets on the three right-most pads. No two
    M3 routes cross.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_rings: int
    radius_um: float
    wg_width_um: float
    offsets_um: tuple[float, ...]
    straights_um: tuple[float, ...]
    ring_x_um: tuple[float, ...]
    ring_y_um: float  # centre of each ring's lower half circle (its upper one: + straight)
    drop_y_um: float  # drop bus at the drop port (= drop_bus_y_um[0])
    drop_bus_y_um: tuple[float, ...]  # drop bus over ring i: ring top + w + gap_drop
    bus_length_um: float
    heater_width_um: float
    heater_arc_deg: float
    terminals_um: tuple[tuple[float, float], ...]  # 2 per ring: (left = ground, right = signal)
    stub_ends_um: tuple[tuple[float, float], ...]  # via-stack centres, same order
    via_stack_um: float
    lead_width_um: float
    track_y_um: tuple[float, ...]  # y of the horizontal routing track of ring i's signal lead
    pad_nets: tuple[str, ...]  # pad row, left to right: gnd, h0 … h{N-1}, detector nets
    pad_x_um: tuple[float, ...]
    pad_y_um: float  # centre line of the (upper) pad row
    pad_row_y_um: tuple[float, ...]  # centre y of each pad; bumps: every other one a row lower
    pad_size_um: float
    pad_pitch_um: float
    pad_kind: Literal["edge", "bump"]  # probe pads (chip edge) or flip-chip bumps
    rail_y_um: float  # centre line of the ground rail
    return_y_um: float  # drop U-turn: height of the waveguide back to the drop detector
    turn_x_um: float  # x of the U-turn's vertical run
    detector_x_um: float  # optical input of both detectors
    detector_y_um: tuple[float, float]  # through detector, drop detector
    width_um: float  # extent in x, from x_min
    x_min_um: float
    y_min_um: float
    y_max_um: float

    @property
    def heater_pad_x_um(self) -> tuple[float, ...]:
        """x of ring ``i``'s signal pad."""
        return self.pad_x_um[1 : 1 + self.n_rings]

    @property
    def add_y_um(self) -> float:
        """y of the drop bus at the add port (over the last ring)."""
        return self.drop_bus_y_um[-1]


def _heater_angles(arc_deg: float) -> tuple[float, float]:
    """Start and end angle (rad) of the heater arc: it runs over the top, its opening (where
    the leads leave) centred at the bottom of the ring."""
    half_open = math.radians(360.0 - arc_deg) / 2
    return -math.pi / 2 + half_open, 1.5 * math.pi - half_open


def racetrack_point(
    cx: float, cy: float, radius: float, straight: float, theta: np.ndarray
) -> np.ndarray:
    """Points of a racetrack's centre line at angles ``theta`` (rad), shape ``(len(theta), 2)``.

    ``(cx, cy)`` is the centre of the lower half circle; the upper one (sin θ > 0) is ``straight``
    higher, joined to it by the two vertical straights at ``cx ± radius``. At θ = 0 and π the point
    is the lower end of the straight.
    """
    shift = np.where(np.sin(theta) > 1e-12, straight, 0.0)
    return np.stack([cx + radius * np.cos(theta), cy + shift + radius * np.sin(theta)], axis=-1)


def _straights_in(a0: float, a1: float) -> list[float]:
    """The angles kπ in ``[a0, a1]``: where a path from ``a0`` to ``a1`` runs along a straight."""
    return [
        k * math.pi
        for k in range(math.ceil(a0 / math.pi - 1e-12), math.floor(a1 / math.pi + 1e-12) + 1)
    ]


def racetrack_arc(
    cx: float, cy: float, radius: float, straight: float, a0: float, a1: float, n: int
) -> np.ndarray:
    """The racetrack curve of :func:`racetrack_point` from angle ``a0`` to ``a1`` (rad, a0 < a1),
    about ``n`` points ``(P, 2)`` along the arcs, with both ends of every straight it runs along."""
    cuts = _straights_in(a0, a1)
    bounds = sorted({a0, a1, *cuts})
    pieces = []
    if cuts and abs(cuts[0] - a0) < 1e-12:  # starts at the lower end of a straight
        pieces.append(racetrack_point(cx, cy, radius, straight, np.array([a0])))
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        theta = np.linspace(lo, hi, max(2, math.ceil(n * (hi - lo) / (a1 - a0))))
        shift = straight if math.sin((lo + hi) / 2) > 0 else 0.0
        pieces.append(
            np.stack([cx + radius * np.cos(theta), cy + shift + radius * np.sin(theta)], -1)
        )
    if cuts and abs(cuts[-1] - a1) < 1e-12:  # ends at the lower end of a straight
        pieces.append(racetrack_point(cx, cy, radius, straight, np.array([a1])))
    return np.concatenate(pieces)


def heater_length_um(radius_um: float, straight_um: float, arc_deg: float) -> float:
    """Length of the heater along the ring's centre line: its arc plus every vertical straight
    the arc runs along (both for arcs of 180° or more)."""
    a0, a1 = _heater_angles(arc_deg)
    return radius_um * math.radians(arc_deg) + straight_um * len(_straights_in(a0, a1))


def sbend_min_radius_um(length_um: float, step_um: float) -> float:
    """Smallest bend radius of a raised-cosine S-bend that steps by ``step_um`` over
    ``length_um``: ``2L²/(π²|Δ|)`` (infinite for no step)."""
    if step_um == 0:
        return math.inf
    return 2 * length_um**2 / (math.pi**2 * abs(step_um))


def via_radius_um(radius_um: float, wg_width_um: float, via_stack_um: float, angle: float) -> float:
    """Distance (µm) from the ring centre of a via stack on the ray at ``angle`` (rad) whose
    farthest corner keeps :data:`VIA_WG_CLEARANCE_UM` from the ring's inner edge."""
    half = via_stack_um / 2
    reach = half * (abs(math.cos(angle)) + abs(math.sin(angle)))
    return radius_um - wg_width_um / 2 - VIA_WG_CLEARANCE_UM - reach


@dataclass(frozen=True)
class _RingRow:
    """The rings and buses of a bank (µm): ring radius, waveguide width, offsets, straights, ring
    centres, the drop bus's height over each ring and the buses' length."""

    n: int
    r: float
    w: float
    offsets: tuple[float, ...]
    straights: tuple[float, ...]
    ring_x: tuple[float, ...]
    ring_y: float
    drop_ys: tuple[float, ...]
    bus_length: float

    @property
    def drop_y(self) -> float:
        """The top of the drop bus's centre line (its highest step)."""
        return max(self.drop_ys)


@dataclass(frozen=True)
class _BusEnds:
    """Where the buses end (µm): the drop U-turn, the detectors and the ground rail above."""

    turn_x: float
    det_x: float
    det_y0: float
    return_y: float
    rail_y: float


@dataclass(frozen=True)
class _PadRow:
    """The pad row (µm): every pad's x and net, and the heater pads' unrounded x."""

    pad_x: tuple[float, ...]
    pad_nets: tuple[str, ...]
    heater_pads: list[float]


def plan_bank(cfg: LayoutConfig, pads: Literal["edge", "bump"] | None = None) -> BankPlan:
    """Compute the positions of rings, buses, heaters, via stacks, leads, detectors and pads of
    one bank (µm, bank coordinates), with probe pads or bumps (``pads``; default: as
    :func:`resolve_pads` chooses for ``cfg``). Pads are one row on the pad pitch; bumps two rows
    staggered by half the bump pitch (every other contact in the lower row, its lead passing
    between two bumps of the upper row), each bump one pitch from its neighbours. Pure geometry: whether the via stacks fit inside
    the rings is checked by the cell that draws the plan."""
    kind = pads or resolve_pads(cfg)
    size, pitch = (
        (cfg.pad_size_um, cfg.pad_pitch_um)
        if kind == "edge"
        else (cfg.bump_size_um, cfg.bump_pitch_um)
    )
    row = _ring_row(cfg)
    terminals, stubs = _via_points(cfg, row)
    ends = _bus_ends(row)
    pad_row = _pad_row(row, ends.det_x, size, pitch if kind == "edge" else pitch / 2, stubs[0][0])
    signal_x = [stubs[2 * i + 1][0] for i in range(row.n)]
    track, pad_y = _tracks(size, row.w, pad_row.heater_pads, signal_x)
    half_pad = size / 2
    lower = math.ceil(BUMP_ROW_DY_PER_PITCH * pitch * 1000) / 1000 if kind == "bump" else 0.0
    row_y = tuple(round(pad_y - (lower if k % 2 else 0.0), 3) for k in range(len(pad_row.pad_x)))
    x_min = min(ends.turn_x - row.w, pad_row.pad_x[0] - half_pad)
    x_max = pad_row.pad_x[-1] + half_pad
    y_max = max(ends.rail_y + RAIL_WIDTH_UM / 2, ends.return_y + DETECTOR_HALF_HEIGHT_UM)
    return BankPlan(
        n_rings=row.n,
        radius_um=row.r,
        wg_width_um=row.w,
        offsets_um=row.offsets,
        straights_um=row.straights,
        ring_x_um=row.ring_x,
        ring_y_um=row.ring_y,
        drop_y_um=row.drop_ys[0],
        drop_bus_y_um=row.drop_ys,
        bus_length_um=row.bus_length,
        heater_width_um=cfg.heater_width_um,
        heater_arc_deg=cfg.heater_arc_deg,
        terminals_um=tuple(terminals),
        stub_ends_um=tuple(stubs),
        via_stack_um=cfg.via_stack_um,
        lead_width_um=LEAD_WIDTH_UM,
        track_y_um=track,
        pad_nets=pad_row.pad_nets,
        pad_x_um=pad_row.pad_x,
        pad_y_um=pad_y,
        pad_row_y_um=row_y,
        pad_size_um=size,
        pad_pitch_um=pitch,
        pad_kind=kind,
        rail_y_um=ends.rail_y,
        return_y_um=ends.return_y,
        turn_x_um=ends.turn_x,
        detector_x_um=ends.det_x,
        detector_y_um=(ends.det_y0, ends.return_y),
        width_um=round(x_max - x_min, 3),
        x_min_um=round(x_min, 3),
        y_min_um=round(min(row_y) - half_pad, 3),
        y_max_um=round(y_max, 3),
    )


def _ring_row(cfg: LayoutConfig) -> _RingRow:
    """Ring radii, straights and centres, the drop bus's height over each ring, the bus length."""
    n = cfg.rings
    r = cfg.radius_um
    w = cfg.wg_width_nm * 1e-3
    offsets = tuple(ri - r for ri in cfg.ring_radii_um())
    straights = tuple(math.pi * d for d in offsets)
    pitch = max(cfg.resolved_pitch_um(), 2 * r + w + 0.1)
    ring_x = tuple(round(LEAD_UM + r + pitch * i, 3) for i in range(n))
    ring_y = round(r + w + cfg.gap_in_nm * 1e-3, 3)
    top = ring_y + r + w + cfg.gap_drop_nm * 1e-3
    drop_ys = tuple(round(top + s, 6) for s in straights)
    bus_length = round(ring_x[-1] + r + LEAD_UM, 3)
    return _RingRow(n, r, w, offsets, straights, ring_x, ring_y, drop_ys, bus_length)


def drop_bus_path(plan: BankPlan, *, points: int = SBEND_POINTS) -> np.ndarray:
    """Centre line ``(P, 2)`` of the drop bus from the drop port (x = 0) to the add port: straight
    over each ring at ``drop_bus_y_um[i]``, a raised-cosine S-bend of ``points`` points between
    two rings at different heights, keeping ``1.5 w`` of straight bus beyond each coupling region
    ``x_i ± R`` (the bus inside simphony's half-ring data)."""
    ys, xs, r = plan.drop_bus_y_um, plan.ring_x_um, plan.radius_um
    margin = 1.5 * plan.wg_width_um
    path = [(0.0, ys[0])]
    for k in range(plan.n_rings - 1):
        if ys[k + 1] == ys[k]:
            continue
        x0, x1 = xs[k] + r + margin, xs[k + 1] - r - margin
        t = np.linspace(0.0, 1.0, points)
        y = ys[k] + (ys[k + 1] - ys[k]) * (1 - np.cos(math.pi * t)) / 2
        path.extend(zip(x0 + (x1 - x0) * t, y, strict=True))
    path.append((plan.bus_length_um, ys[-1]))
    return np.asarray(path)


def _drop_segments(plan: BankPlan, through: tuple[float, ...]) -> tuple[float, ...]:
    """Drop-bus segment lengths: the through bus's, plus what each S-bend adds to its chord."""
    fine = drop_bus_path(plan, points=16 * SBEND_POINTS)
    out = []
    for k, seg in enumerate(through):
        x0, x1 = plan.ring_x_um[k], plan.ring_x_um[k + 1]
        inside = fine[(fine[:, 0] >= x0) & (fine[:, 0] <= x1)]
        steps = np.diff(inside, axis=0)
        extra = float(np.hypot(steps[:, 0], steps[:, 1]).sum() - steps[:, 0].sum())
        out.append(round(seg + extra, 9))
    return tuple(out)


def _via_points(
    cfg: LayoutConfig, row: _RingRow
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Heater terminals and via-stack centres, two per ring: left (ground), then right (signal)."""
    a0, a1 = _heater_angles(cfg.heater_arc_deg)
    r, w, vs = row.r, row.w, cfg.via_stack_um
    terminals: list[tuple[float, float]] = []
    stubs: list[tuple[float, float]] = []
    for x, s in zip(row.ring_x, row.straights, strict=True):
        for angle in (a1, a0):  # left terminal (angle > π, ground), then right (signal)
            p = racetrack_point(x, row.ring_y, r, s, np.array([angle]))[0]
            rho = via_radius_um(r, w, vs, angle)
            q = racetrack_point(x, row.ring_y, rho, s, np.array([angle]))[0]
            terminals.append((round(float(p[0]), 3), round(float(p[1]), 3)))
            stubs.append((round(float(q[0]), 3), round(float(q[1]), 3)))
    return terminals, stubs


def _bus_ends(row: _RingRow) -> _BusEnds:
    """The drop bus turns round left of the input port and comes back above the bank to the drop
    detector; the through detector sits at the end of the input bus; the rail runs above."""
    w = row.w
    turn_x = -2 * BEND_RADIUS_UM - 2.0
    det_x = round(row.bus_length + 2 * BEND_RADIUS_UM, 3)
    det_y0 = 0.0
    return_y = round(
        max(row.drop_y + 2 * BEND_RADIUS_UM + 4.0, det_y0 + 2 * DETECTOR_HALF_HEIGHT_UM + 10.0), 3
    )
    rail_y = round(return_y + w / 2 + RAIL_CLEARANCE_UM + RAIL_WIDTH_UM / 2, 3)
    return _BusEnds(turn_x, det_x, det_y0, return_y, rail_y)


def _pad_row(
    row: _RingRow, det_x: float, size: float, pad_pitch: float, ground_lead_x: float
) -> _PadRow:
    """Pad row (left to right): ground, ring 0 … N-1, detector cathode, output, anode, pads of
    side ``size`` on ``pad_pitch``. The heater pads end left of the detectors so that no heater
    track runs under a detector's contacts; the ground pad's lead up to the rail keeps the M3
    spacing from ring 0's ground lead (at ``ground_lead_x``)."""
    n, ring_x = row.n, row.ring_x
    lead_w = LEAD_WIDTH_UM
    half_pad = size / 2
    last_heater_pad = det_x - lead_w / 2 - 5.0
    center = (ring_x[0] + ring_x[-1]) / 2
    first = min(center - (n - 1) / 2 * pad_pitch, last_heater_pad - (n - 1) * pad_pitch)
    heater_pads = [first + k * pad_pitch for k in range(n)]
    det_contact_x = det_x - DETECTOR_INPUT_X_UM + DETECTOR_CONTACT_X_UM
    det_first = max(heater_pads[-1] + pad_pitch, det_contact_x + DETECTOR_LEAD_UM + 10.0 + half_pad)
    clear = ground_lead_x - lead_w / 2 - GROUND_LEAD_CLEARANCE_UM - RAIL_WIDTH_UM / 2
    pad_x = (
        round(min(heater_pads[0] - pad_pitch, clear), 3),
        *(round(x, 3) for x in heater_pads),
        *(round(det_first + k * pad_pitch, 3) for k in range(len(DETECTOR_NETS))),
    )
    pad_nets = (GROUND_NET, *(f"h{i}" for i in range(n)), *DETECTOR_NETS)
    return _PadRow(pad_x, pad_nets, heater_pads)


def _tracks(
    pad_size: float, w: float, heater_pads: list[float], signal_x: list[float]
) -> tuple[tuple[float, ...], float]:
    """Routing track of each signal lead and the pad row's height below the lowest track.

    Fan-out without crossings: leads going left take tracks top-down in x order, leads going
    right bottom-up; each lead: via stack → down to its track → along it → down to its pad.
    """
    n = len(heater_pads)
    lead_w = LEAD_WIDTH_UM
    track_pitch = TRACK_PITCH_UM
    top_track = -w / 2 - 3.0 - lead_w / 2
    going_left = [heater_pads[i] < signal_x[i] for i in range(n)]
    left_ids = [i for i in range(n) if going_left[i]]
    right_ids = [i for i in range(n) if not going_left[i]][::-1]
    track = [0.0] * n
    for order, i in enumerate(left_ids):
        track[i] = round(top_track - order * track_pitch, 3)
    for order, i in enumerate(right_ids):
        track[i] = round(top_track - order * track_pitch, 3)
    n_tracks = max(len(left_ids), len(right_ids))
    lowest = min(top_track - (n_tracks - 1) * track_pitch, -DETECTOR_HALF_HEIGHT_UM)
    pad_y = round(lowest - PAD_CLEARANCE_UM - pad_size / 2, 3)
    return tuple(track), pad_y


def feed_x_um(plan: BankPlan) -> float:
    """x (bank coordinates) of the vertical run of the waveguide that feeds a bank's input port
    from above or below: left of the drop U-turn by two bend radii and a clearance."""
    return plan.turn_x_um - 2 * BEND_RADIUS_UM - FEED_CLEARANCE_UM


def edge_column_pitch_um(plan: BankPlan, spacing_um: float) -> float:
    """Centre spacing (µm) of the bank columns of the edge floorplan: a bank's width plus
    ``spacing_um``, and at least enough that the next column's feed clears this bank."""
    clear_feed = plan.width_um + plan.x_min_um - feed_x_um(plan) + 2 * BEND_RADIUS_UM
    return round(max(plan.width_um + spacing_um, clear_feed), 3)


def resolve_pads(cfg: LayoutConfig) -> Literal["edge", "bump"]:
    """``cfg.pads``, with ``auto`` resolved: edge pads while the row of ``ceil(M / 2)`` bank
    columns of the edge floorplan (whose pad rows are the chip's bottom and top edges) is at
    most ``max_chip_side_um`` long, else bumps."""
    if cfg.pads != "auto":
        return cfg.pads
    plan = plan_bank(cfg, "edge")
    columns = math.ceil(cfg.banks / 2)
    long_side = columns * edge_column_pitch_um(plan, cfg.bank_spacing_um)
    return "edge" if long_side <= cfg.max_chip_side_um else "bump"


def heater_outline(plan: BankPlan, i: int, *, points_per_rad: float = 12.0) -> np.ndarray:
    """Polygon (closed outline, ``(P, 2)`` µm, bank coordinates) of ring ``i``'s heater strip:
    its arc over the top of the ring and down both vertical straights."""
    a0, a1 = _heater_angles(plan.heater_arc_deg)
    n_pts = max(16, int((a1 - a0) * points_per_rad * max(1.0, plan.radius_um / 5)))
    hw = plan.heater_width_um / 2
    x, s, y = plan.ring_x_um[i], plan.straights_um[i], plan.ring_y_um
    outer = racetrack_arc(x, y, plan.radius_um + hw, s, a0, a1, n_pts)
    inner = racetrack_arc(x, y, plan.radius_um - hw, s, a0, a1, n_pts)[::-1]
    return np.concatenate([outer, inner])


def polygon_centroid(points: np.ndarray) -> tuple[float, float]:
    """Area centroid of a simple polygon ``(P, 2)``."""
    x, y = points[:, 0], points[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = cross.sum() / 2
    cx = ((x + x1) * cross).sum() / (6 * area)
    cy = ((y + y1) * cross).sum() / (6 * area)
    return float(cx), float(cy)


def bank_geometry(
    cfg: LayoutConfig, plan: BankPlan, index: int, origin_um: tuple[float, float]
) -> BankGeometry:
    """The :class:`BankGeometry` of a bank whose input port is at ``origin_um`` (chip coords)."""
    ox, oy = origin_um
    r, n = plan.radius_um, plan.n_rings
    rings = []
    for i in range(n):
        outline = heater_outline(plan, i)
        hx, hy = polygon_centroid(outline)
        s = plan.straights_um[i]
        rings.append(
            RingGeometry(
                index=i,
                channel=i,
                center_um=(
                    round(ox + plan.ring_x_um[i], 6),
                    round(oy + plan.ring_y_um + s / 2, 6),
                ),
                radius_um=r,
                radius_offset_um=round(plan.offsets_um[i], 9),
                straight_um=round(s, 9),
                round_trip_um=round(2 * math.pi * r + 2 * s, 9),
                gap_in_nm=cfg.gap_in_nm,
                gap_drop_nm=cfg.gap_drop_nm,
                wg_width_nm=cfg.wg_width_nm,
                thickness_nm=cfg.thickness_nm,
                heater=HeaterGeometry(
                    centroid_um=(round(ox + hx, 6), round(oy + hy, 6)),
                    length_um=round(heater_length_um(r, s, plan.heater_arc_deg), 6),
                    width_um=plan.heater_width_um,
                ),
            )
        )
    xs = plan.ring_x_um
    segments = tuple(round(xs[i + 1] - xs[i] - 2 * r, 9) for i in range(n - 1))
    lead_in = round(xs[0] - r, 9)
    lead_out = round(plan.bus_length_um - xs[-1] - r, 9)
    length = plan.bus_length_um
    return BankGeometry(
        index=index,
        rings=tuple(rings),
        bus_segments_um={"through": segments, "drop": _drop_segments(plan, segments)},
        bus_leads_um={"in": lead_in, "through": lead_out, "add": lead_out, "drop": lead_in},
        ports={
            "in": PortGeometry(center_um=(ox, oy), orientation_deg=180.0),
            "through": PortGeometry(center_um=(round(ox + length, 6), oy), orientation_deg=0.0),
            "add": PortGeometry(
                center_um=(round(ox + length, 6), round(oy + plan.add_y_um, 6)),
                orientation_deg=0.0,
            ),
            "drop": PortGeometry(
                center_um=(ox, round(oy + plan.drop_y_um, 6)), orientation_deg=180.0
            ),
        },
    )


def design_bank(cfg: LayoutConfig) -> BankGeometry:
    """The geometry of one bank of a ``[layout]`` config, its input port at the origin: what a
    ``layout.json`` drawn from ``cfg`` holds for each of its banks, up to position."""
    return bank_geometry(cfg, plan_bank(cfg), 0, (0.0, 0.0))
