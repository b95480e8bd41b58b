"""PyTorch CPU in float64, written the way its users write a training step: tensor ops,
loss.backward(), an in-place update under torch.no_grad(), gradients set to None."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .workloads import Params, Workload, chain_constants, scalar_mlp_targets


def set_threads(n: int) -> None:
    torch.set_num_threads(n)


def _bce(A: Any, Y: Any) -> Any:
    m = Y.shape[1]
    return -(Y * torch.log(A) + (1 - Y) * torch.log(1 - A)).sum() / m


class _Trainer:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
                  for k, v in params.items()}
        self.X, self.Y = torch.from_numpy(X), torch.from_numpy(Y)
        self.w = w

    def loss(self) -> Any:
        raise NotImplementedError

    def grads(self) -> Params:
        self.loss().backward()
        out = {k: p.grad.numpy().copy() for k, p in self.P.items()}
        for p in self.P.values():
            p.grad = None
        return out

    def step(self) -> None:
        self.loss().backward()
        lr = self.w.lr
        with torch.no_grad():
            for p in self.P.values():
                p -= lr * p.grad
                p.grad = None


class Logistic(_Trainer):
    def loss(self) -> Any:
        return _bce(torch.sigmoid(self.P["w"].T @ self.X + self.P["b"]), self.Y)


class Net(_Trainer):
    def loss(self) -> Any:
        P, L = self.P, self.w.layers
        act = torch.tanh if self.w.hidden == "tanh" else torch.relu
        A = self.X
        for l in range(1, L + 1):
            Z = P[f"W{l}"] @ A + P[f"b{l}"]
            A = torch.sigmoid(Z) if l == L else act(Z)
        return _bce(A, self.Y)


class ScalarMLP:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P = {k: [torch.tensor(float(v), dtype=torch.float64, requires_grad=True)
                      for v in a.ravel()] for k, a in params.items()}
        self.shapes = {k: a.shape for k, a in params.items()}
        self.L = len(params) // 2
        self.xs = X.T.tolist()
        self.ys = scalar_mlp_targets(w).tolist()

    def grads(self) -> Params:
        J: Any = 0.0
        for x, y in zip(self.xs, self.ys):
            a: list[Any] = x
            for l in range(1, self.L + 1):
                W, b = self.P[f"W{l}"], self.P[f"b{l}"]
                n = len(a)
                z = [sum((W[j * n + i] * a[i] for i in range(n)), b[j]) for j in range(len(b))]
                a = [zj.tanh() for zj in z] if l < self.L else z
            J = J + (a[0] - y) ** 2
        J.backward()
        out = {}
        for k, ps in self.P.items():
            out[k] = np.array([p.grad.item() for p in ps]).reshape(self.shapes[k])
            for p in ps:
                p.grad = None
        return out

    def step(self) -> None:
        self.grads()


class Chain:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.x = torch.tensor(float(params["x"]), dtype=torch.float64, requires_grad=True)
        self.steps = [chain_constants(i) for i in range(w.ops)]

    def grads(self) -> Params:
        y = self.x
        for kind, c in self.steps:
            y = y * c if kind == "mul" else y + c if kind == "add" else \
                torch.exp(y) if kind == "exp" else torch.log(y)
        y.backward()
        g = self.x.grad.item()
        self.x.grad = None
        return {"x": np.array(g)}

    def step(self) -> None:
        self.grads()


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": Logistic, "net": Net, "scalar_mlp": ScalarMLP, "chain": Chain}[w.kind](
        w, params, X, Y)
