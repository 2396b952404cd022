"""Orchestration of the circuit stage: read ``layout.json``, run a sweep, write its files.

``run_sweep(layout, cfg, outdir, kind=...)`` writes, atomically:

* ``bank_circuits.npz`` (+ ``bank_circuits.json``) — every bank's bus circuit as data, what the
  model stage reads (:mod:`~photonic_dfa.circuits.artifact`);
* ``spectra.npz`` — the sweep's arrays plus ``__meta__``, a JSON string with the schema
  (``photonic_dfa.spectra``, version 1), the kind, each array's axis names and unit, the parameters
  used (``[circuit]`` config, sweep arguments), the layout file's sha256 and per-ring metrics;
  read it back with :func:`load_spectra`;
* ``bank_<i>.s4p`` — Touchstone v1 S-parameters of every bank at the sweep's heater state on the
  sweep's wavelength grid (ports 1..4 = in, through, add, drop);
* the plots of the kind (``spectrum.png``, ``heater_tuning.png``, ``design.png``, ``corners.png``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from photonic_dfa import __version__
from photonic_dfa.circuits import plots
from photonic_dfa.circuits.artifact import (
    BANK_CIRCUITS_FILE,
    make_bank_circuits,
    save_bank_circuits,
)
from photonic_dfa.circuits.bank_circuit import PORTS, BankCircuit, design_key
from photonic_dfa.circuits.sweeps import (
    KINDS,
    HeaterSpec,
    SweepResult,
    bank_state,
    corner_sweep,
    design_sweep,
    heater_sweep,
    spectrum_sweep,
)
from photonic_dfa.circuits.touchstone import write_touchstone
from photonic_dfa.config import validate_section
from photonic_dfa.config.circuit import CircuitConfig
from photonic_dfa.errors import ArtifactError, ConfigError
from photonic_dfa.io import (
    ensure_writable_dir,
    read_versioned_npz,
    sha256_file,
    write_versioned_npz,
)
from photonic_dfa.layout.schema import LayoutDescription, load_layout

__all__ = ["SPECTRA_SCHEMA", "SPECTRA_SCHEMA_VERSION", "Spectra", "load_spectra", "run_sweep"]

SPECTRA_SCHEMA = "photonic_dfa.spectra"
SPECTRA_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Spectra:
    """Contents of ``spectra.npz``: arrays and their description."""

    kind: str
    arrays: dict[str, np.ndarray]
    axes: dict[str, tuple[str, ...]]
    units: dict[str, str]
    meta: dict[str, Any]


def _resolve_config(
    cfg: CircuitConfig | None,
    wl_start_nm: float | None,
    wl_stop_nm: float | None,
    points: int | None,
) -> CircuitConfig:
    values = (cfg or CircuitConfig()).model_dump()
    for key, val in (("wl_start_nm", wl_start_nm), ("wl_stop_nm", wl_stop_nm), ("points", points)):
        if val is not None:
            values[key] = val
    return validate_section(CircuitConfig, values, section="circuit")


def _layout(layout: str | os.PathLike[str] | LayoutDescription) -> tuple[LayoutDescription, dict]:
    if isinstance(layout, LayoutDescription):
        return layout, {"path": None, "sha256": None}
    path = Path(layout)
    desc = load_layout(path)
    return desc, {"path": str(path), "sha256": sha256_file(path)}


def save_spectra(path: str | os.PathLike[str], result: SweepResult, meta: dict[str, Any]) -> Path:
    """Write a :class:`SweepResult` as ``spectra.npz`` (atomic, no pickled objects)."""
    header = {
        "schema": SPECTRA_SCHEMA,
        "schema_version": SPECTRA_SCHEMA_VERSION,
        "kind": result.kind,
        "axes": {k: list(v) for k, v in result.axes.items()},
        "units": result.units,
        **meta,
    }
    return write_versioned_npz(path, header, result.arrays, meta_key="__meta__", compressed=True)


def load_spectra(path: str | os.PathLike[str]) -> Spectra:
    """Read ``spectra.npz``.

    Raises:
        ArtifactError: missing or unreadable file, another schema or version, or arrays that do
            not match their declared axes.
    """
    path = Path(path)
    meta, data = read_versioned_npz(
        path, "spectra file", SPECTRA_SCHEMA, SPECTRA_SCHEMA_VERSION, meta_key="__meta__"
    )
    axes = {k: tuple(v) for k, v in meta["axes"].items()}
    for name, arr in data.items():
        if name not in axes or len(axes[name]) != arr.ndim:
            raise ArtifactError(f"{path}: array {name!r} does not match its declared axes")
    return Spectra(meta["kind"], data, axes, meta.get("units", {}), meta)


def _write_plots(result: SweepResult, outdir: Path) -> None:
    a = result.arrays
    if result.kind == "spectrum":
        result.files["spectrum.png"] = plots.plot_spectrum(
            outdir / "spectrum.png",
            a["wl_nm"],
            a["through"][0],
            a["drop"][0],
            channels_nm=a["channels_nm"][0],
            cold=(a["through_cold"][0], a["drop_cold"][0]),
            title=(
                f"bank {int(a['bank_index'][0])}: "
                + (
                    f"heaters biased onto the {a['channels_nm'].shape[1]} channels"
                    if result.parameters["heater"] in (None, "bias")
                    else f"heaters {result.parameters['heater']} mW"
                )
            ),
        )
    elif result.kind == "heater":
        ring = result.parameters["ring"]
        result.files["heater_tuning.png"] = plots.plot_heater_tuning(
            outdir / "heater_tuning.png",
            a["power_mW"],
            a["shift_nm"][:, ring],
            slope_fit=float(a["slope_fit_nm_per_mW"]),
            slope_model=float(a["slope_model_nm_per_mW"]),
            r2=float(a["r_squared"]),
            wl_nm=a["wl_nm"],
            drop_map=a["drop_map"],
            ring=ring,
        )
    elif result.kind == "design":
        labels = [
            f"R{r:g}/g{g:g}" for r, g in zip(a["point_radius_um"], a["point_gap_nm"], strict=True)
        ]
        result.files["design.png"] = plots.plot_design(
            outdir / "design.png",
            labels,
            a["point_fsr_nm"],
            a["point_fwhm_nm"],
            a["point_adjacent_drop_dB"],
            spacing_nm=a["spacing_nm"],
            spacing_xtalk_dB=a["spacing_worst_crosstalk_dB"],
            spacing_heater_mW=a["spacing_max_heater_mW"],
        )
    elif result.kind == "corners":
        labels = [
            f"{w:g}×{t:g}"
            for w, t in zip(a["corner_width_nm"], a["corner_thickness_nm"], strict=True)
        ]
        result.files["corners.png"] = plots.plot_corners(
            outdir / "corners.png",
            labels,
            a["resonance_shift_nm"],
            a["heater_mW"],
            a["has_data"],
        )


def run_sweep(
    layout: str | os.PathLike[str] | LayoutDescription,
    cfg: CircuitConfig | None,
    outdir: str | os.PathLike[str],
    *,
    kind: str = "spectrum",
    wl_start_nm: float | None = None,
    wl_stop_nm: float | None = None,
    points: int | None = None,
    heater_mW: HeaterSpec = "bias",
    banks: Sequence[int] | None = None,
    touchstone: bool = True,
) -> SweepResult:
    """Run one sweep of the circuit stage and write its files into ``outdir``.

    Args:
        layout: path of ``layout.json`` or a :class:`LayoutDescription`.
        cfg: the ``[circuit]`` config (defaults if None).
        outdir: output directory (created).
        kind: ``spectrum``, ``heater``, ``design`` or ``corners``.
        wl_start_nm, wl_stop_nm, points: override the config's wavelength grid.
        heater_mW: ``"bias"`` (onto the channel grid), one power for all rings or one per ring.
        banks: bank indices to simulate (spectrum; default all); other kinds use the first.
        touchstone: write ``bank_<i>.s4p``.

    Returns:
        The :class:`SweepResult`, with ``files`` filled in.

    Raises:
        ConfigError, ArtifactError: one-line messages for bad options, layout, data points.
    """
    import jax

    with jax.enable_x64(True):  # exported S-parameters in double precision (scoped, not global)
        return _run_sweep(
            layout, cfg, outdir, kind, wl_start_nm, wl_stop_nm, points, heater_mW, banks, touchstone
        )


def _run_sweep(
    layout, cfg, outdir, kind, wl_start_nm, wl_stop_nm, points, heater_mW, banks, touchstone
) -> SweepResult:
    if kind not in KINDS:
        raise ConfigError(f"unknown sweep kind {kind!r} (use one of: {', '.join(KINDS)})")
    cfg = _resolve_config(cfg, wl_start_nm, wl_stop_nm, points)
    desc, layout_meta = _layout(layout)
    out = ensure_writable_dir(outdir)
    all_banks = {b.index: b for b in desc.banks}
    if banks is None:
        chosen = list(desc.banks)
    else:
        missing = [i for i in banks if i not in all_banks]
        if missing:
            raise ConfigError(f"banks {missing} are not in the layout (it has {sorted(all_banks)})")
        chosen = [all_banks[i] for i in banks]
    first = chosen[0]
    if kind == "spectrum":
        result = spectrum_sweep(chosen, cfg, heater_mW)
    elif kind == "heater":
        result = heater_sweep(first, cfg)
    elif kind == "design":
        result = design_sweep(desc.parameters, first, cfg)
    else:
        result = corner_sweep(first, cfg, heater=heater_mW)
    result.parameters.update({"kind": kind, "banks": [b.index for b in chosen]})
    meta = {
        "generator": {"package": "photonic_dfa", "version": __version__},
        "parameters": {"circuit": cfg.model_dump(mode="json"), "sweep": result.parameters},
        "layout": layout_meta,
        "ports": list(PORTS),
        "metrics": [[m.as_dict() for m in ms] for ms in result.metrics],
        "notes": result.notes,
    }
    bank_circuits = make_bank_circuits(desc, cfg, layout_path=layout_meta["path"])
    result.files[BANK_CIRCUITS_FILE] = save_bank_circuits(bank_circuits, out / BANK_CIRCUITS_FILE)
    result.files["spectra.npz"] = save_spectra(out / "spectra.npz", result, meta)
    _write_plots(result, out)
    if touchstone:
        _write_touchstones(result, chosen, cfg, out, heater_mW)
    return result


def _write_touchstones(
    result: SweepResult,
    banks: Sequence,
    cfg: CircuitConfig,
    out: Path,
    heater: HeaterSpec,
) -> None:
    wl = np.linspace(cfg.wl_start_nm, cfg.wl_stop_nm, cfg.points) * 1e-3
    cache: dict = {}
    circuits: dict = {}
    for i, bank in enumerate(banks):
        if result.kind == "spectrum":
            s = result.arrays["sparams"][i]
            power = result.heater_mW[i]
        else:
            state = bank_state(bank, cfg, heater, cache=cache)
            power = state.heater_mW
            key = design_key(bank)
            if key not in circuits:
                circuits[key] = BankCircuit.from_geometry(bank, cfg, wl)
            s = np.asarray(circuits[key].sparams(power))
        result.files[f"bank_{bank.index}.s4p"] = write_touchstone(
            out / f"bank_{bank.index}.s4p",
            wl,
            s,
            port_names=PORTS,
            comments=(
                f"bank {bank.index}, heater powers (mW, ring 0..{len(bank.rings) - 1}): "
                + " ".join(f"{p:.6g}" for p in power),
                f"circuit config: loss {cfg.loss_dB_cm:g} dB/cm, dn/dT {cfg.dneff_dT_per_K:g} /K,"
                f" Z_th {cfg.thermal_impedance_K_per_mW:g} K/mW",
            ),
        )
