"""Your own op, the course's way: a forward that returns the value and a cache, and a backward
``backward(dA, cache) -> dZ``, exactly like the course's ``relu(Z) -> A, cache`` and
``relu_backward(dA, cache) -> dZ``.

    >>> def relu(Z):
    ...     return np.maximum(0, Z), Z            # A, cache
    >>> def relu_backward(dA, cache):
    ...     Z = cache
    ...     return dA * (Z > 0)                   # dZ = dA * g'(Z)
    >>> my_relu = tc.custom_op(relu, relu_backward, label="ReLU")
    >>> A = my_relu(Z)                            # a recorded node, drawn "ReLU"

With several inputs (``linear(A_prev, W, b) -> Z, cache``), backward returns a tuple with one
gradient per input (``dA_prev, dW, db``). The op records nodes like any op of the table. When
its forward and backward are written with numpy functions that are ops (``np.maximum``,
``np.dot``, ``*``), ``tc.grad(..., create_graph=True)`` runs them again on Tensors, so second
derivatives work too.

A hand-written backward is the classic place for a silently wrong gradient, so it is checked
against central finite differences the first time the op is used under ``tc.detect_anomaly()``,
or whenever you ask (``check_custom_op``, also in ``tinygrad_course.testing``). A wrong shape or
wrong values raise a ValueError in the course's terms: which input, which element, by how much.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .gradcheck import CLOSE, fd_noise
from .ops.core import Op, PerInput, describe, mode
from .tensor import Tensor


class _Cache:
    """One call's cache, kept in the node (as the course keeps ``caches``), and the last
    backward result, so an op with several inputs runs backward once per pass."""

    __slots__ = ("value", "g", "grads")

    def __init__(self) -> None:
        self.value: Any = None
        self.g: Any = None
        self.grads: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return "cache"


class CustomOp(Op):
    """An op made from a course-style forward and backward; see :func:`custom_op`."""

    __slots__ = ("user_forward", "user_backward", "inputs_named", "checked")

    def __init__(self, forward: Callable[..., Any], backward: Callable[..., Any],
                 name: str, label: str) -> None:
        self.user_forward, self.user_backward = forward, backward
        self.inputs_named = _parameter_names(forward)
        self.checked = False
        super().__init__(name, label, self._forward,
                         vjps=PerInput(self._vjp), derivs=PerInput(lambda i: backward.__name__))

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        if params:
            raise TypeError(f"{self.name}: takes its inputs positionally, as "
                            f"{self.user_forward.__name__}({', '.join(self.inputs_named)}) does")
        if mode.anomaly and not self.checked and any(
                isinstance(x, Tensor) for x in inputs):
            check_custom_op(self, *inputs)
        return super().__call__(*inputs, cache=_Cache())

    def operands(self, inputs: Sequence[Any], params: dict[str, Any]) -> str:
        return ", ".join(f"{n} {np.shape(_values(x))}" if not isinstance(x, Tensor)
                         else describe(x) for n, x in zip(self._names(len(inputs)), inputs))

    # ---- the course's forward and backward, inside the table's protocol ------------------------
    def _forward(self, *arrays: Any, cache: _Cache) -> Any:
        value, cache.value = self._run_forward(arrays)
        return value

    def _run_forward(self, inputs: Sequence[Any]) -> tuple[Any, Any]:
        result = self.user_forward(*inputs)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"{self.name}: {self.user_forward.__name__} must return (value, cache), as the "
                f"course's relu(Z) returns A, cache; it returned {type(result).__name__}")
        return result

    def _vjp(self, i: int) -> Callable[..., Any]:
        def vjp(g: Any, out: Any, *inputs: Any, cache: _Cache) -> Any:
            if cache.g is not g:  # once per pass, however many inputs need a gradient
                if isinstance(g, Tensor):  # create_graph: forward again on Tensors, recorded
                    _, again = self._run_forward(inputs)
                    grads = self._grads(g, again, inputs)
                    self._refuse_arrays(grads, inputs)
                else:
                    grads = self._grads(g, cache.value, inputs)
                cache.g, cache.grads = g, grads
            return cache.grads[i]
        return vjp

    def _grads(self, g: Any, cache: Any, inputs: Sequence[Any]) -> tuple[Any, ...]:
        """backward(dA, cache), checked for the number of gradients and their shapes."""
        result = self.user_backward(g, cache)
        names = self._names(len(inputs))
        grads = (result,) if len(inputs) == 1 else result
        if not isinstance(grads, (tuple, list)) or len(grads) != len(inputs):
            got = len(grads) if isinstance(grads, (tuple, list)) else 1
            raise ValueError(
                f"{self.name}: {self.user_backward.__name__} must return one gradient per input "
                f"of {self.user_forward.__name__} ({', '.join('d' + n for n in names)}), "
                f"as a tuple; it returned {got}")
        checked = []
        for name, x, gx in zip(names, inputs, grads):
            shape = np.shape(_values(x))
            if gx is None or np.shape(_values(gx)) != shape:
                raise ValueError(
                    f"{self.name}: {self.user_backward.__name__} returned d{name} of shape "
                    f"{np.shape(_values(gx)) if gx is not None else None} for {name} of shape "
                    f"{shape}: d{name} must have {name}'s shape (each dW has W's shape)")
            checked.append(gx if isinstance(gx, Tensor) else np.asarray(gx))
        return tuple(checked)

    def _refuse_arrays(self, grads: Sequence[Any], inputs: Sequence[Any]) -> None:
        for name, x, gx in zip(self._names(len(inputs)), inputs, grads):
            if isinstance(x, Tensor) and x.requires_grad and not isinstance(gx, Tensor):
                raise TypeError(
                    f"{self.name}: second derivatives need {self.user_backward.__name__} to "
                    f"compute d{name} with numpy functions that are ops (np.dot, np.maximum, "
                    "*, ...) on what it is given; it returned a plain array (np.array(dA, "
                    "copy=True) and in-place edits leave the graph)")

    def _names(self, n: int) -> list[str]:
        names = list(self.inputs_named[:n])
        return names + [f"x{i}" for i in range(len(names), n)]


def custom_op(forward: Callable[..., Any], backward: Callable[..., Any],
              name: str | None = None, label: str | None = None) -> CustomOp:
    """An op from the course's pair of functions: ``forward(*inputs) -> (value, cache)`` and
    ``backward(dA, cache) -> dZ`` (a tuple ``(dX1, dX2, ...)`` for several inputs). It records
    nodes like any op, drawn with ``label`` (default: the forward's name)."""
    if not callable(forward) or not callable(backward):
        raise TypeError("custom_op(forward, backward): both must be functions, as the course's "
                        "relu(Z) -> A, cache and relu_backward(dA, cache) -> dZ")
    op_name = name or forward.__name__
    return CustomOp(forward, backward, op_name, label or op_name)


def check_custom_op(op: CustomOp, *inputs: Any, eps: float = 1e-6, max_elements: int = 400,
                    seed: int = 0) -> None:
    """Check ``op``'s backward against central finite differences at ``inputs``.

    With a random upstream gradient dA, backward(dA, cache) must equal, for every input X and
    element j, (f(X + ε e_j) − f(X − ε e_j)) / 2ε with f = Σ dA · forward(...) (up to
    ``max_elements`` elements per input, chosen at random). Raises ValueError naming the input,
    the element, both values and the difference; passes silently and marks the op checked.
    """
    if not isinstance(op, CustomOp):
        raise TypeError(f"check_custom_op: expected an op made by tc.custom_op, got "
                        f"{type(op).__name__}")
    arrays = [np.array(_values(x), dtype=np.float64) for x in inputs]
    value, cache = op._run_forward(arrays)
    rng = np.random.default_rng(seed)
    dA = rng.standard_normal(np.shape(value))
    grads = op._grads(dA, cache, arrays)

    def f(k: int, flat_index: int, step: float) -> float:
        moved = [a.copy() for a in arrays]
        moved[k].reshape(-1)[flat_index] += step
        return float(np.sum(dA * np.asarray(_values(op._run_forward(moved)[0]))))

    J = float(np.sum(dA * np.asarray(_values(value))))
    for k, (x, gx) in enumerate(zip(arrays, grads)):
        name = op._names(len(arrays))[k]
        g = np.asarray(_values(gx), dtype=np.float64).reshape(-1)
        picks = (np.arange(x.size) if x.size <= max_elements
                 else rng.choice(x.size, max_elements, replace=False))
        fd = np.array([(f(k, j, eps) - f(k, j, -eps)) / (2 * eps) for j in picks])
        got = g[picks]
        if not CLOSE.agree(got, fd, fd_noise(J, eps, len(picks))):
            worst = int(np.argmax(np.abs(got - fd)))
            index = np.unravel_index(int(picks[worst]), x.shape) if x.ndim else ()
            at = f"[{', '.join(map(str, index))}]" if index else ""
            raise ValueError(
                f"{op.name}: {op.user_backward.__name__} is wrong for d{name}: at d{name}{at} "
                f"it gives {got[worst]:.8g}, central differences give {fd[worst]:.8g} "
                f"(off by {abs(got[worst] - fd[worst]):.3g}; relative difference "
                f"{CLOSE.difference(got, fd):.3g} over the {len(picks)} elements checked, "
                f"tolerance {CLOSE.rtol:g}). Check the formula for d{name}")
    op.checked = True


def _values(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x


def _parameter_names(fn: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
