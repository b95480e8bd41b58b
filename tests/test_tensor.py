"""Tensor: construction, dtypes, the fields a node exposes, repr."""

import numpy as np
import pytest

import tinygrad_course as tc


def test_numbers_and_lists_become_float64():
    for value in (3, 2.5, [1, 2], [[1.0, 2.0]], True):
        assert tc.Tensor(value).dtype == np.float64


def test_arrays_keep_their_dtype_and_float32_on_request():
    assert tc.Tensor(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert tc.Tensor([1, 2], dtype=np.float32).dtype == np.float32
    labels = np.array([[0, 1, 1]])
    assert tc.Tensor(labels).dtype == labels.dtype  # data such as Y keeps its integer type


def test_float32_stays_float32_through_ops_and_backward():
    x = tc.Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    y = (tc.sigmoid(x * 2 + 1) - 0.5).sum()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad is not None and x.grad.dtype == np.float32


@pytest.mark.parametrize("data", [np.array([1, 2]), np.array([True, False]),
                                  np.array([1, 2], dtype=np.int32)])
def test_grad_on_non_float_data_is_a_clear_error(data):
    with pytest.raises(TypeError, match="requires_grad needs floating data, got"):
        tc.Tensor(data, requires_grad=True, name="x")


def test_object_and_string_data_are_refused():
    with pytest.raises(TypeError, match="cannot hold"):
        tc.Tensor(np.array([object()]))
    with pytest.raises(TypeError, match="cannot hold"):
        tc.Tensor("abc")


def test_fields_of_leaves_and_results():
    a = tc.Tensor([[1.0, 2.0, 3.0]], requires_grad=True, name="a")
    assert (a.shape, a.ndim, a.size, a.name) == ((1, 3), 2, 3, "a")
    assert a.grad is None and a.op is None and a.parents == () and a.is_leaf
    b = a * 2
    assert b.op is tc.ops.MUL and b.parents == (a,) and not b.is_leaf
    assert b.numpy() is b.data
    assert tc.Tensor(4.0).item() == 4.0


def test_repr_shows_name_shape_op_and_small_values():
    a = tc.Tensor([1.0, 2.0], requires_grad=True, name="a")
    r = repr(a * 3)
    assert "shape=(2,)" in r and "op=mul" in r and "3." in r and "6." in r
    assert "name='a'" in repr(a)
    big = repr(tc.Tensor(np.zeros((10, 10))))
    assert "data=" not in big and "shape=(10, 10)" in big


def test_hashing_is_node_identity_and_comparisons_are_elementwise():
    a, b = tc.Tensor(1.0), tc.Tensor(1.0)
    assert len({a, b}) == 2 and {a: 1, b: 2}[a] == 1  # equal values, two nodes
    assert bool(a == b) and not bool(a != b)
    assert isinstance(a > 0.5, tc.Tensor) and bool(a > 0.5)


def test_numbers_and_arrays_mix_in_on_either_side():
    v = tc.Tensor([1.0, 2.0], requires_grad=True)
    for result, expected in [(3 * v, [3, 6]), (1 - v, [0, -1]), (v + 1, [2, 3]),
                             (np.array([2.0, 4.0]) / v, [2, 2]), (v ** 2, [1, 4]),
                             (np.array([1.0, 1.0]) @ v, 3.0), (-v, [-1, -2])]:
        assert isinstance(result, tc.Tensor)
        np.testing.assert_allclose(result.data, expected)


def test_a_tensor_exponent_is_an_input_and_a_string_exponent_is_refused():
    v = tc.Tensor([1.0, 2.0], name="v", requires_grad=True)
    p = tc.Tensor(2.0, requires_grad=True)
    (v ** p).sum().backward()
    np.testing.assert_allclose(v.grad, [2.0, 4.0])
    np.testing.assert_allclose(p.grad, 4.0 * np.log(2.0))
    with pytest.raises(TypeError, match="pow: v \\(2,\\) .* the exponent must be a number"):
        v ** "abc"


# ---- Python's protocols, as numpy has them ----------------------------------------------------
def test_one_element_tensors_convert_and_format_like_numbers():
    J = tc.Tensor([[0.693147]], requires_grad=True) * 1
    assert float(J) == 0.693147 and int(tc.Tensor(3.7)) == 3
    assert f"{J:.4f}" == "0.6931" and format(J, ".2e") == "6.93e-01"
    assert f"cost {tc.Tensor(2.0):g}" == "cost 2" and J.item() == 0.693147
    assert str(J) == f"{J}" == repr(J)  # no format spec: the repr


@pytest.mark.parametrize("convert", [float, int, lambda t: format(t, ".3f"),
                                     lambda t: t.item()])
def test_converting_a_many_element_tensor_is_a_clear_error(convert):
    with pytest.raises(TypeError, match=r"of A \(2, 3\): only a one-element tensor converts to a "
                       r"Python number; index it first \(t\[0, 0\]\) or reduce it"):
        convert(tc.Tensor(np.ones((2, 3)), name="A"))


def test_len_tolist_and_bool_follow_numpy():
    A = tc.Tensor(np.arange(6.0).reshape(2, 3))
    assert len(A) == 2 and A.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert bool(tc.Tensor(1.0)) and not bool(tc.Tensor([0.0]))
    with pytest.raises(ValueError, match="truth value of an array with more than one element"):
        bool(A)
    with pytest.raises(TypeError, match=r"len\(\) of tensor \(\): a 0-d tensor has no length"):
        len(tc.Tensor(1.0))


@pytest.mark.parametrize("compare, numpy_op", [
    (lambda a, b: a == b, np.equal), (lambda a, b: a != b, np.not_equal),
    (lambda a, b: a < b, np.less), (lambda a, b: a <= b, np.less_equal),
    (lambda a, b: a > b, np.greater), (lambda a, b: a >= b, np.greater_equal)])
def test_comparisons_are_elementwise_boolean_constants(compare, numpy_op):
    a = tc.Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = np.array([[1.0], [2.5]])
    for left, right in [(a, b), (a, tc.Tensor(b)), (a, 2.0), (b, a), (2.0, a)]:
        got = compare(left, right)
        assert isinstance(got, tc.Tensor) and got.dtype == np.bool_
        assert not got.requires_grad and got.is_leaf
        expected = numpy_op(np.asarray(left), np.asarray(right))
        np.testing.assert_array_equal(got.data, expected)


def test_accuracy_written_as_numpy_code_is_right():
    # the case: with == as identity this was 0.0
    A = tc.Tensor([[0.9, 0.2, 0.7, 0.4]], requires_grad=True)
    Y = np.array([[1, 0, 0, 0]])
    assert float(np.mean((A > 0.5) == Y)) == 0.75
    assert float(np.mean((A > 0.5) == tc.Tensor(Y))) == 0.75


# ---- indexing, iteration and methods, as ndarray has them ----------------------------------
def test_indexing_a_tensor_is_recorded_and_mini_batches_get_their_gradient():
    X = tc.Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True, name="X")
    idx = np.array([3, 0, 3])              # a mini-batch X[:, idx], with example 3 twice
    batch = X[:, idx]
    assert batch.op is tc.ops.GETITEM and batch.shape == (3, 3)
    (batch * np.array([1.0, 2.0, 4.0])).sum().backward()
    expected = np.zeros((3, 4))
    expected[:, 3], expected[:, 0] = 1.0 + 4.0, 2.0   # repeated picks add up
    np.testing.assert_array_equal(X.grad, expected)
    assert X[0, -1].item() == 3.0 and X[..., None].shape == (3, 4, 1)
    assert X[X > 5].shape == (6,) and X[tc.Tensor(np.array([2, 0]))].shape == (2, 4)


def test_iteration_is_recorded_like_indexing():
    A = tc.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(A)
    assert len(rows) == 3 and all(r.op is tc.ops.GETITEM for r in rows)
    (rows[0] * 1 + rows[2] * 10).sum().backward()
    np.testing.assert_array_equal(A.grad, [[1.0, 1.0], [0.0, 0.0], [10.0, 10.0]])
    with pytest.raises(TypeError, match="a 0-d tensor is not iterable"):
        iter(tc.Tensor(1.0))


def test_ndarray_methods_that_are_ops():
    A = tc.Tensor(np.arange(6.0).reshape(1, 2, 3), requires_grad=True)
    assert A.squeeze().shape == (2, 3) and A.flatten().shape == (6,)
    assert A.ravel().shape == (6,) and A.repeat(2, axis=0).shape == (2, 2, 3)
    assert A.clip(1.0, 4.0).tolist() == [[[1.0, 1.0, 2.0], [3.0, 4.0, 4.0]]]
    v = tc.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert v.dot(v).item() == 14.0 and A.astype(np.float32).dtype == np.float32
