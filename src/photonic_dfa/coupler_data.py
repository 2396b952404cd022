"""Which ring couplers simphony has FDTD data for.

``simphony.libraries.siepic.half_ring`` looks its S-parameters up in files of FDTD results at discrete
(radius, gap, width, thickness, coupling length) points; any other point raises ``FileNotFoundError``
deep inside simphony. This module lists those points by reading the file names of simphony's data
folder, without importing simphony, so that the layout stage can warn and the circuit stage can fail
with a message that names the nearest valid points.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CouplerPoint",
    "coupler_file",
    "coupler_points",
    "has_coupler_data",
    "nearest_coupler_points",
]

_PATTERN = re.compile(
    r"(?P<pol>te|tm)_ebeam_dc_halfring_straight_gap=(?P<gap>\d+)nm_radius=(?P<radius>\d+)um_"
    r"width=(?P<width>\d+)nm_thickness=(?P<thickness>\d+)nm_CoupleLength=(?P<cl>\d+)um\.dat"
)


@dataclass(frozen=True, order=True)
class CouplerPoint:
    """One (radius, gap, width, thickness) point of simphony's half-ring data (TE, no straight)."""

    radius_um: float
    gap_nm: float
    width_nm: float
    thickness_nm: float

    def __str__(self) -> str:
        return (
            f"R={self.radius_um:g} µm gap={self.gap_nm:g} nm "
            f"({self.width_nm:g}×{self.thickness_nm:g} nm)"
        )


def _data_dir() -> Path:
    spec = importlib.util.find_spec("simphony")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("simphony is not installed")
    return (
        Path(spec.submodule_search_locations[0])
        / "libraries"
        / "siepic"
        / "source_data"
        / "ebeam_dc_halfring_straight"
    )


def coupler_file(
    radius_um: float, gap_nm: float, width_nm: float = 500.0, thickness_nm: float = 220.0
) -> Path:
    """The data file of one TE point (no coupling length), as ``simphony.libraries.siepic.half_ring``
    names it; check :func:`has_coupler_data` first."""
    name = (
        f"te_ebeam_dc_halfring_straight_gap={int(gap_nm)}nm_radius={int(radius_um)}um_"
        f"width={int(width_nm)}nm_thickness={int(thickness_nm)}nm_CoupleLength=0um.dat"
    )
    return _data_dir() / name


@functools.cache
def coupler_points() -> tuple[CouplerPoint, ...]:
    """All TE half-ring points with zero coupling length, sorted."""
    points = set()
    for file in _data_dir().glob("*.dat"):
        m = _PATTERN.fullmatch(file.name)
        if m and m["pol"] == "te" and m["cl"] == "0":
            points.add(
                CouplerPoint(
                    float(m["radius"]), float(m["gap"]), float(m["width"]), float(m["thickness"])
                )
            )
    return tuple(sorted(points))


def has_coupler_data(
    radius_um: float, gap_nm: float, width_nm: float = 500.0, thickness_nm: float = 220.0
) -> bool:
    """True if simphony has half-ring data at exactly this point."""
    return CouplerPoint(radius_um, gap_nm, width_nm, thickness_nm) in set(coupler_points())


def nearest_coupler_points(
    radius_um: float,
    gap_nm: float,
    width_nm: float = 500.0,
    thickness_nm: float = 220.0,
    *,
    count: int = 3,
) -> list[CouplerPoint]:
    """The ``count`` data points nearest to the given one (same width × thickness if any exist).

    Distance: relative radius difference plus gap difference in units of 50 nm.
    """
    points = [
        p for p in coupler_points() if p.width_nm == width_nm and p.thickness_nm == thickness_nm
    ] or list(coupler_points())

    def distance(p: CouplerPoint) -> float:
        return (abs(math.log(p.radius_um / radius_um)) if radius_um > 0 else p.radius_um) + abs(
            p.gap_nm - gap_nm
        ) / 50.0

    return sorted(points, key=distance)[:count]
