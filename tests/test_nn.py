"""tinygrad_course.nn: the cost, initialisation, the models' API, training, save/load."""

from __future__ import annotations

import io
import pickle
import re
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course.datasets import planar_flower
from tinygrad_course.graph import topological_order


def course_formula(A: np.ndarray, Y: np.ndarray) -> float:
    """J = -(1/m) Σ [y log a + (1 - y) log(1 - a)], literally."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-(1 / A.shape[1]) * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)))


def toy_data(n_x: int = 3, m: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_x, m))
    Y = (X[:1] + 0.5 * X[-1:] > 0).astype(float)
    return X, Y


# ---- the cost ------------------------------------------------------------------------------------
probabilities = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0, allow_subnormal=True))


@given(st.integers(1, 12).flatmap(lambda m: st.tuples(
    hnp.arrays(np.float64, (1, m), elements=probabilities),
    hnp.arrays(np.float64, (1, m), elements=st.one_of(st.sampled_from([0.0, 1.0]),
                                                       st.floats(0.0, 1.0))))))
def test_binary_cross_entropy_is_the_course_formula_wherever_that_is_finite(AY):
    A, Y = AY
    J = nn.binary_cross_entropy(tc.Tensor(A, requires_grad=True), Y)
    assert np.isfinite(J.item())  # finite even where the formula is not (log 0)
    expected = course_formula(A, Y)
    if np.isfinite(expected):
        assert abs(J.item() - expected) <= 1e-12 * max(1.0, abs(expected))


@pytest.mark.parametrize("a", [0.0, 1.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_binary_cross_entropy_is_finite_when_a_is_exactly_0_or_1(a, y):
    A = tc.Tensor(np.array([[a, 0.5]]), requires_grad=True)
    J = nn.binary_cross_entropy(A, np.array([[y, 1.0]]))
    J.backward()
    assert np.isfinite(J.item()) and np.isfinite(A.grad).all()
    if a == y:  # a right, certain prediction costs nothing: J = (0 + log 2) / 2
        assert J.item() == pytest.approx(np.log(2) / 2, rel=1e-15)
    else:  # a wrong, certain prediction costs a lot, but a finite lot
        assert J.item() > 300


def test_binary_cross_entropy_is_one_node_of_the_engine():
    A = tc.Tensor(np.array([[0.2, 0.9]]), requires_grad=True, name="A2")
    J = nn.binary_cross_entropy(A, np.array([[0.0, 1.0]]))
    assert J.op is tc.ops.BCE and J.op.label == "L(a, y)" and J.parents == (A,)
    J.backward()
    np.testing.assert_allclose(A.grad, (A.data - [[0, 1]]) / (A.data * (1 - A.data)) / 2)


@given(st.integers(1, 10).flatmap(lambda m: st.tuples(
    hnp.arrays(np.float64, (1, m), elements=st.floats(-30, 30)),
    hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])))))
def test_binary_cross_entropy_with_logits_is_the_formula_of_sigma_z(ZY):
    Z, Y = ZY
    Zt = tc.Tensor(Z, requires_grad=True)
    J = nn.binary_cross_entropy_with_logits(Zt, Y)
    A = 1 / (1 + np.exp(-Z))
    expected = course_formula(A, Y)
    if np.isfinite(expected) and A.min() > 1e-3 and A.max() < 1 - 1e-3:
        # away from saturation 1 - a loses no digits, so the literal formula is exact enough
        assert abs(J.item() - expected) <= 1e-12 * max(1.0, abs(expected))
    J.backward()
    np.testing.assert_allclose(Zt.grad, (A - Y) / Z.shape[1], rtol=1e-12, atol=1e-300)


def test_binary_cross_entropy_with_logits_is_finite_and_right_for_huge_z():
    J = nn.binary_cross_entropy_with_logits(tc.Tensor([[1000.0, -1000.0]]), [[0.0, 0.0]])
    assert J.item() == pytest.approx(500.0)  # -log(1 - σ(1000)) = 1000, -log(1 - σ(-1000)) = 0


# ---- initialisation ------------------------------------------------------------------------------
def test_small_init_from_randomstate_1_is_the_course_notebooks_weights():
    n_x, n_h, n_y = 5, 4, 1
    np.random.seed(1)  # the notebook's initialize_parameters(n_x, n_h, n_y)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    for rng in (np.random.RandomState(1), 1):
        p = nn.DeepNN([n_x, n_h, n_y], init="small", rng=rng).parameters()
        for name, want in dict(W1=W1, b1=b1, W2=W2, b2=b2).items():
            np.testing.assert_array_equal(p[name].data, want, err_msg=name)
    np.random.seed(1)  # rng=None draws from numpy's global state, as the notebook does
    p = nn.DeepNN([n_x, n_h, n_y], init="small").parameters()
    np.testing.assert_array_equal(p["W1"].data, W1)


def test_xavier_and_he_from_randomstate_1_are_the_course_notebooks_weights():
    dims = [12, 5, 3, 1]
    np.random.seed(1)  # week 4's initialize_parameters_deep (dnn_app_utils)
    xavier = [np.random.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
              for l in range(1, len(dims))]
    np.random.seed(1)  # course 2's He initialisation
    he = [np.random.randn(dims[l], dims[l - 1]) * np.sqrt(2.0 / dims[l - 1])
          for l in range(1, len(dims))]
    for init, expected in (("xavier", xavier), ("he", he)):
        p = nn.DeepNN(dims, init=init, rng=np.random.RandomState(1)).parameters()
        for l, W in enumerate(expected, start=1):
            np.testing.assert_array_equal(p[f"W{l}"].data, W, err_msg=f"{init} W{l}")
            np.testing.assert_array_equal(p[f"b{l}"].data, np.zeros((dims[l], 1)))


def test_weights_are_drawn_in_layer_order_from_a_generator():
    dims = [4, 3, 2, 1]
    g = np.random.default_rng(7)
    expected = [g.standard_normal((dims[l], dims[l - 1])) * 0.01 for l in range(1, 4)]
    p = nn.DeepNN(dims, init="small", rng=np.random.default_rng(7)).parameters()
    for l in range(1, 4):
        np.testing.assert_array_equal(p[f"W{l}"].data, expected[l - 1])


def test_zeros_init_draws_nothing():
    rng = np.random.RandomState(5)
    before = rng.get_state()[1].copy()
    p = nn.DeepNN([3, 2, 1], init="zeros", rng=rng).parameters()
    assert all(not t.data.any() for t in p.values())
    np.testing.assert_array_equal(rng.get_state()[1], before)


def test_initialize_parameters_rejects_what_it_cannot_use():
    with pytest.raises(ValueError, match="init 'glorot' is not one of zeros, small, xavier, he"):
        nn.initialize_parameters([2, 1], "glorot")
    with pytest.raises(TypeError, match="rng must be"):
        nn.initialize_parameters([2, 1], "he", rng="seed")
    with pytest.raises(ValueError, match=r"entry 1 is 0"):
        nn.initialize_parameters([2, 0, 1])
    with pytest.raises(ValueError, match="at least"):
        nn.initialize_parameters([2])


# ---- the models --------------------------------------------------------------------------------
def test_deepnn_parameters_are_named_and_shaped_as_the_course_says():
    model = nn.DeepNN([5, 4, 3, 1], hidden_activation="tanh", init="he", rng=0)
    params = model.parameters()
    assert list(params) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    shapes = {k: v.shape for k, v in params.items()}
    assert shapes == {"W1": (4, 5), "b1": (4, 1), "W2": (3, 4), "b2": (3, 1),
                      "W3": (1, 3), "b3": (1, 1)}
    assert all(p.requires_grad and p.name == k for k, p in params.items())
    assert model.L == 3 and model.activations == ["tanh", "tanh", "sigmoid"]


def test_logistic_regression_parameters():
    params = nn.LogisticRegression(6).parameters()
    assert list(params) == ["w", "b"]
    assert params["w"].shape == (6, 1) and params["b"].shape == (1, 1)


@pytest.mark.parametrize("hidden", list(nn.ACTIVATIONS))
def test_forward_names_the_graph_as_the_course_does(hidden):
    X, Y = toy_data(3, 5)
    model = nn.DeepNN([3, 4, 2, 1], hidden_activation=hidden, rng=0)
    J = model.cost(X, Y)
    names = {t.name for t in topological_order([J])}
    assert {"X", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "W3", "b3", "Z3", "A3",
            "J"} <= names
    A3 = J.parents[0]
    assert A3.name == "A3" and A3.op is tc.ops.SIGMOID
    assert J.parents[1].name == "Y" and not J.parents[1].requires_grad
    Z1 = next(t for t in topological_order([J]) if t.name == "Z1")
    assert Z1.op is tc.ops.ADD
    assert model.forward(X).shape == (1, 5)


def test_logistic_regression_forward_is_sigma_of_w_transpose_x_plus_b():
    X, _ = toy_data(3, 4)
    model = nn.LogisticRegression(3)
    model.parameters()["w"].data[:] = [[0.5], [-1.0], [2.0]]
    model.parameters()["b"].data[:] = 0.25
    A = model.forward(X)
    np.testing.assert_allclose(A.data, 1 / (1 + np.exp(-(np.array([[0.5, -1.0, 2.0]]) @ X
                                                          + 0.25))), rtol=1e-15)
    assert A.name == "A" and A.parents[0].name == "Z"


def test_the_data_never_requires_grad_and_gets_no_gradient():
    X, Y = toy_data()
    Xt = tc.Tensor(X, requires_grad=True, name="X")
    Yt = tc.Tensor(Y, requires_grad=True, name="Y")
    model = nn.DeepNN([3, 4, 1], rng=0)
    model.step(Xt, Yt, 0.1)
    model.fit(Xt, Yt, 0.1, 3)
    assert Xt.grad is None and Yt.grad is None
    J = model.cost(Xt, Yt)
    assert not any(t.requires_grad for t in topological_order([J]) if t.name in ("X", "Y"))


def test_step_returns_the_cost_before_its_update_and_updates_in_place():
    X, Y = toy_data()
    model = nn.DeepNN([3, 4, 1], init="small", rng=1)
    W1 = model.parameters()["W1"]
    before, data_id = W1.data.copy(), id(W1.data)
    J = model.cost(X, Y)
    J.backward()
    expected_W1 = before - 0.5 * W1.grad
    cost = model.step(X, Y, 0.5)
    assert cost == J.item()
    np.testing.assert_allclose(W1.data, expected_W1, rtol=1e-14)
    assert id(W1.data) == data_id  # updated in place, no new array per step


def test_fit_returns_the_cost_of_every_iteration_before_its_update():
    X, Y = toy_data()
    a = nn.DeepNN([3, 4, 1], init="small", rng=1)
    b = nn.DeepNN([3, 4, 1], init="small", rng=1)
    costs = a.fit(X, Y, learning_rate=0.3, num_iterations=25)
    assert len(costs) == 25 and all(isinstance(c, float) for c in costs)
    assert costs == [b.step(X, Y, 0.3) for _ in range(25)]
    assert costs[-1] < costs[0]
    assert a.fit(X, Y, 0.3, 0) == []


def test_fit_calls_the_callback_after_every_iteration():
    X, Y = toy_data()
    model = nn.LogisticRegression(3)
    seen = []
    costs = model.fit(X, Y, 0.1, 7, callback=lambda i, c: seen.append((i, c)))
    assert seen == list(enumerate(costs))


def test_print_cost_prints_every_100_iterations_as_the_course_does(capsys):
    X, Y = toy_data()
    costs = nn.LogisticRegression(3).fit(X, Y, 0.01, 250, print_cost=True)
    out = capsys.readouterr().out.splitlines()
    assert out == [f"Cost after iteration {i}: {costs[i]:f}" for i in (0, 100, 200)]
    assert out[0] == "Cost after iteration 0: 0.693147"


def test_progress_bar_uses_tqdm_when_installed(capsys):
    pytest.importorskip("tqdm")
    X, Y = toy_data()
    nn.LogisticRegression(3).fit(X, Y, 0.01, 150, print_cost=True, progress=True)
    captured = capsys.readouterr()
    assert "150/150" in captured.err
    assert "Cost after iteration 100: " in captured.out


def test_progress_bar_falls_back_to_a_text_line_without_tqdm(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    assert nn.ProgressBar(3).backend == "text"
    X, Y = toy_data()
    costs = nn.LogisticRegression(3).fit(X, Y, 0.01, 150, print_cost=True, progress=True)
    captured = capsys.readouterr()
    assert re.search(r"training \[#{20}\] 150/150  cost 0\.\d{4}", captured.err)
    assert captured.err.endswith("\n")
    assert f"Cost after iteration 100: {costs[100]:f}" in captured.out.splitlines()
    with pytest.raises(ImportError, match=r"tinygrad_course\[progress\]"):
        nn.ProgressBar(3, use_tqdm=True)


def test_predict_thresholds_at_one_half_and_accuracy_is_a_fraction():
    model = nn.LogisticRegression(1)
    X = np.array([[-1.0, 0.0, 1.0, 2.0]])
    pred = model.predict(X)  # w = 0, b = 0: a = 0.5 everywhere, and 0.5 is not > 0.5
    assert pred.shape == (1, 4) and not pred.any()
    model.parameters()["w"].data[:] = 1.0
    np.testing.assert_array_equal(model.predict(X), [[0, 0, 1, 1]])
    assert model.accuracy(X, np.array([[0, 1, 1, 1]])) == 0.75


def test_both_models_learn_a_separable_problem():
    X, Y = toy_data(m=60)
    assert nn.LogisticRegression(3).fit(X, Y, 0.5, 300)[-1] < 0.2
    assert nn.LogisticRegression(3).accuracy(X, Y) < 1.0
    lr = nn.LogisticRegression(3)
    lr.fit(X, Y, 0.5, 300)
    assert lr.accuracy(X, Y) == 1.0
    deep = nn.DeepNN([3, 5, 3, 1], hidden_activation="leaky_relu", init="he", rng=0)
    deep.fit(X, Y, 0.1, 500)
    assert deep.accuracy(X, Y) == 1.0


def test_the_course_shallow_network_on_the_flower():
    """Week 3: 2-4-1 tanh, "small" init from RandomState(2), α = 1.2: the course's cost at
    iteration 0 (0.693048) and 1000 (0.288083); 90 % after 10,000 iterations (docs)."""
    X, Y = planar_flower()
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",
                      rng=np.random.RandomState(2))
    costs = model.fit(X, Y, learning_rate=1.2, num_iterations=1001)
    assert f"{costs[0]:f}" == "0.693048" and f"{costs[1000]:f}" == "0.288083"
    assert model.accuracy(X, Y) > 0.85


# ---- symmetry (lesson 3.10) -----------------------------------------------------------------
def assert_identical_rows(M: np.ndarray) -> None:
    """Every row equals the first, up to rounding: BLAS may sum different rows of W @ A in a
    different order, so units that are equal in exact arithmetic can differ in the last bits."""
    np.testing.assert_allclose(M, np.broadcast_to(M[:1], M.shape), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_zero_initialisation_leaves_the_hidden_units_identical_after_training(hidden):
    X, Y = toy_data(2, 100)
    X = X + 1.0  # off-centre, so that even the mean of the hidden units' gradient is not 0
    model = nn.DeepNN([2, 4, 1], hidden_activation=hidden, init="zeros")
    model.fit(X, Y, learning_rate=0.5, num_iterations=200)
    W1, b1, W2 = (model.parameters()[k].data for k in ("W1", "b1", "W2"))
    assert_identical_rows(W1)
    assert_identical_rows(b1)
    assert_identical_rows(W2.T)
    if hidden == "sigmoid":  # σ(0) = 1/2 ≠ 0, so the units did learn, all the same thing
        assert np.abs(W1).max() > 1e-3 and np.abs(W2).max() > 1e-2


def test_identical_hidden_units_stay_identical_whatever_their_common_value():
    """The general form of the argument: units with equal incoming and outgoing weights get
    equal gradients, so gradient descent can never tell them apart."""
    X, Y = planar_flower(m=100)
    model = nn.DeepNN([2, 5, 1], hidden_activation="tanh")
    p = model.parameters()
    p["W1"].data[:] = [0.3, -0.7]
    p["b1"].data[:] = 0.1
    p["W2"].data[:] = 0.2
    model.fit(X, Y, learning_rate=0.5, num_iterations=200)
    W1 = p["W1"].data
    assert_identical_rows(W1)
    assert np.abs(W1 - [0.3, -0.7]).max() > 1e-3


def test_random_initialisation_breaks_the_symmetry():
    X, Y = planar_flower(m=100)
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small", rng=2)
    model.fit(X, Y, learning_rate=0.5, num_iterations=200)
    W1 = model.parameters()["W1"].data
    assert len({tuple(row) for row in np.round(W1, 6)}) == 4


# ---- what the models refuse ------------------------------------------------------------------
def test_shapes_and_values_are_checked_with_clear_messages():
    model = nn.DeepNN([3, 2, 1], rng=0)
    X, Y = toy_data(3, 5)
    with pytest.raises(ValueError, match=r"X has shape \(5, 3\).*\(3, m\).*pass X\.T"):
        model.fit(X.T, Y, 0.1, 1)
    with pytest.raises(ValueError, match=r"flatten images"):
        model.predict(np.zeros((5, 2, 2, 3)))
    with pytest.raises(ValueError, match=r"Y has shape \(5,\).*must be \(1, 5\).*reshape"):
        model.fit(X, Y.ravel(), 0.1, 1)
    with pytest.raises(ValueError, match="learning_rate must be a positive"):
        model.fit(X, Y, -0.1, 1)
    with pytest.raises(ValueError, match="num_iterations"):
        model.fit(X, Y, 0.1, 2.5)
    with pytest.raises(ValueError, match="NaN"):
        model.fit(np.full((3, 5), np.nan), Y, 0.1, 1)
    with pytest.raises(ValueError, match=r"labels in \[0, 1\]"):
        model.fit(X, Y + 2, 0.1, 1)
    with pytest.raises(ValueError, match="hidden_activation 'softplus' is not one of"):
        nn.DeepNN([3, 1], hidden_activation="softplus")
    with pytest.raises(ValueError, match="only 'sigmoid'"):
        nn.DeepNN([3, 1], output_activation="tanh")


def test_integer_and_float32_data_are_accepted():
    X, Y = toy_data()
    model = nn.LogisticRegression(3)
    cost64 = model.cost(X, Y).item()
    assert model.cost(X.astype(np.float32), Y.astype(np.int64)).item() == pytest.approx(cost64)
    assert model.predict((X > 0).astype(np.uint8)).shape == (1, 20)


# ---- save and load -------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: nn.DeepNN([3, 4, 2, 1], hidden_activation="leaky_relu", init="he", rng=3),
    lambda: nn.LogisticRegression(3),
])
def test_save_and_load_round_trip(tmp_path, make):
    X, Y = toy_data()
    model = make()
    model.fit(X, Y, 0.1, 20)
    path = model.save(tmp_path / "model.npz")
    for loader in (nn.Model.load, type(model).load, nn.load):
        back = loader(path)
        assert type(back) is type(model) and back.layer_dims == model.layer_dims
        assert back.activations == model.activations
        for (k, p), (k2, q) in zip(model.parameters().items(), back.parameters().items()):
            assert k == k2 and q.requires_grad
            np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(back.predict(X), model.predict(X))
    with np.load(path, allow_pickle=False) as f:  # plain arrays only
        assert set(f.files) == {"format", "model", "layer_dims", "activations",
                                *model.parameters()}


def test_save_writes_exactly_the_path_given(tmp_path):
    path = nn.LogisticRegression(2).save(tmp_path / "weights.bin")
    assert path == tmp_path / "weights.bin" and path.is_file()
    assert isinstance(nn.load(path), nn.LogisticRegression)


def saved_arrays(tmp_path) -> dict[str, np.ndarray]:
    path = nn.DeepNN([3, 2, 1], rng=0).save(tmp_path / "good.npz")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def write_npz(path, arrays) -> str:
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    return str(path)


def test_load_refuses_a_file_that_is_not_an_npz(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("W1 = [[1, 2]]\n")
    with pytest.raises(nn.ModelFileError, match=r"is not an \.npz archive"):
        nn.load(text)
    npy = tmp_path / "W1.npy"
    np.save(npy, np.zeros((2, 3)))
    with pytest.raises(nn.ModelFileError, match=r"single \.npy array"):
        nn.load(npy)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.load(tmp_path / "missing.npz")


class _Payload:
    """Unpickling this would create a file: the proof that no code ran."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_load_never_unpickles(tmp_path):
    witness = tmp_path / "code-ran"
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"W1": _Payload(str(witness))}))
    with pytest.raises(nn.ModelFileError, match="pickled Python object, which is never loaded"):
        nn.load(pickled)
    arrays = saved_arrays(tmp_path)
    arrays["W1"] = np.array([_Payload(str(witness))], dtype=object)
    inside = write_npz(tmp_path / "inside.npz", arrays)  # np.savez pickles object arrays
    with pytest.raises(nn.ModelFileError, match=r"array 'W1' holds a pickled Python object"):
        nn.load(inside)
    assert not witness.exists()


def test_load_names_missing_and_unexpected_arrays(tmp_path):
    arrays = saved_arrays(tmp_path)
    del arrays["layer_dims"]
    with pytest.raises(nn.ModelFileError, match="missing 'layer_dims'"):
        nn.load(write_npz(tmp_path / "a.npz", arrays))
    arrays = saved_arrays(tmp_path)
    del arrays["b2"]
    arrays["W9"] = np.zeros(1)
    with pytest.raises(nn.ModelFileError, match=r"missing parameter\(s\) b2; unexpected "
                                                r"array\(s\) W9 for DeepNN\[3, 2, 1\]"):
        nn.load(write_npz(tmp_path / "b.npz", arrays))


def test_load_checks_shapes_and_metadata(tmp_path):
    arrays = saved_arrays(tmp_path)
    arrays["W2"] = np.zeros((2, 1))
    with pytest.raises(nn.ModelFileError, match=r"W2 has shape \(2, 1\), but DeepNN\[3, 2, 1\] "
                                                r"needs \(1, 2\)"):
        nn.load(write_npz(tmp_path / "a.npz", arrays))
    arrays = saved_arrays(tmp_path)
    arrays["layer_dims"] = np.array([3, -2, 1])
    with pytest.raises(nn.ModelFileError, match="positive integer"):
        nn.load(write_npz(tmp_path / "b.npz", arrays))
    arrays = saved_arrays(tmp_path)
    arrays["activations"] = np.array(["relu", "softmax"])
    with pytest.raises(nn.ModelFileError, match="only 'sigmoid'"):
        nn.load(write_npz(tmp_path / "c.npz", arrays))
    arrays = saved_arrays(tmp_path)
    arrays["model"] = np.array("Transformer")
    with pytest.raises(nn.ModelFileError, match="unknown model 'Transformer'"):
        nn.load(write_npz(tmp_path / "d.npz", arrays))
    arrays = saved_arrays(tmp_path)
    arrays["format"] = np.array("something else")
    with pytest.raises(nn.ModelFileError, match="format is"):
        nn.load(write_npz(tmp_path / "e.npz", arrays))
    path = nn.LogisticRegression(3).save(tmp_path / "lr.npz")
    with pytest.raises(nn.ModelFileError, match="holds a LogisticRegression, not a DeepNN"):
        nn.DeepNN.load(path)


def test_load_reports_a_damaged_archive(tmp_path):
    good = nn.DeepNN([30, 20, 1], rng=0).save(tmp_path / "good.npz")
    data = good.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(nn.ModelFileError, match="damaged"):
        nn.load(cut)
    buf = io.BytesIO()  # a zip whose member is not an .npy array
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("W1.npy", b"not an array")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(buf.getvalue())
    with pytest.raises(nn.ModelFileError, match="damaged"):
        nn.load(bad)


@settings(max_examples=10)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3),
       st.sampled_from(list(nn.ACTIVATIONS)))
def test_any_network_survives_save_and_load(tmp_path_factory, hidden_units, hidden):
    model = nn.DeepNN([2, *hidden_units, 1], hidden_activation=hidden, rng=0)
    path = model.save(tmp_path_factory.mktemp("m") / "m.npz")
    back = nn.DeepNN.load(path)
    X = np.random.default_rng(0).normal(size=(2, 5))
    np.testing.assert_array_equal(back.forward(X).data, model.forward(X).data)


# ---- plots ------------------------------------------------------------------------------------
def test_cost_curve_and_decision_boundary_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_course.nn.plots import save_cost_curve, save_decision_boundary

    X, Y = toy_data(2, 30)
    model = nn.LogisticRegression(2)
    costs = model.fit(X, Y, 0.5, 20)
    curve = save_cost_curve(costs, tmp_path / "cost.png", title="toy", learning_rate=0.5)
    boundary = save_decision_boundary([("logistic", model)], X, Y, tmp_path / "b.png",
                                      resolution=20)
    for png in (curve, boundary):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="2-D inputs"):
        save_decision_boundary([("m", nn.LogisticRegression(3))], np.zeros((3, 4)),
                               np.zeros((1, 4)), tmp_path / "c.png")


def test_plots_without_matplotlib_say_which_extra_to_install(tmp_path, monkeypatch):
    from tinygrad_course.nn.plots import matplotlib_available, save_cost_curve

    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # importing any of them now fails
    assert not matplotlib_available()
    with pytest.raises(ImportError, match=r"tinygrad_course\[plot\]"):
        save_cost_curve([1.0, 0.5], tmp_path / "cost.png")


def test_nn_losses_are_the_engines_cost_nodes():
    from tinygrad_course.nn import losses

    A = tc.Tensor([[0.2, 0.9]], requires_grad=True)
    Y = np.array([[0.0, 1.0]])
    assert losses.binary_cross_entropy(A, Y).op is tc.ops.BCE
    assert losses.binary_cross_entropy_with_logits(A, Y).op is tc.ops.BCE_LOGITS
    assert np.isclose(losses.binary_cross_entropy(A, Y).item(),
                      -(np.log(0.8) + np.log(0.9)) / 2, rtol=1e-14)


def test_step_checks_the_data_again_only_when_it_could_have_changed():
    """A training loop passes the same arrays every iteration: they are checked once, but
    their values are read anew and a shape changed in place is checked anew."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(3, 8)), (rng.random((1, 8)) > 0.5) * 1.0
    for compiled in (False, True):
        model = nn.DeepNN([3, 2, 1], rng=1)
        twin = nn.DeepNN([3, 2, 1], rng=1)
        model.step(X, Y, 0.1, compiled=compiled)
        twin.step(X.copy(), Y.copy(), 0.1, compiled=compiled)
        X2, Y2 = X.copy(), Y.copy()
        X2 *= 2.0  # changed in place: the next step must see it
        Y2[0, 0] = 1 - Y2[0, 0]
        J = model.step(X2, Y2, 0.1, compiled=compiled)
        X2[...] = X * 3.0
        J3 = model.step(X2, Y2, 0.1, compiled=compiled)
        assert J == twin.step(X * 2.0, Y2.copy(), 0.1, compiled=compiled)
        assert J3 == twin.step(X * 3.0, Y2.copy(), 0.1, compiled=compiled)
        X2.shape = (8, 3)  # the examples in rows, in place
        with pytest.raises(ValueError, match="examples are in rows"):
            model.step(X2, Y2, 0.1, compiled=compiled)
    model = nn.DeepNN([3, 2, 1], rng=1)
    twin = nn.DeepNN([3, 2, 1], rng=1)
    Yi = Y.astype(np.int64)  # converted to float64 on every call: a copy is never reused
    model.step(X, Yi, 0.1)
    twin.step(X, Y.copy(), 0.1)
    Yi[0, :] = 1 - Yi[0, :]
    assert model.step(X, Yi, 0.1) == twin.step(X, 1.0 - Y, 0.1)
