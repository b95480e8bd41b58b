"""The numpy oracles against central finite differences.

The finite differences perturb one element at a time by eps = 1e-6 and evaluate an independent,
naive forward pass written here in ``np.longdouble`` (80-bit on x86-64 Linux): in float64 the
rounding error of J divided by 2 eps (~1e-9 per element) would dominate the 1e-7 tolerance
whenever the gradient is small, which hypothesis finds quickly. What remains (longdouble
rounding, eps^2 truncation) is the absolute floor of ``agrees``, gradcheck's own rule.

Scale convention (the course's): dZ^[l] and dA^[l] are per-example derivatives, m * dJ/dZ^[l]
and m * dJ/dA^[l]; only dW and db carry the 1/m. So dA_prev = W^T dZ is compared with
m times the finite difference.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_course import oracles as O
from tinygrad_course._rng import as_rng
from tinygrad_course.gradcheck import CloseEnough, relative_difference

LONG = np.longdouble
EPS = 1e-6
TOL = 1e-7
ACTS = ["sigmoid", "relu", "leaky_relu", "tanh"]
KINKED = {"relu", "leaky_relu"}

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ----------------------------------------------------------------------------- references


def ref_g(name: str, z: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Activations in whatever dtype z has (longdouble for the finite differences)."""
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0 * z)
    if name == "leaky_relu":
        return np.where(z > 0, z, slope * z)
    raise AssertionError(name)


def ref_forward(params: dict, X: np.ndarray, hidden: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Naive L-layer forward; returns Z^[L] (pre-sigmoid) and the hidden Z^[1..L-1]."""
    L = len(params) // 2
    A, Zs = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        Zs.append(Z)
        A = ref_g(hidden, Z)
    return Z, Zs[:-1]


def ref_AL(params: dict, X: np.ndarray, hidden: str) -> np.ndarray:
    return ref_g("sigmoid", ref_forward(params, X, hidden)[0])


def ref_J(params: dict, X: np.ndarray, Y: np.ndarray, hidden: str) -> np.ndarray:
    """The cross-entropy from the logits z: -log(a) = log(1 + e^-z), -log(1 - a) = log(1 + e^z).
    Same function as the plain formula, but 1 - a does not cancel for large z, which would
    otherwise swamp the finite differences (a = 1 - 7.6e-10 at z = 21)."""
    Z = ref_forward(params, X, hidden)[0]
    return np.sum(Y * np.logaddexp(0, -Z) + (1 - Y) * np.logaddexp(0, Z)) / Z.shape[1]


def plain_cost(A: np.ndarray, Y: np.ndarray) -> float:
    return float(-np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def numerical_grad(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Central differences of the scalar f at x, one element at a time, in longdouble."""
    x = np.array(x, dtype=LONG)
    g = np.zeros(x.shape, dtype=LONG)
    for idx in np.ndindex(x.shape):
        orig = x[idx]
        x[idx] = orig + EPS
        f_plus = f(x)
        x[idx] = orig - EPS
        f_minus = f(x)
        x[idx] = orig
        g[idx] = (f_plus - f_minus) / (2 * EPS)
    return g.astype(np.float64)


def J_at(params: dict, X, Y, hidden: str) -> float:
    """The cost the finite differences evaluate, at the unperturbed point (sets their noise)."""
    long_params = {k: v.astype(LONG) for k, v in params.items()}
    return float(ref_J(long_params, X.astype(LONG), Y.astype(LONG), hidden))


def numerical_param_grads(params: dict, X, Y, hidden: str) -> dict:
    long_params = {k: v.astype(LONG) for k, v in params.items()}
    X, Y = X.astype(LONG), Y.astype(LONG)
    grads = {}
    for key in params:

        def J(v, key=key):
            return ref_J({**long_params, key: v}, X, Y, hidden)

        grads["d" + key] = numerical_grad(J, long_params[key])
    return grads


def flat(g, g_num) -> tuple[np.ndarray, np.ndarray]:
    """Arrays, or dicts of arrays concatenated in g_num's sorted keys, as two flat vectors."""
    if isinstance(g, dict):
        keys = sorted(g_num)
        g = np.concatenate([np.ravel(g[k]) for k in keys])
        g_num = np.concatenate([np.ravel(g_num[k]) for k in keys])
    return np.ravel(g), np.ravel(g_num)


def rel_diff(g, g_num) -> float:
    """||g - g'|| / (||g|| + ||g'||) over arrays or dicts of arrays (concatenated)."""
    return relative_difference(*flat(g, g_num))


LONG_EPS = float(np.finfo(LONG).eps)
AGREE = CloseEnough(rtol=TOL)  # gradcheck's rule for "close enough", at this file's tolerance


def fd_floor(f: float, n: int) -> float:
    """The difference that n central differences of f in longdouble cannot resolve: rounding,
    10 ε max(1, |f|) / EPS, plus truncation, EPS² |f'''| / 6 (taken as at most 1), per element;
    √n for the whole vector. A saturated sigmoid makes the gradient tiny while f stays O(1),
    so the relative difference alone fails on draws where nothing is wrong."""
    return (10 * LONG_EPS * max(1.0, abs(f)) / EPS + EPS**2) * float(np.sqrt(max(n, 1)))


def agrees(g, g_num, f: float, scale: float = 1.0) -> bool:
    """g and the finite differences g_num (already multiplied by ``scale``) agree by AGREE:
    relative difference < TOL, or a difference within the differences' own noise."""
    g, g_num = flat(g, g_num)
    return AGREE.agree(g, g_num, noise=scale * fd_floor(f, g_num.size))


def assume_not_flat(grads: dict) -> None:
    # A (near-)stationary point makes the relative difference 0/0 noise; skip those rare draws.
    assume(sum(float(np.linalg.norm(v)) for v in grads.values()) > 1e-5)


# ----------------------------------------------------------------------------- strategies


def arrays(shape, bound: float = 2.0):
    """Hypothesis-drawn values in [-bound, bound] plus a small seeded jitter: hypothesis loves
    0, 1 and 2, whose exact cancellations would put pre-activations right on the relu kink."""
    base = hnp.arrays(np.float64, shape, elements=st.floats(-bound, bound))
    seeds = st.integers(0, 2**32 - 1)
    return st.tuples(base, seeds).map(
        lambda t: t[0] + np.random.default_rng(t[1]).uniform(-0.1, 0.1, shape)
    )


def off_kink(Z: np.ndarray, margin: float = 1e-4) -> bool:
    """No element within ``margin`` of 0, so that an eps = 1e-6 perturbation cannot cross it."""
    return Z.size == 0 or float(np.min(np.abs(Z))) > margin


@st.composite
def labels(draw, m: int) -> np.ndarray:
    return draw(hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])))


@st.composite
def networks(draw, min_layers: int = 1, max_layers: int = 4, hidden=None):
    """(layer_dims, hidden, params, X, Y) with 1-4 layers of 1-8 units and m in 1..10."""
    L = draw(st.integers(min_layers, max_layers))
    dims = [draw(st.integers(1, 8)) for _ in range(L)] + [1]
    m = draw(st.integers(1, 10))
    hidden = hidden or draw(st.sampled_from(ACTS))
    params = {}
    for l in range(1, L + 1):
        params[f"W{l}"] = draw(arrays((dims[l], dims[l - 1])))
        params[f"b{l}"] = draw(arrays((dims[l], 1)))
    X = draw(arrays((dims[0], m)))
    Y = draw(labels(m))
    if hidden in KINKED:
        assume(all(off_kink(Z) for Z in ref_forward(params, X, hidden)[1]))
    return dims, hidden, params, X, Y


# ----------------------------------------------------------------------------- activations


@pytest.mark.parametrize("name", ACTS)
@SETTINGS
@given(data=st.data())
def test_activation_backward_matches_finite_differences(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=2, max_dims=2, max_side=8))
    Z = data.draw(arrays(shape, 3.0))
    if name in KINKED:
        assume(off_kink(Z))
    dA = data.draw(arrays(shape))
    forward, backward = O.ACTIVATIONS[name]
    np.testing.assert_allclose(forward(Z), ref_g(name, Z), rtol=1e-12, atol=1e-15)

    def F(z):  # the scalar whose gradient in Z is dA * g'(Z)
        return np.sum(dA.astype(LONG) * ref_g(name, z))

    assert agrees(backward(dA, Z), numerical_grad(F, Z), F(Z.astype(LONG)))


@SETTINGS
@given(data=st.data(), slope=st.floats(0.001, 0.5))
def test_leaky_relu_slope_argument(data, slope):
    Z = data.draw(arrays((3, 4), 3.0))
    assume(off_kink(Z))
    dA = data.draw(arrays((3, 4)))
    np.testing.assert_allclose(O.leaky_relu(Z, slope), ref_g("leaky_relu", Z, slope))

    def F(z):
        return np.sum(dA.astype(LONG) * ref_g("leaky_relu", z, slope))

    assert agrees(O.leaky_relu_backward(dA, Z, slope), numerical_grad(F, Z), F(Z.astype(LONG)))


def test_the_noise_floor_passes_saturated_layers_and_still_catches_small_errors():
    """A saturated sigmoid layer (z near 17: a gradient of 2e-7 while f = -0.57) is where the
    relative difference alone fails correct code (4e-7 > TOL, the differences' rounding); the
    floor lets it pass, and an error of 1e-4 relative in dW is still caught there."""
    rng = np.random.default_rng(7)
    A_prev, W, b = rng.uniform(1.5, 2, (8, 5)), rng.uniform(0.5, 0.8, (4, 8)), np.full((4, 1), 8.0)
    dA = np.random.default_rng(8).uniform(-2, 2, (4, 5))
    _, cache = O.linear_activation_forward(A_prev, W, b, "sigmoid")
    _, dW, _ = O.linear_activation_backward(dA, cache, "sigmoid")

    def F(W_):
        return np.sum(dA.astype(LONG) * ref_g("sigmoid", W_ @ A_prev.astype(LONG) + b)) / 5

    num, f = numerical_grad(F, W), F(W.astype(LONG))
    assert 1e-7 < np.linalg.norm(num) < 1e-6
    assert rel_diff(dW, num) > TOL
    assert agrees(dW, num, f)
    assert not agrees(dW * (1 + 1e-4), num, f)


def test_sigmoid_is_stable_at_extremes():
    z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = O.sigmoid(z)
        ds = O.sigmoid_backward(np.ones_like(z), z)
    np.testing.assert_array_equal(s[0, [0, 2, 4]], [0.0, 0.5, 1.0])
    assert s[0, 1] == pytest.approx(np.exp(-40.0), rel=1e-12)  # no cancellation for z < 0
    assert np.all(np.isfinite(ds)) and ds[0, 2] == 0.25
    moderate_z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(O.sigmoid(moderate_z), 1 / (1 + np.exp(-moderate_z)), rtol=1e-14)
    np.testing.assert_allclose(O.sigmoid(-moderate_z), 1 - O.sigmoid(moderate_z), atol=1e-16)


def test_kink_conventions_at_zero():
    z, dA = np.zeros((1, 3)), np.array([[1.0, -2.0, 3.0]])
    np.testing.assert_array_equal(O.relu_backward(dA, z), np.zeros((1, 3)))
    np.testing.assert_array_equal(O.leaky_relu_backward(dA, z), 0.01 * dA)
    np.testing.assert_array_equal(O.leaky_relu_backward(dA, z, slope=0.2), 0.2 * dA)


def test_unknown_activation_is_rejected():
    with pytest.raises(ValueError, match="unknown activation"):
        O.linear_activation_forward(np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 1)), "swish")
    with pytest.raises(ValueError, match="output activation"):
        O.L_model_forward(
            np.ones((1, 1)), {"W1": np.ones((1, 1)), "b1": np.ones((1, 1))}, output="relu"
        )


# ----------------------------------------------------------------------------- cost, logistic


@SETTINGS
@given(data=st.data(), m=st.integers(1, 10))
def test_compute_cost_is_the_cross_entropy(data, m):
    A = data.draw(hnp.arrays(np.float64, (1, m), elements=st.floats(0.001, 0.999)))
    Y = data.draw(labels(m))
    expected = plain_cost(A, Y)
    assert O.compute_cost(A, Y) == pytest.approx(expected, rel=1e-12)
    assert O.compute_cost(A, Y.ravel()) == pytest.approx(expected, rel=1e-12)  # (m,) labels too


@SETTINGS
@given(data=st.data(), n_x=st.integers(1, 8), m=st.integers(1, 10), b_is_array=st.booleans())
def test_logistic_propagate_matches_finite_differences(data, n_x, m, b_is_array):
    w, X, Y = data.draw(arrays((n_x, 1))), data.draw(arrays((n_x, m))), data.draw(labels(m))
    b0 = float(data.draw(arrays((1, 1)))[0, 0])
    b = np.array([[b0]]) if b_is_array else b0
    with np.errstate(divide="ignore", invalid="ignore"):  # the plain cost at a = 1.0 exactly
        grads, cost = O.logistic_propagate(w, b, X, Y)
        expected_cost = plain_cost(O.sigmoid(w.T @ X + b0), Y)
    np.testing.assert_allclose(cost, expected_cost, rtol=1e-12)
    params = {"W1": w.T, "b1": np.array([[b0]])}
    num = numerical_param_grads(params, X, Y, "sigmoid")
    if b_is_array:
        assert isinstance(grads["db"], np.ndarray) and grads["db"].shape == (1, 1)
    else:
        assert isinstance(grads["db"], float)
    assert grads["dw"].shape == (n_x, 1)
    got = {"dW1": grads["dw"].T, "db1": np.reshape(grads["db"], (1, 1))}
    assume_not_flat(got)
    assert agrees(got, num, J_at(params, X, Y, "sigmoid"))


# ----------------------------------------------------------------------------- two-layer net


@pytest.mark.parametrize("hidden", ACTS)
@SETTINGS
@given(data=st.data())
def test_two_layer_backward_matches_finite_differences(hidden, data):
    _, _, params, X, Y = data.draw(networks(min_layers=2, max_layers=2, hidden=hidden))
    A2, cache = O.two_layer_forward(params, X, hidden)
    np.testing.assert_allclose(A2, ref_AL(params, X, hidden), rtol=1e-12)
    assert set(cache) == {"Z1", "A1", "Z2", "A2"}
    grads = O.two_layer_backward(params, cache, X, Y, hidden)
    assert all(grads["d" + k].shape == v.shape for k, v in params.items())
    assume_not_flat(grads)
    assert agrees(grads, numerical_param_grads(params, X, Y, hidden), J_at(params, X, Y, hidden))


# ----------------------------------------------------------------------------- L-layer blocks


@SETTINGS
@given(data=st.data(), n=st.integers(1, 8), n_prev=st.integers(1, 8), m=st.integers(1, 10))
def test_linear_backward_matches_finite_differences(data, n, n_prev, m):
    A_prev, W, b = (data.draw(arrays(s)) for s in [(n_prev, m), (n, n_prev), (n, 1)])
    dZ = data.draw(arrays((n, m)))
    Z, cache = O.linear_forward(A_prev, W, b)
    np.testing.assert_allclose(Z, W @ A_prev + b)
    dA_prev, dW, db = O.linear_backward(dZ, cache)

    # F = (1/m) sum(dZ * Z): its gradients are dW, db, and dA_prev / m (see module docstring).
    def F(A_, W_, b_):
        return np.sum(dZ.astype(LONG) * (W_ @ A_ + b_)) / m

    L = [x.astype(LONG) for x in (A_prev, W, b)]
    f = F(*L)
    assert agrees(dW, numerical_grad(lambda v: F(L[0], v, L[2]), W), f)
    assert agrees(db, numerical_grad(lambda v: F(L[0], L[1], v), b), f)
    assert agrees(dA_prev, m * numerical_grad(lambda v: F(v, L[1], L[2]), A_prev), f, scale=m)
    skipped, dW2, db2 = O.linear_backward(dZ, cache, need_dA_prev=False)
    assert skipped is None
    np.testing.assert_array_equal(dW2, dW)
    np.testing.assert_array_equal(db2, db)


@pytest.mark.parametrize("activation", ACTS)
@SETTINGS
@given(data=st.data(), n=st.integers(1, 8), n_prev=st.integers(1, 8), m=st.integers(1, 10))
def test_linear_activation_backward_matches_finite_differences(activation, data, n, n_prev, m):
    A_prev, W, b = (data.draw(arrays(s)) for s in [(n_prev, m), (n, n_prev), (n, 1)])
    dA = data.draw(arrays((n, m)))
    A, cache = O.linear_activation_forward(A_prev, W, b, activation)
    if activation in KINKED:
        assume(off_kink(cache[1]))
    np.testing.assert_allclose(A, ref_g(activation, W @ A_prev + b), rtol=1e-12, atol=1e-15)
    dA_prev, dW, db = O.linear_activation_backward(dA, cache, activation)

    def F(A_, W_, b_):
        return np.sum(dA.astype(LONG) * ref_g(activation, W_ @ A_ + b_)) / m

    L = [x.astype(LONG) for x in (A_prev, W, b)]
    got = np.concatenate([dW.ravel(), db.ravel(), dA_prev.ravel() / m])
    num = np.concatenate(
        [
            numerical_grad(lambda v: F(L[0], v, L[2]), W).ravel(),
            numerical_grad(lambda v: F(L[0], L[1], v), b).ravel(),
            numerical_grad(lambda v: F(v, L[1], L[2]), A_prev).ravel(),
        ]
    )
    assume(np.linalg.norm(num) > 1e-5)
    assert agrees(got, num, F(*L))


# ----------------------------------------------------------------------------- L-layer model


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks())
def test_L_model_backward_matches_finite_differences(net):
    dims, hidden, params, X, Y = net
    AL, caches = O.L_model_forward(X, params, hidden)
    assert len(caches) == len(dims) - 1
    np.testing.assert_allclose(AL, ref_AL(params, X, hidden), rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):  # a = 1.0 exactly: the plain formula
        np.testing.assert_allclose(O.compute_cost(AL, Y), plain_cost(AL, Y), rtol=1e-12)
    grads = O.L_model_backward(AL, Y, caches, hidden)
    assert set(grads) == {"d" + k for k in params}
    assume_not_flat(grads)
    assert agrees(grads, numerical_param_grads(params, X, Y, hidden), J_at(params, X, Y, hidden))


@SETTINGS
@given(net=networks())
def test_dA0_is_m_times_dJ_dX(net):
    dims, hidden, params, X, Y = net
    AL, caches = O.L_model_forward(X, params, hidden)
    grads = O.L_model_backward(AL, Y, caches, hidden, need_dA0=True)
    m = X.shape[1]
    long_params = {k: v.astype(LONG) for k, v in params.items()}
    num = m * numerical_grad(lambda x: ref_J(long_params, x, Y.astype(LONG), hidden), X)
    assert grads["dA0"].shape == X.shape
    assume(np.linalg.norm(num) > 1e-5)
    assert agrees(grads["dA0"], num, J_at(params, X, Y, hidden), scale=m)


@SETTINGS
@given(net=networks())
def test_fused_output_agrees_with_the_dAL_route(net):
    _, hidden, params, X, Y = net
    AL, caches = O.L_model_forward(X, params, hidden)
    assume(np.all((AL > 1e-6) & (AL < 1 - 1e-6)))  # dAL = -(Y/AL - (1-Y)/(1-AL)) stays finite
    fused = O.L_model_backward(AL, Y, caches, hidden, need_dA0=True, fused_output=True)
    unfused = O.L_model_backward(AL, Y, caches, hidden, need_dA0=True, fused_output=False)
    assert fused.keys() == unfused.keys()
    for k in fused:
        np.testing.assert_allclose(fused[k], unfused[k], rtol=1e-6, atol=1e-9, err_msg=k)


def test_dA0_is_skipped_unless_requested():
    rng = np.random.RandomState(0)
    params = O.initialize_parameters_deep([5, 3, 1], "he", rng)
    X, Y = rng.standard_normal((5, 4)), np.array([[0.0, 1.0, 1.0, 0.0]])
    AL, caches = O.L_model_forward(X, params)
    # Layer 1's W is only needed for dA0 = W1^T dZ1: poison it to prove that product is skipped.
    (A0, _W1, b1), Z1 = caches[0]
    caches[0] = ((A0, np.empty((0, 0)), b1), Z1)
    grads = O.L_model_backward(AL, Y, caches)
    assert "dA0" not in grads and set(grads) == {"dW1", "db1", "dW2", "db2"}
    with pytest.raises(ValueError):
        O.L_model_backward(AL, Y, caches, need_dA0=True)


# ----------------------------------------------------------------------------- the notes' error


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(min_layers=2), data=st.data())
def test_the_notes_transcription_error_is_not_what_the_oracle_computes(net, data):
    """002's summary writes dW^[L] = dZ^[L] A^[L]T (the README says without 1/m; the text has
    it) and dZ^[L-1] = dW^[L]T dZ^[L] * g'(Z^[L-1]). The oracle uses (1/m) dZ^[L] A^[L-1]T and
    W^[L]T; the finite differences side with the oracle. n^[L-1] = 1 is forced half of the
    time so that the wrong dW^[L] has the right shape and its values are compared."""
    dims, hidden, params, X, Y = net
    L = len(dims) - 1
    if data.draw(st.booleans()):
        params[f"W{L - 1}"] = params[f"W{L - 1}"][:1]
        params[f"b{L - 1}"] = params[f"b{L - 1}"][:1]
        params[f"W{L}"] = params[f"W{L}"][:, :1]
        if hidden in KINKED:
            assume(all(off_kink(Z) for Z in ref_forward(params, X, hidden)[1]))
    AL, caches = O.L_model_forward(X, params, hidden)
    grads = O.L_model_backward(AL, Y, caches, hidden)
    num = numerical_param_grads(params, X, Y, hidden)
    assume_not_flat(grads)
    assert agrees(grads, num, J_at(params, X, Y, hidden))

    m = X.shape[1]
    dZL = AL - Y
    dWL = num[f"dW{L}"]
    A_prev_L = caches[L - 1][0][0]
    if A_prev_L.shape == AL.shape:
        # Where A^[L] ~ A^[L-1] the wrong index is numerically harmless: not a telling case.
        assume(rel_diff(AL, A_prev_L) > 0.05)
    for wrong in (dZL @ AL.T, (dZL @ AL.T) / m):
        assert wrong.shape != dWL.shape or rel_diff(wrong, dWL) > 1e-3

    # The wrong recursion through dW^[L] instead of W^[L]: same shapes, wrong dW^[L-1].
    assume(rel_diff(grads[f"dW{L}"], params[f"W{L}"]) > 0.05)
    (A_prev, _, _), Z_prev = caches[L - 2]
    _, g_backward = O.ACTIVATIONS[hidden]
    wrong_dZ = g_backward(grads[f"dW{L}"].T @ dZL, Z_prev)
    wrong_dW = (wrong_dZ @ A_prev.T) / m
    right_dW = num[f"dW{L - 1}"]
    assume(np.linalg.norm(right_dW) > 1e-5)
    assert rel_diff(wrong_dW, right_dW) > 1e-3


# ----------------------------------------------------------------------------- training helpers


def test_L_model_step_is_one_gradient_descent_iteration():
    rng = np.random.RandomState(2)
    params = O.initialize_parameters_deep([4, 5, 3, 1], "he", rng)
    X, Y = rng.standard_normal((4, 7)), (rng.standard_normal((1, 7)) > 0).astype(float)
    before = {k: v.copy() for k, v in params.items()}
    AL, caches = O.L_model_forward(X, before, "tanh")
    grads = O.L_model_backward(AL, Y, caches, "tanh")
    cost = O.L_model_step(X, Y, params, 0.1, hidden="tanh")
    assert cost == O.compute_cost(AL, Y)
    for k in params:
        np.testing.assert_allclose(params[k], before[k] - 0.1 * grads["d" + k])
    costs = [O.L_model_step(X, Y, params, 0.1, hidden="tanh") for _ in range(50)]
    assert costs[-1] < costs[0] < cost


# ----------------------------------------------------------------------------- initialisation


def test_initialisation_reproduces_the_course_seed():
    np.random.seed(3)
    W1, W2 = np.random.randn(4, 5) * 0.01, np.random.randn(3, 4) * 0.01
    for rng in (np.random.RandomState(3), 3):
        params = O.initialize_parameters_deep([5, 4, 3], "small", rng)
        np.testing.assert_array_equal(params["W1"], W1)
        np.testing.assert_array_equal(params["W2"], W2)
        np.testing.assert_array_equal(params["b1"], np.zeros((4, 1)))
    # The week-4 notebook's expected first row of W1 for seed 3.
    np.testing.assert_allclose(
        W1[0], [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388], atol=1e-8
    )
    np.random.seed(3)  # rng=None draws from numpy's global state, as the notebooks do
    np.testing.assert_array_equal(O.initialize_parameters_deep([5, 4, 3], "small")["W1"], W1)


def test_random_state_matches_global_randn():
    np.random.seed(1)
    expected = np.random.randn(3, 7)
    np.testing.assert_array_equal(np.random.RandomState(1).standard_normal((3, 7)), expected)


@pytest.mark.parametrize(
    "init, scale",
    [
        ("small", lambda n: 0.01),
        ("xavier", lambda n: np.sqrt(1 / n)),
        ("he", lambda n: np.sqrt(2 / n)),
    ],
)
def test_initialisation_scales(init, scale):
    dims = [6, 4, 2, 1]
    params = O.initialize_parameters_deep(dims, init, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    for l in range(1, len(dims)):
        expected = rng.standard_normal((dims[l], dims[l - 1])) * scale(dims[l - 1])
        np.testing.assert_allclose(params[f"W{l}"], expected, rtol=1e-15)
        assert params[f"b{l}"].shape == (dims[l], 1) and not params[f"b{l}"].any()


def test_zeros_initialisation_and_errors():
    params = O.initialize_parameters_deep([3, 2, 1], "zeros")
    assert {k: v.shape for k, v in params.items()} == {
        "W1": (2, 3),
        "b1": (2, 1),
        "W2": (1, 2),
        "b2": (1, 1),
    }
    assert not any(v.any() for v in params.values())
    with pytest.raises(ValueError, match="init .uniform. is not one of"):
        O.initialize_parameters_deep([3, 1], "uniform")
    with pytest.raises(ValueError):
        O.initialize_parameters_deep([3])


def test_as_rng():
    gen, legacy = np.random.default_rng(0), np.random.RandomState(0)
    assert as_rng(gen) is gen and as_rng(legacy) is legacy
    assert O.as_rng is as_rng
    assert isinstance(as_rng(5), np.random.RandomState)
    assert isinstance(as_rng(np.int64(5)), np.random.RandomState)
    np.random.seed(4)
    a = as_rng(None).standard_normal(3)
    np.random.seed(4)
    np.testing.assert_array_equal(a, np.random.randn(3))
    for bad in ("3", 1.5, True):
        with pytest.raises(TypeError):
            as_rng(bad)
