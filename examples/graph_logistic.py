"""Lesson 2.7 as a picture: logistic regression on one example with two features.

    z = w1 x1 + w2 x2 + b,   a = σ(z),   L(a, y) = −(y log a + (1 − y) log(1 − a))

After L.backward() the picture shows dL/dz = a − y on z (the course's "dz"), and the red
edges show how it arises: ∂L/∂a = (a − y)/(a(1 − a)) times ∂a/∂z = a(1 − a). Then
dw1 = x1 dz, dw2 = x2 dz, db = dz. Writes graph_logistic.svg.

    python examples/graph_logistic.py --out docs/img
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tinygrad_course as tc
from tinygrad_course.viz import save_svg


def build() -> dict[str, tc.Tensor]:
    """The lesson's tensors by name: x1, x2, y (data), w1, w2, b (parameters), z, a, L."""
    t = {"x1": tc.Tensor(2.0, name="x1"), "x2": tc.Tensor(1.0, name="x2"),
         "y": tc.Tensor(1.0, name="y"),  # the example and its label: data, no gradient
         "w1": tc.Tensor(0.1, requires_grad=True, name="w1"),
         "w2": tc.Tensor(-0.2, requires_grad=True, name="w2"),
         "b": tc.Tensor(0.3, requires_grad=True, name="b")}
    t["z"] = (t["w1"] * t["x1"] + t["w2"] * t["x2"] + t["b"]).retain_grad()
    t["a"] = tc.sigmoid(t["z"]).retain_grad()
    t["L"] = tc.binary_cross_entropy(t["a"], t["y"])
    for name in ("z", "a", "L"):
        t[name].name = name
    return t


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the SVG")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    t = build()
    t["L"].backward()
    v = {k: x.item() for k, x in t.items()}
    dz = v["a"] - v["y"]
    print(f"z = {v['z']:.4f}, a = σ(z) = {v['a']:.4f}, L = {v['L']:.4f}")
    print(f"dz  = a - y   = {dz:.4f}   (engine: {float(t['z'].grad):.4f})")
    print(f"dw1 = x1 dz   = {v['x1'] * dz:.4f}   (engine: {float(t['w1'].grad):.4f})")
    print(f"dw2 = x2 dz   = {v['x2'] * dz:.4f}   (engine: {float(t['w2'].grad):.4f})")
    print(f"db  = dz      = {dz:.4f}   (engine: {float(t['b'].grad):.4f})")
    path = save_svg(t["L"], out / "graph_logistic.svg", backward_edges=True)
    print(f"wrote {path}")
    return [path]


if __name__ == "__main__":
    main()
