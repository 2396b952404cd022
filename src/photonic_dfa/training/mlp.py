"""A ReLU multilayer perceptron as plain arrays, and the fixed DFA feedback matrices.

Parameters are a tuple of ``(W, b)`` per layer, ``W: (n_in, n_out)``, ``b: (n_out,)``, float32, so
that a layer is ``x @ W + b`` on a ``(batch, n_in)`` input.
"""

from __future__ import annotations

from collections.abc import Sequence

import jax
import jax.numpy as jnp

__all__ = [
    "Params",
    "forward",
    "init_feedback",
    "init_mlp",
    "layer_sizes",
    "n_params",
    "normalise",
]

Params = tuple[tuple[jax.Array, jax.Array], ...]


def layer_sizes(hidden: Sequence[int], *, n_in: int = 784, n_out: int = 10) -> tuple[int, ...]:
    """``(n_in, *hidden, n_out)``."""
    return (n_in, *(int(h) for h in hidden), n_out)


def init_mlp(key: jax.Array, sizes: Sequence[int]) -> Params:
    """PyTorch ``nn.Linear`` initialisation: ``W, b ~ U[-1/√n_in, 1/√n_in]``.

    Args:
        key: a PRNG key.
        sizes: ``(n_in, n_1, ..., n_out)``.
    """
    params = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        kw, kb = jax.random.split(jax.random.fold_in(key, i))
        bound = 1.0 / float(n_in) ** 0.5
        w = jax.random.uniform(kw, (n_in, n_out), jnp.float32, -bound, bound)
        b = jax.random.uniform(kb, (n_out,), jnp.float32, -bound, bound)
        params.append((w, b))
    return tuple(params)


def init_feedback(key: jax.Array, hidden: Sequence[int], n_out: int = 10) -> tuple[jax.Array, ...]:
    """The fixed random DFA matrices ``B_k ~ U[-1, 1]``, each ``(n_k, n_out)`` float32."""
    return tuple(
        jax.random.uniform(jax.random.fold_in(key, i), (int(n), n_out), jnp.float32, -1.0, 1.0)
        for i, n in enumerate(hidden)
    )


def normalise(images_u8: jax.Array, mean: float, std: float) -> jax.Array:
    """``(x/255 - mean) / std`` in float32 for uint8 images ``(..., 784)``."""
    return (images_u8.astype(jnp.float32) * (1.0 / 255.0) - mean) * (1.0 / std)


def forward(params: Params, x: jax.Array) -> tuple[jax.Array, tuple[jax.Array, ...]]:
    """Logits and hidden pre-activations.

    Args:
        params: the MLP.
        x: ``(batch, n_in)`` float32.

    Returns:
        ``(logits (batch, n_out), (a_1, ..., a_K))`` with ``a_k (batch, n_k)`` the pre-activations.
    """
    pre = []
    h = x
    for w, b in params[:-1]:
        a = h @ w + b
        pre.append(a)
        h = jax.nn.relu(a)
    w, b = params[-1]
    return h @ w + b, tuple(pre)


def n_params(params: Params) -> int:
    """Number of scalar parameters."""
    return sum(int(w.size + b.size) for w, b in params)
