"""Summaries of a training history: best-validation epoch, its test accuracy, timings."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["best_epoch", "epoch_record", "summarise"]


def epoch_record(epoch: int, stats: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """One ``history.json`` entry from the host values of an :class:`EpochStats`.

    Accuracies are fractions in [0, 1]; ``align_deg`` is a list per hidden layer (None for ``bp``).
    """

    def num(x: Any) -> float | None:
        v = float(x)
        return None if math.isnan(v) else v

    align = [num(a) for a in np.atleast_1d(np.asarray(stats["align_deg"]))]
    return {
        "epoch": int(epoch),
        "loss": num(stats["loss"]),
        "train_acc": num(stats["train_acc"]),
        "val_loss": num(stats["val_loss"]),
        "val_acc": num(stats["val_acc"]),
        "test_acc": num(stats["test_acc"]),
        "align_deg": None if all(a is None for a in align) else align,
        "align_all_deg": num(stats["align_all_deg"]),
        "seconds": float(seconds),
    }


def best_epoch(history: Sequence[Mapping[str, Any]]) -> int:
    """Index of the first epoch with the highest validation accuracy (the reference's ``>`` rule)."""
    if not history:
        raise ValueError("empty history")
    vals = [h["val_acc"] if h["val_acc"] is not None else -1.0 for h in history]
    return int(np.argmax(vals))


def summarise(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Final metrics: the best-validation epoch reported on test, plus the last epoch and timings."""
    i = best_epoch(history)
    best, last = history[i], history[-1]
    secs = [h["seconds"] for h in history]
    return {
        "epochs": len(history),
        "best_epoch": best["epoch"],
        "best_val_acc": best["val_acc"],
        "test_acc": best["test_acc"],
        "test_error_pct": None if best["test_acc"] is None else 100.0 * (1.0 - best["test_acc"]),
        "final_val_acc": last["val_acc"],
        "final_test_acc": last["test_acc"],
        "final_loss": last["loss"],
        "final_align_deg": last["align_deg"],
        "seconds_total": float(sum(secs)),
        "seconds_per_epoch_median": float(np.median(secs)),
    }
