"""Week 3: the "flower" data set, a 2-4-1 tanh network against logistic regression.

The course's planar data (400 points on the petals of r = 4 sin 4θ, generated here, no download)
cannot be separated by a line: logistic regression gets about 47 %, the course's network with
one hidden layer of 4 tanh units about 90 %. Settings as the course's: "small" initialisation
from np.random.RandomState(2), α = 1.2, 10,000 iterations.

The main demo: it shows a progress bar, prints the accuracies beside the course's, and writes
into --out (default ./flower_out) what a learner can look at, on a fresh install:

    flower_graph.svg        the trained network's computation graph after one more backward
                            pass: W1, b1, ..., J with their gradients dW1, db1, ...
    flower_steps.html       the first iteration's backward pass, step by step (docs/stepping.md)
    flower_cost.png         the cost curve (flower_cost.svg, drawn by the project itself,
                            where matplotlib is not installed)
    flower_decision_boundary.png    both models' decision boundaries (with matplotlib only)

    python examples/flower.py [--iterations N] [--lr α] [--hidden-units N] [--out DIR]
                              [--no-plot] [--no-progress] [--print-cost]
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
from tinygrad_course.files import atomic_write
from tinygrad_course.graph import topological_order
from tinygrad_course.nn.plots import matplotlib_available, save_decision_boundary
from tinygrad_course.render import RenderError
from tinygrad_course.steps_page import page_text
from tinygrad_course.tensor import Tensor
from tinygrad_course.viz import save_svg

NAME = "flower: 2-4-1 tanh network (week 3)"
ITERATIONS, LEARNING_RATE = 10_000, 1.2
COURSE_NETWORK, COURSE_LOGISTIC = "90 %", "47 %"
OUT = "flower_out"


def network(hidden_units: int = 4) -> nn.DeepNN:
    """The course's 2-n_h-1 tanh network with its initial weights ("small", RandomState(2)):
    each call gives the same weights."""
    return nn.DeepNN([2, hidden_units, 1], hidden_activation="tanh", init="small",
                     rng=np.random.RandomState(2))


def run(iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE,
        hidden_units: int = 4, print_cost: bool = True,
        progress: bool = False) -> tuple[C.Result, nn.DeepNN, nn.LogisticRegression]:
    X, Y = planar_flower()  # the course's data set: m = 400, noise 0.2, seed 1
    X_new, Y_new = planar_flower(seed=2)  # a second draw of the same flower, never trained on
    net = network(hidden_units)
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


def first_iteration_page(hidden_units: int) -> str:
    """The step-by-step page of the first iteration: J on the initial weights, its forward
    and backward pass as ``tinygrad-course train --steps`` writes them."""
    X, Y = planar_flower()
    J = network(hidden_units).cost(X, Y)
    return page_text(J, title=f"the first iteration of the 2-{hidden_units}-1 flower "
                              "network: backward, step by step")


def trained_graph(net: nn.DeepNN) -> Tensor:
    """J of the trained network with its graph, after one backward pass that keeps every
    gradient (dW1, db1, ..., dZ1, dA1, ...) for the picture. The parameters' ``.grad`` are
    this pass's, not the last training iteration's."""
    X, Y = planar_flower()
    for p in net.parameters().values():
        p.grad = None
    J = net.cost(X, Y)
    for t in topological_order([J]):
        if not t.is_leaf:
            t.retain_grad()
    J.backward()
    return J


def write_pictures(out: Path, result: C.Result, net: nn.DeepNN,
                   logistic: nn.LogisticRegression, page: str, learning_rate: float) -> None:
    """Write every picture into ``out``, each whole or not at all, printing its path."""
    graph = save_svg(trained_graph(net), out / "flower_graph.svg")
    print(f"computation graph: {graph}")
    print(f"backward, step by step: {atomic_write(out / 'flower_steps.html', page)}")
    C.save_plot(result, str(out), "flower", learning_rate, no_plot=False)
    if not matplotlib_available():
        print('(no decision boundaries: they need matplotlib; pip install '
              '"tinygrad_course[plot]")')
        return
    X, Y = planar_flower()
    path = save_decision_boundary(
        [(f"logistic regression: {C.percent(logistic.accuracy(X, Y))}", logistic),
         (f"2-{net.layer_dims[1]}-1 tanh network: {C.percent(net.accuracy(X, Y))}", net)],
        X, Y, out / "flower_decision_boundary.png")
    print(f"decision boundaries: {path}")


def main(argv: Sequence[str] | None = None) -> int:
    p = C.parser(__doc__.splitlines()[0], ITERATIONS, LEARNING_RATE, data=False, out=OUT,
                 progress=True)
    p.add_argument("--hidden-units", type=int, default=4, metavar="N",
                   help="n_h, the hidden layer's size (default 4, the course's)")
    p.add_argument("--print-cost", action="store_true",
                   help="print the cost every 100 iterations, as the course's notebook does")
    args = p.parse_args(argv)
    problem = (None if args.hidden_units >= 1 else
               f"--hidden-units must be >= 1, got {args.hidden_units}") or C.check_common(args)
    if problem:
        return C.fail(problem)
    try:  # iteration 0's graph, on the initial weights, before training moves them
        page = None if args.no_plot else first_iteration_page(args.hidden_units)
    except RenderError as err:
        return C.fail(" ".join(str(err).split()))
    result, net, logistic = run(args.iterations, args.lr, args.hidden_units,
                                print_cost=args.print_cost, progress=args.progress)
    print(f"network accuracy:             {C.percent(result.train_accuracy)}   "
          f"(course: {COURSE_NETWORK})")
    print(f"logistic regression accuracy: "
          f"{C.percent(result.extra['logistic regression accuracy'])}   "
          f"(course: {COURSE_LOGISTIC})")
    print(f"network on a second flower drawn with seed 2, never trained on: "
          f"{C.percent(result.extra['held-out accuracy'])}")
    if page is not None:
        try:
            write_pictures(Path(args.out), result, net, logistic, page, args.lr)
        except (OSError, RenderError) as err:  # FileError names the path and the reason
            return C.fail(" ".join(str(err).split()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
