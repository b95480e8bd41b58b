"""Broadcasting undone, written out independently of ``ops.sum_to_shape``: the oracle the op
tests and the stepper tests hold the engine's broadcast sums against."""

from __future__ import annotations

import numpy as np


def reduce_to(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The course's broadcast rule, written out: sum the extra leading axes, then every axis
    where the input had 1 (db = np.sum(dZ, axis=1, keepdims=True))."""
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, side in enumerate(shape):
        if side == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g
