"""The cost curve as an SVG picture the project draws itself: no matplotlib needed.

``cost_curve_svg(costs, title, learning_rate)`` returns the text of one SVG file: J against the
iteration (entry i of ``costs`` is iteration i, as ``fit`` returns them), with axes, ticks at
round numbers (1, 2 or 5 × 10^k; whole numbers on the iteration axis), the x label "iterations",
the y label "cost", and the title over the learning rate as the course's plots write it
("Learning rate = 1.2"). ``plots.save_cost_curve`` writes it, whole or not at all, for a path
ending in ``.svg``.

A long run is drawn from at most ``MAX_POINTS`` points: the iterations are cut into equal runs
and each run keeps its lowest and its highest cost, so a spike stays visible; the first and the
last iteration are always kept. A cost that is NaN or ±inf is not drawn: it breaks the line,
and a note under the title says how many there were and where the first was. No finite cost
at all (or no iteration) gives the frame and that note, never an exception.

A writer only: the numbers come in, text goes out; every piece of text is escaped for XML.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["MAX_POINTS", "cost_curve_svg", "round_ticks", "title_lines"]

#: The most points the curve is drawn from (10,000 iterations become about 660).
MAX_POINTS = 1000

WIDTH, HEIGHT = 600, 400
LEFT, RIGHT, BOTTOM = 78, 24, 56   # room for the y ticks and label, the margin, the x label
LINE = 18                          # one line of the title
FONT = 'font-family="DejaVu Sans, Verdana, Arial, sans-serif"'
BLUE, GREY, RED = "#1f77b4", "#cccccc", "#c0392b"

# What XML 1.0 cannot hold (C0 controls but tab and line breaks, lone surrogates, U+FFFE/FFFF):
# written as Python writes it (\x01), so a strange title never makes the file ill-formed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def title_lines(title: str | None, learning_rate: float | None) -> list[str]:
    """The title's lines, the same in the PNG and the SVG: the run's name, then
    "Learning rate = 1.2" as the course's plots write it."""
    lines = title.splitlines() if title else []
    if learning_rate is not None:
        lines.append(f"Learning rate = {learning_rate:g}")
    return lines or ["cost"]


def round_ticks(low: float, high: float, target: int = 6,
                integer: bool = False) -> list[float]:
    """Tick values in [low, high] at a round step (1, 2 or 5 × 10^k), about ``target`` of
    them; ``integer`` keeps the step a whole number (the iteration axis, which runs between
    whole numbers)."""
    if not (math.isfinite(low) and math.isfinite(high)) or high < low:
        raise ValueError(f"round_ticks needs finite low <= high, got {low}, {high}")
    if high == low:
        return [low]
    raw = (high - low) / max(target, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    if integer:
        step = max(1.0, round(step))
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [k * step + 0.0 for k in range(first, last + 1)]  # + 0.0: never "-0"


def _tick_text(value: float, step: float) -> str:
    """A tick's label with as many decimals as the step needs: 0.25, 2000, 0.21866."""
    biggest = max(abs(value), step)
    if 1e-4 <= biggest < 1e6:
        decimals = max(0, -math.floor(math.log10(step) + 1e-9))
        return f"{value:.{decimals}f}"
    digits = max(1, math.floor(math.log10(biggest)) - math.floor(math.log10(step)) + 1)
    return f"{value:.{digits}g}"


def _text(s: str) -> str:
    """User text as XML character data (also safe inside a quoted attribute)."""
    return html.escape(_NOT_XML.sub(lambda m: ascii(m.group())[1:-1], s), quote=True)


def _kept(costs: np.ndarray, max_points: int) -> list[int]:
    """The iterations drawn: all of them, or per run of iterations its lowest and highest
    finite cost and its first non-finite one (which breaks the line), plus both ends."""
    n = len(costs)
    if n <= max_points:
        return list(range(n))
    keep = {0, n - 1}
    runs = max(1, (max_points - 2) // 3)  # at most 3 kept per run
    edges = np.linspace(0, n, runs + 1).astype(int)
    for a, b in zip(edges[:-1], edges[1:]):
        part = costs[a:b]
        finite = np.flatnonzero(np.isfinite(part))
        if finite.size < part.size:
            keep.add(a + int(np.flatnonzero(~np.isfinite(part))[0]))
        if finite.size:
            keep.add(a + int(finite[np.argmin(part[finite])]))
            keep.add(a + int(finite[np.argmax(part[finite])]))
    return sorted(keep)


def _segments(costs: np.ndarray, kept: list[int]) -> list[list[int]]:
    """The kept iterations as unbroken runs of finite costs."""
    runs: list[list[int]] = [[]]
    for i in kept:
        if math.isfinite(costs[i]):
            runs[-1].append(i)
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def _note(costs: np.ndarray) -> str | None:
    if costs.size == 0:
        return "no iterations: no cost to draw"
    bad = np.flatnonzero(~np.isfinite(costs))
    if bad.size == 0:
        return None
    if bad.size == costs.size:
        return f"no finite cost in {costs.size:,} iteration{'s' * (costs.size != 1)}: " \
               "nothing to draw"
    first = int(bad[0])
    return (f"{bad.size:,} iteration{'s' * (bad.size != 1)} with a cost that is not finite "
            f"(first: iteration {first:,}, cost {costs[first]}) not drawn")


def cost_curve_svg(costs: Sequence[float], title: str | None = None,
                   learning_rate: float | None = None, max_points: int = MAX_POINTS) -> str:
    """The SVG text of J against the iteration (entry i of ``costs`` is iteration i)."""
    values = np.asarray(costs, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"costs must be a sequence of numbers, got an array of shape "
                         f"{values.shape}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    lines = title_lines(title, learning_rate)
    note = _note(values)
    top = 14 + LINE * (len(lines) + (note is not None)) + 12
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, top, HEIGHT - BOTTOM  # the plot area; y0 is its top

    finite = values[np.isfinite(values)]
    n = len(values)
    xlow, xhigh = 0.0, float(max(n - 1, 1))
    if finite.size:
        ylow, yhigh = float(finite.min()), float(finite.max())
        pad = (yhigh - ylow) * 0.05 or (abs(ylow) * 0.1 or 1.0)
        ylow, yhigh = ylow - pad, yhigh + pad
    else:
        ylow, yhigh = 0.0, 1.0

    def x(i: float) -> float:
        return x0 + (i - xlow) / (xhigh - xlow) * (x1 - x0)

    def y(c: float) -> float:
        return y1 - (c - ylow) / (yhigh - ylow) * (y1 - y0)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" {FONT} font-size="12">',
           f"<title>{_text(' — '.join(lines))}</title>",
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    for k, line in enumerate(lines):
        out.append(f'<text x="{WIDTH / 2:g}" y="{14 + LINE * (k + 1) - 4}" font-size="14" '
                   f'text-anchor="middle">{_text(line)}</text>')
    if note is not None:
        out.append(f'<text class="note" x="{WIDTH / 2:g}" y="{14 + LINE * (len(lines) + 1) - 4}"'
                   f' fill="{RED}" text-anchor="middle">{_text(note)}</text>')

    xticks = round_ticks(xlow, xhigh, integer=True)
    yticks = round_ticks(ylow, yhigh)
    xstep = xticks[1] - xticks[0] if len(xticks) > 1 else 1.0
    ystep = yticks[1] - yticks[0] if len(yticks) > 1 else abs(yticks[0]) or 1.0
    for t in xticks:
        px = x(t)
        out.append(f'<line class="grid" x1="{px:.2f}" y1="{y0}" x2="{px:.2f}" y2="{y1}" '
                   f'stroke="{GREY}" stroke-width="0.5"/>')
        out.append(f'<line x1="{px:.2f}" y1="{y1}" x2="{px:.2f}" y2="{y1 + 5}" stroke="black"/>')
        out.append(f'<text class="xtick" x="{px:.2f}" y="{y1 + 18}" text-anchor="middle">'
                   f"{_text(_tick_text(t, xstep))}</text>")
    for t in yticks:
        py = y(t)
        out.append(f'<line class="grid" x1="{x0}" y1="{py:.2f}" x2="{x1}" y2="{py:.2f}" '
                   f'stroke="{GREY}" stroke-width="0.5"/>')
        out.append(f'<line x1="{x0 - 5}" y1="{py:.2f}" x2="{x0}" y2="{py:.2f}" stroke="black"/>')
        out.append(f'<text class="ytick" x="{x0 - 8}" y="{py + 4:.2f}" text-anchor="end">'
                   f"{_text(_tick_text(t, ystep))}</text>")
    out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
               'stroke="black"/>')
    out.append(f'<text class="xlabel" x="{(x0 + x1) / 2:g}" y="{HEIGHT - 14}" '
               'text-anchor="middle">iterations</text>')
    out.append(f'<text class="ylabel" x="18" y="{(y0 + y1) / 2:g}" text-anchor="middle" '
               f'transform="rotate(-90 18 {(y0 + y1) / 2:g})">cost</text>')

    for run in _segments(values, _kept(values, max_points)):
        if len(run) == 1:  # a lone point (one iteration, or between two non-finite costs)
            out.append(f'<circle cx="{x(run[0]):.2f}" cy="{y(values[run[0]]):.2f}" r="3" '
                       f'fill="{BLUE}"/>')
        else:
            points = " ".join(f"{x(i):.2f},{y(values[i]):.2f}" for i in run)
            out.append(f'<polyline class="curve" points="{points}" fill="none" '
                       f'stroke="{BLUE}" stroke-width="1.5" stroke-linejoin="round"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
