"""Gradient checking: backward() against two-sided finite differences.

The course's check (course 2, "gradient checking"): with g from backprop and g' from
(f(θ + ε) − f(θ − ε)) / 2ε, the relative difference ||g − g'||₂ / (||g||₂ + ||g'||₂) should be
tiny (about 1e-7 or less for ε = 1e-7 in float64).

"Close enough" is one rule (:data:`CLOSE`), shared by ``assert_gradcheck``,
``testing.assert_gradients_match`` and the custom-op check: the course's relative difference
over all inputs together is at most ``rtol`` (2e-7), or ||g − g'|| is within the rounding noise
of the finite differences, ``fd_noise``: each (f(θ + ε) − f(θ − ε)) / 2ε carries an error of
about 10 ε_mach max(1, |f|) / ε, so near a stationary point (a gradient of about 0, as for
Σ softmax(z), which is always 1) no relative difference is meaningful.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tensor import Tensor

Inputs = Mapping[str, Any] | Sequence[Any]


def _named(inputs: Inputs) -> dict[str, np.ndarray]:
    items: Iterable[tuple[str, Any]] = (
        inputs.items() if isinstance(inputs, Mapping)
        else ((f"x{i}", v) for i, v in enumerate(inputs)))
    return {k: np.array(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
            for k, v in items}


def _call(fn: Callable[..., Any], inputs: Inputs, tensors: dict[str, Any]) -> Any:
    return fn(**tensors) if isinstance(inputs, Mapping) else fn(*tensors.values())


def _scalar(out: Any, where: str) -> float:
    value = out.data if isinstance(out, Tensor) else np.asarray(out)
    if value.size != 1:
        raise ValueError(f"{where}: the function must return a one-element Tensor, got shape "
                         f"{value.shape}")
    return float(value.reshape(()))


def engine_gradients(fn: Callable[..., Tensor], inputs: Inputs) -> dict[str, np.ndarray]:
    """The gradient of the scalar fn(...) for each input, by backward()."""
    arrays = _named(inputs)
    tensors = {k: Tensor(v, requires_grad=True, name=k) for k, v in arrays.items()}
    out = _call(fn, inputs, tensors)
    _scalar(out, "engine_gradients")
    out.backward()
    return {k: t.grad if t.grad is not None else np.zeros_like(t.data)
            for k, t in tensors.items()}


def numerical_gradients(fn: Callable[..., Any], inputs: Inputs,
                        eps: float = 1e-7) -> dict[str, np.ndarray]:
    """Central differences (f(θ + ε) − f(θ − ε)) / 2ε, one element at a time."""
    arrays = _named(inputs)
    result = {}
    for name, x in arrays.items():
        g = np.zeros_like(x)
        flat, gflat = x.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = _scalar(_call(fn, inputs, {k: Tensor(v) for k, v in arrays.items()}),
                           "numerical_gradients")
            flat[i] = old - eps
            minus = _scalar(_call(fn, inputs, {k: Tensor(v) for k, v in arrays.items()}),
                            "numerical_gradients")
            flat[i] = old
            gflat[i] = (plus - minus) / (2 * eps)
        result[name] = g
    return result


def relative_difference(g: Any, g_approx: Any) -> float:
    """||g − g'||₂ / (||g||₂ + ||g'||₂), 0 when both are 0."""
    a = np.ravel(np.asarray(g, dtype=np.float64))
    b = np.ravel(np.asarray(g_approx, dtype=np.float64))
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else 0.0


@dataclass(frozen=True)
class CloseEnough:
    """The rule for "two gradients agree": relative difference <= ``rtol``, or a difference
    no larger than ``noise`` (what finite differences cannot resolve)."""

    rtol: float = 2e-7

    def difference(self, g: Any, g_approx: Any) -> float:
        return relative_difference(g, g_approx)

    def agree(self, g: Any, g_approx: Any, noise: float = 0.0) -> bool:
        a = np.ravel(np.asarray(g, dtype=np.float64))
        b = np.ravel(np.asarray(g_approx, dtype=np.float64))
        return bool(np.linalg.norm(a - b) <= noise or relative_difference(a, b) <= self.rtol)


CLOSE = CloseEnough()


def fd_noise(f: float, eps: float, n: int) -> float:
    """The rounding noise of n central differences of a function whose value is f:
    10 ε_mach max(1, |f|) / ε per element, √n for the whole vector."""
    return 10 * float(np.finfo(np.float64).eps) * max(1.0, abs(f)) / eps * math.sqrt(max(n, 1))


def assert_finite_differences(fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-7,
                              tol: float | None = None) -> None:
    """Assert backward() agrees with central differences by the rule of :data:`CLOSE` (over
    all inputs together, within their rounding noise); the message names each input that is
    off, its worst element and both values."""
    arrays = _named(inputs)
    engine = engine_gradients(fn, inputs)
    numeric = numerical_gradients(fn, inputs, eps)
    f = _scalar(_call(fn, inputs, {k: Tensor(v) for k, v in arrays.items()}), "gradcheck")
    noise = fd_noise(f, eps, sum(v.size for v in arrays.values()))
    compare_gradients(engine, numeric, CLOSE.rtol if tol is None else tol, overall=True,
                      atol=noise)


def _flat(grads: Mapping[str, Any]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in grads.values()]) \
        if grads else np.zeros(0)


def gradcheck(fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-7) -> float:
    """The relative difference between backward() and finite differences over all inputs.

    ``inputs`` is a dict of named arrays (``fn(**tensors)``) or a sequence (``fn(*tensors)``);
    ``fn`` returns a one-element Tensor.
    """
    return relative_difference(_flat(engine_gradients(fn, inputs)),
                               _flat(numerical_gradients(fn, inputs, eps)))


def worst_element(g: np.ndarray, g_approx: np.ndarray) -> tuple[tuple[int, ...], float, float]:
    """Where two gradients differ most: (index, g[index], g_approx[index])."""
    g, g_approx = np.asarray(g), np.asarray(g_approx)
    if g.size == 0:
        return (), 0.0, 0.0
    index = np.unravel_index(int(np.argmax(np.abs(g - g_approx))), g.shape)
    return tuple(int(i) for i in index), float(g[index]), float(g_approx[index])


def _at(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def compare_gradients(got: Mapping[str, Any], expected: Mapping[str, Any], tol: float,
                      what: str = "finite differences", labels: Mapping[str, str] | None = None,
                      explain: Callable[[str, np.ndarray, np.ndarray], str | None] | None = None,
                      overall: bool = False, atol: float = 0.0) -> None:
    """Raise AssertionError if, for an input of ``got``, ``expected`` has no gradient or one of
    another shape, or the relative difference ||g − g'|| / (||g|| + ||g'||) (g = got,
    g' = expected) is above ``tol``. With ``overall``, the difference is the course's over all
    inputs together (one vector θ, robust when one input's gradient is tiny). A difference
    with ||g − g'|| <= ``atol`` passes too (what finite differences cannot resolve).

    The message has one line per input that is off, worst first: its name (shown as
    ``labels[name]`` when given, e.g. dW1), its relative difference, the worst element's index
    and both values; ``explain(name, g, g')`` may add a hint line below it.
    """
    rows: list[tuple[float, str, str]] = []
    for name, g in got.items():
        g = np.asarray(g, dtype=np.float64)
        label = labels.get(name, name) if labels else name
        if name not in expected:
            rows.append((np.inf, f"{label}: no gradient from {what}", ""))
            continue
        e = np.asarray(expected[name], dtype=np.float64)
        if g.shape != e.shape:
            diff = np.inf
            msg = f"{label}: shape {e.shape} from {what}, but {name} has shape {g.shape}"
        else:
            diff = relative_difference(g, e) if np.linalg.norm(g - e) > atol else 0.0
            if diff <= tol and not overall:
                continue
            index, a, b = worst_element(g, e)
            msg = (f"{label}: relative difference {diff:.3g}; worst element "
                   f"{_at(name, index)}: engine {a:.10g}, {what} {b:.10g}")
        hint = explain(name, g, e) if explain is not None and diff > 0 else None
        rows.append((diff, msg, f"\n    {hint}" if hint else ""))
    scope = ""
    if overall and rows and all(np.isfinite(r[0]) for r in rows):
        flat_g, flat_e = _flat(got), _flat({k: expected[k] for k in got})
        total = relative_difference(flat_g, flat_e)
        if total <= tol or np.linalg.norm(flat_g - flat_e) <= atol:
            return
        scope = f", over all inputs {total:.3g}"
        rows = [r for r in rows if r[0] > tol] or [max(rows)]
    else:
        rows = [r for r in rows if r[0] > tol]
    if rows:
        rows.sort(key=lambda r: -r[0])
        raise AssertionError(f"gradients differ by more than tol {tol:.3g} (g = engine, g' = "
                             f"{what}; relative difference ||g - g'|| / (||g|| + ||g'||)"
                             f"{scope}):\n  " + "\n  ".join(m + h for _, m, h in rows))


def assert_gradcheck(fn: Callable[..., Tensor], inputs: Inputs, eps: float = 1e-7,
                     tol: float | None = None) -> None:
    """Assert backward() agrees with finite differences, by the one rule of :data:`CLOSE`
    (``tol`` overrides its 2e-7); on failure the message names the input, the worst element's
    index and both values."""
    assert_finite_differences(fn, inputs, eps, tol)
