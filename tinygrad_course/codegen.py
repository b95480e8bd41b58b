"""The writer of generated code: a :class:`~.symbolic.Program` written out as one Python
function of straight-line numpy, and compiled.

It holds no maths: every line is an expression the ops' own forward and VJPs computed (see
:mod:`.symbolic`). A value used once is written inside the line that uses it
(``Z1 = W1 @ X + b1``); a value used twice, a named one (Z1, dZ1) and a result get a line of
their own. Nothing a user typed becomes code: names were checked by the tracer, numbers are
written with ``repr``, and every other value (an array, an index, a function) is read from the
function's namespace under a generated name.

The same program is written twice. :attr:`Written.source` is the one to read; the one that
runs, :attr:`Written.executed`, computes every intermediate array into a buffer allocated on
the first call and reused (``np.tanh(Z1, out=buf[3])``): each line is one numpy call, and a
buffer whose value is no longer needed takes the next value of its shape and dtype. The
arrays the function hands out (J, the gradients) are never buffers, so a caller keeping
them across calls keeps its values. A program whose every value is a 0-d float64 (a graph of
scalars, micrograd's kind) runs on Python floats instead, with numpy's ufuncs on floats: the
same numbers, without an array per value; where floats and numpy would differ (x / 0, an
overflow, anything numpy warns about) the numpy function runs.
"""

from __future__ import annotations

import collections
import keyword
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .symbolic import INFIX, PREC_ADD, PREC_CMP, PREC_PRIMARY, PREC_UNARY, UNARY, Expr, Program

__all__ = ["Written", "write", "is_name"]

_ATOM = 16
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_,.\->* ]{0,64}")  # einsum subscripts, errstate words
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_PLACEHOLDER = "t00"  # as long as the t1, t2, ... given once the lines are split
LINE = 88  # the longest line the writer leaves as it is
DEPTH = 12  # the deepest a value is written inside another line
RESERVED = frozenset({"np", "None", "True", "False", "float", "int", "len", "range", "print",
                      "learning_rate", "forward_backward", "buf", "buffers"})
# the ufunc an infix or unary form calls, by its numpy name (for out=)
_INFIX_UFUNC = {op: f"np.{u.__name__}" for u, (op, _) in INFIX.items()}
_UNARY_UFUNC = {op: f"np.{u.__name__}" for u, op in UNARY.items()}
# calls that always return a new array, never a view of an operand
_FRESH_CALLS = frozenset({
    "np.sum", "np.mean", "np.max", "np.min", "np.amax", "np.amin", "np.prod", "np.var",
    "np.std", "np.where", "np.cumsum", "np.concatenate", "np.stack", "np.tensordot", "np.dot",
    "np.outer", "np.clip", "np.repeat", "np.tile", "np.pad", "np.sort", "np.zeros",
    "np.zeros_like", "np.ones_like", "np.full_like", "np.argmax", "np.argmin"})
_FRESH_METHODS = frozenset({"sum", "mean", "max", "min", "prod", "cumsum", "var", "std",
                            "clip", "dot", "repeat", "copy", "flatten", "argmax", "argmin"})


def is_name(text: str) -> bool:
    """The strict rule for a name to become an identifier of generated code: letters, digits
    and _, not starting with a digit, at most 40 characters, not a Python keyword nor one of
    the names the code itself uses (np, ...)."""
    return bool(_NAME.fullmatch(text)) and not keyword.iskeyword(text) and text not in RESERVED


@dataclass(frozen=True)
class Written:
    """The generated function: the source to read, the source that runs (the same lines,
    computed into reused buffers) and the namespaces they run in."""

    source: str
    namespace: dict[str, Any]
    name: str
    executed: str = ""
    executed_namespace: dict[str, Any] | None = None
    scalar: bool = False  # executed runs on Python floats (every value is a 0-d float64)

    def compile(self, filename: str = "<tinygrad_course.trace>") -> Callable[..., Any]:
        """The function of :attr:`executed` (of :attr:`source` when only it was written)."""
        if not self.executed:
            return _compiled(self.source, self.namespace, self.name, filename)
        fast = _compiled(self.executed, self.executed_namespace or {}, self.name, filename)
        if not self.scalar:
            return fast
        return _on_floats(fast, _compiled(self.source, self.namespace, self.name, filename))


def _compiled(text: str, namespace: dict[str, Any], name: str,
              filename: str) -> Callable[..., Any]:
    code = compile(text, filename, "exec")
    scope = dict(namespace)
    exec(code, scope)  # noqa: S102  (the engine's own text; see the module docstring)
    return scope[name]  # type: ignore[no-any-return]


def _on_floats(fast: Callable[..., Any], exact: Callable[..., Any]) -> Callable[..., Any]:
    """``fast`` on Python floats, its results as 0-d arrays. Where Python's floats and
    numpy's differ (x / 0 raises ZeroDivisionError, an overflow raises OverflowError or
    gives inf without numpy's warning) or a numpy ufunc would warn, the numpy function
    ``exact`` runs instead, warnings and all."""
    isfinite, errstate = math.isfinite, np.errstate

    def run(*args: Any) -> tuple[Any, tuple[Any, ...]]:
        try:
            with errstate(all="raise"):  # a warning numpy would give: the numpy function's
                J, grads = fast(*map(float, args))
            if not (isfinite(J) and all(g is None or isfinite(g) for g in grads)):
                raise ArithmeticError
        except ArithmeticError:  # (FloatingPointError too)
            J, grads = exact(*args)
        return J, tuple(None if g is None else np.asarray(g, dtype=np.float64) for g in grads)
    return run


class Buffers:
    """The arrays a buffered function computes into: allocated on its first call in each
    thread (two threads never share one), shaped, typed and laid out like the trace's."""

    def __init__(self, examples: list[np.ndarray]) -> None:
        self.examples = examples
        self._local = threading.local()

    def __call__(self) -> list[np.ndarray]:
        arrays: list[np.ndarray] | None = getattr(self._local, "arrays", None)
        if arrays is None:
            arrays = self._local.arrays = [np.empty_like(e) for e in self.examples]
        return arrays


def write(program: Program, name: str, params: list[Expr], results: list[Expr | None],
          block_title: Callable[[Any, Callable[[Expr], str]], str | None],
          updates: list[tuple[Expr, Expr]] | None = None, buffers: bool = False,
          effects: list[Expr] | None = None) -> Written:
    """``def name(*params): ...; return results[0], (results[1], ...)``.

    ``block_title(block, line_of)`` gives the comment over the lines of one block (the
    tracer's "backward of Z1 = W1 @ X + b1"); ``line_of(expr)`` is the written line that
    computes expr. With ``updates`` [(W1, dW1), ...] the function takes a last argument
    ``learning_rate`` and ends with gradient descent in place, ``W1 -= learning_rate * dW1``.
    With ``buffers`` the function also comes in its buffered form (:attr:`Written.executed`).
    ``effects`` are calls written as statements of their own, where they were recorded (a
    check that raises)."""
    readable = _Writer(program, params, results, block_title, effects=effects).function(
        name, updates)
    if not buffers:
        return readable
    scalar = not updates and not effects and _on_scalars(params, results)
    fast = _Writer(program, params, results, block_title, buffers=not scalar,
                   effects=effects, scalars=scalar).function(name, updates)
    return Written(readable.source, readable.namespace, name, fast.source, fast.namespace,
                   scalar)


class _Writer:
    def __init__(self, program: Program, params: list[Expr], results: list[Expr | None],
                 block_title: Callable[[Any, Callable[[Expr], str]], str | None],
                 buffers: bool = False, effects: list[Expr] | None = None,
                 scalars: bool = False) -> None:
        self.params, self.results, self.block_title = params, results, block_title
        self.buffers, self.effects, self.scalars = buffers, set(effects or ()), scalars
        self.base = set(program.base_errstate)
        self.reachable = _reachable([r for r in results if r is not None] + list(self.effects))
        self.uses: dict[Expr, int] = {}
        for e in self.reachable:
            for child in _children(e):
                self.uses[child] = self.uses.get(child, 0) + 1
        for r in results:
            if r is not None:
                self.uses[r] = self.uses.get(r, 0) + 2
        self.own_line = {e for e in self.reachable if self._needs_line(e)} | self.effects
        for e in self.reachable:  # a different numpy errstate: a line (and a `with`) of its own
            for child in _children(e):
                if child.errstate != e.errstate and child.form[0] not in ("arg", "const"):
                    self.own_line.add(child)
        if buffers:  # one numpy call a line, so that each can take an out=
            self.own_line |= {e for e in self.reachable
                              if e.form[0] not in ("arg", "const", "alias")}
        self._cap_depth()
        self.taken = {e.name for e in program.exprs if e.name} | set(RESERVED)
        self.names: dict[Expr, str] = {}
        self.namespace: dict[str, Any] = {"np": np}
        self._by_id: dict[int, str] = {}
        self._fresh = (f"t{k}" for k in range(1, 10**9))
        for e in sorted(self.reachable, key=lambda e: e.serial):
            if (e in self.own_line or e.form[0] in ("arg", "const")) and e not in self.effects:
                self.names[e] = self._name_for(e, fresh=False)
        if not buffers:
            self._split_long_lines()
        for e in sorted(self.names, key=lambda e: e.serial):  # t1, t2, ... in the code's order
            if self.names[e] == _PLACEHOLDER:
                self.names[e] = self._name_for(e)
        self.home: dict[Expr, Expr] = {}
        for e in sorted(self.reachable, key=lambda e: -e.serial):  # consumers first
            if e in self.names:
                self.home[e] = e
            for child in _children(e):
                if child not in self.names:
                    self.home.setdefault(child, self.home.get(e, e))
        self.out: dict[Expr, int] = {}
        self.examples: list[np.ndarray] = []
        self.free: dict[Any, list[int]] = {}
        if buffers:
            self._plan_buffers()

    # ---- buffers -------------------------------------------------------------------------
    def _plan_buffers(self) -> None:
        """Which values are computed into which buffer (``self.out``). A value is buffered
        when one ufunc computes it, it is an array, and nothing handed out can be (a view of)
        it; its buffer is free for another value after the last line that reads it, or reads
        a view of it. An elementwise ufunc whose operand dies there writes over the operand
        (numpy makes overlapping inputs and outputs safe)."""
        order = sorted(self.reachable, key=lambda e: e.serial)
        buffered = {e for e in order if _buffered_ufunc(e) is not None}
        escaped: set[Expr] = set()
        stack = [r for r in self.results if r is not None]
        while stack:  # what is handed out, and what it may be a view of
            x = stack.pop()
            if x not in escaped:
                escaped.add(x)
                if not _fresh(x):
                    stack.extend(_children(x))
        buffered -= escaped
        pos = {e: i for i, e in enumerate(order)}
        life: dict[Expr, int] = {}
        for e in reversed(order):  # consumers come later: life[e] is final when e is reached
            until = pos[e] if _fresh(e) else life.get(e, pos[e])  # a view lives as long
            for c in _children(e):
                life[c] = max(life.get(c, -1), until)
        dying: dict[int, list[Expr]] = {}
        for e in buffered:
            dying.setdefault(life.get(e, pos[e]), []).append(e)
        free = self.free
        owner: dict[int, Expr] = {}
        for e in order:
            if e in buffered:
                key = _layout(e.value)
                slot = None
                if _buffered_ufunc(e) != "np.matmul":
                    for c in e.args:
                        if isinstance(c, Expr) and c in self.out and life.get(c) == pos[e] \
                                and owner[self.out[c]] is c and _layout(c.value) == key:
                            slot = self.out[c]
                            break
                if slot is None:
                    slot = free[key].pop() if free.get(key) else self._slot(e.value)
                self.out[e], owner[slot] = slot, e
            for d in dying.get(pos[e], ()):
                k = self.out[d]
                if owner[k] is d:
                    free.setdefault(_layout(d.value), []).append(k)

    def _slot(self, example: np.ndarray) -> int:
        self.examples.append(example)
        return len(self.examples) - 1

    def _update_slot(self, g: Expr) -> int | None:
        """The buffer of ``learning_rate * dW`` in the update (every other buffer is free)."""
        if not isinstance(g.value, np.ndarray) or g.value.ndim == 0:
            return None
        pool = self.free.setdefault(_layout(g.value), [])
        if not pool:
            pool.append(self._slot(g.value))
        return pool[-1]

    def _buffered_text(self, e: Expr) -> str:
        args = ", ".join(self._literal(a)[0] for a in e.args)
        return f"{_buffered_ufunc(e)}({args}, out=buf[{self.out[e]}])"

    def _cap_depth(self) -> None:
        """A value nested more than DEPTH calls deep inside a line gets a line of its own: a
        chain of 100,000 values each used once is not one expression (nor a recursion)."""
        depth: dict[Expr, int] = {}
        for e in sorted(self.reachable, key=lambda e: e.serial):  # operands come first
            if e.form[0] in ("arg", "const"):
                continue
            inner = max((depth.get(c, 0) for c in _children(e) if c not in self.own_line),
                        default=0)
            depth[e] = inner + 1
            if depth[e] > DEPTH:
                self.own_line.add(e)

    def _split_long_lines(self) -> None:
        """A line longer than LINE characters gets its longest inlined part as a line of its
        own (t1 = ...), until it fits or nothing is left to take out."""
        todo = collections.deque(sorted(self.own_line, key=lambda e: e.serial))
        while todo:
            e = todo.popleft()
            while len(self._text(e, top=True)[0]) > LINE:
                sizes = {c: len(self._text(c, top=True)[0]) for c in _inlined(e, self.names)}
                if not sizes:
                    break
                # the largest part that fits on a line of its own, else the largest
                fits = [c for c in sizes if sizes[c] <= LINE]
                part = max(fits or sizes, key=lambda c: (sizes[c], -c.serial))
                self.own_line.add(part)
                self.names[part] = self._name_for(part, fresh=False)
                todo.append(part)

    def _needs_line(self, e: Expr) -> bool:
        kind = e.form[0]
        return kind not in ("arg", "const") and (
            e.name is not None or kind == "ones" or self.uses.get(e, 0) > 1)

    def _name_for(self, e: Expr, fresh: bool = True) -> str:
        """e's name, hint or (``fresh``) a new t1, t2, ...; else a placeholder for one."""
        if e.name:
            return e.name
        if e.form[0] == "const":
            return self._const(e.value, e.hint)
        if e.hint and is_name(e.hint) and e.hint not in self.taken:
            self.taken.add(e.hint)
            return e.hint
        if not fresh:
            return _PLACEHOLDER
        name = next(self._fresh)
        while name in self.taken:
            name = next(self._fresh)
        self.taken.add(name)
        return name

    def _const(self, value: Any, hint: str | None = None) -> str:
        """A value the code reads from its namespace, under a generated (or checked) name."""
        if id(value) in self._by_id:
            return self._by_id[id(value)]
        name = hint if hint and is_name(hint) and hint not in self.taken else None
        k = len(self._by_id)
        while name is None or name in self.taken:
            k += 1
            name = f"c{k}"
        self.taken.add(name)
        self.namespace[name] = float(value) if self.scalars and _float64_scalar(value) else value
        self._by_id[id(value)] = name
        return name

    # ---- text ----------------------------------------------------------------------------
    def line_of(self, e: Expr) -> str:
        home = self.home.get(e, e)
        return f"{self.names.get(home, '?')} = {self._text(home, top=True)[0]}"

    def function(self, fname: str, updates: list[tuple[Expr, Expr]] | None = None) -> Written:
        params = [self.names[p] if p in self.names else self._name_for(p) for p in self.params]
        if updates:
            params.append("learning_rate")
        lines = [f"def {fname}({', '.join(params)}):"]
        block, last_title = object(), None
        errstate: tuple[Any, ...] = ()
        for e in sorted(self.own_line, key=lambda e: e.serial):
            if e.block is not block and e.block is not None:
                title = self.block_title(e.block, self.line_of)
                if title is not None and title != last_title:
                    lines.append(f"    # {title}")
                    errstate = ()  # a comment ends a `with` block
                block, last_title = e.block, title
            indent = "    "
            if e.errstate:
                if e.errstate != errstate:
                    changed = ", ".join(f"{k}={v!r}" for k, v in e.errstate
                                        if (k, v) not in self.base)
                    lines.append(f"    with np.errstate({changed}):")
                indent = "        "
            errstate = e.errstate
            text = self._buffered_text(e) if e in self.out else self._text(e, top=True)[0]
            lines.append(f"{indent}{text}" if e in self.effects else
                         f"{indent}{self.names[e]} = {text}")
        if updates:
            lines.append("    # gradient descent, in place: θ := θ − α dθ")
            for p, g in updates:
                slot = self._update_slot(g) if self.buffers else None
                step = f"learning_rate * {self._ref(g)}" if slot is None else \
                    f"np.multiply(learning_rate, {self._ref(g)}, out=buf[{slot}])"
                lines.append(f"    {self.names[p]} -= {step}")
        if self.examples:
            lines.insert(1, "    buf = buffers()")
            self.namespace["buffers"] = Buffers(self.examples)
        out = [self._ref(r) if r is not None else "None" for r in self.results]
        grads = ", ".join(out[1:]) + ("," if len(out) == 2 else "")
        lines.append(f"    return {out[0]}, ({grads})")
        return Written("\n".join(lines) + "\n", self.namespace, fname)

    def _ref(self, e: Expr) -> str:
        return self.names[e] if e in self.names else self._text(e)[0]

    def _text(self, e: Expr, top: bool = False) -> tuple[str, int]:
        if not top and e in self.names:
            return self.names[e], _ATOM
        kind = e.form[0]
        if kind in ("arg", "const"):
            return self.names[e], _ATOM
        if kind == "alias":
            return self._literal(e.args[0])
        if kind == "ones" and self.scalars:
            return "1.0", _ATOM
        if kind == "method" and self.scalars and e.form[1] == "copy":
            return self._literal(e.args[0])  # a float is its own copy
        if kind == "ones":
            shape, dtype = e.args
            extra = "" if dtype == np.float64 else f", dtype={self._literal(dtype)[0]}"
            return f"np.ones({self._literal(tuple(shape))[0]}{extra})", PREC_PRIMARY
        if kind == "infix":
            _, op, prec = e.form
            left, right = (self._literal(a) for a in e.args)
            if op == "**":
                lt = left[0] if left[1] > prec else f"({left[0]})"
                rt = right[0] if right[1] >= PREC_UNARY + 1 else f"({right[0]})"
            elif prec == PREC_CMP:
                lt = left[0] if left[1] > prec else f"({left[0]})"
                rt = right[0] if right[1] > prec else f"({right[0]})"
            else:
                lt = left[0] if left[1] >= prec else f"({left[0]})"
                rt = right[0] if right[1] > prec else f"({right[0]})"
            return f"{lt} {op} {rt}", prec
        if kind == "unary":
            inner, p = self._literal(e.args[0])
            return e.form[1] + (inner if p >= PREC_UNARY else f"({inner})"), PREC_UNARY
        if kind == "call":
            fname = e.form[1] or self._const(e.func, e.form[2])
            if self.buffers and fname == "np.sum":
                fname = "np.add.reduce"  # what np.sum calls for an ndarray, minus its wrapper
            return f"{fname}({self._arguments(e.args, e.kwargs)})", PREC_PRIMARY
        if kind == "method":
            recv = self._receiver(e.args[0])
            return f"{recv}.{e.form[1]}({self._arguments(e.args[1:], e.kwargs)})", PREC_PRIMARY
        if kind == "attr":
            return f"{self._receiver(e.args[0])}.{e.form[1]}", PREC_PRIMARY
        if kind == "index":
            parts = ", ".join(self._component(c) for c in e.args[1])
            return f"{self._receiver(e.args[0])}[{parts or '()'}]", PREC_PRIMARY
        raise AssertionError(f"unknown form {e.form}")

    def _receiver(self, x: Any) -> str:
        text, prec = self._literal(x)
        return text if prec >= PREC_PRIMARY and not text.startswith("-") else f"({text})"

    def _arguments(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        parts = [self._literal(a)[0] for a in args]
        parts += [f"{k}={self._literal(_one_axis(k, v))[0]}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def _component(self, c: Any) -> str:
        if isinstance(c, slice):
            if c.start is None and c.stop is None and c.step is None:
                return ":"
            text = ":".join("" if v is None else self._literal(v)[0]
                            for v in (c.start, c.stop))
            return text + ("" if c.step is None else ":" + self._literal(c.step)[0])
        return self._literal(c)[0]

    def _literal(self, x: Any) -> tuple[str, int]:
        """How a value inside an expression is written, with its precedence."""
        if isinstance(x, Expr):
            return self._text(x)
        if x is None or x is Ellipsis:
            return ("None" if x is None else "..."), _ATOM
        if isinstance(x, bool):
            return repr(x), _ATOM
        if isinstance(x, np.bool_):
            return ("np.True_" if x else "np.False_"), _ATOM
        if isinstance(x, int):
            return repr(x), (PREC_UNARY if x < 0 else _ATOM)
        if isinstance(x, float):
            return _float(x)
        if isinstance(x, (np.integer, np.floating)) and hasattr(np, type(x).__name__):
            inner = _float(float(x))[0] if isinstance(x, np.floating) else repr(int(x))
            return f"np.{type(x).__name__}({inner})", PREC_PRIMARY
        if isinstance(x, complex):
            return repr(x), PREC_ADD
        if isinstance(x, str) and _SAFE_TEXT.fullmatch(x):
            return repr(x), _ATOM
        if isinstance(x, tuple):
            inner = ", ".join(self._literal(v)[0] for v in x)
            return f"({inner}{',' if len(x) == 1 else ''})", _ATOM
        if isinstance(x, list):
            return "[" + ", ".join(self._literal(v)[0] for v in x) + "]", _ATOM
        if isinstance(x, slice):
            return f"slice({self._arguments((x.start, x.stop, x.step), {})})", PREC_PRIMARY
        dtype = _dtype_name(x)
        if dtype is not None:
            return dtype, PREC_PRIMARY
        return self._const(x), _ATOM


def _one_axis(key: str, v: Any) -> Any:
    """axis=(1,) is written axis=1 (the same reduction)."""
    if key == "axis" and isinstance(v, tuple) and len(v) == 1 and isinstance(v[0], int):
        return v[0]
    return v


def _float(x: float) -> tuple[str, int]:
    if math.isnan(x):
        return "np.nan", PREC_PRIMARY
    if math.isinf(x):
        return ("np.inf", PREC_PRIMARY) if x > 0 else ("-np.inf", PREC_UNARY)
    text = repr(x)
    return text, (PREC_UNARY if text.startswith("-") else _ATOM)


def _dtype_name(x: Any) -> str | None:
    """np.float64 for the dtype float64 (or the type np.float64); None if x is not a dtype."""
    try:
        if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
            name = np.dtype(x).type.__name__
            return f"np.{name}" if getattr(np, name, None) is np.dtype(x).type else None
    except TypeError:
        return None
    return None


def _children(e: Expr) -> list[Expr]:
    found: list[Expr] = []
    stack: list[Any] = [*e.args, *e.kwargs.values()]
    while stack:
        x = stack.pop()
        if isinstance(x, Expr):
            found.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(x)
        elif isinstance(x, slice):
            stack.extend((x.start, x.stop, x.step))
    return found


def _inlined(e: Expr, named: dict[Expr, str]) -> list[Expr]:
    """The computations written inside e's line (not names, not plain values)."""
    found, stack = [], _children(e)
    while stack:
        c = stack.pop()
        if c in named or c.form[0] in ("arg", "const", "alias"):
            continue
        found.append(c)
        stack.extend(_children(c))
    return found


def _reachable(roots: list[Expr]) -> set[Expr]:
    seen: set[Expr] = set()
    stack = list(roots)
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        stack.extend(_children(e))
    return seen


def _buffered_ufunc(e: Expr) -> str | None:
    """The numpy name of the ufunc that computes e, if e can be computed into a buffer:
    one output, positional operands only, an array of at least one dimension."""
    if not isinstance(e.value, np.ndarray) or e.value.ndim == 0 or e.kwargs:
        return None
    return _buffered_ufunc_name(e)


def _buffered_ufunc_name(e: Expr) -> str | None:
    """The numpy name of the one-output ufunc e calls, with positional operands only."""
    kind = e.form[0]
    if kind == "infix":  # not **: ndarray's a ** 2 is np.square, not np.power
        return None if e.form[1] == "**" else _INFIX_UFUNC.get(e.form[1])
    if kind == "unary":
        return _UNARY_UFUNC.get(e.form[1])
    if kind == "call" and isinstance(e.form[1], str) and e.form[1].count(".") == 1 \
            and e.form[1].startswith("np."):
        u = getattr(np, e.form[1][3:], None)
        if isinstance(u, np.ufunc) and u.nout == 1 and len(e.args) == u.nin:
            return e.form[1]
    return None


def _fresh(e: Expr) -> bool:
    """e is a new array (or scalar), never a view of its operands."""
    kind = e.form[0]
    if kind in ("infix", "unary", "ones"):
        return True
    if kind == "call" and isinstance(e.form[1], str):
        return e.form[1] in _FRESH_CALLS or (  # a ufunc's result is new
            e.form[1].count(".") == 1 and isinstance(getattr(np, e.form[1][3:], None), np.ufunc))
    return kind == "method" and e.form[1] in _FRESH_METHODS


def _layout(a: np.ndarray) -> tuple[Any, ...]:
    return a.shape, a.dtype.str, a.strides


def _float64_scalar(v: Any) -> bool:
    return isinstance(v, (np.ndarray, np.generic)) and v.shape == () and v.dtype == np.float64


def _on_scalars(params: list[Expr], results: list[Expr | None]) -> bool:
    """Every value is a 0-d float64 computed by Python's arithmetic or a numpy ufunc (which
    takes a float): the code can run on Python floats, with the same numbers bit for bit."""
    for e in _reachable([r for r in results if r is not None] + params):
        kind = e.form[0]
        if not _float64_scalar(e.value) or e.kwargs:
            return False
        if kind in ("arg", "const", "alias") or (kind == "unary" and e.form[1] == "-"):
            continue
        if kind == "ones" and e.args[1] == np.float64:
            continue
        if kind == "infix" and e.form[1] in ("+", "-", "*", "/"):
            continue
        if kind == "infix" and e.form[1] == "**" and isinstance(e.args[1], (int, float)) \
                and not isinstance(e.args[1], bool) and float(e.args[1]).is_integer():
            continue  # (a float to a non-integer power would be complex where numpy's is nan)
        if kind == "method" and e.form[1] == "copy" and len(e.args) == 1:
            continue
        if kind == "call" and _buffered_ufunc_name(e) is not None:
            continue
        return False
    return True
