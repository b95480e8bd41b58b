"""Walking the graph: an iterative topological order, shared by backward, grad and pictures.

No recursion anywhere, so a chain of 100,000 operations is as easy as J = 3(a + bc).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .tensor import Tensor


def topological_order(roots: Iterable[Tensor],
                      follow: Callable[[Tensor], bool] | None = None) -> list[Tensor]:
    """Every tensor the roots were computed from, each once, parents before children.

    ``follow(t)`` says whether to walk into an input ``t`` (default: every Tensor input).
    Iterative depth-first search; a node is listed after all of its inputs.
    """
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(r, False) for r in roots]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for x in node._inputs:
            if isinstance(x, Tensor) and id(x) not in seen and (follow is None or follow(x)):
                stack.append((x, False))
    return order


def needs_grad(t: Tensor) -> bool:
    """The tensors backward walks into: only those that require grad (never the data X, Y)."""
    return t.requires_grad
