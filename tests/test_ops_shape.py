"""Shape and indexing ops (getitem and its scatter index_add, concatenate, stack, split,
expand_dims, squeeze, repeat, tile, pad, transpose with negative axes): central finite
differences, the closed form where there is one, a second derivative through
grad(create_graph=True), float32 kept, and 0-d, empty and broadcast shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from test_ops import Case, agree_with_finite_differences, check_op

import tinygrad_course as tc
from tinygrad_course.gradcheck import engine_gradients, numerical_gradients
from tinygrad_course.testing import arrays, shapes

EPS = 1e-6


# ---- shared checks (also imported by test_ops_linalg.py) -----------------------------------
def check_second_order(fn: Callable[..., Any], values: dict[str, np.ndarray],
                       G: np.ndarray, V: dict[str, np.ndarray]) -> None:
    """h(x) = Σ_k V_k · dL/dx_k with L = Σ G · fn(x)² (squared, so that the second derivative
    of a linear op is not 0): dh/dx by differentiating the recorded backward pass
    (grad(create_graph=True)) against central differences of the first gradient, as HIPS
    autograd's check_grads(order=2) checks a VJP of the VJP in a random direction."""
    def h(record: bool) -> Callable[..., Any]:
        def run(**t: Any) -> Any:
            ts = t if record else {k: tc.Tensor(v.data, requires_grad=True) for k, v in t.items()}
            out = fn(*ts.values())
            grads = tc.grad((out * out * G).sum(), list(ts.values()), create_graph=record)
            total = sum((g * V[k]).sum() for k, g in zip(ts, grads))
            return total if record else tc.Tensor(total.data)
        return run

    got = engine_gradients(h(True), values)
    fd = numerical_gradients(h(False), values, EPS)
    for k in values:
        assert got[k].shape == values[k].shape
        assert agree_with_finite_differences(got[k], fd[k]), k


def check_float32(fn: Callable[..., Any], values: dict[str, np.ndarray], G: np.ndarray) -> None:
    """float32 in, float32 out and float32 gradients, first and second order."""
    ts = [tc.Tensor(v.astype(np.float32), requires_grad=True) for v in values.values()]
    out = fn(*ts)
    assert out.dtype == np.float32
    G32 = np.asarray(G, dtype=np.float32)
    for create_graph in (False, True):
        grads = tc.grad((out * out * G32).sum(), ts, create_graph=create_graph,
                        retain_graph=True)
        assert all(g.dtype == np.float32 for g in grads), [g.dtype for g in grads]
    second = tc.grad(sum((g * g).sum() for g in grads), ts)
    assert all(g.dtype == np.float32 for g in second), [g.dtype for g in second]


def check_all(fn: Callable[..., Any], values: dict[str, np.ndarray], data: Any,
              closed: Callable[..., tuple[Any, ...]] | None = None) -> None:
    """First order (finite differences, closed form), second order and float32 for fn."""
    out = fn(*[tc.Tensor(v) for v in values.values()])
    G = data.draw(arrays(out.shape, "real"), label="G")
    check_op(Case(fn, ("real",) * len(values), closed), values, G)
    V = {k: data.draw(arrays(v.shape, "real"), label=f"V_{k}") for k, v in values.items()}
    check_second_order(fn, values, G, V)
    check_float32(fn, values, G)


# ---- transpose with negative axes ------------------------------------------------------------
@given(data=st.data())
def test_transpose_takes_negative_axes(data):
    x = data.draw(arrays(shapes(1, 3, 3), "real"), label="x")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    axes = tuple(ax - data.draw(st.sampled_from([0, x.ndim]), label="shift") for ax in perm)
    check_all(lambda t: t.transpose(axes), {"x": x}, data,
              lambda G, x_, out: (np.transpose(G, np.argsort(np.array(axes) % x.ndim)),))


COVERED: set[str] = set()
