"""The command line: ``tinygrad-course graph | train | demo`` (also ``python -m tinygrad_course``).

Every user error (a bad expression, a missing file) ends in one line on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


class UsageError(Exception):
    """A problem with what the user typed: reported in one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
        "sigmoid, tanh, relu, leaky_relu, log, exp, sum, mean. Nothing typed is executed.",
        epilog='example: tinygrad-course graph "3*(a + b*c)" --set a=5 b=3 c=2 -o J.svg  '
        '(an expression starting with "-": put the options first, then -- "-a*b")')
    p.add_argument("expression", help='e.g. "3*(a + b*c)" or "mean(sigmoid(W @ x + b))"')
    p.add_argument("--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="input values: a number (a=5), nested lists (W=[[1,2],[3,4]]) or a "
                   ".npy file (W=weights.npy)")
    p.add_argument("-o", "--output", default="graph.svg",
                   help="picture to write: .svg, or .dot/.gv for the DOT text "
                   "(default: graph.svg)")
    p.add_argument("--name", default="J", help="name of the result (default: J)")
    p.add_argument("--backward-edges", action="store_true",
                   help="also draw the derivatives flowing right to left (red edges)")
    p.add_argument("--max-elements", type=int, default=6,
                   help="show values of tensors with at most this many elements (default: 6)")
    p.add_argument("--rankdir", choices=["LR", "TB"], default="LR",
                   help="layout direction (default: LR, left to right)")
    p.set_defaults(run=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    """Parse (whitelist, never eval), evaluate on Tensors, backward, print, draw.

    The result must be one number (backward starts from dJ/dJ = 1): wrap an array-valued
    expression in sum(...) or mean(...)."""
    from pathlib import Path

    import numpy as np

    from .expr import ExprError, evaluate, input_names, parse, parse_value
    from .graph import topological_order
    from .render import RenderError
    from .tensor import Tensor
    from .viz import draw_graph, save_svg

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

    out = Path(args.output)
    options = {"backward_edges": args.backward_edges, "max_elements": args.max_elements,
               "rankdir": args.rankdir}
    try:
        if out.suffix.lower() in (".dot", ".gv"):
            out.write_text(draw_graph(J, **options).source, encoding="utf-8")
        else:
            save_svg(J, out, **options)
    except RenderError as err:
        raise UsageError(" ".join(str(err).split())) from None
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror or err}") from None
    print(f"wrote {out}")
    return 0


# ---- train ---------------------------------------------------------------------------------
def add_train_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a course network on the cat/non-cat or flower data")
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    raise UsageError("train: not implemented yet")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as err:
        print(f"tinygrad-course {args.command}: error: {err}", file=sys.stderr)
        return 2
