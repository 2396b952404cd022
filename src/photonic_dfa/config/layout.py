"""The ``[layout]`` section: geometry of the microring weight-bank array."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from photonic_dfa.config._base import StageConfig

__all__ = ["RING_CLEARANCE_UM", "LayoutConfig"]

#: 1:1 field of a lithography scanner, the largest die printed in one exposure: 26 × 33 mm
#: (ASML NXT/XT full field); ``pads = "auto"`` puts the pads on the chip edge only while the chip
#: this needs keeps both sides within :attr:`LayoutConfig.max_chip_side_um` (default: 26 mm)
RETICLE_SIDE_UM = 26000.0

#: clearance between neighbouring rings (µm): the heater-to-heater space of the DRC deck
#: (:mod:`photonic_dfa.layout.rules`), which also keeps the waveguides >= 0.2 µm apart
RING_CLEARANCE_UM = 1.0
#: tightest bend of the drop bus's S-bends (µm): radiation loss of a 500 × 220 nm strip is
#: negligible above ~5 µm radius (W. Bogaerts et al., "Silicon microring resonators", Laser
#: Photonics Rev. 6, 47 (2012))
SBEND_MIN_RADIUS_UM = 5.0


class LayoutConfig(StageConfig):
    """Parameters of the weight-bank array drawn by ``photonic-dfa layout``.

    The defaults draw 8 banks of 10 rings of radius 10 µm with 150 nm gaps on both buses: a
    point of simphony's half-ring FDTD data (500 × 220 nm strip), whose free spectral range
    (≈ 9 nm) holds 10 channels at 0.8 nm spacing. Ring ``i`` is meant for WDM channel ``i``; its
    radius is ``radius_um + i * radius_step_nm / 1000`` (plus ``radius_offsets_um[i]`` if given),
    which staggers the cold resonances by about one channel spacing per ring. A radius offset δ is
    drawn as two vertical straight sections of π·δ at the ring's sides, away from both buses (same
    round trip as a circle of radius R + δ), so each coupling region is exactly simphony's half-ring
    data point; the drop bus steps (raised-cosine S-bends) to follow the taller rings. Each heater
    (as wide as the ring at most) reaches M3 through two via stacks inside its ring. Each bank has
    N + 4 contacts in one row: one per heater, a shared ground, three for the detectors. With
    ``pads = "edge"`` they are probe/wire-bond pads (>= 75 µm on >= 100 µm centres) on the chip's
    bottom and top edges (banks side by side in pairs, the upper one mirrored); with
    ``pads = "bump"`` they are flip-chip bumps (``bump_size_um`` on ``bump_pitch_um``) below each
    bank of a stack of banks; ``auto`` takes the edge while the chip's long side stays within
    ``max_chip_side_um``.
    """

    rings: int = Field(10, ge=1, le=64, description="rings per bank N (= WDM channels)")
    banks: int = Field(8, ge=1, le=256, description="banks M in the array")
    radius_um: float = Field(10.0, gt=0.0, le=100.0, description="nominal ring radius (µm)")
    gap_in_nm: float = Field(150.0, gt=0.0, le=2000.0, description="input/through bus gap (nm)")
    gap_drop_nm: float = Field(150.0, gt=0.0, le=2000.0, description="drop bus gap (nm)")
    wg_width_nm: float = Field(500.0, ge=200.0, le=2000.0, description="waveguide width (nm)")
    thickness_nm: float = Field(220.0, ge=100.0, le=500.0, description="Si thickness (nm)")
    radius_step_nm: float = Field(
        9.0, ge=0.0, le=100.0, description="radius increment from ring i to ring i+1 (nm)"
    )
    radius_offsets_um: tuple[float, ...] | None = Field(
        None, description="extra per-ring radius offsets (µm), one per ring"
    )
    pitch_um: float | None = Field(
        None, gt=0.0, le=2000.0, description="ring centre spacing along the bus (µm); auto if unset"
    )
    ring_spacing_um: float = Field(
        5.65,
        ge=0.0,
        le=500.0,
        description="spacing added to the minimum pitch for the auto pitch (µm)",
    )
    heater_width_um: float = Field(
        0.5, gt=0.0, le=2.0, description="heater strip width (µm), at most the waveguide width"
    )
    heater_arc_deg: float = Field(
        270.0, gt=0.0, le=330.0, description="heater arc over the ring, centred away from the leads"
    )
    pad_size_um: float = Field(
        80.0, ge=75.0, le=200.0, description="probe/wire-bond pad side (µm), >= 75"
    )
    pad_pitch_um: float = Field(
        100.0, ge=100.0, le=500.0, description="pad centre spacing along a pad row (µm), >= 100"
    )
    pads: Literal["edge", "bump", "auto"] = Field(
        "auto",
        description="contacts: probe pads on the chip edge, flip-chip bumps, or edge while it fits",
    )
    bump_size_um: float = Field(
        25.0,
        ge=20.0,
        le=200.0,
        description="flip-chip bump (octagon across flats, µm): Cu-pillar micro-bumps are "
        "20-25 µm (Xilinx Virtex-7 2000T on CoWoS: 45 µm pitch)",
    )
    bump_pitch_um: float = Field(
        50.0, ge=40.0, le=500.0, description="bump centre spacing along a bump row (µm), >= 40"
    )
    max_chip_side_um: float = Field(
        RETICLE_SIDE_UM,
        gt=0.0,
        le=1e6,
        description="pads = auto: edge pads while the chip's long side stays within this (µm)",
    )
    via_stack_um: float = Field(
        3.0,
        ge=2.7,
        le=10.0,
        description="side of the heater-to-M3 via stack (µm); >= one 0.7 µm via + 2 × 1 µm",
    )
    splitter: Literal["mmi1x2"] = Field(
        "mmi1x2", description="1×2 splitter cell of the tree (the generic PDK's MMI)"
    )
    bank_spacing_um: float = Field(
        30.0, ge=0.0, le=2000.0, description="clear space between neighbouring banks (µm)"
    )

    @model_validator(mode="after")
    def _check_geometry(self) -> LayoutConfig:
        if self.radius_offsets_um is not None and len(self.radius_offsets_um) != self.rings:
            raise ValueError(
                f"radius_offsets_um has {len(self.radius_offsets_um)} values, "
                f"needs one per ring ({self.rings})"
            )
        if self.radius_offsets_um is not None and min(self.radius_offsets_um) < 0:
            raise ValueError(
                f"radius_offsets_um contains {min(self.radius_offsets_um):g}: offsets must be >= 0 "
                "(they are drawn as straight sections of the ring; lower radius_um instead)"
            )
        min_pitch = self.min_pitch_um()
        if self.pitch_um is not None and self.pitch_um < min_pitch:
            raise ValueError(
                f"pitch_um = {self.pitch_um:g} is smaller than the ring diameter + gap, or than "
                f"the room the drop bus's S-bends need ({min_pitch:.4g} µm): neighbouring rings "
                f"would overlap or the bus bend tighter than {SBEND_MIN_RADIUS_UM:g} µm; use "
                f"pitch_um >= {min_pitch:.4g}"
            )
        if self.heater_width_um > self.wg_width_nm * 1e-3 + 1e-9:
            raise ValueError(
                f"heater_width_um = {self.heater_width_um:g} is wider than the ring waveguide "
                f"({self.wg_width_nm * 1e-3:g} µm): the heater would overhang the ring towards "
                "the buses; use heater_width_um <= wg_width_nm / 1000"
            )
        if self.pad_pitch_um <= self.pad_size_um:
            raise ValueError(
                f"pad_pitch_um = {self.pad_pitch_um:g} must exceed pad_size_um = "
                f"{self.pad_size_um:g} (pads would touch)"
            )
        if self.bump_pitch_um <= self.bump_size_um:
            raise ValueError(
                f"bump_pitch_um = {self.bump_pitch_um:g} must exceed bump_size_um = "
                f"{self.bump_size_um:g} (bumps would touch)"
            )
        return self

    def ring_radii_um(self) -> list[float]:
        """Drawn radius of each ring (µm), in channel order."""
        offsets = self.radius_offsets_um or (0.0,) * self.rings
        return [
            self.radius_um + i * self.radius_step_nm * 1e-3 + offsets[i] for i in range(self.rings)
        ]

    def min_pitch_um(self) -> float:
        """Smallest ring pitch (µm): neighbouring rings keep the DRC spacing — the ring's outer
        diameter (waveguide or heater, whichever is wider; the straights are vertical and add
        nothing) plus the larger bus gap or :data:`RING_CLEARANCE_UM` — and the drop bus has room
        for its S-bend between them (:meth:`_sbend_pitch_um`)."""
        return max(self._clear_pitch_um(), self._sbend_pitch_um())

    def _clear_pitch_um(self) -> float:
        width = max(self.wg_width_nm * 1e-3, self.heater_width_um)
        clearance = max(self.gap_in_nm * 1e-3, self.gap_drop_nm * 1e-3, RING_CLEARANCE_UM)
        return 2 * self.radius_um + width + clearance

    def _sbend_pitch_um(self) -> float:
        """Pitch at which the largest step of the drop bus between neighbouring rings (π × their
        radius difference) fits a raised-cosine S-bend of radius >= :data:`SBEND_MIN_RADIUS_UM`
        beside the ``1.5 w`` of straight bus each coupling region keeps: ``L = π √(Δ R_min / 2)``."""
        radii = self.ring_radii_um()
        step = max((math.pi * abs(b - a) for a, b in zip(radii, radii[1:])), default=0.0)
        if step == 0:
            return 0.0
        bend = math.pi * math.sqrt(step * SBEND_MIN_RADIUS_UM / 2)
        return 2 * self.radius_um + 3 * self.wg_width_nm * 1e-3 + bend

    def resolved_pitch_um(self) -> float:
        """The ring pitch used: ``pitch_um`` if given, else diameter + width + clearance +
        ``ring_spacing_um`` (at least :meth:`min_pitch_um`)."""
        if self.pitch_um is not None:
            return self.pitch_um
        auto = max(self._clear_pitch_um() + self.ring_spacing_um, self.min_pitch_um())
        return math.ceil(round(auto * 1000, 6)) / 1000
