"""Training checkpoints: the whole :class:`TrainState` plus the history, in one atomically written npz.

Layout of ``checkpoint.npz`` (schema ``photonic_dfa.training_checkpoint``, version 1):

* ``meta``: a JSON string: schema, version, the training config, the feedback provenance
  (model sha256) and the per-epoch history so far;
* ``leaf_000`` … : the flattened state (``jax.tree_util`` order of ``TrainState``), the PRNG key as its
  raw key data; ``fb_000`` … : the feedback matrices used.

A checkpoint is written after every epoch with a temporary file + rename, so an interrupted run always
leaves the last complete epoch on disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np

from photonic_dfa.errors import ArtifactError
from photonic_dfa.io import read_versioned_npz, write_versioned_npz
from photonic_dfa.training.trainer import Feedback, TrainState

__all__ = [
    "CHECKPOINT_SCHEMA",
    "CHECKPOINT_VERSION",
    "Checkpoint",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_SCHEMA = "photonic_dfa.training_checkpoint"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint: the state, the feedback matrices and the metadata (``meta['history']``)."""

    state: TrainState
    B: tuple[np.ndarray, ...]
    meta: dict[str, Any]


def _leaves(state: TrainState) -> list[np.ndarray]:
    state = state._replace(key=jax.random.key_data(state.key))
    return [np.asarray(x) for x in jax.tree_util.tree_leaves(state)]


def save_checkpoint(
    path: str | os.PathLike[str], state: TrainState, fb: Feedback, meta: dict[str, Any]
) -> Path:
    """Write ``state``, ``fb.B`` and ``meta`` (JSON-able) to ``path`` atomically."""
    arrays: dict[str, np.ndarray] = {f"leaf_{i:03d}": leaf for i, leaf in enumerate(_leaves(state))}
    arrays.update({f"fb_{i:03d}": np.asarray(b) for i, b in enumerate(fb.B)})
    full_meta = {"schema": CHECKPOINT_SCHEMA, "schema_version": CHECKPOINT_VERSION, **meta}
    return write_versioned_npz(path, full_meta, arrays)


def load_checkpoint(path: str | os.PathLike[str], template: TrainState) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` into the structure of ``template``.

    Args:
        template: a state of the same configuration (e.g. a fresh ``Trainer.init()``): gives the
            tree structure, shapes, dtypes and the PRNG implementation.

    Raises:
        ArtifactError: missing, unreadable, of another schema/version, or not matching ``template``.
    """
    path = Path(path)
    where = str(path)
    meta, files = read_versioned_npz(path, "checkpoint", CHECKPOINT_SCHEMA, CHECKPOINT_VERSION)
    key_template = template.key
    tmpl = template._replace(key=jax.random.key_data(template.key))
    t_leaves, treedef = jax.tree_util.tree_flatten(tmpl)
    leaves = []
    for i, t in enumerate(t_leaves):
        name = f"leaf_{i:03d}"
        arr = files.get(name)
        if arr is None or arr.shape != t.shape or arr.dtype != t.dtype:
            got = "missing" if arr is None else f"{arr.dtype}{list(arr.shape)}"
            raise ArtifactError(
                f"checkpoint {where!r} does not match this configuration: {name} is {got}, "
                f"expected {t.dtype}{list(t.shape)}"
            )
        leaves.append(jax.numpy.asarray(arr))
    state = jax.tree_util.tree_unflatten(treedef, leaves)
    impl = jax.random.key_impl(key_template)
    state = state._replace(key=jax.random.wrap_key_data(state.key, impl=impl))
    n_fb = sum(1 for k in files if k.startswith("fb_"))
    B = tuple(files[f"fb_{i:03d}"] for i in range(n_fb))
    return Checkpoint(state=state, B=B, meta=meta)
