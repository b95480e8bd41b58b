"""The step-by-step page and frames on the layer view: steps grouped layer by layer as the
course's L_model_forward / L_model_backward go, gradients written in the layer boxes' rows.
(The same pages in a real browser: tests/test_steps_browser.py.)"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from steps_examples import CAT, DEEP, FakeSteps, j_graph, j_steps, network_graph

from tinygrad_course.graph import topological_order
from tinygrad_course.labels import num
from tinygrad_course.render import available_backends, render_svg
from tinygrad_course.stepper import backward_steps
from tinygrad_course.steps_page import groups, page_html, save_frames, save_page
from tinygrad_course.viz import GRAD_ROOM_PT, chosen_view, draw_graph, graph_ids

needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")


def page_data(text: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', text, re.S)
    assert found
    return dict(json.loads(found.group(1)))


def svg_width_px(svg: str) -> float:
    found = re.search(r'<svg width="([\d.]+)pt"', svg)
    assert found
    return float(found.group(1)) * 4 / 3


# ---- the ids of the layer view -----------------------------------------------------------------
def test_a_layer_s_tensors_share_its_box_with_a_row_each() -> None:
    J = network_graph(CAT)
    order = topological_order([J])
    ids = graph_ids(J, view="layers")
    by_name = {t.name: (t, entry) for t, entry in zip(order, ids) if t.name}
    for layer in range(1, 5):
        entries = [by_name[f"{v}{layer}"][1] for v in "WbZA"]
        assert {e["box"] for e in entries} == {entries[0]["box"]}
        assert [e["row"] for e in entries] == [1, 2, 3, 4]
        assert all(e["layer"] == layer and e["op"] is None for e in entries)
    boxes = [by_name[f"W{layer}"][1]["box"] for layer in range(1, 5)]
    assert len(set(boxes)) == 4
    # the unnamed W1 A0 inside Z1 is in layer 1's box, with no row of its own
    product = next(e for t, e in zip(order, ids) if t.name is None and t._op is not None)
    assert product["box"] == boxes[0] and product["row"] is None
    # Z2's operands: its own box (W2 A1) and b2, also in it; W2 A1's: W2 and A1 (layer 1)
    z2 = by_name["Z2"][1]
    assert z2["inputs"] == [boxes[1], boxes[1]]
    w2a1 = ids[[id(t) for t in order].index(id(by_name["Z2"][0]._inputs[0]))]
    assert w2a1["inputs"] == [boxes[1], boxes[0]]
    # the cost J is drawn as in the ops view: its op ellipse, its box
    assert ids[-1]["op"] is not None and "row" not in ids[-1]


@needs_renderer
def test_the_ids_are_the_drawn_nodes() -> None:
    J = network_graph(CAT)
    svg = render_svg(draw_graph(J, view="layers", show_grads=False).source)
    titles = set(re.findall(r"<title>(n\d+)</title>", svg))
    for entry in graph_ids(J, view="layers"):
        assert entry is not None and entry["box"] in titles
        assert entry["op"] is None or entry["op"] in titles


def test_the_ops_view_ids_say_the_layer_too() -> None:
    J = network_graph([2, 4, 1])
    order = topological_order([J])
    layers = {t.name: e.get("layer") for t, e in zip(order, graph_ids(J)) if t.name}
    assert layers["W1"] == layers["A1"] == 1 and layers["b2"] == layers["A2"] == 2
    assert layers["X"] is None and layers["J"] is None
    assert all("row" not in e for e in graph_ids(J) if e)


def test_graph_ids_view_is_checked() -> None:
    with pytest.raises(ValueError, match="view must be one of"):
        graph_ids(j_graph(), view="layer")


# ---- the steps, layer by layer -----------------------------------------------------------------
def test_groups_are_the_course_s_layer_steps() -> None:
    J = network_graph(CAT)
    data = backward_steps(J).to_dict()
    runs = groups(data, graph_ids(J, view="layers"))
    names = {t["index"]: t["name"] for t in data["tensors"]}
    u, v, p, q = (names[data["steps"][k]["tensor"]] for k in (0, 3, 6, 9))  # W^[l] A^[l-1]
    assert [r["title"] for r in runs] == [
        f"layer 1 · forward: {u}, Z1, A1", f"layer 2 · forward: {v}, Z2, A2",
        f"layer 3 · forward: {p}, Z3, A3", f"layer 4 · forward: {q}, Z4, A4",
        "forward: J", "backward: dJ/dJ, dA4",
        f"layer 4 · backward: dZ4, dJ/d{q}, db4, dW4, dA3",
        f"layer 3 · backward: dZ3, dJ/d{p}, db3, dW3, dA2",
        f"layer 2 · backward: dZ2, dJ/d{v}, db2, dW2, dA1",
        f"layer 1 · backward: dZ1, dJ/d{u}, db1, dW1"]
    # consecutive, covering every step once
    assert runs[0]["first"] == 0 and runs[-1]["last"] == len(data["steps"]) - 1
    for a, b in zip(runs, runs[1:]):
        assert b["first"] == a["last"] + 1
    assert [r["layer"] for r in runs] == [1, 2, 3, 4, None, None, 4, 3, 2, 1]
    # the ops view's ids give the same groups: "layer" is there too
    assert groups(data, graph_ids(J, view="ops")) == runs


def test_no_layers_no_groups() -> None:
    J = j_graph()
    assert groups(j_steps(), graph_ids(J)) == []


# ---- the page and the frames -------------------------------------------------------------------
@needs_renderer
def test_the_cat_page_steps_by_layer_on_the_layer_view(tmp_path: Path) -> None:
    J = network_graph(CAT)
    assert chosen_view(J) == "layers"
    steps = backward_steps(J)
    text = save_page(J, tmp_path / "cat.html", steps=steps).read_text(encoding="utf-8")
    data = page_data(text)
    assert data["by"] == "layer" and data["ids"] == graph_ids(J, view="layers")
    assert data["groups"] == groups(steps.to_dict(), data["ids"])
    assert 'id="tg-by"' in text and 'id="tg-by" title="step by op or by layer (L)" hidden' \
        not in text
    svg = text[text.index("<svg"):text.index("</svg>")]
    assert svg_width_px(svg) <= 1200  # the layer view, with its ‖d·‖ column, on a 1,200 px screen
    # one gradient spot a named layer tensor, right-aligned in its box's row
    rows = re.findall(r'<text class="tg-grad tg-row" data-tensor="(\d+)"[^>]*'
                      r'text-anchor="end"', svg)
    named = [k for k, e in enumerate(data["ids"]) if e.get("row")]
    assert sorted(map(int, rows)) == sorted(named) and len(named) == 16
    # the other way round: by step, on request
    by_step = page_data(save_page(J, tmp_path / "s.html", steps=steps, by="step")
                        .read_text(encoding="utf-8"))
    assert by_step["by"] == "step" and by_step["groups"] == data["groups"]


@needs_renderer
def test_a_page_without_layers_steps_by_step_and_hides_the_switch(tmp_path: Path) -> None:
    J = j_graph()
    text = save_page(FakeSteps(J, j_steps()), tmp_path / "J.html", by="layer") \
        .read_text(encoding="utf-8")
    assert page_data(text)["by"] == "step" and page_data(text)["groups"] == []
    assert 'title="step by op or by layer (L)" hidden>' in text
    with pytest.raises(ValueError, match="by must be one of 'auto', 'step', 'layer'"):
        page_html(j_steps(), render_svg(draw_graph(J, show_grads=False).source), by="layers")


@needs_renderer
def test_frames_by_layer_light_each_layer_and_write_its_norms(tmp_path: Path) -> None:
    J = network_graph(CAT)
    steps = backward_steps(J)
    data = steps.to_dict()
    ids = graph_ids(J, view="layers")
    runs = groups(data, ids)
    J.backward()
    paths = save_frames(J, tmp_path / "fr", steps=steps, by="layer")
    assert [p.name for p in paths] == [f"step-{k:03d}.svg" for k in range(len(runs))]
    assert len(save_frames(J, tmp_path / "fine", steps=steps)) == len(data["steps"])
    order = topological_order([J])
    box = {t.name: ids[k]["box"] for k, t in enumerate(order) if t.name}
    for run, path in zip(runs, paths):
        svg = path.read_text(encoding="utf-8")
        lit = set(re.findall(r'class="node tg-current" data-dot="(n\d+)"', svg))
        if run["layer"] is not None:
            assert lit == {box[f"A{run['layer']}"]}, run["title"]
        assert html.escape(run["title"]) in svg
    # the last frame: every parameter's ‖d·‖ in its row, equal to .grad's norm
    last = paths[-1].read_text(encoding="utf-8")
    for k, t in enumerate(order):
        if t.name and t.name[0] in "Wb" and t.name[1:].isdigit():
            g = np.asarray(t.grad)
            want = (f"‖d{t.name}‖ = {num(float(np.linalg.norm(g)), 4)}" if g.size > 1
                    else f"d{t.name} = ")
            found = re.search(rf'data-tensor="{k}"[^>]*>([^<]*)</text>', last)
            assert found and found.group(1).startswith(want), (t.name, found)


@needs_renderer
def test_fifty_layers_page_stays_under_a_megabyte(tmp_path: Path) -> None:
    J = network_graph(DEEP)
    path = save_page(J, tmp_path / "deep.html")
    assert path.stat().st_size < 1_000_000
    data = page_data(path.read_text(encoding="utf-8"))
    assert data["by"] == "layer" and len(data["groups"]) == 2 * 50 + 2


def test_the_grad_column_is_kept_only_when_asked() -> None:
    J = network_graph(CAT)
    room = f'<TD WIDTH="{GRAD_ROOM_PT}"></TD>'
    assert room in draw_graph(J, view="layers", show_grads=False, grad_room=True).source
    assert room not in draw_graph(J, view="layers", show_grads=False).source
    J.backward()  # with gradients the column holds them
    assert room not in draw_graph(J, view="layers", grad_room=True).source
