"""Week 4: the 4-layer network 12288-20-7-5-1 ([LINEAR -> RELU] x 3 -> LINEAR -> SIGMOID).

"xavier" initialisation (standard normal / sqrt(n^[l-1])) from np.random.RandomState(1),
α = 0.0075, 2500 iterations, as the course's assignment; the course reports 98.6 % train and
80 % test accuracy.

    python examples/deep_cats.py [--data DIR] [--iterations N] [--lr α] [--save model.npz]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import _common as C
import numpy as np

from tinygrad_course import nn

NAME = "4-layer network 12288-20-7-5-1 (week 4)"
ITERATIONS, LEARNING_RATE = 2500, 0.0075
COURSE_TRAIN, COURSE_TEST = "98.56 %", "80 %"


def run(data: str | None, iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE,
        print_cost: bool = True, progress: bool = False,
        save: str | None = None) -> C.Result:
    train_X, train_Y, test_X, test_Y = C.load_cats(data)
    model = nn.DeepNN([train_X.shape[0], 20, 7, 5, 1], hidden_activation="relu", init="xavier",
                      rng=np.random.RandomState(1))
    costs, seconds = C.fit(model, train_X, train_Y, learning_rate, iterations, print_cost,
                           progress)
    if save:
        print(f"model saved: {model.save(save)}")
    return C.Result(NAME, f"relu/sigmoid; \"xavier\" init from RandomState(1); "
                          f"α = {learning_rate}; {iterations} iterations", costs,
                    model.accuracy(train_X, train_Y), model.accuracy(test_X, test_Y), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    return C.cat_main(argv, __doc__.splitlines()[0], run, (ITERATIONS, LEARNING_RATE),
                      (COURSE_TRAIN, COURSE_TEST), "deep_cats", with_save=True)


if __name__ == "__main__":
    sys.exit(main())
