"""Initial parameters W^[l] (n^[l], n^[l-1]) and b^[l] (n^[l], 1), as the course draws them.

    "zeros"   W^[l] = 0                                     (the symmetry trap of lesson 3.10)
    "small"   W^[l] = randn(n^[l], n^[l-1]) * 0.01          (week 3, week 4's 2-layer net)
    "xavier"  W^[l] = randn(n^[l], n^[l-1]) / sqrt(n^[l-1])  (week 4's L-layer net)
    "he"      W^[l] = randn(n^[l], n^[l-1]) * sqrt(2 / n^[l-1])
    b^[l] = 0 always.

Weights are drawn in layer order, W1 first, one ``rng.standard_normal((n^[l], n^[l-1]))`` each
("zeros" draws nothing). Each scale is applied exactly as the course's notebooks write it
(xavier divides by sqrt(n^[l-1]) rather than multiplying by sqrt(1/n^[l-1]), which can differ
in the last bit), so ``rng=np.random.RandomState(1)`` gives the notebooks' weights bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._rng import RNGLike, as_rng

__all__ = ["INITS", "initialize_parameters", "check_layer_dims"]

INITS: tuple[str, ...] = ("zeros", "small", "xavier", "he")


def check_layer_dims(layer_dims: Sequence[int]) -> list[int]:
    """[n_x, n^[1], ..., n^[L]] as a list of positive ints, or ValueError saying what is wrong."""
    try:
        dims = list(layer_dims)
    except TypeError:
        raise TypeError(f"layer_dims must be a sequence of ints [n_x, n1, ..., nL], got "
                        f"{type(layer_dims).__name__}") from None
    if len(dims) < 2:
        raise ValueError(f"layer_dims {dims}: need at least [n_x, n_y] (an input size and one "
                         "layer)")
    for i, n in enumerate(dims):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"layer_dims {dims}: entry {i} is {n!r}; every size must be a "
                             "positive integer")
    return [int(n) for n in dims]


def initialize_parameters(layer_dims: Sequence[int], init: str = "he",
                          rng: RNGLike = None) -> dict[str, np.ndarray]:
    """{"W1": ..., "b1": ..., ..., "WL": ..., "bL"} as float64 arrays, drawn W1 first.

    ``rng``: an int seed, a ``np.random.Generator``, a ``np.random.RandomState``, or None for
    numpy's global state (what ``np.random.seed(s); np.random.randn(...)`` in a notebook uses).
    """
    dims = check_layer_dims(layer_dims)
    if init not in INITS:
        raise ValueError(f"init {init!r} is not one of {', '.join(INITS)}")
    generator = None if init == "zeros" else as_rng(rng)
    params: dict[str, np.ndarray] = {}
    for l in range(1, len(dims)):
        n, n_prev = dims[l], dims[l - 1]
        if generator is None:
            W = np.zeros((n, n_prev))
        else:
            W = np.asarray(generator.standard_normal((n, n_prev)), dtype=np.float64)
            if init == "small":
                W = W * 0.01
            elif init == "xavier":
                W = W / np.sqrt(n_prev)
            else:
                W = W * np.sqrt(2.0 / n_prev)
        params[f"W{l}"] = W
        params[f"b{l}"] = np.zeros((n, 1))
    return params
