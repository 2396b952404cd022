"""Heater drivers: a voltage DAC of ``b`` bits per heater, ``P = V²/R(T)``, and its settling time.

Each ring heater is driven by one channel of a voltage DAC (codes ``0 … 2^b − 1`` spanning
``[0, V_fs]``). The heater dissipates ``P = V²/R`` with the resistance optionally rising linearly
with the heater's temperature, ``R = R₀ (1 + α ΔT)``, ``ΔT = Z·P`` (``Z`` the heater's thermal
impedance, K/mW, taken equal to the ring's: the heater sits on the ring). With ``α > 0`` the power
of a voltage solves ``α Z R₀ P² + R₀ P − V² = 0``.

Calibration solves heater powers in ``[0, P_max]``; the driver realises only the powers of its
codes, so the final settings are quantised: a heater power step at voltage ``V`` is
``ΔP ≈ 2 V ΔV / R`` (largest at full scale: ``2 P_fs / (2^b − 1)``), a resonance step of
``slope · ΔP``.

Settling (for re-tuning between weight settings): the heater and ring respond to a step like a
first-order low-pass of time constant ``τ``; a full-scale step settles to within one LSB after
``τ ln(2^b)``.

Defaults (config ``[model]``, block "heater drivers (issue 13)"):

* 16-bit DAC: multichannel precision DACs of the class used to drive heater arrays, e.g. Analog
  Devices AD5370 (40 channels, 16 bits, ±10 V) [AD5370].
* ``R₀ = 1 kΩ``: TiN / NiCr thin-film ring heaters in SOI foundry processes are ~100 Ω – few kΩ
  [Liu22]; with ``V_fs`` unset the full scale is matched to the heater limit, ``V_fs = √(P_max R₀)``,
  so that R₀ does not change the quantisation unless ``α > 0``.
* ``α = 0`` (constant R); NiCr thin films have ``α ≈ 1e-4 /K`` [Liu22], doped-Si heaters ~1e-3 /K.
* ``τ = 2 µs``: metal heaters on unreleased SOI respond in 1–10 µs [Liu22]; Harris et al. measured
  a few-µs rise time for a compact heater [Harris14].

References: [AD5370] Analog Devices, AD5370 data sheet (40-channel, 16-bit, serial input,
voltage-output DAC). [Liu22] S. Liu et al., "Thermo-optic phase shifters based on silicon-on-
insulator platform: state-of-the-art and a review", Front. Optoelectron. 15, 9 (2022).
[Harris14] N. C. Harris et al., "Efficient, compact and low loss thermo-optic phase shifter in
silicon", Opt. Express 22, 10487 (2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["HeaterDriver", "driver_from_config", "settle_time_s"]


def settle_time_s(bits: int, tau_us: float) -> float:
    """Time for a first-order heater (time constant ``tau_us``) to settle a full-scale step to
    within one LSB of a ``bits``-bit DAC: ``τ ln(2^b)`` (s)."""
    return tau_us * 1e-6 * bits * math.log(2.0)


@dataclass(frozen=True)
class HeaterDriver:
    """One voltage-DAC channel per heater (identical channels).

    Attributes:
        bits: DAC resolution.
        full_scale_V: voltage of the top code.
        resistance_ohm: heater resistance at ambient temperature ``R₀``.
        tcr_per_K: temperature coefficient of resistance ``α`` (0: constant R).
        thermal_impedance_K_per_mW: heater temperature rise per mW (for R(T)).
        tau_us: thermal time constant of heater and ring (µs).
    """

    bits: int
    full_scale_V: float
    resistance_ohm: float
    tcr_per_K: float = 0.0
    thermal_impedance_K_per_mW: float = 0.0
    tau_us: float = 2.0

    @property
    def codes(self) -> int:
        """Number of codes ``2^b``."""
        return 2**self.bits

    @property
    def lsb_V(self) -> float:
        return self.full_scale_V / (self.codes - 1)

    def power_mW(self, voltage_V: Any) -> np.ndarray:
        """Heater power (mW) at a voltage: ``V²/R(T)`` with ``R(T) = R₀(1 + α Z P)``."""
        v2 = np.square(np.asarray(voltage_V, np.float64))
        a = self.tcr_per_K * self.thermal_impedance_K_per_mW * 1e3  # α Z in 1/W
        if a == 0.0:
            return v2 / self.resistance_ohm * 1e3
        r0 = self.resistance_ohm
        return (-r0 + np.sqrt(r0 * r0 + 4.0 * a * r0 * v2)) / (2.0 * a * r0) * 1e3

    def voltage_V(self, power_mW: Any) -> np.ndarray:
        """Voltage that dissipates ``power_mW``: ``√(P R(T(P)))``."""
        p = np.maximum(np.asarray(power_mW, np.float64), 0.0) * 1e-3
        r = self.resistance_ohm * (1.0 + self.tcr_per_K * self.thermal_impedance_K_per_mW * 1e3 * p)
        return np.sqrt(p * r)

    def code(self, power_mW: Any) -> np.ndarray:
        """Nearest DAC code (in voltage) of a heater power, clipped to the code range."""
        c = np.rint(self.voltage_V(power_mW) / self.lsb_V)
        return np.clip(c, 0, self.codes - 1).astype(np.int64)

    def code_power_mW(self, code: Any) -> np.ndarray:
        """Heater power (mW) of DAC codes."""
        return self.power_mW(np.asarray(code, np.float64) * self.lsb_V)

    def quantise_mW(self, power_mW: Any) -> np.ndarray:
        """The power the driver realises for a requested power (its nearest code)."""
        return self.code_power_mW(self.code(power_mW))

    @property
    def max_power_mW(self) -> float:
        return float(self.code_power_mW(self.codes - 1))

    def settle_s(self) -> float:
        """Time for a full-scale step to settle within one LSB: ``τ ln(2^b)`` (s)."""
        return settle_time_s(self.bits, self.tau_us)


def driver_from_config(
    mcfg: Any, heater_max_mW: float, thermal_impedance_K_per_mW: float
) -> HeaterDriver:
    """The :class:`HeaterDriver` of a ``[model]`` section; full scale unset: matched to
    ``heater_max_mW`` (the top code gives the heater limit)."""
    fs = mcfg.heater_dac_full_scale_V
    if fs is None:
        probe = HeaterDriver(
            mcfg.heater_dac_bits,
            1.0,
            mcfg.heater_resistance_ohm,
            mcfg.heater_tcr_per_K,
            thermal_impedance_K_per_mW,
        )
        fs = float(probe.voltage_V(heater_max_mW))
    return HeaterDriver(
        bits=int(mcfg.heater_dac_bits),
        full_scale_V=float(fs),
        resistance_ohm=float(mcfg.heater_resistance_ohm),
        tcr_per_K=float(mcfg.heater_tcr_per_K),
        thermal_impedance_K_per_mW=float(thermal_impedance_K_per_mW),
        tau_us=float(mcfg.heater_tau_us),
    )
