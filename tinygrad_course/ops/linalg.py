"""Linear algebra: Z = W A, the product every layer of the course computes, its batched form,
and the general contractions tensordot and einsum."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from .core import Op, PerInput, _data, describe, matmul_rule


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b  # numpy's 1-D, 2-D and batched rules; matmul_rule words its refusals


def _swap(x: Any) -> Any:
    """The last two axes exchanged: the transpose of each matrix of a stack."""
    n = x.ndim
    return x.transpose(tuple(range(n - 2)) + (n - 1, n - 2))


def _matmul_vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if a.ndim == 2 and b.ndim == 2:  # the hot path: dA = dZ Bᵀ
        return g @ b.T
    if a.ndim > 2 or b.ndim > 2:
        return _batched_vjp_a(g, a, b)
    if b.ndim == 1:   # (n, k) @ (k,) -> (n,):  dA = g bᵀ (outer product);  (k,)·(k,): g b
        return g * b if a.ndim == 1 else g.reshape((-1, 1)) @ b.reshape((1, -1))
    return b @ g      # (k,) @ (k, p) -> (p,): dA = B g


def _matmul_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if a.ndim == 2 and b.ndim == 2:  # dB = Aᵀ dZ
        return a.T @ g
    if a.ndim > 2 or b.ndim > 2:
        return _batched_vjp_b(g, a, b)
    if a.ndim == 1:   # (k,) @ (k, p) -> (p,):  dB = a gᵀ (outer product)
        return g * a if b.ndim == 1 else a.reshape((-1, 1)) @ g.reshape((1, -1))
    return g @ a      # (n, k) @ (k,) -> (n,): dB = Aᵀ g


# Batched: the same formulas per matrix of the stack. The results have the broadcast batch
# shape (and a 1-D operand's gets a batch and a size-1 axis): backward's sum_to_shape sums
# them back over the batch axes the operand was broadcast along.
def _batched_vjp_a(g: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:   # (k,) @ (..., k, p) -> (..., p): dA = Σ_batch g Bᵀ, as (..., 1, k)
        return g.reshape(g.shape[:-1] + (1, g.shape[-1])) @ _swap(b)
    if b.ndim == 1:   # (..., n, k) @ (k,) -> (..., n): dA = g bᵀ
        return g.reshape(g.shape + (1,)) @ b.reshape((1, b.shape[0]))
    return g @ _swap(b)


def _batched_vjp_b(g: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:   # dB = a gᵀ for each matrix of the stack
        return a.reshape((a.shape[0], 1)) @ g.reshape(g.shape[:-1] + (1, g.shape[-1]))
    if b.ndim == 1:   # dB = Σ_batch Aᵀ g, as (..., 1, k)
        return g.reshape(g.shape[:-1] + (1, g.shape[-1])) @ a
    return _swap(a) @ g


MATMUL = Op("matmul", "@", _matmul,
            vjps=(_matmul_vjp_a, _matmul_vjp_b),
            derivs=("dZ·{1}ᵀ", "{0}ᵀ·dZ"), rule=matmul_rule)


def matmul(a: Any, b: Any) -> Any:
    """Z = A @ B (numpy's rules: 1-D, 2-D, and stacks of matrices whose batch axes broadcast):
    dA = dZ Bᵀ, dB = Aᵀ dZ (per matrix, summed over broadcast batch axes)."""
    return MATMUL(a, b)


# ---- tensordot ---------------------------------------------------------------------------------
def _argsort(order: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(order))


def _free(ndim: int, summed: tuple[int, ...]) -> list[int]:
    return [i for i in range(ndim) if i not in summed]


def _tensordot_vjp_a(g: Any, out: Any, a: Any, b: Any, axes: Any) -> Any:
    ia, ib = axes
    fa, fb = _free(a.ndim, ia), _free(b.ndim, ib)
    # contract g's b-part with b's free axes: left with a's free axes, then a's summed axes
    # in the order of b's (sorted) summed axes
    da = TENSORDOT(g, b, axes=(tuple(range(len(fa), len(fa) + len(fb))), tuple(fb)))
    order = fa + [ia[j] for j in np.argsort(ib)]
    return da if order == sorted(order) else da.transpose(_argsort(order))


def _tensordot_vjp_b(g: Any, out: Any, a: Any, b: Any, axes: Any) -> Any:
    ia, ib = axes
    fa, fb = _free(a.ndim, ia), _free(b.ndim, ib)
    db = TENSORDOT(a, g, axes=(tuple(fa), tuple(range(len(fa)))))
    order = [ib[j] for j in np.argsort(ia)] + fb
    return db if order == sorted(order) else db.transpose(_argsort(order))


TENSORDOT = Op("tensordot", "⊗", lambda a, b, axes: np.tensordot(a, b, axes),
               vjps=(_tensordot_vjp_a, _tensordot_vjp_b),
               derivs=("dZ contracted with {1}", "{0} contracted with dZ"))


def _tensordot_axes(a: Any, b: Any, axes: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    where = f"tensordot: {describe(a)}, {describe(b)}, axes={axes!r}"
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(na, nb):
            raise ValueError(f"{where}: axes={axes} must be between 0 and {min(na, nb)}")
        ia, ib = tuple(range(na - axes, na)), tuple(range(int(axes)))
    else:
        try:
            xa, xb = axes
        except (TypeError, ValueError):
            raise TypeError(f"{where}: axes must be an int or a pair (axes of a, axes of b)") \
                from None
        xa = (xa,) if isinstance(xa, (int, np.integer)) else tuple(xa)
        xb = (xb,) if isinstance(xb, (int, np.integer)) else tuple(xb)
        if len(xa) != len(xb):
            raise ValueError(f"{where}: {len(xa)} axes of a but {len(xb)} of b")
        for x, n, who in ((xa, na, "a"), (xb, nb, "b")):
            if any(not -n <= ax < n for ax in x):
                raise ValueError(f"{where}: an axis of {who} is out of range for {n}-D")
        ia, ib = tuple(int(ax) % na for ax in xa), tuple(int(ax) % nb for ax in xb)
        if len(set(ia)) < len(ia) or len(set(ib)) < len(ib):
            raise ValueError(f"{where}: an axis is summed twice")
    sa, sb = np.shape(_data(a)), np.shape(_data(b))
    for i, j in zip(ia, ib):
        if sa[i] != sb[j]:
            raise ValueError(f"{where}: axis {i} of a has size {sa[i]} but axis {j} of b has "
                             f"size {sb[j]}")
    return ia, ib


def tensordot(a: Any, b: Any, axes: int | Sequence[Any] = 2) -> Any:
    """np.tensordot: Σ over the paired axes of a and b (the last ``axes`` of a with the first
    of b, or the given pair of axis lists). dA = dZ contracted with b over b's free axes, dB
    likewise: the same contraction, with the roles swapped."""
    return TENSORDOT(a, b, axes=_tensordot_axes(a, b, axes))


# ---- einsum --------------------------------------------------------------------------------------
def _einsum_vjp(i: int) -> Any:
    def vjp(g: Any, out: Any, *xs: Any, subscripts: str) -> Any:
        lhs, target = subscripts.split("->")
        terms = lhs.split(",")
        mine = terms[i]
        # dx_i = einsum(the output's and every other operand's subscripts -> x_i's): each
        # element of x_i gets the sum of dZ times the other factors it multiplied
        subs = [target] + terms[:i] + terms[i + 1:]
        operands = [g, *xs[:i], *xs[i + 1:]]
        fresh = iter(c for c in string.ascii_letters if c not in subscripts)
        present = set("".join(subs))
        wanted, seen = [], set()
        for letter, size in zip(mine, xs[i].shape):
            if letter in seen:  # a diagonal (ii): only where the indices agree, δ_ij
                new = next(fresh)
                subs.append(letter + new)
                operands.append(np.eye(size, dtype=g.dtype))
                wanted.append(new)
                continue
            seen.add(letter)
            wanted.append(letter)
            if letter not in present:  # summed in x_i alone: each element gets dZ as is
                subs.append(letter)
                operands.append(np.ones(size, dtype=g.dtype))
        return EINSUM(*operands, subscripts=",".join(subs) + "->" + "".join(wanted))
    return vjp


EINSUM = Op("einsum", "einsum", lambda *xs, subscripts: np.einsum(subscripts, *xs),
            vjps=PerInput(_einsum_vjp),
            derivs=PerInput(lambda i: "einsum of dZ with the other operands"))


def _einsum_subscripts(subscripts: Any, operands: Sequence[Any]) -> str:
    """The explicit form 'ij,jk->ik' with every ... replaced by letters of its own."""
    where = f"einsum: {subscripts!r}"
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: expected subscripts as a string like 'ij,jk->ik' first, got "
                        f"{describe(subscripts)} (the sublist form is not supported)")
    text = subscripts.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"{where}: {len(terms)} operand subscripts for {len(operands)} "
                         "operands")
    shapes = [np.shape(_data(x)) for x in operands]
    for term in terms + [rhs]:
        if any(not c.isalpha() for c in term.replace("...", "")) or term.count("...") > 1:
            raise ValueError(f"{where}: subscripts are letters, with at most one ... per term")
    extra = [len(s) - len(t.replace("...", "")) if "..." in t else 0 for t, s in zip(terms, shapes)]
    for t, s, e in zip(terms, shapes, extra):
        if e < 0 or ("..." not in t and len(t) != len(s)):
            raise ValueError(f"{where}: {t!r} names {len(t.replace('...', ''))} axes of an "
                             f"operand of shape {s}")
    free = [c for c in string.ascii_letters if c not in text]
    ell = "".join(free[:max(extra, default=0)])
    if not arrow:  # implicit output: the ... axes, then the letters used once, sorted
        letters = lhs.replace("...", "").replace(",", "")
        rhs = ("..." if ell else "") + "".join(sorted(c for c in set(letters)
                                                      if letters.count(c) == 1))
    if ell and "..." not in rhs:
        raise ValueError(f"{where}: the operands have ... axes but the output does not say "
                         "where they go (add ... to it)")
    terms = [t.replace("...", ell[len(ell) - e:]) for t, e in zip(terms, extra)]
    return ",".join(terms) + "->" + rhs.replace("...", ell)


def einsum(subscripts: str, *operands: Any) -> Any:
    """np.einsum with subscripts ('ij,jk->ik', implicit 'ij,jk', ... for broadcast axes,
    repeated letters for traces and diagonals): the gradient of each operand is an einsum of
    dZ with the other operands, back to that operand's subscripts."""
    return EINSUM(*operands, subscripts=_einsum_subscripts(subscripts, operands))
