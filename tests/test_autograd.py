"""backward, grad, no_grad, detach, detect_anomaly: the J = 3(a + bc) lesson and beyond."""

import numpy as np
import pytest

import tinygrad_course as tc
from tinygrad_course import ops


def j_graph():
    a, b, c = (tc.Tensor(v, requires_grad=True, name=n) for v, n in [(5.0, "a"), (3.0, "b"),
                                                                     (2.0, "c")])
    u = (b * c).retain_grad()
    v = (a + u).retain_grad()
    J = 3 * v
    return a, b, c, u, v, J


def test_the_lecture_example_j_equals_3_a_plus_bc():
    a, b, c, u, v, J = j_graph()
    J.backward()
    assert J.item() == 33
    assert (v.grad, u.grad, a.grad, b.grad, c.grad) == (3, 3, 3, 6, 9)


def test_fan_out_is_summed_before_it_is_propagated():
    x = tc.Tensor(2.0, requires_grad=True)
    y = x * x            # x feeds one op twice
    z = y + tc.exp(y)    # y feeds two ops
    z.backward()
    assert np.isclose(x.grad, (1 + np.exp(4.0)) * 2 * 2.0)


def test_gradients_accumulate_until_zero_grad():
    x = tc.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_non_scalar_backward_needs_a_seed_of_the_output_shape():
    x = tc.Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * 2)
    y.name = "y"
    with pytest.raises(ValueError, match=r"y \(2,\) has 2 elements.*grad= of shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"must have shape \(2,\), got \(3,\)"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 20.0])


def test_backward_on_something_without_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (tc.Tensor(1.0) * 2).backward()


def test_released_graph_is_an_error_and_retain_graph_keeps_it():
    *_, J = j_graph()
    J.backward(retain_graph=True)
    J.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        J.backward()
    a, b, c, *_ = j_graph()
    assert (a.grad, b.grad, c.grad) == (None, None, None)


def test_graph_structure_survives_backward_for_pictures():
    a, b, c, u, v, J = j_graph()
    J.backward()
    assert J.parents == (v,) and v.parents == (a, u) and J._saved is None


def test_no_grad_records_nothing_and_detach_cuts_the_graph():
    w = tc.Tensor([1.0, 2.0], requires_grad=True)
    with tc.no_grad():
        y = w * 2
        with tc.enable_grad():
            z = w * 2
    assert not y.requires_grad and y.op is None
    assert z.requires_grad
    d = (w * 3).detach()
    assert not d.requires_grad and d.op is None
    (d * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 6.0])


def test_a_chain_of_100000_operations():
    x = tc.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 1e-6
    y.backward()
    assert x.grad == 1.0


def test_data_gets_no_gradient_and_no_dx_matmul_is_computed(monkeypatch):
    calls = []
    vjp_a, vjp_b = ops.MATMUL.vjps

    def counted(which, f):
        return lambda *args, **kw: calls.append(which) or f(*args, **kw)

    monkeypatch.setattr(ops.MATMUL, "vjps", (counted("dA", vjp_a), counted("dB", vjp_b)))
    rng = np.random.default_rng(0)
    X = tc.Tensor(rng.standard_normal((5, 7)), name="X")
    W = tc.Tensor(rng.standard_normal((3, 5)), requires_grad=True, name="W1")
    b = tc.Tensor(np.zeros((3, 1)), requires_grad=True, name="b1")
    (tc.relu(W @ X + b)).sum().backward()
    assert calls == ["dA"] and X.grad is None
    assert W.grad.shape == (3, 5) and b.grad.shape == (3, 1)


def test_the_bias_gets_the_sum_over_examples_as_the_course_writes_it():
    rng = np.random.default_rng(1)
    W = tc.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    b = tc.Tensor(rng.standard_normal((4, 1)), requires_grad=True)
    A = rng.standard_normal((3, 6))
    Z = W @ A + b
    dZ = rng.standard_normal((4, 6))
    Z.backward(dZ)
    np.testing.assert_allclose(b.grad, np.sum(dZ, axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(W.grad, dZ @ A.T, rtol=1e-14)


def test_grad_returns_tensors_and_leaves_dot_grad_alone():
    a, b, c, u, v, J = j_graph()
    ga, gu = tc.grad(J, [a, u])
    assert (ga.item(), gu.item()) == (3.0, 3.0)
    assert a.grad is None and u.grad is None
    unused = tc.Tensor(1.0, requires_grad=True, name="w")
    assert tc.grad(3 * a, unused, allow_unused=True).item() == 0.0
    with pytest.raises(RuntimeError, match=r"^grad: input 0 \(w \(\)\) is not used to compute "
                       r"the outputs, so it has no gradient; pass allow_unused=True"):
        tc.grad(3 * a, unused)


@pytest.mark.parametrize("f, second", [
    (tc.sigmoid, lambda z: (s := 1 / (1 + np.exp(-z))) * (1 - s) * (1 - 2 * s)),
    (tc.tanh, lambda z: -2 * np.tanh(z) * (1 - np.tanh(z) ** 2)),
    (tc.exp, np.exp),
    (tc.log, lambda z: -1 / z ** 2),
])
def test_second_derivatives_match_closed_forms(f, second):
    z = np.array([0.3, 1.2, 2.5, 0.05])
    x = tc.Tensor(z, requires_grad=True)
    (g,) = tc.grad(f(x).sum(), [x], create_graph=True)
    h = tc.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, second(z), rtol=1e-10, atol=1e-12)


def test_hessian_vector_product_of_a_small_network_matches_finite_differences():
    rng = np.random.default_rng(2)
    X, Y = rng.standard_normal((3, 8)), (rng.random((1, 8)) > 0.5).astype(float)
    shapes = [(4, 3), (4, 1), (1, 4), (1, 1)]
    theta = [rng.standard_normal(s) * 0.5 for s in shapes]
    vec = [rng.standard_normal(s) for s in shapes]

    def cost(W1, b1, W2, b2):
        A1 = tc.tanh(W1 @ X + b1)
        return tc.binary_cross_entropy(tc.sigmoid(W2 @ A1 + b2), Y)

    def gradient(params):
        ts = [tc.Tensor(p, requires_grad=True) for p in params]
        return ts, tc.grad(cost(*ts), ts, create_graph=True)

    ts, gs = gradient(theta)
    gv = sum((g * v).sum() for g, v in zip(gs, vec))
    hvp = tc.grad(gv, ts)
    eps = 1e-6
    _, plus = gradient([p + eps * v for p, v in zip(theta, vec)])
    _, minus = gradient([p - eps * v for p, v in zip(theta, vec)])
    for h, gp, gm in zip(hvp, plus, minus):
        np.testing.assert_allclose(h.data, (gp.data - gm.data) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_detect_anomaly_names_the_op_forward_and_backward():
    x = tc.Tensor([1.0, -1.0], requires_grad=True, name="x")
    with tc.detect_anomaly():
        with pytest.raises(FloatingPointError, match=r"log produced NaN or inf.*x \(2,\)"):
            with np.errstate(invalid="ignore"):
                tc.log(x)
    y = tc.Tensor([0.0, 1.0], requires_grad=True, name="y")
    with tc.detect_anomaly():
        out = (tc.relu(y) ** 0.5).sum()  # sqrt'(0) = inf in the backward pass
        with pytest.raises(FloatingPointError, match="backward of pow"):
            with np.errstate(divide="ignore"):
                out.backward()
    with np.errstate(invalid="ignore"):
        assert np.isnan(tc.log(x).data[1])  # outside the context: no check


def test_sigmoid_does_not_overflow_or_warn(recwarn):
    z = tc.Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    a = tc.sigmoid(z)
    a.sum().backward()
    np.testing.assert_array_equal(a.data, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(z.grad, [0.0, 0.25, 0.0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_relu_and_leaky_relu_kink_convention_at_zero():
    z = tc.Tensor([0.0, -0.0, 1e-300, -1e-300], requires_grad=True)
    tc.relu(z).sum().backward()
    np.testing.assert_array_equal(z.grad, [0.0, 0.0, 1.0, 0.0])
    z.zero_grad()
    tc.leaky_relu(z, slope=0.2).sum().backward()
    np.testing.assert_array_equal(z.grad, [0.2, 0.2, 1.0, 0.2])


def test_scalar_fan_out_of_fan_out_accumulates():
    # x + x twice: the third share of a 0-d gradient used to be added to a numpy scalar
    # copy and lost (found by testing.expressions())
    x = tc.Tensor(0.1, requires_grad=True)
    ((x + x) + (x + x)).backward()
    assert x.grad == 4.0 and isinstance(x.grad, np.ndarray)


@pytest.mark.parametrize("loss", [tc.binary_cross_entropy, tc.binary_cross_entropy_with_logits])
def test_loss_refuses_a_label_operand_of_another_shape(loss):
    # y larger than a used to broadcast (found by testing.expressions()); the losses now take
    # one label per prediction, and say so (messages: tests/test_ops_losses.py)
    a = tc.Tensor([[0.3]], requires_grad=True)
    y = tc.Tensor([[0.2, 0.9]], requires_grad=True)
    with pytest.raises(ValueError, match="must have the same shape"):
        loss(a, y)
    tc.assert_gradcheck(loss, [a.data, y.data[:, :1]])


def test_the_function_forms_in_autograd_match_the_methods():
    from tinygrad_course import autograd

    a, b, c, u, v, J = j_graph()
    autograd.backward(J, retain_graph=True)
    assert (a.grad, b.grad, c.grad) == (3, 6, 9)
    assert autograd.grad(J, b).item() == 6.0
    assert b.grad == 6  # grad() leaves .grad alone


def test_grad_of_something_that_is_not_a_tensor_is_a_clear_error():
    x = tc.Tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"^grad: outputs must be Tensors .* outputs 0 is float"):
        tc.grad(1.0, x)   # the case: "'float' object is not iterable"
    with pytest.raises(TypeError, match=r"^grad: inputs must be Tensors .* inputs 1 is ndarray"):
        tc.grad(x * 2, [x, np.ones(2)])


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_keeps_the_inputs_dtype_through_float64_masks(create_graph):
    # leaky_relu's VJP multiplies by a float64 mask; the gradient must still be float32
    x = tc.Tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    g = tc.grad(tc.leaky_relu(x * np.float64(2.0)).sum(), x, create_graph=create_graph)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.data, [2.0, 0.02], rtol=1e-6)


# ---- micrograd's test_engine.py cases (its expressions and values; its oracle is PyTorch) ------
def test_micrograd_sanity_check():
    x = tc.Tensor(-4.0, requires_grad=True)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    assert y.item() == -20.0 and x.grad == 46.0  # PyTorch's values, float64


def micrograd_more_ops(a, b):
    c = a + b
    d = a * b + b ** 3
    c += c + 1           # on a tensor in a graph, += makes a new node (c = c + (c + 1))
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_more_ops():
    a, b = tc.Tensor(-4.0, requires_grad=True), tc.Tensor(2.0, requires_grad=True)
    g = micrograd_more_ops(a, b)
    g.backward()
    assert abs(g.item() - 24.70408163265306) < 1e-12    # PyTorch's values, as micrograd's
    assert abs(a.grad - 138.83381924198252) < 1e-9      # README prints them
    assert abs(b.grad - 645.5772594752186) < 1e-9
    tc.assert_gradcheck(micrograd_more_ops, [np.array(-4.0), np.array(2.0)])


@pytest.mark.parametrize("fn, derivative", [(tc.tanh, lambda x: 1 - np.tanh(x) ** 2),
                                            (tc.exp, np.exp)])
def test_micrograd_unary_functions(fn, derivative):
    for x in (-1.0, 0.123, 2.0):
        t = tc.Tensor(x, requires_grad=True)
        fn(t).backward()
        assert abs(t.grad - derivative(x)) < 1e-12


@pytest.mark.parametrize("dtype, shape", [(np.float64, ()), (np.float32, (1, 1)),
                                          (np.float16, (1,))])
def test_the_seed_of_each_pass_is_a_fresh_one_of_the_roots_dtype_and_shape(dtype, shape):
    # dJ/dJ = 1 comes from a cached template, copied per pass: a leaf's .grad is that copy
    for _ in range(2):
        J = tc.Tensor(np.full(shape, 2.0, dtype), requires_grad=True)
        J.backward()
        assert J.grad.dtype == dtype and J.grad.shape == shape and J.grad == 1
        J.grad += 5  # the user owns it: the next pass must still start from 1
    leaf = tc.Tensor(np.full(shape, 3.0, dtype), requires_grad=True)
    (leaf * 2).backward()
    assert leaf.grad == 2 and leaf.grad.dtype == dtype
