"""The softmax family (ops/softmax_family.py): logsumexp, softmax and log softmax, against
their closed forms, central finite differences and, for second derivatives, finite differences
of the first gradient; HIPS autograd's and tinygrad's cases; stability for huge scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_ops import TOL, Case, axis_draw, check_op
from test_ops_losses import named, second_derivative_agrees, softmax_np

import tinygrad_course as tc
from tinygrad_course import ops
from tinygrad_course.gradcheck import engine_gradients
from tinygrad_course.testing import arrays, shapes

COVERED = {"logsumexp", "softmax", "log_softmax"}


def lse_closed(x: np.ndarray, axis: Any, keepdims: bool) -> Any:
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


def expand(G: np.ndarray, x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    axes = tuple(range(x.ndim)) if axis is None else tuple(np.atleast_1d(axis) % max(x.ndim, 1))
    return np.broadcast_to(G if keepdims else np.expand_dims(G, axes), x.shape)


@given(data=st.data())
def test_logsumexp_value_gradient_and_second_derivative(data):
    x = data.draw(arrays(shapes(0, 3, 4), "real"), label="x")
    axis, keepdims = axis_draw(data, x.ndim), data.draw(st.booleans(), label="keepdims")
    out = ops.logsumexp(tc.Tensor(x), axis=axis, keepdims=keepdims).data
    np.testing.assert_allclose(out, lse_closed(x, axis, keepdims), rtol=TOL["closed_form"],
                               atol=1e-15)  # log Σ e^x near 0 (one x near 0) cancels
    G = data.draw(arrays(np.shape(out), "real"), label="G")
    closed = lambda G_, x_, out_: (expand(G_, x_, axis, keepdims) * softmax_np(x_, axis),)  # noqa: E731
    check_op(Case(lambda t: ops.logsumexp(t, axis=axis, keepdims=keepdims), ("real",), closed),
             {"x": x}, G)
    second_derivative_agrees(lambda t: (ops.logsumexp(t, axis=axis, keepdims=keepdims) * G).sum(),
                             x, np.ones_like(x))


# HIPS autograd tests/test_scipy.py test_logsumexp1, 2 and 6: 0-d, (4,), (3, 4), (4, 5, 6) and
# (1, 5) over axis None, 0 and 1, kept or not, and the second derivative on (1, 5), axis 1.
@pytest.mark.parametrize("shape, axis", [
    ((), None), ((4,), None), ((4,), 0), ((3, 4), None), ((3, 4), 0), ((3, 4), 1),
    ((4, 5, 6), None), ((4, 5, 6), 0), ((4, 5, 6), 1), ((1, 5), 1)])
@pytest.mark.parametrize("keepdims", [True, False])
def test_logsumexp_cases_of_hips_autograd(shape, axis, keepdims):
    x = np.random.default_rng(1).normal(size=shape)
    fn = lambda x: ops.logsumexp(x, axis=axis, keepdims=keepdims).sum()  # noqa: E731
    got = engine_gradients(fn, {"x": x})["x"]
    np.testing.assert_allclose(got, softmax_np(x, axis), rtol=1e-12)
    second_derivative_agrees(fn, x, np.random.default_rng(2).normal(size=shape))


def test_logsumexp_is_stable_and_handles_infinities():
    np.testing.assert_allclose(ops.logsumexp(np.array([1000.0, 1000.0])), 1000 + np.log(2))
    np.testing.assert_allclose(ops.logsumexp(np.array([-1000.0, -1000.0])), -1000 + np.log(2))
    # PyTorch test_torch.py test_logsumexp: a (5, 4) with a[0, 0] = inf and a row of −inf
    a = np.random.default_rng(3).normal(size=(5, 4))
    a[0, 0], a[1, :] = np.inf, -np.inf
    out = ops.logsumexp(a, axis=1)
    assert out.shape == (5,) and out[0] == np.inf and out[1] == -np.inf
    np.testing.assert_allclose(out[2:], np.log(np.exp(a[2:]).sum(axis=1)), rtol=1e-14)
    x = tc.Tensor([[800.0, 0.0]], requires_grad=True)
    ops.logsumexp(x).backward()
    np.testing.assert_allclose(x.grad, [[1.0, np.exp(-800.0)]])


SOFTMAXES = {
    "softmax": (ops.softmax, lambda G, x, s, ax: s * (G - np.sum(G * s, axis=ax, keepdims=True))),
    "log_softmax": (ops.log_softmax,
                    lambda G, x, s, ax: G - s * np.sum(G, axis=ax, keepdims=True)),
}


@pytest.mark.parametrize("name", sorted(SOFTMAXES))
@given(data=st.data())
def test_softmax_and_log_softmax(name, data):
    fn, closed = SOFTMAXES[name]
    x = data.draw(arrays(shapes(1, 3, 4), "real"), label="x")
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    s = softmax_np(x, axis)
    out = fn(tc.Tensor(x), axis=axis).data
    np.testing.assert_allclose(out, s if name == "softmax" else np.log(s), rtol=1e-12,
                               atol=1e-14)
    G = data.draw(arrays(x.shape, "real"), label="G")
    check_op(Case(lambda t: fn(t, axis=axis), ("real",),
                  lambda G_, x_, out_: (closed(G_, x_, s, axis),)), {"x": x}, G)
    second_derivative_agrees(lambda t: (fn(t, axis=axis) * G).sum(), x, np.ones_like(x))
    x32 = tc.Tensor(x.astype(np.float32), requires_grad=True)
    (fn(x32, axis=axis) * G.astype(np.float32)).sum().backward()
    assert fn(x32, axis=axis).dtype == np.float32 and x32.grad.dtype == np.float32


# tinygrad test/test_ops.py test_softmax, test_softmax_other_axis, test_log_softmax and
# test_log_softmax_other_axis: (45, 65) over axis 1, (45,), 0-d over axis 0 and -1, and
# (10, 10, 10) over each axis; here against the closed forms.
@pytest.mark.parametrize("name", sorted(SOFTMAXES))
@pytest.mark.parametrize("shape, axis", [((45, 65), 1), ((45,), 0), ((), 0), ((), -1),
                                         ((10, 10, 10), 0), ((10, 10, 10), 1),
                                         ((10, 10, 10), 2)])
def test_softmax_cases_of_tinygrad(name, shape, axis):
    fn, closed = SOFTMAXES[name]
    rng = np.random.default_rng(4)
    x, G = rng.uniform(-2, 2, size=shape), rng.normal(size=shape)
    along = None if not shape else axis
    s = softmax_np(x, along)
    xt = tc.Tensor(x, requires_grad=True)
    out = fn(xt, axis=axis)
    out.backward(G)
    np.testing.assert_allclose(out.data, s if name == "softmax" else np.log(s), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(xt.grad, closed(G, x, s, along), rtol=1e-10, atol=1e-14)


def test_softmax_is_stable_for_huge_scores():
    s = ops.softmax(np.array([[1000.0, 0.0], [1000.0, 1001.0]]), axis=0)
    np.testing.assert_allclose(s, [[0.5, np.exp(-1001.0)], [0.5, 1.0]])
    np.testing.assert_allclose(ops.log_softmax(np.array([0.0, 2000.0])), [-2000.0, 0.0])


def test_softmax_axis_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^softmax: Z \(3, 4\), axis=2: axis 2 is out of range "
                                         r"for a 2-D tensor$"):
        ops.softmax(named(np.ones((3, 4)), "Z"), axis=2)
