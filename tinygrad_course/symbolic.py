"""Symbolic arrays: numpy values that remember the numpy expression that computed them.

The tracer (:mod:`.tracer`) runs each op's own forward and VJPs (the very functions
``backward()`` runs) on :class:`Sym` values instead of arrays. A Sym computes its real value at
once with numpy, so shapes, dtypes and numbers are the true ones, and it records what it did as
an :class:`Expr`: ``np.exp(-Z1)``, ``dZ1 * A1``, ``np.sum(dZ1, axis=1, keepdims=True)``. The
expressions are data; :mod:`.codegen` writes them out as Python.

What a Sym cannot write as an expression (a Python ``if`` on its values, ``np.add.at``, an
``out=``) raises :class:`NotSymbolic`; the tracer then calls the op's function as one line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Expr", "Sym", "NotSymbolic", "Program"]


class NotSymbolic(Exception):
    """An operation a Sym cannot record as a numpy expression."""


# Python's precedence, highest binds tightest (the writer adds parentheses from these).
PREC_CMP, PREC_OR, PREC_AND, PREC_ADD, PREC_MUL, PREC_UNARY, PREC_POW, PREC_PRIMARY = (
    5, 6, 8, 10, 11, 12, 13, 15)
INFIX: dict[Any, tuple[str, int]] = {
    np.add: ("+", PREC_ADD), np.subtract: ("-", PREC_ADD), np.multiply: ("*", PREC_MUL),
    np.true_divide: ("/", PREC_MUL), np.matmul: ("@", PREC_MUL), np.power: ("**", PREC_POW),
    np.greater: (">", PREC_CMP), np.greater_equal: (">=", PREC_CMP), np.less: ("<", PREC_CMP),
    np.less_equal: ("<=", PREC_CMP), np.equal: ("==", PREC_CMP),
    np.not_equal: ("!=", PREC_CMP), np.bitwise_and: ("&", PREC_AND),
    np.bitwise_or: ("|", PREC_OR),
}
UNARY: dict[Any, str] = {np.negative: "-", np.invert: "~"}
#: numpy functions a Sym records as ``np.<name>(...)``: pure, returning one array
FUNCTIONS = frozenset({
    np.where, np.transpose, np.reshape, np.broadcast_to, np.expand_dims, np.squeeze,
    np.concatenate, np.stack, np.tensordot, np.einsum, np.sum, np.mean, np.max, np.min,
    np.amax, np.amin, np.prod, np.var, np.std, np.cumsum, np.repeat, np.tile, np.pad, np.clip,
    np.moveaxis, np.swapaxes, np.zeros_like, np.ones_like, np.full_like, np.ravel, np.dot,
    np.outer, np.sort, np.flip, np.diagonal, np.trace, np.triu, np.tril, np.take_along_axis,
    np.argmax, np.argmin, np.linalg.norm, np.sign, np.abs,
})
_NAMES = {np.absolute: "np.abs"}
#: numpy functions of what is known at trace time (shapes), answered with plain values
STATIC = frozenset({np.shape, np.ndim, np.size})
METHODS = frozenset({"reshape", "transpose", "astype", "sum", "mean", "max", "min", "prod",
                     "copy", "ravel", "squeeze", "swapaxes", "cumsum", "var", "std", "argmax",
                     "argmin", "clip", "dot", "flatten", "repeat"})


@dataclass(eq=False)
class Expr:
    """One value of the program. ``form`` says how it is written:

    ``("arg",)`` a parameter of the generated function, ``("const",)`` a value the function
    reads from its namespace, ``("infix", op, prec)``, ``("unary", op)``, ``("call", name)``
    (``np.exp(x)``, or an op's own function by its namespace name), ``("method", name)``
    (``x.reshape(...)``), ``("attr", name)`` (``x.T``), ``("index",)`` (``x[0, :]``) and
    ``("ones",)`` (``np.ones(shape, dtype)``, the seed dJ/dJ) and ``("alias",)`` (another
    name for ``args[0]``: ``da = dv``).
    ``args`` and ``kwargs`` hold Exprs and plain values (numbers, tuples, arrays, slices);
    ``errstate`` is numpy's error handling when the value was computed (``_sigmoid`` ignores
    overflow), ``block`` what the tracer was doing (a forward node or a backward one)."""

    form: tuple[Any, ...]
    value: Any
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    errstate: tuple[tuple[str, str], ...] = ()
    block: Any = None
    name: str | None = None
    hint: str | None = None
    serial: int = 0
    func: Callable[..., Any] | None = None


class Program:
    """The expressions recorded so far, in the order they were computed (a valid order to
    compute them in). ``block`` labels the ones made next."""

    def __init__(self) -> None:
        self.exprs: list[Expr] = []
        self.block: Any = None
        self._serial = itertools.count()
        self._seen: dict[Any, Expr] = {}
        self.base_errstate = _errstate()

    def add(self, expr: Expr) -> Expr:
        """Record expr, or hand back the same computation recorded before: the ops compute
        some values twice (σ's saturation mask in the cost and in both VJPs), the code once."""
        state = _errstate()
        expr.errstate = () if state == self.base_errstate else state
        key = _key(expr) if expr.form[0] not in ("arg", "const", "ones", "alias") else None
        if key is not None:
            seen = self._seen.get(key)
            if seen is not None:
                return seen
            self._seen[key] = expr
        expr.serial, expr.block = next(self._serial), self.block
        self.exprs.append(expr)
        return expr

    def arg(self, name: str, value: np.ndarray) -> Sym:
        return Sym(self, self.add(Expr(("arg",), value, name=name)))

    def alias(self, of: Sym, name: str | None) -> Sym:
        return Sym(self, self.add(Expr(("alias",), of.expr.value, (of.expr,), name=name)))

    def const(self, value: Any, hint: str | None = None) -> Sym:
        return Sym(self, self.add(Expr(("const",), value, hint=hint)))

    def ones(self, shape: tuple[int, ...], dtype: np.dtype) -> Sym:
        """The seed dJ/dJ = 1, as ``backward()`` makes it."""
        value = np.array(1, dtype=dtype).reshape(shape)
        return Sym(self, self.add(Expr(("ones",), value, (shape, dtype))))

    def call(self, func: Callable[..., Any], hint: str, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        """One line that calls ``func`` (an op's forward or VJP) on the values: for what a Sym
        cannot write as numpy. The result must be one array."""
        value = func(*_values(args), **_values(kwargs))
        if not isinstance(value, (np.ndarray, np.generic)):
            raise NotSymbolic(f"{hint} returned {type(value).__name__}, not an array")
        return Sym(self, self.add(Expr(("call", None, hint), value, _exprs(tuple(args)),
                                       _exprs(dict(kwargs)), func=func)))

    def effect(self, func: Callable[..., Any], hint: str, args: tuple[Any, ...]) -> Expr:
        """A call made for what it checks, not for a value: a statement of its own,
        ``check_unsaturated(A2)``. Not run now (the trace-time values may fail the check)."""
        return self.add(Expr(("call", None, hint), None, _exprs(tuple(args)), func=func))

    def record(self, form: tuple[Any, ...], compute: Callable[[], Any], args: tuple[Any, ...],
               kwargs: dict[str, Any] | None = None) -> Any:
        value = compute()
        if isinstance(value, (list, tuple)) or not isinstance(value, (np.ndarray, np.generic)):
            raise NotSymbolic(f"{form} gives {type(value).__name__}")
        return Sym(self, self.add(Expr(form, value, args, kwargs or {})))


def _key(expr: Expr) -> Any:
    """What identifies a computation: the form, the operands (Exprs by identity, arrays by
    identity, numbers by type and value: 1, 1.0 and True differ), the errstate; None if
    something in it cannot be compared."""
    def part(x: Any) -> Any:
        if isinstance(x, Expr):
            return ("e", x.serial)
        if isinstance(x, (tuple, list)):
            return (type(x).__name__, *map(part, x))
        if isinstance(x, dict):
            return ("d", *((k, part(v)) for k, v in x.items()))
        if isinstance(x, slice):
            return ("s", part(x.start), part(x.stop), part(x.step))
        if isinstance(x, np.ndarray):
            return ("a", id(x))
        if x is None or x is Ellipsis or isinstance(x, (bool, int, float, complex, str,
                                                        np.generic, np.dtype)):
            return (type(x).__name__, repr(x))
        if isinstance(x, type):
            return ("t", x.__module__, x.__qualname__)
        raise TypeError
    if expr.func is not None:
        return None
    try:
        return (expr.form, part(expr.args), part(expr.kwargs), expr.errstate)
    except TypeError:
        return None


def _errstate() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, str(v)) for k, v in np.geterr().items()))


def _replace(x: Any, leaf: Callable[[Any], Any]) -> Any:
    """x with ``leaf`` applied to everything inside its tuples, lists and dicts."""
    if isinstance(x, tuple):
        return tuple(_replace(v, leaf) for v in x)
    if isinstance(x, list):
        return [_replace(v, leaf) for v in x]
    if isinstance(x, dict):
        return {k: _replace(v, leaf) for k, v in x.items()}
    return leaf(x)


def _values(x: Any) -> Any:
    """The concrete values inside x (Syms and Exprs replaced by their arrays)."""
    return _replace(x, lambda v: v.expr.value if isinstance(v, Sym)
                    else v.value if isinstance(v, Expr) else v)


def _exprs(x: Any) -> Any:
    """x with every Sym replaced by its Expr (what the program stores)."""
    return _replace(x, lambda v: v.expr if isinstance(v, Sym) else v)


def _program(*xs: Any) -> Program:
    for x in xs:
        if isinstance(x, Sym):
            return x.program
        if isinstance(x, (list, tuple)):
            for v in x:
                if isinstance(v, Sym):
                    return v.program
    raise NotSymbolic("no symbolic operand")


class Sym:
    """A numpy value and the expression that made it. Operators, ufuncs, the numpy functions
    of :data:`FUNCTIONS` and a few ndarray methods record; everything else raises NotSymbolic."""

    __slots__ = ("program", "expr")
    __array_priority__ = 1000

    def __init__(self, program: Program, expr: Expr) -> None:
        self.program, self.expr = program, expr

    # ---- what is static: shapes and dtypes are known at trace time ----------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.expr.value)

    @property
    def ndim(self) -> int:
        return np.ndim(self.expr.value)

    @property
    def size(self) -> int:
        return int(np.size(self.expr.value))

    @property
    def dtype(self) -> np.dtype:
        return np.asarray(self.expr.value).dtype

    def __len__(self) -> int:
        return len(self.expr.value)

    # ---- what depends on the values: not an expression -----------------------------------
    def _refuse(self, *_: Any, **__: Any) -> Any:
        raise NotSymbolic("a Python value computed from a traced array")

    __bool__ = __float__ = __int__ = __index__ = __complex__ = __iter__ = _refuse
    item = tolist = _refuse

    def __array__(self, *_: Any, **__: Any) -> Any:
        raise NotSymbolic("np.asarray of a traced array")

    def __setitem__(self, index: Any, value: Any) -> None:
        raise NotSymbolic("an in-place change")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # numpy's and Python's probes (__array_interface__, ...)
            raise AttributeError(name)
        if name == "transpose":
            return self._transpose
        if name in METHODS:
            return lambda *args, **kwargs: self.program.record(
                ("method", name),
                lambda: getattr(self.expr.value, name)(*_values(args), **_values(kwargs)),
                (self.expr, *_exprs(args)), _exprs(kwargs))
        raise NotSymbolic(f"ndarray.{name}")

    def _transpose(self, *axes: Any) -> Sym:
        """``x.transpose()``, ``x.transpose(None)`` and ``np.transpose(x)`` are ``x.T``."""
        if axes in ((), (None,)):
            return self.T
        return self.program.record(("method", "transpose"),
                                   lambda: self.expr.value.transpose(*_values(axes)),
                                   (self.expr, *_exprs(axes)))

    @property
    def T(self) -> Sym:
        return self.program.record(("attr", "T"), lambda: self.expr.value.T, (self.expr,))

    def __getitem__(self, index: Any) -> Sym:
        index = index if isinstance(index, tuple) else (index,)
        return self.program.record(("index",), lambda: self.expr.value[_values(index)],
                                   (self.expr, _exprs(index)))

    # ---- numpy's protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise NotSymbolic("out=")
        prog = _program(*inputs)
        args = _exprs(inputs)
        if method == "__call__":
            def compute() -> Any:
                return ufunc(*_values(inputs), **_values(kwargs))
            if ufunc in INFIX and len(inputs) == 2 and not kwargs:
                one = _fold_one(ufunc, inputs)
                if one is not None:
                    return one
                return prog.record(("infix", *INFIX[ufunc]), compute, args)
            if ufunc in UNARY and len(inputs) == 1 and not kwargs:
                return prog.record(("unary", UNARY[ufunc]), compute, args)
            name = _NAMES.get(ufunc, f"np.{ufunc.__name__}")
            return prog.record(("call", name), compute, args, _exprs(kwargs))
        if method == "reduce":
            if len(inputs) > 1:  # np.add.reduce(x, 1): the axis given by position
                kwargs = {"axis": inputs[1], **kwargs}
                inputs, args = inputs[:1], args[:1]
            kwargs.setdefault("axis", 0)  # ufunc.reduce's default, written out

            def compute() -> Any:
                return ufunc.reduce(*_values(inputs), **_values(kwargs))
            name = f"np.{ufunc.__name__}.reduce"
            if ufunc is np.add and set(kwargs) <= {"axis", "keepdims"}:
                name = "np.sum"  # np.sum of an ndarray is np.add.reduce
            return prog.record(("call", name), compute, args, _exprs(kwargs))
        raise NotSymbolic(f"np.{ufunc.__name__}.{method}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in STATIC:
            return func(*_values(args), **_values(kwargs))
        if func not in FUNCTIONS:
            raise NotSymbolic(f"np.{func.__name__}")
        if func is np.transpose and isinstance(args[0], Sym) and len(args) + len(kwargs) <= 2 \
                and (args[1:] or tuple(kwargs.values()) or (None,))[0] is None:
            return args[0].T
        prog = _program(*args, *kwargs.values())
        name = "np.linalg.norm" if func is np.linalg.norm else f"np.{func.__name__}"
        return prog.record(("call", name), lambda: func(*_values(args), **_values(kwargs)),
                           _exprs(tuple(args)), _exprs(kwargs))

    # ---- operators, as ndarray has them -------------------------------------------------
    def __add__(self, o: Any) -> Any: return np.add(self, o)
    def __radd__(self, o: Any) -> Any: return np.add(o, self)
    def __sub__(self, o: Any) -> Any: return np.subtract(self, o)
    def __rsub__(self, o: Any) -> Any: return np.subtract(o, self)
    def __mul__(self, o: Any) -> Any: return np.multiply(self, o)
    def __rmul__(self, o: Any) -> Any: return np.multiply(o, self)
    def __truediv__(self, o: Any) -> Any: return np.true_divide(self, o)
    def __rtruediv__(self, o: Any) -> Any: return np.true_divide(o, self)
    def __matmul__(self, o: Any) -> Any: return np.matmul(self, o)
    def __rmatmul__(self, o: Any) -> Any: return np.matmul(o, self)
    def __pow__(self, o: Any) -> Any: return np.power(self, o)
    def __rpow__(self, o: Any) -> Any: return np.power(o, self)
    def __neg__(self) -> Any: return np.negative(self)
    def __invert__(self) -> Any: return np.invert(self)
    def __abs__(self) -> Any: return np.absolute(self)
    def __and__(self, o: Any) -> Any: return np.bitwise_and(self, o)
    def __rand__(self, o: Any) -> Any: return np.bitwise_and(o, self)
    def __or__(self, o: Any) -> Any: return np.bitwise_or(self, o)
    def __ror__(self, o: Any) -> Any: return np.bitwise_or(o, self)
    def __gt__(self, o: Any) -> Any: return np.greater(self, o)
    def __ge__(self, o: Any) -> Any: return np.greater_equal(self, o)
    def __lt__(self, o: Any) -> Any: return np.less(self, o)
    def __le__(self, o: Any) -> Any: return np.less_equal(self, o)
    def __eq__(self, o: Any) -> Any: return np.equal(self, o)  # type: ignore[override]
    def __ne__(self, o: Any) -> Any: return np.not_equal(self, o)  # type: ignore[override]
    __hash__ = object.__hash__


def _fold_one(ufunc: Any, inputs: tuple[Any, ...]) -> Sym | None:
    """``dJ * x`` with the seed dJ/dJ = 1 is x itself, bit for bit, when the product has x's
    shape and dtype: the seed is left out of the code (``x / dJ`` too)."""
    if ufunc not in (np.multiply, np.true_divide):
        return None
    a, b = inputs
    pairs = [(b, a)] if ufunc is np.true_divide else [(a, b), (b, a)]
    for seed, other in pairs:
        if isinstance(seed, Sym) and seed.expr.form[0] == "ones" and isinstance(other, Sym):
            v, s = other.expr.value, seed.expr.value
            if np.shape(v) == np.broadcast_shapes(np.shape(v), s.shape) \
                    and np.result_type(v, s) == np.asarray(v).dtype:
                return other
    return None
