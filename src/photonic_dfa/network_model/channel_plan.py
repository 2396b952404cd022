"""WDM channel plan of a bank design: channel wavelengths, FSR check, inter-channel crosstalk.

Ring ``i`` weights channel ``i``. Heaters only red-shift a resonance, so every channel must lie to
the red of its ring's cold resonance. The plan takes each ring's cold resonances from the circuit's
drop spectrum of that ring alone (the circuit stage's ``ring_through_drop`` on the sweep grid,
peaks refined by a parabola), picks for ring 0 the resonance nearest the anchor wavelength and for
ring ``i`` the resonance nearest ``λ_res,0 + i·Δ``, and places an equally spaced grid

    λ_i = λ_0 + i·Δ,     λ_0 = max_i (λ_res,i − i·Δ) + margin          (auto-aligned)

so that the smallest red offset of a channel from its ring's cold resonance is the margin; or
centred on a given wavelength (then the offsets are whatever they are, and reported).

Checks: ``N·Δ`` must fit one free spectral range of every ring (otherwise channel ``i`` and a
neighbouring order of ring ``i ± N`` would collide) — a :class:`ConfigError` otherwise. Reported:
each ring's FSR, 3 dB linewidth and loaded Q, the red shift (nm and mW) its heater must supply to
reach its channel, and the worst inter-channel crosstalk: the drop response of a ring tuned onto
its channel at the neighbouring channels, ``10 log10(D_i(λ_i ± Δ)/D_i(λ_i))`` (dB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from photonic_dfa.errors import ConfigError

__all__ = ["ChannelPlan", "find_peaks", "plan_channels"]


@dataclass(frozen=True)
class ChannelPlan:
    """The channel grid of a bank design and its spectral figures.

    Attributes:
        channel_wl_um: ``(N,)`` channel wavelengths (µm).
        spacing_nm: channel spacing Δ.
        cold_resonance_nm: ``(N,)`` each ring's cold resonance assigned to its channel (nm).
        red_offset_nm: ``(N,)`` channel − cold resonance (nm), ≥ margin when auto-aligned.
        heater_to_channel_mW: ``(N,)`` own-heater power that brings the ring onto its channel.
        fsr_nm: ``(N,)`` free spectral range of each ring.
        linewidth_nm, q_loaded: ``(N,)`` 3 dB width of the drop peak and λ/width.
        crosstalk_dB: ``(N,)`` worst neighbouring-channel drop response of each ring.
        worst_crosstalk_dB: the maximum of ``crosstalk_dB``.
        margin_nm: the blue margin used.
    """

    channel_wl_um: np.ndarray
    spacing_nm: float
    cold_resonance_nm: np.ndarray
    red_offset_nm: np.ndarray
    heater_to_channel_mW: np.ndarray
    fsr_nm: np.ndarray
    linewidth_nm: np.ndarray
    q_loaded: np.ndarray
    crosstalk_dB: np.ndarray
    worst_crosstalk_dB: float
    margin_nm: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "channel_wl_nm": (self.channel_wl_um * 1e3).round(4).tolist(),
            "spacing_nm": self.spacing_nm,
            "margin_nm": self.margin_nm,
            "cold_resonance_nm": self.cold_resonance_nm.round(4).tolist(),
            "red_offset_nm": self.red_offset_nm.round(4).tolist(),
            "heater_to_channel_mW": self.heater_to_channel_mW.round(4).tolist(),
            "fsr_nm": self.fsr_nm.round(4).tolist(),
            "linewidth_nm": self.linewidth_nm.round(5).tolist(),
            "q_loaded": self.q_loaded.round(0).tolist(),
            "crosstalk_dB": self.crosstalk_dB.round(2).tolist(),
            "worst_crosstalk_dB": round(float(self.worst_crosstalk_dB), 2),
        }


def find_peaks(wl_nm: np.ndarray, y: np.ndarray, *, min_height: float) -> list[float]:
    """Local maxima of a sampled curve above ``min_height``, refined by a parabola (nm)."""
    k = np.nonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:]) & (y[1:-1] > min_height))[0] + 1
    out = []
    for i in k:
        y0, y1, y2 = y[i - 1], y[i], y[i + 1]
        den = y0 - 2 * y1 + y2
        frac = 0.5 * (y0 - y2) / den if den != 0 else 0.0
        out.append(float(wl_nm[i] + np.clip(frac, -1, 1) * (wl_nm[i + 1] - wl_nm[i])))
    return out


def _linewidth(wl_nm: np.ndarray, y: np.ndarray, peak_nm: float) -> float:
    """3 dB width of the peak of ``y`` at ``peak_nm`` (linear interpolation of the crossings)."""
    k = int(np.argmin(np.abs(wl_nm - peak_nm)))
    half = y[k] / 2
    lo = k
    while lo > 0 and y[lo] > half:
        lo -= 1
    hi = k
    while hi < y.size - 1 and y[hi] > half:
        hi += 1
    if y[lo] > half or y[hi] > half:
        return float("nan")
    left = np.interp(half, [y[lo], y[lo + 1]], [wl_nm[lo], wl_nm[lo + 1]])
    right = np.interp(half, [y[hi], y[hi - 1]], [wl_nm[hi], wl_nm[hi - 1]])
    return float(right - left)


def _cold_resonances(
    wl_nm: np.ndarray, D: np.ndarray, anchor_nm: float, spacing_nm: float
) -> np.ndarray:
    """``(N,)`` the cold resonance of each ring assigned to its channel: for ring 0 the drop peak
    nearest ``anchor_nm``, for ring ``i`` the one nearest ``λ_res,0 + i·Δ`` (``D``: ``(N, K)``)."""
    peaks = []
    for i in range(D.shape[0]):
        pk = find_peaks(wl_nm, D[i], min_height=0.5 * D[i].max())
        if not pk:
            raise ConfigError(
                f"ring {i} shows no resonance between {wl_nm[0]:g} and {wl_nm[-1]:g} nm "
                "(widen [circuit] wl_start_nm / wl_stop_nm)"
            )
        peaks.append(np.array(pk))
    p0 = peaks[0][np.argmin(np.abs(peaks[0] - anchor_nm))]
    return np.array(
        [pk[np.argmin(np.abs(pk - (p0 + i * spacing_nm)))] for i, pk in enumerate(peaks)]
    )


def _crosstalk_dB(
    wl_nm: np.ndarray, D: np.ndarray, cold: np.ndarray, spacing_nm: float
) -> np.ndarray:
    """``(N,)`` worst drop response of each ring at its neighbouring channels, relative to its peak
    (dB)."""
    xt = np.empty(cold.size)
    for i in range(cold.size):
        peak = np.interp(cold[i], wl_nm, D[i])
        nb = [np.interp(cold[i] + d, wl_nm, D[i]) for d in (-spacing_nm, spacing_nm)]
        xt[i] = 10 * np.log10(max(max(nb), 1e-30) / peak)
    return xt


def plan_channels(
    design: Any,
    circuit_cfg: Any,
    *,
    spacing_nm: float,
    margin_nm: float,
    anchor_nm: float,
    center_nm: float | None = None,
) -> ChannelPlan:
    """Plan the channels of a bank design (see the module docstring).

    Args:
        design: a :class:`~photonic_dfa.circuits.BankDesign` (of ``bank_circuits.npz``).
        circuit_cfg: the ``[circuit]`` config; its sweep grid is where resonances are looked for.
        spacing_nm: channel spacing Δ.
        margin_nm: blue margin (auto alignment).
        anchor_nm: ring 0's resonance nearest this wavelength is used (auto alignment).
        center_nm: if given, the grid is centred here instead.

    Raises:
        ConfigError: ``N·Δ`` exceeds a ring's FSR; a ring has no resonance in the sweep range;
            the grid leaves the range of the coupler data.
    """
    import jax.numpy as jnp

    from photonic_dfa.circuits.bank_circuit import BankCircuit

    n = design.n_rings
    lo, hi, points = circuit_cfg.wl_grid_nm()
    wl_nm = np.linspace(lo, hi, points)
    circuit = BankCircuit.build(design, wl_nm * 1e-3)
    _, D = circuit.ring_through_drop(jnp.zeros(n))
    D = np.asarray(D)
    fsr = np.asarray(circuit.fsr_nm())  # (N, K)
    slope = np.asarray(circuit.heater_slope_nm_per_mW())
    k_mid = points // 2
    fsr_mid = fsr[:, k_mid]
    if n * spacing_nm > fsr_mid.min():
        raise ConfigError(
            f"{n} channels × {spacing_nm:g} nm = {n * spacing_nm:g} nm do not fit one free "
            f"spectral range of the rings ({fsr_mid.min():.3f} nm): lower the channel spacing "
            f"to at most {fsr_mid.min() / n:.3f} nm or use fewer rings"
        )
    cold = _cold_resonances(wl_nm, D, anchor_nm, spacing_nm)
    if center_nm is None:
        start = float(np.max(cold - np.arange(n) * spacing_nm) + margin_nm)
    else:
        start = float(center_nm - (n - 1) / 2 * spacing_nm)
    ch_nm = start + np.arange(n) * spacing_nm
    if ch_nm[0] < 1500.0 or ch_nm[-1] > 1600.0:
        raise ConfigError(
            f"channel grid {ch_nm[0]:.2f}–{ch_nm[-1]:.2f} nm leaves the coupler data (1500–1600 nm)"
        )
    red = ch_nm - cold
    ks = np.clip(np.searchsorted(wl_nm, ch_nm), 0, points - 1)
    own_slope = slope[np.arange(n), ks]
    # a channel blue of its cold resonance is reached with the next order: one FSR more
    red_wrapped = np.where(red < 0, red + fsr[np.arange(n), ks], red)
    heater = red_wrapped / own_slope
    width = np.array([_linewidth(wl_nm, D[i], cold[i]) for i in range(n)])
    xt = _crosstalk_dB(wl_nm, D, cold, spacing_nm)
    return ChannelPlan(
        channel_wl_um=ch_nm * 1e-3,
        spacing_nm=float(spacing_nm),
        cold_resonance_nm=cold,
        red_offset_nm=red,
        heater_to_channel_mW=heater,
        fsr_nm=fsr_mid,
        linewidth_nm=width,
        q_loaded=cold / width,
        crosstalk_dB=xt,
        worst_crosstalk_dB=float(xt.max()),
        margin_nm=float(margin_nm),
    )
