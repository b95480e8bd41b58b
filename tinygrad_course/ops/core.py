"""What every op shares: the ``Op`` class that records a node, the shape rules that word errors,
and :func:`sum_to_shape`, the one place broadcasting is undone.

Each ``Op`` holds
  * ``forward(*inputs, **params)`` on numpy arrays,
  * one VJP per input, ``vjp(g, out, *inputs, **params)``: given g = dJ/d(out), return the
    input's share dJ/d(input). ``out`` is the forward result, reused where cheaper (σ' = a(1−a)),
  * ``derivs``: the local derivative d(out)/d(input) as a short formula, for pictures,
  * ``rule``: the shape rule, which says why operands do not fit (used to word errors),
  * ``label``: how the op is drawn.

The VJPs use only operators and the table's own functions, so the same formula runs on
plain arrays (the fast path of ``backward``) and on Tensors (``grad(create_graph=True)``,
which records the backward pass to get second derivatives). ``backward`` applies
:func:`sum_to_shape` to every gradient.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..tensor import _CLOCK, _TRACING, Tensor, _leak


class _Mode(threading.local):
    """What recording does right now, in this thread: switched by the context managers of
    :mod:`tinygrad_course.autograd` (``no_grad``, ``enable_grad``, ``detect_anomaly``) and by a
    backward pass, never for another thread (each thread starts recording, without anomaly
    checks).

    Both flags live in one tuple, ``state = (recording, anomaly)``, so an op reads them with
    one lookup: a ``threading.local`` attribute costs about 60 ns, a share of a scalar op."""

    state: tuple[bool, bool] = (True, False)

    @property
    def grad_enabled(self) -> bool:
        return self.state[0]

    @grad_enabled.setter
    def grad_enabled(self, on: bool) -> None:
        self.state = (bool(on), self.state[1])

    @property
    def anomaly(self) -> bool:
        return self.state[1]

    @anomaly.setter
    def anomaly(self, on: bool) -> None:
        self.state = (self.state[0], bool(on))


mode = _Mode()

VJP = Callable[..., Any]


class PerInput(Sequence):
    """The VJPs (or derivative labels) of an op with any number of inputs (concatenate, stack):
    ``PerInput(lambda i: vjp_for_input_i)``, indexed like a tuple, as ``backward`` indexes
    ``op.vjps[i]``. Results are cached per index."""

    def __init__(self, make: Callable[[int], Any]) -> None:
        self._make, self._cache = make, {}  # type: ignore[var-annotated]

    def __getitem__(self, i: Any) -> Any:
        if not isinstance(i, int):
            raise TypeError("PerInput takes an integer index")
        if i not in self._cache:
            self._cache[i] = self._make(i)
        return self._cache[i]

    def __len__(self) -> int:
        raise TypeError("an op with any number of inputs has no fixed number of VJPs")

    def __iter__(self) -> Any:  # Sequence would iterate __getitem__ forever
        raise TypeError("an op with any number of inputs has no fixed number of VJPs")


class Op:
    """One differentiable operation. Calling it applies it: on Tensors it records a node."""

    __slots__ = ("name", "label", "forward", "vjps", "derivs", "rule")

    def __init__(self, name: str, label: str, forward: Callable[..., Any],
                 vjps: Sequence[VJP], derivs: Sequence[str],
                 rule: Callable[..., tuple[int, ...]] | None = None) -> None:
        self.name, self.label, self.forward = name, label, forward
        self.vjps = vjps if isinstance(vjps, PerInput) else tuple(vjps)
        self.derivs = derivs if isinstance(derivs, PerInput) else tuple(derivs)
        self.rule = rule

    def __repr__(self) -> str:
        return f"Op({self.name})"

    def __call__(self, *inputs: Any, **params: Any) -> Any:
        saved = []
        tensors = requires = False
        for x in inputs:
            if isinstance(x, Tensor):
                tensors = True
                requires = requires or x.requires_grad
                saved.append(x._value)
            else:
                saved.append(x)
        if not tensors:  # plain arrays in, plain arrays out: how VJPs run on the fast path
            return self.forward(*saved, **params)
        recording, anomaly = mode.state
        try:
            data = self.forward(*saved, **params)
        except (ValueError, IndexError) as err:
            raise ValueError(self.explain(inputs, params, err)) from None
        except TypeError as err:
            raise TypeError(self.explain(inputs, params, err)) from None
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        out = Tensor.__new__(Tensor)
        out._value, out.grad, out.name, out._retain = data, None, None, False
        if requires and recording:
            out.requires_grad, out._op, out._inputs = True, self, inputs
            out._saved, out._params, out._epoch = tuple(saved), params, _CLOCK[0]
        else:
            if requires:  # under no_grad: marked so a picture does not call it data
                out._unrecorded = True
                if _TRACING[0]:  # inside a traced function
                    _leak(inputs, f"{self.name} under no_grad")
            out.requires_grad, out._op, out._inputs, out._saved, out._params = (
                False, None, (), None, {})
        if anomaly and data.dtype.kind in "fc" and not np.isfinite(data).all():
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
    return x._value if isinstance(x, Tensor) else x


def plain_index(index: Any) -> Any:
    """An index with every Tensor in it replaced by its values (an index never gets a
    gradient): ``t[idx]`` for an integer or boolean Tensor ``idx``, and ``t[:, idx]``."""
    if _TRACING[0]:
        _leak(index, "an index")
    if isinstance(index, Tensor):
        return index._value
    if isinstance(index, tuple):
        return tuple(i._value if isinstance(i, Tensor) else i for i in index)
    return index


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
    """numpy's rule: 1-D and 2-D as in algebra, N-D as a stack of matrices over the leading
    (batch) axes, which broadcast."""
    if not a or not b:
        raise ValueError(f"matmul takes operands of at least 1 dimension, got {len(a)}-D and "
                         f"{len(b)}-D")
    inner = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner:
        raise ValueError(f"inner dimensions {a[-1]} and {inner} differ")
    try:
        batch = tuple(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        raise ValueError(f"batch shapes {a[:-2]} and {b[:-2]} do not broadcast") from None
    return batch + a[-2:-1] + (b[-1:] if len(b) > 1 else ())


def reduce_rule(a: tuple[int, ...], axis: Any = None, keepdims: bool = False) -> tuple[int, ...]:
    axes = _axes(axis, len(a))
    return tuple(1 if i in axes else s for i, s in enumerate(a) if keepdims or i not in axes)


def reshape_rule(a: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    return np.empty(a, dtype=np.int8).reshape(shape).shape  # numpy's message is clear here


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    # numpy takes axis 0 or -1 on a 0-d array (as if it were 1-D): it reduces nothing away,
    # so a 0-d value has no axes to reduce (or to restore in the gradient)
    for ax in axes:
        if not -max(ndim, 1) <= ax < max(ndim, 1):
            raise ValueError(f"axis {ax} is out of range for a {ndim}-D tensor")
    return tuple(ax % ndim for ax in axes) if ndim else ()


# ---- broadcasting, undone in one place --------------------------------------------------
def broadcast_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``target`` along which a value of ``shape`` was broadcast (and so along
    which its gradient is summed): for b^[l] (n, 1) in Z = W A + b of shape (n, m), (1,)."""
    key = (shape, target)
    axes = _AXES.get(key)
    if axes is None:  # a training loop asks about the same few pairs of shapes every pass
        if len(_AXES) > 4096:
            _AXES.clear()
        axes = _AXES[key] = _broadcast_axes(shape, target)
    return axes


_AXES: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[int, ...]] = {}


def _broadcast_axes(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
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

