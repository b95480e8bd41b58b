"""Reductions: Σ and mean over axes; each input element gets its share of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, _keepdims_shape, reduce_rule
from .shape import broadcast_to

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


def sum(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:  # noqa: A001
    """Σ over ``axis`` (all when None): each input element gets the output's gradient."""
    return SUM(a, axis=axis, keepdims=keepdims)


def mean(a: Any, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
    """(1/n) Σ over ``axis``: each input element gets 1/n of the output's gradient."""
    return MEAN(a, axis=axis, keepdims=keepdims)


