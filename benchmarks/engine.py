"""The engine, the way a user runs it.

A–F: ``model.step(X, Y, learning_rate)`` of tinygrad_course.nn (LogisticRegression, DeepNN):
forward, J, backward, W −= α dW in place. ``engine-raw`` writes the same iteration with raw
Tensor ops (Z = W @ A + b, tc.relu / tc.tanh / tc.sigmoid, tc.binary_cross_entropy). G: one
0-d Tensor per scalar, as in micrograd.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_course as tc
from tinygrad_course import nn

from .workloads import Params, Workload, chain_constants, scalar_mlp_targets


class _Model:
    """A–F: the nn model's own ``step`` (what users run), on the course's numpy X and Y."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        if w.kind == "logistic":
            self.model: nn.Model = nn.LogisticRegression(w.dims[0])
        else:
            self.model = nn.DeepNN(w.dims, hidden_activation=w.hidden, init="zeros")
        for name, p in self.model.parameters().items():
            p.data = params[name]
        self.X, self.Y, self.lr = X, Y, w.lr

    def grads(self) -> Params:
        J = self.model.cost(self.X, self.Y)
        J.backward()
        out = {}
        for name, p in self.model.parameters().items():
            out[name], p.grad = p.grad, None
        return out  # type: ignore[return-value]

    def step(self) -> None:
        self.model.step(self.X, self.Y, self.lr)


class _Raw:
    """A–F written with raw Tensor ops (``--impl engine-raw``): the engine without nn's checks."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in params.items()}
        self.X, self.Y = tc.Tensor(X, name="X"), tc.Tensor(Y, name="Y")
        self.w = w

    def loss(self) -> tc.Tensor:
        P, L = self.P, self.w.layers
        if self.w.kind == "logistic":
            return tc.binary_cross_entropy(tc.sigmoid(P["w"].T @ self.X + P["b"]), self.Y)
        act: Callable[[Any], Any] = tc.tanh if self.w.hidden == "tanh" else tc.relu
        A = self.X
        for l in range(1, L + 1):
            Z = P[f"W{l}"] @ A + P[f"b{l}"]
            A = tc.sigmoid(Z) if l == L else act(Z)
        return tc.binary_cross_entropy(A, self.Y)

    def grads(self) -> Params:
        self.loss().backward()
        out = {}
        for k, p in self.P.items():
            out[k], p.grad = p.grad, None
        return out  # type: ignore[return-value]

    def step(self) -> None:
        self.loss().backward()
        lr = self.w.lr
        for p in self.P.values():
            p.data -= lr * p.grad
            p.grad = None


class ScalarMLP:
    """micrograd's MLP: each weight its own 0-d Tensor, each neuron tanh(b + Σ w_i x_i)."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P = {k: [tc.Tensor(v, requires_grad=True) for v in a.ravel()]
                  for k, a in params.items()}
        self.shapes = {k: a.shape for k, a in params.items()}
        self.L = len(params) // 2
        self.xs = X.T.tolist()
        self.ys = scalar_mlp_targets(w).tolist()

    def loss(self, P: dict[str, list[Any]] | None = None) -> tc.Tensor:
        """J of the weights ``P`` (name -> list of 0-d Tensors; the instance's own if None)."""
        P = self.P if P is None else P
        J: Any = 0.0
        for x, y in zip(self.xs, self.ys):
            a: list[Any] = x
            for l in range(1, self.L + 1):
                W, b = P[f"W{l}"], P[f"b{l}"]
                n = len(a)
                z = [sum((W[j * n + i] * a[i] for i in range(n)), b[j]) for j in range(len(b))]
                a = [zj.tanh() for zj in z] if l < self.L else z
            J = J + (a[0] - y) ** 2
        return J

    def grads(self) -> Params:
        self.loss().backward()
        out = {}
        for k, ps in self.P.items():
            out[k] = np.array([p.grad for p in ps]).reshape(self.shapes[k])
            for p in ps:
                p.grad = None
        return out

    def step(self) -> None:
        self.grads()


class Chain:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.x = tc.Tensor(params["x"], requires_grad=True, name="x")
        self.steps = [chain_constants(i) for i in range(w.ops)]

    def value(self, x: tc.Tensor) -> tc.Tensor:
        """The chain's end y of its start x."""
        y = x
        for kind, c in self.steps:
            y = y * c if kind == "mul" else y + c if kind == "add" else \
                tc.exp(y) if kind == "exp" else tc.log(y)
        return y

    def grads(self) -> Params:
        self.value(self.x).backward()
        g, self.x.grad = self.x.grad, None
        return {"x": g}  # type: ignore[dict-item]

    def step(self) -> None:
        self.grads()


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": _Model, "net": _Model, "scalar_mlp": ScalarMLP, "chain": Chain}[w.kind](
        w, params, X, Y)


def make_raw(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return _Raw(w, params, X, Y) if w.kind in ("logistic", "net") else make(w, params, X, Y)
