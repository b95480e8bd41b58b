"""Steps data written by hand, following the stepper's contract (docs/stepping.md, format
tinygrad_course.steps/1), so the page and the frames are tested without the stepper.

J = 3(a + bc) with a = 5, b = 3, c = 2 (lesson 2.5): u = bc = 6, v = a + u = 11, J = 3v = 33;
backward: dJ/dv = 3, dJ/da = 3, dJ/du = 3, dJ/db = 6, dJ/dc = 9. Tensors are in
graph.topological_order([J]) order: c, b, u, a, v, J.
"""

from __future__ import annotations

import copy
import json
import types
from typing import Any

from tinygrad_course import Tensor


def j_graph() -> Tensor:
    a = Tensor(5.0, requires_grad=True, name="a")
    b = Tensor(3.0, requires_grad=True, name="b")
    c = Tensor(2.0, requires_grad=True, name="c")
    J = 3 * (a + b * c)
    J.name = "J"
    return J


def scalar(x: float) -> dict[str, Any]:
    """An ARRAY for one number."""
    return {"shape": [], "dtype": "float64", "value": float(x), "norm": abs(float(x)),
            "text": f"{x:g}"}


def _tensor(index: int, name: str, kind: str, value: float, op: str | None = None,
            op_name: str | None = None, inputs: list[dict[str, Any]] | None = None,
            ) -> dict[str, Any]:
    return {"index": index, "name": name, "kind": kind, "op": op, "op_name": op_name,
            "inputs": inputs or [], "shape": [], "requires_grad": True,
            "grad_name": f"dJ/d{name}", "value": scalar(value)}


def _back(index: int, tensor: int, input: int, position: int, up: tuple[str, float],
          local: tuple[str, float], grad: tuple[str, float], text: str) -> dict[str, Any]:
    return {"index": index, "phase": "backward", "tensor": tensor, "input": input,
            "position": position, "upstream": {"name": up[0], "value": scalar(up[1])},
            "local": {"formula": local[0], "value": scalar(local[1])},
            "contribution": {"name": grad[0], "value": scalar(grad[1])}, "sum": None,
            "accumulate": None, "grad": {"name": grad[0], "value": scalar(grad[1])},
            "final": True, "text": text}


J_STEPS: dict[str, Any] = {
    "format": "tinygrad_course.steps/1",
    "root": 5,
    "root_name": "J",
    "tensors": [
        _tensor(0, "c", "param", 2),
        _tensor(1, "b", "param", 3),
        _tensor(2, "u", "result", 6, "*", "mul", [{"tensor": 1}, {"tensor": 0}]),
        _tensor(3, "a", "param", 5),
        _tensor(4, "v", "result", 11, "+", "add", [{"tensor": 3}, {"tensor": 2}]),
        _tensor(5, "J", "result", 33, "*", "mul", [{"const": "3"}, {"tensor": 4}]),
    ],
    "steps": [
        {"index": 0, "phase": "forward", "tensor": 2, "text": "u = b · c = 3 · 2 = 6",
         "value": scalar(6)},
        {"index": 1, "phase": "forward", "tensor": 4, "text": "v = a + u = 5 + 6 = 11",
         "value": scalar(11)},
        {"index": 2, "phase": "forward", "tensor": 5, "text": "J = 3 · v = 3 · 11 = 33",
         "value": scalar(33)},
        {"index": 3, "phase": "seed", "tensor": 5, "text": "dJ/dJ = 1", "grad": scalar(1)},
        _back(4, 5, 4, 1, ("dJ/dJ", 1), ("∂J/∂v = 3", 3), ("dJ/dv", 3),
              "dJ/dv = dJ/dJ · ∂J/∂v = 1 · 3 = 3"),
        _back(5, 4, 3, 0, ("dJ/dv", 3), ("∂v/∂a = 1", 1), ("dJ/da", 3),
              "dJ/da = dJ/dv · ∂v/∂a = 3 · 1 = 3"),
        _back(6, 4, 2, 1, ("dJ/dv", 3), ("∂v/∂u = 1", 1), ("dJ/du", 3),
              "dJ/du = dJ/dv · ∂v/∂u = 3 · 1 = 3"),
        _back(7, 2, 1, 0, ("dJ/du", 3), ("∂u/∂b = c", 2), ("dJ/db", 6),
              "dJ/db = dJ/du · ∂u/∂b = 3 · 2 = 6"),
        _back(8, 2, 0, 1, ("dJ/du", 3), ("∂u/∂c = b", 3), ("dJ/dc", 9),
              "dJ/dc = dJ/du · ∂u/∂c = 3 · 3 = 9"),
    ],
}

#: the final gradient of each leaf, by name
J_GRADS = {"a": 3.0, "b": 6.0, "c": 9.0}


def j_steps() -> dict[str, Any]:
    """A fresh copy of J_STEPS (tests may change theirs)."""
    return copy.deepcopy(J_STEPS)


class FakeSteps:
    """What save_page needs of the stepper's Steps: to_dict() and the root it stepped."""

    def __init__(self, root: Tensor, data: dict[str, Any]) -> None:
        self.root, self._data = root, data

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def to_json(self) -> str:
        return json.dumps(self._data, ensure_ascii=False)

    def __len__(self) -> int:
        return len(self._data["steps"])


def fake_stepper(data: dict[str, Any] | None = None) -> types.ModuleType:
    """A stand-in tinygrad_course.stepper module whose backward_steps returns the
    hand-written J steps (for J = 3(a + bc) only)."""
    module = types.ModuleType("tinygrad_course.stepper")

    def backward_steps(root: Tensor, max_elements: int = 6, precision: int = 4) -> FakeSteps:
        return FakeSteps(root, data if data is not None else j_steps())

    module.backward_steps = backward_steps  # type: ignore[attr-defined]
    module.Steps = FakeSteps  # type: ignore[attr-defined]
    return module


def flower_graph() -> Tensor:
    """One iteration's cost of the course's 2-4-1 tanh network on the 400-point flower."""
    import numpy as np

    from tinygrad_course import datasets, nn

    X, Y = datasets.planar_flower()
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="small",
                      rng=np.random.RandomState(2))
    return model.cost(X, Y)


CAT = [12288, 20, 7, 5, 1]     # week 4's cat network
DEEP = [4] + [3] * 49 + [1]     # 50 layers


def network_graph(dims: list[int], m: int = 3, seed: int = 0) -> Tensor:
    """The cost of DeepNN(dims) (relu hidden, sigmoid out) on m random examples: the layer
    view's networks, with a graph still holding its saved values."""
    import numpy as np

    from tinygrad_course import nn

    rng = np.random.RandomState(seed)
    X = rng.rand(dims[0], m)
    Y = (np.arange(m) % 2)[None, :].astype(float)
    model = nn.DeepNN(dims, hidden_activation="relu", init="xavier", rng=rng)
    return model.cost(X, Y)
