"""Linear algebra: Z = W A, the product every layer of the course computes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import Op, matmul_rule


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # numpy would batch 3-D operands, so the rule vets them; numpy rejects every other misfit
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim > 2 or b.ndim > 2:
        matmul_rule(np.shape(a), np.shape(b))
    return a @ b


def _matmul_vjp_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    if b.ndim == 1:   # (n, k) @ (k,) -> (n,):  dA = g bᵀ (outer product);  (k,)·(k,): g b
        return g * b if a.ndim == 1 else g.reshape((-1, 1)) @ b.reshape((1, -1))
    return g @ b.T if a.ndim == 2 else b @ g      # dA = dZ Bᵀ


def _matmul_vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    if a.ndim == 1:   # (k,) @ (k, p) -> (p,):  dB = a gᵀ (outer product)
        return g * a if b.ndim == 1 else a.reshape((-1, 1)) @ g.reshape((1, -1))
    return a.T @ g if b.ndim == 2 else g @ a      # dB = Aᵀ dZ


MATMUL = Op("matmul", "@", _matmul,
            vjps=(_matmul_vjp_a, _matmul_vjp_b),
            derivs=("dZ·{1}ᵀ", "{0}ᵀ·dZ"), rule=matmul_rule)


def matmul(a: Any, b: Any) -> Any:
    """Z = A @ B (numpy's 1-D and 2-D rules): dA = dZ Bᵀ, dB = Aᵀ dZ."""
    return MATMUL(a, b)


