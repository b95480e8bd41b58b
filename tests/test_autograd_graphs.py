"""Graph shapes that have broken autodiff engines: fan-out, outgradients added in place,
indexing into a shared value, Hessian-vector products, third derivatives, singleton outputs.
Ported from HIPS autograd's tests/test_graphs.py (its functions and shapes; our own checks
against central differences, to the order each test differentiates)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_course as tc
from tinygrad_course.gradcheck import CLOSE, fd_noise

RNG = np.random.default_rng(1)
EPS = 1e-6


def derivative(f: Callable[..., Any], k: int = 0) -> Callable[..., Any]:
    """x ↦ d f / d x_k as a recorded Tensor (create_graph), so it can be differentiated again."""
    def df(*xs: Any) -> Any:
        ts = [x if isinstance(x, tc.Tensor) and x.requires_grad
              else tc.Tensor(np.asarray(x, dtype=float), requires_grad=True) for x in xs]
        return tc.grad(f(*ts).sum(), ts[k], create_graph=True)
    return df


def check_grads(f: Callable[..., Any], *xs: np.ndarray) -> None:
    """d⟨u, f⟩/dx for a random u, by backward, against central differences, for each input."""
    xs = tuple(np.array(x, dtype=float) for x in xs)
    out = f(*(tc.Tensor(x) for x in xs))
    u = RNG.standard_normal(np.shape(out.data))
    ts = [tc.Tensor(x, requires_grad=True) for x in xs]
    got = tc.grad((f(*ts) * u).sum(), ts, allow_unused=True)
    for k, x in enumerate(xs):
        fd = np.zeros_like(x)
        for j in range(x.size):
            step = np.zeros_like(x)
            step.reshape(-1)[j] = EPS
            plus = [*xs[:k], x + step, *xs[k + 1:]]
            minus = [*xs[:k], x - step, *xs[k + 1:]]
            fd.reshape(-1)[j] = (np.sum(u * f(*map(tc.Tensor, plus)).data)
                                 - np.sum(u * f(*map(tc.Tensor, minus)).data)) / (2 * EPS)
        J = float(np.sum(u * out.data))
        assert CLOSE.agree(got[k].data, fd, fd_noise(J, EPS, x.size)), (k, got[k].data, fd)


def sin_fanout(x: Any) -> Any:
    return np.sin(np.sin(x) + np.sin(x))


def test_fanout_first_and_second_derivatives():
    check_grads(sin_fanout, RNG.standard_normal())
    check_grads(derivative(sin_fanout), RNG.random())


def test_third_derivative():
    check_grads(derivative(derivative(sin_fanout)), RNG.random())
    check_grads(derivative(derivative(derivative(sin_fanout))), RNG.random())


def test_third_derivative_of_other_arguments():
    f = lambda x, y: np.sin(np.sin(x) + np.sin(y))  # noqa: E731
    x, y = RNG.standard_normal(), RNG.standard_normal()
    check_grads(f, x, y)
    check_grads(derivative(f, 0), x, y)
    check_grads(derivative(derivative(f, 0), 1), x, y)
    check_grads(derivative(derivative(derivative(f, 1), 0), 1), x, y)


def test_identity_and_constants():
    x = tc.Tensor(2.0, requires_grad=True)
    assert tc.grad(x, x).item() == 1.0
    # autograd returns 0 (with a warning) for d(const)/dx; here it is an error that says why,
    # as PyTorch's is: the constant was not computed from x
    with pytest.raises(RuntimeError, match="does not require grad"):
        tc.grad(tc.Tensor(1.0), x)


def test_hessian_vector_product():
    v = RNG.standard_normal(10)
    f = lambda x: np.tanh(np.dot(x, v))  # noqa: E731
    df = derivative(f)

    def vector_product(x: Any, w: Any) -> Any:
        return np.tanh(np.dot(w, df(x)))

    A, B = RNG.standard_normal(10), RNG.standard_normal(10)
    check_grads(f, A)
    check_grads(vector_product, A, B)


def test_outgradients_added_in_place_are_not_shared():
    def f(a: Any) -> Any:
        b = a + 1.0
        c = b + 1.5
        d = a + b
        return (d + c).sum()
    check_grads(f, RNG.standard_normal(5))


def test_outgradients_from_indexing_a_shared_value():
    def f(a: Any) -> Any:
        b = a + 1.0
        c = b[0] + 1.5
        d = a + b
        return (d + c).sum()
    check_grads(f, RNG.standard_normal(5))


@pytest.mark.parametrize("shape, axis, keepdims", [
    ((3, 3), None, True), ((3, 1), 0, True), ((1, 3), 1, True),
    ((3, 1), 0, False), ((1, 3), 1, False)])
def test_singleton_array_outputs(shape, axis, keepdims):
    f = lambda x: np.sum(np.tanh(x), axis=axis, keepdims=keepdims)  # noqa: E731
    x = RNG.standard_normal(shape)
    check_grads(f, x)
    check_grads(lambda t: np.sum(derivative(f)(t)), x)
