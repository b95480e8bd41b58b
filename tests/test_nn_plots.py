"""The cost curve the project draws itself (nn/svgplot.py) and save_cost_curve's choice of
drawer by the file's name: valid SVG whatever the costs and the title, round ticks, a long run
downsampled with its ends and its spikes kept."""

from __future__ import annotations

import math
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_course.files import FileError
from tinygrad_course.nn.plots import cost_curve_suffix, save_cost_curve
from tinygrad_course.nn.svgplot import MAX_POINTS, cost_curve_svg, round_ticks, title_lines

SVG = "{http://www.w3.org/2000/svg}"


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)  # raises on anything ill-formed
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element, cls: str | None = None) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")
            if cls is None or t.get("class") == cls]


def points(root: ET.Element) -> list[list[tuple[float, float]]]:
    return [[tuple(map(float, p.split(","))) for p in line.get("points", "").split()]
            for line in root.iter(f"{SVG}polyline")]


# ---- ticks: (low, high, integer) -> the ticks, each chosen for a reason --------------------------
TICKS = {
    (0.0, 9999.0, True): [0, 2000, 4000, 6000, 8000],        # the flower's 10,000 iterations
    (0.0, 1.0, True): [0, 1],                                # one iteration: no half iterations
    (0.0, 100.0, True): [0, 20, 40, 60, 80, 100],
    (0.19, 0.72, False): [0.2, 0.3, 0.4, 0.5, 0.6, 0.7],     # the flower's costs
    (0.6925, 0.6935, False): [0.6926, 0.6928, 0.693, 0.6932, 0.6934],  # a nearly flat run
    (-1.0, 1.0, False): [-1.0, -0.5, 0.0, 0.5, 1.0],         # through zero, never "-0"
    (5.0, 5.0, False): [5.0],                                # nothing to spread
}


@pytest.mark.parametrize(("low", "high", "integer"), list(TICKS))
def test_ticks_are_round_numbers(low, high, integer):
    assert round_ticks(low, high, integer=integer) == pytest.approx(TICKS[low, high, integer])


@given(st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), st.booleans())
def test_ticks_lie_inside_at_one_round_step(low, span, integer):
    if integer:  # iterations: the axis runs between whole numbers
        low, span = float(round(low)), float(max(1, round(span)))
    high = low + span
    ticks = round_ticks(low, high, integer=integer)
    assert 1 <= len(ticks) <= 12
    tol = 1e-9 * max(1.0, abs(low), abs(high))
    assert all(low - tol <= t <= high + tol for t in ticks)
    if len(ticks) > 1:  # a difference of big ticks carries their rounding: allow for it
        steps = np.diff(ticks)
        rel = 1e-6 + 1e-12 * max(1.0, abs(low), abs(high)) / steps[0]
        assert np.allclose(steps, steps[0], rtol=rel)
        mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
        assert any(math.isclose(mantissa, m, rel_tol=rel) for m in (1, 2, 5, 10))
        assert not integer or steps[0] == round(steps[0])


def test_ticks_refuse_what_has_no_axis():
    for low, high in ((1.0, 0.0), (0.0, math.nan), (-math.inf, 0.0)):
        with pytest.raises(ValueError, match="finite low <= high"):
            round_ticks(low, high)


# ---- the picture ------------------------------------------------------------------------------
def test_the_picture_has_axes_labels_ticks_and_the_course_title():
    costs = list(np.linspace(0.7, 0.2, 101))
    root = parse(cost_curve_svg(costs, title="flower: 2-4-1", learning_rate=1.2))
    assert texts(root)[:2] == ["flower: 2-4-1", "Learning rate = 1.2"]
    assert root.find(f"{SVG}title").text == "flower: 2-4-1 — Learning rate = 1.2"
    assert texts(root, "xlabel") == ["iterations"] and texts(root, "ylabel") == ["cost"]
    assert texts(root, "xtick") == ["0", "20", "40", "60", "80", "100"]
    assert texts(root, "ytick") == ["0.2", "0.3", "0.4", "0.5", "0.6", "0.7"]
    (line,) = points(root)
    assert len(line) == 101
    assert line[0][1] < line[-1][1]  # SVG's y grows downwards: the first cost is the highest


def test_the_title_without_a_name_or_learning_rate():
    assert title_lines(None, None) == ["cost"]
    assert title_lines(None, 0.0075) == ["Learning rate = 0.0075"]
    assert title_lines("two\nlines", None) == ["two", "lines"]


ESCAPES = {  # title -> the text the picture shows
    '<script>&"\'</svg>': '<script>&"\'</svg>',    # markup stays text
    "]]>": "]]>",
    "J = −(1/m) Σ ‖dW1‖": "J = −(1/m) Σ ‖dW1‖",     # the course's symbols as they are
    "tab\there\x01\x1b": "tab\there\\x01\\x1b",  # what XML cannot hold, as Python writes it
    "\ud800 lone": "\\ud800 lone",                 # a lone surrogate (not even UTF-8)
}


@pytest.mark.parametrize("title", list(ESCAPES))
def test_any_title_is_escaped(title, tmp_path):
    path = save_cost_curve([0.5, 0.4], tmp_path / "cost.svg", title=title)
    root = parse(path.read_text(encoding="utf-8"))
    assert texts(root)[0] == ESCAPES[title]
    assert list(root.iter(f"{SVG}script")) == []


def test_nan_and_inf_break_the_line_and_are_named():
    root = parse(cost_curve_svg([1.0, math.nan, 0.5, 0.4, math.inf, 0.3, 0.2]))
    (note,) = texts(root, "note")
    assert note == "2 iterations with a cost that is not finite (first: iteration 1, cost nan) " \
                   "not drawn"
    assert [len(p) for p in points(root)] == [2, 2]   # 0.5-0.4 and 0.3-0.2
    assert len(list(root.iter(f"{SVG}circle"))) == 1  # iteration 0, alone between breaks
    assert "nan" not in "".join(texts(root, "ytick"))


def test_a_diverged_run_still_draws_what_was_finite():
    costs = [0.7, 0.6, 5.0, 1e200] + [math.nan] * 50
    root = parse(cost_curve_svg(costs))
    assert texts(root, "note")[0].startswith("50 iterations with a cost that is not finite "
                                             "(first: iteration 4, cost nan)")
    assert [len(p) for p in points(root)] == [4]


@pytest.mark.parametrize(("costs", "note"), [
    ([], "no iterations: no cost to draw"),
    ([math.nan], "no finite cost in 1 iteration: nothing to draw"),
    ([math.inf, -math.inf], "no finite cost in 2 iterations: nothing to draw"),
])
def test_nothing_to_draw_is_a_frame_and_a_note(costs, note):
    root = parse(cost_curve_svg(costs, learning_rate=0.1))
    assert texts(root, "note") == [note]
    assert points(root) == [] and list(root.iter(f"{SVG}circle")) == []


def test_one_iteration_is_one_point():
    root = parse(cost_curve_svg([0.693]))
    assert points(root) == [] and len(list(root.iter(f"{SVG}circle"))) == 1
    assert texts(root, "xtick") == ["0", "1"] and "0.70" in texts(root, "ytick")
    assert texts(root, "note") == []


def test_a_long_run_is_downsampled_keeping_the_ends_and_a_spike():
    costs = np.linspace(0.7, 0.2, 100_000)
    costs[54_321] = 0.9  # one bad iteration must not vanish between two kept points
    root = parse(cost_curve_svg(costs))
    (line,) = points(root)
    assert len(line) <= MAX_POINTS
    assert line[0][0] == 78 and line[-1][0] == 600 - 24  # iterations 0 and 99,999: both sides
    x_top, _ = min(line, key=lambda p: p[1])              # the highest point drawn ...
    assert x_top == pytest.approx(78 + 54_321 / 99_999 * (600 - 24 - 78), abs=0.01)  # the spike
    assert texts(root, "xtick") == ["0", "20000", "40000", "60000", "80000"]


def test_costs_must_be_a_sequence_of_numbers():
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        cost_curve_svg([[1.0, 2.0], [3.0, 4.0]])


# ---- save_cost_curve picks the drawer by the file's name ---------------------------------------
def hide_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)


def test_svg_needs_no_matplotlib_and_is_written_whole(tmp_path, monkeypatch):
    hide_matplotlib(monkeypatch)
    assert cost_curve_suffix() == ".svg"
    path = save_cost_curve([0.7, 0.5, 0.4], tmp_path / "cost.SVG", title="run",
                           learning_rate=1.2)
    assert path == tmp_path / "cost.SVG"
    assert texts(parse(path.read_text(encoding="utf-8")))[:2] == ["run", "Learning rate = 1.2"]
    assert [p.name for p in tmp_path.iterdir()] == ["cost.SVG"]  # no temporary left behind
    with pytest.raises(FileError, match="does not exist"):
        save_cost_curve([0.5], tmp_path / "missing" / "cost.svg")


def test_svg_is_the_same_file_with_or_without_matplotlib(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    assert cost_curve_suffix() == ".png"
    with_mpl = save_cost_curve([0.7, 0.5], tmp_path / "a.svg").read_bytes()
    hide_matplotlib(monkeypatch)
    assert save_cost_curve([0.7, 0.5], tmp_path / "b.svg").read_bytes() == with_mpl
