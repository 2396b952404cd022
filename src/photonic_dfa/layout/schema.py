"""The public schema of ``layout.json`` (``photonic_dfa.layout`` v2) and its loader.

v2 (issue 12) moves the radius-offset straights out of the coupling regions (vertical, at x ± R;
bus segments measured between regions x ± R) and adds ``pad_layout``, ``chip_area_mm2`` and
``area_per_ring_um2``. v1 files are refused: their rings and bus segments follow the old geometry.

This is what every later stage knows of the drawing: the pydantic models of the description
(banks, rings, heaters, ports) and :func:`load_layout`. It needs no gdsfactory and no planner: the
layout stage fills it in from its plan (:mod:`photonic_dfa.layout.planner`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from photonic_dfa.config.layout import LayoutConfig
from photonic_dfa.errors import ArtifactError

__all__ = [
    "LAYOUT_SCHEMA",
    "LAYOUT_SCHEMA_VERSION",
    "BankGeometry",
    "DetectorGeometry",
    "GdsInfo",
    "HeaterGeometry",
    "LayoutDescription",
    "PadGeometry",
    "PortGeometry",
    "RingGeometry",
    "load_layout",
]

LAYOUT_SCHEMA: Final = "photonic_dfa.layout"
LAYOUT_SCHEMA_VERSION = 2
#: versions :func:`load_layout` reads (v1's ring geometry differs: not read)
READABLE_LAYOUT_VERSIONS = (2,)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PortGeometry(_Frozen):
    """An optical port: centre (µm) and the direction light leaves the cell (degrees)."""

    center_um: tuple[float, float]
    orientation_deg: float


class HeaterGeometry(_Frozen):
    """The heater strip over a ring (on the heater layer)."""

    centroid_um: tuple[float, float]
    length_um: float = Field(gt=0)
    width_um: float = Field(gt=0)


class RingGeometry(_Frozen):
    """One ring of a bank, in chip coordinates."""

    index: int = Field(ge=0)
    channel: int = Field(ge=0)
    center_um: tuple[float, float] = Field(description="centre of the racetrack (µm)")
    radius_um: float = Field(gt=0, description="bend radius = nominal radius of the coupler data")
    radius_offset_um: float = Field(ge=0, description="equivalent radius increase δ")
    straight_um: float = Field(
        ge=0,
        description="length of each of the two vertical straights at x ± R, outside both "
        "coupling regions (= π·δ)",
    )
    round_trip_um: float = Field(gt=0)
    gap_in_nm: float = Field(gt=0)
    gap_drop_nm: float = Field(gt=0)
    wg_width_nm: float = Field(gt=0)
    thickness_nm: float = Field(gt=0)
    heater: HeaterGeometry


class BankGeometry(_Frozen):
    """One bank: its rings in order along the input bus, bus segments and ports."""

    index: int = Field(ge=0)
    rings: tuple[RingGeometry, ...] = Field(min_length=1)
    bus_segments_um: dict[Literal["through", "drop"], tuple[float, ...]]
    bus_leads_um: dict[Literal["in", "through", "add", "drop"], float]
    ports: dict[Literal["in", "through", "add", "drop"], PortGeometry]


class PadGeometry(_Frozen):
    """A probe/wire-bond pad (M3 with a PADOPEN window): its net, centre and side (µm).

    A bump (``pad_layout`` ``bump``) is an octagon ``size_um`` across flats.
    ``net`` is ``gnd`` (the bank's shared heater ground), ``h<i>`` (ring ``i``'s heater) or one of
    ``pd_cathode``, ``pd_out``, ``pd_anode`` (the balanced detector pair). The GDS carries the
    same name as a text label ``b<bank>.<net>`` at the pad's centre.
    """

    bank: int = Field(ge=0)
    net: str
    center_um: tuple[float, float]
    size_um: float = Field(gt=0)


class DetectorGeometry(_Frozen):
    """A germanium photodetector (``ge_detector_straight_si_contacts``) at the end of a bus:
    ``role`` ``through`` or ``drop``; ``input_um`` is its optical input (µm)."""

    bank: int = Field(ge=0)
    role: Literal["through", "drop"]
    input_um: tuple[float, float]


class GdsInfo(_Frozen):
    file: str
    sha256: str
    top_cell: str


class LayoutDescription(_Frozen):
    """Contents of ``layout.json``: everything the circuit stage needs to know of the drawing.

    ``ports`` holds the grating couplers' fibre ports (``input``, ``loopback0``, ``loopback1``);
    ``pads`` and ``detectors`` the electrical plan (empty in files written before they existed);
    ``pad_layout`` says whether the pads are probe pads on the chip edge or flip-chip bumps, and
    ``pad_pitch_um`` their centre spacing along a bank's row.
    """

    schema_: Literal["photonic_dfa.layout"] = Field(LAYOUT_SCHEMA, alias="schema")
    schema_version: int
    generator: dict[str, str]
    parameters: LayoutConfig
    gds: GdsInfo
    layers: dict[str, tuple[int, int]]
    chip_size_um: tuple[float, float]
    n_rings: int = Field(ge=1)
    n_banks: int = Field(ge=1)
    banks: tuple[BankGeometry, ...] = Field(min_length=1)
    ports: dict[str, PortGeometry]
    splitter: dict[str, Any]
    pads: tuple[PadGeometry, ...] = ()
    detectors: tuple[DetectorGeometry, ...] = ()
    pad_pitch_um: float | None = None
    pad_layout: Literal["edge", "bump"] | None = Field(
        None, description="probe pads on the chip edge, or flip-chip bumps (None: a v1 file)"
    )
    chip_area_mm2: float | None = Field(None, gt=0, description="chip_size_um's area (mm²)")
    area_per_ring_um2: float | None = Field(None, gt=0, description="chip area / rings (µm²)")
    coupler_data: dict[str, Any] = Field(
        default_factory=dict,
        description="whether simphony has half-ring data at the design's radius and gaps "
        "(``simphony_has_data``); if not, ``notes`` name the nearest points, and the circuit "
        "stage needs the coupler data from the user ([circuit] coupler_in_s4p / coupler_drop_s4p)",
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> str:
        """Serialise (key order fixed, floats as written)."""
        return self.model_dump_json(by_alias=True, indent=1) + "\n"


def load_layout(path: str | os.PathLike[str]) -> LayoutDescription:
    """Read and validate ``layout.json``.

    Raises:
        ArtifactError: one line naming the file and what is wrong (missing, not JSON, another
            schema or version, invalid content).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"layout file {str(path)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != LAYOUT_SCHEMA:
        raise ArtifactError(
            f"{path}: not a photonic_dfa layout description (schema must be {LAYOUT_SCHEMA!r})"
        )
    version = data.get("schema_version")
    if version not in READABLE_LAYOUT_VERSIONS:
        readable = ", ".join(str(v) for v in READABLE_LAYOUT_VERSIONS)
        raise ArtifactError(
            f"{path}: layout schema_version {version!r} is not supported "
            f"(this photonic_dfa reads versions {readable})"
        )
    try:
        return LayoutDescription.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ArtifactError(
            f"{path}: invalid layout description at {key!r}: {err['msg']}"
        ) from None
