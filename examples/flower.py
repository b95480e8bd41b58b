"""Week 3: the "flower" data set, a 2-4-1 tanh network against logistic regression.

The course's planar data (400 points on the petals of r = 4 sin 4θ, generated here, no download)
cannot be separated by a line: logistic regression gets about 47 %, the course's network with
one hidden layer of 4 tanh units about 90 %. Settings as the course's: "small" initialisation
from np.random.RandomState(2), α = 1.2, 10,000 iterations. Needs neither the cat data nor
matplotlib (with matplotlib it also saves the cost curve and the decision boundaries).

    python examples/flower.py [--iterations N] [--lr α] [--hidden-units N] [--out DIR]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import _common as C
import numpy as np

from tinygrad_course import nn
from tinygrad_course.datasets import planar_flower
from tinygrad_course.nn.plots import matplotlib_available, save_decision_boundary

NAME = "flower: 2-4-1 tanh network (week 3)"
ITERATIONS, LEARNING_RATE = 10_000, 1.2
COURSE_NETWORK, COURSE_LOGISTIC = "90 %", "47 %"


def run(iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE,
        hidden_units: int = 4, print_cost: bool = True,
        progress: bool = False) -> tuple[C.Result, nn.DeepNN, nn.LogisticRegression]:
    X, Y = planar_flower()  # the course's data set: m = 400, noise 0.2, seed 1
    X_new, Y_new = planar_flower(seed=2)  # a second draw of the same flower, never trained on
    net = nn.DeepNN([2, hidden_units, 1], hidden_activation="tanh", init="small",
                    rng=np.random.RandomState(2))
    costs, seconds = C.fit(net, X, Y, learning_rate, iterations, print_cost, progress)
    start = time.perf_counter()
    logistic = nn.LogisticRegression(2)
    logistic_costs = logistic.fit(X, Y, learning_rate=learning_rate, num_iterations=iterations)
    result = C.Result(
        NAME.replace("2-4-1", f"2-{hidden_units}-1"),
        f"tanh/sigmoid; \"small\" init from RandomState(2); α = {learning_rate}; "
        f"{iterations} iterations", costs, net.accuracy(X, Y), None, seconds,
        extra={"held-out accuracy": net.accuracy(X_new, Y_new),
               "logistic regression accuracy": logistic.accuracy(X, Y),
               "logistic regression final cost": logistic_costs[-1] if iterations else
               float("nan"),
               "logistic regression seconds": time.perf_counter() - start})
    return result, net, logistic


def main(argv: Sequence[str] | None = None) -> int:
    p = C.parser(__doc__.splitlines()[0], ITERATIONS, LEARNING_RATE, data=False)
    p.add_argument("--hidden-units", type=int, default=4, metavar="N",
                   help="n_h, the hidden layer's size (default 4, the course's)")
    args = p.parse_args(argv)
    problem = C.check_common(args) or (
        None if args.hidden_units >= 1 else f"--hidden-units must be >= 1, got "
                                             f"{args.hidden_units}")
    if problem:
        return C.fail(problem)
    result, net, logistic = run(args.iterations, args.lr, args.hidden_units,
                                progress=args.progress)
    print(f"network accuracy:             {C.percent(result.train_accuracy)}   "
          f"(course: {COURSE_NETWORK})")
    print(f"logistic regression accuracy: "
          f"{C.percent(result.extra['logistic regression accuracy'])}   "
          f"(course: {COURSE_LOGISTIC})")
    print(f"network on a second flower drawn with seed 2, never trained on: "
          f"{C.percent(result.extra['held-out accuracy'])}")
    C.save_plot(result, args.out, "flower", args.lr, args.no_plot)
    if not args.no_plot and matplotlib_available():
        X, Y = planar_flower()
        path = save_decision_boundary(
            [(f"logistic regression: {C.percent(logistic.accuracy(X, Y))}", logistic),
             (f"2-{args.hidden_units}-1 tanh network: {C.percent(net.accuracy(X, Y))}", net)],
            X, Y, Path(args.out) / "flower_decision_boundary.png")
        print(f"decision boundaries: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
