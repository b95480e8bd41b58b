"""Your own op, the course's way: forward -> (value, cache), backward(dA, cache) -> dZ."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import oracles
from tinygrad_course.custom import check_custom_op
from tinygrad_course.testing import arrays


# ---- the course's own functions, as the assignments write them ---------------------------------
def relu(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    Z = cache
    return dA * (Z > 0)


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    dA_prev = np.dot(W.T, dZ)
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    return dA_prev, dW, db


my_relu = tc.custom_op(relu, relu_backward, label="ReLU")
my_sigmoid = tc.custom_op(sigmoid, sigmoid_backward, label="σ")
my_linear = tc.custom_op(linear_forward, linear_backward, name="linear", label="W·A + b")


@given(st.data())
def test_a_two_layer_network_of_custom_ops_matches_the_course_formulas(data):
    m, n_h = data.draw(st.integers(1, 5), label="m"), data.draw(st.integers(1, 4), label="n_h")
    X = data.draw(arrays((2, m), "real"), label="X")
    Y = (X[:1] > 0).astype(float)
    params = {"W1": data.draw(arrays((n_h, 2), "away_from_zero")) * 0.5,
              "b1": data.draw(arrays((n_h, 1), "real")) * 0.1,
              "W2": data.draw(arrays((1, n_h), "real")) * 0.5, "b2": np.zeros((1, 1))}
    t = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in params.items()}
    A1 = my_relu(my_linear(tc.Tensor(X), t["W1"], t["b1"]))
    A2 = my_sigmoid(my_linear(A1, t["W2"], t["b2"]))
    assert A2.op is my_sigmoid and A1.op is my_relu
    tc.binary_cross_entropy(A2, Y).backward()
    # the engine's hand-derived oracle, relu hidden layer
    Z1 = params["W1"] @ X + params["b1"]
    if np.min(np.abs(Z1)) < 1e-9:   # the kink: relu'(0) conventions agree anyway, skip the tie
        return
    _, cache = oracles.two_layer_forward(params, X, hidden="relu")
    expected = oracles.two_layer_backward(params, cache, X, Y, hidden="relu")
    for k in params:
        np.testing.assert_allclose(t[k].grad, expected["d" + k], rtol=1e-9, atol=1e-12)


def test_custom_ops_draw_with_their_own_label():
    Z = tc.Tensor(np.ones((2, 3)), requires_grad=True, name="Z")
    A = my_relu(Z)
    A.name = "A"
    assert "ReLU" in tc.draw_graph(A).source


def test_second_derivatives_run_the_course_functions_again_on_tensors():
    z = tc.Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    g = tc.grad(my_sigmoid(z).sum(), z, create_graph=True)
    h = tc.grad(g.sum(), z)
    s = 1 / (1 + np.exp(-z.data))
    np.testing.assert_allclose(g.data, s * (1 - s), rtol=1e-12)
    np.testing.assert_allclose(h.data, s * (1 - s) * (1 - 2 * s), rtol=1e-10)


def test_a_backward_that_leaves_the_graph_cannot_give_second_derivatives_silently():
    def relu_backward_course(dA, cache):   # the course's exact code: a copy, then in place
        dZ = np.array(dA, copy=True)
        dZ[cache <= 0] = 0
        return dZ
    op = tc.custom_op(relu, relu_backward_course)
    z = tc.Tensor(np.array([0.5, -1.0]), requires_grad=True)
    op(z).sum().backward()            # first derivatives: fine
    np.testing.assert_array_equal(z.grad, [1.0, 0.0])
    with pytest.raises(TypeError, match=r"^relu: second derivatives need relu_backward_course "
                       r"to compute dZ with numpy functions that are ops"):
        tc.grad((op(z) * z).sum(), z, create_graph=True)


# ---- the check against central differences -----------------------------------------------------
def test_a_wrong_backward_is_caught_under_detect_anomaly_in_the_courses_terms():
    def sigmoid_backward_wrong(dA, cache):
        s = 1 / (1 + np.exp(-cache))
        return dA * s          # forgot (1 − s)
    op = tc.custom_op(sigmoid, sigmoid_backward_wrong)
    z = tc.Tensor(np.array([[0.5, -1.0, 2.0]]), requires_grad=True, name="Z")
    op(z)                      # not checked outside detect_anomaly
    with tc.detect_anomaly(), pytest.raises(
            ValueError, match=r"^sigmoid: sigmoid_backward_wrong is wrong for dZ: at dZ\[0, \d\] "
                              r"it gives -?[\d.e-]+, central differences give -?[\d.e-]+ \(off "):
        op(z)
    assert not op.checked


def test_a_right_backward_is_checked_once_and_then_trusted():
    op = tc.custom_op(linear_forward, linear_backward)
    W = tc.Tensor(np.ones((2, 3)), requires_grad=True)
    with tc.detect_anomaly():
        op(tc.Tensor(np.ones((3, 4))), W, tc.Tensor(np.zeros((2, 1))))
    assert op.checked


@pytest.mark.parametrize("backward, message", [
    (lambda dZ, cache: (np.dot(cache[1].T, dZ), np.dot(dZ, cache[0].T)),
     r"linear_forward: <lambda> must return one gradient per input of linear_forward "
     r"\(dA, dW, db\), as a tuple; it returned 2"),
    (lambda dZ, cache: (np.dot(cache[1].T, dZ), np.dot(dZ, cache[0].T), np.sum(dZ)),
     r"linear_forward: <lambda> returned db of shape \(\) for b of shape \(2, 1\): db must "
     r"have b's shape"),
])
def test_wrong_shapes_and_counts_are_named_in_the_courses_terms(backward, message):
    op = tc.custom_op(linear_forward, backward)
    Z = op(tc.Tensor(np.ones((3, 4))), tc.Tensor(np.ones((2, 3)), requires_grad=True),
           tc.Tensor(np.zeros((2, 1)), requires_grad=True))
    with pytest.raises(ValueError, match=message):
        Z.sum().backward()
    with pytest.raises(ValueError, match=message):
        check_custom_op(op, np.ones((3, 4)), np.ones((2, 3)), np.zeros((2, 1)))


def test_check_on_request_from_testing():
    from tinygrad_course import testing
    testing.check_custom_op(my_relu, np.array([[0.5, -2.0, 3.0]]))
    with pytest.raises(ValueError, match="relu_backward_off is wrong for dZ"):
        testing.check_custom_op(tc.custom_op(relu, relu_backward_off), np.array([[0.5, -2.0, 3.0]]))


def relu_backward_off(dA, cache):
    return 2 * dA * (cache > 0)


def test_a_forward_that_does_not_return_a_cache_is_a_clear_error():
    op = tc.custom_op(lambda Z: np.maximum(0, Z), relu_backward, name="relu_no_cache")
    with pytest.raises(TypeError, match=r"relu_no_cache: <lambda> must return \(value, cache\), "
                       r"as the course's relu\(Z\) returns A, cache"):
        op(tc.Tensor([1.0], requires_grad=True))
