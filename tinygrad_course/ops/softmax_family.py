"""The softmax family: logsumexp, softmax and log softmax, each shifted by the max so that
e^z never overflows.

In the course's layout the scores Z are (n_classes, m), one example per column, so the classes
are axis 0: ``softmax(Z, axis=0)``. The default axis=-1 is numpy's and scipy's (the last axis).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, _axes, _data, reduce_rule
from .elementwise import exp
from .reductions import sum as _sum

Axis = int | tuple[int, ...] | None


def _top(a: np.ndarray, axis: Any) -> np.ndarray:
    """The max along ``axis`` (kept), or 0 where it is not finite (all −inf): the shift."""
    top = np.max(a, axis=axis, keepdims=True)
    finite = np.isfinite(top)
    return top if finite.all() else np.where(finite, top, 0)


def _logsumexp(a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    a = np.asarray(a)
    top = _top(a, axis)
    with np.errstate(divide="ignore"):  # all −inf along the axis: log 0 = −inf, the answer
        out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return out if keepdims else out.reshape(reduce_rule(a.shape, axis))


def _softmax(a: np.ndarray, axis: Any = -1) -> np.ndarray:
    e = np.exp(a - _top(a, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(a: np.ndarray, axis: Any = -1) -> np.ndarray:
    shifted = a - _top(a, axis)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _kept(v: Any, a: Any, axis: Any, keepdims: bool) -> Any:
    """A reduction's result (or its gradient) with the reduced axes back as size 1."""
    return v if keepdims else v.reshape(reduce_rule(a.shape, axis, keepdims=True))


def _along_rule(a: tuple[int, ...], axis: Any = -1) -> tuple[int, ...]:
    _axes(axis, len(a))
    return a


def _along(a: Any, axis: Axis) -> Axis:
    """The axis, with a 0-d value's axis 0 or -1 (one class, as in torch) meaning all axes."""
    return None if axis in (0, -1) and np.ndim(_data(a)) == 0 else axis


LOGSUMEXP = Op("logsumexp", "log Σ exp", _logsumexp,
               vjps=(lambda g, out, a, axis=None, keepdims=False:
                     _kept(g, a, axis, keepdims) * exp(a - _kept(out, a, axis, keepdims)),),
               derivs=("softmax({0})",), rule=reduce_rule)
SOFTMAX = Op("softmax", "softmax", _softmax,
             vjps=(lambda g, out, a, axis=-1:
                   out * (g - _sum(g * out, axis=axis, keepdims=True)),),
             derivs=("diag(s) − s sᵀ",), rule=_along_rule)
LOG_SOFTMAX = Op("log_softmax", "log softmax", _log_softmax,
                 vjps=(lambda g, out, a, axis=-1:
                       g - exp(out) * _sum(g, axis=axis, keepdims=True),),
                 derivs=("I − 1 sᵀ",), rule=_along_rule)


def logsumexp(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """log Σ_k e^(a_k) over ``axis`` (all when None), computed as max + log Σ e^(a − max).
    d/da_k = e^(a_k) / Σ_j e^(a_j) = softmax(a)_k."""
    return LOGSUMEXP(a, axis=axis, keepdims=keepdims)


def softmax(a: Any, axis: Axis = -1) -> Any:
    """s_k = e^(a_k) / Σ_j e^(a_j) along ``axis``; for the course's Z (n_classes, m) pass
    axis=0. VJP: dJ/da = s * (g − Σ_k g_k s_k), with g = dJ/ds."""
    return SOFTMAX(a, axis=_along(a, axis))


def log_softmax(a: Any, axis: Axis = -1) -> Any:
    """log s_k = a_k − log Σ_j e^(a_j) along ``axis`` (axis=0 for the course's layout).
    VJP: dJ/da = g − s Σ_k g_k, with g = dJ/d(log s) and s = softmax(a)."""
    return LOG_SOFTMAX(a, axis=_along(a, axis))
