"""The backward pass, step by step, as data (lessons 2.5-2.6: J = 3(a + bc) by hand).

``backward_steps(J)`` walks J's recorded graph as ``backward()`` does and keeps every number
it meets: first the forward pass, node by node; then the seed dJ/dJ = 1; then, for each node
in the order backward visits it and each input that needs a gradient, the chain rule

    dJ/d(input) += dJ/d(out) · ∂out/∂input      (then Σ over broadcast axes, db = Σ_i dZ(:, i))

with the upstream gradient, the local derivative, the share, the broadcast sum and, at fan-in,
the accumulation before + share = after. The shares come from the engine's own VJPs and
``ops.sum_to_shape``, never from a second copy of a derivative, and no ``.grad`` is touched.

Two halves, kept apart: :func:`_walk` computes the records (arrays, indices), and the
writers at the bottom turn them into the JSON contract of docs/stepping.md ("JSON fields"),
with every text written by :mod:`.labels`' functions, the ones the pictures use.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .autograd import _check_versions, _seed, _store, start_run
from .graph import needs_grad, topological_order
from .labels import (
    derivative_formula,
    display_names,
    layer_of,
    local_derivative,
    num,
    op_label,
    rows,
    shape_text,
)
from .ops import broadcast_axes, describe, sum_to_shape
from .tensor import _CLOCK, Tensor

__all__ = ["Steps", "backward_steps", "FORMAT"]

FORMAT = "tinygrad_course.steps/1"
_INFIX = {"+": "+", "−": "−", "*": "·", "/": "/", "@": "@", "**": "**"}
_NETWORK = ("X", "A0")          # the input layer: dX, dA0 as the course writes them
_WEEK2 = ("w", "b", "Z", "A")   # logistic regression's vectorised names: dw, db, dZ, dA
_REPR_ROWS = 60                 # longer tables keep their first and last 30 steps


# ---- the records: numbers only --------------------------------------------------------------
@dataclass(frozen=True)
class ForwardRecord:
    """A result computed: tensors[tensor] = op(inputs), its value."""

    tensor: int
    value: np.ndarray


@dataclass(frozen=True)
class SeedRecord:
    """The start of the backward pass: dJ/dJ = 1."""

    tensor: int
    grad: np.ndarray


@dataclass(frozen=True)
class BackwardRecord:
    """One share: tensors[tensor]'s op hands ``contribution`` to its operand ``position``
    (tensors[input]). ``raw`` is the VJP's output before the broadcast sum over ``axes``
    (None when no sum was needed); ``before`` is the input's gradient so far (None at its
    first share) and ``after`` = before + contribution."""

    tensor: int
    input: int
    position: int
    upstream: np.ndarray
    local: np.ndarray | None
    raw: np.ndarray
    axes: tuple[int, ...] | None
    contribution: np.ndarray
    before: np.ndarray | None
    after: np.ndarray
    final: bool


Record = ForwardRecord | SeedRecord | BackwardRecord


def backward_steps(root: Tensor, max_elements: int = 6, precision: int = 4,
                   write_grads: bool = False) -> Steps:
    """The forward and backward passes of ``root``'s graph, one step per value and per share.

    ``root`` must be one element and require grad (backward's seed is dJ/dJ = 1). Values with
    at most ``max_elements`` elements are written out in the JSON (rounded to ``precision``
    significant digits in texts); larger ones by their norm ‖x‖. Every ``.grad`` stays as it
    was unless ``write_grads=True``, which then adds the final gradients into the leaves'
    (and retained results') ``.grad`` as ``backward()`` does. Saved values are kept, so
    ``backward()`` can still run afterwards.
    """
    seed = _seed(root, None, "backward_steps")  # backward()'s checks, in the same words
    order = topological_order([root])
    records = _walk(root, seed, order, write_grads)
    return Steps(root, order, records, max_elements, precision)


def _walk(root: Tensor, seed: np.ndarray, order: list[Tensor],
          write_grads: bool) -> list[Record]:
    """backward()'s walk (autograd._backprop), keeping every number instead of only the sums."""
    index = {id(t): k for k, t in enumerate(order)}
    records: list[Record] = [ForwardRecord(index[id(t)], t._value) for t in order
                             if t._op is not None]
    visit = list(reversed(topological_order([root], follow=needs_grad)))
    for node in visit:
        if node._op is not None and node._saved is None:
            raise RuntimeError(
                f"backward_steps through {describe(node)} ({node._op.name}): its saved values "
                "were released by a backward() run before (as a second backward would say); "
                "call backward(retain_graph=True) the first time to keep them, or build the "
                "graph again")
    shares = dict.fromkeys(map(id, visit), 0)  # how many shares each tensor will receive
    for node in visit:
        for x in node._inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                shares[id(x)] += 1
    records.append(SeedRecord(index[id(root)], seed))
    grads: dict[int, np.ndarray] = {id(root): seed}
    run = start_run(root) if write_grads else None
    now = _CLOCK[0]
    for node in visit:
        g = grads[id(node)]
        if run is not None and (node._op is None or node._retain):
            _store(node, g, run)
        op = node._op
        if op is None:
            continue
        if node._epoch < now:
            _check_versions(node, node._epoch)  # the in-place check, as backward makes it
        args: tuple[Any, ...] = node._saved or ()  # checked above: never released here
        params = node._params
        small = node.size == 1 and all(np.size(a) == 1 for a in args)
        for i, x in enumerate(node._inputs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            raw = np.asarray(op.vjps[i](g, node._value, *args, **params))
            shape = x._value.shape
            axes = None
            contribution = raw
            if raw.shape != shape:
                contribution = np.asarray(sum_to_shape(raw, shape))
                axes = broadcast_axes(shape, raw.shape) if raw.ndim >= len(shape) else ()
            local = None
            if small:
                with np.errstate(all="ignore"):
                    local = np.asarray(op.vjps[i](np.ones_like(node._value), node._value,
                                                  *args, **params))
            before = grads.get(id(x))
            after = contribution if before is None else np.asarray(before + contribution)
            grads[id(x)] = after
            shares[id(x)] -= 1
            records.append(BackwardRecord(
                index[id(node)], index[id(x)], i, g, local, raw, axes, contribution,
                before, after, shares[id(x)] == 0))
    return records


# ---- the steps: records plus the writers ----------------------------------------------------
class Steps:
    """The steps of one backward pass: ``len(steps)``, ``steps[k]`` (a step as a dict of the
    JSON contract), iteration, ``to_dict()``, ``to_json()``; ``records`` holds the same steps
    with full-precision arrays and ``tensors`` the graph's tensors in index order."""

    def __init__(self, root: Tensor, order: list[Tensor], records: list[Record],
                 max_elements: int, precision: int) -> None:
        self.root, self.tensors, self.records = root, order, records
        self.max_elements, self.precision = max_elements, precision
        self.names = display_names(order, root)
        self._dict: dict[str, Any] | None = None

    # ---- the sequence protocol ----
    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, k: int) -> dict[str, Any]:
        return self.to_dict()["steps"][k]  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_dict()["steps"])

    def to_dict(self) -> dict[str, Any]:
        """The steps as plain Python (dicts, lists, str, int, float, bool, None)."""
        if self._dict is None:
            self._dict = _Writer(self).document()
        return self._dict

    def to_json(self, indent: int | None = None) -> str:
        """The steps as a JSON string (format "tinygrad_course.steps/1")."""
        return json.dumps(self.to_dict(), ensure_ascii=False, allow_nan=False, indent=indent)

    def __repr__(self) -> str:
        steps = self.to_dict()["steps"]
        lines = [f"{s['index']:>4}  {s['phase']:<8}  {s['text']}" for s in steps]
        if len(lines) > _REPR_ROWS:
            half = _REPR_ROWS // 2
            lines = lines[:half] + [f"         … {len(lines) - 2 * half} steps …"] + lines[-half:]
        counts = {p: sum(s["phase"] == p for s in steps) for p in ("forward", "backward")}
        head = (f"Steps of {self.names[id(self.root)]}: {counts['forward']} forward, 1 seed, "
                f"{counts['backward']} backward")
        return "\n".join([head, f"{'step':>4}  {'phase':<8}  text", *lines])


class _Writer:
    """Turns the records into the JSON contract's dicts; all the text is written here."""

    def __init__(self, steps: Steps) -> None:
        self.s = steps
        self.index = {id(t): k for k, t in enumerate(steps.tensors)}
        self.flows = {r.input for r in steps.records if isinstance(r, BackwardRecord)}
        self.flows |= {r.tensor for r in steps.records if isinstance(r, SeedRecord)}

    # ---- names ----
    def name(self, k: int) -> str:
        return self.s.names[id(self.s.tensors[k])]

    def grad_name(self, k: int) -> str:
        """dZ1, dW1, db1, dA1 (and dw, db, dZ, dA of logistic regression) for a network's
        tensors, dJ/da for every other one."""
        name, t = self.name(k), self.s.tensors[k]
        if layer_of(name) is not None or name in _NETWORK or (name in _WEEK2 and t.ndim):
            return "d" + name
        return f"d{self.name(self.index[id(self.s.root)])}/d{name}"

    def array(self, a: Any) -> dict[str, Any]:
        """ARRAY: shape, dtype, the values when small, the norm, a short text."""
        a = np.asarray(a)
        shown = a.size <= self.s.max_elements
        norm = float(np.linalg.norm(a.astype(np.float64) if a.dtype.kind in "biu" else a))
        text = (" ".join(rows(a, self.s.precision)) if shown
                else f"‖·‖ = {num(norm, self.s.precision)}")
        return {"shape": list(a.shape), "dtype": str(a.dtype),
                "value": _plain(a.tolist()) if shown else None,
                "norm": _plain(norm), "text": text}

    def one(self, a: Any) -> str:
        """A one-element value as one number: 6, 0.2236."""
        return num(np.asarray(a).item(), self.s.precision)

    # ---- the document ----
    def document(self) -> dict[str, Any]:
        root = self.index[id(self.s.root)]
        return {"format": FORMAT, "root": root, "root_name": self.name(root),
                "tensors": [self.tensor(k, t) for k, t in enumerate(self.s.tensors)],
                "steps": [self.step(n, r) for n, r in enumerate(self.s.records)]}

    def tensor(self, k: int, t: Tensor) -> dict[str, Any]:
        inputs = [{"tensor": self.index[id(x)]} if isinstance(x, Tensor)
                  else {"const": self.const(x)} for x in t._inputs]
        kind = "result" if t._op is not None else "param" if t.requires_grad else "data"
        return {"index": k, "name": self.name(k), "kind": kind,
                "op": op_label(t) if t._op is not None else None,
                "op_name": t._op.name if t._op is not None else None,
                "inputs": inputs, "shape": list(t.shape), "requires_grad": t.requires_grad,
                "grad_name": self.grad_name(k) if k in self.flows else None,
                "value": self.array(t._value)}

    def const(self, x: Any) -> str:
        a = np.asarray(x)
        return (" ".join(rows(a, self.s.precision)) if a.size <= self.s.max_elements
                else f"array {shape_text(a.shape)}")

    def step(self, n: int, r: Record) -> dict[str, Any]:
        if isinstance(r, ForwardRecord):
            return {"index": n, "phase": "forward", "tensor": r.tensor,
                    "text": self.forward_text(r.tensor), "value": self.array(r.value)}
        if isinstance(r, SeedRecord):
            return {"index": n, "phase": "seed", "tensor": r.tensor,
                    "text": f"{self.grad_name(r.tensor)} = {self.one(r.grad)}",
                    "grad": self.array(r.grad)}
        return self.backward_step(n, r)

    def forward_text(self, k: int) -> str:
        """"u = b · c = 3 · 2 = 6" when every operand is one element, else
        "u = W1 @ X : (4, 400)"."""
        t = self.s.tensors[k]
        names = [self.name(self.index[id(x)]) if isinstance(x, Tensor) else self.const(x)
                 for x in t._inputs]
        head = f"{self.name(k)} = {self.expression(t, names)}"
        values = [x._value if isinstance(x, Tensor) else x for x in t._inputs]
        if t.size == 1 and all(np.size(v) == 1 for v in values):
            shown = self.expression(t, [self.one(v) for v in values])
            return f"{head} = {shown} = {self.one(t._value)}"
        return f"{head} : {shape_text(t.shape)}"

    def expression(self, t: Tensor, operands: list[str]) -> str:
        """The op applied to its operands' texts: "b · c", "−u", "x ** 2", "wᵀ", "L(A2, Y)",
        "Σ(v, axis=1)"; a negative number after an operator gets parentheses."""
        op = t._op
        if op is None:
            return operands[0] if operands else ""
        if op.name == "pow":
            return f"{_paren(operands[0])} ** {num(t._params['p'], self.s.precision)}"
        if op.name == "neg":
            return f"−{_paren(operands[0])}"
        if op.name == "transpose" and t._params.get("axes") is None:
            return f"{_paren(operands[0])}ᵀ"
        if len(operands) == 2 and op.label in _INFIX:
            return f"{operands[0]} {_INFIX[op.label]} {_paren(operands[1])}"
        label, extra = op.label, op_label(t)[len(op.label):].strip()
        if label.endswith(")") and "(" in label:  # L(a, y): the cost, with its own operands
            label = label[:label.index("(")]
        return f"{label}({', '.join(operands + ([extra] if extra else []))})"

    def backward_step(self, n: int, r: BackwardRecord) -> dict[str, Any]:
        node = self.s.tensors[r.tensor]
        names, precision = self.s.names, self.s.precision
        up, me = self.grad_name(r.tensor), self.grad_name(r.input)
        total = None
        if r.axes is not None:
            total = {"axes": list(r.axes), "before": list(r.raw.shape),
                     "after": list(r.contribution.shape),
                     "text": f"{me} = {self.summed(self.share(r, up), r)} : "
                             f"{shape_text(r.raw.shape)} → {shape_text(r.contribution.shape)}"}
        return {"index": n, "phase": "backward", "tensor": r.tensor, "input": r.input,
                "position": r.position,
                "upstream": {"name": up, "value": self.array(r.upstream)},
                "local": {"formula": local_derivative(node, r.position, names, precision),
                          "value": self.array(r.local) if r.local is not None else None},
                "contribution": {"name": me, "value": self.array(r.contribution)},
                "sum": total,
                "accumulate": None if r.before is None else {
                    "before": self.array(r.before), "after": self.array(r.after)},
                "grad": {"name": me, "value": self.array(r.after)},
                "final": r.final, "text": self.backward_text(r, up, me)}

    def partial(self, r: BackwardRecord) -> str:
        return f"∂{self.name(r.tensor)}/∂{self.name(r.input)}"

    def share(self, r: BackwardRecord, up: str) -> str:
        """The chain rule's product with names: "dZ1 · ∂A1/∂Z1", "du · Xᵀ", or "dZ1" where
        the local derivative is 1 (the two sides of a +)."""
        node = self.s.tensors[r.tensor]
        formula = derivative_formula(node, r.position, self.s.names, self.s.precision)
        if "dZ" in formula:  # the op's VJP is written in the course's notation: dZ·Xᵀ
            return formula.replace("·", " · ").replace("dZ", up)
        return up if formula == "1" else f"{up} · {self.partial(r)}"

    def summed(self, term: str, r: BackwardRecord) -> str:
        """Σ over the broadcast axes: "Σ_i dZ1(:, i)" for a column b (n, 1), as the course
        writes db^[l]."""
        axes = r.axes or ()
        wrapped = term if " " not in term else f"({term})"
        if r.raw.ndim == 2 and r.contribution.ndim == 2 and axes == (1,):
            return f"Σ_i {wrapped}(:, i)"
        if r.raw.ndim == 2 and r.contribution.ndim == 2 and axes == (0,):
            return f"Σ_k {wrapped}(k, :)"
        return f"Σ axis={axes[0] if len(axes) == 1 else axes} {wrapped}"

    def backward_text(self, r: BackwardRecord, up: str, me: str) -> str:
        """"dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6" for scalars (with "+=" and the sum at fan-in);
        "dW1 = du · Xᵀ : (4, 2) = (4, 400) · (400, 2)" for arrays."""
        eq = "=" if r.before is None else "+="
        if r.local is not None:
            text = (f"{me} {eq} {up} · {self.partial(r)} = {self.one(r.upstream)} · "
                    f"{_paren(self.one(r.local))} = {self.one(r.contribution)}")
            if r.before is not None:
                text += (f"; {me} = {self.one(r.before)} + {_paren(self.one(r.contribution))}"
                         f" = {self.one(r.after)}")
            return text
        term = self.share(r, up)
        if r.axes is not None:
            return (f"{me} {eq} {self.summed(term, r)} : {shape_text(r.raw.shape)} → "
                    f"{shape_text(r.contribution.shape)}")
        text = f"{me} {eq} {term} : {shape_text(r.contribution.shape)}"
        node = self.s.tensors[r.tensor]
        if node._op is not None and node._op.name == "matmul":
            other = node._inputs[1 - r.position]
            g, o = r.upstream.shape, np.shape(other._value if isinstance(other, Tensor)
                                              else other)
            if len(g) == 2 and len(o) == 2:
                pair = (g, o[::-1]) if r.position == 0 else (o[::-1], g)
                text += f" = {shape_text(pair[0])} · {shape_text(pair[1])}"
        return text


def _paren(text: str) -> str:
    """-0.5 as (-0.5) where it follows an operator: 3 · (-0.5), not 3 · -0.5."""
    return f"({text})" if text.startswith("-") else text


def _plain(x: Any) -> Any:
    """JSON-safe: NaN and ±inf as the strings "nan", "inf", "-inf"; complex as text."""
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, complex):
        return str(x)
    return x
