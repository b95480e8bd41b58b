"""Shape ops: the same values, moved (transpose, reshape) or repeated (broadcast_to)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, broadcast_rule, reshape_rule, sum_to_shape


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


