"""Trace once, replay as straight-line numpy: ``tc.trace(fn, *inputs)``.

The trace runs ``fn`` once on Tensors, as any forward pass runs, then walks the recorded graph
as ``backward()`` does. Each node's forward and each VJP is the op's own function, run on
:class:`~.symbolic.Sym` values, so what it computes is written down as numpy
(:mod:`.codegen` writes it out): the forward lines named as the tensors are (Z1, A1, ..., J),
then the backward lines in the course's names (dA2, dZ2, dW2, db2, ...), one block per node in
the order backward visits them, each under a ``# backward of Z1 = W1 @ X + b1`` comment, with
the broadcast sums (``db1 = np.sum(dZ1, axis=1, keepdims=True)``) and the fan-in sums written
out. Replaying runs that function alone: no Tensor, no graph walk, no per-op dispatch.

What the trace fixes: the shapes and dtypes of the inputs (a new signature traces again),
Python control flow and Python numbers in ``fn``, and which inputs get a gradient (the Tensors
that required grad when first traced). Anything that turns a traced value into a Python value
(``float(J)``, ``if A.sum() > 0:``, ``A > 0``, ``.data``) raises :class:`TraceError` at trace
time, since its result would silently stay the trace-time one.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import tensor as _tensor
from .autograd import enable_grad
from .codegen import Written, is_name, write
from .custom import CustomOp
from .graph import topological_order
from .labels import display_names
from .ops import describe, sum_to_shape
from .ops.elementwise import SIGMOID
from .ops.losses import BCE, _any_saturated
from .symbolic import Expr, Program, Sym
from .tensor import Tensor

__all__ = ["trace", "Traced", "TraceError"]

_LOCK = threading.Lock()


class TraceError(RuntimeError):
    """Something in a traced function that a replay could not reproduce."""


def trace(fn: Callable[..., Tensor], *inputs: Any, simplify: bool = False,
          sgd: bool = False, buffers: bool = True) -> Traced:
    """Run ``fn(*inputs)`` once (Tensors in, a one-element Tensor J out), record its forward
    pass and the backward pass from J, and return the compiled replay:
    ``J, grads = traced(*new_inputs)`` gives J as a float and dJ/d(input) per input (None for
    an input that did not require grad). ``traced.source`` is the generated numpy.

    ``simplify=True`` writes the course's algebra where it applies: σ followed by the
    cross-entropy cost becomes dZ^[L] = (A^[L] − Y)/m, instead of the literal chain rule
    dA^[L] = (A − Y)/(A(1 − A))/m, dZ^[L] = dA^[L] · A(1 − A).

    ``sgd=True`` adds gradient descent to the generated code: ``traced(*inputs,
    learning_rate=α)`` also updates every input that gets a gradient in place,
    θ := θ − α dθ (``W1 -= learning_rate * dW1``), after computing them all.

    What runs is ``traced.executed_source``: the same lines, one numpy call each, computing
    every intermediate array into a buffer allocated on the first call and reused
    (``out=``); J and the gradients handed out are new arrays on every call.
    ``buffers=False`` runs ``traced.source`` itself."""
    traced = Traced(fn, simplify=simplify, sgd=sgd, buffers=buffers)
    traced.trace(*inputs)
    return traced


class _Saturated(Exception):
    """Raised by the generated code where σ rounded an A to 0 or 1: run the saturated form."""


class _Unsaturated(Exception):
    """Raised by the saturated form where σ rounded no A to 0 or 1: run the ordinary form."""


def _check_unsaturated(a: np.ndarray) -> None:
    """The check the generated code makes before the cost of A = σ(Z): the two-input cost
    and its VJPs are the ones backward() runs only where σ rounded no a to exactly 0 or 1."""
    if _any_saturated(a):
        raise _Saturated


def _check_saturated(a: np.ndarray) -> None:
    """The saturated form's check, the other way round: backward() takes its cost only where
    σ rounded some a to 0 or 1. A training run whose predictions have saturated keeps them so
    for many steps; the replay then runs this form first, and the ordinary one once it fails."""
    if not _any_saturated(a):
        raise _Unsaturated


@dataclass
class _Replay:
    written: Written
    run: Callable[..., Any]
    wants: tuple[bool, ...]
    scalars: tuple[int, ...] = ()  # the gradients the code computes as numpy scalars (0-d)
    saturated: _Replay | None = None  # the form that runs where the check fails, once traced
    checks_back: bool = False  # (the saturated form) it checks that saturation remains
    stay: bool = False  # (the ordinary form) the last call ran the saturated one, which checks

    @functools.cached_property
    def updated(self) -> tuple[int, ...]:
        """The inputs a step made with sgd=True changes in place (those with a gradient)."""
        return tuple(i for i, want in enumerate(self.wants) if want)


class Traced:
    """A traced function: call it with new inputs of the same shapes and dtypes; a new
    signature (shapes, dtypes, number of inputs) traces ``fn`` again, one entry per
    signature. Which inputs get a gradient is fixed by the first trace."""

    def __init__(self, fn: Callable[..., Tensor], simplify: bool = False,
                 sgd: bool = False, buffers: bool = True) -> None:
        if not callable(fn):
            raise TypeError(f"tc.trace: fn must be a function of Tensors, got "
                            f"{type(fn).__name__}")
        self.fn, self.simplify, self.sgd, self.buffers = fn, simplify, sgd, buffers
        self.cache: dict[tuple[Any, ...], _Replay] = {}
        self._wants: tuple[bool, ...] | None = None
        self._last: _Replay | None = None

    @property
    def source(self) -> str:
        """The generated Python of the latest trace (or replay)."""
        if self._last is None:
            raise TraceError("tc.trace: nothing traced yet; call trace(*inputs) first")
        return self._last.written.source

    @property
    def executed_source(self) -> str:
        """The code that runs: :attr:`source` computed into reused buffers (``out=``)."""
        if self._last is None:
            raise TraceError("tc.trace: nothing traced yet; call trace(*inputs) first")
        return self._last.written.executed or self._last.written.source

    def trace(self, *inputs: Any) -> _Replay:
        values, wants, names = self._inputs(inputs)
        key = _signature(values)
        replay = _trace(self.fn, values, wants, names, self.simplify, self.sgd, self.buffers)
        self.cache[key], self._last = replay, replay
        return replay

    def _saturated(self, replay: _Replay, inputs: Sequence[Any]) -> _Replay:
        """The form of ``replay`` for where σ rounds some A to 0 or 1 (traced on first need):
        those elements' cost and dZ come from Z, as backward() computes them there."""
        if replay.saturated is None:
            values, wants, names = self._inputs(inputs)
            replay.saturated = _trace(self.fn, values, wants, names, self.simplify, self.sgd,
                                      self.buffers, saturated=True)
        return replay.saturated

    def source_for(self, *inputs: Any, executed: bool = False) -> str:
        """The generated Python for inputs shaped like these (traced now if not yet); with
        ``executed=True`` the code that runs (see :attr:`executed_source`)."""
        values, _, _ = self._inputs(inputs)
        replay = self.cache.get(_signature(values)) or self.trace(*inputs)
        written = replay.written
        return (written.executed or written.source) if executed else written.source

    def __call__(self, *inputs: Any, learning_rate: float | None = None
                 ) -> tuple[float, tuple[np.ndarray | None, ...]]:
        if self.sgd and type(learning_rate) is not float and (
                learning_rate is None or isinstance(learning_rate, bool)
                or not isinstance(learning_rate, (int, float, np.floating))):
            raise TypeError("tc.trace(..., sgd=True): call it with learning_rate=α, a number "
                            f"(got {learning_rate!r})")
        if not self.sgd and learning_rate is not None:
            raise TypeError("learning_rate= is for a trace made with sgd=True")
        values = [x._value if isinstance(x, Tensor) else np.asarray(x) for x in inputs]
        replay = self.cache.get(_signature(values))  # a signature seen before: floats, checked
        if replay is None:
            replay = self.trace(*inputs)
            values, _, _ = self._inputs(inputs)
        self._last = replay
        if self.sgd:
            values.append(float(learning_rate))  # type: ignore[arg-type]
        # both checks raise before anything is changed in place
        ordinary = replay
        if replay.stay and replay.saturated is not None:
            replay = replay.saturated  # it ran last, and checks that it still applies
        try:
            J, grads = replay.run(*values)
        except _Saturated:
            replay = self._saturated(ordinary, inputs)
            ordinary.stay = replay.checks_back
            J, grads = replay.run(*values)
        except _Unsaturated:
            replay, ordinary.stay = ordinary, False
            J, grads = replay.run(*values)
        if replay.scalars and not replay.written.scalar:  # 0-d gradients as 0-d arrays
            grads = tuple(np.asarray(g) if isinstance(g, np.generic) else g for g in grads)
        if self.sgd:
            for i in replay.updated:
                x = inputs[i]
                if isinstance(x, Tensor):
                    x._bump()  # changed in place, as the models' own step counts it
        return float(J) if type(J) is np.float64 else _number(J), grads

    def _inputs(self, inputs: Sequence[Any]) -> tuple[list[np.ndarray], tuple[bool, ...],
                                                       list[str | None]]:
        values, wants, names = [], [], []
        for i, x in enumerate(inputs):
            v = x._value if isinstance(x, Tensor) else np.asarray(x)
            if v.dtype.kind != "f":
                raise TypeError(
                    f"tc.trace: input {i} ({describe(x)}) has dtype {v.dtype}; a traced "
                    "function takes floating inputs (labels too: pass Y as floats)")
            values.append(v)
            wants.append(isinstance(x, Tensor) and x.requires_grad)
            names.append(x.name if isinstance(x, Tensor) else None)
        if self._wants is None:
            self._wants = tuple(wants)
        elif len(self._wants) != len(wants):
            # another number of inputs: a new signature, the new Tensors say what needs grad
            return values, tuple(wants), names
        return values, self._wants, names


def _number(J: Any) -> float:
    return float(J) if type(J) is np.float64 else float(np.asarray(J).reshape(()))


def _signature(values: list[np.ndarray]) -> tuple[Any, ...]:
    return tuple([(v.shape, v.dtype) for v in values])


# ---- the trace ------------------------------------------------------------------------------
class _Guard:
    """Raises where a traced function turns a value computed from its inputs into a Python
    value or a constant (the hooks are in tensor.py and the ops: ``_leak``)."""

    def __init__(self, inputs: list[Tensor], saturated_form: bool = False) -> None:
        self.inputs = set(inputs)
        self.known: dict[Tensor, bool] = {}
        # the form of binary_cross_entropy(σ(Z), Y) asked for (see ops/losses.py)
        self.saturated_form = saturated_form

    def depends(self, t: Tensor) -> bool:
        stack, seen, found = [t], set(), False
        while stack and not found:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            if x in self.inputs or self.known.get(x):
                found = True
            elif x not in self.known:
                stack.extend(p for p in x._inputs if isinstance(p, Tensor))
        if found:  # only t is known to depend: the walk stopped before seeing all of them
            self.known[t] = True
        else:      # a whole walk found no input: nothing it saw depends on one
            self.known.update(dict.fromkeys(seen, False))
        return found

    def __call__(self, t: Tensor, what: str) -> None:
        if self.depends(t):
            raise TraceError(
                f"tc.trace: {what} of {describe(t)}, which is computed from the traced "
                "inputs: the trace would keep its trace-time value and replay silently "
                "wrong on new inputs. Compute it outside the traced function (from the "
                "result, or on the inputs' values), or with the ops (tc.where(...) with a "
                "condition that is an input, tc.maximum, tc.relu, ...)")


def _parameter_names(fn: Callable[..., Any], n: int) -> list[str | None]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return [None] * n
    names: list[str | None] = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            break
    return (names + [None] * n)[:n]


def _trace(fn: Callable[..., Tensor], values: list[np.ndarray], wants: tuple[bool, ...],
           names: list[str | None], simplify: bool, sgd: bool = False,
           buffers: bool = True, saturated: bool = False) -> _Replay:
    params = _parameter_names(fn, len(values))
    ins = [Tensor(v, requires_grad=True, name=names[i] or params[i])
           for i, v in enumerate(values)]
    guard = _Guard(ins, saturated)
    previous = _tensor._TRACE.guard
    with _LOCK:
        _tensor._TRACING[0] += 1
    _tensor._TRACE.guard = guard
    try:
        with enable_grad():
            out = fn(*ins)
    finally:
        _tensor._TRACE.guard = previous
        with _LOCK:
            _tensor._TRACING[0] -= 1
    if not isinstance(out, Tensor):
        raise TraceError(f"tc.trace: the traced function returned {type(out).__name__}; it "
                         "must return a one-element Tensor (the cost J)")
    if out.size != 1:
        raise TraceError(f"tc.trace: the traced function returned {describe(out)}; it must "
                         "return a one-element Tensor (the cost J): reduce it, e.g. .sum()")
    if not guard.depends(out):
        raise TraceError("tc.trace: the result does not depend on the inputs (it is a "
                         "constant); pass the Tensors it is computed from as inputs")
    return _Builder(ins, wants, out, simplify, buffers, saturated).replay(sgd)


class _Block:
    """The lines of one node's backward (or the forward pass): a comment over them."""

    __slots__ = ("node", "forward", "note")

    def __init__(self, node: Tensor | None, forward: Expr | None, note: str = "") -> None:
        self.node, self.forward, self.note = node, forward, note


_FORWARD = _Block(None, None, "forward")


class _Builder:
    """Runs the ops' forward and VJPs on Syms, in the order of the forward and backward
    passes, and hands the program to the writer."""

    def __init__(self, ins: list[Tensor], wants: tuple[bool, ...], root: Tensor,
                 simplify: bool, buffers: bool = True, saturated: bool = False) -> None:
        self.ins, self.wants, self.root, self.simplify = ins, wants, root, simplify
        self.buffers, self.saturated = buffers, saturated
        self.in_set = set(ins)
        self.effects: list[Expr] = []
        self.order = topological_order([root])
        self.prog = Program()
        self.sym: dict[Tensor, Sym] = {}
        self.display = display_names(self.order, root)
        self.taken: set[str] = set()
        self.ids: dict[Tensor, str] = {}
        for t in self.order:
            self.ids[t] = self._identifier(self.display[id(t)], t)
        for t in ins:  # an input J does not use is still a parameter of the function
            if t not in self.ids:
                self.ids[t] = self._identifier(t.name or "x", t)

    def _identifier(self, name: str, t: Tensor) -> str:
        """The tensor's name if it passes the strict rule (else a generated one), unique."""
        base = name if is_name(name) else ("x" if t._op is None else "v")
        candidate, k = base, 1
        while candidate in self.taken or not is_name(candidate):
            k += 1
            candidate = f"{base}_{k}"
        self.taken.add(candidate)
        return candidate

    def _grad_name(self, t: Tensor) -> str:
        candidate, k = "d" + self.ids[t], 1
        while candidate in self.taken or not is_name(candidate):
            k += 1
            candidate = f"d{self.ids[t]}_{k}"
        self.taken.add(candidate)
        return candidate

    # ---- forward ---------------------------------------------------------------------------
    @functools.cached_property
    def checks_back(self) -> Tensor | None:
        """In the saturated form, the cost of σ whose saturation the code checks, so that a
        replay can go on with this form while it applies: the only such cost (with two, one
        may saturate while the other does not, and the ordinary form is always tried first)."""
        if not self.saturated:
            return None
        costs = [t for t in self.order if t._op is BCE and len(t._inputs) == 3
                 and isinstance(t._inputs[0], Tensor) and t._inputs[0]._op is SIGMOID]
        return costs[0] if len(costs) == 1 else None

    def forward(self) -> None:
        prog = self.prog
        prog.block = _FORWARD
        for t in self.ins:
            self.sym[t] = prog.arg(self.ids[t], t._value)
        assigned = {s.expr for s in self.sym.values()}
        for t in self.order:
            if t in self.sym:
                continue
            if t._op is None:
                if t.requires_grad and t not in self.in_set:
                    raise TraceError(
                        f"tc.trace: the traced function uses {describe(t)}, which requires "
                        "grad but is not one of its inputs: pass it as an input to get its "
                        "gradient (or .detach() it outside the function to use it as a "
                        "constant)")
                self.sym[t] = prog.const(t._value, self.ids[t])
                continue
            if isinstance(t._op, CustomOp):
                raise TraceError(
                    f"tc.trace: {describe(t)} is computed by the custom op {t._op.name}, whose "
                    "backward reads the cache its forward filled: a trace cannot replay that "
                    "yet. Trace a function without custom ops, or run it eagerly")
            a = t._inputs[0] if t._op is BCE else None
            if len(t._inputs) == 2 and isinstance(a, Tensor) and a._op is SIGMOID:
                self._check(t, a)  # before the logs, which have no floor (losses.py)
            elif t is self.checks_back:
                self._check(t, a, saturated=True)  # type: ignore[arg-type]
            args = [self._operand(x) for x in t._inputs]
            result = self._apply(t._op.forward, args, t._params, f"{t._op.name}_forward")
            prog.block = _FORWARD
            if result.expr in assigned:  # the op handed back its input: a name of its own
                result = self.prog.alias(result, None)
            assigned.add(result.expr)
            if t.name or t is self.root:
                result.expr.name = self.ids[t]
            elif result.expr.hint is None:
                result.expr.hint = self.ids[t]
            self.sym[t] = result

    def _check(self, node: Tensor, a: Tensor, saturated: bool = False) -> None:
        """The two-input cost of A = σ(Z), without the floors of its logs, holds where σ
        rounded no a to 0 or 1: a statement that checks it at run time, before the cost (the
        saturated form runs where it fails). ``saturated``: the saturated form's check that
        some a still is 0 or 1 (the ordinary form runs where it fails)."""
        self.prog.block = _Block(node, None, "recheck" if saturated else "check")
        check = _check_saturated if saturated else _check_unsaturated
        self.effects.append(self.prog.effect(check, check.__name__[1:], (self.sym[a],)))

    def _operand(self, x: Any) -> Any:
        if isinstance(x, Tensor):
            return self.sym[x]
        if isinstance(x, np.ndarray):
            return self.prog.const(x)
        return x

    def _apply(self, func: Callable[..., Any], args: Sequence[Any], params: dict[str, Any],
               hint: str) -> Sym:
        """func on Syms; what they cannot write becomes one call of func itself."""
        try:
            result = func(*args, **params)
        except Exception:  # noqa: BLE001  (NotSymbolic, or numpy refusing a Sym: call func)
            return self.prog.call(func, hint, tuple(args), params)
        if isinstance(result, Sym):
            return result
        if isinstance(result, (np.ndarray, np.generic, int, float)):
            return self.prog.const(np.asarray(result))
        return self.prog.call(func, hint, tuple(args), params)

    # ---- backward --------------------------------------------------------------------------
    def needs(self) -> set[Tensor]:
        wanted = {t for t, w in zip(self.ins, self.wants) if w}
        needs: set[Tensor] = set()
        for t in self.order:
            if t in wanted or any(isinstance(x, Tensor) and x in needs for x in t._inputs):
                needs.add(t)
        return needs

    def backward(self) -> dict[Tensor, Sym]:
        needs, prog = self.needs(), self.prog
        found: dict[Tensor, Sym] = {}
        if self.root not in needs:
            return found
        consumers: dict[Tensor, int] = {}
        for t in self.order:
            for x in t._inputs:
                if isinstance(x, Tensor):
                    consumers[x] = consumers.get(x, 0) + 1
        prog.block = _Block(self.root, self.sym[self.root].expr, "seed")
        seed = prog.ones(self.root.shape, self.root.dtype)
        seed.expr.name = self._grad_name(self.root)
        grads: dict[Tensor, Sym] = {self.root: seed}
        skip: set[Tensor] = set()
        for node in reversed(self.order):
            g = grads.pop(node, None)
            if g is None or node not in needs:
                continue
            if node in self.in_set:
                found[node] = g
                continue
            if g.expr.name is None and g.expr.form[0] not in ("arg", "const"):
                if node.name:
                    g.expr.name = self._grad_name(node)
                elif g.expr.hint is None:
                    g.expr.hint = "d" + self.ids[node]
            if node._op is None or node in skip:
                continue
            prog.block = _Block(node, self.sym[node].expr)
            rewritten = self.simplify and self._course_dz(node, g, needs, consumers, grads, skip)
            if rewritten:
                continue
            out = self.sym[node]
            args = [self._operand(x) for x in node._inputs]
            for i, x in enumerate(node._inputs):
                if not (isinstance(x, Tensor) and x in needs):
                    continue
                share = self._apply(node._op.vjps[i], [g, out, *args], node._params,
                                    f"{node._op.name}_vjp{i}")
                if share.shape != x.shape:
                    share = sum_to_shape(share, x.shape)
                prev = grads.get(x)
                grads[x] = share if prev is None else prev + share
        return found

    def _course_dz(self, node: Tensor, g: Sym, needs: set[Tensor],
                   consumers: dict[Tensor, int], grads: dict[Tensor, Sym],
                   skip: set[Tensor]) -> bool:
        """σ then the cross-entropy cost: dZ = dJ · (A − Y)/m in one line, the course's
        formula, instead of dA = (A − Y)/(A(1 − A))/m and dZ = dA · A(1 − A)."""
        if node._op is not BCE:
            return False
        a, y = node._inputs[0], node._inputs[1]
        if not (isinstance(a, Tensor) and a._op is SIGMOID and consumers.get(a) == 1
                and a not in self.in_set and not (isinstance(y, Tensor) and y in needs)):
            return False
        z = a._inputs[0]
        if not isinstance(z, Tensor) or z not in needs:
            return False
        m = a.shape[-1] if a.ndim else 1
        self.prog.block = _Block(node, self.sym[node].expr, "course")
        share = g * (self.sym[a] - self._operand(y)) / m
        prev = grads.get(z)
        grads[z] = share if prev is None else prev + share
        skip.add(a)
        return True

    # ---- the function ----------------------------------------------------------------------
    def replay(self, sgd: bool = False) -> _Replay:
        self.forward()
        found = self.backward()
        results: list[Expr | None] = [self.sym[self.root].expr]
        for t, want in zip(self.ins, self.wants):
            if not want:
                results.append(None)
                continue
            g = found.get(t)
            self.prog.block = None
            if g is None:  # J does not depend on it: zeros, as tc.grad(allow_unused=True)
                g = self.prog.record(("call", "np.zeros"), functools.partial(
                    np.zeros, t.shape, t.dtype), (tuple(t.shape),), {"dtype": t.dtype})
            if g.dtype != t.dtype:
                g = g.astype(t.dtype)
            value = g.expr.value
            if np.shape(value) != t.shape:
                raise AssertionError(f"trace: the gradient of {describe(t)} has shape "
                                     f"{np.shape(value)}")
            if isinstance(value, np.generic):
                pass  # a numpy scalar (0-d): the replay hands it out as a 0-d array
            elif g.expr.form[0] in ("arg", "const", "ones") or not value.flags.writeable or any(
                    np.may_share_memory(value, x._value) for x in self.ins):
                g = g.copy()  # the user's own array, a view of it or a read-only view
            expr = g.expr
            if expr.name is None and expr.hint is None:
                expr.name = self._grad_name(t)
            else:
                expr = self.prog.alias(g, self._grad_name(t)).expr
            results.append(expr)
        params = [self.sym[t].expr for t in self.ins]
        updates = [(self.sym[t].expr, g) for t, g in zip(self.ins, results[1:])
                   if g is not None] if sgd else None
        written = write(self.prog, "forward_backward", params, results, self._title, updates,
                        buffers=self.buffers, effects=self.effects)
        scalars = tuple(i for i, r in enumerate(results[1:])
                        if r is not None and isinstance(r.value, np.generic))
        return _Replay(written, written.compile(), self.wants, scalars,
                       checks_back=self.checks_back is not None)


    def _title(self, block: Any, line_of: Callable[[Expr], str]) -> str | None:
        """The comment over a block: "backward of Z1 = W1 @ X + b1" (the forward line, or the
        op with its operands' names when that line is long)."""
        if block is _FORWARD:
            return "forward"
        if isinstance(block, _Block) and block.note == "recheck":
            a = self.ids[block.node._inputs[0]]  # type: ignore[union-attr]
            return (f"the saturated form, where σ rounded some {a} to 0 or 1 (else the "
                    "ordinary form runs)")
        if isinstance(block, _Block) and block.note == "check":
            a = self.ids[block.node._inputs[0]]  # type: ignore[union-attr]
            return (f"the cost, as written where σ rounded no {a} to 0 or 1 (else the "
                    "saturated form runs)")
        if not isinstance(block, _Block) or block.forward is None or block.node is None:
            return None
        if block.note == "seed":
            return "backward: the seed dJ/dJ = 1"
        line = line_of(block.forward)
        if len(line) > 60 or re.search(r"\bt\d+\b", line.split(" = ", 1)[1]):
            node = block.node
            operands = ", ".join(self.ids[x] if isinstance(x, Tensor) else
                                 repr(x) if isinstance(x, (int, float)) else "…"
                                 for x in node._inputs)
            line = f"{self.ids[node]} = {node._op.name}({operands})"  # type: ignore[union-attr]
        if block.note == "course":
            a = block.node._inputs[0]
            z = self.ids[a._inputs[0]]
            return f"backward of {line} with {self.ids[a]} = σ({z}): d{z} = ({self.ids[a]} − Y)/m"
        return f"backward of {line}"

