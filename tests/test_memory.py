"""Memory, not time: training does not keep anything of past iterations.

Each iteration builds a graph (Z1, A1, ..., J) and backward() releases its saved values; once
the step returns, nothing refers to that graph any more, so reference counting frees it at
once (no cycle waits for the garbage collector). Over 2500 iterations of a mid-size network
the traced memory therefore has the same peak late as early.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from collections.abc import Iterator

import numpy as np
import pytest

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course.graph import topological_order

DIMS = [64, 32, 16, 8, 1]  # a mid-size network: 3 relu layers and a sigmoid output
M = 128


@pytest.fixture
def model_and_data() -> tuple[nn.DeepNN, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((DIMS[0], M))
    Y = (rng.random((1, M)) < 0.5).astype(np.float64)
    return nn.DeepNN(DIMS, init="he", rng=1), X, Y


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Garbage collection off: whatever is freed is freed by reference counting alone."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def live_tensors() -> int:
    return sum(isinstance(o, tc.Tensor) for o in gc.get_objects())


def test_peak_memory_of_2500_iterations_does_not_grow(model_and_data, no_gc):
    model, X, Y = model_and_data
    Xt, Yt = tc.Tensor(X, name="X"), tc.Tensor(Y, name="Y")
    tracemalloc.start()
    try:
        for _ in range(500):
            model.step(Xt, Yt, 0.01)
        current_500, peak_500 = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(2000):
            model.step(Xt, Yt, 0.01)
        current_2500, peak_2500 = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # one iteration's graph is ~100 kB here; growth by a graph per iteration would be 200 MB
    slack = 16 * 1024
    assert peak_2500 <= peak_500 + slack, (peak_500, peak_2500)
    assert current_2500 <= current_500 + slack, (current_500, current_2500)


def test_each_iterations_graph_is_freed_by_reference_counting(model_and_data, no_gc):
    model, X, Y = model_and_data
    for _ in range(3):
        model.step(X, Y, 0.01)
    before = live_tensors()
    for _ in range(100):
        model.step(X, Y, 0.01)
    assert live_tensors() == before

    J = model.cost(X, Y)
    J.backward()
    nodes = topological_order([J])
    assert all(t._saved is None for t in nodes if t.op is not None)  # released by backward
    arrays = [weakref.ref(t.data) for t in nodes if t.op is not None]  # Z1, A1, ..., J
    assert len(arrays) == 3 * (len(DIMS) - 1) + 1
    del J, nodes
    assert [r for r in arrays if r() is not None] == []


def test_backward_releases_saved_values_even_when_the_graph_is_kept(model_and_data):
    model, X, Y = model_and_data
    J = model.cost(X, Y)
    Z1 = next(t for t in topological_order([J]) if t.name == "Z1")
    relu_of_Z1 = next(t for t in topological_order([J]) if t.op is not None
                      and t.op.name == "relu" and t._inputs[0] is Z1)
    assert relu_of_Z1._saved is not None and relu_of_Z1._saved[0] is Z1.data
    J.backward()
    assert relu_of_Z1._saved is None
