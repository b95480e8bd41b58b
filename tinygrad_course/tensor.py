"""Tensor: a numpy value plus the node that recorded how it was made.

A Tensor holds ``data`` (an ndarray), ``grad`` (filled by a backward pass), a ``name`` for
pictures and error messages, and, when it is the result of an operation that has to be
differentiated, the op and its inputs. There is no maths here: each operator below is one
line that hands over to :mod:`tinygrad_course.ops`, where every op's forward and VJP live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np

if TYPE_CHECKING:
    from .ops import Op

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence[Any]]


class Tensor:
    """A value in the computation graph: J = 3(a + bc) is five of them.

    ``Tensor(data, requires_grad=False, name=None, dtype=None)``. Python numbers and lists
    become float64 (or ``dtype``); numpy arrays keep their dtype. Only floating tensors can
    require a gradient.
    """

    __slots__ = ("data", "grad", "requires_grad", "name",
                 "_op", "_inputs", "_saved", "_params", "_retain")
    __array_ufunc__ = None  # numpy hands `array + tensor` back to Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False,
                 name: str | None = None, dtype: Any = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        if dtype is not None:
            arr = np.asarray(data, dtype=dtype)
        elif isinstance(data, np.ndarray):
            arr = data
        else:
            arr = np.asarray(data)
            if arr.dtype.kind in "biu":
                arr = arr.astype(np.float64)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"Tensor{_named(name)}: cannot hold {arr.dtype} data; "
                            "give numbers, lists of numbers or a numeric numpy array")
        if requires_grad and arr.dtype.kind != "f":
            raise TypeError(f"Tensor{_named(name)}: requires_grad needs floating data, got "
                            f"{arr.dtype}; pass dtype=np.float64 (or float32)")
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._op: Op | None = None
        self._inputs: tuple[Any, ...] = ()
        self._saved: tuple[Any, ...] | None = None
        self._params: dict[str, Any] = {}
        self._retain = False

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
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self) -> float:
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf's gradient in ``.grad`` after backward (dJ/dv in the J example)."""
        self._retain = True
        return self

    def zero_grad(self) -> None:
        self.grad = None

    def detach(self) -> Tensor:
        """The same value, cut from the graph: no gradient flows through it."""
        return Tensor(self.data, name=self.name)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}"] if self.name else []
        parts.append(f"shape={self.shape}")
        if self._op is not None:
            parts.append(f"op={self._op.name}")
        if self.requires_grad:
            parts.append("requires_grad=True")
        if self.size <= 6:
            parts.append("data=" + np.array2string(self.data, precision=4, separator=", "))
        return "Tensor(" + ", ".join(parts) + ")"

    def __bool__(self) -> bool:
        return bool(self.data)

    __hash__ = object.__hash__  # node identity is object identity

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

    def __pow__(self, exponent: float) -> Tensor:
        return ops.power(self, exponent)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    # comparisons give constant masks (no gradient); == stays identity so tensors can key dicts
    def __gt__(self, other: ArrayLike) -> Tensor:
        return Tensor(self.data > _value(other))

    def __ge__(self, other: ArrayLike) -> Tensor:
        return Tensor(self.data >= _value(other))

    def __lt__(self, other: ArrayLike) -> Tensor:
        return Tensor(self.data < _value(other))

    def __le__(self, other: ArrayLike) -> Tensor:
        return Tensor(self.data <= _value(other))

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def transpose(self, axes: Sequence[int] | None = None) -> Tensor:
        return ops.transpose(self, axes=None if axes is None else tuple(axes))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.reshape(self, shape=tuple(shape))

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return ops.mean(self, axis=axis, keepdims=keepdims)

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


def _value(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# The operators above need the op table and backward() needs autograd, and both need Tensor:
# importing them last keeps the package's cycles in one visible place (a function-level
# import would cost a microsecond on every backward()).
from . import autograd, ops  # noqa: E402
