"""HIPS autograd, the numpy-based peer: the loss as a function of the parameters,
``value_and_grad`` of it, then the update on the numpy arrays in place."""

from __future__ import annotations

from typing import Any

import autograd
import autograd.numpy as anp
import numpy as np

from .workloads import Params, Workload, chain_constants, scalar_mlp_targets


def _bce(A: Any, Y: np.ndarray) -> Any:
    m = Y.shape[1]
    return -anp.sum(Y * anp.log(A) + (1 - Y) * anp.log(1 - A)) / m


def _sigmoid(Z: Any) -> Any:
    return 1 / (1 + anp.exp(-Z))


class _Trainer:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P, self.X, self.Y, self.w = params, X, Y, w
        self.value_and_grad = autograd.value_and_grad(self.loss)

    def loss(self, P: Params) -> Any:
        raise NotImplementedError

    def grads(self) -> Params:
        return self.value_and_grad(self.P)[1]

    def step(self) -> None:
        _, grads = self.value_and_grad(self.P)
        lr = self.w.lr
        for k, g in grads.items():
            self.P[k] -= lr * g


class Logistic(_Trainer):
    def loss(self, P: Params) -> Any:
        return _bce(_sigmoid(anp.dot(P["w"].T, self.X) + P["b"]), self.Y)


class Net(_Trainer):
    def loss(self, P: Params) -> Any:
        L = self.w.layers
        act = anp.tanh if self.w.hidden == "tanh" else (lambda Z: anp.maximum(Z, 0.0))
        A = self.X
        for l in range(1, L + 1):
            Z = anp.dot(P[f"W{l}"], A) + P[f"b{l}"]
            A = _sigmoid(Z) if l == L else act(Z)
        return _bce(A, self.Y)


class ScalarMLP:
    """The parameters as one flat array; every weight is read out of it as its own scalar
    (a flat list of floats would make each read's VJP rebuild the whole list)."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.shapes = {k: a.shape for k, a in params.items()}
        self.flat = np.concatenate([a.ravel() for a in params.values()])
        self.L = len(params) // 2
        self.xs = X.T.tolist()
        self.ys = scalar_mlp_targets(w).tolist()
        self.grad = autograd.grad(self.loss)

    def loss(self, flat: Any) -> Any:
        P, start = {}, 0
        for k, shape in self.shapes.items():
            n = int(np.prod(shape))
            P[k], start = flat[start:start + n], start + n
        J: Any = 0.0
        for x, y in zip(self.xs, self.ys):
            a: list[Any] = x
            for l in range(1, self.L + 1):
                W, b = P[f"W{l}"], P[f"b{l}"]
                n = len(a)
                z = [sum((W[j * n + i] * a[i] for i in range(n)), b[j]) for j in range(len(b))]
                a = [anp.tanh(zj) for zj in z] if l < self.L else z
            J = J + (a[0] - y) ** 2
        return J

    def grads(self) -> Params:
        flat = self.grad(self.flat)
        out, start = {}, 0
        for k, shape in self.shapes.items():
            n = int(np.prod(shape))
            out[k], start = flat[start:start + n].reshape(shape), start + n
        return out

    def step(self) -> None:
        self.grads()


class Chain:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.x = float(params["x"])
        self.steps = [chain_constants(i) for i in range(w.ops)]
        self.grad = autograd.grad(self.f)

    def f(self, x: Any) -> Any:
        y = x
        for kind, c in self.steps:
            y = y * c if kind == "mul" else y + c if kind == "add" else \
                anp.exp(y) if kind == "exp" else anp.log(y)
        return y

    def grads(self) -> Params:
        return {"x": np.array(self.grad(self.x))}

    def step(self) -> None:
        self.grads()


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": Logistic, "net": Net, "scalar_mlp": ScalarMLP, "chain": Chain}[w.kind](
        w, params, X, Y)
