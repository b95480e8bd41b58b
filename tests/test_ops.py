"""Every op in the table, against the course's closed-form derivative and against central
finite differences, over hypothesis-drawn shapes (0-d, 1-d, broadcasting pairs) and values
inside each op's domain. Tolerances are explicit and in one place (TOL)."""

from __future__ import annotations

import importlib.util
import operator
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from broadcast_oracle import reduce_to
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import ops
from tinygrad_course.gradcheck import engine_gradients, numerical_gradients, relative_difference
from tinygrad_course.testing import arrays, broadcastable_shapes, expressions, shapes

TOL = {
    "closed_form": 1e-12,    # engine vs the course's formula: same arithmetic, rounding only
    "finite_diff": 1e-6,     # engine vs (f(x+ε) − f(x−ε)) / 2ε with ε = 1e-6, |x| ≤ 3 ...
    "finite_diff_abs": 1e-8,  # ... or, for gradients near 0 (ε² terms), this close elementwise
}


def agree_with_finite_differences(got: np.ndarray, fd: np.ndarray) -> bool:
    return (relative_difference(got, fd) < TOL["finite_diff"]
            or bool(np.max(np.abs(got - fd), initial=0.0) < TOL["finite_diff_abs"]))
EPS = 1e-6




@dataclass
class Case:
    fn: Callable[..., Any]                           # builds the op's output from Tensors/arrays
    domains: tuple[str, ...]                         # one value domain per input
    closed: Callable[..., tuple[Any, ...]] | None    # (G, inputs..., out) -> d/d(input) each


SIG = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
UNARY: dict[str, Case] = {
    "neg": Case(operator.neg, ("real",), lambda G, z, a: (-G,)),
    "exp": Case(tc.exp, ("real",), lambda G, z, a: (G * np.exp(z),)),
    "log": Case(tc.log, ("positive",), lambda G, z, a: (G / z,)),
    "sigmoid": Case(tc.sigmoid, ("real",), lambda G, z, a: (G * SIG(z) * (1 - SIG(z)),)),
    "tanh": Case(tc.tanh, ("real",), lambda G, z, a: (G * (1 - np.tanh(z) ** 2),)),
    "relu": Case(tc.relu, ("away_from_zero",), lambda G, z, a: (G * np.where(z > 0, 1.0, 0.0),)),
    "leaky_relu": Case(tc.leaky_relu, ("away_from_zero",),
                       lambda G, z, a: (G * np.where(z > 0, 1.0, 0.01),)),
    "pow": Case(lambda x: x ** 3, ("real",), lambda G, z, a: (G * 3 * z ** 2,)),
    "clip": Case(lambda x: tc.clip(x, lo=0.0), ("away_from_zero",),
                 lambda G, z, a: (G * (z >= 0),)),
}
BINARY: dict[str, Case] = {
    "add": Case(operator.add, ("real", "real"), lambda G, a, b, out: (G, G)),
    "sub": Case(operator.sub, ("real", "real"), lambda G, a, b, out: (G, -G)),
    "mul": Case(operator.mul, ("real", "real"), lambda G, a, b, out: (G * b, G * a)),
    "div": Case(operator.truediv, ("real", "positive"),
                lambda G, a, b, out: (G / b, -G * a / b ** 2)),
}


def check_op(case: Case, values: dict[str, np.ndarray], G: np.ndarray | None) -> None:
    """backward() of Σ(op(...) · G) against the closed form and finite differences."""
    def loss(**t: Any) -> Any:
        out = case.fn(*t.values())
        return (out * G).sum() if G is not None else out

    got = engine_gradients(loss, values)
    fd = numerical_gradients(loss, values, EPS)
    for k in values:
        assert got[k].shape == values[k].shape
        assert agree_with_finite_differences(got[k], fd[k]), k
    if case.closed is not None:
        out = case.fn(*values.values())
        expected = case.closed(G if G is not None else 1.0, *values.values(), out)
        full = np.shape(out.data if isinstance(out, tc.Tensor) else out)
        for k, e in zip(values, expected):
            if np.shape(e) != values[k].shape:  # elementwise ops: undo broadcasting by hand
                e = reduce_to(np.broadcast_to(e, full), values[k].shape)
            np.testing.assert_allclose(got[k], e, rtol=TOL["closed_form"], atol=1e-13)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_ops(name, data):
    case = UNARY[name]
    shape = data.draw(shapes(0, 3, 4), label="shape")
    z = data.draw(arrays(shape, case.domains[0]), label="z")
    G = data.draw(arrays(shape, "real"), label="G")
    check_op(case, {"z": z}, G)


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_ops_with_broadcasting(name, data):
    case = BINARY[name]
    sa = data.draw(shapes(0, 3, 4), label="shape a")
    sb = data.draw(broadcastable_shapes(sa, max_side=4), label="shape b")
    if data.draw(st.booleans(), label="swap"):
        sa, sb = sb, sa
    a = data.draw(arrays(sa, case.domains[0]), label="a")
    b = data.draw(arrays(sb, case.domains[1]), label="b")
    G = data.draw(arrays(np.broadcast_shapes(sa, sb), "real"), label="G")
    check_op(case, {"a": a, "b": b}, G)


@given(data=st.data())
def test_bias_gradient_is_summed_over_examples(data):
    n, m = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 6))
    W = data.draw(arrays((n, 3), "real"))
    A = data.draw(arrays((3, m), "real"))
    b = data.draw(arrays((n, 1), "real"))
    dZ = data.draw(arrays((n, m), "real"))
    Wt, bt = tc.Tensor(W, requires_grad=True), tc.Tensor(b, requires_grad=True)
    (Wt @ A + bt).backward(dZ)
    np.testing.assert_allclose(bt.grad, np.sum(dZ, axis=1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(Wt.grad, dZ @ A.T, rtol=1e-13, atol=1e-14)


@given(data=st.data())
def test_matmul_one_and_two_d_rules(data):
    n, k, p = (data.draw(st.integers(1, 4)) for _ in range(3))
    da, db = data.draw(st.sampled_from([(2, 2), (1, 2), (2, 1), (1, 1)]), label="ndims")
    a = data.draw(arrays((n, k)[2 - da:], "real"))
    b = data.draw(arrays((k, p)[:db], "real"))
    G = data.draw(arrays(np.shape(a @ b), "real"))
    A2, B2, G2 = a.reshape(-1, k), b.reshape(k, -1), np.reshape(G, (a.reshape(-1, k).shape[0], -1))
    closed = lambda G_, a_, b_, out: ((G2 @ B2.T).reshape(a.shape),  # noqa: E731  dA = dZ Bᵀ
                                      (A2.T @ G2).reshape(b.shape))  # dB = Aᵀ dZ
    check_op(Case(operator.matmul, ("real", "real"), closed), {"a": a, "b": b}, G)


def axis_draw(data: Any, ndim: int) -> Any:
    if ndim == 0:
        return None
    return data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                               st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                        unique=True).map(tuple)), label="axis")


@pytest.mark.parametrize("name", ["sum", "mean"])
@given(data=st.data())
def test_reductions(name, data):
    x = data.draw(arrays(shapes(0, 3, 4), "real"), label="x")
    axis, keepdims = axis_draw(data, x.ndim), data.draw(st.booleans(), label="keepdims")
    fn = lambda t: getattr(t, name)(axis=axis, keepdims=keepdims)  # noqa: E731
    out = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    G = data.draw(arrays(np.shape(out), "real"), label="G")
    n = x.size / max(np.size(out), 1)
    scale = 1.0 if name == "sum" else 1.0 / n

    def closed(G_, x_, out_):
        axes = tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis) % max(x.ndim, 1)
        return (np.broadcast_to(np.expand_dims(G_, tuple(axes)) if not keepdims else G_,
                                x.shape) * scale,)

    check_op(Case(fn, ("real",), closed), {"x": x}, G)


@given(data=st.data())
def test_transpose_reshape_broadcast_to(data):
    x = data.draw(arrays(shapes(1, 3, 4), "real"), label="x")
    perm = tuple(data.draw(st.permutations(range(x.ndim)), label="axes"))
    flat = (x.size,)
    target = data.draw(st.sampled_from([(2,) + x.shape, (1,) + x.shape]), label="broadcast")
    for fn, out_shape in [(lambda t: t.T, x.T.shape),
                          (lambda t: t.transpose(perm), np.transpose(x, perm).shape),
                          (lambda t: t.reshape(flat), flat),
                          (lambda t: tc.broadcast_to(t, target), target)]:
        G = data.draw(arrays(out_shape, "real"), label="G")
        check_op(Case(fn, ("real",), None), {"x": x}, G)


@given(data=st.data())
def test_binary_cross_entropy_is_the_course_cost_and_its_gradient(data):
    shape = data.draw(st.sampled_from([(1, 1), (1, 3), (1, 7), (2, 4)]))
    a = data.draw(arrays(shape, "unit_open"), label="A")
    y = data.draw(arrays(shape, "unit_open"), label="Y")
    m = shape[-1]
    J = tc.binary_cross_entropy(tc.Tensor(a), y).item()
    assert abs(J - (-(1 / m) * np.sum(y * np.log(a) + (1 - y) * np.log(1 - a)))) <= 1e-12 * max(
        1, abs(J))
    dAL = lambda G, A, Y, out: (-(Y / A - (1 - Y) / (1 - A)) / m,  # noqa: E731 the course's dAL
                                (np.log(1 - A) - np.log(A)) / m)
    check_op(Case(tc.binary_cross_entropy, ("unit_open", "unit_open"), None), {"A": a, "Y": y},
             None)
    got = engine_gradients(lambda A, Y: tc.binary_cross_entropy(A, Y), {"A": a, "Y": y})
    for k, e in zip(("A", "Y"), dAL(1.0, a, y, None)):
        np.testing.assert_allclose(got[k], e, rtol=1e-10, atol=1e-13)  # A ≈ Y cancels
    z = data.draw(arrays(shape, "real"), label="Z")
    gz = engine_gradients(lambda Z, Y: tc.binary_cross_entropy_with_logits(Z, Y),
                          {"Z": z, "Y": y})["Z"]
    np.testing.assert_allclose(gz, (SIG(z) - y) / m, rtol=1e-12, atol=1e-15)  # dZ = A − Y
    check_op(Case(tc.binary_cross_entropy_with_logits, ("real", "unit_open"), None),
             {"Z": z, "Y": y}, None)


def test_binary_cross_entropy_is_finite_when_a_saturates():
    a = tc.Tensor(np.array([[0.0, 1.0, 1.0, 0.0]]), requires_grad=True)
    y = np.array([[0.0, 1.0, 0.0, 1.0]])
    J = tc.binary_cross_entropy(a, y)
    assert np.isfinite(J.item())
    J.backward()
    assert np.isfinite(a.grad).all()


# σ's forward skips numpy's errstate when no exp(−z) can overflow: the same bits either way
EXTREME_Z = st.one_of(st.floats(-800, 800), st.sampled_from(
    [-np.inf, np.inf, np.nan, -708.8, -709.8, -745.2, -87.7, -88.8, -11.1]))


@settings(max_examples=60)
@given(z=st.lists(EXTREME_Z, min_size=0, max_size=6),
       dtype=st.sampled_from([np.float64, np.float32, np.float16]))
def test_sigmoid_is_the_plain_formula_bit_for_bit_and_never_warns(z, dtype):
    with np.errstate(over="ignore"):
        zs = np.array([z], dtype=dtype)
        expected = 1.0 / (1.0 + np.exp(-zs))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning would be an error here
        got = ops.elementwise._sigmoid(zs)
        t = tc.sigmoid(tc.Tensor(zs))
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(t.data, expected)
    assert got.dtype == expected.dtype
    assert np.all(got[zs < -746] == 0)  # exp(−z) = inf: σ exactly 0


@settings(max_examples=60)
@given(expressions())
def test_random_expression_dags_match_finite_differences(expr):
    got = engine_gradients(expr, expr.inputs)
    fd = numerical_gradients(expr, expr.inputs, eps=1e-7)
    for k in expr.inputs:
        assert agree_with_finite_differences(got[k], fd[k]), f"{k}\n{expr}"


COVERED = set(UNARY) | set(BINARY) | {
    "matmul", "sum", "mean", "transpose", "reshape", "broadcast_to",
    "binary_cross_entropy", "binary_cross_entropy_with_logits"}


def test_every_op_in_the_table_is_tested():
    """Each tests/test_ops*.py module lists the ops it covers in COVERED; together they must
    be the whole table, so a new op cannot go untested."""
    tested: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_ops*.py")):
        spec = importlib.util.spec_from_file_location(f"_covered_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules[spec.name] = module  # type: ignore[union-attr]  (dataclasses look it up)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        tested |= set(module.COVERED)
    assert {op.name for op in ops.OPS} == tested


# ---- errors a learner can act on ----------------------------------------------------------
def named(shape: tuple[int, ...], name: str) -> tc.Tensor:
    return tc.Tensor(np.ones(shape), requires_grad=True, name=name)


@pytest.mark.parametrize("make, message", [
    (lambda: named((4, 3), "W1") @ named((2, 400), "X"),
     r"^matmul: W1 \(4, 3\) @ X \(2, 400\): inner dimensions 3 and 2 differ$"),
    (lambda: named((2, 3, 4), "T") @ named((5, 4, 2), "U"),
     r"^matmul: T \(2, 3, 4\) @ U \(5, 4, 2\): batch shapes \(2,\) and \(5,\) do not broadcast$"),
    (lambda: named((4, 3), "Z1") + named((4, 2), "b1"),
     r"^add: Z1 \(4, 3\) \+ b1 \(4, 2\): shapes \(4, 3\) and \(4, 2\) do not broadcast: axis -1 "
     r"has 3 and 2"),
    (lambda: named((3,), "x") * np.ones(4),
     r"^mul: x \(3,\) \* array \(4,\): shapes \(3,\) and \(4,\) do not broadcast"),
    (lambda: named((2, 3), "A").reshape(4, 2),
     r"^reshape: A \(2, 3\), shape=\(4, 2\): cannot reshape array of size 6 into shape \(4,\s?2\)"),
    (lambda: named((2, 3), "A").sum(axis=2),
     r"^sum: A \(2, 3\), axis=2, keepdims=False: axis 2 is out of range for a 2-D tensor$"),
    (lambda: named((2, 3), "A").mean(axis=-3),
     r"^mean: A \(2, 3\), axis=-3, keepdims=False: axis -3 is out of range"),
    (lambda: tc.broadcast_to(named((3,), "v"), (2, 4)),
     r"^broadcast_to: v \(3,\), shape=\(2, 4\): shapes \(3,\) and \(2, 4\) do not broadcast"),
    (lambda: named((2, 3), "A").transpose((0, 2)),
     r"^transpose: A \(2, 3\), axes=\(0, 2\): "),
])
def test_shape_errors_name_the_op_the_shapes_and_the_tensors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_type_errors_name_the_op():
    with pytest.raises(TypeError, match=r"^add: x \(3,\) \+ 'abc'"):
        named((3,), "x") + "abc"


def test_sum_to_shape_refuses_a_gradient_it_cannot_reduce():
    with pytest.raises(ValueError, match=r"cannot reduce a gradient of shape \(2, 3\) to shape"):
        tc.sum_to_shape(np.ones((2, 3)), (3, 2))
    summed = tc.sum_to_shape(np.ones((4, 2, 3)), (2, 1))
    np.testing.assert_array_equal(summed, np.full((2, 1), 12.0))
