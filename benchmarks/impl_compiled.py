"""The engine compiled: ``tc.trace`` once, then replay the generated straight-line numpy.

A–F: ``model.step(X, Y, learning_rate, compiled=True)`` of the same nn models as
benchmarks/engine.py builds; the first step (in the warm-up, not timed) traces the model's
step with the update in place (``W1 -= learning_rate * dW1``), later steps replay it.
``compiled-course`` (``make_course``) adds ``simplify=True``: dZ^[L] = (A^[L] − Y)/m, the
line the hand-written baseline writes, instead of the chain rule through dA^[L].

G: the same scalar graphs as engine.py's ScalarMLP and Chain, traced once when the runner is
built (``tc.trace(loss, *params)``, every weight its own 0-d input); a timed iteration is the
replay ``traced(*values)``, which returns J and every gradient (no update, as for the other
implementations of G).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import tinygrad_course as tc

from . import engine
from .workloads import Params, Workload


class _Model(engine._Model):
    simplify = False

    def grads(self) -> Params:
        # the compiled step computes every gradient before its in-place update and leaves
        # them in p.grad: the gradients at the parameters the step started from
        self.step()
        out = {}
        for name, p in self.model.parameters().items():
            out[name], p.grad = np.array(p.grad), None
        return out

    def step(self) -> None:
        self.model.step(self.X, self.Y, self.lr, compiled=True, simplify=self.simplify)


class _CourseModel(_Model):
    simplify = True


class ScalarMLP:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        eager = engine.ScalarMLP(w, params, X, Y)
        self.shapes = {k: a.shape for k, a in params.items()}
        self.sizes = {k: a.size for k, a in params.items()}
        names = list(params)

        def loss(*ps: tc.Tensor) -> tc.Tensor:
            P, i = {}, 0
            for k in names:
                P[k] = list(ps[i:i + self.sizes[k]])
                i += self.sizes[k]
            return eager.loss(P)

        inputs = [p for k in names for p in eager.P[k]]
        t0 = time.perf_counter()
        self.traced = tc.trace(loss, *inputs)
        self.trace_seconds = time.perf_counter() - t0
        self.values = [np.array(float(v)) for k in names for v in params[k].ravel()]
        self.names = names

    def grads(self) -> Params:
        _, g = self.traced(*self.values)
        out, i = {}, 0
        for k in self.names:
            n = self.sizes[k]
            out[k] = np.array([float(x) for x in g[i:i + n]]).reshape(self.shapes[k])  # type: ignore[arg-type]
            i += n
        return out

    def step(self) -> None:
        self.traced(*self.values)


class Chain:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        eager = engine.Chain(w, params, X, Y)
        t0 = time.perf_counter()
        self.traced = tc.trace(eager.value, tc.Tensor(params["x"], requires_grad=True, name="x"))
        self.trace_seconds = time.perf_counter() - t0
        self.values = [np.array(float(params["x"]))]

    def grads(self) -> Params:
        _, (g,) = self.traced(*self.values)
        return {"x": np.array(g)}

    def step(self) -> None:
        self.traced(*self.values)


def make_course(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    """A–F with the course's algebra: ``step(..., compiled=True, simplify=True)``."""
    return _CourseModel(w, params, X, Y)


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": _Model, "net": _Model, "scalar_mlp": ScalarMLP, "chain": Chain}[w.kind](
        w, params, X, Y)
