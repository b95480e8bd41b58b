"""The op table: every operation declared once, its forward beside its vector-Jacobian products.

Each ``Op`` holds
  * ``forward(*inputs, **params)`` on numpy arrays,
  * one VJP per input, ``vjp(g, out, *inputs, **params)``: given g = dJ/d(out), return the
    input's share dJ/d(input). ``out`` is the forward result, reused where cheaper (σ' = a(1−a)),
  * ``derivs``: the local derivative d(out)/d(input) as a short formula, for pictures,
  * ``rule``: the shape rule, which says why operands do not fit (used to word errors),
  * ``label``: how the op is drawn.

The VJPs use only operators and the functions of this module, so the same formula runs on
plain arrays (the fast path of ``backward``) and on Tensors (``grad(create_graph=True)``,
which records the backward pass to get second derivatives). Broadcasting is undone in one
place, :func:`sum_to_shape`, which ``backward`` applies to every gradient.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor


class _Mode:
    """What recording does right now; switched by ``no_grad`` and ``detect_anomaly``."""

    grad_enabled = True
    anomaly = False


mode = _Mode()

VJP = Callable[..., Any]


class Op:
    """One differentiable operation. Calling it applies it: on Tensors it records a node."""

    __slots__ = ("name", "label", "forward", "vjps", "derivs", "rule")

    def __init__(self, name: str, label: str, forward: Callable[..., Any],
                 vjps: Sequence[VJP], derivs: Sequence[str],
                 rule: Callable[..., tuple[int, ...]] | None = None) -> None:
        self.name, self.label, self.forward = name, label, forward
        self.vjps, self.derivs, self.rule = tuple(vjps), tuple(derivs), rule

    def __repr__(self) -> str:
        return f"Op({self.name})"

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        saved = []
        tensors = requires = False
        for x in inputs:
            if isinstance(x, Tensor):
                tensors = True
                requires = requires or x.requires_grad
                saved.append(x.data)
            else:
                saved.append(x)
        if not tensors:  # plain arrays in, plain arrays out: how VJPs run on the fast path
            return self.forward(*saved, **params)
        try:
            data = self.forward(*saved, **params)
        except (ValueError, IndexError) as err:
            raise ValueError(self.explain(inputs, params, err)) from None
        except TypeError as err:
            raise TypeError(self.explain(inputs, params, err)) from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor.__new__(Tensor)
        out.data, out.grad, out.name, out._retain = data, None, None, False
        if requires and mode.grad_enabled:
            out.requires_grad, out._op, out._inputs = True, self, inputs
            out._saved, out._params = tuple(saved), params
        else:
            out.requires_grad, out._op, out._inputs, out._saved, out._params = (
                False, None, (), None, {})
        if mode.anomaly and data.dtype.kind in "fc" and not np.isfinite(data).all():
            raise FloatingPointError(
                f"detect_anomaly: {self.name} produced NaN or inf in the forward pass, from "
                f"{self.operands(inputs, params)}")
        return out

    # ---- error messages ----------------------------------------------------------------
    def operands(self, inputs: Sequence[Any], params: dict[str, Any]) -> str:
        shown = [describe(x) for x in inputs]
        if len(shown) == 2 and self.label in "+−*/@":
            text = f"{shown[0]} {self.label} {shown[1]}"
        else:
            text = ", ".join(shown)
        extra = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{text}, {extra}" if extra else text

    def explain(self, inputs: Sequence[Any], params: dict[str, Any], err: Exception) -> str:
        reason = str(err)
        if self.rule is not None:
            try:
                self.rule(*[np.shape(_data(x)) for x in inputs], **params)
            except ValueError as why:
                reason = str(why)
        return f"{self.name}: {self.operands(inputs, params)}: {reason}"


def describe(x: Any) -> str:
    """How an operand is named in messages: ``W1 (4, 3)``, ``tensor (2,)``, ``3.0``."""
    if isinstance(x, Tensor):
        return f"{x.name or 'tensor'} {x.shape}"
    if isinstance(x, np.ndarray):
        return f"array {x.shape}"
    return repr(x)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# ---- shape rules: they return the result's shape or raise ValueError saying why --------------
def broadcast_rule(*shapes: tuple[int, ...], **_: Any) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        a, b = shapes[0], shapes[-1]
        for i in range(1, min(len(a), len(b)) + 1):
            if a[-i] != b[-i] and 1 not in (a[-i], b[-i]):
                raise ValueError(f"shapes {a} and {b} do not broadcast: axis {-i} has "
                                 f"{a[-i]} and {b[-i]} (sizes must match or one be 1)") from None
        raise


def matmul_rule(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if not (1 <= len(a) <= 2 and 1 <= len(b) <= 2):
        raise ValueError(f"matmul takes 1-D and 2-D operands, got {len(a)}-D and {len(b)}-D")
    if a[-1] != b[0]:
        raise ValueError(f"inner dimensions {a[-1]} and {b[0]} differ")
    return a[:-1] + b[1:]


def reduce_rule(a: tuple[int, ...], axis: Any = None, keepdims: bool = False) -> tuple[int, ...]:
    axes = _axes(axis, len(a))
    return tuple(1 if i in axes else s for i, s in enumerate(a) if keepdims or i not in axes)


def reshape_rule(a: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    return np.empty(a, dtype=np.int8).reshape(shape).shape  # numpy's message is clear here


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for ax in axes:
        if not -ndim <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a {ndim}-D tensor")
    return tuple(ax % max(ndim, 1) for ax in axes)


# ---- broadcasting, undone in one place --------------------------------------------------
def broadcast_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``target`` along which a value of ``shape`` was broadcast (and so along
    which its gradient is summed): for b^[l] (n, 1) in Z = W A + b of shape (n, m), (1,)."""
    lead = len(target) - len(shape)
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and target[i + lead] != 1:
            axes.append(i + lead)
    return tuple(axes)


def sum_to_shape(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a gradient down to ``shape``, undoing numpy broadcasting:
    db^[l] = Σ_i dZ^[l](:, i), i.e. np.sum(dZ, axis=1, keepdims=True)."""
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    axes = broadcast_axes(shape, g.shape) if lead >= 0 else ()
    if not axes:
        summed = g
    elif isinstance(g, Tensor):  # grad(create_graph=True): the sum is recorded
        summed = g.sum(axis=axes, keepdims=True)
    else:                        # np.add.reduce is ndarray.sum without its Python wrapper
        summed = np.add.reduce(g, axis=axes, keepdims=True)
    if lead < 0 or summed.shape[lead:] != shape:
        raise ValueError(f"cannot reduce a gradient of shape {g.shape} to shape {shape}")
    return summed.reshape(shape) if lead else summed


def _keepdims_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    axes = _axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


# ---- forwards that need more than one numpy call ----------------------------------------
def _sigmoid(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709 gives exactly 0: fine
        return 1.0 / (1.0 + np.exp(-z))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # numpy would batch 3-D operands, so the rule vets them; numpy rejects every other misfit
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim > 2 or b.ndim > 2:
        matmul_rule(np.shape(a), np.shape(b))
    return a @ b


def _matmul_vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if b.ndim == 1:   # (n, k) @ (k,) -> (n,):  dA = g bᵀ (outer product);  (k,)·(k,): g b
        return g * b if a.ndim == 1 else g.reshape((-1, 1)) @ b.reshape((1, -1))
    return g @ b.T if a.ndim == 2 else b @ g      # dA = dZ Bᵀ


def _matmul_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:   # (k,) @ (k, p) -> (p,):  dB = a gᵀ (outer product)
        return g * a if b.ndim == 1 else a.reshape((-1, 1)) @ g.reshape((1, -1))
    return a.T @ g if b.ndim == 2 else g @ a      # dB = Aᵀ dZ


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
MATMUL = Op("matmul", "@", _matmul,
            vjps=(_matmul_vjp_a, _matmul_vjp_b),
            derivs=("dZ·{1}ᵀ", "{0}ᵀ·dZ"), rule=matmul_rule)
TRANSPOSE = Op("transpose", "ᵀ", lambda a, axes=None: np.transpose(a, axes),
               vjps=(lambda g, out, a, axes=None:
                     g.transpose(None if axes is None else tuple(np.argsort(axes))),),
               derivs=("ᵀ",))
RESHAPE = Op("reshape", "reshape", lambda a, shape: np.reshape(a, shape),
             vjps=(lambda g, out, a, shape: g.reshape(a.shape),),
             derivs=("reshape",), rule=reshape_rule)
SUM = Op("sum", "Σ", lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
         vjps=(lambda g, out, a, axis=None, keepdims=False:
               broadcast_to(g.reshape(_keepdims_shape(a.shape, axis)), shape=a.shape),),
         derivs=("1",), rule=reduce_rule)
MEAN = Op("mean", "mean",
          lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
          vjps=(lambda g, out, a, axis=None, keepdims=False:
                broadcast_to(g.reshape(_keepdims_shape(a.shape, axis)) * (out.size / a.size),
                             shape=a.shape),),
          derivs=("1/n",), rule=reduce_rule)
BROADCAST_TO = Op("broadcast_to", "broadcast", lambda a, shape: np.broadcast_to(a, shape),
                  vjps=(lambda g, out, a, shape: sum_to_shape(g, a.shape),),
                  derivs=("1",), rule=lambda a, shape: broadcast_rule(a, shape))
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
BCE = Op("binary_cross_entropy", "L(a, y)", _bce,
         vjps=(lambda g, out, a, y: g * (a - y) / clip(a * (1 - a), lo=_tiny(a)) / _n(a.shape),
               lambda g, out, a, y: _widen(g * (log(clip(1 - a, lo=_tiny(a)))
                                                - log(clip(a, lo=_tiny(a)))) / _n(a.shape), a, y)),
         derivs=("(a−y)/(a(1−a))/m", "log((1−a)/a)/m"), rule=broadcast_rule)
BCE_LOGITS = Op("binary_cross_entropy_with_logits", "L(z, y)", _bce_logits,
                vjps=(lambda g, out, z, y: g * (sigmoid(z) - y) / _n(z.shape),
                      lambda g, out, z, y: _widen(-g * z / _n(z.shape), z, y)),
                derivs=("(σ(z)−y)/m", "−z/m"), rule=broadcast_rule)


# ---- the public functions: Tensors in, a recorded Tensor out (arrays in, arrays out) ---------
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


def matmul(a: Any, b: Any) -> Any:
    """Z = A @ B (numpy's 1-D and 2-D rules): dA = dZ Bᵀ, dB = Aᵀ dZ."""
    return MATMUL(a, b)


def transpose(a: Any, axes: tuple[int, ...] | None = None) -> Any:
    """Aᵀ (or a permutation of the axes): the gradient is transposed back."""
    return TRANSPOSE(a, axes=axes)


def reshape(a: Any, shape: tuple[int, ...]) -> Any:
    """The same values in a new shape; the gradient is reshaped back."""
    return RESHAPE(a, shape=tuple(shape))


def sum(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Σ over ``axis`` (all when None): each input element gets the output's gradient."""
    return SUM(a, axis=axis, keepdims=keepdims)


def mean(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    """(1/n) Σ over ``axis``: each input element gets 1/n of the output's gradient."""
    return MEAN(a, axis=axis, keepdims=keepdims)


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    """a repeated along broadcast axes; the gradient is summed back (sum_to_shape)."""
    return BROADCAST_TO(a, shape=tuple(shape))


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


def binary_cross_entropy(a: Any, y: Any) -> Any:
    """J = −(1/m) Σ [y log a + (1 − y) log(1 − a)], m = number of columns (examples).
    Finite when a is exactly 0 or 1. dJ/da = (a − y) / (a(1 − a)) / m."""
    return BCE(a, y)


def binary_cross_entropy_with_logits(z: Any, y: Any) -> Any:
    """J of a = σ(z), computed from z without rounding a: (1/m) Σ [max(z, 0) − z y +
    log(1 + e^(−|z|))]. dJ/dz = (σ(z) − y)/m, the course's dZ = A − Y (times 1/m)."""
    return BCE_LOGITS(z, y)


OPS: tuple[Op, ...] = tuple(v for v in list(globals().values()) if isinstance(v, Op))
