"""The main demo as a learner runs it: ``python examples/flower.py`` in a fresh folder, as a
subprocess importing this checkout's package, with matplotlib and on a fresh install (every
optional extra made unimportable). It shows a progress bar, prints the course's figures, writes
the graph, the first iteration's steps and the cost curve, and says where."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FLOWER = REPO / "examples" / "flower.py"
SVG = "{http://www.w3.org/2000/svg}"
EXTRAS = ("matplotlib", "tqdm", "h5py")  # what `pip install .` leaves out


def demo(cwd: Path, *args: str, hide: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run the demo in ``cwd``; each package in ``hide`` raises ImportError when imported."""
    paths = [str(REPO)]
    if hide:
        shim = cwd.parent / f"{cwd.name}-shim"
        for name in hide:
            (shim / name).mkdir(parents=True, exist_ok=True)
            (shim / name / "__init__.py").write_text(
                f"raise ImportError('{name} is not installed (hidden by tests/test_demo.py)')\n")
        paths.insert(0, str(shim))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        paths + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return subprocess.run([sys.executable, str(FLOWER), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def written(stdout: str) -> dict[str, Path]:
    """The 'what: path' lines after the three figures."""
    return {what: Path(path) for what, path in
            (line.split(": ", 1) for line in stdout.splitlines()[3:] if ": " in line
             and not line.startswith("("))}


def svg_texts(path: Path) -> list[str]:
    root = ET.parse(path).getroot()  # raises on anything ill-formed
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def page_data(path: Path) -> dict:
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    found = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', page, re.S)
    assert found, "the page embeds its steps"
    return json.loads(found[1])


def check_figures(stdout: str) -> None:
    lines = stdout.splitlines()
    assert re.fullmatch(r"network accuracy: +\d+\.\d\d %   \(course: 90 %\)", lines[0])
    assert re.fullmatch(r"logistic regression accuracy: \d+\.\d\d %   \(course: 47 %\)",
                        lines[1])
    assert lines[2].startswith("network on a second flower drawn with seed 2, never trained on")
    assert "Cost after iteration" not in stdout  # the bar, not 100 lines of costs


def check_graph_and_page(out: Path) -> None:
    graph = " ".join(svg_texts(out / "flower_graph.svg"))
    for name in ("X", "W1", "b1", "Z1", "A1", "W2", "b2", "Z2", "A2", "J",
                 "dJ/dW1", "dJ/db1", "dJ/dW2", "dJ/db2", "dJ/dZ1", "dJ/dA1"):
        assert re.search(rf"(^|\W){re.escape(name)}(\W|$)", graph), name  # gradients drawn
    data = page_data(out / "flower_steps.html")
    steps = data["steps"]
    assert steps["format"] == "tinygrad_course.steps/1" and steps["root_name"] == "J"
    phases = [s["phase"] for s in steps["steps"]]
    assert phases[:7] == ["forward"] * 7 and "seed" in phases and phases[-1] == "backward"
    assert {s["grad"]["name"] for s in steps["steps"] if s["phase"] == "backward"} >= \
        {"dW1", "db1", "dW2", "db2"}
    J = next(s for s in steps["steps"] if s["phase"] == "forward"
             and steps["tensors"][s["tensor"]]["name"] == "J")
    # the FIRST iteration: J on the initial weights is the course's "Cost after iteration 0"
    assert f"{J['value']['value']:.6f}" == "0.693048"


def test_the_demo_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    done = demo(tmp_path, "--iterations", "30")
    assert done.returncode == 0, done.stderr
    check_figures(done.stdout)
    out = Path("flower_out")  # the default, in the folder the demo was run from
    assert written(done.stdout) == {
        "computation graph": out / "flower_graph.svg",
        "backward, step by step": out / "flower_steps.html",
        "cost curve": out / "flower_cost.png",
        "decision boundaries": out / "flower_decision_boundary.png"}
    assert sorted(p.name for p in (tmp_path / out).iterdir()) == [
        "flower_cost.png", "flower_decision_boundary.png", "flower_graph.svg",
        "flower_steps.html"]  # and nothing else (no temporary left behind)
    check_graph_and_page(tmp_path / out)
    for png in ("flower_cost.png", "flower_decision_boundary.png"):
        assert (tmp_path / out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "training" in done.stderr and "30/30" in done.stderr  # the bar, tqdm's or ours


def test_the_demo_on_a_fresh_install(tmp_path):
    """No optional extra: the cost curve is the project's SVG, the bar its text line, and the
    decision boundary is left out with a line saying why. --out is made, parents too."""
    done = demo(tmp_path, "--iterations", "30", "--out", "pictures/flower", hide=EXTRAS)
    assert done.returncode == 0, done.stderr
    check_figures(done.stdout)
    out = Path("pictures/flower")
    assert written(done.stdout) == {
        "computation graph": out / "flower_graph.svg",
        "backward, step by step": out / "flower_steps.html",
        "cost curve": out / "flower_cost.svg"}
    assert done.stdout.splitlines()[-1] == ('(no decision boundaries: they need matplotlib; '
                                            'pip install "tinygrad_course[plot]")')
    assert sorted(p.name for p in (tmp_path / out).iterdir()) == [
        "flower_cost.svg", "flower_graph.svg", "flower_steps.html"]
    check_graph_and_page(tmp_path / out)
    curve = svg_texts(tmp_path / out / "flower_cost.svg")
    assert curve[:2] == ["flower: 2-4-1 tanh network (week 3)", "Learning rate = 1.2"]
    assert "iterations" in curve and "cost" in curve
    assert "training [####################] 30/30  cost " in done.stderr  # the text bar
    assert "tqdm" not in done.stderr and "Traceback" not in done.stderr


def test_the_course_lines_on_request_and_no_file_with_no_plot(tmp_path):
    done = demo(tmp_path, "--iterations", "101", "--print-cost", "--no-progress", "--no-plot")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Cost after iteration 0: 0.693048\n"
                                  "Cost after iteration 100: 0.604442\n")
    assert "logistic regression accuracy: 47.00 %   (course: 47 %)" in done.stdout
    assert done.stderr == ""  # --no-progress: no bar
    assert list(tmp_path.iterdir()) == []  # --no-plot: nothing written, no folder made


@pytest.mark.parametrize(("out", "why"), [
    ("a-file", "not a folder"),
    ("a-file/pictures", "not a writable folder (Not a directory)"),
])
def test_an_unwritable_out_is_one_line_before_training(tmp_path, out, why):
    (tmp_path / "a-file").write_text("not a folder\n")
    # a hundred million iterations would take hours: returning at once shows nothing trained
    done = demo(tmp_path, "--iterations", "100000000", "--out", out)
    assert done.returncode == 2
    assert done.stderr == f"flower.py: error: --out {out}: {why}\n"
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]
