"""tinygrad_course: a small reverse-mode autodiff engine over numpy, in the notation of
deeplearning.ai's "Neural Networks and Deep Learning".

    >>> import tinygrad_course as tc
    >>> a = tc.Tensor(5.0, requires_grad=True, name="a")
    >>> b = tc.Tensor(3.0, requires_grad=True, name="b")
    >>> c = tc.Tensor(2.0, requires_grad=True, name="c")
    >>> J = 3 * (a + b * c)
    >>> J.backward()
    >>> J.item(), a.grad, b.grad, c.grad
    (33.0, array(3.), array(6.), array(9.))
"""

from .autograd import backward, detect_anomaly, enable_grad, grad, no_grad
from .custom import custom_op
from .gradcheck import assert_gradcheck, gradcheck
from .ops import abs as abs  # noqa: PLC0414  (a builtin's name, only as tc.abs)
from .ops import (
    argmax,
    argmin,
    astype,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    broadcast_to,
    categorical_cross_entropy,
    categorical_cross_entropy_with_logits,
    clip,
    concatenate,
    cos,
    cumsum,
    einsum,
    exp,
    expand_dims,
    expm1,
    leaky_relu,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    maximum,
    mean,
    minimum,
    pad,
    power,
    prod,
    relu,
    repeat,
    reshape,
    sigmoid,
    sin,
    softmax,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum_to_shape,
    tanh,
    tensordot,
    tile,
    transpose,
    var,
    where,
)
from .ops import max as max  # noqa: PLC0414  (a builtin's name, only as tc.max)
from .ops import min as min  # noqa: PLC0414  (a builtin's name, only as tc.min)
from .ops import sum as sum  # noqa: PLC0414  (a builtin's name, only as tc.sum)
from .stepper import Steps, backward_steps
from .steps_page import save_frames, save_page
from .tensor import Tensor
from .tracer import Traced, TraceError, trace
from .viz import draw_graph, save_svg

__version__ = "0.1.0"

__all__ = [
    "Tensor", "backward", "grad", "no_grad", "enable_grad", "detect_anomaly", "gradcheck",
    "assert_gradcheck", "custom_op", "draw_graph", "save_svg", "abs", "argmax", "argmin",
    "astype", "binary_cross_entropy", "binary_cross_entropy_with_logits", "broadcast_to",
    "categorical_cross_entropy", "categorical_cross_entropy_with_logits", "clip", "concatenate",
    "cos", "cumsum", "einsum", "exp", "expand_dims", "expm1", "leaky_relu", "log", "log1p",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "pad",
    "power", "prod", "relu", "repeat", "reshape", "sigmoid", "sin", "softmax", "split", "sqrt",
    "square", "squeeze", "stack", "std", "sum", "sum_to_shape", "tanh", "tensordot", "tile",
    "transpose", "var", "where", "backward_steps", "Steps",
    "save_page", "save_frames", "trace", "Traced", "TraceError",
]
