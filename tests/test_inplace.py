"""In-place changes: parameter updates inside no_grad, refusals while recording, and the
version check that stops a backward pass from using values changed after they were saved."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_course as tc


def leaf(values, name="a"):
    return tc.Tensor(np.array(values, dtype=float), requires_grad=True, name=name)


def test_a_change_between_forward_and_backward_is_an_error_naming_tensor_and_op():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()
    a.data *= 10  # the case: the gradient would be 40 instead of 4 for a[0]
    with pytest.raises(RuntimeError, match=r"^backward: a \(2,\) was modified in place "
                       r"\(version 1\) after mul saved it"):
        y.backward()


def minus_one(t: tc.Tensor) -> None:
    t.data -= 1  # ndarray -= in place, then the assignment back to .data


@pytest.mark.parametrize("change", [
    lambda t: setattr(t, "data", t.data * 2),
    lambda t: minus_one(t),
    lambda t: t.__setitem__(0, 5.0),
    lambda t: t.__iadd__(1.0),
    lambda t: t.__imul__(2.0),
    lambda t: t.__itruediv__(2.0),
    lambda t: t.__isub__(np.ones(2)),
    lambda t: np.add(t, 1.0, out=t),
])
def test_every_kind_of_in_place_change_bumps_the_version(change):
    t = tc.Tensor([1.0, 2.0], name="x")
    before = t.version
    change(t)
    assert t.version == before + 1


def test_changes_are_checked_on_inputs_that_need_no_grad_and_on_intermediates():
    X = tc.Tensor(np.ones((2, 3)), name="X")            # data: no grad, but dW = dZ Xᵀ needs it
    W = leaf(np.ones((1, 2)), name="W")
    J = (W @ X).sum()
    X.data = X.data + 1
    with pytest.raises(RuntimeError, match=r"X \(2, 3\) was modified in place .* matmul"):
        J.backward()
    Z = W @ tc.Tensor(np.ones((2, 3)))
    A = tc.sigmoid(Z)
    A.name = "A"
    J = A.sum()
    with tc.no_grad():
        A[0, 0] = 0.5   # the σ VJP uses A itself
    with pytest.raises(RuntimeError, match=r"A \(1, 3\) was modified in place .* after sum "):
        J.backward()


def test_retain_graph_then_update_then_backward_again_is_refused():
    w = leaf([1.0, 2.0], name="w")
    J = (w * w).sum()
    J.backward(retain_graph=True)
    with tc.no_grad():
        w -= 0.1 * w.grad
    with pytest.raises(RuntimeError, match="w \\(2,\\) was modified in place"):
        J.backward()


def test_changes_before_recording_are_fine():
    a = leaf([1.0, 2.0])
    with tc.no_grad():
        a *= 3
    y = (a * a).sum()
    y.backward()
    np.testing.assert_array_equal(a.grad, [6.0, 12.0])


def test_gradient_descent_update_keeps_the_leaf_and_its_identity():
    w = leaf([1.0, 2.0], name="w")
    same = w
    for _ in range(3):  # the loop: the second iteration used to fail on w.grad = None
        J = (w * w).sum()
        w.zero_grad()
        J.backward()
        with tc.no_grad():
            w -= 0.25 * w.grad
    assert w is same and w.is_leaf and w.requires_grad and w.grad is not None
    np.testing.assert_allclose(w.data, np.array([1.0, 2.0]) * 0.5 ** 3)


def test_float32_parameters_stay_float32_under_a_float64_update():
    w = tc.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    with tc.no_grad():
        w -= np.full(3, 0.5)
    assert w.dtype == np.float32 and w.data.tolist() == [0.5, 0.5, 0.5]


def test_in_place_on_a_leaf_that_requires_grad_while_recording_says_use_no_grad():
    w = leaf([1.0, 2.0], name="w")
    with pytest.raises(RuntimeError, match=r"^-= on w \(2,\), a leaf that requires grad, while "
                       r"recording: update parameters inside `with tc.no_grad\(\):`"):
        w -= 1.0
    assert w.version == 0 and w.data.tolist() == [1.0, 2.0]  # nothing half-done


def test_augmented_assignment_on_a_tensor_in_a_graph_makes_a_new_node():
    # micrograd's `c += c + 1`: the name is rebound to a new node; the old one, which backward
    # may need, is unchanged
    a = leaf([1.0, 2.0])
    Z = a * 2
    old = Z
    Z += 1
    assert Z is not old and Z.op is tc.ops.ADD and old.data.tolist() == [2.0, 4.0]
    Z.sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_assignment_into_a_tensor_in_a_graph_is_refused_naming_it():
    Z = leaf([1.0, 2.0]) * 2
    Z.name = "Z"
    with pytest.raises(RuntimeError, match=r"^Z\[\.\.\.\] = \.\.\. on Z \(2,\), which is part of "
                       r"a graph \(made by mul\): backward needs its values"):
        Z[0] = 1.0
    assert Z.data.tolist() == [2.0, 4.0] and Z.version == 0


def test_augmented_assignment_with_an_operand_that_requires_grad_is_recorded():
    x = tc.Tensor([1.0, 2.0], name="x")
    a = leaf([1.0, 1.0])
    x += a
    assert x.requires_grad and x.op is tc.ops.ADD
    x.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    y = tc.Tensor([1.0, 2.0], name="y")
    with pytest.raises(RuntimeError, match=r"y \(2,\) with a \(2,\), which requires grad"):
        y[0] = a


def test_constants_change_in_place_freely():
    x = tc.Tensor([1.0, 2.0])
    x += 1
    x[1] = 7.0
    x[tc.Tensor(np.array([True, False]))] = 0.0  # a Tensor index gives its values
    assert x.data.tolist() == [0.0, 7.0] and x.version == 3


def test_ufunc_out_follows_the_same_rules():
    w = leaf([1.0, 2.0], name="w")
    with pytest.raises(RuntimeError, match=r"np.add\(\.\.\., out=w\) on w \(2,\), a leaf that "
                       r"requires grad"):
        np.add(w, 1.0, out=w)
    with tc.no_grad():
        np.multiply(w, 2.0, out=w)
    assert w.data.tolist() == [2.0, 4.0] and w.version == 1
    plain = np.zeros(2)
    plain += w          # into an ndarray: the values (an ndarray is in no graph)
    assert type(plain) is np.ndarray and plain.tolist() == [2.0, 4.0]
