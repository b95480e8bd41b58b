"""The step-by-step page in a real browser (headless Debian Chromium, see conftest.chromium):
opened from disk, stepped through with every control and key, the panel's numbers and the
highlighted nodes checked against the steps' data, no request made, no error logged, and a
screenshot that is not blank.

The J page uses the hand-written steps (tests/steps_examples.py); the flower page needs the
real stepper.
"""

from __future__ import annotations

import importlib
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from steps_examples import (
    CAT,
    DEEP,
    J_STEPS,
    FakeSteps,
    flower_graph,
    j_graph,
    j_steps,
    network_graph,
)

from tinygrad_course.render import available_backends
from tinygrad_course.steps_page import save_page
from tinygrad_course.viz import graph_ids

pytestmark = pytest.mark.skipif(not available_backends(),
                                reason="no Graphviz renderer (pip install graphviz-pure)")

STATE = """() => ({
  step: Number(document.body.dataset.step),
  text: document.getElementById("tg-text").textContent,
  lines: Array.from(document.querySelectorAll("#tg-lines li"), li => li.textContent).join("\\n"),
  current: Array.from(document.querySelectorAll("g.node.tg-current"), g => g.dataset.dot),
  inputs: Array.from(document.querySelectorAll("g.node.tg-input"), g => g.dataset.dot),
  edges: Array.from(document.querySelectorAll("g.edge.tg-edge"), g => g.dataset.edge),
  labels: Object.fromEntries(Array.from(document.querySelectorAll("text.tg-grad"),
                                        t => [t.dataset.tensor, t.textContent])),
  counter: document.getElementById("tg-counter").textContent,
  slider: Number(document.getElementById("tg-slider").value),
  by: document.body.dataset.by,
  group: document.body.dataset.group,
  byButton: document.getElementById("tg-by").textContent,
})"""


class Opened:
    """A page opened from disk, recording every request it tries and every error it logs."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1200, "height": 800})
        self.requests: list[str] = []  # anything not file://, aborted
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: None if r.url.startswith("file:")
                     else self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => document.body.dataset.step !== undefined")

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.requests.append(route.request.url)
            route.abort()

    def state(self) -> dict[str, Any]:
        return dict(self.page.evaluate(STATE))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Any]:
    opened: list[Opened] = []

    def open_(path: Path) -> Opened:
        opened.append(Opened(chromium, path))
        return opened[-1]

    yield open_
    for o in opened:
        o.close()


# ---- what every step must show, from the data -----------------------------------------------
def _without_norm(text: str) -> str:
    """'‖·‖ = 0.2236' -> '= 0.2236' (the label puts the gradient's name in the bars)."""
    return text.replace("‖·‖", "").strip()


def expected_at(k: int, data: dict[str, Any], ids: list[Any]) -> dict[str, Any]:
    step = data["steps"][k]
    own = ids[step["tensor"]]
    numbers: list[str] = []
    inputs: list[str] = []
    if step["phase"] == "forward":
        numbers.append(step["value"]["text"])
        current, inputs = [own["op"], own["box"]], list(own["inputs"])  # operands light up too
    elif step["phase"] == "seed":
        numbers.append(step["grad"]["text"])
        current = [own["box"]]
    else:
        current = [own["op"], own["box"]]
        inputs = [ids[step["input"]]["box"]]
        numbers += [step["upstream"]["value"]["text"], step["contribution"]["value"]["text"],
                    step["grad"]["value"]["text"], step["local"]["formula"]]
        if step["local"].get("value"):
            numbers.append(step["local"]["value"]["text"])
        if step.get("sum"):
            numbers.append(step["sum"]["text"])
        if step.get("accumulate"):
            numbers += [step["accumulate"]["before"]["text"],
                        step["accumulate"]["after"]["text"]]
    labels: dict[str, str] = {}
    for s in data["steps"][: k + 1]:
        if s["phase"] == "seed":
            labels[str(s["tensor"])] = s["grad"]["text"]
        elif s["phase"] == "backward":
            labels[str(s["input"])] = s["grad"]["value"]["text"]
    return {"text": step["text"], "numbers": [_without_norm(n) for n in numbers],
            "current": sorted(current), "inputs": sorted(inputs), "labels": labels}


def check_step(o: Opened, k: int, data: dict[str, Any], ids: list[Any]) -> None:
    got, want = o.state(), expected_at(k, data, ids)
    n = len(data["steps"])
    assert (got["step"], got["slider"], got["counter"]) == (k, k, f"step {k + 1} / {n}")
    assert got["text"] == want["text"]
    for number in want["numbers"]:
        assert number in got["lines"], (k, number, got["lines"])
    assert sorted(got["current"]) == want["current"], k
    assert sorted(got["inputs"]) == want["inputs"], k
    assert len(got["edges"]) >= (1 if data["steps"][k]["phase"] != "seed" else 0)
    shown = {key: text for key, text in got["labels"].items() if text}
    assert shown.keys() == want["labels"].keys(), k
    for key, text in want["labels"].items():
        assert _without_norm(text) in shown[key], (k, key, shown[key])


def walk(o: Opened, data: dict[str, Any], ids: list[Any]) -> None:
    """Every step with each control and key; the page's state checked at each."""
    n = len(data["steps"])
    check_step(o, 0, data, ids)
    for k in range(1, n):
        o.page.click("#tg-next")
        check_step(o, k, data, ids)
    o.page.click("#tg-next")  # past the end: stays at the last step
    check_step(o, n - 1, data, ids)
    for k in range(n - 2, -1, -1):
        o.page.click("#tg-prev")
        check_step(o, k, data, ids)
    o.page.click("#tg-last")
    check_step(o, n - 1, data, ids)
    o.page.click("#tg-first")
    check_step(o, 0, data, ids)
    for k in range(1, n):
        o.page.keyboard.press("ArrowRight")
        check_step(o, k, data, ids)
    for k in range(n - 2, -1, -1):
        o.page.keyboard.press("ArrowLeft")
        check_step(o, k, data, ids)
    o.page.keyboard.press("End")
    check_step(o, n - 1, data, ids)
    o.page.keyboard.press("Home")
    check_step(o, 0, data, ids)
    o.page.locator("#tg-slider").fill(str(n // 2))
    check_step(o, n // 2, data, ids)


# ---- a screenshot that is not blank ----------------------------------------------------------
def png_colours(png: bytes) -> int:
    """The number of distinct pixel colours of an 8-bit RGB/RGBA, non-interlaced PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colours, i = bytearray(stride), set(), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[x:x + bpp]) for x in range(0, stride, bpp))
        prev = line
    return len(colours)


def test_png_colours_reads_what_it_is_given() -> None:
    def png(rows: list[bytes], width: int) -> bytes:
        def chunk(kind: bytes, body: bytes) -> bytes:
            return struct.pack(">I", len(body)) + kind + body + struct.pack(
                ">I", zlib.crc32(kind + body))
        header = struct.pack(">IIBBBBB", width, len(rows), 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))

    assert png_colours(png([b"\x00" + b"\xff" * 6] * 3, 2)) == 1
    # filter 1 (sub): the second pixel is the first plus (1, 2, 3)
    assert png_colours(png([b"\x01\x10\x20\x30\x01\x02\x03"], 2)) == 2


# ---- the pages ------------------------------------------------------------------------------
def test_j_page(open_page: Any, tmp_path: Path) -> None:
    J = j_graph()
    path = save_page(FakeSteps(J, j_steps()), tmp_path / "J.html")
    o = open_page(path)
    ids = graph_ids(J)
    walk(o, J_STEPS, ids)
    o.page.keyboard.press("End")
    labels = o.state()["labels"]
    for k, grad in ((3, "dJ/da = 3"), (1, "dJ/db = 6"), (0, "dJ/dc = 9"), (5, "dJ/dJ = 1")):
        assert labels[str(k)] == grad
    o.page.keyboard.press("Home")
    o.page.click("#tg-play")  # plays on by itself ...
    o.page.wait_for_function("() => Number(document.body.dataset.step) >= 2", timeout=10_000)
    o.page.click("#tg-play")  # ... until paused
    paused = o.state()["step"]
    o.page.wait_for_timeout(1_500)
    assert o.state()["step"] == paused
    shot = tmp_path / "J.png"
    o.page.screenshot(path=str(shot), full_page=True)
    assert png_colours(shot.read_bytes()) > 50
    assert (o.requests, o.errors, o.dialogs) == ([], [], [])


def test_hostile_names_stay_text(open_page: Any, tmp_path: Path) -> None:
    name = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    data = j_steps()
    data["tensors"][3]["name"] = name
    data["steps"][5]["text"] = f"dJ/d{name} = 3"
    J = j_graph()
    J._inputs[1]._inputs[0].name = name  # type: ignore[union-attr]
    o = open_page(save_page(FakeSteps(J, data), tmp_path / "x.html"))
    for _ in range(5):
        o.page.keyboard.press("ArrowRight")
    assert o.state()["text"] == f"dJ/d{name} = 3"
    assert name in o.page.inner_text("#tg-graph")
    assert o.page.evaluate("document.querySelectorAll('img, script').length") == 2
    assert (o.requests, o.errors, o.dialogs) == ([], [], [])


def test_flower_page(open_page: Any, tmp_path: Path) -> None:
    stepper = importlib.import_module("tinygrad_course.stepper")
    J = flower_graph()
    steps = stepper.backward_steps(J)
    path = save_page(J, tmp_path / "flower.html", steps=steps)
    assert path.stat().st_size < 1_000_000
    o = open_page(path)
    data = steps.to_dict()
    walk(o, data, graph_ids(J))
    assert any(s.get("sum") for s in data["steps"] if s["phase"] == "backward")
    shot = tmp_path / "flower.png"
    o.page.screenshot(path=str(shot), full_page=True)
    assert png_colours(shot.read_bytes()) > 50
    assert (o.requests, o.errors, o.dialogs) == ([], [], [])


# ---- the layer view, layer by layer ---------------------------------------------------------
def expected_group(g: int, data: dict[str, Any], ids: list[Any],
                   runs: list[Any]) -> dict[str, Any]:
    """What layer step g lights and writes: every step of its run, as the ids say."""
    run = runs[g]
    current, inputs = set(), set()
    texts = []
    for step in data["steps"][run["first"]:run["last"] + 1]:
        own = ids[step["tensor"]]
        current.update(i for i in (own["op"], own["box"]) if i)
        if step["phase"] == "backward":
            inputs.add(ids[step["input"]]["box"])
        elif step["phase"] == "forward":  # the flows into the box light up too
            inputs.update(i for i in own["inputs"] if i)
        texts.append(step["text"])
    return {"current": sorted(current), "inputs": sorted(inputs - current), "texts": texts}


def check_group(o: Opened, g: int, data: dict[str, Any], ids: list[Any],
                runs: list[Any]) -> None:
    got, want = o.state(), expected_group(g, data, ids, runs)
    run = runs[g]
    assert (got["by"], got["group"], got["step"], got["slider"]) == (
        "layer", str(g), run["last"], g)
    assert got["counter"] == f"layer step {g + 1} / {len(runs)}"
    assert got["text"] == run["title"] and got["byButton"] == "by step"
    for text in want["texts"]:
        assert text in got["lines"], (g, text)
    assert sorted(got["current"]) == want["current"], g
    assert sorted(set(got["inputs"]) - set(got["current"])) == want["inputs"], g
    # every gradient reached by the run's last step is written, in the layer boxes' rows
    reached = {str(s["input"] if s["phase"] == "backward" else s["tensor"])
               for s in data["steps"][: run["last"] + 1] if s["phase"] != "forward"}
    with_spot = {str(k) for k, e in enumerate(ids) if e.get("row") or "row" not in e}
    shown = {key for key, text in got["labels"].items() if text}
    assert shown == reached & with_spot, g


def test_cat_page_steps_layer_by_layer(open_page: Any, tmp_path: Path) -> None:
    J = network_graph(CAT)
    stepper = importlib.import_module("tinygrad_course.stepper")
    steps_page = importlib.import_module("tinygrad_course.steps_page")
    steps = stepper.backward_steps(J)
    path = save_page(J, tmp_path / "cat.html", steps=steps)
    data, ids = steps.to_dict(), graph_ids(J, view="layers")
    runs = steps_page.groups(data, ids)
    o = open_page(path)
    check_group(o, 0, data, ids, runs)
    for g in range(1, len(runs)):
        o.page.click("#tg-next")
        check_group(o, g, data, ids, runs)
    for g in range(len(runs) - 2, -1, -1):
        o.page.keyboard.press("ArrowLeft")
        check_group(o, g, data, ids, runs)
    o.page.keyboard.press("End")
    check_group(o, len(runs) - 1, data, ids, runs)
    o.page.click("#tg-first")
    check_group(o, 0, data, ids, runs)
    # L (or the button) switches to one share a step, at the layer step's first step, and back
    o.page.keyboard.press("End")
    o.page.keyboard.press("ArrowLeft")
    o.page.keyboard.press("l")
    first = runs[-2]["first"]
    state = o.state()
    assert (state["by"], state["step"], state["counter"], state["byButton"]) == (
        "step", first, f"step {first + 1} / {len(data['steps'])}", "by layer")
    assert state["text"] == data["steps"][first]["text"]
    o.page.keyboard.press("ArrowRight")
    o.page.click("#tg-by")
    check_group(o, len(runs) - 2, data, ids, runs)
    shot = tmp_path / "cat.png"
    o.page.screenshot(path=str(shot), full_page=True)
    assert png_colours(shot.read_bytes()) > 50
    assert (o.requests, o.errors, o.dialogs) == ([], [], [])


def test_fifty_layer_page_steps_to_the_end(open_page: Any, tmp_path: Path) -> None:
    J = network_graph(DEEP)
    data = importlib.import_module("tinygrad_course.stepper").backward_steps(J).to_dict()
    o = open_page(save_page(J, tmp_path / "deep.html"))
    o.page.keyboard.press("End")
    state = o.state()
    assert (state["by"], state["group"], state["counter"]) == (
        "layer", "101", "layer step 102 / 102")
    assert state["text"].startswith("layer 1 · backward: dZ1, ")
    # every gradient reached: a label for each tensor but the data X, Y (and W1 A0: no row)
    shown = {int(k) for k, text in state["labels"].items() if text}
    wanted = {t["index"] for t in data["tensors"] if t["kind"] != "data" and t["name"] != "X"}
    rowless = {k for k, e in enumerate(graph_ids(J, view="layers")) if e.get("row", 0) is None}
    assert shown == wanted - rowless and len(shown) == 50 * 4 + 1
    assert (o.requests, o.errors, o.dialogs) == ([], [], [])


def test_a_missing_browser_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import _no_browser

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI runs the browser tests"):
        _no_browser("no Chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        _no_browser("no Chromium")


def test_docs_screenshots_command(chromium: Any, tmp_path: Path) -> None:
    """docs/stepping.md's screenshots come from examples/stepping_screenshots.py: it runs
    and writes three pictures that are not blank (the chromium fixture makes CI fail here when
    no browser can run)."""
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, str(root / "examples" / "stepping_screenshots.py"),
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300, cwd=root)
    assert proc.returncode == 0, proc.stderr
    for name in ("stepping_j.png", "stepping_2layer.png", "stepping_cat_layers.png"):
        assert png_colours((tmp_path / name).read_bytes()) > 50
