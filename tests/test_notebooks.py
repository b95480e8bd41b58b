"""The course notebooks of examples/notebooks/ (docs/notebooks.md).

Two kinds of test:

* on the committed files, in the default suite (no kernel; a fraction of a second): each
  Jupytext source has its .ipynb, whose cells are exactly jupytext's conversion of the source;
  every code cell was executed, in order, and has saved outputs (except cells that only import,
  define and assign, which print nothing), none an error or on stderr, none a widget, every
  picture SVG; and the key numbers in the saved outputs are the course's figures;
* executing each notebook top to bottom in a real Jupyter kernel (nbclient, as
  ``examples/notebooks/build.py`` does) succeeds, and the key numbers it prints are the
  course's figures, parsed from the outputs (not taken from the notebook's own asserts). The
  J and step-by-step notebooks run in seconds and are in the default suite; the flower (20,000
  iterations) and the cat notebooks (minutes on 12288 features) are marked ``full_course``.

The course's figures come from examples/course_results.py's COURSE (the outputs of the course's
own notebooks, quoted once), and, for the J lesson and the step-by-step test cases, the
lecture's and the assignment's expected outputs, written below.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupytext")
pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "examples" / "notebooks"
for folder in (NOTEBOOKS, REPO / "examples"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import build  # noqa: E402  (examples/notebooks/build.py)
from course_results import COURSE  # noqa: E402

STEMS = [s.stem for s in build.SOURCES]
CAT_NOTEBOOKS = {"week2_logistic_regression_cats", "week4_deep_network_cats"}
# executed in the default suite: a few seconds each. The flower (7 s alone, 18 s on a loaded
# machine: 20,000 iterations) joins the cat notebooks under full_course, to keep the default
# suite's added time under 30 s; its saved outputs are checked in the default suite all the same.
FAST = {"week2_computation_graph", "week4_deep_network_step_by_step"}
WIDGET_MIME = "application/vnd.jupyter.widget"
FLOAT = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def text_of(nb: nbformat.NotebookNode) -> str:
    """Everything the code cells printed (streams and plain-text results), in order."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                parts.append(out["text"])
            elif out["output_type"] == "execute_result":
                parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def costs(text: str) -> dict[int, float]:
    """{iteration: cost} from the "Cost after iteration i: J" lines, in order of printing."""
    return {int(i): float(v) for i, v in
            re.findall(rf"^Cost after iteration (\d+): ({FLOAT})$", text, re.M)}


def one(pattern: str, text: str) -> str:
    found = re.findall(pattern, text, re.M)
    assert len(found) == 1, f"{pattern!r}: expected one line, found {found}"
    return str(found[0])


def floats(s: str) -> list[float]:
    return [float(x) for x in re.findall(FLOAT, s)]


def close(ours: list[float], theirs: list[float], atol: float = 1e-8) -> bool:
    return len(ours) == len(theirs) and all(abs(a - b) <= atol for a, b in zip(ours, theirs))


# ---- the figures each notebook must print ---------------------------------------------------
def figures_computation_graph(text: str) -> None:
    lecture = {"J": 33.0, "dJ/da": 3.0, "dJ/db": 6.0, "dJ/dc": 9.0}  # lessons 2.5-2.6
    rows = re.findall(rf"^\| (J|dJ/d[abc]) +\| +({FLOAT}) \| +({FLOAT}) \|$", text, re.M)
    assert sorted(name for name, _, _ in rows) == sorted(lecture), rows
    for name, _, engine in rows:
        assert float(engine) == lecture[name], (name, engine)
    assert float(one(r"^J = 3\*v   = (\d+)$", text)) == 33


def figures_logistic(text: str) -> None:
    c = COURSE["logistic"]
    printed = costs(text)
    # the assignment's test case first (100 iterations, not printed), then the cats' 2000
    assert sorted(printed) == [100 * k for k in range(len(c["costs"]))]
    for k, theirs in enumerate(c["costs"]):
        assert f"{printed[100 * k]:.6f}" == f"{theirs:.6f}", (100 * k, printed[100 * k])
    assert abs(float(one(rf"^train accuracy: ({FLOAT}) %$", text)) - 100 * c["train"][1]) < 1e-9
    assert abs(float(one(rf"^test accuracy: ({FLOAT}) %$", text)) - 100 * c["test"][1]) < 1e-9
    # the assignment's test cases of propagate and optimize
    assert close(floats(one(r"^dw = \[(.*)\]$", text)), [0.99845601, 2.39507239])
    assert abs(float(one(rf"^cost = ({FLOAT})$", text)) - 5.801545319394553) < 1e-12


def figures_flower(text: str) -> None:
    c = COURSE["flower"]
    printed = costs(text)
    assert sorted(printed) == [1000 * k for k in range(len(c["costs"]))]
    for k, theirs in enumerate(c["costs"]):
        i = 1000 * k
        if i in c["copies"]:  # the course's own printed copies differ here (docs/course-results)
            assert abs(printed[i] - theirs) < 1e-4, (i, printed[i], theirs)
        else:
            assert f"{printed[i]:.6f}" == f"{theirs:.6f}", (i, printed[i], theirs)
    assert int(one(r"^Accuracy: (\d+)%", text)) == round(100 * c["train"][1])  # 90
    assert int(one(r"^Accuracy of logistic regression: (\d+) %", text)) == \
        round(100 * c["logistic"][1])  # 47


def figures_step_by_step(text: str) -> None:
    # the week-4 step-by-step assignment's expected outputs
    assert close(floats(one(r"^W1\[0\] = \[(.*)\]$", text)),
                 [0.01788628, 0.0043651, 0.00096497, -0.01863493, -0.00277388])
    assert close(floats(one(r"^Z = \[\[(.*)\]\]$", text)), [3.26295337, -1.23429987])
    assert close(floats(one(r"^With sigmoid: A = \[\[(.*)\]\]$", text)),
                 [0.96890023, 0.11013289])
    assert close(floats(one(r"^With relu: A = \[\[(.*)\]\]$", text)), [3.43896131, 0.0])
    assert close(floats(one(r"^AL = \[\[(.*)\]\]$", text)),
                 [0.03921668, 0.70498921, 0.19734387, 0.04728177])
    assert one(r"^Length of caches list = (\d+)$", text) == "3"
    assert abs(float(one(rf"^cost = ({FLOAT})$", text)) - 0.2797765635793422) < 1e-12
    assert float(one(rf"^largest relative difference .*: ({FLOAT})$", text)) < 1e-12


def figures_deep_cats(text: str) -> None:
    lines = re.findall(rf"^Cost after iteration (\d+): ({FLOAT})$", text, re.M)
    two, deep = COURSE["two_layer"], COURSE["deep"]
    assert [int(i) for i, _ in lines] == [100 * k for k in range(len(two["costs"]))] + \
        [100 * k for k in range(len(deep["costs"]))]
    for (_, ours), theirs in zip(lines[:len(two["costs"])], two["costs"]):
        assert abs(float(ours) - theirs) < 1e-12, (ours, theirs)  # printed in full
    for (i, ours), theirs in zip(lines[len(two["costs"]):], deep["costs"]):
        assert f"{float(ours):.6f}" == f"{theirs:.6f}", (i, ours, theirs)
    train = [float(v) for v in re.findall(rf"^train accuracy: ({FLOAT})$", text, re.M)]
    test = [float(v) for v in re.findall(rf"^test accuracy: ({FLOAT})$", text, re.M)]
    assert close(train, [two["train"][1], deep["train"][1]], 1e-9), train
    assert close(test, [two["test"][1], deep["test"][1]], 1e-9), test
    for size in re.findall(rf"^\[12288, [\d, ]+\]: largest relative difference ({FLOAT})$",
                           text, re.M):
        assert float(size) < 1e-12


FIGURES: dict[str, Callable[[str], None]] = {
    "week2_computation_graph": figures_computation_graph,
    "week2_logistic_regression_cats": figures_logistic,
    "week3_planar_flower": figures_flower,
    "week4_deep_network_step_by_step": figures_step_by_step,
    "week4_deep_network_cats": figures_deep_cats,
}


def only_definitions(source: str) -> bool:
    """A cell that only imports, defines, assigns and calls functions other than print and
    display for their effect (``sys.path.insert``): it shows nothing when it runs well."""
    quiet = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.Assign, ast.Try)

    def is_quiet(node: ast.stmt) -> bool:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            name = ast.unparse(node.value.func)
            return name not in ("print", "display")
        return isinstance(node, quiet)

    return all(map(is_quiet, ast.parse(source).body))


def committed(stem: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)


# ---- the committed files ----------------------------------------------------------------------
def test_every_notebook_has_a_figure_check() -> None:
    assert sorted(FIGURES) == sorted(STEMS)
    assert sorted(p.stem for p in NOTEBOOKS.glob("week*.py")) == sorted(STEMS)


@pytest.mark.parametrize("stem", STEMS)
def test_committed_ipynb_is_the_conversion_of_its_source(stem: str) -> None:
    source = NOTEBOOKS / f"{stem}.py"
    assert (NOTEBOOKS / f"{stem}.ipynb").is_file(), f"run python examples/notebooks/build.py {stem}"
    assert build.cells(committed(stem)) == build.cells(build.convert(source))
    assert build.check(source) is None


@pytest.mark.parametrize("stem", STEMS)
def test_committed_outputs_render_without_a_kernel(stem: str) -> None:
    nb = committed(stem)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata
    code = [c for c in nb.cells if c.cell_type == "code"]
    # every cell ran, once, top to bottom
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    for k, cell in enumerate(code):
        assert cell.outputs or only_definitions(cell.source), \
            f"code cell {k} has no saved output:\n{cell.source}"
        for out in cell.outputs:
            assert out["output_type"] != "error", f"code cell {k} saved an error"
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", f"code cell {k} wrote to stderr: {out['text']}"
            mimes = set(out.get("data", {}))
            assert not any(m.startswith(WIDGET_MIME) for m in mimes), (k, mimes)
            assert not mimes & {"image/png", "image/jpeg"}, f"code cell {k}: pictures as SVG"
        assert "execution" not in cell.metadata  # no timings: rebuilding gives a small diff
    svgs = sum("image/svg+xml" in out.get("data", {}) for c in code for out in c.outputs)
    assert svgs >= 1, "every notebook shows at least its graph"
    assert "All tests passed." in text_of(nb).splitlines()


@pytest.mark.parametrize("stem", STEMS)
def test_committed_outputs_show_the_course_figures(stem: str) -> None:
    FIGURES[stem](text_of(committed(stem)))


def test_figure_checks_catch_drift() -> None:
    # the parser is no rubber stamp: a drifted number in the saved output fails it
    text = text_of(committed("week3_planar_flower"))
    drifted = text.replace("Cost after iteration 1000: 0.288083",
                           "Cost after iteration 1000: 0.288084")
    assert drifted != text
    with pytest.raises(AssertionError):
        figures_flower(drifted)
    with pytest.raises(AssertionError):
        figures_computation_graph(text_of(committed("week2_computation_graph"))
                                  .replace("|        9 |        9 |", "|        9 |        8 |"))


# ---- executed in a real kernel ------------------------------------------------------------------
def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if "__pycache__" not in p.parts}


def test_kernel_imports_this_checkout() -> None:
    found = Path(build.kernel_package_file()).resolve()
    assert found == REPO / "tinygrad_course" / "__init__.py"


def execute_and_check(stem: str) -> None:
    before = files_under(REPO / "examples")
    nb = build.execute(build.convert(NOTEBOOKS / f"{stem}.py"))
    assert files_under(REPO / "examples") == before, "executing wrote files into the repo"
    assert not any(out["output_type"] == "error" for c in nb.cells
                   for out in c.get("outputs", []))
    text = text_of(nb)
    assert "All tests passed." in text.splitlines()
    FIGURES[stem](text)


@pytest.mark.parametrize("stem", sorted(FAST))
def test_notebook_executes_and_prints_the_course_figures(stem: str) -> None:
    execute_and_check(stem)


@pytest.mark.full_course
def test_flower_notebook_executes_and_prints_the_course_figures() -> None:
    execute_and_check("week3_planar_flower")


@pytest.mark.full_course
@pytest.mark.parametrize("stem", sorted(CAT_NOTEBOOKS))
def test_cat_notebook_executes_and_prints_the_course_figures(stem: str, catvnoncat_dir) -> None:
    execute_and_check(stem)
