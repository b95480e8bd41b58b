"""One forward/backward step of a 2-layer network (2 inputs, 3 tanh units, 1 sigmoid output,
m = 4 examples), drawn as the course's layers: W1, b1, Z1, A1 in "layer 1", W2, b2, Z2, A2 in
"layer 2". The red edges give each backward formula: dW1 = du·Xᵀ (u = W1 X), and db1, db2 carry
"Σ axis=1", the sum over the examples that broadcasting b in Z = W A + b asks of backward.
Writes graph_2layer.svg, then takes the gradient-descent step and prints J before and after.

    python examples/graph_2layer.py --out docs/img
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_course import nn, no_grad
from tinygrad_course.graph import topological_order
from tinygrad_course.viz import save_svg

X = np.array([[1.6, -0.6, -0.5, -1.1],
              [0.9, -2.3, 1.7, -0.8]])
Y = np.array([[1.0, 0.0, 1.0, 0.0]])


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the SVG")
    parser.add_argument("--learning-rate", type=float, default=1.2)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    model = nn.DeepNN([2, 3, 1], hidden_activation="tanh", init="xavier",
                      rng=np.random.RandomState(2))
    J = model.cost(X, Y)                   # forward: X -> Z1 -> A1 -> Z2 -> A2 -> J
    for t in topological_order([J]):
        if t.name and not t.is_leaf:
            t.retain_grad()                # show dZ1, dA1, dZ2, dA2 too
    J.backward()                           # backward: every dW, db
    path = save_svg(J, args.out / "graph_2layer.svg", backward_edges=True, max_elements=4)

    named = {t.name: t for t in topological_order([J]) if t.name}
    A2, Z2 = named["A2"], named["Z2"]
    m = X.shape[1]
    print(f"dZ2 = (A2 - Y)/m: {np.allclose(Z2.grad, (A2.data - Y) / m)}")
    with no_grad():
        for p in model.parameters().values():
            p.data -= args.learning_rate * p.grad
    print(f"J before the step {float(J.data):.6f}, after {float(model.cost(X, Y).data):.6f}")
    print(f"wrote {path}")
    return [path]


if __name__ == "__main__":
    main()
