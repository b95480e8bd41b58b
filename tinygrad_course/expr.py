"""Arithmetic typed by a user, evaluated on Tensors without ever executing it.

``parse("3*(a + b*c)")`` checks Python's syntax tree against a whitelist; ``evaluate(tree,
{"a": Tensor(5.), ...})`` walks it node by node (nothing is compiled or passed to eval).
Allowed: numbers, names, ``+ - * / ** @``, unary ``-``/``+``, parentheses, and calls of
FUNCTIONS (``sum``/``mean`` take ``axis``, ``leaky_relu`` takes ``slope``, positionally or by
keyword, as a number). The exponent of ``**`` must be a number. Everything else (attributes,
subscripts, lambdas, comprehensions, other calls, strings, ...) is an ExprError naming the
construct and its column, as are nesting deeper than MAX_DEPTH and overflow. An ``axis`` must
be a whole number of magnitude below MAX_AXIS. Before anything is computed, ``evaluate``
works out the shape of every intermediate result from the inputs' shapes (numpy's
broadcasting and matmul rules) and refuses an expression with one of more than MAX_ELEMENTS
elements, naming the step and the shapes: ``sum(a @ b)`` on a (24999, 1) column and a
(1, 49998) row would need 9.3 GiB.

``parse_value("[[1, 2], [3, 4]]")`` reads a --set value (a number, nested lists of numbers, or
a path to a .npy file) with its own, smaller whitelist. A .npy file must be a regular file
whose header declares a numeric array of at most MAX_ELEMENTS elements; the header is read
and checked before the data.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import ops
from .files import FileError, open_regular
from .tensor import Tensor

__all__ = ["ExprError", "FUNCTIONS", "MAX_AXIS", "MAX_CHARS", "MAX_DEPTH", "MAX_ELEMENTS",
           "evaluate", "input_names", "parse", "parse_value", "result_shapes"]

MAX_CHARS = 100_000   # longer text is refused before parsing
MAX_DEPTH = 100       # syntax-tree depth; the walkers below recurse at most this deep
MAX_AXIS = 64         # numpy arrays have at most 64 dimensions
# Elements of any one value, input or intermediate: 10⁷ float64 are 80 MB, and backward keeps
# a value and a gradient of each, so an expression of a few dozen steps stays within a few GB.
MAX_ELEMENTS = 10_000_000

# name -> (function, the one optional parameter it takes, or None)
FUNCTIONS: dict[str, tuple[Callable[..., Any], str | None]] = {
    "sigmoid": (ops.sigmoid, None), "tanh": (ops.tanh, None), "relu": (ops.relu, None),
    "leaky_relu": (ops.leaky_relu, "slope"), "log": (ops.log, None), "exp": (ops.exp, None),
    "sum": (ops.sum, "axis"), "mean": (ops.mean, "axis"),
}
_BINARY: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", ops.add), ast.Sub: ("-", ops.sub), ast.Mult: ("*", ops.mul),
    ast.Div: ("/", ops.div), ast.Pow: ("**", ops.power), ast.MatMult: ("@", ops.matmul),
}
_FORBIDDEN = {  # what to call a construct in an error message
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.List: "lists (give arrays with --set)", ast.Tuple: "tuples", ast.Dict: "dicts",
    ast.Set: "sets", ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if-else",
    ast.NamedExpr: "assignment (:=)", ast.JoinedStr: "f-strings", ast.Starred: "*unpacking",
    ast.Slice: "slices", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}


class ExprError(ValueError):
    """The expression or a value cannot be used; the message is one line saying why."""


def parse(text: str) -> ast.expr:
    """The syntax tree of ``text`` after checking every node against the whitelist."""
    tree = _parse(text, "expression")
    _check(tree)
    return tree


def input_names(tree: ast.expr) -> list[str]:
    """The names the expression reads, in order of first appearance."""
    found = [n.id for n in _nodes(tree) if isinstance(n, ast.Name)
             and n.id not in FUNCTIONS]
    return list(dict.fromkeys(found))


def evaluate(tree: ast.expr, values: Mapping[str, Any]) -> Any:
    """The value of a parsed expression: a Tensor when it reads a Tensor, else a float.

    numpy's overflow, division by zero and invalid operations raise ExprError here, as does
    an intermediate result of more than MAX_ELEMENTS elements (checked before computing)."""
    result_shapes(tree, {name: v.shape if isinstance(v, Tensor) else np.shape(v)
                         for name, v in values.items()})
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            return _eval(tree, values)
    except FloatingPointError as err:
        raise ExprError(f"arithmetic error: {err}") from None
    except (ValueError, TypeError) as err:  # the op table's shape and type messages
        if isinstance(err, ExprError):
            raise
        raise ExprError(str(err).replace("\n", " ")) from None


def parse_value(text: str) -> np.ndarray:
    """A --set value as a float64 array: ``5``, ``-1.5e-3``, ``[[1, 2], [3, 4]]`` or the path of
    a .npy file (read with allow_pickle=False)."""
    if text.strip().lower().endswith(".npy"):
        return _load_npy(text.strip())
    tree = _parse(text, "value")
    try:
        nested = _literal(tree, 0)
    except ExprError as err:
        raise ExprError(f"value {_short(text)}: {err}") from None
    try:
        array = np.array(nested, dtype=np.float64)
    except ValueError:
        raise ExprError(f"value {_short(text)}: the lists have different lengths") from None
    if not np.isfinite(array).all():
        raise ExprError(f"value {_short(text)}: numbers must be finite")
    return array


# ---- parsing ----------------------------------------------------------------------------------
def _parse(text: str, what: str) -> ast.expr:
    if len(text) > MAX_CHARS:
        raise ExprError(f"{what} is {len(text):,} characters long; the limit is {MAX_CHARS:,}")
    if not text.strip():
        raise ExprError(f"empty {what}")
    try:
        return ast.parse(text.strip(), mode="eval").body
    except SyntaxError as err:
        where = f" at column {err.offset}" if err.offset else ""
        raise ExprError(f"{what} is not valid syntax{where}: {err.msg}") from None
    except (RecursionError, MemoryError):  # the parser gives up on very deep nesting
        raise ExprError(f"{what} is nested too deeply to parse") from None
    except ValueError as err:  # e.g. null bytes on older Pythons
        raise ExprError(f"{what} cannot be parsed: {err}") from None


def _nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node, depth first, without recursion."""
    out, stack = [], [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return out


def _at(node: ast.AST) -> str:
    return f" (column {node.col_offset + 1})" if hasattr(node, "col_offset") else ""


def _check(tree: ast.expr) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(f"expression is nested more than {MAX_DEPTH} levels deep")
        children: list[ast.AST] = []
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed{_at(node)}; "
                                "use + - * / ** @")
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExprError(f"operator {type(node.op).__name__} is not allowed{_at(node)}")
            children = [node.operand]
        elif isinstance(node, ast.Constant):
            _number(node)
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise ExprError(f"{node.id} is a function: call it, {node.id}(...){_at(node)}")
        elif isinstance(node, ast.Call):
            children = [_check_call(node)]
        else:
            raise _refused(node)
        stack.extend((c, depth + 1) for c in children)


def _refused(node: ast.AST) -> ExprError:
    what = _FORBIDDEN.get(type(node), type(node).__name__)
    return ExprError(f"{what} not allowed{_at(node)}: expressions may use only numbers, names, "
                     "+ - * / ** @, parentheses and the functions " + ", ".join(FUNCTIONS))


def _check_call(node: ast.Call) -> ast.expr:
    """Check a call's form; return its one tensor argument."""
    if isinstance(node.func, ast.Attribute):
        raise _refused(node.func)
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS:
        shown = f"function {name!r}" if name else "calling an expression"
        raise ExprError(f"{shown} not allowed{_at(node)}: the functions are "
                        + ", ".join(FUNCTIONS))
    param = FUNCTIONS[name][1]
    extra = [*node.args[1:], *(k.value for k in node.keywords)]
    takes = f"{name}(x, {param}=NUMBER)" if param else f"{name}(x)"
    if (len(node.args) < 1 or any(isinstance(a, ast.Starred) for a in node.args)
            or any(k.arg != param for k in node.keywords) or len(extra) > (1 if param else 0)):
        raise ExprError(f"{name} takes {takes}{_at(node)}")
    for value in extra:
        _param(value, name, param)
    return node.args[0]


def _number(node: ast.AST, expected: str = "a number") -> float:
    """A numeric literal, possibly negated, as a finite float."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    literal = node.value if isinstance(node, ast.Constant) else None
    if not isinstance(literal, (int, float)) or isinstance(literal, bool):
        what = (type(literal).__name__ if isinstance(node, ast.Constant)
                else _FORBIDDEN.get(type(node), type(node).__name__))
        raise ExprError(f"expected {expected}, got {what}{_at(node)}")
    try:
        value = float(literal)
    except OverflowError:
        raise ExprError(f"number too large for a float{_at(node)}") from None
    if not np.isfinite(value):
        raise ExprError(f"number too large for a float{_at(node)}")
    return sign * value


def _param(node: ast.AST, fname: str, param: str | None) -> Any:
    value = _number(node)
    if param == "axis":
        if value != int(value) or abs(value) >= MAX_AXIS:
            raise ExprError(f"{fname}: axis must be a whole number between {-MAX_AXIS + 1} and "
                            f"{MAX_AXIS - 1}, got {value:g}{_at(node)}")
        return int(value)
    return value


# ---- sizes, before anything is computed ----------------------------------------------------
def result_shapes(tree: ast.expr, shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, ...] | None:
    """The shape of the expression's value from the inputs' shapes, checking that no value
    along the way has more than MAX_ELEMENTS elements (ExprError names the step and shapes).

    None where the shapes do not fit together: evaluating then raises the op's own message.
    """
    for name, shape in shapes.items():
        _fits(shape, name)
    return _shape(tree, shapes)


def _fits(shape: tuple[int, ...], what: str) -> tuple[int, ...]:
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise ExprError(f"{what} would have shape {shape} = {size:,} elements "
                        f"({size * 8 / 2**30:.1f} GiB as float64); the limit is "
                        f"{MAX_ELEMENTS:,} elements for any value")
    return shape


def _shape(node: ast.expr, shapes: Mapping[str, tuple[int, ...]]) -> tuple[int, ...] | None:
    if isinstance(node, ast.Constant):
        return ()
    if isinstance(node, ast.Name):
        return tuple(shapes[node.id]) if node.id in shapes else None
    if isinstance(node, ast.UnaryOp):
        return _shape(node.operand, shapes)
    if isinstance(node, ast.BinOp):
        left, right = _shape(node.left, shapes), _shape(node.right, shapes)
        if left is None or right is None:
            return None
        symbol = _BINARY[type(node.op)][0]
        out = _matmul_shape(left, right) if symbol == "@" else _broadcast(left, right)
        return None if out is None else _fits(out, f"the result of {symbol}{_at(node)}")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        arg = _shape(node.args[0], shapes)
        extra = [*node.args[1:], *(k.value for k in node.keywords)]
        if arg is None or node.func.id not in ("sum", "mean"):
            return arg
        if not extra:
            return ()
        axis = _param(extra[0], node.func.id, "axis")
        if not -len(arg) <= axis < len(arg):
            return None
        return arg[:axis % len(arg)] + arg[axis % len(arg) + 1:]
    return None


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy's matmul rule: 1-D operands are promoted and the added axis dropped again."""
    if not a or not b:
        return None
    a2, b2 = (1, *a) if len(a) == 1 else a, (*b, 1) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        return None
    batch = _broadcast(a2[:-2], b2[:-2])
    if batch is None:
        return None
    rows = (a2[-2],) if len(a) > 1 else ()
    columns = (b2[-1],) if len(b) > 1 else ()
    return (*batch, *rows, *columns)


# ---- evaluation (depth is bounded by _check) -------------------------------------------------
def _eval(node: ast.expr, values: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return _number(node)
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise ExprError(f"no value for {node.id}: give one with --set {node.id}=...")
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return ops.neg(operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        symbol, fn = _BINARY[type(node.op)]
        left, right = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node.op, ast.Pow):
            if isinstance(right, Tensor):
                raise ExprError(f"the exponent of ** must be a number{_at(node.right)}")
            if not isinstance(left, Tensor):
                left = np.float64(left)
        elif not isinstance(left, Tensor) and not isinstance(right, Tensor):
            left = np.float64(left)  # numpy's rules (and errstate) for number-only steps too
        if symbol == "@" and not (isinstance(left, Tensor) and isinstance(right, Tensor)):
            raise ExprError(f"@ needs two arrays{_at(node)}")
        result = fn(left, right)
        return result if isinstance(result, Tensor) else float(result)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn, param = FUNCTIONS[node.func.id]
        arg = _eval(node.args[0], values)
        extra = [*node.args[1:], *(k.value for k in node.keywords)]
        kwargs = {param: _param(extra[0], node.func.id, param)} if extra and param else {}
        return fn(arg if isinstance(arg, Tensor) else Tensor(arg), **kwargs)
    raise _refused(node)  # unreachable after _check, kept as a second line of defence


# ---- --set values -------------------------------------------------------------------------------
def _literal(node: ast.AST, depth: int) -> Any:
    if depth > 32:
        raise ExprError("lists nested more than 32 deep")
    if isinstance(node, ast.List):
        return [_literal(item, depth + 1) for item in node.elts]
    return _number(node, "a number, nested lists of numbers like [[1, 2], [3, 4]], or the "
                   "path of a .npy file")


def _load_npy(path: str) -> np.ndarray:
    """A regular .npy file whose header (read first) declares a numeric array that fits."""
    try:
        with open_regular(Path(path), ".npy file") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
            if dtype.kind not in "biuf" or dtype.hasobject:
                raise ExprError(f"{path}: expected a numeric array, got {dtype}")
            _fits(tuple(shape), f"the array in {path}")
            f.seek(0)
            array = np.load(f, allow_pickle=False)
    except FileNotFoundError:
        raise ExprError(f"no such file: {path}") from None
    except FileError as err:
        raise ExprError(str(err)) from None
    except (OSError, ValueError, EOFError) as err:
        if isinstance(err, ExprError):
            raise
        raise ExprError(f"cannot read {path} as a .npy array: "
                        + str(err).replace("\n", " ")) from None
    if not np.isfinite(array).all():
        raise ExprError(f"{path}: numbers must be finite")
    return np.asarray(array, dtype=np.float64)


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")
