"""The course oracles (tinygrad_course.oracles) used as a training loop: the week-4 structure
(caches, L_model_backward, update_parameters), for comparison with the leaner hand-written
baseline. Networks only."""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_course import oracles as O

from .workloads import Params, Workload


class Logistic:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P, self.X, self.Y, self.lr = params, X, Y, w.lr

    def grads(self) -> Params:
        g, _ = O.logistic_propagate(self.P["w"], self.P["b"], self.X, self.Y)
        return {"w": g["dw"], "b": g["db"]}

    def step(self) -> None:
        for k, g in self.grads().items():
            self.P[k] -= self.lr * g


class Net:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> None:
        self.P, self.X, self.Y, self.w = params, X, Y, w

    def grads(self) -> Params:
        AL, caches = O.L_model_forward(self.X, self.P, hidden=self.w.hidden)
        O.compute_cost(AL, self.Y)
        g = O.L_model_backward(AL, self.Y, caches, hidden=self.w.hidden)
        return {k[1:]: v for k, v in g.items()}

    def step(self) -> None:
        O.L_model_step(self.X, self.Y, self.P, self.w.lr, hidden=self.w.hidden)


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return {"logistic": Logistic, "net": Net}[w.kind](w, params, X, Y)
