"""Build the course notebooks: each Jupytext source (the file of record) becomes an .ipynb,
executed top to bottom in a real Jupyter kernel, saved with its outputs beside the source.

    python examples/notebooks/build.py                          # all five
    python examples/notebooks/build.py week2_computation_graph  # some (stems or paths)
    python examples/notebooks/build.py --check                  # convert only: fail if a
                                                                # committed .ipynb's cells
                                                                # differ from its source

The kernel is ipykernel's ``python3``, started with its working folder set to this folder and
``PYTHONPATH`` starting with this checkout, so it imports this checkout's ``tinygrad_course``
(``kernel_package_file`` checks that before anything runs). Nothing is written besides the
.ipynb files: the kernel runs with ``PYTHONDONTWRITEBYTECODE=1`` and the notebooks save no files.

The output is deterministic for an unchanged engine: cell ids are their index, no execution
timings are recorded, and the notebook's metadata is the source's (no kernel version, no
Python version), so rebuilding gives an empty diff unless a printed number or a picture
changed. The pictures are SVG (Graphviz for the graphs; matplotlib with a fixed hash salt
and no date for the plots) and no widget is used.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
#: The files of record, in the course's order.
SOURCES = tuple(HERE / f"{stem}.py" for stem in (
    "week2_computation_graph", "week2_logistic_regression_cats", "week3_planar_flower",
    "week4_deep_network_step_by_step", "week4_deep_network_cats"))
KERNEL = "python3"
CELL_TIMEOUT = 900  # seconds a cell may run: the 4-layer cat network's 2500 iterations take minutes
INLINE = "module://matplotlib_inline.backend_inline"


def ipynb_path(source: Path) -> Path:
    return source.with_suffix(".ipynb")


def convert(source: Path) -> nbformat.NotebookNode:
    """The source as a notebook without outputs, as jupytext reads it, with stable cell ids."""
    nb = jupytext.read(source)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def kernel_env() -> dict[str, str]:
    """The kernel's environment: ours, with this checkout first on PYTHONPATH, no bytecode
    written, and matplotlib's inline backend (CI sets MPLBACKEND=Agg, which shows nothing)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MPLBACKEND"] = INLINE
    return env


def execute(nb: nbformat.NotebookNode, timeout: int = CELL_TIMEOUT,
            cwd: Path = HERE) -> nbformat.NotebookNode:
    """Run every cell of ``nb`` in order in a fresh kernel; the first error raises
    nbclient's CellExecutionError (naming the cell and the traceback)."""
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, record_timing=False,
                            allow_errors=False, coalesce_streams=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute(env=kernel_env(), cwd=str(cwd))
    return nb


def kernel_package_file() -> str:
    """The tinygrad_course that a kernel started as ``execute`` starts it imports."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import tinygrad_course\nprint(tinygrad_course.__file__)")])
    return str(execute(nb, timeout=60).cells[0].outputs[0]["text"]).strip()


def clean(nb: nbformat.NotebookNode, metadata: dict) -> nbformat.NotebookNode:
    """Keep what a reader needs, drop what changes from run to run or machine to machine."""
    nb.metadata = metadata
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def build(source: Path, timeout: int = CELL_TIMEOUT) -> float:
    """Convert, execute and save ``source``'s notebook; return the seconds the kernel took."""
    nb = convert(source)
    metadata = dict(nb.metadata)
    start = time.perf_counter()
    execute(nb, timeout)
    seconds = time.perf_counter() - start
    nbformat.validate(nb)
    out = ipynb_path(source)
    tmp = out.with_name(out.name + ".tmp")
    nbformat.write(clean(nb, metadata), tmp)
    tmp.replace(out)
    return seconds


def cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells]


def check(source: Path) -> str | None:
    """Why ``source``'s committed .ipynb is not its conversion, or None."""
    out = ipynb_path(source)
    if not out.is_file():
        return f"{out.name} is missing: run python examples/notebooks/build.py {source.stem}"
    if cells(nbformat.read(out, as_version=4)) != cells(convert(source)):
        return (f"{out.name}'s cells differ from {source.name}: run "
                f"python examples/notebooks/build.py {source.stem}")
    return None


def _sources(names: Sequence[str]) -> list[Path]:
    if not names:
        return list(SOURCES)
    chosen = []
    for name in names:
        stem = Path(name).stem
        matches = [s for s in SOURCES if s.stem == stem]
        if not matches:
            raise SystemExit(f"build.py: no notebook {name!r}; the notebooks are "
                             + ", ".join(s.stem for s in SOURCES))
        chosen += matches
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", help="stems or paths (default: all five)")
    p.add_argument("--check", action="store_true",
                   help="do not execute: fail if a committed .ipynb differs from its source")
    p.add_argument("--timeout", type=int, default=CELL_TIMEOUT,
                   help=f"seconds a cell may run (default {CELL_TIMEOUT})")
    args = p.parse_args(argv)
    sources = _sources(args.notebooks)
    if args.check:
        problems = [why for why in map(check, sources) if why]
        for why in problems:
            print(why, file=sys.stderr)
        return 1 if problems else 0
    found = Path(kernel_package_file()).resolve()
    if REPO not in found.parents:
        print(f"build.py: the kernel imports {found}, not this checkout's package under {REPO}",
              file=sys.stderr)
        return 1
    for source in sources:
        print(f"{source.stem}: executing ...", end=" ", flush=True)
        try:
            seconds = build(source, args.timeout)
        except CellExecutionError as err:
            print(f"failed\n{err}", file=sys.stderr)
            return 1
        print(f"{seconds:.1f} s -> {ipynb_path(source).relative_to(REPO)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
