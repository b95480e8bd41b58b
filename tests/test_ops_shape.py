"""Shape and indexing ops (getitem and its scatter index_add, concatenate, stack, split,
expand_dims, squeeze, repeat, tile, pad, transpose with negative axes): central finite
differences, the closed form where there is one, a second derivative through
grad(create_graph=True), float32 kept, and 0-d, empty and broadcast shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from test_ops import TOL, Case, check_op

import tinygrad_course as tc
from tinygrad_course import ops
from tinygrad_course.testing import arrays, shapes

EPS = 1e-6
FEW = 8  # examples for a parametrized case of fixed shapes: only the values are drawn
EPS2 = 1e-5  # the second-order check's step: h is at most cubic in x, rounding dominates


# ---- shared checks (also imported by test_ops_linalg.py) -----------------------------------
def check_second_order(fn: Callable[..., Any], values: dict[str, np.ndarray],
                       G: np.ndarray, V: dict[str, np.ndarray], U: dict[str, np.ndarray]) -> None:
    """h(x) = Σ_k V_k · dL/dx_k with L = Σ G · fn(x)² (squared, so that the second derivative
    of a linear op is not 0): dh/dx by differentiating the recorded backward pass
    (grad(create_graph=True)), against central differences of h along a random direction U,
    (h(x + εU) − h(x − εU)) / 2ε = Σ_k U_k · dh/dx_k: HIPS autograd's check_grads(order=2)
    (a VJP of the VJP, checked in a random direction)."""
    def h(xs: dict[str, Any], record: bool) -> Any:
        ts = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in xs.items()}
        out = fn(*ts.values())
        grads = tc.grad((out * out * G).sum(), list(ts.values()), create_graph=record)
        total = sum((g * V[k]).sum() for k, g in zip(ts, grads))
        if not record:
            return float(total.data)
        second = tc.grad(total, list(ts.values())) if total.requires_grad else [
            np.zeros_like(v) for v in xs.values()]
        return sum(float(np.sum(np.asarray(getattr(s, "data", s)) * U[k]))
                   for k, s in zip(ts, second))

    got = h(values, record=True)
    plus = h({k: v + EPS2 * U[k] for k, v in values.items()}, record=False)
    minus = h({k: v - EPS2 * U[k] for k, v in values.items()}, record=False)
    fd = (plus - minus) / (2 * EPS2)
    assert abs(got - fd) <= TOL["finite_diff"] * (abs(got) + abs(fd)) + 1e-7 * (
        1 + abs(plus) + abs(minus)), (got, fd)


def check_float32(fn: Callable[..., Any], values: dict[str, np.ndarray], G: np.ndarray) -> None:
    """float32 in, float32 out and float32 gradients, first and second order."""
    ts = [tc.Tensor(v.astype(np.float32), requires_grad=True) for v in values.values()]
    out = fn(*ts)
    assert out.dtype == np.float32
    G32 = np.asarray(G, dtype=np.float32)
    for create_graph in (False, True):
        grads = tc.grad((out * out * G32).sum(), ts, create_graph=create_graph,
                        retain_graph=True)
        assert all(g.dtype == np.float32 for g in grads), [g.dtype for g in grads]
    second = tc.grad(sum((g * g).sum() for g in grads), ts)
    assert all(g.dtype == np.float32 for g in second), [g.dtype for g in second]


def check_all(fn: Callable[..., Any], values: dict[str, np.ndarray], data: Any,
              closed: Callable[..., tuple[Any, ...]] | None = None) -> None:
    """First order (finite differences, closed form), second order and float32 for fn."""
    out = fn(*[tc.Tensor(v) for v in values.values()])
    G = data.draw(arrays(out.shape, "real"), label="G")
    check_op(Case(fn, ("real",) * len(values), closed), values, G)
    V = {k: data.draw(arrays(v.shape, "real"), label=f"V_{k}") for k, v in values.items()}
    U = {k: data.draw(arrays(v.shape, "real"), label=f"U_{k}") for k, v in values.items()}
    check_second_order(fn, values, G, V, U)
    check_float32(fn, values, G)


# ---- transpose with negative axes ------------------------------------------------------------
@given(data=st.data())
def test_transpose_takes_negative_axes(data):
    x = data.draw(arrays(shapes(1, 3, 3), "real"), label="x")
    perm = data.draw(st.permutations(range(x.ndim)), label="perm")
    axes = tuple(ax - data.draw(st.sampled_from([0, x.ndim]), label="shift") for ax in perm)
    check_all(lambda t: t.transpose(axes), {"x": x}, data,
              lambda G, x_, out: (np.transpose(G, np.argsort(np.array(axes) % x.ndim)),))




# ---- getitem ---------------------------------------------------------------------------------
def scattered(x: np.ndarray, index: Any, G: np.ndarray) -> np.ndarray:
    """dX by hand: zeros with dZ added where each element was picked (np.add.at)."""
    dx = np.zeros_like(x)
    np.add.at(dx, index, G)
    return dx


@given(data=st.data())
def test_getitem_basic_indices(data):
    """ints (negative too), slices with any step, ..., None, on 0-d, empty and small shapes."""
    x = data.draw(arrays(shapes(0, 3, 4, min_side=0), "real"), label="x")
    index = data.draw(hnp.basic_indices(x.shape, allow_newaxis=True), label="index")
    np.testing.assert_array_equal(ops.getitem(tc.Tensor(x), index).data, x[index])
    check_all(lambda t: ops.getitem(t, index), {"x": x}, data,
              lambda G, x_, out: (scattered(x, index, G),))


ARRAY_SHAPES = [(), (2,), (3,), (2, 2), (0,)]


@st.composite
def mixed_indices(draw: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """(index for the engine, the same index in numpy's terms): per axis an int, a slice, or an
    integer array given as an ndarray, a list or a Tensor (floats, as Tensor([0, 2]) holds),
    with repeats and negative entries; then maybe fewer axes, a None and an ellipsis."""
    picked = draw(st.sampled_from(ARRAY_SHAPES), label="array index shape")
    engine, plain = [], []
    for side in shape:
        kind = draw(st.sampled_from(["int", "slice", "array", "list", "tensor"]))
        if side == 0 or kind == "slice":
            s = draw(st.slices(side))
            engine.append(s)
            plain.append(s)
        elif kind == "int":
            i = draw(st.integers(-side, side - 1))
            engine.append(i)
            plain.append(i)
        else:
            a = draw(hnp.arrays(np.intp, picked, elements=st.integers(-side, side - 1)))
            engine.append(a if kind == "array" else a.tolist() if kind == "list"
                          else tc.Tensor(a.astype(np.float64)))
            plain.append(a)
    if draw(st.booleans(), label="ellipsis"):  # ... stands for a run of axes (maybe none)
        at = draw(st.integers(0, len(shape)))
        end = draw(st.integers(at, len(shape)))
        engine[at:end], plain[at:end] = [Ellipsis], [Ellipsis]
    else:  # the last axes may be left out
        keep = draw(st.integers(0, len(shape)))
        engine, plain = engine[:keep], plain[:keep]
    if draw(st.booleans(), label="new axis"):
        at = draw(st.integers(0, len(engine)))
        engine.insert(at, None)
        plain.insert(at, None)
    return tuple(engine), tuple(plain)


@given(data=st.data())
def test_getitem_mixed_and_integer_array_indices(data):
    """Integer arrays (repeated entries accumulate in dX), lists and Tensors as indices, mixed
    with ints, slices, None and ... (X[:, idx] picks a mini-batch)."""
    x = data.draw(arrays(shapes(1, 3, 3, min_side=0), "real"), label="x")
    index, plain = data.draw(mixed_indices(x.shape), label="index")
    np.testing.assert_array_equal(ops.getitem(tc.Tensor(x), index).data, x[plain])
    check_all(lambda t: ops.getitem(t, index), {"x": x}, data,
              lambda G, x_, out: (scattered(x, plain, G),))


@given(data=st.data())
def test_getitem_boolean_masks(data):
    x = data.draw(arrays(shapes(1, 3, 3, min_side=0), "real"), label="x")
    k = data.draw(st.integers(1, x.ndim), label="mask axes")
    start = data.draw(st.integers(0, x.ndim - k), label="first masked axis")
    mask = data.draw(hnp.arrays(np.bool_, x.shape[start:start + k]), label="mask")
    index = (slice(None),) * start + (mask,)
    np.testing.assert_array_equal(ops.getitem(tc.Tensor(x), index).data, x[index])
    check_all(lambda t: ops.getitem(t, index), {"x": x}, data,
              lambda G, x_, out: (scattered(x, index, G),))


# indices from HIPS autograd test_numpy.py (test_index_ints, test_index_slice,
# test_index_lists, test_index_mixed, test_vector_slice, test_multi_index, test_multi_index2)
# and tinygrad test_ops.py (slicing with None, negative steps and fancy indexing)
AUTOGRAD_INDICES = [
    ((5, 6, 4), (3, 0, 1)), ((5, 6, 4), (slice(None, None, -1), slice(2, 4), slice(None))),
    ((5, 6, 4), ([0, 1, 2], slice(None), slice(None))), ((5, 6, 4), (3, slice(2, None), [1, 3])),
    ((5,), slice(2, 4)), ((3,), [0, 0]), ((3,), [0, 1, 0]),
    ((3, 3, 3), (None, slice(None), 1, None, slice(None, None, -2))),
    ((4, 3), (Ellipsis, [2, 0, 2])), ((3, 4), ([[0], [2]], [1, 3, 3])),
    # tinygrad test_slice_with_none, test_slice_one_endpoint_out_of_bounds,
    # test_slice_stride_gt_one ((7, 5, 10) made smaller), test_slice_start_gt_end,
    # test_slice_ellipsis, test_slice_fancy_indexing_with_tensors,
    # test_slice_fancy_indexing_dim_inject_and_collapse ((2, 5, 6, 5, 3, 4) made smaller)
    ((3, 3, 3), (None, None, 1, None, 2, slice(0, 2))),
    ((3, 3, 3), (slice(1, 50), slice(1, 2), -1)),
    ((5, 4, 6), (slice(1, 5, 2), None, None, 3, None, slice(None, None, 4))),
    ((3, 3, 3), slice(-2, -5)), ((3, 3, 3, 3), (None, slice(0, 3), Ellipsis, 0, None)),
    ((2, 3), (tc.Tensor([[0, 1, -1], [-1, -2, 0]]), tc.Tensor([2, 1, -1]))),
    ((2, 3, 3, 3, 2), (1, [0, 2], None, [1, 1], 1)),
]


@pytest.mark.parametrize("shape, index", AUTOGRAD_INDICES)
@settings(max_examples=FEW)
@given(data=st.data())
def test_getitem_cases_from_peers(shape, index, data):
    x = data.draw(arrays(shape, "real"), label="x")
    plain = tuple(np.asarray(c) if isinstance(c, list) else
                  c.data.astype(np.intp) if isinstance(c, tc.Tensor) else c
                  for c in (index if isinstance(index, tuple) else (index,)))
    check_all(lambda t: ops.getitem(t, index), {"x": x}, data,
              lambda G, x_, out: (scattered(x, plain, G),))


@settings(max_examples=FEW)
@given(data=st.data())
def test_slices_of_slices_and_fan_out(data):
    """HIPS autograd test_index_slice_fanout, test_index_multiple_slices,
    test_index_dot_slices: one tensor picked from twice, and a slice sliced again."""
    x = data.draw(arrays((5, 6, 4), "real"), label="x")
    fan = lambda t: (ops.getitem(t, (slice(None, None, -1), slice(2, 4)))  # noqa: E731
                     + ops.getitem(t, (slice(None, None, -1), slice(3, 5))))
    check_all(fan, {"x": x}, data)
    v = data.draw(arrays((7,), "real"), label="v")
    check_all(lambda t: ops.getitem(ops.getitem(t, slice(2, 6)), slice(1, 3)), {"v": v}, data)
    w = data.draw(arrays((4,), "real"), label="w")
    check_all(lambda t: ops.getitem(t, slice(None, 2)) @ ops.getitem(t, slice(2, None)),
              {"w": w}, data)


@given(data=st.data())
def test_getitem_gradient_is_summed_back_over_broadcasting(data):
    """A picked row (1, 3) times a column (4, 1): dX sums the broadcast copies, then scatters."""
    x = data.draw(arrays((2, 3), "real"), label="x")
    col = data.draw(arrays((4, 1), "real"), label="col")
    fn = lambda t, c: ops.getitem(t, ([1], slice(None))) * c  # noqa: E731
    G = data.draw(arrays((4, 3), "real"), label="G")
    closed = lambda G_, x_, c_, out: (  # noqa: E731
        scattered(x, ([1], slice(None)), (G * col).sum(axis=0, keepdims=True)),
        (G * x[[1]]).sum(axis=1, keepdims=True))
    check_op(Case(fn, ("real", "real"), closed), {"x": x, "col": col}, G)


def test_an_index_tensor_gets_no_gradient():
    x = tc.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    idx = tc.Tensor([2.0, 2.0, 0.0], requires_grad=True)
    ops.getitem(x, (slice(None), idx)).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 0, 2], [1, 0, 2]])
    assert idx.grad is None
    x.grad = None
    ops.getitem(x, x > 2.5).sum().backward()  # a comparison gives a boolean Tensor: a mask
    np.testing.assert_array_equal(x.grad, [[0, 0, 0], [1, 1, 1]])


def named(shape: tuple[int, ...], name: str) -> tc.Tensor:
    return tc.Tensor(np.ones(shape), requires_grad=True, name=name)


@pytest.mark.parametrize("index, message", [
    ((3,), r"^getitem: X \(3, 4\): index 3 is out of range for axis 0 of size 3$"),
    ((0, -5), r"^getitem: X \(3, 4\): index -5 is out of range for axis 1 of size 4$"),
    ((slice(None), [0, 4]), r"^getitem: X \(3, 4\): index 4 is out of range for axis 1 of size 4"),
    ((0, 0, 0), r"^getitem: X \(3, 4\): too many indices: 3 for a 2-D tensor$"),
    ((Ellipsis, 0, Ellipsis), r"^getitem: X \(3, 4\): an index can have only one ellipsis"),
    (np.array([True, False]), r"^getitem: X \(3, 4\): boolean mask of shape \(2,\) does not "
                              r"match axes 0..0 of shape \(3,\)"),
    (np.array([0.5]), r"^getitem: X \(3, 4\): cannot index with array \(1,\) of dtype float64"),
    (tc.Tensor([0.5]), r"^getitem: X \(3, 4\): cannot index with array \(1,\) of dtype float64"),
])
def test_index_errors_name_the_op_the_tensor_and_its_shape(index, message):
    with pytest.raises(IndexError, match=message):
        ops.getitem(named((3, 4), "X"), index)


def test_other_index_errors():
    """tinygrad test_slice_errors: a zero step, and slicing a 0-d tensor."""
    with pytest.raises(ValueError, match=r"^getitem: X \(3, 4\), index=\(slice\(None, None, 0\), "
                                         r"1\): slice step cannot be zero"):
        ops.getitem(named((3, 4), "X"), (slice(None, None, 0), 1))
    with pytest.raises(IndexError, match=r"^getitem: s \(\): too many indices: 1 for a 0-D"):
        ops.getitem(named((), "s"), slice(None))


def test_index_add_checks_its_index():
    with pytest.raises(IndexError, match=r"^index_add: shape \(3,\): index 3 is out of range "
                                         r"for axis 0 of size 3$"):
        ops.index_add(np.ones(2), (3,), [0, 3])


@given(data=st.data())
def test_index_add_scatters_and_its_gradient_is_getitem(data):
    shape = data.draw(shapes(1, 3, 3), label="shape")
    index, plain = data.draw(mixed_indices(shape), label="index")
    g = data.draw(arrays(np.zeros(shape)[plain].shape, "real"), label="g")
    np.testing.assert_array_equal(ops.index_add(tc.Tensor(g), shape, index).data,
                                  scattered(np.zeros(shape), plain, g))
    check_all(lambda t: ops.index_add(t, shape, index), {"g": g}, data,
              lambda G, g_, out: (G[plain],))


# ---- split, concatenate, stack ---------------------------------------------------------------
@st.composite
def joinable(draw: Any, same_shape: bool) -> tuple[list[np.ndarray], int]:
    """1-3 arrays that concatenate (sizes along ``axis`` differ, 0 included) or stack."""
    base = list(draw(shapes(0 if same_shape else 1, 3, 3), label="shape"))
    n = draw(st.integers(1, 3), label="how many")
    ndim_out = len(base) + (1 if same_shape else 0)
    axis = draw(st.integers(-ndim_out, ndim_out - 1), label="axis")
    xs = []
    for _ in range(n):
        shape = list(base)
        if not same_shape:
            shape[axis] = draw(st.integers(0, 3))
        xs.append(draw(arrays(tuple(shape), "real")))
    return xs, axis


@given(data=st.data())
def test_concatenate(data):
    xs, axis = data.draw(joinable(same_shape=False), label="inputs")
    values = {f"x{i}": x for i, x in enumerate(xs)}
    cuts = np.cumsum([x.shape[axis] for x in xs])[:-1]
    check_all(lambda *t: ops.concatenate(t, axis=axis), values, data,
              lambda G, *rest: tuple(np.split(G, cuts, axis=axis)))


@given(data=st.data())
def test_stack(data):
    xs, axis = data.draw(joinable(same_shape=True), label="inputs")
    values = {f"x{i}": x for i, x in enumerate(xs)}
    check_all(lambda *t: ops.stack(t, axis=axis), values, data,
              lambda G, *rest: tuple(np.moveaxis(G, axis, 0)))


@pytest.mark.parametrize("axis", [0, 1, None])
@settings(max_examples=FEW)
@given(data=st.data())
def test_concatenate_with_constants(axis, data):
    """HIPS autograd test_concatenate_axis_0/1 and test_simple_concatenate: x between two
    constant arrays B (shapes (5, 6, 4) there, smaller here)."""
    x = data.draw(arrays((3, 2, 2), "real"), label="x")
    B = data.draw(arrays((3, 2, 2), "real"), label="B")
    n = B.size if axis is None else B.shape[axis]
    index = slice(n, 2 * n) if axis is None else _along(axis, slice(n, 2 * n))
    join = lambda t: ops.concatenate((B.astype(t.dtype), t, B.astype(t.dtype)),  # noqa: E731
                                     axis=axis)
    check_all(join, {"x": x}, data,
              lambda G, x_, out: (G[index].reshape(x.shape),))


def _along(axis: int, picked: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (picked,)


# sections from HIPS autograd test_systematic.py::test_split_1d, test_split_2d, test_split_3d
@pytest.mark.parametrize("shape, sections, axis", [
    ((1,), 1, 0), ((7,), 1, 0), ((4, 8), 4, 0), ((4, 8), [1, 2], 0), ((4, 8), 4, 1),
    ((4, 8), [1, 2], 1), ((2, 2, 2), 2, 2), ((2, 2, 2), [1, 2], -1), ((6,), [4, 2, -1], 0),
    ((0, 3), 3, 1),
])
@settings(max_examples=FEW)
@given(data=st.data())
def test_split(shape, sections, axis, data):
    x = data.draw(arrays(shape, "real"), label="x")
    pieces = np.split(x, sections, axis=axis)
    weights = [data.draw(arrays(p.shape, "real"), label="weight") for p in pieces]
    got = ops.split(tc.Tensor(x), sections, axis=axis)
    assert [p.shape for p in got] == [p.shape for p in pieces]
    fn = lambda t: ops.concatenate(  # noqa: E731  every piece, each weighted, in one output
        [ops.reshape(p * w.astype(p.dtype), (-1,))
         for p, w in zip(ops.split(t, sections, axis=axis), weights)])
    check_all(fn, {"x": x}, data)


# tinygrad test_cat (a size 0 along and across the axis) and test_stack (of 0-d tensors)
@pytest.mark.parametrize("join, shapes_, axis", [
    ("concatenate", [(2, 0, 3), (2, 1, 3), (2, 2, 3)], 1), ("concatenate", [(2, 0, 3)] * 3, 0),
    ("stack", [(), ()], 0), ("stack", [(2, 3)] * 3, -1),
])
@settings(max_examples=FEW)
@given(data=st.data())
def test_join_cases_from_peers(join, shapes_, axis, data):
    values = {f"x{i}": data.draw(arrays(s, "real"), label=f"x{i}") for i, s in enumerate(shapes_)}
    check_all(lambda *t: getattr(ops, join)(t, axis=axis), values, data)


def test_join_and_split_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^concatenate: A \(2, 3\), B \(2, 4\), axis=0: "):
        ops.concatenate([named((2, 3), "A"), named((2, 4), "B")])
    with pytest.raises(ValueError, match=r"^stack: A \(2, 3\), B \(3, 2\), axis=0: "):
        ops.stack([named((2, 3), "A"), named((3, 2), "B")])
    with pytest.raises(ValueError, match=r"^split: A \(2, 3\): axis 1 of size 3 does not split "
                                         r"into 2 equal sections"):
        ops.split(named((2, 3), "A"), 2, axis=1)
    with pytest.raises(ValueError, match=r"^split: A \(2, 3\): axis 2 is out of range"):
        ops.split(named((2, 3), "A"), 2, axis=2)
    with pytest.raises(ValueError, match=r"^concatenate: needs at least one tensor"):
        ops.concatenate([])


# ---- expand_dims, squeeze, repeat, tile, pad -----------------------------------------------
@given(data=st.data())
def test_expand_dims_and_squeeze(data):
    """HIPS autograd test_expand_dims, test_squeeze_func: (5, 1, 4), and drawn shapes with
    axes of size 1."""
    x = data.draw(arrays(st.sampled_from([(5, 1, 4)]) | shapes(0, 3, 2, min_side=0), "real"),
                  label="x")
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim), label="expand axis")
    check_all(lambda t: ops.expand_dims(t, axis), {"x": x}, data,
              lambda G, x_, out: (G.reshape(x.shape),))
    ones = tuple(i for i, s in enumerate(x.shape) if s == 1)
    axes = data.draw(st.none() | st.lists(st.sampled_from(ones), unique=True).map(tuple)
                     if ones else st.none(), label="squeeze axes")
    np.testing.assert_array_equal(ops.squeeze(tc.Tensor(x), axes).data, np.squeeze(x, axes))
    check_all(lambda t: ops.squeeze(t, axes), {"x": x}, data,
              lambda G, x_, out: (G.reshape(x.shape),))


# cases from HIPS autograd test_numpy.py::test_repeat, test_repeat_axis1_rep1,
# test_repeat_axis0, test_repeat_1d_axis0, test_repeat_axis0_rep1 ((5, 3, 4) made smaller)
@pytest.mark.parametrize("shape, repeats, axis", [
    ((3, 3, 2), 2, 1), ((3, 3, 2), 1, 1), ((5, 3), 2, 0), ((5,), 2, 0), ((5, 1), 1, 0),
    ((2, 3), 2, None), ((), 3, None), ((3,), [0, 2, 1], 0), ((2, 3), [1, 0, 3], -1),
    ((0, 2), 2, 0),
])
@settings(max_examples=FEW)
@given(data=st.data())
def test_repeat(shape, repeats, axis, data):
    x = data.draw(arrays(shape, "real"), label="x")

    def closed(G, x_, out):
        source = np.repeat(np.arange(x.size if axis is None else x.shape[axis]), repeats)
        dx = np.zeros(x.size if axis is None else x.shape)
        np.add.at(dx, source if axis is None else _along(axis % x.ndim, source), G)
        return (dx.reshape(x.shape),)

    check_all(lambda t: ops.repeat(t, repeats, axis=axis), {"x": x}, data, closed)


# cases from HIPS autograd test_systematic.py::test_tile
@pytest.mark.parametrize("shape, reps", [
    ((2, 1, 3, 1), (1, 4, 1, 2)), ((1, 2), (1, 2)), ((1, 2), (2, 3)), ((1, 2), (3, 2, 1)),
    ((1,), (2,)), ((1,), 2), ((), (2, 3)), ((2, 3), (0, 1)), ((2, 3, 2), (2,)),
])
@settings(max_examples=FEW)
@given(data=st.data())
def test_tile(shape, reps, data):
    x = data.draw(arrays(shape, "real"), label="x")

    def closed(G, x_, out):  # Σ over the copies, one block at a time
        d = max(x.ndim, np.size(reps))
        xs = x.reshape((1,) * (d - x.ndim) + x.shape)
        dx = np.zeros(xs.shape)
        for block in np.ndindex(*np.array(G.shape) // np.maximum(xs.shape, 1)):
            dx += G[tuple(slice(b * s, (b + 1) * s) for b, s in zip(block, xs.shape))]
        return (dx.reshape(x.shape),)

    check_all(lambda t: ops.tile(t, reps), {"x": x}, data, closed)


# widths from HIPS autograd test_systematic.py::test_pad (on R(2, 2), constant mode)
@pytest.mark.parametrize("shape, width", [
    ((2, 2), 0), ((2, 2), 3), ((2, 2), (3,)), ((2, 2), (3, 2)), ((2, 2), ((3, 2),)),
    ((2, 2), ((1, 2), (3, 4))), ((2, 2), ((0, 0), (0, 0))), ((), 2), ((0, 2), 1),
])
@settings(max_examples=FEW)
@given(data=st.data())
def test_pad(shape, width, data):
    x = data.draw(arrays(shape, "real"), label="x")
    value = data.draw(st.floats(-3, 3), label="constant")
    pairs = np.broadcast_to(np.array(width), (x.ndim, 2))
    inside = tuple(slice(lo, lo + n) for (lo, _), n in zip(pairs, x.shape))
    np.testing.assert_array_equal(ops.pad(tc.Tensor(x), width, value).data,
                                  np.pad(x, width, constant_values=value))
    check_all(lambda t: ops.pad(t, width, constant_values=value), {"x": x}, data,
              lambda G, x_, out: (G[inside],))


def test_shape_op_errors_name_the_op():
    with pytest.raises(ValueError, match=r"^pad: A \(2, 2\): only mode='constant' is supported"):
        ops.pad(named((2, 2), "A"), 1, mode="edge")
    with pytest.raises(ValueError, match=r"^pad: A \(2, 2\): pad_width=\(1, 2, 3\) does not"):
        ops.pad(named((2, 2), "A"), (1, 2, 3))
    with pytest.raises(ValueError, match=r"^pad: A \(2, 2\): pad_width=-1 must not be negative"):
        ops.pad(named((2, 2), "A"), -1)
    with pytest.raises(ValueError, match=r"^squeeze: A \(2, 2\), axis=0: "):
        ops.squeeze(named((2, 2), "A"), 0)
    with pytest.raises(ValueError, match=r"^repeat: A \(2, 2\), repeats=\(1, 2, 3\), axis=0: "):
        ops.repeat(named((2, 2), "A"), [1, 2, 3], axis=0)
    with pytest.raises(ValueError, match=r"^tile: A \(2, 2\): reps=\(-1,\) must not be negative"):
        ops.tile(named((2, 2), "A"), -1)
    with pytest.raises(ValueError, match=r"^expand_dims: A \(2, 2\), axis=3: "):
        ops.expand_dims(named((2, 2), "A"), 3)


COVERED = {"getitem", "index_add", "concatenate", "stack", "expand_dims", "squeeze", "repeat",
           "tile", "pad"}
