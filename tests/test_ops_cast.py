"""astype: float casts recorded (the gradient is cast back), other casts are constants."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_course as tc

COVERED = {"astype"}


@pytest.mark.parametrize("src, dst", [(np.float32, np.float64), (np.float64, np.float32)])
def test_float_casts_are_recorded_and_the_gradient_comes_back_in_the_inputs_dtype(src, dst):
    x = tc.Tensor(np.array([0.5, -1.5], dtype=src), requires_grad=True)
    y = x.astype(dst)
    assert y.dtype == dst and y.requires_grad and y.op is tc.ops.ASTYPE
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.dtype == src
    np.testing.assert_allclose(x.grad, 2 * x.data, rtol=1e-6)
    g, = tc.grad((x.astype(dst) ** 3).sum(), [x], create_graph=True)
    assert g.dtype == src
    h = tc.grad(g.sum(), x)   # d²/dx² x³ = 6x: the cast is differentiable twice
    np.testing.assert_allclose(h.data, 6 * x.data, rtol=1e-6)


def test_casts_to_integers_and_booleans_are_constants():
    x = tc.Tensor([0.5, 2.5], requires_grad=True)
    for dtype in (np.int64, np.bool_):
        y = x.astype(dtype)
        assert y.dtype == dtype and not y.requires_grad and y.is_leaf
