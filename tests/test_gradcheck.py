"""gradcheck: the course's relative difference between backward() and finite differences."""

import numpy as np
import pytest

import tinygrad_course as tc
from tinygrad_course.gradcheck import numerical_gradients, relative_difference, worst_element


def test_relative_difference_is_the_course_formula():
    g, h = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert relative_difference(g, h) == pytest.approx(0.5 / (5.0 + np.hypot(3.0, 4.5)))
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0


def test_gradcheck_is_tiny_for_the_engine_on_a_network_cost():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 5)), (rng.random((1, 5)) > 0.5) * 1.0

    def cost(W1, b1, W2, b2):
        return tc.binary_cross_entropy(tc.sigmoid(W2 @ tc.relu(W1 @ X + b1) + b2), Y)

    inputs = {"W1": rng.standard_normal((4, 3)), "b1": rng.standard_normal((4, 1)),
              "W2": rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    assert tc.gradcheck(cost, inputs) < 1e-7
    tc.assert_gradcheck(cost, inputs, tol=1e-7)
    assert tc.gradcheck(lambda x: (x * x).sum(), [np.arange(3.0)]) < 1e-8  # positional inputs


def test_numerical_gradients_are_central_differences():
    g = numerical_gradients(lambda x: (x ** 3).sum(), {"x": np.array([1.0, 2.0])}, eps=1e-5)
    np.testing.assert_allclose(g["x"], [3.0, 12.0], rtol=1e-9)


def test_a_wrong_vjp_is_caught_and_the_worst_element_named(monkeypatch):
    from tinygrad_course import ops
    monkeypatch.setattr(ops.TANH, "vjps", (lambda g, out, a: g * (1 - out),))  # wrong: 1 − a
    x = np.array([[0.1, -2.0], [0.5, 0.0]])
    assert tc.gradcheck(lambda x: tc.tanh(x).sum(), {"x": x}) > 1e-2
    with pytest.raises(AssertionError, match=r"x: relative difference .* worst element x\[0, 1\]: "
                                             r"engine 1\.964.*, finite differences 0\.0706"):
        tc.assert_gradcheck(lambda x: tc.tanh(x).sum(), {"x": x})


def test_worst_element_and_non_scalar_functions():
    assert worst_element(np.array([[1.0, 5.0]]), np.array([[1.0, 2.0]])) == ((0, 1), 5.0, 2.0)
    with pytest.raises(ValueError, match="one-element Tensor"):
        tc.gradcheck(lambda x: x * 2, [np.ones(2)])


def softmax_sum(z):
    e = tc.exp(z - 1.0)
    return (e / e.sum(axis=0, keepdims=True)).sum()   # always 1: its gradient is exactly 0


@pytest.mark.parametrize("f, inputs", [
    (softmax_sum, {"z": np.array([[0.3, -1.2], [2.0, 0.1], [0.7, 0.7]])}),
    (lambda z: (tc.exp(z) / tc.exp(z).sum()).sum() * 1e6, {"z": np.linspace(-2, 2, 7)}),
    (lambda x: (x * x).sum(), {"x": np.array([1e-9, -3e-9])}),   # tiny gradients
])
def test_gradcheck_and_the_testing_helpers_share_one_rule_for_close_enough(f, inputs):
    # the case: a correct softmax gave a 3.4e-4 relative difference, against finite
    # differences that are pure rounding noise; one helper failed it and the other passed it
    from tinygrad_course import testing
    tc.assert_gradcheck(f, inputs)
    testing.assert_gradients_match(f, inputs)


def test_both_helpers_fail_the_same_wrong_gradient(monkeypatch):
    from tinygrad_course import ops, testing
    monkeypatch.setattr(ops.EXP, "vjps", (lambda g, out, a: g * out * 1.001,))
    inputs = {"z": np.array([0.3, -1.2, 2.0])}
    f = lambda z: tc.exp(z).sum()  # noqa: E731
    with pytest.raises(AssertionError, match="relative difference"):
        tc.assert_gradcheck(f, inputs)
    with pytest.raises(AssertionError, match="relative difference"):
        testing.assert_gradients_match(f, inputs)
