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
# # Week 4 · Deep neural network for image classification: cat or non-cat
#
# The second week-4 assignment, on the engine: the 2-layer network 12288-7-1
# (LINEAR → RELU → LINEAR → SIGMOID) and the 4-layer network 12288-20-7-5-1
# ([LINEAR → RELU] × 3 → LINEAR → SIGMOID) on week 2's cat images. The assignment trains them
# with the functions of the step-by-step notebook; here the network is `nn.DeepNN` (those same
# equations, its tensors named W1, b1, Z1, A1, ... as the course names them) and the training
# loop is written out as the assignment's `L_layer_model`: forward, cost, backward, update.
#
# The settings are the assignment's, and those of `examples/two_layer_cats.py` and
# `examples/deep_cats.py`: weights from `np.random.RandomState(1)` (`randn · 0.01` for the
# 2-layer network, `randn / sqrt(n^[l-1])` for the 4-layer one), α = 0.0075, 2500 iterations.
# The course reports train/test accuracies of 100 %/72 % and 98.6 %/80 %.
#
# Generated from `week4_deep_network_cats.py` (the file of record) by
# `python examples/notebooks/build.py` (this one takes a few minutes). The images are read from
# `$TINYGRAD_COURSE_DATA` (default `../shared/data/catvnoncat` beside the repository).

# %%
import sys
from pathlib import Path

import numpy as np
from IPython.display import display

import tinygrad_course as tc
from tinygrad_course import datasets, nn
from tinygrad_course import oracles as O
from tinygrad_course.gradcheck import relative_difference
from tinygrad_course.testing import course_grads

EXAMPLES = next(p for p in (Path.cwd().parent, Path.cwd() / "examples", Path.cwd())
                if (p / "course_results.py").is_file())
sys.path.insert(0, str(EXAMPLES))
from course_results import COURSE  # noqa: E402  (the course's printed figures, quoted once)

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

# %%
train_x_orig, train_y, test_x_orig, test_y, classes = datasets.load_catvnoncat()
train_X = datasets.preprocess_images(train_x_orig)  # (12288, 209), values in [0, 1]
test_X = datasets.preprocess_images(test_x_orig)    # (12288, 50)
train_Y, test_Y = train_y.astype(np.float64), test_y.astype(np.float64)
print(f"train_X {train_X.shape}, train_Y {train_Y.shape}; test_X {test_X.shape}, "
      f"test_Y {test_Y.shape}")

# %% [markdown]
# ## The model and its training loop
#
# `L_layer_model` is the assignment's loop on the engine. `model.forward(X)` is
# `L_model_forward`, `nn.binary_cross_entropy` is `compute_cost` (one graph node), `backward()`
# is `L_model_backward`, and the last line of the loop is `update_parameters`.

# %%
def L_layer_model(X, Y, layers_dims, init, learning_rate=0.0075, num_iterations=3000,
                  print_cost=False, decimals=None):
    model = nn.DeepNN(layers_dims, hidden_activation="relu", init=init,
                      rng=np.random.RandomState(1))
    X, Y = tc.Tensor(X, name="X"), tc.Tensor(Y, name="Y")
    params = list(model.parameters().values())
    costs = []
    for i in range(num_iterations):
        AL = model.forward(X)                    # L_model_forward
        cost = nn.binary_cross_entropy(AL, Y)    # compute_cost
        for p in params:
            p.grad = None
        cost.backward()                          # L_model_backward
        for p in params:                         # update_parameters
            p.data -= learning_rate * p.grad
        costs.append(cost.item())
        if print_cost and i % 100 == 0:
            shown = f"{cost.item()!r}" if decimals is None else f"{cost.item():.{decimals}f}"
            print(f"Cost after iteration {i}: {shown}")
    return model, costs


def plot_costs(costs, title):
    if Figure is None:
        return
    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    ax.plot(np.arange(0, len(costs), 100), costs[::100])
    ax.set_xlabel("iterations")
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    display(fig)


# %% [markdown]
# ## Before training: backward() against the course's backward pass
#
# At the starting parameters of each network, the engine's gradients
# (`tinygrad_course.testing.course_grads`: dW1, db1, ... as the course names them) are compared
# with the assignment's hand-written `L_model_backward` (`oracles`, starting from
# dA^[L] = −(Y/A^[L] − (1 − Y)/(1 − A^[L])) as the notebook does), parameter by parameter, with
# the course's relative difference ‖g − g′‖ / (‖g‖ + ‖g′‖).

# %%
agreement = {}
for key, dims, init in (("two_layer", [12288, 7, 1], "small"),
                        ("deep", [12288, 20, 7, 5, 1], "xavier")):
    start = nn.DeepNN(dims, hidden_activation="relu", init=init, rng=np.random.RandomState(1))
    ours = course_grads(start, train_X, train_Y)
    AL, caches = O.L_model_forward(train_X, {k: p.data for k, p in start.parameters().items()},
                                   "relu")
    theirs = O.L_model_backward(AL, train_Y, caches, "relu", fused_output=False)
    agreement[key] = max(relative_difference(ours[k], theirs[k]) for k in theirs)
    print(f"{dims}: largest relative difference {agreement[key]:.1e}")
    assert agreement[key] < 1e-12

# %% [markdown]
# The 4-layer network's graph at its start, after one backward(): one box per layer (the view
# `draw_graph` chooses for a graph this big), each with its shapes and gradient norms.

# %%
X_t, Y_t = tc.Tensor(train_X, name="X"), tc.Tensor(train_Y, name="Y")
J = nn.binary_cross_entropy(start.forward(X_t), Y_t)
J.name = "J"
steps = tc.backward_steps(J)
J.backward()
show_graph(J)

# %% [markdown]
# Its backward pass, step by step, on the page (one layer at a time with "by layer") and as
# text; arrays this big are shown by their shape and norm.

# %%
display(steps)
print(repr(steps))

# %% [markdown]
# ## The 2-layer network, 12288-7-1
#
# The course prints this network's costs in full.

# %%
two_layer, two_costs = L_layer_model(train_X, train_Y, [12288, 7, 1], "small",
                                     num_iterations=2500, print_cost=True)
two_train = two_layer.accuracy(train_X, train_Y)
two_test = two_layer.accuracy(test_X, test_Y)
print(f"train accuracy: {two_train!r}")
print(f"test accuracy: {two_test!r}")

# %%
plot_costs(two_costs, "2-layer network, learning rate = 0.0075")

# %% [markdown]
# ## The 4-layer network, 12288-20-7-5-1

# %%
deep, deep_costs = L_layer_model(train_X, train_Y, [12288, 20, 7, 5, 1], "xavier",
                                 num_iterations=2500, print_cost=True, decimals=6)
deep_train = deep.accuracy(train_X, train_Y)
deep_test = deep.accuracy(test_X, test_Y)
print(f"train accuracy: {deep_train!r}")
print(f"test accuracy: {deep_test!r}")

# %%
plot_costs(deep_costs, "4-layer network, learning rate = 0.0075")

# %% [markdown]
# Test images the 4-layer network labels wrongly (the assignment shows them too: odd poses,
# cats in front of backgrounds of the same colour, unusual lighting):

# %%
wrong = np.flatnonzero(deep.predict(test_X)[0] != test_y[0])
print(f"{len(wrong)} of {test_y.shape[1]} test images mislabelled: {wrong.tolist()}")
if Figure is not None:
    fig = Figure(figsize=(1.6 * len(wrong), 2))
    for k, i in enumerate(wrong, start=1):
        ax = fig.add_subplot(1, len(wrong), k)
        ax.imshow(test_x_orig[i])
        ax.set_axis_off()
        ax.set_title(f"{classes[int(test_y[0, i])].decode()}", fontsize=8)
    display(fig)

# %% [markdown]
# ## The course's figures beside the engine's
#
# The course's columns are what the assignment's notebooks print (quoted in
# `examples/course_results.py`; docs/course-results.md is the same comparison). The 2-layer
# costs are compared with the course's full printed digits (they differ in the last one or two
# digits, rounding: see docs/course-results.md), the 4-layer costs at the six decimals the
# course prints.

# %%
print(f"| {'figure':<34} | {'course':>22} | {'engine':>22} |")
for key, costs in (("two_layer", two_costs), ("deep", deep_costs)):
    c = COURSE[key]
    for k, theirs in enumerate(c["costs"]):
        ours = costs[100 * k]
        shown = (f"{theirs!r:>22} | {ours!r:>22}" if c["decimals"] is None
                 else f"{theirs:>22.6f} | {ours:>22.6f}")
        print(f"| {f'{key}: cost after iteration {100 * k}':<34} | {shown} |")
for key, train, test in (("two_layer", two_train, two_test), ("deep", deep_train, deep_test)):
    c = COURSE[key]
    print(f"| {f'{key}: train accuracy':<34} | {c['train'][0]:>22} | {train!r:>22} |")
    print(f"| {f'{key}: test accuracy':<34} | {c['test'][0]:>22} | {test!r:>22} |")

for k, theirs in enumerate(COURSE["two_layer"]["costs"]):
    assert abs(two_costs[100 * k] - theirs) < 1e-12, (100 * k, two_costs[100 * k], theirs)
for k, theirs in enumerate(COURSE["deep"]["costs"]):
    assert f"{deep_costs[100 * k]:.6f}" == f"{theirs:.6f}", (100 * k, deep_costs[100 * k])
for key, train, test in (("two_layer", two_train, two_test), ("deep", deep_train, deep_test)):
    assert abs(train - COURSE[key]["train"][1]) < 1e-9, (key, train)
    assert abs(test - COURSE[key]["test"][1]) < 1e-9, (key, test)
print("All tests passed.")
