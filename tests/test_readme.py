"""The README's Quick start is what CI runs, and its example prints what it says."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start() -> list[str]:
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S)
    assert block, "README has a Quick start bash block"
    return [line for line in block[1].splitlines() if line.strip()]


def test_quick_start_is_two_one_line_commands_and_ci_runs_the_test_one():
    lines = quick_start()
    assert len(lines) == 2
    assert "pytest" in lines[1]
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert lines[1] in ci


def test_the_demo_script_exists():
    script = quick_start()[0].split("python ", 1)[1].split()[0]
    assert (REPO / script).is_file()


def test_the_ten_line_example_prints_what_the_readme_says():
    code = re.search(r"```python\n(.*?)```", README, re.S)[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    expected = re.search(r"print\(.*\)\s+# (.*)", code)[1]
    assert out.split() == expected.split()


def test_ci_also_runs_the_long_course_runs_the_readme_names():
    command = "python -m pytest -q -m full_course"
    assert f"```bash\n{command}\n```" in README
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert command in ci.split(quick_start()[1], 1)[1], "after the test command"


def test_the_default_command_leaves_out_exactly_the_full_course_runs():
    files = ["tests/test_course_examples.py", "tests/test_nn_compiled.py"]
    collect = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         *args, *files], capture_output=True, text=True, cwd=REPO).stdout
    marked = {line for line in collect("-m", "full_course").splitlines() if "::" in line}
    default = {line for line in collect().splitlines() if "::" in line}
    assert {m.split("::")[1] for m in marked} >= {
        "test_full_length_cat_runs_reach_the_course_accuracies_and_the_documented_costs",
        "test_week2_logistic_regression_on_the_cats_is_the_same_bit_for_bit"}
    assert default and not default & marked
