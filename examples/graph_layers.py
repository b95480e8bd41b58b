"""The layer view of a big network: the 4-layer cat network 12288-20-7-5-1 (course 1, week 4)
after one backward pass, one box per layer (W^[l], b^[l], Z^[l], A^[l], their shapes and
‖dW^[l]‖, ‖db^[l]‖), drawn top to bottom so it fits a 1,200-pixel-wide screen.

Three random 64x64x3 "images" stand in for the data set: the picture shows shapes and
gradient norms, and the network's shapes do not depend on m beyond the last axis.

    python examples/graph_layers.py --out docs/img
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import tinygrad_course as tc
from tinygrad_course.nn import DeepNN
from tinygrad_course.viz import save_svg

LAYER_DIMS = [12288, 20, 7, 5, 1]


def build(m: int = 3, seed: int = 1) -> tc.Tensor:
    """J of the cat network on m random examples, before backward."""
    rng = np.random.default_rng(seed)
    model = DeepNN(LAYER_DIMS, rng=seed)
    X = rng.random((LAYER_DIMS[0], m))
    Y = (np.arange(m) % 2 == 0).astype(float).reshape(1, m)
    return model.cost(X, Y)


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the SVG")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    J = build()
    J.backward()
    written = [save_svg(J, out / "graph_cat_layers.svg", view="layers")]
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
