"""The benchmark command works (on tiny sizes; timing itself is never tested)."""

from __future__ import annotations

import json
import os
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


@pytest.mark.parametrize("key, impl", [
    (k, i) for k in sorted(WORKLOADS) for i in ("engine", "compiled", "compiled-course")
    if WORKLOADS[k].kind in run.KINDS.get(i, WORKLOADS[k].kind)])
def test_engine_and_hand_written_agree_on_every_quick_workload(key, impl):
    w = workload(key, quick=True)
    X, Y, _ = make_data(w)
    params = make_params(w)
    ref = run.make_runner("numpy", w, copy_params(params), X, Y).grads()
    got = run.make_runner(impl, w, copy_params(params), X, Y).grads()
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


FAKE_VALGRIND = """#!{python}
# valgrind's stand-in: runs the command it is given for real, then reports a count that grows
# by 1000 a step, in callgrind's words
import subprocess, sys
cmd = [a for a in sys.argv[1:] if not a.startswith("--")]
proc = subprocess.run(cmd)
steps = int(cmd[-2])
print(f"==1== Collected : {{10_000_000 + 1000 * (3 + steps)}}", file=sys.stderr)
sys.exit(proc.returncode)
"""


def test_compare_counts_instructions_in_both_trees(tmp_path, monkeypatch, capsys):
    """``--instructions N``: each tree's step runs 3 + N and 3 times under valgrind (here a
    stand-in that runs the code for real and counts 1000 a step) and the report divides."""
    from benchmarks import compare

    if subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True).returncode:
        pytest.skip("not a git checkout")
    fake = tmp_path / "valgrind"
    fake.write_text(FAKE_VALGRIND.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert compare.main(["HEAD", "--quick", "--only", "D", "--instructions", "2"]) == 0
    out = capsys.readouterr().out
    assert ("| workload | hand-written numpy | engine at HEAD | engine now | now / then "
            "| now / hand-written |") in out
    assert "| D | 1,000 | 1,000 | 1,000 | 1.0000 (+0.00 %) | 1.0000 |" in out
    assert compare.main(["HEAD", "--quick", "--only", "D", "--instructions", "2",
                         "--impl", "compiled"]) == 0
    assert "| hand-written numpy | engine compiled at HEAD | engine compiled now |" \
        in capsys.readouterr().out


def test_compare_reads_callgrinds_count_or_says_it_found_none():
    from benchmarks import compare

    assert compare.collected("==7== Events    : Ir\n==7== Collected : 123456789\n") == 123456789
    with pytest.raises(SystemExit, match="no instruction count"):
        compare.collected("valgrind: command not found")


def test_quick_run_has_the_compiled_column_and_the_paired_rows(tmp_path):
    raw = tmp_path / "raw.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "D,G1",
         "--impl", "numpy,engine,compiled,compiled-course", "--memory-iters", "0",
         "--json", str(raw)],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    head = next(line for line in text.splitlines() if line.startswith("| workload | hand"))
    assert "| engine compiled |" in head
    results = json.loads(raw.read_text())
    for key in ("D", "G1"):
        assert results["checks"][key]["compiled"] < run.GRAD_TOL
    assert results["checks"]["D"]["compiled-course"] < run.GRAD_TOL
    assert {(p["key"], p["impl"]) for p in results["paired"]} == {
        (k, i) for k in ("D", "G1") for i in ("numpy", "engine", "compiled")} | {
        ("D", "compiled-course")}  # (G has no σ and cost for the course's algebra)
    for p in results["paired"]:
        assert len(p["ratios"]) == p["blocks"] >= 3 and p["q1"] <= p["median"] <= p["q3"]
    assert ("| workload | A/A: numpy / numpy | engine (nn step) / numpy | "
            "engine compiled / numpy |") in text
    assert "| D: A/A check, numpy / numpy within 1 ± 0.03 |" in text
    assert "| D: engine compiled / hand-written ≤ 1.00 | paired " in text
    assert "| D: engine compiled, course algebra / hand-written ≤ 1.00 | paired " in text
    assert "| G1: engine compiled ≥ 10× faster than the eager engine |" in text
    assert "Trace / compile:" in text


@pytest.mark.parametrize("impl", ["jax-jit", "jax"])
@pytest.mark.parametrize("key", ["A", "D", "G1", "G2"])
def test_jax_and_hand_written_agree(key, impl):
    pytest.importorskip("jax")
    w = workload(key, quick=True)
    X, Y, _ = make_data(w)
    params = make_params(w)
    ref = run.make_runner("numpy", w, copy_params(params), X, Y).grads()
    runner = run.make_runner(impl, w, copy_params(params), X, Y)
    got = runner.grads()
    runner.step()  # the step (jitted whole for jax-jit) runs too
    assert set(got) == set(ref)
    for name in ref:
        assert run.relative_difference(got[name], ref[name]) < run.GRAD_TOL, name


def test_without_jax_its_columns_read_a_dash_and_say_why(tmp_path):
    """JAX absent, simulated: a sitecustomize on the path makes ``import jax`` and
    ``importlib.util.find_spec("jax")`` fail in the command and in every worker."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(
        "import sys\n"
        "class _NoJax:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('jax', 'jaxlib'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _NoJax())\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(shim), str(REPO)]))
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "D",
         "--impl", "numpy,jax-jit,jax", "--memory-iters", "0", "--no-paired"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    row = next(line for line in text.splitlines()
               if line.startswith("| D flower") and "(" not in line.split("|")[2])
    assert row.rstrip().endswith("| – | – |"), row
    hint = "jax not installed (pip install jax==0.10.2 jaxlib==0.10.2)"
    assert f"Skipped: JAX jit: {hint}; JAX eager: {hint}." in text
    assert f"| jax | {hint} |" in text


def test_abba_alternates_a_b_b_a_and_times_each_segment():
    clock, order = [0.0], []
    a = lambda: (order.append("A"), clock.__setitem__(0, clock[0] + 1.0))
    b = lambda: (order.append("B"), clock.__setitem__(0, clock[0] + 3.0))
    blocks = run.abba(a, b, 2, 1, 2, clock=lambda: clock[0])
    assert order == ["A", "A", "B", "B", "A", "A"] * 2
    assert blocks == [(1.0, 3.0, 3.0, 1.0)] * 2  # seconds per call, per segment
    stats = run.pair_stats(blocks)
    assert stats["ratios"] == [3.0, 3.0] and stats["median"] == 3.0 and stats["blocks"] == 2


def test_abba_cancels_a_linear_drift():
    """Each call costs more as time goes on (a machine slowing down): equal steps still give
    1.0 per block, where AB pairs would be biased."""
    clock = [0.0]

    def step():
        clock[0] += 1.0 + 0.01 * clock[0]

    blocks = run.abba(step, step, 1, 1, 5, clock=lambda: clock[0])
    for a1, b1, b2, a2 in blocks:
        # the drift compounds slightly (each cost depends on the clock): within 1e-4
        assert (b1 + b2) / (a1 + a2) == pytest.approx(1.0, abs=1e-4)
        assert b1 > a1  # the drift is there


def test_pair_stats_median_and_interquartile_range():
    # per-block ratios 1, 2, 3, 4, 5 from segments (a1, b1, b2, a2)
    blocks = [(1.0, r, r, 1.0) for r in (3.0, 1.0, 5.0, 2.0, 4.0)]
    stats = run.pair_stats(blocks)
    assert stats["ratios"] == [3.0, 1.0, 5.0, 2.0, 4.0]
    assert stats["median"] == 3.0 and stats["q1"] == 2.0 and stats["q3"] == 4.0
    one = run.pair_stats([(2.0, 1.0, 1.0, 2.0)])
    assert one["median"] == one["q1"] == one["q3"] == 0.5 and one["blocks"] == 1
