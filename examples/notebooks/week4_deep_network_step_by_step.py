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
# # Week 4 · Building your deep neural network, step by step
#
# The first week-4 assignment builds an L-layer network from small functions:
# `initialize_parameters_deep`, `linear_forward`, `linear_activation_forward`,
# `L_model_forward`, `compute_cost`, then their backward halves and `update_parameters`. Here
# the forward functions are written with `tinygrad_course` Tensors in the assignment's
# notation and checked on the assignment's test cases; the backward half is `backward()`,
# checked against the course's hand-written backward formulas (`tinygrad_course.oracles`).
# Then the network's graph in the layer view and one backward pass step by step.
#
# Generated from `week4_deep_network_step_by_step.py` (the file of record) by
# `python examples/notebooks/build.py`.

# %%
import numpy as np
from IPython.display import SVG, display

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course import oracles as O
from tinygrad_course.gradcheck import relative_difference
from tinygrad_course.steps_page import frames_text
from tinygrad_course.testing import assert_gradients_match


def show_graph(root, **options):
    """Display root's computation graph as SVG (options: tc.draw_graph's)."""
    # the graph's own display, its SVG fitted to the cell (the scrolling HTML view left out:
    # GitHub's notebook viewer strips inline SVG from HTML)
    display(tc.draw_graph(root, **options), exclude=["text/html"])


expected = {}  # the assignment's expected outputs, collected for the table at the end
engine = {}    # what the engine gives for each

# %% [markdown]
# ## Initialisation
#
# For layer l = 1, ..., L: W^[l] of shape (n^[l], n^[l-1]) drawn from a standard normal and
# scaled by 0.01, b^[l] of shape (n^[l], 1) zeros, drawn W1 first. The assignment's test uses
# `np.random.seed(3)` and layer_dims = [5, 4, 3]; a `RandomState(3)` draws the same numbers
# without touching numpy's global state.

# %%
def initialize_parameters_deep(layer_dims, seed=3):
    rng = np.random.RandomState(seed)
    parameters = {}
    for l in range(1, len(layer_dims)):
        W = rng.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        b = np.zeros((layer_dims[l], 1))
        parameters[f"W{l}"] = tc.Tensor(W, requires_grad=True, name=f"W{l}")
        parameters[f"b{l}"] = tc.Tensor(b, requires_grad=True, name=f"b{l}")
    return parameters


parameters = initialize_parameters_deep([5, 4, 3])
for k, p in parameters.items():
    print(f"{k} {p.shape}")
print("W1[0] =", parameters["W1"].data[0])
expected["W1[0] (seed 3)"] = [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388]
engine["W1[0] (seed 3)"] = parameters["W1"].data[0]
# the engine's own initialisation (nn.DeepNN's) draws the same numbers
same = nn.initialize_parameters([5, 4, 3], "small", np.random.RandomState(3))
assert all(np.array_equal(same[k], p.data) for k, p in parameters.items())

# %% [markdown]
# ## Forward propagation
#
# $$Z^{[l]} = W^{[l]} A^{[l-1]} + b^{[l]}, \qquad A^{[l]} = g^{[l]}(Z^{[l]}), \qquad
#   A^{[0]} = X,$$
#
# g = ReLU for l < L and σ for the output layer: [LINEAR → RELU] × (L − 1) → LINEAR → SIGMOID.
# Each function returns the assignment's cache too, though backward() needs none of it: the
# graph the Tensors recorded is the cache.

# %%
def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    A = tc.sigmoid(Z) if activation == "sigmoid" else tc.relu(Z)
    return A, (linear_cache, Z)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        activation = "sigmoid" if l == L else "relu"
        A, cache = linear_activation_forward(A, parameters[f"W{l}"], parameters[f"b{l}"],
                                             activation)
        cache[1].name, A.name = f"Z{l}", f"A{l}"
        caches.append(cache)
    return A, caches


# %% [markdown]
# The assignment's test cases (their inputs are drawn with `np.random.seed(1)`, `seed(2)` and
# `seed(6)`):

# %%
rng = np.random.RandomState(1)
A, W, b = (tc.Tensor(rng.randn(*s)) for s in ((3, 2), (1, 3), (1, 1)))
Z, _ = linear_forward(A, W, b)
print("Z =", Z.data)
expected["linear_forward Z"], engine["linear_forward Z"] = [[3.26295337, -1.23429987]], Z.data

rng = np.random.RandomState(2)
A_prev, W, b = (tc.Tensor(rng.randn(*s)) for s in ((3, 2), (1, 3), (1, 1)))
for activation, values in (("sigmoid", [[0.96890023, 0.11013289]]),
                           ("relu", [[3.43896131, 0.0]])):
    A, _ = linear_activation_forward(A_prev, W, b, activation)
    print(f"With {activation}: A = {A.data}")
    expected[f"linear_activation_forward {activation}"] = values
    engine[f"linear_activation_forward {activation}"] = A.data

rng = np.random.RandomState(6)
X_test = tc.Tensor(rng.randn(5, 4), name="X")
test_params = {}
for l, (n, n_prev) in enumerate(((4, 5), (3, 4), (1, 3)), start=1):
    test_params[f"W{l}"] = tc.Tensor(rng.randn(n, n_prev), requires_grad=True, name=f"W{l}")
    test_params[f"b{l}"] = tc.Tensor(rng.randn(n, 1), requires_grad=True, name=f"b{l}")
AL, caches = L_model_forward(X_test, test_params)
print("AL =", AL.data)
print("Length of caches list =", len(caches))
expected["L_model_forward AL"] = [[0.03921668, 0.70498921, 0.19734387, 0.04728177]]
engine["L_model_forward AL"] = AL.data
assert len(caches) == 3

# %% [markdown]
# ## The cost
#
# $$J = -\frac{1}{m} \sum_{i=1}^m \left(y^{(i)} \log a^{[L](i)}
#   + (1 - y^{(i)}) \log(1 - a^{[L](i)})\right),$$
#
# written with Tensors as the assignment writes it in numpy, and beside it the engine's
# one-node version `tc.binary_cross_entropy`, which `nn.DeepNN` uses.

# %%
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(1 / m) * tc.sum(Y * tc.log(AL) + (1 - Y) * tc.log(1 - AL))
    cost.name = "J"
    return cost


Y_test = np.array([[1.0, 1.0, 0.0]])
cost = compute_cost(tc.Tensor([[0.8, 0.9, 0.4]]), Y_test)
print("cost =", cost.item())
print("one node:", tc.binary_cross_entropy(tc.Tensor([[0.8, 0.9, 0.4]]), Y_test).item())
expected["compute_cost"], engine["compute_cost"] = 0.2797765635793422, cost.item()

# %% [markdown]
# ## Backward propagation: backward(), checked against the course's formulas
#
# The assignment writes the backward pass by hand, layer by layer from l = L down to 1:
#
# $$dA^{[L]} = -\left(\frac{Y}{A^{[L]}} - \frac{1 - Y}{1 - A^{[L]}}\right), \qquad
#   dZ^{[l]} = dA^{[l]} \odot g^{[l]\prime}(Z^{[l]}),$$
# $$dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}, \qquad
#   db^{[l]} = \frac{1}{m} \sum_{i=1}^m dZ^{[l](i)}, \qquad dA^{[l-1]} = W^{[l]T} dZ^{[l]},$$
#
# with σ′(Z) = A(1 − A) and relu′(Z) = 1 where Z > 0, else 0 (the course's `relu_backward`
# sets dZ = 0 where Z ≤ 0). Careful with transcribed notes: one set writes dW^[L] = dZ^[L]
# A^[L]ᵀ, which has the wrong layer's A and no 1/m; the shapes say it must be A^[L−1]ᵀ, and the
# cost's 1/m must appear somewhere. `oracles.L_model_backward` is this backward pass in numpy;
# with `fused_output=False` it starts from dA^[L] exactly as the notebook does.
#
# `assert_gradients_match` differentiates `compute_cost(L_model_forward(X, parameters), Y)`
# with the engine and compares dW1, db1, ..., dW3, db3 one by one with the hand-written
# backward pass, and with finite differences.

# %%
Y4 = np.array([[1.0, 0.0, 1.0, 1.0]])


def cost_of(X, Y):
    return lambda **params: compute_cost(L_model_forward(X, params)[0], Y)


def L_model_backward_by_hand(X, Y):
    def grads(**params):
        AL, caches = O.L_model_forward(X, params, "relu")
        return O.L_model_backward(AL, Y, caches, "relu", fused_output=False)
    return grads


values = {k: p.data for k, p in test_params.items()}
assert_gradients_match(cost_of(X_test.data, Y4), values,
                       expected=L_model_backward_by_hand(X_test.data, Y4))
assert_gradients_match(cost_of(X_test.data, Y4), values)  # finite differences
by_hand = L_model_backward_by_hand(X_test.data, Y4)(**values)
J = compute_cost(L_model_forward(X_test, test_params)[0], Y4)
J.backward()
print(f"{'':6} {'engine':>24} {'by hand':>24}")
for k, p in test_params.items():
    print(f"d{k:<5} {np.linalg.norm(p.grad):>24.17f} {np.linalg.norm(by_hand['d' + k]):>24.17f}"
          "   (norms)")
worst = max(relative_difference(p.grad, by_hand["d" + k])
            for k, p in test_params.items())
print(f"largest relative difference ||g - g'|| / (||g|| + ||g'||): {worst:.1e}")

# %% [markdown]
# ## The graph, one box per layer
#
# `draw_graph(J, view="layers")` draws each layer l as one box holding W^[l], b^[l], Z^[l] and
# A^[l] with their shapes and, after backward(), ‖dW^[l]‖ and ‖db^[l]‖; the cost J below.

# %%
show_graph(J, view="layers")

# %% [markdown]
# ## One backward pass, step by step
#
# The steps of a fresh pass over the same network (`tc.backward_steps`): on the page, "by layer"
# steps one layer at a time as the assignment's `L_model_backward` goes (dZ^[l], dW^[l],
# db^[l], dA^[l−1]), "by step" one share at a time. Below the page, the same steps as a table,
# then one frame per layer.

# %%
steps = tc.backward_steps(compute_cost(L_model_forward(X_test, test_params)[0], Y4))
display(steps)
print(repr(steps))

# %%
for frame in frames_text(steps, by="layer"):
    display(SVG(frame))

# %% [markdown]
# ## Update parameters
#
# W^[l] := W^[l] − α dW^[l], b^[l] := b^[l] − α db^[l], in place. One step of the course's
# `L_model_step` by hand (numpy, `oracles`) and by the engine give the same parameters.

# %%
def update_parameters(parameters, learning_rate):
    for p in parameters.values():
        p.data -= learning_rate * p.grad
    return parameters


by_hand_params = {k: p.data.copy() for k, p in test_params.items()}
O.L_model_step(X_test.data, Y4, by_hand_params, 0.1, "relu")
update_parameters(test_params, 0.1)
for k, p in test_params.items():
    assert np.allclose(p.data, by_hand_params[k], rtol=1e-12, atol=1e-15), k
print("W1 =", test_params["W1"].data[0], "...")
print("the engine's step and the hand-written step agree")

# %% [markdown]
# ## The assignment's expected outputs beside the engine's

# %%
print(f"| {'figure':<34} | {'course':<48} | {'engine':<48} |")
for name, theirs in expected.items():
    ours = np.asarray(engine[name])
    print(f"| {name:<34} | {np.array2string(np.asarray(theirs).ravel(), precision=8):<48} | "
          f"{np.array2string(ours.ravel(), precision=8):<48} |")
for name, theirs in expected.items():
    assert np.allclose(engine[name], theirs, rtol=0, atol=1e-8), name
assert worst < 1e-12
print("All tests passed.")
