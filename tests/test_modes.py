"""Recording modes hold per thread: another thread's no_grad, detect_anomaly or backward pass
never changes what this thread records. Interleavings are forced with events, not sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

import tinygrad_course as tc
from tinygrad_course import ops

TIMEOUT = 10.0


def run(target: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def wrapped() -> None:
        try:
            target()
        except BaseException as err:  # noqa: BLE001  (reported by the test thread)
            errors.append(err)

    thread = threading.Thread(target=wrapped, daemon=True)
    thread.start()
    return thread, errors


def finish(thread: threading.Thread, errors: list[BaseException]) -> None:
    thread.join(TIMEOUT)
    assert not thread.is_alive(), "the other thread hung"
    if errors:
        raise errors[0]


def pausing_identity(reached: threading.Event, resume: threading.Event) -> ops.Op:
    """An op whose backward stops in the middle of a pass until told to go on."""
    def vjp(g: Any, out: Any, a: Any) -> Any:
        reached.set()
        assert resume.wait(TIMEOUT)
        return g
    return ops.Op("pause", "pause", lambda a: a + 0, vjps=(vjp,), derivs=("1",))


def test_another_threads_no_grad_does_not_drop_this_threads_ops():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with tc.no_grad():
            inside.set()
            assert leave.wait(TIMEOUT)

    thread, errors = run(other)
    assert inside.wait(TIMEOUT)
    a = tc.Tensor([1.0, 1.0], requires_grad=True)
    J = (a * 1).sum() + (a * 2).sum() + (a * 3).sum()  # the case: it gave [3, 3]
    J.backward()
    leave.set()
    finish(thread, errors)
    np.testing.assert_array_equal(a.grad, [6.0, 6.0])


def test_a_backward_pass_in_another_thread_does_not_stop_recording_here():
    reached, resume = threading.Event(), threading.Event()
    pause = pausing_identity(reached, resume)
    x = tc.Tensor([1.0, 2.0], requires_grad=True)

    def other() -> None:
        pause(x).sum().backward()

    thread, errors = run(other)
    assert reached.wait(TIMEOUT)          # the other thread is in the middle of backward()
    a = tc.Tensor(2.0, requires_grad=True)
    y = a * a
    assert y.requires_grad and y.op is ops.MUL
    resume.set()
    finish(thread, errors)
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_overlapping_backward_passes_leave_recording_on_everywhere():
    # A enters backward, then B; A leaves first, then B. With one process-wide flag, B
    # restored the "off" it saw on entry and recording stayed off for the whole process.
    a_in, a_go, b_in, b_go = (threading.Event() for _ in range(4))
    pa, pb = pausing_identity(a_in, a_go), pausing_identity(b_in, b_go)
    xa, xb = tc.Tensor([1.0], requires_grad=True), tc.Tensor([2.0], requires_grad=True)
    recorded: dict[str, bool] = {}

    def thread_a() -> None:
        pa(xa).sum().backward()
        recorded["a"] = (xa * 2).requires_grad

    def thread_b() -> None:
        pb(xb).sum().backward()
        recorded["b"] = (xb * 2).requires_grad

    ta, ea = run(thread_a)
    assert a_in.wait(TIMEOUT)
    tb, eb = run(thread_b)
    assert b_in.wait(TIMEOUT)
    a_go.set()
    finish(ta, ea)
    b_go.set()
    finish(tb, eb)
    assert recorded == {"a": True, "b": True}
    assert (xa * 2).requires_grad and ops.mode.grad_enabled


def test_detect_anomaly_and_enable_grad_are_per_thread():
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with tc.detect_anomaly(), tc.no_grad(), tc.enable_grad():
            inside.set()
            assert leave.wait(TIMEOUT)

    thread, errors = run(other)
    assert inside.wait(TIMEOUT)
    assert not ops.mode.anomaly and ops.mode.grad_enabled
    with np.errstate(divide="ignore"):
        z = tc.log(tc.Tensor([0.0]))    # -inf: an error only where detect_anomaly is on
    leave.set()
    finish(thread, errors)
    assert np.isneginf(z.data).all()


def train(X: np.ndarray, Y: np.ndarray, steps: int,
          between: Callable[[], None] = lambda: None) -> np.ndarray:
    """Logistic regression by hand on the engine; `between` runs inside each backward pass."""
    w = tc.Tensor(np.zeros((X.shape[0], 1)), requires_grad=True, name="w")
    b = tc.Tensor(np.zeros((1, 1)), requires_grad=True, name="b")
    pause = ops.Op("pause", "pause", lambda a: a + 0,
                   vjps=(lambda g, out, a: (between(), g)[1],), derivs=("1",))
    for _ in range(steps):
        A = tc.sigmoid(pause(w.T @ X + b))
        J = tc.binary_cross_entropy(A, Y)
        w.zero_grad()
        b.zero_grad()
        J.backward()
        with tc.no_grad():
            w -= 0.5 * w.grad
            b -= 0.5 * b.grad
    return np.concatenate([w.data.ravel(), b.data.ravel()])


def test_two_threads_training_at_once_match_training_one_after_the_other():
    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(3, 20)), rng.normal(size=(2, 30))
    Y1, Y2 = (X1[:1] > 0).astype(float), (X2[1:] < 0).astype(float)
    expected = train(X1, Y1, 5), train(X2, Y2, 5)
    # Lockstep: each backward pass waits inside itself until the other thread has run its
    # next forward pass, so every backward overlaps the other thread's recording.
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    got: dict[int, np.ndarray] = {}

    def worker(i: int, X: np.ndarray, Y: np.ndarray) -> None:
        got[i] = train(X, Y, 5, between=barrier.wait)

    t1, e1 = run(lambda: worker(0, X1, Y1))
    t2, e2 = run(lambda: worker(1, X2, Y2))
    finish(t1, e1)
    finish(t2, e2)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
