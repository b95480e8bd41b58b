"""Tests for tinygrad_course.viz: what a picture shows, DOT determinism, big graphs, SVG."""

from __future__ import annotations

import re
import runpy
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

import tinygrad_course as tc
from tinygrad_course import render, testing
from tinygrad_course.render import RenderError, available_backends
from tinygrad_course.viz import draw_graph, layer_of, save_svg

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[1]
needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")
needs_pure = pytest.mark.skipif(render._find_pure() is None,
                                reason="graphviz-pure not installed (pip install graphviz-pure)")


def _texts(g: ET.Element) -> str:
    return " ".join(" ".join(t.itertext()).strip() for t in g.iter(f"{SVG}text"))


def svg_labels(svg: str) -> tuple[dict[str, str], list[str], str]:
    """(node id -> its text, edge texts, graph-level text) of an SVG made by Graphviz."""
    root = ET.fromstring(svg)
    nodes, edges = {}, []
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            nodes[g.findtext(f"{SVG}title")] = _texts(g)
        elif g.get("class") == "edge" and _texts(g):
            edges.append(_texts(g))
    graph = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "graph")
    own = " ".join("".join(t.itertext()) for t in graph.findall(f"{SVG}text"))
    return nodes, edges, own


def j_graph(backward: bool = True) -> tc.Tensor:
    """Lesson 2.5: J = 3(a + bc), a = 5, b = 3, c = 2; u and v keep their gradients."""
    a = tc.Tensor(5.0, requires_grad=True, name="a")
    b = tc.Tensor(3.0, requires_grad=True, name="b")
    c = tc.Tensor(2.0, requires_grad=True, name="c")
    u = (b * c).retain_grad()
    v = (a + u).retain_grad()
    J = 3 * v
    J.name = "J"
    if backward:
        J.backward()
    return J


def two_layer(seed: int = 0) -> tc.Tensor:
    """A 2-3-1 network on 4 examples, named as the nn package names its tensors."""
    rng = np.random.default_rng(seed)
    X = tc.Tensor(rng.normal(size=(2, 4)), name="A0")
    Y = tc.Tensor([[1.0, 0.0, 1.0, 0.0]], name="Y")
    W1 = tc.Tensor(rng.normal(size=(3, 2)), requires_grad=True, name="W1")
    b1 = tc.Tensor(np.zeros((3, 1)), requires_grad=True, name="b1")
    W2 = tc.Tensor(rng.normal(size=(1, 3)), requires_grad=True, name="W2")
    b2 = tc.Tensor(np.zeros((1, 1)), requires_grad=True, name="b2")
    Z1 = W1 @ X + b1
    A1 = tc.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = tc.sigmoid(Z2)
    J = tc.binary_cross_entropy(A2, Y)
    for t, name in [(Z1, "Z1"), (A1, "A1"), (Z2, "Z2"), (A2, "A2"), (J, "J")]:
        t.name = name
    J.backward()
    return J


# ---- what the picture shows ------------------------------------------------------------------
@needs_renderer
def test_j_picture_has_values_gradients_and_local_derivatives(tmp_path: Path) -> None:
    path = save_svg(j_graph(), tmp_path / "J.svg", backward_edges=True)
    nodes, edges, graph = svg_labels(path.read_text(encoding="utf-8"))
    shown = " | ".join(nodes.values())
    for label in ["a = 5", "b = 3", "c = 2", "u = 6", "v = 11", "J = 33",
                  "dJ/da = 3", "dJ/db = 6", "dJ/dc = 9", "dJ/du = 3", "dJ/dv = 3"]:
        assert label in shown, (label, shown)
    assert sorted(t for t in nodes.values() if t in "*+3") == ["*", "*", "+", "3"]
    # the local derivatives, evaluated although backward released the saved values
    assert sorted(edges) == ["∂J/∂v = 3", "∂u/∂b = 2", "∂u/∂c = 3", "∂v/∂a = 1", "∂v/∂u = 1"]
    assert "not computed" not in graph


def test_before_backward_says_gradients_not_computed() -> None:
    source = draw_graph(j_graph(backward=False)).source
    assert "gradients not computed yet: call J.backward()" in source
    assert "dJ/d" not in source
    after = draw_graph(j_graph()).source
    assert "not computed" not in after and "dJ/da = 3" in after
    assert "not computed" not in draw_graph(j_graph(False), show_grads=False).source


def test_show_values_false_hides_values() -> None:
    source = draw_graph(j_graph(), show_values=False, show_grads=False).source
    assert "<B>a</B>>" in source and "= 5" not in source and "dJ/" not in source


def test_parameters_data_and_constants_look_different() -> None:
    w = tc.Tensor([1.0, 2.0], requires_grad=True, name="w")
    x = tc.Tensor([3.0, 4.0], name="x")
    J = (w * x + 7.0).sum()
    lines = draw_graph(J).source.splitlines()

    def style(text: str) -> str:
        line = next(ln for ln in lines if text in ln)
        return re.sub(r"^\s*n\d+ \[label=<.*> ", "", line)

    param, data, const = style("<B>w</B>"), style("<B>x</B>"), style("label=<7>")
    assert len({param, data, const}) == 3
    assert "bold" in param and "plaintext" in const


def test_op_labels() -> None:
    x = tc.Tensor(np.ones((2, 2)) * 0.5, requires_grad=True, name="x")
    W = tc.Tensor(np.ones((2, 2)), requires_grad=True, name="W")
    J = (tc.sigmoid(x) + tc.tanh(x) + tc.relu(x) + tc.leaky_relu(x) + tc.log(x) + tc.exp(x)
         + (x @ W).T - x / 2.0 + x ** 2).sum(axis=1).mean()
    source = draw_graph(J).source
    for label in ["σ", "tanh", "ReLU", "leaky ReLU", "log", "exp", "@", "ᵀ", "+", "−", "/",
                  "** 2", "Σ axis=1", "mean"]:
        assert f"label=<{label}>" in source, label


def test_unnamed_values_get_course_style_names() -> None:
    a, b, c = (tc.Tensor(v, requires_grad=True) for v in (5.0, 3.0, 2.0))
    source = draw_graph(3 * (a + b * c)).source
    # intermediates become u, v as in the lecture, inputs x1, x2, x3, the unnamed result J
    assert "<B>J</B> = 33" in source and "<B>u</B> = 6" in source and "<B>v</B> = 11" in source
    assert sorted(re.findall(r"<B>(\w+)</B>", source)) == ["J", "u", "v", "x1", "x2", "x3"]


def test_user_names_are_escaped() -> None:
    x = tc.Tensor(2.0, requires_grad=True, name='<x & "y">')
    source = draw_graph(x * x).source
    assert "&lt;x &amp; &quot;y&quot;&gt;" in source and '<x & "y">' not in source


def test_empty_and_column_values() -> None:
    W = tc.Tensor(np.zeros((2, 0)), requires_grad=True, name="W")
    b = tc.Tensor([[1.0], [2.0]], requires_grad=True, name="b")
    J = W.sum() + (b * b).sum()
    J.backward()
    source = draw_graph(J).source
    assert "<B>W</B> (2, 0)<BR/>[]" in source and "dJ/dW = []" in source
    assert "<B>b</B> (2, 1)<BR/>[1, 2]ᵀ" in source and "dJ/db = [2, 4]ᵀ" in source


def test_large_values_are_summarised() -> None:
    W = tc.Tensor(np.full((4, 5), 0.5), requires_grad=True, name="W")
    J = (W * W).sum()
    J.backward()
    source = draw_graph(J).source
    assert "<B>W</B> (4, 5)>" not in source  # grad line follows
    assert "‖dJ/dW‖ = 4.472" in source  # ||2W|| = sqrt(20 * 1)
    assert "0.5" not in source
    small = draw_graph(J, max_elements=20).source
    assert "[0.5, 0.5, 0.5, 0.5, 0.5]" in small and "dJ/dW =" in small


# ---- backward edges, broadcasting, layers ------------------------------------------------
def test_formulas_when_not_scalar() -> None:
    z = tc.Tensor([0.5, -1.0], requires_grad=True, name="z")
    a = tc.sigmoid(z)
    a.name = "a"
    source = draw_graph((a ** 2).sum(), backward_edges=True).source
    assert "∂a/∂z = a(1−a)" in source
    assert "∂u/∂a = 2·a^(2−1)" in source


def test_broadcast_sum_is_labelled_on_b() -> None:
    J = two_layer()
    forward = draw_graph(J).source
    assert forward.count("backward: Σ axis=1") == 2  # b1 and b2 only
    backward = draw_graph(J, backward_edges=True).source
    b1_edge = next(ln for ln in backward.splitlines() if "∂Z1/∂b1" in ln)
    assert "Σ axis=1" in b1_edge and "dir=back" in b1_edge
    assert "dW1 = du·A0ᵀ" in backward and "dA1 = W2ᵀ·dv" in backward
    assert "∂J/∂A2 = (a−y)/(a(1−a))/m" in backward
    assert not any("Σ" in ln for ln in backward.splitlines() if "∂Z1/∂u" in ln)


def test_layers_are_clusters() -> None:
    source = draw_graph(two_layer()).source
    blocks = dict(re.findall(r"subgraph (cluster_layer\d) \{(.*?)\n\t\}", source, re.S))
    assert sorted(blocks) == ["cluster_layer1", "cluster_layer2"]
    names = {k: set(re.findall(r"<B>(\w+)</B>", v)) for k, v in blocks.items()}
    assert names["cluster_layer1"] == {"W1", "b1", "Z1", "A1", "u"}  # u = W1 A0, inside Z1
    assert names["cluster_layer2"] == {"W2", "b2", "Z2", "A2", "v"}
    assert 'label="layer 1"' in blocks["cluster_layer1"]
    assert "cluster" not in draw_graph(two_layer(), clusters=False).source


def test_layer_of() -> None:
    assert [layer_of(n) for n in ["W1", "b12", "Z3", "A2", "W[4]", "A0", "X", "J", None]] == [
        1, 12, 3, 2, 4, None, None, None, None]


@needs_renderer
def test_two_layer_svg_labels(tmp_path: Path) -> None:
    path = save_svg(two_layer(), tmp_path / "net.svg", backward_edges=True)
    nodes, edges, _ = svg_labels(path.read_text(encoding="utf-8"))
    shown = " | ".join(nodes.values())
    for label in ["W1 (3, 2)", "b1 (3, 1)", "A0 (2, 4)", "L(a, y)", "σ", "tanh", "dJ/db2 =",
                  "J = "]:
        assert label in shown, (label, shown)
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    clusters = [_texts(g) for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]
    assert sorted(clusters) == ["layer 1", "layer 2"]
    assert any("Σ axis=1" in e for e in edges)


# ---- determinism, big graphs ------------------------------------------------------------
def test_dot_is_deterministic() -> None:
    first = draw_graph(two_layer(), backward_edges=True).source
    _ = [tc.Tensor(0.0) for _ in range(100)]  # shift the ids of everything allocated next
    second = draw_graph(two_layer(), backward_edges=True).source
    assert first == second
    ids = re.findall(r"^\s*(n\d+) \[", first, re.M)  # numbered in walk order, from n0
    assert sorted(ids, key=lambda n: int(n[1:])) == [f"n{k}" for k in range(len(ids))]
    assert "0x" not in first and str(id(two_layer())) not in first


@settings(max_examples=15)
@given(testing.expressions())
def test_random_graphs_give_the_same_dot(expr: testing.Expression) -> None:
    def build() -> tc.Tensor:
        inputs = {k: tc.Tensor(v, requires_grad=True, name=k) for k, v in expr.inputs.items()}
        out = expr(**inputs)
        out.backward()
        return out

    one, two = build(), build()
    assert (draw_graph(one, backward_edges=True).source
            == draw_graph(two, backward_edges=True).source)
    source = draw_graph(one).source
    for name in expr.inputs:
        assert f"<B>{name}</B>" in source
        assert "dJ/d" + name in source


def test_100k_node_chain_without_recursion() -> None:
    x = tc.Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(99_999):
        y = -y
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(150)  # far below the graph's depth: any recursion would fail
    try:
        source = draw_graph(y, max_nodes=None).source
    finally:
        sys.setrecursionlimit(limit)
    assert source.count("label=<−>") == 99_999
    assert source.count("<B>") == 100_000 and "not drawn" not in source


def test_max_nodes_truncates_with_a_note() -> None:
    w = tc.Tensor(1.0, requires_grad=True, name="w")
    y = w
    for _ in range(500):
        y = y * 1.0
    source = draw_graph(y, max_nodes=40).source
    assert source.count("<B>") == 40
    note = "… 461 tensors not drawn (max_nodes=40): results of 460 × *; 1 parameter"
    assert source.count(note) == 2  # the graph's label and the node standing for them
    elided = re.search(r"(n\d+) \[label=<…", source)
    assert elided is not None and f"{elided.group(1)} -> " in source


@needs_renderer
def test_truncated_graph_renders(tmp_path: Path) -> None:
    y = tc.Tensor(1.0, requires_grad=True, name="w")
    for _ in range(300):
        y = tc.tanh(y)
    nodes, _, graph = svg_labels(save_svg(y, tmp_path / "t.svg", max_nodes=20).read_text())
    assert "281 tensors not drawn" in graph
    assert sum("tanh" == t for t in nodes.values()) == 20


# ---- SVG output: backends, notebooks ----------------------------------------------------
@needs_pure
def test_save_svg_without_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # what a machine without Graphviz looks like
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    assert available_backends() == ["pure"]
    svg = save_svg(j_graph(), tmp_path / "J.svg").read_text(encoding="utf-8")
    assert "graphviz-pure" in svg
    nodes, _, _ = svg_labels(svg)
    assert "a = 5 dJ/da = 3" in nodes.values()


def test_no_renderer_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr(render, "_find_system_dot", lambda: None)
    monkeypatch.setattr(render, "_find_pure", lambda: None)
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    with pytest.raises(RenderError, match="pip install graphviz-pure"):
        save_svg(j_graph(), tmp_path / "J.svg")
    assert not (tmp_path / "J.svg").exists()
    # a notebook then shows the graph's text summary and why there is no picture
    assert list(draw_graph(j_graph())._repr_mimebundle_()) == ["text/plain"]


@needs_renderer
def test_graph_shows_as_svg_and_tensor_as_its_table_in_notebooks() -> None:
    svg = draw_graph(j_graph())._repr_svg_()
    nodes, _, _ = svg_labels(svg)
    assert "J = 33" in nodes.values()
    IPython = pytest.importorskip("IPython.core.formatters")
    formatter = IPython.DisplayFormatter()
    data, _ = formatter.format(draw_graph(j_graph()))
    assert data["image/svg+xml"].startswith("<svg")
    data, _ = formatter.format(j_graph())  # a Tensor: its table, no longer its whole graph
    assert set(data) == {"text/html", "text/plain"} and "<table" in data["text/html"]


def test_draw_graph_rejects_non_tensors() -> None:
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph(3.0)  # type: ignore[arg-type]


# ---- the examples and the pictures committed under docs/img ----------------------------------
@needs_renderer
@pytest.mark.parametrize("script", ["graph_j.py", "graph_logistic.py", "graph_2layer.py"])
def test_examples_reproduce_the_committed_svgs(script: str, tmp_path: Path) -> None:
    """docs/visualization.md shows docs/img/*.svg: the examples must still draw the same
    labels, values and gradients (compared as text, so either renderer will do)."""
    written = runpy.run_path(str(REPO / "examples" / script))["main"](["--out", str(tmp_path)])
    assert written
    for path in written:
        committed = REPO / "docs" / "img" / path.name
        assert committed.exists(), f"{committed} missing: python examples/{script} --out docs/img"
        fresh, old = (svg_labels(p.read_text(encoding="utf-8")) for p in (path, committed))
        assert sorted(fresh[0].values()) == sorted(old[0].values()), (
            f"{committed} is stale: python examples/{script} --out docs/img")
        assert sorted(fresh[1]) == sorted(old[1]) and fresh[2] == old[2]


def test_example_pictures_show_the_lessons(tmp_path: Path) -> None:
    """What each example is for: the lecture's numbers, dz = a − y, Σ axis=1 on db."""
    run = {name: runpy.run_path(str(REPO / "examples" / name))
           for name in ("graph_j.py", "graph_logistic.py")}
    J = run["graph_j.py"]["build"]()
    assert "gradients not computed yet" in draw_graph(J).source
    J.backward()
    j = draw_graph(J, backward_edges=True).source
    for text in ["dJ/dv = 3", "dJ/du = 3", "dJ/da = 3", "dJ/db = 6", "dJ/dc = 9", "∂J/∂v = 3"]:
        assert text in j, text
    t = run["graph_logistic.py"]["build"]()
    t["L"].backward()
    dz = t["a"].item() - t["y"].item()
    logistic = draw_graph(t["L"], backward_edges=True).source
    assert f"dL/dz = {dz:.4g}" in logistic and "<B>x1</B> = 2" in logistic
    assert "∂L/∂a = -1.741" in logistic and "∂a/∂z = 0.2445" in logistic
