"""Exact solution of a bank's bus circuit: ring blocks and their cascade along the buses.

**Ring block.** A ring sits between two half-ring couplers, ``A`` (input bus, port order
``port_1..port_4``) and ``B`` (drop bus, rotated by 180°), joined by two ring sections of field
transmission ``u`` each (straight + loss + half the heater phase). Its 4-port matrix, in "LR" order
``(L_in, L_drop, R_in, R_drop)`` = (A.p1, B.p3, A.p3, B.p1), follows from eliminating the internal
waves exactly: with ``z1``/``z2`` the waves entering A's/B's ring ports (p2, p4),
``z1 = x z2 + r1``, ``z2 = y z1 + r2``, ``x = u J B_II``, ``y = u J A_II`` (``J`` swaps p2/p4: the
right ring end of A faces the right ring end of B), hence ``z1 = (I − u² M)⁻¹ (r1 + x r2)`` with
``M = J B_II J A_II``. Because ``(I − u²M)⁻¹ = adj(I − u²M)/D(u)`` and, for 2×2 matrices,
``adj(I − u²M) = I + u² (M − tr M · I)``, every entry of the block is a **rational function of
u**::

    S(u) = S_EE + (c1 u + c2 u² + c3 u³ + c4 u⁴ + c5 u⁵) / D(u),   D(u) = 1 − u² tr M + u⁴ det M

whose coefficient matrices depend only on the coupler data (:func:`ring_rational_coefficients`,
computed once per wavelength outside jit). At run time a ring costs a degree-5 polynomial per entry.
:func:`ring_block_exact` solves the same elimination directly (the reference the tests compare to).

**Cascade.** Along x, the bank is ``W_0 ⋆ R_0 ⋆ W_1 ⋆ … ⋆ R_{N−1} ⋆ W_N`` (``W_k``: reflection-free
bus waveguides on both buses, ``R_i``: ring blocks), with ``⋆`` the Redheffer star product of
networks with two ports on each side. This is the exact solution of the circuit's linear equations
for a chain, including every reflection and every path between rings via both buses.

Arrays in the run-time functions keep the matrix indices **leading** (``(4, 4, N, K)``) so that
XLA's fused loops run over contiguous wavelength/ring data; the public methods vmap over heater
batches.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero
from jax.typing import ArrayLike

__all__ = [
    "LR_TO_PORTS",
    "chain",
    "chain_partials",
    "rational_value",
    "ring_block_exact",
    "ring_blocks_rational",
    "ring_rational_coefficients",
    "star",
    "to_ports",
]

#: ``PORTS[i]`` (in, through, add, drop) is LR index ``LR_TO_PORTS[i]``
LR_TO_PORTS = (0, 2, 3, 1)

# the couplers' ring ports (p2, p4) and external ports, LR columns
_II = (1, 3)
_A_EXT = (0, 2)  # A.p1 = L_in, A.p3 = R_in
_B_EXT = (2, 0)  # B.p3 = L_drop, B.p1 = R_drop


# --------------------------------------------------------------------------------------------
# Reference: direct elimination (numpy or jax, dense, batched over leading axes)
# --------------------------------------------------------------------------------------------


def _embed_cols(m: jnp.ndarray, cols: tuple[int, int]) -> jnp.ndarray:
    """``(..., r, 2)`` → ``(..., r, 4)`` with the two columns placed at LR positions ``cols``."""
    out = jnp.zeros(m.shape[:-1] + (4,), dtype=m.dtype)
    return out.at[..., cols[0]].set(m[..., 0]).at[..., cols[1]].set(m[..., 1])


def ring_block_exact(
    c_in: ArrayLike, c_drop: ArrayLike, section_t: ArrayLike, phase_rad: ArrayLike
) -> jnp.ndarray:
    """Ring block ``(..., K, 4, 4)`` in LR order, by direct elimination (reference solver).

    Args:
        c_in, c_drop: coupler matrices ``(..., K, 4, 4)``, ports ``port_1..port_4``, ``S[out, in]``.
        section_t: transmission ``(..., K)`` of each ring section without extra phase.
        phase_rad: extra round-trip phase ``(..., K)`` (split equally over the two sections).
    """
    a = jnp.asarray(c_in)
    b = jnp.asarray(c_drop)
    u = jnp.asarray(section_t) * jnp.exp(0.5j * jnp.asarray(phase_rad))
    u = u[..., None, None]
    ii = np.array(_II)
    ae, be = np.array(_A_EXT), np.array(_B_EXT)
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    a_ii, b_ii = a[..., ii[:, None], ii], b[..., ii[:, None], ii]
    x = u * (swap @ b_ii)
    y = u * (swap @ a_ii)
    r1 = u * (swap @ _embed_cols(b[..., ii[:, None], be], (1, 3)))
    r2 = u * (swap @ _embed_cols(a[..., ii[:, None], ae], (0, 2)))
    z1 = jnp.linalg.solve(jnp.eye(2) - x @ y, r1 + x @ r2)
    z2 = r2 + y @ z1
    rows_a = _embed_cols(a[..., ae[:, None], ae], (0, 2)) + a[..., ae[:, None], ii] @ z1
    rows_b = _embed_cols(b[..., be[:, None], be], (1, 3)) + b[..., be[:, None], ii] @ z2
    return jnp.stack(
        [rows_a[..., 0, :], rows_b[..., 0, :], rows_a[..., 1, :], rows_b[..., 1, :]], -2
    )


# --------------------------------------------------------------------------------------------
# Rational form (coefficients in numpy, evaluation in jax)
# --------------------------------------------------------------------------------------------


def ring_rational_coefficients(
    c_in: ArrayLike, c_drop: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coefficients of ``S(u) = S_EE + Σ_k c_k u^k / D(u)`` (module docstring), numpy.

    Args:
        c_in, c_drop: coupler matrices ``(..., 4, 4)`` (ports port_1..port_4, ``S[out, in]``).

    Returns:
        ``direct (..., 4, 4)``, ``coeffs (5, ..., 4, 4)`` (for ``u¹..u⁵``), ``tr_m (...)``,
        ``det_m (...)``, all in LR order.
    """
    a = np.asarray(c_in)
    b = np.asarray(c_drop)
    ii = np.array(_II)
    ae, be = np.array(_A_EXT), np.array(_B_EXT)
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])

    def embed(m: np.ndarray, cols: tuple[int, int]) -> np.ndarray:
        out = np.zeros(m.shape[:-1] + (4,), dtype=complex)
        out[..., cols[0]] = m[..., 0]
        out[..., cols[1]] = m[..., 1]
        return out

    x0 = swap @ b[..., ii[:, None], ii]  # x = u x0
    y0 = swap @ a[..., ii[:, None], ii]  # y = u y0
    r1 = swap @ embed(b[..., ii[:, None], be], (1, 3))  # r1 = u R1
    r2 = swap @ embed(a[..., ii[:, None], ae], (0, 2))  # r2 = u R2
    m = x0 @ y0
    tr_m = np.trace(m, axis1=-2, axis2=-1)
    det_m = np.linalg.det(m)
    m_adj = m - tr_m[..., None, None] * np.eye(2)  # adj(I − u²M) = I + u² (M − tr M · I)
    x0r2 = x0 @ r2
    # D·z1 = u R1 + u² X0R2 + u³ M'R1 + u⁴ M'X0R2
    z1 = [r1, x0r2, m_adj @ r1, m_adj @ x0r2]  # powers 1..4
    # D·z2 = u D R2 + u y0 (D z1)
    z2 = [
        r2,
        y0 @ z1[0],
        y0 @ z1[1] - tr_m[..., None, None] * r2,
        y0 @ z1[2],
        y0 @ z1[3] + det_m[..., None, None] * r2,
    ]  # powers 1..5
    a_ei = a[..., ae[:, None], ii]
    b_ei = b[..., be[:, None], ii]
    coeffs = np.zeros((5, *a.shape), dtype=complex)
    for k in range(5):
        if k < 4:
            rows_a = a_ei @ z1[k]
            coeffs[k, ..., 0, :] = rows_a[..., 0, :]
            coeffs[k, ..., 2, :] = rows_a[..., 1, :]
        rows_b = b_ei @ z2[k]
        coeffs[k, ..., 1, :] = rows_b[..., 0, :]
        coeffs[k, ..., 3, :] = rows_b[..., 1, :]
    direct = np.zeros(a.shape, dtype=complex)
    rows_a = embed(a[..., ae[:, None], ae], (0, 2))
    rows_b = embed(b[..., be[:, None], be], (1, 3))
    direct[..., 0, :], direct[..., 2, :] = rows_a[..., 0, :], rows_a[..., 1, :]
    direct[..., 1, :], direct[..., 3, :] = rows_b[..., 0, :], rows_b[..., 1, :]
    return direct, coeffs, tr_m, det_m


def _trail(x: jnp.ndarray, n: int) -> jnp.ndarray:
    """Append ``n`` singleton axes (to broadcast against trailing batch axes)."""
    return x.reshape(x.shape + (1,) * n) if n else x


def _recip(z: jnp.ndarray) -> jnp.ndarray:
    """``1/z`` as ``conj(z)/|z|²`` (one real division; XLA's complex division is ~10× slower)."""
    return jnp.conj(z) / (z.real**2 + z.imag**2)


def ring_blocks_rational(
    direct: jnp.ndarray,
    coeffs: jnp.ndarray,
    tr_m: jnp.ndarray,
    det_m: jnp.ndarray,
    u: jnp.ndarray,
) -> jnp.ndarray:
    """Evaluate ring blocks from their rational form; matrix axes leading.

    Args:
        direct: ``(4, 4, N, K)``; coeffs: ``(5, 4, 4, N, K)``; tr_m, det_m: ``(N, K)``.
        u: ``(N, K, *batch)`` section transmissions (batch axes trailing).

    Returns:
        ``(4, 4, N, K, *batch)`` LR-order blocks.
    """
    nb = u.ndim - tr_m.ndim
    direct, coeffs, tr_m, det_m = (_trail(x, nb) for x in (direct, coeffs, tr_m, det_m))
    return rational_value(direct, coeffs, tr_m, det_m, u)


def rational_value(
    direct: ArrayLike, coeffs: Any, tr_m: ArrayLike, det_m: ArrayLike, u: Any
) -> Any:
    """``S(u) = S_EE + (c1 u + … + c5 u⁵) / D(u)``, ``D(u) = 1 − u² tr M + u⁴ det M``, elementwise
    with broadcasting (``coeffs``: the five ``c_k`` along its first axis): the one evaluation of the
    rational form, numpy for numpy ``u`` (analyses outside jit), JAX otherwise."""
    xp = jnp if isinstance(u, jax.Array) else np
    u2 = u * u
    d = 1.0 - u2 * tr_m + u2 * u2 * det_m
    inv_d = xp.conj(d) / (d.real**2 + d.imag**2)  # one real division (see _recip)
    num = coeffs[4]
    for k in (3, 2, 1, 0):
        num = num * u + coeffs[k]
    return direct + num * (u * inv_d)


# --------------------------------------------------------------------------------------------
# Star products (matrix axes leading: (2, 2, ...))
# --------------------------------------------------------------------------------------------


def _mm(a: jnp.ndarray, b: jnp.ndarray) -> jnp.ndarray:
    """Product of ``(2, 2, ...)`` matrices (broadcast and sum: few HLO ops, fused by XLA)."""
    return (a[:, :, None] * b[None, :, :]).sum(axis=1)


def _inv_eye_minus(m: jnp.ndarray) -> jnp.ndarray:
    """``(I − m)⁻¹`` for ``(2, 2, ...)``."""
    a, b, c, d = 1.0 - m[0, 0], -m[0, 1], -m[1, 0], 1.0 - m[1, 1]
    inv_det = _recip(a * d - b * c)
    return jnp.stack(
        [jnp.stack([d * inv_det, -b * inv_det]), jnp.stack([-c * inv_det, a * inv_det])]
    )


Blocks = tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray, jnp.ndarray]


def star(sa: Blocks, sb: Blocks) -> Blocks:
    """Redheffer star product of ``sa`` (left) and ``sb`` (right), each ``(LL, LR, RL, RR)`` of
    ``(2, 2, ...)`` blocks (``b_L = LL a_L + LR a_R``, ``b_R = RL a_L + RR a_R``)."""
    a_ll, a_lr, a_rl, a_rr = sa
    b_ll, b_lr, b_rl, b_rr = sb
    f = _inv_eye_minus(_mm(b_ll, a_rr))  # (I − B_LL A_RR)⁻¹
    g = _inv_eye_minus(_mm(a_rr, b_ll))  # (I − A_RR B_LL)⁻¹
    a_lr_f = _mm(a_lr, f)
    b_rl_g = _mm(b_rl, g)
    return (
        a_ll + _mm(a_lr_f, _mm(b_ll, a_rl)),
        _mm(a_lr_f, b_lr),
        _mm(b_rl_g, a_rl),
        b_rr + _mm(b_rl_g, _mm(a_rr, b_lr)),
    )


def _split(s: jnp.ndarray) -> Blocks:
    return s[:2, :2], s[:2, 2:], s[2:, :2], s[2:, 2:]


def _fold_bus(blocks: jnp.ndarray, bus_through_t: jnp.ndarray, bus_drop_t: jnp.ndarray) -> Blocks:
    """Split ring blocks ``(4, 4, N, K, *batch)`` into ``(LL, LR, RL, RR)`` with bus waveguide ``W_k`` folded
    into ring ``k`` on its left (``LL → D LL D``, ``LR → D LR``, ``RL → RL D``)."""
    n = blocks.shape[2]
    d = _trail(jnp.stack([bus_through_t[:n], bus_drop_t[:n]]), blocks.ndim - 4)  # (2, N, K, …)
    ll, lr, rl, rr = _split(blocks)
    return ll * d[:, None] * d[None, :], lr * d[:, None], rl * d[None, :], rr


def _take(s: Blocks, i) -> Blocks:
    ll, lr, rl, rr = s
    return ll[:, :, i], lr[:, :, i], rl[:, :, i], rr[:, :, i]


def _identity_like(x: jnp.ndarray) -> Blocks:
    """Star-product identity (no reflection, unit transmission), ``(2, 2, K)`` blocks."""
    eye = jnp.eye(2, dtype=x.dtype).reshape(2, 2, *([1] * (x.ndim - 2)))
    eye = jnp.broadcast_to(eye, x.shape)
    zero = jnp.zeros_like(x)
    return zero, eye, eye, zero


def _ring(rings: Blocks, i) -> Blocks:
    """Ring ``i`` (possibly traced) of ``(2, 2, N, …)`` blocks."""
    return tuple(jax.lax.dynamic_index_in_dim(x, i, 2, keepdims=False) for x in rings)


def _star_all(rings: Blocks) -> Blocks:
    """Ordered star product ``R_0 ⋆ … ⋆ R_{N−1}`` of ``(2, 2, N, K, …)`` blocks.

    A ``fori_loop`` (one star product per step): unrolled, XLA fuses the whole chain into huge
    elementwise kernels whose compile time grows much faster than N (≈ 10 s for N = 10), and a
    ``scan`` over transposed rings runs ~3× slower on CPU.
    """
    n = rings[0].shape[2]
    return jax.lax.fori_loop(1, n, lambda i, acc: star(acc, _ring(rings, i)), _take(rings, 0))


def _ring_chain_plain(u, direct, coeffs, tr_m, det_m, bus_through_t, bus_drop_t) -> Blocks:
    blocks = ring_blocks_rational(direct, coeffs, tr_m, det_m, u)
    return _star_all(_fold_bus(blocks, bus_through_t, bus_drop_t))


@jax.custom_jvp
def _ring_chain(u, direct, coeffs, tr_m, det_m, bus_through_t, bus_drop_t) -> Blocks:
    """``(W_0 ⋆ R_0(u_0)) ⋆ … ⋆ (W_{N−1} ⋆ R_{N−1}(u_{N−1}))`` as a function of the ring-section
    transmissions ``u`` ``(N, K)``; see :func:`_ring_chain_jvp` for its derivative."""
    return _ring_chain_plain(u, direct, coeffs, tr_m, det_m, bus_through_t, bus_drop_t)


def chain_partials(
    u: jnp.ndarray,
    direct: jnp.ndarray,
    coeffs: jnp.ndarray,
    tr_m: jnp.ndarray,
    det_m: jnp.ndarray,
    bus_through_t: jnp.ndarray,
    bus_drop_t: jnp.ndarray,
) -> tuple[Blocks, Blocks]:
    """The chain without ``W_N`` and its partial derivatives ``∂total/∂u_i``, in O(N) star products.

    Ring ``i`` enters the bank only through ``u_i``, and ``total = P_i ⋆ R_i ⋆ Q_i`` with the
    prefix ``P_i = R_0 ⋆ … ⋆ R_{i−1}`` and the suffix ``Q_i = R_{i+1} ⋆ … ⋆ R_{N−1}`` (``W_k``
    folded into ``R_k``); ``∂total/∂u_i`` is the derivative of ``P_i ⋆ R_i(u) ⋆ Q_i``, evaluated for
    all ``i`` at once. The chain is holomorphic in ``u``, so a tangent ``du`` maps to
    ``Σ_i ∂total/∂u_i · du_i``.

    Returns:
        ``total`` (4 blocks ``(2, 2, K, *batch)``) and the partials (4 blocks
        ``(2, 2, N, K, *batch)``).
    """

    def rings_of(uu):
        blocks = ring_blocks_rational(direct, coeffs, tr_m, det_m, uu)
        return _fold_bus(blocks, bus_through_t, bus_drop_t)

    rings, drings = jax.jvp(rings_of, (u,), (jnp.ones_like(u),))
    n = u.shape[0]
    identity = _identity_like(rings[0][:, :, 0])
    empty = tuple(jnp.zeros_like(x) for x in rings)

    def put(stack: Blocks, item: Blocks, i) -> Blocks:
        return tuple(
            jax.lax.dynamic_update_index_in_dim(s, x, i, 2)
            for s, x in zip(stack, item, strict=True)
        )

    def prefix_step(i, carry):  # P_i = R_0 ⋆ … ⋆ R_{i−1}, stored at i
        acc, stack = carry
        return star(acc, _ring(rings, i)), put(stack, acc, i)

    def suffix_step(j, carry):  # Q_i = R_{i+1} ⋆ … ⋆ R_{N−1}, stored at i = N − 1 − j
        acc, stack = carry
        i = n - 1 - j
        return star(_ring(rings, i), acc), put(stack, acc, i)

    out, pre = jax.lax.fori_loop(0, n, prefix_step, (identity, empty))
    _, suf = jax.lax.fori_loop(0, n, suffix_step, (identity, empty))
    _, partials = jax.jvp(lambda r: star(star(pre, r), suf), (rings,), (drings,))
    return out, partials


@functools.partial(_ring_chain.defjvp, symbolic_zeros=True)
def _ring_chain_jvp(primals, tangents):
    """Forward derivative via :func:`chain_partials`: prefixes, suffixes and partials depend only
    on the primal, so ``jacfwd``'s N tangents cost N weighted sums of precomputed arrays instead of
    N passes through the chain. Tangents of the circuit data fall back to JAX's own rule."""
    u, *consts = primals
    du, *dconsts = tangents
    if any(not isinstance(t, SymbolicZero) for t in dconsts):
        dense = tuple(
            jnp.zeros_like(p) if isinstance(t, SymbolicZero) else t
            for p, t in zip(primals, tangents, strict=True)
        )
        return jax.jvp(_ring_chain_plain, primals, dense)
    out, partials = chain_partials(u, *consts)
    if isinstance(du, SymbolicZero):
        return out, tuple(jnp.zeros_like(x) for x in out)
    return out, tuple(jnp.sum(g * du, axis=2) for g in partials)


def chain(
    u: jnp.ndarray,
    direct: jnp.ndarray,
    coeffs: jnp.ndarray,
    tr_m: jnp.ndarray,
    det_m: jnp.ndarray,
    bus_through_t: jnp.ndarray,
    bus_drop_t: jnp.ndarray,
) -> Blocks:
    """The bank ``W_0 ⋆ R_0 ⋆ W_1 ⋆ … ⋆ R_{N−1} ⋆ W_N`` for one set of section transmissions.

    Args:
        u: ring-section transmissions ``(N, K, *batch)`` (heater and offset phases included;
            batch axes trailing, so that XLA's loops run over the batch).
        direct, coeffs, tr_m, det_m: rational form of the ring blocks, ``(4, 4, N, K)``,
            ``(5, 4, 4, N, K)``, ``(N, K)``, ``(N, K)`` (:func:`ring_rational_coefficients`).
        bus_through_t, bus_drop_t: bus-waveguide transmissions ``(N + 1, K)`` in x order.

    Returns:
        ``(LL, LR, RL, RR)`` of the whole bank, each ``(2, 2, K, *batch)`` (LR port order).
    """
    t_ll, t_lr, t_rl, t_rr = _ring_chain(u, direct, coeffs, tr_m, det_m, bus_through_t, bus_drop_t)
    n = u.shape[0]
    dn = _trail(jnp.stack([bus_through_t[n], bus_drop_t[n]]), u.ndim - 2)  # W_N on the right
    return t_ll, t_lr * dn[None, :], dn[:, None] * t_rl, dn[:, None] * t_rr * dn[None, :]


def to_ports(total: Blocks) -> jnp.ndarray:
    """``(LL, LR, RL, RR)`` ``(2, 2, *rest)`` → ``(*rest, 4, 4)`` in port order
    (in, through, add, drop)."""
    ll, lr, rl, rr = total
    lr_matrix = jnp.concatenate(
        [jnp.concatenate([ll, lr], axis=1), jnp.concatenate([rl, rr], axis=1)], axis=0
    )  # (4, 4, ...)
    p = np.asarray(LR_TO_PORTS)
    s = lr_matrix[p[:, None], p[None, :]]
    return jnp.moveaxis(jnp.moveaxis(s, 0, -1), 0, -1)
