"""What a notebook shows (tinygrad_course/display.py): a Tensor's table, a graph's mimebundle,
labels that name the tensor backward ran from, and, in a real browser, a graph's SVG that fits
an 800 px cell without being cropped."""

from __future__ import annotations

import base64
import html
import re
from typing import Any

import numpy as np
import pytest
from steps_examples import CAT, flower_graph, j_graph, network_graph

import tinygrad_course as tc
from tinygrad_course import display, render
from tinygrad_course.display import MIN_SCALE, TABLE_MAX_ELEMENTS, GraphPicture, tensor_html
from tinygrad_course.render import available_backends
from tinygrad_course.stepper import Steps, backward_steps
from tinygrad_course.viz import LAYER_VIEW_MIN_TENSORS, chosen_view, draw_graph

needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")


def rows(t: tc.Tensor) -> dict[str, str]:
    """The table's rows as {header: text}, unescaped."""
    return {html.unescape(k): html.unescape(v) for k, v in re.findall(
        r"<th[^>]*>(.*?)</th><td[^>]*><pre[^>]*>(.*?)</pre></td>", tensor_html(t), re.S)}


def leaves(J: tc.Tensor) -> dict[str, tc.Tensor]:
    return {t.name: t for t in tc.graph.topological_order([J]) if t.name and t.is_leaf}


# ---- a Tensor's table -----------------------------------------------------------------------
def test_table_of_a_result_and_of_a_leaf_after_backward() -> None:
    J = j_graph()
    J.backward()
    a = leaves(J)["a"]
    assert rows(a) == {"name": "a", "shape": "()", "dtype": "float64", "values": "5.",
                       "dJ/da": "3.", "made by": "leaf, requires grad (a parameter)"}
    assert rows(J)["made by"] == "* of 3, an unnamed tensor ()"  # 3 * (a + bc)
    assert "gradient" in rows(J) and "retain_grad" in rows(J)["gradient"]
    assert tc.Tensor(1.0)._repr_html_() == tensor_html(tc.Tensor(1.0))  # type: ignore[attr-defined]
    assert repr(a) == "Tensor(name='a', shape=(), requires_grad=True, data=5.)"  # unchanged


def test_gradient_row_names_the_root_and_the_tensor() -> None:
    rng = np.random.default_rng(0)
    W1 = tc.Tensor(rng.random((4, 3)), requires_grad=True, name="W1")
    X = tc.Tensor(rng.random((3, 5)), name="X")
    A1 = tc.sigmoid(W1 @ X)
    A1.name = "A1"
    cost = A1.sum()
    cost.name = "cost"
    cost.backward()
    table = rows(W1)
    assert table["dcost/dW1"] == display.values_text(W1.grad)  # not dW1/dW1
    assert rows(A1)["made by"] == "σ of an unnamed tensor (4, 5)"
    assert rows(A1.parents[0])["made by"] == "@ of W1, X"
    assert rows(X)["made by"] == "leaf (data: no gradient)" and "gradient" not in rows(X)


def test_table_escapes_hostile_names() -> None:
    t = tc.Tensor([1.0, 2.0], requires_grad=True, name="<script>alert('x')</script>&")
    (t * 2).sum().backward()
    text = tensor_html(t)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert rows(t)["name"] == "<script>alert('x')</script>&"
    assert f"dJ/d{t.name}" in rows(t)  # the root was unnamed: J


def test_values_are_elided_past_the_documented_size() -> None:
    small = tc.Tensor(np.arange(TABLE_MAX_ELEMENTS, dtype=float))
    assert "..." not in rows(small)["values"]
    big = tc.Tensor(np.arange(12288 * 209, dtype=float).reshape(12288, 209), name="X")
    text = rows(big)["values"]
    assert "..." in text and len(text) < 1000  # the cat set's X: a few dozen numbers
    assert text.endswith("2.5682e+06]]")  # the last values are still shown


def test_data_and_no_grad_tensors_say_what_they_are() -> None:
    data = tc.Tensor([1.0, 2.0]) * 3
    assert "gradient" not in rows(data) and not any("backward" in v for v in rows(data).values())
    w = tc.Tensor(2.0, requires_grad=True, name="w")
    with tc.no_grad():
        u = w * 3
    assert rows(u)["made by"] == "computed under no_grad (not recorded: no graph)"
    assert "backward" not in tensor_html(u)
    assert "no gradient yet" in rows(w)["gradient"]


# ---- labels that tell the truth ------------------------------------------------------------
def grad_texts(root: tc.Tensor, **options: Any) -> list[str]:
    """The red gradient lines of draw_graph(root)'s DOT."""
    return re.findall(r'COLOR="#c0392b">([^<]*)</FONT>', draw_graph(root, **options).source)


@pytest.mark.parametrize("name", ["J", "cost", None])
def test_a_leaf_says_d_root_over_d_leaf(name: str | None) -> None:
    J = j_graph()
    J.name = name
    J.backward()
    top = name or "J"
    a = leaves(J)["a"]
    assert grad_texts(a) == [f"d{top}/da = 3"]  # was "da/da = 3"
    assert f"d{top}/da = 3" in grad_texts(J)
    assert f"d{top}/da" in rows(a)


def test_a_matrix_leaf_names_the_root_in_its_norm() -> None:
    J = network_graph([3, 4, 1])
    W1 = leaves(J)["W1"]
    J.name = "cost"
    J.backward()
    assert [t for t in grad_texts(W1, view="ops") if t.startswith("‖")][0].startswith(
        "‖dcost/dW1‖ = ")  # was ‖dW1/dW1‖


def test_gradients_summed_over_passes_say_so() -> None:
    a = tc.Tensor(2.0, requires_grad=True, name="a")
    J = a * 3
    J.name = "J"
    J.backward()
    K = a * a
    K.name = "K"
    K.backward()
    assert grad_texts(a) == ["dJ/da + dK/da = 7"]
    a.grad = np.array(1.0)  # by hand: no backward stored it
    assert grad_texts(a) == ["a.grad = 1"]


def test_an_unnamed_root_drawn_is_named_in_its_leaves() -> None:
    a = tc.Tensor(2.0, requires_grad=True, name="a")
    J = tc.Tensor(1.0, name="J") * a * a  # J is taken: the unnamed root is drawn as v
    J.backward()
    assert grad_texts(J) == ["dv/da = 4"]
    assert grad_texts(a) == ["dJ/da = 4"]  # drawn alone: the course's J


def notes(root: tc.Tensor) -> str:
    return " ".join(re.findall(r"label=<([^<>]*)> labelloc=t", draw_graph(root).source))


def test_what_a_picture_says_when_nothing_has_a_gradient() -> None:
    data = tc.Tensor([1.0, 2.0]) * 2
    assert notes(data) == "" and "<B>J</B>" not in draw_graph(data).source  # no J for data
    w = tc.Tensor(2.0, requires_grad=True, name="w")
    with tc.no_grad():
        u = w * 3
    assert "computed under no_grad" in notes(u) and "backward" not in notes(u)
    J = w * 3
    assert notes(J) == "gradients not computed yet: call J.backward() to see them"
    assert "backward(grad)" in notes(w * np.ones(3))
    assert "J.backward" not in notes(w) and "no gradient yet" in notes(w)


def test_grads_from_tc_grad_leave_labels_alone() -> None:
    a = tc.Tensor(2.0, requires_grad=True, name="a")
    (ga,) = tc.grad(a * a, [a])
    assert float(ga) == 4.0 and a.grad is None and grad_texts(a) == []


# ---- a graph's mimebundle ------------------------------------------------------------------
@needs_renderer
def test_mimebundle_has_svg_html_and_text() -> None:
    J = j_graph()
    J.backward()
    dot = draw_graph(J)
    assert isinstance(dot, GraphPicture) and dot.source.startswith("digraph")
    bundle = dot._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/html", "text/plain"}
    assert bundle["text/plain"] == "computation graph of J: 6 tensors, 3 ops (ops view)"
    svg = bundle["image/svg+xml"]
    assert svg.startswith("<svg") and "width: 100%; max-width: 779px" in svg
    assert "viewBox=" in svg and not re.search(r'height="[\d.]+pt"', svg)
    assert "overflow-x: auto" in bundle["text/html"]
    assert set(dot._repr_mimebundle_(include=["text/plain", "image/png"])) == {"text/plain"}
    assert set(dot._repr_mimebundle_(exclude=["text/html"])) == {"image/svg+xml", "text/plain"}
    IPython = pytest.importorskip("IPython.core.formatters")
    data, _ = IPython.DisplayFormatter().format(dot)
    assert data["image/svg+xml"] == svg and data["text/plain"] == bundle["text/plain"]
    assert isinstance(dot.copy(), GraphPicture) and dot.copy().summary == dot.summary


def test_without_a_renderer_the_bundle_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "_find_system_dot", lambda: None)
    monkeypatch.setattr(render, "_find_pure", lambda: None)
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    bundle = draw_graph(j_graph())._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "no picture" in bundle["text/plain"] and "pip install graphviz-pure" in bundle[
        "text/plain"]


def test_graphviz_own_rendering_never_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import graphviz

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("graphviz's own pipe ran")

    monkeypatch.setattr(graphviz.Digraph, "pipe", refuse)
    monkeypatch.setattr(display, "render_svg", lambda source: "<svg width=\"8pt\" height=\"4pt\""
                        ' viewBox="0 0 8 4"></svg>')
    dot = draw_graph(j_graph())
    assert dot._repr_svg_() == ('<svg style="width: 100%; max-width: 11px; height: auto" '
                                'width="8pt" viewBox="0 0 8 4"></svg>')
    assert dot._repr_html_() is not None and "text/plain" in dot._repr_mimebundle_()


# ---- the layer view past the documented size -----------------------------------------------
def test_notebook_display_and_steps_use_the_layer_view_past_the_size() -> None:
    cat = network_graph(CAT)
    assert len(tc.graph.topological_order([cat])) > LAYER_VIEW_MIN_TENSORS
    assert draw_graph(cat).summary.endswith("(layers view)")
    assert draw_graph(network_graph([2, 4, 1])).summary.endswith("(ops view)")
    steps = backward_steps(cat)
    assert isinstance(steps, Steps) and chosen_view(cat) == "layers"


@needs_renderer
def test_steps_repr_html_draws_the_layer_view(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_course import steps_page

    seen: list[str] = []
    real = steps_page.draw_graph

    def spy(root: tc.Tensor, **options: Any) -> Any:
        seen.append(options["view"])
        return real(root, **options)

    monkeypatch.setattr(steps_page, "draw_graph", spy)
    assert backward_steps(network_graph(CAT))._repr_html_().startswith(  # type: ignore[attr-defined]
        "<iframe srcdoc=")
    assert seen == ["layers"]


# ---- in a real browser: fits the cell, never cropped ---------------------------------------
CELL_PX = 800

MEASURE = """() => {
  const r = e => { const b = e.getBoundingClientRect();
                   return {left: b.left, right: b.right, top: b.top, bottom: b.bottom,
                           width: b.width, height: b.height}; };
  const cell = document.getElementById("cell"), svg = cell.querySelector("svg");
  const vb = svg.viewBox.baseVal, wrap = cell.querySelector("div");
  return {cell: r(cell), svg: r(svg), graph: r(svg.querySelector("g.graph")),
          vb: [vb.width, vb.height],
          wrap: wrap ? {client: wrap.clientWidth, scroll: wrap.scrollWidth,
                        overflow: getComputedStyle(wrap).overflowX} : null};
}"""


def _measure(chromium: Any, fragment: str) -> dict[str, Any]:
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.set_content('<!DOCTYPE html><html><body style="margin: 0">'
                         f'<div id="cell" style="width: {CELL_PX}px">{fragment}</div>'
                         "</body></html>")
        return dict(page.evaluate(MEASURE))
    finally:
        page.close()


def _measure_img(chromium: Any, svg: str) -> dict[str, Any]:
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.set_content(f'<div style="width: {CELL_PX}px"><img id="capped" src="{src}" '
                         'style="max-width: 100%; height: auto"></div>'
                         f'<img id="natural" src="{src}">')
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        return dict(page.evaluate("""() => {
          const r = id => document.getElementById(id).getBoundingClientRect();
          return {natural: r("natural").width, natural_h: r("natural").height,
                  capped: [r("capped").width, r("capped").height]}; }"""))
    finally:
        page.close()


def _whole_picture_visible(m: dict[str, Any]) -> None:
    """The graph's group (its white background covers the whole viewBox) lies inside the svg's
    box, and fills it at the viewBox's aspect ratio: nothing cropped, nothing distorted."""
    svg, graph = m["svg"], m["graph"]
    for side in ("left", "top"):
        assert graph[side] >= svg[side] - 1
    for side in ("right", "bottom"):
        assert graph[side] <= svg[side] + 1
    assert graph["width"] == pytest.approx(svg["width"], abs=2)
    assert svg["height"] / svg["width"] == pytest.approx(m["vb"][1] / m["vb"][0], rel=0.02)


GRAPHS = {"2-layer flower network": lambda: draw_graph(flower_graph()),
          "cat network 12288-20-7-5-1": lambda: draw_graph(network_graph(CAT)),
          "cat network, ops view": lambda: draw_graph(network_graph(CAT), view="ops"),
          "J = 3(a + bc)": lambda: draw_graph(j_graph())}


@needs_renderer
@pytest.mark.parametrize("which", list(GRAPHS))
def test_graph_fits_an_800px_cell_in_a_browser(chromium: Any, which: str) -> None:
    bundle = GRAPHS[which]()._repr_mimebundle_()
    natural = float(re.search(r"max-width: (\d+)px", bundle["image/svg+xml"]).group(1))
    # image/svg+xml inline, as the classic notebook and nbviewer put it: scaled to the cell
    m = _measure(chromium, bundle["image/svg+xml"])
    assert m["svg"]["width"] <= CELL_PX + 0.5
    assert m["svg"]["width"] == pytest.approx(min(natural, CELL_PX), abs=1)  # small: not blown up
    _whole_picture_visible(m)
    # as an <img> (how some front ends show SVG): the natural width, which a host's usual
    # max-width: 100% for images scales to the cell as well
    img = _measure_img(chromium, bundle["image/svg+xml"])
    assert img["natural"] == pytest.approx(natural, abs=1)
    assert img["capped"][0] == pytest.approx(min(natural, CELL_PX), abs=1)
    assert img["capped"][1] / img["capped"][0] == pytest.approx(
        img["natural_h"] / img["natural"], rel=0.02)
    # text/html: never below MIN_SCALE; a wider picture scrolls inside the cell
    m = _measure(chromium, bundle["text/html"])
    assert m["wrap"]["overflow"] == "auto" and m["wrap"]["client"] <= CELL_PX
    want = min(natural, max(CELL_PX, natural * MIN_SCALE))
    assert m["svg"]["width"] == pytest.approx(want, abs=1)
    assert m["wrap"]["scroll"] >= m["svg"]["width"] - 1  # all of it reachable by scrolling
    _whole_picture_visible(m)
    if which.startswith("2-layer"):
        assert natural > CELL_PX / MIN_SCALE  # the case the html view is for: it scrolls


def test_a_loop_that_never_zeroes_grads_keeps_a_short_label() -> None:
    a = tc.Tensor(1.0, requires_grad=True, name="a")
    for _ in range(50):
        J = a * 2
        J.name = "J"
        J.backward()
    assert grad_texts(a) == ["dJ/da, summed over 50 passes = 100"]
    assert len(a._grad_of[0].names) == 1  # type: ignore[attr-defined]  # bounded
    for k in range(10):
        K = a * 1
        K.name = f"K{k}"
        K.backward()
    (text,) = grad_texts(a)
    assert text.startswith("dJ/da + dK0/da + dK1/da + dK2/da + … (60 passes)")


def test_the_compiled_step_labels_its_gradients_as_the_eager_step_does() -> None:
    """fit(compiled=True) stores dW1 from generated code, not from backward(): the table still
    says what it is, dJ/dW1 (J: the cost the models name J), as after the eager step."""
    from tinygrad_course import datasets, nn

    X, Y = datasets.planar_flower()
    heads = []
    for compiled in (False, True):
        model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small", rng=2)
        model.step(X, Y, 1.2, compiled=compiled)
        table = rows(model.parameters()["W1"])
        heads.append([k for k in table if "/d" in k or k.endswith(".grad")])
    assert heads[0] == heads[1] == ["dJ/dW1"]
