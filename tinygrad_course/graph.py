"""Walking the graph: an iterative topological order, shared by backward, grad and pictures.

No recursion anywhere, so a chain of 100,000 operations is as easy as J = 3(a + bc).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .tensor import Tensor


def topological_order(roots: Iterable[Tensor],
                      follow: Callable[[Tensor], bool] | None = None) -> list[Tensor]:
    """Every tensor the roots were computed from, each once, parents before children.

    ``follow(t)`` says whether to walk into an input ``t`` (default: every Tensor input).
    Iterative depth-first search; a node is listed after all of its inputs.
    """
    order: list[Tensor] = []
    seen: set[Tensor] = set()  # Tensors hash by identity, so no id() calls are needed
    # Each stack entry is a node and an iterator over its inputs, last input first: the same
    # order as the recursive walk, with every node pushed once.
    stack: list[tuple[Tensor, Iterator[Any]]] = []
    grad_only = follow is needs_grad  # backward's walk: the test inlined, not a call an edge
    for root in reversed(list(roots)):
        if root in seen:
            continue
        seen.add(root)
        stack.append((root, reversed(root._inputs)))
        while stack:
            node, inputs = stack[-1]
            for x in inputs:
                if isinstance(x, Tensor) and x not in seen and (
                        x.requires_grad if grad_only else follow is None or follow(x)):
                    seen.add(x)
                    stack.append((x, reversed(x._inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def needs_grad(t: Tensor) -> bool:
    """The tensors backward walks into: only those that require grad (never the data X, Y)."""
    return t.requires_grad
