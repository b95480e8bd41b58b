"""Reductions (max, min, prod, var, std, cumsum; argmax/argmin as constants): central finite
differences, the closed form, a second derivative through grad(create_graph=True) and float32
kept, over drawn shapes (0-d, 1-d..3-d, empty where numpy allows it), axes, keepdims and ddof;
then the conventions (ties share g/k, prod exact at zeros, std 0 at a constant input), the
fixes (mean of an empty input, axis 0/-1 on a 0-d value) and ports of HIPS autograd's and
tinygrad's cases (shapes, values and method taken; the tests are written here)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_ops import TOL, Case, axis_draw, check_op
from test_ops_shape import FEW, check_all, check_float32, check_second_order

import tinygrad_course as tc
from tinygrad_course.gradcheck import engine_gradients
from tinygrad_course.ops import reductions as R
from tinygrad_course.ops.shape import stack
from tinygrad_course.testing import arrays, shapes

COVERED = {"max", "min", "prod", "var", "std", "cumsum"}


# ---- helpers: the closed forms, written out with numpy ---------------------------------------
def reduced_axes(ndim: int, axis: Any) -> tuple[int, ...]:
    if ndim == 0:
        return ()
    return tuple(range(ndim)) if axis is None else tuple(np.atleast_1d(axis) % ndim)


def kept(v: Any, ndim: int, axis: Any, keepdims: bool) -> np.ndarray:
    """v (an output or its gradient) with the reduced axes back as size 1."""
    v = np.asarray(v)
    return v if keepdims else np.expand_dims(v, reduced_axes(ndim, axis))


def distinct(data: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Values in about [-3, 3] at least 0.2 apart (no ties: finite differences of max/min hold),
    in a drawn order, jittered a little."""
    size = int(np.prod(shape, dtype=np.int64))
    order = np.array(data.draw(st.permutations(range(size)), label="order"), dtype=float)
    jitter = data.draw(arrays((size,), "real"), label="jitter") * 0.03  # |jitter| <= 0.09
    return ((order - size / 2) * 0.3 + jitter).reshape(shape)


def draw_reduction(data: Any, min_side: int = 1) -> tuple[np.ndarray, Any, bool]:
    x = data.draw(arrays(shapes(0, 3, 4, min_side=min_side), "real"), label="x")
    return x, axis_draw(data, x.ndim), data.draw(st.booleans(), label="keepdims")


def count(shape: tuple[int, ...], axis: Any) -> int:
    return int(np.prod([shape[i] for i in reduced_axes(len(shape), axis)], dtype=np.int64))


# ---- every op over drawn shapes, axes, keepdims (and ddof) ---------------------------------
@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data())
def test_max_min(name, data):
    shape = data.draw(shapes(0, 3, 4), label="shape")
    x = distinct(data, shape)
    axis, keepdims = axis_draw(data, x.ndim), data.draw(st.booleans(), label="keepdims")
    fn = lambda t: getattr(R, name)(t, axis=axis, keepdims=keepdims)  # noqa: E731
    out = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(fn(tc.Tensor(x)).data, out)

    def closed(G, x_, out_):  # no ties: the whole gradient goes to the one extremum
        hit = x == kept(out, x.ndim, axis, keepdims)
        return (np.broadcast_to(kept(G, x.ndim, axis, keepdims), x.shape) * hit,)

    check_all(fn, {"x": x}, data, closed)


def test_max_min_on_empty_outputs_and_empty_reductions():
    """An empty result (other axes of size 0) has an empty gradient; an empty reduction raises
    as numpy does, naming the op and the shape."""
    x = tc.Tensor(np.ones((0, 3)), requires_grad=True)
    for fn in (R.max, R.min):
        fn(x, axis=1).sum().backward()
        assert x.grad.shape == (0, 3)
        x.grad = None
        with pytest.raises(ValueError, match=r"^(max|min): tensor \(0, 3\), axis=0.*zero-size"):
            fn(x, axis=0)


@given(data=st.data())
def test_prod(data):
    x, axis, keepdims = draw_reduction(data, min_side=0)  # Π of nothing is 1
    x = np.where(np.abs(x) < 0.3, 0.3, x) * 0.9  # products of up to 64 factors stay moderate
    fn = lambda t: R.prod(t, axis=axis, keepdims=keepdims)  # noqa: E731
    out = np.prod(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(fn(tc.Tensor(x)).data, out, rtol=1e-12)

    def closed(G, x_, out_):  # no zero: Π_{j≠i} x_j = out / x_i
        return (np.broadcast_to(kept(G * out, x.ndim, axis, keepdims), x.shape) / x,)

    check_all(fn, {"x": x}, data, closed)


@settings(max_examples=30)
@given(data=st.data())
def test_prod_with_zeros_matches_the_leave_one_out_product(data):
    """Some entries set to 0 (one, two, ...): the exact Π_{j≠i} x_j, against a loop."""
    x = data.draw(arrays(shapes(0, 3, 3), "real"), label="x")
    axis, keepdims = axis_draw(data, x.ndim), data.draw(st.booleans(), label="keepdims")
    zeros = data.draw(arrays(x.shape, "real"), label="where zero") > 1.0
    x = np.where(zeros, 0.0, x / 2)
    fn = lambda t: R.prod(t, axis=axis, keepdims=keepdims)  # noqa: E731

    def closed(G, x_, out_):
        axes = reduced_axes(x.ndim, axis)
        loo = np.empty_like(x)
        for i in np.ndindex(x.shape):
            others = x.copy()
            others[i] = 1.0
            sel = tuple(slice(None) if d in axes else i[d] for d in range(x.ndim))
            loo[i] = np.prod(others[sel])
        return (np.broadcast_to(kept(G, x.ndim, axis, keepdims), x.shape) * loo,)

    out = fn(tc.Tensor(x))
    G = data.draw(arrays(out.shape, "real"), label="G")
    check_op(Case(fn, ("real",), closed), {"x": x}, G)
    # NOTE: along a direction U through zeros, h of check_second_order can be a polynomial of
    # high degree whose derivative is exactly 0 (the engine's answer) while the central
    # difference is off by O(ε² h‴); a shorter U and x halved keep that inside the tolerance
    V = data.draw(arrays(x.shape, "real"), label="V")
    U = data.draw(arrays(x.shape, "real"), label="U") / 3
    check_second_order(fn, {"x": x}, G, {"x": V}, {"x": U})
    check_float32(fn, {"x": x}, G)


@pytest.mark.parametrize("name", ["var", "std"])
@given(data=st.data())
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy: an empty input gives nan
def test_var_std(name, data):
    x, axis, keepdims = draw_reduction(data, min_side=0)
    n = count(x.shape, axis)
    ddof = data.draw(st.integers(0, max(n - 1, 0)), label="ddof")
    fn = lambda t: getattr(R, name)(t, axis=axis, ddof=ddof, keepdims=keepdims)  # noqa: E731
    out = getattr(np, name)(x, axis=axis, ddof=ddof, keepdims=keepdims)
    np.testing.assert_allclose(fn(tc.Tensor(x)).data, out, rtol=1e-12)
    if name == "std" and np.min(out, initial=np.inf) < 1e-3:
        return  # std is not differentiable at 0 (one reduced element): its own test below
    centred = x - np.mean(x, axis=reduced_axes(x.ndim, axis) or None, keepdims=True)

    def closed(G, x_, out_):
        scale = 2.0 if name == "var" else 1.0 / kept(out, x.ndim, axis, keepdims)
        return (np.broadcast_to(kept(G, x.ndim, axis, keepdims), x.shape) * centred * scale
                / (n - ddof),)

    check_all(fn, {"x": x}, data, closed)


@given(data=st.data())
def test_cumsum(data):
    x = data.draw(arrays(shapes(0, 3, 4, min_side=0), "real"), label="x")
    axis = data.draw(st.one_of(st.none(), st.integers(-max(x.ndim, 1), max(x.ndim, 1) - 1)),
                     label="axis")
    fn = lambda t: R.cumsum(t, axis=axis)  # noqa: E731
    np.testing.assert_allclose(fn(tc.Tensor(x)).data, np.cumsum(x, axis=axis), rtol=1e-13)

    def closed(G, x_, out_):  # dJ/dx_i = Σ_{k≥i} G_k
        if axis is None or x.ndim == 0:
            return (np.cumsum(np.ravel(G)[::-1])[::-1].reshape(x.shape),)
        return (np.flip(np.cumsum(np.flip(G, axis), axis=axis), axis),)

    check_all(fn, {"x": x}, data, closed)


@pytest.mark.parametrize("fn", [
    lambda t: R.max(t, axis=1), lambda t: R.min(t, axis=1), lambda t: R.prod(t, axis=0),
    lambda t: R.prod(t), lambda t: R.var(t, axis=1), lambda t: R.std(t, axis=0, keepdims=True),
    lambda t: R.var(t), lambda t: R.cumsum(t, axis=0), lambda t: R.cumsum(t)])
def test_empty_inputs_get_empty_gradients(fn):
    x = tc.Tensor(np.ones((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: mean of an empty slice
        fn(x).sum().backward()
    assert x.grad.shape == (0, 3)


# ---- conventions -----------------------------------------------------------------------------
def grad_of(fn: Any, x: Any, dtype: Any = np.float64) -> np.ndarray:
    t = tc.Tensor(np.asarray(x, dtype=dtype), requires_grad=True)
    fn(t).sum().backward()
    return t.grad


def hessian(fn: Any, x: Any) -> np.ndarray:
    """∂²fn/∂x_i∂x_j by differentiating the recorded backward pass once per i."""
    t = tc.Tensor(np.asarray(x, dtype=float), requires_grad=True)
    (g,) = tc.grad(fn(t), [t], create_graph=True)
    rows = []
    for i in range(t.size):
        (h,) = tc.grad(g.reshape(-1)[i], [t], retain_graph=True)
        rows.append(np.ravel(getattr(h, "data", h)))
    return np.array(rows)


def test_tied_extrema_share_the_gradient_equally():
    """k tied maxima get g/k each (HIPS autograd's and tinygrad's convention)."""
    np.testing.assert_array_equal(grad_of(R.max, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
    np.testing.assert_array_equal(grad_of(R.min, [2.0, -1.0, -1.0, -1.0]) * 3, [0, 1, 1, 1])
    np.testing.assert_array_equal(grad_of(lambda t: R.max(t, axis=1), [[1.0, 1.0], [2.0, 0.0]]),
                                  [[0.5, 0.5], [1.0, 0.0]])
    g32 = grad_of(R.max, [1.0, 3.0, 3.0], np.float32)
    assert g32.dtype == np.float32
    np.testing.assert_array_equal(g32, [0.0, 0.5, 0.5])


def test_prod_is_exact_with_one_and_with_two_zeros():
    """d/dx_i Π x = Π_{j≠i} x_j, not out/x_i (0/0): first and second derivatives."""
    np.testing.assert_array_equal(grad_of(R.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])
    np.testing.assert_array_equal(grad_of(R.prod, [0.0, 2.0, 0.0]), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(grad_of(lambda t: R.prod(t, axis=1), [[2.0, 0.0, 3.0],
                                                                       [1.0, 2.0, 3.0]]),
                                  [[0.0, 6.0, 0.0], [6.0, 3.0, 2.0]])
    g32 = grad_of(R.prod, [2.0, 0.0, 3.0], np.float32)
    assert g32.dtype == np.float32
    # ∂²/∂x_i∂x_j Π x = Π_{k≠i,j} x_k (0 on the diagonal)
    np.testing.assert_array_equal(hessian(R.prod, [2.0, 0.0, 3.0]),
                                  [[0, 3, 0], [3, 0, 2], [0, 2, 0]])
    np.testing.assert_array_equal(hessian(R.prod, [0.0, 2.0, 0.0]),
                                  [[0, 0, 2], [0, 0, 0], [2, 0, 0]])
    np.testing.assert_array_equal(hessian(R.prod, [2.0, 5.0, 3.0]),
                                  [[0, 3, 5], [3, 0, 2], [5, 2, 0]])


def test_std_at_a_constant_input_has_gradient_zero():
    """std is not differentiable where it is 0; 0 is the subgradient taken (first and second
    order), while a non-constant row beside it gets its usual gradient."""
    np.testing.assert_array_equal(grad_of(R.std, [2.0, 2.0, 2.0]), [0.0, 0.0, 0.0])
    g = grad_of(lambda t: R.std(t, axis=1), [[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [-0.5, 0.5]], rtol=1e-15)
    np.testing.assert_array_equal(hessian(R.std, [2.0, 2.0]), np.zeros((2, 2)))
    # np.std of three 0.1 is 1.4e-17, not 0: the input is constant all the same
    np.testing.assert_array_equal(grad_of(R.std, np.full(3, 0.1)), np.zeros(3))
    g32 = grad_of(R.std, np.full(3, 0.1, np.float32), np.float32)
    assert g32.dtype == np.float32
    np.testing.assert_array_equal(g32, np.zeros(3))


def test_var_and_std_refuse_a_gradient_when_n_minus_ddof_is_not_positive():
    x = tc.Tensor(np.ones((2, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: degrees of freedom <= 0
        for fn in (R.var, R.std):
            out = fn(x, axis=1, ddof=3)
            with pytest.raises(ValueError, match=r"(var|std): tensor \(2, 3\), axis=1, ddof=3: "
                                                 r"n − ddof = 3 − 3 <= 0"):
                out.sum().backward()


@given(data=st.data())
def test_argmax_argmin_are_constant_tensors_equal_to_numpy(data):
    x = data.draw(arrays(shapes(0, 3, 4), "real"), label="x")
    axis = None if x.ndim == 0 else data.draw(st.one_of(st.none(), st.integers(-x.ndim,
                                                                                x.ndim - 1)))
    keepdims = data.draw(st.booleans(), label="keepdims")
    t = tc.Tensor(x, requires_grad=True)
    for name in ("argmax", "argmin"):
        got = getattr(R, name)(t, axis=axis, keepdims=keepdims)
        assert isinstance(got, tc.Tensor) and not got.requires_grad and got.op is None
        expected = getattr(np, name)(x, axis=axis, keepdims=keepdims)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.data, expected)
        np.testing.assert_array_equal(getattr(R, name)(x, axis=axis).data,
                                      getattr(np, name)(x, axis=axis))


def test_argmax_of_an_empty_tensor_raises_naming_it():
    with pytest.raises(ValueError, match=r"^argmax: tensor \(0,\), axis=None: "):
        R.argmax(tc.Tensor(np.ones(0)))


# ---- the two fixes ---------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, None, (0, 1)])
def test_mean_of_an_empty_input_has_an_empty_gradient(axis):
    """Before the fix MEAN's VJP divided by a.size = 0 (ZeroDivisionError)."""
    x = tc.Tensor(np.ones((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy: mean of an empty slice
        x.mean(axis=axis).sum().backward()
    assert x.grad.shape == (0, 3)
    np.testing.assert_array_equal(R.mean(tc.Tensor([2.0, 4.0]), axis=0).data, 3.0)


@pytest.mark.parametrize("fn, expected", [
    (lambda t: t.sum(axis=-1), 1.0), (lambda t: t.sum(axis=0), 1.0),
    (lambda t: R.sum(t, axis=-1, keepdims=True), 1.0),
    (lambda t: R.max(t, axis=-1), 1.0), (lambda t: R.min(t, axis=0), 1.0),
    (lambda t: R.prod(t, axis=-1), 1.0), (lambda t: R.prod(t, axis=0, keepdims=True), 1.0),
    (lambda t: R.cumsum(t, axis=-1), 1.0), (lambda t: R.cumsum(t, axis=0), 1.0),
    (lambda t: R.cumsum(t), 1.0)])
def test_axis_0_or_minus_1_on_a_0d_value(fn, expected):
    """numpy takes axis 0 and -1 on a 0-d array; before the fix backward refused axis -1."""
    x = tc.Tensor(2.0, requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.shape == () and x.grad == expected


def test_mean_var_std_with_an_axis_on_a_0d_value_raise_as_numpy():
    """np.mean/var/std refuse any axis on a 0-d array (unlike np.sum): the error names the op."""
    for fn in (R.mean, R.var, R.std):
        with pytest.raises(ValueError, match=r"^(mean|var|std): tensor \(\), axis=-1"):
            fn(tc.Tensor(2.0, requires_grad=True), axis=-1)
    with pytest.raises(ValueError, match=r"axis 1 is out of range for a 0-D tensor"):
        R.sum(tc.Tensor(2.0, requires_grad=True), axis=1)


# ---- ports: HIPS autograd's tests/test_numpy.py (shapes, values, check_grads to order 2) -----
def closed_form(name: str, x: np.ndarray, axis: Any = None, keepdims: bool = False,
                ddof: int = 0) -> Any:
    """The closed form of each op, for check_op: (G, x, out) -> (dJ/dx,)."""
    out = (np.cumsum(x, axis=axis) if name == "cumsum" else
           getattr(np, name)(x, axis=axis, keepdims=keepdims, **({"ddof": ddof} if name in (
               "var", "std") else {})))
    n = count(x.shape, axis)
    centred = x - np.mean(x, axis=reduced_axes(x.ndim, axis) or None, keepdims=True)

    def closed(G, x_, out_):
        if name == "cumsum":
            if axis is None:
                return (np.cumsum(np.ravel(G)[::-1])[::-1].reshape(x.shape),)
            return (np.flip(np.cumsum(np.flip(G, axis), axis=axis), axis),)
        Gk = np.broadcast_to(kept(G, x.ndim, axis, keepdims), x.shape)
        o = kept(out, x.ndim, axis, keepdims)
        local = {"max": lambda: x == o, "min": lambda: x == o, "prod": lambda: o / x,
                 "var": lambda: 2 * centred / (n - ddof),
                 "std": lambda: centred / ((n - ddof) * o)}[name]()
        return (Gk * local,)
    return closed


def op_fn(name: str, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    if name == "cumsum":
        return lambda t: R.cumsum(t, axis=axis)
    if name in ("var", "std"):
        return lambda t: getattr(R, name)(t, axis=axis, ddof=ddof, keepdims=keepdims)
    return lambda t: getattr(R, name)(t, axis=axis, keepdims=keepdims)


HIPS_CASES = [  # (op, shape, axis, keepdims, ddof, values from randn r)
    ("max", (10, 11), None, False, 0, "r"), ("max", (3, 4, 5), 1, False, 0, "r"),
    ("max", (3, 4, 5), 1, True, 0, "r"), ("min", (10, 11), None, False, 0, "r"),
    ("min", (3, 4, 5), 1, False, 0, "r"), ("min", (3, 4, 5), 1, True, 0, "r"),
    ("prod", (2, 3), None, False, 0, "r**2/10+0.1"), ("prod", (2, 3), 0, False, 0, "r**2+0.1"),
    ("prod", (2, 3), 0, True, 0, "r**2+0.1"), ("prod", (7,), None, False, 0, "r**2+0.1"),
    ("cumsum", (10, 11), 0, False, 0, "r"), ("cumsum", (10, 11), 1, False, 0, "r"),
    ("cumsum", (10,), None, False, 0, "r"), ("cumsum", (10, 11), None, False, 0, "r"),
] + [  # test_var_ddof and test_std_ddof: combo_check over B (3,), C (3, 4), D (1, 3)
    (name, shape, None, keepdims, ddof, "r") for name in ("var", "std")
    for shape in ((3,), (3, 4), (1, 3)) for keepdims in (True, False) for ddof in (0, 1)
] + [
    (name, shape, axis, keepdims, 2, "r") for name in ("var", "std") for shape in ((3, 4), (1, 3))
    for axis in (None, 1) for keepdims in (True, False)
]


@pytest.mark.parametrize("name, shape, axis, keepdims, ddof, values", HIPS_CASES)
@settings(max_examples=FEW)
@given(data=st.data())
def test_hips_autograd_cases(name, shape, axis, keepdims, ddof, values, data):
    """HIPS autograd's test_max/min(_axis, _keepdims), test_prod_1..4, test_cumsum_*,
    test_var_ddof, test_std_ddof: their shapes and value draws (randn, prod's r²+0.1), and
    their method, check_grads to order 2 (our check_all: finite differences, then the VJP of
    the VJP in a random direction)."""
    # randn has no ties (nor a constant row) almost surely; hypothesis draws them, so max, min
    # and std take distinct values
    r = distinct(data, shape) if name in ("max", "min", "std") else data.draw(arrays(shape, "real"),
                                                                       label="r")
    x = eval(values, {"r": r})  # noqa: S307  (one of the fixed expressions above)
    check_all(op_fn(name, axis, keepdims, ddof), {"x": x}, data,
              closed_form(name, x, axis, keepdims, ddof))


@pytest.mark.parametrize("x0", [1.0, -1.0])
def test_hips_autograd_tied_extrema(x0):
    """HIPS autograd's test_max_equal_values(_2d) and test_min_3_way_equality: one variable
    x placed several times, so the tied copies' shares add back up (d/dx max(x, x) = 1)."""
    def arr(rows: list[list[Any]], t: Any) -> Any:
        return stack([stack([t if v == "x" else tc.Tensor(v) for v in row]) for row in rows])

    cases = [
        (lambda t: R.max(stack([t, t])), 1.0),
        (lambda t: R.max(arr([["x", "x"], ["x", 0.5]], t), axis=1), 1.0 + (x0 > 0.5)),
        (lambda t: R.min(arr([["x", "x", "x"], ["x", 0.5, 0.5], [0.5, 0.5, 0.5],
                              ["x", "x", 0.5]], t), axis=0), None),
    ]
    for fn, expected in cases:
        shape = np.shape(fn(tc.Tensor(x0)).data)
        G = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
        check_op(Case(fn, ("real",), None), {"x": np.array(x0)}, G)
        if expected is not None:
            total = engine_gradients(lambda x, fn=fn: fn(x).sum(), {"x": np.array(x0)})["x"]
            assert total == expected


# ---- ports: tinygrad's test/test_ops.py (shapes, axes, values uniform in [-2, 2]) ---------
def check_directional(fn: Any, x: np.ndarray, closed: Any, rng: np.random.Generator) -> None:
    """For shapes too large for elementwise finite differences (tinygrad's (15, 25, 35)): the
    closed form, then finite differences along one random direction (first and second order),
    and float32 kept."""
    out = fn(tc.Tensor(x))
    G = rng.uniform(-1, 1, out.shape)
    got = engine_gradients(lambda x: (fn(x) * G).sum(), {"x": x})["x"]
    np.testing.assert_allclose(got, closed(G, x, None)[0], rtol=1e-10, atol=1e-12)
    U = rng.uniform(-1, 1, x.shape)
    eps = 1e-6
    loss = lambda v: float(np.sum(np.asarray(fn(v)) * G))  # noqa: E731
    fd = (loss(x + eps * U) - loss(x - eps * U)) / (2 * eps)
    assert abs(fd - np.sum(got * U)) <= TOL["finite_diff"] * (abs(fd) + 1) * 10, (fd, got)
    check_second_order(fn, {"x": x}, G, {"x": rng.uniform(-1, 1, x.shape)}, {"x": U})
    check_float32(fn, {"x": x}, G)


TINYGRAD_CASES = [  # (op, shape, axis, keepdims, ddof); tinygrad's correction is our ddof
    ("max", (45, 3), None, False, 0), ("max", (3, 4, 5, 6), 1, False, 0),
    ("max", (), None, False, 0), ("min", (3, 3), None, False, 0), ("min", (45, 3), None, False, 0),
    ("min", (), None, False, 0),
    ("prod", (3, 4, 5, 6), 3, False, 0), ("prod", (3, 4, 5, 6), 1, False, 0),
    ("prod", (3, 4, 5, 6), 1, True, 0), ("prod", (), None, False, 0), ("prod", (), 0, False, 0),
    ("prod", (), -1, False, 0),
    ("cumsum", (10,), 0, False, 0), ("cumsum", (20,), 0, False, 0),
    ("cumsum", (20, 30), 0, False, 0),
    ("cumsum", (20, 30), 1, False, 0), ("cumsum", (20, 30, 40), 2, False, 0),
    ("cumsum", (20, 30, 40), -1, False, 0), ("cumsum", (), 0, False, 0),
] + [  # test_var/std(_axis, _keepdim): (15, 25, 35), correction 1 (torch's default), 0, 5
    (name, (15, 25, 35), axis, keepdims, ddof) for name in ("var", "std")
    for axis, keepdims, ddof in [(None, False, 1), (None, False, 0), (None, False, 5),
                                 (0, False, 1), (2, False, 1), ((1, 2), False, 1), (0, False, 0),
                                 (2, False, 0), ((1, 2), False, 0), (None, True, 1),
                                 (0, True, 0)]
] + [  # test_var/std_one_in_axis: the cases with a gradient (n − ddof > 0, std > 0)
    ("var", (1,), (0,), False, 0), ("var", (1, 2, 3, 1, 5), (0, 3), False, 0),
    ("var", (1, 2, 3, 1, 5), (0, 4), False, 1), ("var", (1, 2, 3, 1, 5), (0, 4), False, 0),
    ("std", (1, 2, 3, 1, 5), (0, 4), False, 1), ("std", (1, 2, 3, 1, 5), (0, 4), False, 0),
]


@pytest.mark.parametrize("name, shape, axis, keepdims, ddof", TINYGRAD_CASES)
def test_tinygrad_cases(name, shape, axis, keepdims, ddof):
    rng = np.random.default_rng(abs(hash((name, shape, str(axis), keepdims, ddof))) % 2**32)
    x = rng.uniform(-2, 2, shape)
    fn = op_fn(name, axis, keepdims, ddof)
    np.testing.assert_allclose(fn(tc.Tensor(x)).data, np.asarray(fn(x)), rtol=1e-12)
    check_directional(fn, x, closed_form(name, x, axis, keepdims, ddof), rng)


def test_tinygrad_ties_and_degenerate_axes():
    """tinygrad's test_max with vals [[1, 1, 0, 1]] (three tied maxima get 1/3 each, times the
    0.5 of .mul(0.5)); test_var/std_zero_in_axis (an empty input, empty gradient); and
    test_std_one_in_axis with correction 0 (std 0: gradient 0, our convention)."""
    np.testing.assert_allclose(grad_of(lambda t: R.max(t) * 0.5, [[1.0, 1.0, 0.0, 1.0]]),
                               [[1 / 6, 1 / 6, 0.0, 1 / 6]], rtol=1e-15)
    for fn in (R.var, R.std):
        x = tc.Tensor(np.ones((1, 0, 3, 0, 5)), requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for ddof in (0, 1, 5):
                fn(x, axis=(1, 3), ddof=ddof).sum().backward()
        assert x.grad.shape == (1, 0, 3, 0, 5)
    x = np.random.default_rng(0).uniform(-2, 2, (1, 2, 3, 1, 5))
    np.testing.assert_array_equal(grad_of(lambda t: R.std(t, axis=(0, 3)), x), np.zeros(x.shape))
