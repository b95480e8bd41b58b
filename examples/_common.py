"""What the course examples share: the command line, the cat data, the report, the plots.

Not an example itself; ``logistic_regression_cats.py``, ``two_layer_cats.py``,
``deep_cats.py``, ``flower.py`` and ``course_results.py`` import it from this folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tinygrad_course import datasets
from tinygrad_course.nn import Model
from tinygrad_course.nn.plots import cost_curve_suffix, save_cost_curve

#: What loading the cat data can raise: a missing folder or file, no h5py, a wrong file.
DATA_ERRORS = (OSError, ImportError, datasets.DatasetError)

DATA_HELP = ("folder holding train_catvnoncat.h5 and test_catvnoncat.h5 (default: "
             f"${datasets.DATA_ENV_VAR}, else ../shared/data/catvnoncat beside the repository)")


@dataclass
class Result:
    """One training run: its settings, the cost of every iteration, the accuracies."""

    name: str
    settings: str
    costs: list[float]
    train_accuracy: float
    test_accuracy: float | None
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)


def parser(description: str, iterations: int, learning_rate: float,
           data: bool = True, out: str = ".", progress: bool = False) -> argparse.ArgumentParser:
    """The flags every example shares. ``out`` is --out's default; ``progress=True`` shows
    the progress bar unless --no-progress (else only with --progress)."""
    p = argparse.ArgumentParser(description=description)
    if data:
        p.add_argument("--data", metavar="DIR", help=DATA_HELP)
    p.add_argument("--iterations", type=int, default=iterations,
                   help=f"gradient-descent iterations (default {iterations}, the course's)")
    p.add_argument("--lr", type=float, default=learning_rate,
                   help=f"learning rate α (default {learning_rate}, the course's)")
    where = "the current folder" if out == "." else f"{out}, made if needed"
    p.add_argument("--out", metavar="DIR", default=out,
                   help=f"where to write the pictures (default: {where})")
    p.add_argument("--no-plot", action="store_true", help="write no file")
    if progress:
        p.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bar on stderr")
    else:
        p.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    return p


def load_cats(data: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_X (12288, 209), train_Y (1, 209), test_X (12288, 50), test_Y (1, 50)), the
    course's preprocessing: flatten each image to a column, divide by 255."""
    train_x, train_y, test_x, test_y, _ = datasets.load_catvnoncat(data)
    return (datasets.preprocess_images(train_x), train_y.astype(np.float64),
            datasets.preprocess_images(test_x), test_y.astype(np.float64))


def fail(message: str) -> int:
    """The error as one line on stderr (a line break in a path written as \\n); status 2."""
    one_line = message.translate({ord("\n"): "\\n", ord("\r"): "\\r"})
    print(f"{Path(sys.argv[0]).name}: error: {one_line}", file=sys.stderr)
    return 2


def percent(fraction: float) -> str:
    return f"{100 * fraction:.2f} %"


def report(result: Result, course_train: str, course_test: str | None) -> None:
    print(f"train accuracy: {percent(result.train_accuracy)}   (course: {course_train})")
    if result.test_accuracy is not None:
        print(f"test accuracy:  {percent(result.test_accuracy)}   (course: {course_test})")


def save_plot(result: Result, out: str, stem: str, learning_rate: float,
              no_plot: bool) -> Path | None:
    """The cost curve as ``{stem}_cost.png`` (matplotlib) or, without matplotlib,
    ``{stem}_cost.svg`` (the project's own drawing); prints and returns its path."""
    if no_plot:
        return None
    path = save_cost_curve(result.costs, Path(out) / f"{stem}_cost{cost_curve_suffix()}",
                           title=result.name, learning_rate=learning_rate)
    print(f"cost curve: {path}")
    return path


def fit(model: Model, X: np.ndarray, Y: np.ndarray, learning_rate: float, iterations: int,
        print_cost: bool, progress: bool) -> tuple[list[float], float]:
    import time

    start = time.perf_counter()
    costs = model.fit(X, Y, learning_rate=learning_rate, num_iterations=iterations,
                      print_cost=print_cost, progress=progress)
    return costs, time.perf_counter() - start


def out_dir_problem(out: str) -> str | None:
    """Make the folder ``out`` if it is missing and try writing a file in it (what can be
    written is not what the permission bits say: root, read-only mounts, ACLs); a one-line
    complaint, or None when the pictures can go there."""
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except FileExistsError:
        return f"--out {out}: not a folder"
    except OSError as err:
        reason = err.strerror or type(err).__name__
        return f"--out {out}: not a writable folder ({reason})"
    return None


def check_common(args: argparse.Namespace) -> str | None:
    """A one-line complaint about the shared arguments, or None; makes the --out folder."""
    if args.iterations < 0:
        return f"--iterations must be >= 0, got {args.iterations}"
    if not args.lr > 0:
        return f"--lr must be positive, got {args.lr}"
    if not args.no_plot:
        return out_dir_problem(args.out)
    return None


def cat_main(argv: Sequence[str] | None, description: str, run: Callable[..., Result],
             defaults: tuple[int, float], course: tuple[str, str], stem: str,
             with_save: bool = False) -> int:
    """The command line every cat example shares: parse, train, report, plot."""
    p = parser(description, *defaults)
    if with_save:
        p.add_argument("--save", metavar="FILE", help="save the trained model (.npz)")
    args = p.parse_args(argv)
    problem = check_common(args)
    if problem:
        return fail(problem)
    extra = {"save": args.save} if with_save else {}
    try:
        result = run(args.data, args.iterations, args.lr, progress=args.progress, **extra)
    except DATA_ERRORS as err:
        return fail(str(err))
    report(result, *course)
    try:
        save_plot(result, args.out, stem, args.lr, args.no_plot)
    except OSError as err:  # files.FileError: its message names the path and the reason
        return fail(str(err))
    return 0
