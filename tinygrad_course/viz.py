"""Pictures of computation graphs, drawn as the course draws them (lessons 2.5-2.7).

``draw_graph(J)`` returns a ``graphviz.Digraph`` (a :class:`.display.GraphPicture`, which
notebooks show as SVG that fits the cell): a box per value (name, shape, value, and after
``J.backward()`` its gradient dJ/d·, J the tensor backward ran from), an ellipse per operation
(``*``, ``+``, ``@``, ``σ``, ``Σ axis=1``, ...), values flowing left to right. With
``backward_edges=True`` red edges carry the derivatives right to left, each labelled with the
local derivative ∂out/∂in: a number when every value is a scalar, else the op's formula. Where
backward sums a broadcast gradient (db^[l] = Σ_i dZ^[l](:, i)) the edge says ``Σ axis=1``.
``save_svg`` renders through :mod:`tinygrad_course.render` (system ``dot``, else the
graphviz-pure wheel) within its time and memory limits, refuses ``max_nodes=None`` past
``MAX_RENDER_NODES``, and writes atomically. Names are drawn as written: escaped, never
interpreted by Graphviz, with what XML cannot hold shown as Python's escapes.

The walk is graph.topological_order (iterative) and node ids follow it (n0, n1, ...), so the
same graph always gives the same DOT text, and a 100,000-node chain needs no recursion.

Big networks get the layer view (``view="layers"``, chosen by ``view="auto"`` past
``LAYER_VIEW_MIN_TENSORS``): one box per layer l holding W^[l], b^[l], Z^[l], A^[l] with their
shapes and gradient norms, one edge per flow A^[l-1] -> layer l, drawn top to bottom so the
width stays that of one box however deep the network is.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from pathlib import Path
from typing import Any

import numpy as np

from .display import GraphPicture
from .files import atomic_write, check_target
from .graph import topological_order
from .labels import axes_text as _axes
from .labels import display_names as _display_names
from .labels import grad_name, gradient_note, layer_of, local_derivative
from .labels import num as _num
from .labels import op_label as _op_label
from .labels import rows as _rows
from .labels import shape_text as _shape
from .ops import broadcast_axes, broadcast_rule
from .render import DEFAULT_MEMORY_LIMIT, RenderError, render_svg
from .tensor import Tensor

__all__ = ["draw_graph", "save_svg", "layer_of", "graph_ids", "chosen_view", "Steps",
           "backward_steps", "VIEWS", "LAYER_VIEW_MIN_TENSORS", "MAX_RENDER_NODES",
           "MAX_NAME_CHARS"]

#: draw_graph's views: one node per tensor and op, one box per layer, or chosen by size.
VIEWS = ("auto", "ops", "layers")
#: ``view="auto"`` draws layers when the graph has more tensors than this and some of them are
#: named as a layer's (W1, b1, Z1, A1, ...): the 3-layer network (18 tensors) keeps the ops
#: view, the 4-layer cat network 12288-20-7-5-1 (23 tensors; its ops view is ~5,400 px wide)
#: gets the layer view.
LAYER_VIEW_MIN_TENSORS = 20
#: save_svg refuses ``max_nodes=None`` when the drawing has more Graphviz nodes than this (value
#: boxes, op ellipses, constants): a 1,000-tensor chain is ~2,500 nodes and took system dot 17 s
#: with backward edges, and layout time grows faster than the graph (issue 12: 10,000 ops ran
#: past 25 s, 100,000 took 1.8 GB). draw_graph itself writes DOT of any size.
MAX_RENDER_NODES = 3_000
GRAD_ROOM_PT = 85  # the width of draw_graph(grad_room=True)'s empty ‖d·‖ column: ‖dA1‖ = 1.234e-05

BLUE, RED = "#1f5fbf", "#c0392b"
STYLES: dict[str, dict[str, str]] = {
    # parameters (leaves that require grad) stand out; data and constants stay quiet
    "param": {"shape": "box", "style": "filled,bold", "fillcolor": "#fde9b5", "color": "#9a6b00"},
    "data": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#888888"},
    "value": {"shape": "box", "style": "filled,rounded", "fillcolor": "#dbe9f7", "color": BLUE},
    "const": {"shape": "plaintext", "fontcolor": "#555555", "width": "0", "height": "0",
              "margin": "0.04"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "white", "color": BLUE},
    "elided": {"shape": "note", "style": "dashed", "color": "#888888", "fontcolor": "#555555"},
    "layer": {"shape": "box", "style": "rounded", "color": BLUE, "margin": "0.05"},
}
_STYLE = {kind: " ".join(f'{k}="{v}"' for k, v in attrs.items())
          for kind, attrs in STYLES.items()}
_BACK = f'dir=back color="{RED}" fontcolor="{RED}"'


def draw_graph(root: Tensor, show_values: bool = True, show_grads: bool = True,
               backward_edges: bool = False, rankdir: str | None = None, max_elements: int = 6,
               max_nodes: int | None = 500, precision: int = 4,
               clusters: bool = True, view: str = "auto",
               grad_room: bool = False) -> GraphPicture:
    """The computation graph that produced ``root``, as a ``graphviz.Digraph`` (a
    :class:`~tinygrad_course.display.GraphPicture`, which a notebook shows as SVG scaled to
    the cell's width, with a one-line text summary).

    Values with at most ``max_elements`` elements are shown, rounded to ``precision``
    significant digits. ``max_nodes`` (None: no limit) keeps the tensors nearest to the root
    and replaces the rest by one note saying what was left out. ``clusters`` groups W1, b1,
    Z1, A1, ... into "layer 1" boxes.

    ``view``: "ops" draws every tensor and op; "layers" draws each layer l as one box
    (W^[l], b^[l], Z^[l], A^[l], their shapes and ‖dW^[l]‖, ... after backward) with one edge
    A^[l-1] -> layer l, and every other tensor as "ops" does; "auto" picks "layers" when the
    graph has more than ``LAYER_VIEW_MIN_TENSORS`` (20) tensors and some are named as a
    layer's, else "ops". ``rankdir`` defaults to "LR" for ops and "TB" for layers (a deep
    network then grows down, never wider than one layer's box). ``grad_room``: in the layer
    view, keep the boxes' ‖d·‖ column, empty, while there are no gradients (the step page
    writes them there as the steps reach them).
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(root).__name__}")
    if view not in VIEWS:
        raise ValueError(f"draw_graph: view must be one of {', '.join(map(repr, VIEWS))}; "
                         f"got {view!r}")
    drawing = _Drawing(root, show_values, show_grads, backward_edges, max_elements, precision)
    drawing.grad_room = grad_room
    dot = drawing.draw(rankdir, max_nodes, clusters, view)
    dot.body[:] = [_dot_text(line) for line in dot.body]
    dot.graph_attr.update((k, _dot_text(v)) for k, v in dot.graph_attr.items())
    dot.summary = drawing.summary()
    return dot


def save_svg(root: Tensor, path: str | Path, *, backend: str = "auto", engine: str = "dot",
             timeout: float | None = None, memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
             **options: Any) -> Path:
    """Write the picture of ``root``'s graph to ``path`` as SVG and return the path.

    ``options`` are draw_graph's; ``backend``, ``engine``, ``timeout`` (None: grows with the
    graph) and ``memory_limit`` are render_svg's. The file is written atomically: if anything
    fails, an existing file is untouched and no new one appears. Raises RenderError for every
    rendering failure (no renderer, timeout, out of memory, and ``max_nodes=None`` on a drawing
    of more than MAX_RENDER_NODES nodes, refused before rendering), FileError (an OSError)
    when ``path`` cannot be written.
    """
    target = check_target(path)
    dot = draw_graph(root, **options)
    if "max_nodes" in options and options["max_nodes"] is None:
        nodes = sum(1 for line in dot.body if _NODE_LINE.match(line))
        if nodes > MAX_RENDER_NODES:
            raise RenderError(
                f"this drawing has {nodes:,} nodes, more than viz.MAX_RENDER_NODES = "
                f"{MAX_RENDER_NODES:,}, and max_nodes=None asks for all of them: Graphviz could "
                "run for minutes and take gigabytes laying it out. Pass max_nodes= (e.g. 500, the "
                "default, which keeps the tensors nearest the root), or view=\"layers\" for a "
                "network")
    svg = render_svg(dot.source, engine=engine, backend=backend, timeout=timeout,
                     memory_limit=memory_limit)
    atomic_write(target, svg)
    return target


_NODE_LINE = re.compile(r"\s*n\d+ \[")


def graph_ids(root: Tensor, max_nodes: int | None = 500,
              view: str = "ops") -> list[dict[str, Any] | None]:
    """The DOT ids draw_graph gives each tensor of ``graph.topological_order([root])``, in that
    order: ``{"box": "n3", "op": "n2" or None, "inputs": ["n0", "n1"]}`` (the value box, the op
    ellipse, and the node each operand's edge comes from: a box, a constant, or the note of
    left-out tensors), or None for a tensor ``max_nodes`` leaves out. Graphviz's SVG titles
    each node ``<title>n3</title>``, so a page can find a tensor's node by these ids. A tensor
    of a layer (W1, b1, Z1, A1, ... as the "layer 1" clusters group them) also has
    ``"layer": 1``.

    In the layer view (``view="layers"``, or "auto" choosing it) a layer's tensors share their
    layer's box: ``{"box": "n1", "op": None, "inputs": [...], "layer": 2, "row": 3}``, where
    ``row`` is the tensor's row in the box's table (1 for the first tensor under the title;
    None for an unnamed result, which has no row)."""
    if not isinstance(root, Tensor):
        raise TypeError(f"graph_ids: expected a Tensor, got {type(root).__name__}")
    if view not in VIEWS:
        raise ValueError(f"graph_ids: view must be one of {', '.join(map(repr, VIEWS))}; "
                         f"got {view!r}")
    drawing = _Drawing(root, False, False, False, 0, 4)
    drawing.draw(None, max_nodes, False, view)
    order = topological_order([root])
    layers = _layers(order)
    ids = [drawing.ids.get(id(t)) for t in order]
    for t, entry in zip(order, ids):
        if entry is not None and id(t) in layers:  # the ops view's "layer l" cluster
            entry.setdefault("layer", layers[id(t)])
    return ids


def chosen_view(root: Tensor, view: str = "auto") -> str:
    """The view draw_graph(root, view=view) draws: "ops" or "layers" (``view="auto"``: see
    LAYER_VIEW_MIN_TENSORS)."""
    if view != "auto":
        return view
    order = topological_order([root])
    return "layers" if len(order) > LAYER_VIEW_MIN_TENSORS and _layers(order) else "ops"


# ---- formatting -------------------------------------------------------------------------------
# What XML 1.0 cannot hold (C0 controls but tab and newlines, lone surrogates, U+FFFE/U+FFFF):
# in a name it would make the SVG ill-formed, or, for a surrogate, not even encodable as UTF-8.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Names longer than this are shortened with "…": Graphviz 2.43 refuses an HTML label longer
#: than 16,384 characters, and a value box repeats its name (J, dJ/dJ).
MAX_NAME_CHARS = 80


def _short(name: str) -> str:
    """A name as drawn: at most MAX_NAME_CHARS, tabs and line breaks written as \\t, \\n, \\r
    (a name of only those would leave Graphviz an empty <B></B>, which it refuses)."""
    if len(name) > MAX_NAME_CHARS:
        name = name[:MAX_NAME_CHARS - 1] + "…"
    return name.translate(_BREAKS)


_BREAKS = {ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r"}


def _dot_text(line: str) -> str:
    """A DOT line whose user-given text Graphviz shows as written: each backslash doubled
    (else \\N, \\G, \\L in a name become the node's id, the graph's name, ...), and each
    character XML cannot hold written as Python writes it (\\x01, \\udcff), so such a name is
    drawn as repr() shows it instead of making the SVG ill-formed or unencodable."""
    if line.isascii() and "\\" not in line and line.strip().isprintable():
        return line
    line = line.replace("\\", "\\\\")
    return _NOT_XML.sub(lambda m: ascii(m.group())[1:-1].replace("\\", "\\\\"), line)


def _html(*lines: str) -> str:
    """Lines (already escaped) as a Graphviz HTML-like label: safe for any user-given name.

    A "]" that starts a run of text is written &#93;: Graphviz 2.43's lexer refuses it there
    (a tensor named "]" made dot fail with a syntax error)."""
    return "<" + _TEXT_BRACKET.sub(r"\1&#93;", "<BR/>".join(lines)) + ">"


_TEXT_BRACKET = re.compile(r"(^|>)\]")


def _red(text: str) -> str:
    return f'<FONT COLOR="{RED}">{text}</FONT>'


# ---- the drawing --------------------------------------------------------------------------------
class _Drawing:
    def __init__(self, root: Tensor, show_values: bool, show_grads: bool,
                 backward_edges: bool, max_elements: int, precision: int) -> None:
        self.root, self.show_values, self.show_grads = root, show_values, show_grads
        self.backward_edges, self.max_elements, self.precision = (
            backward_edges, max_elements, precision)
        self.count = 0
        self.ids: dict[int, dict[str, Any]] = {}  # id(tensor) -> the DOT ids drawn for it
        self.grad_room = False

    def new_id(self) -> str:
        self.count += 1
        return f"n{self.count - 1}"

    def draw(self, rankdir: str | None, max_nodes: int | None, clusters: bool,
             view: str = "ops") -> GraphPicture:
        order = topological_order([self.root])
        if view == "auto":
            view = chosen_view(self.root)
        self.view, self.tensors = view, order
        notes: list[str] = []
        elided: list[Tensor] = []
        if max_nodes is not None and len(order) > max_nodes:
            kept = _nearest(self.root, max(max_nodes, 1))
            elided = [t for t in order if id(t) not in kept]
            order = [t for t in order if id(t) in kept]
            notes.append(_elided_note(elided, max_nodes))
        root = self.root
        self.names = {k: _short(v) for k, v in _display_names(
            order, root, j=root._op is not None and root.requires_grad).items()}
        if self.show_grads and not any(t.grad is not None for t in order):
            note = gradient_note(root, self.names[id(root)], order)
            notes += [note] if note else []
        if view == "layers":
            return _LayerDrawing(self).draw(order, notes, elided, rankdir or "TB")
        rankdir = rankdir or "LR"
        layers = _layers(order) if clusters else {}

        # Statements are written straight into the Digraph's body: graphviz's per-attribute
        # quoting costs ~0.2 ms a node, too slow for 100,000 nodes. Ids are n<k>, labels are
        # HTML-like with every user-given text escaped, styles are constants.
        nodes: dict[int | None, list[str]] = {}
        edges: list[str] = []
        vid: dict[int, str] = {}
        elided_id = self.new_id() if elided else ""
        if elided:
            nodes[None] = [_node(elided_id, _html(html.escape(notes[0])), "elided")]
        for t in order:
            group = nodes.setdefault(layers.get(id(t)), [])
            if t._op is not None:
                op_id = self.new_id()
                group.append(_node(op_id, _html(html.escape(_op_label(t))), "op"))
                srcs: list[str] = []
                for i, x in enumerate(t._inputs):
                    if isinstance(x, Tensor):
                        src = vid.get(id(x), elided_id)
                    else:
                        src = self.new_id()
                        group.append(_node(src, self.const_label(x), "const"))
                    edges += self.input_edges(t, i, x, src, op_id, kept=id(x) in vid)
                    srcs.append(src)
                vid[id(t)] = self.new_id()
                edges.append(f"\t{op_id} -> {vid[id(t)]}\n")
                self.ids[id(t)] = {"box": vid[id(t)], "op": op_id, "inputs": srcs}
            else:
                vid[id(t)] = self.new_id()
                self.ids[id(t)] = {"box": vid[id(t)], "op": None, "inputs": []}
            group.append(self.value_node(vid[id(t)], t))

        dot = _digraph(rankdir, "0.35", notes)
        dot.body += nodes.get(None, [])
        for layer in sorted(k for k in nodes if k is not None):
            with dot.subgraph(name=f"cluster_layer{layer}") as sub:
                sub.attr(label=f"layer {layer}", style="rounded,dashed", color="#888888",
                         fontcolor="#555555")
                sub.body += nodes[layer]
        dot.body += edges
        return dot

    def summary(self) -> str:
        """draw_graph's text/plain: what the picture holds, in one line."""
        ops = sum(1 for t in self.tensors if t._op is not None)
        drawn = sum(1 for t in self.tensors if id(t) in self.ids)
        left = f", {len(self.tensors) - drawn:,} not drawn" if drawn < len(self.tensors) else ""
        return (f"computation graph of {self.names.get(id(self.root), '?')}: "
                f"{_plural(len(self.tensors), 'tensor')}, {_plural(ops, 'op')}{left} "
                f"({self.view} view)")

    # ---- nodes ----
    def value_node(self, nid: str, t: Tensor) -> str:
        name = html.escape(self.names[id(t)])
        title = f"<B>{name}</B>" + (" " + _shape(t.shape) if t.ndim else "")
        lines = []
        if self.show_values and t.size <= self.max_elements:
            rows = [html.escape(r) for r in _rows(t.data, self.precision)]
            if t.ndim:
                lines += rows
            else:
                title += f" = {rows[0]}"
        if self.show_grads and t.grad is not None:
            d = html.escape(self.grad_name(t))
            g = np.asarray(t.grad)
            if g.size > self.max_elements:
                lines.append(_red(f"‖{d}‖ = {_num(np.linalg.norm(g), self.precision)}"))
            else:
                rows = [html.escape(r) for r in _rows(g, self.precision)]
                lines += ([_red(f"{d} = {rows[0]}")] if len(rows) == 1
                          else [_red(f"{d} =")] + [_red(r) for r in rows])
        kind = "value" if t._op is not None else "param" if t.requires_grad else "data"
        return _node(nid, _html(title, *lines), kind, root=t is self.root)

    def grad_name(self, t: Tensor) -> str:
        """dJ/dt, J the tensor t's gradient came from (labels.grad_name), never t itself."""
        return _short(grad_name(t, self.names[id(t)], self.root, self.names[id(self.root)]))

    def const_label(self, x: Any) -> str:
        a = np.asarray(x)
        text = (" ".join(_rows(a, self.precision)) if a.size <= self.max_elements
                else f"array {_shape(a.shape)}")
        return _html(html.escape(text))

    # ---- edges ----
    def input_edges(self, t: Tensor, i: int, x: Any, src: str, op_id: str,
                    kept: bool) -> list[str]:
        """The forward edge x -> op and, when asked, the backward edge op -> x (drawn as
        x -> op with dir=back, so the layout stays left to right)."""
        flows = isinstance(x, Tensor) and x.requires_grad
        summed = self.broadcast_sum(t, x) if flows else ""
        if not (self.backward_edges and flows and kept):
            label = f" [label={_html(_red('backward: ' + summed))}]" if summed else ""
            return [f"\t{src} -> {op_id}{label}\n"]
        lines = [html.escape(self.local_derivative(t, i))] + ([summed] if summed else [])
        return [f"\t{src} -> {op_id}\n",
                f"\t{src} -> {op_id} [label={_html(*lines)} {_BACK}]\n"]

    def broadcast_sum(self, t: Tensor, x: Tensor) -> str:
        """'Σ axis=1' when backward sums x's gradient over broadcast axes (b of Z = WA + b)."""
        if t._op is None or t._op.rule is not broadcast_rule or x.shape == t.shape:
            return ""
        try:
            full = np.broadcast_shapes(*(np.shape(_data(y)) for y in t._inputs))
        except ValueError:
            return ""
        axes = broadcast_axes(x.shape, full) if x.shape != full else ()
        return f"Σ {_axes(axes)}" if axes else ""

    def local_derivative(self, t: Tensor, i: int) -> str:
        """∂t/∂(input i), as labels.local_derivative writes it with this picture's names."""
        return local_derivative(t, i, self.names, self.precision)


class _LayerDrawing:
    """The layer view: each layer's tensors (as ``_layers`` finds them) become one box, a
    table of name, shape and ‖d·‖; the rest is drawn by the ops view's own node writers."""

    def __init__(self, drawing: _Drawing) -> None:
        self.d = drawing

    def draw(self, order: list[Tensor], notes: list[str], elided: list[Tensor],
             rankdir: str) -> GraphPicture:
        d = self.d
        layers = _layers(order)
        members: dict[int, list[Tensor]] = {}
        for t in order:
            if id(t) in layers:
                members.setdefault(layers[id(t)], []).append(t)
        body: list[str] = []
        edges: list[str] = []
        seen: set[tuple[str, str]] = set()
        node_of: dict[int, str] = {}  # id(tensor) -> the node its outgoing edges start from
        box_of = {layer: d.new_id() for layer in sorted(members)}
        elided_id = d.new_id() if elided else ""
        if elided:
            body.append(_node(elided_id, _html(html.escape(notes[0])), "elided"))
        rows: dict[int, int] = {}
        for layer in sorted(members):
            named = _box_rows(members[layer])
            rows.update((id(t), r) for r, t in enumerate(named, start=1))
            body.append(f"\t{box_of[layer]} [label={self.box_label(layer, named)} "
                        f"{_STYLE['layer']}]\n")
        for t in order:
            if id(t) in layers:  # inside a box: one edge per flow from outside it
                box = node_of[id(t)] = box_of[layers[id(t)]]
                d.ids[id(t)] = {"box": box, "op": None, "layer": layers[id(t)],
                                "row": rows.get(id(t)),
                                "inputs": [node_of.get(id(x), elided_id)
                                           if isinstance(x, Tensor) else ""
                                           for x in t._inputs]}
                for x in t.parents:
                    src = node_of.get(id(x), elided_id)
                    if src != box and (src, box) not in seen:
                        seen.add((src, box))
                        flow = (f" [label={_html(html.escape(d.names[id(x)]))}]"
                                if id(x) in layers else "")  # A^[l-1], named on its edge
                        edges.append(f"\t{src} -> {box}{flow}\n")
                continue
            if t._op is not None:
                op_id = d.new_id()
                body.append(_node(op_id, _html(html.escape(_op_label(t))), "op"))
                srcs: list[str] = []
                for i, x in enumerate(t._inputs):
                    if isinstance(x, Tensor):
                        src = node_of.get(id(x), elided_id)
                    else:
                        src = d.new_id()
                        body.append(_node(src, d.const_label(x), "const"))
                    edges += d.input_edges(t, i, x, src, op_id, kept=id(x) in node_of)
                    srcs.append(src)
                node_of[id(t)] = d.new_id()
                edges.append(f"\t{op_id} -> {node_of[id(t)]}\n")
                d.ids[id(t)] = {"box": node_of[id(t)], "op": op_id, "inputs": srcs}
            else:
                node_of[id(t)] = d.new_id()
                d.ids[id(t)] = {"box": node_of[id(t)], "op": None, "inputs": []}
            body.append(d.value_node(node_of[id(t)], t))

        dot = _digraph(rankdir, "0.3", notes)
        dot.body += body + edges
        return dot

    def box_label(self, layer: int, named: list[Tensor]) -> str:
        """The layer's table: a title row, then one row per tensor of ``named`` (_box_rows):
        name, shape, and ‖d·‖ once backward has given a gradient."""
        d = self.d
        act = next((t for t in named if (t.name or "").startswith("A") and t._op is not None),
                    None)
        title = f"<B>layer {layer}</B>" + (
            f" · {html.escape(_op_label(act))}" if act is not None else "")
        grads = d.show_grads and any(t.grad is not None for t in named)
        room = d.grad_room and not grads
        cols = 3 if grads or room else 2
        rows = [f'<TR><TD COLSPAN="{cols}" BGCOLOR="#eef3fb">{title}</TD></TR>']
        for t in named:
            name = html.escape(d.names[id(t)])
            cells = [f'<TD ALIGN="LEFT"><B>{name}</B></TD>',
                     f'<TD ALIGN="LEFT">{_shape(t.shape)}</TD>']
            if grads:
                norm = ("" if t.grad is None else
                        _red(f"‖d{name}‖ = "
                             f"{_num(np.linalg.norm(np.asarray(t.grad)), d.precision)}"))
                cells.append(f'<TD ALIGN="LEFT">{norm}</TD>')
            elif room:
                cells.append(f'<TD WIDTH="{GRAD_ROOM_PT}"></TD>')
            rows.append("<TR>" + "".join(cells) + "</TR>")
        return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
                + "".join(rows) + "</TABLE>>")


def _box_rows(tensors: list[Tensor]) -> list[Tensor]:
    """A layer box's rows: its named tensors, W and b first, then the results in forward
    order. Unnamed results (the W1 A0 inside Z1) are left out: Z1's row stands for them."""
    named = [t for t in tensors if t.name]
    named.sort(key=lambda t: (t._op is not None, "WbZA".find((t.name or " ")[0])))
    return named


def _digraph(rankdir: str, ranksep: str, notes: list[str]) -> GraphPicture:
    """The empty picture both views fill: layout, fonts, edge style, and notes on top."""
    dot = GraphPicture("computation_graph")
    dot.attr(rankdir=rankdir, ordering="in", nodesep="0.25", ranksep=ranksep)
    dot.attr("node", fontsize="12")
    dot.attr("edge", color=BLUE, arrowsize="0.7", fontsize="11")
    if notes:
        dot.attr(label=_html(*(html.escape(n) for n in notes)), labelloc="t",
                 fontsize="12", fontcolor="#555555")
    return dot


def _node(nid: str, label: str, kind: str, root: bool = False) -> str:
    return f"\t{nid} [label={label} {_STYLE[kind]}{' peripheries=2' if root else ''}]\n"


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _nearest(root: Tensor, limit: int) -> set[int]:
    """ids of the ``limit`` tensors nearest to root (breadth first over inputs)."""
    kept, queue = {id(root)}, deque([root])
    while queue and len(kept) < limit:
        for x in queue.popleft()._inputs:
            if isinstance(x, Tensor) and id(x) not in kept and len(kept) < limit:
                kept.add(id(x))
                queue.append(x)
    return kept


def _elided_note(left_out: list[Tensor], max_nodes: int) -> str:
    ops = Counter(t._op.label for t in left_out if t._op is not None)
    kinds = [f"{n:,} × {label}" for label, n in sorted(ops.items(), key=lambda kv: -kv[1])[:3]]
    params = sum(1 for t in left_out if t._op is None and t.requires_grad)
    data = sum(1 for t in left_out if t._op is None and not t.requires_grad)
    parts = [f"results of {', '.join(kinds)}"] if kinds else []
    parts += [_plural(params, "parameter")] if params else []
    parts += [_plural(data, "data tensor")] if data else []
    return (f"… {len(left_out):,} tensors not drawn (max_nodes={max_nodes}): "
            + "; ".join(parts))


def _plural(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _layers(order: list[Tensor]) -> dict[int, int]:
    """The layer of each tensor: from its name (W1, b1, Z1, A1), and for an unnamed result
    (the W1 A0 inside Z1 = W1 A0 + b1) from its consumers when they agree."""
    if not any(layer_of(t.name) for t in order):
        return {}
    consumers: dict[int, list[Tensor]] = {}
    for t in order:
        for x in t.parents:
            consumers.setdefault(id(x), []).append(t)
    layers: dict[int, int] = {}
    for t in reversed(order):
        layer = layer_of(t.name)
        if layer is None and t.name is None and t._op is not None:
            found = {layers.get(id(c)) for c in consumers.get(id(t), [])}
            layer = found.pop() if len(found) == 1 else None
        if layer is not None:
            layers[id(t)] = layer
    return layers


# The steps of a backward pass live in their own module; viz hands the names on.
from .stepper import Steps, backward_steps  # noqa: E402
