"""Tests for tinygrad_course.stepper: the steps of a backward pass, checked against the op's VJP
(recomputed here from each step's indices), the accumulation sums, backward()'s .grad and
central finite differences, on drawn expression DAGs and on the course's networks."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from broadcast_oracle import reduce_to
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import nn, testing, viz
from tinygrad_course.gradcheck import numerical_gradients, relative_difference
from tinygrad_course.graph import needs_grad, topological_order
from tinygrad_course.stepper import BackwardRecord, ForwardRecord, SeedRecord, Steps
from tinygrad_course.testing import arrays, expressions

TOL = {
    "same_arithmetic": 1e-12,  # the steps against backward(): the same VJPs, rounding only
    "finite_diff": 1e-6,       # against (f(x+ε) − f(x−ε)) / 2ε with ε = 1e-7 (as test_ops) ...
    "finite_diff_abs": 1e-7,   # ... or, for gradients near 0 (ε² terms), this close elementwise
}
KEYS = {  # the JSON contract's fields (steps-schema.md / docs/stepping.md "JSON fields")
    "forward": {"index", "phase", "tensor", "text", "value"},
    "seed": {"index", "phase", "tensor", "text", "grad"},
    "backward": {"index", "phase", "tensor", "input", "position", "upstream", "local",
                 "contribution", "sum", "accumulate", "grad", "final", "text"},
}
TENSOR_KEYS = {"index", "name", "kind", "op", "op_name", "inputs", "shape", "requires_grad",
               "grad_name", "value"}
ARRAY_KEYS = {"shape", "dtype", "value", "norm", "text"}


# ---- the checks every graph must pass ------------------------------------------------------------


def check_steps(steps: Steps, root: tc.Tensor) -> dict[int, np.ndarray]:
    """Every invariant of the steps; returns the final gradient of each tensor index."""
    tensors = steps.tensors
    assert tensors == topological_order([root])
    index = {id(t): k for k, t in enumerate(tensors)}
    kinds = [type(r) for r in steps.records]
    n_forward = sum(t._op is not None for t in tensors)
    assert kinds == [ForwardRecord] * n_forward + [SeedRecord] + \
        [BackwardRecord] * (len(kinds) - n_forward - 1)
    # forward: one step per result, in topological order, with its value
    results = [index[id(t)] for t in tensors if t._op is not None]
    assert [r.tensor for r in steps.records[:n_forward]] == results
    for r in steps.records[:n_forward]:
        assert isinstance(r, ForwardRecord)
        np.testing.assert_array_equal(r.value, tensors[r.tensor].data)
    seed = steps.records[n_forward]
    assert isinstance(seed, SeedRecord) and seed.tensor == index[id(root)]
    assert seed.grad.shape == root.shape and seed.grad.item() == 1

    # backward: the nodes in backward()'s order, each node's operands in order
    visit = [index[id(t)] for t in reversed(topological_order([root], follow=needs_grad))]
    back = [r for r in steps.records if isinstance(r, BackwardRecord)]
    expected_pairs = [(k, i) for k in visit for i, x in enumerate(tensors[k]._inputs)
                      if isinstance(x, tc.Tensor) and x.requires_grad]
    assert [(r.tensor, r.position) for r in back] == expected_pairs
    acc: dict[int, np.ndarray] = {seed.tensor: seed.grad}
    done: set[int] = {seed.tensor}
    for r in back:
        node = tensors[r.tensor]
        x = node._inputs[r.position]
        assert x is tensors[r.input]
        assert r.tensor in done, "a node hands on its gradient only once it is complete"
        np.testing.assert_array_equal(r.upstream, acc[r.tensor])
        # the share: the op's own VJP on the upstream gradient, broadcasting undone here
        vjp = node._op.vjps[r.position](r.upstream, node.data, *node._saved, **node._params)
        expected = reduce_to(np.asarray(vjp), x.shape).reshape(x.shape)
        np.testing.assert_allclose(r.contribution, expected, rtol=TOL["same_arithmetic"],
                                   atol=0)
        assert r.contribution.shape == x.shape
        if r.axes is None:
            assert r.raw.shape == x.shape
        else:
            assert r.raw.shape != x.shape
            np.testing.assert_allclose(reduce_to(r.raw, x.shape).reshape(x.shape),
                                       r.contribution, rtol=TOL["same_arithmetic"], atol=0)
        # accumulation: before + contribution == after
        if r.input in acc:
            assert r.before is not None
            np.testing.assert_array_equal(r.before, acc[r.input])
            np.testing.assert_array_equal(r.after, acc[r.input] + r.contribution)
        else:
            assert r.before is None
            np.testing.assert_array_equal(r.after, r.contribution)
        acc[r.input] = r.after
        later = [s for s in back[back.index(r) + 1:] if s.input == r.input]
        assert r.final == (not later)
        if r.final:
            done.add(r.input)
        # the local derivative: the VJP at g = 1 when every operand is one element
        small = node.size == 1 and all(np.size(a) == 1 for a in node._saved)
        assert (r.local is not None) == small
        if small:
            np.testing.assert_allclose(r.contribution.reshape(()),
                                       (r.upstream * r.local).reshape(()), rtol=1e-12)
    check_json(steps)
    return acc


def check_json(steps: Steps) -> None:
    d = steps.to_dict()
    assert json.loads(steps.to_json()) == d
    assert d["format"] == "tinygrad_course.steps/1"
    assert d["tensors"][d["root"]]["name"] == d["root_name"]
    assert len(steps) == len(d["steps"]) == len(steps.records)
    assert [s["index"] for s in steps] == list(range(len(steps)))
    for k, t in enumerate(d["tensors"]):
        assert set(t) == TENSOR_KEYS and t["index"] == k
        assert set(t["value"]) == ARRAY_KEYS
        assert (t["grad_name"] is not None) == steps.tensors[k].requires_grad
    for s, r in zip(steps, steps.records):
        assert set(s) == KEYS[s["phase"]] and s["tensor"] == r.tensor and s["text"]
        if isinstance(r, BackwardRecord):
            assert (s["input"], s["position"], s["final"]) == (r.input, r.position, r.final)
            assert s["grad"]["name"] == s["contribution"]["name"] == \
                d["tensors"][r.input]["grad_name"]
            assert s["upstream"]["name"] == d["tensors"][r.tensor]["grad_name"]
            assert (s["sum"] is None) == (r.axes is None)
            assert (s["accumulate"] is None) == (r.before is None)
            value = s["grad"]["value"]
            assert value["shape"] == list(r.after.shape)
            assert value["norm"] == pytest.approx(float(np.linalg.norm(r.after)))
            if value["value"] is not None:
                np.testing.assert_array_equal(np.array(value["value"]), r.after)


def final_grads(steps: Steps) -> dict[int, np.ndarray]:
    last: dict[int, np.ndarray] = {}
    for r in steps.records:
        if isinstance(r, BackwardRecord):
            last[r.input] = r.after
    return last


def agree(got: np.ndarray, fd: np.ndarray) -> bool:
    return (relative_difference(got, fd) < TOL["finite_diff"]
            or bool(np.max(np.abs(got - fd), initial=0.0) < TOL["finite_diff_abs"]))


# ---- drawn expression DAGs -----------------------------------------------------------------------
@settings(max_examples=150)
@given(expressions(), st.integers(0, 8))
def test_steps_of_drawn_expressions_are_backward_step_by_step(expr, max_elements):
    leaves = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in expr.inputs.items()}
    out = expr(**leaves)
    steps = tc.backward_steps(out, max_elements=max_elements)
    assert all(t.grad is None for t in steps.tensors), ".grad is left untouched"
    acc = check_steps(steps, out)
    # the final shares equal backward()'s .grad on an identical graph, and finite differences
    twin = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in expr.inputs.items()}
    expr(**twin).backward()
    fd = numerical_gradients(expr, expr.inputs, eps=1e-7)
    index = {id(t): k for k, t in enumerate(steps.tensors)}
    for name, leaf in leaves.items():
        got = acc[index[id(leaf)]]
        np.testing.assert_allclose(got, twin[name].grad, rtol=TOL["same_arithmetic"],
                                   atol=1e-15)
        assert agree(got, fd[name]), f"{name}\n{expr}"
    # the saved values are kept: backward() still runs on the stepped graph
    out.backward()
    for name, leaf in leaves.items():
        np.testing.assert_allclose(leaf.grad, twin[name].grad, rtol=TOL["same_arithmetic"])


# ---- the course's networks -----------------------------------------------------------------------
def logistic(n_x: int, rng: np.random.Generator) -> nn.LogisticRegression:
    model = nn.LogisticRegression(n_x)
    for p in model.parameters().values():  # off the zeros start, so every share differs
        p.data = rng.normal(size=p.shape) / 2
    return model


def deep_nn(net: testing.Network) -> nn.DeepNN:
    """The drawn network as the nn package's DeepNN (its W^[l], b^[l] clear of relu's kink)."""
    model = nn.DeepNN(net.layer_dims, hidden_activation=net.activations[0], rng=0)
    for name, p in model.parameters().items():
        p.data = net.parameters[name].copy()
    return model


def cost_by_differences(model: nn.Model, X: np.ndarray, Y: np.ndarray,
                        eps: float = 1e-7) -> dict[str, np.ndarray]:
    """Central differences of J over every parameter of the model, one element at a time."""
    result = {}
    with tc.no_grad():
        for name, p in model.parameters().items():
            g = np.zeros(p.shape)
            for i in np.ndindex(p.shape):
                old = p.data[i]
                p.data[i] = old + eps
                plus = model.cost(X, Y).item()
                p.data[i] = old - eps
                minus = model.cost(X, Y).item()
                p.data[i] = old
                g[i] = (plus - minus) / (2 * eps)
            result[name] = g
    return result


@settings(max_examples=60)
@given(st.data())
def test_steps_of_the_course_networks(data):
    """Logistic regression, the 2-4-1 network of week 3 and small L-layer DeepNNs."""
    kind = data.draw(st.sampled_from(["logistic", "2-4-1", "deep"]), label="model")
    if kind == "logistic":
        m = data.draw(st.integers(1, 4), label="m")
        X = data.draw(arrays((2, m), "real"), label="X")
        Y = np.array([data.draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=m,
                                         max_size=m), label="Y")])
        model: nn.Model = logistic(2, np.random.default_rng(data.draw(st.integers(0, 99))))
    else:
        net = data.draw(testing.networks(max_layers=3, max_units=3, mixed=False),
                        label="network")
        if kind == "2-4-1":  # week 3's shallow network: tanh has no kink, any weights do
            net.layer_dims, net.activations = [net.layer_dims[0], 4, 1], ["tanh", "sigmoid"]
            rng = np.random.default_rng(data.draw(st.integers(0, 99), label="seed"))
            net.parameters = {"W1": rng.normal(size=(4, net.layer_dims[0])) / 2,
                              "b1": rng.normal(size=(4, 1)) / 2,
                              "W2": rng.normal(size=(1, 4)) / 2, "b2": rng.normal(size=(1, 1))}
        X, Y, model = net.X, net.Y, deep_nn(net)
    J = model.cost(X, Y)
    steps = tc.backward_steps(J)
    params = model.parameters()
    assert all(p.grad is None for p in params.values())
    acc = check_steps(steps, J)
    J2 = model.cost(X, Y)
    J2.backward()
    fd = cost_by_differences(model, X, Y)
    index = {id(t): k for k, t in enumerate(steps.tensors)}
    names = steps.to_dict()["tensors"]
    for name, p in params.items():
        got = acc[index[id(p)]]
        np.testing.assert_allclose(got, p.grad, rtol=TOL["same_arithmetic"], atol=1e-15)
        assert agree(got, fd[name]), name
        assert names[index[id(p)]]["grad_name"] == "d" + name  # dW1, db1, dw, db
        assert names[index[id(p)]]["kind"] == "param"


def two_layer(m: int = 5) -> tuple[nn.DeepNN, tc.Tensor]:
    rng = np.random.default_rng(0)
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="xavier", rng=1)
    X, Y = rng.normal(size=(2, m)), (rng.random((1, m)) > 0.5).astype(float)
    return model, model.cost(X, Y)


def test_db1_is_the_sum_over_examples_as_its_own_step():
    model, J = two_layer(m=5)
    d = tc.backward_steps(J).to_dict()
    names = {t["name"]: t["index"] for t in d["tensors"]}
    (step,) = [s for s in d["steps"] if s["phase"] == "backward" and s["input"] == names["b1"]]
    assert step["sum"] == {"axes": [1], "before": [4, 5], "after": [4, 1],
                           "text": "db1 = Σ_i dZ1(:, i) : (4, 5) → (4, 1)"}
    assert step["upstream"]["name"] == "dZ1" and step["grad"]["name"] == "db1"
    assert step["text"] == "db1 = Σ_i dZ1(:, i) : (4, 5) → (4, 1)"
    assert step["tensor"] == names["Z1"] and step["position"] == 1 and step["final"]
    assert step["contribution"]["value"]["shape"] == [4, 1]
    assert step["contribution"]["value"]["value"] is not None  # 4 elements <= 6: written out
    upstream = d["steps"][[s["index"] for s in d["steps"] if s["phase"] == "backward"
                           and s["input"] == names["Z1"]][0]]["grad"]["value"]
    assert upstream["value"] is None and upstream["text"].startswith("‖·‖ = ")  # 20 > 6
    (w1,) = [s for s in d["steps"] if s["phase"] == "backward" and s["input"] == names["W1"]]
    assert w1["text"] == "dW1 = dJ/du · Xᵀ : (4, 2) = (4, 5) · (5, 2)"
    assert w1["local"] == {"formula": "dW1 = du·Xᵀ", "value": None}  # as the picture says it
    forward = [s["text"] for s in d["steps"] if s["phase"] == "forward"]
    assert forward[:3] == ["u = W1 @ X : (4, 5)", "Z1 = u + b1 : (4, 5)",
                           "A1 = tanh(Z1) : (4, 5)"]
    assert [t["grad_name"] for t in d["tensors"] if t["name"] in ("Z1", "A1", "A2")] == \
        ["dZ1", "dA1", "dA2"]


# ---- the J lesson --------------------------------------------------------------------------------
def j_lesson() -> tuple[tc.Tensor, dict[str, tc.Tensor]]:
    a = tc.Tensor(5.0, requires_grad=True, name="a")
    b = tc.Tensor(3.0, requires_grad=True, name="b")
    c = tc.Tensor(2.0, requires_grad=True, name="c")
    return 3 * (a + b * c), {"a": a, "b": b, "c": c}


def test_the_j_lesson_gives_the_course_numbers_and_texts():
    J, leaves = j_lesson()
    steps = tc.backward_steps(J)
    check_steps(steps, J)
    assert [s["text"] for s in steps] == [
        "u = b · c = 3 · 2 = 6",
        "v = a + u = 5 + 6 = 11",
        "J = 3 · v = 3 · 11 = 33",
        "dJ/dJ = 1",
        "dJ/dv = dJ/dJ · ∂J/∂v = 1 · 3 = 3",
        "dJ/da = dJ/dv · ∂v/∂a = 3 · 1 = 3",
        "dJ/du = dJ/dv · ∂v/∂u = 3 · 1 = 3",
        "dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6",
        "dJ/dc = dJ/du · ∂u/∂c = 3 · 3 = 9",
    ]
    grads = {s["grad"]["name"]: s["grad"]["value"]["value"] for s in steps
             if s["phase"] == "backward"}
    assert grads == {"dJ/dv": 3, "dJ/da": 3, "dJ/du": 3, "dJ/db": 6, "dJ/dc": 9}
    b_step = steps[7]
    assert b_step["local"]["formula"] == "∂u/∂b = 2" and b_step["local"]["value"]["value"] == 2
    assert b_step["upstream"] == {"name": "dJ/du", "value": {
        "shape": [], "dtype": "float64", "value": 3.0, "norm": 3.0, "text": "3"}}
    d = steps.to_dict()
    assert d["root_name"] == "J" and d["tensors"][d["root"]]["op"] == "*"
    assert [t["name"] for t in d["tensors"]] == ["c", "b", "u", "a", "v", "J"]  # the walk's
    assert d["tensors"][d["root"]]["inputs"] == [{"const": "3"}, {"tensor": 4}]
    assert all(t.grad is None for t in leaves.values())


def test_the_names_are_the_pictures():
    J, _ = j_lesson()
    J.backward(retain_graph=True)
    picture = tc.draw_graph(J, backward_edges=True).source
    for s in tc.backward_steps(J):
        if s["phase"] == "backward":
            assert s["local"]["formula"] in picture


def test_write_grads_stores_what_backward_stores():
    J, leaves = j_lesson()
    tc.backward_steps(J, write_grads=True)
    J2, twins = j_lesson()
    J2.backward(retain_graph=True)
    for k, t in leaves.items():
        assert t.grad is not None and t.grad.dtype == twins[k].grad.dtype
        np.testing.assert_array_equal(t.grad, twins[k].grad)
    tc.backward_steps(J, write_grads=True)  # a second pass adds on, as backward() does
    J2.backward()
    assert {k: t.grad.item() for k, t in leaves.items()} == {"a": 6, "b": 12, "c": 18}
    assert {k: t.grad.item() for k, t in twins.items()} == {"a": 6, "b": 12, "c": 18}


def test_fan_in_shows_the_accumulation():
    x = tc.Tensor(2.0, requires_grad=True, name="x")
    J = x * x + x
    steps = tc.backward_steps(J)
    check_steps(steps, J)
    shares = [s for s in steps if s["phase"] == "backward" and s["grad"]["name"] == "dJ/dx"]
    assert [s["accumulate"] is None for s in shares] == [True, False, False]
    assert [s["final"] for s in shares] == [False, False, True]
    second = shares[1]["accumulate"]
    assert second["before"]["value"] == 1 and second["after"]["value"] == 3
    assert shares[-1]["grad"]["value"]["value"] == 5  # dJ/dx = 2x + 1
    assert shares[1]["text"] == "dJ/dx += dJ/du · ∂u/∂x = 1 · 2 = 2; dJ/dx = 1 + 2 = 3"


def test_a_value_used_by_two_array_ops_accumulates_with_its_shapes():
    W = tc.Tensor(np.ones((2, 3)), requires_grad=True, name="W")
    J = tc.sum(tc.tanh(W) * W)
    steps = tc.backward_steps(J, max_elements=2)
    check_steps(steps, J)
    (acc,) = [s for s in steps if s["phase"] == "backward" and s["accumulate"]]
    assert acc["text"] == "dJ/dW += dJ/du · ∂u/∂W : (2, 3)"
    assert acc["accumulate"]["after"]["value"] is None  # 6 > 2: the norm only


# ---- errors, JSON edge cases, repr ---------------------------------------------------------------
def test_a_released_graph_raises_as_backward_does():
    J, _ = j_lesson()
    J.backward()
    with pytest.raises(RuntimeError, match="saved values were released"):
        tc.backward_steps(J)
    with pytest.raises(RuntimeError, match="saved values were released"):
        J.backward()


def test_the_root_must_be_one_element_and_require_grad():
    with pytest.raises(RuntimeError, match="backward_steps: .* does not require grad"):
        tc.backward_steps(tc.Tensor(1.0) * 2)
    x = tc.Tensor(np.ones(3), requires_grad=True, name="x")
    with pytest.raises(ValueError, match="backward_steps: .* has 3 elements"):
        tc.backward_steps(x * 2)
    with pytest.raises(TypeError, match="expected a Tensor"):
        tc.backward_steps(3.0)  # type: ignore[arg-type]


def test_nan_and_inf_are_written_as_strings():
    x = tc.Tensor(-1.0, requires_grad=True, name="x")
    with np.errstate(invalid="ignore"):
        J = tc.log(x)
        d = json.loads(tc.backward_steps(J).to_json())
    assert d["tensors"][1]["value"]["value"] == "nan"
    assert d["tensors"][1]["value"]["norm"] == "nan"
    z = tc.Tensor(0.0, requires_grad=True, name="z")
    with np.errstate(divide="ignore"):
        d = json.loads(tc.backward_steps(tc.log(z)).to_json())  # dJ/dz = 1/0
    assert d["tensors"][1]["value"]["value"] == "-inf"
    assert d["steps"][-1]["grad"]["value"]["value"] == "inf"


def test_repr_is_a_table_that_elides_long_runs():
    J, _ = j_lesson()
    lines = repr(tc.backward_steps(J)).splitlines()
    assert lines[0] == "Steps of J: 3 forward, 1 seed, 5 backward"
    assert lines[-1] == "   8  backward  dJ/dc = dJ/du · ∂u/∂c = 3 · 3 = 9"
    x = tc.Tensor(0.5, requires_grad=True, name="x")
    y: Any = x
    for _ in range(50):
        y = tc.tanh(y)
    text = repr(tc.backward_steps(y))
    rows = text.splitlines()
    assert "… 41 steps …" in text and len(rows) == 2 + 61
    assert rows[2].startswith("   0  forward") and rows[-1].startswith(" 100  backward")


def test_viz_and_the_package_hand_on_the_same_function():
    assert viz.backward_steps is tc.backward_steps
    assert viz.Steps is tc.Steps is Steps
