"""Hand-written backprop: the baseline every ratio is taken against.

Networks: the course's vectorised equations in numpy, written for speed the way a careful
learner would after week 4 (the same BLAS calls as any numpy engine, and nothing else):

    Z^[l] = W^[l] A^[l-1] + b^[l];  A^[l] = g(Z^[l])
    J = −(1/m) Σ [Y log A^[L] + (1 − Y) log(1 − A^[L])]
    dZ^[L] = (A^[L] − Y)/m         (the sigmoid + cross-entropy simplification; the 1/m of every
                                    dW and db is carried once, here)
    dW^[l] = dZ^[l] A^[l-1]ᵀ;  db^[l] = Σ_i dZ^[l];  dZ^[l-1] = W^[l]ᵀ dZ^[l] * g'(Z^[l-1])
    W^[l] −= α dW^[l];  b^[l] −= α db^[l]   (in place)

with relu'(z) = 1 if z > 0 else 0, tanh' = 1 − A², dA^[0] never computed. The course's
oracles (tinygrad_course.oracles) check these gradients before anything is timed.

G: the chain rule by hand in plain Python floats (math.tanh, math.exp), a reverse sweep over
values kept from the forward pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .workloads import Params, Workload, chain_constants, scalar_mlp_targets


def sigmoid(Z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-Z))


def cost(A: np.ndarray, Y: np.ndarray) -> float:
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m)


class Logistic:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P, self.X, self.Y, self.lr = params, X, Y, w.lr

    def grads(self) -> Params:
        X, Y, m = self.X, self.Y, self.X.shape[1]
        A = sigmoid(self.P["w"].T @ X + self.P["b"])
        self.cost = cost(A, Y)
        dZ = (A - Y) / m
        return {"w": X @ dZ.T, "b": np.sum(dZ, axis=1, keepdims=True)}

    def step(self) -> None:
        for k, g in self.grads().items():
            self.P[k] -= self.lr * g


class Net:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P, self.X, self.Y, self.lr = params, X, Y, w.lr
        self.L, self.hidden = w.layers, w.hidden

    def grads(self) -> Params:
        P, L, m = self.P, self.L, self.X.shape[1]
        tanh = self.hidden == "tanh"
        A, cache = self.X, []
        for l in range(1, L + 1):
            Z = P[f"W{l}"] @ A + P[f"b{l}"]
            cache.append((A, Z))
            A = sigmoid(Z) if l == L else np.tanh(Z) if tanh else np.maximum(Z, 0)
        self.cost = cost(A, self.Y)
        dZ = (A - self.Y) / m
        grads = {}
        for l in range(L, 0, -1):
            A_prev, _ = cache[l - 1]
            grads[f"W{l}"] = dZ @ A_prev.T
            grads[f"b{l}"] = np.sum(dZ, axis=1, keepdims=True)
            if l > 1:
                dA = P[f"W{l}"].T @ dZ
                # g'(Z^[l-1]): tanh' from the kept A^[l-1]; relu' as a 0/1 mask of Z^[l-1] > 0
                dZ = dA * (1 - A_prev ** 2) if tanh else dA * (cache[l - 2][1] > 0)
        return grads

    def step(self) -> None:
        for k, g in self.grads().items():
            self.P[k] -= self.lr * g


class ScalarMLP:
    """ŷ = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 per example, J = Σ (ŷ − y)², on Python floats."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.shapes = {k: v.shape for k, v in params.items()}
        self.L = len(params) // 2
        self.W = [params[f"W{l}"].tolist() for l in range(1, self.L + 1)]
        self.b = [params[f"b{l}"][:, 0].tolist() for l in range(1, self.L + 1)]
        self.xs = X.T.tolist()
        self.ys = scalar_mlp_targets(w).tolist()

    def grads(self) -> Params:
        L, W, b = self.L, self.W, self.b
        dW = [[[0.0] * len(row) for row in Wl] for Wl in W]
        db = [[0.0] * len(bl) for bl in b]
        for x, y in zip(self.xs, self.ys):
            acts = [x]
            for l in range(L):
                a = acts[-1]
                z = [sum((w * ai for w, ai in zip(row, a)), bj) for row, bj in zip(W[l], b[l])]
                acts.append([math.tanh(v) for v in z] if l < L - 1 else z)
            da = [2 * (acts[-1][0] - y)]
            for l in range(L - 1, -1, -1):
                a_prev, a = acts[l], acts[l + 1]
                dz = da if l == L - 1 else [d * (1 - v * v) for d, v in zip(da, a)]
                da = [0.0] * len(a_prev)
                for j, (row, d) in enumerate(zip(W[l], dz)):
                    db[l][j] += d
                    grow = dW[l][j]
                    for i, ai in enumerate(a_prev):
                        grow[i] += d * ai
                        da[i] += row[i] * d
        out: Params = {}
        for l in range(L):
            out[f"W{l + 1}"] = np.array(dW[l])
            out[f"b{l + 1}"] = np.array(db[l]).reshape(self.shapes[f"b{l + 1}"])
        return out

    def step(self) -> None:
        self.grads()


class Chain:
    """y = x, then y·1.0001, y − 0.0001, e^y, log y, ... : dy/dx as the product of the steps'
    local derivatives, accumulated right to left."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.x = float(params["x"])
        self.steps = [chain_constants(i) for i in range(w.ops)]

    def grads(self) -> Params:
        y, local = self.x, []
        for kind, c in self.steps:
            if kind == "mul":
                y, d = y * c, c
            elif kind == "add":
                y, d = y + c, 1.0
            elif kind == "exp":
                y = math.exp(y)
                d = y
            else:
                y, d = math.log(y), 1 / y
            local.append(d)
        g = 1.0
        for d in reversed(local):
            g *= d
        return {"x": np.array(g)}

    def step(self) -> None:
        self.grads()


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": Logistic, "net": Net, "scalar_mlp": ScalarMLP, "chain": Chain}[w.kind](
        w, params, X, Y)
