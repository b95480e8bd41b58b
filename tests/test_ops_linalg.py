"""Linear algebra beyond the course's 2-D Z = W A: batched matmul (batch axes broadcast),
tensordot and einsum, against central finite differences, the closed form where there is one,
a second derivative through grad(create_graph=True) and float32, as tests/test_ops_shape.py
checks the shape ops."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import reduce_to
from test_ops_shape import FEW, check_all, named

import tinygrad_course as tc
from tinygrad_course import ops
from tinygrad_course.testing import arrays, broadcastable_shapes, shapes


def swap(x: np.ndarray) -> np.ndarray:
    return np.swapaxes(x, -1, -2)


def matmul_closed(a: np.ndarray, b: np.ndarray) -> Any:
    """dA = dZ Bᵀ and dB = Aᵀ dZ per matrix, a 1-D operand promoted to a matrix first (as
    numpy does) and every gradient summed back over the axes its operand was broadcast along."""
    def closed(G: np.ndarray, *_: Any) -> tuple[np.ndarray, np.ndarray]:
        A = a[None, :] if a.ndim == 1 else a
        B = b[:, None] if b.ndim == 1 else b
        G2 = G[..., None] if b.ndim == 1 else G
        G2 = G2[..., None, :] if a.ndim == 1 else G2
        return (reduce_to(G2 @ swap(B), A.shape).reshape(a.shape),
                reduce_to(swap(A) @ G2, B.shape).reshape(b.shape))
    return closed


@st.composite
def matmul_operands(draw: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    n, k, p = (draw(st.integers(0 if i == 1 else 1, 3)) for i in range(3))
    batch = draw(shapes(0, 2, 3, min_side=0), label="batch a")
    other = draw(broadcastable_shapes(batch, max_side=3), label="batch b")
    if draw(st.booleans()):
        batch, other = other, batch
    a = batch + (n, k) if draw(st.integers(0, 3)) else (k,)
    b = other + (k, p) if draw(st.integers(0, 3)) else (k,)
    return a, b


@given(data=st.data())
def test_batched_matmul_broadcasts_the_batch_axes(data):
    sa, sb = data.draw(matmul_operands(), label="shapes")
    a, b = data.draw(arrays(sa, "real"), label="a"), data.draw(arrays(sb, "real"), label="b")
    check_all(lambda x, y: x @ y, {"a": a, "b": b}, data, matmul_closed(a, b))


# shapes from HIPS autograd test_systematic.py::test_matmul (every pair) and
# ::test_matmul_broadcast, tinygrad test_matmul_batched, test_matmul_batched_vector and
# test_broadcastdot ((10, 45, 65) @ (65, 45) made smaller), test_gemm_with_zeros_shape
MATMUL_SHAPES = [(sa, sb) for sa in [(3,), (2, 3), (2, 2, 3)]
                 for sb in [(3,), (3, 4), (2, 3, 4)]] + [
    ((1, 2, 2), (3, 2, 1)), ((3,), (1, 3, 3, 5)), ((4, 3), (1, 3, 3, 5)), ((2, 4, 5), (5, 4)),
    ((0, 3), (3, 0)), ((0,), (0, 3)), ((2, 0, 3), (3, 2)),
]


@pytest.mark.parametrize("sa, sb", MATMUL_SHAPES)
@settings(max_examples=FEW)
@given(data=st.data())
def test_matmul_cases_from_peers(sa, sb, data):
    a, b = data.draw(arrays(sa, "real"), label="a"), data.draw(arrays(sb, "real"), label="b")
    check_all(lambda x, y: x @ y, {"a": a, "b": b}, data, matmul_closed(a, b))


def test_the_batched_vjp_has_the_broadcast_shape_and_backward_sums_it():
    """The VJP does not undo broadcasting itself: backward's sum_to_shape does."""
    a, b = np.ones((1, 2, 3)), np.ones((4, 3, 5))
    G = np.ones((4, 2, 5))
    assert ops.MATMUL.vjps[0](G, a @ b, a, b).shape == (4, 2, 3)
    ta = tc.Tensor(a, requires_grad=True)
    (ta @ b).backward(G)
    np.testing.assert_array_equal(ta.grad, np.full((1, 2, 3), 20.0))  # 4 batches x 5 columns
    v = np.ones(3)  # (3,) @ (4, 3, 5) -> (4, 5): dv comes as (4, 1, 3), summed to (3,)
    assert ops.MATMUL.vjps[0](np.ones((4, 5)), v @ b, v, b).shape == (4, 1, 3)
    tv = tc.Tensor(v, requires_grad=True)
    (tv @ b).sum().backward()
    np.testing.assert_array_equal(tv.grad, np.full(3, 20.0))


def test_matmul_errors_name_the_op_the_shapes_and_the_tensors():
    with pytest.raises(ValueError, match=r"^matmul: A \(2, 3, 4\) @ B \(3, 4, 2\): batch shapes "
                                         r"\(2,\) and \(3,\) do not broadcast$"):
        named((2, 3, 4), "A") @ named((3, 4, 2), "B")
    with pytest.raises(ValueError, match=r"^matmul: A \(2, 3, 4\) @ B \(3,\): inner dimensions "
                                         r"4 and 3 differ$"):
        named((2, 3, 4), "A") @ named((3,), "B")
    with pytest.raises(ValueError, match=r"^matmul: s \(\) @ B \(3, 3\): matmul takes operands "
                                         r"of at least 1 dimension, got 0-D and 2-D$"):
        named((), "s") @ named((3, 3), "B")


# ---- tensordot -------------------------------------------------------------------------------
# shapes and axes from HIPS autograd test_systematic.py::test_tensordot_1 .. _8 (every pair)
TENSORDOT_CASES = [(sa, sb, ((1,), (0,))) for sa in [(1, 3), (2, 3, 2)]
                   for sb in [(3,), (3, 1), (3, 4, 2)]] + [
    (sa, sb, ((0,), (1,))) for sa in [(3,), (3, 1), (3, 4, 2)] for sb in [(1, 3), (2, 3, 2)]] + [
    (sa, sb, axes) for sa in [(2, 3), (2, 3, 4)] for sb in [(1, 2, 3), (2, 2, 3, 4)]
    for axes in [((0, 1), (1, 2)), ((1, 0), (2, 1))]] + [
    (sa, sb, axes) for sa in [(2, 2), (4, 2, 2)] for sb in [(2, 2), (2, 2, 4)] for axes in [1, 2]
] + [((4,), (), 0), ((2, 6), (6, 3), ([-1], [0])), ((2, 6), (6, 3), (-1, 0)),
     ((2,), (2, 2), (0, 1)), ((0, 2), (2, 0), 1)]


@pytest.mark.parametrize("sa, sb, axes", TENSORDOT_CASES)
@settings(max_examples=4)
@given(data=st.data())
def test_tensordot_cases_from_autograd(sa, sb, axes, data):
    a, b = data.draw(arrays(sa, "real"), label="a"), data.draw(arrays(sb, "real"), label="b")
    np.testing.assert_allclose(ops.tensordot(tc.Tensor(a), b, axes).data,
                               np.tensordot(a, b, axes), rtol=1e-12, atol=1e-12)
    is_matmul = sa == (2, 6) and sb == (6, 3)
    check_all(lambda x, y: ops.tensordot(x, y, axes), {"a": a, "b": b}, data,
              (lambda G, *_: (G @ b.T, a.T @ G)) if is_matmul else None)


def test_tensordot_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^tensordot: A \(2, 3\), B \(4, 2\), axes=\(\[1\], "
                                         r"\[0\]\): axis 1 of a has size 3 but axis 0 of b has "
                                         r"size 4$"):
        ops.tensordot(named((2, 3), "A"), named((4, 2), "B"), ([1], [0]))
    with pytest.raises(ValueError, match=r"^tensordot: A \(2, 3\), B \(3,\), axes=\(\[1, 0\], "
                                         r"\[0\]\): 2 axes of a but 1 of b$"):
        ops.tensordot(named((2, 3), "A"), named((3,), "B"), ([1, 0], [0]))
    with pytest.raises(ValueError, match=r"^tensordot: A \(2, 3\), B \(3,\), axes=3: axes=3 "
                                         r"must be between 0 and 1$"):
        ops.tensordot(named((2, 3), "A"), named((3,), "B"), 3)


# ---- einsum --------------------------------------------------------------------------------
# subscripts and shapes from HIPS autograd test_systematic.py::test_einsum_* (transpose,
# matmult, matmult_broadcast, leadzero, covsum, ellipses, ellipses_tail, ellipses_center,
# three_args, naked_sum, naked_sum2, naked_sum_ellipsis, no_output_indices) and tinygrad
# test_einsum, test_einsum_ellipsis, test_einsum_trace (larger shapes made smaller)
EINSUM_CASES = [
    ("ij->ji", [(1, 1)]), ("ij->ji", [(3, 4)]), ("ij,jk->ik", [(2, 3), (3, 4)]),
    *[("...ij,...jk->...ik", [sa, sb]) for sa in [(2, 3), (2, 2, 3)] for sb in [(3, 4), (2, 3, 4)]],
    ("...ij,...jk->...ik", [(0, 2, 3), (0, 3, 4)]), ("ijk,lji->lki", [(3, 4, 4), (4, 4, 3)]),
    *[(s, [sa, sb]) for s in ["...jk,...lj->...lk", "...,...->..."]
      for sa in [(4, 4), (3, 4, 4)] for sb in [(4, 4), (3, 4, 4)]],
    *[("jk...,lj...->lk...", [sa, sb]) for sa in [(3, 2), (3, 2, 4)] for sb in [(2, 3), (2, 3, 4)]],
    *[("j...k,lj...->lk...", [sa, sb]) for sa in [(2, 2), (2, 2, 2)] for sb in [(2, 2), (2, 2, 2)]],
    ("ijk,lji,lli->lki", [(2, 3, 3), (3, 3, 2), (3, 3, 2)]), ("k,nk->", [(5,), (3, 5)]),
    ("abcd->bd", [(3, 2, 3, 2)]), ("...k,...nk->...", [(3, 5), (3, 4, 5)]),
    ("ij,k", [(3, 4), (3,)]),
    ("->", [()]), ("ij -> ji", [(3, 3)]), ("jki", [(2, 3, 4)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->j", [(3, 3)]), ("i,i->i", [(5,), (5,)]), ("i,j->ij", [(3,), (4,)]),
    ("jik,ikl->jil", [(4, 2, 3), (2, 3, 2)]), ("ik,jkl,il->ij", [(2, 3), (4, 3, 2), (2, 2)]),
    ("...id, ...jd", [(2, 3, 4), (2, 3, 4)]), ("i...j,ji...->...", [(2, 3, 4, 2), (2, 2, 4)]),
    ("i,i", [(5,), (5,)]), ("ii->i", [(4, 4)]), ("ii->", [(4, 4)]), ("...ii->...i", [(3, 3, 3)]),
    ("...ii->...", [(3, 3, 3)]), ("iij->j", [(3, 3, 2)]), ("iii->i", [(3, 3, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
]


@pytest.mark.parametrize("subscripts, shapes_", EINSUM_CASES)
@settings(max_examples=4)
@given(data=st.data())
def test_einsum_cases_from_peers(subscripts, shapes_, data):
    values = {f"x{i}": data.draw(arrays(s, "real"), label=f"x{i}") for i, s in enumerate(shapes_)}
    np.testing.assert_allclose(ops.einsum(subscripts, *map(tc.Tensor, values.values())).data,
                               np.einsum(subscripts, *values.values()), rtol=1e-12, atol=1e-12)
    check_all(lambda *t: ops.einsum(subscripts, *t), values, data)


@given(data=st.data())
def test_einsum_closed_forms(data):
    """The course's dA = dZ Bᵀ, a trace's dA = g I, a transpose's dA = dZᵀ, a row sum's
    broadcast gradient."""
    n = data.draw(st.integers(0, 3), label="n")
    a, b = data.draw(arrays((n, 3), "real")), data.draw(arrays((3, 2), "real"))
    check_all(lambda x, y: ops.einsum("ij,jk->ik", x, y), {"a": a, "b": b}, data,
              lambda G, *_: (G @ b.T, a.T @ G))
    sq = data.draw(arrays((n, n), "real"), label="square")
    check_all(lambda x: ops.einsum("ii", x), {"sq": sq}, data, lambda G, *_: (G * np.eye(n),))
    check_all(lambda x: ops.einsum("ii->i", x), {"sq": sq}, data,
              lambda G, *_: (np.diag(G) if n else np.zeros((0, 0)),))
    check_all(lambda x: ops.einsum("ij->ji", x), {"a": a}, data, lambda G, *_: (G.T,))
    check_all(lambda x: ops.einsum("ij->i", x), {"a": a}, data,
              lambda G, *_: (np.broadcast_to(G[:, None], a.shape),))


def test_einsum_errors_name_the_op():
    with pytest.raises(TypeError, match=r"^einsum: expected subscripts as a string"):
        ops.einsum(named((2, 2), "A"), [0, 1])
    with pytest.raises(ValueError, match=r"^einsum: 'ij,jk->ik': 2 operand subscripts for 1"):
        ops.einsum("ij,jk->ik", named((2, 2), "A"))
    with pytest.raises(ValueError, match=r"^einsum: 'ijk->i': 'ijk' names 3 axes of an operand "
                                         r"of shape \(2, 2\)"):
        ops.einsum("ijk->i", named((2, 2), "A"))
    with pytest.raises(ValueError, match=r"^einsum: '...ij->ij': the operands have ... axes"):
        ops.einsum("...ij->ij", named((3, 2, 2), "A"))
    with pytest.raises(ValueError, match=r"^einsum: '...i...->i': subscripts are letters, with "
                                         r"at most one \.\.\. per term"):
        ops.einsum("...i...->i", named((3, 2, 2), "A"))
    with pytest.raises(ValueError, match=r"^einsum: A \(2, 3\), B \(2, 3\), subscripts="):
        ops.einsum("ij,jk->ik", named((2, 3), "A"), named((2, 3), "B"))


COVERED = {"tensordot", "einsum"}
