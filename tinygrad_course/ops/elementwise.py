"""Elementwise ops: arithmetic and the activations the course draws as nodes (σ, tanh, ReLU)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import Op, broadcast_rule, describe


def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709 gives exactly 0: fine
        return 1.0 / (1.0 + np.exp(-z))



def _clip(a: np.ndarray, lo: float | None = None, hi: float | None = None) -> np.ndarray:
    # one bound is one ufunc call; np.clip adds microseconds of Python wrapping
    if hi is None and lo is not None:
        return np.maximum(a, lo)
    if lo is None and hi is not None:
        return np.minimum(a, hi)
    return np.clip(a, lo, hi)


def _inside(a: Any, lo: float | None, hi: float | None) -> Any:
    """1 where lo <= a <= hi, else 0 (a constant mask, for arrays and Tensors alike)."""
    return (a >= (-np.inf if lo is None else lo)) * (a <= (np.inf if hi is None else hi))



# ---- the table ------------------------------------------------------------------------------
ADD = Op("add", "+", lambda a, b: a + b,
         vjps=(lambda g, out, a, b: g,
               lambda g, out, a, b: g),
         derivs=("1", "1"), rule=broadcast_rule)
SUB = Op("sub", "−", lambda a, b: a - b,
         vjps=(lambda g, out, a, b: g,
               lambda g, out, a, b: -g),
         derivs=("1", "−1"), rule=broadcast_rule)
MUL = Op("mul", "*", lambda a, b: a * b,
         vjps=(lambda g, out, a, b: g * b,
               lambda g, out, a, b: g * a),
         derivs=("{1}", "{0}"), rule=broadcast_rule)
DIV = Op("div", "/", lambda a, b: a / b,
         vjps=(lambda g, out, a, b: g / b,
               lambda g, out, a, b: -g * out / b),
         derivs=("1/{1}", "−{0}/{1}²"), rule=broadcast_rule)
NEG = Op("neg", "−", lambda a: -a,
         vjps=(lambda g, out, a: -g,),
         derivs=("−1",))
POW = Op("pow", "**", lambda a, p: a ** p,
         vjps=(lambda g, out, a, p: g * p * a ** (p - 1),),
         derivs=("{p}·{0}^({p}−1)",))
EXP = Op("exp", "exp", np.exp,
         vjps=(lambda g, out, a: g * out,),
         derivs=("e^{0}",))
LOG = Op("log", "log", np.log,
         vjps=(lambda g, out, a: g / a,),
         derivs=("1/{0}",))
SIGMOID = Op("sigmoid", "σ", _sigmoid,
             vjps=(lambda g, out, a: g * out * (1 - out),),
             derivs=("a(1−a)",))
TANH = Op("tanh", "tanh", np.tanh,
          vjps=(lambda g, out, a: g * (1 - out * out),),
          derivs=("1−a²",))
RELU = Op("relu", "ReLU", lambda a: np.maximum(a, 0),
          vjps=(lambda g, out, a: g * (a > 0),),
          derivs=("1 if z>0 else 0",))
LEAKY_RELU = Op("leaky_relu", "leaky ReLU",
                lambda a, slope=0.01: np.where(a > 0, a, a * slope),
                vjps=(lambda g, out, a, slope=0.01: g * ((a > 0) * (1 - slope) + slope),),
                derivs=("1 if z>0 else {slope}",))
CLIP = Op("clip", "clip", _clip,
          vjps=(lambda g, out, a, lo=None, hi=None: g * _inside(a, lo, hi),),
          derivs=("1 inside, 0 outside",))


# ---- the public functions ---------------------------------------------------------------------
def add(a: Any, b: Any) -> Any:
    """a + b, numpy broadcasting; the gradient is summed back to each operand's shape."""
    return ADD(a, b)


def sub(a: Any, b: Any) -> Any:
    """a − b."""
    return SUB(a, b)


def mul(a: Any, b: Any) -> Any:
    """a * b elementwise: d(ab)/da = b, d(ab)/db = a (u = bc in the J example)."""
    return MUL(a, b)


def div(a: Any, b: Any) -> Any:
    """a / b: d/da = 1/b, d/db = −a/b²."""
    return DIV(a, b)


def neg(a: Any) -> Any:
    """−a."""
    return NEG(a)


def power(a: Any, p: float) -> Any:
    """a ** p for a scalar exponent p: d/da = p a^(p−1)."""
    if isinstance(p, Tensor) or not np.isscalar(p):
        raise TypeError(f"pow: {describe(a)} ** {describe(p)}: the exponent must be a number")
    return POW(a, p=p)


def exp(z: Any) -> Any:
    """e^z: d/dz = e^z (the output)."""
    return EXP(z)


def log(a: Any) -> Any:
    """Natural log: d/da = 1/a."""
    return LOG(a)


def sigmoid(z: Any) -> Any:
    """a = σ(z) = 1/(1 + e^(−z)), without overflow for large |z|: da/dz = a(1 − a)."""
    return SIGMOID(z)


def tanh(z: Any) -> Any:
    """a = tanh(z): da/dz = 1 − a²."""
    return TANH(z)


def relu(z: Any) -> Any:
    """a = max(0, z): da/dz = 1 for z > 0 and 0 for z <= 0 (relu'(0) = 0, as the course's
    relu_backward sets dZ[Z <= 0] = 0)."""
    return RELU(z)


def leaky_relu(z: Any, slope: float = 0.01) -> Any:
    """a = z for z > 0, slope·z otherwise: da/dz = 1 for z > 0, ``slope`` for z <= 0."""
    return LEAKY_RELU(z, slope=slope)


def clip(a: Any, lo: float | None = None, hi: float | None = None) -> Any:
    """a limited to [lo, hi]: the gradient passes where lo <= a <= hi and is 0 outside."""
    return CLIP(a, lo=lo, hi=hi)


