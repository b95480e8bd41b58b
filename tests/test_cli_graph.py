"""End-to-end tests of ``tinygrad-course graph``: output, files, and hostile input."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import keyword
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_course import render
from tinygrad_course.cli import main
from tinygrad_course.expr import FUNCTIONS
from tinygrad_course.render import available_backends

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[1]
needs_renderer = pytest.mark.skipif(not available_backends(),
                                    reason="no Graphviz renderer (pip install graphviz-pure)")


def graph(*argv: str) -> tuple[int, str, str]:
    """Run ``tinygrad-course graph ARGV`` in-process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["graph", *argv])
    return code, out.getvalue(), err.getvalue()


def node_texts(svg_path: Path) -> list[str]:
    root = ET.parse(svg_path).getroot()
    return [" ".join("".join(t.itertext()).strip() for t in g.iter(f"{SVG}text"))
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


# ---- what it does ---------------------------------------------------------------------------
@needs_renderer
def test_j_example(tmp_path: Path) -> None:
    out = tmp_path / "J.svg"
    code, stdout, stderr = graph("3*(a + b*c)", "--set", "a=5", "b=3", "c=2", "-o", str(out))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == ["J = 33", "dJ/da = 3", "dJ/db = 6", "dJ/dc = 9",
                                   f"wrote {out}"]
    texts = node_texts(out)
    for label in ["a = 5 dJ/da = 3", "b = 3 dJ/db = 6", "c = 2 dJ/dc = 9", "u = 6 dJ/du = 3",
                  "v = 11 dJ/dv = 3", "J = 33 dJ/dJ = 1", "*", "+", "3"]:
        assert label in texts, (label, texts)


@needs_renderer
def test_arrays_from_lists_and_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.array([[1.0], [-1.0]]))
    out = tmp_path / "net.svg"
    code, stdout, _ = graph("mean(sigmoid(W @ x + b))", "--set", "W=[[1, 2], [3, 4]]",
                            f"x={tmp_path / 'x.npy'}", "b=[[0.5], [0]]", "-o", str(out),
                            "--backward-edges")
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "J = 0.323241"  # (σ(-0.5) + σ(-1)) / 2
    assert lines[1] == "dJ/dW =" and lines[2] == "[[ 0.117502, -0.117502],"
    assert "dJ/db =" in lines and "dJ/dx =" in lines
    texts = " | ".join(node_texts(out))
    assert "W (2, 2) [1, 2] [3, 4]" in texts and "σ" in texts and "mean" in texts
    assert "b (2, 1) [0.5, 0]ᵀ dJ/db = [0.1175, 0.09831]ᵀ" in texts


def test_dot_output_and_options(tmp_path: Path) -> None:
    out = tmp_path / "g.dot"
    code, _, _ = graph("tanh(w * x)", "--set", "w=2", "x=0.5", "-o", str(out),
                       "--name", "L", "--rankdir", "TB", "--backward-edges")
    assert code == 0
    source = out.read_text(encoding="utf-8")
    assert source.startswith("digraph") and "rankdir=TB" in source
    assert "<B>L</B> = 0.7616" in source and "dL/dw = 0.21" in source
    assert "∂L/∂u = 0.42" in source  # 1 - tanh(1)^2


def test_non_scalar_result_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "x.svg"
    code, stdout, stderr = graph("W * 2", "--set", "W=[[1, 2], [3, 4]]", "-o", str(out))
    assert code == 2 and stdout == "" and not out.exists()
    assert stderr == ("tinygrad-course graph: error: the result has shape (2, 2), not one "
                      "number; backward starts from one value: wrap the expression in sum(...) "
                      "or mean(...)\n")


@pytest.mark.parametrize("argv, words", [
    (["a * b", "--set", "a=1"], "no value for b: give --set b=..."),
    (["a", "--set", "a"], "expected NAME=VALUE"),
    (["a", "--set", "a=1", "a=2"], "--set a: given twice"),
    (["J * 2", "--set", "J=1"], "an input is called J"),
    (["3 * 4"], "the expression reads no input"),
    (["a", "--set", "a=[1, [2]]"], "the lists have different lengths"),
    (["a", "--set", "a=missing.npy"], "no such file: missing.npy"),
    (["W @ x", "--set", "W=[[1, 2]]", "x=[1, 2, 3]"], "inner dimensions 2 and 3 differ"),
])
def test_user_errors(argv: list[str], words: str, tmp_path: Path) -> None:
    code, _, stderr = graph(*argv, "-o", str(tmp_path / "x.svg"))
    assert code == 2 and words in stderr and len(stderr.splitlines()) == 1
    assert not (tmp_path / "x.svg").exists()


def test_unused_value_is_a_note(tmp_path: Path) -> None:
    code, _, stderr = graph("a", "--set", "a=1", "z=2", "-o", str(tmp_path / "x.dot"))
    assert code == 0 and "note: --set z is not used; the expression reads a" in stderr


def test_unwritable_output(tmp_path: Path) -> None:
    code, _, stderr = graph("a", "--set", "a=1", "-o", str(tmp_path / "no" / "x.dot"))
    assert code == 2 and "cannot write" in stderr and "does not exist" in stderr


@pytest.mark.skipif(render._find_pure() is None, reason="graphviz-pure not installed")
def test_svg_without_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    out = tmp_path / "J.svg"
    code, _, _ = graph("3*(a + b*c)", "--set", "a=5", "b=3", "c=2", "-o", str(out))
    assert code == 0 and "graphviz-pure" in out.read_text(encoding="utf-8")
    assert "a = 5 dJ/da = 3" in node_texts(out)


def test_no_renderer_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.setattr(render, "_find_system_dot", lambda: None)
    monkeypatch.setattr(render, "_find_pure", lambda: None)
    monkeypatch.delenv(render.ENV_VAR, raising=False)
    code, _, stderr = graph("a", "--set", "a=1", "-o", str(tmp_path / "x.svg"))
    assert code == 2 and len(stderr.splitlines()) == 1
    assert "pip install graphviz-pure" in stderr and "apt-get install graphviz" in stderr


# ---- hostile input: one line on stderr, status 2, nothing written ----------------------------
HOSTILE = {
    "import": "__import__('os').system('echo pwned')",
    "import call": "__import__('os')",
    "eval": "eval('1')",
    "attribute": "a.__class__.__subclasses__()",
    "lambda": "(lambda: __import__('os'))()",
    "comprehension": "[c for c in ().__class__.__bases__]",
    "generator": "sum(x for x in a)",
    "subscript": "a[0]",
    "huge exponent": "10**10**10",
    "huge power": "2**1000000",
    "tensor power": "a ** 1e10",
    "huge literal": "9" * 5000,
    "deep parens": "(" * 10_000 + "a" + ")" * 10_000,
    "deep minus": "-" * 10_000 + "a",
    "deep calls": "sigmoid(" * 10_000 + "a" + ")" * 10_000,
    "deep powers": "a" + "**a" * 10_000,
    "long": "a+" * 60_000 + "a",
    "null byte": "a\x00",
}


def assert_refused(expr: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.svg"
        values = ["--set", "a=5"] if re.search(r"\ba\b", expr) else []
        code, stdout, stderr = graph(*values, "-o", str(out), "--", expr)
        assert code == 2, (expr[:80], stdout, stderr)
        assert stderr.startswith("tinygrad-course graph: error: ")
        assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
        assert stdout == "" and not out.exists()


@pytest.mark.parametrize("expr", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_expressions(expr: str) -> None:
    assert_refused(expr)


identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and s not in FUNCTIONS)
operands = st.sampled_from(["a", "(a + 1)", "sigmoid(a)", "'os'", "2", "a * a"])


@st.composite
def hostile(draw: st.DrawFn) -> str:
    """Variations on each kind of forbidden input."""
    name, other, arg = draw(identifiers), draw(identifiers), draw(operands)
    kind = draw(st.sampled_from(["call", "attr", "lambda", "comp", "sub", "pow", "deep"]))
    if kind == "call":
        fn = draw(st.sampled_from(["__import__", "eval", "exec", "open", "getattr", name]))
        return f"{fn}({arg})"
    if kind == "attr":
        return f"{arg}.{name}" + draw(st.sampled_from(["", "()", f".{other}", f"({arg})"]))
    if kind == "lambda":
        return draw(st.sampled_from([f"(lambda {name}: {arg})(a)", f"lambda: {arg}",
                                     f"sum(lambda {name}: {name})"]))
    if kind == "comp":
        brackets = draw(st.sampled_from(["[{}]", "{{{}}}", "({})", "sum({})", "{{{n}: {}}}"]))
        return brackets.replace("{n}", name).format(f"{name} for {name} in {arg}")
    if kind == "sub":
        index = draw(st.sampled_from(["0", "-1", "1:2", "::-1", name, "a"]))
        return f"{arg}[{index}]"
    if kind == "pow":
        base = draw(st.integers(2, 10**6))
        exponent = draw(st.sampled_from([f"{10**k}" for k in range(4, 12)]
                                        + ["10**10", "10**10**10", "9**9**9"]))
        return draw(st.sampled_from([f"{base}**{exponent}", f"a**{exponent}",
                                     f"(a + {base})**{exponent}", f"{base}.5**{exponent}"]))
    wrap = draw(st.sampled_from(["({})", "-{}", "sigmoid({})", "tanh({}) * 2", "{}**2"]))
    # plain parentheses leave no node in the tree and are free up to the 200 levels Python's
    # parser allows (test_expr.py::test_limits); every other wrapper is one node a level
    depth = draw(st.integers(201 if wrap == "({})" else 101, 10_000))
    text = "a"
    for _ in range(depth):
        text = wrap.format(text)
    return text


@settings(max_examples=60)
@given(hostile())
def test_hostile_variations(expr: str) -> None:
    assert_refused(expr)


# ---- as a program ----------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@needs_renderer
def test_python_dash_m(tmp_path: Path) -> None:
    out = tmp_path / "J.svg"
    done = subprocess.run([sys.executable, "-m", "tinygrad_course", "graph", "3*(a + b*c)",
                           "--set", "a=5", "b=3", "c=2", "-o", str(out)],
                          capture_output=True, text=True, timeout=120, env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:4] == ["J = 33", "dJ/da = 3", "dJ/db = 6", "dJ/dc = 9"]
    assert "J = 33 dJ/dJ = 1" in node_texts(out)
    bad = subprocess.run([sys.executable, "-m", "tinygrad_course", "graph",
                          "__import__('os').system('touch pwned')", "-o", str(out)],
                         capture_output=True, text=True, timeout=120, env=_env(),
                         cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr and not (tmp_path / "pwned").exists()


@needs_renderer
@pytest.mark.skipif(shutil.which("tinygrad-course") is None,
                    reason="console script not installed (pip install -e .)")
def test_console_script(tmp_path: Path) -> None:
    done = subprocess.run(["tinygrad-course", "graph", "relu(x) * 2", "--set", "x=3",
                           "-o", str(tmp_path / "r.svg")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == ["J = 6", "dJ/dx = 2"]
    assert "ReLU" in node_texts(tmp_path / "r.svg")


@needs_renderer
def test_docs_show_what_the_cli_prints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```text\n(.*?)```", (REPO / "docs" / "visualization.md").read_text(
        encoding="utf-8"), re.S)
    monkeypatch.chdir(tmp_path)
    _, stdout, _ = graph("3*(a + b*c)", "--set", "a=5", "b=3", "c=2", "-o", "J.svg")
    assert stdout in blocks
    command, expected = next(b for b in blocks if b.startswith("$ ")).split("\n", 1)
    argv = shlex.split(command[2:])
    assert argv[:2] == ["tinygrad-course", "graph"]
    code, _, stderr = graph(*argv[2:])
    assert (code, stderr) == (2, expected)


# ---- the steps: --steps page, --steps-json data, --frames folder ----------------------------
J_ARGS = ("3*(a + b*c)", "--set", "a=5", "b=3", "c=2")


@pytest.fixture
def stepper(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-written J steps in place of tinygrad_course.stepper (for J's expression)."""
    from steps_examples import fake_stepper

    monkeypatch.setitem(sys.modules, "tinygrad_course.stepper", fake_stepper())


@needs_renderer
def test_steps_page_data_and_frames(stepper: None, tmp_path: Path) -> None:
    from steps_examples import J_STEPS

    page, data, frames = tmp_path / "J.html", tmp_path / "J.json", tmp_path / "frames"
    code, stdout, stderr = graph(*J_ARGS, "-o", str(tmp_path / "J.svg"), "--steps", str(page),
                                 "--steps-json", str(data), "--frames", str(frames))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines()[-3:] == [f"wrote {data}", f"wrote {page}",
                                        f"wrote 9 frames to {frames}"]
    assert json.loads(data.read_text(encoding="utf-8")) == J_STEPS
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6" in text
    assert sorted(p.name for p in frames.iterdir()) == [f"step-{k:03d}.svg" for k in range(9)]
    for frame in frames.iterdir():
        assert ET.parse(frame).getroot().tag == f"{SVG}svg"


@pytest.mark.parametrize("flag, target", [
    ("--steps", "no/J.html"), ("--steps-json", "no/J.json"), ("--frames", "file.txt")])
def test_steps_unwritable(stepper: None, flag: str, target: str, tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("a file, not a folder")
    code, _, stderr = graph(*J_ARGS, "-o", str(tmp_path / "J.dot"), flag, str(tmp_path / target))
    assert code == 2 and len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert stderr.startswith("tinygrad-course graph: error: cannot write ")


@needs_renderer
def test_steps_with_the_real_stepper(tmp_path: Path) -> None:
    importlib.import_module("tinygrad_course.stepper")
    data = tmp_path / "J.json"
    code, _, stderr = graph(*J_ARGS, "-o", str(tmp_path / "J.svg"), "--steps",
                            str(tmp_path / "J.html"), "--steps-json", str(data),
                            "--frames", str(tmp_path / "frames"))
    assert (code, stderr) == (0, "")
    steps = json.loads(data.read_text(encoding="utf-8"))
    assert steps["format"] == "tinygrad_course.steps/1" and steps["root_name"] == "J"
    last = {s["input"]: s["grad"]["value"]["value"] for s in steps["steps"]
            if s["phase"] == "backward"}
    names = {t["index"]: t["name"] for t in steps["tensors"]}
    assert {names[k]: v for k, v in last.items() if names[k] in "abc"} == {
        "a": 3.0, "b": 6.0, "c": 9.0}
    assert len(list((tmp_path / "frames").iterdir())) == len(steps["steps"])


@needs_renderer
def test_steps_by_layer_needs_layers(stepper: None, tmp_path: Path) -> None:
    """--steps-by layer on J = 3(a + bc), which has no layers: one frame a step still."""
    code, stdout, stderr = graph(*J_ARGS, "-o", str(tmp_path / "J.dot"), "--frames",
                                 str(tmp_path / "frames"), "--steps-by", "layer")
    assert (code, stderr) == (0, "") and stdout.splitlines()[-1].startswith("wrote 9 frames")


# ---- --code: the generated forward_backward (tc.trace) ----------------------------------------
def test_code_prints_the_generated_function(tmp_path: Path) -> None:
    code, stdout, stderr = graph(*J_ARGS, "-o", str(tmp_path / "J.dot"), "--code")
    assert (code, stderr) == (0, "")
    src = stdout[stdout.index("def forward_backward"):]
    assert src.startswith("def forward_backward(a, b, c):\n")
    assert "    J = 3.0 * (a + b * c)\n" in src
    assert "    dv = dJ * 3.0\n" in src and "    db = dv * c\n" in src
    scope: dict[str, object] = {"np": np}
    exec(compile(src, "<cli>", "exec"), scope)  # noqa: S102  (our own generated text)
    J, grads = scope["forward_backward"](  # type: ignore[operator]
        np.array(5.0), np.array(3.0), np.array(2.0))
    assert (float(J), *map(float, grads)) == (33.0, 3.0, 6.0, 9.0)
