"""Pictures of training: the cost curve and a 2-D decision boundary, as PNG files.

matplotlib is the optional extra ``plot`` (``pip install "tinygrad_course[plot]"``). The figures
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

__all__ = ["matplotlib_available", "save_cost_curve", "save_decision_boundary"]

_MISSING = ("plots need matplotlib: pip install \"tinygrad_course[plot]\" "
            "(or pip install matplotlib)")


def matplotlib_available() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


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
    """Plot J against the iteration (entry i of ``costs`` is iteration i) and save a PNG."""
    fig = _figure(6.0, 4.0)
    ax = fig.add_subplot()
    ax.plot(np.arange(len(costs)), np.asarray(costs, dtype=float), color="tab:blue")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    label = title or "cost"
    if learning_rate is not None:
        label += f" (learning rate = {learning_rate:g})"
    ax.set_title(label)
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
