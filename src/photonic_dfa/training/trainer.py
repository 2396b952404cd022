"""BP and DFA training of a ReLU MLP: a pure step function and a whole epoch as one jitted ``lax.scan``.

Hidden layer ``k`` (pre-activation ``a_k``, ``n_k`` units) is updated with ``δ_k = s_k ⊙ f'(a_k)``,
where the error signal ``s_k`` depends on the mode (``e = ∂L/∂logits``, ``(batch, n_out)``):

* ``bp``: ``s_k = δ_{k+1} W_{k+1}ᵀ`` (backpropagation);
* ``dfa``: ``s_k = e B_kᵀ / √n_k`` with the fixed ``B_k ~ U[-1, 1]`` (``(n_k, n_out)``);
* ``dfa-gaussian``: ``s_k = (e B_kᵀ + max|e| · N(μ, σ)) / √n_k``, one draw per MAC result
  (the authors' reference noise model; ``max|e|`` over the batch as in their code), drawn with the
  fast counter-based generator of :func:`photonic_dfa.network_model.readout.standard_normal`
  (threefry would make this mode ~20 % slower than ``dfa``);
* ``dfa-photonic``: ``s_k = photonic_feedback(key, e, B̃_k, readout) / √n_k`` with the realised
  matrix ``B̃_k`` and the readout chain of an extracted ``photonic_model.npz``. With drift
  (:class:`DriftFeedback`), batch ``i`` sees ``B̃_k(t_i) = B̃_k + J_k ΔT_i`` from the ring
  temperatures ``ΔT_i`` (``(banks, d_R)``, relative to the last recalibration) fed to the epoch
  as a scan input (:func:`photonic_dfa.network_model.drift.drifted_matrices`).

The output layer always gets the true gradient. The optimiser is SGD with PyTorch's momentum
(``v ← μ v + g``, ``θ ← θ − η v``). One epoch (shuffle, all batches, validation, test, alignment) is a
single compiled call; the training set lives on the device as uint8 and is normalised per batch.
A partial last batch is kept (masked), as in the reference's DataLoader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from photonic_dfa.config.training import TrainingConfig
from photonic_dfa.network_model.drift import drifted_matrices
from photonic_dfa.network_model.readout import standard_normal
from photonic_dfa.training.mlp import Params, forward, init_feedback, init_mlp, layer_sizes
from photonic_dfa.training.mlp import normalise as _normalise

__all__ = [
    "MANY_RUNS",
    "DataArrays",
    "DriftFeedback",
    "EpochStats",
    "Feedback",
    "Hyper",
    "PhotonicReadout",
    "TrainState",
    "Trainer",
    "alignment_angles",
    "evaluate",
    "feedback_signals",
    "gradients",
    "train_step",
]

PhotonicFn = Callable[..., jax.Array]


class TrainState(NamedTuple):
    """Everything that changes during training (one run).

    Attributes:
        params: the MLP.
        velocity: SGD momentum buffers, same structure as ``params``.
        best_params: the parameters of the best-validation epoch so far.
        best_val_acc: () float32, the best validation accuracy so far (−1 before the first epoch).
        epoch: () int32, epochs completed.
        key: the run's PRNG key; epoch ``t`` uses ``fold_in(key, t)``.
    """

    params: Params
    velocity: Params
    best_params: Params
    best_val_acc: jax.Array
    epoch: jax.Array
    key: jax.Array


class Feedback(NamedTuple):
    """Per-run constants of the DFA update.

    Attributes:
        B: per hidden layer the feedback matrix ``(n_k, n_out)`` in the update: ``B_k`` for ``dfa`` and
            ``dfa-gaussian``, ``B̃_k`` (``B_realised``) for ``dfa-photonic``; unused by ``bp``.
        noise_mean: () float32, ``dfa-gaussian`` per-MAC error mean in units of ``max|e|``.
        noise_std: () float32, its standard deviation in the same unit.
    """

    B: tuple[jax.Array, ...]
    noise_mean: jax.Array
    noise_std: jax.Array


class DriftFeedback(NamedTuple):
    """The linearised drift of the realised matrices (``dfa-photonic`` with drift).

    Attributes:
        jac: per hidden layer ``(n_k, T, d_R, d_R)`` float32, ``∂B̃/∂T`` of each row tile (units
            of B per K; axes: channel, ring), ``T = ceil(n_out / d_R)``.
        tile_bank: per hidden layer ``(n_k, T)`` int32, the physical bank of each row tile.
    """

    jac: tuple[jax.Array, ...]
    tile_bank: tuple[jax.Array, ...]


class DataArrays(NamedTuple):
    """The data on the device: images ``(n, 784)`` uint8, labels ``(n,)`` int32."""

    train_x: jax.Array
    train_y: jax.Array
    val_x: jax.Array
    val_y: jax.Array
    test_x: jax.Array
    test_y: jax.Array


class EpochStats(NamedTuple):
    """What one epoch reports (scalars, or ``(K,)`` for the per-layer angles).

    ``align_deg``: angle (degrees) between the mode's update and the BP gradient of each hidden
    layer (W and b), on a fixed training batch after the epoch; NaN for ``bp``. ``align_all_deg``:
    the same over all hidden layers together.
    """

    loss: jax.Array
    train_acc: jax.Array
    val_loss: jax.Array
    val_acc: jax.Array
    test_acc: jax.Array
    align_deg: jax.Array
    align_all_deg: jax.Array


@dataclass(frozen=True)
class PhotonicReadout:
    """The chip's feedback path: ``fn(key, e, B_realised, params, noise=...) -> (batch, n_k)``."""

    fn: PhotonicFn
    params: Any
    noise: bool = True


@dataclass(frozen=True)
class Hyper:
    """Static hyper-parameters of the compiled step (hashable)."""

    mode: str
    lr: float
    momentum: float
    input_mean: float
    input_std: float

    @classmethod
    def from_config(cls, cfg: TrainingConfig) -> Hyper:
        return cls(cfg.mode, cfg.lr, cfg.momentum, cfg.input_mean, cfg.input_std)


def feedback_signals(
    e: jax.Array,
    fb: Feedback,
    key: jax.Array,
    mode: str,
    readout: PhotonicReadout | None = None,
) -> tuple[jax.Array, ...]:
    """The DFA error signals ``s_k`` (before ``⊙ f'(a_k)``), each ``(batch, n_k)`` float32.

    Args:
        e: ``(batch, n_out)`` output error ``∂L/∂logits``.
        fb: the feedback matrices (and noise level for ``dfa-gaussian``).
        key: PRNG key for the noise of this batch.
        mode: ``dfa``, ``dfa-gaussian`` or ``dfa-photonic``.
        readout: required for ``dfa-photonic``.
    """
    out = []
    keys = jax.random.split(key, len(fb.B))
    e_max = jnp.max(jnp.abs(e))
    for k, B in enumerate(fb.B):
        scale = 1.0 / math.sqrt(B.shape[0])
        if mode == "dfa":
            s = e @ B.T
        elif mode == "dfa-gaussian":
            noise = standard_normal(keys[k], (e.shape[0], B.shape[0]))
            s = e @ B.T + e_max * (fb.noise_mean + fb.noise_std * noise)
        elif mode == "dfa-photonic":
            assert readout is not None
            s = readout.fn(keys[k], e, B, readout.params, noise=readout.noise)
        else:
            raise ValueError(f"mode {mode!r} has no feedback matrices")
        out.append(s * scale)
    return tuple(out)


def gradients(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    mask: jax.Array,
    fb: Feedback,
    key: jax.Array,
    mode: str,
    readout: PhotonicReadout | None = None,
) -> tuple[Params, jax.Array, jax.Array]:
    """The update direction of every layer for one batch (the gradient for ``bp``).

    Args:
        params: the MLP.
        x: ``(batch, 784)`` normalised float32 inputs.
        y: ``(batch,)`` int32 labels.
        mask: ``(batch,)`` float32, 1 for real samples, 0 for padding.
        fb: feedback constants; key: noise key of the batch; mode: training mode.

    Returns:
        ``(grads, loss_sum, n_correct)``: grads like ``params`` (of the mean loss over the real
        samples), the summed cross-entropy and the number of correct predictions.
    """
    logits, pre = forward(params, x)
    logp = jax.nn.log_softmax(logits)
    n = jnp.maximum(jnp.sum(mask), 1.0)
    onehot = jax.nn.one_hot(y, logits.shape[-1], dtype=logits.dtype)
    ce = -jnp.sum(logp * onehot, axis=-1)
    loss_sum = jnp.sum(ce * mask)
    correct = jnp.sum((jnp.argmax(logits, axis=-1) == y) * mask)
    e = (jnp.exp(logp) - onehot) * (mask / n)[:, None]  # ∂(mean CE)/∂logits

    hidden_out = [x] + [jax.nn.relu(a) for a in pre]  # inputs of each layer
    n_hidden = len(pre)
    deltas: list[jax.Array] = [e] * (n_hidden + 1)
    if mode == "bp":
        g = e
        for k in range(n_hidden - 1, -1, -1):
            g = (g @ params[k + 1][0].T) * (pre[k] > 0)
            deltas[k] = g
    else:
        signals = feedback_signals(e, fb, key, mode, readout)
        for k in range(n_hidden):
            deltas[k] = signals[k] * ((pre[k] > 0) * mask[:, None])
    grads = tuple(
        (hidden_out[k].T @ deltas[k], jnp.sum(deltas[k], axis=0)) for k in range(n_hidden + 1)
    )
    return grads, loss_sum, correct


def train_step(
    params: Params,
    velocity: Params,
    x: jax.Array,
    y: jax.Array,
    mask: jax.Array,
    fb: Feedback,
    key: jax.Array,
    hyper: Hyper,
    readout: PhotonicReadout | None = None,
) -> tuple[Params, Params, jax.Array, jax.Array]:
    """One SGD-with-momentum step (pure): returns ``(params, velocity, loss_sum, n_correct)``.

    ``x`` is the uint8 batch ``(batch, 784)``; it is normalised here.
    """
    xf = _normalise(x, hyper.input_mean, hyper.input_std)
    grads, loss_sum, correct = gradients(params, xf, y, mask, fb, key, hyper.mode, readout)
    mu, lr = hyper.momentum, hyper.lr
    # ``p - lr·(μv + g)`` from the old velocity rather than ``p - lr·v_new``: the same numbers, but
    # XLA then reads each weight matrix, velocity and gradient once per step (one fused loop per
    # output) instead of writing v_new and reading it back (~4 % of a full-MNIST epoch on 2 cores).
    new_params = jax.tree_util.tree_map(
        lambda p, v, g: p - lr * (mu * v + g), params, velocity, grads
    )
    velocity = jax.tree_util.tree_map(lambda v, g: mu * v + g, velocity, grads)
    return new_params, velocity, loss_sum, correct


def evaluate(
    params: Params, x_u8: jax.Array, y: jax.Array, hyper: Hyper
) -> tuple[jax.Array, jax.Array]:
    """``(accuracy, mean cross-entropy)`` of ``params`` on uint8 images ``(n, 784)``, labels ``(n,)``."""
    logits, _ = forward(params, _normalise(x_u8, hyper.input_mean, hyper.input_std))
    logp = jax.nn.log_softmax(logits)
    loss = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
    acc = jnp.mean(jnp.argmax(logits, axis=-1) == y)
    return acc, loss


def _angle_deg(a: jax.Array, b: jax.Array) -> jax.Array:
    cos = jnp.vdot(a, b) / jnp.maximum(jnp.linalg.norm(a) * jnp.linalg.norm(b), 1e-30)
    return jnp.degrees(jnp.arccos(jnp.clip(cos, -1.0, 1.0)))


def alignment_angles(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    fb: Feedback,
    key: jax.Array,
    mode: str,
    readout: PhotonicReadout | None = None,
) -> tuple[jax.Array, jax.Array]:
    """Angle (degrees) between the ``mode`` update and the BP gradient of the hidden layers.

    Args:
        x: ``(n, 784)`` normalised inputs; y: ``(n,)`` labels.

    Returns:
        ``(per_layer (K,), all_hidden ())``: per hidden layer (W and b together) and over all of them.
        Angles below 90° mean the update decreases the loss to first order.
    """
    mask = jnp.ones(x.shape[0], jnp.float32)
    g_bp, _, _ = gradients(params, x, y, mask, fb, key, "bp")
    g_md, _, _ = gradients(params, x, y, mask, fb, key, mode, readout)
    flat_bp = [jnp.concatenate([w.ravel(), b]) for w, b in g_bp[:-1]]
    flat_md = [jnp.concatenate([w.ravel(), b]) for w, b in g_md[:-1]]
    per = jnp.stack([_angle_deg(a, b) for a, b in zip(flat_md, flat_bp, strict=True)])
    return per, _angle_deg(jnp.concatenate(flat_md), jnp.concatenate(flat_bp))


ProgressFn = Callable[[int, int, int, float, float], None]


MANY_RUNS = ("auto", "unroll", "vmap")


class Trainer:
    """Compiled training of one MLP configuration (one mode, one set of hyper-parameters).

    Args:
        config: the training protocol (``mode``, ``hidden``, ``lr``, ...).
        readout: the photonic readout (``dfa-photonic`` only).
        on_batch: optional ``(epoch, batch, n_batches, mean_loss, accuracy)`` callback, called from
            inside the compiled epoch every ``config.progress_every`` batches (host callback).
        many_runs: how :meth:`epoch_many` puts ``R`` runs into one compiled program. ``"unroll"``:
            one ``lax.scan`` whose step runs the ``R`` train steps one after another, each with its
            own (unbatched) matrix products. ``"vmap"``: the epoch ``vmap`` -ped over the runs, so
            every product becomes one batched product over the run axis. ``"auto"`` (default):
            ``unroll`` on a CPU, where batched products of these sizes run slower than the same
            products one by one (4 runs against 4 sequential epochs on 2 cores, 784-800-800-10:
            vmap 0.90-1.02×, unrolled 0.99-1.10×; 784-100-10: vmap 1.13-1.39×, unrolled
            1.23-1.43×), and ``vmap`` on a GPU, where one batched kernel replaces ``R`` small
            launches. Unrolled, each run computes exactly what its single run computes.

    The compiled functions are built once per instance: epochs never recompile.
    """

    def __init__(
        self,
        config: TrainingConfig,
        *,
        readout: PhotonicReadout | None = None,
        on_batch: ProgressFn | None = None,
        many_runs: str = "auto",
    ) -> None:
        if config.mode == "dfa-photonic" and readout is None:
            raise ValueError("dfa-photonic needs a PhotonicReadout")
        if many_runs not in MANY_RUNS:
            raise ValueError(f"many_runs must be one of {', '.join(MANY_RUNS)}, got {many_runs!r}")
        if many_runs == "auto":
            many_runs = "unroll" if jax.default_backend() == "cpu" else "vmap"
        self.config = config
        self.hyper = Hyper.from_config(config)
        self.readout = readout
        self.on_batch = on_batch
        self.many_runs = many_runs
        self._epoch = jax.jit(self._epoch_impl, donate_argnums=(0,))
        self._epoch_many = jax.jit(
            jax.vmap(self._epoch_impl_quiet, in_axes=(0, 0, None, None, None)),
            donate_argnums=(0,),
        )
        self._epoch_many_shared = jax.jit(
            jax.vmap(self._epoch_impl_shared, in_axes=(0, 0, None, None, None, None, None)),
            donate_argnums=(0,),
        )
        self._epoch_unrolled = jax.jit(self._epoch_unrolled_impl, donate_argnums=(0,))

    # ---- state -------------------------------------------------------------------------------
    def init(
        self,
        seed: int | None = None,
        *,
        B: Sequence[np.ndarray] | None = None,
        params: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> tuple[TrainState, Feedback]:
        """Initial state and feedback constants of one run.

        Args:
            seed: defaults to ``config.seed``; derives the weights, ``B_k`` and the training key.
            B: feedback matrices to use instead of drawing ``B_k`` (``B_realised`` for dfa-photonic,
                or the model's ``B_ideal`` for dfa), each ``(n_k, 10)``.
            params: initial weights to use instead of drawing them, ``(W, b)`` per layer with
                ``W: (n_in, n_out)`` (e.g. another framework's initial network, to compare two
                trainers from the same starting point; a PyTorch ``nn.Linear`` weight is ``W.T``).

        Raises:
            ValueError: ``B`` or ``params`` do not fit the configured layer sizes.
        """
        cfg = self.config
        seed = cfg.seed if seed is None else int(seed)
        root = jax.random.key(seed)
        k_init, k_fb, k_train = jax.random.split(root, 3)
        sizes = layer_sizes(cfg.hidden)
        start: Params
        if params is None:
            start = init_mlp(k_init, sizes)
        else:
            want = [((a, b), (b,)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
            got = [(np.shape(w), np.shape(c)) for w, c in params]
            if got != want:
                raise ValueError(
                    f"initial params have shapes {got}; hidden {cfg.hidden} needs {want}"
                )
            start = tuple(
                (jnp.asarray(w, jnp.float32), jnp.asarray(c, jnp.float32)) for w, c in params
            )
        zeros = jax.tree_util.tree_map(jnp.zeros_like, start)
        if B is None:
            mats = init_feedback(k_fb, cfg.hidden)
        else:
            got_b = [np.shape(b) for b in B]
            want_b = [(n, sizes[-1]) for n in cfg.hidden]
            if got_b != want_b:
                raise ValueError(
                    f"feedback matrices have shapes {got_b}; hidden {cfg.hidden} needs {want_b}"
                )
            mats = tuple(jnp.asarray(b, jnp.float32) for b in B)
        state = TrainState(
            params=start,
            velocity=zeros,
            best_params=jax.tree_util.tree_map(jnp.copy, start),
            best_val_acc=jnp.float32(-1.0),
            epoch=jnp.int32(0),
            key=k_train,
        )
        fb = Feedback(
            B=mats,
            noise_mean=jnp.float32(cfg.noise_mean),
            noise_std=jnp.float32(cfg.noise_std),
        )
        return state, fb

    # ---- compiled epoch ----------------------------------------------------------------------
    def _epoch_impl(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        drift: DriftFeedback | None = None,
        dT: jax.Array | None = None,
    ):
        progress = self.on_batch is not None
        return self._epoch_runs([state], [fb], data, progress=progress, drift=(drift, dT))[0]

    def _epoch_impl_quiet(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        drift: DriftFeedback | None = None,
        dT: jax.Array | None = None,
    ):
        return self._epoch_runs([state], [fb], data, progress=False, drift=(drift, dT))[0]

    def _epoch_impl_shared(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        order_key: jax.Array,
        epoch: jax.Array,
        drift: DriftFeedback | None = None,
        dT: jax.Array | None = None,
    ):
        order = (order_key, epoch)
        return self._epoch_runs(
            [state], [fb], data, progress=False, order=order, drift=(drift, dT)
        )[0]

    def _epoch_unrolled_impl(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        order_key: jax.Array | None,
        epoch: jax.Array,
        drift: DriftFeedback | None = None,
        dT: jax.Array | None = None,
    ):
        n_runs = jax.tree_util.tree_leaves(state)[0].shape[0]
        states = [jax.tree_util.tree_map(lambda a, r=r: a[r], state) for r in range(n_runs)]
        fbs = [jax.tree_util.tree_map(lambda a, r=r: a[r], fb) for r in range(n_runs)]
        order = None if order_key is None else (order_key, epoch)
        outs = self._epoch_runs(states, fbs, data, progress=False, order=order, drift=(drift, dT))
        stack = lambda *a: jnp.stack(a)  # noqa: E731
        return (
            jax.tree_util.tree_map(stack, *[st for st, _ in outs]),
            jax.tree_util.tree_map(stack, *[ep for _, ep in outs]),
        )

    def _epoch_runs(
        self,
        states: Sequence[TrainState],
        fbs: Sequence[Feedback],
        data: DataArrays,
        *,
        progress: bool,
        order: tuple[jax.Array, jax.Array] | None = None,
        drift: tuple[DriftFeedback | None, jax.Array | None] = (None, None),
    ) -> list[tuple[TrainState, EpochStats]]:
        """One epoch of ``len(states)`` runs as one ``lax.scan`` over the batches, whose step runs
        every run's train step in turn (one run: the single-run epoch).

        ``order``: ``(key, epoch)`` of one batch order for all runs (the input batch is gathered
        once per step); else each run shuffles with its own key. ``progress`` reports run 0.
        ``drift``: the drift model and ``(n_batches, banks, d_R)`` ring temperatures, a scan input:
        each step's feedback matrices are ``B̃ + J ΔT`` of that step.
        """
        cfg, hyper = self.config, self.hyper
        n = data.train_x.shape[0]
        bs = min(cfg.batch_size, n)
        n_batches = -(-n // bs)
        pad = n_batches * bs - n

        def batch_order(k_perm: jax.Array) -> jax.Array:
            perm = jax.random.permutation(k_perm, n) if cfg.shuffle else jnp.arange(n)
            idx = jnp.concatenate([perm.astype(jnp.int32), jnp.zeros(pad, jnp.int32)])
            return idx.reshape(n_batches, bs)

        run_keys = [jax.random.split(jax.random.fold_in(st.key, st.epoch), 3) for st in states]
        if order is None:
            orders = [batch_order(k[0]) for k in run_keys]
        else:  # one batch order for all runs (an unbatched key under vmap)
            orders = [batch_order(jax.random.split(jax.random.fold_in(order[0], order[1]), 3)[0])]
        mask = jnp.concatenate([jnp.ones(n, jnp.float32), jnp.zeros(pad, jnp.float32)])
        mask = mask.reshape(n_batches, bs)
        every = cfg.progress_every
        epoch = states[0].epoch

        drift_fb, dT = drift
        if drift_fb is not None and (dT is None or dT.shape[0] != n_batches):
            raise ValueError(f"drift needs ring temperatures of shape ({n_batches}, banks, d_R)")

        def body(carry, xs):
            idxs, m, i, dT_i = xs
            batches = [
                (jnp.take(data.train_x, ix, axis=0), jnp.take(data.train_y, ix, axis=0))
                for ix in idxs
            ]
            out = []
            for r, (params, velocity, loss_sum, correct) in enumerate(carry):
                x, y = batches[0] if order is not None else batches[r]
                key = jax.random.fold_in(run_keys[r][1], i)
                fb = fbs[r]
                if drift_fb is not None:
                    B_t = drifted_matrices(fb.B, drift_fb.jac, drift_fb.tile_bank, dT_i)
                    fb = fb._replace(B=B_t)
                params, velocity, l_b, c_b = train_step(
                    params, velocity, x, y, m, fb, key, hyper, self.readout
                )
                out.append((params, velocity, loss_sum + l_b, correct + c_b))
            if progress:
                _, _, loss_sum, correct = out[0]
                seen = jnp.minimum((i + 1) * bs, n).astype(jnp.float32)
                jax.lax.cond(
                    ((i + 1) % every == 0) | (i == n_batches - 1),
                    lambda: jax.debug.callback(
                        self._report, n_batches, epoch, i + 1, loss_sum / seen, correct / seen
                    ),
                    lambda: None,
                )
            return tuple(out), None

        init = tuple((st.params, st.velocity, jnp.float32(0.0), jnp.float32(0.0)) for st in states)
        dT_xs = dT if drift_fb is not None else jnp.zeros((n_batches, 0), jnp.float32)
        xs = (tuple(orders), mask, jnp.arange(n_batches, dtype=jnp.int32), dT_xs)
        finals, _ = jax.lax.scan(body, init, xs)
        return [
            self._end_of_epoch(st, fb, data, *final, k[2])
            for st, fb, final, k in zip(states, fbs, finals, run_keys, strict=True)
        ]

    def _end_of_epoch(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        params: Params,
        velocity: Params,
        loss_sum: jax.Array,
        correct: jax.Array,
        k_align: jax.Array,
    ) -> tuple[TrainState, EpochStats]:
        """Validation, test, best model and alignment angle after one run's training pass."""
        cfg, hyper = self.config, self.hyper
        n = data.train_x.shape[0]
        val_acc, val_loss = evaluate(params, data.val_x, data.val_y, hyper)
        test_acc, _ = evaluate(params, data.test_x, data.test_y, hyper)
        better = val_acc > state.best_val_acc
        best_params = jax.tree_util.tree_map(
            lambda p, b: jnp.where(better, p, b), params, state.best_params
        )
        n_hidden = len(cfg.hidden)
        if cfg.mode != "bp" and cfg.align_samples > 0:
            m_al = min(cfg.align_samples, n)
            xa = _normalise(data.train_x[:m_al], hyper.input_mean, hyper.input_std)
            align, align_all = alignment_angles(
                params, xa, data.train_y[:m_al], fb, k_align, cfg.mode, self.readout
            )
        else:
            align = jnp.full((n_hidden,), jnp.nan, jnp.float32)
            align_all = jnp.float32(jnp.nan)
        new_state = TrainState(
            params=params,
            velocity=velocity,
            best_params=best_params,
            best_val_acc=jnp.maximum(val_acc, state.best_val_acc),
            epoch=state.epoch + 1,
            key=state.key,
        )
        stats = EpochStats(
            loss=loss_sum / n,
            train_acc=correct / n,
            val_loss=val_loss,
            val_acc=val_acc,
            test_acc=test_acc,
            align_deg=align,
            align_all_deg=align_all,
        )
        return new_state, stats

    def _report(self, n_batches: int, epoch: Any, batch: Any, loss: Any, acc: Any) -> None:
        if self.on_batch is not None:
            self.on_batch(int(epoch), int(batch), n_batches, float(loss), float(acc))

    def epoch(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        drift: DriftFeedback | None = None,
        dT: Any = None,
    ) -> tuple[TrainState, EpochStats]:
        """Run one epoch (compiled; ``state`` is donated: do not reuse it).

        Args:
            drift, dT: optional drift of B̃ (``dfa-photonic``): the model's Jacobians and the
                ``(n_batches, banks, d_R)`` ring temperatures of this epoch's batches (K, relative
                to the last recalibration; :func:`~photonic_dfa.network_model.drift.
                recalibration_schedule`). Still one compiled epoch (temperatures are scan inputs).
        """
        if drift is None:
            return self._epoch(state, fb, data)
        return self._epoch(state, fb, data, drift, jnp.asarray(dT, jnp.float32))

    def epoch_many(
        self,
        state: TrainState,
        fb: Feedback,
        data: DataArrays,
        *,
        order_key: jax.Array | None = None,
        drift: DriftFeedback | None = None,
        dT: Any = None,
    ) -> tuple[TrainState, EpochStats]:
        """One epoch of ``R`` runs in one compiled program (as set by ``many_runs``): ``state``
        and ``fb`` have a leading run axis.

        Args:
            order_key: if given, all runs see the training images in the same order: that of a
                single run whose ``TrainState.key`` is ``order_key`` (e.g. the key of
                ``config.seed``). The input batch is then shared (gathered once per step; under
                ``vmap`` the first layer's products of all runs become one matrix product), and a
                noise study compares its levels with common random numbers. Else each run
                shuffles with its own key.
            drift, dT: optional drift of B̃ as in :meth:`epoch`, shared by all runs (one chip, one
                temperature trace): ``dT`` has no run axis.
        """
        epoch = jnp.asarray(state.epoch[0], jnp.int32)  # all runs are at the same epoch
        dT = None if drift is None else jnp.asarray(dT, jnp.float32)
        if self.many_runs == "unroll":
            return self._epoch_unrolled(state, fb, data, order_key, epoch, drift, dT)
        if order_key is None:
            return self._epoch_many(state, fb, data, drift, dT)
        return self._epoch_many_shared(state, fb, data, order_key, epoch, drift, dT)

    def n_batches(self, n_train: int) -> int:
        """Batches per epoch for ``n_train`` training images (the last one may be partial)."""
        return -(-n_train // min(self.config.batch_size, n_train))
