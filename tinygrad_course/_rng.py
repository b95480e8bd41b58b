"""Random-generator normalisation shared by the oracles and the engine's ``nn`` package.

The convention is scikit-learn's ``check_random_state``, extended to ``np.random.Generator``,
because it is the one that reproduces the course's notebooks:

* ``None``: numpy's global ``RandomState``, so ``np.random.seed(1)`` followed by a call with
  ``rng=None`` draws exactly what the notebook's ``np.random.randn`` calls draw;
* an ``int``: a fresh ``np.random.RandomState(seed)``, so ``rng=1`` is the notebook's
  ``np.random.seed(1)`` without touching global state;
* a ``np.random.Generator`` or ``np.random.RandomState``: used as is.

Both generator types share ``standard_normal``, ``normal``, ``uniform``, ``permutation`` and
``shuffle``; code that takes an ``RNGLike`` should stick to those methods.
"""

from __future__ import annotations

import numbers
from typing import TypeAlias

import numpy as np

RNG: TypeAlias = np.random.Generator | np.random.RandomState
RNGLike: TypeAlias = RNG | int | None

__all__ = ["RNG", "RNGLike", "as_rng"]


def as_rng(rng: RNGLike = None) -> RNG:
    """Turn ``None``, an int seed, a ``Generator`` or a ``RandomState`` into a generator."""
    if rng is None:
        # The global RandomState behind np.random.seed / np.random.randn.
        return np.random.mtrand._rand
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.RandomState(int(rng))
    raise TypeError(
        "rng must be None, an int seed, a numpy Generator or a numpy RandomState, "
        f"not {type(rng).__name__}"
    )
