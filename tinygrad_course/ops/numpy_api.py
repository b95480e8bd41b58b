"""numpy's protocols on Tensors: the course's own numpy code records the graph.

``Z = np.dot(W, A) + b``, ``A = 1 / (1 + np.exp(-Z))`` and
``cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m`` run on Tensors: numpy hands
each call to the Tensor (NEP 13 for ufuncs such as ``np.exp``, NEP 18 for functions such as
``np.dot`` and ``np.sum``), and the tables below turn it into the op of the same meaning.

* ``UFUNCS``: ufuncs that are an op (recorded); ``CONSTANT_UFUNCS``: ufuncs whose result is a
  constant mask or a value with derivative 0 almost everywhere (comparisons, ``np.sign``,
  ``np.floor``), returned as a Tensor that does not require grad.
* ``FUNCTIONS``: numpy functions that are an op, with numpy's signature, refusing arguments
  the op does not have (``dtype=``, ``out=``, ``where=``) rather than ignoring them.
* ``VALUE_FUNCTIONS``: questions about the values (``np.shape``, ``np.allclose``), answered on
  the values, as numpy would answer them.

Anything else raises a TypeError that names the function and says what to do instead: a
numpy function that is not an op would otherwise compute without recording, and the
gradient would be silently wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import _TRACING, Tensor, _leak
from . import cast, elementwise, linalg, reductions, shape
from .core import describe

_NO = getattr(np, "_NoValue", None)


def _op(name: str) -> Callable[..., Any]:
    """The op table's function ``name``, found when it is called (the table grows)."""
    for module in (elementwise, reductions, shape, linalg, cast):
        fn = getattr(module, name, None)
        if fn is not None:
            return fn  # type: ignore[no-any-return]
    raise TypeError(f"{name} is not an op of tinygrad_course yet")


def _qualname(f: Any) -> str:
    module = getattr(f, "__module__", None) or "numpy"
    if module.startswith("numpy"):  # np.dot, np.linalg.inv (private submodules: np.)
        module = "np" + ("" if "._" in module else module[5:])
    return f"{module}.{getattr(f, '__name__', repr(f))}"


def _unsupported(what: str, args: Any) -> TypeError:
    tensors = [describe(a) for a in _flat(args) if isinstance(a, Tensor)]
    on = f" on {', '.join(tensors)}" if tensors else ""
    return TypeError(
        f"{what}{on}: not an op of tinygrad_course, so it would compute without recording "
        "and the gradient would be wrong. Use an op of the table (see docs/autodiff.md, "
        "\"numpy code on Tensors\"), or compute on the values, t.data, where no gradient "
        "is needed")


def _flat(args: Any) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(_flat(a))
        else:
            out.append(a)
    return out


def _refuse(name: str, **given: Any) -> None:
    for key, value in given.items():
        if value is not None and value is not _NO and value is not False:
            raise TypeError(f"{name}(..., {key}=...) on Tensors: the {key} argument is not "
                            f"supported; leave it out (Tensors keep their own dtype)")


def _values(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x._value
    if isinstance(x, (list, tuple)):
        return type(x)(_values(v) for v in x)
    return x


# ---- ufuncs (NEP 13) ------------------------------------------------------------------------
UFUNCS: dict[Any, str] = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
    np.negative: "neg", np.power: "power", np.exp: "exp", np.log: "log", np.tanh: "tanh",
    np.matmul: "matmul", np.sqrt: "sqrt", np.square: "square", np.absolute: "abs",
    np.maximum: "maximum", np.minimum: "minimum", np.sin: "sin", np.cos: "cos",
    np.log1p: "log1p", np.expm1: "expm1",
}
CONSTANT_UFUNCS = frozenset({
    np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor, np.isfinite, np.isnan,
    np.isinf, np.sign, np.floor, np.ceil, np.rint, np.trunc, np.signbit,
})
#: ufunc.reduce forms that are a reduction op: np.add.reduce(t, axis=0) is t.sum(axis=0)
REDUCE_UFUNCS: dict[Any, str] = {np.add: "sum", np.multiply: "prod",
                                 np.maximum: "max", np.minimum: "min"}


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_ufunc__``: ``np.exp(t)``, ``array + t``, ``np.add(t, 1, out=t)``."""
    if not all(isinstance(x, (Tensor, np.ndarray, np.generic, int, float, complex, bool, list,
                              tuple)) for x in inputs):
        return NotImplemented
    out = kwargs.pop("out", None)
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if method == "reduce" and ufunc in REDUCE_UFUNCS:
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        _refuse(name, **kwargs)
        result = _op(REDUCE_UFUNCS[ufunc])(inputs[0], axis=axis, keepdims=keepdims)
    elif method != "__call__":
        raise _unsupported(name, inputs)
    else:
        _refuse(name, **{k: v for k, v in kwargs.items() if k != "casting"})
        if ufunc in CONSTANT_UFUNCS:
            if _TRACING[0]:
                _leak(inputs, name)
            result = Tensor(np.asarray(ufunc(*_values(inputs))))
        elif ufunc in UFUNCS:
            try:
                fn = _op(UFUNCS[ufunc])
            except TypeError:
                raise _unsupported(name, inputs) from None
            result = fn(*inputs)
        else:
            raise _unsupported(name, inputs)
    return result if out is None else _write(out, result, name)


def _write(out: Any, result: Tensor, name: str) -> Any:
    """The ufunc's ``out=``: into a Tensor, an in-place change with its rules; into an ndarray,
    the values (an ndarray is not part of any graph)."""
    target = out[0] if isinstance(out, tuple) else out
    if isinstance(out, tuple) and len(out) != 1:
        raise _unsupported(f"{name}(..., out=<{len(out)} outputs>)", ())
    if isinstance(target, Tensor):
        target._inplace(f"{name}(..., out={target.name or 't'})", result)
        target._value[...] = result._value
        target._bump()
        return target
    target[...] = result._value
    return target


# ---- functions (NEP 18) ---------------------------------------------------------------------
def _dot(a: Any, b: Any, out: Any = None) -> Any:
    _refuse("np.dot", out=out)
    nda, ndb = np.ndim(_values(a)), np.ndim(_values(b))
    if nda == 0 or ndb == 0:
        return elementwise.mul(a, b)
    if nda <= 2 and ndb <= 2:
        return linalg.matmul(a, b)
    return _op("tensordot")(a, b, axes=([-1], [-2 if ndb > 1 else -1]))


def _sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
         initial: Any = _NO, where: Any = _NO) -> Any:
    _refuse("np.sum", dtype=dtype, out=out, initial=initial, where=where)
    return reductions.sum(a, axis=axis, keepdims=keepdims)


def _mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
          where: Any = _NO) -> Any:
    _refuse("np.mean", dtype=dtype, out=out, where=where)
    return reductions.mean(a, axis=axis, keepdims=keepdims)


def _reduction(name: str) -> Callable[..., Any]:
    def reduce(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
               initial: Any = _NO, where: Any = _NO) -> Any:
        _refuse(f"np.{name}", out=out, initial=initial, where=where)
        return _op(name)(a, axis=axis, keepdims=keepdims)
    return reduce


def _arg(name: str) -> Callable[..., Any]:
    def arg(a: Any, axis: Any = None, out: Any = None, *, keepdims: bool = False) -> Any:
        _refuse(f"np.{name}", out=out)
        return _op(name)(a, axis=axis, keepdims=keepdims)
    return arg


def _moment(name: str) -> Callable[..., Any]:
    def moment(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
               keepdims: bool = False, where: Any = _NO, **rest: Any) -> Any:
        _refuse(f"np.{name}", dtype=dtype, out=out, where=where, **rest)
        return _op(name)(a, axis=axis, ddof=ddof, keepdims=keepdims)
    return moment


def _prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False,
          initial: Any = _NO, where: Any = _NO) -> Any:
    _refuse("np.prod", dtype=dtype, out=out, initial=initial, where=where)
    return _op("prod")(a, axis=axis, keepdims=keepdims)


def _cumsum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None) -> Any:
    _refuse("np.cumsum", dtype=dtype, out=out)
    return _op("cumsum")(a, axis=axis)


def _transpose(a: Any, axes: Any = None) -> Any:
    return shape.transpose(a, axes=None if axes is None else tuple(axes))


def _reshape(a: Any, *args: Any, **kwargs: Any) -> Any:
    shape_ = kwargs.pop("shape", kwargs.pop("newshape", args[0] if args else None))
    if kwargs.get("order", "C") != "C" or (len(args) > 1 and args[1] != "C"):
        raise TypeError("np.reshape(..., order=...) on Tensors: only order='C' is supported")
    dims = (shape_,) if isinstance(shape_, (int, np.integer)) else shape_
    return shape.reshape(a, shape=tuple(int(d) for d in dims))


def _where(condition: Any, *xy: Any) -> Any:
    if not xy:  # np.where(cond) is np.nonzero(cond): indices, constants
        if _TRACING[0]:
            _leak(condition, "np.where(condition)")
        return np.nonzero(_values(condition))
    return _op("where")(condition, *xy)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kwargs: Any) -> Any:
    _refuse("np.clip", out=out)
    lo, hi = kwargs.pop("min", a_min), kwargs.pop("max", a_max)
    _refuse("np.clip", **kwargs)
    return elementwise.clip(a, lo=lo, hi=hi)


def _sequence(name: str) -> Callable[..., Any]:
    def join(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None,
             casting: Any = None) -> Any:
        _refuse(f"np.{name}", out=out, dtype=dtype)
        return _op(name)(list(arrays), axis=axis)
    return join


def _passthrough(name: str) -> Callable[..., Any]:
    """numpy functions whose arguments the op takes as they are (np.squeeze(a, axis))."""
    def call(*args: Any, **kwargs: Any) -> Any:
        return _op(name)(*args, **kwargs)
    return call


def _broadcast_to(array: Any, shape_: Any, subok: bool = False) -> Any:
    return shape.broadcast_to(array, shape=tuple(np.atleast_1d(shape_)))


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.dot: _dot, np.sum: _sum, np.mean: _mean, np.transpose: _transpose,
    np.reshape: _reshape, np.where: _where, np.clip: _clip, np.broadcast_to: _broadcast_to,
    np.max: _reduction("max"), np.amax: _reduction("max"), np.min: _reduction("min"),
    np.amin: _reduction("min"), np.argmax: _arg("argmax"), np.argmin: _arg("argmin"),
    np.prod: _prod, np.var: _moment("var"), np.std: _moment("std"), np.cumsum: _cumsum,
    np.concatenate: _sequence("concatenate"), np.stack: _sequence("stack"),
    np.squeeze: _passthrough("squeeze"), np.expand_dims: _passthrough("expand_dims"),
    np.repeat: _passthrough("repeat"), np.tile: _passthrough("tile"),
    np.split: _passthrough("split"), np.tensordot: _passthrough("tensordot"),
    np.einsum: _passthrough("einsum"), np.pad: _passthrough("pad"),
}
VALUE_FUNCTIONS = frozenset({
    np.shape, np.ndim, np.size, np.allclose, np.isclose, np.array_equal, np.array_equiv,
    np.count_nonzero, np.nonzero, np.zeros_like, np.ones_like, np.full_like, np.empty_like,
    np.copy, np.any, np.all, np.array_repr, np.array_str, np.array2string, np.result_type,
    np.iscomplexobj, np.isrealobj,
})


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``Tensor.__array_function__``: ``np.dot(W, A)``, ``np.sum(t, axis=1)``, ..."""
    handler = FUNCTIONS.get(func)
    if handler is not None:
        try:
            return handler(*args, **kwargs)
        except TypeError as err:
            if "is not an op of tinygrad_course yet" in str(err):
                raise _unsupported(_qualname(func), args) from None
            raise
    if func in VALUE_FUNCTIONS:
        if _TRACING[0] and func not in (np.shape, np.ndim, np.size):
            _leak(args, _qualname(func))
        return func(*_values(args), **{k: _values(v) for k, v in kwargs.items()})
    raise _unsupported(_qualname(func), args)
