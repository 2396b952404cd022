"""Training curves: loss, validation/test error and DFA alignment angle per epoch."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_curves"]


def plot_curves(
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    path: str | os.PathLike[str],
    *,
    title: str = "",
) -> Path:
    """Plot the histories of one or several runs side by side and save the figure atomically.

    Args:
        runs: label -> ``history.json`` entries.
        path: the image to write (``.png``).
        title: figure title.

    Panels: training loss, validation (solid) and test (dashed) error in %, and — only when a run
    has one (DFA modes; not ``bp`` alone) — the angle between the DFA update and the BP gradient
    (degrees; 90° = no alignment).
    """
    from matplotlib.figure import Figure

    from photonic_dfa.io import atomic_path

    has_align = any(h.get("align_all_deg") is not None for hist in runs.values() for h in hist)
    fig = Figure(figsize=(13 if has_align else 9, 3.8), layout="constrained")
    axes = fig.subplots(1, 3 if has_align else 2)
    ax_loss, ax_err = axes[0], axes[1]
    ax_al = axes[2] if has_align else None
    for i, (label, hist) in enumerate(runs.items()):
        color = f"C{i % 10}"
        ep = [h["epoch"] for h in hist]
        ax_loss.plot(ep, [h["loss"] for h in hist], color=color, label=label)
        ax_err.plot(
            ep, [100 * (1 - h["val_acc"]) for h in hist], color=color, label=f"{label} (val)"
        )
        ax_err.plot(ep, [100 * (1 - h["test_acc"]) for h in hist], color=color, ls="--")
        al = [
            (e, h["align_all_deg"])
            for e, h in zip(ep, hist, strict=True)
            if h.get("align_all_deg") is not None
        ]
        if al and ax_al is not None:
            ax_al.plot([a[0] for a in al], [a[1] for a in al], color=color, label=label)
    ax_loss.set(xlabel="epoch", ylabel="training loss (cross-entropy)", yscale="log")
    ax_err.set(xlabel="epoch", ylabel="error % (solid: validation, dashed: test)", yscale="log")
    if ax_al is not None:
        ax_al.set(xlabel="epoch", ylabel="angle DFA update vs BP gradient (deg)", ylim=(0, 90))
        ax_al.axhline(90, color="0.6", lw=0.8)
    for ax in axes:
        ax.grid(alpha=0.3)
    ax_loss.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format=path.suffix.lstrip(".") or "png")
    return path
