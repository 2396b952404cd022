"""Our trainer against the authors' reference protocol, both started from the same network.

The authors' reference code (``Shastri-Lab/dfa_optica_paper``, PyTorch) reports one seed. Its figure
depends on PyTorch's random stream (which 5k of the test images validate, the initial weights, the
``B_k``) as much as on the algorithm, and seed-to-seed spread of the 5k-image test accuracy is about
±0.1 points. To tell a protocol difference from a different random draw, this script

1. trains the reference protocol in PyTorch (needs the optional ``reference`` extra,
   ``pip install -e ".[reference]"``; the CPU-only wheel is enough), written here from DESIGN.md's description and the paper's
   code: 784-800-800-10 ReLU, ``nn.Linear`` initialisation, SGD lr 0.01 momentum 0.9, batch 64, no
   shuffling (the reference shuffles only on CUDA), ``B_k ~ U[-1, 1]`` with ``B e / √n_k`` replacing
   the gradient at each hidden activation, best-validation model reported on test. The random draws
   happen in the reference's order (split, model, the copy for the best model, the DataLoader's seed
   draw, then ``B_k`` at the first forward pass), so ``--seeds 1`` is the reference's seed-1 run;
2. dumps that run's split, initial weights and ``B_k`` to ``<outdir>/torch_seed<S>.npz``;
3. trains :class:`photonic_dfa.training.trainer.Trainer` (same mode, shuffle off) from exactly that
   start, and prints both per epoch and the best-validation test accuracies side by side.

Usage::

    python benchmarks/reference_check.py [--seeds 1 2 3] [--mode dfa|bp] [--epochs 50]
        [--data ../shared/data/mnist] [--outdir DIR] [--results FILE]

A PyTorch run takes about 5 min per seed on 2 cores (finished ones are reused from ``--outdir``);
ours about 2 min. Writes ``benchmarks/results_reference_check.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
HIDDEN = (800, 800)


def torch_reference(data, seed: int, mode: str, epochs: int, dump: Path) -> dict:
    """The reference protocol in PyTorch; writes the starting point to ``dump``; per-epoch curves."""
    import torch
    import torch.nn.functional as F
    from torch import nn, optim

    def norm(u8: np.ndarray) -> torch.Tensor:  # ToTensor + Normalize((0.1307,), (0.3081,))
        return (torch.from_numpy(u8.astype(np.float32)) / 255.0 - 0.1307) / 0.3081

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            sizes = (784, *HIDDEN, 10)
            self.fcs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
            self.B: list[torch.Tensor] = []

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if not self.B:  # drawn at the first forward pass, as in the reference
                self.B = [torch.rand(10, n) * 2 - 1 for n in HIDDEN]
            hidden = []
            for fc in self.fcs[:-1]:
                x = torch.relu(fc(x))
                hidden.append(x)
            out = self.fcs[-1](x)
            if mode == "dfa" and out.requires_grad:
                # DFA: the gradient arriving at hidden activation k is replaced by (e B_k)/√n_k,
                # with e = ∂L/∂logits (the reference does this with tensor hooks too)
                signals: list[torch.Tensor] = []

                def take_error(e: torch.Tensor) -> torch.Tensor:
                    signals.extend((e @ B) / B.shape[1] ** 0.5 for B in self.B)
                    return e

                out.register_hook(take_error)
                for k, h in enumerate(hidden):
                    h.register_hook(lambda g, k=k: signals[k])
            return out

    torch.manual_seed(seed)
    perm = torch.randperm(len(data.test_labels)).numpy()  # random_split(test, [5000, 5000])
    val_idx, test_idx = perm[:5000], perm[5000:]
    model, best = Net(), Net()
    best.load_state_dict(model.state_dict())
    torch.empty((), dtype=torch.int64).random_()  # the training DataLoader's base-seed draw
    x_tr, y_tr = norm(data.train_images), torch.from_numpy(data.train_labels.astype(np.int64))
    x_va, y_va = norm(data.test_images[val_idx]), torch.from_numpy(data.test_labels[val_idx])
    x_te, y_te = norm(data.test_images[test_idx]), torch.from_numpy(data.test_labels[test_idx])
    with torch.no_grad():
        model(x_tr[:1])  # draws B_k
    start = {"val_idx": val_idx, "test_idx": test_idx}
    for i, fc in enumerate(model.fcs):
        start[f"W_{i}"] = fc.weight.detach().numpy().T.copy()
        start[f"b_{i}"] = fc.bias.detach().numpy().copy()
    for k, B in enumerate(model.B):
        start[f"B_{k}"] = B.numpy().T.copy()
    np.savez(dump, **start)

    def accuracy(net: Net, x: torch.Tensor, y: torch.Tensor) -> float:
        with torch.no_grad():
            return float((net(x).argmax(1) == y).float().mean())

    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    best_val, best_epoch, curve = -1.0, 0, []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        for j in range(0, len(y_tr), 64):
            opt.zero_grad()
            F.cross_entropy(model(x_tr[j : j + 64]), y_tr[j : j + 64]).backward()
            opt.step()
        val, test = accuracy(model, x_va, y_va), accuracy(model, x_te, y_te)
        curve.append({"val_acc": val, "test_acc": test, "seconds": time.perf_counter() - t0})
        if val > best_val:
            best_val, best_epoch = val, epoch
            best.load_state_dict(model.state_dict())
        print(
            f"  torch  seed {seed} epoch {epoch:3d}: val {100 * val:.2f} % test {100 * test:.2f} %"
        )
    return {
        "test_acc": accuracy(best, x_te, y_te),
        "best_val_acc": best_val,
        "best_epoch": best_epoch,
        "curve": curve,
        "torch_version": torch.__version__,
    }


def ours_from(data, start_path: Path, mode: str, epochs: int) -> dict:
    """Our trainer from the dumped starting point (split, weights, ``B_k``), shuffle off."""
    from photonic_dfa.config.training import TrainingConfig
    from photonic_dfa.training.run import device_data_split
    from photonic_dfa.training.trainer import Trainer, evaluate

    with np.load(start_path) as z:
        start = {k: z[k] for k in z.files}
    cfg = TrainingConfig(mode=mode, hidden=HIDDEN, epochs=epochs, shuffle=False, align_samples=0)
    trainer = Trainer(cfg)
    params = [(start[f"W_{i}"], start[f"b_{i}"]) for i in range(len(HIDDEN) + 1)]
    feedback = [start[f"B_{k}"] for k in range(len(HIDDEN))]
    state, fb = trainer.init(params=params, B=feedback)
    dev = device_data_split(data, start["val_idx"], start["test_idx"])
    best_epoch, best_val, curve = 0, -1.0, []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        state, stats = trainer.epoch(state, fb, dev)
        val, test = float(stats.val_acc), float(stats.test_acc)
        curve.append({"val_acc": val, "test_acc": test, "seconds": time.perf_counter() - t0})
        if val > best_val:
            best_val, best_epoch = val, epoch
        print(f"  ours   epoch {epoch:3d}: val {100 * val:.2f} % test {100 * test:.2f} %")
    test_acc, _ = evaluate(state.best_params, dev.test_x, dev.test_y, trainer.hyper)
    return {
        "test_acc": float(test_acc),
        "best_val_acc": best_val,
        "best_epoch": best_epoch,
        "curve": curve,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--mode", choices=("dfa", "bp"), default="dfa")
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "mnist")
    ap.add_argument(
        "--outdir", type=Path, default=Path(tempfile.gettempdir()) / "photonic_dfa_reference"
    )
    ap.add_argument("--results", type=Path, default=HERE / "results_reference_check.json")
    args = ap.parse_args()

    from photonic_dfa.errors import PhotonicDFAError
    from photonic_dfa.io import atomic_write_json
    from photonic_dfa.training.data import mnist_from_dir

    try:
        data = mnist_from_dir(args.data)
    except PhotonicDFAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.outdir.mkdir(parents=True, exist_ok=True)
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    for seed in args.seeds:
        tag = f"{args.mode}_seed{seed}_epochs{args.epochs}"
        dump = args.outdir / f"torch_{tag}.npz"
        ref_json = args.outdir / f"torch_{tag}.json"
        if ref_json.is_file() and dump.is_file():
            ref = json.loads(ref_json.read_text())
            print(f"{tag}: PyTorch run reused from {ref_json}")
        else:
            try:
                import torch  # noqa: F401
            except ImportError:
                print(
                    'error: the PyTorch reference needs torch: pip install -e ".[reference]"',
                    file=sys.stderr,
                )
                return 2
            print(f"{tag}: PyTorch reference protocol")
            ref = torch_reference(data, seed, args.mode, args.epochs, dump)
            atomic_write_json(ref_json, ref)
        print(f"{tag}: photonic_dfa Trainer from the same start")
        ours = ours_from(data, dump, args.mode, args.epochs)
        results[tag] = {"torch": ref, "photonic_dfa": ours}
        atomic_write_json(args.results, results)
    print(f"\n{'run':28s} {'PyTorch':>22s} {'photonic_dfa':>22s}   (best-val test acc, epoch)")
    for tag, r in results.items():
        cells = [f"{100 * r[k]['test_acc']:6.2f} % (ep {r[k]['best_epoch']:2d})" for k in r]
        last = [f"{100 * r[k]['curve'][-1]['test_acc']:.2f}" for k in r]
        print(f"{tag:28s} {cells[0]:>22s} {cells[1]:>22s}   last epoch {last[0]} / {last[1]} %")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
