"""Week 4: the 2-layer network 12288-7-1 (LINEAR -> RELU -> LINEAR -> SIGMOID) on the cats.

"small" initialisation (standard normal × 0.01) from np.random.RandomState(1), α = 0.0075,
2500 iterations, as the course's assignment; the course reports 100 % train and 72 % test.

    python examples/two_layer_cats.py [--data DIR] [--iterations N] [--lr α]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import _common as C
import numpy as np

from tinygrad_course import nn

NAME = "2-layer network 12288-7-1 (week 4)"
ITERATIONS, LEARNING_RATE = 2500, 0.0075
COURSE_TRAIN, COURSE_TEST = "100 %", "72 %"


def run(data: str | None, iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE,
        print_cost: bool = True, progress: bool = False) -> C.Result:
    train_X, train_Y, test_X, test_Y = C.load_cats(data)
    model = nn.DeepNN([train_X.shape[0], 7, 1], hidden_activation="relu", init="small",
                      rng=np.random.RandomState(1))
    costs, seconds = C.fit(model, train_X, train_Y, learning_rate, iterations, print_cost,
                           progress)
    return C.Result(NAME, f"relu/sigmoid; \"small\" init from RandomState(1); "
                          f"α = {learning_rate}; {iterations} iterations", costs,
                    model.accuracy(train_X, train_Y), model.accuracy(test_X, test_Y), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    return C.cat_main(argv, __doc__.splitlines()[0], run, (ITERATIONS, LEARNING_RATE),
                      (COURSE_TRAIN, COURSE_TEST), "two_layer_cats")


if __name__ == "__main__":
    sys.exit(main())
