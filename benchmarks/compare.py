"""The engine of an earlier commit against the engine of this checkout, paired:
``python -m benchmarks.compare cd24863``.

For each workload and round it times, in fresh processes, the hand-written numpy step and the
engine's step of the earlier commit (extracted with ``git archive`` into a temporary folder)
and of this checkout, one right after the other, alternating which goes first (ABBA). Machine
drift then hits both about equally, and a round's ratio engine_now / engine_then is a paired
measurement; the report gives the median over rounds and their range, and each tree's
engine/numpy ratio as a cross-check (the numpy baseline is the same code in both trees).

``--impl compiled`` (or ``compiled-course``) compares the compiled step instead of the eager
one (both trees must have it). ``--instructions N`` counts instead of timing: the machine
instructions of N steps in each tree, under valgrind's callgrind (one process with 3 warm-up
steps and N more, minus one with the 3 alone; one BLAS thread, PYTHONHASHSEED=0). A count
does not move with the load of a shared machine, so it shows a difference of 1 % that timing
on such a machine cannot; it does not see what memory and caches add to the time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tinygrad_course.datasets import default_data_dir

from .workloads import WORKLOADS

ROOT = Path(__file__).resolve().parent.parent


def time_in(tree: Path, key: str, impl: str, quick: bool, iters: int, seconds: float) -> float:
    """Median seconds per step of ``impl`` on workload ``key``, timed by ``tree``'s own
    benchmark worker in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    data = default_data_dir()  # the extracted tree has no ../shared beside it: same data for both
    if data is not None:
        env.setdefault("TINYGRAD_COURSE_DATA", str(data))
    args = [sys.executable, "-m", "benchmarks.run", "--worker", key, impl,
            "--min-iters", str(iters), "--min-time", str(seconds)] + (["--quick"] if quick else [])
    proc = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: {key} {impl}: " + (proc.stderr.strip().splitlines() or
                                                       [f"exit {proc.returncode}"])[-1])
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return float(statistics.median(result["times"]))


STEPS = """
import sys
from benchmarks import workloads as W
from benchmarks import {module} as impl
w = W.workload(sys.argv[1], quick=sys.argv[3] == "1")
X, Y, _ = W.make_data(w)
runner = impl.{maker}(w, W.make_params(w), X, Y)
for _ in range(3 + int(sys.argv[2])):
    runner.step()
"""
# module and maker of each implementation this command compares, and its name in the report
MODULES = {"numpy": ("handwritten", "make"), "engine": ("engine", "make"),
           "compiled": ("impl_compiled", "make"),
           "compiled-course": ("impl_compiled", "make_course")}
NAMES = {"engine": "engine", "compiled": "engine compiled",
         "compiled-course": "engine compiled, course algebra"}


def collected(valgrind_output: str) -> int:
    """The instruction count callgrind reports ("Collected : 1234") in its output."""
    found = re.findall(r"Collected : (\d+)", valgrind_output)
    if not found:
        raise SystemExit("valgrind printed no instruction count:\n" + valgrind_output[-2000:])
    return int(found[-1])


def instructions_in(tree: Path, key: str, impl: str, steps: int, quick: bool) -> float:
    """Instructions per step of ``impl`` on ``key`` in ``tree``: (count of 3 + steps steps −
    count of 3) / steps, each in a fresh interpreter under callgrind."""
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    data = default_data_dir()
    if data is not None:
        env.setdefault("TINYGRAD_COURSE_DATA", str(data))
    module, maker = MODULES[impl]
    code = STEPS.format(module=module, maker=maker)
    counts = []
    for n in (0, steps):
        proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                               sys.executable, "-c", code, key, str(n), "1" if quick else "0"],
                              cwd=tree, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{tree}: {key} {impl} under valgrind: exit {proc.returncode}\n"
                             + proc.stderr[-2000:])
        counts.append(collected(proc.stderr))
    return (counts[1] - counts[0]) / steps


def count(base: Path, keys: list[str], steps: int, quick: bool,
          impl: str = "engine") -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        numpy = instructions_in(ROOT, key, "numpy", steps, quick)
        then = instructions_in(base, key, impl, steps, quick)
        now = instructions_in(ROOT, key, impl, steps, quick)
        rows.append({"key": key, "numpy": numpy, "then": then, "now": now})
        print(f"{key}: {impl} instructions now/then {now / then:.4f}", file=sys.stderr,
              flush=True)
    return rows


def count_report(rev: str, rows: list[dict[str, Any]], steps: int, command: str,
                 impl: str = "engine") -> str:
    name = NAMES[impl]
    lines = [f"Command: `{command}` (instructions per step, callgrind, {steps} steps)", "",
             f"| workload | hand-written numpy | {name} at {rev} | {name} now "
             "| now / then | now / hand-written |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = r["now"] / r["then"]
        lines.append(f"| {r['key']} | {r['numpy']:,.0f} | {r['then']:,.0f} | {r['now']:,.0f} | "
                     f"{ratio:.4f} ({(ratio - 1) * 100:+.2f} %) | {r['now'] / r['numpy']:.4f} |")
    return "\n".join(lines) + "\n"


def extract(rev: str, into: Path) -> Path:
    """The files of commit ``rev`` of this repository, in ``into``."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"git archive {rev}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def compare(base: Path, keys: list[str], rounds: int, quick: bool, iters: int,
            seconds: float, impl: str = "engine") -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        then, now, paired = [], [], []
        for r in range(rounds):
            order = [("then", base), ("now", ROOT)]
            if r % 2:
                order.reverse()
            step: dict[str, dict[str, float]] = {}
            for name, tree in order:
                step[name] = {i: time_in(tree, key, i, quick, iters, seconds)
                              for i in ("numpy", impl)}
            then.append(step["then"][impl] / step["then"]["numpy"])
            now.append(step["now"][impl] / step["now"]["numpy"])
            paired.append(step["now"][impl] / step["then"][impl])
        rows.append({"key": key, "then": statistics.median(then), "now": statistics.median(now),
                     "paired": statistics.median(paired), "low": min(paired),
                     "high": max(paired)})
        print(f"{key}: {impl} now/then {rows[-1]['paired']:.3f}", file=sys.stderr, flush=True)
    return rows


def report(rev: str, rows: list[dict[str, Any]], rounds: int, command: str,
           impl: str = "engine") -> str:
    name = NAMES[impl]
    lines = [f"Command: `{command}` ({rounds} paired rounds per workload)", "",
             f"| workload | {name}/numpy at {rev} | {name}/numpy now | {name} now / then "
             "(median) | range over rounds |", "|---|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['key']} | {r['then']:.3f} | {r['now']:.3f} | {r['paired']:.3f} "
                     f"({(r['paired'] - 1) * 100:+.1f} %) | {r['low']:.3f} – {r['high']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rev", help="the earlier commit (anything git archive takes)")
    p.add_argument("--only", default=",".join(WORKLOADS), help="workloads, e.g. D,G1,G2")
    p.add_argument("--rounds", type=int, default=6, help="paired rounds per workload")
    p.add_argument("--min-iters", type=int, default=20, help="timed steps per process")
    p.add_argument("--min-time", type=float, default=1.0, help="timed seconds per process")
    p.add_argument("--quick", action="store_true", help="tiny sizes: proves it runs")
    p.add_argument("--impl", default="engine", choices=list(NAMES),
                   help="the step compared: the eager engine's (default) or a compiled one")
    p.add_argument("--instructions", type=int, metavar="N", default=0,
                   help="count the instructions of N engine steps under valgrind instead of "
                        "timing (apt install valgrind)")
    opts = p.parse_args(argv)
    keys = [k for k in opts.only.split(",") if k]
    for bad in [k for k in keys if k not in WORKLOADS]:
        raise SystemExit(f"unknown workload {bad!r}: workloads {', '.join(WORKLOADS)}")
    command = "python -m benchmarks.compare " + " ".join(argv if argv is not None
                                                          else sys.argv[1:])
    if opts.instructions < 0:
        raise SystemExit("--instructions takes a number of steps, at least 1")
    if opts.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt install valgrind)")
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        base = extract(opts.rev, Path(tmp))
        if opts.instructions:
            counted = count(base, keys, opts.instructions, opts.quick, opts.impl)
            print(count_report(opts.rev, counted, opts.instructions, command, opts.impl))
            return 0
        rows = compare(base, keys, opts.rounds, opts.quick, opts.min_iters, opts.min_time,
                       opts.impl)
    print(report(opts.rev, rows, opts.rounds, command, opts.impl))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
