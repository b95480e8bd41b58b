"""Pictures of training: the cost curve (SVG or PNG) and a 2-D decision boundary (PNG).

The cost curve's format follows the file's name: ``cost.svg`` is drawn by the project itself
(:mod:`.svgplot`, no matplotlib), any other name is a PNG drawn by matplotlib. Chosen by the
name, not by what is installed, so a file always holds what its name says and an SVG is the
same file on every machine; ``cost_curve_suffix()`` says which a caller can have here.

matplotlib is the optional extra ``plot`` (``pip install "tinygrad_course[plot]"``). Its figures
are drawn with matplotlib's object API on the Agg canvas, so no window opens and no global
pyplot state is touched. Each file is written whole or not at all (``files.atomic_write``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..files import atomic_write
from .svgplot import cost_curve_svg, title_lines

__all__ = ["cost_curve_suffix", "matplotlib_available", "save_cost_curve",
           "save_decision_boundary"]

_MISSING = ("plots need matplotlib: pip install \"tinygrad_course[plot]\" "
            "(or pip install matplotlib)")


def matplotlib_available() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def cost_curve_suffix() -> str:
    """".png" where matplotlib is installed, else ".svg" (the project's own drawing)."""
    return ".png" if matplotlib_available() else ".svg"


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(_MISSING) from None
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_cost_curve(costs: Sequence[float], path: str | os.PathLike[str],
                    title: str | None = None, learning_rate: float | None = None) -> Path:
    """Plot J against the iteration (entry i of ``costs`` is iteration i) and save it: as SVG
    drawn by :mod:`.svgplot` when ``path`` ends in ``.svg``, else as a PNG drawn by
    matplotlib. The title is ``title`` over "Learning rate = α"; NaN and ±inf are not drawn."""
    if Path(path).suffix.lower() == ".svg":
        return atomic_write(path, cost_curve_svg(costs, title, learning_rate))
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    ax.plot(np.arange(len(costs)), np.asarray(costs, dtype=float), color="tab:blue")
    ax.set_xlabel("iterations")
    ax.set_ylabel("cost")
    ax.set_title("\n".join(title_lines(title, learning_rate)))
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return atomic_write(path, lambda f: fig.savefig(f, format="png"))


def save_decision_boundary(models: Sequence[tuple[str, Any]], X: np.ndarray, Y: np.ndarray,
                           path: str | os.PathLike[str], resolution: int = 300) -> Path:
    """One panel per (title, model): the region the model labels 1 shaded, the points of X
    (2, m) coloured by Y on top. Saves a PNG."""
    if X.shape[0] != 2:
        raise ValueError(f"a decision boundary needs 2-D inputs, X has shape {X.shape}")
    x0 = np.linspace(X[0].min() - 1, X[0].max() + 1, resolution)
    x1 = np.linspace(X[1].min() - 1, X[1].max() + 1, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.stack([g0.ravel(), g1.ravel()])
    fig = _figure(5.0 * len(models), 4.6)
    for k, (title, model) in enumerate(models, start=1):
        ax = fig.add_subplot(1, len(models), k)
        labels = model.predict(grid).reshape(g0.shape)
        ax.contourf(g0, g1, labels, levels=[-0.5, 0.5, 1.5], colors=["#f4b6b6", "#b6c8f4"])
        ax.scatter(X[0], X[1], c=np.ravel(Y), cmap="coolwarm_r", s=12, edgecolors="k",
                   linewidths=0.3)
        ax.set_title(title)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
    fig.tight_layout()
    return atomic_write(path, lambda f: fig.savefig(f, format="png"))
