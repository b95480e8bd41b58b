"""The command line: ``tinygrad-course graph | train | demo`` (also ``python -m tinygrad_course``).

Every user error (a bad expression, a missing or damaged file, an expression too big to
compute, an output that cannot be written) ends in one line on stderr and exit status 2,
never a traceback and never a hang. Outputs are checked before any work (regular files only;
the picture's format follows its extension) and written whole or not at all; Ctrl-C or
SIGTERM ends the command with status 130, leaving no partial file. docs/reliability.md
lists each promise and the test that shows it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tensor import Tensor


class UsageError(Exception):
    """A problem with what the user typed: reported in one line, exit status 2."""


#: -o's extension -> what is written. svg and dot are always possible; png and pdf need a
#: renderer that makes them (render.FORMATS says which).
OUTPUT_FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".png": "png", ".pdf": "pdf"}
MAX_NAME = 64  # characters in --name


def _target(path: str) -> Path:
    """An output path checked before any work: absent or a regular file, in a folder that
    exists."""
    from .files import FileError, check_target

    try:
        return check_target(path)
    except FileError as err:  # its message names the path
        raise UsageError(str(err)) from None


def _check_name(name: str) -> str:
    """--name must be printable text that a terminal and an SVG can carry."""
    shown = name.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    if not name or len(name) > MAX_NAME:
        raise UsageError(f"--name {shown[:MAX_NAME]!r}: give 1 to {MAX_NAME} characters")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a byte that is not UTF-8 arrives as a lone surrogate
        raise UsageError(f"--name {shown!r}: not valid UTF-8 text") from None
    if not name.isprintable():
        raise UsageError(f"--name {shown!r}: control characters are not allowed")
    return name


class _Parser(argparse.ArgumentParser):
    """argparse's parser whose errors are one line (its usage text is one --help away)."""

    def error(self, message: str) -> Any:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tinygrad-course",
        description="Computation graphs and course networks on the tinygrad_course engine.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_graph_command(sub)
    add_train_command(sub)
    return parser


# ---- graph ---------------------------------------------------------------------------------
def add_graph_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "graph", help="evaluate an expression, run backward, draw its graph",
        description="Evaluate EXPRESSION on the --set values, run backward from the result, "
        "print the result and each input's gradient, and draw the computation graph with "
        "values and gradients. Allowed: numbers, names, + - * / ** @, parentheses and "
        "sigmoid, tanh, relu, leaky_relu, log, exp, sum, mean. Nothing typed is executed; "
        "an expression whose steps would exceed 10,000,000 elements is refused before "
        "computing.",
        epilog='example: tinygrad-course graph "3*(a + b*c)" --set a=5 b=3 c=2 -o J.svg  '
        '(an expression starting with "-": put the options first, then -- "-a*b")')
    p.add_argument("expression", help='e.g. "3*(a + b*c)" or "mean(sigmoid(W @ x + b))"')
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="input values: a number (a=5), nested lists (W=[[1,2],[3,4]]) or a "
                   ".npy file (W=weights.npy)")
    p.add_argument("-o", "--output", default="graph.svg",
                   help="picture to write: .svg, .png or .pdf (where a renderer can make "
                   "them), or .dot/.gv for the DOT text (default: graph.svg)")
    p.add_argument("--name", default="J", help="name of the result (default: J)")
    p.add_argument("--backward-edges", action="store_true",
                   help="also draw the derivatives flowing right to left (red edges)")
    p.add_argument("--max-elements", type=int, default=6,
                   help="show values of tensors with at most this many elements (default: 6)")
    p.add_argument("--rankdir", choices=["LR", "TB"],
                   help="layout direction (default: LR, left to right; TB, top to bottom, "
                   "for the layer view of a network)")
    p.add_argument("--code", action="store_true",
                   help="also print the forward and backward pass as the numpy code tc.trace "
                   "generates for the expression (docs/tracing.md)")
    add_steps_flags(p, "the backward pass")
    p.set_defaults(run=run_graph)


def add_steps_flags(p: argparse.ArgumentParser, what: str) -> None:
    """--steps, --steps-json and --frames: ``what`` step by step (docs/stepping.md)."""
    p.add_argument("--steps", metavar="FILE.html",
                   help=f"also write {what} step by step as one page to click through "
                   "(self-contained: opens from disk)")
    p.add_argument("--steps-json", metavar="FILE.json",
                   help="also write the steps as data (the format of docs/stepping.md)")
    p.add_argument("--frames", metavar="DIR",
                   help="also write one SVG a step into DIR: step-000.svg, step-001.svg, ...")
    p.add_argument("--steps-by", choices=["auto", "step", "layer"], default="auto",
                   help="step the page and the frames one chain-rule share at a time (step) "
                   "or one layer's forward or backward at a time (layer); auto: by layer when "
                   "the network is big enough for the layer view (default)")


def run_graph(args: argparse.Namespace) -> int:
    """Parse (whitelist, never eval), evaluate on Tensors, backward, print, draw.

    The result must be one number (backward starts from dJ/dJ = 1): wrap an array-valued
    expression in sum(...) or mean(...)."""
    import numpy as np

    from .expr import ExprError, evaluate, input_names, parse, parse_value
    from .graph import topological_order
    from .tensor import Tensor

    out, fmt = _picture_target(args.output)
    _check_steps_targets(args)
    _check_name(args.name)
    stepping = any(x is not None for x in (args.steps, args.steps_json, args.frames))
    try:
        tree = parse(args.expression)
        names = input_names(tree)
        values: dict[str, Tensor] = {}
        for item in args.set:
            name, sep, text = item.partition("=")
            name = name.strip()
            if not sep or not name.isidentifier():
                raise UsageError(f"--set {item[:40]!r}: expected NAME=VALUE, e.g. a=5")
            if name not in names:
                reads = ", ".join(names) or "no names"
                print(f"tinygrad-course graph: note: --set {name} is not used; the expression "
                      f"reads {reads}", file=sys.stderr)
                continue
            if name in values:
                raise UsageError(f"--set {name}: given twice")
            values[name] = Tensor(parse_value(text), requires_grad=True, name=name)
        missing = [n for n in names if n not in values]
        if missing:
            raise UsageError(f"no value for {', '.join(missing)}: give "
                             + " ".join(f"--set {n}=..." for n in missing))
        if args.name in values:
            raise UsageError(f"an input is called {args.name}, like the result: "
                             "name the result differently with --name")
        J = evaluate(tree, values)
        if not isinstance(J, Tensor) or not J.requires_grad:
            raise UsageError("the expression reads no input, so there is nothing to "
                             "differentiate: use a name, e.g. 3*a --set a=4")
        if J.size != 1:
            raise UsageError(f"the result has shape {J.shape}, not one number; backward "
                             "starts from one value: wrap the expression in sum(...) or mean(...)")
        if J.is_leaf:  # the expression is a bare input: draw it as J = 1·a
            J = J * 1.0
        J.name = args.name
        for t in topological_order([J]):
            if not t.is_leaf:
                t.retain_grad()  # every dJ/d· in the picture, as in the lecture
        steps = _backward_steps(J, args) if stepping else None  # before backward frees
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            J.backward()
    except ExprError as err:
        raise UsageError(str(err)) from None
    except FloatingPointError as err:
        raise UsageError(f"arithmetic error in the backward pass: {err}") from None

    def show(label: str, value: np.ndarray) -> str:
        if value.size == 1:
            return f"{label} = {value.item():.6g}"
        text = np.array2string(value, precision=6, separator=", ")
        return f"{label} =\n{text}"

    print(show(args.name, J.data))
    for name, t in values.items():
        print(show(f"d{args.name}/d{name}", np.asarray(t.grad)))

    options = {"backward_edges": args.backward_edges, "max_elements": args.max_elements,
               "rankdir": args.rankdir}
    outputs = [(out, _picture(J, fmt, options))]  # everything is made before anything is written
    if steps is not None:
        outputs += _steps_outputs(J, steps, args)
    code = _generated_code(tree, values, args.name) if args.code else None
    _write_all(outputs)
    if code is not None:
        print(code, end="")
    return 0


def _picture_target(output: str) -> tuple[Path, str]:
    """-o checked before any work: a known extension, a regular file or none."""
    from .render import FORMATS, RenderError, formats_available

    out = _target(output)
    fmt = OUTPUT_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"-o {output}: unknown picture format {out.suffix or '(none)'!r}; "
                         f"use one of {', '.join(OUTPUT_FORMATS)}")
    if fmt in FORMATS:
        try:
            formats_available(fmt)
        except RenderError as err:
            raise UsageError(f"-o {output}: {' '.join(str(err).split())}") from None
    return out, fmt


def _picture(J: Tensor, fmt: str, options: dict[str, Any]) -> bytes:
    """The graph of J as the bytes of an SVG, PNG, PDF or DOT file."""
    from .render import RenderError, render
    from .viz import draw_graph

    try:
        dot = draw_graph(J, **options).source
        return dot.encode("utf-8") if fmt == "dot" else render(dot, fmt)
    except RenderError as err:
        raise UsageError(" ".join(str(err).split())) from None


def _write_all(outputs: Sequence[tuple[Path, Any]]) -> None:
    """Write each (path, bytes or frames) whole, saying so; a failure is one line."""
    from .files import FileError, atomic_write
    from .steps_page import write_frames

    for path, content in outputs:
        try:
            if isinstance(content, list):
                write_frames(content, path)
                print(f"wrote {len(content)} frames to {path}")
            else:
                print(f"wrote {atomic_write(path, content)}")
        except FileError as err:
            raise UsageError(str(err)) from None

def _generated_code(tree: Any, values: dict[str, Tensor], name: str) -> str:
    """The numpy that tc.trace writes for the expression, its inputs named as typed."""
    from .expr import evaluate
    from .tracer import trace

    order = list(values)

    def expression(*tensors: Tensor) -> Tensor:
        J = evaluate(tree, dict(zip(order, tensors)))
        J = J * 1.0 if J.is_leaf else J
        J.name = name
        return J

    return trace(expression, *values.values()).source


def _backward_steps(J: Tensor, args: argparse.Namespace) -> Any:
    from .stepper import backward_steps

    return backward_steps(J, max_elements=args.max_elements)


def _check_steps_targets(args: argparse.Namespace) -> None:
    """--steps-json and --steps are regular files or new; --frames a folder or new."""
    for path in (args.steps_json, args.steps):
        if path is not None:
            _target(path)
    if args.frames is not None and Path(args.frames).exists() and not Path(args.frames).is_dir():
        raise UsageError(f"cannot write frames into {args.frames}: it is not a folder")


def _steps_outputs(J: Tensor, steps: Any, args: argparse.Namespace) -> list[tuple[Path, Any]]:
    """The data, the page and the frames asked for, made in memory; a failure is one line."""
    from .render import RenderError
    from .steps_page import frames_text, page_text

    options = {"steps": steps, "max_elements": args.max_elements, "rankdir": args.rankdir,
               "by": args.steps_by}
    outputs: list[tuple[Path, Any]] = []
    try:
        if args.steps_json is not None:
            outputs.append((Path(args.steps_json), steps.to_json().encode("utf-8")))
        if args.steps is not None:
            outputs.append((Path(args.steps), page_text(J, **options).encode("utf-8")))
        if args.frames is not None:
            outputs.append((Path(args.frames), frames_text(J, **options)))
    except RenderError as err:
        raise UsageError(" ".join(str(err).split())) from None
    return outputs


# ---- train ---------------------------------------------------------------------------------
#: The course's settings for each data set; every flag overrides its entry.
TRAIN_DEFAULTS = {
    "cats": {"layers": "12288,20,7,5,1", "hidden": "relu", "init": "xavier", "seed": "1",
             "lr": "0.0075", "iterations": "2500"},
    "flower": {"layers": "2,4,1", "hidden": "tanh", "init": "small", "seed": "2",
               "lr": "1.2", "iterations": "10000"},
}


def add_train_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train a course network on the cat/non-cat or flower data",
        description="Train an L-layer network (DeepNN) by batch gradient descent on the "
        "engine, printing the cost every 100 iterations and the final accuracies. Flags left "
        "out take the course's settings for the data: the 4-layer 12288-20-7-5-1 relu network "
        "(xavier init, seed 1, lr 0.0075, 2500 iterations) for the cats, the 2-4-1 tanh network "
        "(small init, seed 2, lr 1.2, 10000 iterations) for the flower.",
        epilog="example: tinygrad-course train --data ../shared/data/catvnoncat --layers "
        "12288,7,1 --init small --iterations 2500 --plot cost.png  (--layers 12288,1 --init "
        "zeros --lr 0.005 --iterations 2000 is the week-2 logistic regression)")
    p.add_argument("--data", metavar="DIR|flower",
                   help="folder holding train_catvnoncat.h5 and test_catvnoncat.h5, or 'flower' "
                   "for the generated week-3 data (default: $TINYGRAD_COURSE_DATA, else "
                   "../shared/data/catvnoncat beside the repository)")
    p.add_argument("--layers", help="layer sizes n_x,n1,...,1, e.g. 12288,20,7,5,1")
    p.add_argument("--hidden", metavar="relu|leaky_relu|tanh|sigmoid",
                   help="hidden activation")
    p.add_argument("--init", metavar="zeros|small|xavier|he", help="weight initialisation")
    p.add_argument("--seed", help="seed of the np.random.RandomState the weights come from")
    p.add_argument("--lr", help="learning rate α")
    p.add_argument("--iterations", help="number of gradient-descent iterations")
    p.add_argument("--plot", metavar="FILE.png", help="save the cost curve (needs matplotlib)")
    p.add_argument("--save", metavar="FILE.npz", help="save the trained model")
    p.add_argument("--compiled", action="store_true",
                   help="run each iteration as the straight-line numpy tc.trace generates "
                   "(the same numbers; docs/tracing.md)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (shown by default when stderr is a terminal)")
    add_steps_flags(p, "the first iteration's backward pass")
    p.set_defaults(run=run_train, max_elements=6, rankdir=None)


def run_train(args: argparse.Namespace) -> int:
    """Load the data, check every flag against it, train, report; user errors are one line."""
    import numpy as np

    from . import datasets, nn
    from .nn.modelfile import MAX_PARAMETERS
    from .nn.plots import matplotlib_available, save_cost_curve

    kind = "flower" if args.data == "flower" else "cats"
    given = {k: getattr(args, k) for k in TRAIN_DEFAULTS[kind]}
    opt = {k: v if v is not None else TRAIN_DEFAULTS[kind][k] for k, v in given.items()}

    def number(flag: str, convert: type[int] | type[float], low: float) -> float:
        try:
            value = convert(opt[flag])
        except ValueError:
            expected = "an integer" if convert is int else "a number"
            raise UsageError(f"--{flag} {opt[flag]!r}: expected {expected}") from None
        if not (value >= low and np.isfinite(value)):
            bound = "positive" if low > 0 else ">= 0"
            raise UsageError(f"--{flag} {opt[flag]}: must be {bound} and finite")
        return value

    seed, iterations = int(number("seed", int, 0)), int(number("iterations", int, 0))
    lr = number("lr", float, float(np.finfo(float).tiny))
    if seed >= 2**32:
        raise UsageError(f"--seed {seed}: a RandomState seed must be below 2**32")
    for flag, choices in (("hidden", nn.ACTIVATIONS), ("init", nn.INITS)):
        if opt[flag] not in choices:
            raise UsageError(f"--{flag} {opt[flag]!r}: expected one of {', '.join(choices)}")
    try:
        layers = [int(n) for n in opt["layers"].split(",")]
    except ValueError:
        raise UsageError(f"--layers {opt['layers']!r}: expected sizes separated by commas, "
                         "e.g. 12288,20,7,5,1") from None
    if len(layers) < 2 or min(layers) < 1:
        raise UsageError(f"--layers {opt['layers']}: need n_x and at least one layer, every "
                         "size a positive integer")
    if layers[-1] != 1:
        raise UsageError(f"--layers {opt['layers']}: the output layer must have 1 unit "
                         "(Y is (1, m): one 0/1 label per example)")
    weights = sum(n * n_prev + n for n_prev, n in zip(layers, layers[1:]))
    if weights > MAX_PARAMETERS:  # what a model file may hold, so a trained model can be loaded
        raise UsageError(f"--layers {opt['layers']}: {weights:,} parameters; the limit is "
                         f"{MAX_PARAMETERS:,} ({MAX_PARAMETERS * 8 // 2**20:,} MiB as float64)")
    for path in (args.plot, args.save):
        if path is not None:
            _target(path)
    _check_steps_targets(args)
    if args.plot is not None and not matplotlib_available():
        raise UsageError('--plot needs matplotlib: pip install "tinygrad_course[plot]"')

    if kind == "flower":
        train_X, train_Y = datasets.planar_flower()
        test_X, test_Y = datasets.planar_flower(seed=2)
        what = ("the week-3 flower (400 points, seed 1); test: a second flower drawn with "
                "seed 2")
    else:
        try:
            train_x, train_y, test_x, test_y, _ = datasets.load_catvnoncat(args.data)
        except ImportError as err:
            raise UsageError(str(err)) from None
        except datasets.DatasetNotFoundError as err:
            raise UsageError(f"{err} (or use --data flower, which needs no files)") from None
        except (OSError, datasets.DatasetError) as err:
            raise UsageError(str(err)) from None
        train_X, test_X = datasets.preprocess_images(train_x), datasets.preprocess_images(test_x)
        train_Y, test_Y = train_y.astype(np.float64), test_y.astype(np.float64)
        what = (f"cat/non-cat images from {args.data or datasets.default_data_dir()} "
                f"({train_X.shape[1]} train, {test_X.shape[1]} test)")
    if layers[0] != train_X.shape[0]:
        raise UsageError(f"--layers starts with n_x = {layers[0]}, but the {kind} data has "
                         f"n_x = {train_X.shape[0]} input features per example")

    model = nn.DeepNN(layers, hidden_activation=opt["hidden"], init=opt["init"],
                      rng=np.random.RandomState(seed))
    print(f"data: {what}")
    print(f"model: {layers} ({opt['hidden']} hidden, sigmoid output), {opt['init']} init from "
          f"RandomState({seed}); learning rate {lr:g}, {iterations} iterations", flush=True)
    if args.steps or args.steps_json or args.frames:  # iteration 0's graph, before training
        J = model.cost(train_X, train_Y)
        _write_all(_steps_outputs(J, _backward_steps(J, args), args))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # judged just below
        costs = model.fit(train_X, train_Y, learning_rate=lr, num_iterations=iterations,
                          print_cost=True, progress=not args.no_progress and sys.stderr.isatty(),
                          compiled=args.compiled)
    bad = np.flatnonzero(~np.isfinite(costs))
    if bad.size:  # nothing is saved or plotted from a network that diverged
        raise UsageError(f"training diverged: the cost is {costs[bad[0]]} from iteration "
                         f"{bad[0]} on; try a smaller --lr than {lr:g}")
    print(f"train accuracy: {100 * model.accuracy(train_X, train_Y):.2f} %")
    print(f"test accuracy:  {100 * model.accuracy(test_X, test_Y):.2f} %")
    try:
        if args.plot is not None:
            print(f"cost curve: {save_cost_curve(costs, args.plot, learning_rate=lr)}")
        if args.save is not None:
            print(f"model saved: {model.save(args.save)}")
    except OSError as err:  # files.FileError: its message names the path and the reason
        raise UsageError(str(err)) from None
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors are one line on stderr and status 2, an interrupt
    (Ctrl-C, SIGTERM) status 130. Set TINYGRAD_COURSE_DEBUG=1 to see a traceback of an
    internal error (a bug: please report it) instead of its one line, status 70."""
    _tolerant_streams()
    args = build_parser().parse_args(argv)
    prefix = f"tinygrad-course {args.command}: error:"
    try:
        with _sigterm_as_interrupt():
            return int(args.run(args))
    except UsageError as err:  # one line, even for a path holding a line break
        print(f"{prefix} {str(err).translate(_ONE_LINE)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinygrad-course {args.command}: interrupted; no file was left half-written",
              file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{prefix} out of memory; try smaller inputs", file=sys.stderr)
        return 2
    except Exception as err:
        if os.environ.get("TINYGRAD_COURSE_DEBUG"):
            raise
        text = " ".join(str(err).split())[:300]
        print(f"{prefix} internal error, a bug in tinygrad_course ({type(err).__name__}: {text});"
              " please report it, with TINYGRAD_COURSE_DEBUG=1 for the traceback",
              file=sys.stderr)
        return 70


_ONE_LINE = {ord("\n"): "\\n", ord("\r"): "\\r"}


def _tolerant_streams() -> None:
    """Text the terminal cannot show (a name in Greek on an ASCII console) is escaped, not
    an exception."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt, so that the cleanup of Ctrl-C runs for it too (a
    renderer is stopped, a temporary file removed). Only the main thread can set it."""
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
