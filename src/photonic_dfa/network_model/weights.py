"""Weight model of a bank: ``w_j = D_j − T_j`` at the channel wavelengths through the bus circuit.

A balanced photodetector takes drop − through, so WDM channel ``j`` is weighted by
``w_j(P) = D(λ_j; P) − T(λ_j; P)`` where ``D``, ``T`` are the bank's in → drop and in → through power
transmissions (every ring of the bus, its reflections and the heater crosstalk included) at heater
powers ``P`` (mW), evaluated by :class:`photonic_dfa.circuits.BankCircuit`, the circuit stage's
exact, differentiable bus model, built from a bank design of ``bank_circuits.npz``.

Channel ``j``'s weight depends on the heaters only through the ring phases *at λ_j*. The model
therefore holds one single-wavelength circuit per channel, stacked along a leading axis (the
circuit is a JAX pytree), and gets the full Jacobian ``∂w/∂P`` ``(N, N)`` from one reverse-mode
pass per channel, vmapped over the channels: ~5× the cost of the weights alone, where ``jax.jacfwd``
through the N-wavelength circuit costs N forward passes of the whole circuit (measured on this
machine, 1,600 banks × 10 rings: 0.8 s vs 2.1 s per Jacobian).

All evaluations go through two jitted functions of fixed chunk shape (:class:`Evaluator`: weights
with their Jacobian, and transmissions alone), so the circuit — whose XLA compilation takes tens of
seconds — is compiled once per run for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["Evaluator", "WeightModel"]


@dataclass(frozen=True)
class WeightModel:
    """Realised weights of one bank design at its channel wavelengths.

    Attributes:
        circuit: the bank's :class:`~photonic_dfa.circuits.BankCircuit` on the channel grid ``(N,)``.
        stacked: N single-wavelength circuits stacked along a leading axis.
        channel_wl_um: ``(N,)`` channel wavelengths (µm).
        heater_max_mW: upper bound of every heater (mW).
    """

    circuit: Any
    stacked: Any
    channel_wl_um: np.ndarray
    heater_max_mW: float

    @classmethod
    def build(
        cls, design: Any, channel_wl_um: Sequence[float], heater_max_mW: float
    ) -> WeightModel:
        """Evaluate a :class:`~photonic_dfa.circuits.BankDesign` on the channel wavelengths."""
        from photonic_dfa.circuits.bank_circuit import BankCircuit

        wl = np.asarray(channel_wl_um, np.float64)
        full = BankCircuit.build(design, wl)
        singles = [BankCircuit.build(design, wl[k : k + 1]) for k in range(wl.size)]
        # one treedef (the first circuit's static data, identical for all) over stacked leaves
        _, treedef = jax.tree_util.tree_flatten(singles[0])
        per = [jax.tree_util.tree_flatten(c)[0] for c in singles]
        stacked = jax.tree_util.tree_unflatten(
            treedef, [jnp.stack(ls) for ls in zip(*per, strict=True)]
        )
        return cls(
            circuit=full, stacked=stacked, channel_wl_um=wl, heater_max_mW=float(heater_max_mW)
        )

    @property
    def n_rings(self) -> int:
        return int(self.channel_wl_um.size)

    def crosstalk(self) -> np.ndarray:
        """Thermal crosstalk matrix ``(N, N)`` of the circuit (rows: ring receiving heat)."""
        return np.asarray(self.circuit.thermal_crosstalk, np.float64)

    def own_slope_nm_per_mW(self) -> np.ndarray:
        """``(N,)`` resonance shift of each ring per mW of its own heater, at its channel."""
        s = np.asarray(self.circuit.heater_slope_nm_per_mW(), np.float64)
        return s[np.arange(self.n_rings), np.arange(self.n_rings)]

    # -- pure functions (jit/vmap-able) ---------------------------------------------------------
    def weights(self, heater_mW: jax.Array, shift_nm: jax.Array | None = None) -> jax.Array:
        """``D − T`` at the channels ``(..., N)`` for heaters ``(..., N)`` (mW) and optional
        per-ring resonance offsets ``(..., N)`` (nm), through the whole bus circuit."""
        T, D = self.circuit.through_drop(heater_mW, shift_nm)
        return D - T

    # -- helpers (numpy in/out) -----------------------------------------------------------------
    def own_heater_curves(
        self, effective_mW: np.ndarray, shift_nm: np.ndarray | None = None
    ) -> np.ndarray:
        """Weight of each ring at its own channel, the ring alone on its bus sections, vs its
        effective heater power (every ring gets ``K P = p``, i.e. the crosstalk is divided out).

        Args:
            effective_mW: ``(G,)`` grid of effective powers (mW).
            shift_nm: ``(B, N)`` resonance offsets of ``B`` banks (None: one bank, no offsets).

        Returns:
            ``(B, G, N)``: ``D_i(λ_i) − T_i(λ_i)`` of ring ``i`` alone.
        """
        n = self.n_rings
        p = (
            np.linalg.solve(self.crosstalk(), np.ones(n))[None, :]
            * np.asarray(effective_mW)[:, None]
        )
        shifts = np.zeros((1, n)) if shift_nm is None else np.asarray(shift_nm, np.float64)
        fn = jax.jit(jax.vmap(lambda s: self.circuit.ring_through_drop(jnp.asarray(p), s[None, :])))
        T, D = fn(jnp.asarray(shifts))  # (B, G, N, K)
        idx = np.arange(n)
        return np.asarray(D)[..., idx, idx] - np.asarray(T)[..., idx, idx]


def _one(c: Any, p: jax.Array, s: jax.Array) -> jax.Array:
    T, D = c.through_drop(p, s)
    return (D - T)[0]


def _value_and_jacobian(stacked: Any, p: jax.Array, s: jax.Array) -> tuple[jax.Array, jax.Array]:
    vg = jax.value_and_grad(_one, argnums=1)
    return jax.vmap(vg, in_axes=(0, None, None))(stacked, p, s)


def _transmissions(circuit: Any, p: jax.Array, s: jax.Array) -> tuple[jax.Array, jax.Array]:
    return circuit.through_drop(p, s)


# the circuit is an argument (not a constant folded into the program), so the compiled program
# depends only on shapes and can be reused from JAX's persistent compilation cache
_evaluate_chunk = jax.jit(jax.vmap(_value_and_jacobian, in_axes=(None, 0, 0)))
_transmissions_chunk = jax.jit(_transmissions)


@dataclass
class Evaluator:
    """Weights and Jacobians of many banks, in chunks of fixed size through compiled functions.

    ``evaluator(P, S) -> (w, J)``; ``evaluator.weights(P, S) -> w`` and
    ``evaluator.transmissions(P, S) -> (T, D)`` skip the Jacobian: ``P``, ``S`` ``(R, N)`` heater powers (mW) and resonance offsets
    (nm) of ``R`` banks (numpy); ``w`` ``(R, N)``, ``J`` ``(R, N, N)`` numpy. ``calls`` counts the
    bank evaluations made (for reports and benchmarks).
    """

    model: WeightModel
    chunk: int = 512
    calls: int = 0

    def weights(self, heater_mW: np.ndarray, shift_nm: np.ndarray) -> np.ndarray:
        """Weights only ``(R, N)`` (no Jacobian: ~5× cheaper), same chunking."""
        T, D = self._run(heater_mW, shift_nm, jacobian=False)
        return D - T

    def transmissions(
        self, heater_mW: np.ndarray, shift_nm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(T, D)`` at the channels, each ``(R, N)``."""
        return self._run(heater_mW, shift_nm, jacobian=False)

    def __call__(
        self, heater_mW: np.ndarray, shift_nm: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return self._run(heater_mW, shift_nm, jacobian=True)

    def _run(
        self, heater_mW: np.ndarray, shift_nm: np.ndarray, *, jacobian: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        P = np.asarray(heater_mW, np.float64)
        S = np.asarray(shift_nm, np.float64)
        r, n = P.shape
        if r == 0:
            return np.zeros((0, n)), np.zeros((0, n, n) if jacobian else (0, n))
        c = self.chunk
        pad = (-r) % c
        if pad:
            P = np.concatenate([P, np.repeat(P[-1:], pad, 0)])
            S = np.concatenate([S, np.repeat(S[-1:], pad, 0)])
        ws, js = [], []
        for k in range(0, r + pad, c):
            p, s = jnp.asarray(P[k : k + c]), jnp.asarray(S[k : k + c])
            if jacobian:
                w, j = _evaluate_chunk(self.model.stacked, p, s)
            else:  # (T, D)
                w, j = _transmissions_chunk(self.model.circuit, p, s)
            ws.append(np.asarray(w))
            js.append(np.asarray(j))
        self.calls += r
        return np.concatenate(ws)[:r], np.concatenate(js)[:r]
