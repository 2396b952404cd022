"""Throughput and energy of the photonic DFA feedback: the IPC 2020 OPS equation and a power budget.

Throughput (Filipovich et al., IPC 2020, eq. 3; ADC-limited): a network with ``l`` hidden layers of
sizes ``M_k`` and ``N`` outputs on ``d_C`` banks of ``d_R`` rings, sampled at ``f_ADC``::

    OPS = (f_ADC / l) · (2N − 1) · ceil(N/d_R)⁻¹ · Σ_k M_k · ceil(M_k/d_C)⁻¹

(``2N − 1`` operations — N multiplications, N − 1 additions — per row of ``B_k e``; a row needs
``ceil(N/d_R)`` clock cycles, a layer ``ceil(M_k/d_C)`` row batches; the layers share the clock.)
MAC rate = ``OPS · N / (2N − 1)``.

Power budget of the array (all ``d_C`` banks busy):

* lasers: ``d_R`` channels × laser power per channel / wall-plug efficiency;
* modulators (driver and DAC included): ``d_R`` × energy per symbol × ``f_ADC``;
* heaters: the calibration's actual heater powers (mean per bank × ``d_C``);
* TIAs and ADCs: one each per bank, ``d_C`` × their power.

Energy per MAC = total power / MAC rate. :func:`budget` also states what each item would have to be
for the total to fall below a target (1 pJ/MAC by default), each with the others unchanged.

Reconfiguration (issue 13): the OPS equation counts ``ceil(M_k/d_C)`` row batches and
``ceil(N/d_R)`` column tiles of every layer on the same array, i.e. it re-tunes the heaters between
settings in zero time: it is the *no-retuning* limit, the throughput of a weight-stationary array
(one with enough rings to hold all of ``B``). When ``B`` needs more rings than the array has
(``S = Σ_k ceil(M_k/d_C)·ceil(N/d_R) > 1`` array-wide settings per pass), every setting costs the
heaters' settling time ``t_s`` (:func:`~photonic_dfa.network_model.drivers.settle_time_s`) and serves
a batch of ``n_b`` error vectors, one per ADC sample: the array computes a fraction
``n_b / (n_b + f_ADC t_s)`` of the time, and :func:`reconfiguration` scales OPS (and divides the
energy per MAC) by it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from photonic_dfa.errors import ConfigError

__all__ = ["PowerBudget", "Reconfiguration", "budget", "mac_rate", "ops_ipc2020", "reconfiguration"]


def _check(hidden: Sequence[int], n_outputs: int, rows_per_bank: int, banks: int, adc_gsps: float):
    if not hidden:
        raise ConfigError("hidden: at least one hidden layer size is needed")
    bad = [m for m in hidden if int(m) < 1]
    if bad:
        raise ConfigError(f"hidden layer size {bad[0]} is invalid: sizes must be >= 1")
    for name, v in (("outputs", n_outputs), ("rows", rows_per_bank), ("cols", banks)):
        if int(v) < 1:
            raise ConfigError(f"{name} = {v}: must be >= 1")
    if not adc_gsps > 0:
        raise ConfigError(f"adc_gsps = {adc_gsps}: must be > 0")


def ops_ipc2020(
    hidden: Sequence[int], n_outputs: int, rows_per_bank: int, banks: int, adc_gsps: float = 5.0
) -> float:
    """Operations per second of the DFA feedback (IPC 2020 eq. 3), see the module docstring."""
    _check(hidden, n_outputs, rows_per_bank, banks, adc_gsps)
    n = int(n_outputs)
    per_layer = sum(m / math.ceil(m / banks) for m in hidden)
    return adc_gsps * 1e9 / len(hidden) * (2 * n - 1) / math.ceil(n / rows_per_bank) * per_layer


def mac_rate(
    hidden: Sequence[int], n_outputs: int, rows_per_bank: int, banks: int, adc_gsps: float = 5.0
) -> float:
    """Multiply-accumulates per second (``OPS · N/(2N − 1)``)."""
    n = int(n_outputs)
    return ops_ipc2020(hidden, n, rows_per_bank, banks, adc_gsps) * n / (2 * n - 1)


@dataclass(frozen=True)
class Reconfiguration:
    """Throughput when the heaters are re-tuned between weight settings (module docstring).

    Attributes:
        settings_per_pass: array-wide heater settings ``S`` to apply every ``B_k`` once.
        banks_needed: banks a weight-stationary array would need (``Σ_k M_k·ceil(N/d_R)``).
        banks: banks of this array ``d_C``.
        settle_s: settling time per setting (s).
        errors_per_setting: error vectors ``n_b`` each setting serves.
        duty: fraction of the time the array computes.
        ops_weight_stationary: the OPS equation (no re-tuning; Table I).
        ops: OPS with re-tuning.
    """

    settings_per_pass: int
    banks_needed: int
    banks: int
    settle_s: float
    errors_per_setting: int
    duty: float
    ops_weight_stationary: float
    ops: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def reconfiguration(
    hidden: Sequence[int],
    n_outputs: int,
    rows_per_bank: int,
    banks: int,
    *,
    adc_gsps: float,
    settle_s: float,
    errors_per_setting: int,
) -> Reconfiguration:
    """OPS of an array that re-tunes its heaters between settings (see the module docstring)."""
    ops = ops_ipc2020(hidden, n_outputs, rows_per_bank, banks, adc_gsps)
    if int(errors_per_setting) < 1:
        raise ConfigError(f"errors_per_setting = {errors_per_setting}: must be >= 1")
    if not settle_s >= 0:
        raise ConfigError(f"settle time {settle_s} s: must be >= 0")
    tiles = math.ceil(int(n_outputs) / int(rows_per_bank))
    settings = sum(math.ceil(int(m) / int(banks)) * tiles for m in hidden)
    busy = int(errors_per_setting) / (adc_gsps * 1e9)
    duty = 1.0 if settings == 1 else busy / (busy + settle_s)
    return Reconfiguration(
        settings_per_pass=settings,
        banks_needed=sum(int(m) * tiles for m in hidden),
        banks=int(banks),
        settle_s=float(settle_s),
        errors_per_setting=int(errors_per_setting),
        duty=duty,
        ops_weight_stationary=ops,
        ops=ops * duty,
    )


@dataclass(frozen=True)
class PowerBudget:
    """Itemised power (W) and energy per MAC (pJ) of the feedback array."""

    ops: float
    macs_per_s: float
    items_W: dict[str, float]
    assumptions: dict[str, Any]
    target_pJ: float
    to_reach_target: dict[str, str]
    reconfiguration: Reconfiguration | None = None

    @property
    def total_W(self) -> float:
        return sum(self.items_W.values())

    @property
    def pJ_per_mac(self) -> float:
        return self.total_W / self.macs_per_s * 1e12

    def items_pJ(self) -> dict[str, float]:
        return {k: v / self.macs_per_s * 1e12 for k, v in self.items_W.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ops": self.ops,
            "macs_per_s": self.macs_per_s,
            "items_W": self.items_W,
            "items_pJ_per_mac": self.items_pJ(),
            "total_W": self.total_W,
            "pJ_per_mac": self.pJ_per_mac,
            "assumptions": self.assumptions,
            "target_pJ_per_mac": self.target_pJ,
            "to_reach_target": self.to_reach_target,
            **self._reconfiguration_dict(),
        }

    def _reconfiguration_dict(self) -> dict[str, Any]:
        if self.reconfiguration is None:
            return {}
        r = self.reconfiguration
        return {
            "reconfiguration": {
                **r.to_dict(),
                "pJ_per_mac": self.pJ_per_mac / r.duty,
                "macs_per_s": self.macs_per_s * r.duty,
            }
        }


def budget(
    hidden: Sequence[int],
    n_outputs: int,
    rows_per_bank: int,
    banks: int,
    *,
    adc_gsps: float,
    adc_power_mW: float,
    laser_power_mW: float,
    wall_plug_efficiency: float,
    modulator_pJ_per_symbol: float,
    tia_power_mW: float,
    heater_mW_per_ring: float,
    target_pJ: float = 1.0,
    heater_source: str = "",
    settle_s: float | None = None,
    errors_per_setting: int | None = None,
) -> PowerBudget:
    """Itemised power budget and energy per MAC (see the module docstring).

    Args:
        heater_mW_per_ring: mean heater power per ring (from a calibration).
        heater_source: where that number comes from (reported).
        settle_s, errors_per_setting: heater settling time per setting (s) and error vectors
            served per setting; both given: the throughput with re-tuning is reported too.
    """
    ops = ops_ipc2020(hidden, n_outputs, rows_per_bank, banks, adc_gsps)
    macs = ops * n_outputs / (2 * n_outputs - 1)
    d_r, d_c, f = int(rows_per_bank), int(banks), adc_gsps * 1e9
    items = {
        "lasers": d_r * laser_power_mW * 1e-3 / wall_plug_efficiency,
        "modulators": d_r * modulator_pJ_per_symbol * 1e-12 * f,
        "heaters": d_c * d_r * heater_mW_per_ring * 1e-3,
        "TIAs": d_c * tia_power_mW * 1e-3,
        "ADCs": d_c * adc_power_mW * 1e-3,
    }
    needs = _to_reach_target(
        items,
        macs,
        target_pJ,
        hidden,
        n_outputs,
        d_r,
        d_c,
        adc_gsps,
        heater_mW_per_ring,
        wall_plug_efficiency,
    )
    return PowerBudget(
        ops=ops,
        macs_per_s=macs,
        items_W=items,
        assumptions={
            "hidden": list(hidden),
            "n_outputs": int(n_outputs),
            "rows_per_bank": d_r,
            "banks": d_c,
            "adc_gsps": adc_gsps,
            "adc_power_mW": adc_power_mW,
            "laser_power_mW_per_channel": laser_power_mW,
            "wall_plug_efficiency": wall_plug_efficiency,
            "modulator_pJ_per_symbol": modulator_pJ_per_symbol,
            "tia_power_mW": tia_power_mW,
            "heater_mW_per_ring": heater_mW_per_ring,
            "heater_source": heater_source,
        },
        target_pJ=target_pJ,
        to_reach_target=needs,
        reconfiguration=None
        if settle_s is None or errors_per_setting is None
        else reconfiguration(
            hidden,
            n_outputs,
            d_r,
            d_c,
            adc_gsps=adc_gsps,
            settle_s=settle_s,
            errors_per_setting=errors_per_setting,
        ),
    )


def _to_reach_target(
    items: dict[str, float],
    macs: float,
    target_pJ: float,
    hidden: Sequence[int],
    n_outputs: int,
    d_r: int,
    d_c: int,
    adc_gsps: float,
    heater_mW: float,
    wall_plug_efficiency: float,
) -> dict[str, str]:
    """What each item alone would have to be for ``target_pJ`` per MAC, and how many rings per bank
    would amortise the per-bank electronics enough (with today's and with isolated heaters)."""
    f = adc_gsps * 1e9
    total = sum(items.values())
    allowed = target_pJ * 1e-12 * macs  # W
    if total <= allowed:
        return {"status": f"{total / macs * 1e12:.3g} pJ/MAC is already below {target_pJ:g}"}
    needs = {"status": f"{total / macs * 1e12:.3g} pJ/MAC exceeds {target_pJ:g} pJ/MAC"}
    excess = total - allowed
    labels = {
        "lasers": ("laser power per channel", d_r * 1e-3 / wall_plug_efficiency, "mW"),
        "modulators": ("modulator energy per symbol", d_r * 1e-12 * f, "pJ"),
        "heaters": ("heater power per ring", d_c * d_r * 1e-3, "mW"),
        "TIAs": ("TIA power", d_c * 1e-3, "mW"),
        "ADCs": ("ADC power", d_c * 1e-3, "mW"),
    }
    for key, (what, per_unit, unit) in labels.items():
        current = items[key] / per_unit
        need = (items[key] - excess) / per_unit
        needs[key] = (
            f"{what} <= {need:.3g} {unit} (now {current:.3g})"
            if need > 0
            else f"{what}: not sufficient alone (even 0 leaves {(total - items[key]) / macs * 1e12:.3g} pJ/MAC)"
        )
    # more rings per bank amortise the per-bank electronics (TIA, ADC); heaters, lasers and
    # modulators scale with the rings. Thermally isolated (undercut) heaters need ~10× less
    # power per nm (e.g. Dong et al., Opt. Express 18, 20298 (2010)).
    per_bank = (items["TIAs"] + items["ADCs"]) / d_c
    for factor, label in ((1.0, "rows_per_bank"), (0.1, "rows_per_bank_isolated_heaters")):
        for d_r_new in range(d_r, 10_001):
            macs_new = mac_rate(hidden, max(n_outputs, d_r_new), d_r_new, d_c, adc_gsps)
            p_new = (
                items["lasers"] / d_r * d_r_new
                + items["modulators"] / d_r * d_r_new
                + factor * d_c * d_r_new * heater_mW * 1e-3
                + d_c * per_bank
            )
            if p_new / macs_new * 1e12 <= target_pJ:
                needs[label] = (
                    f">= {d_r_new} rings per bank (and >= {d_r_new} outputs to fill them)"
                    + (", heaters at 1/10 of the power" if factor < 1 else "")
                )
                break
        else:
            needs[label] = "no number of rings per bank suffices" + (
                " even with heaters at 1/10 of the power" if factor < 1 else ""
            )
    return needs
