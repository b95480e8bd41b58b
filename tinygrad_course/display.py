"""What a notebook shows: a Tensor as a small table, a graph as SVG that fits the cell.

**A Tensor** (``Tensor._repr_html_``, attached here) is an escaped HTML table of its name,
shape, dtype, values, gradient and the op that made it. Values and gradient are printed as
numpy summarises an array: past ``TABLE_MAX_ELEMENTS`` (100) elements only the first and last
``TABLE_EDGE_ITEMS`` (3) of each axis are shown, around "...", so a 12288 × 209 X costs a few
dozen numbers, not 2.5 million. The gradient row says what it is the derivative of (dJ/dW1,
J the tensor ``backward()`` ran from); the op row the op's label and its inputs' names, or
what a leaf is. Plain ``repr`` stays as it was: the table is only for rich front ends.

**A graph** is ``draw_graph``'s result, a :class:`GraphPicture`: a ``graphviz.Digraph`` (so
``.source``, ``.render``, ``.pipe`` work as before) whose ``_repr_mimebundle_`` is this
project's, not graphviz's: graphviz renders with a system ``dot`` only and changed its
notebook hooks before (``_repr_svg_`` became ``_repr_mimebundle_`` in 0.19), while this one
renders through :func:`tinygrad_course.render.render_svg` (system dot or the graphviz-pure
wheel, within its limits) and, when that fails, still shows the text summary and why.

The bundle holds
  * ``image/svg+xml``: the SVG styled ``width: 100%`` with a ``max-width`` of its natural
    width and its fixed height dropped; the viewBox is kept, so it scales down to the
    cell's width, is never cropped, and a small graph is not blown up (:func:`fit_svg`);
  * ``text/html``: the same SVG in a ``<div>`` with ``overflow-x: auto`` and a
    ``min-width`` of ``MIN_SCALE`` (0.6) times the natural width on the SVG. It is there
    because scaling alone would make a wide graph unreadable: the 2-layer network's ops
    view is ~3,100 px wide, so in an 800 px cell its 12 pt labels would be 4 px high. Past
    that scale the picture stops shrinking and the cell scrolls sideways instead; front ends
    that take HTML (Jupyter, nbviewer) use it, those that take only images the SVG;
  * ``text/plain``: one line, how many tensors and ops, the view drawn and the root.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

import graphviz
import numpy as np

from .labels import grad_name, gradient_note, op_label, shape_text
from .render import RenderError, render_svg
from .tensor import Tensor

__all__ = ["GraphPicture", "tensor_html", "fit_svg", "TABLE_MAX_ELEMENTS", "TABLE_EDGE_ITEMS",
           "MIN_SCALE"]

#: A Tensor's table prints every value up to this many elements, then numpy's summary.
TABLE_MAX_ELEMENTS = 100
#: In the summary, how many values are kept at each end of each axis (numpy's edgeitems).
TABLE_EDGE_ITEMS = 3
#: The smallest scale of a graph in the text/html view: 12 pt labels stay ~10 px high.
MIN_SCALE = 0.6
_PRECISION = 4


# ---- a Tensor ------------------------------------------------------------------------------
def values_text(a: Any) -> str:
    """An array as numpy prints it, summarised past TABLE_MAX_ELEMENTS."""
    return np.array2string(np.asarray(a), precision=_PRECISION, separator=", ",
                           threshold=TABLE_MAX_ELEMENTS, edgeitems=TABLE_EDGE_ITEMS,
                           max_line_width=100)


def _operand(x: Any) -> str:
    if isinstance(x, Tensor):
        return x.name or f"an unnamed tensor {shape_text(x.shape)}"
    a = np.asarray(x)
    return values_text(a) if a.size <= TABLE_EDGE_ITEMS else f"an array {shape_text(a.shape)}"


def _made_by(t: Tensor) -> str:
    """The op row: "σ of Z1", "@ of W1, A0", or what kind of leaf t is."""
    if t._op is not None:
        return f"{op_label(t)} of {', '.join(_operand(x) for x in t._inputs)}"
    if t.requires_grad:
        return "leaf, requires grad (a parameter)"
    if getattr(t, "_unrecorded", False):
        return "computed under no_grad (not recorded: no graph)"
    return "leaf (data: no gradient)"


def tensor_html(t: Tensor) -> str:
    """The table a notebook shows for ``t``; every text in it is escaped."""
    name = t.name or "·"
    rows = [("name", t.name if t.name else "(unnamed)"),
            ("shape", shape_text(t.shape)), ("dtype", str(t.dtype)),
            ("values", values_text(t._value))]
    if t.grad is not None:
        rows.append((grad_name(t, name), values_text(t.grad)))
    else:
        note = gradient_note(t, name, [t]) if t._op is None else (
            f"no gradient kept: {name} is not a leaf (call {name}.retain_grad() before "
            "backward to keep it)")
        if note and (t._op is not None or t.requires_grad):
            rows.append(("gradient", note))
    rows.append(("made by", _made_by(t)))
    cells = "".join(
        f'<tr><th style="text-align:left;vertical-align:top">{html.escape(k)}</th>'
        f'<td style="text-align:left"><pre style="margin:0">{html.escape(v)}</pre></td></tr>'
        for k, v in rows)
    return f'<table class="tinygrad-course-tensor">{cells}</table>'


def _repr_html_(self: Tensor) -> str:
    return tensor_html(self)


# Tensor lives to the left of this module and cannot import it: the notebook hook is attached
# here. The old _repr_svg_ (the whole graph for every Tensor) is gone: draw_graph(t) shows it.
setattr(Tensor, "_repr_html_", _repr_html_)  # noqa: B010


# ---- a graph -------------------------------------------------------------------------------
_SVG_TAG = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\s(width|height)="([\d.]+)pt"')
_HEIGHT = re.compile(r'\sheight="[\d.]+pt"')


def fit_svg(svg: str, min_scale: float | None = None) -> str:
    """Graphviz's SVG made to fit the width it is put in: the XML prolog dropped (the SVG is
    put inline in HTML), the fixed height dropped, and a style of width 100% with a
    max-width of the natural width (1 pt = 4/3 px) and the height left to the viewBox's
    aspect ratio. ``min_scale``: also a min-width of that share of the natural width (the
    text/html view, which scrolls).

    The natural width stays in the ``width`` attribute, where a bare ``width="100%"`` would
    do inline: a front end that shows the SVG as an ``<img>`` takes its size from that
    attribute, and with 100% there a one-box picture of 93 px came out 800 px wide in an
    800 px cell (tried in Chromium). Inline, the style wins over the attribute."""
    start = svg.find("<svg")
    m = _SVG_TAG.search(svg, start)
    if start < 0 or m is None or "viewBox" not in m.group():
        return svg[max(start, 0):]
    tag = m.group()
    sizes = dict(_SIZE.findall(tag))
    if "width" not in sizes:
        return svg[start:]
    px = float(sizes["width"]) * 4 / 3
    style = f"width: 100%; max-width: {px:.0f}px; height: auto"
    if min_scale is not None:
        style += f"; min-width: {px * min_scale:.0f}px"
    new = _HEIGHT.sub("", tag).replace("<svg", f'<svg style="{style}"', 1)
    return new + svg[m.end():]


class GraphPicture(graphviz.Digraph):
    """draw_graph's result: a ``graphviz.Digraph`` that displays itself in a notebook through
    :func:`render_svg` (see the module docstring for what the bundle holds and why).
    ``summary`` is the text/plain line, set by draw_graph."""

    summary = "computation graph"

    def copy(self) -> GraphPicture:
        twin = super().copy()
        twin.summary = self.summary
        return twin  # type: ignore[no-any-return]

    def svg(self) -> str:
        """The picture's SVG as render_svg makes it (RenderError if it cannot)."""
        return render_svg(self.source)

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None, **_: Any) -> dict[str, str]:
        wanted = set(include) if include is not None else {
            "image/svg+xml", "text/html", "text/plain"}
        wanted -= set(exclude or ())
        bundle: dict[str, str] = {}
        try:
            svg = self.svg() if wanted & {"image/svg+xml", "text/html"} else ""
        except RenderError as err:
            if "text/plain" in wanted:
                bundle["text/plain"] = f"{self.summary}\n(no picture: {err})"
            return bundle
        if "image/svg+xml" in wanted:
            bundle["image/svg+xml"] = fit_svg(svg)
        if "text/html" in wanted:
            bundle["text/html"] = ('<div class="tinygrad-course-graph" style="overflow-x: auto;'
                                   f' max-width: 100%">{fit_svg(svg, MIN_SCALE)}</div>')
        if "text/plain" in wanted:
            bundle["text/plain"] = self.summary
        return bundle

    # IPython asks for these only for types the bundle lacks; graphviz's own must never run.
    def _repr_svg_(self) -> str | None:
        return self._repr_mimebundle_(include=["image/svg+xml"]).get("image/svg+xml")

    def _repr_html_(self) -> str | None:
        return self._repr_mimebundle_(include=["text/html"]).get("text/html")

    def _repr_image_svg_xml(self) -> str:
        return self._repr_svg_() or ""

    def __repr__(self) -> str:
        return f"<{self.summary}>"
