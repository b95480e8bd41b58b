"""Tests of draw_graph's layer view: one box per layer, bounded width, the auto choice."""

from __future__ import annotations

import re
import runpy
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import tinygrad_course as tc
from tinygrad_course.graph import topological_order
from tinygrad_course.nn import DeepNN
from tinygrad_course.render import DEFAULT_TIMEOUT, available_backends, render_svg
from tinygrad_course.viz import LAYER_VIEW_MIN_TENSORS, draw_graph

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[1]
needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")
CAT = [12288, 20, 7, 5, 1]
DEEP = [4] + [3] * 49 + [1]
MAX_PX = 1200

# draw_graph(J) of J = 3(a + bc) before the layer view existed (commit a36e0b3): view="ops"
# must keep writing it byte for byte.
J_DOT = (
    'digraph computation_graph {\n\tnodesep=0.25 ordering=in rankdir=LR ranksep=0.35\n'
    '\tnode [fontsize=12]\n\tedge [arrowsize=0.7 color="#1f5fbf" fontsize=11]\n'
    '\tn0 [label=<<B>c</B> = 2<BR/><FONT COLOR="#c0392b">dJ/dc = 9</FONT>> shape="box" '
    'style="filled,bold" fillcolor="#fde9b5" color="#9a6b00"]\n'
    '\tn1 [label=<<B>b</B> = 3<BR/><FONT COLOR="#c0392b">dJ/db = 6</FONT>> shape="box" '
    'style="filled,bold" fillcolor="#fde9b5" color="#9a6b00"]\n'
    '\tn2 [label=<*> shape="ellipse" style="filled" fillcolor="white" color="#1f5fbf"]\n'
    '\tn3 [label=<<B>u</B> = 6<BR/><FONT COLOR="#c0392b">dJ/du = 3</FONT>> shape="box" '
    'style="filled,rounded" fillcolor="#dbe9f7" color="#1f5fbf"]\n'
    '\tn4 [label=<<B>a</B> = 5<BR/><FONT COLOR="#c0392b">dJ/da = 3</FONT>> shape="box" '
    'style="filled,bold" fillcolor="#fde9b5" color="#9a6b00"]\n'
    '\tn5 [label=<+> shape="ellipse" style="filled" fillcolor="white" color="#1f5fbf"]\n'
    '\tn6 [label=<<B>v</B> = 11<BR/><FONT COLOR="#c0392b">dJ/dv = 3</FONT>> shape="box" '
    'style="filled,rounded" fillcolor="#dbe9f7" color="#1f5fbf"]\n'
    '\tn7 [label=<*> shape="ellipse" style="filled" fillcolor="white" color="#1f5fbf"]\n'
    '\tn8 [label=<3> shape="plaintext" fontcolor="#555555" width="0" height="0" '
    'margin="0.04"]\n'
    '\tn9 [label=<<B>J</B> = 33> shape="box" style="filled,rounded" fillcolor="#dbe9f7" '
    'color="#1f5fbf" peripheries=2]\n'
    '\tn1 -> n2\n\tn0 -> n2\n\tn2 -> n3\n\tn4 -> n5\n\tn3 -> n5\n\tn5 -> n6\n\tn8 -> n7\n'
    '\tn6 -> n7\n\tn7 -> n9\n}\n')


def network(dims: list[int], m: int = 3, backward: bool = True, seed: int = 0) -> tc.Tensor:
    """J of DeepNN(dims) on m random examples, after J.backward() when asked."""
    rng = np.random.default_rng(seed)
    model = DeepNN(dims, rng=seed)
    J = model.cost(rng.random((dims[0], m)), (rng.random((1, m)) > 0.5).astype(float))
    if backward:
        J.backward()
    return J


def j_graph() -> tc.Tensor:
    """Lesson 2.5: J = 3(a + bc), a = 5, b = 3, c = 2, after backward."""
    a = tc.Tensor(5.0, requires_grad=True, name="a")
    b = tc.Tensor(3.0, requires_grad=True, name="b")
    c = tc.Tensor(2.0, requires_grad=True, name="c")
    u = (b * c).retain_grad()
    v = (a + u).retain_grad()
    J = 3 * v
    J.name = "J"
    J.backward()
    return J


def width_px(svg: str) -> float:
    """The SVG root's width in pixels (Graphviz writes points: 1 pt = 4/3 px)."""
    m = re.fullmatch(r"([\d.]+)pt", ET.fromstring(svg).get("width", ""))
    assert m, "the SVG's width is not in pt"
    return float(m.group(1)) * 4 / 3


def node_texts(svg: str) -> list[str]:
    """The text of each node of a Graphviz SVG."""
    return [" ".join(" ".join(t.itertext()).strip() for t in g.iter(f"{SVG}text"))
            for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "node"]


# ---- what a layer box holds ------------------------------------------------------------------
def test_each_layer_is_one_box_with_names_shapes_and_gradient_norms() -> None:
    source = draw_graph(network(CAT), view="layers").source
    assert "cluster" not in source
    for layer, (rows, cols) in enumerate(zip(CAT[1:], CAT[:-1]), start=1):
        box = next(line for line in source.splitlines() if f"<B>layer {layer}</B>" in line)
        for name, shape in [(f"W{layer}", (rows, cols)), (f"b{layer}", (rows, 1)),
                            (f"Z{layer}", (rows, 3)), (f"A{layer}", (rows, 3))]:
            assert f"<B>{name}</B></TD><TD ALIGN=\"LEFT\">{shape}</TD>" in box, name
        assert f"‖dW{layer}‖ = " in box and f"‖db{layer}‖ = " in box
    # X and J keep their own boxes; one edge per flow X -> layer 1 -> ... -> layer 4 -> J's op
    assert "<B>X</B> (12288, 3)" in source and "<B>J</B> = " in source
    edges = re.findall(r"^\t(n\d+) -> (n\d+)", source, re.M)
    assert len(edges) == len(set(edges)) == 7  # X→1, 1→2, 2→3, 3→4, 4→L, Y→L, L→J


def test_norms_match_the_gradients_and_appear_only_after_backward() -> None:
    before = draw_graph(network(CAT, backward=False), view="layers").source
    assert "‖d" not in before and "gradients not computed yet" in before
    J = network(CAT)
    W1 = next(t for t in topological_order([J]) if t.name == "W1")
    norm = f"{np.linalg.norm(W1.grad):.4g}"
    assert f"‖dW1‖ = {norm}" in draw_graph(J, view="layers").source
    assert "‖d" not in draw_graph(J, view="layers", show_grads=False).source


def test_user_names_are_escaped() -> None:
    x = tc.Tensor(np.ones((2, 3)), name="<b>")
    W1 = tc.Tensor(np.ones((4, 2)), requires_grad=True, name="W1")
    b1 = tc.Tensor(np.zeros((4, 1)), requires_grad=True, name="b1")
    Z1 = W1 @ x + b1
    Z1.name = "Z1"
    J = tc.sum(tc.relu(Z1))
    J.name = "J & <i>"
    J.backward()
    source = draw_graph(J, view="layers").source
    assert "&lt;b&gt;" in source and "<b>" not in source
    assert "J &amp; &lt;i&gt;" in source
    if available_backends():
        texts = node_texts(render_svg(source))
        assert any(t.startswith("<b> (2, 3)") for t in texts), texts


# ---- size --------------------------------------------------------------------------------------
@needs_renderer
def test_cat_network_fits_a_1200_pixel_screen() -> None:
    J = network(CAT)
    assert width_px(render_svg(draw_graph(J, view="ops").source)) > MAX_PX  # why it exists
    svg = render_svg(draw_graph(J, view="layers").source)
    assert width_px(svg) <= MAX_PX
    assert sum("layer " in t for t in node_texts(svg)) == 4


def test_auto_picks_layers_past_the_threshold() -> None:
    cat = network(CAT)
    assert len(topological_order([cat])) > LAYER_VIEW_MIN_TENSORS
    assert draw_graph(cat).source == draw_graph(cat, view="layers").source
    deep = network(DEEP)
    assert draw_graph(deep).source == draw_graph(deep, view="layers").source
    small = network([2, 4, 1])  # the lessons' 2-layer network keeps its picture
    assert len(topological_order([small])) <= LAYER_VIEW_MIN_TENSORS
    assert draw_graph(small).source == draw_graph(small, view="ops").source
    chain = tc.Tensor(1.0, requires_grad=True, name="x")  # big but no layers: ops
    for _ in range(LAYER_VIEW_MIN_TENSORS + 5):
        chain = chain * 1.5
    assert draw_graph(chain).source == draw_graph(chain, view="ops").source


@needs_renderer
def test_fifty_layers_render_in_time_and_stay_narrow() -> None:
    J = network(DEEP)
    start = time.perf_counter()
    svg = render_svg(draw_graph(J, view="layers").source)  # the default timeout
    assert time.perf_counter() - start < DEFAULT_TIMEOUT
    assert width_px(svg) <= MAX_PX
    texts = node_texts(svg)
    assert sum(t.startswith("layer ") for t in texts) == 50
    assert any("W50 (1, 3)" in t for t in texts)


# ---- the ops view and the option ---------------------------------------------------------------
def test_ops_view_is_the_previous_picture() -> None:
    assert draw_graph(j_graph(), view="ops").source == J_DOT
    assert draw_graph(j_graph()).source == J_DOT  # auto: a small graph keeps the ops view
    cat = network(CAT)
    assert "cluster_layer1" in draw_graph(cat, view="ops").source


def test_bad_view_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="'auto', 'ops', 'layers'.*got 'layer'"):
        draw_graph(j_graph(), view="layer")


def test_layer_view_with_backward_edges_and_max_nodes() -> None:
    J = network(CAT)
    source = draw_graph(J, view="layers", backward_edges=True).source
    assert "dir=back" in source  # J's loss op still carries its derivative edges
    truncated = draw_graph(network(DEEP), view="layers", max_nodes=40).source
    assert "tensors not drawn (max_nodes=40)" in truncated
    if available_backends():
        render_svg(truncated)


@needs_renderer
def test_notebook_hook_uses_the_layer_view() -> None:
    picture = draw_graph(network(CAT))  # what a notebook shows for the cat network
    svg = picture._repr_svg_()
    assert svg is not None and width_px(svg) <= MAX_PX
    assert picture.summary.endswith("(layers view)")


@needs_renderer
def test_example_reproduces_the_committed_picture(tmp_path: Path) -> None:
    """docs/visualization.md shows docs/img/graph_cat_layers.svg: the example must still draw
    the same texts (compared as text, so either renderer will do)."""
    written = runpy.run_path(str(REPO / "examples" / "graph_layers.py"))["main"](
        ["--out", str(tmp_path)])
    committed = REPO / "docs" / "img" / "graph_cat_layers.svg"
    fresh, old = (node_texts(p.read_text(encoding="utf-8")) for p in (written[0], committed))
    assert sorted(fresh) == sorted(old), ("stale: python examples/graph_layers.py "
                                          "--out docs/img")
    assert width_px(written[0].read_text(encoding="utf-8")) <= MAX_PX
