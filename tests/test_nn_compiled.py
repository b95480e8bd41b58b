"""The models' compiled step (``compiled=True`` in fit and step, tc.trace with the update in
the generated code) against the eager step: the same costs and parameters bit for bit, on the
course's own runs (the cat images' logistic regression, the flower's 2-4-1 network, a few
iterations of the 4-layer cat network) and on drawn networks; and the generated step reads as
the course writes it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_course import datasets, nn


def pair(make):
    """Two identical models: one trained eagerly, one compiled."""
    return make(), make()


def assert_same_model(a: nn.Model, b: nn.Model) -> None:
    for (name, p), q in zip(a.parameters().items(), b.parameters().values()):
        assert np.array_equal(p.data, q.data), name
        assert np.array_equal(p.grad, q.grad), f"d{name}"


@pytest.fixture
def cats(catvnoncat_dir):
    train_x, train_y, test_x, test_y, _ = datasets.load_catvnoncat(catvnoncat_dir)
    return (datasets.preprocess_images(train_x), train_y.astype(np.float64),
            datasets.preprocess_images(test_x), test_y.astype(np.float64))


@pytest.mark.full_course  # 2 × 2000 iterations on the cats: run with -m full_course
def test_week2_logistic_regression_on_the_cats_is_the_same_bit_for_bit(cats):
    """The course's run (zeros, α = 0.005, 2000 iterations): 99.04 % train, 70 % test."""
    X, Y, Xt, Yt = cats
    eager, compiled = pair(lambda: nn.LogisticRegression(X.shape[0]))
    costs = eager.fit(X, Y, 0.005, 2000)
    assert compiled.fit(X, Y, 0.005, 2000, compiled=True) == costs
    assert_same_model(eager, compiled)
    assert round(costs[1900], 6) == 0.140872  # the course's "Cost after iteration 1900"
    assert compiled.accuracy(X, Y) == eager.accuracy(X, Y) == pytest.approx(0.9904, abs=1e-4)
    assert compiled.accuracy(Xt, Yt) == eager.accuracy(Xt, Yt) == 0.7


def test_the_4_layer_cat_network_is_the_same_bit_for_bit(cats):
    X, Y, _, _ = cats
    make = lambda: nn.DeepNN([12288, 20, 7, 5, 1], init="xavier",  # noqa: E731
                             rng=np.random.RandomState(1))
    eager, compiled = pair(make)
    assert compiled.fit(X, Y, 0.0075, 30, compiled=True) == eager.fit(X, Y, 0.0075, 30)
    assert_same_model(eager, compiled)


def test_the_flower_network_is_the_same_bit_for_bit():
    """Week 3's 2-4-1 tanh network, the whole 10,000 iterations at α = 1.2."""
    X, Y = datasets.planar_flower()
    make = lambda: nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",  # noqa: E731
                             rng=np.random.RandomState(2))
    eager, compiled = pair(make)
    costs = eager.fit(X, Y, 1.2, 10_000)
    assert compiled.fit(X, Y, 1.2, 10_000, compiled=True) == costs
    assert_same_model(eager, compiled)
    assert compiled.accuracy(X, Y) == eager.accuracy(X, Y)


# a drawn network (hidden sizes, activation, m, seed) and its data
NETWORKS = (st.lists(st.integers(1, 5), min_size=0, max_size=3),
            st.sampled_from(list(nn.ACTIVATIONS)), st.integers(1, 12), st.integers(0, 2**31 - 1))


def drawn(hidden, activation, m, seed):
    """X (3, m), 0/1 labels Y, and two identical networks of the drawn shape."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, m))
    Y = (rng.random((1, m)) > 0.5).astype(np.float64)
    make = lambda: nn.DeepNN([3, *hidden, 1], hidden_activation=activation,  # noqa: E731
                             init="xavier", rng=seed)
    return (X, Y, *pair(make))


@settings(max_examples=25, deadline=None)
@given(*NETWORKS)
def test_drawn_networks_are_the_same_bit_for_bit(hidden, activation, m, seed):
    X, Y, eager, compiled = drawn(hidden, activation, m, seed)
    for _ in range(3):  # step, the other entry point, with its cost before the update
        assert compiled.step(X, Y, 0.5, compiled=True) == eager.step(X, Y, 0.5)
    assert_same_model(eager, compiled)


def test_one_trace_per_shape_of_the_data():
    model = nn.DeepNN([2, 3, 1], rng=0)
    X, Y = np.ones((2, 5)), np.ones((1, 5))
    model.fit(X, Y, 0.1, 3, compiled=True)
    model.fit(X, Y, 0.1, 3, compiled=True)
    assert len(model._traced().cache) == 1
    model.fit(np.ones((2, 7)), np.ones((1, 7)), 0.1, 2, compiled=True)
    assert len(model._traced().cache) == 2


def test_the_step_source_is_the_course_s_forward_backward_and_update():
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", rng=1)
    src = model.step_source(np.zeros((2, 400)), np.zeros((1, 400)))
    lines = [line.strip() for line in src.splitlines()]
    expected = ["Z1 = W1 @ X + b1", "A1 = np.tanh(Z1)", "Z2 = W2 @ A1 + b2",
                "db2 = np.sum(dZ2, axis=1, keepdims=True)", "dW2 = dZ2 @ A1.T",
                "dA1 = W2.T @ dZ2", "dZ1 = dA1 * (1 - A1 * A1)",
                "db1 = np.sum(dZ1, axis=1, keepdims=True)", "dW1 = dZ1 @ X.T",
                "W1 -= learning_rate * dW1", "b2 -= learning_rate * db2"]
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions), "in the order backward runs them"
    assert "# backward of Z1 = W1 @ X + b1" in lines
    assert "dX" not in src and "dY" not in src
    assert src.startswith("def forward_backward(W1, b1, W2, b2, X, Y, learning_rate):")


def test_the_logistic_regression_step_source():
    model = nn.LogisticRegression(4)
    src = model.step_source(np.zeros((4, 9)), np.zeros((1, 9)))
    assert "Z = w.T @ X + b" in src and "dw = (dZ @ X.T).T" in src
    assert "w -= learning_rate * dw" in src



# ---- simplify=True: the course's dZ^[L] = (A^[L] − Y)/m in the compiled step ------------------
def assert_close_models(a: nn.Model, b: nn.Model, rtol: float) -> None:
    for (name, p), q in zip(a.parameters().items(), b.parameters().values()):
        scale = np.max(np.abs(p.data))
        np.testing.assert_allclose(q.data, p.data, rtol=rtol, atol=rtol * scale, err_msg=name)


def test_the_course_algebra_step_keeps_the_flower_run_to_rounding():
    """(A − Y)/m rounds otherwise than the two VJPs it replaces. The flower run at α = 1.2 keeps
    that to rounding for its first 7000 iterations (it then reaches the stretch where its cost
    rises and falls, and where the course's own printed copies disagree: course-results.md)."""
    X, Y = datasets.planar_flower()
    make = lambda: nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",  # noqa: E731
                             rng=np.random.RandomState(2))
    eager, course = pair(make)
    costs = eager.fit(X, Y, 1.2, 7000)
    np.testing.assert_allclose(course.fit(X, Y, 1.2, 7000, compiled=True, simplify=True), costs,
                               rtol=1e-12, atol=0)
    assert_close_models(eager, course, 1e-10)
    assert course.accuracy(X, Y) == eager.accuracy(X, Y)


def test_the_course_algebra_step_on_the_4_layer_cat_network(cats):
    X, Y, _, _ = cats
    make = lambda: nn.DeepNN([12288, 20, 7, 5, 1], init="xavier",  # noqa: E731
                             rng=np.random.RandomState(1))
    eager, course = pair(make)
    np.testing.assert_allclose(course.fit(X, Y, 0.0075, 30, compiled=True, simplify=True),
                               eager.fit(X, Y, 0.0075, 30), rtol=1e-12, atol=0)
    assert_close_models(eager, course, 1e-10)


@pytest.mark.full_course  # 2 × 2000 iterations on the cats: run with -m full_course
def test_week2_logistic_regression_with_the_course_algebra(cats):
    X, Y, Xt, Yt = cats
    eager, course = pair(lambda: nn.LogisticRegression(X.shape[0]))
    costs = eager.fit(X, Y, 0.005, 2000)
    np.testing.assert_allclose(course.fit(X, Y, 0.005, 2000, compiled=True, simplify=True),
                               costs, rtol=1e-12, atol=0)
    assert round(costs[1900], 6) == 0.140872
    assert course.accuracy(X, Y) == eager.accuracy(X, Y)
    assert course.accuracy(Xt, Yt) == eager.accuracy(Xt, Yt) == 0.7


@settings(max_examples=25, deadline=None)
@given(*NETWORKS)
def test_drawn_networks_step_with_the_course_algebra(hidden, activation, m, seed):
    X, Y, eager, course = drawn(hidden, activation, m, seed)
    J0, J = eager.step(X, Y, 0.5), course.step(X, Y, 0.5, compiled=True, simplify=True)
    assert J == J0  # the forward pass and the cost are the same lines
    for (name, p), q in zip(eager.parameters().items(), course.parameters().values()):
        # dZ^[L] = (A − Y)/m and the two VJPs it replaces differ by a few roundings of each
        # element; what they feed stays within the oracle tests' 1e-9 (test_tracer.py)
        scale = np.max(np.abs(p.grad))
        np.testing.assert_allclose(q.grad, p.grad, rtol=1e-9, atol=1e-12 * scale, err_msg=name)


def test_the_course_algebra_step_source_writes_dz_in_one_line():
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", rng=1)
    X, Y = np.zeros((2, 400)), np.zeros((1, 400))
    src = model.step_source(X, Y, simplify=True)
    assert "    dZ2 = (A2 - Y) / 400\n" in src and "dA2" not in src
    assert "dA2" in model.step_source(X, Y)  # the literal chain rule, by default
    assert "W1 -= learning_rate * dW1" in src
    assert "dA2" not in model.step_source(X, Y, executed=True, simplify=True)


def test_simplify_is_for_the_compiled_step():
    model = nn.DeepNN([2, 3, 1], rng=0)
    X, Y = np.ones((2, 5)), np.ones((1, 5))
    before = {k: p.data.copy() for k, p in model.parameters().items()}
    for call in (lambda: model.step(X, Y, 0.1, simplify=True),
                 lambda: model.fit(X, Y, 0.1, 2, simplify=True)):
        with pytest.raises(ValueError, match="simplify=True .* use it with compiled=True"):
            call()
    assert all(np.array_equal(p.data, before[k]) for k, p in model.parameters().items())
