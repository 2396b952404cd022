"""``bank_circuits.npz``: the circuit stage's artifact, from which the model stage evaluates every
bank's bus circuit without simphony (schema ``photonic_dfa.bank_circuits``, version 2).

It holds, per distinct bank design of a ``layout.json`` (banks that differ only in position share
one), a :class:`~photonic_dfa.circuits.bank_circuit.BankDesign`: the ring couplers' S-parameters on
their native frequency points (interpolated by a not-a-knot cubic spline over frequency and then
conditioned per wavelength, see :mod:`~photonic_dfa.circuits.couplers`), ring-section and
bus-waveguide lengths, heater lengths and centroids, the waveguide model and the thermal model; the
layout bank → design map; the ``[circuit]`` section used; provenance (sha256 of ``layout.json``
and of the coupler files, the config hash). A readable ``bank_circuits.json`` sidecar describes the
same (without the S-parameters) and each ring's group index at 1550 nm.

npz entries: ``meta`` (JSON), ``coupler{c}_freq_Hz`` ``(F,)``, ``coupler{c}_s`` ``(F, 4, 4)``
complex; per design ``d``: ``design{d}_{field}`` for the array fields of ``BankDesign``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from jax.typing import ArrayLike

from photonic_dfa import __version__
from photonic_dfa.circuits.bank_circuit import (
    BankCircuit,
    BankDesign,
    CouplerSource,
    config_coupler_source,
    design_key,
)
from photonic_dfa.circuits.couplers import Conditioning, CouplerData
from photonic_dfa.circuits.models import WaveguideCoefficients
from photonic_dfa.config import config_hash
from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import (
    atomic_write_json,
    read_versioned_npz,
    sha256_file,
    to_jsonable,
    write_versioned_npz,
)
from photonic_dfa.layout.schema import LayoutDescription

__all__ = [
    "BANK_CIRCUITS_FILE",
    "BANK_CIRCUITS_SCHEMA",
    "BANK_CIRCUITS_SCHEMA_VERSION",
    "BankCircuits",
    "load_bank_circuits",
    "make_bank_circuits",
    "save_bank_circuits",
]

BANK_CIRCUITS_FILE = "bank_circuits.npz"
BANK_CIRCUITS_SCHEMA = "photonic_dfa.bank_circuits"
BANK_CIRCUITS_SCHEMA_VERSION = 2

#: the array fields of a BankDesign, with their dtype and shape in units of N (rings)
_ARRAYS: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "coupler_in": ("i", ("N",)),
    "coupler_drop": ("i", ("N",)),
    "radius_um": ("f", ("N",)),
    "straight_um": ("f", ("N",)),
    "round_trip_um": ("f", ("N",)),
    "heated_length_um": ("f", ("N",)),
    "heater_centroid_um": ("f", ("N", 2)),
    "bus_through_um": ("f", ("N+1",)),
    "bus_drop_um": ("f", ("N+1",)),
    "half_ring_bus_um": ("f", ("N",)),
}
_SCALARS = ("loss_dB_cm", "dneff_dT_per_K", "thermal_impedance_K_per_mW", "crosstalk_length_um")


@dataclass(frozen=True, eq=False)
class BankCircuits:
    """The bank circuits of a layout.

    Attributes:
        designs: the distinct bank designs.
        bank_design: ``(n_banks,)`` the design of each bank of the layout.
        circuit_config: the ``[circuit]`` section they were made with.
        provenance: layout file and sha256, coupler sources, config hash, package version.
        path: the file it was read from (None if made in memory).
    """

    designs: tuple[BankDesign, ...]
    bank_design: tuple[int, ...]
    circuit_config: CircuitConfig
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def n_rings(self) -> int:
        return self.designs[0].n_rings

    def design(self, bank: int) -> BankDesign:
        """The design of layout bank ``bank`` (banks beyond the layout's repeat it cyclically)."""
        return self.designs[self.bank_design[bank % len(self.bank_design)]]

    def circuit(self, bank: int, wl_um: ArrayLike) -> BankCircuit:
        """Layout bank ``bank``'s :class:`BankCircuit` on ``wl_um`` (µm)."""
        return BankCircuit.build(self.design(bank), wl_um)


def make_bank_circuits(
    layout: LayoutDescription,
    cfg: CircuitConfig,
    *,
    layout_path: str | os.PathLike[str] | None = None,
    source: CouplerSource | None = None,
) -> BankCircuits:
    """The bank circuits of a layout with the models of a ``[circuit]`` config.

    Raises:
        ConfigError: coupler data missing at a ring's parameters, or an unreadable coupler file.
        ArtifactError: inconsistent geometry, or banks with different ring counts.
    """
    n = len(layout.banks[0].rings)
    if any(len(b.rings) != n for b in layout.banks):
        raise ArtifactError("layout: all banks must have the same number of rings")
    source = source or config_coupler_source(cfg)  # coupler files read once for all designs
    keys: dict[str, int] = {}
    designs: list[BankDesign] = []
    bank_design = []
    for bank in layout.banks:
        key = design_key(bank)
        if key not in keys:
            keys[key] = len(designs)
            designs.append(BankDesign.from_geometry(bank, cfg, source))
        bank_design.append(keys[key])
    files = {
        k: {"path": p, "sha256": sha256_file(p)}
        for k in ("coupler_in_s4p", "coupler_drop_s4p")
        if (p := getattr(cfg, k)) is not None
    }
    provenance = {
        "package": "photonic_dfa",
        "version": __version__,
        "layout_file": str(layout_path) if layout_path is not None else None,
        "layout_sha256": sha256_file(layout_path) if layout_path is not None else None,
        "circuit_config_hash": config_hash(cfg),
        "coupler_files": files,
        "created_unix": time.time(),
    }
    return BankCircuits(tuple(designs), tuple(bank_design), cfg, provenance)


def _coupler_table(bc: BankCircuits) -> tuple[list[CouplerData], list[list[int]]]:
    """All couplers of all designs, deduplicated, and each design's local → global index."""
    table: dict[str, int] = {}
    out: list[CouplerData] = []
    maps = []
    for d in bc.designs:
        local = []
        for c in d.couplers:
            if c.sha256 not in table:
                table[c.sha256] = len(out)
                out.append(c)
            local.append(table[c.sha256])
        maps.append(local)
    return out, maps


def _design_meta(d: BankDesign) -> dict[str, Any]:
    return {
        **{k: getattr(d, k) for k in _SCALARS},
        "waveguide": to_jsonable(d.waveguide.__dict__),
        "conditioning": d.conditioning.__dict__,
    }


def save_bank_circuits(bc: BankCircuits, path: str | os.PathLike[str]) -> Path:
    """Write ``bank_circuits.npz`` and its ``.json`` sidecar, both atomically."""
    path = Path(path)
    couplers, maps = _coupler_table(bc)
    arrays: dict[str, np.ndarray] = {}
    for c, data in enumerate(couplers):
        arrays[f"coupler{c}_freq_Hz"] = np.asarray(data.freq_Hz, np.float64)
        arrays[f"coupler{c}_s"] = np.asarray(data.s, np.complex128)
    for i, d in enumerate(bc.designs):
        for name in _ARRAYS:
            value = getattr(d, name)
            if name.startswith("coupler_"):
                value = [maps[i][j] for j in value]
            arrays[f"design{i}_{name}"] = np.asarray(value)
    meta = {
        "schema": BANK_CIRCUITS_SCHEMA,
        "schema_version": BANK_CIRCUITS_SCHEMA_VERSION,
        "n_designs": len(bc.designs),
        "bank_design": list(bc.bank_design),
        "designs": [_design_meta(d) for d in bc.designs],
        "couplers": [{"source": c.source, "sha256": c.sha256} for c in couplers],
        "interpolation": "not-a-knot cubic spline of complex S over frequency (as simphony), "
        "then conditioning per wavelength",
        "circuit_config": bc.circuit_config.model_dump(mode="json"),
        "provenance": bc.provenance,
    }
    write_versioned_npz(path, meta, arrays)
    atomic_write_json(path.with_suffix(".json"), _sidecar(bc, meta, path))
    return path


def _sidecar(bc: BankCircuits, meta: dict[str, Any], path: Path) -> dict[str, Any]:
    """The readable description: meta plus, per design, a table of its rings."""
    out = dict(meta)
    out["npz"] = {"file": path.name, "sha256": sha256_file(path)}
    out["designs"] = []
    for d, dm in zip(bc.designs, meta["designs"], strict=True):
        rings = [
            {
                "radius_um": float(d.radius_um[i]),
                "straight_um": float(d.straight_um[i]),
                "round_trip_um": float(d.round_trip_um[i]),
                "heated_length_um": float(d.heated_length_um[i]),
                "half_ring_bus_um": float(d.half_ring_bus_um[i]),
                "heater_centroid_um": d.heater_centroid_um[i].round(6).tolist(),
                "coupler_in": d.couplers[d.coupler_in[i]].source,
                "coupler_drop": d.couplers[d.coupler_drop[i]].source,
            }
            for i in range(d.n_rings)
        ]
        out["designs"].append(
            {**dm, "rings": rings, "bus_through_um": d.bus_through_um, "bus_drop_um": d.bus_drop_um}
        )
    return out


def load_bank_circuits(path: str | os.PathLike[str]) -> BankCircuits:
    """Read and validate ``bank_circuits.npz``.

    Raises:
        ArtifactError: one line naming the file: missing, not an npz, another schema or version,
            missing or malformed entries.
    """
    path = Path(path)
    meta, data = read_versioned_npz(
        path, "bank circuits file", BANK_CIRCUITS_SCHEMA, BANK_CIRCUITS_SCHEMA_VERSION
    )
    try:
        couplers = [_coupler(data, c, m["source"]) for c, m in enumerate(meta["couplers"])]
        designs = tuple(
            _design(data, i, dm, couplers, str(path)) for i, dm in enumerate(meta["designs"])
        )
        bank_design = tuple(int(b) for b in meta["bank_design"])
        cfg = CircuitConfig.model_validate(meta["circuit_config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{path}: incomplete or malformed entry ({exc!r})") from None
    if not bank_design or any(not 0 <= b < len(designs) for b in bank_design):
        raise ArtifactError(f"{path}: bank_design must index its {len(designs)} design(s)")
    if len({d.n_rings for d in designs}) != 1:
        raise ArtifactError(f"{path}: all designs must have the same number of rings")
    return BankCircuits(designs, bank_design, cfg, dict(meta.get("provenance") or {}), path)


def _coupler(data: dict[str, np.ndarray], c: int, source: str) -> CouplerData:
    f, s = data[f"coupler{c}_freq_Hz"], data[f"coupler{c}_s"]
    if f.ndim != 1 or s.shape != (f.size, 4, 4) or np.any(np.diff(f) <= 0):
        raise ValueError(f"coupler {c}: frequencies (F,) increasing and S (F, 4, 4) expected")
    return CouplerData(freq_Hz=f.astype(np.float64), s=s.astype(np.complex128), source=source)


def _design(
    data: dict[str, np.ndarray], i: int, dm: dict[str, Any], couplers: list[CouplerData], where: str
) -> BankDesign:
    arrays = {name: data[f"design{i}_{name}"] for name in _ARRAYS}
    n = arrays["radius_um"].size
    sizes: dict[int | str, int] = {"N": n, "N+1": n + 1, 2: 2}
    for name, (kind, shape) in _ARRAYS.items():
        want = tuple(sizes[s] for s in shape)
        a = arrays[name]
        if a.shape != want or a.dtype.kind not in ("iu" if kind == "i" else "f"):
            what = "integers" if kind == "i" else "floats"
            raise ArtifactError(f"{where}: design{i}_{name} must be {what} of shape {want}")
        if kind == "f" and not np.all(np.isfinite(a)):
            raise ArtifactError(f"{where}: design{i}_{name} has non-finite values")
    idx = sorted({int(j) for j in (*arrays["coupler_in"], *arrays["coupler_drop"])})
    if idx[0] < 0 or idx[-1] >= len(couplers):
        raise ArtifactError(f"{where}: design{i} refers to a coupler that is not in the file")
    local = {j: k for k, j in enumerate(idx)}
    f = {k: arrays[k].astype(np.float64) for k in _ARRAYS if not k.startswith("coupler_")}
    return BankDesign(
        couplers=tuple(couplers[j] for j in idx),
        coupler_in=tuple(local[int(j)] for j in arrays["coupler_in"]),
        coupler_drop=tuple(local[int(j)] for j in arrays["coupler_drop"]),
        radius_um=f["radius_um"],
        straight_um=f["straight_um"],
        round_trip_um=f["round_trip_um"],
        heated_length_um=f["heated_length_um"],
        heater_centroid_um=f["heater_centroid_um"],
        bus_through_um=f["bus_through_um"],
        bus_drop_um=f["bus_drop_um"],
        half_ring_bus_um=f["half_ring_bus_um"],
        waveguide=WaveguideCoefficients(**dm["waveguide"]),
        loss_dB_cm=float(dm["loss_dB_cm"]),
        dneff_dT_per_K=float(dm["dneff_dT_per_K"]),
        thermal_impedance_K_per_mW=float(dm["thermal_impedance_K_per_mW"]),
        crosstalk_length_um=float(dm["crosstalk_length_um"]),
        conditioning=Conditioning(**dm["conditioning"]),
    )
