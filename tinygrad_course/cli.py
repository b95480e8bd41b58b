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
    p = sub.add_parser("graph", help="evaluate an expression, run backward, draw its graph")
    p.set_defaults(run=run_graph)


def run_graph(args: argparse.Namespace) -> int:
    raise UsageError("graph: not implemented yet")


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
