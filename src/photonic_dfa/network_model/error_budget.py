"""Per-MAC error budget of a realised chip, split by source, in the paper's unit.

Pure computation (no file IO). Every figure is the error of one MAC result divided by the sample's
``max|e|`` over DFA-like error vectors ``e`` ``(batch, N)`` (those of the noise report): its mean,
its std and the effective bits ``log2(2N / (std·√12))``. Filipovich et al. (Optica 9, 1323 (2022))
measured mean 0.03 and std 0.618 in this unit.

Sources and how each is measured:

* **static weight errors** ``ΔB`` ``(rows, N)`` (units of B) give the MAC error ``(e ΔBᵀ)/max|e|``
  (:func:`static_error`): the calibration residual ``B̃ − B`` (it contains every static effect, the
  heater DACs and the controller's crosstalk model included: the parts are reported beside it and
  not added to the total again), drift between recalibrations (``ΔB = J ΔT`` at temperature
  samples of the recalibrated series, pooled);
* **encoding hardware** (modulators, laser power spread, detector mismatch): noise-off ablations
  of the readout, each effect alone on the realised matrix (:func:`encoding_errors`);
* **readout noise** (shot, TIA, RIN, ADC): the analytic breakdown of
  :func:`~photonic_dfa.network_model.readout.noise_breakdown` (zero mean).

The total is the quadrature sum of the independent sources and is checked against a Monte-Carlo
of the complete chain (:func:`monte_carlo_total`). For each source, :func:`needed_for` states the
value of its own parameter at which it alone (the others as they are) would give the paper's std,
through its scaling law (:data:`LAWS`) — a derived statement, nothing is tuned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from photonic_dfa.network_model.artifact import ReadoutParams
from photonic_dfa.network_model.readout import photonic_feedback

__all__ = [
    "LAWS",
    "SourceError",
    "StaticErrors",
    "budget_report",
    "chip_budget",
    "crosstalk_error_rows",
    "crosstalk_fit_error",
    "dac_error_rows",
    "drift_error",
    "effective_bits",
    "encoding_errors",
    "encoding_sources",
    "monte_carlo_total",
    "needed_for",
    "noise_sources",
    "rows_to_matrix",
    "static_error",
    "static_sources",
]

#: scaling law of each kind: how the std changes with the parameter (text of the report)
LAWS = {
    "bits": "std ∝ 2^-bits",
    "inv_sqrt": "std ∝ 1/sqrt(value)",
    "linear": "std ∝ value",
    "db20": "std ∝ 10^(value/20)",
    "none": "no single-parameter law",
}


#: a std below this (units of max|e|) is float round-off: the source is zero
_ZERO_STD = 1e-6


@dataclass(frozen=True)
class SourceError:
    """The per-MAC error of one source (units of max|e|).

    Attributes:
        name: source key; group: ``static``, ``encoding`` or ``noise``.
        mean, std: of the MAC error over samples and rows.
        parameter: the config key (or derived quantity) the source scales with; value: its value.
        law: a key of :data:`LAWS`.
        parent: the source this one is a part of (not added to the total again), or None.
        note: how it was measured.
    """

    name: str
    group: str
    mean: float
    std: float
    parameter: str
    value: float | str | None
    law: str
    parent: str | None = None
    note: str = ""


def effective_bits(std: float, n: int) -> float:
    """``log2(2N / (std·√12))``: an ideal quantiser over ``±N·max|e|`` with this error std."""
    return math.log2(2 * n / (std * math.sqrt(12))) if std > 0 else math.inf


def _scale(e: np.ndarray) -> np.ndarray:
    m = np.max(np.abs(e), axis=-1, keepdims=True)
    return np.where(m > 0, m, 1.0)


def static_error(e: np.ndarray, dB: np.ndarray) -> tuple[float, float]:
    """``(mean, std)`` of ``(e ΔBᵀ)/max|e|`` for ``e`` ``(batch, N)`` and ``ΔB`` ``(rows, N)``
    or a stack ``(S, rows, N)`` of samples (pooled)."""
    e = np.asarray(e, np.float64)
    u = e / _scale(e)
    d = np.asarray(dB, np.float64)
    stack = d.reshape(-1, *d.shape[-2:])
    total, total2 = 0.0, 0.0
    for one in stack:
        err = u @ one.T  # (batch, rows)
        total, total2 = total + float(err.sum()), total2 + float(np.sum(err * err))
    count = stack.shape[0] * u.shape[0] * d.shape[-2]
    mean = total / count
    return mean, math.sqrt(max(total2 / count - mean * mean, 0.0))


def rows_to_matrix(a: np.ndarray, n_rows: Sequence[int], n_tiles: int, n_out: int) -> np.ndarray:
    """Row tiles ``(R, d_R)`` (all layers) → the rows of B of every layer ``(Σ n_k, n_out)``."""
    out, start = [], 0
    for n in n_rows:
        block = a[start : start + n * n_tiles].reshape(n, -1)
        out.append(block[:, :n_out])
        start += n * n_tiles
    return np.concatenate(out)


def _mean_std(y: jax.Array, ref: jax.Array, e: jax.Array) -> tuple[float, float]:
    m = jnp.max(jnp.abs(e), axis=-1, keepdims=True)
    err = (y - ref) / jnp.where(m > 0, m, 1.0)
    return float(jnp.mean(err)), float(jnp.std(err))


def encoding_errors(e: Any, B: Any, readout: ReadoutParams) -> dict[str, tuple[float, float]]:
    """``(mean, std)`` of the MAC error (noise off) of each encoding-hardware effect alone —
    ``modulator``, ``laser_spread``, ``bpd_mismatch`` — and of ``all`` of them, against
    ``e B̃ᵀ`` (``B`` ``(rows, N)`` realised)."""
    ideal = dataclasses.replace(
        readout, modulator="ideal", laser_spread_dB=0.0, bpd_mismatch=0.0, noise_model="physical"
    )
    cases = {
        "modulator": dataclasses.replace(
            ideal,
            modulator=readout.modulator,
            modulator_er_dB=readout.modulator_er_dB,
            predistort_points=readout.predistort_points,
        ),
        "laser_spread": dataclasses.replace(ideal, laser_spread_dB=readout.laser_spread_dB),
        "bpd_mismatch": dataclasses.replace(ideal, bpd_mismatch=readout.bpd_mismatch),
        "all": dataclasses.replace(readout, noise_model="physical"),
    }
    e, B = jnp.asarray(e, jnp.float32), jnp.asarray(B, jnp.float32)
    ref = e @ B.T
    key = jax.random.key(0)
    return {
        name: _mean_std(photonic_feedback(key, e, B, p, noise=False), ref, e)
        for name, p in cases.items()
    }


def monte_carlo_total(
    key: jax.Array,
    e: np.ndarray,
    B_realised: np.ndarray,
    B_ideal: np.ndarray,
    readout: ReadoutParams,
    drift_dB: np.ndarray | None = None,
) -> tuple[float, float]:
    """``(mean, std)`` of the complete chain's MAC error against the ideal product ``e Bᵀ``:
    :func:`photonic_feedback` with noise on the realised matrix ``(rows, N)``, plus, with drift,
    one drift sample ``drift_dB[s]`` ``(S, rows, N)`` per slice of the samples."""
    fb = jax.jit(photonic_feedback, static_argnames="noise")
    phys = dataclasses.replace(readout, noise_model="physical")
    slices = np.array_split(np.arange(e.shape[0]), 1 if drift_dB is None else len(drift_dB))
    errs = []
    for s, idx in enumerate(slices):
        B = B_realised if drift_dB is None else B_realised + drift_dB[s]
        es = jnp.asarray(e[idx], jnp.float32)
        y = fb(jax.random.fold_in(key, s), es, jnp.asarray(B, jnp.float32), phys, noise=True)
        m = jnp.max(jnp.abs(es), axis=-1, keepdims=True)
        errs.append(np.asarray((y - es @ jnp.asarray(B_ideal, jnp.float32).T) / m))
    err = np.concatenate(errs)
    return float(err.mean()), float(err.std())


def needed_for(src: SourceError, sigma_needed: float | None) -> tuple[float | None, str]:
    """The parameter value at which ``src`` alone gives ``sigma_needed``, by its law; ``None``
    with the reason where no value follows."""
    if sigma_needed is None:
        return None, "the other sources alone exceed the target"
    if src.law == "none" or not isinstance(src.value, (int, float)):
        return None, f"n.a.: {LAWS['none']}"
    if not src.std > _ZERO_STD:
        return None, "n.a.: the source's std is zero at this setting (its law scales from zero)"
    r = sigma_needed / src.std
    v = float(src.value)
    if src.law == "bits":
        return v - math.log2(r), LAWS["bits"]
    if src.law == "inv_sqrt":
        return v / (r * r), LAWS["inv_sqrt"]
    if src.law == "db20":
        return v + 20.0 * math.log10(r), LAWS["db20"]
    return v * r, LAWS["linear"]


def _total_std(sources: Sequence[SourceError], skip: str | None = None) -> float:
    return math.sqrt(sum(s.std**2 for s in sources if s.parent is None and s.name != skip))


def budget_report(
    sources: Sequence[SourceError],
    mc: tuple[float, float],
    n: int,
    target_mean: float,
    target_std: float,
) -> dict[str, Any]:
    """JSON-ready budget: per source mean, std, bits, the value needed for ``target_std`` alone;
    the quadrature total beside the Monte-Carlo total and their ratio; the target."""
    rows = []
    for s in sources:
        others = _total_std(sources, skip=s.parent or s.name)
        need = math.sqrt(target_std**2 - others**2) if others < target_std else None
        value, law = needed_for(s, need)
        row = dataclasses.asdict(s)
        row.update(
            effective_bits=effective_bits(s.std, n),
            std_needed=need,
            needed_value=value,
            needed_law=law,
        )
        rows.append(row)
    quad = _total_std(sources)
    mean_sum = sum(s.mean for s in sources if s.parent is None)
    dominant = max((s for s in sources if s.parent is None), key=lambda s: s.std)
    return {
        "unit": "MAC error / max|e| per sample",
        "sources": rows,
        "total": {
            "quadrature_std": quad,
            "sum_of_means": mean_sum,
            "monte_carlo_mean": mc[0],
            "monte_carlo_std": mc[1],
            "ratio_quadrature_to_mc": quad / mc[1] if mc[1] > 0 else None,
            "effective_bits_mc": effective_bits(mc[1], n),
            "effective_bits_quadrature": effective_bits(quad, n),
        },
        "dominant": dominant.name,
        "paper": {"mean": target_mean, "std": target_std},
        "paper_std_over_mc_std": target_std / mc[1] if mc[1] > 0 else None,
    }


# --------------------------------------------------------------------------------------------
# Static parts of the calibration residual through the full circuit
# --------------------------------------------------------------------------------------------


def _each_group(groups: dict[int, list[int]], bank_of: np.ndarray):
    """``(design, banks, rows, local bank of each row)`` of each design group."""
    for d, idx in groups.items():
        local = {b: i for i, b in enumerate(idx)}
        sel = np.nonzero(np.isin(bank_of, idx))[0]
        yield d, idx, sel, np.array([local[b] for b in bank_of[sel]], int)


def dac_error_rows(
    evaluators: dict,
    groups: dict[int, list[int]],
    bank_of: np.ndarray,
    heater_mW: np.ndarray,
    offsets_nm: np.ndarray,
    driver: Any,
    rng: np.random.Generator,
) -> np.ndarray:
    """Optical weight change ``(R, d_R)`` when each heater's voltage moves by ``U(−½, ½)`` LSB
    about its code (one draw), through the full circuit: the uniform quantisation error of the
    DAC codes the calibration applied (``heater_mW`` are code powers)."""
    v = driver.voltage_V(heater_mW)
    dv = rng.uniform(-0.5, 0.5, v.shape) * driver.lsb_V
    moved = driver.power_mW(np.maximum(v + dv, 0.0))
    return _change(evaluators, groups, bank_of, heater_mW, moved, offsets_nm)


def crosstalk_error_rows(
    evaluators: dict,
    groups: dict[int, list[int]],
    bank_of: np.ndarray,
    heater_mW: np.ndarray,
    offsets_nm: np.ndarray,
    crosstalk_fitted: np.ndarray,
) -> np.ndarray:
    """Optical weight change ``(R, d_R)`` between the chip at its heaters and the chip whose
    thermal crosstalk were the controller's fitted ``K̂`` ``(d_C, N, N)``: the circuit heats the
    rings by ``K P``, so the latter is the circuit at ``K⁻¹ K̂ P`` (open loop: what the
    controller's crosstalk model gets wrong before its measure-and-correct iterations)."""
    moved = np.array(heater_mW, np.float64)
    for d, _idx, sel, _which in _each_group(groups, bank_of):
        K = evaluators[d].model.crosstalk()
        k_hat = crosstalk_fitted[bank_of[sel]]
        moved[sel] = np.linalg.solve(K, np.einsum("rik,rk->ri", k_hat, heater_mW[sel]).T).T
    return _change(evaluators, groups, bank_of, heater_mW, moved, offsets_nm)


def crosstalk_fit_error(
    evaluators: dict, groups: dict[int, list[int]], crosstalk_fitted: np.ndarray
) -> float:
    """RMS of ``K̂ − K`` over the off-diagonal entries of every bank, relative to that of ``K``."""
    num, den = 0.0, 0.0
    for d, idx in groups.items():
        K = evaluators[d].model.crosstalk()
        off = ~np.eye(K.shape[0], dtype=bool)
        num += float(np.sum((crosstalk_fitted[idx] - K)[:, off] ** 2))
        den += float(np.sum(K[off] ** 2)) * len(idx)
    return math.sqrt(num / den) if den > 0 else math.inf


def _change(
    evaluators: dict,
    groups: dict[int, list[int]],
    bank_of: np.ndarray,
    heater_mW: np.ndarray,
    moved_mW: np.ndarray,
    offsets_nm: np.ndarray,
) -> np.ndarray:
    """``w(moved) − w(heater)`` ``(R, d_R)`` through each design's full circuit."""
    out = np.zeros_like(np.asarray(heater_mW, np.float64))
    for d, idx, sel, which in _each_group(groups, bank_of):
        shift = offsets_nm[idx][which]
        both = np.concatenate([moved_mW[sel], heater_mW[sel]])
        w = evaluators[d].weights(both, np.concatenate([shift, shift]))
        out[sel] = w[: sel.size] - w[sel.size :]
    return out


# --------------------------------------------------------------------------------------------
# The sources
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaticErrors:
    """Static weight errors of the realised chip on the budget's rows ``(rows, N)``, units of B.

    Attributes:
        residual: ``B̃ − B`` (everything static).
        dac: the heater DACs' part (:func:`dac_error_rows`); None without drivers.
        crosstalk: the controller's crosstalk-model part (:func:`crosstalk_error_rows`); None
            where the controller's model has the circuit's crosstalk.
        crosstalk_fit_error: RMS of ``K̂ − K`` over the off-diagonal entries relative to the RMS
            of ``K``'s (the crosstalk part's own parameter).
        drift: ``{"recal", "no_recal"}`` → ``(S, rows, N)`` drift samples; empty without drift.
        drift_rms_B: the same keys → RMS over the whole series of the RMS drift error (units of B).
    """

    residual: np.ndarray
    dac: np.ndarray | None = None
    crosstalk: np.ndarray | None = None
    crosstalk_fit_error: float | None = None
    drift_rms_B: dict[str, float] = dataclasses.field(default_factory=dict)
    drift: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)


_XT_NOTE = (
    "open loop: the circuit at K⁻¹K̂P minus at P, what the controller's crosstalk model gets wrong "
    "before its measure-and-correct iterations (the closed loop leaves at most the calibration "
    "residual)"
)
_XT_EXACT = "the controller's model holds the circuit's crosstalk (calibration mode model/feedback)"


def static_sources(
    e: np.ndarray, st: StaticErrors, dac_bits: int, drift_K: float
) -> list[SourceError]:
    """Calibration residual (and its DAC and crosstalk parts) and drift between recalibrations.
    ``drift_K``: the ambient drift amplitude (the local one scales with it)."""
    rms = float(np.sqrt(np.mean(st.residual**2)))
    bits = math.log2(2.0 / rms) if rms > 0 else math.inf
    out = [
        SourceError(
            "calibration_residual",
            "static",
            *static_error(e, st.residual),
            "weight precision bits log2(2/RMS(B̃−B))",
            bits,
            "bits",
            note="B̃ − B of the realised chip: every static effect (fabrication, controller, "
            "measurement noise of the calibration, heater DACs, crosstalk)",
        ),
        _part(
            e,
            st.dac,
            "heater_dac",
            "heater_dac_bits",
            dac_bits,
            "bits",
            "full circuit at each heater voltage ± U(−½, ½) LSB about its code (one draw)",
        ),
        _part(
            e,
            st.crosstalk,
            "crosstalk_open_loop",
            "relative RMS error of the fitted K̂ (off-diagonal)",
            st.crosstalk_fit_error,
            "linear",
            _XT_NOTE if st.crosstalk is not None else _XT_EXACT,
        ),
    ]
    rows = (("recal", "drift", None, "none"), ("no_recal", "drift_no_recal", "drift", "linear"))
    for key, name, parent, law in rows:
        d = st.drift.get(key)
        mean, std = (0.0, 0.0) if d is None else drift_error(e, d, st.drift_rms_B[key])
        note = _DRIFT_NOTE.format(key) if d is not None else "drift off"
        out.append(
            SourceError(name, "static", mean, std, "drift_ambient_K", drift_K, law, parent, note)
        )
    return out


_DRIFT_NOTE = (
    "series RMS of the drift error (units of B) × sqrt(E Σ_j (e_j/max|e|)²) × the exact-to-"
    "independent variance ratio at samples ΔB = J ΔT of the {} series (1 where they are all zero); "
    "without recalibration std ∝ amplitude; the threshold recalibration holds the error below "
    "recal_threshold_B whatever the amplitude (no law)"
)


def drift_error(e: np.ndarray, samples: np.ndarray, series_rms_B: float) -> tuple[float, float]:
    """``(mean, std)`` of the drift's MAC error over a whole temperature series.

    ``samples`` ``(S, rows, N)`` are ``ΔB`` at a few times; ``series_rms_B`` the RMS over all
    times of the RMS weight error. Were the weight errors independent, the MAC variance would be
    ``rms² · E Σ_j u_j²`` (``u = e/max|e|``); their correlation (a common shift cancels in
    ``Σ_j u_j = 0``) is taken from the samples as the ratio of their exact variance to that."""
    u2 = float(np.mean(np.sum((e / _scale(e)) ** 2, axis=-1)))
    mean, std = static_error(e, samples)
    independent = float(np.mean(samples**2)) * u2
    ratio = (std * std + mean * mean) / independent if independent > 0 else 1.0
    return mean, math.sqrt(series_rms_B**2 * u2 * ratio)


def _part(
    e: np.ndarray, dB: np.ndarray | None, name: str, param: str, value: Any, law: str, note: str
) -> SourceError:
    mean, std = static_error(e, dB) if dB is not None else (0.0, 0.0)
    return SourceError(name, "static", mean, std, param, value, law, "calibration_residual", note)


def encoding_sources(e: np.ndarray, B: np.ndarray, readout: ReadoutParams) -> list[SourceError]:
    """Modulators, laser power spread, detector mismatch (noise-off ablations, each alone)."""
    enc = encoding_errors(e, B, readout)
    mod = f"{readout.modulator}, ER {readout.modulator_er_dB:g} dB"
    return [
        SourceError(
            "modulator",
            "encoding",
            *enc["modulator"],
            "modulator",
            mod,
            "none",
            note="transfer shape (sin²/Lorentzian), not monotonic in one parameter",
        ),
        SourceError(
            "laser_spread",
            "encoding",
            *enc["laser_spread"],
            "laser_spread_dB",
            readout.laser_spread_dB,
            "linear",
            note="≈ linear for small spreads",
        ),
        SourceError(
            "bpd_mismatch",
            "encoding",
            *enc["bpd_mismatch"],
            "bpd_mismatch",
            readout.bpd_mismatch,
            "linear",
            note="mostly a mean offset",
        ),
    ]


def _adc_parameter(readout: ReadoutParams) -> tuple[str, float]:
    """The ADC's resolution parameter: its bits, or with converter noise its effective bits
    (its error std is ``∝ 2^−ENOB`` either way)."""
    if readout.adc_noise_lsb <= 0:
        return "adc_bits", float(readout.adc_bits)
    enob = readout.adc_bits - 0.5 * math.log2(1.0 + 12.0 * readout.adc_noise_lsb**2)
    return "adc_enob", enob


def noise_sources(breakdown: dict[str, float], readout: ReadoutParams) -> list[SourceError]:
    """Shot, TIA, RIN and ADC from the analytic breakdown (zero mean)."""
    rows = (
        ("shot", "shot", "laser_power_mW", readout.laser_power_mW, "inv_sqrt"),
        ("tia", "thermal", "tia_noise_pA_rtHz", readout.tia_noise_pA_rtHz, "linear"),
        ("rin", "rin", "rin_dB_Hz", readout.rin_dB_Hz, "db20"),
        ("adc", "adc", *_adc_parameter(readout), "bits"),
    )
    return [
        SourceError(
            name,
            "noise",
            0.0,
            float(breakdown[key]),
            param,
            value,
            law,
            note="analytic readout-noise breakdown",
        )
        for name, key, param, value, law in rows
    ]


def chip_budget(
    key: jax.Array,
    e: np.ndarray,
    B_ideal: np.ndarray,
    B_realised: np.ndarray,
    st: StaticErrors,
    readout: ReadoutParams,
    *,
    dac_bits: int,
    drift_K: float,
) -> dict[str, Any]:
    """The budget of a chip on the rows ``(rows, N)`` of ``B_ideal``/``B_realised`` (those of
    ``st``): every source, the quadrature total against the Monte-Carlo of the complete chain
    (with the recalibrated drift samples), the paper's figures beside them (:func:`budget_report`)."""
    from photonic_dfa.network_model.readout import noise_breakdown

    phys = dataclasses.replace(readout, noise_model="physical")
    breakdown = noise_breakdown(jnp.asarray(e), jnp.asarray(B_realised, jnp.float32), phys)
    sources = [
        *static_sources(e, st, dac_bits, drift_K),
        *encoding_sources(e, B_realised, phys),
        *noise_sources(breakdown, phys),
    ]
    mc = monte_carlo_total(key, e, B_realised, B_ideal, phys, st.drift.get("recal"))
    report = budget_report(sources, mc, e.shape[-1], readout.paper_mean, readout.paper_std)
    report["rows"] = int(B_ideal.shape[0])
    report["samples"] = int(e.shape[0])
    return report
