"""Ring-coupler data: loading (simphony's half-ring FDTD data or a user's Touchstone file),
interpolation onto a wavelength grid, and conditioning.

A coupler is a 4-port S-matrix per frequency, ``S[f, out, in]`` in simphony's SiEPIC half-ring port
order (``port_1..port_4``)::

        port_2 (ring, left end)        port_4 (ring, right end)
              │                              │
               ╲____________________________╱       half circle of radius R over the bus
     port_1 ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ port_3     bus, light enters at port_1

A Touchstone file of a user's coupler (``[circuit] coupler_in_s4p`` / ``coupler_drop_s4p``) must use
the same order: ports 1 and 3 the bus (in, out), ports 2 and 4 the ring ends on the port-1 and
port-3 side. Like simphony's data, its S-parameters are taken to include the phase of the half
circumference and of a bus of ``2R + 3w``.

:class:`CouplerData` keeps the data on its **native frequency points**; :meth:`CouplerData.at`
interpolates them with a not-a-knot cubic spline of the complex S over frequency, which is exactly
what simphony's ``half_ring`` does (``simphony.utils.resample``: equal to it to the bit). The
conditioning of :mod:`~photonic_dfa.circuits.passivity` (reflections, reciprocity, passivity) is then
applied per wavelength of the grid (:func:`conditioned`), so a circuit built from a
``bank_circuits.npz`` is the one the circuit stage evaluates. Nothing here imports simphony except
:func:`simphony_half_ring`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import CubicSpline

from photonic_dfa.circuits.models import HALF_RING_PORTS, SPEED_OF_LIGHT_M_PER_S
from photonic_dfa.circuits.passivity import PassivityReport, condition_sparams
from photonic_dfa.coupler_data import has_coupler_data, nearest_coupler_points
from photonic_dfa.errors import ConfigError

__all__ = [
    "HALF_RING_PORTS",
    "Conditioning",
    "CouplerData",
    "conditioned",
    "read_touchstone_coupler",
    "simphony_half_ring",
    "write_touchstone_coupler",
]


@dataclass(frozen=True)
class Conditioning:
    """How coupler data are conditioned before they enter a circuit (the ``[circuit]`` keys of the
    same names; see :mod:`~photonic_dfa.circuits.passivity`)."""

    reflections: Literal["remove", "keep"] = "remove"
    reciprocity: Literal["symmetrize", "none"] = "symmetrize"
    passivity: Literal["svd_clip", "none"] = "svd_clip"


@dataclass(frozen=True, eq=False)
class CouplerData:
    """One coupler's S-parameters on its native frequency points.

    Attributes:
        freq_Hz: ``(F,)`` strictly increasing frequencies (Hz).
        s: ``(F, 4, 4)`` complex, ``S[f, out, in]``, ports ``port_1..port_4``.
        source: where the data come from (``"simphony half_ring R=10 µm gap=150 nm (500×220 nm)"``
            or ``"touchstone <path>"``), for reports.
    """

    freq_Hz: np.ndarray
    s: np.ndarray
    source: str

    @functools.cached_property
    def sha256(self) -> str:
        """Digest of the data (frequencies and S), which identifies the coupler."""
        h = hashlib.sha256(np.ascontiguousarray(self.freq_Hz, np.float64).tobytes())
        h.update(np.ascontiguousarray(self.s, np.complex128).tobytes())
        return h.hexdigest()

    @property
    def wl_range_um(self) -> tuple[float, float]:
        """The wavelengths (µm) the data cover, shortest first."""
        return (
            SPEED_OF_LIGHT_M_PER_S / float(self.freq_Hz[-1]) * 1e6,
            SPEED_OF_LIGHT_M_PER_S / float(self.freq_Hz[0]) * 1e6,
        )

    @functools.cached_property
    def _spline(self) -> CubicSpline:
        return CubicSpline(self.freq_Hz, self.s, axis=0)

    def at(self, wl_um: ArrayLike) -> np.ndarray:
        """The raw data ``(K, 4, 4)`` interpolated onto wavelengths ``(K,)`` (µm).

        Raises:
            ConfigError: a wavelength outside the data (a spline would extrapolate silently).
        """
        wl = np.asarray(wl_um, dtype=float).reshape(-1)
        lo, hi = self.wl_range_um
        tol = 1e-9 * hi
        if wl.size and (wl.min() < lo - tol or wl.max() > hi + tol):
            raise ConfigError(
                f"coupler data ({self.source}) cover {lo * 1e3:.3f}–{hi * 1e3:.3f} nm, which does "
                f"not contain the wavelengths {wl.min() * 1e3:.3f}–{wl.max() * 1e3:.3f} nm asked for"
            )
        return np.asarray(self._spline(SPEED_OF_LIGHT_M_PER_S / (wl * 1e-6)))


#: conditioned coupler data on a grid, shared across circuits and analyses (bounded, LRU)
_CACHE: OrderedDict[tuple, tuple[np.ndarray, PassivityReport]] = OrderedDict()
_CACHE_SIZE = 48


def conditioned(
    data: CouplerData, wl_um: np.ndarray, how: Conditioning
) -> tuple[np.ndarray, PassivityReport]:
    """``data`` on ``wl_um`` ``(K,)`` (µm), conditioned: ``(K, 4, 4)`` and what conditioning did.

    Results are cached by (data, grid, conditioning); the returned array must not be modified.
    """
    wl = np.asarray(wl_um, dtype=float).reshape(-1)
    key = (data.sha256, hashlib.sha1(wl.tobytes()).hexdigest(), wl.size, how)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = condition_sparams(
        data.at(wl),
        wl,
        reflections=how.reflections,
        reciprocity=how.reciprocity,
        passivity=how.passivity,
    )
    _CACHE[key] = value
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


@functools.cache
def simphony_half_ring(
    radius_um: float, gap_nm: float, width_nm: float = 500.0, thickness_nm: float = 220.0
) -> CouplerData:
    """simphony's TE half-ring FDTD data (SiEPIC ``ebeam_dc_halfring_straight``, no coupling
    length) at one (R, gap, width, thickness) point, on its native frequencies.

    Raises:
        ConfigError: no data at this point (the message lists the nearest points that have data).
    """
    if not has_coupler_data(radius_um, gap_nm, width_nm, thickness_nm):
        near = "; ".join(
            str(p) for p in nearest_coupler_points(radius_um, gap_nm, width_nm, thickness_nm)
        )
        raise ConfigError(
            f"simphony has no half-ring data for R={radius_um:g} µm gap={gap_nm:g} nm "
            f"({width_nm:g}×{thickness_nm:g} nm); nearest valid points: {near} (or give your own "
            "coupler data: [circuit] coupler_in_s4p / coupler_drop_s4p)"
        )
    from simphony.plugins.lumerical import df_to_sdict, load_sparams  # heavy import, only here

    from photonic_dfa.coupler_data import coupler_file

    _, frame = load_sparams(coupler_file(radius_um, gap_nm, width_nm, thickness_nm))
    freq, sdict = df_to_sdict(frame)
    f = np.asarray(freq, dtype=float).reshape(-1)
    s = np.empty((f.size, 4, 4), dtype=complex)
    for i, p_out in enumerate(HALF_RING_PORTS):
        for j, p_in in enumerate(HALF_RING_PORTS):
            s[:, i, j] = np.asarray(sdict[(p_out, p_in)]).reshape(-1)
    source = f"simphony half_ring R={radius_um:g} µm gap={gap_nm:g} nm ({width_nm:g}×{thickness_nm:g} nm)"
    return CouplerData(freq_Hz=f, s=s, source=source)


def read_touchstone_coupler(path: str | os.PathLike[str]) -> CouplerData:
    """A coupler from a 4-port Touchstone file (read with scikit-rf), ports in simphony's
    ``port_1..port_4`` order (see the module docstring).

    Raises:
        ConfigError: one line naming the file: missing, unreadable, not 4 ports, or frequencies
            not strictly increasing.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"coupler Touchstone file {str(path)!r} does not exist")
    import skrf

    try:
        net = skrf.Network(str(path))
    except Exception as exc:  # scikit-rf raises many kinds on malformed files
        raise ConfigError(f"{path}: not a readable Touchstone file ({exc})") from None
    if net.nports != 4:
        raise ConfigError(
            f"{path}: a ring coupler needs 4 ports (port_1..port_4: bus in, ring, bus out, ring), "
            f"the file has {net.nports}"
        )
    f = np.asarray(net.f, dtype=float)
    if f.size < 4 or np.any(np.diff(f) <= 0):
        raise ConfigError(f"{path}: needs at least 4 strictly increasing frequency points")
    return CouplerData(freq_Hz=f, s=np.asarray(net.s, dtype=complex), source=f"touchstone {path}")


def write_touchstone_coupler(data: CouplerData, path: str | os.PathLike[str]) -> Path:
    """Write a coupler as a 4-port Touchstone v1 file (real/imaginary, full precision, Hz)."""
    import skrf

    from photonic_dfa.io import atomic_path

    path = Path(path)
    net = skrf.Network(frequency=skrf.Frequency.from_f(data.freq_Hz, unit="hz"), s=data.s)
    net.name = path.stem
    with atomic_path(path) as tmp:
        tmp.write_text(net.write_touchstone(return_string=True, form="ri"), encoding="ascii")
    return path
