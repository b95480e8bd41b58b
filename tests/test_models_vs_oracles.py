"""The engine's models against the course's hand-derived gradients (tinygrad_course.oracles)
and against central finite differences (the tc.gradcheck machinery).

Hypothesis draws the network (1 to 4 layers of 1 to 8 units), m, the hidden activation, the
parameters and the data. Engine and oracle must agree to 1e-10 relative for every parameter;
both must agree with finite differences to the accuracy finite differences have in float64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course import oracles as O
from tinygrad_course.gradcheck import compare_gradients, numerical_gradients, relative_difference
from tinygrad_course.testing import layer_dims

ORACLE_TOL = 1e-10
ACTS = list(nn.ACTIVATIONS)
KINKED = {"relu", "leaky_relu"}
EPS = 1e-6
# Central differences in float64: truncation ~eps², rounding ~1e-16 * J / eps ~ 1e-10.
FD_RTOL, FD_ATOL = 1e-5, 1e-8


def jittered(shape: tuple[int, ...], bound: float = 2.0) -> st.SearchStrategy[np.ndarray]:
    """Hypothesis values in [-bound, bound] plus a seeded jitter of ±0.05: hypothesis favours 0,
    1 and 2, whose exact cancellations would put a pre-activation right on relu's kink."""
    base = hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound, allow_subnormal=False))
    return st.tuples(base, st.integers(0, 2**32 - 1)).map(
        lambda t: t[0] + np.random.default_rng(t[1]).uniform(-0.05, 0.05, shape))


def labels(m: int) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0]))


@st.composite
def networks(draw: st.DrawFn, max_layers: int = 4) -> tuple[list[int], str, dict, np.ndarray,
                                                            np.ndarray]:
    dims = draw(layer_dims(max_layers=max_layers, max_units=8))
    hidden = draw(st.sampled_from(ACTS))
    m = draw(st.integers(1, 8))
    params = {}
    for l in range(1, len(dims)):
        # scaled by 1/sqrt(n_prev) so that deep sigmoids do not saturate
        params[f"W{l}"] = draw(jittered((dims[l], dims[l - 1]))) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = draw(jittered((dims[l], 1), 0.5))
    X = draw(jittered((dims[0], m)))
    Y = draw(labels(m))
    if hidden in KINKED:  # finite differences are meaningless across a kink
        _, caches = O.L_model_forward(X, params, hidden)
        assume(all(np.min(np.abs(Z)) > 1e-3 for (_, Z) in caches[:-1]))
    return dims, hidden, params, X, Y


def deep_model(dims: list[int], hidden: str, params: dict) -> nn.DeepNN:
    model = nn.DeepNN(dims, hidden_activation=hidden, init="zeros")
    for name, p in model.parameters().items():
        p.data = params[name].copy()
    return model


def engine_grads(model: nn.Model, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    J = model.cost(X, Y)
    J.backward()
    return {"d" + name: p.grad for name, p in model.parameters().items()}


def finite_differences(make: Callable[[], nn.Model], params: dict, X: np.ndarray,
                       Y: np.ndarray) -> dict[str, np.ndarray]:
    """dJ/dθ by tc.gradcheck.numerical_gradients, through a fresh model's forward pass."""

    def J(**tensors: tc.Tensor) -> tc.Tensor:
        model = make()
        for name, p in model.parameters().items():
            p.data = tensors[name].data
        return model.cost(X, Y)

    return {"d" + k: v for k, v in numerical_gradients(J, params, eps=EPS).items()}


def assert_close_to_fd(got: dict, fd: dict) -> None:
    for k in fd:
        np.testing.assert_allclose(got[k], fd[k], rtol=FD_RTOL, atol=FD_ATOL, err_msg=k)


@given(networks())
@settings(max_examples=30)
def test_deep_network_gradients_equal_the_oracles_and_finite_differences(net):
    dims, hidden, params, X, Y = net
    model = deep_model(dims, hidden, params)
    A_engine = model.forward(X).data
    got = engine_grads(model, X, Y)

    AL, caches = O.L_model_forward(X, params, hidden)
    np.testing.assert_allclose(A_engine, AL, rtol=1e-13, atol=0)
    np.testing.assert_allclose(model.cost(X, Y).item(), O.compute_cost(AL, Y), rtol=1e-12)
    fused = O.L_model_backward(AL, Y, caches, hidden)
    course = O.L_model_backward(AL, Y, caches, hidden, fused_output=False)
    compare_gradients(got, fused, ORACLE_TOL, what="oracle (dZ^[L] = A^[L] - Y)")
    compare_gradients(got, course, ORACLE_TOL, what="oracle (from dA^[L])")
    if len(dims) == 3:  # the six equations of lesson 3.9
        A2, cache = O.two_layer_forward(params, X, hidden)
        compare_gradients(got, O.two_layer_backward(params, cache, X, Y, hidden), ORACLE_TOL,
                          what="two_layer_backward")

    fd = finite_differences(lambda: nn.DeepNN(dims, hidden_activation=hidden, init="zeros"),
                            params, X, Y)
    assert_close_to_fd(got, fd)
    assert_close_to_fd(fused, fd)


@st.composite
def logistic_problems(draw: st.DrawFn) -> tuple[int, dict, np.ndarray, np.ndarray]:
    n_x, m = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    params = {"w": draw(jittered((n_x, 1), 1.0)), "b": draw(jittered((1, 1), 1.0))}
    return n_x, params, draw(jittered((n_x, m))), draw(labels(m))


@given(logistic_problems())
@settings(max_examples=30)
def test_logistic_regression_gradients_equal_the_oracle_and_finite_differences(problem):
    n_x, params, X, Y = problem
    model = nn.LogisticRegression(n_x)
    for name, p in model.parameters().items():
        p.data = params[name].copy()
    got = engine_grads(model, X, Y)
    grads, cost = O.logistic_propagate(params["w"], params["b"], X, Y)
    np.testing.assert_allclose(model.cost(X, Y).item(), cost, rtol=1e-12)
    compare_gradients(got, grads, ORACLE_TOL, what="logistic_propagate")
    fd = finite_differences(lambda: nn.LogisticRegression(n_x), params, X, Y)
    assert_close_to_fd(got, fd)
    assert_close_to_fd(grads, fd)


def test_logistic_regression_starts_at_zero_with_the_course_cost_log_2():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(5, 7)), (rng.random((1, 7)) > 0.5).astype(float)
    model = nn.LogisticRegression(5)
    assert not model.parameters()["w"].data.any() and not model.parameters()["b"].data.any()
    assert model.cost(X, Y).item() == np.log(2)  # a = σ(0) = 1/2 for every example


@given(networks(max_layers=3), st.integers(1, 5), st.floats(0.01, 0.5))
@settings(max_examples=15)
def test_fit_follows_the_oracles_gradient_descent_step_by_step(net, iterations, lr):
    """fit() == the course's loop (forward, cost, backward, update) with hand-derived grads."""
    dims, hidden, params, X, Y = net
    model = deep_model(dims, hidden, params)
    costs = model.fit(X, Y, learning_rate=lr, num_iterations=iterations)
    theirs = {k: v.copy() for k, v in params.items()}
    expected = [O.L_model_step(X, Y, theirs, lr, hidden) for _ in range(iterations)]
    np.testing.assert_allclose(costs, expected, rtol=1e-10)
    for name, p in model.parameters().items():
        assert relative_difference(p.data, theirs[name]) < ORACLE_TOL, name


def test_the_oracles_dA0_is_never_computed_by_the_engine():
    """X never requires grad, so backward has no dX = W1ᵀ dZ1 to compute (the oracle's
    need_dA0=False). The only Tensors that receive a gradient are the parameters."""
    rng = np.random.RandomState(3)
    X = tc.Tensor(rng.normal(size=(4, 6)), name="X")
    Y = (rng.random_sample((1, 6)) > 0.5).astype(float)
    model = nn.DeepNN([4, 3, 1], init="small", rng=rng)
    calls: list[int] = []
    matmul = tc.ops.MATMUL
    original = matmul.vjps

    def counted(i: int, vjp: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            calls.append(i)
            return vjp(*args, **kwargs)
        return wrapper

    matmul.vjps = tuple(counted(i, f) for i, f in enumerate(original))
    try:
        model.cost(X, Y).backward()
    finally:
        matmul.vjps = original
    # two matmuls (W1 @ X, W2 @ A1): dW1, dW2 (input 0) and dA1 (input 1) — no dX
    assert sorted(calls) == [0, 0, 1]
    assert X.grad is None
