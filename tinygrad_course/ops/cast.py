"""Casting between float dtypes: the values rounded to the new precision, the gradient cast back."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import _TRACING, Tensor, _leak
from .core import Op

ASTYPE = Op("astype", "astype", lambda a, dtype: a.astype(dtype),
            vjps=(lambda g, out, a, dtype: astype(g, a.dtype),),
            derivs=("1",))


def astype(a: Any, dtype: Any) -> Any:
    """a in another dtype. Between float dtypes it is recorded and d/da = 1 (the gradient is
    cast back to a's dtype); to an integer or boolean dtype the result is a constant."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f" and isinstance(a, Tensor):
        if _TRACING[0]:
            _leak(a, f"astype({dtype})")
        return Tensor(a._value.astype(dtype))
    return ASTYPE(a, dtype=dtype)
