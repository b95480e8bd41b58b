"""Property-based derivative testing: hypothesis strategies for shapes, safe values and whole
expressions, for checking gradients (the engine's, or your own hand-derived ones) on every shape.

Import it explicitly (``from tinygrad_course import testing``); it needs hypothesis
(``pip install "tinygrad_course[testing]"``), ``import tinygrad_course`` alone does not.

Domains are mapped, never filtered: a draw in [0, 1] or [−1, 1] is shifted and scaled into the
domain, so no example is rejected and shrinking moves towards the domain's simplest value.

    >>> from hypothesis import given
    >>> from tinygrad_course.testing import arrays, shapes
    >>> @given(arrays(shapes(), domain="positive"))
    ... def test_log_is_finite(x):
    ...     assert np.isfinite(np.log(x)).all()
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("tinygrad_course.testing needs hypothesis: "
                      'pip install "tinygrad_course[testing]" (or pip install hypothesis)') from err

from . import ops

Shape = tuple[int, ...]

# ---- shapes ---------------------------------------------------------------------------------


def shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 5,
           min_side: int = 1) -> st.SearchStrategy[Shape]:
    """Array shapes with ``min_dims``..``max_dims`` axes of ``min_side``..``max_side`` each,
    shrinking towards fewer, shorter axes (towards () when ``min_dims`` is 0)."""
    if not 0 <= min_dims <= max_dims:
        raise ValueError(f"shapes: need 0 <= min_dims <= max_dims, got {min_dims}, {max_dims}")
    if not 0 <= min_side <= max_side:
        raise ValueError(f"shapes: need 0 <= min_side <= max_side, got {min_side}, {max_side}")
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


@st.composite
def _broadcast_partner(draw: Any, shape: Shape, max_extra_dims: int, max_side: int) -> Shape:
    # Align from the right like numpy: keep some trailing axes of `shape` (each as itself or as
    # 1, or grown from 1 to any size), maybe add leading axes, so either side can be larger.
    ndims = draw(st.integers(0, len(shape) + max_extra_dims))
    sides = []
    for i in range(1, ndims + 1):
        if i <= len(shape):
            s = shape[-i]
            choices = [s, 1] if s != 1 else list(range(1, max_side + 1))
            sides.append(draw(st.sampled_from(choices)))
        else:
            sides.append(draw(st.integers(1, max_side)))
    return tuple(reversed(sides))


def broadcastable_shapes(shape: Shape | st.SearchStrategy[Shape], max_extra_dims: int = 1,
                         max_side: int = 5) -> st.SearchStrategy[Shape]:
    """Shapes that broadcast with ``shape`` under numpy's rules: () and shapes with fewer axes,
    axes of size 1 on either side, extra leading axes and axes grown where ``shape`` has a 1, so
    the result may be larger than either operand. ``shape`` may itself be a strategy."""
    if isinstance(shape, st.SearchStrategy):
        return shape.flatmap(lambda s: broadcastable_shapes(s, max_extra_dims, max_side))
    return _broadcast_partner(tuple(shape), max_extra_dims, max_side)


def bias_shapes(n: int) -> st.SearchStrategy[Shape]:
    """Shapes a bias may have when added to Z of shape (n, m): the course's (n, 1) first (it is
    what failures shrink to), then the shared biases (1, 1), (1,) and ()."""
    return st.sampled_from([(n, 1), (1, 1), (1,), ()])


# ---- values -----------------------------------------------------------------------------------

#: name -> (closed interval the values lie in, what the domain is for)
DOMAINS: dict[str, tuple[tuple[float, float], str]] = {
    "real": ((-3.0, 3.0), "any op; bounded so finite differences stay accurate"),
    "positive": ((0.1, 10.0), "log, division, x ** 0.5: bounded away from 0"),
    "sigmoid_safe": ((-4.0, 4.0), "σ(z) stays in [0.018, 0.982]: log σ and log(1 − σ) are safe"),
    "away_from_zero": ((-3.0, 3.0), "relu/leaky relu/clip kinks at 0: |x| >= 0.1"),
    "unit_open": ((0.02, 0.98), "probabilities for log a and log(1 − a): inside (0, 1)"),
}
KINK_GAP = 0.1  # |x| >= KINK_GAP in "away_from_zero": far from the kink for eps = 1e-7


def _element(domain: str) -> st.SearchStrategy[float]:
    if domain not in DOMAINS:
        raise ValueError(f"arrays: unknown domain {domain!r}; expected one of {sorted(DOMAINS)}")
    (lo, hi), _ = DOMAINS[domain]
    if domain == "away_from_zero":
        # u in [−1, 1] -> sign(u) (gap + (hi − gap)|u|): shrinks towards +gap, never near 0
        return st.floats(-1.0, 1.0, allow_subnormal=False).map(
            lambda u: math.copysign(KINK_GAP + (hi - KINK_GAP) * abs(u), u))
    if domain in ("real", "sigmoid_safe"):
        return st.floats(-1.0, 1.0, allow_subnormal=False).map(lambda u: u * hi)
    if domain == "positive":  # log-uniform, shrinking towards 1
        return st.floats(-1.0, 1.0, allow_subnormal=False).map(
            lambda u: min(max(float(10.0 ** u), lo), hi))
    return st.floats(-1.0, 1.0, allow_subnormal=False).map(
        lambda u: 0.5 + u * (hi - lo) / 2)  # unit_open, shrinking towards 0.5


def arrays(shape: Shape | st.SearchStrategy[Shape], domain: str = "real",
           dtype: Any = np.float64) -> st.SearchStrategy[np.ndarray]:
    """numpy arrays of ``shape`` (a tuple or a strategy of shapes) with values in ``domain``, one
    of :data:`DOMAINS`: "real", "positive", "sigmoid_safe", "away_from_zero", "unit_open"."""
    elements = _element(domain)
    if isinstance(shape, st.SearchStrategy):
        return shape.flatmap(lambda s: arrays(s, domain, dtype))
    return hnp.arrays(np.float64, tuple(shape), elements=elements).map(
        lambda a: np.asarray(a, dtype=dtype))


def layer_dims(max_layers: int = 4, max_units: int = 8, min_layers: int = 1,
               output_units: int | None = 1) -> st.SearchStrategy[list[int]]:
    """The course's ``layer_dims`` [n_x, n^[1], ..., n^[L]] for L = ``min_layers``..``max_layers``
    layers of 1..``max_units`` units; n^[L] is ``output_units`` (1: a binary classifier) unless
    that is None."""
    if not 1 <= min_layers <= max_layers:
        raise ValueError(f"layer_dims: need 1 <= min_layers <= max_layers, got {min_layers}, "
                         f"{max_layers}")
    units = st.integers(1, max_units)

    def build(hidden: list[int], n_x: int, last: int) -> list[int]:
        return [n_x, *hidden, last if output_units is None else output_units]

    return st.builds(build, st.lists(units, min_size=min_layers - 1, max_size=max_layers - 1),
                     units, units)


# ---- random expression DAGs ----------------------------------------------------------------

BOUND = 25.0  # every intermediate value stays within [−BOUND, BOUND]
DIVISOR_MIN = 0.25  # a / b only for b >= DIVISOR_MIN (exp(tanh(v)) >= 1/e qualifies)


@dataclass(frozen=True)
class Step:
    """One line of an :class:`Expression`: ``v{k} = op(v{args[0]}, ...; params)``."""

    op: str
    args: tuple[int, ...]
    params: tuple[tuple[str, Any], ...] = ()


@dataclass
class Expression:
    """A small straight-line program over named inputs, a DAG with shared subexpressions.

    Values are numbered: the inputs first (``names[i]`` is value i), then one per step. The
    output is the scalar Σ over every value no step consumed (so every input matters), plus
    the ``mean`` of the values listed in ``extra`` (each already consumed: guaranteed fan-out).
    Calling it on Tensors (or arrays) named like the inputs evaluates it:
    ``expr(**{k: Tensor(v) for k, v in expr.inputs.items()})``.
    """

    inputs: dict[str, np.ndarray]
    steps: list[Step]
    extra: tuple[int, ...] = ()
    intervals: list[tuple[float, float]] = field(default_factory=list, repr=False)

    @property
    def names(self) -> list[str]:
        return list(self.inputs)

    def sinks(self) -> list[int]:
        used = {a for s in self.steps for a in s.args}
        return [i for i in range(len(self.inputs) + len(self.steps)) if i not in used]

    def uses(self) -> dict[int, int]:
        """How many times each value is consumed (steps and the output)."""
        count = dict.fromkeys(range(len(self.inputs) + len(self.steps)), 0)
        for s in self.steps:
            for a in s.args:
                count[a] += 1
        for i in [*self.sinks(), *self.extra]:
            count[i] += 1
        return count

    def __call__(self, **values: Any) -> Any:
        missing = set(self.inputs) - set(values)
        if missing:
            raise TypeError(f"Expression: missing inputs {sorted(missing)}; it takes "
                            f"{self.names}")
        vals: list[Any] = [values[k] for k in self.inputs]
        for s in self.steps:
            vals.append(_APPLY[s.op](*(vals[a] for a in s.args), **dict(s.params)))
        out: Any = 0.0
        for i in self.sinks():
            out = ops.add(out, ops.sum(vals[i]))
        for i in self.extra:
            out = ops.add(out, ops.mean(vals[i]))
        return out

    def _name(self, i: int) -> str:
        return self.names[i] if i < len(self.inputs) else f"v{i}"

    def __str__(self) -> str:
        lines = [f"{k}: shape {v.shape}" for k, v in self.inputs.items()]
        for k, s in enumerate(self.steps):
            args = [self._name(a) for a in s.args] + [f"{p}={v!r}" for p, v in s.params]
            lines.append(f"v{len(self.inputs) + k} = {s.op}({', '.join(args)})")
        terms = [f"sum({self._name(i)})" for i in self.sinks()]
        terms += [f"mean({self._name(i)})" for i in self.extra]
        lines.append("out = " + " + ".join(terms))
        return "\n".join(lines)


def _leaky(z: Any, slope: float = 0.1) -> Any:
    return ops.leaky_relu(z, slope=slope)


_APPLY: dict[str, Callable[..., Any]] = {
    "add": ops.add, "sub": ops.sub, "mul": ops.mul, "div": ops.div, "neg": ops.neg,
    "pow": lambda a, p: ops.power(a, p), "matmul": ops.matmul,
    "transpose": lambda a: ops.transpose(a), "reshape": lambda a, shape: ops.reshape(a, shape),
    "sum": lambda a, axis=None, keepdims=False: ops.sum(a, axis=axis, keepdims=keepdims),
    "mean": lambda a, axis=None, keepdims=False: ops.mean(a, axis=axis, keepdims=keepdims),
    "exp": ops.exp, "log": ops.log, "sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu,
    "leaky_relu": _leaky, "clip": lambda a, lo=None, hi=None: ops.clip(a, lo=lo, hi=hi),
    "binary_cross_entropy": ops.binary_cross_entropy,
    "binary_cross_entropy_with_logits": ops.binary_cross_entropy_with_logits,
}
#: the op names expressions() draws from (a subset of tc.ops.OPS, broadcast_to aside)
EXPRESSION_OPS: tuple[str, ...] = tuple(_APPLY)

Interval = tuple[float, float]


def _broadcast(*shapes: Shape) -> Shape | None:
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _size(shape: Shape) -> int:
    return int(np.prod(shape)) if shape else 1


def _span(values: Sequence[float]) -> Interval:
    return (min(values), max(values))


def _mono(f: Callable[[float], float], iv: Interval) -> Interval:
    return (f(iv[0]), f(iv[1]))


def _sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _away(iv: Interval) -> bool:
    return iv[0] >= KINK_GAP or iv[1] <= -KINK_GAP


Candidate = tuple[tuple[int, ...], tuple[tuple[str, Any], ...], Shape, Interval]


def _candidates(op: str, shapes_: list[Shape], ivs: list[Interval],
                kink_safe: list[bool]) -> list[Candidate]:
    """Every safe way to apply ``op`` to the values so far: (args, params, shape, interval)."""
    n = len(shapes_)
    out: list[Candidate] = []
    if op in ("add", "sub", "mul", "div", "binary_cross_entropy",
              "binary_cross_entropy_with_logits"):
        for i in range(n):
            for j in range(n):
                shape = _broadcast(shapes_[i], shapes_[j])
                if shape is None:
                    continue
                a, b = ivs[i], ivs[j]
                if op == "add":
                    iv = (a[0] + b[0], a[1] + b[1])
                elif op == "sub":
                    iv = (a[0] - b[1], a[1] - b[0])
                elif op == "mul":
                    iv = _span([x * y for x in a for y in b])
                elif op == "div":
                    if b[0] < DIVISOR_MIN:
                        continue
                    iv = _span([x / y for x in a for y in b])
                else:
                    if not (0.0 <= b[0] and b[1] <= 1.0):  # y is a label or a probability
                        continue
                    m = shapes_[i][-1] if shapes_[i] else 1
                    if op == "binary_cross_entropy":
                        if not (0.02 <= a[0] and a[1] <= 0.98):
                            continue
                        worst = max(-math.log(a[0]), -math.log(1 - a[1]))
                    else:
                        worst = max(abs(a[0]), abs(a[1])) + math.log(2)
                    iv = (0.0, _size(shape) / m * worst)
                    shape = ()
                out.append(((i, j), (), shape, iv))
    elif op == "matmul":
        for i in range(n):
            for j in range(n):
                si, sj = shapes_[i], shapes_[j]
                if 1 <= len(si) <= 2 and 1 <= len(sj) <= 2 and si[-1] == sj[0]:
                    k = si[-1]
                    big = k * max(map(abs, ivs[i])) * max(map(abs, ivs[j]))
                    out.append(((i, j), (), si[:-1] + sj[1:], (-big, big)))
    else:
        for i in range(n):
            s, iv = shapes_[i], ivs[i]
            if op == "neg":
                out.append(((i,), (), s, (-iv[1], -iv[0])))
            elif op == "pow":
                sq = _span([iv[0] ** 2, iv[1] ** 2] + ([0.0] if iv[0] < 0 < iv[1] else []))
                out.append(((i,), (("p", 2.0),), s, sq))
                out.append(((i,), (("p", 3.0),), s, _mono(lambda x: x ** 3, iv)))
                if iv[0] >= KINK_GAP:
                    out.append(((i,), (("p", 0.5),), s, _mono(math.sqrt, iv)))
            elif op == "transpose" and len(s) == 2:
                out.append(((i,), (), s[::-1], iv))
            elif op == "reshape" and s:
                out.append(((i,), (("shape", (_size(s),)),), (_size(s),), iv))
                out.append(((i,), (("shape", (1, _size(s))),), (1, _size(s)), iv))
            elif op in ("sum", "mean"):
                axes: list[int | None] = [None, *range(len(s))]
                for ax in axes:
                    for keep in (False, True):
                        cut = _size(s) if ax is None else s[ax]
                        shape = tuple(1 if (ax is None or k == ax) else side
                                      for k, side in enumerate(s)
                                      if keep or not (ax is None or k == ax))
                        scale = cut if op == "sum" else 1
                        out.append(((i,), (("axis", ax), ("keepdims", keep)), shape,
                                    (iv[0] * scale, iv[1] * scale)))
            elif op == "exp" and iv[1] <= 2.0:
                out.append(((i,), (), s, _mono(math.exp, iv)))
            elif op == "log" and iv[0] >= KINK_GAP:
                out.append(((i,), (), s, _mono(math.log, iv)))
            elif op == "sigmoid":
                out.append(((i,), (), s, _mono(_sig, iv)))
            elif op == "tanh":
                out.append(((i,), (), s, _mono(math.tanh, iv)))
            elif op in ("relu", "leaky_relu", "clip") and (kink_safe[i] or _away(iv)):
                if op == "relu":
                    out.append(((i,), (), s, (max(iv[0], 0.0), max(iv[1], 0.0))))
                elif op == "leaky_relu":
                    out.append(((i,), (("slope", 0.1),), s,
                                _mono(lambda x: x if x > 0 else 0.1 * x, iv)))
                else:
                    out.append(((i,), (("lo", 0.0),), s, (max(iv[0], 0.0), max(iv[1], 0.0))))
                    out.append(((i,), (("hi", 0.0),), s, (min(iv[0], 0.0), min(iv[1], 0.0))))
    return [c for c in out if -BOUND <= c[3][0] and c[3][1] <= BOUND]


# the unary steps that turn any value into an operand the op accepts
_PREPARE: dict[str, tuple[str, ...]] = {
    "log": ("tanh", "exp"), "div": ("tanh", "exp"), "pow": ("tanh", "exp"),
    "exp": ("tanh",), "binary_cross_entropy": ("tanh", "sigmoid"),
    "binary_cross_entropy_with_logits": ("sigmoid",), "matmul": ("transpose",),
}
_INPUT_TEMPLATES = ("ab", "a1", "1b", "b", "", "ca", "bc", "a")


@st.composite
def expressions(draw: Any, max_inputs: int = 3, max_steps: int = 6, max_side: int = 3,
                ops_: Sequence[str] = EXPRESSION_OPS) -> Expression:
    """Random expression DAGs over the engine's ops, with fan-out, as :class:`Expression`.

    Inputs x0, x1, ... are drawn from the "away_from_zero" domain (|x| in [0.1, 3]) with shapes
    built from three sides a, b, c so that broadcasting and matmul fit often. Each step applies a
    drawn op to earlier values when it is safe: shapes fit, log/division/x^0.5 only of values
    bounded away from 0 (σ(x) + 0.5, exp(x), ...), relu/leaky relu/clip only where the kink is
    far, binary cross-entropy of probabilities in [0.02, 0.98]; every value within ±BOUND, so
    finite differences with eps = 1e-7 stay accurate. When the drawn op has no safe operand,
    one is made first (exp(tanh(v)) >= 1/e for log and division, σ(tanh(v)) for probabilities,
    vᵀ for matmul); failing that the step is tanh. At least one value is used twice.
    """
    unknown = set(ops_) - set(EXPRESSION_OPS)
    if unknown or not ops_:
        raise ValueError(f"expressions: unknown ops {sorted(unknown)}; expected a non-empty "
                         f"subset of {EXPRESSION_OPS}")
    sides = {k: draw(st.integers(1, max_side), label=f"side {k}") for k in "abc"}
    n_inputs = draw(st.integers(1, max_inputs), label="inputs")
    inputs: dict[str, np.ndarray] = {}
    shapes_: list[Shape] = []
    for k in range(n_inputs):
        template = draw(st.sampled_from(_INPUT_TEMPLATES), label=f"x{k} shape")
        shape = tuple(1 if c == "1" else sides[c] for c in template)
        inputs[f"x{k}"] = draw(arrays(shape, "away_from_zero"), label=f"x{k}")
        shapes_.append(shape)
    (lo, hi), _ = DOMAINS["away_from_zero"]
    ivs: list[Interval] = [(lo, hi)] * n_inputs
    kink_safe = [True] * n_inputs
    steps: list[Step] = []
    def append(op: str, found: list[Candidate]) -> None:
        args, params, shape, iv = draw(st.sampled_from(found))
        steps.append(Step(op, args, params))
        shapes_.append(shape)
        ivs.append(iv)
        kink_safe.append(op == "neg" and kink_safe[args[0]])

    for _ in range(draw(st.integers(1, max_steps), label="steps")):
        op = draw(st.sampled_from(list(ops_)))
        found = _candidates(op, shapes_, ivs, kink_safe)
        if not found and op in _PREPARE:
            # map, don't filter: make a fitting operand (positive, a probability, ...) first
            source = draw(st.integers(0, len(shapes_) - 1), label="prepare")
            chain = _PREPARE[op] if op != "matmul" or len(shapes_[source]) == 2 else ()
            for prep in chain:
                append(prep, [c for c in _candidates(prep, shapes_, ivs, kink_safe)
                              if c[0] == (source,)])
                source = len(shapes_) - 1
            found = _candidates(op, shapes_, ivs, kink_safe)
        if not found:
            op, found = "tanh", _candidates("tanh", shapes_, ivs, kink_safe)
        append(op, found)
    expr = Expression(inputs, steps, intervals=ivs)
    if all(c < 2 for c in expr.uses().values()):
        expr.extra = (steps[-1].args[0],)  # consumed by the last step and now by the output
    return expr
