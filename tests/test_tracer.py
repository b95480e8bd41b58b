"""tc.trace against the eager engine: the replayed J and gradients equal backward()'s on drawn
expression DAGs, on a use of every op of the table and on drawn course networks, at the traced
values and on new ones; the generated source is the engine's own text (it compiles under
``python -W error``, user names reach it only through the strict rule); and whatever would
replay a trace-time value silently raises TraceError at trace time."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import nn, ops
from tinygrad_course.codegen import is_name
from tinygrad_course.graph import topological_order
from tinygrad_course.testing import arrays as drawn_arrays
from tinygrad_course.testing import expressions, networks

TOL = {
    "same": 1e-12,        # traced vs eager: the same numpy calls, rounding at most
    "simplified": 1e-9,   # σ + cost as (A − Y)/m vs the literal two VJPs: reassociated
}


def eager(fn, arrays, wants):
    """J and the gradients of backward() on fresh Tensors."""
    ts = [tc.Tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
    J = fn(*ts)
    J.backward()
    return float(J.item()), [t.grad if w else None for t, w in zip(ts, wants)]


def assert_matches(traced, fn, arrays, wants, rtol=TOL["same"]):
    J, grads = traced(*arrays)
    J0, grads0 = eager(fn, arrays, wants)
    np.testing.assert_allclose(J, J0, rtol=rtol, atol=1e-15)
    for g, g0 in zip(grads, grads0):
        if g0 is None:
            assert g is None
        else:
            assert g.shape == g0.shape and g.dtype == g0.dtype
            np.testing.assert_allclose(g, g0, rtol=rtol, atol=1e-15)


def tensors(arrays, wants=None):
    wants = wants or [True] * len(arrays)
    return [tc.Tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]


# ---- J = 3(a + bc) ---------------------------------------------------------------------------
def J_named(a, b, c):
    u = b * c
    v = a + u
    J = 3 * v
    u.name, v.name, J.name = "u", "v", "J"
    return J


def test_the_j_lesson_traced_and_replayed():
    traced = tc.trace(J_named, *tensors([5.0, 3.0, 2.0]))
    J, grads = traced(*tensors([5.0, 3.0, 2.0]))
    assert (J, *map(float, grads)) == (33.0, 3.0, 6.0, 9.0)
    J, grads = traced(np.array(1.0), np.array(2.0), np.array(3.0))
    assert (J, *map(float, grads)) == (21.0, 3.0, 9.0, 6.0)
    assert all(isinstance(g, np.ndarray) and g.shape == () for g in grads)
    lines = [line.strip() for line in traced.source.splitlines()]
    assert lines[0] == "def forward_backward(a, b, c):"
    order = ["u = b * c", "v = a + u", "J = 3 * v", "dv = dJ * 3", "db = dv * c",
             "dc = dv * b", "da = dv"]
    assert [lines.index(x) for x in order] == sorted(lines.index(x) for x in order)
    assert "# backward of J = 3 * v" in lines and "# backward of u = b * c" in lines


def test_unnamed_intermediates_are_written_inside_their_line():
    traced = tc.trace(lambda a, b, c: 3 * (a + b * c), *tensors([5.0, 3.0, 2.0]))
    assert "    J = 3 * (a + b * c)\n" in traced.source


# ---- drawn expressions and every op ------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(expressions(), st.floats(0.97, 1.03), st.data())
def test_drawn_expressions_replay_as_backward(expr, scale, data):
    names = expr.names

    def fn(*ts):
        return expr(**dict(zip(names, ts)))

    arrays = list(expr.inputs.values())
    traced = tc.trace(fn, *tensors(arrays))
    compile(traced.source, "<drawn>", "exec")
    assert_matches(traced, fn, arrays, [True] * len(arrays))
    # new values (kinks and log domains of the drawn ops are kept well clear of ±3 %)
    moved = [a * scale for a in arrays]
    assert_matches(traced, fn, moved, [True] * len(arrays))
    # values redrawn from the inputs' own domain: expressions() keeps every op's log, division
    # and kinks safe for the whole interval, not only near the drawn values (signs may flip,
    # and relu's masks must follow them)
    again = [data.draw(drawn_arrays(a.shape, "away_from_zero"), label=f"{k} again")
             for k, a in expr.inputs.items()]
    assert_matches(traced, fn, again, [True] * len(again))
    assert len(traced.cache) == 1


R = np.random.default_rng(7)
M23 = R.uniform(0.5, 1.5, (2, 3))
M32 = R.uniform(0.5, 1.5, (3, 2))
PROBS = np.array([[0.2, 0.7, 0.4], [0.8, 0.3, 0.6]])
MASK = np.array([[True, False, True], [False, True, True]])

#: op name -> (a function of Tensors giving a one-element result, its inputs)
OP_CASES = {
    "abs": (lambda a: tc.abs(a - 1.0).sum(), [M23]),
    "add": (lambda a, b: (a + b).sum(), [M23, M23[:1]]),
    "astype": (lambda a: tc.astype(a, np.float32).sum(), [M23]),
    "binary_cross_entropy": (lambda a, y: tc.binary_cross_entropy(tc.sigmoid(a), y),
                             [M23, (PROBS > 0.5) * 1.0]),
    "binary_cross_entropy_with_logits": (
        lambda z, y: tc.binary_cross_entropy_with_logits(z, y), [M23, PROBS]),
    "broadcast_to": (lambda a: tc.broadcast_to(a, (3, 2, 3)).sum(), [M23]),
    "categorical_cross_entropy": (
        lambda z, y: tc.categorical_cross_entropy(tc.softmax(z, axis=0), y),
        [M23, np.array([[1.0, 0, 1], [0, 1, 0]])]),
    "categorical_cross_entropy_with_logits": (
        lambda z, y: tc.categorical_cross_entropy_with_logits(z, y),
        [M23, np.array([[1.0, 0, 1], [0, 1, 0]])]),
    "clip": (lambda a: tc.clip(a, lo=0.9).sum(), [M23 + 0.013]),
    "concatenate": (lambda a, b: (tc.concatenate([a, b]) ** 2).sum(), [M23, M23 * 2]),
    "cos": (lambda a: tc.cos(a).sum(), [M23]),
    "cumsum": (lambda a: (tc.cumsum(a, axis=1) ** 2).sum(), [M23]),
    "div": (lambda a, b: (a / b).sum(), [M23, M23.T.T + 1]),
    "einsum": (lambda a, b: tc.einsum("ij,jk->ik", a, b).sum(), [M23, M32]),
    "exp": (lambda a: tc.exp(a).sum(), [M23]),
    "expand_dims": (lambda a: (tc.expand_dims(a, 1) * a).sum(), [M23]),
    "expm1": (lambda a: tc.expm1(a).sum(), [M23]),
    "getitem": (lambda a: (a[1:, 0] * a[0, 1:2]).sum() + a[MASK].sum(), [M23]),
    "index_add": (lambda a: (tc.ops.index_add(a, shape=(4, 3), index=(slice(1, 3),)) ** 2).sum(),
                  [M23]),
    "leaky_relu": (lambda a: tc.leaky_relu(a - 1.0).sum(), [M23 + 0.013]),
    "log": (lambda a: tc.log(a).sum(), [M23]),
    "log1p": (lambda a: tc.log1p(a).sum(), [M23]),
    "log_softmax": (lambda a: (tc.log_softmax(a, axis=0) * PROBS).sum(), [M23]),
    "logsumexp": (lambda a: tc.logsumexp(a, axis=1).sum(), [M23]),
    "matmul": (lambda a, b: (a @ b).sum(), [M23, M32]),
    "max": (lambda a: tc.max(a, axis=0).sum(), [M23]),
    "maximum": (lambda a, b: tc.maximum(a, b).sum(), [M23, M23.T[::-1].T]),
    "mean": (lambda a: (tc.mean(a, axis=1, keepdims=True) ** 2).sum(), [M23]),
    "min": (lambda a: tc.min(a, axis=1).sum(), [M23]),
    "minimum": (lambda a, b: tc.minimum(a, b).sum(), [M23, M23.T[::-1].T]),
    "mul": (lambda a, b: (a * b).sum(), [M23, M23[:, :1]]),
    "neg": (lambda a: (-a * a).sum(), [M23]),
    "pad": (lambda a: (tc.pad(a, 1) ** 2).sum(), [M23]),
    "pow": (lambda a: (a ** 3).sum(), [M23]),
    "pow_tensor": (lambda a, b: (a ** b).sum(), [M23, M23[::-1]]),
    "prod": (lambda a: tc.prod(a, axis=1).sum(), [M23]),
    "relu": (lambda a: tc.relu(a - 1.0).sum(), [M23 + 0.013]),
    "repeat": (lambda a: (tc.repeat(a, 2, axis=0) ** 2).sum(), [M23]),
    "reshape": (lambda a: (a.reshape(3, 2) @ a).sum(), [M23]),
    "sigmoid": (lambda a: tc.sigmoid(a).sum(), [M23]),
    "sin": (lambda a: tc.sin(a).sum(), [M23]),
    "softmax": (lambda a: (tc.softmax(a, axis=0) * PROBS).sum(), [M23]),
    "sqrt": (lambda a: tc.sqrt(a).sum(), [M23]),
    "square": (lambda a: tc.square(a).sum(), [M23]),
    "squeeze": (lambda a: (tc.squeeze(a[:1], 0) ** 2).sum(), [M23]),
    "stack": (lambda a, b: (tc.stack([a, b]) ** 2).sum(), [M23, M23 * 3]),
    "std": (lambda a: tc.std(a, axis=1).sum(), [M23]),
    "sub": (lambda a, b: (a - b).sum(), [M23, M23[:1]]),
    "sum": (lambda a: (tc.sum(a, axis=0) ** 2).sum(), [M23]),
    "tanh": (lambda a: tc.tanh(a).sum(), [M23]),
    "tensordot": (lambda a, b: tc.tensordot(a, b, axes=1).sum(), [M23, M32]),
    "tile": (lambda a: (tc.tile(a, (2, 1)) ** 2).sum(), [M23]),
    "transpose": (lambda a: (a.T @ a).sum(), [M23]),
    "var": (lambda a: tc.var(a, axis=0).sum(), [M23]),
    "where": (lambda a, b: tc.where(MASK, a, b).sum(), [M23, M23 * 2]),
}
#: the cases whose code still calls an op's own function for what numpy cannot write inline
#: (a readability gap, not a correctness one: the call computes on the new values)
FALLBACK = {"categorical_cross_entropy", "categorical_cross_entropy_with_logits", "concatenate",
            "cumsum", "getitem", "index_add", "log_softmax", "logsumexp", "pad", "pow_tensor",
            "prod", "repeat", "softmax", "squeeze", "stack", "std"}


def test_every_op_of_the_table_has_a_trace_case():
    assert set(OP_CASES) == {op.name for op in ops.OPS}


def fallbacks(traced) -> set[str]:
    return {k for k, v in traced._last.written.namespace.items()
            if callable(v) and k not in ("np", "check_unsaturated")}


@pytest.mark.parametrize("name", sorted(OP_CASES))
def test_every_op_replays_as_backward(name):
    fn, arrays = OP_CASES[name]
    out = fn(*tensors(arrays))  # the case uses its op: the graph the trace walks holds it
    assert name in {t._op.name for t in topological_order([out]) if t._op is not None}
    traced = tc.trace(fn, *tensors(arrays))
    assert_matches(traced, fn, arrays, [True] * len(arrays))
    moved = [a * 1.01 for a in arrays]
    assert_matches(traced, fn, moved, [True] * len(arrays))
    assert len(traced.cache) == 1


def test_the_fallback_calls_are_the_listed_ones():
    found = set()
    for name, (fn, arrays) in OP_CASES.items():
        if fallbacks(tc.trace(fn, *tensors(arrays))):
            found.add(name)
    assert found == FALLBACK, (f"new fallbacks: {sorted(found - FALLBACK)}; now inline: "
                               f"{sorted(FALLBACK - found)}")
    assert "matmul" not in found and "sigmoid" not in found


def test_fallback_calls_read_the_new_inputs():
    """A line calling an op's own function takes the replay's arrays, not the trace-time ones
    (Program.call once kept the trace-time Syms): on new values J and the gradient differ from
    the trace's and equal backward()'s."""
    M34 = np.random.default_rng(3).normal(size=(3, 4))
    weights = np.arange(1.0, 10.0).reshape(3, 3)

    def fn(a):
        return (tc.softmax(a[:, 1:], axis=0) * weights).sum()
    traced = tc.trace(fn, *tensors([M34]))
    assert {"getitem_forward", "softmax_forward"} <= fallbacks(traced)
    assert re.search(r"= getitem_forward\(a\b", traced.source)
    J_traced, (g_traced,) = traced(M34)
    for new in (2.0 * M34, M34[::-1].copy(), -M34):
        J, (g,) = traced(new)
        assert J != J_traced and not np.allclose(g, g_traced)
        assert_matches(traced, fn, [new], [True])
    assert len(traced.cache) == 1


# ---- the course's networks -----------------------------------------------------------------------
def network_cost(net):
    L = net.L

    def cost(*ts):
        params = {}
        for l in range(1, L + 1):
            params[f"W{l}"], params[f"b{l}"] = ts[2 * l - 2], ts[2 * l - 1]
        return net.cost(ts[-1], **params)
    arrays = [net.parameters[k] for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")]
    return cost, [*arrays, net.X]


@settings(max_examples=40, deadline=None)
@given(networks())
def test_drawn_networks_replay_as_backward_and_simplify_to_the_course(net):
    cost, arrays = network_cost(net)
    wants = [True] * (len(arrays) - 1) + [False]
    ts = tensors(arrays, wants)
    assert_matches(tc.trace(cost, *ts), cost, arrays, wants)
    simple = tc.trace(cost, *ts, simplify=True)
    assert_matches(simple, cost, arrays, wants, rtol=TOL["simplified"])
    assert "dX" not in simple.source
    assert "/ np.maximum(" not in simple.source, "no dA = (A − Y)/(A(1 − A)) in the course form"


def test_simplify_writes_the_course_line():
    net_W = tc.Tensor(np.array([[0.3, -0.2]]), requires_grad=True, name="W1")
    b = tc.Tensor(np.array([[0.1]]), requires_grad=True, name="b1")
    X = tc.Tensor(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), name="X")
    Y = tc.Tensor(np.array([[1.0, 0.0, 1.0]]), name="Y")

    def cost(W1, b1, X, Y):
        Z1 = W1 @ X + b1
        A1 = tc.sigmoid(Z1)
        Z1.name, A1.name = "Z1", "A1"
        return tc.binary_cross_entropy(A1, Y)
    src = tc.trace(cost, net_W, b, X, Y, simplify=True).source
    assert "    dZ1 = (A1 - Y) / 3\n" in src


# ---- the source is the engine's text -----------------------------------------------------------
def test_generated_sources_compile_under_python_w_error(tmp_path):
    """Both forms of each: the source to read and the code that runs (buffered, or on floats)."""
    traced = tc.trace(J_named, *tensors([5.0, 3.0, 2.0]))
    sources = [traced.source, traced.executed_source]
    for model, X, Y in [(nn.DeepNN([2, 4, 1], hidden_activation="tanh", rng=1),
                         np.zeros((2, 7)), np.zeros((1, 7))),
                        (nn.LogisticRegression(5), np.zeros((5, 3)), np.zeros((1, 3)))]:
        sources += [model.step_source(X, Y), model.step_source(X, Y, executed=True)]
    for name in sorted(OP_CASES):
        fn, arrays = OP_CASES[name]
        traced = tc.trace(fn, *tensors(arrays))
        sources += [traced.source, traced.executed_source]
    paths = []
    for k, src in enumerate(sources):
        path = tmp_path / f"s{k}.py"
        path.write_text(src, encoding="utf-8")
        paths.append(str(path))
    code = "import sys; [compile(open(p).read(), p, 'exec') for p in sys.argv[1:]]"
    done = subprocess.run([sys.executable, "-W", "error", "-c", code, *paths],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


BAD_NAMES = ["x; import os", "__import__('os')", "lambda", "np", "A", "A", "1x", "é" * 3,
             "a" * 41, "learning_rate"]


def test_names_reach_the_code_only_through_the_strict_rule():
    ins = [tc.Tensor(float(k + 1), requires_grad=True, name=n) for k, n in enumerate(BAD_NAMES)]

    def fn(*ts):
        out = ts[0]
        for t in ts[1:]:
            out = out * t
        return out
    traced = tc.trace(fn, *ins)
    src = traced.source
    for bad in ("import", "lambda", "1x", "é", "a" * 41, "(np,", "np)"):
        assert bad not in src
    header = src.splitlines()[0]
    params = header[header.index("(") + 1:header.index(")")].split(", ")
    assert len(set(params)) == len(params) == len(BAD_NAMES)
    assert all(is_name(p) for p in params)
    J, grads = traced(*ins)
    J0, grads0 = eager(fn, [t.data for t in ins], [True] * len(ins))
    assert J == J0 and all(np.array_equal(g, g0) for g, g0 in zip(grads, grads0))
    assert is_name("W1") and not is_name("np") and not is_name("for") and not is_name("x y")


# ---- what the trace fixes -----------------------------------------------------------------------
#: what a traced function does -> the words of the TraceError naming what leaked
LEAKS = {
    "float": (lambda a: a * float(a.sum()), "float() of"),
    "int": (lambda a: a.sum() * int(a.sum()), "int() of"),
    "format": (lambda a: a * len(f"{a.sum():.3f}"), "format(..., '.3f') of"),
    "item": (lambda a: a.sum() * a.sum().item(), "item() of"),
    "bool": (lambda a: a.sum() * bool(a.sum()), "bool() (an `if` or `while` on it) of"),
    "if": (lambda a: _if_on(a), "bool() (an `if` or `while` on it) of"),
    "data": (lambda a: (a * a.data).sum(), ".data of"),
    "numpy": (lambda a: (a * (a * 2).numpy()).sum(), "numpy() of"),
    "tolist": (lambda a: (a * len(a.tolist())).sum(), "tolist() of"),
    "asarray": (lambda a: (a * np.asarray(a * 2)).sum(), "np.asarray() of"),
    "compare": (lambda a: (a * (a > 1.0)).sum(), "a comparison (np.greater) of"),
    "compare_if": (lambda a: (a * 2).sum() if a.sum() > 0 else a.sum(),
                   "a comparison (np.greater) of"),
    "argmax": (lambda a: a[tc.argmax(a)].sum(), "argmax of"),
    "where": (lambda a: tc.where(a, a, -a).sum(), "where's condition of"),
    "where_compare": (lambda a: tc.where(a > 1.0, a, 0.0).sum(), "a comparison (np.greater) of"),
    "index": (lambda a: a[a * 0 + 1].sum(), ".data of"),
    "detach": (lambda a: (a * (a * 2).detach()).sum(), "detach() of"),
    "no_grad": (lambda a: _under_no_grad(a), "mul under no_grad of"),
    "Tensor": (lambda a: (a * tc.Tensor(a * 2)).sum(), "Tensor(t) of"),
    "allclose": (lambda a: a.sum() * np.allclose(a, 1.0), "np.allclose of"),
}


def _under_no_grad(a):
    with tc.no_grad():
        k = a * 2
    return (a * k).sum()


def _if_on(a):
    if a.sum():
        return a.sum()
    return -a.sum()


@pytest.mark.parametrize("what", sorted(LEAKS))
def test_a_traced_value_turned_into_a_python_value_raises_at_trace_time(what):
    fn, words = LEAKS[what]
    a = tc.Tensor(np.array([1.5, 2.5]), requires_grad=True, name="A")
    with pytest.raises(tc.TraceError, match="computed from the traced inputs") as info:
        tc.trace(fn, a)
    assert words in str(info.value)
    # outside a trace the same code runs (or fails for its own reasons, not the trace's)
    try:
        fn(a)
    except tc.TraceError:  # pragma: no cover - the guard must be off outside a trace
        pytest.fail("the guard is on outside a trace")
    except (RuntimeError, TypeError, IndexError, ValueError):
        pass
    assert float(a.sum()) == 4.0


def test_other_trace_errors_say_what_to_do():
    a = tc.Tensor(np.array([1.5, 2.5]), requires_grad=True, name="A")
    W = tc.Tensor(np.ones(2), requires_grad=True, name="W")
    with pytest.raises(tc.TraceError, match="requires grad but is not one of its inputs"):
        tc.trace(lambda a: (a * W).sum(), a)
    with pytest.raises(tc.TraceError, match="one-element Tensor"):
        tc.trace(lambda a: a * 2, a)
    with pytest.raises(tc.TraceError, match="one-element Tensor"):
        tc.trace(lambda a: 3.0, a)
    with pytest.raises(tc.TraceError, match="does not depend on the inputs"):
        tc.trace(lambda a: tc.Tensor(1.0) * 2, a)
    with pytest.raises(TypeError, match="floating inputs"):
        tc.trace(lambda a, y: (a * y).sum(), a, np.array([1, 0]))
    relu = tc.custom_op(lambda Z: (np.maximum(0, Z), Z), lambda dA, Z: dA * (Z > 0),
                        name="my_relu")
    with pytest.raises(tc.TraceError, match="custom op my_relu"):
        tc.trace(lambda a: relu(a).sum(), a)


def test_the_guard_is_this_thread_s_only():
    a = tc.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    started, release, seen = threading.Event(), threading.Event(), []

    def slow(x):
        started.set()
        release.wait(10)
        return (x * x).sum()

    worker = threading.Thread(target=lambda: seen.append(tc.trace(slow, a)))
    worker.start()
    started.wait(10)
    mine = tc.Tensor(np.array([3.0])) * 2
    assert float(mine) == 6.0 and mine.data.tolist() == [6.0] and bool((mine > 1).data)
    release.set()
    worker.join(10)
    assert seen and seen[0](a)[0] == 5.0


# ---- signatures, dtypes, outputs ----------------------------------------------------------------
def test_one_trace_per_signature_and_float32_stays_float32():
    calls = []

    def fn(a, b):
        calls.append(1)
        return (a * b).sum()
    a, b = tensors([np.ones((2, 3)), np.full((2, 3), 2.0)])
    traced = tc.trace(fn, a, b)
    traced(a, b)
    traced(np.zeros((2, 3)), np.ones((2, 3)))
    assert len(calls) == 1 and len(traced.cache) == 1
    J, (da, db) = traced(np.ones((4, 1)), np.ones((4, 1)))
    assert J == 4.0 and da.shape == (4, 1) and len(calls) == 2 and len(traced.cache) == 2
    f32 = [np.ones((2, 2), np.float32), np.full((2, 2), 3.0, np.float32)]
    J, grads = traced(*tensors(f32))
    assert all(g.dtype == np.float32 for g in grads)
    J0, grads0 = eager(fn, f32, [True, True])
    assert J == J0 and all(np.array_equal(g, g0) for g, g0 in zip(grads, grads0))


def test_inputs_without_grad_get_none_and_no_code():
    W = tc.Tensor(np.ones((1, 3)), requires_grad=True, name="W")
    X = np.arange(6.0).reshape(3, 2)
    traced = tc.trace(lambda W, X: tc.sigmoid(W @ X).sum(), W, X)
    J, (dW, dX) = traced(W, X)
    assert dX is None and "dX" not in traced.source


def test_returned_gradients_are_fresh_writeable_arrays():
    a, b = tensors([np.ones((2, 3)), np.arange(6.0).reshape(3, 2)])
    traced = tc.trace(lambda a, b: (a * b.T).sum(), a, b)
    J, (da, db) = traced(a, b)
    np.testing.assert_array_equal(da, b.data.T)
    assert not np.may_share_memory(da, b.data) and da.flags.writeable and db.flags.writeable


def test_sgd_updates_in_place_after_computing_every_gradient():
    P = tensors([np.array([[0.3, -0.2]]), np.array([[0.1]])])
    X, Y = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([[1.0, 0.0]])

    def cost(w, b, X, Y):
        return tc.binary_cross_entropy(tc.sigmoid(w @ X + b), Y)
    traced = tc.trace(cost, *P, X, Y, sgd=True)
    before = [p.data.copy() for p in P]
    J0, grads0 = eager(cost, [*before, X, Y], [True, True, False, False])
    J, grads = traced(*P, X, Y, learning_rate=0.1)
    assert J == J0
    for p, old, g in zip(P, before, grads0):
        assert np.array_equal(p.data, old - 0.1 * g) and p.version == 1
    with pytest.raises(TypeError, match="learning_rate"):
        traced(*P, X, Y)
    with pytest.raises(TypeError, match="sgd=True"):
        tc.trace(cost, *P, X, Y)(*P, X, Y, learning_rate=0.1)


def test_a_trace_at_ordinary_values_replays_saturation_as_backward_does():
    """Traced where nothing saturates, replayed where σ(z) rounds to 0 for z = −40 with
    y = 1: the check in the code fails and the saturated form runs, so dJ/dz is still
    (a − y)/m."""
    w = tc.Tensor(np.array([[1.0]]), requires_grad=True)
    b = tc.Tensor(np.array([[0.0]]), requires_grad=True)

    def cost(w, b, X, Y):
        return tc.binary_cross_entropy(tc.sigmoid(w.T @ X + b), Y)
    X, Y = np.array([[0.5, -0.3]]), np.array([[1.0, 0.0]])
    traced = tc.trace(cost, w, b, X, Y)
    hot = np.array([[-40.0, 40.0]])
    assert_matches(traced, cost, [w.data, b.data, hot, Y], [True, True, False, False])
    J, (dw, db, _, _) = traced(w, b, hot, Y)
    assert db[0, 0] == pytest.approx(((0.0 - 1.0) + (1.0 - 0.0)) / 2, abs=1e-12)
    assert dw[0, 0] == pytest.approx((-1.0 * -40.0 + 1.0 * 40.0) / 2)
    assert "check_unsaturated(" in traced.source
    assert next(iter(traced.cache.values())).saturated is not None


def saturating_model_inputs():
    rng = np.random.default_rng(4)
    arrays = [rng.normal(size=(3, 2)), np.zeros((3, 1)), rng.normal(size=(1, 3)),
              np.zeros((1, 1)), rng.normal(size=(2, 30)), (rng.random((1, 30)) > 0.5) * 1.0]
    return arrays, [True] * 4 + [False, False]


def saturating_cost(W1, b1, W2, b2, X, Y):
    A1 = tc.tanh(W1 @ X + b1)
    Z2 = W2 @ A1 + b2
    A2 = tc.sigmoid(Z2)
    Z2.name, A2.name = "Z2", "A2"
    return tc.binary_cross_entropy(A2, Y)


def test_the_cost_of_sigma_is_the_course_s_with_a_check_and_no_saturation_code():
    arrays, wants = saturating_model_inputs()
    traced = tc.trace(saturating_cost, *tensors(arrays, wants))
    src = traced.source
    assert "check_unsaturated(A2)" in src and "np.where" not in src and "log1p" not in src
    lines = src.splitlines()
    check = lines.index("    check_unsaturated(A2)")
    assert lines[check - 1].startswith("    # the cost, as written where σ rounded no A2 to 0")
    # checked before the cost takes a log, which then needs no floor (np.maximum(A2, 5e-324))
    assert all("np.log" not in line for line in lines[:check])
    J = next(i for i, line in enumerate(lines) if line.startswith("    J = "))
    assert check < J and "np.log(A2)" in src and "np.maximum" not in src
    assert all("-=" not in line and "dW" not in line for line in lines[:J])


@pytest.mark.parametrize("sgd", [False, True])
def test_where_sigma_saturates_the_saturated_form_runs_bit_for_bit_as_backward(sgd):
    arrays, wants = saturating_model_inputs()
    traced = tc.trace(saturating_cost, *tensors([a.copy() for a in arrays], wants), sgd=sgd)
    replay = next(iter(traced.cache.values()))
    assert replay.saturated is None
    hot = [a.copy() for a in arrays]
    hot[2] = hot[2] * 1e4  # σ(Z2) rounds to exactly 0 or 1 for most examples
    for values in (hot, [a.copy() for a in arrays], hot):
        ts = tensors([v.copy() for v in values], wants)
        J0 = saturating_cost(*ts)
        J0.backward()
        kw = {"learning_rate": 0.5} if sgd else {}
        before = [v.copy() for v in values]
        J, grads = traced(*values, **kw)
        assert J == J0.item()
        for g, t in zip(grads[:4], ts[:4]):
            np.testing.assert_array_equal(g, t.grad)
        for v, v0, g in zip(values[:4], before[:4], grads[:4]):  # updated exactly once
            np.testing.assert_array_equal(v, v0 - 0.5 * g if sgd else v0)
    assert replay.saturated is not None and len(traced.cache) == 1
    assert "np.where(" in replay.saturated.written.source
    assert "check_unsaturated" not in replay.saturated.written.source
    assert "    check_saturated(A2)\n" in replay.saturated.written.source


def test_while_sigma_stays_saturated_each_step_runs_the_saturated_form_alone():
    """A training run whose predictions saturated keeps them so: each step then runs the
    saturated form once, not the ordinary form up to its check and then the saturated one;
    it goes back where saturation ends. Every call gives backward()'s numbers bit for bit."""
    arrays, wants = saturating_model_inputs()
    traced = tc.trace(saturating_cost, *tensors([a.copy() for a in arrays], wants))
    replay = next(iter(traced.cache.values()))
    hot = [a.copy() for a in arrays]
    hot[2] = hot[2] * 1e4
    runs = []

    def counted(form, name):
        run = form.run
        form.run = lambda *args: (runs.append(name), run(*args))[1]

    traced._saturated(replay, tensors(hot, wants))  # traced now, so its runs are counted too
    counted(replay, "ordinary")
    counted(replay.saturated, "saturated")
    for values, expected in [(hot, ["ordinary", "saturated"]), (hot, ["saturated"]),
                             (hot, ["saturated"]), (arrays, ["saturated", "ordinary"]),
                             (arrays, ["ordinary"]), (hot, ["ordinary", "saturated"])]:
        runs.clear()
        ts = tensors([v.copy() for v in values], wants)
        J0 = saturating_cost(*ts)
        J0.backward()
        J, grads = traced(*values)
        assert runs == expected
        assert J == J0.item()
        for g, t in zip(grads[:4], ts[:4]):
            assert np.array_equal(g, t.grad) and np.array_equal(np.signbit(g), np.signbit(t.grad))


def test_a_trace_made_where_sigma_saturates_replays_the_ordinary_form_elsewhere():
    arrays, wants = saturating_model_inputs()
    hot = [a.copy() for a in arrays]
    hot[2] = hot[2] * 1e4
    traced = tc.trace(saturating_cost, *tensors(hot, wants))
    for values in (arrays, hot):
        ts = tensors(values, wants)
        J0 = saturating_cost(*ts)
        J0.backward()
        J, grads = traced(*values)
        assert J == J0.item()
        for g, t in zip(grads[:4], ts[:4]):
            np.testing.assert_array_equal(g, t.grad)



def test_an_input_j_does_not_use_gets_zeros_as_grad_allow_unused_gives():
    a, b = tensors([np.ones(2), np.ones(3)])
    traced = tc.trace(lambda a, b: (a * 2).sum(), a, b)
    J, (da, db) = traced(a, b)
    assert J == 4.0 and da.tolist() == [2.0, 2.0] and db.tolist() == [0.0, 0.0, 0.0]
    _, db0 = tc.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert np.array_equal(db, db0.data)


def test_constants_inside_the_function_stay_readable():
    """Only values computed from the inputs are guarded: a constant made in fn converts."""
    def fn(a):
        c = tc.Tensor(np.array([2.0, 3.0]))
        y = (a * c).sum()
        scale = float(c.sum())  # a constant: fine, and fixed at trace time as documented
        return y * scale + c.data.sum()
    a = tc.Tensor(np.array([1.0, 1.0]), requires_grad=True)
    J, (da,) = tc.trace(fn, a)(np.array([2.0, 0.0]))
    assert J == 4.0 * 5.0 + 5.0 and da.tolist() == [10.0, 15.0]
