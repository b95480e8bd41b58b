"""Testing a hand-written backward pass against the engine, on every shape hypothesis finds.

Run: pytest examples/learner_tests  — test_linear_activation_backward passes; the two tests of
the versions copied from the notes fail, with the message docs/testing.md explains.
"""

from backprop import (
    linear_activation_backward,
    linear_activation_backward_from_notes,
    linear_activation_backward_half_fixed,
)
from hypothesis import given

from tinygrad_course.testing import assert_gradients_match, layers


def check(backward, layer):
    # the course's dA_prev is a per-example gradient (no 1/m), the engine's is dJ/dA_prev
    dA_prev, dW, db = backward(layer.dA, layer.cache, layer.activation)
    expected = {"dA_prev": dA_prev / layer.m, "dW": dW, "db": db}
    assert_gradients_match(layer.cost, layer.inputs, expected)


@given(layers())
def test_linear_activation_backward(layer):
    check(linear_activation_backward, layer)


@given(layers())
def test_from_notes(layer):
    check(linear_activation_backward_from_notes, layer)


@given(layers())
def test_half_fixed(layer):
    check(linear_activation_backward_half_fixed, layer)
