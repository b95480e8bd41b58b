"""tinygrad_course.codegen: the generated function in its two forms, the source to read and
the one that runs (the same lines computed into reused buffers, ``out=``).

Oracles: the readable form (``buffers=False``), bit for bit, and backward() itself.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course.codegen import RESERVED, Buffers, is_name
from tinygrad_course.testing import expressions, networks
from tinygrad_course.tracer import trace


def tensors(arrays, wants=None):
    wants = wants or [True] * len(arrays)
    return [tc.Tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]


def assert_same_bits(a, b):
    J, grads = a
    J0, grads0 = b
    assert J == J0 or (np.isnan(J) and np.isnan(J0))
    for g, g0 in zip(grads, grads0):
        if g0 is None:
            assert g is None
        else:
            assert g.shape == g0.shape and g.dtype == g0.dtype
            np.testing.assert_array_equal(g, g0)


def buffered_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if "out=buf[" in line]


def slots(source: str) -> set[int]:
    return {int(k) for k in re.findall(r"out=buf\[(\d+)\]", source)}


def two_layer(W1, b1, W2, b2, X, Y):
    Z1 = W1 @ X + b1
    A1 = tc.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = tc.sigmoid(Z2)
    Z1.name, A1.name, Z2.name, A2.name = "Z1", "A1", "Z2", "A2"
    return tc.binary_cross_entropy(A2, Y)


def two_layer_inputs(seed=0, m=50):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(4, 2)), rng.normal(size=(4, 1)), rng.normal(size=(1, 4)),
              rng.normal(size=(1, 1)), rng.normal(size=(2, m)),
              (rng.random((1, m)) > 0.5) * 1.0]
    return arrays, [True] * 4 + [False, False]


# ---- the two forms agree, bit for bit -----------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(expressions(), st.floats(0.97, 1.03))
def test_drawn_expressions_run_the_same_buffered_and_readable(expr, scale):
    names = expr.names

    def fn(*ts):
        return expr(**dict(zip(names, ts)))

    arrays = list(expr.inputs.values())
    fast = trace(fn, *tensors(arrays))
    plain = trace(fn, *tensors(arrays), buffers=False)
    assert fast.source == plain.source  # the source to read does not change
    for values in (arrays, [a * scale for a in arrays], arrays):  # buffers reused, then again
        assert_same_bits(fast(*values), plain(*values))


@settings(max_examples=25, deadline=None)
@given(networks())
def test_drawn_networks_run_the_same_buffered_and_readable(net):
    L = net.L
    arrays = [net.parameters[k] for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")]

    def cost(*ts):
        params = {}
        for l in range(1, L + 1):
            params[f"W{l}"], params[f"b{l}"] = ts[2 * l - 2], ts[2 * l - 1]
        return net.cost(ts[-1], **params)

    arrays.append(net.X)
    wants = [True] * (len(arrays) - 1) + [False]
    fast = trace(cost, *tensors(arrays, wants))
    plain = trace(cost, *tensors(arrays, wants), buffers=False)
    assert buffered_lines(fast.executed_source)
    for k in range(2):
        values = [a * (1 + 0.01 * k) for a in arrays]
        assert_same_bits(fast(*values), plain(*values))


def test_views_of_buffered_values_keep_their_buffer_until_the_view_is_read():
    # A.T, A[0] and A.reshape(-1) are views of a buffered A: A's buffer must not take another
    # value while they are still to be read
    def fn(x, w):
        a = tc.tanh(w @ x)
        t = a.T
        r = a.reshape(-1)
        b = tc.exp(a) * 2.0
        c = (t @ b).sum() + (r * r).sum() + (a[0] * b[0]).sum()
        return c

    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(3, 5)), rng.normal(size=(3, 3))]
    fast = trace(fn, *tensors(arrays))
    plain = trace(fn, *tensors(arrays), buffers=False)
    for k in range(3):
        values = [a + 0.1 * k for a in arrays]
        assert_same_bits(fast(*values), plain(*values))
        ts = tensors(values)
        J = fn(*ts)
        J.backward()
        np.testing.assert_allclose(fast(*values)[0], J.item(), rtol=1e-13)
        for g, t in zip(fast(*values)[1], ts):
            np.testing.assert_allclose(g, t.grad, rtol=1e-12)


# ---- what runs ----------------------------------------------------------------------------------
def test_the_executed_code_computes_into_few_reused_buffers():
    arrays, wants = two_layer_inputs()
    traced = trace(two_layer, *tensors(arrays, wants))
    src = traced.executed_source
    assert src.splitlines()[1] == "    buf = buffers()"
    assert "    Z1 = np.add(" in src and "    A1 = np.tanh(Z1, out=buf[" in src
    lines = buffered_lines(src)
    assert len(lines) >= 20
    assert len(slots(src)) <= len(lines) // 2, "a dead value's buffer takes the next value"
    assert "np.sum(" not in src and "np.add.reduce(dZ1, axis=1, keepdims=True)" in src
    assert "out=" not in traced.source and "np.sum(dZ1, axis=1, keepdims=True)" in traced.source


def test_the_fifty_layer_network_keeps_its_activations_and_shares_the_rest():
    model = nn.DeepNN([16] + [16] * 50 + [1], hidden_activation="tanh", rng=0)
    X = np.random.default_rng(1).normal(size=(16, 64))
    Y = (X[:1] > 0) * 1.0
    model.step(X, Y, 0.05, compiled=True)
    src = model._traced().executed_source
    assert len(buffered_lines(src)) > 400
    # A1 ... A50 live until backward reads them (dW = dZ A_prevᵀ, tanh' = 1 − A²), as in
    # eager; the Zs, the cost's temporaries and every dZ share a few more buffers
    assert 50 <= len(slots(src)) <= 50 + 20


def test_handed_out_arrays_are_new_on_every_call():
    arrays, wants = two_layer_inputs()
    traced = trace(two_layer, *tensors(arrays, wants))
    J1, g1 = traced(*arrays)
    kept = [g.copy() for g in g1[:4]]
    moved = [a * 1.5 for a in arrays[:4]] + arrays[4:]
    J2, g2 = traced(*moved)
    assert J1 != J2
    for g, k, new in zip(g1[:4], kept, g2[:4]):
        np.testing.assert_array_equal(g, k)  # the next call did not write into them
        assert not np.may_share_memory(g, new)


def test_buffers_are_allocated_once_per_thread():
    arrays, wants = two_layer_inputs()
    traced = trace(two_layer, *tensors(arrays, wants))
    traced(*arrays)
    buffers = next(iter(traced.cache.values())).written.executed_namespace["buffers"]
    assert isinstance(buffers, Buffers)
    first = buffers()
    traced(*arrays)
    assert buffers() is first and all(a is b for a, b in zip(buffers(), first))
    seen = []
    t = threading.Thread(target=lambda: seen.append(buffers()))
    t.start()
    t.join()
    assert seen[0] is not first and not any(np.may_share_memory(a, b)
                                            for a in seen[0] for b in first)


def test_threads_calling_one_trace_get_their_own_answers():
    arrays, wants = two_layer_inputs(m=400)
    traced = trace(two_layer, *tensors(arrays, wants))
    plain = trace(two_layer, *tensors(arrays, wants), buffers=False)
    inputs = [[a * (1 + 0.05 * k) for a in arrays[:4]] + arrays[4:] for k in range(4)]
    expected = [plain(*v) for v in inputs]
    errors: list[BaseException] = []

    def work(k):
        try:
            for _ in range(200):
                assert_same_bits(traced(*inputs[k]), expected[k])
        except BaseException as e:  # noqa: BLE001  (reported by the main thread)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_sgd_in_the_executed_code_updates_as_the_readable_code_does():
    arrays, wants = two_layer_inputs()
    fast_in = [a.copy() for a in arrays]
    plain_in = [a.copy() for a in arrays]
    fast = trace(two_layer, *tensors(fast_in, wants), sgd=True)
    plain = trace(two_layer, *tensors(plain_in, wants), sgd=True, buffers=False)
    assert "W1 -= np.multiply(learning_rate, dW1, out=buf[" in fast.executed_source
    assert "W1 -= learning_rate * dW1" in fast.source
    for _ in range(5):
        assert_same_bits(fast(*fast_in, learning_rate=0.5), plain(*plain_in, learning_rate=0.5))
        for a, b in zip(fast_in, plain_in):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fast_in[0], arrays[0])


def test_the_model_trains_the_same_with_the_executed_code():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2, 60))
    Y = (X[:1] * X[1:] > 0) * 1.0
    costs = []
    for compiled in (False, True):
        model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", rng=2)
        costs.append(model.fit(X, Y, 1.2, 200, compiled=compiled))
    assert costs[0] == costs[1]


def test_the_names_the_executed_code_uses_are_not_user_names():
    assert {"buf", "buffers"} <= RESERVED
    assert not is_name("buf") and not is_name("buffers")
    a = tc.Tensor(np.ones((2, 2)), requires_grad=True, name="buf")
    b = tc.Tensor(np.full((2, 2), 2.0), requires_grad=True, name="buffers")
    traced = trace(lambda buf, buffers: (tc.exp(buf) * buffers).sum(), a, b)
    J, (ga, gb) = traced(np.ones((2, 2)), np.full((2, 2), 2.0))
    np.testing.assert_allclose(J, 4 * 2 * np.e)
    np.testing.assert_allclose(ga, 2 * np.e * np.ones((2, 2)))
    for src in (traced.source, traced.executed_source):
        params = src.splitlines()[0].removeprefix("def forward_backward(").rstrip("):")
        assert not {"buf", "buffers"} & {p.strip() for p in params.split(",")}


# ---- graphs of scalars: the code runs on Python floats --------------------------------------
def scalar_graph(x, w, b):
    """A micrograd-style neuron and a chain: only Python arithmetic and ufuncs of 0-d values."""
    z = w * x + b
    a = tc.tanh(z)
    y = a
    for k in range(30):
        y = tc.exp(tc.log(y * y + 1.5) * 0.5) if k % 2 else y * 0.9 + 0.1
    return (y - 0.25) ** 2 + a / w


def scalar_inputs(x=0.7, w=-1.3, b=0.2):
    return [np.array(x), np.array(w), np.array(b)]


def eager_grads(fn, arrays):
    ts = tensors(arrays)
    J = fn(*ts)
    J.backward()
    return J.item(), [t.grad for t in ts]


def test_a_graph_of_scalars_runs_on_python_floats_bit_for_bit():
    traced = trace(scalar_graph, *tensors(scalar_inputs()))
    src = traced.executed_source
    assert "buf" not in src and "dJ = 1.0" in src and "np.tanh(" in src
    written = next(iter(traced.cache.values())).written
    assert written.scalar and written.source != src
    for values in (scalar_inputs(), scalar_inputs(0.1, 2.0, -0.4), scalar_inputs(-3.0, 0.5, 1.0)):
        J, grads = traced(*values)
        J0, grads0 = eager_grads(scalar_graph, values)
        assert type(J) is float and J == J0
        for g, g0 in zip(grads, grads0):
            assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
            assert g == g0  # the ufuncs are numpy's own, on floats: the same bits
        assert_same_bits((J, grads), trace(scalar_graph, *tensors(values), buffers=False)(*values))


def test_where_python_floats_and_numpy_differ_the_numpy_code_runs_with_its_warnings():
    traced = trace(lambda a, c: tc.exp(a) / c + a * c, *tensors(scalar_inputs()[:2]))
    assert next(iter(traced.cache.values())).written.scalar
    with np.errstate(divide="warn"), pytest.warns(RuntimeWarning, match="divide by zero"):
        J, (da, dc) = traced(np.array(1.0), np.array(0.0))  # a float would raise instead
    assert J == np.inf and da == np.inf and dc == -np.inf
    assert isinstance(da, np.ndarray) and da.shape == ()
    with np.errstate(over="warn"), pytest.warns(RuntimeWarning, match="overflow"):
        J, _ = traced(np.array(800.0), np.array(2.0))  # np.exp overflows: numpy's code, once
    assert J == np.inf


def test_float32_and_arrays_are_not_run_on_floats():
    for arrays in ([np.float32(0.5) * np.ones((), np.float32)], [np.ones((2,))]):
        traced = trace(lambda a: (tc.tanh(a) * 2).sum(), *tensors(arrays))
        assert not next(iter(traced.cache.values())).written.scalar


def test_a_chain_of_ten_thousand_values_is_written_in_lines_of_bounded_depth():
    def chain(x):
        y = x
        for k in range(10_000):
            y = y * 1.0001 if k % 3 == 0 else y + 0.001 if k % 3 == 1 else tc.exp(tc.log(y))
        return y
    x = tc.Tensor(1.5, requires_grad=True)
    traced = trace(chain, x)
    for src in (traced.source, traced.executed_source):
        assert max(line.count("(") for line in src.splitlines()) <= 2 * 12 + 2
    J, (dx,) = traced(np.array(1.5))
    J0, (dx0,) = eager_grads(chain, [np.array(1.5)])
    assert J == J0 and dx == dx0
