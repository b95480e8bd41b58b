"""The backward pass: the chain rule applied right to left over the recorded graph.

``backward`` visits the nodes in reverse topological order. A node's gradient is complete
(every consumer has added its share, as v's two uses in a fan-out are summed) before the
node hands gradients to its inputs through its op's VJPs. Only tensors that require grad are
visited, so the data X gets no dX.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .graph import needs_grad, topological_order
from .ops import describe, mode, sum_to_shape
from .ops.cast import ASTYPE
from .tensor import _CLOCK, Tensor


def backward(root: Tensor, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    On a one-element root the seed is 1 (dJ/dJ); otherwise ``grad`` (shape of root) is the
    seed. After the pass the graph's saved values are released unless ``retain_graph``.
    """
    seed = _seed(root, grad, "backward")
    _backprop([root], [seed], retain_graph=retain_graph, create_graph=False,
              write_grads=start_run(root))


class BackwardRun:
    """What the gradients one ``backward()`` call stored are the derivatives of: the name its
    root had then (None: unnamed, drawn as J), and, where passes were summed into ``.grad``,
    the distinct names of their roots ("" for a ``.grad`` no backward stored, e.g. assigned
    by hand; at most MAX_NAMES kept) and how many passes it sums.

    Pictures write dJ/da from it (``labels.grad_name``). It costs one object per pass, and
    one tuple beside each ``.grad`` assignment, which happens only on the leaves (and
    retained tensors), never per node of the graph; summing into an existing ``.grad``
    (which already allocates the sum) makes one more small object, of bounded size, so a
    loop that never zeroes its gradients does not grow it."""

    __slots__ = ("names", "passes", "root_id")
    MAX_NAMES = 4

    def __init__(self, names: tuple[str | None, ...], root_id: int | None = None,
                 passes: int = 1) -> None:
        # root_id: id() of the root, which also carries this run in its _grad_of, so a
        # picture of that root can name the gradients after it (the run never holds the
        # root itself, which would keep its whole graph alive)
        self.names, self.root_id, self.passes = names, root_id, passes

    def then(self, run: BackwardRun) -> BackwardRun:
        """This run's gradients with ``run``'s added to them."""
        names = self.names if run.names[0] in self.names else (
            self.names + run.names)[:self.MAX_NAMES]
        return BackwardRun(names, None, self.passes + run.passes)

    def __repr__(self) -> str:
        return f"BackwardRun({self.names!r}, passes={self.passes})"


def start_run(root: Tensor) -> BackwardRun:
    """The record of a backward pass from ``root`` (its name now), also noted on root unless
    root gets a ``.grad`` itself (a leaf, a retained result), where _store notes it: so a
    picture of root can tell that its leaves' gradients are d(root)/d·, whatever its name."""
    run = BackwardRun((root.name or None,), id(root))
    if root._op is not None and not root._retain:
        root._grad_of = (run, None)
    return run


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, create_graph: bool = False,
         retain_graph: bool | None = None, allow_unused: bool = False) -> Any:
    """d(outputs)/d(inputs) as Tensors, leaving every ``.grad`` untouched.

    With ``create_graph=True`` the backward pass is itself recorded, so the result can be
    differentiated again (second derivatives, Hessian-vector products). Returns one Tensor
    for one input, a tuple for a sequence. Each gradient has its input's dtype. An input the
    outputs do not depend on is an error (usually a sign of a mistake in the graph), unless
    ``allow_unused=True``, which gives it zeros.
    """
    outs = _tensors(outputs, "outputs")
    ins = _tensors(inputs, "inputs")
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs] * len(outs) if len(outs) == 1 or grad_outputs is None \
            else grad_outputs
    seeds = [_seed(o, g, "grad") for o, g in zip(outs, grad_outputs)]
    if create_graph:
        seeds = [s if isinstance(s, Tensor) else Tensor(s) for s in seeds]
    found = _backprop(outs, seeds, retain_graph=create_graph if retain_graph is None
                      else retain_graph, create_graph=create_graph, write_grads=None,
                      wanted={id(t) for t in ins})
    result = []
    for i, t in enumerate(ins):
        g = found.get(id(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} ({describe(t)}) is not used to compute the outputs, so "
                    "it has no gradient; pass allow_unused=True to get zeros for it")
            g = np.zeros_like(t._value)
        if isinstance(g, Tensor):
            g = g if g.dtype == t.dtype else ASTYPE(g, dtype=t.dtype)
        else:
            g = Tensor(g if g.dtype == t.dtype else g.astype(t.dtype))
        result.append(g)
    return result[0] if isinstance(inputs, Tensor) else tuple(result)


def _tensors(x: Any, what: str) -> list[Tensor]:
    items = [x] if isinstance(x, Tensor) else x
    try:
        items = list(items)
    except TypeError:
        items = [items]
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: {what} must be Tensors (or a sequence of Tensors); "
                            f"{what} {i} is {type(t).__name__} {t!r:.40}")
    return items


def _seed(root: Tensor, g: Any, who: str) -> Any:
    if not isinstance(root, Tensor):
        raise TypeError(f"{who}: expected a Tensor to differentiate, got {type(root).__name__}")
    if not root.requires_grad:
        raise RuntimeError(
            f"{who}: {describe(root)} does not require grad: none of the tensors it was computed "
            "from has requires_grad=True (or it was computed under no_grad)")
    if g is None:
        if root.size != 1:
            raise ValueError(
                f"{who}: {describe(root)} has {root.size} elements; backward() starts from 1 "
                f"only on a one-element result, so pass grad= of shape {root.shape}")
        return _one(root._value.dtype, root._value.shape).copy()  # np.ones: 3.5× the work
    if isinstance(g, Tensor) and who == "grad":
        seed: Any = g
    else:
        seed = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=root.dtype)
    if seed.shape != root.shape:
        raise ValueError(f"{who}: the gradient for {describe(root)} must have shape "
                         f"{root.shape}, got {seed.shape}")
    return seed


@functools.cache
def _one(dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """dJ/dJ = 1 in a one-element root's dtype and shape; each pass copies it (never handed out)."""
    return np.ones(shape, dtype)


def _backprop(roots: list[Tensor], seeds: list[Any], retain_graph: bool, create_graph: bool,
              write_grads: BackwardRun | None, wanted: set[int] | None = None) -> dict[int, Any]:
    order = topological_order(roots, follow=needs_grad)
    # Gradients so far, keyed by tensor (identity). `owned` holds the ones this pass allocated
    # itself (sums of two shares), into which later shares are added in place.
    grads: dict[Tensor, Any] = {}
    owned: set[Tensor] = set()
    found: dict[int, Any] = {}
    for root, seed in zip(roots, seeds):
        grads[root] = seed if root not in grads else grads[root] + seed
    anomaly = mode.anomaly
    now = _CLOCK[0]  # the in-place clock: no node recorded at `now` can see a later change
    previous, mode.grad_enabled = mode.grad_enabled, create_graph
    try:
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            if wanted is not None and id(node) in wanted:
                found[id(node)] = g
            op = node._op
            if op is None:
                if write_grads is not None:
                    _store(node, g, write_grads)
                continue
            if write_grads is not None and node._retain:
                _store(node, g, write_grads)
            if node._saved is None:
                raise RuntimeError(
                    f"backward through {describe(node)} ({op.name}) a second time: its saved "
                    "values were released by the first backward; call backward(retain_graph="
                    "True) the first time to keep them")
            out: Any = node if create_graph else node._value
            args = node._inputs if create_graph else node._saved
            vjps, params, epoch = op.vjps, node._params, node._epoch
            if epoch < now:  # something changed in place since this node was recorded
                _check_versions(node, epoch)
            for i, x in enumerate(node._inputs):
                if isinstance(x, Tensor) and x.requires_grad:
                    gi = vjps[i](g, out, *args, **params) if params else vjps[i](g, out, *args)
                    shape = x._value.shape
                    if gi.shape != shape:
                        gi = sum_to_shape(gi, shape)
                    if anomaly:
                        _check_finite(gi, node, x)
                    prev = grads.get(x)
                    if prev is None:
                        grads[x] = gi
                    elif x in owned:
                        prev += gi
                    else:
                        total = prev + gi
                        # 0-d arrays add up to numpy scalars, which `+=` would rebind
                        grads[x] = np.asarray(total) if isinstance(total, np.generic) else total
                        if not create_graph:
                            owned.add(x)
            if not retain_graph:
                node._saved = None
    finally:
        mode.grad_enabled = previous
    return found


def _check_versions(node: Tensor, epoch: int) -> None:
    """Raise if the node's value or an input it saved changed in place after ``epoch``."""
    for x in (node, *node._inputs):
        if isinstance(x, Tensor) and hasattr(x, "_changes") and x._changes[1] > epoch:
            _modified(x, node, node._op)


def _modified(x: Tensor, node: Tensor, op: Any) -> None:
    raise RuntimeError(
        f"backward: {describe(x)} was modified in place (version {x.version}) after "
        f"{op.name} saved it to compute {describe(node)}; its gradient would use the new "
        "values. Change values only after backward (or inside no_grad between iterations), "
        "or compute with a copy")


def _store(node: Tensor, g: Any, run: BackwardRun) -> None:
    if isinstance(g, Tensor):
        g = g._value
    dtype = node._value.dtype
    if g.dtype is not dtype and g.dtype != dtype:  # `is`: the common case costs no comparison
        g = g.astype(dtype)
    elif not g.flags.writeable:  # e.g. a broadcast view from sum's VJP: give the user an array
        g = g.copy()
    old = node.grad
    if old is None:
        node.grad = g
    else:  # a second pass adds to .grad: say whose derivatives the sum holds
        node.grad = g = old + g
        before = getattr(node, "_grad_of", None)
        run = (before[0] if before is not None and before[1] is old
               else BackwardRun(("",))).then(run)
    node._grad_of = (run, g)


def _check_finite(g: Any, node: Tensor, x: Tensor) -> None:
    data = g.data if isinstance(g, Tensor) else np.asarray(g)
    if not np.isfinite(data).all():
        raise FloatingPointError(
            f"detect_anomaly: the backward of {node._op.name if node._op else '?'} "
            f"(producing {describe(node)}) gave NaN or inf for its input {describe(x)}")


@contextlib.contextmanager
def _recording(enabled: bool) -> Iterator[None]:
    previous = mode.grad_enabled
    mode.grad_enabled = enabled
    try:
        yield
    finally:
        mode.grad_enabled = previous


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside, nothing is recorded: results do not require grad (parameter updates, eval)."""
    with _recording(False):
        yield


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record again inside a ``no_grad`` block."""
    with _recording(True):
        yield


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise FloatingPointError at the first forward or backward result that is NaN or inf,
    naming the op that produced it."""
    previous = mode.anomaly
    mode.anomaly = True
    try:
        yield
    finally:
        mode.anomaly = previous
