"""The costs: the binary cross-entropy where σ saturates, its input checks, and the
categorical cross-entropy, each against its closed form, central finite
differences and, for second derivatives, finite differences of the first gradient."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_ops import EPS, SIG, Case, agree_with_finite_differences, check_op

import tinygrad_course as tc
from tinygrad_course import nn, ops
from tinygrad_course import oracles as O
from tinygrad_course.gradcheck import engine_gradients, numerical_gradients
from tinygrad_course.ops.losses import _any_saturated, _saturated
from tinygrad_course.testing import arrays, course_grads

COVERED = {"categorical_cross_entropy", "categorical_cross_entropy_with_logits"}
def sig_quiet() -> Any:
    return np.errstate(over="ignore")  # SIG(−740): exp(740) = inf, so σ = 0, as wanted


def second_derivative_agrees(fn: Any, x: np.ndarray, G: np.ndarray) -> None:
    """d/dx Σ G · ∇f(x), with ∇f recorded by grad(create_graph=True), against central
    differences of the first gradient."""
    xt = tc.Tensor(x, requires_grad=True)
    g = tc.grad(fn(xt), xt, create_graph=True)
    got = tc.grad((g * G).sum(), xt).data

    def first(x: Any) -> Any:
        t = tc.Tensor(x.data, requires_grad=True)
        return float((tc.grad(fn(t), t).data * G).sum())

    fd = numerical_gradients(first, {"x": x}, EPS)["x"]
    assert got.shape == x.shape
    assert agree_with_finite_differences(got, fd)


def softmax_np(x: np.ndarray, axis: Any) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- 1. the binary cost where σ saturates -----------------------------------------------------
# σ(z) is exactly 1.0 in float64 for z >= 37 and below the smallest normal float for z < -708:
# the course's dZ = A − Y must still come out (A − Y)/m there. In between, |z| <= 5: beyond,
# 1 − a loses digits and the A-form J is too rough for finite differences (not for backward).
saturating = st.one_of(st.floats(40, 60), st.floats(-740, -712), st.floats(-5, 5))


@given(data=st.data())
def test_saturated_sigmoid_gives_the_courses_dz_and_the_logits_cost(data):
    m = data.draw(st.integers(1, 6), label="m")
    z = np.array([data.draw(st.lists(saturating, min_size=m, max_size=m), label="z")])
    y = data.draw(arrays((1, m), "unit_open"), label="Y")

    def J(Z: Any, Y: Any) -> Any:
        return tc.binary_cross_entropy(tc.sigmoid(Z), Y)

    got = engine_gradients(J, {"Z": z, "Y": y})
    with sig_quiet():
        np.testing.assert_allclose(got["Z"], (SIG(z) - y) / m, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(got["Y"], -z / m, rtol=1e-9, atol=1e-12)  # log((1 − a)/a) = −z
    logits = tc.binary_cross_entropy_with_logits(z, y).item()
    # from z as soon as A is recorded as σ(Z) (a plain A = σ(z) has lost z: 1 − a is 0)
    assert abs(J(tc.Tensor(z, requires_grad=True), y).item() - logits) <= 1e-12 * max(
        1.0, abs(logits))
    recorded = lambda Z, Y: J(tc.Tensor(Z.data, requires_grad=True), Y)  # noqa: E731
    fd = numerical_gradients(recorded, {"Z": z, "Y": y}, EPS)
    for k in ("Z", "Y"):
        assert agree_with_finite_differences(got[k], fd[k]), k


def test_z_40_with_y_0_learns_and_the_graph_still_shows_a():
    z = tc.Tensor([[40.0, 0.5]], requires_grad=True, name="Z")
    A = tc.sigmoid(z)
    A.name = "A"
    A.retain_grad()
    J = tc.binary_cross_entropy(A, np.array([[0.0, 1.0]]))
    assert J.op is ops.BCE and J.parents == (A, z)  # z joins only because a saturated
    J.backward()
    assert z.grad[0, 0] == 0.5  # (a − y)/m = (1 − 0)/2; it was 0 before
    assert A.grad[0, 0] == 0.0  # that share went straight to Z, not through σ'(z) = 0
    np.testing.assert_allclose(z.grad[0, 1], (SIG(0.5) - 1) / 2, rtol=1e-15)
    assert J.item() == pytest.approx((40 + np.log1p(np.exp(-40)) + np.log1p(np.exp(-0.5))) / 2)


@given(data=st.data())
def test_unsaturated_cost_is_the_two_input_node_bit_for_bit(data):
    m = data.draw(st.integers(1, 6), label="m")
    z = data.draw(arrays((1, m), "real"), label="z") * 10
    y = data.draw(arrays((1, m), "unit_open"), label="Y")
    zt = tc.Tensor(z, requires_grad=True)
    A = tc.sigmoid(zt)
    J = tc.binary_cross_entropy(A, y)
    assert J.parents == (A,)  # the course's path: the same node and formulas as before
    J.backward()
    a = SIG(z)
    assert J.item() == -np.add.reduce(y * np.log(a) + (1 - y) * np.log(1 - a), axis=None) / m
    dA = 1.0 * (a - y) / np.maximum(a * (1 - a), np.finfo(float).tiny) / m
    np.testing.assert_array_equal(zt.grad, dA * a * (1 - a))


@given(data=st.data())
def test_the_checked_form_without_floors_is_the_floored_one_bit_for_bit(data):
    # the engine and the traced code leave the floors out of J and its VJPs where σ rounded no
    # a to 0 or 1; there each floor returns its input, down to a(1 − a) just above tiny
    m = data.draw(st.integers(1, 6), label="m")
    z = np.array([data.draw(st.one_of(st.floats(-708, 36.7), st.sampled_from(
        [-708.0, -700.0, -40.0, 0.0, 36.0, 36.7])), label="z") for _ in range(m)]).reshape(1, m)
    with sig_quiet():
        a = SIG(z)
    assert not _any_saturated(a)
    y = data.draw(st.one_of(arrays((1, m), "unit_open"),
                            st.just(np.round(data.draw(arrays((1, m), "unit_open"))))), label="Y")
    g = data.draw(st.sampled_from([1.0, -2.5, 1e-3]), label="g")
    floored, checked = ops.BCE.forward(a, y), ops.BCE.forward(a, y, unsaturated=True)
    np.testing.assert_array_equal(checked, floored)
    for vjp in ops.BCE.vjps[:2]:
        np.testing.assert_array_equal(vjp(g, floored, a, y, unsaturated=True),
                                      vjp(g, floored, a, y))
    zt = tc.Tensor(z, requires_grad=True)
    J = tc.binary_cross_entropy(tc.sigmoid(zt), y)
    assert J._params == {"unsaturated": True} and J.item() == float(floored)


def test_a_trace_made_where_sigma_saturates_computes_no_log_of_zero():
    z = np.array([[-800.0, 0.5, 40.0]])
    y = np.array([[1.0, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a log 0 or 0/0 of the trace-time values would raise
        traced = tc.trace(lambda z: tc.binary_cross_entropy(tc.sigmoid(z), y),
                          tc.Tensor(z, requires_grad=True))
        J, (dz,) = traced(z)
        J2, (dz2,) = traced(np.array([[-1.0, 0.5, 2.0]]))
    assert "check_unsaturated" in traced.source
    zt = tc.Tensor(z, requires_grad=True)
    with sig_quiet():
        J0 = tc.binary_cross_entropy(tc.sigmoid(zt), y)
    J0.backward()
    assert J == J0.item()
    np.testing.assert_array_equal(dz, zt.grad)
    assert np.isfinite(J2) and np.isfinite(dz2).all()


# the saturation check, from argmin and argmax: what the reductions it replaced said
SAT_VALUES = st.sampled_from([0.0, 5e-324, 2e-308, 2.2250738585072014e-308, 1e-300, 0.5,
                              1 - 2**-53, 1.0, np.nan])


@given(a=st.lists(st.one_of(SAT_VALUES, st.floats(0, 1)), min_size=0, max_size=6),
       rows=st.booleans())
def test_the_saturation_check_is_the_two_reductions_it_replaced(a, rows):
    arr = np.array(a, dtype=np.float64).reshape((1, -1) if rows else (-1, 1))
    tiny = np.finfo(np.float64).tiny
    reductions = bool(np.minimum.reduce(arr, axis=None, initial=1.0) < tiny
                      or np.maximum.reduce(arr, axis=None, initial=0.0) >= 1)
    assert _any_saturated(arr) is reductions
    if not np.isnan(arr).any():  # a NaN makes both say False, as the reduction did
        assert reductions == bool(_saturated(arr).any())


@given(data=st.data())
def test_saturated_second_derivative_and_float32(data):
    m = data.draw(st.integers(1, 4), label="m")
    z = np.array([data.draw(st.lists(saturating, min_size=m, max_size=m), label="z")])
    y = data.draw(arrays((1, m), "unit_open"), label="Y")
    G = data.draw(arrays((1, m), "real"), label="G")
    second_derivative_agrees(lambda Z: tc.binary_cross_entropy(tc.sigmoid(Z), y), z, G)
    z32 = tc.Tensor(np.clip(z, -100, 100).astype(np.float32), requires_grad=True)  # 17, -87
    tc.binary_cross_entropy(tc.sigmoid(z32), y.astype(np.float32)).backward()
    assert z32.grad.dtype == np.float32
    with sig_quiet():
        np.testing.assert_allclose(z32.grad, (SIG(z32.data.astype(float)) - y) / m, rtol=1e-5,
                                   atol=1e-7)


def saturated_two_layer() -> tuple[nn.DeepNN, np.ndarray, np.ndarray]:
    """A 2-3-1 tanh network whose Z2 is about +45 on every example, three of them labelled 0:
    A2 is exactly 1.0 there, a certain and wrong prediction."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 5)), np.array([[0.0, 1.0, 0.0, 1.0, 0.0]])
    model = nn.DeepNN([2, 3, 1], hidden_activation="tanh", init="small", rng=1)
    P = model.parameters()
    P["b2"].data[:] = 45.0
    return model, X, Y


def test_deep_nn_keeps_learning_when_its_output_saturates():
    model, X, Y = saturated_two_layer()
    P = {k: v.data.copy() for k, v in model.parameters().items()}
    A2, cache = O.two_layer_forward(P, X)
    assert (A2 == 1.0).all()
    grads = course_grads(model, X, Y)
    expected = O.two_layer_backward(P, cache, X, Y)  # the course's dZ2 = A2 − Y
    for k, g in expected.items():
        np.testing.assert_allclose(grads[k], g, rtol=1e-12, atol=1e-15)
    assert grads["db2"][0, 0] == pytest.approx(3 / 5)  # it was 0: the network was stuck
    costs = model.fit(X, Y, learning_rate=1.0, num_iterations=200)
    assert costs[-1] < 1.0 and costs[0] > 20 and model.parameters()["b2"].data[0, 0] < 35


def test_logistic_regression_keeps_learning_when_a_saturates():
    X = np.array([[1.0, 2.0, -1.0, 3.0]])
    Y = np.array([[0.0, 1.0, 0.0, 1.0]])
    model = nn.LogisticRegression(1)
    model.parameters()["b"].data[:] = 50.0  # A = 1.0 exactly for every example
    J = model.cost(X, Y)
    J.backward()
    w, b = model.parameters()["w"], model.parameters()["b"]
    with np.errstate(all="ignore"):  # the oracle's cost takes log(1 − 1)
        expected, _ = O.logistic_propagate(w.data, b.data, X, Y)
    np.testing.assert_allclose(w.grad, expected["dw"], rtol=1e-12)
    np.testing.assert_allclose(b.grad, expected["db"], rtol=1e-12)
    assert b.grad[0, 0] == 0.5
    costs = model.fit(X, Y, learning_rate=1.0, num_iterations=300)
    assert costs[-1] < 0.5 < costs[0]


def course_nn_model(X: np.ndarray, Y: np.ndarray, iterations: int) -> dict[str, np.ndarray]:
    """The course's week-3 nn_model loop on the oracles: seed-2 "small" init, α = 1.2."""
    rng = np.random.RandomState(2)
    P = {"W1": rng.randn(4, 2) * 0.01, "b1": np.zeros((4, 1)),
         "W2": rng.randn(1, 4) * 0.01, "b2": np.zeros((1, 1))}
    for _ in range(iterations):
        with np.errstate(over="ignore"):
            _, cache = O.two_layer_forward(P, X)
        grads = O.two_layer_backward(P, cache, X, Y)
        P = {k: v - 1.2 * grads["d" + k] for k, v in P.items()}
    return P


@pytest.mark.parametrize("version", ["2017", "later"])
def test_the_courses_graded_nn_model_case(version):
    # nn_model_test_case() of the course's testCases_v2.py: np.random.seed(1), X_assess =
    # randn(2, 3), Y_assess = randn(1, 3) in the 2017 notebook (real-valued "labels", which
    # drive A2 to saturation and W2 to ±6000), randn(1, 3) > 0 in later versions.
    np.random.seed(1)
    X, Y = np.random.randn(2, 3), np.random.randn(1, 3)
    if version == "later":
        Y = (Y > 0).astype(float)
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",
                      rng=np.random.RandomState(2))
    for _ in range(10_000):  # step(), not fit(): fit refuses labels outside [0, 1]
        model.step(X, Y, 1.2)
    P = {k: v.data for k, v in model.parameters().items()}
    printed = {"2017": ([[-6033.83672146, -6008.12980822, -6033.10095287, 6008.06637269]],
                        [[-52.66607724]], 1e-5, 1e-3),  # engine before this fix: W2 ≈ ±121.5
               "later": ([[-2.45566237, -3.27042274, 2.00784958, 3.36773273]],
                         [[0.20459656]], 1e-7, 1e-7)}[version]
    # The 2017 run diverges, so numpy and BLAS versions shift its late digits: the
    # notebook's W2 holds to 5-6 digits, and the same loop in numpy here to 1e-4.
    np.testing.assert_allclose(P["W2"], printed[0], rtol=printed[2])
    np.testing.assert_allclose(P["b2"], printed[1], rtol=printed[3])
    reference = course_nn_model(X, Y, 10_000)
    for k in P:
        np.testing.assert_allclose(P[k], reference[k], rtol=1e-4, atol=1e-7)


# ---- 2. what the binary costs accept ----------------------------------------------------------
def named(data: Any, name: str) -> tc.Tensor:
    return tc.Tensor(np.asarray(data, dtype=float), name=name)


@pytest.mark.parametrize("make, message", [
    (lambda: tc.binary_cross_entropy(named(np.full((1, 3), 0.5), "A2"),
                                     named(np.ones((3, 1)), "Y")),
     "binary_cross_entropy: A2 (1, 3), Y (3, 1): A and Y must have the same shape, one label "
     "per prediction; numpy would broadcast them to (3, 3) and pair every prediction with every "
     "label; pass Y of shape (1, 3) (Y.T)"),
    (lambda: tc.binary_cross_entropy(named(np.full((1, 3), 0.5), "A"), np.ones((1, 2))),
     "binary_cross_entropy: A (1, 3), array (1, 2): A and Y must have the same shape, one label "
     "per prediction; pass Y of shape (1, 3)"),
    (lambda: tc.binary_cross_entropy(named([[2.5, -1.0]], "Z2"), named([[1.0, 0.0]], "Y")),
     "binary_cross_entropy: Z2 (1, 2), Y (1, 2): A must hold probabilities in [0, 1], but it "
     "holds values from -1 to 2.5; for scores before the activation (logits Z) use "
     "binary_cross_entropy_with_logits(Z, Y), and check the order of the arguments: "
     "predictions first, then the labels Y"),
    (lambda: tc.binary_cross_entropy(named([[0.5, np.nan]], "A"), named([[1.0, 0.0]], "Y")),
     "binary_cross_entropy: A (1, 2), Y (1, 2): A must hold probabilities in [0, 1], but it "
     "holds NaN; for scores before the activation (logits Z) use "
     "binary_cross_entropy_with_logits(Z, Y), and check the order of the arguments: "
     "predictions first, then the labels Y"),
    (lambda: tc.binary_cross_entropy_with_logits(named([[2.0, -1.0]], "Z2"), np.ones(2)),
     "binary_cross_entropy_with_logits: Z2 (1, 2), array (2,): Z and Y must have the same "
     "shape, one label per prediction; numpy would broadcast them to (1, 2) and pair every "
     "prediction with every label; pass Y of shape (1, 2)"),
])
def test_binary_cost_errors_name_the_op_the_operands_and_the_fix(make, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        make()


def test_labels_stay_unchecked_in_value():
    # the course's graded test cases feed real numbers as labels (nn_model_test_case above)
    y = np.array([[1.74481176, -0.7612069, 0.3190391]])
    a = np.array([[0.2, 0.5, 0.9]])
    J = tc.binary_cross_entropy(a, y)
    assert J == pytest.approx(-np.mean(y * np.log(a) + (1 - y) * np.log(1 - a)), rel=1e-14)


# ---- 3. the categorical cross-entropy -------------------------------------------------------
def cce_case(data: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Scores (n_classes, m) or (m, n_classes) or (n,), labels one-hot, and integer labels."""
    n, m = data.draw(st.integers(1, 5), label="classes"), data.draw(st.integers(1, 5), label="m")
    layout = data.draw(st.sampled_from(["course", "rows", "single"]), label="layout")
    shape, axis = {"course": ((n, m), 0), "rows": ((m, n), 1), "single": ((n,), 0)}[layout]
    z = data.draw(arrays(shape, "real"), label="Z")
    labels = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)))
    labels = labels[:1].reshape(()) if layout == "single" else labels
    onehot = (np.expand_dims(labels, axis) == np.arange(n).reshape(
        (n,) + (1,) * (len(shape) - 1) if axis == 0 else (1, n))).astype(float)
    return z, onehot, labels, axis


@given(data=st.data())
def test_cross_entropy_from_logits_is_minus_mean_log_softmax_and_dz_is_a_minus_y(data):
    z, y, labels, axis = cce_case(data)
    m = z.size // z.shape[axis]
    logs = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    expected = -(y * logs).sum() / m
    for Y in (y, labels):
        got = engine_gradients(lambda Z, Y=Y: ops.categorical_cross_entropy_with_logits(
            Z, Y, axis=axis), {"Z": z})["Z"]
        np.testing.assert_allclose(got, (softmax_np(z, axis) - y) / m, rtol=1e-12, atol=1e-15)
        J = ops.categorical_cross_entropy_with_logits(tc.Tensor(z), Y, axis=axis).item()
        assert abs(J - expected) <= 1e-12 * max(1.0, abs(expected))
    soft = data.draw(arrays(z.shape, "unit_open"), label="soft labels")  # any weights
    check_op(Case(lambda Z, Y: ops.categorical_cross_entropy_with_logits(Z, Y, axis=axis),
                  ("real", "unit_open"),
                  lambda G, Z, Y, out: (G * (softmax_np(Z, axis) * Y.sum(axis, keepdims=True)
                                             - Y) / m, -G * logs / m)),
             {"Z": z, "Y": soft}, None)
    second_derivative_agrees(lambda Z: ops.categorical_cross_entropy_with_logits(Z, soft, axis),
                             z, data.draw(arrays(z.shape, "real"), label="G"))


@given(data=st.data())
def test_cross_entropy_from_probabilities(data):
    z, y, labels, axis = cce_case(data)
    m = z.size // z.shape[axis]
    a = softmax_np(z, axis)
    soft = data.draw(arrays(z.shape, "unit_open"), label="soft labels")
    for Y in (y, labels, soft):
        Yd = Y if Y.shape == z.shape else y
        J = ops.categorical_cross_entropy(tc.Tensor(a), Y, axis=axis).item()
        expected = -(Yd * np.log(a)).sum() / m
        assert abs(J - expected) <= 1e-12 * max(1.0, abs(expected))
    check_op(Case(lambda A, Y: ops.categorical_cross_entropy(A, Y, axis=axis),
                  ("unit_open", "unit_open"),
                  lambda G, A, Y, out: (-G * Y / A / m, -G * np.log(A) / m)),
             {"A": data.draw(arrays(z.shape, "unit_open"), label="A"), "Y": soft}, None)
    # through softmax, the chain rule gives the logits form's gradient
    got = engine_gradients(
        lambda Z: ops.categorical_cross_entropy(ops.softmax(Z, axis=axis), y, axis=axis), {"Z": z})
    np.testing.assert_allclose(got["Z"], (a - y) / m, rtol=1e-9, atol=1e-14)
    second_derivative_agrees(lambda A: ops.categorical_cross_entropy(A, soft, axis),
                             data.draw(arrays(z.shape, "unit_open"), label="A2"),
                             data.draw(arrays(z.shape, "real"), label="G"))


def test_cross_entropy_keeps_float32_and_is_finite_at_zero_probability():
    z = tc.Tensor(np.array([[2.0, -1.0], [0.5, 3.0], [-1.0, 0.0]], dtype=np.float32),
                  requires_grad=True)
    J = ops.categorical_cross_entropy_with_logits(z, np.array([0, 2]))
    J.backward()
    assert z.grad.dtype == np.float32
    a = tc.Tensor(np.array([[1.0, 0.0], [0.0, 1.0]]), requires_grad=True)
    J = ops.categorical_cross_entropy(a, np.array([[0.0, 0.0], [1.0, 1.0]]))
    J.backward()
    assert np.isfinite(J.item()) and J.item() > 300 and np.isfinite(a.grad).all()
    # tinygrad test/test_ops.py test_cross_entropy-style huge logits: no overflow
    big = ops.categorical_cross_entropy_with_logits(np.array([[1000.0], [0.0]]), np.array([1]))
    assert big.item() == pytest.approx(1000.0)


@pytest.mark.parametrize("make, message", [
    (lambda: ops.categorical_cross_entropy_with_logits(named(np.ones((3, 4)), "Z"),
                                                      np.array([0, 1, 3, 2])),
     "categorical_cross_entropy_with_logits: Z (3, 4), array (4,), axis=0: class indices must "
     "lie in [0, 2] for 3 classes, got 0 to 3"),
    (lambda: ops.categorical_cross_entropy_with_logits(named(np.ones((3, 4)), "Z"),
                                                      np.array([0, 1, 2])),
     "categorical_cross_entropy_with_logits: Z (3, 4), array (3,), axis=0: integer labels are "
     "class indices, one per example, of shape (4,) or (1, 4); for one-hot labels pass floats "
     "of shape (3, 4)"),
    (lambda: ops.categorical_cross_entropy_with_logits(named(np.ones((3, 4)), "Z"),
                                                      np.ones((4, 3))),
     "categorical_cross_entropy_with_logits: Z (3, 4), array (4, 3): Z and Y must have the "
     "same shape, one label per prediction; pass Y of shape (3, 4) (Y.T)"),
    (lambda: ops.categorical_cross_entropy(named(np.ones((3, 4)), "A"), np.array([0, 1, 2, 2]),
                                          axis=2),
     "categorical_cross_entropy: A (3, 4), array (4,), axis=2: axis must be the class axis of "
     "A, an integer in [-2, 1] (0 in the course's layout (n_classes, m))"),
    (lambda: ops.categorical_cross_entropy(named(np.full((2, 2), 3.0), "Z"), np.eye(2)),
     "categorical_cross_entropy: Z (2, 2), array (2, 2): A must hold probabilities in [0, 1], "
     "but it holds values from 3 to 3; for scores before the activation (logits Z) use "
     "categorical_cross_entropy_with_logits(Z, Y), and check the order of the arguments: "
     "predictions first, then the labels Y"),
])
def test_cross_entropy_errors_name_the_op_the_operands_and_the_fix(make, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        make()
