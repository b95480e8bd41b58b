"""Shape ops: the same values, moved (transpose, reshape, squeeze), picked (getitem, split),
joined (concatenate, stack) or repeated (broadcast_to, repeat, tile, pad). Each input element
gets back the gradient of the output elements it became."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import Op, PerInput, _axes, _data, broadcast_rule, describe, reshape_rule, sum_to_shape


def _inverse_permutation(axes: Any, ndim: int) -> tuple[int, ...] | None:
    # axes may be negative (x.transpose((-1, 0))): argsort needs them in 0..ndim-1
    return None if axes is None else tuple(int(i) for i in np.argsort([ax % ndim for ax in axes]))


TRANSPOSE = Op("transpose", "ᵀ", lambda a, axes=None: np.transpose(a, axes),
               vjps=(lambda g, out, a, axes=None: g.transpose(_inverse_permutation(axes, g.ndim)),),
               derivs=("ᵀ",))
RESHAPE = Op("reshape", "reshape", lambda a, shape: np.reshape(a, shape),
             vjps=(lambda g, out, a, shape: g.reshape(a.shape),),
             derivs=("reshape",), rule=reshape_rule)
BROADCAST_TO = Op("broadcast_to", "broadcast", lambda a, shape: np.broadcast_to(a, shape),
                  vjps=(lambda g, out, a, shape: sum_to_shape(g, a.shape),),
                  derivs=("1",), rule=lambda a, shape: broadcast_rule(a, shape))


def transpose(a: Any, axes: tuple[int, ...] | None = None) -> Any:
    """Aᵀ (or a permutation of the axes): the gradient is transposed back."""
    return TRANSPOSE(a, axes=axes)


def reshape(a: Any, shape: tuple[int, ...]) -> Any:
    """The same values in a new shape; the gradient is reshaped back."""
    return RESHAPE(a, shape=tuple(shape))


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    """a repeated along broadcast axes; the gradient is summed back (sum_to_shape)."""
    return BROADCAST_TO(a, shape=tuple(shape))




# ---- indexing: getitem and its adjoint, the scatter index_add ------------------------------
def _index_add(g: Any, shape: tuple[int, ...], index: tuple[Any, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    if any(type(c) is np.ndarray and c.dtype.kind != "b" for c in index):
        np.add.at(out, index, g)  # an integer array may pick an element twice: shares add up
    else:
        out[index] = g            # ints, slices and masks pick each element at most once
    return out


def _getitem(a: Any, index: tuple[Any, ...]) -> Any:
    picked = a[index]
    return picked if type(picked) is np.ndarray else np.asarray(picked)  # a[1, 2] is a scalar


GETITEM: Op = Op("getitem", "[ ]", _getitem,
             vjps=(lambda g, out, a, index: INDEX_ADD(g, shape=a.shape, index=index),),
             derivs=("1 at the picked elements, 0 elsewhere",))
INDEX_ADD: Op = Op("index_add", "index_add", _index_add,
               vjps=(lambda g, out, x, shape, index: GETITEM(g, index=index),),
               derivs=("dZ[index]",))


def _component(c: Any, who: str) -> Any:
    """One index component in canonical form: int, slice, None, ..., a bool, an intp array or
    a boolean mask."""
    tensor = isinstance(c, Tensor)
    if tensor:
        c = c.data
    if c is None or c is Ellipsis or isinstance(c, slice):
        return c
    if isinstance(c, (bool, np.bool_)):
        return bool(c)
    if isinstance(c, (int, np.integer)):
        return int(c)
    arr = np.asarray(c)
    if arr.dtype.kind == "b":
        return bool(arr) if arr.ndim == 0 else arr
    if arr.dtype.kind == "f" and (arr.size == 0 or tensor and np.all(arr == np.round(arr))):
        arr = arr.astype(np.intp)  # [] is an empty index; Tensor([0, 2]) holds floats
    if arr.dtype.kind not in "iu":
        raise IndexError(f"{who}: cannot index with {describe(c)} of dtype {arr.dtype}; "
                         "expected ints, slices, None, ..., integer arrays or boolean masks")
    return int(arr) if arr.ndim == 0 else arr.astype(np.intp, copy=False)


def _canonical_index(shape: tuple[int, ...], index: Any, who: str) -> tuple[Any, ...]:
    """The index as a tuple of canonical components, checked against ``shape``; ``who`` (the op
    and the tensor) starts the error messages."""
    items = tuple(_component(c, who) for c in (index if isinstance(index, tuple) else (index,)))
    if sum(c is Ellipsis for c in items) > 1:
        raise IndexError(f"{who}: an index can have only one ellipsis (...)")
    used = [0 if c is None or c is Ellipsis or type(c) is bool else
            c.ndim if type(c) is np.ndarray and c.dtype.kind == "b" else 1 for c in items]
    if sum(used) > len(shape):
        raise IndexError(f"{who}: too many indices: {sum(used)} for a {len(shape)}-D tensor")
    axis = 0
    for c, n in zip(items, used):
        if c is Ellipsis:
            axis += len(shape) - sum(used)
            continue
        if type(c) is int and not -shape[axis] <= c < shape[axis]:
            raise IndexError(f"{who}: index {c} is out of range for axis {axis} of size "
                             f"{shape[axis]}")
        if type(c) is np.ndarray and c.dtype.kind == "b" and c.shape != shape[axis:axis + n]:
            raise IndexError(f"{who}: boolean mask of shape {c.shape} does not match axes "
                             f"{axis}..{axis + n - 1} of shape {shape[axis:axis + n]}")
        if type(c) is np.ndarray and c.dtype.kind != "b" and c.size and not (
                -shape[axis] <= c.min() and c.max() < shape[axis]):
            bad = c[(c < -shape[axis]) | (c >= shape[axis])].flat[0]
            raise IndexError(f"{who}: index {bad} is out of range for axis {axis} of size "
                             f"{shape[axis]}")
        axis += n
    return items


def getitem(a: Any, index: Any) -> Any:
    """a[index] with numpy's meaning (ints, slices, ..., None, integer arrays, boolean masks):
    dA is zeros with dZ added back where each element was picked (a repeated index adds up,
    np.add.at). Index components may be Tensors (their data; they get no gradient)."""
    return GETITEM(a, index=_canonical_index(np.shape(_data(a)), index,
                                             f"getitem: {describe(a)}"))


def index_add(g: Any, shape: tuple[int, ...], index: Any) -> Any:
    """Zeros of ``shape`` with g added at ``index`` (np.add.at): the adjoint of getitem, whose
    own VJP is getitem again (so second derivatives through indexing are recorded)."""
    shape = tuple(shape)
    return INDEX_ADD(g, shape=shape, index=_canonical_index(shape, index,
                                                            f"index_add: shape {shape}"))


def _along(axis: int, picked: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (picked,)


def split(a: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """np.split: pieces of a along ``axis``, at the given indices or into equal sections;
    each piece is a getitem of a, so each gets its own share of the gradient."""
    shape = np.shape(_data(a))
    try:
        ax = _axes(axis, len(shape))[0]
    except ValueError as err:
        raise ValueError(f"split: {describe(a)}: {err}") from None
    n = shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"split: {describe(a)}: axis {ax} of size {n} does not split into "
                             f"{sections} equal sections; give the split indices instead")
        cuts = [n // sections * i for i in range(1, sections)]
    else:
        cuts = [int(i) for i in np.asarray(_data(indices_or_sections)).reshape(-1)]
    bounds = [0, *cuts, n]
    return [GETITEM(a, index=_along(ax, slice(lo, hi))) for lo, hi in zip(bounds, bounds[1:])]


# ---- joining: any number of inputs -----------------------------------------------------------
def _concat_vjp(i: int) -> Any:
    def vjp(g: Any, out: Any, *xs: Any, axis: int) -> Any:
        ax = axis % out.ndim
        start = sum(x.shape[ax] for x in xs[:i])
        return GETITEM(g, index=_along(ax, slice(start, start + xs[i].shape[ax])))
    return vjp


CONCATENATE = Op("concatenate", "concat",
                 lambda *xs, axis: np.concatenate(xs, axis=axis),
                 vjps=PerInput(_concat_vjp), derivs=PerInput(lambda i: "1 on its block"))
STACK = Op("stack", "stack", lambda *xs, axis: np.stack(xs, axis=axis),
           vjps=PerInput(lambda i: lambda g, out, *xs, axis:
                         GETITEM(g, index=_along(axis % out.ndim, i))),
           derivs=PerInput(lambda i: "1 on its slice"))


def concatenate(tensors: Sequence[Any], axis: int | None = 0) -> Any:
    """np.concatenate: the tensors joined along ``axis`` (flattened first when None); each
    gets back its own block of the gradient."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    if axis is None:
        tensors, axis = [RESHAPE(t, shape=(-1,)) for t in tensors], 0
    return CONCATENATE(*tensors, axis=axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> Any:
    """np.stack: tensors of one shape joined along a new ``axis``; each gets back its slice
    of the gradient."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    return STACK(*tensors, axis=axis)


# ---- new axes, repeats, padding --------------------------------------------------------------
def _axis_param(axis: Any) -> Any:
    return tuple(int(ax) for ax in axis) if isinstance(axis, (list, tuple)) else axis


EXPAND_DIMS = Op("expand_dims", "expand_dims", lambda a, axis: np.expand_dims(a, axis),
                 vjps=(lambda g, out, a, axis: g.reshape(a.shape),), derivs=("1",))
SQUEEZE = Op("squeeze", "squeeze", lambda a, axis=None: np.squeeze(a, axis),
             vjps=(lambda g, out, a, axis=None: g.reshape(a.shape),), derivs=("1",))


def _repeat_vjp(g: Any, out: Any, a: Any, repeats: Any, axis: Any = None) -> Any:
    # dA[j] = Σ of dZ over the copies of a[j]: scatter g back to where each copy came from
    if axis is None:
        source = np.repeat(np.arange(a.size), repeats)
        return INDEX_ADD(g, shape=(a.size,), index=(source,)).reshape(a.shape)
    ax = axis % a.ndim
    source = np.repeat(np.arange(a.shape[ax]), repeats)
    return INDEX_ADD(g, shape=a.shape, index=_along(ax, source))


def _tile_vjp(g: Any, out: Any, a: Any, reps: tuple[int, ...]) -> Any:
    # out has r copies of each axis of size s: view it as (r, s) pairs and sum the copies
    d = max(a.ndim, len(reps))
    sides = (1,) * (d - a.ndim) + tuple(a.shape)
    copies = (1,) * (d - len(reps)) + reps
    pairs = tuple(n for rs in zip(copies, sides) for n in rs)
    return g.reshape(pairs).sum(axis=tuple(range(0, 2 * d, 2))).reshape(a.shape)


REPEAT = Op("repeat", "repeat",
            lambda a, repeats, axis=None: np.repeat(a, repeats, axis=axis),
            vjps=(_repeat_vjp,), derivs=("Σ over the copies",))
TILE = Op("tile", "tile", lambda a, reps: np.tile(a, reps),
          vjps=(_tile_vjp,), derivs=("Σ over the copies",))
def _pad(a: np.ndarray, pad_width: tuple[tuple[int, int], ...], constant_values: Any = 0) -> Any:
    if not pad_width:  # a 0-d a has no axes to pad (np.pad refuses an empty pad_width)
        return np.array(a, copy=True)
    return np.pad(a, pad_width, mode="constant", constant_values=constant_values)


PAD = Op("pad", "pad", _pad,
         vjps=(lambda g, out, a, pad_width, constant_values=0:
               GETITEM(g, index=tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width,
                                                                                a.shape))),),
         derivs=("1 inside, 0 on the padding",))


def expand_dims(a: Any, axis: int | Sequence[int]) -> Any:
    """np.expand_dims: a with new axes of size 1; the gradient is reshaped back."""
    return EXPAND_DIMS(a, axis=_axis_param(axis))


def squeeze(a: Any, axis: int | Sequence[int] | None = None) -> Any:
    """np.squeeze: a without its axes of size 1 (or the given ones); the gradient is reshaped
    back."""
    return SQUEEZE(a, axis=_axis_param(axis))


def repeat(a: Any, repeats: int | Sequence[int], axis: int | None = None) -> Any:
    """np.repeat: each element repeated along ``axis`` (of the flattened a when None):
    dA[j] = Σ of dZ over the copies of a[j]."""
    r = _data(repeats)
    r = int(r) if np.ndim(r) == 0 else tuple(int(n) for n in np.ravel(r))
    return REPEAT(a, repeats=r, axis=axis)


def tile(a: Any, reps: int | Sequence[int]) -> Any:
    """np.tile: a repeated ``reps`` times along each axis: dA = Σ of dZ over the copies."""
    reps = tuple(int(r) for r in np.ravel(_data(reps)))
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: {describe(a)}: reps={reps} must not be negative")
    return TILE(a, reps=reps)


def pad(a: Any, pad_width: Any, constant_values: Any = 0, mode: str = "constant") -> Any:
    """np.pad in constant mode: a with ``pad_width`` (before, after) values around each axis;
    the gradient is dZ without the padding (the padding's value is a constant)."""
    ndim = np.ndim(_data(a))
    if mode != "constant":
        raise ValueError(f"pad: {describe(a)}: only mode='constant' is supported, got {mode!r}")
    widths = np.asarray(_data(pad_width))
    if widths.dtype.kind not in "iu":
        raise TypeError(f"pad: {describe(a)}: pad_width={pad_width!r} must be integers")
    try:
        pairs = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: {describe(a)}: pad_width={pad_width!r} does not give (before, "
                         f"after) for each of the {ndim} axes") from None
    if (pairs < 0).any():
        raise ValueError(f"pad: {describe(a)}: pad_width={pad_width!r} must not be negative")
    return PAD(a, pad_width=tuple((int(lo), int(hi)) for lo, hi in pairs),
               constant_values=_data(constant_values))
