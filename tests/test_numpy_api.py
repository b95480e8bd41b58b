"""numpy code on Tensors: ufuncs and numpy functions that are ops record the graph, with the
right gradients; everything else raises a TypeError naming the function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import oracles
from tinygrad_course.gradcheck import engine_gradients, numerical_gradients, relative_difference
from tinygrad_course.ops import numpy_api
from tinygrad_course.testing import arrays

TOL = 1e-6  # relative difference, engine against central differences with ε = 1e-6


def close_to_finite_differences(fn: Callable[..., Any], values: dict[str, np.ndarray]) -> None:
    """fn takes the inputs positionally."""
    inputs = list(values.values())
    got = engine_gradients(fn, inputs)
    fd = numerical_gradients(fn, inputs, eps=1e-6)
    for k in got:
        assert relative_difference(got[k], fd[k]) < TOL or np.abs(got[k] - fd[k]).max() < 1e-8, k


# ---- the course's own forward code, as the notes write it --------------------------------------
def sigmoid(z: Any) -> Any:
    return 1 / (1 + np.exp(-z))


def propagate_cost(w: Any, b: Any, X: np.ndarray, Y: np.ndarray) -> Any:
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    return -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def two_layer_cost(W1: Any, b1: Any, W2: Any, b2: Any, X: np.ndarray, Y: np.ndarray) -> Any:
    m = X.shape[1]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return -np.sum(logprobs) / m


def L_layer_cost(params: dict[str, Any], X: np.ndarray, Y: np.ndarray) -> Any:
    A, L = X, len(params) // 2
    for l in range(1, L):
        Z = np.dot(params[f"W{l}"], A) + params[f"b{l}"]
        A = np.maximum(0, Z)   # relu, as the notes write it
    AL = sigmoid(np.dot(params[f"W{L}"], A) + params[f"b{L}"])
    m = Y.shape[1]
    return np.squeeze(-1 / m * np.sum(np.multiply(Y, np.log(AL))
                                      + np.multiply(1 - Y, np.log(1 - AL))))


def leaves(values: dict[str, np.ndarray]) -> dict[str, tc.Tensor]:
    return {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in values.items()}


@given(st.integers(1, 4), st.integers(1, 6), st.data())
def test_logistic_regression_written_in_numpy_matches_the_course_formulas(n_x, m, data):
    X = data.draw(arrays((n_x, m), "real"), label="X")
    Y = data.draw(st.sampled_from([0.0, 1.0]).map(lambda v: np.full((1, m), v)), label="Y")
    w, b = data.draw(arrays((n_x, 1), "real"), label="w") * 0.3, 0.1  # A away from 0 and 1
    t = leaves({"w": w, "b": np.array(b)})
    cost = propagate_cost(t["w"], t["b"], X, Y)
    assert isinstance(cost, tc.Tensor) and cost.requires_grad
    cost.backward()
    grads, expected_cost = oracles.logistic_propagate(w, b, X, Y)
    np.testing.assert_allclose(float(cost), expected_cost, rtol=1e-12)
    # the notes' cost differentiates through log(1 − A), the oracle uses dZ = A − Y: they agree
    # to the rounding of 1 − A
    np.testing.assert_allclose(t["w"].grad, grads["dw"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(t["b"].grad, grads["db"], rtol=1e-8, atol=1e-12)


@given(st.data())
def test_two_layer_network_written_in_numpy_matches_the_course_formulas(data):
    n_x, n_h, m = 2, data.draw(st.integers(1, 4), label="n_h"), data.draw(st.integers(1, 5))
    X = data.draw(arrays((n_x, m), "real"), label="X")
    Y = (X[:1] > 0).astype(float)
    params = {"W1": data.draw(arrays((n_h, n_x), "real")) * 0.5, "b1": np.zeros((n_h, 1)),
              "W2": data.draw(arrays((1, n_h), "real")) * 0.5, "b2": np.zeros((1, 1))}
    t = leaves(params)
    two_layer_cost(t["W1"], t["b1"], t["W2"], t["b2"], X, Y).backward()
    _, cache = oracles.two_layer_forward(params, X)
    expected = oracles.two_layer_backward(params, cache, X, Y)
    for k in params:
        np.testing.assert_allclose(t[k].grad, expected["d" + k], rtol=1e-9, atol=1e-13)


def test_L_layer_network_written_in_numpy_matches_the_course_formulas():
    rng = np.random.default_rng(3)
    dims, m = [3, 4, 2, 1], 5
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l], dims[l - 1]))
        params[f"b{l}"] = rng.normal(size=(dims[l], 1)) * 0.1
    X, Y = rng.normal(size=(3, m)), (rng.random((1, m)) > 0.5).astype(float)
    t = leaves(params)
    L_layer_cost(t, X, Y).backward()
    AL, caches = oracles.L_model_forward(X, params)
    expected = oracles.L_model_backward(AL, Y, caches)
    for k in params:
        np.testing.assert_allclose(t[k].grad, expected["d" + k], rtol=1e-9, atol=1e-13)


def test_np_dot_is_the_matrix_product_with_its_gradient():
    # the case: np.dot used to multiply elementwise, with no error
    W = tc.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    Z = np.dot(W, tc.Tensor(np.eye(2)))
    np.testing.assert_array_equal(Z.data, [[1.0, 2.0], [3.0, 4.0]])
    Z.sum().backward()
    np.testing.assert_array_equal(W.grad, np.ones((2, 2)))
    assert np.dot(tc.Tensor([1.0, 2.0]), np.array([3.0, 4.0])).item() == 11.0
    assert np.dot(tc.Tensor(2.0), np.array([3.0, 4.0])).tolist() == [6.0, 8.0]


# ---- every entry of the tables ------------------------------------------------------------------
UFUNC_CASES = sorted(numpy_api.UFUNCS, key=lambda u: u.__name__)


def test_np_power_with_a_number_exponent():
    close_to_finite_differences(lambda t: np.power(t, 3).sum(), {"x": np.array([0.5, 2.0])})


@pytest.mark.parametrize("ufunc", UFUNC_CASES, ids=lambda u: u.__name__)
@given(data=st.data())
def test_every_ufunc_of_the_table_records_its_op(ufunc, data):
    shape = data.draw(st.sampled_from([(), (3,), (2, 3)]), label="shape")
    values = {f"x{i}": data.draw(arrays(shape, "positive"), label=f"x{i}")
              for i in range(ufunc.nin)}
    if ufunc is np.matmul:
        values = {"x0": data.draw(arrays((2, 3), "real")), "x1": data.draw(arrays((3, 2), "real"))}
    if ufunc in (np.maximum, np.minimum) and ufunc.nin == 2:
        values["x1"] = values["x0"] + data.draw(st.sampled_from([-0.5, 0.5]))  # no ties
    out = ufunc(*(tc.Tensor(v) for v in values.values()))
    assert isinstance(out, tc.Tensor)
    np.testing.assert_allclose(out.data, ufunc(*values.values()), rtol=1e-12)
    close_to_finite_differences(lambda *t: ufunc(*t).sum(), values)


FUNCTION_CASES: dict[str, tuple[Callable[..., Any], tuple[tuple[int, ...], ...]]] = {
    "dot": (lambda a, b: np.dot(a, b), ((2, 3), (3, 2))),
    "sum": (lambda a: np.sum(a, axis=1, keepdims=True), ((2, 3),)),
    "mean": (lambda a: np.mean(a, axis=0), ((2, 3),)),
    "transpose": (lambda a: np.transpose(a), ((2, 3),)),
    "transpose axes": (lambda a: np.transpose(a, (1, 2, 0)), ((2, 3, 2),)),
    "reshape": (lambda a: np.reshape(a, (3, 2)), ((2, 3),)),
    "reshape -1": (lambda a: np.reshape(a, -1), ((2, 3),)),
    "clip": (lambda a: np.clip(a, 0.8, 1.6), ((2, 3),)),
    "broadcast_to": (lambda a: np.broadcast_to(a, (4, 3)), ((1, 3),)),
    "where": (lambda a, b: np.where(np.array([[True, False, True]]), a, b), ((2, 3), (1, 3))),
    "max": (lambda a: np.max(a, axis=1), ((2, 3),)),
    "amin": (lambda a: np.amin(a), ((2, 3),)),
    "prod": (lambda a: np.prod(a, axis=0), ((2, 3),)),
    "var": (lambda a: np.var(a, axis=1), ((2, 3),)),
    "std": (lambda a: np.std(a, ddof=1), ((2, 3),)),
    "cumsum": (lambda a: np.cumsum(a, axis=1), ((2, 3),)),
    "concatenate": (lambda a, b: np.concatenate([a, b], axis=1), ((2, 3), (2, 1))),
    "stack": (lambda a, b: np.stack([a, b]), ((2, 3), (2, 3))),
    "squeeze": (lambda a: np.squeeze(a), ((1, 3),)),
    "expand_dims": (lambda a: np.expand_dims(a, 0), ((2, 3),)),
    "repeat": (lambda a: np.repeat(a, 2, axis=1), ((2, 3),)),
    "tile": (lambda a: np.tile(a, (2, 1)), ((2, 3),)),
    "pad": (lambda a: np.pad(a, ((1, 0), (0, 2))), ((2, 3),)),
    "tensordot": (lambda a, b: np.tensordot(a, b, axes=1), ((2, 3), (3, 2))),
    "einsum": (lambda a, b: np.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2))),
    "split": (lambda a: np.split(a, 3, axis=1)[1], ((2, 3),)),
}


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_numpy_functions_that_are_ops_record_them(name):
    fn, shapes_ = FUNCTION_CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    values = {f"x{i}": rng.uniform(0.5, 2.0, size=s) for i, s in enumerate(shapes_)}
    out = fn(*(tc.Tensor(v, requires_grad=True) for v in values.values()))
    assert isinstance(out, tc.Tensor) and out.requires_grad, name
    np.testing.assert_allclose(out.data, fn(*values.values()), rtol=1e-12)
    close_to_finite_differences(lambda *t: (fn(*t) * np.arange(1.0, 1 + fn(*values.values()).size)
                                            .reshape(np.shape(fn(*values.values())))).sum(),
                                values)


def test_every_function_of_the_table_has_a_case():
    names = {f.__name__ for f in numpy_api.FUNCTIONS}
    covered = {k.split()[0] for k in FUNCTION_CASES} | {"amax", "min", "argmax", "argmin"}
    assert names <= covered, names - covered


def test_constant_ufuncs_give_constants():
    t = tc.Tensor([[1.0, -3.0, 2.0]], requires_grad=True)
    for out in (np.sign(t), np.floor(t), np.isfinite(t), t > 0):
        assert isinstance(out, tc.Tensor) and not out.requires_grad
    assert np.sign(t).tolist() == [[1.0, -1.0, 1.0]]


def test_argmax_and_argmin_are_constants():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    t = tc.Tensor(x, requires_grad=True)
    for fn in (np.argmax, np.argmin):
        for axis in (None, 0, 1):
            out = fn(t, axis=axis)
            assert isinstance(out, tc.Tensor) and not out.requires_grad and out.op is None
            np.testing.assert_array_equal(out.data, fn(x, axis=axis))
    assert t.argmax().item() == 3 and t.argmin(axis=1).tolist() == [0, 1]


def test_ufunc_reduce_is_the_reduction_op():
    t = tc.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    s = np.add.reduce(t)           # numpy's default axis for reduce is 0
    assert s.tolist() == [3.0, 5.0, 7.0] and s.requires_grad
    s.sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones((2, 3)))
    x = np.array([[1.0, 4.0, 2.0], [3.0, 0.5, 5.0]])
    for ufunc, op in [(np.multiply, "prod"), (np.maximum, "max"), (np.minimum, "min")]:
        out = ufunc.reduce(tc.Tensor(x, requires_grad=True), axis=1)
        assert out.op.name == op
        np.testing.assert_array_equal(out.data, ufunc.reduce(x, axis=1))


# ---- refusals -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call, name", [
    (lambda t: np.linalg.inv(t), "np.linalg.inv"),
    (lambda t: np.sort(t), "np.sort"),
    (lambda t: np.cross(t, np.ones(2)), "np.cross"),
    (lambda t: np.arctan2(t, 1.0), "np.arctan2"),
    (lambda t: np.add.accumulate(t), "np.add.accumulate"),
    (lambda t: np.fft.fft(t), "np.fft.fft"),
])
def test_other_numpy_functions_raise_naming_the_function_and_what_to_do(call, name):
    W = tc.Tensor(np.eye(2), requires_grad=True, name="W")
    with pytest.raises(TypeError, match=rf"^{name.replace('.', '[.]')} on W \(2, 2\): not an op "
                       r"of tinygrad_course, so it would compute without recording .* t\.data"):
        call(W)


def test_arguments_the_op_does_not_have_are_refused_not_ignored():
    t = tc.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(TypeError, match=r"np.sum\(\.\.\., dtype=\.\.\.\) on Tensors"):
        np.sum(t, dtype=np.float32)
    with pytest.raises(TypeError, match=r"np.exp\(\.\.\., where=\.\.\.\)"):
        np.exp(t, where=np.ones((2, 3), bool))


# ---- leaving the graph --------------------------------------------------------------------------
def test_asarray_gives_the_values_and_a_tensor_never_becomes_an_object_array():
    t = tc.Tensor([1.0, 2.0], requires_grad=True)
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    stacked = np.array([t, tc.Tensor([3.0, 4.0])])
    assert stacked.dtype == np.float64 and stacked.shape == (2, 2)
    assert np.array([tc.Tensor(1.0), tc.Tensor(2.0)]).dtype == np.float64
    assert np.shape(t) == (2,) and np.allclose(t, [1.0, 2.0]) and np.ndim(t) == 1
    np.testing.assert_allclose(t, [1.0, 2.0])
