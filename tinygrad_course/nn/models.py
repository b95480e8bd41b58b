"""Logistic regression and the L-layer network, in the course's notation, on the engine.

X is (n_x, m) with one example per column, Y is (1, m), W^[l] is (n^[l], n^[l-1]) and b^[l]
is (n^[l], 1). The forward pass names its tensors as the course does, so a drawing of the graph
reads like the lectures: the data "X", parameters "W1", "b1", ..., intermediates "Z1", "A1",
..., "A{L}", and the cost "J".

    Z^[l] = W^[l] A^[l-1] + b^[l],   A^[l] = g^[l](Z^[l]),   A^[0] = X
    J = -(1/m) Σ [y log a^[L] + (1 - y) log(1 - a^[L])]

Training is batch gradient descent with the gradients from ``backward()``:
W^[l] := W^[l] - α dW^[l], b^[l] := b^[l] - α db^[l]. No gradient is ever computed for X or Y.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .. import Tensor, leaky_relu, no_grad, relu, sigmoid, tanh
from .._rng import RNGLike
from .init import INITS, check_layer_dims, initialize_parameters
from .losses import binary_cross_entropy
from .progress import ProgressBar

__all__ = ["ACTIVATIONS", "DeepNN", "LogisticRegression", "Model", "ModelFileError", "load"]

#: The hidden activations g^[l]: name -> engine function.
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": relu, "leaky_relu": leaky_relu, "tanh": tanh, "sigmoid": sigmoid}
#: Output activations: sigmoid only, since the cost needs a^[L] in (0, 1).
OUTPUT_ACTIVATIONS: tuple[str, ...] = ("sigmoid",)

FILE_FORMAT = "tinygrad_course.nn model, version 1"
_META_KEYS = ("format", "model", "layer_dims", "activations")

Callback = Callable[[int, float], Any]


class ModelFileError(ValueError):
    """A parameter file that is not a model saved by ``Model.save``, or is damaged."""


class Model:
    """What both models share: the cost, one gradient-descent step, fit, predict, save/load.

    A subclass sets ``layer_dims``, ``activations`` (one per layer) and ``_params`` (name ->
    Tensor, in the course's order) and implements ``_forward`` on a checked X.
    """

    layer_dims: list[int]
    activations: list[str]
    _params: dict[str, Tensor]
    _registry: ClassVar[dict[str, type[Model]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Model._registry[cls.__name__] = cls

    # ---- the network ------------------------------------------------------------------------
    @property
    def n_x(self) -> int:
        """The number of input features, layer_dims[0]."""
        return self.layer_dims[0]

    def parameters(self) -> dict[str, Tensor]:
        """The parameters by name, in the course's order (W1, b1, W2, b2, ... or w, b)."""
        return dict(self._params)

    def forward(self, X: Any) -> Tensor:
        """A^[L] (1, m) for X (n_x, m): the graph from "X" to the output activation."""
        return self._forward(self._input(X))

    def cost(self, X: Any, Y: Any) -> Tensor:
        """J (a one-element Tensor named "J") with its whole graph, ready for backward()."""
        Xt, Yt = self._data(X, Y)
        return self._cost(Xt, Yt)

    def _forward(self, X: Tensor) -> Tensor:
        raise NotImplementedError

    def _cost(self, X: Tensor, Y: Tensor) -> Tensor:
        J = binary_cross_entropy(self._forward(X), Y)
        J.name = "J"
        return J

    # ---- training -----------------------------------------------------------------------------
    def step(self, X: Any, Y: Any, learning_rate: float) -> float:
        """One iteration of gradient descent: forward, J, backward, then θ := θ - α dθ for
        every parameter, in place. Returns J computed before the update."""
        Xt, Yt = self._data(X, Y)
        return self._step(Xt, Yt, _learning_rate(learning_rate), list(self._params.values()))

    def _step(self, X: Tensor, Y: Tensor, lr: float, params: list[Tensor]) -> float:
        J = self._cost(X, Y)
        for p in params:
            p.grad = None
        J.backward()
        for p in params:  # θ := θ − α dθ in place: p.data -= lr * p.grad, without the property
            np.subtract(p._value, lr * p.grad, out=p._value)  # type: ignore[operator]
            p._bump()
        return float(J._value)

    def fit(self, X: Any, Y: Any, learning_rate: float, num_iterations: int,
            print_cost: bool = False, progress: bool = False,
            callback: Callback | None = None) -> list[float]:
        """Batch gradient descent for ``num_iterations`` iterations.

        Returns the cost of every iteration: entry i is J computed in iteration i, before that
        iteration's update (as the course records it). ``print_cost`` prints "Cost after
        iteration i: J" every 100 iterations; ``progress`` shows a progress bar on stderr (tqdm
        if installed, else a plain line); ``callback(i, J)`` is called after each iteration.
        """
        lr = _learning_rate(learning_rate)
        if isinstance(num_iterations, bool) or not isinstance(num_iterations, (int, np.integer)) \
                or num_iterations < 0:
            raise ValueError(f"num_iterations must be a non-negative integer, got "
                             f"{num_iterations!r}")
        Xt, Yt = self._data(X, Y)
        _check_values(Xt.data, Yt.data)
        params = list(self._params.values())
        step = self._step
        costs: list[float] = []
        bar = ProgressBar(int(num_iterations)) if progress else None
        try:
            for i in range(int(num_iterations)):
                cost = step(Xt, Yt, lr, params)
                costs.append(cost)
                if print_cost and i % 100 == 0:
                    line = f"Cost after iteration {i}: {cost:f}"
                    if bar is not None:
                        bar.write(line)
                    else:
                        print(line, flush=True)
                if bar is not None:
                    bar.update(cost)
                if callback is not None:
                    callback(i, cost)
        finally:
            if bar is not None:
                bar.close()
        return costs

    # ---- using the trained model ----------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """Labels (1, m) of 0 and 1: 1 where a^[L] > 0.5, as the course's predict()."""
        with no_grad():
            A = self._forward(self._input(X))
        return (A.data > 0.5).astype(np.int64)

    def accuracy(self, X: Any, Y: Any) -> float:
        """The fraction of examples whose predicted label equals Y (1, m)."""
        Xt, Yt = self._data(X, Y)
        with no_grad():
            A = self._forward(Xt)
        return float(np.mean((A.data > 0.5) == (Yt.data > 0.5)))

    # ---- checking what comes in ---------------------------------------------------------------
    def _input(self, X: Any) -> Tensor:
        if isinstance(X, Tensor):
            if X.requires_grad:  # data never gets a gradient (no dX = W1ᵀ dZ1 to compute)
                X = X.detach()
            if X.dtype == np.float64 and X.ndim == 2 and X.shape[0] == self.n_x:
                return X
            data = X.data
        else:
            data = X
        arr = np.asarray(data)
        if arr.dtype != np.float64:
            if arr.dtype.kind not in "biuf":
                raise TypeError(f"X must hold numbers, got dtype {arr.dtype}")
            arr = arr.astype(np.float64)
        if arr.ndim != 2 or arr.shape[0] != self.n_x:
            hint = ""
            if arr.ndim == 2 and arr.shape[1] == self.n_x:
                hint = " (examples are in rows: pass X.T)"
            elif arr.ndim > 2:
                hint = " (flatten images first: x.reshape(m, -1).T / 255)"
            raise ValueError(f"X has shape {arr.shape} but {self._describe()} takes X of shape "
                             f"(n_x, m) = ({self.n_x}, m), one example per column{hint}")
        return Tensor(arr, name="X")

    def _data(self, X: Any, Y: Any) -> tuple[Tensor, Tensor]:
        Xt = self._input(X)
        y = Y.data if isinstance(Y, Tensor) else np.asarray(Y)
        m = Xt.shape[1]
        if y.shape != (1, m):
            raise ValueError(f"Y has shape {y.shape} but X {Xt.shape} has m = {m} examples, so Y "
                             f"must be (1, {m})" + (
                                 f" (reshape it: Y.reshape(1, {m}))" if y.size == m else ""))
        if isinstance(Y, Tensor) and not Y.requires_grad and Y.dtype == np.float64:
            return Xt, Y
        if y.dtype.kind not in "biuf":
            raise TypeError(f"Y must hold 0/1 labels, got dtype {y.dtype}")
        return Xt, Tensor(y.astype(np.float64, copy=False), name="Y")

    def _describe(self) -> str:
        return f"{type(self).__name__}{self.layer_dims}"

    # ---- save and load --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to ``path`` as an .npz archive (numbers and strings only; no pickle),
        holding layer_dims, the activations and every parameter. Returns the path."""
        arrays: dict[str, np.ndarray] = {
            "format": np.array(FILE_FORMAT),
            "model": np.array(type(self).__name__),
            "layer_dims": np.array(self.layer_dims, dtype=np.int64),
            "activations": np.array(self.activations),
        }
        arrays.update((name, p.data) for name, p in self._params.items())
        out = Path(path)
        with open(out, "wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]
        return out

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model written by ``save``. The file is read with allow_pickle=False, so it can
        never run code; a wrong or damaged file raises ModelFileError saying what is wrong."""
        arrays = _read_npz(Path(path))
        where = str(path)
        for key in _META_KEYS:
            if key not in arrays:
                raise ModelFileError(f"{where}: missing {key!r}; not a model saved by "
                                     "Model.save")
        fmt = arrays["format"]
        if fmt.shape != () or fmt.dtype.kind != "U" or str(fmt) != FILE_FORMAT:
            raise ModelFileError(f"{where}: format is {fmt!r}, expected {FILE_FORMAT!r}")
        kind = str(arrays["model"]) if arrays["model"].dtype.kind == "U" else repr(arrays["model"])
        target = Model._registry.get(kind)
        if target is None:
            raise ModelFileError(f"{where}: unknown model {kind!r}; expected one of "
                                 f"{', '.join(sorted(Model._registry))}")
        if not issubclass(target, cls):
            raise ModelFileError(f"{where} holds a {kind}, not a {cls.__name__}; use "
                                 f"{kind}.load or Model.load")
        dims_arr, acts_arr = arrays["layer_dims"], arrays["activations"]
        if dims_arr.ndim != 1 or dims_arr.dtype.kind not in "iu":
            raise ModelFileError(f"{where}: layer_dims must be a 1-D integer array, got "
                                 f"{dims_arr.dtype} of shape {dims_arr.shape}")
        if acts_arr.ndim != 1 or acts_arr.dtype.kind != "U":
            raise ModelFileError(f"{where}: activations must be a 1-D array of names, got "
                                 f"{acts_arr.dtype} of shape {acts_arr.shape}")
        try:
            model = target._blank(check_layer_dims(dims_arr.tolist()),
                                  [str(a) for a in acts_arr])
        except (TypeError, ValueError) as err:
            raise ModelFileError(f"{where}: {err}") from None
        expected = model._params
        missing = [k for k in expected if k not in arrays]
        extra = [k for k in arrays if k not in expected and k not in _META_KEYS]
        if missing or extra:
            raise ModelFileError(
                f"{where}: " + "; ".join(
                    part for part in (
                        f"missing parameter(s) {', '.join(missing)}" if missing else "",
                        f"unexpected array(s) {', '.join(extra)}" if extra else "") if part)
                + f" for {model._describe()}")
        for name, p in expected.items():
            value = arrays[name]
            if value.shape != p.shape:
                raise ModelFileError(f"{where}: {name} has shape {value.shape}, but "
                                     f"{model._describe()} needs {p.shape}")
            if value.dtype.kind != "f":
                raise ModelFileError(f"{where}: {name} has dtype {value.dtype}; parameters are "
                                     "floating point")
            p.data = value.astype(np.float64)
        return model

    @classmethod
    def _blank(cls, layer_dims: list[int], activations: list[str]) -> Model:
        raise NotImplementedError


class LogisticRegression(Model):
    """Logistic regression (week 2): A = σ(wᵀX + b), with w (n_x, 1) and b (1, 1) starting at 0.

    Gradients (the course's, which backward() reproduces): dw = (1/m) X (A - Y)ᵀ,
    db = (1/m) Σ (A - Y).
    """

    def __init__(self, n_x: int) -> None:
        self.layer_dims = check_layer_dims([n_x, 1])
        self.activations = ["sigmoid"]
        self._params = {"w": Tensor(np.zeros((self.n_x, 1)), requires_grad=True, name="w"),
                        "b": Tensor(np.zeros((1, 1)), requires_grad=True, name="b")}

    def __repr__(self) -> str:
        return f"LogisticRegression(n_x={self.n_x})"

    def _describe(self) -> str:
        return f"LogisticRegression(n_x={self.n_x})"

    def _forward(self, X: Tensor) -> Tensor:
        Z = self._params["w"].T @ X + self._params["b"]
        Z.name = "Z"
        A = sigmoid(Z)
        A.name = "A"
        return A

    @classmethod
    def _blank(cls, layer_dims: list[int], activations: list[str]) -> Model:
        if len(layer_dims) != 2 or layer_dims[1] != 1 or activations != ["sigmoid"]:
            raise ValueError(f"a LogisticRegression has layer_dims [n_x, 1] and activations "
                             f"['sigmoid'], not {layer_dims} and {activations}")
        return cls(layer_dims[0])


class DeepNN(Model):
    """An L-layer network: [LINEAR -> g] x (L-1) -> LINEAR -> σ (weeks 3 and 4).

    ``layer_dims`` = [n_x, n^[1], ..., n^[L]]; [n_x, n_h, 1] with ``hidden_activation="tanh"``
    is the course's shallow network. ``hidden_activation``: relu, leaky_relu (slope 0.01), tanh
    or sigmoid. ``init``: zeros, small, xavier or he (see :mod:`tinygrad_course.nn.init`),
    weights drawn W1 first from ``rng`` (a seed, a Generator or a RandomState;
    ``np.random.RandomState(1)`` gives the notebooks' weights).
    """

    def __init__(self, layer_dims: Sequence[int], hidden_activation: str = "relu",
                 output_activation: str = "sigmoid", init: str = "he",
                 rng: RNGLike = None) -> None:
        dims = check_layer_dims(layer_dims)
        if hidden_activation not in ACTIVATIONS:
            raise ValueError(f"hidden_activation {hidden_activation!r} is not one of "
                             f"{', '.join(ACTIVATIONS)}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"output_activation {output_activation!r}: only 'sigmoid' is "
                             "supported, since the cross-entropy cost needs a^[L] in (0, 1)")
        if init not in INITS:
            raise ValueError(f"init {init!r} is not one of {', '.join(INITS)}")
        self.layer_dims = dims
        self.hidden_activation, self.output_activation = hidden_activation, output_activation
        self.init = init
        L = len(dims) - 1
        self.activations = [hidden_activation] * (L - 1) + [output_activation]
        self._g = [ACTIVATIONS[a] for a in self.activations]
        self._params = {name: Tensor(value, requires_grad=True, name=name)
                        for name, value in initialize_parameters(dims, init, rng).items()}
        self._layers = [(self._params[f"W{l}"], self._params[f"b{l}"], f"Z{l}", f"A{l}")
                        for l in range(1, L + 1)]

    @property
    def L(self) -> int:
        """The number of layers (the input layer is not counted)."""
        return len(self.layer_dims) - 1

    def __repr__(self) -> str:
        return (f"DeepNN({self.layer_dims}, hidden_activation={self.hidden_activation!r}, "
                f"output_activation={self.output_activation!r}, init={self.init!r})")

    def _forward(self, X: Tensor) -> Tensor:
        A = X
        for (W, b, z_name, a_name), g in zip(self._layers, self._g):
            Z = W @ A + b
            Z.name = z_name
            A = g(Z)
            A.name = a_name
        return A

    @classmethod
    def _blank(cls, layer_dims: list[int], activations: list[str]) -> Model:
        L = len(layer_dims) - 1
        if len(activations) != L:
            raise ValueError(f"{len(activations)} activations for {L} layers")
        hidden = set(activations[:-1])
        if len(hidden) > 1:
            raise ValueError(f"hidden activations {activations[:-1]} differ; DeepNN uses one")
        return cls(layer_dims, hidden_activation=activations[0] if hidden else "relu",
                   output_activation=activations[-1], init="zeros")


def load(path: str | os.PathLike[str]) -> Model:
    """``Model.load(path)``: a DeepNN or LogisticRegression saved by ``save``."""
    return Model.load(path)


# ---- helpers ------------------------------------------------------------------------------------
def _learning_rate(learning_rate: float) -> float:
    try:
        lr = float(learning_rate)
    except (TypeError, ValueError):
        raise TypeError(f"learning_rate must be a number, got {learning_rate!r}") from None
    if not (lr > 0 and math.isfinite(lr)):
        raise ValueError(f"learning_rate must be a positive finite number, got {learning_rate!r}")
    return lr


def _check_values(X: np.ndarray, Y: np.ndarray) -> None:
    if not np.isfinite(X).all():
        raise ValueError("X holds NaN or inf")
    if not (np.isfinite(Y).all() and (Y >= 0).all() and (Y <= 1).all()):
        raise ValueError("Y must hold labels in [0, 1] (the course's 0 = non-cat, 1 = cat)")


_PICKLE_REFUSED = ("holds a pickled Python object, which is never loaded (unpickling can run "
                   "code); expected an .npz archive of plain arrays saved by Model.save")


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise FileNotFoundError(f"model file {path} does not exist") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a model file") from None
    if head.startswith(b"\x93NUMPY"):
        raise ModelFileError(f"{path} is a single .npy array, not an .npz archive saved by "
                             "Model.save")
    if head[:1] == b"\x80":
        raise ModelFileError(f"{path} {_PICKLE_REFUSED}")
    if not head.startswith(b"PK"):
        raise ModelFileError(f"{path} is not an .npz archive (a zip of .npy arrays) saved by "
                             "Model.save")
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                try:
                    arrays[key] = npz[key]
                except ValueError as err:
                    if "allow_pickle" in str(err):
                        raise ModelFileError(f"{path}: the array {key!r} {_PICKLE_REFUSED}") \
                            from None
                    raise ModelFileError(f"{path}: the array {key!r} is damaged: {err}") \
                        from None
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as err:
        raise ModelFileError(f"{path} is damaged or not an .npz archive: {err}") from None
    return arrays
