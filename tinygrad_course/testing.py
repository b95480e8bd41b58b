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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

try:
    from hypothesis import strategies as st
    from hypothesis.extra import numpy as hnp
except ImportError as err:  # pragma: no cover - depends on the environment
    raise ImportError("tinygrad_course.testing needs hypothesis: "
                      'pip install "tinygrad_course[testing]" (or pip install hypothesis)') from err

from . import autograd, ops
from .custom import check_custom_op as check_custom_op  # noqa: PLC0414  (re-exported)
from .gradcheck import (
    CLOSE,
    assert_finite_differences,
    compare_gradients,
    engine_gradients,
    relative_difference,
)
from .tensor import Tensor

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


DECIMALS = 6


def _element(domain: str) -> st.SearchStrategy[float]:
    if domain not in DOMAINS:
        raise ValueError(f"arrays: unknown domain {domain!r}; expected one of {sorted(DOMAINS)}")
    (lo, hi), _ = DOMAINS[domain]
    f: Callable[[float], float]
    if domain == "away_from_zero":
        # u in [−1, 1] -> sign(u) (gap + (hi − gap)|u|): shrinks towards +gap, never near 0
        f = lambda u: math.copysign(KINK_GAP + (hi - KINK_GAP) * abs(u), u)
    elif domain in ("real", "sigmoid_safe"):
        f = lambda u: u * hi
    elif domain == "positive":  # log-uniform, shrinking towards 1
        f = lambda u: min(max(float(10.0 ** u), lo), hi)
    else:  # unit_open, shrinking towards 0.5
        f = lambda u: 0.5 + u * (hi - lo) / 2
    # rounding keeps subnormal-bound values like 3e-38 out (relative differences of products
    # of them lose their digits); it never leaves the domain, whose ends are multiples of 1e-6
    return st.floats(-1.0, 1.0, allow_subnormal=False).map(lambda u: round(f(u), DECIMALS) + 0.0)


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

    def trace(self, **values: Any) -> list[Any]:
        """Every value of the program: the inputs, then one per step (Tensors or arrays)."""
        missing = set(self.inputs) - set(values)
        if missing:
            raise TypeError(f"Expression: missing inputs {sorted(missing)}; it takes "
                            f"{self.names}")
        vals: list[Any] = [values[k] for k in self.inputs]
        for s in self.steps:
            vals.append(_APPLY[s.op](*(vals[a] for a in s.args), **dict(s.params)))
        return vals

    def __call__(self, **values: Any) -> Any:
        vals = self.trace(**values)
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
                if shape is None or (op.startswith("binary") and shapes_[i] != shapes_[j]):
                    continue  # the losses take one label per prediction: equal shapes
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


# ---- layers and networks in the course's layout --------------------------------------------

#: the hidden activations g^[l] layers() and networks() draw from
HIDDEN_ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "tanh", "sigmoid")
LEAKY_SLOPE = 0.01  # the course's leaky relu, as tc.leaky_relu's default
Z_GAP = 0.05  # |Z^[l]| >= Z_GAP wherever relu or leaky relu is applied (see _clear_kinks)

_G: dict[str, Callable[[Any], Any]] = {
    "relu": ops.relu, "leaky_relu": lambda z: ops.leaky_relu(z, slope=LEAKY_SLOPE),
    "tanh": ops.tanh, "sigmoid": ops.sigmoid,
}


def _clear_kinks(W: np.ndarray, A_prev: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b moved, unit by unit, to the nearest value that keeps every |Z| = |W A_prev + b| >=
    Z_GAP, so that finite differences never straddle the kink of relu at 0. A mapping, not a
    filter: every draw is kept."""
    b = b.copy()
    R = W @ A_prev
    for j in range(R.shape[0]):
        r, b0 = R[j], float(b[j, 0])
        if np.all(np.abs(r + b0) >= Z_GAP):
            continue
        edges = [e for ri in r for e in (-ri - 1.01 * Z_GAP, -ri + 1.01 * Z_GAP)]
        b[j, 0] = min((e for e in edges if np.all(np.abs(r + e) >= Z_GAP)),
                      key=lambda e: (abs(e - b0), -e))  # ties: the active side
    return b


def _weights(draw: Any, n: int, n_prev: int) -> np.ndarray:
    # entries in [−1/n_prev, 1/n_prev]: |Z| <= max|A_prev| + |b|, so σ(Z^[L]) never saturates
    return draw(arrays((n, n_prev), "real")) / (3.0 * n_prev)


@dataclass
class Layer:
    """One layer of the course's L-layer network with an upstream gradient, for testing a
    hand-written ``linear_activation_backward(dA, cache, activation)``.

    Z = W A_prev + b, A = g(Z); A_prev (n^[l-1], m), W (n^[l], n^[l-1]), b (n^[l], 1) and dA
    (n^[l], m), the gradient that arrives from the layer above. :meth:`cost` is the scalar
    J = (1/m) Σ dA ⊙ g(W A_prev + b), whose gradients are the course's dW = (1/m) dZ A_prevᵀ,
    db = (1/m) Σ_i dZ(:, i) and (1/m) dA_prev, where dZ = dA ⊙ g'(Z) and dA_prev = Wᵀ dZ
    (the course's dA are per-example gradients: they carry no 1/m).
    """

    A_prev: np.ndarray
    W: np.ndarray
    b: np.ndarray
    dA: np.ndarray
    activation: str

    @property
    def m(self) -> int:
        return int(self.A_prev.shape[1])

    @property
    def inputs(self) -> dict[str, np.ndarray]:
        """The differentiable inputs: {"A_prev", "W", "b"}."""
        return {"A_prev": self.A_prev, "W": self.W, "b": self.b}

    @property
    def Z(self) -> np.ndarray:
        return self.W @ self.A_prev + self.b

    @property
    def cache(self) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray]:
        """The course's cache ((A_prev, W, b), Z), as linear_activation_forward returns it."""
        return (self.A_prev, self.W, self.b), self.Z

    def cost(self, A_prev: Any, W: Any, b: Any) -> Any:
        """J = (1/m) Σ dA ⊙ g(W A_prev + b) on Tensors (or arrays)."""
        A = _G[self.activation](ops.add(ops.matmul(W, A_prev), b))
        return ops.div(ops.sum(ops.mul(A, self.dA)), self.m)


@st.composite
def layers(draw: Any, max_units: int = 4, max_m: int = 4,
           activations: Sequence[str] = HIDDEN_ACTIVATIONS) -> Layer:
    """A :class:`Layer`: n^[l-1], n^[l] in 1..``max_units``, m in 1..``max_m``, g one of
    ``activations``; values bounded, Z away from relu's kink (b nudged, see _clear_kinks).

    The values are drawn at the largest sizes, then lists of distinct row and column indices
    pick the layer out of them: shrinking deletes any unit or example, not only the last, so
    failures shrink to the fewest units and examples.
    """
    activation = draw(st.sampled_from(list(activations)), label="activation")
    big_A = draw(arrays((max_units, max_m), "real"), label="A_prev (all)")
    big_W = draw(arrays((max_units, max_units), "real"), label="W (all)")
    big_b = draw(arrays((max_units, 1), "real"), label="b (all)")
    big_dA = draw(arrays((max_units, max_m), "real"), label="dA (all)")

    def pick(size: int, label: str) -> list[int]:
        return draw(st.lists(st.integers(0, size - 1), min_size=1, max_size=size, unique=True),
                    label=label)

    prev, units, examples = pick(max_units, "A_prev rows"), pick(max_units, "units"), \
        pick(max_m, "examples")
    A_prev = big_A[np.ix_(prev, examples)]
    W = big_W[np.ix_(units, prev)] / (3.0 * len(prev))  # as _weights: |W| <= 1/n^[l-1]
    b = big_b[units] / 3.0
    dA = big_dA[np.ix_(units, examples)]
    if activation in ("relu", "leaky_relu"):
        b = _clear_kinks(W, A_prev, b)
    return Layer(A_prev, W, b, dA, activation)


@dataclass
class Network:
    """An L-layer network with its data, in the course's layout: X (n_x, m), Y (1, m) of 0/1
    labels, ``parameters`` W1 (n^[1], n_x), b1 (n^[1], 1), ..., WL, bL; ``activations`` g^[l]
    for l = 1..L, the last one sigmoid. :meth:`cost` is the course's cross-entropy J."""

    layer_dims: list[int]
    activations: list[str]
    X: np.ndarray
    Y: np.ndarray
    parameters: dict[str, np.ndarray]

    @property
    def L(self) -> int:
        return len(self.layer_dims) - 1

    @property
    def m(self) -> int:
        return int(self.X.shape[1])

    def forward(self, X: Any = None, **params: Any) -> Any:
        """A^[L] from Z^[l] = W^[l] A^[l-1] + b^[l], A^[l] = g^[l](Z^[l]), A^[0] = X; any
        parameter or X not given is taken from the network (arrays in, arrays out)."""
        A = self.X if X is None else X
        for l in range(1, self.L + 1):
            W, b = (params.get(k, self.parameters[k]) for k in (f"W{l}", f"b{l}"))
            A = _G[self.activations[l - 1]](ops.add(ops.matmul(W, A), b))
        return A

    def cost(self, X: Any = None, **params: Any) -> Any:
        """J = −(1/m) Σ [y log a^[L] + (1 − y) log(1 − a^[L])] (tc.binary_cross_entropy), e.g.
        ``assert_gradients_match(net.cost, net.parameters)``."""
        return ops.binary_cross_entropy(self.forward(X, **params), self.Y)

    def caches(self) -> tuple[np.ndarray, list[tuple[tuple[np.ndarray, ...], np.ndarray]]]:
        """(A^[L], caches) as the course's L_model_forward returns them: caches[l − 1] =
        ((A^[l-1], W^[l], b^[l]), Z^[l]), plain numpy, for your own L_model_backward."""
        A = self.X
        caches: list[tuple[tuple[np.ndarray, ...], np.ndarray]] = []
        for l in range(1, self.L + 1):
            W, b = self.parameters[f"W{l}"], self.parameters[f"b{l}"]
            Z = W @ A + b
            caches.append(((A, W, b), Z))
            A = _G[self.activations[l - 1]](Z)
        return A, caches


@st.composite
def networks(draw: Any, max_layers: int = 3, max_units: int = 4, max_m: int = 4,
             hidden: Sequence[str] = HIDDEN_ACTIVATIONS, mixed: bool = True) -> Network:
    """A :class:`Network`: layer_dims from :func:`layer_dims` (output 1 unit), m in
    1..``max_m``, hidden activations from ``hidden`` (one per layer, or one for all when
    ``mixed`` is False, as DeepNN has), a sigmoid output, X in [−3, 3], labels Y in {0, 1},
    W^[l] entries within ±1/n^[l-1], b^[l] within ±1 moved off relu's kink (see _clear_kinks).
    """
    dims = draw(layer_dims(max_layers, max_units), label="layer_dims")
    L = len(dims) - 1
    if mixed:
        acts = [draw(st.sampled_from(list(hidden)), label=f"g{l}") for l in range(1, L)]
    else:
        acts = [draw(st.sampled_from(list(hidden)), label="hidden")] * (L - 1)
    acts.append("sigmoid")
    m = draw(st.integers(1, max_m), label="m")
    X = draw(arrays((dims[0], m), "real"), label="X")
    Y = draw(hnp.arrays(np.float64, (1, m), elements=st.sampled_from([0.0, 1.0])), label="Y")
    params: dict[str, np.ndarray] = {}
    A = X
    for l in range(1, L + 1):
        W = _weights(draw, dims[l], dims[l - 1])
        b = draw(arrays((dims[l], 1), "real"), label=f"b{l}") / 3.0
        if acts[l - 1] in ("relu", "leaky_relu"):
            b = _clear_kinks(W, A, b)
        params[f"W{l}"], params[f"b{l}"] = W, b
        A = _G[acts[l - 1]](W @ A + b)
    return Network(dims, acts, X, Y, params)


# ---- gradient assertions ---------------------------------------------------------------------


def _course_name(key: str, names: Sequence[str], where: str) -> str:
    """The input a gradient's key refers to: the name itself, or the course's dW1 for W1."""
    if key in names:
        return key
    if key.startswith("d") and key[1:] in names:
        return key[1:]
    raise KeyError(f"{where}: gradient {key!r} matches no input; the inputs are "
                   f"{list(names)} (give a gradient as W1 or as the course's dW1)")


def _value(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def explain(name: str, g: np.ndarray, e: np.ndarray) -> str | None:
    """A one-line guess at what went wrong when a hand-derived gradient e differs from the
    engine's g for input ``name``: a transpose, a sum over examples not taken, a constant factor
    (a missing 1/m), or how many elements differ."""
    if g.shape != e.shape:
        if g.ndim == e.ndim == 2 and g.shape == e.shape[::-1]:
            return (f"hint: the transposed shape: a missing or extra transpose? (a gradient "
                    f"has its input's shape, {name} {g.shape})")
        if g.ndim == e.ndim and all(a in (1, c) for a, c in zip(g.shape, e.shape)):
            axes = tuple(i for i, (a, c) in enumerate(zip(g.shape, e.shape)) if a != c)
            return (f"hint: {name} was broadcast along axis {axes[0] if len(axes) == 1 else axes}"
                    f", so its gradient is summed there: np.sum(..., axis="
                    f"{axes[0] if len(axes) == 1 else axes}, keepdims=True) (db = (1/m) Σ_i "
                    "dZ(:, i) for a bias)")
        if g.ndim == e.ndim == 2 and g.shape[0] == e.shape[0]:
            return (f"hint: right rows, wrong columns ({e.shape[1]}, not {g.shape[1]}): in "
                    "dW^[l] = (1/m) dZ^[l] A^[l-1]ᵀ the columns come from A^[l-1], the layer's "
                    "input: is your A from the right layer?")
        if g.size == e.size:
            return f"hint: the right number of elements in the wrong shape: reshape to {g.shape}"
        return f"hint: a gradient has its input's shape, {name} {g.shape}"
    gg = float(np.vdot(g, g))
    if gg > 0:
        k = float(np.vdot(g, e)) / gg
        if abs(k - 1) > 1e-3 and relative_difference(k * g, e) < 1e-6:
            # (one element is always a multiple of another: no "everywhere" then)
            hint = f"hint: expected = {k:.6g} × engine"
            hint += " everywhere: a constant factor" if g.size > 1 else ""
            for whole, word in ((k, "missing"), (1 / k if k else 0.0, "extra")):
                if abs(whole) >= 1.5 and abs(whole - round(whole)) < 1e-6:
                    article = "an" if word == "extra" else "a"
                    hint += f" ({article} {word} 1/{round(abs(whole))}, e.g. 1/m?)"
            return hint + (" — a sign error?" if k < 0 else "")
    close = np.abs(g - e) <= 1e-9 * (np.abs(g) + np.abs(e))
    return f"hint: {int(close.size - close.sum())} of {close.size} elements differ"


def assert_gradients_match(fn: Callable[..., Any], inputs: Mapping[str, Any],
                           expected: Mapping[str, Any] | Callable[..., Mapping[str, Any]]
                           | None = None, eps: float = 1e-7, tol: float = CLOSE.rtol) -> None:
    """Assert that the engine's gradient of the scalar ``fn(**tensors)`` for each named input
    matches ``expected``: your hand-derived gradients as a dict keyed by the input names or by
    the course's names (dW1 for W1), or a function of the same arrays returning such a dict;
    with None, central finite differences with step ``eps``.

    Your gradients are checked one by one: each input ``expected`` names must have a relative
    difference ||g − g'|| / (||g|| + ||g'||) (g engine, g' expected) of at most ``tol``; inputs
    it leaves out are not checked. Finite differences are checked as the course does, over all
    inputs together, and differences below their rounding noise (about 1e-16 |J| / eps per
    element) are not failures: near a stationary point no finite difference is accurate.

    On failure, AssertionError names each wrong input, its relative difference, the worst
    element's index and both values, plus a hint (a transpose? a sum over examples? 1/m?).
    """
    if not isinstance(inputs, Mapping):
        raise TypeError(f"assert_gradients_match: inputs must be a dict of named arrays, got "
                        f"{type(inputs).__name__}")
    arrays_ = {k: np.array(v.data if isinstance(v, Tensor) else v, dtype=np.float64)
               for k, v in inputs.items()}
    engine = engine_gradients(fn, arrays_)
    if expected is None:  # the one rule of gradcheck.CLOSE, within the differences' noise
        assert_finite_differences(fn, arrays_, eps, tol)
        return
    if callable(expected):
        expected = expected(**{k: v.copy() for k, v in arrays_.items()})
        if not isinstance(expected, Mapping):
            raise TypeError(f"assert_gradients_match: expected(...) must return a dict of "
                            f"gradients, got {type(expected).__name__}")
    theirs: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for key, value in expected.items():
        name = _course_name(key, list(arrays_), "assert_gradients_match")
        if name in theirs:
            raise KeyError(f"assert_gradients_match: two gradients for {name}: "
                           f"{labels[name]!r} and {key!r}")
        theirs[name], labels[name] = value, key
    compare_gradients({k: engine[k] for k in theirs}, theirs, tol, what="expected",
                      labels=labels, explain=explain)


def course_grads(model: Any, X: Any, Y: Any, include_dA0: bool = False) -> dict[str, np.ndarray]:
    """The engine's gradients of a model's cost as the course's dict: "d" + each parameter's
    name (dW1, db1, ..., dWL, dbL; dw, db for LogisticRegression), to compare one-to-one with
    your own L_model_backward. The model's ``.grad`` fields are left untouched.

    With ``include_dA0``, also the course's dA0 = W^[1]ᵀ dZ^[1]: like every dA^[l] of the
    course it is the per-example gradient, m × ∂J/∂X (dW and db carry the 1/m).
    ``model`` needs ``parameters()`` (name -> Tensor) and ``forward(X)``; J is
    tc.binary_cross_entropy(A^[L], Y).
    """
    params = dict(model.parameters())
    Yt = Tensor(np.asarray(Y.data if isinstance(Y, Tensor) else Y, dtype=np.float64), name="Y")
    Xdata = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    if include_dA0:
        # forward() treats X as data and never differentiates it; the models' _forward does
        forward = getattr(model, "_forward", model.forward)
        A0 = Tensor(Xdata, requires_grad=True, name="A0")
        J = ops.binary_cross_entropy(forward(A0), Yt)
        grads = autograd.grad(J, [*params.values(), A0])
    else:
        J = ops.binary_cross_entropy(model.forward(Xdata), Yt)
        grads = autograd.grad(J, list(params.values()))
    result = {f"d{name}": g.data for name, g in zip(params, grads)}
    if include_dA0:
        result["dA0"] = grads[-1].data * Xdata.shape[-1]
    return result
