"""The step-by-step page and frames, without a browser: self-contained, small, safe with any
name, one frame a step. The hand-written J = 3(a + bc) steps stand in for the stepper;
tests with the real one use tinygrad_course.stepper."""

from __future__ import annotations

import html
import importlib
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from steps_examples import J_STEPS, FakeSteps, flower_graph, j_graph, j_steps

from tinygrad_course import Tensor
from tinygrad_course.graph import topological_order
from tinygrad_course.render import available_backends, render_svg
from tinygrad_course.steps_page import (
    _view,
    attach_repr,
    frame_svgs,
    ids_from_steps,
    notebook_html,
    page_html,
    save_frames,
    save_page,
)
from tinygrad_course.viz import draw_graph, graph_ids

needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")
SVG = "{http://www.w3.org/2000/svg}"
MB = 1_000_000


class Elements(HTMLParser):
    """The page's tags in order, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text = ""  # all text outside scripts, character references resolved
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = dict(attrs)
            self.scripts.append((self._in_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text += data


def parse(page: str) -> Elements:
    p = Elements()
    p.feed(page)
    p.close()
    return p


def svg_of(root: Tensor) -> str:
    return render_svg(draw_graph(root, show_grads=False).source)


def assert_self_contained(page: str) -> None:
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.I)
    elements = parse(page)
    tags = {tag for tag, _ in elements.tags}
    assert not tags & {"link", "iframe", "img", "object", "embed", "base", "form"}
    assert all("src" not in attrs for _, attrs in elements.scripts)
    assert "@import" not in page and "url(" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


# ---- the DOT ids -----------------------------------------------------------------------------
def test_graph_ids_follow_the_drawing() -> None:
    J = j_graph()
    ids = graph_ids(J)
    # c, b, u, a, v, J: u's ellipse n2 before its box n3; J's constant 3 is n8, between
    # J's ellipse n7 and its box n9
    assert [i["box"] for i in ids] == ["n0", "n1", "n3", "n4", "n6", "n9"]
    assert ids[5] == {"box": "n9", "op": "n7", "inputs": ["n8", "n6"]}
    assert ids_from_steps(J_STEPS) == ids
    source = draw_graph(J).source
    for entry in ids:
        assert f"\t{entry['box']} [label=" in source
        for src in entry["inputs"]:
            assert f"\t{src} -> {entry['op']}" in source


def test_graph_ids_of_the_flower_and_of_left_out_tensors() -> None:
    J = flower_graph()
    order = topological_order([J])
    ids = graph_ids(J)
    assert len(ids) == len(order)
    assert all((e["op"] is None) == (t._op is None) for t, e in zip(order, ids) if e)
    few = graph_ids(J, max_nodes=4)
    assert sum(e is not None for e in few) == 4 and few[-1] is not None
    with pytest.raises(TypeError):
        graph_ids("J")  # type: ignore[arg-type]


# ---- what a step shows ------------------------------------------------------------------------
def test_the_lines_of_each_kind_of_step() -> None:
    ids = ids_from_steps(J_STEPS)
    tensors = J_STEPS["tensors"]
    views = [_view(s, tensors, ids) for s in J_STEPS["steps"]]
    assert views[0]["lines"] == [["text", "u = b · c = 3 · 2 = 6"], ["value", "u = 6"]]
    assert views[0]["current"] == ["n2", "n3"] and views[0]["inputs"] == ["n1", "n0"]
    assert views[0]["edges"] == [["n1", "n2"], ["n0", "n2"], ["n2", "n3"]]
    assert views[3]["lines"] == [["text", "dJ/dJ = 1"], ["grad", "dJ/dJ = 1"]]
    assert views[3]["current"] == ["n9"]
    db = views[7]
    assert db["lines"] == [["text", "dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6"],
                           ["upstream", "upstream dJ/du = 3"], ["local", "local ∂u/∂b = c = 2"],
                           ["contribution", "share dJ/db = 6"], ["grad", "complete dJ/db = 6"]]
    assert db["current"] == ["n2", "n3"] and db["inputs"] == ["n1"]
    assert db["edges"] == [["n1", "n2"]]
    assert db["grad"] == {"tensor": 1, "label": "dJ/db = 6", "brief": "dJ/db = 6", "final": True}
    # the local derivative's number is not repeated when the formula already ends with it
    assert views[4]["lines"][2] == ["local", "local ∂J/∂v = 3"]


def test_matrices_sums_and_fan_in_are_written_from_the_data() -> None:
    big = {"shape": [4, 400], "dtype": "float64", "value": None, "norm": 3.2,
           "text": "‖·‖ = 3.2"}
    col = {"shape": [4, 1], "dtype": "float64", "value": [[1], [2], [3], [4]], "norm": 5.477,
           "text": "[1, 2, 3, 4]ᵀ"}
    step = {"index": 0, "phase": "backward", "tensor": 1, "input": 0, "position": 1,
            "upstream": {"name": "dZ1", "value": big},
            "local": {"formula": "∂Z1/∂b1 = 1", "value": None},
            "contribution": {"name": "db1", "value": col},
            "sum": {"axes": [1], "before": [4, 400], "after": [4, 1],
                    "text": "db1 = Σ_i dZ1(:, i) : (4, 400) → (4, 1)"},
            "accumulate": {"before": col, "after": col},
            "grad": {"name": "db1", "value": col}, "final": False,
            "text": "db1 = Σ_i dZ1(:, i) : (4, 1) = (4, 400)"}
    tensors = [{"name": "b1"}, {"name": "Z1"}]
    lines = dict(map(tuple, _view(step, tensors, [None, None])["lines"]))
    assert lines["upstream"] == "upstream dZ1 (4, 400): ‖dZ1‖ = 3.2"
    assert lines["local"] == "local ∂Z1/∂b1 = 1"
    assert lines["sum"] == "broadcast undone: db1 = Σ_i dZ1(:, i) : (4, 400) → (4, 1)"
    assert lines["accumulate"] == ("fan-in: db1 = [1, 2, 3, 4]ᵀ + [1, 2, 3, 4]ᵀ = "
                                   "[1, 2, 3, 4]ᵀ")
    assert lines["grad"] == "so far db1 = [1, 2, 3, 4]ᵀ"


# ---- the page ---------------------------------------------------------------------------------
@needs_renderer
def test_page_is_self_contained_small_and_carries_the_data(tmp_path: Path) -> None:
    J = j_graph()
    path = save_page(FakeSteps(J, j_steps()), tmp_path / "J.html")
    page = path.read_text(encoding="utf-8")
    assert path.stat().st_size < MB
    assert_self_contained(page)
    scripts = parse(page).scripts
    assert len(scripts) == 2
    data = json.loads(scripts[0][1])
    assert data["steps"] == J_STEPS and data["ids"] == graph_ids(J)
    assert len(data["views"]) == len(J_STEPS["steps"])
    for control in ("tg-first", "tg-prev", "tg-play", "tg-next", "tg-last", "tg-slider"):
        assert f'id="{control}"' in page
    assert 'max="8"' in page and page.count('class="tg-grad"') == 6


@needs_renderer
def test_page_needs_the_stepper_format() -> None:
    with pytest.raises(ValueError, match="tinygrad_course.steps/1"):
        page_html({"format": "other"}, svg_of(j_graph()))
    with pytest.raises(TypeError, match="root Tensor"):
        save_page(object(), "x.html")


HOSTILE = ['</script><script>alert("x")</script>', "it's \"quoted\" & <b>bold</b>",
           "<!--", "]]>", "\u2028line", "{data}{svg}{script}"]


@needs_renderer
@pytest.mark.parametrize("name", HOSTILE)
def test_names_cannot_break_out(name: str, tmp_path: Path) -> None:
    data = j_steps()
    data["tensors"][3]["name"] = name
    data["steps"][5]["text"] = f"dJ/d{name} = dJ/dv · ∂v/∂{name} = 3 · 1 = 3"
    data["steps"][5]["grad"]["name"] = f"dJ/d{name}"
    J = j_graph()
    J._inputs[1]._inputs[0].name = name  # the picture shows the same name  # type: ignore
    page = save_page(FakeSteps(J, data), tmp_path / "x.html").read_text(encoding="utf-8")
    elements = parse(page)
    assert [attrs.get("type") for attrs, _ in elements.scripts] == ["application/json", None]
    assert json.loads(elements.scripts[0][1])["steps"] == data
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "alert(" not in elements.scripts[1][1]
    assert not any(tag in ("b",) for tag, _ in elements.tags)  # no markup from the name
    assert name.split("\u2028")[0] in elements.text  # shown, as text
    for frame in frame_svgs(data, svg_of(J)):
        assert name.split("\u2028")[0] in "".join(ET.fromstring(frame).itertext())


@needs_renderer
def test_notebook_html_is_the_page_in_a_sandboxed_iframe() -> None:
    J = j_graph()
    steps = FakeSteps(J, j_steps())
    out = notebook_html(steps)
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)" sandbox="allow-scripts" [^>]*></iframe>', out)
    assert m, out[:200]
    inner = html.unescape(m.group(1))
    assert inner.startswith("<!DOCTYPE html>") and "tg-data" in inner
    assert_self_contained(inner)

    class Steps(FakeSteps):
        pass

    attach_repr(Steps)
    assert Steps(J, j_steps())._repr_html_() == out  # type: ignore[attr-defined]
    lost = Steps(J, j_steps())
    lost.root = None  # type: ignore[assignment]
    assert lost._repr_html_() is None  # type: ignore[attr-defined]  # Jupyter shows the repr


# ---- frames -----------------------------------------------------------------------------------
@needs_renderer
def test_frames_one_valid_svg_a_step(tmp_path: Path) -> None:
    folder = tmp_path / "frames"
    folder.mkdir()
    (folder / "step-099.svg").write_text("stale")
    (folder / "notes.txt").write_text("kept")
    J = j_graph()
    paths = save_frames(FakeSteps(J, j_steps()), folder)
    assert [p.name for p in paths] == [f"step-{k:03d}.svg" for k in range(9)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in paths] + ["notes.txt"])
    ids = graph_ids(J)
    for k, path in enumerate(paths):
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg"
        lit = [g.get("data-dot") for g in root.iter(f"{SVG}g")
               if "tg-current" in (g.get("class") or "")]
        step = J_STEPS["steps"][k]
        expected = ([ids[step["tensor"]]["box"]] if step["phase"] == "seed"
                    else [ids[step["tensor"]]["op"], ids[step["tensor"]]["box"]])
        assert sorted(lit) == sorted(expected)
        texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
        assert step["text"] in texts
    last = "".join(ET.parse(paths[-1]).getroot().itertext())
    for name, value in (("a", 3), ("b", 6), ("c", 9), ("u", 3), ("v", 3), ("J", 1)):
        assert f"dJ/d{name} = {value}" in last
    assert "dJ/db" not in "".join(ET.parse(paths[6]).getroot().itertext())


@needs_renderer
def test_frames_from_the_data_match_the_files() -> None:
    J = j_graph()
    frames = frame_svgs(j_steps(), svg_of(J))
    assert len(frames) == len(J_STEPS["steps"])
    assert all(f.lstrip().startswith("<svg") for f in frames)


# ---- with the real stepper ----------------------------------------------------------------------
def _stepper() -> Any:
    return importlib.import_module("tinygrad_course.stepper")


@needs_renderer
def test_real_steps_of_j(tmp_path: Path) -> None:
    stepper = _stepper()
    J = j_graph()
    steps = stepper.backward_steps(J)
    assert hasattr(stepper.Steps, "_repr_html_")
    page = save_page(J, tmp_path / "J.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    data = json.loads(parse(page).scripts[0][1])
    assert data["steps"] == json.loads(steps.to_json())
    assert len(save_frames(steps, tmp_path / "frames")) == len(steps)
    assert steps._repr_html_().startswith("<iframe srcdoc=")


@needs_renderer
def test_real_flower_page_is_under_a_megabyte(tmp_path: Path) -> None:
    _stepper()
    J = flower_graph()
    path = save_page(J, tmp_path / "flower.html")
    assert path.stat().st_size < MB
    page = path.read_text(encoding="utf-8")
    assert_self_contained(page)
    data = json.loads(parse(page).scripts[0][1])
    assert data["ids"] == graph_ids(J)
    assert any(s.get("sum") for s in data["steps"]["steps"] if s["phase"] == "backward")
