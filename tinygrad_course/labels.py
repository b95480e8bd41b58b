"""How values and operations are written, shared by the pictures (:mod:`.viz`) and the steps
(:mod:`.stepper`): one naming rule and one number format, so a learner sees the same u, v,
dJ/du and ∂u/∂b in the graph and in the chain rule written out step by step.

Pure functions of tensors and numbers; nothing here computes a gradient except
:func:`local_derivative`, which asks the op's own VJP for ∂out/∂in at g = 1 (lesson 2.6's
"local derivative") when every operand is one element.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["layer_of", "num", "rows", "shape_text", "axes_text", "op_label", "display_names",
           "local_derivative", "derivative_formula", "grad_name", "gradient_note"]

GENERATED = ("u", "v", "p", "q", "r", "s", "t", "h", "k")  # not w, a, z, m: course names
_LAYER = re.compile(r"^(?:W|b|Z|A)\^?\[?([1-9]\d*)\]?$")  # W1, b1, Z1, A1 (or W[1]): layer 1
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def layer_of(name: str | None) -> int | None:
    """The layer l of a tensor named W{l}, b{l}, Z{l} or A{l} (l >= 1), else None."""
    m = _LAYER.match(name or "")
    return int(m.group(1)) if m else None


def num(x: Any, precision: int) -> str:
    """One number rounded to ``precision`` significant digits: 6, 0.2236, 1e-08, True."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (complex, np.complexfloating)):
        return f"{complex(x):.{precision}g}"
    x = float(x)
    return "0" if x == 0 else f"{x:.{precision}g}"


def rows(a: Any, precision: int) -> list[str]:
    """A small array as text lines: a scalar, one line per row of a matrix, and a column
    such as b^[l] (n, 1) on one line, transposed: [0.1, 0.2]ᵀ."""
    a = np.asarray(a)
    if a.ndim == 0:
        return [num(a.item(), precision)]
    if a.size == 0:
        return ["[]"]
    if a.ndim == 2 and a.shape[1] == 1 < a.shape[0]:
        return ["[" + ", ".join(num(x, precision) for x in a[:, 0]) + "]ᵀ"]
    lines = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(1, -1)
    return ["[" + ", ".join(num(x, precision) for x in row) + "]" for row in lines]


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python writes it: (4, 400), (3,), ()."""
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def axes_text(axes: tuple[int, ...]) -> str:
    """The axes of a sum: axis=1, or axis=(0, 1)."""
    return f"axis={axes[0]}" if len(axes) == 1 else f"axis={axes}"


def op_label(t: Tensor) -> str:
    """How t's op is drawn: *, +, @, σ, Σ axis=1, ** 2, reshape (4, 1), ...; "" on a leaf."""
    op, p = t._op, t._params
    if op is None:
        return ""
    extra = ""
    if op.name in ("sum", "mean") and p.get("axis") is not None:
        axis = p["axis"]
        extra = f" axis={axis}" if isinstance(axis, (int, np.integer)) else f" axis={tuple(axis)}"
    elif op.name == "pow":
        extra = f" {num(p['p'], 4)}"
    elif op.name == "leaky_relu" and p.get("slope", 0.01) != 0.01:
        extra = f" slope={num(p['slope'], 4)}"
    elif op.name in ("reshape", "broadcast_to"):
        extra = " " + shape_text(tuple(p["shape"]))
    elif op.name == "clip":
        extra = f" [{p.get('lo')}, {p.get('hi')}]"
    elif op.name == "transpose" and p.get("axes") is not None:
        extra = f" {tuple(p['axes'])}"
    return op.label + extra


def display_names(order: list[Tensor], root: Tensor, j: bool = True) -> dict[int, str]:
    """Each tensor's name, or a generated one that no named tensor of the graph uses: J for
    an unnamed root (unless ``j=False``: pictures keep J for a root backward could start
    from), u, v, p, q, ... for results (as in the lecture), x1, x2, ... for leaves.
    Keyed by id(tensor); ``order`` is the graph in topological order."""
    taken = {t.name for t in order if t.name}
    results = (f"{s}{k or ''}" for k in range(len(order) + 1) for s in GENERATED)
    leaves = (f"x{k}" for k in range(1, 2 * len(order) + 2))
    names = {}
    for t in order:
        if t.name:
            names[id(t)] = t.name
            continue
        if t is root and j and "J" not in taken:
            names[id(t)] = "J"
            continue
        fresh = leaves if t._op is None else results
        name = next(fresh)
        while name in taken:
            name = next(fresh)
        names[id(t)] = name
    return names


def grad_name(t: Tensor, name: str, root: Tensor | None = None,
              root_name: str | None = None) -> str:
    """What ``t.grad`` is, written for a picture of ``t`` named ``name``: "dJ/da" where J is
    the tensor the backward pass that stored it ran from (its name then; J if unnamed), or
    ``root_name`` when that pass ran from ``root``, the tensor being drawn. Gradients summed
    over passes say so ("dJ/da + dK/da", "dJ/da, summed over 2 passes"); a ``.grad`` that no
    backward stored (assigned by hand) is just "a.grad"."""
    record = getattr(t, "_grad_of", None)
    if t.grad is None or record is None or record[1] is not t.grad:
        return f"{name}.grad"
    run = record[0]
    if (root is not None and root_name is not None and run.root_id == id(root)
            and getattr(root, "_grad_of", (None,))[0] is run):  # the pass ran from root
        return f"d{root_name}/d{name}"
    if "" in run.names:  # a pass summed onto a .grad that no backward stored
        return f"{name}.grad"
    tops = list(dict.fromkeys(n or "J" for n in run.names))
    if len(tops) == 1:
        more = f", summed over {run.passes} passes" if run.passes > 1 else ""
        return f"d{tops[0]}/d{name}{more}"
    more = f" ({run.passes} passes)" if run.passes > len(tops) else ""
    cut = " + …" if len(tops) >= run.MAX_NAMES and run.passes > len(tops) else ""
    return " + ".join(f"d{n}/d{name}" for n in tops) + cut + more


def gradient_note(root: Tensor, name: str, order: list[Tensor]) -> str | None:
    """What a picture of ``root`` (named ``name``; ``order`` its graph) says when no tensor of
    it has a gradient, or None when there is nothing true to say: a data tensor (nothing in
    its graph requires grad) has no gradients to wait for."""
    if root._op is None and not root.requires_grad and getattr(root, "_unrecorded", False):
        return ("computed under no_grad: nothing was recorded, so there is no graph "
                "and no gradient")
    if not any(t.requires_grad for t in order):
        return None
    if root._op is None:  # a parameter: its .grad comes from a backward through it
        return (f"no gradient yet: {name}.grad is filled by backward() from a result "
                f"computed from {name}")
    if root.size == 1:
        return f"gradients not computed yet: call {name}.backward() to see them"
    return (f"gradients not computed yet: {name} has {root.size} elements, so call "
            f"{name}.backward(grad) with a seed of shape {shape_text(root.shape)}")


def local_derivative(t: Tensor, i: int, names: dict[int, str], precision: int) -> str:
    """∂t/∂(input i): a number when every value is a scalar (the VJP at g = 1), else the
    op's formula with the operands' names filled in ("∂u/∂b = 2", "∂A1/∂Z1 = 1−a²"); a VJP
    written in the course's notation names the gradients instead ("dW1 = du·Xᵀ")."""
    op, x = t._op, t._inputs[i]
    if op is None:
        return ""
    head = f"∂{names[id(t)]}/∂{names[id(x)]} = "
    args = t._saved if t._saved is not None else tuple(_data(y) for y in t._inputs)
    if t.size == 1 and all(np.size(a) == 1 for a in args):
        try:
            with np.errstate(all="ignore"):
                value = op.vjps[i](np.ones_like(t.data), t.data, *args, **t._params)
            return head + num(np.asarray(value).item(), precision)
        except (ArithmeticError, ValueError, TypeError):
            pass
    formula = derivative_formula(t, i, names, precision)
    if "dZ" in formula:  # a VJP in the course's notation, dW = dZ·Xᵀ: name the gradients
        return f"d{names[id(x)]} = " + formula.replace("dZ", f"d{names[id(t)]}")
    return head + formula


def derivative_formula(t: Tensor, i: int, names: dict[int, str], precision: int) -> str:
    """The op's formula for ∂t/∂(input i) with the operands' names and the params filled in:
    "{1}" of mul becomes "c", "dZ·{1}ᵀ" of matmul "dZ·Xᵀ" (dZ: the gradient arriving at t)."""
    op = t._op
    if op is None:
        return ""
    operands = [names.get(id(y), "·") if isinstance(y, Tensor)
                else num(y, precision) if np.size(y) == 1 else "array"
                for y in t._inputs]

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key.isdigit() and int(key) < len(operands):
            return operands[int(key)]
        return num(t._params[key], 4) if key in t._params else m.group(0)

    return _PLACEHOLDER.sub(fill, op.derivs[i])


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x
