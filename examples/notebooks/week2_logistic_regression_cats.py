# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Week 2 · Logistic regression with a neural-network mindset: cat or non-cat
#
# The week-2 programming assignment, on the engine. The assignment writes `propagate` (the cost
# and its gradients by hand), `optimize` (gradient descent) and `predict` in numpy; here the
# forward pass and the cost are written with `tinygrad_course` Tensors in the assignment's
# notation, and the gradients come from `backward()`. They are checked against the course's
# hand-derived formulas
#
# $$dw = \frac{1}{m} X (A - Y)^T, \qquad db = \frac{1}{m} \sum_{i=1}^m (a^{(i)} - y^{(i)})$$
#
# and the model is trained with the assignment's settings (w = 0, b = 0, α = 0.005, 2000
# iterations), which give the course's train accuracy of 99 % and test accuracy of 70 %.
#
# Generated from `week2_logistic_regression_cats.py` (the file of record) by
# `python examples/notebooks/build.py`. The cat images are read from `$TINYGRAD_COURSE_DATA`
# (default `../shared/data/catvnoncat` beside the repository).

# %%
import sys
from pathlib import Path

import numpy as np
from IPython.display import display

import tinygrad_course as tc
from tinygrad_course import datasets
from tinygrad_course import oracles as O
from tinygrad_course.testing import assert_gradients_match

# the course's printed figures, quoted once in examples/course_results.py
EXAMPLES = next(p for p in (Path.cwd().parent, Path.cwd() / "examples", Path.cwd())
                if (p / "course_results.py").is_file())
sys.path.insert(0, str(EXAMPLES))
from course_results import COURSE  # noqa: E402

try:  # plots need matplotlib (pip install matplotlib); everything else runs without it
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib_inline.backend_inline import set_matplotlib_formats
except ImportError:
    Figure = None
    print("no plots: matplotlib is not installed (pip install matplotlib)")
else:
    matplotlib.rcParams["svg.hashsalt"] = "tinygrad_course"  # the same SVG every run
    set_matplotlib_formats("svg", metadata={"Date": None})


def show_graph(root, **options):
    """Display root's computation graph as SVG (options: tc.draw_graph's)."""
    # the graph's own display, its SVG fitted to the cell (the scrolling HTML view left out:
    # GitHub's notebook viewer strips inline SVG from HTML)
    display(tc.draw_graph(root, **options), exclude=["text/html"])


# %% [markdown]
# ## The data
#
# 209 training and 50 test images of 64 × 64 pixels, 3 colours, labelled 1 (cat) or 0
# (non-cat). Each image is flattened into a column of 64 · 64 · 3 = 12288 values and divided by
# 255, so X has shape (n_x, m) = (12288, m), one example per column.

# %%
train_x_orig, train_y, test_x_orig, test_y, classes = datasets.load_catvnoncat()
train_X = datasets.preprocess_images(train_x_orig)
test_X = datasets.preprocess_images(test_x_orig)
train_Y, test_Y = train_y.astype(np.float64), test_y.astype(np.float64)
print(f"train_x_orig {train_x_orig.shape}, test_x_orig {test_x_orig.shape}")
print(f"train_X {train_X.shape}, train_Y {train_Y.shape}, test_X {test_X.shape}, "
      f"test_Y {test_Y.shape}")

# %%
index = 25
label = classes[int(train_y[0, index])].decode()
print(f"y = {int(train_y[0, index])}, it's a '{label}' picture.")
if Figure is not None:
    fig = Figure(figsize=(2, 2))
    ax = fig.add_subplot()
    ax.imshow(train_x_orig[index])
    ax.set_axis_off()
    display(fig)

# %% [markdown]
# ## The model, with Tensors
#
# For one example, $z = w^T x + b$, $\hat y = a = \sigma(z)$, and the loss is
# $\mathcal{L}(a, y) = -y \log a - (1 - y) \log(1 - a)$; vectorised over the m columns of X,
#
# $$A = \sigma(w^T X + b), \qquad J = -\frac{1}{m} \sum_{i=1}^m \left(y^{(i)} \log a^{(i)}
#   + (1 - y^{(i)}) \log(1 - a^{(i)})\right).$$
#
# w is a (n_x, 1) parameter and b a scalar, both starting at zero. `propagate` builds that
# graph and lets `backward()` compute dw and db: no derivative is written by hand.

# %%
def initialize_with_zeros(dim):
    """w (dim, 1) and the scalar b, zeros, as Tensors that want their gradients."""
    w = tc.Tensor(np.zeros((dim, 1)), requires_grad=True, name="w")
    b = tc.Tensor(0.0, requires_grad=True, name="b")
    return w, b


def forward(w, b, X, Y):
    """The cost J of w and b on (X, Y): the graph from w, b, X, Y to J."""
    m = X.shape[1]
    Z = w.T @ X + b
    A = tc.sigmoid(Z)
    cost = -(1 / m) * tc.sum(Y * tc.log(A) + (1 - Y) * tc.log(1 - A))
    Z.name, A.name, cost.name = "Z", "A", "J"
    return cost


def propagate(w, b, X, Y):
    """The cost J of w and b on (X, Y) and its gradients {"dw", "db"}, by backward()."""
    cost = forward(w, b, X, Y)
    w.grad = b.grad = None  # backward() adds into .grad: start each pass from nothing
    cost.backward()
    return {"dw": w.grad, "db": b.grad}, cost


# %% [markdown]
# The assignment's test case: w = [[1], [2]], b = 2 on three examples. Its expected output is
# dw = [[0.99845601], [2.39507239]], db = 0.00145557813678, cost = 5.801545319394553.

# %%
w, b = tc.Tensor([[1.0], [2.0]], requires_grad=True, name="w"), \
    tc.Tensor(2.0, requires_grad=True, name="b")
X_small = tc.Tensor([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]], name="X")
Y_small = tc.Tensor([[1.0, 0.0, 1.0]], name="Y")
grads, cost = propagate(w, b, X_small, Y_small)
print("dw =", grads["dw"].ravel())
print("db =", float(grads["db"]))
print("cost =", cost.item())
assert np.allclose(grads["dw"], [[0.99845601], [2.39507239]])
assert np.isclose(float(grads["db"]), 0.00145557813678)
assert np.isclose(cost.item(), 5.801545319394553)

# %% [markdown]
# The graph of that cost (the data X and Y in grey, the parameters w and b in yellow), with the
# gradients backward() left under each value:

# %%
show_graph(cost)

# %% [markdown]
# And its backward pass, step by step (the page: click through it, or use the arrow keys; the
# table below it is the same steps as text, for viewers that show no HTML):

# %%
steps = tc.backward_steps(forward(w, b, X_small, Y_small))
display(steps)
print(repr(steps))

# %% [markdown]
# ## Checking the gradients against the course's formulas
#
# `tinygrad_course.oracles.logistic_propagate` is the assignment's `propagate` written by hand
# in numpy: dw = X (A − Y)ᵀ / m, db = Σ (A − Y) / m. `assert_gradients_match` differentiates
# the cost with the engine and compares, input by input, with the relative difference
# ‖g − g′‖ / (‖g‖ + ‖g′‖); it raises, naming the input and the worst element, if they differ.
# First on the test case, then on the cat images at w = 0, b = 0 and at a random w.
#
# Finite differences (`expected=None`) are checked at a milder point than the test case: there
# z reaches 12, so 1 − a ≈ 6·10⁻⁶ keeps only about ten significant digits, and a central
# difference of log(1 − a) with step 10⁻⁷ is off in its third digit for db — the formula's
# rounding, not the gradient's. backward() never forms that difference.

# %%
def cost_of(X, Y):
    return lambda w, b: forward(w, b, X, Y)


def course_gradients(X, Y):
    return lambda w, b: O.logistic_propagate(w, b, X, Y)[0]


X_np, Y_np = X_small.data, Y_small.data
assert_gradients_match(cost_of(X_np, Y_np), {"w": [[1.0], [2.0]], "b": 2.0},
                       expected=course_gradients(X_np, Y_np))
assert_gradients_match(cost_of(X_np, Y_np), {"w": [[0.1], [-0.2]], "b": 0.3})  # finite diffs
rng = np.random.RandomState(0)
for w0 in (np.zeros((12288, 1)), rng.randn(12288, 1) * 0.01):
    assert_gradients_match(cost_of(train_X, train_Y), {"w": w0, "b": 0.0},
                           expected=course_gradients(train_X, train_Y))
print("backward() gives the course's dw and db (test case, and cats at w = 0 and random w)")

# %% [markdown]
# ## Optimisation: gradient descent
#
# θ := θ − α dθ for θ = w, b, in place (`w.data -= ...` changes the Tensor's values and counts
# as an in-place change). The cost is recorded every 100 iterations, as the assignment records
# it.

# %%
def optimize(w, b, X, Y, num_iterations, learning_rate, print_cost=False):
    costs = []
    for i in range(num_iterations):
        grads, cost = propagate(w, b, X, Y)
        w.data -= learning_rate * grads["dw"]
        b.data -= learning_rate * grads["db"]
        if i % 100 == 0:
            costs.append(cost.item())
            if print_cost:
                print(f"Cost after iteration {i}: {cost.item():f}")
    return {"w": w, "b": b}, grads, costs


def predict(w, b, X):
    """1 where σ(wᵀX + b) > 0.5, else 0, shape (1, m); no graph is recorded."""
    with tc.no_grad():
        A = tc.sigmoid(w.T @ X + b)
    return (A.data > 0.5).astype(np.float64)


# %% [markdown]
# The assignment's checks: 100 iterations at α = 0.009 from the test case's w and b give
# w = [[0.19033591], [0.12259159]], b = 1.92535983008, and the last gradients
# dw = [[0.67752042], [1.41625495]], db = 0.219194504541; `predict` on its second test case
# gives [[1, 1, 0]].

# %%
w, b = tc.Tensor([[1.0], [2.0]], requires_grad=True, name="w"), \
    tc.Tensor(2.0, requires_grad=True, name="b")
params, grads, _ = optimize(w, b, X_small, Y_small, num_iterations=100, learning_rate=0.009)
print("w =", params["w"].data.ravel(), " b =", params["b"].item())
print("dw =", grads["dw"].ravel(), " db =", float(grads["db"]))
assert np.allclose(params["w"].data, [[0.19033591], [0.12259159]])
assert np.isclose(params["b"].item(), 1.92535983008)
assert np.allclose(grads["dw"], [[0.67752042], [1.41625495]])
assert np.isclose(float(grads["db"]), 0.219194504541)
w = tc.Tensor([[0.1124579], [0.23106775]])
b = tc.Tensor(-0.3)
print("predictions =", predict(w, b, np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])))
assert predict(w, b, np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]])).tolist() == [[1, 1, 0]]

# %% [markdown]
# ## The model on the cats
#
# `model` puts the pieces together as the assignment does: zeros, 2000 iterations at α = 0.005,
# then the accuracies 100 − mean(|Ŷ − Y|) · 100.

# %%
def model(X_train, Y_train, X_test, Y_test, num_iterations=2000, learning_rate=0.5,
          print_cost=False):
    w, b = initialize_with_zeros(X_train.shape[0])
    params, grads, costs = optimize(w, b, X_train, Y_train, num_iterations, learning_rate,
                                    print_cost)
    Y_prediction_train = predict(params["w"], params["b"], X_train)
    Y_prediction_test = predict(params["w"], params["b"], X_test)
    train = 100 - np.mean(np.abs(Y_prediction_train - Y_train)) * 100
    test = 100 - np.mean(np.abs(Y_prediction_test - Y_test)) * 100
    print(f"train accuracy: {train} %")
    print(f"test accuracy: {test} %")
    return {"costs": costs, "train accuracy": train, "test accuracy": test,
            "w": params["w"], "b": params["b"], "learning_rate": learning_rate,
            "num_iterations": num_iterations}


d = model(train_X, train_Y, test_X, test_Y, num_iterations=2000, learning_rate=0.005,
          print_cost=True)

# %%
if Figure is not None:
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(np.arange(len(d["costs"])) * 100, d["costs"])
    ax.set_xlabel("iterations")
    ax.set_ylabel("cost")
    ax.set_title(f"Learning rate = {d['learning_rate']}")
    ax.grid(True, alpha=0.3)
    display(fig)

# %% [markdown]
# ## The course's figures beside the engine's
#
# The course's column is what the assignment's notebook prints (quoted in
# `examples/course_results.py`, the same figures docs/course-results.md reproduces). The costs
# are compared at the six decimals the course prints, and with a learner's full-precision copy
# of the same run.

# %%
course = COURSE["logistic"]
print(f"| {'figure':<26} | {'course':>20} | {'engine':>20} |")
for k, theirs in enumerate(course["costs"]):
    print(f"| {f'cost after iteration {100 * k}':<26} | {theirs:>20.6f} | "
          f"{d['costs'][k]:>20.6f} |")
print(f"| {'train accuracy (%)':<26} | {100 * course['train'][1]:>20} | "
      f"{d['train accuracy']:>20} |")
print(f"| {'test accuracy (%)':<26} | {100 * course['test'][1]:>20} | "
      f"{d['test accuracy']:>20} |")
for k, (printed, full) in enumerate(zip(course["costs"], course["full"])):
    assert f"{d['costs'][k]:.6f}" == f"{printed:.6f}", (100 * k, d["costs"][k], printed)
    assert abs(d["costs"][k] - full) < 1e-12, (100 * k, d["costs"][k], full)
assert abs(d["train accuracy"] - 100 * course["train"][1]) < 1e-9
assert abs(d["test accuracy"] - 100 * course["test"][1]) < 1e-9
print("All tests passed.")
