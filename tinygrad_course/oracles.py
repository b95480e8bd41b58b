"""Hand-derived, vectorised gradients of course 1, written directly in numpy.

These are the test oracles for the autodiff engine and the "hand-written numpy" baseline of
the benchmarks. Notation is the course's: ``X`` is (n_x, m) with one example per column,
``Y`` is (1, m), ``W^[l]`` is (n^[l], n^[l-1]), ``b^[l]`` is (n^[l], 1), ``A^[0] = X``, and
``dV`` means dJ/dV for the cost J = (1/m) sum_i L(a^(i), y^(i)).

Scale, as in the course: dW^[l] and db^[l] are dJ/dW^[l] and dJ/db^[l], but dZ^[l] and dA^[l]
are per-example derivatives, m * dJ/dZ^[l] and m * dJ/dA^[l] (dZ^[L] = A^[L] - Y); the 1/m is
applied only in dW and db. In particular dA0 = W^[1]T dZ^[1] is m * dJ/dX.

The L-layer functions keep the structure of the week-4 assignment: each layer's cache is
``((A_prev, W, b), Z)``. Inside networks, "leaky_relu" uses slope 0.01.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from tinygrad_course._rng import RNGLike, as_rng

Array: TypeAlias = npt.NDArray[np.float64]
LinearCache: TypeAlias = tuple[Array, Array, Array]
LayerCache: TypeAlias = tuple[LinearCache, Array]

__all__ = [
    "ACTIVATIONS",
    "as_rng",
    "compute_cost",
    "initialize_parameters_deep",
    "leaky_relu",
    "leaky_relu_backward",
    "linear_activation_backward",
    "linear_activation_forward",
    "linear_backward",
    "linear_forward",
    "logistic_propagate",
    "L_model_backward",
    "L_model_forward",
    "L_model_step",
    "relu",
    "relu_backward",
    "sigmoid",
    "sigmoid_backward",
    "tanh",
    "tanh_backward",
    "two_layer_backward",
    "two_layer_forward",
    "update_parameters",
]


# --------------------------------------------------------------------------- activations


def sigmoid(Z: npt.ArrayLike) -> Array:
    """sigma(z) = 1 / (1 + e^(-z)), computed without overflow for any z.

    With e = e^(-|z|) <= 1: sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0.
    """
    Z = np.asarray(Z, dtype=np.float64)
    e = np.exp(-np.abs(Z))
    out = np.where(Z >= 0, 1.0, e)
    e += 1.0
    out /= e
    return out


def relu(Z: npt.ArrayLike) -> Array:
    """relu(z) = max(0, z)."""
    return np.maximum(np.asarray(Z, dtype=np.float64), 0.0)


def leaky_relu(Z: npt.ArrayLike, slope: float = 0.01) -> Array:
    """leaky_relu(z) = z if z > 0 else slope * z."""
    Z = np.asarray(Z, dtype=np.float64)
    return np.where(Z > 0, Z, slope * Z)


def tanh(Z: npt.ArrayLike) -> Array:
    """tanh(z) = (e^z - e^(-z)) / (e^z + e^(-z))."""
    return np.tanh(np.asarray(Z, dtype=np.float64))


def sigmoid_backward(dA: Array, Z: Array) -> Array:
    """dZ = dA * g'(Z) with g'(z) = s(1 - s), s = sigma(z)."""
    s = sigmoid(Z)
    return dA * s * (1.0 - s)


def relu_backward(dA: Array, Z: Array) -> Array:
    """dZ = dA * g'(Z) with g'(z) = 1 if z > 0 else 0 (the course's relu'(0) = 0)."""
    return np.where(Z > 0, dA, 0.0)


def leaky_relu_backward(dA: Array, Z: Array, slope: float = 0.01) -> Array:
    """dZ = dA * g'(Z) with g'(z) = 1 if z > 0 else slope."""
    return np.where(Z > 0, dA, slope * dA)


def tanh_backward(dA: Array, Z: Array) -> Array:
    """dZ = dA * g'(Z) with g'(z) = 1 - tanh(z)^2."""
    t = np.tanh(Z)
    return dA * (1.0 - t * t)


#: name -> (g, backward) for every activation the oracles accept.
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    "sigmoid": (sigmoid, sigmoid_backward),
    "relu": (relu, relu_backward),
    "leaky_relu": (leaky_relu, leaky_relu_backward),
    "tanh": (tanh, tanh_backward),
}


def _activation(name: str) -> tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}"
        ) from None


# --------------------------------------------------------------------------- cost


def compute_cost(A: Array, Y: npt.ArrayLike) -> float:
    """Cross-entropy cost J = -(1/m) sum_i [y log a + (1 - y) log(1 - a)].

    ``A`` and ``Y`` are (1, m); the plain formula, so a = 0 or 1 gives inf/nan as in the course.
    """
    Y = np.asarray(Y).reshape(A.shape)
    m = A.shape[1]
    return float(-(np.sum(Y * np.log(A)) + np.sum((1 - Y) * np.log(1 - A))) / m)


# --------------------------------------------------------------------------- logistic regression


def logistic_propagate(
    w: Array, b: float | Array, X: Array, Y: npt.ArrayLike
) -> tuple[dict[str, float | Array], float]:
    """Logistic regression, forward and backward (week 2).

    A = sigma(w^T X + b); J = compute_cost(A, Y);
    dw = (1/m) X (A - Y)^T  (n_x, 1);  db = (1/m) sum(A - Y), with the same shape as ``b``.
    """
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)
    cost = compute_cost(A, Y)
    dZ = A - np.asarray(Y).reshape(A.shape)
    dw = (X @ dZ.T) / m
    db_value = float(np.sum(dZ)) / m
    db: float | Array
    if isinstance(b, np.ndarray):
        db = np.full(b.shape, db_value)
    else:
        db = db_value
    return {"dw": dw, "db": db}, cost


# --------------------------------------------------------------------------- two-layer network


def two_layer_forward(
    params: Mapping[str, Array], X: Array, hidden: str = "tanh"
) -> tuple[Array, dict[str, Array]]:
    """Shallow network forward pass (week 3).

    Z1 = W1 X + b1; A1 = g(Z1); Z2 = W2 A1 + b2; A2 = sigma(Z2).
    Returns (A2, cache) with cache keys "Z1", "A1", "Z2", "A2".
    """
    g, _ = _activation(hidden)
    Z1 = params["W1"] @ X + params["b1"]
    A1 = g(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def two_layer_backward(
    params: Mapping[str, Array],
    cache: Mapping[str, Array],
    X: Array,
    Y: npt.ArrayLike,
    hidden: str = "tanh",
) -> dict[str, Array]:
    """The six backward equations of lesson 3.9, sigmoid output and cross-entropy cost.

    dZ2 = A2 - Y;              dW2 = (1/m) dZ2 A1^T;  db2 = (1/m) sum(dZ2, axis=1, keepdims)
    dZ1 = W2^T dZ2 * g'(Z1);   dW1 = (1/m) dZ1 X^T;   db1 = (1/m) sum(dZ1, axis=1, keepdims)
    """
    _, g_backward = _activation(hidden)
    m = X.shape[1]
    A2 = cache["A2"]
    dZ2 = A2 - np.asarray(Y).reshape(A2.shape)
    dW2 = (dZ2 @ cache["A1"].T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = g_backward(params["W2"].T @ dZ2, cache["Z1"])
    dW1 = (dZ1 @ X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


# --------------------------------------------------------------------------- L-layer network


def linear_forward(A_prev: Array, W: Array, b: Array) -> tuple[Array, LinearCache]:
    """Z = W A_prev + b. Returns (Z, (A_prev, W, b))."""
    return W @ A_prev + b, (A_prev, W, b)


def linear_activation_forward(
    A_prev: Array, W: Array, b: Array, activation: str
) -> tuple[Array, LayerCache]:
    """A = g(W A_prev + b). Returns (A, ((A_prev, W, b), Z))."""
    g, _ = _activation(activation)
    Z, linear_cache = linear_forward(A_prev, W, b)
    return g(Z), (linear_cache, Z)


def L_model_forward(
    X: Array, parameters: Mapping[str, Array], hidden: str = "relu", output: str = "sigmoid"
) -> tuple[Array, list[LayerCache]]:
    """[LINEAR -> hidden] x (L-1) -> LINEAR -> output (week 4).

    A^[0] = X; Z^[l] = W^[l] A^[l-1] + b^[l]; A^[l] = g^[l](Z^[l]).
    ``parameters`` holds W1, b1, ..., WL, bL. Returns (AL, caches), caches[l-1] for layer l.
    """
    _check_output(output)
    L = len(parameters) // 2
    caches = []
    A = X
    for l in range(1, L + 1):
        activation = output if l == L else hidden
        A, cache = linear_activation_forward(
            A, parameters[f"W{l}"], parameters[f"b{l}"], activation
        )
        caches.append(cache)
    return A, caches


def linear_backward(
    dZ: Array, cache: LinearCache, *, need_dA_prev: bool = True
) -> tuple[Array | None, Array, Array]:
    """Backward through Z = W A_prev + b.

    dW = (1/m) dZ A_prev^T;  db = (1/m) sum(dZ, axis=1, keepdims=True);  dA_prev = W^T dZ.
    With ``need_dA_prev=False`` the product W^T dZ is skipped and dA_prev is None.
    """
    A_prev, W, _ = cache
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ if need_dA_prev else None
    return dA_prev, dW, db


def linear_activation_backward(
    dA: Array, cache: LayerCache, activation: str, *, need_dA_prev: bool = True
) -> tuple[Array | None, Array, Array]:
    """dZ = dA * g'(Z), then ``linear_backward``. Returns (dA_prev, dW, db)."""
    _, g_backward = _activation(activation)
    linear_cache, Z = cache
    return linear_backward(g_backward(dA, Z), linear_cache, need_dA_prev=need_dA_prev)


def L_model_backward(
    AL: Array,
    Y: npt.ArrayLike,
    caches: list[LayerCache],
    hidden: str = "relu",
    output: str = "sigmoid",
    need_dA0: bool = False,
    fused_output: bool = True,
) -> dict[str, Array]:
    """Backward pass of ``L_model_forward`` for the cross-entropy cost.

    Starts from dA^[L] = -(Y / A^[L] - (1 - Y) / (1 - A^[L])) and dZ^[L] = dA^[L] * sigma'(Z^[L]),
    or, with ``fused_output`` (the default), directly from their simplification
    dZ^[L] = A^[L] - Y. Then for l = L, ..., 1:
    dW^[l] = (1/m) dZ^[l] A^[l-1]^T;  db^[l] = (1/m) sum(dZ^[l], axis=1, keepdims=True);
    dZ^[l-1] = W^[l]^T dZ^[l] * g'^[l-1](Z^[l-1]).
    Returns dW1, db1, ..., dWL, dbL, plus dA0 = W^[1]^T dZ^[1] only when ``need_dA0``.
    """
    _check_output(output)
    L = len(caches)
    Y = np.asarray(Y).reshape(AL.shape)
    grads: dict[str, Array] = {}
    if fused_output:
        dZ = AL - Y
        dA, grads[f"dW{L}"], grads[f"db{L}"] = linear_backward(
            dZ, caches[-1][0], need_dA_prev=need_dA0 or L > 1
        )
    else:
        dAL = -(Y / AL - (1 - Y) / (1 - AL))
        dA, grads[f"dW{L}"], grads[f"db{L}"] = linear_activation_backward(
            dAL, caches[-1], output, need_dA_prev=need_dA0 or L > 1
        )
    for l in range(L - 1, 0, -1):
        assert dA is not None
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, caches[l - 1], hidden, need_dA_prev=need_dA0 or l > 1
        )
    if need_dA0:
        assert dA is not None
        grads["dA0"] = dA
    return grads


def _check_output(output: str) -> None:
    # Cross-entropy needs outputs in (0, 1): of the activations here only sigmoid qualifies.
    if output != "sigmoid":
        raise ValueError(f"output activation must be 'sigmoid' (cross-entropy), not {output!r}")


def update_parameters(
    parameters: MutableMapping[str, Array], grads: Mapping[str, Array], learning_rate: float
) -> MutableMapping[str, Array]:
    """Gradient descent, in place: W^[l] -= alpha dW^[l]; b^[l] -= alpha db^[l].

    Returns ``parameters`` (the same mapping, its arrays updated in place).
    """
    for l in range(1, len(parameters) // 2 + 1):
        parameters[f"W{l}"] -= learning_rate * grads[f"dW{l}"]
        parameters[f"b{l}"] -= learning_rate * grads[f"db{l}"]
    return parameters


def L_model_step(
    X: Array,
    Y: npt.ArrayLike,
    parameters: MutableMapping[str, Array],
    learning_rate: float,
    hidden: str = "relu",
    output: str = "sigmoid",
) -> float:
    """One iteration of gradient descent: forward, cost, backward (fused), in-place update.

    Returns the cost J computed before the update.
    """
    AL, caches = L_model_forward(X, parameters, hidden, output)
    cost = compute_cost(AL, Y)
    grads = L_model_backward(AL, Y, caches, hidden, output)
    update_parameters(parameters, grads, learning_rate)
    return cost


# --------------------------------------------------------------------------- initialisation

def initialize_parameters_deep(
    layer_dims: list[int] | tuple[int, ...], init: str = "he", rng: RNGLike = None
) -> dict[str, Array]:
    """W^[l] = randn(n^[l], n^[l-1]) * scale, b^[l] = zeros((n^[l], 1)), drawn W1 first.

    scale: "small" 0.01, "xavier" 1/sqrt(n^[l-1]), "he" sqrt(2/n^[l-1]), "zeros" 0 (no draws).
    ``rng`` follows ``as_rng``: ``np.random.RandomState(s)`` or ``rng=s`` reproduces the
    notebooks' ``np.random.seed(s)``; ``None`` uses numpy's global state like the notebooks.
    The two-layer net of week 3 is ``initialize_parameters_deep([n_x, n_h, n_y], "small")``.
    Initialisation is not a gradient, so the oracles share the models' one implementation.
    """
    from .nn.init import initialize_parameters

    return initialize_parameters(layer_dims, init, rng)
