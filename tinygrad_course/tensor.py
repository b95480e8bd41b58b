"""Tensor: a numpy value plus the node that recorded how it was made.

A Tensor holds ``data`` (an ndarray), ``grad`` (filled by a backward pass), a ``name`` for
pictures and error messages, and, when it is the result of an operation that has to be
differentiated, the op and its inputs. There is no maths here: each operator below is one
line that hands over to :mod:`tinygrad_course.ops`, where every op's forward and VJP live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from .ops import Op

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]


#: The clock that stamps in-place changes: ``_CLOCK[0]`` grows by one at every change to any
#: Tensor's values, and every recorded node notes the reading when it was made. A backward pass
#: that finds an input changed after its node was recorded raises instead of using new values.
_CLOCK = [0]

#: How many ``tc.trace`` calls are running now, in any thread. While it is 0 the conversions
#: below (``float(t)``, ``t.data``, ``t > 0``, ...) cost one list read more; otherwise they ask
#: this thread's trace whether ``t`` was computed from a traced input (see :mod:`.tracer`).
_TRACING = [0]


class _TraceState(threading.local):
    guard: Callable[[Tensor, str], None] | None = None


_TRACE = _TraceState()


def _leak(t: Any, what: str) -> None:
    """Called (only while a trace runs) where a Tensor's values leave the graph; ``t`` may
    also be a list or tuple holding Tensors."""
    guard = _TRACE.guard
    if guard is None:
        return
    stack = [t]
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor):
            guard(x, what)
        elif isinstance(x, (list, tuple)):
            stack.extend(x)


class Tensor:
    """A value in the computation graph: J = 3(a + bc) is five of them.

    ``Tensor(data, requires_grad=False, name=None, dtype=None)``. Python numbers and lists
    become float64 (or ``dtype``); numpy arrays keep their dtype. Only floating tensors can
    require a gradient.
    """

    # `_changes` (version, clock reading of the last change) is set by the first in-place
    # change, and `_epoch` (the clock when recorded) only on recorded results: slots left unset
    # cost nothing when the garbage collector walks a graph of 100,000 nodes. For pictures
    # only: `_grad_of` (the backward pass that wrote `.grad`, and that array) is set where
    # backward stores a gradient and on its root, `_unrecorded` on a result computed under
    # no_grad from tensors that require grad (else it looks like data).
    __slots__ = ("_value", "grad", "requires_grad", "name", "_op", "_inputs", "_saved",
                 "_params", "_retain", "_changes", "_epoch", "_grad_of", "_unrecorded")
    _changes: tuple[int, int]
    _epoch: int
    _grad_of: tuple[Any, np.ndarray | None]
    _unrecorded: bool

    def __init__(self, data: ArrayLike, requires_grad: bool = False,
                 name: str | None = None, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            if _TRACING[0]:
                _leak(data, "Tensor(t)")
            data = data._value
        if dtype is not None:
            arr = np.asarray(data, dtype=dtype)
        elif isinstance(data, np.ndarray):
            arr = data
        else:
            arr = np.asarray(data)
            if arr.dtype.kind in "biu" and not isinstance(data, np.generic):
                arr = arr.astype(np.float64)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"Tensor{_named(name)}: cannot hold {arr.dtype} data; "
                            "give numbers, lists of numbers or a numeric numpy array")
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor{_named(name)}: requires_grad needs floating data, got "
                            f"{arr.dtype}; pass dtype=np.float64 (or float32)")
        self._value: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op: Op | None = None
        self._inputs: tuple[Any, ...] = ()
        self._saved: tuple[Any, ...] | None = None
        self._params: dict[str, Any] = {}
        self._retain = False

    # ---- the values, and the version that counts changes to them ------------------------
    @property
    def data(self) -> np.ndarray:
        """The values, an ndarray. Assigning to ``.data`` (``p.data -= lr * p.grad`` too)
        counts as an in-place change: it bumps ``version``."""
        if _TRACING[0]:
            _leak(self, ".data")
        return self._value

    @data.setter
    def data(self, value: Any) -> None:
        self._value = value if type(value) is np.ndarray else np.asarray(value)
        self._bump()

    @property
    def version(self) -> int:
        """How many times this tensor's values were changed in place (``.data = ...``,
        ``-=`` and the other in-place operators, ``t[i] = ...``). A backward pass that needs a
        value changed since its node was recorded raises (PyTorch's "modified by an inplace
        operation" check)."""
        return self._changes[0] if hasattr(self, "_changes") else 0

    def _bump(self) -> None:
        clock = _CLOCK[0] = _CLOCK[0] + 1
        try:  # (not self.version: a step bumps every parameter, and this is half the cost)
            self._changes = (self._changes[0] + 1, clock)
        except AttributeError:  # the first change
            self._changes = (1, clock)

    # ---- what the node is -------------------------------------------------------------
    @property
    def op(self) -> Op | None:
        """The op that produced this tensor (None for leaves and for untracked results)."""
        return self._op

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The tensors this one was computed from (empty for leaves)."""
        return tuple(x for x in self._inputs if isinstance(x, Tensor))

    @property
    def is_leaf(self) -> bool:
        return self._op is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    @property
    def dtype(self) -> np.dtype:
        return self._value.dtype

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number (it leaves the graph)."""
        return self._one("item()").item()

    def numpy(self) -> np.ndarray:
        """The values as an ndarray (the same one as ``.data``; it leaves the graph)."""
        if _TRACING[0]:
            _leak(self, "numpy()")
        return self._value

    def tolist(self) -> Any:
        """The values as nested Python lists, as ``ndarray.tolist`` (it leaves the graph)."""
        if _TRACING[0]:
            _leak(self, "tolist()")
        return self._value.tolist()

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf's gradient in ``.grad`` after backward (dJ/dv in the J example)."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def detach(self) -> Tensor:
        """The same value, cut from the graph: no gradient flows through it."""
        if _TRACING[0]:
            _leak(self, "detach()")
        return Tensor(self._value, name=self.name)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}"] if self.name else []
        parts.append(f"shape={self.shape}")
        if self._op is not None:
            parts.append(f"op={self._op.name}")
        if self.requires_grad:
            parts.append("requires_grad=True")
        if self.size <= 6:
            parts.append("data=" + np.array2string(self._value, precision=4, separator=", "))
        return "Tensor(" + ", ".join(parts) + ")"

    # ---- Python's protocols, as numpy has them ------------------------------------------
    def _one(self, what: str) -> np.ndarray:
        if _TRACING[0]:
            _leak(self, what)
        if self._value.size != 1:
            raise TypeError(f"{what} of {_describe(self)}: only a one-element tensor converts "
                            "to a Python number; index it first (t[0, 0]) or reduce it (t.sum())")
        return self._value

    def __float__(self) -> float:
        return float(self._one("float()").reshape(()))

    def __int__(self) -> int:
        return int(self._one("int()").reshape(()))

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        return format(self._one(f"format(..., {spec!r})").reshape(()).item(), spec)

    def __bool__(self) -> bool:
        if _TRACING[0]:
            _leak(self, "bool() (an `if` or `while` on it)")
        return bool(self._value)  # numpy's rule: ambiguous for more than one element

    def __len__(self) -> int:
        if self._value.ndim == 0:
            raise TypeError(f"len() of {_describe(self)}: a 0-d tensor has no length")
        return len(self._value)

    def __iter__(self) -> Iterator[Tensor]:
        """The rows along the first axis, each recorded as indexing (``t[0]``, ``t[1]``, ...)."""
        if self._value.ndim == 0:
            raise TypeError(f"iteration over {_describe(self)}: a 0-d tensor is not iterable")
        return (self[i] for i in range(len(self._value)))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(t)``: the values as an ndarray. They leave the graph: numpy's own
        functions on the result are not recorded."""
        if _TRACING[0]:
            _leak(self, "np.asarray()")
        if copy:
            return np.array(self._value, dtype=dtype, copy=True)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return numpy_api.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return numpy_api.array_function(func, args, kwargs)

    # Comparisons are elementwise, as in numpy: a boolean constant Tensor (no gradient).
    # Hashing stays identity, so tensors still key dicts and sets (see docs/autodiff.md).
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return _compare(np.equal, self, other)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return _compare(np.not_equal, self, other)

    def __gt__(self, other: ArrayLike) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: ArrayLike) -> Tensor:
        return _compare(np.greater_equal, self, other)

    def __lt__(self, other: ArrayLike) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: ArrayLike) -> Tensor:
        return _compare(np.less_equal, self, other)

    # ---- in place: only outside the graph ---------------------------------------------------
    def _inplace(self, what: str, other: Any = None) -> None:
        """Refuse an in-place change that would make the graph silently wrong."""
        if not ops.mode.grad_enabled:
            return
        if self.requires_grad and self._op is None:
            raise RuntimeError(
                f"{what} on {_describe(self)}, a leaf that requires grad, while recording: "
                "update parameters inside `with tc.no_grad():` (as the models' step does)")
        if self._op is not None:
            raise RuntimeError(
                f"{what} on {_describe(self)}, which is part of a graph (made by "
                f"{self._op.name}): backward needs its values; write a new tensor instead, "
                f"e.g. {self.name or 't'} = {self.name or 't'} + ...")
        if isinstance(other, Tensor) and other.requires_grad:
            raise RuntimeError(
                f"{what} on {_describe(self)} with {_describe(other)}, which requires grad: an "
                "in-place result is not recorded; write a new tensor instead (t = t + ...)")

    def _iop(self, ufunc: Any, other: Any, symbol: str) -> Tensor:
        """``t += x``. Inside no_grad, and on constants, the values change in place (the
        version is bumped). On a leaf that requires grad, while recording, it is an error (use
        no_grad). On a tensor in a graph, or with an x that requires grad, while recording, it
        is ``t = t + x``: a new recorded node, and the name is rebound (as in micrograd), since
        backward still needs the old values."""
        recording = ops.mode.grad_enabled
        if recording and (self._op is not None or (isinstance(other, Tensor)
                                                    and other.requires_grad)):
            return _REBIND[symbol](self, other)  # type: ignore[no-any-return]
        self._inplace(f"{symbol}=", other)
        ufunc(self._value, other._value if isinstance(other, Tensor) else other,
              out=self._value)
        self._bump()
        return self

    def __iadd__(self, other: ArrayLike) -> Tensor:
        return self._iop(np.add, other, "+")

    def __isub__(self, other: ArrayLike) -> Tensor:
        return self._iop(np.subtract, other, "-")

    def __imul__(self, other: ArrayLike) -> Tensor:
        return self._iop(np.multiply, other, "*")

    def __itruediv__(self, other: ArrayLike) -> Tensor:
        return self._iop(np.true_divide, other, "/")

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        self._inplace(f"{self.name or 't'}[...] = ...", value)
        self._value[ops.core.plain_index(index)] = (
            value._value if isinstance(value, Tensor) else value)
        self._bump()

    # ---- operators: one line each, the maths is in ops/ --------------------------------
    def __add__(self, other: ArrayLike) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return ops.div(other, self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return ops.matmul(other, self)

    def __pow__(self, exponent: ArrayLike) -> Tensor:
        return ops.power(self, exponent)

    def __rpow__(self, base: ArrayLike) -> Tensor:
        return ops.power(base, self)

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def transpose(self, axes: Sequence[int] | None = None) -> Tensor:
        return ops.transpose(self, axes=None if axes is None else tuple(axes))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=tuple(shape))

    def astype(self, dtype: Any) -> Tensor:
        """The values in another dtype (recorded between float dtypes; see ops.astype)."""
        return ops.astype(self, dtype)

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        return ops.squeeze(self, axis=axis)

    def flatten(self) -> Tensor:
        """The values as one axis (a recorded reshape; numpy's copies, the gradient is the same)."""
        return ops.reshape(self, shape=(-1,))

    ravel = flatten

    def repeat(self, repeats: Any, axis: int | None = None) -> Tensor:
        return ops.repeat(self, repeats, axis=axis)

    def dot(self, other: ArrayLike) -> Tensor:
        """``ndarray.dot``: the matrix product for 1-D and 2-D operands (np.dot's rules)."""
        return numpy_api.FUNCTIONS[np.dot](self, other)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        return ops.clip(self, lo=min, hi=max)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The index of the largest value (a constant: it has no gradient)."""
        return ops.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """The index of the smallest value (a constant: it has no gradient)."""
        return ops.argmin(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.prod(self, axis=axis, keepdims=keepdims)

    def var(self, axis: int | tuple[int, ...] | None = None, ddof: int = 0,
            keepdims: bool = False) -> Tensor:
        return ops.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: int | tuple[int, ...] | None = None, ddof: int = 0,
            keepdims: bool = False) -> Tensor:
        return ops.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def cumsum(self, axis: int | None = None) -> Tensor:
        return ops.cumsum(self, axis=axis)

    def abs(self) -> Tensor:
        return ops.abs(self)

    def sqrt(self) -> Tensor:
        return ops.sqrt(self)

    def square(self) -> Tensor:
        return ops.square(self)

    def sin(self) -> Tensor:
        return ops.sin(self)

    def cos(self) -> Tensor:
        return ops.cos(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """Softmax along ``axis`` (numpy's last axis by default; axis=0 for the course's
        Z of shape (n_classes, m))."""
        return ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return ops.log_softmax(self, axis=axis)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None,
                  keepdims: bool = False) -> Tensor:
        return ops.logsumexp(self, axis=axis, keepdims=keepdims)

    def exp(self) -> Tensor:
        return ops.exp(self)

    def log(self) -> Tensor:
        return ops.log(self)

    def sigmoid(self) -> Tensor:
        return ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return ops.tanh(self)

    def relu(self) -> Tensor:
        return ops.relu(self)

    def leaky_relu(self, slope: float = 0.01) -> Tensor:
        return ops.leaky_relu(self, slope=slope)

    def backward(self, grad: ArrayLike | None = None, retain_graph: bool = False) -> None:
        """Fill ``.grad`` of every leaf that requires grad with dself/dleaf (chain rule, right
        to left). See :func:`tinygrad_course.autograd.backward`."""
        autograd.backward(self, grad, retain_graph=retain_graph)


def _named(name: str | None) -> str:
    return f" {name!r}" if name else ""


_REBIND = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
           "/": lambda a, b: a / b}


def _describe(t: Tensor) -> str:
    return f"{t.name or 'tensor'} {t.shape}"


def _compare(ufunc: Any, a: Tensor, b: Any) -> Tensor:
    if _TRACING[0]:
        for x in (a, b):
            if isinstance(x, Tensor):
                _leak(x, f"a comparison (np.{ufunc.__name__})")
    return Tensor(np.asarray(ufunc(a._value, b._value if isinstance(b, Tensor) else b)))


# The operators above need the op table and backward() needs autograd, and both need Tensor:
# importing them last keeps the package's cycles in one visible place (a function-level
# import would cost a microsecond on every backward()).
from . import autograd, ops  # noqa: E402
from .ops import numpy_api  # noqa: E402
