"""JAX on the CPU in float64: ``jax.value_and_grad`` of the same loss as the hand-written
numpy, in the course's layout (X (n_x, m), the cross-entropy cost), then θ := θ − α g.

``make_jit`` (``--impl jax-jit``) jits the whole step (parameters in, J and the new parameters
out); the compile happens in the first call, in the warm-up. ``make`` (``--impl jax``) runs
the same step eagerly, op by op. Every iteration ends with ``block_until_ready`` (JAX
dispatches asynchronously). G: the scalar graphs of the other implementations, each weight its
own 0-d array (a pytree of lists), value and gradients, no update.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from .workloads import Params, Workload, chain_constants, scalar_mlp_targets  # noqa: E402

jax.config.update("jax_enable_x64", True)


def _cost(A: Any, Y: Any) -> Any:
    m = Y.shape[1]
    return -jnp.sum(Y * jnp.log(A) + (1 - Y) * jnp.log(1 - A)) / m


def _sigmoid(Z: Any) -> Any:
    return 1 / (1 + jnp.exp(-Z))


def _loss(w: Workload) -> Callable[..., Any]:
    if w.kind == "logistic":
        def logistic(P: dict[str, Any], X: Any, Y: Any) -> Any:
            return _cost(_sigmoid(P["w"].T @ X + P["b"]), Y)
        return logistic
    L, tanh = w.layers, w.hidden == "tanh"

    def net(P: dict[str, Any], X: Any, Y: Any) -> Any:
        A = X
        for l in range(1, L + 1):
            Z = P[f"W{l}"] @ A + P[f"b{l}"]
            A = _sigmoid(Z) if l == L else jnp.tanh(Z) if tanh else jnp.maximum(Z, 0)
        return _cost(A, Y)
    return net


class _Trainer:
    """A–F: one training iteration, value_and_grad then the update."""

    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray,
                 jit: bool) -> None:
        self.P = {k: jnp.asarray(v) for k, v in params.items()}
        self.X, self.Y = jnp.asarray(X), jnp.asarray(Y)
        vg = jax.value_and_grad(_loss(w))
        lr = w.lr

        def step(P: dict[str, Any], X: Any, Y: Any) -> tuple[Any, dict[str, Any]]:
            J, g = vg(P, X, Y)
            return J, {k: P[k] - lr * g[k] for k in P}

        self._vg = jax.jit(vg) if jit else vg
        self._step = jax.jit(step) if jit else step

    def grads(self) -> Params:
        _, g = self._vg(self.P, self.X, self.Y)
        return {k: np.asarray(v) for k, v in g.items()}

    def step(self) -> None:
        J, self.P = self._step(self.P, self.X, self.Y)
        jax.block_until_ready((J, self.P))


def _scalar_mlp_loss(w: Workload, X: np.ndarray) -> Callable[..., Any]:
    xs, ys = X.T.tolist(), scalar_mlp_targets(w).tolist()
    L = w.layers

    def loss(P: dict[str, list[Any]]) -> Any:
        J: Any = 0.0
        for x, y in zip(xs, ys):
            a: list[Any] = x
            for l in range(1, L + 1):
                W, b = P[f"W{l}"], P[f"b{l}"]
                n = len(a)
                z = [sum((W[j * n + i] * a[i] for i in range(n)), b[j]) for j in range(len(b))]
                a = [jnp.tanh(zj) for zj in z] if l < L else z
            J = J + (a[0] - y) ** 2
        return J
    return loss


def _chain_loss(w: Workload) -> Callable[..., Any]:
    steps = [chain_constants(i) for i in range(w.ops)]

    def loss(x: Any) -> Any:
        y = x
        for kind, c in steps:
            y = y * c if kind == "mul" else y + c if kind == "add" else \
                jnp.exp(y) if kind == "exp" else jnp.log(y)
        return y
    return loss


class ScalarMLP:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray,
                 jit: bool) -> None:
        self.shapes = {k: a.shape for k, a in params.items()}
        self.P = {k: [jnp.asarray(float(v)) for v in a.ravel()] for k, a in params.items()}
        vg = jax.value_and_grad(_scalar_mlp_loss(w, X))
        self._vg = jax.jit(vg) if jit else vg

    def grads(self) -> Params:
        _, g = self._vg(self.P)
        return {k: np.array([float(v) for v in g[k]]).reshape(self.shapes[k]) for k in g}

    def step(self) -> None:
        jax.block_until_ready(self._vg(self.P))


class Chain:
    def __init__(self, w: Workload, params: Params, X: np.ndarray, Y: np.ndarray,
                 jit: bool) -> None:
        self.x = jnp.asarray(float(params["x"]))
        vg = jax.value_and_grad(_chain_loss(w))
        self._vg = jax.jit(vg) if jit else vg

    def grads(self) -> Params:
        _, g = self._vg(self.x)
        return {"x": np.array(float(g))}

    def step(self) -> None:
        jax.block_until_ready(self._vg(self.x))


_KINDS: dict[str, Any] = {"logistic": _Trainer, "net": _Trainer, "scalar_mlp": ScalarMLP,
                          "chain": Chain}


def make(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return _KINDS[w.kind](w, params, X, Y, jit=False)


def make_jit(w: Workload, params: Params, X: np.ndarray, Y: np.ndarray) -> Any:
    return _KINDS[w.kind](w, params, X, Y, jit=True)
