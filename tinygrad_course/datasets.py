"""The course's data sets: cat-vs-non-cat images (weeks 2 and 4) and the planar flower (week 3).

The cat images are not shipped with the package. ``load_catvnoncat`` reads the course's two
HDF5 files from a folder given as an argument or by the environment variable
``TINYGRAD_COURSE_DATA`` (the folder holding ``train_catvnoncat.h5`` and
``test_catvnoncat.h5``). Reading them needs h5py: ``pip install tinygrad_course[data]``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import numpy.typing as npt

__all__ = [
    "DATA_ENV_VAR",
    "DatasetError",
    "DatasetNotFoundError",
    "default_data_dir",
    "load_catvnoncat",
    "planar_flower",
    "preprocess_images",
]

DATA_ENV_VAR = "TINYGRAD_COURSE_DATA"

# In a source checkout the course data sit beside the repository (this is where CI has them).
_CHECKOUT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared/data/catvnoncat"

# file name -> (images dataset, labels dataset)
_CATVNONCAT_FILES = {
    "train_catvnoncat.h5": ("train_set_x", "train_set_y"),
    "test_catvnoncat.h5": ("test_set_x", "test_set_y"),
}


class DatasetError(Exception):
    """A data set could not be loaded: h5py is fine but a file is unreadable or malformed."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The data folder or one of its files does not exist (or no folder was given)."""


def default_data_dir() -> Path | None:
    """The cat-vs-non-cat folder: ``$TINYGRAD_COURSE_DATA`` if set, else
    ``<repo root>/../shared/data/catvnoncat`` if that exists, else None."""
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env).expanduser()
    if _CHECKOUT_DATA_DIR.is_dir():
        return _CHECKOUT_DATA_DIR
    return None


def load_catvnoncat(
    directory: str | os.PathLike[str] | None = None, *, verify_checksums: bool = False
) -> tuple[
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.bytes_],
]:
    """Load the cat-vs-non-cat images exactly as the course's ``load_data()`` does.

    Returns (train_x_orig, train_y, test_x_orig, test_y, classes): images (m, 64, 64, 3) uint8,
    labels (1, m) as stored (int64, 1 = cat), classes (2,) bytes [b"non-cat", b"cat"] read
    from the test file. With 209 training and 50 test images.

    ``directory`` defaults to ``default_data_dir()`` ($TINYGRAD_COURSE_DATA, then the
    checkout's shared data folder). ``verify_checksums`` checks both files against the
    folder's SHA256SUMS first.
    """
    folder = _resolve_directory(directory)
    paths = {name: folder / name for name in _CATVNONCAT_FILES}
    for path in paths.values():
        if not path.is_file():
            raise DatasetNotFoundError(
                f"missing data file {path}; the folder must hold "
                f"{' and '.join(_CATVNONCAT_FILES)} (the course's cat-vs-non-cat data)"
            )
    if verify_checksums:
        _verify_sha256(folder, list(paths))

    h5py = _import_h5py()
    arrays = []
    for name, (x_key, y_key) in _CATVNONCAT_FILES.items():
        x, y, classes = _read_h5(h5py, paths[name], x_key, y_key)
        arrays += [x, y.reshape(1, y.shape[0])]
    train_x, train_y, test_x, test_y = arrays
    return train_x, train_y, test_x, test_y, classes


def _resolve_directory(directory: str | os.PathLike[str] | None) -> Path:
    if directory is not None:
        folder, origin = Path(directory).expanduser(), "the directory argument"
    else:
        found = default_data_dir()
        if found is None:
            raise DatasetNotFoundError(
                "no data directory: pass load_catvnoncat(directory=...) or set the environment "
                f"variable {DATA_ENV_VAR} to the folder holding train_catvnoncat.h5 and "
                f"test_catvnoncat.h5 (nor does {_CHECKOUT_DATA_DIR} exist)"
            )
        folder = found
        origin = f"${DATA_ENV_VAR}" if os.environ.get(DATA_ENV_VAR) else "the default location"
    if not folder.is_dir():
        raise DatasetNotFoundError(f"data directory {folder} (from {origin}) does not exist")
    return folder


def _import_h5py() -> ModuleType:
    try:
        import h5py
    except ImportError as exc:
        raise ImportError(
            "reading the cat-vs-non-cat data needs h5py: pip install 'tinygrad_course[data]' "
            "(or pip install h5py)"
        ) from exc
    return h5py


def _read_h5(
    h5py: ModuleType, path: Path, x_key: str, y_key: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        with h5py.File(path, "r") as f:
            keys = (x_key, y_key, "list_classes")
            missing = [k for k in keys if not isinstance(f.get(k), h5py.Dataset)]
            if missing:
                raise DatasetError(
                    f"{path} lacks the dataset(s) {', '.join(missing)}; expected {x_key}, "
                    f"{y_key} and list_classes: is it the course's file?"
                )
            x, y, classes = np.array(f[x_key]), np.array(f[y_key]), np.array(f["list_classes"])
    except OSError as exc:
        raise DatasetError(f"{path} is not a readable HDF5 file: {exc}") from exc
    if x.ndim != 4 or y.ndim != 1 or x.shape[0] != y.shape[0]:
        raise DatasetError(
            f"{path}: expected images (m, height, width, channels) and labels (m,), "
            f"got {x_key} {x.shape} and {y_key} {y.shape}"
        )
    return x, y, classes


def _verify_sha256(folder: Path, names: list[str]) -> None:
    sums_path = folder / "SHA256SUMS"
    if not sums_path.is_file():
        raise DatasetNotFoundError(f"cannot verify checksums: {sums_path} does not exist")
    expected = {}
    for line in sums_path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            expected[parts[1].lstrip("*")] = parts[0].lower()
    for name in names:
        if name not in expected:
            raise DatasetError(f"{sums_path} has no checksum for {name}")
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if digest != expected[name]:
            raise DatasetError(f"checksum mismatch for {folder / name}: the file is corrupt")


def preprocess_images(x_orig: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Flatten images (m, h, w, c) to X of shape (n_x, m) = (h*w*c, m) and scale to [0, 1]:
    X = x_orig.reshape(m, -1).T / 255, one example per column, as in the course."""
    return x_orig.reshape(x_orig.shape[0], -1).T / 255


def planar_flower(
    m: int = 400, noise: float = 0.2, seed: int = 1
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The week-3 "flower" data set (the course's ``load_planar_dataset``).

    Two classes of N = m/2 points; class j (rows j*N .. (j+1)*N - 1) has
    t = linspace(3.12 j, 3.12 (j+1), N) + noise * randn(N),
    r = 4 sin(4t) + noise * randn(N), points (r sin t, r cos t).
    Draws come from ``np.random.RandomState(seed)`` in the course's order, so the defaults
    reproduce the course's data set exactly (numpy's global state is left alone).

    Returns X (2, m) float64 and Y (1, m) float64 holding 0.0 / 1.0 (the course uses uint8;
    float64 keeps 1 - Y and Y / A exact in the oracles and the engine).
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m <= 0 or m % 2:
        raise ValueError(f"m must be a positive even integer, got {m!r}")
    rng = np.random.RandomState(seed)
    N = m // 2
    X = np.empty((2, m))
    Y = np.empty((1, m))
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * noise
        r = 4 * np.sin(4 * t) + rng.randn(N) * noise
        X[0, j * N : (j + 1) * N] = r * np.sin(t)
        X[1, j * N : (j + 1) * N] = r * np.cos(t)
        Y[0, j * N : (j + 1) * N] = j
    return X, Y
