"""Figures of the circuit sweeps (matplotlib, Agg backend, written atomically as PNG)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from photonic_dfa.io import atomic_path

__all__ = [
    "plot_corners",
    "plot_design",
    "plot_heater_tuning",
    "plot_spectrum",
]


def _figure(nrows: int = 1, ncols: int = 1, **kw):
    """A figure without pyplot (no global backend state)."""
    from matplotlib.figure import Figure

    fig = Figure(**kw)
    return fig, fig.subplots(nrows, ncols)


def _save(fig, path: str | os.PathLike[str]) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    return Path(path)


def _db(x: np.ndarray) -> np.ndarray:
    return 10 * np.log10(np.maximum(np.asarray(x), 1e-12))


def plot_spectrum(
    path: str | os.PathLike[str],
    wl_nm: np.ndarray,
    through: np.ndarray,
    drop: np.ndarray,
    *,
    channels_nm: np.ndarray | None = None,
    title: str = "",
    cold: tuple[np.ndarray, np.ndarray] | None = None,
) -> Path:
    """Through and drop spectra (dB) of one bank with its channel grid marked."""
    fig, ax = _figure(figsize=(9, 4.2))
    if cold is not None:
        ax.plot(wl_nm, _db(cold[1]), color="0.7", lw=0.8, label="drop, heaters off")
    ax.plot(wl_nm, _db(through), color="C0", lw=1.0, label="through")
    ax.plot(wl_nm, _db(drop), color="C3", lw=1.0, label="drop")
    if channels_nm is not None:
        for i, c in enumerate(channels_nm):
            ax.axvline(c, color="k", lw=0.5, ls=":", label="channels" if i == 0 else None)
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("transmission (dB)")
    ax.set_ylim(-40, 1)
    ax.set_xlim(wl_nm[0], wl_nm[-1])
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize=8, ncol=4)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def plot_heater_tuning(
    path: str | os.PathLike[str],
    power_mW: np.ndarray,
    shift_nm: np.ndarray,
    *,
    slope_fit: float,
    slope_model: float,
    r2: float,
    wl_nm: np.ndarray,
    drop_map: np.ndarray,
    ring: int,
) -> Path:
    """Resonance shift vs heater power (with the linear fit) and the drop-port map."""
    fig, (a, b) = _figure(1, 2, figsize=(10, 4))
    a.plot(power_mW, shift_nm, "o", ms=4, label="computed")
    a.plot(
        power_mW,
        slope_fit * power_mW + (shift_nm[0] if shift_nm.size else 0.0),
        "-",
        lw=1,
        label=f"fit {slope_fit:.4f} nm/mW (R² = {r2:.6f})",
    )
    a.plot(power_mW, slope_model * power_mW, "--", lw=1, label=f"model {slope_model:.4f} nm/mW")
    a.set_xlabel("heater power (mW)")
    a.set_ylabel("resonance shift (nm)")
    a.set_title(f"ring {ring}: thermal tuning")
    a.legend(fontsize=8)
    a.grid(alpha=0.3)
    im = b.pcolormesh(wl_nm, power_mW, _db(drop_map), shading="auto", vmin=-40, vmax=0)
    b.set_xlabel("wavelength (nm)")
    b.set_ylabel("heater power (mW)")
    b.set_title("drop port (dB)")
    fig.colorbar(im, ax=b)
    fig.tight_layout()
    return _save(fig, path)


def plot_design(
    path: str | os.PathLike[str],
    labels: list[str],
    fsr_nm: np.ndarray,
    fwhm_nm: np.ndarray,
    xtalk_dB: np.ndarray,
    *,
    spacing_nm: np.ndarray,
    spacing_xtalk_dB: np.ndarray,
    spacing_heater_mW: np.ndarray,
) -> Path:
    """Design sweep: ring figures of merit per data point, and the channel-spacing trade-off."""
    fig, (a, b) = _figure(1, 2, figsize=(11, 4.2))
    x = np.arange(len(labels))
    a.bar(x - 0.2, fsr_nm, width=0.4, label="FSR (nm)")
    a.bar(x + 0.2, 10 * fwhm_nm, width=0.4, label="10 × FWHM (nm)")
    a.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    a2 = a.twinx()
    a2.plot(x, xtalk_dB, "k.-", label="adjacent-channel drop (dB)")
    a2.set_ylabel("drop at ±1 channel (dB)")
    a.legend(loc="upper left", fontsize=8)
    a.set_title("coupler data points (symmetric gaps)")
    b.plot(spacing_nm, spacing_xtalk_dB, "o-", label="worst crosstalk (dB)")
    b.set_xlabel("channel spacing (nm)")
    b.set_ylabel("worst inter-channel drop (dB)")
    b2 = b.twinx()
    b2.plot(spacing_nm, spacing_heater_mW, "s--", color="C1", label="max heater power (mW)")
    b2.set_ylabel("max heater power (mW)")
    b.set_title("bank: channel spacing")
    b.grid(alpha=0.3)
    fig.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_corners(
    path: str | os.PathLike[str],
    labels: list[str],
    shift_nm: np.ndarray,
    heater_mW: np.ndarray,
    has_data: np.ndarray,
) -> Path:
    """Fabrication corners: mean resonance shift and the heater power that restores the channels."""
    fig, (a, b) = _figure(1, 2, figsize=(10, 4))
    x = np.arange(len(labels))
    has_data = np.asarray(has_data, dtype=bool)
    mean_shift = np.zeros(len(labels))
    max_p = np.zeros(len(labels))
    mean_shift[has_data] = np.mean(shift_nm[has_data], axis=1)
    max_p[has_data] = np.max(heater_mW[has_data], axis=1)
    a.bar(x, mean_shift, color=["C0" if h else "0.8" for h in has_data])
    a.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    a.set_ylabel("mean cold resonance shift (nm)")
    a.set_title("corners (grey: no simphony data)")
    a.grid(alpha=0.3)
    b.bar(x, max_p, color=["C1" if h else "0.8" for h in has_data])
    b.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    b.set_ylabel("max heater power to restore channels (mW)")
    b.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)
