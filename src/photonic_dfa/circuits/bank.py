"""The bus circuit of one weight bank, built from its :class:`BankGeometry`.

Topology (ring ``i`` in x order along the input bus; light enters at ``in``)::

    drop ◀─ Wd_0 ─[C_drop,0]─ Wd_1 ─ … ─[C_drop,N−1]─ Wd_N ─ add          drop bus (light ◀)
                      ║  ring 0                 ║  ring N−1
      in ─ Wt_0 ─[C_in,0]─── Wt_1 ─ … ─[C_in,N−1]── Wt_N ─▶ through        input bus (light ▶)

Each ring = two simphony half-rings (``C_in`` at ``gap_in_nm`` under the ring, ``C_drop`` at
``gap_drop_nm`` over it, rotated by 180°) joined by two ring sections (waveguide model): each adds
one straight of ``straight_um`` (phase and loss), the attenuation of a half circumference ``πR``
(whose phase is already in the half-ring data) and half of the ring's heater/offset phase. The round
trip is thus ``2πR + 2·straight_um`` of phase, as drawn.

**Bus-length convention.** ``layout.json`` measures ``bus_segments_um`` between coupling regions
``x_i ± (R + straight_i/2)`` and ``bus_leads_um`` from the ports to the first/last region. The
half-ring data already contain a bus of ``2R + 3w`` (the SiEPIC cell's pins at ``±(R + 1.5w)``) and
no straight, so the bus waveguides of the circuit are::

    Wt_0 = lead_in + s_0/2 − 1.5w      Wt_k = seg_{k−1} + (s_{k−1} + s_k)/2 − 3w      Wt_N = lead_through + s_{N−1}/2 − 1.5w

(likewise on the drop bus with its own leads/segments): the total bus phase is that of the drawn
bus, ``Σ leads + Σ segments + Σ (2R + s_i)``.

**Solvers.** :meth:`BankCircuit.sparams` cascades the 4-port ring blocks along the buses with
Redheffer star products (2 ports each side: input bus, drop bus), which is the exact solution of the
circuit's linear equations for this chain topology, reflections included; each ring block itself is
solved exactly from the two couplers' 4×4 matrices and the ring sections. The SAX netlist
(:func:`bank_netlist`, solved by SAX's ``klu`` backend in :meth:`BankCircuit.sax_sparams`) is the
reference model; the two agree to ~1e-12 (tests).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from photonic_dfa.circuits.models import (
    check_wavelengths,
    group_index,
    half_ring_bus_length_um,
    load_half_ring,
    sdict_from_matrix,
    waveguide,
    waveguide_coefficients,
    waveguide_transmission,
)
from photonic_dfa.circuits.passivity import PassivityReport, condition_sparams
from photonic_dfa.circuits.solver import (
    chain,
    chain_partials,
    ring_blocks_rational,
    ring_rational_coefficients,
    to_ports,
)
from photonic_dfa.circuits.thermal import (
    crosstalk_matrix,
    heater_slope_nm_per_mW,
    shift_to_phase_rad,
    temperature_rise_K,
    thermal_phase_rad,
)
from photonic_dfa.config.circuit import COUPLER_DATA_WL_NM, CircuitConfig
from photonic_dfa.errors import ArtifactError
from photonic_dfa.layout.schema import BankGeometry, RingGeometry

__all__ = [
    "PORTS",
    "BankCircuit",
    "CouplerLoader",
    "RingArrays",
    "bank_netlist",
    "bus_waveguide_lengths_um",
    "load_ring_arrays",
    "simphony_coupler_loader",
]

#: port order of every 4×4 matrix this module returns
PORTS: tuple[str, str, str, str] = ("in", "through", "add", "drop")

#: ``loader(ring, which, wl_um) -> (K, 4, 4)`` coupler matrix (ports port_1..port_4, S[out, in])
CouplerLoader = Callable[[RingGeometry, Literal["in", "drop"], np.ndarray], np.ndarray]


def simphony_coupler_loader(
    ring: RingGeometry, which: Literal["in", "drop"], wl_um: np.ndarray
) -> np.ndarray:
    """The default :data:`CouplerLoader`: simphony's half-ring data at the ring's data point."""
    gap = ring.gap_in_nm if which == "in" else ring.gap_drop_nm
    return load_half_ring(
        wl_um,
        radius_um=ring.radius_um,
        gap_nm=gap,
        width_nm=ring.wg_width_nm,
        thickness_nm=ring.thickness_nm,
    )


# --------------------------------------------------------------------------------------------
# Per-ring data (numpy, outside jit)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RingArrays:
    """Everything of one ring on a wavelength grid ``(K,)``, evaluated outside jit.

    Attributes:
        c_in, c_drop: conditioned coupler matrices ``(K, 4, 4)`` (port_1..port_4, ``S[out, in]``).
        section_t: transmission ``(K,)`` of each of the two ring sections without heater phase.
        ng_length_um: round-trip group delay × c, ``n_g L`` ``(K,)`` (µm), of the model (half-ring
            data + sections), which converts phases to resonance shifts.
        heated_length_um, round_trip_um: heater length and round trip (µm).
        reports: passivity/reciprocity report of each coupler (``"in"``, ``"drop"``).
    """

    c_in: np.ndarray
    c_drop: np.ndarray
    section_t: np.ndarray
    ng_length_um: np.ndarray
    heated_length_um: float
    round_trip_um: float
    reports: dict[str, PassivityReport]


def _check_ring(ring: RingGeometry) -> None:
    expected = 2 * math.pi * ring.radius_um + 2 * ring.straight_um
    if abs(ring.round_trip_um - expected) > 1e-6 * max(1.0, expected):
        raise ArtifactError(
            f"ring {ring.index}: round_trip_um = {ring.round_trip_um:g} does not match "
            f"2πR + 2·straight_um = {expected:.6f} µm"
        )
    if ring.heater.length_um > ring.round_trip_um + 1e-9:
        raise ArtifactError(
            f"ring {ring.index}: heater length {ring.heater.length_um:g} µm exceeds the ring's "
            f"round trip {ring.round_trip_um:g} µm"
        )


def _section_t(ring: RingGeometry, cfg: CircuitConfig, wl: np.ndarray) -> np.ndarray:
    wg = waveguide_coefficients(ring.wg_width_nm, ring.thickness_nm)
    return np.asarray(
        waveguide_transmission(
            wl,
            length_um=ring.straight_um,
            loss_dB_cm=cfg.loss_dB_cm,
            loss_only_um=math.pi * ring.radius_um,
            **wg.as_params(),
        )
    )


def _loop_gain(c_in: np.ndarray, c_drop: np.ndarray, t: np.ndarray) -> np.ndarray:
    # port_2 → port_4 of each coupler (ring path), two sections
    return c_in[:, 3, 1] * t * c_drop[:, 3, 1] * t


#: conditioned coupler data, shared across circuits and analyses (bounded, least recently used)
_COUPLER_CACHE: OrderedDict = OrderedDict()
_COUPLER_CACHE_SIZE = 24


def _conditioned_coupler(key: tuple, make: Callable[[], tuple]) -> tuple:
    if key in _COUPLER_CACHE:
        _COUPLER_CACHE.move_to_end(key)
        return _COUPLER_CACHE[key]
    value = make()
    _COUPLER_CACHE[key] = value
    while len(_COUPLER_CACHE) > _COUPLER_CACHE_SIZE:
        _COUPLER_CACHE.popitem(last=False)
    return value


def load_ring_arrays(
    ring: RingGeometry,
    cfg: CircuitConfig,
    wl_um: ArrayLike,
    *,
    coupler_loader: CouplerLoader = simphony_coupler_loader,
    group_delay: bool = True,
    _cache: dict | None = None,
) -> RingArrays:
    """Load and condition one ring's coupler data and waveguide sections on ``wl_um`` (µm).

    ``group_delay=False`` skips the round-trip group delay (``ng_length_um`` is then NaN), which
    needs the data at two more wavelengths per point.

    Raises:
        ConfigError: wavelengths outside the data, or no data at the ring's parameters.
        ArtifactError: inconsistent ring geometry.
    """
    wl = check_wavelengths(wl_um)
    _check_ring(ring)
    cache = {} if _cache is None else _cache

    def coupler(which: Literal["in", "drop"], grid: np.ndarray):
        gap = ring.gap_in_nm if which == "in" else ring.gap_drop_nm
        key = (
            coupler_loader,
            cfg.coupler_reflections,
            cfg.reciprocity,
            cfg.passivity,
            ring.radius_um,
            gap,
            ring.wg_width_nm,
            ring.thickness_nm,
            hashlib.sha1(grid.tobytes()).hexdigest(),
            grid.size,
        )
        if key not in cache:
            cache[key] = _conditioned_coupler(
                key,
                lambda: condition_sparams(
                    coupler_loader(ring, which, grid),
                    grid,
                    reflections=cfg.coupler_reflections,
                    reciprocity=cfg.reciprocity,
                    passivity=cfg.passivity,
                ),
            )
        return cache[key]

    c_in, rep_in = coupler("in", wl)
    c_drop, rep_drop = coupler("drop", wl)
    t = _section_t(ring, cfg, wl)

    if not group_delay:
        return RingArrays(
            c_in=c_in,
            c_drop=c_drop,
            section_t=t,
            ng_length_um=np.full(wl.shape, np.nan),
            heated_length_um=ring.heater.length_um,
            round_trip_um=ring.round_trip_um,
            reports={"in": rep_in, "drop": rep_drop},
        )
    # group delay of the loop from its phase slope (central differences inside the data range)
    h = 2e-5
    wl_lo = np.maximum(wl - h, COUPLER_DATA_WL_NM[0] * 1e-3)
    wl_hi = np.minimum(wl + h, COUPLER_DATA_WL_NM[1] * 1e-3)
    grid, inverse = np.unique(np.concatenate([wl_lo, wl_hi]), return_inverse=True)
    gain = _loop_gain(coupler("in", grid)[0], coupler("drop", grid)[0], _section_t(ring, cfg, grid))
    g_lo, g_hi = gain[inverse[: wl.size]], gain[inverse[wl.size :]]
    dphi_dwl = np.angle(g_hi / g_lo) / (wl_hi - wl_lo)
    ng_length = -(wl**2) / (2 * math.pi) * dphi_dwl
    return RingArrays(
        c_in=c_in,
        c_drop=c_drop,
        section_t=t,
        ng_length_um=ng_length,
        heated_length_um=ring.heater.length_um,
        round_trip_um=ring.round_trip_um,
        reports={"in": rep_in, "drop": rep_drop},
    )


def bus_waveguide_lengths_um(bank: BankGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (µm) of the bus waveguides ``Wt_0..Wt_N`` and ``Wd_0..Wd_N`` (x order), see the
    module docstring for the convention.

    Raises:
        ArtifactError: a segment is shorter than the bus already inside the half-ring data, or the
            segment lists have the wrong length.
    """
    rings = bank.rings
    n = len(rings)
    half_bus = [
        half_ring_bus_length_um(r.radius_um, r.wg_width_nm) / 2 - r.radius_um for r in rings
    ]  # 1.5 w beyond the coupling region on each side
    s = [r.straight_um for r in rings]
    out = []
    for bus, first, last in (("through", "in", "through"), ("drop", "drop", "add")):
        segs = bank.bus_segments_um.get(bus)
        if segs is None or len(segs) != n - 1:
            raise ArtifactError(
                f"bank {bank.index}: bus_segments_um[{bus!r}] must have {n - 1} values "
                f"(one per pair of neighbouring rings), got {None if segs is None else len(segs)}"
            )
        lengths = [bank.bus_leads_um[first] + s[0] / 2 - half_bus[0]]
        for k in range(1, n):
            lengths.append(segs[k - 1] + (s[k - 1] + s[k]) / 2 - half_bus[k - 1] - half_bus[k])
        lengths.append(bank.bus_leads_um[last] + s[-1] / 2 - half_bus[-1])
        arr = np.asarray(lengths)
        if np.any(arr < -1e-9):
            k = int(np.argmin(arr))
            raise ArtifactError(
                f"bank {bank.index}: {bus} bus waveguide {k} would be {arr[k]:.3f} µm long: the "
                "layout's bus segments are shorter than the bus inside simphony's half-ring "
                "data (1.5 × width beyond each coupling region)"
            )
        out.append(np.maximum(arr, 0.0))
    return out[0], out[1]


# --------------------------------------------------------------------------------------------
# BankCircuit
# --------------------------------------------------------------------------------------------


class _Static:
    """Static data carried through jit as pytree aux data.

    Equality and hash use only what the traced computation depends on (ring count, thermal
    constants, coupler-pair index), so circuits of equal structure share compiled code; the rest
    (geometry, config, reports) rides along for the Python-side methods.
    """

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)

    def _key(self) -> tuple:
        return (
            self.n_rings,
            self.dneff_dT_per_K,
            self.thermal_impedance_K_per_mW,
            tuple(int(i) for i in self.pair_index),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Static) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


_ARRAYS = (
    "wl_um",
    "c_in",
    "c_drop",
    "section_t",
    "direct",
    "coeffs",
    "tr_m",
    "det_m",
    "bus_through_t",
    "bus_drop_t",
    "ng_length_um",
    "heated_length_um",
    "round_trip_um",
    "thermal_crosstalk",
)


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class BankCircuit:
    """One bank's bus circuit on a fixed wavelength grid; every method is pure JAX.

    Build it with :meth:`from_geometry` (loads simphony's half-ring data once, outside jit). The
    methods take heater powers ``heater_mW`` ``(..., N)`` (mW) and optional per-ring resonance
    offsets ``shift_nm`` ``(..., N)`` (fabrication variation; > 0 is a red shift), broadcast over the
    leading axes, and are jittable, vmappable and differentiable (``jax.grad``, ``jax.jacfwd``). The
    object is a pytree: it can be passed into jitted functions as an argument.

    Attributes:
        wl_um: wavelength grid ``(K,)`` (µm).
        thermal_crosstalk: ``(N, N)``, rows = ring that receives heat, ``K_ii = 1``.
        heated_length_um, round_trip_um: ``(N,)`` (µm).
        ng_length_um: ``(N, K)`` round-trip group delay × c (µm) of each ring model.
        c_in, c_drop: ``(N, K, 4, 4)`` conditioned coupler data (``port_1..port_4``, ``S[out, in]``).
        section_t: ``(N, K)`` ring-section transmission without heater phase.
        direct, coeffs, tr_m, det_m: rational form of the ring blocks (:mod:`.solver`), one per
            distinct coupler pair ``M``, matrix axes leading: ``(4, 4, M, K)``,
            ``(5, 4, 4, M, K)``, ``(M, K)``, ``(M, K)``.
        bus_through_t, bus_drop_t: ``(N + 1, K)`` bus-waveguide transmissions (x order).
    """

    wl_um: jnp.ndarray
    c_in: jnp.ndarray
    c_drop: jnp.ndarray
    section_t: jnp.ndarray
    direct: jnp.ndarray
    coeffs: jnp.ndarray
    tr_m: jnp.ndarray
    det_m: jnp.ndarray
    bus_through_t: jnp.ndarray
    bus_drop_t: jnp.ndarray
    ng_length_um: jnp.ndarray
    heated_length_um: jnp.ndarray
    round_trip_um: jnp.ndarray
    thermal_crosstalk: jnp.ndarray
    static: _Static = field(repr=False)

    # -- pytree ---------------------------------------------------------------------------
    def tree_flatten(self):
        return tuple(getattr(self, k) for k in _ARRAYS), self.static

    @classmethod
    def tree_unflatten(cls, static, children):
        return cls(*children, static=static)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_geometry(
        cls,
        bank: BankGeometry,
        cfg: CircuitConfig,
        wl_um: ArrayLike,
        *,
        coupler_loader: CouplerLoader = simphony_coupler_loader,
    ) -> BankCircuit:
        """Load the bank's couplers and waveguides on ``wl_um`` (µm, increasing, in 1.5–1.6).

        Args:
            bank: the bank's geometry (from ``layout.json`` or :func:`bank_geometry`).
            cfg: the ``[circuit]`` config (loss, thermal model, data conditioning).
            wl_um: wavelength grid ``(K,)`` (µm).
            coupler_loader: replaces simphony's half-ring data (e.g. ideal couplers in tests).

        Raises:
            ConfigError: wavelengths outside the coupler data; ring parameters without data
                (the message lists the nearest valid points).
            ArtifactError: inconsistent geometry (round trip, bus segments).
        """
        wl = check_wavelengths(wl_um)
        cache: dict = {}
        rings = [
            load_ring_arrays(r, cfg, wl, coupler_loader=coupler_loader, _cache=cache)
            for r in bank.rings
        ]
        lt, ld = bus_waveguide_lengths_um(bank)
        wg = waveguide_coefficients(bank.rings[0].wg_width_nm, bank.rings[0].thickness_nm)

        def bus(lengths: np.ndarray) -> np.ndarray:
            return np.stack(
                [
                    np.asarray(
                        waveguide_transmission(
                            wl, length_um=float(L), loss_dB_cm=cfg.loss_dB_cm, **wg.as_params()
                        )
                    )
                    for L in lengths
                ]
            )

        c_in = np.stack([r.c_in for r in rings])
        c_drop = np.stack([r.c_drop for r in rings])
        # rational form once per distinct coupler pair (rings of a uniform bank share one)
        pairs: dict[tuple[int, int], int] = {}
        pair_index = tuple(pairs.setdefault((id(r.c_in), id(r.c_drop)), len(pairs)) for r in rings)
        firsts = [pair_index.index(m) for m in range(len(pairs))]
        direct, coeffs, tr_m, det_m = ring_rational_coefficients(c_in[firsts], c_drop[firsts])
        centroids = np.array([r.heater.centroid_um for r in bank.rings])
        static = _Static(
            bank=bank,
            cfg=cfg,
            n_rings=len(bank.rings),
            dneff_dT_per_K=cfg.dneff_dT_per_K,
            thermal_impedance_K_per_mW=cfg.thermal_impedance_K_per_mW,
            coupler_loader=coupler_loader,
            reports=[r.reports for r in rings],
            bus_lengths_um=(lt, ld),
            waveguide=wg,
            pair_index=np.asarray(pair_index),
            sax_cache={},
        )
        return cls(
            wl_um=jnp.asarray(wl),
            c_in=jnp.asarray(c_in),
            c_drop=jnp.asarray(c_drop),
            section_t=jnp.asarray(np.stack([r.section_t for r in rings])),
            direct=jnp.asarray(np.moveaxis(direct, (-2, -1), (0, 1))),
            coeffs=jnp.asarray(np.moveaxis(coeffs, (-2, -1), (1, 2))),
            tr_m=jnp.asarray(tr_m),
            det_m=jnp.asarray(det_m),
            bus_through_t=jnp.asarray(bus(lt)),
            bus_drop_t=jnp.asarray(bus(ld)),
            ng_length_um=jnp.asarray(np.stack([r.ng_length_um for r in rings])),
            heated_length_um=jnp.asarray([r.heated_length_um for r in rings]),
            round_trip_um=jnp.asarray([r.round_trip_um for r in rings]),
            thermal_crosstalk=jnp.asarray(crosstalk_matrix(centroids, cfg.crosstalk_length_um)),
            static=static,
        )

    # -- properties -----------------------------------------------------------------------
    @property
    def n_rings(self) -> int:
        return self.static.n_rings

    @property
    def bank(self) -> BankGeometry:
        return self.static.bank

    @property
    def config(self) -> CircuitConfig:
        return self.static.cfg

    @property
    def passivity_reports(self) -> list[dict[str, PassivityReport]]:
        """Per ring, the conditioning report of its ``"in"`` and ``"drop"`` coupler."""
        return self.static.reports

    def group_index(self) -> jnp.ndarray:
        """Effective group index ``(N, K)`` of each ring model: ``(n_g L) / L``."""
        return self.ng_length_um / self.round_trip_um[:, None]

    def waveguide_group_index(self) -> jnp.ndarray:
        """Group index ``(K,)`` of the straight-waveguide model."""
        return group_index(self.wl_um, **self.static.waveguide.as_params())

    def fsr_nm(self) -> jnp.ndarray:
        """Free spectral range ``(N, K)`` (nm) of each ring model: ``λ²/(n_g L)``."""
        return self.wl_um**2 / self.ng_length_um * 1e3

    def heater_slope_nm_per_mW(self) -> jnp.ndarray:
        """Own-heater tuning slope ``(N, K)`` (nm/mW) at each wavelength (no crosstalk)."""
        return heater_slope_nm_per_mW(
            self.wl_um,
            heated_length_um=self.heated_length_um[:, None],
            group_delay_length_um=self.ng_length_um,
            dneff_dT_per_K=self.static.dneff_dT_per_K,
            thermal_impedance_K_per_mW=self.static.thermal_impedance_K_per_mW,
        )

    # -- physics ---------------------------------------------------------------------------
    def temperature_rise_K(self, heater_mW: ArrayLike) -> jnp.ndarray:
        """ΔT ``(..., N)`` (K) of each ring, crosstalk included."""
        return temperature_rise_K(
            heater_mW, self.thermal_crosstalk, self.static.thermal_impedance_K_per_mW
        )

    def ring_phase_rad(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> jnp.ndarray:
        """Extra round-trip phase ``(..., N, K)`` from heaters and resonance offsets."""
        phase = thermal_phase_rad(
            self.temperature_rise_K(heater_mW),
            self.wl_um,
            self.heated_length_um,
            self.static.dneff_dT_per_K,
        )
        if shift_nm is not None:
            phase = phase + shift_to_phase_rad(shift_nm, self.wl_um, self.ng_length_um)
        return phase

    def _check_heater(self, heater_mW: ArrayLike) -> jnp.ndarray:
        heater = jnp.asarray(heater_mW)
        if heater.shape[-1:] != (self.n_rings,):
            raise ValueError(
                f"heater_mW must have shape (..., {self.n_rings}), got {tuple(heater.shape)}"
            )
        return heater

    def _u(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None) -> jnp.ndarray:
        """Ring-section transmissions ``(N, K, *batch)`` (batch axes moved last)."""
        phase = self.ring_phase_rad(self._check_heater(heater_mW), shift_nm)  # (*batch, N, K)
        u = self.section_t * jnp.exp(0.5j * phase)
        return jnp.moveaxis(u, (-2, -1), (0, 1))

    def _rational(self) -> tuple[jnp.ndarray, ...]:
        """The rational form per ring: ``(4, 4, N, K)``, ``(5, 4, 4, N, K)``, ``(N, K)``, ``(N, K)``."""
        idx = self.static.pair_index
        n, k = self.n_rings, self.wl_um.shape[0]
        if self.tr_m.shape[0] == 1:  # one coupler pair for all rings: broadcast, no copy
            return (
                jnp.broadcast_to(self.direct, (4, 4, n, k)),
                jnp.broadcast_to(self.coeffs, (5, 4, 4, n, k)),
                jnp.broadcast_to(self.tr_m, (n, k)),
                jnp.broadcast_to(self.det_m, (n, k)),
            )
        return (
            jnp.take(self.direct, idx, axis=2),
            jnp.take(self.coeffs, idx, axis=3),
            jnp.take(self.tr_m, idx, axis=0),
            jnp.take(self.det_m, idx, axis=0),
        )

    def _consts(self) -> tuple[jnp.ndarray, ...]:
        return (*self._rational(), self.bus_through_t, self.bus_drop_t)

    def _blocks(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None) -> jnp.ndarray:
        """Ring blocks ``(4, 4, N, K, *batch)`` (LR order)."""
        return ring_blocks_rational(*self._rational(), self._u(heater_mW, shift_nm))

    def _sparams_impl(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """The bank's S-matrix ``(..., K, 4, 4)``, ports (in, through, add, drop), ``S[out, in]``.

        Args:
            heater_mW: heater powers ``(..., N)`` (mW).
            shift_nm: per-ring resonance offsets ``(..., N)`` (nm, > 0 red), or None.
        """
        s = to_ports(chain(self._u(heater_mW, shift_nm), *self._consts()))  # (K, *batch, 4, 4)
        return jnp.moveaxis(s, 0, -3)

    def _through_drop_impl(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Power transmissions in → through and in → drop, each ``(..., K)``.

        For many heater vectors, pass them as leading axes (one call) rather than ``vmap``-ing
        this method: the batch then runs innermost in XLA's loops (several times faster on CPU).
        """
        ll, _, rl, _ = chain(self._u(heater_mW, shift_nm), *self._consts())
        # LR order: in = L_in, through = R_in, drop = L_drop
        return jnp.moveaxis(_abs2(rl[0, 0]), 0, -1), jnp.moveaxis(_abs2(ll[1, 0]), 0, -1)

    def _through_drop_and_jacobian_impl(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """``T, D`` ``(..., K)`` and their Jacobians w.r.t. the heater powers ``(..., K, N)`` (1/mW).

        Same values as ``jax.jacfwd(through_drop)`` per heater vector, computed for the whole
        batch at once from :func:`~.solver.chain_partials` (O(N) star products per heater vector,
        whatever N): what a calibration loop needs. Itself jittable and differentiable.
        """
        u = self._u(heater_mW, shift_nm)  # (N, K, *batch)
        total, partials = chain_partials(u, *self._consts())
        n = self.n_rings
        dn_t = self.bus_through_t[n].reshape((-1,) + (1,) * (u.ndim - 2))  # W_N, through bus
        z_t = dn_t * total[2][0, 0]  # through ← in  (K, *batch)
        z_d = total[0][1, 0]  # drop ← in
        # du_i/dP_k = u_i · (i/2) · dφ_i/dΔT_i · Z_th · K_ik
        dphi_dT = (
            2 * jnp.pi * self.static.dneff_dT_per_K * self.heated_length_um[:, None] / self.wl_um
        )  # (N, K)
        scale = (
            0.5j
            * u
            * (dphi_dT * self.static.thermal_impedance_K_per_mW).reshape(
                dphi_dT.shape + (1,) * (u.ndim - 2)
            )
        )  # (N, K, *batch)
        g_t = dn_t * partials[2][0, 0] * scale  # dz_t/dφ-ish per ring i
        g_d = partials[0][1, 0] * scale
        # Σ_i g_i K_ik → (N_k, K, *batch)
        xt = jnp.einsum("ik,i...->k...", self.thermal_crosstalk, g_t)
        xd = jnp.einsum("ik,i...->k...", self.thermal_crosstalk, g_d)
        d_t = 2 * jnp.real(jnp.conj(z_t) * xt)  # (N, K, *batch)
        d_d = 2 * jnp.real(jnp.conj(z_d) * xd)

        def last(x):  # (N, K, *batch) → (*batch, K, N)
            return jnp.moveaxis(jnp.moveaxis(x, 0, -1), 0, -2)

        return (
            jnp.moveaxis(_abs2(z_t), 0, -1),
            jnp.moveaxis(_abs2(z_d), 0, -1),
            last(d_t),
            last(d_d),
        )

    def _ring_through_drop_impl(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Each ring alone on its bus sections (the other rings removed): ``(T, D)``, each
        ``(..., N, K)``. Thermal crosstalk from the other heaters still applies."""
        blocks = self._blocks(heater_mW, shift_nm)

        def last(x):  # (N, K, *batch) → (*batch, N, K)
            return jnp.moveaxis(x, (0, 1), (-2, -1))

        return last(_abs2(blocks[2, 0])), last(_abs2(blocks[1, 0]))

    def _ring_blocks_impl(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> jnp.ndarray:
        """Each ring's 4-port matrix ``(..., N, K, 4, 4)`` in LR order
        ``(L_in, L_drop, R_in, R_drop)``."""
        blocks = self._blocks(heater_mW, shift_nm)  # (4, 4, N, K, *batch)
        return jnp.moveaxis(blocks, (0, 1, 2, 3), (-2, -1, -4, -3))

    # -- public, jitted entry points (the circuit is passed as a pytree argument, so its arrays
    #    are not embedded into the compiled code as constants) -----------------------------------
    def sparams(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """The bank's S-matrix ``(..., K, 4, 4)``, ports (in, through, add, drop), ``S[out, in]``.

        Args:
            heater_mW: heater powers ``(..., N)`` (mW).
            shift_nm: per-ring resonance offsets ``(..., N)`` (nm, > 0 red), or None.
        """
        return _jitted(self, heater_mW, shift_nm, method="_sparams_impl")

    def through_drop(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Power transmissions in → through and in → drop, each ``(..., K)``.

        For many heater vectors, pass them as leading axes in one call rather than ``vmap``-ing
        this method: the batch then runs innermost in XLA's loops (several times faster on CPU).
        """
        return _jitted(self, heater_mW, shift_nm, method="_through_drop_impl")

    def through_drop_and_jacobian(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """``T, D`` ``(..., K)`` and their Jacobians w.r.t. the heater powers, ``(..., K, N)``
        (1/mW).

        The same values as ``jax.jacfwd(through_drop)`` per heater vector, for the whole batch at
        once, from :func:`~.solver.chain_partials` (O(N) star products per heater vector whatever
        the number of derivatives): what a calibration loop needs. Jittable and differentiable.
        """
        return _jitted(self, heater_mW, shift_nm, method="_through_drop_and_jacobian_impl")

    def ring_through_drop(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Each ring alone on its bus sections (the other rings removed): ``(T, D)``, each
        ``(..., N, K)``. Thermal crosstalk from the other heaters still applies."""
        return _jitted(self, heater_mW, shift_nm, method="_ring_through_drop_impl")

    def ring_blocks(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """Each ring's 4-port matrix ``(..., N, K, 4, 4)`` in LR order
        ``(L_in, L_drop, R_in, R_drop)``."""
        return _jitted(self, heater_mW, shift_nm, method="_ring_blocks_impl")

    # -- SAX reference --------------------------------------------------------------------
    def sax_circuit(self) -> Callable:
        """The SAX circuit (``klu`` backend) of :func:`bank_netlist`, cached on the object.

        Build it outside ``jax.jit`` (SAX analyses the netlist with concrete arrays); the
        returned function itself is jittable."""
        cache = self.static.sax_cache
        if "circuit" not in cache:
            import sax

            netlist, models = bank_netlist(self)
            cache["circuit"] = sax.circuit(netlist=netlist, models=models, backend="klu")[0]
        return cache["circuit"]

    def sax_sparams(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """Reference S-matrix ``(K, 4, 4)`` from the SAX netlist for one heater vector ``(N,)``."""
        phase = self.ring_phase_rad(heater_mW, shift_nm)  # (N, K)
        settings = {}
        for i in range(self.n_rings):
            half = 0.5 * phase[i]
            settings[f"r{i}_arc_r"] = {"extra_phase_rad": half}
            settings[f"r{i}_arc_l"] = {"extra_phase_rad": half}
        sd = self.sax_circuit()(wl=self.wl_um, **settings)
        # SAX key (from, to) → S[to, from]
        return jnp.stack(
            [jnp.stack([sd[(p_in, p_out)] for p_in in PORTS], -1) for p_out in PORTS], -2
        )


def _abs2(z: jnp.ndarray) -> jnp.ndarray:
    return z.real**2 + z.imag**2


@functools.partial(jax.jit, static_argnames="method")
def _jitted(circuit: BankCircuit, heater_mW, shift_nm, *, method: str):
    return getattr(circuit, method)(heater_mW, shift_nm)


def bank_netlist(circuit: BankCircuit) -> tuple[dict, dict]:
    """The SAX netlist and models of a bank, generated from its geometry (reference model).

    Instances: per ring ``r{i}_cin``/``r{i}_cdrop`` (conditioned half-ring data, ``port_1..4``),
    ``r{i}_arc_r``/``r{i}_arc_l`` (ring sections: straight + attenuation of πR + half the heater
    phase); bus waveguides ``bus_t{k}``/``bus_d{k}`` (``k = 0..N``, x order).
    """
    st = circuit.static
    bank, cfg, wg = st.bank, st.cfg, st.waveguide
    wl = np.asarray(circuit.wl_um)
    c_in, c_drop = np.asarray(circuit.c_in), np.asarray(circuit.c_drop)  # concrete data
    lt, ld = st.bus_lengths_um
    n = st.n_rings
    instances: dict[str, dict] = {}
    connections: dict[str, str] = {}
    models: dict[str, Callable] = {"waveguide": waveguide}
    wg_params = {"loss_dB_cm": cfg.loss_dB_cm, **wg.as_params()}

    def data_model(s: np.ndarray) -> Callable:
        sd = sdict_from_matrix(s)

        def model(*, wl: ArrayLike = wl) -> dict:  # the data are fixed on the circuit's grid
            del wl
            return sd

        return model

    for i, ring in enumerate(bank.rings):
        ring_wg = waveguide_coefficients(ring.wg_width_nm, ring.thickness_nm).as_params()
        models[f"coupler_r{i}_in"] = data_model(c_in[i])
        models[f"coupler_r{i}_drop"] = data_model(c_drop[i])
        instances[f"r{i}_cin"] = {"component": f"coupler_r{i}_in"}
        instances[f"r{i}_cdrop"] = {"component": f"coupler_r{i}_drop"}
        for side in ("r", "l"):
            instances[f"r{i}_arc_{side}"] = {
                "component": "waveguide",
                "settings": {
                    "length_um": ring.straight_um,
                    "loss_only_um": math.pi * ring.radius_um,
                    "loss_dB_cm": cfg.loss_dB_cm,
                    **ring_wg,
                },
            }
        connections[f"r{i}_cin,port_4"] = f"r{i}_arc_r,o0"
        connections[f"r{i}_arc_r,o1"] = f"r{i}_cdrop,port_2"
        connections[f"r{i}_cdrop,port_4"] = f"r{i}_arc_l,o0"
        connections[f"r{i}_arc_l,o1"] = f"r{i}_cin,port_2"
        # buses: the input bus runs port_1 → port_3 of C_in (left → right); the rotated drop
        # coupler has port_3 on the left and port_1 on the right
        connections[f"bus_t{i},o1"] = f"r{i}_cin,port_1"
        connections[f"r{i}_cin,port_3"] = f"bus_t{i + 1},o0"
        connections[f"bus_d{i},o1"] = f"r{i}_cdrop,port_3"
        connections[f"r{i}_cdrop,port_1"] = f"bus_d{i + 1},o0"
    for k in range(n + 1):
        instances[f"bus_t{k}"] = {
            "component": "waveguide",
            "settings": {"length_um": float(lt[k]), **wg_params},
        }
        instances[f"bus_d{k}"] = {
            "component": "waveguide",
            "settings": {"length_um": float(ld[k]), **wg_params},
        }
    ports = {
        "in": "bus_t0,o0",
        "through": f"bus_t{n},o1",
        "add": f"bus_d{n},o1",
        "drop": "bus_d0,o0",
    }
    return {"instances": instances, "connections": connections, "ports": ports}, models
