"""Losses: the course's cross-entropy cost J, from A = σ(Z) and from the logits Z."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .core import Op, _data, broadcast_rule
from .elementwise import clip, log, sigmoid
from .shape import broadcast_to


def _widen(v: Any, a: Any, y: Any) -> Any:
    """v, which has a's shape, broadcast to the shape of a and y together: y's gradient in the
    losses has y's broadcast shape even when y is the larger operand."""
    shape = np.broadcast_shapes(np.shape(_data(a)), np.shape(_data(y)))
    return v if np.shape(_data(v)) == shape else broadcast_to(v, shape=shape)


def _tiny(a: Any) -> float:
    return _tiny_of(_data(a).dtype)


@functools.cache  # np.finfo costs a microsecond per call; the losses ask on every pass
def _tiny_of(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).tiny) if dtype.kind == "f" else 1e-308


@functools.cache
def _subnormal_of(dtype: np.dtype) -> float:
    return float(np.finfo(dtype).smallest_subnormal) if dtype.kind == "f" else 5e-324


def _bce(a: np.ndarray, y: Any) -> np.ndarray:
    lo = _subnormal_of(a.dtype)
    m = a.shape[-1] if a.ndim else 1
    losses = y * np.log(np.maximum(a, lo)) + (1 - y) * np.log(np.maximum(1 - a, lo))
    return -np.add.reduce(losses, axis=None) / m  # np.add.reduce: .sum() minus its wrapper


def _bce_logits(z: np.ndarray, y: Any) -> np.ndarray:
    m = z.shape[-1] if z.ndim else 1
    return (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum() / m


def _n(shape: tuple[int, ...]) -> int:
    return shape[-1] if shape else 1


BCE = Op("binary_cross_entropy", "L(a, y)", _bce,
         vjps=(lambda g, out, a, y: g * (a - y) / clip(a * (1 - a), lo=_tiny(a)) / _n(a.shape),
               lambda g, out, a, y: _widen(g * (log(clip(1 - a, lo=_tiny(a)))
                                                - log(clip(a, lo=_tiny(a)))) / _n(a.shape), a, y)),
         derivs=("(a−y)/(a(1−a))/m", "log((1−a)/a)/m"), rule=broadcast_rule)
BCE_LOGITS = Op("binary_cross_entropy_with_logits", "L(z, y)", _bce_logits,
                vjps=(lambda g, out, z, y: g * (sigmoid(z) - y) / _n(z.shape),
                      lambda g, out, z, y: _widen(-g * z / _n(z.shape), z, y)),
                derivs=("(σ(z)−y)/m", "−z/m"), rule=broadcast_rule)




def binary_cross_entropy(a: Any, y: Any) -> Any:
    """J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], m = number of columns (examples).
    Finite when a is exactly 0 or 1. dJ/da = (a − y) / (a(1 − a)) / m."""
    return BCE(a, y)


def binary_cross_entropy_with_logits(z: Any, y: Any) -> Any:
    """J of a = σ(z), computed from z without rounding a: (1/m) Σ [max(z, 0) − z y +
    log(1 + e^(−|z|))]. dJ/dz = (σ(z) − y)/m, the course's dZ = A − Y (times 1/m)."""
    return BCE_LOGITS(z, y)


