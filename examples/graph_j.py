"""Lesson 2.5/2.6 as pictures: J = 3(a + bc) with a = 5, b = 3, c = 2.

Writes graph_j_forward.svg (values only: the forward pass, left to right) and graph_j.svg
(after J.backward(): every dJ/d·, and red edges right to left with the local derivatives).

    python examples/graph_j.py --out docs/img
"""

from __future__ import annotations

import argparse
from pathlib import Path

import tinygrad_course as tc
from tinygrad_course.viz import save_svg


def build() -> tc.Tensor:
    """The lecture's graph: u = bc, v = a + u, J = 3v (u and v keep their gradients)."""
    a = tc.Tensor(5.0, requires_grad=True, name="a")
    b = tc.Tensor(3.0, requires_grad=True, name="b")
    c = tc.Tensor(2.0, requires_grad=True, name="c")
    u = (b * c).retain_grad()
    v = (a + u).retain_grad()
    J = 3 * v
    u.name, v.name, J.name = "u", "v", "J"
    return J


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the SVGs")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    J = build()
    written = [save_svg(J, out / "graph_j_forward.svg")]
    J.backward()
    written.append(save_svg(J, out / "graph_j.svg", backward_edges=True))
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
