"""tinygrad_course.testing: the strategies draw what their ops accept, assert_gradients_match
passes right derivations and explains wrong ones, course_grads, the pytest plugin, the tutorial."""

from __future__ import annotations

import importlib.metadata
import math
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, assume, find, given, settings
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import ops
from tinygrad_course.gradcheck import relative_difference
from tinygrad_course.nn import DeepNN, LogisticRegression
from tinygrad_course.testing import (
    DOMAINS,
    EXPRESSION_OPS,
    HIDDEN_ACTIVATIONS,
    KINK_GAP,
    Z_GAP,
    Layer,
    Network,
    arrays,
    assert_gradients_match,
    bias_shapes,
    broadcastable_shapes,
    course_grads,
    explain,
    expressions,
    layer_dims,
    layers,
    networks,
    shapes,
)

REPO = Path(__file__).resolve().parents[1]
FIND = settings(database=None, max_examples=2000, derandomize=True)
FIRST = settings(FIND, phases=[Phase.generate])  # any example will do: no shrinking


# ---- hand derivations: the course's, and the classic mistakes ------------------------------
def g_prime(Z, activation, wrong=False):
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-Z))
        return s if wrong else s * (1 - s)  # wrong: σ' = σ
    if activation == "tanh":
        return 1 - Z**2 if wrong else 1 - np.tanh(Z) ** 2  # wrong: Z where tanh(Z) belongs
    slope = 0.01 if activation == "leaky_relu" else 0.0
    return np.ones_like(Z) if wrong else np.where(Z > 0, 1.0, slope)  # wrong: no mask


def backward(dA, cache, activation, mistake=None):
    """linear_activation_backward, the course's way, or with one named mistake."""
    (A_prev, W, b), Z = cache
    m = A_prev.shape[1]
    dZ = dA * g_prime(Z, activation, wrong=mistake == "wrong activation derivative")
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    if mistake == "missing 1/m":
        dW = dZ @ A_prev.T
    elif mistake == "missing transpose":
        dW = A_prev @ dZ.T / m
    elif mistake == "bias not summed":
        db = dZ / m
    return W.T @ dZ, dW, db


def layer_expected(layer, mistake=None):
    dA_prev, dW, db = backward(layer.dA, layer.cache, layer.activation, mistake)
    return {"dA_prev": dA_prev / layer.m, "dW": dW, "db": db}


def fixed_layer(activation="tanh"):
    rng = np.random.default_rng(5)
    return Layer(
        A_prev=rng.uniform(-2, 2, (3, 4)),
        W=rng.uniform(-1, 1, (2, 3)) / 3,
        b=rng.uniform(0.2, 0.5, (2, 1)),
        dA=rng.uniform(-2, 2, (2, 4)),
        activation=activation,
    )


def failure(fn, inputs, expected=None):
    with pytest.raises(AssertionError) as info:
        assert_gradients_match(fn, inputs, expected)
    return str(info.value)


# ---- strategies: every draw valid for its ops -----------------------------------------------
@given(shapes(min_dims=1, max_dims=2, max_side=3))
def test_shapes_respect_their_bounds(shape):
    assert isinstance(shape, tuple) and 1 <= len(shape) <= 2
    assert all(1 <= s <= 3 for s in shape)


def test_shapes_include_the_scalar_and_reject_bad_bounds():
    assert find(shapes(), lambda s: True, settings=FIND) == ()
    with pytest.raises(ValueError, match="min_dims <= max_dims"):
        shapes(3, 1)


@given(shapes().flatmap(lambda s: st.tuples(st.just(s), broadcastable_shapes(s))))
def test_broadcast_partners_broadcast_and_their_gradients_sum_back(pair):
    s, p = pair
    a = tc.Tensor(np.ones(s), requires_grad=True)
    b = tc.Tensor(np.ones(p), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == s and b.grad.shape == p
    out = np.broadcast_shapes(s, p)
    assert a.grad.sum() == b.grad.sum() == math.prod(out)


@pytest.mark.parametrize(
    "kind, holds",
    [
        ("the scalar ()", lambda s, p: p == () and s != ()),
        ("fewer axes", lambda s, p: 0 < len(p) < len(s)),
        (
            "a size-1 axis against a longer one",
            lambda s, p: any(a == 1 and b > 1 for a, b in zip(p[::-1], s[::-1])),
        ),
        (
            "a longer axis where shape has 1",
            lambda s, p: any(a > 1 and b == 1 for a, b in zip(p[::-1], s[::-1])),
        ),
        ("more axes than shape", lambda s, p: len(p) > len(s)),
    ],
)
def test_broadcast_partners_cover_every_kind(kind, holds):
    pairs = shapes(max_dims=3).flatmap(lambda s: st.tuples(st.just(s), broadcastable_shapes(s)))
    s, p = find(pairs, lambda sp: holds(*sp), settings=FIRST)
    np.broadcast_shapes(s, p)


@given(st.integers(1, 5), st.integers(1, 5), st.data())
def test_bias_shapes_add_to_Z_and_db_keeps_their_shape(n, m, data):
    shape = data.draw(bias_shapes(n))
    Z = tc.Tensor(np.ones((n, m)), requires_grad=True)
    b = tc.Tensor(np.ones(shape), requires_grad=True)
    out = Z + b
    assert out.shape == (n, m)
    out.sum().backward()
    assert b.grad.shape == shape and b.grad.sum() == n * m


def test_bias_shapes_shrink_to_the_courses():
    assert find(bias_shapes(4), lambda s: True, settings=FIND) == (4, 1)


# each domain with the op it is for, checked against finite differences
DOMAIN_OPS = {
    "real": lambda x: tc.tanh(x).sum(),
    "positive": lambda x: tc.log(x).sum(),
    "sigmoid_safe": lambda x: (tc.log(tc.sigmoid(x)) + tc.log(1 - tc.sigmoid(x))).sum(),
    "away_from_zero": lambda x: (tc.relu(x) + tc.leaky_relu(x, slope=0.2)).sum(),
    "unit_open": lambda x: tc.binary_cross_entropy(x, np.full(x.shape, 0.3)),
}


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_arrays_stay_in_their_domain_and_suit_its_ops(domain):
    (lo, hi), _ = DOMAINS[domain]

    @settings(max_examples=20)
    @given(arrays(shapes(min_dims=1, max_side=3), domain))
    def check(x):
        assert x.dtype == np.float64 and np.isfinite(x).all()
        assert (lo <= x).all() and (x <= hi).all()
        if domain == "away_from_zero":
            assert (np.abs(x) >= KINK_GAP).all()
        if domain == "unit_open":
            assert ((0 < x) & (x < 1)).all()
        assert_gradients_match(DOMAIN_OPS[domain], {"x": x})

    check()


@given(arrays(shapes(), "real", dtype=np.float32), arrays((2, 3), "positive"))
def test_arrays_take_a_dtype_and_a_fixed_shape(x, y):
    assert x.dtype == np.float32 and y.shape == (2, 3)


def test_an_unknown_domain_is_named():
    with pytest.raises(ValueError, match="unknown domain 'negative'.*away_from_zero"):
        arrays((2,), "negative")


@given(layer_dims(max_layers=3, max_units=5))
def test_layer_dims_are_a_binary_classifiers(dims):
    assert 2 <= len(dims) <= 4 and dims[-1] == 1
    assert all(1 <= n <= 5 for n in dims)


@given(expressions())
def test_expressions_are_valid_programs_with_fan_out(expr):
    n = len(expr.inputs)
    assert all(all(a < n + k for a in step.args) for k, step in enumerate(expr.steps))
    assert max(expr.uses().values()) >= 2  # a shared subexpression
    assert set(expr.sinks()) >= set(range(n)) - {a for s in expr.steps for a in s.args}
    values = expr.trace(**expr.inputs)
    for value, (lo, hi) in zip(values, expr.intervals):  # the bounds it was built on
        assert np.isfinite(value).all()
        assert (lo - 1e-9 <= value).all() and (value <= hi + 1e-9).all()
    assert np.shape(expr(**expr.inputs)) == ()
    assert str(expr).splitlines()[-1].startswith("out = ")


@settings(max_examples=25)
@given(expressions())
def test_expressions_gradients_match_finite_differences(expr):
    assert_gradients_match(expr, expr.inputs)


@pytest.mark.parametrize("op", EXPRESSION_OPS)
def test_expressions_use_every_op(op):
    find(expressions(), lambda e: any(s.op == op for s in e.steps), settings=FIRST)


def test_expressions_reject_unknown_ops():
    with pytest.raises(ValueError, match="unknown ops \\['softmax'\\]"):
        find(expressions(ops_=["softmax"]), lambda e: True, settings=FIND)


@given(layers())
def test_layers_have_the_course_layout_and_clear_the_kink(layer):
    (A_prev, W, b), Z = layer.cache
    n, m = layer.dA.shape
    assert A_prev.shape[1] == m and W.shape == (n, A_prev.shape[0]) and b.shape == (n, 1)
    assert layer.activation in HIDDEN_ACTIVATIONS
    if layer.activation in ("relu", "leaky_relu"):
        assert (np.abs(Z) >= Z_GAP).all()
    assert_gradients_match(layer.cost, layer.inputs)


@given(networks())
def test_networks_have_the_course_layout_and_pass_gradient_checking(net):
    L, m = net.L, net.m
    assert net.X.shape == (net.layer_dims[0], m) and net.Y.shape == (1, m)
    assert set(np.unique(net.Y)) <= {0.0, 1.0}
    assert len(net.activations) == L and net.activations[-1] == "sigmoid"
    assert list(net.parameters) == [f"{p}{l}" for l in range(1, L + 1) for p in "Wb"]
    AL, caches = net.caches()
    for l, ((_, W, b), Z) in enumerate(caches, start=1):
        assert W.shape == (net.layer_dims[l], net.layer_dims[l - 1]) and b.shape[1] == 1
        if net.activations[l - 1] in ("relu", "leaky_relu"):
            assert (np.abs(Z) >= Z_GAP).all()
    np.testing.assert_allclose(net.forward(), AL)
    assert ((0.0 < AL) & (AL < 1.0)).all()
    assert_gradients_match(net.cost, net.parameters)


@given(networks(mixed=False))
def test_networks_can_share_one_hidden_activation(net):
    assert len(set(net.activations[:-1])) <= 1


# ---- assert_gradients_match ---------------------------------------------------------------
@given(layers())
def test_the_courses_derivation_passes_on_every_layer(layer):
    assert_gradients_match(layer.cost, layer.inputs, layer_expected(layer))


def L_model_backward(net, mistake=None):
    AL, caches = net.caches()
    grads = {}
    dA = -(net.Y / AL - (1 - net.Y) / (1 - AL))
    for l in range(net.L, 0, -1):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = backward(
            dA, caches[l - 1], net.activations[l - 1], mistake
        )
    return grads


@given(networks())
def test_course_names_and_a_function_of_the_arrays_are_accepted(net):
    assert_gradients_match(net.cost, net.parameters, L_model_backward(net))

    def mine(**params):
        return L_model_backward(Network(net.layer_dims, net.activations, net.X, net.Y, params))

    assert_gradients_match(net.cost, net.parameters, mine)


MISTAKES = {
    "missing 1/m": r"""
  dW: relative difference 0.6; worst element W\[\d, \d\]: engine \S+, expected \S+
    hint: expected = 4 × engine everywhere: a constant factor \(a missing 1/4, e.g. 1/m\?\)$""",
    "missing transpose": r"""
  dW: shape \(3, 2\) from expected, but W has shape \(2, 3\)
    hint: the transposed shape: a missing or extra transpose\? \(a gradient has its input's """
    r"""shape, W \(2, 3\)\)$""",
    "wrong activation derivative": r"""
  (dA_prev|dW|db): relative difference \S+; worst element \w+\[\d, \d\]: engine \S+, expected \S+
    hint: \d+ of \d+ elements differ
  .*
    hint: \d+ of \d+ elements differ
  .*
    hint: \d+ of \d+ elements differ$""",
    "bias not summed": r"""
  db: shape \(2, 4\) from expected, but b has shape \(2, 1\)
    hint: b was broadcast along axis 1, so its gradient is summed there: np.sum\(..., axis=1, """
    r"""keepdims=True\) \(db = \(1/m\) Σ_i dZ\(:, i\) for a bias\)$""",
}
HEADER = (
    r"^gradients differ by more than tol 2e-07 \(g = engine, g' = expected; relative "
    r"difference \|\|g - g'\|\| / \(\|\|g\|\| \+ \|\|g'\|\|\)\):"
)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_classic_mistake_fails_with_the_documented_message(mistake):
    layer = fixed_layer()
    message = failure(layer.cost, layer.inputs, layer_expected(layer, mistake))
    assert re.fullmatch(HEADER + MISTAKES[mistake], message, re.S), message


@pytest.mark.parametrize("mistake", list(MISTAKES))
@settings(max_examples=30)
@given(layer=layers())
def test_each_mistake_is_caught_wherever_it_changes_a_gradient(mistake, layer):
    """Caught where the mistake moves a gradient well past the checker's tolerance, passed
    where it moves none; a draw in between (e.g. tanh' at z = −0.018, where 1 − z² and
    1 − tanh²z differ by 1e-4 of a tiny dZ) claims neither and is not counted."""
    right, wrong = layer_expected(layer), layer_expected(layer, mistake)
    if any(np.shape(right[k]) != np.shape(wrong[k]) for k in right):
        failure(layer.cost, layer.inputs, wrong)
        return
    moved = max(relative_difference(right[k], wrong[k]) for k in right)
    assume(moved <= 1e-9 or moved >= 1e-3)
    if moved >= 1e-3:
        failure(layer.cost, layer.inputs, wrong)
    else:
        assert_gradients_match(layer.cost, layer.inputs, wrong)


def test_finite_differences_catch_a_wrong_vjp():
    half = ops.Op(
        "half_square", "x²", lambda a: a * a, vjps=(lambda g, out, a: g * a,), derivs=("2{0}",)
    )  # the VJP forgets the 2
    message = failure(lambda x: ops.sum(half(x)), {"x": np.array([[1.0, -2.0], [0.5, 3.0]])})
    assert re.search(
        r"g' = finite differences; .*, over all inputs 0\.333\):\n  x: relative "
        r"difference 0\.333; worst element x\[1, 1\]: engine 3, finite "
        r"differences (6\.0000|5\.9999)",
        message,
    ), message


def test_finite_differences_pass_at_a_stationary_point():
    # dJ/db2 = mean(σ(b2) − y) ~ 1e-8: below what (J(θ+ε) − J(θ−ε))/2ε can resolve
    net = Network(
        [1, 1, 1],
        ["relu", "sigmoid"],
        np.zeros((1, 2)),
        np.array([[0.0, 1.0]]),
        {
            "W1": np.zeros((1, 1)),
            "b1": np.full((1, 1), -0.0505),
            "W2": np.zeros((1, 1)),
            "b2": np.full((1, 1), 1e-7),
        },
    )
    assert_gradients_match(net.cost, net.parameters)


def test_only_the_gradients_given_are_compared_and_bad_keys_are_named():
    layer = fixed_layer()
    dW = layer_expected(layer)["dW"]
    assert_gradients_match(layer.cost, layer.inputs, {"W": dW})
    with pytest.raises(
        KeyError,
        match="'dZ' matches no input; the inputs are "
        r"\['A_prev', 'W', 'b'\]",
    ):
        assert_gradients_match(layer.cost, layer.inputs, {"dZ": dW})
    with pytest.raises(KeyError, match="two gradients for W: 'W' and 'dW'"):
        assert_gradients_match(layer.cost, layer.inputs, {"W": dW, "dW": dW})
    with pytest.raises(TypeError, match="must return a dict"):
        assert_gradients_match(layer.cost, layer.inputs, lambda **a: [dW])
    with pytest.raises(TypeError, match="inputs must be a dict"):
        assert_gradients_match(layer.cost, [layer.A_prev], None)


def test_explain_names_factors_sign_errors_and_how_many_elements_differ():
    g = np.array([[1.0, 2.0]])
    assert explain("x", g, -g) == (
        "hint: expected = -1 × engine everywhere: a constant factor — a sign error?"
    )
    assert explain("x", g, 3 * g).endswith("(a missing 1/3, e.g. 1/m?)")
    assert explain("x", g, 0.5 * g).endswith("(an extra 1/2, e.g. 1/m?)")
    assert explain("x", g, 1.7 * g) == (
        "hint: expected = 1.7 × engine everywhere: a constant factor"
    )
    assert explain("x", np.array([2.0]), np.array([4.0])) == ("hint: expected = 2 × engine (a "
                                                              "missing 1/2, e.g. 1/m?)")
    assert explain("x", g, np.array([[3.0, 2.0]])) == "hint: 1 of 2 elements differ"
    assert "reshape to (2, 1)" in explain("x", np.ones((2, 1)), np.ones((1, 2, 1)))


# ---- course_grads --------------------------------------------------------------------------
@settings(max_examples=20)
@given(networks(mixed=False))
def test_course_grads_of_a_DeepNN_are_the_courses_including_dA0(net):
    hidden = net.activations[0] if net.L > 1 else "relu"
    model = DeepNN(net.layer_dims, hidden_activation=hidden, init="zeros")
    for name, p in model.parameters().items():
        p.data = net.parameters[name].copy()
    grads = course_grads(model, net.X, net.Y, include_dA0=True)
    AL, caches = net.caches()
    dA = -(net.Y / AL - (1 - net.Y) / (1 - AL))
    mine = {}
    for l in range(net.L, 0, -1):
        dA, mine[f"dW{l}"], mine[f"db{l}"] = backward(dA, caches[l - 1], net.activations[l - 1])
    mine["dA0"] = dA  # W^[1]ᵀ dZ^[1], no 1/m
    assert list(grads) == [f"d{k}" for k in model.parameters()] + ["dA0"]
    for name in mine:
        np.testing.assert_allclose(grads[name], mine[name], rtol=1e-6, atol=1e-12, err_msg=name)
    assert all(p.grad is None for p in model.parameters().values())


def test_course_grads_of_logistic_regression_are_dw_and_db():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((3, 5)), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    model = LogisticRegression(3)
    model.parameters()["w"].data[:] = rng.standard_normal((3, 1))
    w, b = model.parameters()["w"].data, model.parameters()["b"].data
    A = 1 / (1 + np.exp(-(w.T @ X + b)))
    grads = course_grads(model, X, Y)
    assert set(grads) == {"dw", "db"}
    np.testing.assert_allclose(grads["dw"], X @ (A - Y).T / 5, rtol=1e-10)
    np.testing.assert_allclose(grads["db"], np.sum(A - Y, keepdims=True) / 5, rtol=1e-10)


def test_course_grads_takes_any_model_with_parameters_and_forward():
    class OneLayer:
        def __init__(self):
            self.W = tc.Tensor([[0.5, -1.0]], requires_grad=True, name="W1")
            self.b = tc.Tensor([[0.1]], requires_grad=True, name="b1")

        def parameters(self):
            return {"W1": self.W, "b1": self.b}

        def forward(self, X):
            return tc.sigmoid(self.W @ X + self.b)

    X, Y = np.array([[1.0, 2.0], [0.0, -1.0]]), np.array([[1.0, 0.0]])
    model = OneLayer()
    A = 1 / (1 + np.exp(-(model.W.data @ X + model.b.data)))
    grads = course_grads(model, X, Y, include_dA0=True)
    np.testing.assert_allclose(grads["dW1"], (A - Y) @ X.T / 2)
    np.testing.assert_allclose(grads["db1"], np.sum(A - Y, axis=1, keepdims=True) / 2)
    np.testing.assert_allclose(grads["dA0"], model.W.data.T @ (A - Y))


# ---- import, plugin, tutorial ------------------------------------------------------------------
def run_python(code, **kw):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def test_import_tinygrad_course_does_not_import_hypothesis():
    out = run_python("""
        import sys, tinygrad_course, tinygrad_course.nn
        assert "hypothesis" not in sys.modules, "hypothesis was imported"
        sys.modules["hypothesis"] = None  # as if not installed
        try:
            import tinygrad_course.testing
        except ImportError as e:
            print(e)
    """)
    assert out.returncode == 0, out.stderr
    assert 'needs hypothesis: pip install "tinygrad_course[testing]"' in out.stdout


def plugin_args():
    """-p for the plugin unless it is installed as a pytest11 entry point already."""
    eps = importlib.metadata.entry_points(group="pytest11")
    installed = any(ep.value == "tinygrad_course.pytest_plugin" for ep in eps)
    return [] if installed else ["-p", "tinygrad_course.pytest_plugin"]


def run_pytest(path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plugin_args(), *args],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


LEARNER_TEST = """
    from hypothesis import given, settings
    from tinygrad_course.testing import arrays, shapes

    def test_profile():
        assert settings.get_current_profile_name() == {profile!r}

    @given(arrays(shapes(min_dims=1), "positive"))
    def test_log(assert_gradients, x):
        import tinygrad_course as tc
        assert_gradients(lambda x: tc.log(x).sum(), {{"x": x}})
"""


@pytest.mark.parametrize(
    "setup, profile",
    [
        ({}, "tinygrad-gradients"),
        (
            {
                "conftest.py": "from hypothesis import settings\n"
                "settings.register_profile('mine', deadline=None)\n"
                "settings.load_profile('mine')\n"
            },
            "mine",
        ),
        ({"pytest.ini": "[pytest]\ntinygrad_gradients_profile = false\n"}, "default"),
    ],
)
def test_the_plugin_loads_its_profile_only_when_none_was_chosen(tmp_path, setup, profile):
    test = textwrap.dedent(LEARNER_TEST.format(profile=profile))
    if profile == "default":  # keep only test_profile: the default profile has a deadline
        test = test[: test.index("@given")]
    for name, text in {**setup, "test_learner.py": test}.items():
        (tmp_path / name).write_text(text)
    out = run_pytest(tmp_path)
    passed = "1 passed" if profile == "default" else "2 passed"
    assert passed in out.stdout, out.stdout + out.stderr


def test_the_plugin_fixture_reads_eps_and_tol_from_ini(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\ntinygrad_gradient_tol = oops\n")
    (tmp_path / "test_x.py").write_text("def test_x(assert_gradients):\n    pass\n")
    out = run_pytest(tmp_path)
    assert "ini option tinygrad_gradient_tol = 'oops' is not a number" in out.stdout + out.stderr


def test_the_learner_tests_catch_the_notes_derivations(tmp_path):
    shutil.copytree(
        REPO / "examples/learner_tests",
        tmp_path / "learner_tests",
        ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"),
    )
    out = run_pytest(tmp_path / "learner_tests", "--hypothesis-seed=0")
    assert "2 failed, 3 passed" in out.stdout, out.stdout + out.stderr
    assert "FAILED test_backprop.py::test_from_notes" in out.stdout
    assert "FAILED test_backprop.py::test_half_fixed" in out.stdout
    assert re.search(r"\nE +dW: (shape|relative difference)", out.stdout)
    assert re.search(r"hint: expected = \d × engine.*\(a missing 1/\d, e\.g\. 1/m\?\)", out.stdout)


def test_the_tutorials_code_is_the_examples_code():
    doc = (REPO / "docs/testing.md").read_text(encoding="utf-8")
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for p in [
            REPO / "examples/learner_tests/backprop.py",
            REPO / "examples/learner_tests/test_backprop.py",
        ]
    )
    blocks = re.findall(r"```python\n(.*?)```", doc, re.S)
    assert blocks
    for block in blocks:
        assert block in sources, f"docs/testing.md shows code not in the examples:\n{block}"
