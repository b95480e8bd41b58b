"""graph.topological_order: every node once, inputs before users, no recursion."""

import sys

import tinygrad_course as tc
from tinygrad_course.graph import needs_grad, topological_order


def test_order_lists_each_node_once_with_inputs_first():
    a = tc.Tensor(2.0, requires_grad=True, name="a")
    c = tc.Tensor(4.0, name="c")
    u = a * a
    v = u + tc.exp(u) * c
    order = topological_order([v])
    assert len(order) == len({id(t) for t in order}) == 6
    where = {id(t): i for i, t in enumerate(order)}
    for t in order:
        assert all(where[id(p)] < where[id(t)] for p in t.parents)
    assert order[-1] is v
    assert all(t is not c for t in topological_order([v], follow=needs_grad))


def test_deep_chains_need_no_recursion():
    limit = sys.getrecursionlimit()
    x = tc.Tensor(0.0, requires_grad=True)
    for _ in range(3 * limit):
        x = x + 1.0
    assert len(topological_order([x])) == 3 * limit + 1
