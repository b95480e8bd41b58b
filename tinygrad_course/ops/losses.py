"""Losses: the course's cross-entropy cost J, from A = σ(Z) and from the logits Z, and its
n-class form, the categorical cross-entropy of A = softmax(Z)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..tensor import _TRACE, _TRACING, Tensor
from . import elementwise  # (not SIGMOID itself: OPS lists the Ops a module defines)
from .core import Op, _data, broadcast_rule
from .elementwise import clip, log, sigmoid
from .reductions import sum as _sum
from .shape import broadcast_to
from .softmax_family import _log_softmax, log_softmax, softmax


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


def _saturated(a: np.ndarray) -> np.ndarray:
    """Where σ rounded a to exactly 0 or 1 (a(1 − a) below the smallest normal float): there
    a no longer says how far z is from the boundary, and dJ/da · da/dz would be 0."""
    return a * (1 - a) < _tiny_of(a.dtype)


def _any_saturated(a: np.ndarray) -> bool:
    """``_saturated(a).any()`` for a = σ(z) in [0, 1], from its smallest and largest elements:
    a(1 − a) < tiny exactly where a < tiny or a = 1 (1 − a is at least 2⁻⁵³ below 1, and
    1 − a rounds to 1 for a < tiny). argmin and argmax, which numpy runs without a ufunc
    reduction's iterator set-up, take half the instructions of minimum/maximum.reduce on the
    flower network's (1, 400); a NaN is picked by both and compares False, as a reduction's
    NaN would."""
    if not a.size:
        return False
    return a.item(a.argmin()) < _tiny_of(a.dtype) or a.item(a.argmax()) >= 1


def _bce(a: np.ndarray, y: Any, z: np.ndarray | None = None,
         unsaturated: bool = False) -> np.ndarray:
    m = a.shape[-1] if a.ndim else 1
    if unsaturated:  # a = σ(z) holds no 0 or 1 (checked): the floors below would change nothing
        losses = y * np.log(a) + (1 - y) * np.log(1 - a)
    else:
        lo = _subnormal_of(a.dtype)
        losses = y * np.log(np.maximum(a, lo)) + (1 - y) * np.log(np.maximum(1 - a, lo))
    if z is not None:  # a = σ(z), saturated somewhere: those losses from z, as the logits form
        losses = np.where(_saturated(a), z * y - np.maximum(z, 0)
                          - np.log1p(np.exp(-np.abs(z))), losses)
    return -np.add.reduce(losses, axis=None) / m  # np.add.reduce: .sum() minus its wrapper


def _bce_logits(z: np.ndarray, y: Any) -> np.ndarray:
    m = z.shape[-1] if z.ndim else 1
    return (np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))).sum() / m


def _n(shape: tuple[int, ...]) -> int:
    return shape[-1] if shape else 1


def _log_odds(a: Any, z: Any, unsaturated: bool = False) -> Any:
    """log((1 − a)/a) = −z, from z where σ rounded a (there the clipped logs say nothing)."""
    if unsaturated:
        return log(1 - a) - log(a)
    d = log(clip(1 - a, lo=_tiny(a))) - log(clip(a, lo=_tiny(a)))
    if z is None:
        return d
    s = _saturated(_data(a))
    return d * ~s - z * s


# The third input z exists only when a = σ(z) has saturated elements (see
# binary_cross_entropy). There dJ/dz = (a − y)/m goes straight to z and a gets no share, so
# σ's VJP passes 0; everywhere else the two-input formulas run unchanged, bit for bit.
# ``unsaturated=True``: a = σ(z) was checked to hold no 0 or 1, so the floors that keep the
# logs and a(1 − a) finite there are left out (they would return their input unchanged).
BCE = Op("binary_cross_entropy", "L(a, y)", _bce,
         vjps=(lambda g, out, a, y, z=None, unsaturated=False:
               (g * (a - y) if z is None else g * (a - y) * ~_saturated(_data(a)))
               / (a * (1 - a) if unsaturated else clip(a * (1 - a), lo=_tiny(a)))
               / _n(a.shape),
               lambda g, out, a, y, z=None, unsaturated=False:
               _widen(g * _log_odds(a, z, unsaturated) / _n(a.shape), a, y),
               lambda g, out, a, y, z: g * (a - y) * _saturated(_data(a)) / _n(a.shape)),
         derivs=("(a−y)/(a(1−a))/m", "log((1−a)/a)/m", "(a−y)/m where σ(z) rounds to 0 or 1"),
         rule=broadcast_rule)
BCE_LOGITS = Op("binary_cross_entropy_with_logits", "L(z, y)", _bce_logits,
                vjps=(lambda g, out, z, y: g * (sigmoid(z) - y) / _n(z.shape),
                      lambda g, out, z, y: _widen(-g * z / _n(z.shape), z, y)),
                derivs=("(σ(z)−y)/m", "−z/m"), rule=broadcast_rule)


# ---- checking what comes in -------------------------------------------------------------------
def _same_shape(op: Op, x: Any, y: Any, what: str) -> None:
    """One label per score: Y must have the scores' shape (else numpy pairs every prediction
    with every label, A (1, 3) and Y (3, 1) giving 3 × 3 losses)."""
    sx, sy = np.shape(_data(x)), np.shape(_data(y))
    if sx == sy:
        return
    _different_shapes(op, x, y, what, sx, sy)


def _different_shapes(op: Op, x: Any, y: Any, what: str, sx: tuple[int, ...],
                      sy: tuple[int, ...]) -> None:
    try:
        paired = f"; numpy would broadcast them to {np.broadcast_shapes(sx, sy)} and pair every " \
                 "prediction with every label"
    except ValueError:
        paired = ""
    hint = " (Y.T)" if sy == sx[::-1] else ""
    raise ValueError(f"{op.name}: {op.operands((x, y), {})}: {what} and Y must have the same "
                     f"shape, one label per prediction{paired}; pass Y of shape {sx}{hint}")


def _probabilities(op: Op, a: Any, y: Any, logits: str) -> None:
    """A must hold probabilities: logits, or swapped arguments, would give a meaningless J."""
    data = np.asarray(_data(a))
    lo = np.minimum.reduce(data, axis=None, initial=np.inf)
    hi = np.maximum.reduce(data, axis=None, initial=-np.inf)
    if lo >= 0 and hi <= 1:
        return
    found = "NaN" if np.isnan(lo) or np.isnan(hi) else f"values from {lo:.6g} to {hi:.6g}"
    raise ValueError(f"{op.name}: {op.operands((a, y), {})}: A must hold probabilities in "
                     f"[0, 1], but it holds {found}; for scores before the activation (logits "
                     f"Z) use {logits}(Z, Y), and check the order of the arguments: predictions "
                     "first, then the labels Y")


def binary_cross_entropy(a: Any, y: Any) -> Any:
    """J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], m = number of columns (examples); A and Y
    of the same shape, A in [0, 1] (Y is not checked). Finite when a is exactly 0 or 1.
    dJ/da = (a − y) / (a(1 − a)) / m.

    When A = σ(Z) and σ rounded some a to exactly 0 or 1, those elements' loss and
    dJ/dz = (a − y)/m, the course's dZ = A − Y, come from Z (as in the logits form), so a
    saturated, wrong prediction still learns; the node then also takes Z as an input."""
    if type(a) is Tensor and type(y) is Tensor:  # the models' call: skip np.shape's wrapping
        if a._value.shape != y._value.shape:
            _different_shapes(BCE, a, y, "A", a._value.shape, y._value.shape)
    else:
        _same_shape(BCE, a, y, "A")
    if isinstance(a, Tensor) and a._op is elementwise.SIGMOID:
        # a trace takes the form it is asked for whatever the values (it replays on new
        # values): the two-input form, with a check that nothing saturates, and the
        # three-input form, which runs where the check fails
        guard = _TRACE.guard if _TRACING[0] else None
        if guard is not None:  # (the two-input form's code checks before it takes a log)
            if getattr(guard, "saturated_form", False):
                return BCE(a, y, a._inputs[0])
            # without the floors, unless the values traced on saturate (the trace would
            # compute log 0 with them; floored, the code is the same numbers where it runs)
            return BCE(a, y, unsaturated=not _any_saturated(a._value))
        if _any_saturated(a._value):
            return BCE(a, y, a._inputs[0])
        return BCE(a, y, unsaturated=True)
    else:
        _probabilities(BCE, a, y, "binary_cross_entropy_with_logits")
    return BCE(a, y)


def binary_cross_entropy_with_logits(z: Any, y: Any) -> Any:
    """J of a = σ(z), computed from z without rounding a: (1/m) Σ [max(z, 0) − z y +
    log(1 + e^(−|z|))]. dJ/dz = (σ(z) − y)/m, the course's dZ = A − Y (times 1/m). Z and Y
    must have the same shape."""
    _same_shape(BCE_LOGITS, z, y, "Z")
    return BCE_LOGITS(z, y)




# ---- categorical cross-entropy: n classes, scores (n_classes, m), one example per column ------
def _m(shape: tuple[int, ...], axis: int) -> int:
    """The number of examples: every position off the class axis (m for (n_classes, m))."""
    return int(np.prod(shape)) // shape[axis] if shape[axis] else 0


def _cce(a: np.ndarray, y: Any, axis: int = 0) -> np.ndarray:
    logs = np.log(np.maximum(a, _subnormal_of(a.dtype)))
    return -np.add.reduce(y * logs, axis=None) / _m(a.shape, axis)


def _cce_logits(z: np.ndarray, y: Any, axis: int = 0) -> np.ndarray:
    return -np.add.reduce(y * _log_softmax(z, axis), axis=None) / _m(z.shape, axis)


CCE = Op("categorical_cross_entropy", "L(a, y)", _cce,
         vjps=(lambda g, out, a, y, axis=0: -g * y / clip(a, lo=_tiny(a)) / _m(a.shape, axis),
               lambda g, out, a, y, axis=0: -g * log(clip(a, lo=_tiny(a))) / _m(a.shape, axis)),
         derivs=("−y/a/m", "−log(a)/m"), rule=broadcast_rule)
# dJ/dz = (softmax(z) Σ_k y_k − y)/m: softmax(z) − y for one-hot (and any y summing to 1)
CCE_LOGITS = Op("categorical_cross_entropy_with_logits", "L(z, y)", _cce_logits,
                vjps=(lambda g, out, z, y, axis=0:
                      g * (softmax(z, axis=axis) * _sum(y, axis=axis, keepdims=True) - y)
                      / _m(z.shape, axis),
                      lambda g, out, z, y, axis=0:
                      -g * log_softmax(z, axis=axis) / _m(z.shape, axis)),
                derivs=("(softmax(z)−y)/m", "−log softmax(z)/m"), rule=broadcast_rule)


def _labels(op: Op, scores: Any, y: Any, axis: int, what: str) -> tuple[Any, int]:
    """Check the scores' class axis and the labels; integer labels (class indices) become
    one-hot columns. Returns (Y with the scores' shape, the class axis as a non-negative int)."""
    shape = np.shape(_data(scores))
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) \
            or not -len(shape) <= axis < len(shape):
        raise ValueError(f"{op.name}: {op.operands((scores, y), {'axis': axis})}: axis must be "
                         f"the class axis of {what}, an integer in [{-len(shape)}, "
                         f"{len(shape) - 1}] (0 in the course's layout (n_classes, m))")
    axis = int(axis) % len(shape)
    labels = _data(y)
    kind = np.asarray(labels).dtype.kind
    if kind not in "iu":
        _same_shape(op, scores, y, what)
        return y, axis
    labels = np.asarray(labels)
    n = shape[axis]
    if labels.shape == shape[:axis] + shape[axis + 1:]:
        labels = np.expand_dims(labels, axis)
    if labels.shape != shape[:axis] + (1,) + shape[axis + 1:]:
        raise ValueError(f"{op.name}: {op.operands((scores, y), {'axis': axis})}: integer labels "
                         f"are class indices, one per example, of shape "
                         f"{shape[:axis] + shape[axis + 1:]} or "
                         f"{shape[:axis] + (1,) + shape[axis + 1:]}; for one-hot labels pass "
                         f"floats of shape {shape}")
    if labels.size and not (0 <= labels.min() and labels.max() < n):
        raise ValueError(f"{op.name}: {op.operands((scores, y), {'axis': axis})}: class indices "
                         f"must lie in [0, {n - 1}] for {n} classes, got {labels.min()} to "
                         f"{labels.max()}")
    classes = np.arange(n).reshape((1,) * axis + (n,) + (1,) * (len(shape) - axis - 1))
    dtype = np.asarray(_data(scores)).dtype
    return (labels == classes).astype(dtype if dtype.kind == "f" else np.float64), axis


def categorical_cross_entropy(a: Any, y: Any, axis: int = 0) -> Any:
    """J = −(1/m) Σ_i Σ_k y_k^(i) log a_k^(i) for probabilities A (n_classes, m), one example
    per column (classes on ``axis``, 0 in the course's layout), A in [0, 1]. Y is one-hot (or
    any weights) of A's shape, or integer class indices of shape (m,) or (1, m).
    dJ/da = −y/a/m; dJ/dy = −log(a)/m."""
    y, axis = _labels(CCE, a, y, axis, "A")
    _probabilities(CCE, a, y, "categorical_cross_entropy_with_logits")
    return CCE(a, y, axis=axis)


def categorical_cross_entropy_with_logits(z: Any, y: Any, axis: int = 0) -> Any:
    """J of A = softmax(Z) along ``axis`` (the classes: 0 for the course's (n_classes, m)),
    computed from Z with log softmax, never rounding a to 0. Y as in categorical_cross_entropy.
    dJ/dz = (softmax(z) − y)/m for one-hot y, the course's dZ = A − Y (times 1/m)."""
    y, axis = _labels(CCE_LOGITS, z, y, axis, "Z")
    return CCE_LOGITS(z, y, axis=axis)
