"""docs/start-here.md is what a newcomer's terminal shows: every command on the page runs, in
one new folder and in the page's order, as written; where the page shows what a command
prints, it prints exactly that (its first lines, where the block ends in "..."); and what the
page says a step writes is there and is what it says (an SVG picture, a page holding the
steps)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs/start-here.md"
#: A ```bash block, and the ```text block right after it if there is one (what it prints).
BLOCK = re.compile(r"```bash\n(?P<cmd>.*?)```\s*(?:```text\n(?P<out>.*?)```)?", re.S)


def commands() -> list[tuple[str, str | None]]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for m in BLOCK.finditer(text):
        lines = [line for line in m["cmd"].splitlines() if line.strip()]
        assert len(lines) == 1, f"one command a block, so its output is its own: {lines}"
        found.append((lines[0], m["out"]))
    return found


def argv(command: str) -> list[str]:
    """The command with this test's Python: `python X` and the console script
    `tinygrad-course` (the same as `python -m tinygrad_course`)."""
    words = shlex.split(command)
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    if words[0] == "tinygrad-course":
        return [sys.executable, "-m", "tinygrad_course", *words[1:]]
    raise AssertionError(f"docs/start-here.md: a command this test cannot run: {command}")


def elsewhere(command: str, shown: str) -> list[str]:
    """What the page says the flower prints on a CPU of another kind: its two network
    accuracies (the late iterations of that run amplify the last bit numpy's and OpenBLAS's
    vector code rounds otherwise there), every other line the same."""
    if command != "python examples/flower.py":
        return []
    said = re.search(r"it prints network accuracies ([\d.]+ %) and ([\d.]+ %) instead",
                     " ".join(DOC.read_text(encoding="utf-8").split()))
    assert said, "docs/start-here.md names the flower's figures on other CPUs"
    lines = shown.splitlines(keepends=True)
    train = re.compile(r"(network accuracy: +)[\d.]+ %")
    held_out = re.compile(r"(never trained on: )[\d.]+ %")
    other = [held_out.sub(rf"\g<1>{said[2]}", train.sub(rf"\g<1>{said[1]}", line))
             for line in lines]
    assert other != lines
    return ["".join(other)]


def test_the_install_step_is_the_readmes():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    installs = [c for c, _ in commands() if c.startswith("pip install")]
    assert installs == ["pip install ."]
    assert "pip install . && python examples/flower.py" in readme


def test_every_step_runs_in_a_new_folder_and_prints_what_the_page_shows(tmp_path):
    (tmp_path / "examples").symlink_to(REPO / "examples")  # "from a clone", in a new folder
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ran = []
    for command, shown in commands():
        if command.startswith(("pip install", "jupyter ")):
            continue  # CI has installed the package; the notebooks are checked below
        out = subprocess.run(argv(command), cwd=tmp_path, capture_output=True, text=True,
                             timeout=300, env=env)
        assert out.returncode == 0, f"{command}\n{out.stdout}\n{out.stderr}"
        if shown is not None and shown.endswith("...\n"):  # the first lines of what it prints
            assert any(out.stdout.startswith(text[:-len("...\n")])
                       for text in (shown, *elsewhere(command, shown))), command
        elif shown is not None:
            assert out.stdout == shown, command
        ran.append(command)
    assert len(ran) >= 3
    svg = ET.parse(tmp_path / "J.svg").getroot()
    assert svg.tag.endswith("svg")
    assert "dJ/da = 3" in "".join(svg.itertext())
    page = (tmp_path / "J.html").read_text(encoding="utf-8")
    assert "dJ/dc = dJ/du · ∂u/∂c = 3 · 3 = 9" in page
    flower = tmp_path / "flower_out"
    graph = "".join(ET.parse(flower / "flower_graph.svg").getroot().itertext())
    assert "dJ/dW1" in graph
    assert "dW2" in (flower / "flower_steps.html").read_text(encoding="utf-8")
    assert {p.name for p in flower.iterdir()} & {"flower_cost.svg", "flower_cost.png"}


@pytest.mark.parametrize("command", [c for c, _ in commands() if c.startswith("jupyter ")])
def test_the_notebooks_the_page_opens_are_there(command):
    paths = [w for w in shlex.split(command)[2:] if not w.startswith("-")]
    assert paths and all((REPO / p).exists() for p in paths), command
