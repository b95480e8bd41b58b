"""The benchmark command: ``python -m benchmarks.run`` from the repository root.

For each workload (benchmarks/workloads.py) it first checks in one process that every
implementation's gradients match the hand-written ones on the same parameters (relative
difference ||g − g'|| / (||g|| + ||g'||) < 1e-10), then times each implementation in its own
fresh process (same layout for all: import, build, warm up, time), interleaving the
implementations over ``--rounds`` processes each. It prints a markdown report: the machine,
the gradient check, median ms per iteration with the ratio to hand-written numpy, peak RSS,
and the issue's targets. ``--write-doc docs/performance.md`` also replaces the part of that
file between its ``benchmark:begin``/``benchmark:end`` markers with the report.

    python -m benchmarks.run                 # everything (a few minutes on 2 cores)
    python -m benchmarks.run --quick         # tiny sizes, a few seconds: proves it runs
    python -m benchmarks.run --only D,F --impl numpy,engine
    python -m benchmarks.run --profile D     # cProfile of the engine's iteration on D
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from tinygrad_course.files import atomic_write

from .workloads import WORKLOADS, Workload, copy_params, describe, make_data, make_params, workload

ROOT = Path(__file__).resolve().parents[1]
IMPLS = {"numpy": "handwritten", "engine": "engine", "compiled": "impl_compiled",
         "compiled-course": "impl_compiled",
         "torch": "impl_torch", "jax-jit": "impl_jax", "jax": "impl_jax",
         "autograd": "impl_hips", "oracles": "impl_oracles", "engine-raw": "engine"}
# the module's function that builds the runner, where it is not ``make``
MAKERS = {"engine-raw": "make_raw", "jax-jit": "make_jit", "compiled-course": "make_course"}
DEFAULT_IMPLS = "numpy,engine,compiled,compiled-course,torch,jax-jit,jax,autograd,oracles"
GRAD_TOL = 1e-10
BEGIN, END = "<!-- benchmark:begin -->", "<!-- benchmark:end -->"

# the targets: engine / hand-written at most this, per workload; the workloads where
# the engine must beat PyTorch and HIPS autograd; the chain's time limit
RATIO_TARGETS = {"A": 1.10, "B": 1.05, "C": 1.05, "D": 2.5, "E": 1.05, "F": 2.0}
FASTER_THAN_PEERS = ("A", "B", "C", "D", "F")
CHAIN_LIMIT_MS = 1000.0
# the compiled engine (tc.trace) / hand-written at most this; faster than jax.jit on these;
# within this factor of jax.jit on F; at least this many times faster than the eager engine on G
COMPILED_TARGETS = {"A": 1.00, "B": 1.00, "C": 1.00, "D": 1.00, "E": 0.90, "F": 0.90}
COMPILED_FASTER_THAN_JIT = ("D", "G1", "G2")
COMPILED_WITHIN_OF_JIT = {"F": 2.0}
COMPILED_G_SPEEDUP = 10.0
# implementations that compile (or may run for minutes): each is checked in its own process,
# killed after BUILD_LIMIT seconds (build, compile and one gradient); one whose gradient took
# over ITER_LIMIT seconds there is not timed
SLOW_BUILD = ("compiled", "compiled-course", "jax-jit", "jax")
ITER_LIMITED = ("jax",)
# with --quick, JAX (two seconds of import and compiles in every fresh process) runs on one
# workload of each kind only
QUICK_KEYS = {"jax-jit": ("A", "D", "G1", "G2"), "jax": ("A", "D", "G1", "G2")}
BUILD_LIMIT = 60.0
ITER_LIMIT = 3.0
# the paired mode: implementations on numpy's own threads, each timed against hand-written
# numpy in one process in ABBA blocks ("numpy" there is the A/A check: two instances)
PAIRED = ("numpy", "engine", "compiled", "compiled-course", "oracles", "engine-raw")
AA_TOLERANCE = 0.03
BUSY = 0.05  # share of all cores other processes may use while a timing process runs
# the workload kinds an implementation covers (default: all)
KINDS = {"oracles": ("logistic", "net"), "engine-raw": ("logistic", "net"),
         "compiled-course": ("logistic", "net")}  # (G has no σ and cost to rewrite)


LABELS = {"numpy": "hand-written numpy", "engine": "engine (nn step)",
          "compiled": "engine compiled", "compiled-course": "engine compiled, course algebra",
          "torch": "PyTorch CPU", "jax-jit": "JAX jit",
          "jax": "JAX eager", "autograd": "HIPS autograd", "oracles": "course oracles",
          "engine-raw": "engine (raw ops)"}
# what each implementation needs beyond numpy; checked without importing it, so that the
# parent process stays small (its peak RSS is not the workers' business)
NEEDS = {"torch": ("torch", "pip install torch==2.13.0"),
         "jax-jit": ("jax", "pip install jax==0.10.2 jaxlib==0.10.2"),
         "jax": ("jax", "pip install jax==0.10.2 jaxlib==0.10.2"),
         "autograd": ("autograd", "pip install autograd"),
         "oracles": ("tinygrad_course.oracles", "not on this branch")}


def impl_module(name: str) -> ModuleType:
    return importlib.import_module(f"benchmarks.{IMPLS[name]}")


def make_runner(name: str, w: Workload, params: Any, X: np.ndarray, Y: np.ndarray) -> Any:
    """The implementation's runner: ``step()`` is one timed iteration, ``grads()`` the
    gradients at the current parameters by name."""
    return getattr(impl_module(name), MAKERS.get(name, "make"))(w, params, X, Y)


def unavailable(name: str) -> str | None:
    """Why an implementation cannot run here (None when it can)."""
    if name not in NEEDS:
        return None
    module, hint = NEEDS[name]
    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        found = False
    return None if found else f"{module} not installed ({hint})"


def dist_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# ---- machine facts ----------------------------------------------------------------------------
def blas_info() -> list[dict[str, Any]]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [i for i in threadpool_info() if i.get("user_api") == "blas"]


def blas_threads() -> int:
    """numpy's BLAS thread count (threadpoolctl), else what OpenBLAS/OMP would pick."""
    info = blas_info()
    if info:
        return int(info[0]["num_threads"])
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1


def peak_rss_mb() -> float | None:
    """Peak resident set size of this process: VmHWM on Linux (getrusage's ru_maxrss would
    carry over the parent's peak across fork + exec), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def current_rss_mb() -> float | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return None


def cache_size() -> str:
    """The largest CPU cache, shared by the cores (Linux sysfs), e.g. "L3 32768K"."""
    best = ""
    for level in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            number, size = ((level / f).read_text().strip() for f in ("level", "size"))
        except OSError:
            continue
        best = f"L{number} {size}"
    return best or "unknown"


def load_average() -> str:
    """The 1-minute load average: other processes on the cores skew every timing."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "unknown"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    info = blas_info()
    facts: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "last-level cache": cache_size(),
        "usable cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy BLAS (threadpoolctl)": ", ".join(
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')}), "
            f"{i.get('num_threads')} threads" for i in info)
        or "unknown (pip install threadpoolctl)",
        "load average": load_average(),
    }
    for name, dist in (("torch", "torch"), ("jax-jit", "jax"), ("autograd", "autograd")):
        facts[dist] = unavailable(name) or dist_version(dist)
    if unavailable("jax") is None:
        facts["jax"] += (f" (jaxlib {dist_version('jaxlib')}; CPU, float64, its own thread "
                         "pool, not numpy's BLAS)")
    return facts


# ---- the worker: one implementation on one workload, in a fresh process -------------------------
def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """The course's gradient-check measure ||a − b|| / (||a|| + ||b||) (0 when both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return math.inf
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den else 0.0


def check(key: str, quick: bool, impls: list[str], lines: bool = False) -> dict[str, Any]:
    """Gradients of every implementation at the same starting parameters, against numpy's:
    ``{"diffs": {impl: relative difference or what went wrong}, "seconds": {impl: seconds to
    build the runner and compute one gradient}, "again": {impl: seconds of a second gradient}}``
    (the second only for the implementations of ITER_LIMITED: an eager JAX's first call also
    compiles each primitive). With ``lines``, each implementation's result is also printed as
    a JSON line as soon as it is known, so that a parent that kills a runaway build keeps the
    ones before it."""
    w = workload(key, quick)
    X, Y, _ = make_data(w)
    params = make_params(w)
    ref = make_runner("numpy", w, copy_params(params), X, Y).grads()
    out: dict[str, Any] = {"diffs": {}, "seconds": {}, "again": {}}
    for name in impls:
        if unavailable(name) is not None:
            continue
        if w.kind not in KINDS.get(name, w.kind):
            continue
        if lines:
            print(json.dumps({"start": name}), flush=True)
        if name == "torch":
            impl_module(name).set_threads(blas_threads())
        impl_module(name)
        t0 = time.perf_counter()
        runner = make_runner(name, w, copy_params(params), X, Y)
        got = runner.grads()
        out["seconds"][name] = time.perf_counter() - t0
        if name in ITER_LIMITED:
            t0 = time.perf_counter()
            runner.grads()
            out["again"][name] = time.perf_counter() - t0
        if set(got) != set(ref):
            out["diffs"][name] = f"gradients for {sorted(got)}, expected {sorted(ref)}"
        else:
            out["diffs"][name] = max(relative_difference(got[k], ref[k]) for k in ref)
        if lines:
            print(json.dumps({k: {name: v[name]} for k, v in out.items() if name in v}),
                  flush=True)
    return out


def check_slow(key: str, impls: list[str], flags: list[str]) -> tuple[dict[str, Any],
                                                                       dict[str, str]]:
    """The SLOW_BUILD implementations' gradient check, in a process of their own: one whose
    build (trace or jit compile) plus gradient runs past BUILD_LIMIT seconds is killed and
    reported, and the check goes on with the next in a new process. Returns the merged
    results of check() and the reasons of those not to be timed."""
    merged: dict[str, Any] = {"diffs": {}, "seconds": {}, "again": {}}
    reasons: dict[str, str] = {}
    remaining = list(impls)
    while remaining:
        r = spawn_lines(["--check", key, "--impl", ",".join(remaining), "--lines", *flags],
                        BUILD_LIMIT)
        running = None
        for line in r["lines"]:
            if "start" in line:
                running = line["start"]
                continue
            for field, values in line.items():
                merged.setdefault(field, {}).update(values)
            remaining = [i for i in remaining if i not in line.get("diffs", {})]
            running = None
        if r.get("timeout") and running is not None:
            reasons[running] = (f"building it (the trace or the jit compile) and one gradient "
                                f"did not finish within {BUILD_LIMIT:.0f} s: killed")
        elif r.get("error") and running is not None:
            reasons[running] = f"failed while building or in the gradient: {r['error']}"
        elif running is None and remaining and (r.get("timeout") or r.get("error")):
            for i in remaining:  # died before starting any: the import or the data
                reasons[i] = f"the check process failed: {r.get('error') or 'timeout'}"
            break
        else:
            break
        remaining = [i for i in remaining if i != running]
    for name, took in merged["again"].items():
        if took > ITER_LIMIT:
            reasons.setdefault(name, f"one eager iteration took {took:.1f} s in the gradient "
                                     f"check (over the {ITER_LIMIT:g} s limit for timing)")
    return merged, reasons


def spawn_lines(args: list[str], limit: float) -> dict[str, Any]:
    """Run this module with ``args``, reading the JSON lines it prints as they come; kill it
    when ``limit`` seconds pass without a line. ``{"lines": [...]}`` plus ``"timeout"`` or
    ``"error"`` (the last line of its stderr) when it did not end cleanly."""
    import selectors
    import tempfile

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    lines: list[dict[str, Any]] = []
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *args], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline, timed_out = time.monotonic() + limit, False
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(timeout=left):
                timed_out = True
                proc.kill()
                break
            line = proc.stdout.readline()
            if not line:
                break
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
            deadline = time.monotonic() + limit
        proc.wait()
        proc.stdout.close()
        err.seek(0)
        tail = err.read().strip().splitlines()
    out: dict[str, Any] = {"lines": lines}
    if timed_out:
        out["timeout"] = limit
    elif proc.returncode != 0:
        out["error"] = (tail or [f"exit {proc.returncode}"])[-1]
    return out


def time_one(key: str, impl: str, quick: bool, min_iters: int, min_time: float) -> dict[str, Any]:
    threads = blas_threads()
    if impl == "torch":
        impl_module(impl).set_threads(threads)
    w = workload(key, quick)
    X, Y, source = make_data(w)
    impl_module(impl)  # imported before the clock starts: build is the runner's own work
    t0 = time.perf_counter()
    runner = make_runner(impl, w, copy_params(make_params(w)), X, Y)
    build = time.perf_counter() - t0
    rss_setup = peak_rss_mb()
    start = time.perf_counter()
    runner.step()  # the first step: a trace or a jit compile happens here (or in the build)
    first = time.perf_counter() - start
    warm = 1
    while time.perf_counter() - start < min(0.25, min_time / 4):
        runner.step()
        warm += 1
    times: list[float] = []
    total = 0.0
    faults = minor_faults()
    while len(times) < min_iters or total < min_time:
        t0 = time.perf_counter()
        runner.step()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    faults = (minor_faults() - faults) / len(times)
    return {"key": key, "impl": impl, "times": times, "rounds": [statistics.median(times)],
            "warmup": warm, "threads": threads, "faults": [faults], "build": [build],
            "first": [first],
            "rss_setup": rss_setup, "rss_peak": peak_rss_mb(), "data": source}


# ---- the paired mode: two runners in one process, ABBA blocks -----------------------------------
def abba(step_a: Any, step_b: Any, iters_a: int, iters_b: int, blocks: int,
         clock: Any = time.perf_counter) -> list[tuple[float, float, float, float]]:
    """``blocks`` ABBA blocks: A, B, B, A, each segment ``iters_a`` calls of ``step_a`` (or
    ``iters_b`` of ``step_b``) timed by ``clock``. Returns per block the seconds per call of
    its four segments, in the order run (a1, b1, b2, a2). A drift linear in time adds the same
    to a1 + a2 as to b1 + b2, so it cancels in the block's ratio."""
    out = []
    for _ in range(blocks):
        seg = []
        for step, n in ((step_a, iters_a), (step_b, iters_b), (step_b, iters_b),
                        (step_a, iters_a)):
            t0 = clock()
            for _ in range(n):
                step()
            seg.append((clock() - t0) / n)
        out.append((seg[0], seg[1], seg[2], seg[3]))
    return out


def pair_stats(blocks: list[tuple[float, float, float, float]]) -> dict[str, Any]:
    """Per block the ratio B/A = (b1 + b2) / (a1 + a2); their median and interquartile range
    (the quartiles of the per-block ratios, inclusive method)."""
    ratios = [(b1 + b2) / (a1 + a2) for a1, b1, b2, a2 in blocks]
    if len(ratios) >= 2:
        q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    else:
        q1 = q3 = ratios[0]
    return {"ratios": ratios, "median": statistics.median(ratios), "q1": q1, "q3": q3,
            "blocks": len(ratios)}


def paired_one(key: str, impl: str, quick: bool, min_blocks: int, min_time: float
               ) -> dict[str, Any]:
    """Hand-written numpy (A) against ``impl`` (B) in this one process, ABBA blocks until at
    least ``min_blocks`` and ``min_time`` seconds; ``impl`` "numpy" is a second, independent
    hand-written instance (the A/A check)."""
    w = workload(key, quick)
    X, Y, _ = make_data(w)
    params = make_params(w)
    a = make_runner("numpy", w, copy_params(params), X, Y)
    b = make_runner(impl, w, copy_params(params), X, Y)
    per = {}
    for name, r in (("a", a), ("b", b)):  # warm up, and how long one step takes
        r.step()
        t0, n = time.perf_counter(), 0
        while n < 3 or time.perf_counter() - t0 < min(0.2, min_time / 8):
            r.step()
            n += 1
        per[name] = (time.perf_counter() - t0) / n
    segment = 0.005 if quick else 0.05  # seconds a segment aims at
    iters = {k: max(1, round(segment / v)) for k, v in per.items()}
    blocks: list[tuple[float, float, float, float]] = []
    start = time.perf_counter()
    while len(blocks) < min_blocks or time.perf_counter() - start < min_time:
        blocks += abba(a.step, b.step, iters["a"], iters["b"], 1)
    return {"key": key, "impl": impl, "iters": [iters["a"], iters["b"]],
            "segments": blocks, **pair_stats(blocks)}


def minor_faults() -> int:
    """Page faults served without I/O so far: each is a fresh page the allocator got from the
    kernel (glibc returns big freed blocks to the kernel, and getting them back costs)."""
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def memory_run(key: str, quick: bool, iters: int, first: int) -> dict[str, Any]:
    """The engine trained ``iters`` iterations: current and peak RSS after ``first`` and at
    the end."""
    w = workload(key, quick)
    X, Y, _ = make_data(w)
    runner = make_runner("engine", w, copy_params(make_params(w)), X, Y)
    t0 = time.perf_counter()
    marks = {}
    for i in range(1, iters + 1):
        runner.step()
        if i == first or i == iters:
            marks[i] = {"rss": current_rss_mb(), "peak": peak_rss_mb()}
    return {"key": key, "iters": iters, "first": first, "marks": marks,
            "seconds": time.perf_counter() - t0}


def busy_seconds() -> float | None:
    """CPU seconds the machine has spent busy since boot, all processes and hypervisor steal
    included (/proc/stat), or None where there is no /proc."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_until_quiet(max_wait: float, limit: float = 0.1) -> float:
    """Sleep until other processes use less than ``limit`` of one core over a second (at most
    ``max_wait`` seconds); returns the seconds waited."""
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        before = busy_seconds()
        if before is None:
            break
        time.sleep(1.0)
        after = busy_seconds()
        if after is not None and after - before < limit:
            break
    return time.perf_counter() - start


def spawn(args: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Run this module with ``args`` in a fresh interpreter; it prints one JSON line. To a
    timing result it adds ``others``: the share of all cores other processes used meanwhile.
    A process still running after ``timeout`` seconds is killed: ``{"timeout": seconds}``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])))
    busy, mine, t0 = busy_seconds(), children_cpu_seconds(), time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks.run", *args], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    wall, after = time.perf_counter() - t0, busy_seconds()
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    if busy is not None and after is not None and ("times" in result or "segments" in result):
        others = (after - busy) - (children_cpu_seconds() - mine)
        result["others"] = max(0.0, others) / (wall * (os.cpu_count() or 1))
    return result


# ---- the report -------------------------------------------------------------------------------
def fmt_ms(ms: float) -> str:
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def report(opts: argparse.Namespace, facts: dict[str, Any], checks: dict[str, Any],
           runs: dict[tuple[str, str], dict[str, Any]], memory: dict[str, Any] | None,
           impls: list[str], keys: list[str], seconds: float,
           paired: dict[tuple[str, str], dict[str, Any]] | None = None,
           skipped: dict[tuple[str, str], str] | None = None,
           build: dict[str, dict[str, float]] | None = None) -> tuple[str, bool]:
    paired, skipped, build = paired or {}, skipped or {}, build or {}
    labels = {name: LABELS[name] for name in impls}
    med = {k: statistics.median(r["times"]) * 1e3 for k, r in runs.items() if "times" in r}
    lines = [f"Command: `{opts.command}` ({'quick sizes' if opts.quick else 'full sizes'}, "
             f"{opts.rounds} round(s) of fresh processes per implementation, at least "
             f"{opts.min_iters} timed iterations and {opts.min_time:g} s each after warm-up; "
             f"took {seconds:.0f} s" + (f", {opts.waited:.0f} s of it waiting for idle cores, "
                                         f"{opts.retried} timing process(es) run again because "
                                         f"others used over {BUSY:.0%} of the cores"
                                         if opts.wait_quiet else "") + ").", ""]
    lines += ["| machine | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in facts.items()]
    sources = sorted({r["data"] for r in runs.values() if "data" in r})
    lines += [f"| data | {'; '.join(sources)} |", ""]

    head = "| workload | " + " | ".join(labels[i] for i in impls) + " |"
    rule = "|---|" + "---:|" * len(impls)
    titles = {k: describe(workload(k, opts.quick)) for k in keys}

    ok = True
    lines += ["Gradient check: max over parameters of ||g − g_numpy|| / (||g|| + ||g_numpy||), "
              f"at the same starting parameters (must be < {GRAD_TOL:g}).", "", head, rule]
    for k in keys:
        cells = []
        for i in impls:
            v = checks.get(k, {}).get(i)
            if (k, i) in skipped and v is None:
                cells.append("not run †")
            elif isinstance(v, float):
                ok &= v < GRAD_TOL
                cells.append(f"{v:.1e}" + ("" if v < GRAD_TOL else " ✗"))
            else:
                ok &= v is None
                cells.append("–" if v is None else f"✗ {v}")
        lines.append(f"| {titles[k]} | " + " | ".join(cells) + " |")

    lines += ["", "Median ms per iteration (ratio to hand-written numpy); the last column is the "
              "largest share of all cores that other processes used while one of the row's "
              "timing processes ran.", "", head[:-1] + "| others' CPU |", rule + "---:|"]
    for k in keys:
        base = med.get((k, "numpy"))
        cells = []
        for i in impls:
            r = runs.get((k, i))
            if r is None:
                cells.append("not run †" if (k, i) in skipped else "–")
            elif "error" in r:
                cells.append(f"error: {r['error']}")
                ok = False
            else:
                ratio = f" ({med[k, i] / base:.2f}×)" if base and i != "numpy" else ""
                cells.append(fmt_ms(med[k, i]) + ratio)
        others = [r["others"] for (key, _), r in runs.items() if key == k and "others" in r]
        cells.append(f"{100 * max(others):.0f}%" if others else "–")
        lines.append(f"| {titles[k]} | " + " | ".join(cells) + " |")

    if skipped:
        lines += ["", "† Not run:", ""]
        lines += [f"* {k} {labels.get(i, i)}: {why}" for (k, i), why in skipped.items()]
    built = [i for i in ("compiled", "compiled-course", "jax-jit") if i in impls]
    if built:
        lines += ["", "Trace / compile: seconds to build the runner plus its first step, where "
                  "the trace or the jit compile happens (first timing process), and in the "
                  "gradient check, build plus one gradient.", "",
                  "| workload | " + " | ".join(labels[i] for i in built) + " |",
                  "|---|" + "---:|" * len(built)]
        for k in keys:
            cells = []
            for i in built:
                r, c = runs.get((k, i)), build.get(k, {}).get(i)
                if r is not None and "build" in r:
                    cells.append(f"{r['build'][0] + r['first'][0]:.2f} s; check {c:.2f} s"
                                 if c is not None else f"{r['build'][0] + r['first'][0]:.2f} s")
                else:
                    cells.append("not run †" if (k, i) in skipped else "–")
            lines.append(f"| {titles[k]} | " + " | ".join(cells) + " |")
    pair_impls = [i for i in PAIRED if any((k, i) in paired for k in keys)]
    if pair_impls:
        lines += ["", "Paired: hand-written numpy (A) and the implementation (B) built in one "
                  "process and alternated in ABBA blocks (A B B A, each segment about "
                  f"{'5' if opts.quick else '50'} ms of steps, at least {opts.paired_blocks} "
                  f"blocks and {opts.paired_time:g} s); each block gives B/A = (b1 + b2) / "
                  "(a1 + a2). Median of the per-block ratios, [interquartile range], blocks. "
                  "The first column is the A/A check: two independent hand-written instances, "
                  f"which should give 1.00 (within ±{AA_TOLERANCE:.0%}).", "",
                  "| workload | " + " | ".join(
                      "A/A: numpy / numpy" if i == "numpy" else f"{labels.get(i, i)} / numpy"
                      for i in pair_impls) + " | others' CPU |",
                  "|---|" + "---:|" * (len(pair_impls) + 1)]
        for k in keys:
            cells = []
            for i in pair_impls:
                r = paired.get((k, i))
                if r is None:
                    cells.append("not run †" if (k, i) in skipped else "–")
                elif "median" not in r:
                    cells.append(f"error: {r.get('error', r)}")
                    ok = False
                else:
                    cells.append(f"{r['median']:.3f} [{r['q1']:.3f}–{r['q3']:.3f}], "
                                 f"{r['blocks']}")
            others = [r["others"] for (key, _), r in paired.items() if key == k and "others" in r]
            cells.append(f"{100 * max(others):.0f}%" if others else "–")
            lines.append(f"| {titles[k]} | " + " | ".join(cells) + " |")

    lines += ["", "Peak RSS of the timing process in MB (after setup → at the end), and minor "
              "page faults per timed iteration (fresh pages from the kernel).", "", head, rule]
    for k in keys:
        cells = []
        for i in impls:
            r = runs.get((k, i))
            if r is None or "error" in r or r["rss_peak"] is None:
                cells.append("–")
            else:
                faults = statistics.median(r["faults"])
                cells.append(f"{r['rss_setup']:.0f} → {r['rss_peak']:.0f}; "
                             f"{faults:.0f} faults" if faults >= 1 else
                             f"{r['rss_setup']:.0f} → {r['rss_peak']:.0f}")
        lines.append(f"| {titles[k]} | " + " | ".join(cells) + " |")

    def ratio(k: str, i: str) -> tuple[float, str] | None:
        """impl / hand-written on workload k: the paired median where there is one, else the
        ratio of the separate processes' medians (with each round's ratio)."""
        r = paired.get((k, i))
        if r is not None and "median" in r:
            return r["median"], (f"paired {r['median']:.3f} [IQR {r['q1']:.3f}–{r['q3']:.3f}]"
                                 + (f"; separate processes {med[k, i] / med[k, 'numpy']:.2f}"
                                    if (k, i) in med and (k, "numpy") in med else ""))
        if (k, i) in med and (k, "numpy") in med:
            value = med[k, i] / med[k, "numpy"]
            per_round = [e / n for e, n in zip(runs[k, i]["rounds"], runs[k, "numpy"]["rounds"])]
            spread = (" (round by round: " + ", ".join(f"{x:.2f}" for x in per_round) + ")"
                      if len(per_round) > 1 else "")
            return value, f"{value:.2f}{spread}"
        return None

    def missing(k: str, *names: str) -> str:
        why = [f"{labels.get(i, i)}: {skipped[k, i]}" for i in names if (k, i) in skipped]
        return "not measured" + (f" ({'; '.join(why)})" if why else "")

    targets: list[tuple[str, str, bool | None]] = []
    for k, limit in RATIO_TARGETS.items():
        got = ratio(k, "engine")
        if got is not None:
            targets.append((f"{k}: engine / hand-written ≤ {limit:g}", got[1], got[0] <= limit))
    # the compiled step's targets, for the literal chain rule and for the course's algebra
    # (tc.trace(simplify=True), which writes dZ^[L] = (A^[L] − Y)/m as the hand-written does)
    compiled = [i for i in ("compiled", "compiled-course") if i in impls]
    for impl in compiled:
        for k, limit in COMPILED_TARGETS.items():
            if k not in keys:
                continue
            got = ratio(k, impl)
            targets.append((f"{k}: {labels[impl]} / hand-written ≤ {limit:.2f}",
                            got[1] if got else missing(k, impl),
                            None if got is None else got[0] <= limit))
    jit = "jax-jit" in impls and unavailable("jax-jit") is None
    for impl in compiled:
        for k in COMPILED_FASTER_THAN_JIT if jit else ():
            if k not in keys or WORKLOADS[k].kind not in KINDS.get(impl, WORKLOADS[k].kind):
                continue
            if (k, impl) in med and (k, "jax-jit") in med:
                c, j = med[k, impl], med[k, "jax-jit"]
                targets.append((f"{k}: {labels[impl]} faster than JAX jit",
                                f"{fmt_ms(c)} vs {fmt_ms(j)} ms", c < j))
            else:
                targets.append((f"{k}: {labels[impl]} faster than JAX jit",
                                missing(k, impl, "jax-jit"), None))
    if "compiled" in impls:
        for k, factor in COMPILED_WITHIN_OF_JIT.items() if jit else ():
            if k not in keys:
                continue
            if (k, "compiled") in med and (k, "jax-jit") in med:
                c, j = med[k, "compiled"], med[k, "jax-jit"]
                targets.append((f"{k}: engine compiled within {factor:g}× of JAX jit",
                                f"{fmt_ms(c)} vs {fmt_ms(j)} ms ({c / j:.2f}×)", c <= factor * j))
            else:
                targets.append((f"{k}: engine compiled within {factor:g}× of JAX jit",
                                missing(k, "compiled", "jax-jit"), None))
        for k in ("G1", "G2"):
            if k not in keys:
                continue
            if (k, "compiled") in med and (k, "engine") in med:
                c, e = med[k, "compiled"], med[k, "engine"]
                targets.append((f"{k}: engine compiled ≥ {COMPILED_G_SPEEDUP:g}× faster than "
                                "the eager engine", f"{fmt_ms(c)} vs {fmt_ms(e)} ms "
                                f"({e / c:.1f}×)", e / c >= COMPILED_G_SPEEDUP))
            else:
                targets.append((f"{k}: engine compiled ≥ {COMPILED_G_SPEEDUP:g}× faster than "
                                "the eager engine", missing(k, "compiled"), None))
    for k in keys:
        r = paired.get((k, "numpy"))
        if r is not None and "median" in r:
            targets.append((f"{k}: A/A check, numpy / numpy within 1 ± {AA_TOLERANCE:g}",
                            f"{r['median']:.3f} [IQR {r['q1']:.3f}–{r['q3']:.3f}]",
                            abs(r["median"] - 1) <= AA_TOLERANCE))
    for k in FASTER_THAN_PEERS:
        for peer in ("torch", "autograd"):
            if (k, "engine") in med and (k, peer) in med:
                e, p = med[k, "engine"], med[k, peer]
                targets.append((f"{k}: engine faster than {labels[peer]}",
                                f"{fmt_ms(e)} vs {fmt_ms(p)} ms", e < p))
    if ("G2", "engine") in med:
        ms = med["G2", "engine"]
        n = workload("G2", opts.quick).ops
        targets.append((f"G2: {n:,}-op chain forward + backward < 1 s", f"{fmt_ms(ms)} ms",
                        ms < CHAIN_LIMIT_MS))
    if memory is not None:
        if "error" in memory:
            targets.append((f"memory flat over {opts.memory_iters} iterations of C",
                            f"error: {memory['error']}", False))
        else:
            a, b = memory["marks"][str(memory["first"])], memory["marks"][str(memory["iters"])]
            flat = b["peak"] - a["peak"] <= max(2.0, 0.02 * a["peak"])
            targets.append((f"{memory['key']}: memory flat over {memory['iters']} iterations",
                            f"RSS {a['rss']:.0f} MB after {memory['first']}, {b['rss']:.0f} MB "
                            f"after {memory['iters']}; peak {a['peak']:.0f} → {b['peak']:.0f} MB",
                            flat))
    lines += ["", "Targets" + (" (they are for the full sizes: with --quick this table only "
                               "shows that the command works)" if opts.quick else "") + ".", "",
              "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'–' if met is None else 'yes' if met else 'NO'} |"
              for t, m, met in targets]
    absent = [f"{labels[i]}: {unavailable(i)}" for i in impls if unavailable(i) is not None]
    if absent:
        lines += ["", "Skipped: " + "; ".join(absent) + "."]
    return "\n".join(lines) + "\n", ok


def write_doc(path: Path, text: str) -> None:
    doc = path.read_text()
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path} has no {BEGIN} ... {END} markers to write the report between")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    atomic_write(path, f"{head}{BEGIN}\n{text}{END}{tail}")  # a failed write keeps the doc


def profile(key: str, quick: bool, impl: str, iters: int, top: int) -> str:
    """Markdown: where one training iteration's time goes, by cProfile, per iteration.

    cProfile does not see numpy ufunc calls, so a function's own time includes the numpy work
    it does (a VJP's own time is its arithmetic); the profiler's overhead inflates functions
    that make many small Python calls.
    """
    import cProfile
    import pstats

    w = workload(key, quick)
    X, Y, _ = make_data(w)
    runner = make_runner(impl, w, copy_params(make_params(w)), X, Y)
    for _ in range(3):
        runner.step()
    t0 = time.perf_counter()
    for _ in range(iters):
        runner.step()
    plain = (time.perf_counter() - t0) / iters * 1e6
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(iters):
        runner.step()
    prof.disable()
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in stats.values()) / iters * 1e6
    rows = sorted(stats.items(), key=lambda kv: -kv[1][2])[:top]
    root = str(ROOT) + os.sep
    lines = [f"{LABELS[impl]} on {describe(w)}: {plain:.1f} µs per iteration without the "
             f"profiler, {total:.1f} µs under cProfile ({iters} iterations).", "",
             "| function | calls per iteration | own µs per iteration | with callees µs |",
             "|---|---:|---:|---:|"]
    for (file, line, name), (_, calls, own, cum, _) in rows:
        where = f"{file.replace(root, '')}:{line} {name}" if line else name
        if name == "<lambda>" and f"{os.sep}ops{os.sep}" in file:
            where += f" ({_ops_lambda(file, line)})"
        lines.append(f"| `{where}` | {calls / iters:g} | {own / iters * 1e6:.1f} | "
                     f"{cum / iters * 1e6:.1f} |")
    return "\n".join(lines) + "\n"


def _ops_lambda(file: str, line: int) -> str:
    """Which op's forward or VJP the lambda on ``line`` of the op table's ``file`` is."""
    from tinygrad_course.ops import OPS

    for op in OPS:
        # a PerInput (concatenate, stack, einsum) makes VJPs on demand: iterating never ends
        vjps = op.vjps if isinstance(op.vjps, tuple) else ()
        roles = [("forward", op.forward), *((f"vjp {i}", v) for i, v in enumerate(vjps))]
        for role, fn in roles:
            code = getattr(fn, "__code__", None)
            if (code is not None and code.co_name == "<lambda>" and code.co_firstlineno == line
                    and code.co_filename == file):
                return f"{op.name} {role}"
    return "?"


# ---- the command ------------------------------------------------------------------------------
def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes, few iterations: seconds")
    p.add_argument("--only", default=",".join(WORKLOADS), help="workloads, e.g. A,B,G2")
    p.add_argument("--impl", default=DEFAULT_IMPLS, help="implementations: " + ",".join(IMPLS))
    p.add_argument("--rounds", type=int, default=None, help="fresh processes per implementation")
    p.add_argument("--min-iters", type=int, default=20, help="timed iterations per workload")
    p.add_argument("--min-time", type=float, default=None, help="timed seconds per workload")
    p.add_argument("--memory-iters", type=int, default=2500,
                   help="engine iterations of C for the memory target (0: skip)")
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS/OpenMP threads for every implementation (default: numpy's own)")
    p.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                   help="before each timing process, wait up to SECONDS for other processes "
                        "to leave the cores idle (a shared machine)")
    p.add_argument("--no-paired", dest="paired", action="store_false",
                   help="skip the paired mode (ABBA blocks against hand-written numpy in one "
                        "process, for " + ", ".join(PAIRED) + ")")
    p.add_argument("--paired-time", type=float, default=None,
                   help="seconds of ABBA blocks per paired implementation and workload")
    p.add_argument("--paired-blocks", type=int, default=None,
                   help="at least this many ABBA blocks per paired implementation")
    p.add_argument("--write-doc", type=Path, help="write the report into this markdown file")
    p.add_argument("--json", type=Path, help="also save the raw results here")
    p.add_argument("--profile", metavar="KEY", help="profile one workload instead of timing")
    p.add_argument("--profile-impl", default="engine", help="implementation to profile")
    p.add_argument("--profile-iters", type=int, default=500, help="iterations to profile")
    p.add_argument("--profiles", default=None, metavar="KEYS",
                   help="workloads whose engine profile ends the report (default A,B,D; none "
                        "with --quick)")
    p.add_argument("--as-json", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--worker", nargs=2, metavar=("KEY", "IMPL"), help=argparse.SUPPRESS)
    p.add_argument("--check", metavar="KEY", help=argparse.SUPPRESS)
    p.add_argument("--lines", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--paired-worker", nargs=2, metavar=("KEY", "IMPL"), help=argparse.SUPPRESS)
    p.add_argument("--memory", metavar="KEY", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.rounds is None:
        opts.rounds = 1 if opts.quick else 4
    if opts.min_time is None:
        opts.min_time = 0.0 if opts.quick else 1.5
    if opts.profiles is None:
        opts.profiles = "" if opts.quick else "A,B,D"
    if opts.paired_time is None:
        opts.paired_time = 0.05 if opts.quick else 3.0
    if opts.paired_blocks is None:
        opts.paired_blocks = 3 if opts.quick else 8
    if opts.quick and opts.memory_iters == 2500:
        opts.memory_iters = 50
    opts.command = "python -m benchmarks.run" + "".join(
        f" {a}" for a in (argv if argv is not None else sys.argv[1:]))
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    q = opts.quick
    if opts.worker:
        key, impl = opts.worker
        print(json.dumps(time_one(key, impl, q, opts.min_iters, opts.min_time)))
        return 0
    if opts.check:
        print(json.dumps(check(opts.check, q, opts.impl.split(","), opts.lines)))
        return 0
    if opts.paired_worker:
        key, impl = opts.paired_worker
        print(json.dumps(paired_one(key, impl, q, opts.paired_blocks, opts.paired_time)))
        return 0
    if opts.memory:
        print(json.dumps(memory_run(opts.memory, q, opts.memory_iters, opts.memory_iters // 5)))
        return 0
    if opts.profile:
        text = profile(opts.profile, q, opts.profile_impl, opts.profile_iters, 20)
        print(json.dumps({"profile": text}) if opts.as_json else text, end="\n" if opts.as_json
              else "")
        return 0

    keys = [k for k in opts.only.split(",") if k]
    impls = [i for i in opts.impl.split(",") if i]
    for bad in [k for k in keys if k not in WORKLOADS] + [i for i in impls if i not in IMPLS]:
        raise SystemExit(f"unknown workload or implementation {bad!r}: workloads "
                         f"{', '.join(WORKLOADS)}; implementations {', '.join(IMPLS)}")
    if "numpy" not in impls:
        impls.insert(0, "numpy")
    t0 = time.perf_counter()
    if opts.threads:  # inherited by the timing processes before they import numpy or torch
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(opts.threads)
    facts = machine()
    flags = ["--quick"] if q else []
    per_round = ["--min-iters", str(-(-opts.min_iters // opts.rounds)),
                 "--min-time", str(opts.min_time / opts.rounds)]
    checks: dict[str, Any] = {}
    build: dict[str, dict[str, float]] = {}
    skipped: dict[tuple[str, str], str] = {}
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    paired: dict[tuple[str, str], dict[str, Any]] = {}
    waited, retried = 0.0, 0
    for key in keys:
        w = workload(key, q)
        todo = [i for i in impls if unavailable(i) is None and w.kind in KINDS.get(i, w.kind)]
        for i in [i for i in todo if q and key not in QUICK_KEYS.get(i, (key,))]:
            skipped[key, i] = (f"with --quick only on {', '.join(QUICK_KEYS[i])} (one workload "
                               "of each kind)")
        todo = [i for i in todo if (key, i) not in skipped]
        first = spawn(["--check", key, "--impl",
                       ",".join(i for i in impls if i not in SLOW_BUILD), *flags])
        checks[key] = first.get("diffs", first)
        build[key] = first.get("seconds", {})
        slow = [i for i in todo if i in SLOW_BUILD]
        if slow:
            # a process of their own, killed after BUILD_LIMIT s without a result: a trace or
            # a jit compile that runs away leaves its cells "not run" with the reason
            merged, reasons = check_slow(key, slow, flags)
            checks[key].update(merged["diffs"])
            build[key].update(merged["seconds"])
            skipped.update({(key, i): why for i, why in reasons.items()})
        todo = [i for i in todo if (key, i) not in skipped]
        for _ in range(opts.rounds):
            for impl in todo:
                # with --wait-quiet, a timing process that other processes disturbed (they
                # used more than BUSY of the cores meanwhile) is run again, up to twice
                tries = 3 if opts.wait_quiet else 1
                for attempt in range(tries):
                    waited += wait_until_quiet(opts.wait_quiet) if opts.wait_quiet else 0.0
                    r = spawn(["--worker", key, impl, *flags, *per_round])
                    if r.get("others", 0.0) <= BUSY or attempt == tries - 1:
                        break
                    retried += 1
                if (key, impl) not in runs or "error" in r:
                    runs[key, impl] = r
                elif "error" not in runs[key, impl]:
                    old = runs[key, impl]
                    old["times"] += r["times"]
                    old["rounds"] += r["rounds"]
                    old["faults"] += r["faults"]
                    for field in ("rss_setup", "rss_peak", "others"):
                        old[field] = max(old.get(field) or 0, r.get(field) or 0)
        done = [f"{i} {statistics.median(runs[key, i]['times']) * 1e3:.3f} ms"
                for i in todo if "times" in runs[key, i]]
        print(f"{key}: " + ", ".join(done), file=sys.stderr, flush=True)
        if opts.paired:
            for impl in [i for i in PAIRED if i == "numpy" or i in todo]:
                tries = 3 if opts.wait_quiet else 1
                for attempt in range(tries):
                    waited += wait_until_quiet(opts.wait_quiet) if opts.wait_quiet else 0.0
                    r = spawn(["--paired-worker", key, impl, *flags, "--paired-blocks",
                               str(opts.paired_blocks), "--paired-time", str(opts.paired_time)])
                    if r.get("others", 0.0) <= BUSY or attempt == tries - 1:
                        break
                    retried += 1
                paired[key, impl] = r
            done = [f"{i} {r['median']:.3f}" for (k, i), r in paired.items()
                    if k == key and "median" in r]
            print(f"{key} paired: " + ", ".join(done), file=sys.stderr, flush=True)
    memory = None
    if opts.memory_iters and "C" in keys:
        memory = spawn(["--memory", "C", *flags, "--memory-iters", str(opts.memory_iters)])
    profiles = []
    for key in [k for k in opts.profiles.split(",") if k in keys]:
        waited += wait_until_quiet(opts.wait_quiet) if opts.wait_quiet else 0.0
        out = spawn(["--profile", key, "--as-json", *flags])
        profiles.append(out.get("profile") or f"profile of {key}: {out.get('error')}\n")
    facts["load average"] = f"{facts['load average']} at the start, {load_average()} at the end"
    used = sorted({r["threads"] for r in runs.values() if "threads" in r})
    facts["threads in the timing processes"] = (
        ", ".join(map(str, used)) + " (BLAS, and torch.set_num_threads likewise)"
        + (f", set by --threads {opts.threads}" if opts.threads else ", numpy's default"))
    opts.waited, opts.retried = waited, retried
    text, ok = report(opts, facts, checks, runs, memory, impls, keys, time.perf_counter() - t0,
                      paired=paired, skipped=skipped, build=build)
    for key, prof in zip([k for k in opts.profiles.split(",") if k in keys], profiles):
        text += (f"\nWhere the engine's iteration goes on {key} "
                 f"(`python -m benchmarks.run --profile {key}`, cProfile; numpy's ufuncs are "
                 "invisible to it, so a function's own time includes the array work it does):\n\n"
                 + prof)
    print(text)
    if opts.write_doc:
        write_doc(opts.write_doc, text)
    if opts.json:
        atomic_write(opts.json, json.dumps({
            "machine": facts, "checks": checks, "check_seconds": build, "memory": memory,
            "runs": [v for v in runs.values()], "paired": [v for v in paired.values()],
            "skipped": [{"key": k, "impl": i, "reason": why} for (k, i), why in skipped.items()]},
            indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
