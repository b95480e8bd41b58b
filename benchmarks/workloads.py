"""The workloads A–G: shapes, data and starting parameters, shared by every implementation.

A–F are one training iteration of a course-style network (forward, cost, backward, update) on
X of shape (n_x, m), one example per column; G times forward + backward of scalar graphs.
Every implementation gets the same arrays, made here from a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

Params = dict[str, np.ndarray]


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    kind: str                    # "logistic", "net", "scalar_mlp" or "chain"
    dims: tuple[int, ...] = ()   # layer sizes n^[0], ..., n^[L] (scalar_mlp: nin, hidden..., 1)
    hidden: str = "relu"         # activation of the hidden layers (the output is sigmoid)
    m: int = 1                   # examples
    lr: float = 0.01
    init: str = "xavier"         # "zeros", "small" (0.01), "xavier" sqrt(1/n), "he" sqrt(2/n)
    data: str = "normal"         # "cat", "flower" or "normal"
    ops: int = 0                 # chain: number of operations

    @property
    def layers(self) -> int:
        return len(self.dims) - 1


WORKLOADS: dict[str, Workload] = {w.key: w for w in [
    Workload("A", "logistic regression", "logistic", (12288, 1), "sigmoid", 209, 0.005,
             "zeros", "cat"),
    Workload("B", "2-layer", "net", (12288, 7, 1), "relu", 209, 0.0075, "xavier", "cat"),
    Workload("C", "4-layer", "net", (12288, 20, 7, 5, 1), "relu", 209, 0.0075, "xavier", "cat"),
    Workload("D", "flower", "net", (2, 4, 1), "tanh", 400, 1.2, "small", "flower"),
    Workload("E", "wide", "net", (1024, 1024, 1024, 1), "relu", 1024, 0.01, "he", "normal"),
    Workload("F", "deep narrow", "net", (16,) + (16,) * 50 + (1,), "tanh", 64, 0.05, "xavier",
             "normal"),
    Workload("G1", "scalar MLP (micrograd-style)", "scalar_mlp", (10, 30, 30, 1), "tanh", 4),
    Workload("G2", "scalar chain", "chain", ops=100_000),
]}


def describe(w: Workload) -> str:
    """The workload in a table row: "B 2-layer 12288-7-1 relu/sigmoid, m=209"."""
    if w.kind == "chain":
        return f"{w.key} {w.title}: {w.ops:,} ops (mul, add, exp, log)"
    if w.kind == "scalar_mlp":
        return (f"{w.key} {w.title} {'-'.join(map(str, w.dims))} tanh, {w.m} examples, "
                f"{scalar_mlp_nodes(w):,} nodes")
    hidden = w.dims[1:-1]
    if len(hidden) > 3 and len(set(hidden)) == 1:
        shape = f"{w.dims[0]}-({hidden[0]}×{len(hidden)})-{w.dims[-1]}"
    else:
        shape = "-".join(map(str, w.dims))
    acts = "sigmoid" if w.kind == "logistic" else f"{w.hidden}/sigmoid"
    return f"{w.key} {w.title} {shape} {acts}, m={w.m}"


def scalar_mlp_nodes(w: Workload) -> int:
    """Recorded operations of the scalar MLP: per neuron with n inputs n products, n sums and a
    tanh (none on the output), per example a subtraction and a square, and the sum over
    examples."""
    per_example = 2
    for n_prev, n in zip(w.dims, w.dims[1:]):
        per_example += n * (2 * n_prev + 1)
    return w.m * (per_example - 1) + w.m  # the last neuron has no tanh; m additions to J


# --quick: the same code paths on tiny sizes, to prove the command works in seconds
QUICK: dict[str, dict[str, Any]] = {
    "A": {"dims": (48, 1), "m": 16}, "B": {"dims": (48, 7, 1), "m": 16},
    "C": {"dims": (48, 20, 7, 5, 1), "m": 16}, "D": {"m": 40},
    "E": {"dims": (32, 32, 32, 1), "m": 32}, "F": {"dims": (16,) * 6 + (1,), "m": 8},
    "G1": {"dims": (3, 4, 4, 1), "m": 2}, "G2": {"ops": 200},
}


def workload(key: str, quick: bool = False) -> Workload:
    w = WORKLOADS[key]
    return replace(w, data="normal" if w.data == "cat" else w.data, **QUICK[key]) if quick else w


# ---- data and parameters ---------------------------------------------------------------------
def make_data(w: Workload, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """X (n_x, m), Y (1, m) of 0.0/1.0, and where they come from."""
    rng = np.random.default_rng(seed)
    n_x = w.dims[0] if w.dims else 1
    if w.data == "cat":
        cat = _cat_data()
        if cat is not None and cat[0].shape == (n_x, w.m):
            return cat[0], cat[1], "course cat train set"
        X = rng.random((n_x, w.m))  # pixel values / 255 lie in [0, 1]
        return X, (rng.random((1, w.m)) < 0.35).astype(np.float64), "random, cat-shaped"
    if w.data == "flower":
        try:
            from tinygrad_course.datasets import planar_flower
        except ImportError:
            pass
        else:
            X, Y = planar_flower(w.m)
            return X, Y, "course flower set"
    X = rng.standard_normal((n_x, w.m))
    return X, (rng.random((1, w.m)) < 0.5).astype(np.float64), "random normal"


def _cat_data() -> tuple[np.ndarray, np.ndarray] | None:
    try:
        from tinygrad_course.datasets import load_catvnoncat, preprocess_images

        train_x, train_y, *_ = load_catvnoncat()
    except Exception:  # absent folder, no h5py, no datasets module: random data instead
        return None
    return preprocess_images(train_x), train_y.astype(np.float64)


def make_params(w: Workload, seed: int = 1) -> Params:
    """W1, b1, ..., WL, bL in the course's shapes (W^[l] is (n^[l], n^[l-1]), b^[l] (n^[l], 1)).

    The logistic regression's w is (n_x, 1) and its b (1, 1); the chain's single input is x.
    """
    rng = np.random.default_rng(seed)
    if w.kind == "chain":
        return {"x": np.array(0.5)}
    params: Params = {}
    if w.kind == "logistic":
        params["w"] = np.zeros((w.dims[0], 1)) if w.init == "zeros" else \
            rng.standard_normal((w.dims[0], 1)) * 0.01
        params["b"] = np.zeros((1, 1))
        return params
    for l in range(1, len(w.dims)):
        n, n_prev = w.dims[l], w.dims[l - 1]
        scale = {"small": 0.01, "xavier": np.sqrt(1 / n_prev), "he": np.sqrt(2 / n_prev)}[w.init]
        params[f"W{l}"] = rng.standard_normal((n, n_prev)) * scale
        # zero biases would make relu's kink sit exactly on many z; small ones keep it generic
        params[f"b{l}"] = rng.standard_normal((n, 1)) * 0.01
    return params


def copy_params(params: Params) -> Params:
    return {k: v.copy() for k, v in params.items()}


# ---- the two scalar graphs of G ---------------------------------------------------------------
def chain_constants(i: int) -> tuple[str, float]:
    """Operation i of the chain: a cycle mul, add, exp, log whose derivative stays near 1,
    so the gradient of x neither vanishes nor overflows over 100,000 steps."""
    kind = ("mul", "add", "exp", "log")[i % 4]
    return kind, (1.0001 if kind == "mul" else -0.0001 if kind == "add" else 0.0)


def scalar_mlp_targets(w: Workload) -> np.ndarray:
    """Targets y (m,) of ±1 for the scalar MLP's loss Σ (ŷ − y)²."""
    return np.where(np.arange(w.m) % 2 == 0, 1.0, -1.0)
