"""Elementwise ops: arithmetic and the activations the course draws as nodes (σ, tanh, ReLU)."""

from __future__ import annotations

import functools
from numbers import Number
from typing import Any

import numpy as np

from ..tensor import _TRACING, Tensor, _leak
from .core import Op, broadcast_rule, describe


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(−z)). exp(−z) overflows to inf for z below −log(max float) (−709 in
    float64), which gives exactly 0, as it should; numpy would warn there, so that case runs
    under errstate. Entering errstate costs a quarter of σ itself on the flower network's
    (1, 400), so an array whose smallest z cannot overflow (one argmin) does without it."""
    if type(z) is np.ndarray and z.dtype.kind == "f" and z.size \
            and z.item(z.argmin()) > _exp_floor(z.dtype):
        return 1.0 / (1.0 + np.exp(-z))
    with np.errstate(over="ignore"):  # (and the tracer's Sym values: one np.exp line)
        return 1.0 / (1.0 + np.exp(-z))


@functools.cache
def _exp_floor(dtype: np.dtype) -> float:
    """A z above which exp(−z) cannot overflow in the float dtype, with a margin:
    −(log(max) − 1), −708.8 for float64, −87.7 for float32."""
    return -(float(np.log(np.finfo(dtype).max)) - 1.0)



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


def _share(g: Any, first: Any, tie: Any) -> Any:
    """g where the operand was picked, g/2 at ties, 0 elsewhere (masks are bool: g's dtype)."""
    return g * first + (g * 0.5) * tie


def _where_rule(x: tuple[int, ...], y: tuple[int, ...], condition: Any = None,
                **_: Any) -> tuple[int, ...]:
    named = {"condition": np.shape(condition), "x": x, "y": y}
    for first, second in (("condition", "x"), ("condition", "y"), ("x", "y")):
        try:
            broadcast_rule(named[first], named[second])
        except ValueError as why:
            raise ValueError(f"{first} and {second}: {why}") from None
    return broadcast_rule(*named.values())


def _pow_vjp(g: Any, out: Any, a: Any, p: float) -> Any:
    if p == 0:  # d(x⁰)/dx = 0 everywhere, also at x = 0 (not 0·∞ = NaN)
        return g * 0
    return g * p * a ** (p - 1)


def _pow_tensor_da(g: Any, out: Any, a: Any, b: Any) -> Any:
    # b·a^(b−1); where b == 0 and a == 0 it is 0 (a⁰ = 1 is constant), not 0·0^(−1) = NaN:
    # the base is replaced by 1 there, so no inf enters the recorded graph either
    safe = where((a == 0) * (b == 0), 1.0, a)
    return g * b * power(safe, b - 1)


def _pow_tensor_db(g: Any, out: Any, a: Any, b: Any) -> Any:
    # a^b·log a; where a^b == 0 (a = 0, b > 0) it is 0, not 0·(−∞) = NaN: log(1) = 0 there
    return g * out * log(where(out == 0, 1.0, a))


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
         vjps=(_pow_vjp,),
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
MAXIMUM = Op("maximum", "max", np.maximum,
             vjps=(lambda g, out, a, b: _share(g, a > b, a == b),
                   lambda g, out, a, b: _share(g, b > a, a == b)),
             derivs=("1 if {0}>{1}, ½ if equal", "1 if {1}>{0}, ½ if equal"),
             rule=broadcast_rule)
MINIMUM = Op("minimum", "min", np.minimum,
             vjps=(lambda g, out, a, b: _share(g, a < b, a == b),
                   lambda g, out, a, b: _share(g, b < a, a == b)),
             derivs=("1 if {0}<{1}, ½ if equal", "1 if {1}<{0}, ½ if equal"),
             rule=broadcast_rule)
WHERE = Op("where", "where", lambda x, y, condition: np.where(condition, x, y),
           vjps=(lambda g, out, x, y, condition: g * condition,
                 lambda g, out, x, y, condition: g * ~condition),
           derivs=("1 where cond, else 0", "0 where cond, else 1"), rule=_where_rule)
ABS = Op("abs", "|·|", np.abs,
         vjps=(lambda g, out, a: g * np.sign(a),),
         derivs=("sign({0})",))
SQRT = Op("sqrt", "√", np.sqrt,
          vjps=(lambda g, out, a: g / (2 * out),),
          derivs=("1/(2√{0})",))
SQUARE = Op("square", "²", np.square,
            vjps=(lambda g, out, a: g * (2 * a),),
            derivs=("2{0}",))
SIN = Op("sin", "sin", np.sin,
         vjps=(lambda g, out, a: g * cos(a),),
         derivs=("cos {0}",))
COS = Op("cos", "cos", np.cos,
         vjps=(lambda g, out, a: -g * sin(a),),
         derivs=("−sin {0}",))
LOG1P = Op("log1p", "log(1+·)", np.log1p,
           vjps=(lambda g, out, a: g / (1 + a),),
           derivs=("1/(1+{0})",))
EXPM1 = Op("expm1", "e^·−1", np.expm1,
           vjps=(lambda g, out, a: g * (out + 1),),
           derivs=("e^{0}",))
POW_TENSOR = Op("pow_tensor", "**", lambda a, b: a ** b,
                vjps=(_pow_tensor_da, _pow_tensor_db),
                derivs=("{1}·{0}^({1}−1)", "{0}^{1}·log {0}"), rule=broadcast_rule)


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


def power(a: Any, p: Any) -> Any:
    """a ** p. A number p is a parameter of POW: d/da = p a^(p−1) (and 0 for p = 0, also at
    a = 0). A Tensor or array p (and a non-Tensor base with a Tensor exponent, 2.0 ** t) is an
    input of POW_TENSOR, broadcast with a: d/da = p a^(p−1), d/dp = a^p log a (0 where a^p = 0).
    For a < 0 numpy's forward is NaN unless p is an integer, and d/dp (log a) is NaN there."""
    if isinstance(p, Tensor):
        return POW_TENSOR(a, p)
    if isinstance(p, (Number, np.number)) and not isinstance(p, (bool, np.bool_)):
        return POW(a, p=p)
    kind = np.asarray(p).dtype.kind if not isinstance(p, (str, bytes)) else "U"
    if kind not in "biuf":
        raise TypeError(f"pow: {describe(a)} ** {describe(p)}: the exponent must be a number, "
                        "an array or a Tensor")
    return POW_TENSOR(a, np.asarray(p))


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




def maximum(a: Any, b: Any) -> Any:
    """Elementwise max(a, b), numpy broadcasting: d/da = 1 where a > b, 0 where a < b; where
    a == b the gradient is shared equally, g/2 to each operand."""
    return MAXIMUM(a, b)


def minimum(a: Any, b: Any) -> Any:
    """Elementwise min(a, b), numpy broadcasting: d/da = 1 where a < b, 0 where a > b; where
    a == b the gradient is shared equally, g/2 to each operand."""
    return MINIMUM(a, b)


def where(condition: Any, x: Any, y: Any) -> Any:
    """x where ``condition``, else y (numpy broadcasting of condition, x and y). The condition
    is a constant (a bool array, or a Tensor whose values are used): it never gets a gradient.
    d/dx = 1 where the condition holds, else 0; d/dy the other way round. x or y may be numbers."""
    if _TRACING[0]:
        _leak(condition, "where's condition")
    cond = np.asarray(condition._value if isinstance(condition, Tensor) else condition,
                      dtype=bool)
    if isinstance(condition, Tensor) and not isinstance(x, Tensor) and not isinstance(y, Tensor):
        return Tensor(np.where(cond, x, y))  # a constant, as a Tensor like its condition
    if isinstance(x, Tensor) or isinstance(y, Tensor):  # say why, without the mask's values
        try:
            _where_rule(np.shape(x), np.shape(y), condition=cond)
        except ValueError as why:
            raise ValueError(f"where: condition {cond.shape}, {describe(x)}, {describe(y)}: "
                             f"{why}") from None
    return WHERE(x, y, condition=cond)


def abs(a: Any) -> Any:  # noqa: A001  (shadows the builtin inside this module only)
    """|a|: d|a|/da = sign(a), and 0 at a = 0 (numpy's sign, PyTorch's convention)."""
    return ABS(a)


absolute = abs


def sqrt(a: Any) -> Any:
    """√a: d/da = 1/(2√a), the output reused (infinite at a = 0)."""
    return SQRT(a)


def square(a: Any) -> Any:
    """a²: d/da = 2a."""
    return SQUARE(a)


def sin(a: Any) -> Any:
    """sin a: d/da = cos a."""
    return SIN(a)


def cos(a: Any) -> Any:
    """cos a: d/da = −sin a."""
    return COS(a)


def log1p(a: Any) -> Any:
    """log(1 + a), accurate for small a: d/da = 1/(1 + a)."""
    return LOG1P(a)


def expm1(a: Any) -> Any:
    """e^a − 1, accurate for small a: d/da = e^a (the output + 1)."""
    return EXPM1(a)
