"""The op table: every operation declared once, its forward beside its vector-Jacobian products.

Each op is one ``Op(...)`` entry (see :class:`core.Op`) in the module of its family:

  * :mod:`.elementwise`: + − * / ** (number or Tensor exponent), exp, log, log1p, expm1,
    sqrt, square, abs, sin, cos, maximum, minimum, where and the activations (σ, tanh, ReLU),
  * :mod:`.reductions`: Σ, mean, max, min, prod, var, std, cumsum (argmax and argmin are
    constants beside them),
  * :mod:`.shape`: transpose, reshape, broadcast_to, getitem (and its scatter index_add),
    split, concatenate, stack, expand_dims, squeeze, repeat, tile, pad,
  * :mod:`.linalg`: matmul (1-D, 2-D and batched), tensordot, einsum,
  * :mod:`.softmax_family`: logsumexp, softmax, log softmax,
  * :mod:`.losses`: the course's cross-entropy cost, binary and categorical,
  * :mod:`.cast`: float dtype casts (so gradients keep their input's dtype).

:mod:`.numpy_api` maps numpy's functions and ufuncs on Tensors to these ops.

:mod:`.core` holds what they share: the ``Op`` class that records nodes, the shape rules that
word errors, and :func:`~core.sum_to_shape`, the one place broadcasting is undone. ``OPS`` is
the whole table, which the tests loop over so a new op cannot go untested.
"""

from __future__ import annotations

from . import cast, elementwise, linalg, losses, reductions, shape, softmax_family
from .cast import ASTYPE, astype
from .core import (
    Op,
    broadcast_axes,
    broadcast_rule,
    describe,
    matmul_rule,
    mode,
    reduce_rule,
    reshape_rule,
    sum_to_shape,
)
from .elementwise import (
    ABS,
    ADD,
    CLIP,
    COS,
    DIV,
    EXP,
    EXPM1,
    LEAKY_RELU,
    LOG,
    LOG1P,
    MAXIMUM,
    MINIMUM,
    MUL,
    NEG,
    POW,
    POW_TENSOR,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SQUARE,
    SUB,
    TANH,
    WHERE,
    absolute,
    add,
    clip,
    cos,
    div,
    exp,
    expm1,
    leaky_relu,
    log,
    log1p,
    maximum,
    minimum,
    mul,
    neg,
    power,
    relu,
    sigmoid,
    sin,
    sqrt,
    square,
    sub,
    tanh,
    where,
)
from .elementwise import abs as abs  # noqa: PLC0414  (shadows the builtin inside ops only)
from .linalg import EINSUM, MATMUL, TENSORDOT, einsum, matmul, tensordot
from .losses import (
    BCE,
    BCE_LOGITS,
    CCE,
    CCE_LOGITS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    categorical_cross_entropy,
    categorical_cross_entropy_with_logits,
)
from .reductions import (
    CUMSUM,
    MAX,
    MEAN,
    MIN,
    PROD,
    STD,
    SUM,
    VAR,
    argmax,
    argmin,
    cumsum,
    mean,
    prod,
    std,
    var,
)
from .reductions import max as max  # noqa: PLC0414  (these three shadow builtins inside ops only)
from .reductions import min as min  # noqa: PLC0414
from .reductions import sum as sum  # noqa: PLC0414
from .shape import (
    BROADCAST_TO,
    CONCATENATE,
    EXPAND_DIMS,
    GETITEM,
    INDEX_ADD,
    PAD,
    REPEAT,
    RESHAPE,
    SQUEEZE,
    STACK,
    TILE,
    TRANSPOSE,
    broadcast_to,
    concatenate,
    expand_dims,
    getitem,
    index_add,
    pad,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    tile,
    transpose,
)
from .softmax_family import LOG_SOFTMAX, LOGSUMEXP, SOFTMAX, log_softmax, logsumexp, softmax

FAMILIES = (elementwise, reductions, shape, linalg, softmax_family, losses, cast)
OPS: tuple[Op, ...] = tuple(v for m in FAMILIES for v in vars(m).values() if isinstance(v, Op))

__all__ = [
    "OPS", "Op", "mode", "describe", "sum_to_shape", "broadcast_axes", "broadcast_rule",
    "matmul_rule", "reduce_rule", "reshape_rule",
    "ADD", "SUB", "MUL", "DIV", "NEG", "POW", "EXP", "LOG", "SIGMOID", "TANH", "RELU",
    "LEAKY_RELU", "CLIP", "MATMUL", "SUM", "MEAN", "TRANSPOSE", "RESHAPE", "BROADCAST_TO",
    "BCE", "BCE_LOGITS", "ASTYPE", "astype",
    "GETITEM", "INDEX_ADD", "CONCATENATE", "STACK", "EXPAND_DIMS",
    "SQUEEZE", "REPEAT", "TILE", "PAD", "TENSORDOT", "EINSUM",
    "CCE", "CCE_LOGITS", "LOGSUMEXP", "SOFTMAX", "LOG_SOFTMAX",
    "add", "sub", "mul", "div", "neg", "power", "exp", "log", "sigmoid", "tanh", "relu",
    "leaky_relu", "clip", "matmul", "sum", "mean", "transpose", "reshape", "broadcast_to",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "getitem", "index_add", "split", "concatenate", "stack", "expand_dims", "squeeze", "repeat",
    "tile", "pad", "tensordot", "einsum",
    "categorical_cross_entropy", "categorical_cross_entropy_with_logits", "logsumexp",
    "softmax", "log_softmax",
    "ABS", "COS", "EXPM1", "LOG1P", "MAXIMUM", "MINIMUM", "POW_TENSOR", "SIN", "SQRT",
    "SQUARE", "WHERE",
    "abs", "absolute", "cos", "expm1", "log1p", "maximum", "minimum", "sin", "sqrt", "square",
    "where",
    "MAX", "MIN", "PROD", "VAR", "STD", "CUMSUM",
    "max", "min", "prod", "var", "std", "cumsum", "argmax", "argmin",
]
