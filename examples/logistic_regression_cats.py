"""Week 2: logistic regression on the course's cat/non-cat images, trained on the engine.

w and b start at zero, α = 0.005, 2000 iterations of batch gradient descent, as the course's
assignment; the course reports 99 % train and 70 % test accuracy.

    python examples/logistic_regression_cats.py [--data DIR] [--iterations N] [--lr α]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import _common as C

from tinygrad_course import nn

NAME = "logistic regression (week 2)"
ITERATIONS, LEARNING_RATE = 2000, 0.005
COURSE_TRAIN, COURSE_TEST = "99.04 %", "70.0 %"


def run(data: str | None, iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE,
        print_cost: bool = True, progress: bool = False) -> C.Result:
    train_X, train_Y, test_X, test_Y = C.load_cats(data)
    model = nn.LogisticRegression(train_X.shape[0])
    costs, seconds = C.fit(model, train_X, train_Y, learning_rate, iterations, print_cost,
                           progress)
    return C.Result(NAME, f"12288 inputs; w = 0, b = 0; α = {learning_rate}; "
                          f"{iterations} iterations", costs,
                    model.accuracy(train_X, train_Y), model.accuracy(test_X, test_Y), seconds)


def main(argv: Sequence[str] | None = None) -> int:
    return C.cat_main(argv, __doc__.splitlines()[0], run, (ITERATIONS, LEARNING_RATE),
                      (COURSE_TRAIN, COURSE_TEST), "logistic_regression_cats")


if __name__ == "__main__":
    sys.exit(main())
