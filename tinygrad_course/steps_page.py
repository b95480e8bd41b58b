"""The backward pass step by step, as one page to click through and as numbered SVG frames.

``save_page(J, "J.html")`` writes one self-contained HTML file: the graph as ``draw_graph``
draws it (values, no gradients yet), a panel that writes each step's arithmetic
("dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6"; for matrices the formula with shapes, then the values or
their norm ‖·‖), the gradients appearing under their boxes as the steps reach them, and
controls (first, previous, play/pause, next, last, a slider; the keys ←, →, Home, End).
``save_frames(J, "frames/")`` writes the same steps as step-000.svg, step-001.svg, ... for
slides.

This module is a writer: every number it shows comes from the steps' data (the stepper's
``to_dict()``, documented in docs/stepping.md), embedded in the page as JSON; no maths here.
The page needs no network (a Content-Security-Policy forbids any request) and opens from disk.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import html
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .files import FileError, atomic_write
from .labels import num
from .render import RenderError, render_svg
from .stepper import Steps, backward_steps
from .tensor import Tensor
from .viz import chosen_view, draw_graph, graph_ids

__all__ = ["page_html", "frame_svgs", "save_page", "save_frames", "notebook_html", "groups",
           "BY"]

FORMAT = "tinygrad_course.steps/1"
BY = ("auto", "step", "layer")  # how the page and the frames step: one share, or one layer
GRAD_ROOM = 16.0  # pt added below the graph, so a gradient under the lowest box stays visible
CAPTION_ROOM = 40.0  # pt added below a frame for its caption (two lines)

# The same highlight in the page and in the frames (the frames carry it in an SVG <style>).
HIGHLIGHT_CSS = """
g.node.tg-current > polygon, g.node.tg-current > ellipse, g.node.tg-current > path {
  stroke: #e67e00; stroke-width: 3.5px; }
g.node.tg-current > ellipse { fill: #ffe2b8; }
g.node.tg-input > polygon, g.node.tg-input > path { stroke: #c0392b; stroke-width: 3.5px; }
g.node.tg-current > polygon[stroke="transparent"], g.node.tg-input > polygon[stroke="transparent"] {
  stroke: transparent; }
g.edge.tg-edge > path { stroke: #e67e00; stroke-width: 3px; }
g.edge.tg-edge > polygon { stroke: #e67e00; fill: #e67e00; }
text.tg-grad { font-family: "DejaVu Sans", sans-serif; font-size: 10px; fill: #c0392b;
  paint-order: stroke; stroke: white; stroke-width: 3px; stroke-linejoin: round; }
text.tg-grad.tg-partial { fill: #d98880; font-style: italic; }
text.tg-caption { font-family: "DejaVu Sans", sans-serif; font-size: 12px; fill: #222; }
"""


# ---- what each step shows (data to text; the page's script and the frames only display it) ----
def _array(name: str, a: Mapping[str, Any] | None) -> str:
    """'dJ/db = 6' when the value is shown, else 'dW1 (4, 2): ‖dW1‖ = 0.2236'."""
    if a is None:
        return name
    text = str(a.get("text", ""))
    if a.get("value") is not None:
        return f"{name} = {text}"
    dims = [str(d) for d in a.get("shape", [])]
    shape = "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    norm = text.replace("‖·‖", f"‖{name}‖", 1) if "‖·‖" in text else \
        f"‖{name}‖ = {a.get('norm')}"
    return f"{name} {shape}: {norm}"


def _local(local: Mapping[str, Any]) -> str:
    formula = str(local.get("formula", ""))
    value = local.get("value")
    if value is None:
        return formula
    text = str(value.get("text", ""))
    return formula if formula.endswith("= " + text) else f"{formula} = {text}"


def _lines(step: Mapping[str, Any], tensors: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The panel's lines, [role, text]: the step's own text first, then its parts."""
    lines = [["text", str(step.get("text", ""))]]
    phase = step["phase"]
    t = tensors[step["tensor"]]
    if phase == "forward":
        lines.append(["value", _array(t["name"], step.get("value"))])
    elif phase == "seed":
        lines.append(["grad", _array(t.get("grad_name") or "d/d" + t["name"], step.get("grad"))])
    else:
        up, contribution, grad = step["upstream"], step["contribution"], step["grad"]
        lines.append(["upstream", "upstream " + _array(up["name"], up.get("value"))])
        lines.append(["local", "local " + _local(step["local"])])
        if step.get("sum"):
            lines.append(["sum", "broadcast undone: " + str(step["sum"]["text"])])
        lines.append(["contribution", "share " + _array(contribution["name"],
                                                        contribution.get("value"))])
        acc = step.get("accumulate")
        if acc:
            lines.append(["accumulate", f"fan-in: {grad['name']} = "
                          f"{acc['before'].get('text')} + {contribution['value'].get('text')} "
                          f"= {acc['after'].get('text')}"])
        lines.append(["grad", ("complete " if step.get("final") else "so far ")
                      + _array(grad["name"], grad.get("value"))])
    return lines


def _short(name: str, a: Mapping[str, Any] | None) -> str:
    """The label under a box: 'dJ/db = 6' or '‖dW1‖ = 0.2236'."""
    if a is None:
        return name
    text = str(a.get("text", ""))
    if a.get("value") is None and "‖·‖" in text:
        return text.replace("‖·‖", f"‖{name}‖", 1)
    return f"{name} = {text}"


def _brief(name: str, a: Mapping[str, Any] | None) -> str:
    """The label in a layer box's row, short enough for its column: 'db4 = 0.01102' for one
    number, else '‖dW1‖ = 0.2236'."""
    if a is None or a.get("norm") is None or math.prod(a.get("shape", [])) <= 1:
        return _short(name, a)
    if a.get("value") is None:
        return _short(name, a)  # the stepper's text is already the norm
    return f"‖{name}‖ = {num(float(a['norm']), 4)}"


def _view(step: Mapping[str, Any], tensors: Sequence[Mapping[str, Any]],
          ids: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """What one step lights up (DOT ids), the panel's lines, and the gradient it writes."""
    k, phase = step["tensor"], step["phase"]
    own = ids[k] if k < len(ids) and ids[k] else {}
    op, box, srcs = own.get("op"), own.get("box"), list(own.get("inputs") or [])
    view: dict[str, Any] = {"index": step.get("index"), "phase": phase,
                            "lines": _lines(step, tensors), "current": [], "inputs": [],
                            "edges": [], "grad": None}
    if phase == "forward":
        view["current"] = [i for i in (op, box) if i]
        if op:
            view["inputs"] = [s for s in srcs if s]
            view["edges"] = [[s, op] for s in srcs if s] + ([[op, box]] if box else [])
        else:  # inside a layer's box: light the flows into the box
            view["inputs"] = _unique(s for s in srcs if s and s != box)
            view["edges"] = [[s, box] for s in view["inputs"]]
    elif phase == "seed":
        view["current"] = [box] if box else []
        name = tensors[k].get("grad_name") or "d/d" + tensors[k]["name"]
        view["grad"] = {"tensor": k, "label": _short(name, step.get("grad")),
                        "brief": _brief(name, step.get("grad")), "final": True}
    else:
        j, pos = step["input"], step.get("position", 0)
        into = ids[j] if j < len(ids) and ids[j] else {}
        view["current"] = [i for i in (op, box) if i]
        view["inputs"] = [into["box"]] if into.get("box") and into["box"] != box else []
        src = srcs[pos] if pos < len(srcs) else ""
        if src and (op or src != box):
            view["edges"] = [[src, op or box]]
        grad = step["grad"]
        view["grad"] = {"tensor": j, "label": _short(grad["name"], grad.get("value")),
                        "brief": _brief(grad["name"], grad.get("value")),
                        "final": bool(step.get("final"))}
    return view


def _unique(items: Any) -> list[Any]:
    return list(dict.fromkeys(items))


def groups(steps: Mapping[str, Any],
           ids: Sequence[Mapping[str, Any] | None]) -> list[dict[str, Any]]:
    """The steps layer by layer: runs of consecutive steps of one phase (forward, or the seed
    and backward) whose tensor belongs to one layer (the ``"layer"`` of its DOT ids), as the
    course's L_model_forward and L_model_backward go: layer l's backward is dZ^[l], dW^[l],
    db^[l] and dA^[l-1]. Each: ``{"first", "last", "layer", "phase", "title"}``; empty when
    no tensor belongs to a layer (the J lesson has only steps)."""
    if not any(entry and entry.get("layer") is not None for entry in ids):
        return []
    tensors = steps["tensors"]
    runs: list[dict[str, Any]] = []
    for k, step in enumerate(steps["steps"]):
        entry = ids[step["tensor"]] if step["tensor"] < len(ids) else None
        layer = entry.get("layer") if entry else None
        phase = "forward" if step["phase"] == "forward" else "backward"
        t = tensors[step["tensor"]]
        if phase == "forward":
            name = t["name"]
        elif step["phase"] == "seed":
            name = t.get("grad_name") or "d/d" + t["name"]
        else:
            name = step["grad"]["name"]
        if runs and runs[-1]["layer"] == layer and runs[-1]["phase"] == phase:
            runs[-1]["last"] = k
            runs[-1]["names"].append(name)
        else:
            runs.append({"first": k, "last": k, "layer": layer, "phase": phase,
                         "names": [name]})
    for run in runs:
        where = f"layer {run['layer']} · " if run["layer"] is not None else ""
        run["title"] = f"{where}{run['phase']}: " + ", ".join(_unique(run.pop("names")))
    return runs


def ids_from_steps(steps: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The DOT ids draw_graph gives the tensors of ``steps`` when it leaves none out (n0, n1,
    ... in the tensors' order: a result's op ellipse, then its constants, then its box);
    viz.graph_ids gives the same from the graph itself, and also handles left-out tensors."""
    count, ids = 0, []
    boxes: dict[int, str] = {}
    for t in steps["tensors"]:
        op = None
        inputs = []
        if t.get("op_name") is not None or t.get("kind") == "result":
            op, count = f"n{count}", count + 1
            for x in t.get("inputs", []):
                if "tensor" in x:
                    inputs.append(boxes.get(x["tensor"], ""))
                else:
                    inputs.append(f"n{count}")
                    count += 1
        boxes[t["index"]] = f"n{count}"
        count += 1
        ids.append({"box": boxes[t["index"]], "op": op, "inputs": inputs})
    return ids


# ---- the graph's SVG, made addressable ----------------------------------------------------------
_NODE = re.compile(r'<g id="(node\d+)" class="node">\s*<title>([^<]*)</title>(.*?)</g>', re.S)
_EDGE = re.compile(r'<g id="(edge\d+)" class="edge">\s*<title>([^<]*)</title>')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([-\d.]+) ([-\d.]+) '
                   r'([\d.]+) ([\d.]+)"')


def _box(block: str) -> tuple[float, float, float, float] | None:
    """The bounding box (x0, y0, x1, y1) of a node's shapes (polygons' points, paths' d)."""
    numbers: list[float] = []
    for attr in re.findall(r'\b(?:points|d)="([^"]*)"', block):
        numbers += [float(v) for v in _NUMBER.findall(attr)]
    xs, ys = numbers[0::2], numbers[1::2]
    ellipse = re.search(r'cx="([-\d.]+)" cy="([-\d.]+)" rx="([\d.]+)" ry="([\d.]+)"', block)
    if ellipse:
        cx, cy, rx, ry = map(float, ellipse.groups())
        xs, ys = xs + [cx - rx, cx + rx], ys + [cy - ry, cy + ry]
    if not xs or not ys:
        return None
    return min(xs), min(ys), max(xs), max(ys)


class _Graph:
    """Graphviz's SVG with each node and edge tagged by DOT id (data-dot="n3",
    data-edge="n1 n2"), room below for gradients, and where each tensor's label goes."""

    def __init__(self, svg: str, ids: Sequence[Mapping[str, Any] | None], extra: float) -> None:
        start = svg.find("<svg")
        if start < 0:
            raise ValueError("not an SVG picture: no <svg> element")
        svg = re.sub(r"<!--.*?-->\n?", "", svg[start:], flags=re.S)
        if re.search(r"<\s*(script|foreignObject|iframe)\b", svg, re.I):
            raise ValueError("the graph's SVG holds a script or foreign content")
        boxes: dict[str, tuple[float, float, float, float]] = {}
        lines: dict[str, list[float]] = {}  # a node's text baselines, top to bottom

        def tag_node(m: re.Match[str]) -> str:
            found = _box(m.group(3))
            if found:
                boxes[html.unescape(m.group(2))] = found
            # a layer box's bold texts: its title, then one name a row
            lines[html.unescape(m.group(2))] = sorted({float(y) for y in re.findall(
                r'<text\b[^>]*\by="([-\d.]+)"[^>]*font-weight="bold"', m.group(3))})
            return (f'<g id="{m.group(1)}" class="node" data-dot="{m.group(2)}">'
                    f"<title>{m.group(2)}</title>{m.group(3)}</g>")

        def tag_edge(m: re.Match[str]) -> str:
            ends = html.unescape(m.group(2)).split("->")
            edge = html.escape(" ".join(e.strip() for e in ends))
            return (f'<g id="{m.group(1)}" class="edge" data-edge="{edge}">'
                    f"<title>{m.group(2)}</title>")

        svg = _EDGE.sub(tag_edge, _NODE.sub(tag_node, svg))
        # where each tensor's gradient goes: under its box, or in a layer's box beside its
        # row of the table (the row's baseline), right of the box
        self.spots: dict[int, tuple[float, float, str]] = {}
        for k, entry in enumerate(ids):
            found_box = boxes.get(entry["box"]) if entry else None
            if not entry or not found_box:
                continue
            x0_, _, x1_, y1_ = found_box
            if "row" not in entry:
                self.spots[k] = ((x0_ + x1_) / 2, y1_ + 11, "middle")
            elif entry["row"] is not None and entry["row"] < len(lines[entry["box"]]):
                # right-aligned in the box's empty ‖d·‖ column (draw_graph(grad_room=True))
                self.spots[k] = (x1_ - 6, lines[entry["box"]][entry["row"]], "end")
        size = _SIZE.search(svg)
        self.height = 0.0
        if size:
            w, h, x0, y0, vw, vh = (float(v) for v in size.groups())
            self.height = vh
            svg = svg.replace(size.group(0), f'<svg width="{w:g}pt" height="{h + extra:g}pt" '
                              f'viewBox="{x0:g} {y0:g} {vw:g} {vh + extra:g}"', 1)
        self.svg = svg

    def with_parts(self, labels: Mapping[int, Mapping[str, Any]], after_graph: str = "",
                   current: Sequence[str] = (), inputs: Sequence[str] = (),
                   edges: Sequence[Sequence[str]] = (), css: bool = False) -> str:
        """The SVG with gradient labels (tensor -> the view's "grad") at their spots, the given
        nodes and edges highlighted, and ``after_graph`` appended outside the graph's group."""
        svg = self.svg
        for dot in current:
            svg = svg.replace(f'class="node" data-dot="{dot}"',
                              f'class="node tg-current" data-dot="{dot}"')
        for dot in inputs:
            svg = svg.replace(f'class="node" data-dot="{dot}"',
                              f'class="node tg-input" data-dot="{dot}"')
        for a, b in edges:
            edge = html.escape(f"{a} {b}")
            svg = svg.replace(f'class="edge" data-edge="{edge}"',
                              f'class="edge tg-edge" data-edge="{edge}"')
        texts = []
        for k, (x, y, anchor) in sorted(self.spots.items()):
            grad = labels.get(k)
            text = "" if grad is None else grad["brief" if anchor == "end" else "label"]
            cls = "tg-grad" + (" tg-row" if anchor == "end" else "") + (
                " tg-partial" if grad is not None and not grad["final"] else "")
            texts.append(f'<text class="{cls}" data-tensor="{k}" x="{x:.2f}" y="{y:.2f}" '
                         f'text-anchor="{anchor}">{html.escape(text)}</text>')
        group = '<g class="tg-grads">' + "".join(texts) + "</g>\n"
        end = svg.rfind("</g>")
        svg = svg[:end] + group + svg[end:]
        end = svg.rfind("</svg>")
        svg = svg[:end] + after_graph + svg[end:]
        if css:
            head = svg.find(">") + 1
            svg = (svg[:head] + f"\n<style>{HIGHLIGHT_CSS}</style>"
                   '<rect width="100%" height="100%" fill="white"/>' + svg[head:])
        return svg


# ---- the page ---------------------------------------------------------------------------------
def _json_for_script(data: Any) -> str:
    """JSON that cannot end its <script> element early: <, >, & and the line separators as
    \\u escapes (still the same JSON); names typed by a user stay plain text."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        text = text.replace(ch, f"\\u{ord(ch):04x}")
    return text


def _check(steps: Mapping[str, Any]) -> None:
    if not isinstance(steps, Mapping) or steps.get("format") != FORMAT:
        got = steps.get("format") if isinstance(steps, Mapping) else type(steps).__name__
        raise ValueError(f"expected the stepper's data (format {FORMAT!r}), got {got!r}")


def _by(by: str, ids: Sequence[Mapping[str, Any] | None], runs: list[Any]) -> str:
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(map(repr, BY))}; got {by!r}")
    if by == "auto":
        by = "layer" if any(entry and "row" in entry for entry in ids) else "step"
    return by if runs else "step"


def page_html(steps: Mapping[str, Any], svg: str,
              ids: Sequence[Mapping[str, Any] | None] | None = None,
              title: str | None = None, by: str = "auto") -> str:
    """One self-contained HTML page stepping through ``steps`` (a ``Steps.to_dict()``) on the
    graph ``svg`` (``render_svg(draw_graph(J, show_grads=False).source)``). ``ids`` are the
    tensors' DOT ids (``viz.graph_ids(J, view=...)`` of the view drawn); without them they are
    derived from the steps, which holds for the ops view when it left no tensor out.

    ``by``: the page opens stepping by "step" (one chain-rule share a click) or by "layer"
    (one layer's forward or backward a click, see ``groups``); "auto" is "layer" on the layer
    view. A button switches between the two when the graph has layers."""
    _check(steps)
    ids = list(ids) if ids is not None else ids_from_steps(steps)
    tensors = steps["tensors"]
    views = [_view(s, tensors, ids) for s in steps["steps"]]
    runs = groups(steps, ids)
    by = _by(by, ids, runs)
    graph = _Graph(svg, ids, GRAD_ROOM)
    # inline in HTML an <svg> needs no namespace declarations (names, never fetched, but the
    # page then holds no http: text at all)
    picture = re.sub(r' xmlns(?::xlink)?="[^"]*"', "", graph.with_parts({}))
    root = steps.get("root_name") or "J"
    title = title or f"{root}: backward, step by step"
    data = _json_for_script({"steps": steps, "ids": ids, "views": views, "groups": runs,
                             "by": by})
    script = _SCRIPT.strip()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    policy = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
              "img-src data:; form-action 'none'; base-uri 'none'")
    parts = {"policy": policy, "css": _CSS + HIGHLIGHT_CSS, "title": html.escape(title),
             "last": str(max(len(views) - 1, 0)), "count": str(len(views)), "svg": picture,
             "data": data, "script": script, "hidden": "" if runs else " hidden"}
    # one pass, so a name that reads "{data}" in the picture stays text
    return re.sub(r"\{(\w+)\}", lambda m: parts.get(m.group(1), m.group(0)), _PAGE)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header><h1 id="tg-title">{title}</h1>
<nav id="tg-controls" aria-label="steps">
<button type="button" id="tg-first" title="first step (Home)">◀◀ first</button>
<button type="button" id="tg-prev" title="previous step (←)">◀ previous</button>
<button type="button" id="tg-play" title="play / pause">▶ play</button>
<button type="button" id="tg-next" title="next step (→)">next ▶</button>
<button type="button" id="tg-last" title="last step (End)">last ▶▶</button>
<input type="range" id="tg-slider" min="0" max="{last}" value="0" step="1" aria-label="step">
<span id="tg-counter">step 1 / {count}</span>
<button type="button" id="tg-by" title="step by op or by layer (L)"{hidden}>by layer</button>
</nav></header>
<main>
<section id="tg-graph">{svg}</section>
<aside id="tg-panel" aria-live="polite">
<p id="tg-phase"></p>
<p id="tg-text"></p>
<ul id="tg-lines"></ul>
<h2>gradients so far</h2>
<ul id="tg-grads"></ul>
</aside>
</main>
<script type="application/json" id="tg-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""

_CSS = """
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0; color: #222;
  background: #fafafa; }
header { padding: 8px 16px; background: #fff; border-bottom: 1px solid #ddd;
  position: sticky; top: 0; z-index: 1; }
h1 { font-size: 18px; margin: 4px 0 8px; }
h2 { font-size: 14px; margin: 16px 0 4px; color: #555; }
nav { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
button { font: inherit; font-size: 14px; padding: 3px 10px; cursor: pointer; }
#tg-slider { flex: 1; min-width: 160px; }
#tg-counter { font-variant-numeric: tabular-nums; min-width: 110px; }
main { display: flex; flex-wrap: wrap; gap: 16px; padding: 16px; align-items: flex-start; }
#tg-graph { overflow: auto; max-width: 100%; background: #fff; border: 1px solid #ddd; }
#tg-graph svg { display: block; }
#tg-panel { flex: 1; min-width: 320px; background: #fff; border: 1px solid #ddd;
  padding: 8px 16px; }
#tg-phase { color: #777; margin: 4px 0; }
#tg-text { font-size: 18px; font-weight: bold; margin: 8px 0; white-space: pre-wrap; }
#tg-panel ul { padding-left: 18px; margin: 4px 0; }
#tg-panel li { white-space: pre-wrap; margin: 2px 0; }
#tg-lines li[data-role="accumulate"], #tg-lines li[data-role="sum"] { color: #8e44ad; }
#tg-grads li.tg-partial { color: #999; font-style: italic; }
#tg-lines li.tg-sub { font-weight: bold; list-style: none; margin: 8px 0 2px -18px; }
"""

# The script only displays: it reads the embedded data, writes text with textContent (never
# as HTML), and moves CSS classes.
_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("tg-data").textContent);
  var views = data.views, n = views.length, groups = data.groups || [], by = data.by;
  var at = 0, timer = null;
  var $ = function (id) { return document.getElementById(id); };
  var slider = $("tg-slider"), play = $("tg-play"), byButton = $("tg-by");
  var nodes = {}, edges = {}, labels = {};
  document.querySelectorAll("#tg-graph g.node[data-dot]").forEach(function (g) {
    nodes[g.getAttribute("data-dot")] = g; });
  document.querySelectorAll("#tg-graph g.edge[data-edge]").forEach(function (g) {
    var key = g.getAttribute("data-edge"); (edges[key] = edges[key] || []).push(g); });
  document.querySelectorAll("#tg-graph text.tg-grad").forEach(function (t) {
    labels[t.getAttribute("data-tensor")] = t; });
  var lit = [];
  function light(g, cls) { if (g) { g.classList.add(cls); lit.push([g, cls]); } }
  function item(list, text, role, cls) {
    var li = document.createElement("li");
    li.textContent = text;
    if (role) { li.setAttribute("data-role", role); }
    if (cls) { li.className = cls; }
    list.appendChild(li);
  }
  function total() { return by === "layer" ? groups.length : n; }
  // the steps shown at position k: one step, or one layer's run of steps
  function span(k) { return by === "layer" ? [groups[k].first, groups[k].last] : [k, k]; }
  function groupOf(step) {
    for (var g = 0; g < groups.length; g++) { if (groups[g].last >= step) { return g; } }
    return groups.length - 1;
  }
  function show(k) {
    var count = total();
    if (count === 0) { return; }
    at = Math.max(0, Math.min(count - 1, k));
    var range = span(at), first = range[0], last = range[1], i;
    lit.forEach(function (p) { p[0].classList.remove(p[1]); });
    lit = [];
    for (i = first; i <= last; i++) {
      views[i].current.forEach(function (id) { light(nodes[id], "tg-current"); });
      views[i].inputs.forEach(function (id) { light(nodes[id], "tg-input"); });
      views[i].edges.forEach(function (e) {
        (edges[e[0] + " " + e[1]] || []).forEach(function (g) { light(g, "tg-edge"); }); });
    }
    var v = views[last], seen = nodes[v.current[v.current.length - 1]];
    if (seen && seen.scrollIntoView) {
      seen.scrollIntoView({ block: "nearest", inline: "center" });
    }
    var reached = {}, order = [];
    for (i = 0; i <= last; i++) {
      var g = views[i].grad;
      if (g) { if (!(g.tensor in reached)) { order.push(g.tensor); } reached[g.tensor] = g; }
    }
    Object.keys(labels).forEach(function (key) {
      var g = reached[key], t = labels[key];
      var row = t.classList.contains("tg-row");
      t.textContent = g ? (row ? g.brief : g.label) : "";
      t.setAttribute("class", "tg-grad" + (row ? " tg-row" : "") +
        (g && !g.final ? " tg-partial" : ""));
    });
    var lines = $("tg-lines"); lines.textContent = "";
    if (by === "layer") {
      $("tg-phase").textContent = groups[at].phase + " · layer step " + (at + 1) + " of " +
        count + " · steps " + (first + 1) + "–" + (last + 1) + " of " + n;
      $("tg-text").textContent = groups[at].title;
      for (i = first; i <= last; i++) {
        item(lines, views[i].lines[0][1], "step", "tg-sub");
        views[i].lines.slice(1).forEach(function (l) { item(lines, l[1], l[0]); });
      }
    } else {
      $("tg-phase").textContent = v.phase + " · step " + (at + 1) + " of " + n;
      $("tg-text").textContent = v.lines[0][1];
      v.lines.slice(1).forEach(function (l) { item(lines, l[1], l[0]); });
    }
    var grads = $("tg-grads"); grads.textContent = "";
    order.forEach(function (k) {
      var g = reached[k];
      item(grads, g.label + (g.final ? "" : "  (so far)"), String(k), g.final ? "" : "tg-partial");
    });
    slider.max = String(count - 1);
    slider.value = String(at);
    $("tg-counter").textContent = (by === "layer" ? "layer step " : "step ") + (at + 1) +
      " / " + count;
    byButton.textContent = by === "layer" ? "by step" : "by layer";
    document.body.setAttribute("data-by", by);
    document.body.setAttribute("data-step", String(last));
    document.body.setAttribute("data-group", by === "layer" ? String(at) : "");
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    play.textContent = "▶ play";
  }
  function toggle() {
    if (timer !== null) { stop(); return; }
    if (at >= total() - 1) { show(0); }
    play.textContent = "❚❚ pause";
    timer = setInterval(function () {
      if (at >= total() - 1) { stop(); } else { show(at + 1); } }, 900);
  }
  function switchBy() {
    if (!groups.length) { return; }
    stop();
    var step = span(at)[0];
    if (by === "layer") { by = "step"; show(step); } else { by = "layer"; show(groupOf(step)); }
  }
  $("tg-first").addEventListener("click", function () { stop(); show(0); });
  $("tg-prev").addEventListener("click", function () { stop(); show(at - 1); });
  $("tg-next").addEventListener("click", function () { stop(); show(at + 1); });
  $("tg-last").addEventListener("click", function () { stop(); show(total() - 1); });
  play.addEventListener("click", toggle);
  byButton.addEventListener("click", switchBy);
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "l" || e.key === "L") { e.preventDefault(); switchBy(); return; }
    var to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: total() - 1 }[e.key];
    if (to === undefined) { return; }
    e.preventDefault(); stop(); show(to);
  });
  show(0);
})();
"""


# ---- frames -------------------------------------------------------------------------------------
def frame_svgs(steps: Mapping[str, Any], svg: str,
               ids: Sequence[Mapping[str, Any] | None] | None = None,
               by: str = "step") -> list[str]:
    """One standalone SVG a step (``by="layer"``: a layer's run of steps, see ``groups``;
    "auto": by layer on the layer view): the graph with the step highlighted, the gradients
    reached so far under or beside their boxes, and the step's text as a caption."""
    _check(steps)
    ids = list(ids) if ids is not None else ids_from_steps(steps)
    tensors = steps["tensors"]
    views = [_view(s, tensors, ids) for s in steps["steps"]]
    runs = groups(steps, ids)
    if _by(by, ids, runs) == "layer":
        spans = [(r["first"], r["last"], r["phase"], r["title"]) for r in runs]
    else:
        spans = [(k, k, v["phase"], v["lines"][0][1]) for k, v in enumerate(views)]
    graph = _Graph(svg, ids, GRAD_ROOM + CAPTION_ROOM)
    base = graph.height + GRAD_ROOM
    reached: dict[int, Mapping[str, Any]] = {}
    frames = []
    for first, last, phase, text in spans:
        shown = views[first:last + 1]
        for view in shown:
            if view["grad"]:
                reached[view["grad"]["tensor"]] = view["grad"]
        where = f"steps {first + 1}–{last + 1}" if last > first else f"step {first + 1}"
        caption = (f'<text class="tg-caption" x="8" y="{base + 14:g}">{where} of {len(views)}'
                   f' · {html.escape(phase)}</text>'
                   f'<text class="tg-caption" x="8" y="{base + 31:g}" font-weight="bold">'
                   f'{html.escape(text)}</text>\n')
        current = _unique(i for v in shown for i in v["current"])
        inputs = _unique(i for v in shown for i in v["inputs"] if i not in current)
        edges = _unique(tuple(e) for v in shown for e in v["edges"])
        frames.append(graph.with_parts(reached, caption, current, inputs, edges, css=True))
    return frames


# ---- from a graph or from Steps to files --------------------------------------------------------
def _steps_and_picture(root_or_steps: Any, steps: Any, max_elements: int, precision: int,
                       rankdir: str | None, view: str) -> tuple[dict[str, Any], str, list[Any]]:
    """The steps' data, the graph's SVG in ``view`` (values, no gradients) and its DOT ids."""
    root: Any = root_or_steps
    if not isinstance(root, Tensor):
        steps, root = root_or_steps, getattr(root_or_steps, "root", None)
        if not isinstance(root, Tensor) or not hasattr(steps, "to_dict"):
            raise TypeError("expected the root Tensor J or the Steps of backward_steps(J), "
                            f"got {type(root_or_steps).__name__}")
    view = chosen_view(root, view)
    if steps is None:
        steps = backward_steps(root, max_elements=max_elements, precision=precision)
    data = dict(steps) if isinstance(steps, Mapping) else steps.to_dict()
    svg = render_svg(draw_graph(root, show_grads=False, max_elements=max_elements,
                                precision=precision, rankdir=rankdir, view=view,
                                grad_room=True).source)
    return data, svg, graph_ids(root, view=view)


def page_text(root_or_steps: Any, *, steps: Any = None, max_elements: int = 6,
              precision: int = 4, rankdir: str | None = None, view: str = "auto",
              by: str = "auto", title: str | None = None) -> str:
    """The step-by-step page of J as HTML text: give J (stepped here with ``backward_steps``)
    or its Steps. ``steps`` beside J: its Steps (or their ``to_dict()``) computed earlier, e.g.
    before ``J.backward()`` released the graph's saved values. ``view`` is draw_graph's
    ("auto": the layer view for big networks), ``by`` page_html's."""
    data, svg, ids = _steps_and_picture(root_or_steps, steps, max_elements, precision,
                                        rankdir, view)
    return page_html(data, svg, ids, title, by)


def save_page(root_or_steps: Any, path: str | Path, **options: Any) -> Path:
    """Write ``page_text(root_or_steps, **options)`` to ``path`` all at once (files.atomic_write:
    on any failure an existing file is untouched) and return the path."""
    return atomic_write(path, page_text(root_or_steps, **options))


def frames_text(root_or_steps: Any, *, steps: Any = None, max_elements: int = 6,
                precision: int = 4, rankdir: str | None = None, view: str = "auto",
                by: str = "step") -> list[str]:
    """One SVG text a step (or a layer, ``by="layer"``); arguments as page_text's."""
    data, svg, ids = _steps_and_picture(root_or_steps, steps, max_elements, precision,
                                        rankdir, view)
    return frame_svgs(data, svg, ids, by)


def save_frames(root_or_steps: Any, folder: str | Path, **options: Any) -> list[Path]:
    """Write ``frames_text(root_or_steps, **options)`` into ``folder`` (created if needed):
    step-000.svg, step-001.svg, ... (zero-padded to the number of frames). All frames are made
    before the first is written, each is written whole (files.atomic_write), and older
    step-*.svg files that the new set does not replace are removed last."""
    return write_frames(frames_text(root_or_steps, **options), folder)


def write_frames(frames: Sequence[str], folder: str | Path) -> list[Path]:
    """Write frames made by ``frames_text`` as step-*.svg files into ``folder``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise FileError(errno.ENOTDIR, f"cannot write frames into {folder}: it is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise FileError(err.errno, f"cannot make the folder {folder}: "
                        f"{err.strerror or err}") from None
    width = max(3, len(str(len(frames) - 1)))
    paths = [atomic_write(folder / f"step-{k:0{width}d}.svg", frame)
             for k, frame in enumerate(frames)]
    for old in set(folder.glob("step-*.svg")) - set(paths):
        if re.fullmatch(r"step-\d+\.svg", old.name):
            old.unlink()
    return paths


# ---- in a notebook ------------------------------------------------------------------------------
def notebook_html(steps: Any, height: int = 640) -> str:
    """The page inside an iframe (srcdoc, sandboxed: its script cannot reach the notebook), so
    its ids, styles and keys never clash with other outputs."""
    data, svg, ids = _steps_and_picture(steps, None, 6, 4, None, "auto")
    page = page_html(data, svg, ids)
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {int(height)}px; border: 1px solid #ddd" '
            f'title="backward, step by step"></iframe>')


def _repr_html_(self: Any) -> str | None:
    """Jupyter shows Steps as the page, inline; None (the plain repr) if it cannot be drawn."""
    try:
        return notebook_html(self)
    except (RenderError, TypeError, ImportError):
        return None


def attach_repr(cls: type) -> None:
    """Give ``cls`` (the stepper's Steps) the notebook hook, as viz gives Tensor _repr_svg_."""
    setattr(cls, "_repr_html_", _repr_html_)  # noqa: B010


# Steps lives to the left of the page and cannot import it: the notebook hook is attached here.
attach_repr(Steps)
