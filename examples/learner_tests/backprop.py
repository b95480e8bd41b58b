"""A learner's own backward pass for one layer, written by hand the course's way (week 4).

Forward: Z = W A_prev + b, A = g(Z). Backward, given dA from the layer above:
    dZ = dA * g'(Z)
    dW = (1/m) dZ A_prevᵀ
    db = (1/m) Σ_i dZ(:, i)            (np.sum(dZ, axis=1, keepdims=True) / m)
    dA_prev = Wᵀ dZ
L_model_forward and L_model_backward chain the layers, as in the week-4 assignment.
docs/testing.md tests these against the engine; test_backprop.py is the test.
"""

from __future__ import annotations

import numpy as np


def activation_forward(Z: np.ndarray, activation: str) -> np.ndarray:
    """A = g(Z) for sigmoid, tanh, relu and leaky relu (slope 0.01)."""
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-Z))
    if activation == "tanh":
        return np.tanh(Z)
    if activation == "relu":
        return np.maximum(Z, 0)
    if activation == "leaky_relu":
        return np.where(Z > 0, Z, 0.01 * Z)
    raise ValueError(f"unknown activation {activation!r}")


def activation_backward(dA: np.ndarray, Z: np.ndarray, activation: str) -> np.ndarray:
    """dZ = dA * g'(Z): σ' = σ(1 − σ), tanh' = 1 − tanh², relu' = 1 if z > 0 else 0."""
    if activation == "sigmoid":
        s = activation_forward(Z, "sigmoid")
        return dA * s * (1 - s)
    if activation == "tanh":
        return dA * (1 - np.tanh(Z) ** 2)
    if activation == "relu":
        return dA * (Z > 0)
    if activation == "leaky_relu":
        return dA * np.where(Z > 0, 1.0, 0.01)
    raise ValueError(f"unknown activation {activation!r}")


def linear_activation_backward(dA, cache, activation):
    """(dA_prev, dW, db) for one layer; cache = ((A_prev, W, b), Z)."""
    (A_prev, W, b), Z = cache
    m = A_prev.shape[1]
    dZ = activation_backward(dA, Z, activation)
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def L_model_forward(X, parameters, activations):
    """(A^[L], caches) with caches[l - 1] = ((A^[l-1], W^[l], b^[l]), Z^[l])."""
    A, caches = X, []
    for l, activation in enumerate(activations, start=1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        caches.append(((A, W, b), Z))
        A = activation_forward(Z, activation)
    return A, caches


def L_model_backward(AL, Y, caches, activations):
    """dW1, db1, ..., dWL, dbL for J = -(1/m) Σ [y log a + (1 - y) log(1 - a)]: start from
    dA^[L] = -(Y / A^[L] - (1 - Y) / (1 - A^[L])), then one layer at a time, top down."""
    grads = {}
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in range(len(caches), 0, -1):
        dA, grads[f"dW{l}"], grads[f"db{l}"] = linear_activation_backward(
            dA, caches[l - 1], activations[l - 1])
    return grads


def linear_activation_backward_from_notes(dA, cache, activation):
    """The same with dW copied from the closing summary of course note 002,
    dW^[L] = dZ^[L] A^[L]T: the layer's own output A where A_prev belongs, and no 1/m."""
    (A_prev, W, b), Z = cache
    dZ = activation_backward(dA, Z, activation)
    A = activation_forward(Z, activation)
    dW = dZ @ A.T
    db = np.sum(dZ, axis=1, keepdims=True) / A_prev.shape[1]
    return W.T @ dZ, dW, db


def linear_activation_backward_half_fixed(dA, cache, activation):
    """The notes' formula with the layer index fixed, dW = dZ A_prevᵀ, but still no 1/m."""
    (A_prev, W, b), Z = cache
    dZ = activation_backward(dA, Z, activation)
    dW = dZ @ A_prev.T
    db = np.sum(dZ, axis=1, keepdims=True) / A_prev.shape[1]
    return W.T @ dZ, dW, db
