"""The backward pass as numpy code: what ``tc.trace`` writes for the course's three lessons.

    python examples/tracing.py j                    # J = 3(a + bc), lesson 2.5
    python examples/tracing.py logistic             # one step of week 2's logistic regression
    python examples/tracing.py two_layer            # one step of week 3's 2-layer network
    python examples/tracing.py two_layer --simplify # the same, in the course's algebra
    python examples/tracing.py two_layer --executed # the same step as it runs (out= buffers)

Each prints the generated function; docs/tracing.md shows the output beside the course's
hand-written backward (tests/test_docs.py checks that the two agree). The networks only need
shapes, so the data is zeros of the cat images' shape (12288, 209) and the flower's (2, 400).
"""

from __future__ import annotations

import argparse

import numpy as np

import tinygrad_course as tc
from tinygrad_course.nn import DeepNN, LogisticRegression


def j_example() -> str:
    """The lecture's graph, u = bc, v = a + u, J = 3v, at a = 5, b = 3, c = 2."""
    def J(a: tc.Tensor, b: tc.Tensor, c: tc.Tensor) -> tc.Tensor:
        u = b * c
        v = a + u
        out = 3 * v
        u.name, v.name, out.name = "u", "v", "J"
        return out

    inputs = [tc.Tensor(x, requires_grad=True) for x in (5.0, 3.0, 2.0)]
    return tc.trace(J, *inputs).source


def logistic() -> str:
    """Week 2: A = σ(wᵀX + b) on the cat images (n_x = 12288, m = 209)."""
    model = LogisticRegression(12288)
    return model.step_source(np.zeros((12288, 209)), np.zeros((1, 209)))


def two_layer(simplify: bool, executed: bool = False) -> str:
    """Week 3: the 2-4-1 tanh network on the flower (n_x = 2, m = 400)."""
    model = DeepNN([2, 4, 1], hidden_activation="tanh", init="small", rng=2)
    X, Y = np.zeros((2, 400)), np.zeros((1, 400))
    if not simplify:
        return model.step_source(X, Y, executed=executed)
    params = list(model.parameters().values())

    def cost(W1: tc.Tensor, b1: tc.Tensor, W2: tc.Tensor, b2: tc.Tensor, X: tc.Tensor,
             Y: tc.Tensor) -> tc.Tensor:
        return model._cost(X, Y, {"W1": W1, "b1": b1, "W2": W2, "b2": b2})

    return tc.trace(cost, *params, tc.Tensor(X, name="X"), tc.Tensor(Y, name="Y"),
                    simplify=True).source


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson", choices=["j", "logistic", "two_layer"])
    parser.add_argument("--simplify", action="store_true",
                        help="write σ and the cost's backward as the course's dZ = (A − Y)/m")
    parser.add_argument("--executed", action="store_true",
                        help="the code that runs: the same lines computed into reused buffers")
    args = parser.parse_args(argv)
    if args.lesson == "j":
        source = j_example()
    elif args.lesson == "logistic":
        source = logistic()
    else:
        if args.simplify and args.executed:
            parser.error("--simplify and --executed: pick one")
        source = two_layer(args.simplify, args.executed)
    print(source, end="")
    return source


if __name__ == "__main__":
    main()
