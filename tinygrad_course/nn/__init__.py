"""Networks of course 1 on the engine: logistic regression and the L-layer network.

    >>> import numpy as np
    >>> from tinygrad_course import nn
    >>> from tinygrad_course.datasets import planar_flower
    >>> X, Y = planar_flower()                       # X (2, 400), Y (1, 400)
    >>> model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",
    ...                   rng=np.random.RandomState(2))
    >>> costs = model.fit(X, Y, learning_rate=1.2, num_iterations=1000)
    >>> round(model.accuracy(X, Y), 2) > 0.85
    True

Built only from the engine's public API: every gradient comes from ``backward()``.
"""

from .init import INITS, initialize_parameters
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits
from .models import (
    ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    DeepNN,
    LogisticRegression,
    Model,
    ModelFileError,
    load,
)
from .progress import ProgressBar

__all__ = [
    "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "INITS", "DeepNN", "LogisticRegression", "Model",
    "ModelFileError", "ProgressBar", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "initialize_parameters", "load",
]
