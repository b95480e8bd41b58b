"""The benchmark command works (on tiny sizes; timing itself is never tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # plain `pytest` puts tests/, not the repository, on the path
    sys.path.insert(0, str(REPO))

from benchmarks import run  # noqa: E402
from benchmarks.workloads import (  # noqa: E402
    WORKLOADS,
    copy_params,
    make_data,
    make_params,
    workload,
)


def test_quick_run_checks_gradients_times_and_writes_the_report(tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text(f"# Performance\n\nbefore\n{run.BEGIN}\nold table\n{run.END}\nafter\n")
    raw = tmp_path / "raw.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "D,G2",
         "--impl", "numpy,engine,oracles", "--memory-iters", "0", "--profiles", "D",
         "--write-doc", str(doc), "--json", str(raw)],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = doc.read_text()
    assert text.startswith("# Performance\n\nbefore\n") and text.endswith(f"{run.END}\nafter\n")
    assert "old table" not in text and proc.stdout.strip() in text
    assert "| D flower 2-4-1 tanh/sigmoid, m=40 |" in text
    assert "Where the engine's iteration goes on D" in text and "| function |" in text
    results = json.loads(raw.read_text())
    for key in ("D", "G2"):
        for impl, diff in results["checks"][key].items():
            assert diff < run.GRAD_TOL, (key, impl, diff)
    assert set(results["checks"]["D"]) == {"numpy", "engine", "oracles"}
    assert set(results["checks"]["G2"]) == {"numpy", "engine"}  # the oracles have no chain
    assert all(len(r["times"]) >= 20 for r in results["runs"])


def test_write_doc_needs_the_markers(tmp_path):
    doc = tmp_path / "perf.md"
    doc.write_text("# no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        run.write_doc(doc, "table\n")


@pytest.mark.parametrize("key", sorted(WORKLOADS))
def test_engine_and_hand_written_agree_on_every_quick_workload(key):
    w = workload(key, quick=True)
    X, Y, _ = make_data(w)
    params = make_params(w)
    ref = run.make_runner("numpy", w, copy_params(params), X, Y).grads()
    got = run.make_runner("engine", w, copy_params(params), X, Y).grads()
    assert set(got) == set(ref)
    for name in ref:
        assert run.relative_difference(got[name], ref[name]) < run.GRAD_TOL, name


def test_relative_difference_is_the_course_measure():
    a, b = np.array([3.0, 4.0]), np.array([3.0, 4.0 + 1e-6])
    assert run.relative_difference(a, b) == pytest.approx(1e-6 / 10, rel=1e-6)
    assert run.relative_difference(np.zeros(2), np.zeros(2)) == 0.0
    assert run.relative_difference(np.zeros(2), np.zeros(3)) == float("inf")


def test_profile_is_a_markdown_table_naming_the_ops():
    text = run.profile("D", True, "engine", iters=5, top=40)
    assert text.startswith("engine (nn step) on D flower 2-4-1 tanh/sigmoid, m=40: ")
    assert "| function | calls per iteration | own µs per iteration | with callees µs |" in text
    assert "(binary_cross_entropy vjp 0)" in text and "_backprop" in text


def test_compare_times_an_earlier_commit_against_this_checkout(capsys):
    """``python -m benchmarks.compare REV``: both trees' workers run, paired, into one table."""
    from benchmarks import compare

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True).returncode:
        pytest.skip("not a git checkout")
    assert compare.main(["HEAD", "--quick", "--rounds", "2", "--only", "D",
                         "--min-iters", "3", "--min-time", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "| workload | engine/numpy at HEAD | engine/numpy now |" in out
    row = next(line for line in out.splitlines() if line.startswith("| D |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert float(cells[1]) > 0 and float(cells[2]) > 0 and float(cells[3].split()[0]) > 0


def test_compare_refuses_an_unknown_commit():
    from benchmarks import compare

    with pytest.raises(SystemExit, match="git archive no-such-commit"):
        compare.main(["no-such-commit", "--quick", "--only", "D"])
