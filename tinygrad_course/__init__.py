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
from .ops import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    broadcast_to,
    clip,
    exp,
    leaky_relu,
    log,
    matmul,
    mean,
    relu,
    reshape,
    sigmoid,
    sum_to_shape,
    tanh,
    transpose,
)
from .ops import sum as sum  # noqa: PLC0414  (tc.sum shadows the builtin only inside tc)
from .tensor import Tensor
from .viz import draw_graph, save_svg

__version__ = "0.1.0"

__all__ = [
    "Tensor", "backward", "grad", "no_grad", "enable_grad", "detect_anomaly",
    "gradcheck", "assert_gradcheck", "custom_op",
    "exp", "log", "sigmoid", "tanh", "relu", "leaky_relu", "clip", "matmul", "transpose",
    "reshape", "sum", "mean", "broadcast_to", "sum_to_shape",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "draw_graph", "save_svg",
]
