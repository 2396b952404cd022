"""The array floorplan: where each bank, the splitter tree and each bank's feed waveguide go.

Needs no gdsfactory. Two floorplans, chosen by :func:`~photonic_dfa.layout.planner.resolve_pads`:

* **edge** (probe pads): banks side by side in ``ceil(M / 2)`` columns, bank ``2c`` at the bottom
  of column ``c``, bank ``2c + 1`` above it mirrored in y, so that every pad row is on the chip's
  bottom or top edge. The feeds run in a channel between the two rows of banks, one horizontal
  lane per bank, 25 µm apart; each lane turns down (bottom bank) or up (top bank) left of its bank
  and into its input port. Lanes are stacked so that none crosses another: from the bottom, the
  bottom banks from the nearest column outwards, then the top banks from the farthest column
  back. The 1×M tree sits left of all banks; each of its outputs reaches its lane by one vertical
  jog (jogs further from the tree's middle lie further right, so jogs never cross either)::

        [pads of bank 1]        [pads of bank 3]          top edge
        bank 1 (mirrored)       bank 3 (mirrored)
     ┌─ lane 1 ──────────┐───────────────────────┐        lanes (channel)
     ├─ lane 3 ──────────┼─────────────────┐     │
     ├─ lane 2 ──────────┼─────────────────┘     │
    ▶┴─ lane 0 ──────────┘                       …
        bank 0                  bank 2
        [pads of bank 0]        [pads of bank 2]          bottom edge

* **bump** (flip-chip bumps): banks stacked in y as a column, each with its bump row below it,
  the tree to the left feeding each bank through one vertical run left of all bumps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.layout.planner import (
    BEND_RADIUS_UM,
    BankPlan,
    edge_column_pitch_um,
    feed_x_um,
)
from photonic_dfa.layout.schema import BankGeometry, PortGeometry, RingGeometry

__all__ = ["ArrayPlan", "mirror_bank_geometry", "plan_array"]

#: x spacing of the tree levels: the MMI (25.5 µm) and an S-bend of two bend radii, + 4.5 µm
TREE_LEVEL_DX_UM = 50.0
#: generic PDK ``mmi1x2``: outputs 25.5 µm right of its input, ±0.625 µm from its axis
MMI_LENGTH_UM = 25.5
MMI_OUTPUT_DY_UM = 0.625
#: edge floorplan: lane spacing, tree output spacing and the lanes' clearance from the banks (µm)
LANE_PITCH_UM = 25.0
EDGE_TREE_PITCH_UM = 50.0
LANE_CLEARANCE_UM = 15.0


@dataclass(frozen=True)
class ArrayPlan:
    """Placement of the banks, of the splitter tree and of the feeds (chip coordinates, µm).

    Bank ``b`` is fed by tree output ``leaf_of_bank[b]`` along the Manhattan points
    ``leaf → (jog_x, leaf y) → (jog_x, lane_y) → (feed_x, lane_y) → (feed_x, bank y) → bank``.
    """

    kind: str  # "edge" | "bump"
    bank_origins_um: tuple[tuple[float, float], ...]
    mirrored: tuple[bool, ...]  # bank drawn mirrored in y (pads on top)
    bank_pitch_um: float  # edge: column pitch (x); bump: bank pitch (y)
    tree_levels: int
    tree_x0_um: float  # input of the first level's MMI
    tree_y0_um: float  # y of the tree's virtual output 0
    tree_pitch_um: float  # spacing of the tree's virtual outputs
    leaf_of_bank: tuple[int, ...]
    jog_x_um: tuple[float, ...]
    lane_y_um: tuple[float, ...]
    feed_x_um: tuple[float, ...]


def plan_array(cfg: LayoutConfig, plan: BankPlan) -> ArrayPlan:
    """The floorplan of ``cfg``'s array, for banks planned as ``plan`` (its ``pad_kind``)."""
    return _edge_array(cfg, plan) if plan.pad_kind == "edge" else _stacked_array(cfg, plan)


def _levels(banks: int) -> int:
    return math.ceil(math.log2(banks)) if banks > 1 else 0


def _tree_x0(levels: int, leaf_x: float) -> float:
    """x of the tree's first MMI input when its last level's outputs are at ``leaf_x``."""
    return leaf_x - MMI_LENGTH_UM - max(levels - 1, 0) * TREE_LEVEL_DX_UM


def _stacked_array(cfg: LayoutConfig, plan: BankPlan) -> ArrayPlan:
    """Bump floorplan: banks stacked in y, the tree to the left, each feed left of the bumps."""
    height = plan.y_max_um - plan.y_min_um
    pitch = round(max(height + cfg.bank_spacing_um, 4 * BEND_RADIUS_UM + 10.0), 3)
    levels = _levels(cfg.banks)
    feed_x = plan.x_min_um - BEND_RADIUS_UM - 10.0  # no waveguide under a bump
    origins = tuple((0.0, round(b * pitch, 3)) for b in range(cfg.banks))
    m = cfg.banks
    return ArrayPlan(
        kind="bump",
        bank_origins_um=origins,
        mirrored=(False,) * m,
        bank_pitch_um=pitch,
        tree_levels=levels,
        tree_x0_um=_tree_x0(levels, feed_x - BEND_RADIUS_UM - 5.0),
        tree_y0_um=0.0,
        tree_pitch_um=pitch,
        leaf_of_bank=tuple(range(m)),
        jog_x_um=(feed_x,) * m,
        lane_y_um=tuple(y for _, y in origins),
        feed_x_um=(feed_x,) * m,
    )


def _lane_order(banks: int) -> list[int]:
    """Banks in lane order from the bottom: bottom banks from column 0 outwards, then the top
    banks from the last column back."""
    bottom = list(range(0, banks, 2))
    top = list(range(1, banks, 2))[::-1]
    return bottom + top


def _edge_array(cfg: LayoutConfig, plan: BankPlan) -> ArrayPlan:
    """Edge floorplan (see the module's sketch)."""
    m = cfg.banks
    col_pitch = edge_column_pitch_um(plan, cfg.bank_spacing_um)
    ch0 = round(plan.y_max_um + LANE_CLEARANCE_UM, 3)
    y_top = round(ch0 + LANE_PITCH_UM * (m - 1) + LANE_CLEARANCE_UM + plan.y_max_um, 3)
    origins = tuple(
        (round((b // 2) * col_pitch, 3), 0.0 if b % 2 == 0 else y_top) for b in range(m)
    )
    order = _lane_order(m)
    lane_of_bank = {b: j for j, b in enumerate(order)}
    lanes = tuple(round(ch0 + LANE_PITCH_UM * lane_of_bank[b], 3) for b in range(m))
    feeds = tuple(round(ox + feed_x_um(plan), 3) for ox, _ in origins)
    levels = _levels(m)
    tree_y0, leaf_y = _edge_tree_y(m, levels, ch0)
    jogs_rel = _jog_slots([leaf_y[k] - (ch0 + LANE_PITCH_UM * k) for k in range(m)])
    jog_max = min(feed_x_um(plan), plan.x_min_um - 10.0) - 2 * BEND_RADIUS_UM - 5.0
    jog0 = jog_max - LANE_PITCH_UM * max(jogs_rel, default=0)
    return ArrayPlan(
        kind="edge",
        bank_origins_um=origins,
        mirrored=tuple(b % 2 == 1 for b in range(m)),
        bank_pitch_um=col_pitch,
        tree_levels=levels,
        tree_x0_um=_tree_x0(levels, jog0 - 2 * BEND_RADIUS_UM - 5.0),
        tree_y0_um=tree_y0,
        tree_pitch_um=EDGE_TREE_PITCH_UM,
        leaf_of_bank=tuple(lane_of_bank[b] for b in range(m)),
        jog_x_um=tuple(
            round(jog0 + LANE_PITCH_UM * jogs_rel[lane_of_bank[b]], 3) for b in range(m)
        ),
        lane_y_um=lanes,
        feed_x_um=feeds,
    )


def _edge_tree_y(m: int, levels: int, ch0: float) -> tuple[float, list[float]]:
    """The tree's y origin and the y of its outputs 0 … m-1: output ``2·m0 + 1`` on the level of
    its lane (no jog), the tree centred on the channel; with 50 µm outputs on 25 µm lanes every
    other output is >= 2 bend radii from its lane (23.75 µm or a multiple of 25 µm)."""
    if m == 1:
        return ch0, [ch0]
    p, lane = EDGE_TREE_PITCH_UM, LANE_PITCH_UM
    m0 = round(2 ** (levels - 1) - (m - 1) / 4)
    m0 = min(max(m0, 0), (m - 2) // 2)
    y0 = ch0 + (2 * m0 + 1) * lane - (2 * m0 + 0.5) * p - MMI_OUTPUT_DY_UM
    leaf = [
        y0 + (k - k % 2 + 0.5) * p + (MMI_OUTPUT_DY_UM if k % 2 else -MMI_OUTPUT_DY_UM)
        for k in range(m)
    ]
    return y0, leaf


def _jog_slots(dy: list[float]) -> list[int]:
    """Jog slot (x rank) of each output with its vertical offset ``dy`` to its lane: outputs
    above their lane jog down, right further for higher outputs; outputs below jog up, right
    further for lower ones; outputs on their lane do not jog (slot 0)."""
    slots = [0] * len(dy)
    down = [k for k in range(len(dy)) if dy[k] > 1e-6]
    up = [k for k in range(len(dy)) if dy[k] < -1e-6][::-1]
    for group in (down, up):
        for rank, k in enumerate(group):
            slots[k] = rank
    return slots


def mirror_bank_geometry(bank: BankGeometry, y_axis_um: float) -> BankGeometry:
    """``bank`` reflected about the horizontal line ``y = y_axis_um`` (a bank drawn mirrored):
    every y coordinate mirrored; lengths, indices and port directions (0°/180°) unchanged."""

    def flip(p: tuple[float, float]) -> tuple[float, float]:
        return (p[0], round(2 * y_axis_um - p[1], 6))

    rings = tuple(
        RingGeometry.model_validate(
            {
                **r.model_dump(),
                "center_um": flip(r.center_um),
                "heater": {**r.heater.model_dump(), "centroid_um": flip(r.heater.centroid_um)},
            }
        )
        for r in bank.rings
    )
    ports = {
        name: PortGeometry(center_um=flip(p.center_um), orientation_deg=p.orientation_deg)
        for name, p in bank.ports.items()
    }
    return bank.model_copy(update={"rings": rings, "ports": ports})
