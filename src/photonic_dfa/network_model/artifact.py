"""The ``photonic_model.npz`` artifact: realised DFA feedback matrices and their readout chain.

Schema ``photonic_dfa.photonic_model``, version 2 (``docs/architecture.md``). The npz holds, per hidden
layer ``k``:

* ``B_ideal_<k>``: ``(n_k, n_outputs)`` float32, the target matrix ``B_k`` (``U[-1, 1]``);
* ``B_realised_<k>``: ``(n_k, n_outputs)`` float32, the matrix the calibrated banks realise, in the
  units of ``B`` (the optical weight scale ``weight_scale`` divided out), so that with the noise off
  ``photonic_feedback(e) = e @ B_realised.T``;
* ``heater_mW_<k>`` (optional): ``(n_k, n_tiles, rows_per_bank)`` float64, the solved heater powers
  of the bank that realises each row tile;

and once: ``channel_wl_um`` ``(rows_per_bank,)`` (the WDM channel plan), ``shift_nm``
``(banks, rows_per_bank)`` (the fabrication resonance offsets of each physical bank) and ``meta``: a
JSON string with the schema, hidden sizes, the :class:`ReadoutParams`, the calibration report and the
provenance. The ``.json`` sidecar repeats ``meta`` readably, plus the sha256 of the npz.

This module imports numpy, JAX (for the pytree registration of :class:`ReadoutParams`) and pydantic
config defaults only: a training node needs no gdsfactory or simphony to read the artifact.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from photonic_dfa.config import model as _defaults
from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import (
    atomic_write_json,
    read_versioned_npz,
    sha256_file,
    write_versioned_npz,
)

__all__ = [
    "ENCODINGS",
    "MODEL_SCHEMA",
    "MODEL_SCHEMA_VERSION",
    "NOISE_MODELS",
    "PhotonicModel",
    "ReadoutParams",
    "load_photonic_model",
    "save_photonic_model",
]

MODEL_SCHEMA = "photonic_dfa.photonic_model"
MODEL_SCHEMA_VERSION = 2
ENCODINGS = ("offset", "two_pass")
NOISE_MODELS = ("physical", "paper_gaussian")
MODULATORS = ("ideal", "mzm", "ring")
_NON_NEGATIVE = (
    "adc_noise_lsb",
    "tia_noise_pA_rtHz",
    "paper_std",
    "link_loss_dB",
    "laser_spread_dB",
    "laser_rin_spread_dB",
)

#: readout fields added after the first files were written: their value in an older file
_ADDED_LATER: dict[str, Any] = {"adc_noise_lsb": 0.0}

_STATIC_FIELDS = (
    "encoding",
    "noise_model",
    "rows_per_bank",
    "banks",
    "adc_bits",
    "modulator",
    "predistort_points",
    "laser_seed",
)


@dataclass(frozen=True)
class ReadoutParams:
    """The readout chain of one weight bank: encoding, optical powers, noise sources, ADC, tiling.

    A JAX pytree: the float fields are leaves (so a study can ``vmap`` over, e.g., the laser power);
    ``encoding``, ``noise_model``, ``rows_per_bank``, ``banks`` and ``adc_bits`` are static. It is
    also hashable, so it can be passed as a static argument of a jitted function. Defaults are the
    ``[model]`` config defaults (literature values cited in :mod:`photonic_dfa.config.model`).

    Attributes:
        encoding: ``"offset"``: one pass with ``x = (1 + e/max|e|)/2`` and the calibrated bias
            subtracted digitally; ``"two_pass"``: ``e⁺`` and ``e⁻`` in two passes, subtracted.
        noise_model: ``"physical"`` (shot, RIN, TIA thermal noise, ADC) or ``"paper_gaussian"``
            (``B e + max|e| · N(paper_mean, paper_std)`` per MAC, Filipovich et al. 2022).
        rows_per_bank: ``d_R``, rings (= WDM channels) per bank; a row of length ``n_outputs`` is
            read in ``ceil(n_outputs / d_R)`` tiles.
        banks: ``d_C``, physical banks the WDM signal is split to (sets the power per bank).
        adc_bits: ADC resolution (bits over the full scale).
        adc_noise_lsb: std of the converter's own input-referred Gaussian noise, in LSB (from
            ``[model] adc_enob``; 0: an ideal quantiser).
        weight_scale: optical weight ``D − T`` per unit of ``B`` (the calibration's scale, ≤ 1).
        transmission_sum: mean ``D + T`` at the channels (light reaching the two photodiodes).
        laser_power_mW: optical power per WDM channel at the laser output (mW).
        link_loss_dB: loss from the laser to a bank besides the ``1/d_C`` split (coupler,
            modulator, splitter excess), dB.
        responsivity_A_W: photodiode responsivity (A/W).
        bandwidth_GHz: receiver noise bandwidth Δf (GHz).
        tia_noise_pA_rtHz: TIA input-referred noise current density (pA/√Hz).
        rin_dB_Hz: laser relative intensity noise (dB/Hz).
        adc_range_fraction: ADC full scale as a fraction of the largest possible BPD signal
            (all ``d_R`` weights at full scale, all channels at full power); 1 never clips.
        paper_mean, paper_std: the paper's per-MAC Gaussian, in units of ``max|e|``.
        modulator, modulator_er_dB, predistort_points: the value modulators (``ideal``, ``mzm``,
            ``ring``), their extinction ratio (dB) and the points of their own calibration table
            used for pre-distortion (0: none) (:mod:`~photonic_dfa.network_model.encoding`).
        laser_spread_dB, laser_rin_spread_dB, laser_seed: std of the static per-laser power (dB)
            and RIN (dB) about the nominal values, and the seed of the per-laser draws.
        bpd_mismatch: relative responsivity mismatch of the balanced detectors.
    """

    encoding: str = _defaults.DEFAULT_ENCODING
    noise_model: str = "physical"
    rows_per_bank: int = 10
    banks: int = 8
    adc_bits: int = _defaults.DEFAULT_ADC_BITS
    adc_noise_lsb: float = 0.0
    weight_scale: float = 0.8
    transmission_sum: float = 0.9
    laser_power_mW: float = _defaults.DEFAULT_LASER_POWER_MW
    link_loss_dB: float = _defaults.DEFAULT_LINK_LOSS_DB
    responsivity_A_W: float = _defaults.DEFAULT_RESPONSIVITY_A_W
    bandwidth_GHz: float = _defaults.DEFAULT_BANDWIDTH_GHZ
    tia_noise_pA_rtHz: float = _defaults.DEFAULT_TIA_NOISE_PA_RTHZ
    rin_dB_Hz: float = _defaults.DEFAULT_RIN_DB_HZ
    adc_range_fraction: float = 1.0
    paper_mean: float = _defaults.PAPER_NOISE_MEAN
    paper_std: float = _defaults.PAPER_NOISE_STD
    modulator: str = "ideal"
    modulator_er_dB: float = 25.0
    predistort_points: int = 0
    laser_spread_dB: float = 0.0
    laser_rin_spread_dB: float = 0.0
    laser_seed: int = 0
    bpd_mismatch: float = 0.0

    @property
    def channel_power_mW(self) -> Any:
        """Optical power per channel reaching one bank: laser · loss · 1/d_C (mW)."""
        return self.laser_power_mW * 10.0 ** (-self.link_loss_dB / 10.0) / self.banks

    def validate(self, *, where: str = "readout") -> ReadoutParams:
        """Check every field's type and range; raise :class:`ArtifactError` naming the field."""
        problems = []
        if self.encoding not in ENCODINGS:
            problems.append(f"encoding = {self.encoding!r} (allowed: {', '.join(ENCODINGS)})")
        if self.noise_model not in NOISE_MODELS:
            problems.append(
                f"noise_model = {self.noise_model!r} (allowed: {', '.join(NOISE_MODELS)})"
            )
        if self.modulator not in MODULATORS:
            problems.append(f"modulator = {self.modulator!r} (allowed: {', '.join(MODULATORS)})")
        ints: tuple[tuple[str, int], ...] = (("rows_per_bank", 1), ("banks", 1), ("adc_bits", 1))
        ints += (("predistort_points", 0), ("laser_seed", 0))
        for name, lo in ints:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                problems.append(f"{name} = {v!r} (must be an integer >= {lo})")
        if isinstance(self.adc_bits, int) and self.adc_bits > 24:
            problems.append(f"adc_bits = {self.adc_bits!r} (must be <= 24)")
        positive = (
            "weight_scale",
            "transmission_sum",
            "laser_power_mW",
            "responsivity_A_W",
            "bandwidth_GHz",
            "adc_range_fraction",
            "modulator_er_dB",
        )
        for f in dataclasses.fields(self):
            if f.name in _STATIC_FIELDS:
                continue
            v = getattr(self, f.name)
            if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
                problems.append(f"{f.name} = {v!r} (must be a finite number)")
            elif f.name in positive and v <= 0:
                problems.append(f"{f.name} = {v!r} (must be > 0)")
            elif f.name in _NON_NEGATIVE and v < 0:
                problems.append(f"{f.name} = {v!r} (must be >= 0)")
        if problems:
            raise ArtifactError(f"{where}: invalid readout parameters: {'; '.join(problems)}")
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON-ready)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "readout") -> ReadoutParams:
        """Build from a dict (unknown keys are an error), then :meth:`validate`."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ArtifactError(f"{where}: unknown readout parameter(s) {unknown}")
        data = {**_ADDED_LATER, **data}
        missing = sorted(names - set(data))
        if missing:
            raise ArtifactError(f"{where}: missing readout parameter(s) {missing}")
        floats = {
            k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in data.items()
            if k not in _STATIC_FIELDS
        }
        statics = {k: data[k] for k in _STATIC_FIELDS}
        values: dict[str, Any] = {**statics, **floats}
        return cls(**values).validate(where=where)


jax.tree_util.register_dataclass(
    ReadoutParams,
    data_fields=[f.name for f in dataclasses.fields(ReadoutParams) if f.name not in _STATIC_FIELDS],
    meta_fields=list(_STATIC_FIELDS),
)


@dataclass(frozen=True)
class PhotonicModel:
    """The realised DFA feedback matrices of a network and the readout that reads them.

    Attributes:
        hidden: hidden layer sizes ``(n_1, …, n_l)``.
        n_outputs: network outputs (length of ``e``).
        B_ideal: per hidden layer ``(n_k, n_outputs)`` float32, the target ``B_k``.
        B_realised: same shapes, float32, realised by the calibrated banks, in units of ``B``.
        readout: the readout chain (:class:`ReadoutParams`).
        provenance: sha256 of the inputs, package version, config.
        calibration: the calibration report (per-bank statistics, yield, …), JSON-ready.
        heater_mW: per hidden layer ``(n_k, n_tiles, rows_per_bank)`` solved heater powers (mW),
            or empty.
        channel_wl_um: ``(rows_per_bank,)`` channel wavelengths (µm), or empty.
        shift_nm: ``(banks, rows_per_bank)`` fabrication resonance offsets of the physical banks
            (nm), or empty.
        drift: the drift processes and recalibration policy
            (:class:`~photonic_dfa.network_model.drift.DriftParams` as a dict), or empty: no drift.
        drift_jac: per hidden layer ``(n_k, n_tiles, rows_per_bank, rows_per_bank)`` float32,
            ``∂B̃/∂T`` of each row tile (units of B per K; axes channel, ring), or empty.
        tile_bank: per hidden layer ``(n_k, n_tiles)`` int32, the physical bank of each row tile
            (with ``drift_jac``), or empty.
    """

    hidden: tuple[int, ...]
    n_outputs: int
    B_ideal: tuple[np.ndarray, ...]
    B_realised: tuple[np.ndarray, ...]
    readout: ReadoutParams
    provenance: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, Any] = field(default_factory=dict)
    heater_mW: tuple[np.ndarray, ...] = ()
    channel_wl_um: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))
    shift_nm: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float64))
    drift: dict[str, Any] = field(default_factory=dict)
    drift_jac: tuple[np.ndarray, ...] = ()
    tile_bank: tuple[np.ndarray, ...] = ()

    def meta(self) -> dict[str, Any]:
        """The JSON part of the artifact (everything but the arrays, plus their shapes)."""
        return {
            "schema": MODEL_SCHEMA,
            "schema_version": MODEL_SCHEMA_VERSION,
            "hidden": list(self.hidden),
            "n_outputs": self.n_outputs,
            "readout": self.readout.to_dict(),
            "calibration": self.calibration,
            "provenance": self.provenance,
            "drift": self.drift,
            "shapes": {f"B_{k}": [n, self.n_outputs] for k, n in enumerate(self.hidden)},
        }


def _check_model(model: PhotonicModel, where: str) -> None:
    """Shapes, dtypes and finiteness of a model's arrays; one ArtifactError line otherwise."""
    if not model.hidden or any(int(n) < 1 for n in model.hidden):
        raise ArtifactError(f"{where}: hidden sizes must be >= 1, got {list(model.hidden)}")
    if int(model.n_outputs) < 1:
        raise ArtifactError(f"{where}: n_outputs must be >= 1, got {model.n_outputs}")
    for name in ("B_ideal", "B_realised"):
        mats = getattr(model, name)
        if len(mats) != len(model.hidden):
            raise ArtifactError(
                f"{where}: {len(mats)} {name} matrices for {len(model.hidden)} hidden layers"
            )
        for k, (mat, n) in enumerate(zip(mats, model.hidden, strict=True)):
            if mat.shape != (n, model.n_outputs):
                raise ArtifactError(
                    f"{where}: {name}_{k} has shape {tuple(mat.shape)}, expected "
                    f"({n}, {model.n_outputs}) for hidden size {n}"
                )
            if not np.all(np.isfinite(mat)):
                raise ArtifactError(f"{where}: {name}_{k} contains NaN or infinite values")
    if model.heater_mW:
        if len(model.heater_mW) != len(model.hidden):
            raise ArtifactError(f"{where}: heater_mW has {len(model.heater_mW)} layers")
        n_tiles = -(-model.n_outputs // model.readout.rows_per_bank)
        for k, (h, n) in enumerate(zip(model.heater_mW, model.hidden, strict=True)):
            expected = (n, n_tiles, model.readout.rows_per_bank)
            if h.shape != expected:
                raise ArtifactError(
                    f"{where}: heater_mW_{k} has shape {tuple(h.shape)}, expected {expected}"
                )
            if not np.all(np.isfinite(h)) or np.any(h < 0):
                raise ArtifactError(f"{where}: heater_mW_{k} has negative or non-finite powers")
    _check_drift(model, where)


def _check_drift(model: PhotonicModel, where: str) -> None:
    """Shapes of the drift Jacobians and tile banks (both present or both absent)."""
    if not model.drift_jac and not model.tile_bank:
        return
    d_r, d_c = model.readout.rows_per_bank, model.readout.banks
    n_tiles = -(-model.n_outputs // d_r)
    if len(model.drift_jac) != len(model.hidden) or len(model.tile_bank) != len(model.hidden):
        raise ArtifactError(f"{where}: drift_jac/tile_bank must have one array per hidden layer")
    for k, (j, tb, n) in enumerate(
        zip(model.drift_jac, model.tile_bank, model.hidden, strict=True)
    ):
        if j.shape != (n, n_tiles, d_r, d_r) or not np.all(np.isfinite(j)):
            raise ArtifactError(
                f"{where}: drift_jac_{k} has shape {tuple(j.shape)} (expected "
                f"{(n, n_tiles, d_r, d_r)}, finite)"
            )
        if tb.shape != (n, n_tiles) or np.any(tb < 0) or np.any(tb >= d_c):
            raise ArtifactError(
                f"{where}: tile_bank_{k} must be {(n, n_tiles)} bank indices in [0, {d_c})"
            )


def save_photonic_model(model: PhotonicModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` (npz) and its ``.json`` sidecar, both atomically.

    Returns:
        The npz path. The sidecar is ``path`` with suffix ``.json``.

    Raises:
        ArtifactError: the model's arrays are inconsistent (checked before writing).
    """
    path = Path(path)
    model.readout.validate(where=str(path))
    _check_model(model, str(path))
    meta = model.meta()
    arrays: dict[str, np.ndarray] = {}
    for k in range(len(model.hidden)):
        arrays[f"B_ideal_{k}"] = np.asarray(model.B_ideal[k], np.float32)
        arrays[f"B_realised_{k}"] = np.asarray(model.B_realised[k], np.float32)
        if model.heater_mW:
            arrays[f"heater_mW_{k}"] = np.asarray(model.heater_mW[k], np.float64)
        if model.drift_jac:
            arrays[f"drift_jac_{k}"] = np.asarray(model.drift_jac[k], np.float32)
            arrays[f"tile_bank_{k}"] = np.asarray(model.tile_bank[k], np.int32)
    arrays["channel_wl_um"] = np.asarray(model.channel_wl_um, np.float64)
    arrays["shift_nm"] = np.asarray(model.shift_nm, np.float64)
    write_versioned_npz(path, meta, arrays)
    sidecar = dict(meta)
    sidecar["npz"] = {"file": path.name, "sha256": sha256_file(path)}
    atomic_write_json(path.with_suffix(".json"), sidecar)
    return path


def load_photonic_model(
    path: str | os.PathLike[str],
    *,
    hidden: Sequence[int] | None = None,
    n_outputs: int | None = None,
) -> PhotonicModel:
    """Read and validate ``photonic_model.npz``.

    Args:
        path: the npz file.
        hidden: if given, the hidden sizes the model must have been made for.
        n_outputs: if given, the number of outputs it must have.

    Raises:
        ArtifactError: one line naming the file and the problem (missing, not an npz, another
            schema or version, inconsistent shapes, non-finite values, mismatched network).
    """
    path = Path(path)
    where = str(path)
    meta, data = read_versioned_npz(path, "photonic model", MODEL_SCHEMA, MODEL_SCHEMA_VERSION)
    try:
        model_hidden = tuple(int(n) for n in meta["hidden"])
        model_outputs = int(meta["n_outputs"])
        readout_dict = meta["readout"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"{where}: incomplete 'meta' entry ({exc!r})") from None
    if not isinstance(readout_dict, dict):
        raise ArtifactError(f"{where}: 'readout' must be a table of parameters")
    readout = ReadoutParams.from_dict(readout_dict, where=where)

    def arr(name: str) -> np.ndarray:
        if name not in data:
            raise ArtifactError(f"{where}: missing array {name!r}")
        a = data[name]
        if a.dtype.kind not in "fiu":
            raise ArtifactError(f"{where}: array {name!r} has dtype {a.dtype}, expected float")
        return a

    n_layers = len(model_hidden)
    b_ideal = tuple(arr(f"B_ideal_{k}").astype(np.float32) for k in range(n_layers))
    b_real = tuple(arr(f"B_realised_{k}").astype(np.float32) for k in range(n_layers))
    heaters: tuple[np.ndarray, ...] = ()
    if all(f"heater_mW_{k}" in data for k in range(n_layers)):
        heaters = tuple(arr(f"heater_mW_{k}").astype(np.float64) for k in range(n_layers))
    drift_jac: tuple[np.ndarray, ...] = ()
    tile_bank: tuple[np.ndarray, ...] = ()
    if all(f"drift_jac_{k}" in data for k in range(n_layers)):
        drift_jac = tuple(arr(f"drift_jac_{k}").astype(np.float32) for k in range(n_layers))
        tile_bank = tuple(arr(f"tile_bank_{k}").astype(np.int32) for k in range(n_layers))
    model = PhotonicModel(
        hidden=model_hidden,
        n_outputs=model_outputs,
        B_ideal=b_ideal,
        B_realised=b_real,
        readout=readout,
        provenance=dict(meta.get("provenance") or {}),
        calibration=dict(meta.get("calibration") or {}),
        heater_mW=heaters,
        channel_wl_um=arr("channel_wl_um").astype(np.float64)
        if "channel_wl_um" in data
        else np.zeros(0),
        shift_nm=arr("shift_nm").astype(np.float64) if "shift_nm" in data else np.zeros((0, 0)),
        drift=dict(meta.get("drift") or {}),
        drift_jac=drift_jac,
        tile_bank=tile_bank,
    )
    _check_model(model, where)
    if hidden is not None and tuple(int(n) for n in hidden) != model_hidden:
        raise ArtifactError(
            f"{where}: made for hidden sizes {list(model_hidden)}, but the network has "
            f"{[int(n) for n in hidden]} (extract a model for this network)"
        )
    if n_outputs is not None and int(n_outputs) != model_outputs:
        raise ArtifactError(
            f"{where}: made for {model_outputs} outputs, but the network has {n_outputs}"
        )
    return model
