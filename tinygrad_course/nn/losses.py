"""The course's cost, as one graph node.

    J = -(1/m) Σ_i [ y^(i) log a^(i) + (1 - y^(i)) log(1 - a^(i)) ],   m = number of columns

``binary_cross_entropy(A, Y)`` is that formula, finite when a saturates to exactly 0 or 1
(there the log is taken of the smallest positive float instead of 0).
``binary_cross_entropy_with_logits(Z, Y)`` is the same J for A = σ(Z), computed from Z without
rounding σ(Z) to 0 or 1 first; its dJ/dZ is the course's dZ = A - Y, divided by m.
"""

from __future__ import annotations

from typing import Any

from .. import binary_cross_entropy as _bce
from .. import binary_cross_entropy_with_logits as _bce_logits

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


def binary_cross_entropy(A: Any, Y: Any) -> Any:
    """J = -(1/m) Σ [y log a + (1 - y) log(1 - a)], A and Y of shape (1, m), m = A.shape[-1].

    On Tensors: one recorded node, drawn "L(a, y)", with dJ/dA = (A - Y) / (A(1 - A)) / m.
    """
    return _bce(A, Y)


def binary_cross_entropy_with_logits(Z: Any, Y: Any) -> Any:
    """J for A = σ(Z), from Z: (1/m) Σ [max(z, 0) - z y + log(1 + e^(-|z|))];
    dJ/dZ = (σ(Z) - Y) / m."""
    return _bce_logits(Z, Y)
