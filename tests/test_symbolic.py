"""tinygrad_course.symbolic on its own: what a Sym records, checked three ways each time (the
value numpy computed, the Expr recorded, the text codegen writes from it), and the written
function replayed on new values against numpy: equal computations merged into one value and
one line, numpy's errstate kept around the lines computed under it, the seed of ones folded
out of a product, np.transpose written ``.T``, ``np.add.reduce`` written ``np.sum``, and what
raises NotSymbolic (and what the tracer writes instead: one call of the op's own function)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_course import Tensor, ops
from tinygrad_course.codegen import write
from tinygrad_course.symbolic import Expr, NotSymbolic, Program, Sym
from tinygrad_course.testing import arrays
from tinygrad_course.tracer import trace

A = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])
B = np.array([[0.5, 1.5, -2.0], [2.5, -1.0, 4.0]])


def program(**values: np.ndarray) -> tuple[Program, list[Sym]]:
    p = Program()
    return p, [p.arg(name, v) for name, v in values.items()]


def written(p: Program, params: list[Sym], *results: Sym) -> tuple[str, Callable[..., Any]]:
    """The source of ``def f(*params): return results[0], (results[1:])`` and the compiled f."""
    w = write(p, "f", [s.expr for s in params], [r.expr for r in results],
              lambda block, line_of: None)
    return w.source, w.compile()


def body(source: str) -> list[str]:
    """The lines between the def and the return, stripped."""
    return [line.strip() for line in source.splitlines()[1:-1]]


def two_by_three(domain: str = "real") -> st.SearchStrategy[np.ndarray]:
    return arrays((2, 3), domain)


# ---- common subexpressions: the same computation is one value and one line ---------------------
def test_the_same_expression_twice_is_one_value_and_one_line() -> None:
    p, (a, b) = program(a=A, b=B)
    x, y = a * b, a * b
    assert x.expr is y.expr and len(p.exprs) == 3  # a, b and one a * b
    e1, e2 = np.exp(a), np.exp(a)
    s1, s2 = np.sum(a, axis=1), np.sum(a, axis=1)
    assert e1.expr is e2.expr and s1.expr is s2.expr and len(p.exprs) == 5
    np.testing.assert_array_equal(x.expr.value, A * B)
    src, f = written(p, [a, b], (x + y).sum(), e1 * e2, s1 + s2)
    assert src.count("a * b") == 1 and src.count("np.exp(a)") == 1
    assert src.count("np.sum(a, axis=1)") == 1
    assert "t1 = a * b" in body(src) and "t2 = np.exp(a)" in body(src)
    J, (g1, g2) = f(B, A)  # new values: the arguments swapped
    assert J == pytest.approx(2 * (B * A).sum(), rel=1e-15)
    np.testing.assert_array_equal(g1, np.exp(B) * np.exp(B))
    np.testing.assert_array_equal(g2, 2 * B.sum(axis=1))


def test_different_operands_numbers_and_errstates_are_not_merged() -> None:
    p, (a, b) = program(a=A, b=B)
    products = [a * b, b * a, a * 2, a * 2.0, a * True, a * np.float64(2.0)]
    assert len({id(s.expr) for s in products}) == len(products)
    with np.errstate(over="ignore"):
        quiet = np.exp(a)
    assert quiet.expr is not np.exp(a).expr
    # a constant array is told apart by identity, not by its (equal) values
    c1, c2 = p.const(np.ones(3)), p.const(np.ones(3))
    assert (a + c1).expr is not (a + c2).expr and (a + c1).expr is (a + c1).expr
    src, f = written(p, [a, b], (products[2] + products[3]).sum(), products[4], products[5])
    assert "a * 2 + a * 2.0" in src and "a * True" in src and "a * np.float64(2.0)" in src
    J, (t, g) = f(B, A)
    assert J == (B * 2 + B * 2.0).sum() and np.array_equal(t, B) and np.array_equal(g, 2 * B)


@given(two_by_three(), two_by_three("positive"))
def test_a_merged_program_replays_as_numpy(a_new: np.ndarray, b_new: np.ndarray) -> None:
    p, (a, b) = program(a=A, b=np.abs(B) + 0.5)
    u = np.log(b) * a
    v = np.log(b) * a + np.tanh(a)
    J = (u * v).sum()
    src, f = written(p, [a, b], J, u + v)
    assert src.count("np.log(b)") == 1
    out, (g,) = f(a_new, b_new)
    u0 = np.log(b_new) * a_new
    v0 = np.log(b_new) * a_new + np.tanh(a_new)
    np.testing.assert_allclose(out, (u0 * v0).sum(), rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(g, u0 + v0)


# ---- errstate: a value computed under np.errstate is written under it -------------------------
def test_a_value_computed_under_errstate_is_written_under_it() -> None:
    p, (z,) = program(z=np.array([-800.0, 0.0, 3.0]))
    base = p.base_errstate
    assert dict(base)["over"] == "warn"  # the test's assumption: numpy's default
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-z))
    after = s * (1 - s)
    assert dict(s.expr.errstate)["over"] == "ignore" and after.expr.errstate == ()
    inner = s.expr.args[1].args[1].args[0]  # -z in 1.0 / (1.0 + np.exp(-z))
    assert (-z).expr is not inner  # -z outside the with: another value
    with np.errstate(over="ignore"):
        assert (-z).expr is inner
    np.testing.assert_array_equal(s.expr.value, [0.0, 0.5, 1 / (1 + np.exp(-3.0))])
    src, f = written(p, [z], after.sum(), s)
    lines = src.splitlines()
    k = lines.index("    with np.errstate(over='ignore'):")
    assert lines[k + 1].startswith("        ") and "np.exp(-z)" in lines[k + 1]
    assert all("np.exp" not in line for line in lines[k + 2:])  # σ once, inside the with
    assert not any(line.startswith("        ") for line in lines[k + 2:])
    # replayed where exp overflows, under over='raise': the line's own errstate holds
    zn = np.array([-1000.0, -2.0, 750.0])
    with np.errstate(over="raise"):
        J, (sig,) = f(zn)
    with np.errstate(over="ignore"):
        want = 1.0 / (1.0 + np.exp(-zn))
    np.testing.assert_array_equal(sig, want)
    assert J == (want * (1 - want)).sum()
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        1.0 / (1.0 + np.exp(-zn))  # the same line without the with does raise


def test_a_parameter_read_under_errstate_gets_no_self_assignment() -> None:
    p, (z,) = program(z=np.array([-800.0, 0.0, 3.0]))
    with np.errstate(over="ignore"):
        s = np.exp(-z)
    src, _ = written(p, [z], s.sum())
    assert "z = z" not in body(src)  # (was written: every child under another errstate had a line)
    assert "    with np.errstate(over='ignore'):" in src


# ---- the seed of backward: dJ * x is x ---------------------------------------------------------
def test_a_product_with_the_seed_of_ones_is_folded_away() -> None:
    p, (x, y) = program(x=A, y=B)
    seed = p.ones((), np.dtype(np.float64))
    assert seed.expr.form == ("ones",) and seed.expr.value.shape == ()
    assert (seed * x) is x and (x * seed) is x and (x / seed) is x
    assert (seed * x).expr.value is A  # no new value: x itself
    not_folded = [seed / x, seed + x, seed - x, x - seed]
    assert all(s is not x for s in not_folded)
    big = p.ones((1, 1, 1), np.dtype(np.float64))
    widened = big * x  # broadcasting to another shape: not x
    assert widened is not x and widened.shape == (1, 2, 3)
    x32 = p.arg("x32", A.astype(np.float32))
    promoted = seed * x32  # float64 seed times float32: a float64 value, not x32
    assert promoted is not x32 and promoted.dtype == np.float64
    seed32 = p.ones((1, 1), np.dtype(np.float32))
    assert seed32 * x32 is x32 and seed32 * x is x
    src, f = written(p, [x, y, x32], (seed * x * y).sum(), seed / x, widened, promoted)
    lines = body(src)
    assert any(re.fullmatch(r"t\d+ = \(x \* y\)\.sum\(\)", line) for line in lines)
    seeds = [line.split(" = ")[0] for line in lines if "np.ones(" in line]
    assert len(seeds) == 2  # the seeds still used: by seed / x, (1, 1, 1) * x and seed * x32
    assert f"{seeds[0]} / x" in src and f"{seeds[1]} * x" in src and f"{seeds[0]} * x32" in src
    assert not re.search(rf"\b{seeds[0]} \* x\b(?!32)", src)  # the folded products
    x2, y2, x32_2 = B, A + 1.0, B.astype(np.float32)
    J, (q, w, pr) = f(x2, y2, x32_2)
    assert J == (x2 * y2).sum()
    np.testing.assert_array_equal(q, 1.0 / x2)
    np.testing.assert_array_equal(w, x2[None])
    assert pr.dtype == np.float64 and np.array_equal(pr, x32_2.astype(np.float64))


def test_the_tracer_writes_no_product_with_the_seed() -> None:
    a, b = (Tensor(np.float64(v), requires_grad=True, name=n) for v, n in ((2.0, "a"), (3.0, "b")))
    traced = trace(lambda a, b: a * b, a, b)
    src = traced.source
    assert "dJ" not in src  # dJ * b is b: the seed is not even written
    assert "da = b.copy()" in body(src) and "db = a.copy()" in body(src)
    J, (da, db) = traced(np.array(5.0), np.array(-7.0))
    assert (J, float(da), float(db)) == (-35.0, -7.0, 5.0)


# ---- np.transpose is .T ---------------------------------------------------------------------
def test_np_transpose_is_written_dot_t() -> None:
    p, (a,) = program(a=A)
    forms = [np.transpose(a), np.transpose(a, None), np.transpose(a, axes=None), a.transpose(),
             a.transpose(None), a.T]
    assert {id(s.expr) for s in forms} == {id(forms[0].expr)}  # all one x.T
    assert forms[0].expr.form == ("attr", "T") and forms[0].shape == (3, 2)
    np.testing.assert_array_equal(forms[0].expr.value, A.T)
    p3, (c,) = program(c=np.arange(24.0).reshape(2, 3, 4))
    axes = np.transpose(c, (2, 0, 1))
    method = c.transpose(2, 0, 1)
    assert axes.expr.form == ("call", "np.transpose") and axes.shape == (4, 2, 3)
    assert method.expr.form == ("method", "transpose") and method.shape == (4, 2, 3)
    src, f = written(p, [a], (forms[0] @ a).sum(), np.transpose(a * 2))
    assert "(a.T @ a).sum()" in src and "(a * 2).T" in src and "transpose" not in src
    src3, f3 = written(p3, [c], axes.sum(), axes, method)
    assert "np.transpose(c, (2, 0, 1))" in src3 and "c.transpose(2, 0, 1)" in src3
    J, (t,) = f(B)
    assert J == (B.T @ B).sum() and np.array_equal(t, (B * 2).T)
    c2 = np.arange(24.0).reshape(2, 3, 4)[::-1] - 5
    for got in f3(c2)[1]:
        np.testing.assert_array_equal(got, np.transpose(c2, (2, 0, 1)))


# ---- add.reduce is np.sum ---------------------------------------------------------------------
def test_add_reduce_is_written_np_sum() -> None:
    p, (a,) = program(a=A)
    by_position = np.add.reduce(a, 1)
    by_keyword = np.add.reduce(a, axis=1)
    kept = np.add.reduce(a, axis=1, keepdims=True)
    default = np.add.reduce(a)
    other = np.multiply.reduce(a, axis=1)
    typed = np.add.reduce(a, axis=0, dtype=np.float32)
    assert by_position.expr is by_keyword.expr
    assert by_position.expr.form == ("call", "np.sum") and by_position.expr.kwargs == {"axis": 1}
    assert default.expr.kwargs == {"axis": 0}  # ufunc.reduce's default axis, written out
    assert other.expr.form == ("call", "np.multiply.reduce")
    assert typed.expr.form == ("call", "np.add.reduce")  # dtype=: not np.sum's form
    for s, want in [(by_position, A.sum(axis=1)), (kept, A.sum(axis=1, keepdims=True)),
                    (default, A.sum(axis=0)), (other, A.prod(axis=1)),
                    (typed, A.sum(axis=0, dtype=np.float32))]:
        np.testing.assert_array_equal(s.expr.value, want)
        assert s.expr.value.dtype == want.dtype
    src, f = written(p, [a], by_position.sum(), kept, default, other, typed)
    for text in ("np.sum(a, axis=1)", "np.sum(a, axis=1, keepdims=True)", "np.sum(a, axis=0)",
                 "np.multiply.reduce(a, axis=1)", "np.add.reduce(a, axis=0, dtype=np.float32)"):
        assert text in src, text
    assert "np.add.reduce(a, axis=1" not in src
    J, (k, d, o, t) = f(B)
    assert J == B.sum(axis=1).sum()
    np.testing.assert_array_equal(k, B.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(d, B.sum(axis=0))
    np.testing.assert_array_equal(o, B.prod(axis=1))
    assert t.dtype == np.float32 and np.array_equal(t, B.sum(axis=0, dtype=np.float32))


@given(arrays(st.sampled_from([(2, 3), (4, 1), (1, 5)])), st.integers(0, 1), st.booleans())
def test_add_reduce_replays_as_numpy(a_new: np.ndarray, axis: int, keepdims: bool) -> None:
    p, (a,) = program(a=np.ones(a_new.shape))
    s = np.add.reduce(a, axis=axis, keepdims=keepdims)
    src, f = written(p, [a], s.sum(), s)
    assert f"np.sum(a, axis={axis}" in src
    J, (got,) = f(a_new)
    np.testing.assert_array_equal(got, np.add.reduce(a_new, axis=axis, keepdims=keepdims))
    assert got.shape == s.shape


# ---- NotSymbolic: what a Sym refuses, and what the tracer writes then -----------------------
REFUSED: dict[str, tuple[Callable[[Sym], Any], str]] = {
    "bool": (lambda a: bool(a), "a Python value computed from a traced array"),
    "float": (lambda a: float(a[0, 0]), "a Python value computed from a traced array"),
    "iter": (lambda a: list(a), "a Python value computed from a traced array"),
    "item": (lambda a: a.item(0), "a Python value computed from a traced array"),
    "asarray": (lambda a: np.asarray(a), "np.asarray of a traced array"),
    "setitem": (lambda a: a.__setitem__(0, 1.0), "an in-place change"),
    "method": (lambda a: a.nonzero(), "ndarray.nonzero"),
    "add.at": (lambda a: np.add.at(a, 0, 1.0), "np.add.at"),
    "accumulate": (lambda a: np.add.accumulate(a), "np.add.accumulate"),
    "out": (lambda a: np.exp(a, out=np.empty(A.shape)), "out="),
    "function": (lambda a: np.unique(a), "np.unique"),
    "tuple result": (lambda a: np.divmod(a, 2.0), "gives tuple"),
}


@pytest.mark.parametrize("what", sorted(REFUSED))
def test_what_a_sym_cannot_record_raises_not_symbolic(what: str) -> None:
    p, (a,) = program(a=A)
    before = len(p.exprs)
    fn, message = REFUSED[what]
    with pytest.raises(NotSymbolic, match=re.escape(message)):
        fn(a)
    assert all(e.form[0] == "index" for e in p.exprs[before:])  # nothing else recorded


def test_program_call_writes_one_line_calling_the_function() -> None:
    p, (a,) = program(a=A)

    def scatter(g: Any, shape: tuple[int, ...], index: Any) -> np.ndarray:
        out = np.zeros(shape)
        np.add.at(out, index, g)
        return out
    index = np.array([0, 0, 2])
    with pytest.raises(NotSymbolic, match="np.add.at"):
        scatter(a[0], (4,), index)
    line = p.call(scatter, "scatter", (a[0] * 2,), {"shape": (4,), "index": index})
    assert line.expr.form == ("call", None, "scatter") and line.expr.func is scatter
    assert line.expr.args[0].form[0] == "infix"  # an Expr, not the trace-time Sym
    np.testing.assert_array_equal(line.expr.value, [2 * (A[0, 0] + A[0, 1]), 0, 2 * A[0, 2], 0])
    with pytest.raises(NotSymbolic, match="returned float"):
        p.call(lambda x: 1.5, "number", (a,), {})
    src, f = written(p, [a], line.sum(), line)
    assert re.search(r"scatter\(a\[0\] \* 2, shape=\(4,\), index=\w+\)", src)
    J, (got,) = f(B)  # the call reads the new a
    np.testing.assert_array_equal(got, scatter(B[0] * 2, (4,), index))
    assert J == got.sum() and not np.array_equal(got, line.expr.value)


def test_the_tracer_falls_back_to_the_op_s_own_function_by_name() -> None:
    """getitem's forward takes np.asarray of its result (NotSymbolic from Sym.__array__) and
    its VJP scatters with index_add: the tracer writes each as one call of the op's function,
    read from the namespace under the op's name, on the replay's arrays."""
    getitem = next(op for op in ops.OPS if op.name == "getitem")
    p, (a,) = program(a=A)
    with pytest.raises(NotSymbolic, match="np.asarray of a traced array"):
        getitem.forward(a, index=(slice(1, None), 0))
    fn = lambda x: (x[1:, 0] * x[0, 1:]).sum()  # noqa: E731
    traced = trace(fn, Tensor(A, requires_grad=True, name="x"))
    src, namespace = traced.source, traced._last.written.namespace  # type: ignore[union-attr]
    assert namespace["getitem_forward"] is getitem.forward
    assert namespace["getitem_vjp0"] is getitem.vjps[0]
    assert re.search(r"= getitem_forward\(x, index=\(slice\(1, None, None\), 0\)\)", src)
    assert re.search(r"getitem_vjp0\(\w+, \w+, x, index=", src)
    for new in (B, -3 * A + 1):
        J, (dx,) = traced(new)
        t = Tensor(new, requires_grad=True)
        J0 = fn(t)
        J0.backward()
        assert J == float(J0) != fn(Tensor(A)).item()
        np.testing.assert_array_equal(dx, t.grad)


def test_exprs_hold_no_syms() -> None:
    """What the program stores are Exprs (a Sym inside an Expr would keep the trace's values)."""
    p, (a, b) = program(a=A, b=B)
    out = [np.concatenate([a, b * 2]), np.where(a > b, a, b), a[0, 1:], np.stack((a, b)),
           p.call(lambda x, ys: x + ys[0], "f", (a, [b, b]), {})]

    def walk(x: Any) -> list[Any]:
        if isinstance(x, Expr):
            return [x]
        if isinstance(x, (tuple, list)):
            return [v for y in x for v in walk(y)]
        if isinstance(x, Sym):
            raise AssertionError(f"a Sym inside a recorded Expr: {x.expr.form}")
        return []
    for s in out:
        assert walk([*s.expr.args, *s.expr.kwargs.values()])
    np.testing.assert_array_equal(out[0].expr.value, np.concatenate([A, B * 2]))
    np.testing.assert_array_equal(out[1].expr.value, np.maximum(A, B))
