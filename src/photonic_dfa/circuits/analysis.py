"""Spectral figures of merit of the rings of a bank, and biasing rings onto a channel grid.

Each ring is analysed on its own buses (the other rings removed; heater crosstalk kept) on a fine
uniform grid (default 1 pm) that spans a bit more than one free spectral range on each side of the
resonance of interest:

* **resonance**: the drop-port maximum, refined by a parabola through ``1/D`` at the three samples
  around it (exact for a Lorentzian line, ``1/D`` being quadratic in detuning);
* **FSR**: mean spacing to the neighbouring resonances of the same ring;
* **linewidth** (FWHM) of the drop peak from the half-maximum crossings (linear interpolation);
  **loaded Q** = λ_res / FWHM;
* **extinction ratio** of the through port: off-resonance maximum over the resonance minimum (dB).

Channels: :func:`channel_grid_nm` puts channel 0 just red of ring 0's cold resonance nearest
``channel_anchor_nm`` and the others every ``channel_spacing_nm``, shifted red as needed so that
every heater power is ≥ 0 (heaters only red-shift); :func:`bias_to_channels` solves the heater
powers, crosstalk included, with a few Newton steps on the computed resonances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.circuits.bank_circuit import BankDesign, RingArrays
from photonic_dfa.circuits.models import group_index as wg_group_index
from photonic_dfa.circuits.models import waveguide_coefficients
from photonic_dfa.circuits.solver import (
    rational_value,
    ring_block_exact,
    ring_rational_coefficients,
)
from photonic_dfa.circuits.thermal import (
    heater_slope_nm_per_mW,
    shift_to_phase_rad,
    temperature_rise_K,
    thermal_phase_rad,
)
from photonic_dfa.config.circuit import COUPLER_DATA_WL_NM, CircuitConfig
from photonic_dfa.errors import PhotonicDFAError
from photonic_dfa.layout.schema import BankGeometry, RingGeometry

__all__ = [
    "BiasResult",
    "RingMetrics",
    "analyze_rings",
    "bias_to_channels",
    "channel_grid_nm",
    "estimated_fsr_nm",
    "find_resonances_nm",
    "fwhm_nm",
    "heater_slopes_nm_per_mW",
    "refine_peak",
    "ring_spectra",
    "ring_spectrum",
]


@dataclass(frozen=True)
class RingMetrics:
    """Figures of merit of one ring at one heater state (wavelengths in nm)."""

    ring: int
    resonance_nm: float
    fsr_nm: float
    fwhm_nm: float
    loaded_q: float
    extinction_dB: float
    drop_peak: float
    through_min: float
    heater_mW: float
    delta_T_K: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BiasResult:
    """Heater powers that put each ring's resonance on its channel.

    Attributes:
        channels_nm: target wavelengths ``(N,)``.
        heater_mW: powers ``(N,)`` (mW).
        resonances_nm: resulting resonances ``(N,)`` (ring alone, crosstalk included).
        reachable: ``(N,)`` power within ``[0, heater_max_mW]``.
    """

    channels_nm: np.ndarray
    heater_mW: np.ndarray
    resonances_nm: np.ndarray
    reachable: np.ndarray

    @property
    def max_error_nm(self) -> float:
        return float(np.max(np.abs(self.resonances_nm - self.channels_nm)))


# --------------------------------------------------------------------------------------------
# Peak utilities (numpy)
# --------------------------------------------------------------------------------------------


def refine_peak(wl: np.ndarray, y: np.ndarray, i: int) -> tuple[float, float]:
    """Sub-sample maximum of ``y`` near index ``i`` from a parabola through ``1/y`` at
    ``i−1, i, i+1`` (exact for a Lorentzian on a uniform grid); returns ``(wl_peak, y_peak)``."""
    if i <= 0 or i >= len(y) - 1:
        return float(wl[i]), float(y[i])
    inv = 1.0 / np.maximum(y[i - 1 : i + 2], 1e-300)
    denom = inv[0] - 2 * inv[1] + inv[2]
    if denom <= 0:
        return float(wl[i]), float(y[i])
    delta = 0.5 * (inv[0] - inv[2]) / denom  # in samples, |delta| ≤ 0.5
    step = wl[i + 1] - wl[i]
    y_peak = 1.0 / (inv[1] - 0.25 * (inv[0] - inv[2]) * delta)
    return float(wl[i] + delta * step), float(y_peak)


def find_resonances_nm(
    wl_nm: np.ndarray, drop: np.ndarray, *, min_rel_height: float = 0.3
) -> np.ndarray:
    """Refined wavelengths of the drop-port maxima above ``min_rel_height × max(drop)``."""
    y = np.asarray(drop)
    if y.size < 3:
        return np.zeros(0)
    thresh = min_rel_height * y.max()
    idx = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] > thresh)) + 1
    return np.array([refine_peak(wl_nm, y, int(i))[0] for i in idx])


def fwhm_nm(wl_nm: np.ndarray, y: np.ndarray, i: int, peak: float | None = None) -> float:
    """Full width at half maximum of the peak at index ``i`` (linear interpolation)."""
    half = 0.5 * (y[i] if peak is None else peak)
    left = i
    while left > 0 and y[left] > half:
        left -= 1
    right = i
    while right < len(y) - 1 and y[right] > half:
        right += 1
    if y[left] > half or y[right] > half:
        return float("nan")  # the line is wider than the window

    def cross(a: int, b: int) -> float:
        return float(wl_nm[a] + (half - y[a]) * (wl_nm[b] - wl_nm[a]) / (y[b] - y[a]))

    return cross(right - 1, right) - cross(left, left + 1)


# --------------------------------------------------------------------------------------------
# Single-ring spectra
# --------------------------------------------------------------------------------------------


def ring_spectrum(
    arrays: RingArrays, wl_um: np.ndarray, phase_rad: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Through and drop power ``(K,)`` of one ring alone, for an extra round-trip phase ``(K,)``
    (direct elimination, :func:`~.solver.ring_block_exact`)."""
    block = ring_block_exact(arrays.c_in, arrays.c_drop, arrays.section_t, np.asarray(phase_rad))
    return np.abs(np.asarray(block[..., 2, 0])) ** 2, np.abs(np.asarray(block[..., 1, 0])) ** 2


def estimated_fsr_nm(ring: RingGeometry, wl_nm: float = 1550.0) -> float:
    """``λ²/(n_g L)`` with the straight-waveguide group index (a first guess for windows)."""
    wg = waveguide_coefficients(ring.wg_width_nm, ring.thickness_nm)
    ng = float(wg_group_index(wl_nm * 1e-3, **wg.as_params()))
    return (wl_nm * 1e-3) ** 2 / (ng * ring.round_trip_um) * 1e3


def _grid_um(lo_nm: float, hi_nm: float, step_nm: float) -> np.ndarray:
    lo = max(lo_nm, COUPLER_DATA_WL_NM[0])
    hi = min(hi_nm, COUPLER_DATA_WL_NM[1])
    k = round((hi - lo) / step_nm) + 1
    return np.linspace(lo, hi, k) * 1e-3


class _Scanner:
    """Every ring of a bank alone, on one shared grid: numpy evaluation of the rational ring
    blocks (coupler data loaded and conditioned once per distinct coupler pair)."""

    def __init__(
        self, bank: BankGeometry, cfg: CircuitConfig, wl_um: np.ndarray, *, group_delay: bool
    ) -> None:
        self.bank, self.cfg, self.wl_um = bank, cfg, wl_um
        self.wl_nm = wl_um * 1e3
        self.design = BankDesign.from_geometry(bank, cfg)
        coeff_cache: dict = {}
        self.rings = []
        for i in range(self.design.n_rings):
            arr = self.design.ring_arrays(i, wl_um, group_delay=group_delay)
            key = (self.design.coupler_in[i], self.design.coupler_drop[i])
            if key not in coeff_cache:
                coeff_cache[key] = ring_rational_coefficients(arr.c_in, arr.c_drop)
            self.rings.append((arr, coeff_cache[key]))
        self.crosstalk = self.design.thermal_crosstalk()

    def delta_t(self, heater_mW: np.ndarray) -> np.ndarray:
        return np.asarray(
            temperature_rise_K(heater_mW, self.crosstalk, self.cfg.thermal_impedance_K_per_mW)
        )

    def spectrum(
        self, i: int, delta_t_K: float, shift_nm: float = 0.0, sel: slice | np.ndarray = slice(None)
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(T, D)`` of ring ``i`` alone at ring temperature rise ``delta_t_K`` (on ``wl[sel]``)."""
        arr, (direct, coeffs, tr_m, det_m) = self.rings[i]
        wl = self.wl_um[sel]
        heated = self.design.heated_length_um[i]
        phase = thermal_phase_rad(delta_t_K, wl, heated, self.cfg.dneff_dT_per_K)
        if shift_nm:
            phase = phase + shift_to_phase_rad(shift_nm, wl, arr.ng_length_um[sel])
        u = arr.section_t[sel] * np.exp(0.5j * phase)

        def entry(r: int, c: int) -> np.ndarray:
            return rational_value(direct[sel, r, c], coeffs[:, sel, r, c], tr_m[sel], det_m[sel], u)

        return np.abs(entry(2, 0)) ** 2, np.abs(entry(1, 0)) ** 2


def ring_spectra(
    bank: BankGeometry,
    cfg: CircuitConfig,
    wl_nm: ArrayLike,
    heater_mW: ArrayLike | None = None,
    *,
    shift_nm: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Through and drop ``(N, K)`` of every ring alone (crosstalk included) on ``wl_nm``."""
    n = len(bank.rings)
    heater = np.zeros(n) if heater_mW is None else np.asarray(heater_mW, dtype=float)
    shifts = np.zeros(n) if shift_nm is None else np.asarray(shift_nm, dtype=float)
    scanner = _Scanner(bank, cfg, np.asarray(wl_nm, float) * 1e-3, group_delay=bool(np.any(shifts)))
    dT = scanner.delta_t(heater)
    t, d = zip(*(scanner.spectrum(i, dT[i], shifts[i]) for i in range(n)), strict=True)
    return np.stack(t), np.stack(d)


def heater_slopes_nm_per_mW(
    bank: BankGeometry, cfg: CircuitConfig, wl_nm: ArrayLike | float = 1550.0
) -> np.ndarray:
    """Own-heater tuning slope ``(N,)`` (nm/mW) of each ring at ``wl_nm`` (per ring or scalar),
    ``λ (dn/dT) Z_th L_heater / (n_g L)`` with the model's round-trip group delay (no crosstalk)."""
    n = len(bank.rings)
    wl_nm = np.broadcast_to(np.asarray(wl_nm, dtype=float), (n,))
    grid, inverse = np.unique(wl_nm * 1e-3, return_inverse=True)
    design = BankDesign.from_geometry(bank, cfg)
    out = []
    for i in range(n):
        arrays = design.ring_arrays(i, grid)
        j = int(inverse[i])
        out.append(
            float(
                heater_slope_nm_per_mW(
                    grid[j],
                    heated_length_um=design.heated_length_um[i],
                    group_delay_length_um=arrays.ng_length_um[j],
                    dneff_dT_per_K=cfg.dneff_dT_per_K,
                    thermal_impedance_K_per_mW=cfg.thermal_impedance_K_per_mW,
                )
            )
        )
    return np.array(out)


def _metrics(
    scanner: _Scanner, i: int, target_nm: float, heater_mW: float, delta_t_K: float, shift: float
) -> RingMetrics:
    ring = scanner.bank.rings[i]
    t, d = scanner.spectrum(i, delta_t_K, shift)
    wl_nm = scanner.wl_nm
    step = wl_nm[1] - wl_nm[0]
    peaks = find_resonances_nm(wl_nm, d)
    if peaks.size == 0:
        raise PhotonicDFAError(
            f"ring {ring.index}: no resonance found in {wl_nm[0]:.2f}–{wl_nm[-1]:.2f} nm"
        )
    j = int(np.argmin(np.abs(peaks - target_nm)))
    res = peaks[j]
    spacings = [res - peaks[j - 1]] if j > 0 else []
    if j < peaks.size - 1:
        spacings.append(peaks[j + 1] - res)
    fsr = float(np.mean(spacings)) if spacings else float("nan")
    i_pk = int(np.clip(np.argmin(np.abs(wl_nm - res)), 1, len(d) - 2))
    i_pk = i_pk - 1 + int(np.argmax(d[i_pk - 1 : i_pk + 2]))
    _, d_peak = refine_peak(wl_nm, d, i_pk)
    width = fwhm_nm(wl_nm, d, i_pk, d_peak)
    # extinction: through maximum between the neighbouring resonances over the minimum at resonance
    lo = peaks[j - 1] if j > 0 else wl_nm[0]
    hi = peaks[j + 1] if j < peaks.size - 1 else wl_nm[-1]
    sel = (wl_nm > lo) & (wl_nm < hi)
    near = np.abs(wl_nm - res) < max(width if np.isfinite(width) else 0.0, 5 * step)
    t_min = float(np.min(t[near]))
    t_max = float(np.max(t[sel]))
    return RingMetrics(
        ring=ring.index,
        resonance_nm=float(res),
        fsr_nm=fsr,
        fwhm_nm=float(width),
        loaded_q=float(res / width),
        extinction_dB=float(10 * math.log10(t_max / max(t_min, 1e-300))),
        drop_peak=float(d_peak),
        through_min=t_min,
        heater_mW=float(heater_mW),
        delta_T_K=float(delta_t_K),
    )


def analyze_rings(
    bank: BankGeometry,
    cfg: CircuitConfig,
    heater_mW: ArrayLike | None = None,
    *,
    targets_nm: ArrayLike | None = None,
    shift_nm: ArrayLike | None = None,
    step_nm: float | None = None,
) -> list[RingMetrics]:
    """Resonance, FSR, linewidth, loaded Q and extinction of each ring (module docstring).

    Args:
        bank: the bank's geometry.
        cfg: circuit config.
        heater_mW: heater powers ``(N,)`` (default 0).
        targets_nm: per ring (or one value), the wavelength near which to report the resonance
            (default ``cfg.channel_anchor_nm``).
        shift_nm: per-ring resonance offsets ``(N,)`` (nm).
        step_nm: wavelength step of the analysis grid (nm); default FSR/8000 (≈ 1 pm at
            R = 10 µm).

    Raises:
        PhotonicDFAError: a ring has no resonance in the window.
    """
    n = len(bank.rings)
    heater = np.zeros(n) if heater_mW is None else np.asarray(heater_mW, dtype=float)
    shifts = np.zeros(n) if shift_nm is None else np.asarray(shift_nm, dtype=float)
    targets = np.broadcast_to(
        np.asarray(cfg.channel_anchor_nm if targets_nm is None else targets_nm, dtype=float), (n,)
    )
    fsr0 = max(estimated_fsr_nm(r, float(t)) for r, t in zip(bank.rings, targets, strict=True))
    step_nm = fsr0 / 8000 if step_nm is None else step_nm
    wl = _grid_um(targets.min() - 1.5 * fsr0, targets.max() + 1.5 * fsr0, step_nm)
    scanner = _Scanner(bank, cfg, wl, group_delay=bool(np.any(shifts)))
    dT = scanner.delta_t(heater)
    return [_metrics(scanner, i, targets[i], heater[i], dT[i], shifts[i]) for i in range(n)]


# --------------------------------------------------------------------------------------------
# Channels and bias
# --------------------------------------------------------------------------------------------


def _nearest_below(peaks: np.ndarray, limit: float) -> float | None:
    """Largest value of ``peaks`` ≤ ``limit`` (None if there is none)."""
    below = peaks[peaks <= limit + 1e-9]
    return float(below.max()) if below.size else None


def channel_grid_nm(
    bank: BankGeometry,
    cfg: CircuitConfig,
    *,
    spacing_nm: float | None = None,
    shift_nm: ArrayLike | None = None,
    step_nm: float = 0.001,
) -> np.ndarray:
    """WDM channel wavelengths ``(N,)`` (nm) for the bank: channel ``i`` for ring ``i``.

    With ``r_0`` ring 0's cold resonance nearest ``channel_anchor_nm`` and ``r_i`` ring ``i``'s cold
    resonance nearest ``r_0 + i × spacing``, the channels are ``λ0 + i × spacing`` with the
    smallest ``λ0`` for which every ring is red-shifted onto its channel by at least
    ``bias_margin_nm`` and every heater power is ≥ 0 with thermal crosstalk (heaters only heat).
    """
    n = len(bank.rings)
    sp = cfg.channel_spacing_nm if spacing_nm is None else float(spacing_nm)
    shifts = np.zeros(n) if shift_nm is None else np.asarray(shift_nm, dtype=float)
    fsr = max(estimated_fsr_nm(r, cfg.channel_anchor_nm) for r in bank.rings)
    span = sp * (n - 1)
    wl = _grid_um(
        cfg.channel_anchor_nm - 1.2 * fsr, cfg.channel_anchor_nm + span + 1.2 * fsr, step_nm
    )
    scanner = _Scanner(bank, cfg, wl, group_delay=bool(np.any(shifts)))
    cold = [
        find_resonances_nm(scanner.wl_nm, scanner.spectrum(i, 0.0, shifts[i])[1]) for i in range(n)
    ]
    if cold[0].size == 0:
        raise PhotonicDFAError(f"ring 0 has no resonance near {cfg.channel_anchor_nm:g} nm")
    base = float(cold[0][np.argmin(np.abs(cold[0] - cfg.channel_anchor_nm))])
    offsets = sp * np.arange(n)
    r = np.empty(n)
    for i in range(n):  # each ring's cold resonance nearest its nominal channel
        if cold[i].size == 0:
            raise PhotonicDFAError(f"ring {i}: no resonance near {base + offsets[i]:.2f} nm")
        r[i] = cold[i][np.argmin(np.abs(cold[i] - (base + offsets[i])))]
    # channel i = λ0 + offset_i: red shift λ0 + offset_i − r_i ≥ margin for all i, and heater
    # powers P = K⁻¹ ΔT / Z_th ≥ 0 with ΔT_i = (λ0 + offset_i − r_i)/slope_i (linear in λ0)
    slopes_t = heater_slopes_nm_per_mW(bank, cfg, r) / cfg.thermal_impedance_K_per_mW
    k_inv = np.linalg.inv(scanner.crosstalk)
    a = k_inv @ ((offsets - r) / slopes_t)
    b = k_inv @ (1.0 / slopes_t)
    need = [float(np.max(r - offsets)) + cfg.bias_margin_nm]
    pos = b > 0
    if np.any(pos):
        need.append(float(np.max(-a[pos] / b[pos])))
    return max(need) + offsets


def bias_to_channels(
    bank: BankGeometry,
    cfg: CircuitConfig,
    channels_nm: ArrayLike,
    *,
    shift_nm: ArrayLike | None = None,
    iterations: int = 5,
    step_nm: float = 0.0005,
) -> BiasResult:
    """Heater powers ``(N,)`` that put ring ``i``'s resonance on ``channels_nm[i]``.

    Linear first guess from the tuning slopes and the crosstalk matrix (``P = K⁻¹ ΔT / Z_th``),
    then Newton steps on the computed resonances of each ring alone (crosstalk included). Rings
    needing a negative power or more than ``heater_max_mW`` are flagged unreachable (their power is
    left as computed).
    """
    channels = np.asarray(channels_nm, dtype=float)
    n = len(bank.rings)
    shifts = np.zeros(n) if shift_nm is None else np.asarray(shift_nm, dtype=float)
    fsr = max(estimated_fsr_nm(r, float(c)) for r, c in zip(bank.rings, channels, strict=True))
    wl = _grid_um(channels.min() - 1.1 * fsr, channels.max() + 0.5, step_nm)
    scanner = _Scanner(bank, cfg, wl, group_delay=bool(np.any(shifts)))
    slopes = heater_slopes_nm_per_mW(bank, cfg, channels)  # own heater, K_ii = 1
    shift_needed = np.empty(n)
    for i in range(n):
        cold = find_resonances_nm(scanner.wl_nm, scanner.spectrum(i, 0.0, shifts[i])[1])
        below = _nearest_below(cold, channels[i])
        shift_needed[i] = channels[i] - (below if below is not None else channels[i] - fsr)
    heater = np.linalg.solve(scanner.crosstalk, shift_needed / slopes)
    res = np.full(n, np.nan)
    for it in range(iterations + 1):
        dT = scanner.delta_t(heater)
        for i in range(n):
            sel = np.abs(scanner.wl_nm - channels[i]) < 0.3 * fsr
            d = scanner.spectrum(i, dT[i], shifts[i], sel)[1]
            found = find_resonances_nm(scanner.wl_nm[sel], d)
            res[i] = found[np.argmin(np.abs(found - channels[i]))] if found.size else np.nan
        err = channels - res
        if it == iterations or not np.all(np.isfinite(err)) or np.max(np.abs(err)) < 1e-6:
            break
        heater = heater + np.linalg.solve(scanner.crosstalk, err / slopes)
    reachable = (heater >= -1e-9) & (heater <= cfg.heater_max_mW) & np.isfinite(res)
    return BiasResult(
        channels_nm=channels, heater_mW=heater, resonances_nm=res, reachable=reachable
    )
