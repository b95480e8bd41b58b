"""Reductions: Σ, mean, max/min, Π, variance, standard deviation, and the running sum; each
input element gets its share of the gradient. argmax/argmin are constants (an index has no
gradient)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..tensor import _TRACING, Tensor, _leak
from .core import Op, _axes, _data, _keepdims_shape, describe, reduce_rule
from .shape import broadcast_to, getitem, reshape, transpose

Axis = int | tuple[int, ...] | None


def _kept(g: Any, a: Any, axis: Any) -> Any:
    """The output's gradient (or the output) with the reduced axes back as size 1."""
    return g.reshape(_keepdims_shape(a.shape, axis))


def _spread(g: Any, a: Any, axis: Any) -> Any:
    """The output's gradient repeated over the reduced elements: one value per input element."""
    return broadcast_to(_kept(g, a, axis), shape=a.shape)


def _count(shape: tuple[int, ...], axis: Any) -> int:
    """n, the number of elements each output value reduces."""
    return int(np.prod([shape[i] for i in _axes(axis, len(shape))], dtype=np.int64))


SUM = Op("sum", "Σ", lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
         vjps=(lambda g, out, a, axis=None, keepdims=False: _spread(g, a, axis),),
         derivs=("1",), rule=reduce_rule)
MEAN = Op("mean", "mean",
          lambda a, axis=None, keepdims=False: np.mean(a, axis=axis, keepdims=keepdims),
          # an empty a (n = 0) gets its empty gradient: the scale is then never used
          vjps=(lambda g, out, a, axis=None, keepdims=False:
                broadcast_to(_kept(g, a, axis) * (out.size / builtins.max(a.size, 1)),
                             shape=a.shape),),
          derivs=("1/n",), rule=reduce_rule)


# ---- max and min: the gradient goes to the elements equal to the result -------------------
def _extremum_vjp(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    # NOTE: k tied extrema share g equally (g/k each), as HIPS autograd and tinygrad do; the
    # mask and the count are constants (comparisons on Tensors are constant boolean Tensors)
    hit = a == _kept(out, a, axis)
    count = sum(hit, axis=axis, keepdims=True).astype(g.dtype)  # float32 stays float32
    return _spread(g, a, axis) * hit / count


MAX = Op("max", "max", lambda a, axis=None, keepdims=False: np.max(a, axis=axis, keepdims=keepdims),
         vjps=(_extremum_vjp,), derivs=("1/k at the k maxima, 0 elsewhere",), rule=reduce_rule)
MIN = Op("min", "min", lambda a, axis=None, keepdims=False: np.min(a, axis=axis, keepdims=keepdims),
         vjps=(_extremum_vjp,), derivs=("1/k at the k minima, 0 elsewhere",), rule=reduce_rule)


# ---- prod: Π_{j≠i} a_j, exactly, zeros included ---------------------------------------------
def _leave_one_out(a: Any, axis: Any) -> Any:
    """Π_{j≠i} a_j for every element i, as a table of a's shape, without dividing: the reduced
    axes are moved last and flattened to one axis of n, each row is repeated n times as an
    (…, n, n) array whose diagonal is set to 1, and the table's own prod takes the last axis
    (so on Tensors it is recorded, for second derivatives). NOTE: n² values per output: used
    only when some output is 0."""
    shape = tuple(a.shape)
    reduced = _axes(axis, len(shape))
    kept = [i for i in range(len(shape)) if i not in reduced]
    perm = (*kept, *sorted(reduced))
    same = perm == tuple(range(len(shape)))  # the reduced axes are already last
    moved = a if same else transpose(a, perm)
    lead = tuple(shape[i] for i in kept)
    n = _count(shape, axis)
    rows = broadcast_to(reshape(moved, lead + (1, n)), shape=lead + (n, n))
    eye = np.eye(n, dtype=bool)
    table = prod(rows * ~eye + eye, axis=-1)  # row i: a with a_i replaced by 1
    table = reshape(table, tuple(shape[i] for i in perm))
    return table if same else transpose(table, tuple(int(i) for i in np.argsort(perm)))


def _prod_vjp(g: Any, out: Any, a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if np.all(_data(out)):  # no zero among the reduced values: Π_{j≠i} a_j = out / a_i
        return _spread(g, a, axis) * _kept(out, a, axis) / a
    # a zero (or an underflow to 0) somewhere: out / a would be 0/0 there, so compute exactly
    return _spread(g, a, axis) * _leave_one_out(a, axis)


PROD = Op("prod", "Π",
          lambda a, axis=None, keepdims=False: np.prod(a, axis=axis, keepdims=keepdims),
          vjps=(_prod_vjp,), derivs=("Π_{j≠i} a_j",), rule=reduce_rule)


# ---- variance and standard deviation ---------------------------------------------------------
def _moment_rule(a: tuple[int, ...], axis: Any = None, ddof: int = 0,
                 keepdims: bool = False) -> tuple[int, ...]:
    return reduce_rule(a, axis, keepdims)


def _dof(name: str, a: Any, axis: Any, ddof: int) -> int:
    """n − ddof, the divisor; a nonempty input with n − ddof <= 0 (numpy: inf or nan) has no
    gradient, so backward says so rather than return inf or nan."""
    n = _count(tuple(a.shape), axis)
    if a.size and n - ddof <= 0:
        raise ValueError(f"{name}: tensor {tuple(a.shape)}, axis={axis!r}, ddof={ddof}: "
                         f"n − ddof = {n} − {ddof} <= 0, so the {name} (inf or nan) has no "
                         "gradient")
    return builtins.max(n - ddof, 1)


def _var_vjp(g: Any, out: Any, a: Any, axis: Any = None, ddof: int = 0,
             keepdims: bool = False) -> Any:
    d = _dof("var", a, axis, ddof)
    return _spread(g, a, axis) * (a - mean(a, axis=axis, keepdims=True)) * (2 / d)


def _constant(a: Any, axis: Any) -> np.ndarray:
    """A constant mask, with the reduced axes kept: True where all reduced values are equal.
    (np.std of three 0.1 is 1.4e-17, not 0: the test is on the values, not on std.)"""
    values = np.asarray(_data(a))
    shape = _keepdims_shape(values.shape, axis)
    if values.size == 0:
        return np.zeros(shape, dtype=bool)
    axes = _axes(axis, values.ndim)
    first = np.max(values, axis=axes, keepdims=True)
    return np.all(values == first, axis=axes, keepdims=True).reshape(shape)


def _std_vjp(g: Any, out: Any, a: Any, axis: Any = None, ddof: int = 0,
             keepdims: bool = False) -> Any:
    # NOTE: std is not differentiable at a constant input (std 0); 0 is a subgradient there
    d = _dof("std", a, axis, ddof)
    const = _constant(a, axis)
    centred = (a - mean(a, axis=axis, keepdims=True)) * ~const  # exactly 0 where constant
    return _spread(g, a, axis) * centred / ((_kept(out, a, axis) + const) * d)


VAR = Op("var", "var",
         lambda a, axis=None, ddof=0, keepdims=False: np.var(a, axis=axis, ddof=ddof,
                                                             keepdims=keepdims),
         vjps=(_var_vjp,), derivs=("2({0} − mean)/(n − ddof)",), rule=_moment_rule)
STD = Op("std", "std",
         lambda a, axis=None, ddof=0, keepdims=False: np.std(a, axis=axis, ddof=ddof,
                                                             keepdims=keepdims),
         vjps=(_std_vjp,), derivs=("({0} − mean)/((n − ddof)·std)",), rule=_moment_rule)


# ---- cumsum: each a_i feeds every later running sum -------------------------------------------
def _cumsum_rule(a: tuple[int, ...], axis: Any = None) -> tuple[int, ...]:
    _axes(axis, len(a))
    return (int(np.prod(a, dtype=np.int64)),) if axis is None or not a else a


def _cumsum_vjp(g: Any, out: Any, a: Any, axis: Any = None) -> Any:
    # dJ/da_i = Σ_{k≥i} g_k: the running sum of g taken from the end (reversed, summed, reversed)
    if axis is None or a.ndim == 0:  # numpy works on the flattened a: g is 1-D
        back = slice(None, None, -1)
        return reshape(getitem(cumsum(getitem(g, back), axis=0), back), tuple(a.shape))
    at = _axes(axis, a.ndim)[0]
    flip = (slice(None),) * at + (slice(None, None, -1),)
    return getitem(cumsum(getitem(g, flip), axis=at), flip)


CUMSUM = Op("cumsum", "cumsum", lambda a, axis=None: np.cumsum(a, axis=axis),
            vjps=(_cumsum_vjp,), derivs=("1 for every later running sum",), rule=_cumsum_rule)


# ---- the public functions ---------------------------------------------------------------------
def sum(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Σ over ``axis`` (all when None): each input element gets the output's gradient."""
    return SUM(a, axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """(1/n) Σ over ``axis``: each input element gets 1/n of the output's gradient (an empty
    input gets its empty gradient)."""
    return MEAN(a, axis=axis, keepdims=keepdims)


def max(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """The largest element over ``axis`` (all when None): d max/d a_i = 1 where a_i is the max,
    0 elsewhere; k tied maxima share the gradient, g/k each (as HIPS autograd and tinygrad).
    An empty reduction raises, as in numpy."""
    return MAX(a, axis=axis, keepdims=keepdims)


def min(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:  # noqa: A001
    """The smallest element over ``axis``: d min/d a_i = 1 where a_i is the min, 0 elsewhere;
    k tied minima share the gradient, g/k each. An empty reduction raises, as in numpy."""
    return MIN(a, axis=axis, keepdims=keepdims)


def prod(a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
    """Π over ``axis``: d/d a_i = Π_{j≠i} a_j, exact when some a_j are 0 (then it is not
    out/a_i, which is 0/0): with one zero only that element gets a gradient, with two none."""
    return PROD(a, axis=axis, keepdims=keepdims)


def var(a: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """Σ (a − mean)² / (n − ddof) over ``axis``, n the number of reduced elements:
    d var/d a_i = 2(a_i − mean)/(n − ddof)."""
    return VAR(a, axis=axis, ddof=ddof, keepdims=keepdims)


def std(a: Any, axis: Axis = None, ddof: int = 0, keepdims: bool = False) -> Any:
    """√var: d std/d a_i = (a_i − mean)/((n − ddof)·std), and 0 where std is 0 (std is not
    differentiable at a constant input; 0 is a subgradient there)."""
    return STD(a, axis=axis, ddof=ddof, keepdims=keepdims)


def cumsum(a: Any, axis: int | None = None) -> Any:
    """Running sums along ``axis`` (of the flattened a when None, as numpy):
    dJ/d a_i = Σ_{k≥i} g_k, the running sum of the gradient from the end."""
    return CUMSUM(a, axis=axis)


def _index_of(name: str, a: Any, axis: Any, keepdims: bool) -> Tensor:
    if _TRACING[0]:
        _leak(a, name)
    values = np.asarray(_data(a))
    try:
        picked = getattr(np, name)(values, axis=axis, keepdims=keepdims)
    except ValueError as err:
        raise ValueError(f"{name}: {describe(a)}, axis={axis!r}: {err}") from None
    return Tensor(np.asarray(picked))  # an index: a constant, no gradient, nothing recorded


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the max over ``axis`` (of the flattened a when None): numpy's integers as
    a constant Tensor (an index has no gradient)."""
    return _index_of("argmax", a, axis, keepdims)


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The index of the min over ``axis``: numpy's integers as a constant Tensor."""
    return _index_of("argmin", a, axis, keepdims)
