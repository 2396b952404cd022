"""The bus circuit of one weight bank: its design (:class:`BankDesign`) and its evaluation on a
wavelength grid (:class:`BankCircuit`, pure JAX).

Topology (ring ``i`` in x order along the input bus; light enters at ``in``)::

    drop ◀─ Wd_0 ─[C_drop,0]─ Wd_1 ─ … ─[C_drop,N−1]─ Wd_N ─ add          drop bus (light ◀)
                      ║  ring 0                 ║  ring N−1
      in ─ Wt_0 ─[C_in,0]─── Wt_1 ─ … ─[C_in,N−1]── Wt_N ─▶ through        input bus (light ▶)

Each ring = two half-ring couplers (``C_in`` at ``gap_in_nm`` under the ring, ``C_drop`` at
``gap_drop_nm`` over it, rotated by 180°; data from :mod:`~photonic_dfa.circuits.couplers`) joined by
two ring sections (waveguide model): each adds one of the ring's vertical straights of
``straight_um`` (phase and loss), the attenuation of a half circumference ``πR`` (whose phase is
already in the coupler data) and half of the ring's heater/offset phase. The round trip is thus
``2πR + 2·straight_um`` of phase, as drawn.

**Bus-length convention.** ``layout.json`` (v2) measures ``bus_segments_um`` between coupling
regions ``x_i ± R`` (the straights are vertical, outside them) and ``bus_leads_um`` from the ports
to the first/last region. The half-ring data already contain a bus of ``2R + 3w`` (the SiEPIC cell's
pins at ``±(R + 1.5w)``), so the bus waveguides of the circuit are::

    Wt_0 = lead_in − 1.5w      Wt_k = seg_{k−1} − 3w      Wt_N = lead_through − 1.5w

(likewise on the drop bus with its own leads/segments, whose S-bends make them slightly longer):
the total bus phase is that of the drawn bus, ``Σ leads + Σ segments + Σ 2R``.

**Bus loss inside the couplers.** The FDTD data are lossless, so the ``2R + 3w`` of bus inside each
coupler gets the waveguide's attenuation as the ring's half circles do: half of it (loss only, no
phase) on each bus waveguide next to the coupler, so that the attenuation along either bus is that
of its whole drawn length (``half_ring_bus_um``, :meth:`BankDesign.bus_loss_only_um`).

**Solver.** :class:`BankCircuit` cascades the 4-port ring blocks along the buses with Redheffer star
products (:mod:`~photonic_dfa.circuits.solver`), the exact solution of the circuit's linear equations
for this chain topology, reflections included. The SAX netlist of
:mod:`~photonic_dfa.circuits.sax_reference` is the reference it is tested against.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from photonic_dfa.circuits.couplers import (
    Conditioning,
    CouplerData,
    conditioned,
    read_touchstone_coupler,
    simphony_half_ring,
)
from photonic_dfa.circuits.models import (
    WaveguideCoefficients,
    check_wavelengths,
    group_index,
    half_ring_bus_length_um,
    waveguide_coefficients,
    waveguide_transmission,
)
from photonic_dfa.circuits.passivity import PassivityReport, largest_singular_value
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
from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.layout.schema import BankGeometry, RingGeometry

__all__ = [
    "PORTS",
    "BankCircuit",
    "BankDesign",
    "CouplerSource",
    "RingArrays",
    "bus_waveguide_lengths_um",
    "config_coupler_source",
    "design_key",
]

#: port order of every 4×4 matrix this module returns
PORTS: tuple[str, str, str, str] = ("in", "through", "add", "drop")

#: ``source(ring, which) -> CouplerData``: the coupler under (``"in"``) or over (``"drop"``) a ring
CouplerSource = Callable[[RingGeometry, Literal["in", "drop"]], CouplerData]

#: half-step (µm) of the central difference that gives a ring's round-trip group delay
_GROUP_DELAY_STEP_UM = 2e-5


def config_coupler_source(cfg: CircuitConfig) -> CouplerSource:
    """The couplers a ``[circuit]`` config asks for: its Touchstone files where given
    (``coupler_in_s4p``, ``coupler_drop_s4p``), else simphony's half-ring data at the ring's point."""

    files: dict[str, CouplerData] = {}  # each file read and checked once, not once per ring

    def from_file(path: str) -> CouplerData:
        if path not in files:
            data = read_touchstone_coupler(path)
            sigma = float(largest_singular_value(data.s).max())
            if cfg.passivity == "none" and sigma > 1.0 + 1e-9:
                raise ConfigError(
                    f"{path}: the coupler data are not passive (largest singular value "
                    f"{sigma:.6f} > 1) and [circuit] passivity = 'none': set passivity = "
                    "'svd_clip' or give passive data"
                )
            files[path] = data
        return files[path]

    def source(ring: RingGeometry, which: Literal["in", "drop"]) -> CouplerData:
        path = cfg.coupler_in_s4p if which == "in" else cfg.coupler_drop_s4p
        if path is not None:
            return from_file(path)
        gap = ring.gap_in_nm if which == "in" else ring.gap_drop_nm
        return simphony_half_ring(ring.radius_um, gap, ring.wg_width_nm, ring.thickness_nm)

    return source


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
    out = []
    for bus, first, last in (("through", "in", "through"), ("drop", "drop", "add")):
        segs = bank.bus_segments_um.get(bus)  # type: ignore[call-overload]
        if segs is None or len(segs) != n - 1:
            raise ArtifactError(
                f"bank {bank.index}: bus_segments_um[{bus!r}] must have {n - 1} values "
                f"(one per pair of neighbouring rings), got {None if segs is None else len(segs)}"
            )
        leads = bank.bus_leads_um
        lengths = [leads[first] - half_bus[0]]  # type: ignore[index]
        lengths += [segs[k - 1] - half_bus[k - 1] - half_bus[k] for k in range(1, n)]
        lengths.append(leads[last] - half_bus[-1])  # type: ignore[index]
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


def design_key(bank: BankGeometry) -> str:
    """A bank's design with its position removed: banks with equal keys share one circuit."""
    d = bank.model_dump(mode="json")
    ox, oy = d["ports"]["in"]["center_um"]
    for ring in d["rings"]:  # relative positions, to 0.1 nm (the layout's float round-off)
        ring["center_um"] = [
            round(ring["center_um"][0] - ox, 4),
            round(ring["center_um"][1] - oy, 4),
        ]
        c = ring["heater"]["centroid_um"]
        ring["heater"]["centroid_um"] = [round(c[0] - ox, 4), round(c[1] - oy, 4)]
    d.pop("index")
    d.pop("ports")
    return json.dumps(d, sort_keys=True)


# --------------------------------------------------------------------------------------------
# The design: what a bank's circuit is made of (numpy, no wavelength grid)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RingArrays:
    """Everything of one ring on a wavelength grid ``(K,)``, evaluated outside jit.

    Attributes:
        c_in, c_drop: conditioned coupler matrices ``(K, 4, 4)`` (port_1..port_4, ``S[out, in]``).
        section_t: transmission ``(K,)`` of each of the two ring sections without heater phase.
        ng_length_um: round-trip group delay × c, ``n_g L`` ``(K,)`` (µm), of the model (coupler
            data + sections), which converts phases to resonance shifts (NaN if not asked for).
        reports: conditioning report of each coupler (``"in"``, ``"drop"``).
    """

    c_in: np.ndarray
    c_drop: np.ndarray
    section_t: np.ndarray
    ng_length_um: np.ndarray
    reports: dict[str, PassivityReport]


@dataclass(frozen=True, eq=False)
class BankDesign:
    """One bank's bus circuit as data: couplers, lengths, heaters, waveguide and thermal model.

    This is what ``bank_circuits.npz`` stores per distinct bank design; :meth:`from_geometry`
    makes it from ``layout.json`` and a ``[circuit]`` config. Lengths in µm, arrays over the
    ``N`` rings in order along the input bus.

    Attributes:
        couplers: the distinct couplers; ``coupler_in[i]`` / ``coupler_drop[i]`` index them.
        radius_um, straight_um, round_trip_um, heated_length_um: ``(N,)``.
        heater_centroid_um: ``(N, 2)`` heater centroids (chip coordinates of the first bank of the
            layout with this design; only their distances enter the thermal crosstalk).
        bus_through_um, bus_drop_um: ``(N + 1,)`` bus waveguides ``Wt_k``, ``Wd_k`` (x order).
        half_ring_bus_um: ``(N,)`` bus length inside each ring's half-ring couplers (``2R + 3w``).
        waveguide: the strip's propagation model (rings and buses share one cross-section).
        loss_dB_cm, dneff_dT_per_K, thermal_impedance_K_per_mW, crosstalk_length_um: as in
            ``[circuit]``.
        conditioning: how the coupler data are conditioned.
    """

    couplers: tuple[CouplerData, ...]
    coupler_in: tuple[int, ...]
    coupler_drop: tuple[int, ...]
    radius_um: np.ndarray
    straight_um: np.ndarray
    round_trip_um: np.ndarray
    heated_length_um: np.ndarray
    heater_centroid_um: np.ndarray
    bus_through_um: np.ndarray
    bus_drop_um: np.ndarray
    half_ring_bus_um: np.ndarray
    waveguide: WaveguideCoefficients
    loss_dB_cm: float
    dneff_dT_per_K: float
    thermal_impedance_K_per_mW: float
    crosstalk_length_um: float
    conditioning: Conditioning = field(default_factory=Conditioning)

    @property
    def n_rings(self) -> int:
        return int(self.radius_um.size)

    @classmethod
    def from_geometry(
        cls, bank: BankGeometry, cfg: CircuitConfig, source: CouplerSource | None = None
    ) -> BankDesign:
        """The design of a bank of ``layout.json`` with the models of a ``[circuit]`` config.

        Args:
            bank: the bank's geometry.
            cfg: the ``[circuit]`` config (loss, thermal model, coupler data and conditioning).
            source: replaces the couplers the config names (e.g. ideal couplers in tests).

        Raises:
            ConfigError: no coupler data at a ring's parameters (the message lists the nearest
                valid points), or an unreadable coupler file.
            ArtifactError: inconsistent geometry (round trip, bus segments, mixed cross-sections).
        """
        source = source or config_coupler_source(cfg)
        for ring in bank.rings:
            _check_ring(ring)
        sections = {(r.wg_width_nm, r.thickness_nm) for r in bank.rings}
        if len(sections) != 1:
            raise ArtifactError(f"bank {bank.index}: rings of one bank must share one waveguide")
        couplers: dict[str, int] = {}
        table: list[CouplerData] = []

        def index(data: CouplerData) -> int:
            if data.sha256 not in couplers:
                couplers[data.sha256] = len(table)
                table.append(data)
            return couplers[data.sha256]

        c_in = tuple(index(source(r, "in")) for r in bank.rings)
        c_drop = tuple(index(source(r, "drop")) for r in bank.rings)
        lt, ld = bus_waveguide_lengths_um(bank)
        return cls(
            couplers=tuple(table),
            coupler_in=c_in,
            coupler_drop=c_drop,
            radius_um=np.array([r.radius_um for r in bank.rings]),
            straight_um=np.array([r.straight_um for r in bank.rings]),
            round_trip_um=np.array([r.round_trip_um for r in bank.rings]),
            heated_length_um=np.array([r.heater.length_um for r in bank.rings]),
            heater_centroid_um=np.array([r.heater.centroid_um for r in bank.rings]),
            bus_through_um=lt,
            bus_drop_um=ld,
            half_ring_bus_um=np.array(
                [half_ring_bus_length_um(r.radius_um, r.wg_width_nm) for r in bank.rings]
            ),
            waveguide=waveguide_coefficients(*sections.pop()),
            loss_dB_cm=cfg.loss_dB_cm,
            dneff_dT_per_K=cfg.dneff_dT_per_K,
            thermal_impedance_K_per_mW=cfg.thermal_impedance_K_per_mW,
            crosstalk_length_um=cfg.crosstalk_length_um,
            conditioning=Conditioning(cfg.coupler_reflections, cfg.reciprocity, cfg.passivity),
        )

    def thermal_crosstalk(self) -> np.ndarray:
        """``(N, N)`` crosstalk matrix, rows = ring that receives heat (:func:`crosstalk_matrix`)."""
        return crosstalk_matrix(self.heater_centroid_um, self.crosstalk_length_um)

    def section_t(self, i: int, wl: np.ndarray) -> np.ndarray:
        """Transmission ``(K,)`` of one of ring ``i``'s two sections (no heater phase)."""
        return np.asarray(
            waveguide_transmission(
                wl,
                length_um=float(self.straight_um[i]),
                loss_dB_cm=self.loss_dB_cm,
                loss_only_um=math.pi * float(self.radius_um[i]),
                **self.waveguide.as_params(),
            )
        )

    def bus_loss_only_um(self) -> np.ndarray:
        """``(N + 1,)`` bus length whose attenuation bus waveguide ``k`` carries besides its own:
        half the coupler bus of each ring next to it (see the module docstring)."""
        half = np.concatenate([[0.0], self.half_ring_bus_um / 2, [0.0]])
        return half[:-1] + half[1:]

    def bus_t(self, lengths_um: np.ndarray, wl: np.ndarray) -> np.ndarray:
        """Bus-waveguide transmissions ``(N + 1, K)``, the coupler buses' loss included."""
        params = self.waveguide.as_params()
        extra = self.bus_loss_only_um()
        return np.stack(
            [
                np.asarray(
                    waveguide_transmission(
                        wl,
                        length_um=float(L),
                        loss_dB_cm=self.loss_dB_cm,
                        loss_only_um=float(extra[k]),
                        **params,
                    )
                )
                for k, L in enumerate(lengths_um)
            ]
        )

    def couplers_of(self, i: int, wl: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
        """Ring ``i``'s conditioned couplers on ``wl``: ``c_in``, ``c_drop`` ``(K, 4, 4)``, reports."""
        c_in, rep_in = conditioned(self.couplers[self.coupler_in[i]], wl, self.conditioning)
        c_drop, rep_drop = conditioned(self.couplers[self.coupler_drop[i]], wl, self.conditioning)
        return c_in, c_drop, {"in": rep_in, "drop": rep_drop}

    def ring_arrays(self, i: int, wl_um: ArrayLike, *, group_delay: bool = True) -> RingArrays:
        """Ring ``i``'s couplers, sections and (optionally) round-trip group delay on ``wl_um``."""
        wl = check_wavelengths(wl_um)
        c_in, c_drop, reports = self.couplers_of(i, wl)
        t = self.section_t(i, wl)
        ng_length = self._group_delay(i, wl) if group_delay else np.full(wl.shape, np.nan)
        return RingArrays(c_in, c_drop, t, ng_length, reports)

    def _group_delay(self, i: int, wl: np.ndarray) -> np.ndarray:
        """``n_g L`` ``(K,)`` (µm) of ring ``i``'s loop from its phase slope (central differences
        inside the coupler data's range)."""
        h = _GROUP_DELAY_STEP_UM
        ranges = [self.couplers[c].wl_range_um for c in (self.coupler_in[i], self.coupler_drop[i])]
        lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
        wl_lo, wl_hi = np.maximum(wl - h, lo), np.minimum(wl + h, hi)
        grid, inverse = np.unique(np.concatenate([wl_lo, wl_hi]), return_inverse=True)
        c_in, c_drop, _ = self.couplers_of(i, grid)
        t = self.section_t(i, grid)
        gain = (
            c_in[:, 3, 1] * t * c_drop[:, 3, 1] * t
        )  # port_2 → port_4 of each coupler, 2 sections
        g_lo, g_hi = gain[inverse[: wl.size]], gain[inverse[wl.size :]]
        dphi_dwl = np.angle(g_hi / g_lo) / (wl_hi - wl_lo)
        return -(wl**2) / (2 * math.pi) * dphi_dwl

    def passivity_reports(self, wl_um: ArrayLike) -> list[dict[str, PassivityReport]]:
        """Per ring, what conditioning did to its ``"in"`` and ``"drop"`` coupler on ``wl_um``."""
        wl = check_wavelengths(wl_um)
        return [self.couplers_of(i, wl)[2] for i in range(self.n_rings)]


# --------------------------------------------------------------------------------------------
# The circuit on a wavelength grid (pure JAX)
# --------------------------------------------------------------------------------------------


def _abs2(z: jnp.ndarray) -> jnp.ndarray:
    return z.real**2 + z.imag**2


@dataclass(frozen=True, eq=False)
class BankCircuit:
    """One bank's bus circuit on a fixed wavelength grid; every method is pure JAX.

    Build it with :meth:`build` (from a :class:`BankDesign`, e.g. of ``bank_circuits.npz``) or
    :meth:`from_geometry`. The methods take heater powers ``heater_mW`` ``(..., N)`` (mW) and
    optional per-ring resonance offsets ``shift_nm`` ``(..., N)`` (fabrication variation; > 0 is a
    red shift), broadcast over the leading axes, and are jitted, vmappable and differentiable
    (``jax.grad``, ``jax.jacfwd``). The circuit is a pytree whose static fields are only what the
    traced computation depends on (ring count, thermal constants, coupler-pair index, waveguide), so
    banks of equal structure share compiled code.

    Attributes:
        wl_um: wavelength grid ``(K,)`` (µm).
        c_in, c_drop: ``(N, K, 4, 4)`` conditioned coupler data (``port_1..port_4``, ``S[out, in]``).
        section_t: ``(N, K)`` ring-section transmission without heater phase.
        direct, coeffs, tr_m, det_m: rational form of the ring blocks (:mod:`.solver`), one per
            distinct coupler pair ``M``, matrix axes leading: ``(4, 4, M, K)``,
            ``(5, 4, 4, M, K)``, ``(M, K)``, ``(M, K)``.
        bus_through_t, bus_drop_t: ``(N + 1, K)`` bus-waveguide transmissions (x order).
        ng_length_um: ``(N, K)`` round-trip group delay × c (µm) of each ring model.
        heated_length_um, round_trip_um: ``(N,)`` (µm).
        thermal_crosstalk: ``(N, N)``, rows = ring that receives heat, ``K_ii = 1``.
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
    n_rings: int
    dneff_dT_per_K: float
    thermal_impedance_K_per_mW: float
    pair_index: tuple[int, ...]
    waveguide: WaveguideCoefficients

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def build(cls, design: BankDesign, wl_um: ArrayLike) -> BankCircuit:
        """Evaluate a design's couplers and waveguides on ``wl_um`` (µm, increasing, inside the
        coupler data).

        Raises:
            ConfigError: wavelengths outside the coupler data.
        """
        wl = check_wavelengths(wl_um)
        rings = [design.ring_arrays(i, wl) for i in range(design.n_rings)]
        c_in = np.stack([r.c_in for r in rings])
        c_drop = np.stack([r.c_drop for r in rings])
        # rational form once per distinct coupler pair (rings of a uniform bank share one)
        pairs: dict[tuple[int, int], int] = {}
        pair_index = tuple(
            pairs.setdefault((design.coupler_in[i], design.coupler_drop[i]), len(pairs))
            for i in range(design.n_rings)
        )
        firsts = [pair_index.index(m) for m in range(len(pairs))]
        direct, coeffs, tr_m, det_m = ring_rational_coefficients(c_in[firsts], c_drop[firsts])
        return cls(
            wl_um=jnp.asarray(wl),
            c_in=jnp.asarray(c_in),
            c_drop=jnp.asarray(c_drop),
            section_t=jnp.asarray(np.stack([r.section_t for r in rings])),
            direct=jnp.asarray(np.moveaxis(direct, (-2, -1), (0, 1))),
            coeffs=jnp.asarray(np.moveaxis(coeffs, (-2, -1), (1, 2))),
            tr_m=jnp.asarray(tr_m),
            det_m=jnp.asarray(det_m),
            bus_through_t=jnp.asarray(design.bus_t(design.bus_through_um, wl)),
            bus_drop_t=jnp.asarray(design.bus_t(design.bus_drop_um, wl)),
            ng_length_um=jnp.asarray(np.stack([r.ng_length_um for r in rings])),
            heated_length_um=jnp.asarray(design.heated_length_um),
            round_trip_um=jnp.asarray(design.round_trip_um),
            thermal_crosstalk=jnp.asarray(design.thermal_crosstalk()),
            n_rings=design.n_rings,
            dneff_dT_per_K=design.dneff_dT_per_K,
            thermal_impedance_K_per_mW=design.thermal_impedance_K_per_mW,
            pair_index=pair_index,
            waveguide=design.waveguide,
        )

    @classmethod
    def from_geometry(
        cls,
        bank: BankGeometry,
        cfg: CircuitConfig,
        wl_um: ArrayLike,
        *,
        source: CouplerSource | None = None,
    ) -> BankCircuit:
        """``build(BankDesign.from_geometry(bank, cfg, source), wl_um)``."""
        return cls.build(BankDesign.from_geometry(bank, cfg, source), wl_um)

    # -- derived figures -------------------------------------------------------------------
    def group_index(self) -> jnp.ndarray:
        """Effective group index ``(N, K)`` of each ring model: ``(n_g L) / L``."""
        return self.ng_length_um / self.round_trip_um[:, None]

    def waveguide_group_index(self) -> jnp.ndarray:
        """Group index ``(K,)`` of the straight-waveguide model."""
        return group_index(self.wl_um, **self.waveguide.as_params())

    def fsr_nm(self) -> jnp.ndarray:
        """Free spectral range ``(N, K)`` (nm) of each ring model: ``λ²/(n_g L)``."""
        return self.wl_um**2 / self.ng_length_um * 1e3

    def heater_slope_nm_per_mW(self) -> jnp.ndarray:
        """Own-heater tuning slope ``(N, K)`` (nm/mW) at each wavelength (no crosstalk)."""
        return heater_slope_nm_per_mW(
            self.wl_um,
            heated_length_um=self.heated_length_um[:, None],
            group_delay_length_um=self.ng_length_um,
            dneff_dT_per_K=self.dneff_dT_per_K,
            thermal_impedance_K_per_mW=self.thermal_impedance_K_per_mW,
        )

    # -- physics ---------------------------------------------------------------------------
    def temperature_rise_K(self, heater_mW: ArrayLike) -> jnp.ndarray:
        """ΔT ``(..., N)`` (K) of each ring, crosstalk included."""
        return temperature_rise_K(
            heater_mW, self.thermal_crosstalk, self.thermal_impedance_K_per_mW
        )

    def ring_phase_rad(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> jnp.ndarray:
        """Extra round-trip phase ``(..., N, K)`` from heaters and resonance offsets."""
        phase = thermal_phase_rad(
            self.temperature_rise_K(heater_mW),
            self.wl_um,
            self.heated_length_um,
            self.dneff_dT_per_K,
        )
        if shift_nm is not None:
            phase = phase + shift_to_phase_rad(shift_nm, self.wl_um, self.ng_length_um)
        return phase

    def _u(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None) -> jnp.ndarray:
        """Ring-section transmissions ``(N, K, *batch)`` (batch axes moved last)."""
        heater = jnp.asarray(heater_mW)
        if heater.shape[-1:] != (self.n_rings,):
            raise ValueError(
                f"heater_mW must have shape (..., {self.n_rings}), got {tuple(heater.shape)}"
            )
        phase = self.ring_phase_rad(heater, shift_nm)  # (*batch, N, K)
        u = self.section_t * jnp.exp(0.5j * phase)
        return jnp.moveaxis(u, (-2, -1), (0, 1))

    def _rational(self) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """The rational form per ring: ``(4, 4, N, K)``, ``(5, 4, 4, N, K)``, ``(N, K)``, ``(N, K)``."""
        n, k = self.n_rings, self.wl_um.shape[0]
        if self.tr_m.shape[0] == 1:  # one coupler pair for all rings: broadcast, no copy
            return (
                jnp.broadcast_to(self.direct, (4, 4, n, k)),
                jnp.broadcast_to(self.coeffs, (5, 4, 4, n, k)),
                jnp.broadcast_to(self.tr_m, (n, k)),
                jnp.broadcast_to(self.det_m, (n, k)),
            )
        idx = np.asarray(self.pair_index)
        return (
            jnp.take(self.direct, idx, axis=2),
            jnp.take(self.coeffs, idx, axis=3),
            jnp.take(self.tr_m, idx, axis=0),
            jnp.take(self.det_m, idx, axis=0),
        )

    def _chain(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None) -> tuple:
        return chain(
            self._u(heater_mW, shift_nm), *self._rational(), self.bus_through_t, self.bus_drop_t
        )

    def _blocks(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None) -> jnp.ndarray:
        """Ring blocks ``(4, 4, N, K, *batch)`` (LR order)."""
        return ring_blocks_rational(*self._rational(), self._u(heater_mW, shift_nm))

    @jax.jit
    def sparams(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """The bank's S-matrix ``(..., K, 4, 4)``, ports (in, through, add, drop), ``S[out, in]``.

        Args:
            heater_mW: heater powers ``(..., N)`` (mW).
            shift_nm: per-ring resonance offsets ``(..., N)`` (nm, > 0 red), or None.
        """
        s = to_ports(self._chain(heater_mW, shift_nm))  # (K, *batch, 4, 4)
        return jnp.moveaxis(s, 0, -3)

    @jax.jit
    def through_drop(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Power transmissions in → through and in → drop, each ``(..., K)``.

        For many heater vectors, pass them as leading axes in one call rather than ``vmap``-ing
        this method: the batch then runs innermost in XLA's loops (several times faster on CPU).
        """
        ll, _, rl, _ = self._chain(heater_mW, shift_nm)
        # LR order: in = L_in, through = R_in, drop = L_drop
        return jnp.moveaxis(_abs2(rl[0, 0]), 0, -1), jnp.moveaxis(_abs2(ll[1, 0]), 0, -1)

    @jax.jit
    def through_drop_and_jacobian(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]:
        """``T, D`` ``(..., K)`` and their Jacobians w.r.t. the heater powers, ``(..., K, N)``
        (1/mW).

        The same values as ``jax.jacfwd(through_drop)`` per heater vector, for the whole batch at
        once, from :func:`~.solver.chain_partials` (O(N) star products per heater vector whatever
        the number of derivatives): what a calibration loop needs. Differentiable.
        """
        u = self._u(heater_mW, shift_nm)  # (N, K, *batch)
        total, partials = chain_partials(u, *self._rational(), self.bus_through_t, self.bus_drop_t)
        trail = (1,) * (u.ndim - 2)
        dn_t = self.bus_through_t[self.n_rings].reshape((-1, *trail))  # W_N, through bus
        z_t = dn_t * total[2][0, 0]  # through ← in  (K, *batch)
        z_d = total[0][1, 0]  # drop ← in
        # du_i/dP_k = u_i · (i/2) · dφ_i/dΔT_i · Z_th · K_ik
        dphi_dT = 2 * jnp.pi * self.dneff_dT_per_K * self.heated_length_um[:, None] / self.wl_um
        scale = (
            0.5j * u * (dphi_dT * self.thermal_impedance_K_per_mW).reshape(dphi_dT.shape + trail)
        )
        g_t = dn_t * partials[2][0, 0] * scale  # (N, K, *batch)
        g_d = partials[0][1, 0] * scale
        # Σ_i g_i K_ik → (N_k, K, *batch)
        xt = jnp.einsum("ik,i...->k...", self.thermal_crosstalk, g_t)
        xd = jnp.einsum("ik,i...->k...", self.thermal_crosstalk, g_d)
        d_t = 2 * jnp.real(jnp.conj(z_t) * xt)  # (N, K, *batch)
        d_d = 2 * jnp.real(jnp.conj(z_d) * xd)

        def last(x: jnp.ndarray) -> jnp.ndarray:  # (N, K, *batch) → (*batch, K, N)
            return jnp.moveaxis(jnp.moveaxis(x, 0, -1), 0, -2)

        t, d = jnp.moveaxis(_abs2(z_t), 0, -1), jnp.moveaxis(_abs2(z_d), 0, -1)
        return t, d, last(d_t), last(d_d)

    @jax.jit
    def ring_through_drop(
        self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None
    ) -> tuple[jnp.ndarray, jnp.ndarray]:
        """Each ring alone on its bus sections (the other rings removed): ``(T, D)``, each
        ``(..., N, K)``. Thermal crosstalk from the other heaters still applies."""
        blocks = self._blocks(heater_mW, shift_nm)

        def last(x: jnp.ndarray) -> jnp.ndarray:  # (N, K, *batch) → (*batch, N, K)
            return jnp.moveaxis(x, (0, 1), (-2, -1))

        return last(_abs2(blocks[2, 0])), last(_abs2(blocks[1, 0]))

    @jax.jit
    def ring_blocks(self, heater_mW: ArrayLike, shift_nm: ArrayLike | None = None) -> jnp.ndarray:
        """Each ring's 4-port matrix ``(..., N, K, 4, 4)`` in LR order
        ``(L_in, L_drop, R_in, R_drop)``."""
        blocks = self._blocks(heater_mW, shift_nm)  # (4, 4, N, K, *batch)
        return jnp.moveaxis(blocks, (0, 1, 2, 3), (-2, -1, -4, -3))


jax.tree_util.register_dataclass(
    BankCircuit,
    data_fields=[
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
    ],
    meta_fields=[
        "n_rings",
        "dneff_dT_per_K",
        "thermal_impedance_K_per_mW",
        "pair_index",
        "waveguide",
    ],
)
