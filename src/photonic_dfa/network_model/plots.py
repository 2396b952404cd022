"""Figures of an extracted model: target vs realised weights, residuals, heater powers, drift."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from photonic_dfa.io import atomic_path
from photonic_dfa.network_model.artifact import PhotonicModel

__all__ = ["write_plots"]


def write_plots(model: PhotonicModel, outdir: str | Path) -> list[Path]:
    """Write ``weights.png`` (target vs realised, all layers), ``residuals.png`` (histogram of
    ``B̃ − B`` in units of B), ``heaters.png`` (heater power per ring of the first rows,
    and mean per physical bank × ring) and, with drift, ``drift.png`` (error vs time with and
    without recalibration) to ``outdir``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(outdir)
    paths = []
    ideal = np.concatenate([b.ravel() for b in model.B_ideal])
    real = np.concatenate([b.ravel() for b in model.B_realised])
    res = real - ideal
    rng = np.random.default_rng(0)
    pick = rng.choice(ideal.size, size=min(ideal.size, 20_000), replace=False)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot(ideal[pick], real[pick], ".", ms=1.5, alpha=0.5)
    ax.plot([-1, 1], [-1, 1], "k-", lw=0.8)
    ax.set_xlabel("target weight B (units of B)")
    ax.set_ylabel("realised weight B̃")
    cal = model.calibration
    ax.set_title(
        f"{cal.get('mode', '?')} calibration: median {cal.get('bits_median', float('nan')):.1f} bits"
    )
    paths.append(_save(fig, out / "weights.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    rms = float(np.sqrt(np.mean(res**2)))
    ax.hist(res, bins=200, log=True)
    ax.set_xlabel("B̃ − B (units of B)")
    ax.set_ylabel("weights")
    ax.set_title(f"residuals: RMS {rms:.2e}, max |·| {np.abs(res).max():.2e}")
    paths.append(_save(fig, out / "residuals.png"))

    if model.heater_mW:
        h = model.heater_mW[0]
        rows = h.reshape(h.shape[0], -1)[:100]
        d_c = model.readout.banks
        per_bank = np.zeros((d_c, h.shape[-1]))
        allh = np.concatenate([x.reshape(x.shape[0], -1, x.shape[-1]) for x in model.heater_mW])
        bank_of = np.concatenate([np.arange(x.shape[0]) % d_c for x in model.heater_mW])
        for b in range(d_c):
            sel = allh[bank_of == b]
            if sel.size:
                per_bank[b] = sel.reshape(-1, h.shape[-1]).mean(axis=0)
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), width_ratios=[2, 1])
        im = axes[0].imshow(rows.T, aspect="auto", cmap="inferno", interpolation="nearest")
        axes[0].set_xlabel("row tile of B_1")
        axes[0].set_ylabel("ring")
        axes[0].set_title("solved heater power (mW), first rows")
        fig.colorbar(im, ax=axes[0])
        im2 = axes[1].imshow(per_bank.T, aspect="auto", cmap="inferno", interpolation="nearest")
        axes[1].set_xlabel("physical bank")
        axes[1].set_ylabel("ring")
        axes[1].set_title("mean per bank (mW)")
        fig.colorbar(im2, ax=axes[1])
        fig.tight_layout()
        paths.append(_save(fig, out / "heaters.png"))
    drift = model.calibration.get("drift") or {}
    if drift.get("active"):
        paths.append(_drift_plot(plt, drift, out / "drift.png"))
    if model.calibration.get("error_budget"):
        paths.append(_budget_plot(plt, model.calibration["error_budget"], out / "error_budget.png"))
    return paths


def _budget_plot(plt, budget: dict, path: Path) -> Path:
    """``error_budget.png``: per-MAC error std of each source (units of max|e|, log scale), the
    totals (quadrature sum and Monte-Carlo of the whole chain) and the paper's measured std."""
    from photonic_dfa.network_model.summary import BUDGET_LABELS

    rows = [
        (BUDGET_LABELS.get(r["name"], r["name"]), r["std"], r["parent"]) for r in budget["sources"]
    ]
    t, paper = budget["total"], budget["paper"]
    rows += [("total, quadrature", t["quadrature_std"], "total")]
    rows += [("total, Monte-Carlo", t["monte_carlo_std"], "total")]
    floor = 1e-5
    colours = {None: "C0", "total": "C3"}
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    for yi, (_label, std, parent) in zip(y, rows, strict=True):
        ax.barh(yi, max(std, floor), left=0, color=colours.get(parent, "C7"), height=0.7)
        ax.text(max(std, floor) * 1.1, yi, f"{std:.2g}", va="center", fontsize=7)
    ax.axvline(paper["std"], color="k", ls="--", lw=0.9)
    ax.text(paper["std"] * 1.08, y[0], f"paper, measured\n{paper['std']:g}", fontsize=7, va="top")
    ax.set_yticks(y, [r[0].strip() if r[2] is None else r[0] for r in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(floor, 2.0)
    ax.set_xlabel("per-MAC error std (units of max|e|); grey: parts and variants, not in the total")
    ax.set_title(
        f"error budget: {t['monte_carlo_std']:.3g} (Monte-Carlo) vs {paper['std']:g} (paper)",
        fontsize=10,
    )
    fig.tight_layout()
    return _save(fig, path)


def _drift_plot(plt, drift: dict, path: Path) -> Path:
    """``drift.png``: RMS weight error vs time (units of B), without and with recalibration, the
    calibration residual beside them."""
    ser = drift["series"]
    t_h = np.asarray(ser["t_s"]) / 3600.0
    cal = drift["calibration_rms_B_median"]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in (("error_B_no_recal", "no recalibration"), ("error_B_recal", "recalibrated")):
        e = np.asarray(ser[key])
        ax.plot(t_h, np.sqrt(e**2 + cal**2), lw=0.9, label=f"{label} (with calibration residual)")
    ax.axhline(cal, color="k", lw=0.7, ls=":", label="calibration residual (median RMS)")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("RMS error of B̃ (units of B)")
    ax.set_yscale("log")
    rec = drift["recal"]
    ax.set_title(
        f"drift: {rec['count']} recalibrations, {100 * rec['time_fraction']:.2g} % of the time"
    )
    ax.legend(fontsize=8, loc="upper right", framealpha=0.8)
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path
