"""Example 3: train a network with DFA whose feedback comes from an extracted photonic model.

    python examples/train_with_model.py -o out/example_train                    # extract, then train
    python examples/train_with_model.py --model out/model/photonic_model.npz   # reuse a model

Without ``--model`` it draws the default layout and extracts the chip's feedback matrices for the
network's hidden sizes first. It then trains ``dfa-photonic`` and, for comparison, ideal ``dfa``
on the same data, and prints both accuracies and the photonic model's calibration precision.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from photonic_dfa.config import load_config
from photonic_dfa.layout import write_layout
from photonic_dfa.network_model.artifact import load_photonic_model
from photonic_dfa.network_model.run import extract
from photonic_dfa.training.plots import plot_curves
from photonic_dfa.training.run import resolve_data, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="photonic_model.npz to reuse")
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data", default=None, help="MNIST directory (default: loader search)")
    parser.add_argument("-o", "--outdir", type=Path, default=Path("out/example_train"))
    args = parser.parse_args()

    model_path = args.model
    if model_path is None:
        layout = write_layout(load_config().layout, args.outdir / "layout").json_path
        result = extract(layout, args.hidden, outdir=args.outdir / "model", progress=print)
        model_path = result.model_path
    model = load_photonic_model(model_path)
    print(f"photonic model {model_path}: hidden {list(model.hidden)}")

    data = resolve_data(args.data, log=print)
    histories, accuracies = {}, {}
    for mode in ("dfa-photonic", "dfa"):
        run = train(
            mode=mode,
            outdir=args.outdir / mode,
            model=model_path if mode == "dfa-photonic" else None,
            data=data,
            hidden=tuple(model.hidden),
            epochs=args.epochs,
        )
        histories[mode], accuracies[mode] = run.history, run.test_acc
        print(f"{mode:13s} test accuracy {100 * run.test_acc:.2f} %")
    plot_curves(histories, args.outdir / "curves.png", title="photonic vs ideal DFA")
    print(f"wrote {args.outdir / 'curves.png'}")


if __name__ == "__main__":
    main()
