"""The course's data sets: cat-vs-non-cat images (weeks 2 and 4) and the planar flower (week 3).

The cat images are not shipped with the package. ``load_catvnoncat`` reads the course's two
HDF5 files from a folder given as an argument or by the environment variable
``TINYGRAD_COURSE_DATA`` (the folder holding ``train_catvnoncat.h5`` and
``test_catvnoncat.h5``). Reading them needs h5py: ``pip install tinygrad_course[data]``.

Whatever the files hold, ``load_catvnoncat`` returns checked arrays or raises
:class:`DatasetError` naming the file (and the dataset, when one is at fault); a missing
folder or file is the subclass :class:`DatasetNotFoundError`; without h5py it raises
ImportError saying how to install it. Only regular files are opened
(a FIFO is refused at once, never waited on), and only data stored in the file itself is read:
external links, external raw storage and virtual datasets are refused, and a soft link is
followed only if every step of its path is a hard link. Each file must hold

* the images ``*_set_x``: rank 4 (m, height, width, channels) with m, height, width >= 1 and
  channels 1, 3 or 4; dtype uint8 (returned as is), or floating with every value finite and
  in [0, 255], returned as float64. Floating images are pixel values on the 0..255 scale,
  as ``preprocess_images`` divides by 255: a floating set whose values all lie in [0, 1]
  with some not whole is refused as already scaled.
* the labels ``*_set_y``: rank 1, m of them, an integer dtype (not bool) holding only 0 and
  1; returned as int64 of shape (1, m).
* ``list_classes``: two class names, 1-D byte strings (fixed or variable length) of at most
  ``MAX_CLASS_NAME_BYTES`` bytes each, valid UTF-8; the course's is [b"non-cat", b"cat"].
  Both files must hold the same names; the test file's are returned, as in the course.

Train and test images must agree in (height, width, channels). Before any data is read, a
dataset whose declared size (shape times item size) or chunk size exceeds
``MAX_DATASET_BYTES`` is refused: an HDF5 file of a few kilobytes can declare millions of
unwritten chunks, and reading it would fill gigabytes with the fill value. The cap, 256 MiB,
is about 100 times the course's largest dataset (the 2.5 MB of training images) and keeps
``preprocess_images``'s float64 copy of a full-size uint8 set at 2 GiB, which the engine
can still train on; larger data sets are beyond what this course's engine is for.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .files import open_regular

__all__ = [
    "DATA_ENV_VAR",
    "DatasetError",
    "DatasetNotFoundError",
    "MAX_CLASS_NAME_BYTES",
    "MAX_DATASET_BYTES",
    "default_data_dir",
    "load_catvnoncat",
    "planar_flower",
    "preprocess_images",
]

DATA_ENV_VAR = "TINYGRAD_COURSE_DATA"

#: The most bytes one dataset may declare (shape times item size), or one of its chunks,
#: before it is read: 256 MiB (see the module's docstring for why).
MAX_DATASET_BYTES = 256 * 2**20
#: The longest class name in list_classes, in bytes (the course's longest is 7).
MAX_CLASS_NAME_BYTES = 256
_MAX_SUMS_BYTES = 64 * 2**10  # SHA256SUMS lists two files; anything far longer is not one

#: Images as returned: uint8 as stored, or floating pixel values (0..255) as float64.
Images = npt.NDArray[np.uint8] | npt.NDArray[np.float64]

# In a source checkout the course data sit beside the repository (this is where CI has them).
_CHECKOUT_DATA_DIR = Path(__file__).resolve().parent.parent.parent / "shared/data/catvnoncat"

# file name -> (images dataset, labels dataset)
_CATVNONCAT_FILES = {
    "train_catvnoncat.h5": ("train_set_x", "train_set_y"),
    "test_catvnoncat.h5": ("test_set_x", "test_set_y"),
}


class DatasetError(Exception):
    """A data set could not be loaded: a file is unreadable, malformed or not the course's.
    The message names the file and, when one is at fault, the dataset."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The data folder or one of its files does not exist (or no folder was given)."""


def default_data_dir() -> Path | None:
    """The cat-vs-non-cat folder: ``$TINYGRAD_COURSE_DATA`` if set, else
    ``<repo root>/../shared/data/catvnoncat`` if that exists, else None."""
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return _expand(env)
    if _CHECKOUT_DATA_DIR.is_dir():
        return _CHECKOUT_DATA_DIR
    return None


def load_catvnoncat(
    directory: str | os.PathLike[str] | None = None, *, verify_checksums: bool = False
) -> tuple[Images, npt.NDArray[np.int64], Images, npt.NDArray[np.int64], npt.NDArray[np.bytes_]]:
    """Load the cat-vs-non-cat images exactly as the course's ``load_data()`` does.

    Returns (train_x_orig, train_y, test_x_orig, test_y, classes): images (m, 64, 64, 3) uint8,
    labels (1, m) int64 (1 = cat), classes (2,) bytes [b"non-cat", b"cat"] read from the test
    file. With 209 training and 50 test images. Other files are checked as the module's
    docstring says; anything amiss raises DatasetError naming the file and dataset.

    ``directory`` defaults to ``default_data_dir()`` ($TINYGRAD_COURSE_DATA, then the
    checkout's shared data folder). ``verify_checksums`` checks both files against the
    folder's SHA256SUMS first.
    """
    folder = _resolve_directory(directory)
    paths = {name: folder / name for name in _CATVNONCAT_FILES}
    for path in paths.values():  # both files exist and are regular before either is read
        with _open_data_file(path):
            pass
    if verify_checksums:
        _verify_sha256(folder, list(paths))

    h5py = _import_h5py()
    (train_x, train_y, train_c), (test_x, test_y, test_c) = (
        _read_h5(h5py, paths[name], x_key, y_key)
        for name, (x_key, y_key) in _CATVNONCAT_FILES.items()
    )
    train_path, test_path = paths.values()
    if train_x.shape[1:] != test_x.shape[1:]:
        raise DatasetError(
            f"train and test images differ in (height, width, channels): {train_x.shape[1:]} "
            f"in {train_path}, {test_x.shape[1:]} in {test_path}"
        )
    if train_c.tolist() != test_c.tolist():
        raise DatasetError(
            f"list_classes differs: {train_c.tolist()} in {train_path}, {test_c.tolist()} in "
            f"{test_path}"
        )
    return train_x, train_y.reshape(1, -1), test_x, test_y.reshape(1, -1), test_c


def _expand(path: str | os.PathLike[str]) -> Path:
    try:
        return Path(path).expanduser()
    except RuntimeError:  # ~name for a user that does not exist: then it is just a name
        return Path(path)


def _resolve_directory(directory: str | os.PathLike[str] | None) -> Path:
    if directory is not None:
        folder, origin = _expand(directory), "the directory argument"
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
    try:
        is_dir = folder.is_dir()
    except OSError as err:  # a name too long, a folder on the way that cannot be searched
        raise DatasetError(f"data directory {folder} (from {origin}) cannot be read: "
                           f"{err.strerror or err}") from None
    if not is_dir:
        raise DatasetNotFoundError(f"data directory {folder} (from {origin}) does not exist")
    return folder


@contextlib.contextmanager
def _open_data_file(path: Path) -> Iterator[IO[bytes]]:
    """``open_regular`` with its errors as DatasetNotFoundError / DatasetError."""
    stack = contextlib.ExitStack()
    try:
        f = stack.enter_context(open_regular(path, "data file"))
    except FileNotFoundError:
        raise DatasetNotFoundError(
            f"missing data file {path}; the folder must hold "
            f"{' and '.join(_CATVNONCAT_FILES)} (the course's cat-vs-non-cat data)"
        ) from None
    except OSError as err:
        raise DatasetError(str(err)) from None
    with stack:
        yield f


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
) -> tuple[Images, npt.NDArray[np.int64], npt.NDArray[np.bytes_]]:
    """The checked images, labels (m,) and class names of one file."""
    with _open_data_file(path) as raw:
        try:
            f = h5py.File(raw, "r")
        except Exception as exc:  # h5py raises OSError, but also others for damaged files
            raise DatasetError(f"{path} is not a readable HDF5 file: {_why(exc)}") from None
        try:
            keys = (x_key, y_key, "list_classes")
            links = {key: _link(f, path, key) for key in keys}
            missing = [key for key, link in links.items() if link is None]
            if missing:
                raise DatasetError(
                    f"{path} lacks the dataset(s) {', '.join(missing)}; expected {x_key}, "
                    f"{y_key} and list_classes: is it the course's file?"
                )
            x = _check_images(path, x_key, _read(h5py, f, path, x_key, links[x_key], True))
            y = _check_labels(path, y_key, _read(h5py, f, path, y_key, links[y_key], False))
            classes = _check_classes(h5py, f, path, links["list_classes"])
        finally:
            try:
                f.close()
            except Exception:  # the data, if any, are read already; nothing is lost
                pass
    if x.shape[0] != y.shape[0]:
        raise DatasetError(
            f"{path}: {x.shape[0]} images in {x_key} but {y.shape[0]} labels in {y_key}"
        )
    return x, y, classes


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _fail(path: Path, key: str, reason: str) -> DatasetError:
    return DatasetError(f"{path}, dataset {key}: {reason}")


def _link(f: Any, path: Path, key: str) -> Any:
    """How ``key`` is linked in the file's root (None if it is not there)."""
    try:
        return f.get(key, getlink=True)
    except Exception as exc:
        raise _fail(path, key, f"cannot read its link: {_why(exc)}") from None


def _target(h5py: ModuleType, f: Any, path: Path, key: str, link: Any) -> str:
    """Where in the file the object linked as ``key`` is: the root's ``key`` for a hard
    link; a soft link's target if every step of its path is a hard link, so that nothing
    outside the file (an external link, which could name a FIFO) is ever opened."""
    if isinstance(link, h5py.HardLink):
        return key
    if isinstance(link, h5py.ExternalLink):
        raise _fail(path, key, f"is a link to {link.path} in another file ({link.filename}); "
                    "only data stored in the file itself is read")
    if not isinstance(link, h5py.SoftLink):
        raise _fail(path, key, f"is an unsupported kind of link ({type(link).__name__})")
    target = ""
    for part in (p for p in link.path.split("/") if p):
        target += "/" + part
        try:
            step = f.get(target, getlink=True)
        except Exception as exc:
            raise _fail(path, key, f"is a link to {link.path}, which cannot be followed: "
                        f"{_why(exc)}") from None
        if step is None:
            raise _fail(path, key, f"is a link to {link.path}, which does not exist")
        if not isinstance(step, h5py.HardLink):
            raise _fail(path, key, f"is a link to {link.path}, through the further link "
                        f"{target}; only a link straight to the data is followed")
    return target or "/"


def _dataset(
    h5py: ModuleType, f: Any, path: Path, key: str, link: Any
) -> tuple[Any, tuple[int, ...], np.dtype]:
    """The dataset ``key``, its shape and dtype, checked before any of its data is read:
    stored in this file, not empty, no larger than MAX_DATASET_BYTES as declared."""
    target = _target(h5py, f, path, key, link)
    try:
        obj = f.get(target)
        if obj is None:
            raise _fail(path, key, "is listed, but what it names cannot be opened")
        if not isinstance(obj, h5py.Dataset):
            kind = "a group" if isinstance(obj, h5py.Group) else type(obj).__name__
            raise _fail(path, key, f"is {kind}, not a dataset")
        if obj.is_virtual or obj.external:
            raise _fail(path, key, "keeps its data in other files (a virtual dataset or "
                        "external storage); only data stored in the file itself is read")
        shape, dtype, chunks = obj.shape, obj.dtype, obj.chunks
    except DatasetError:
        raise
    except Exception as exc:
        raise _fail(path, key, f"cannot read its description: {_why(exc)}") from None
    if shape is None:
        raise _fail(path, key, "has no data (an empty dataspace)")
    cap = MAX_DATASET_BYTES
    for what, dims in (("declares", shape), ("declares chunks of", chunks or ())):
        size = math.prod(dims) * dtype.itemsize
        if size > cap:
            raise _fail(path, key, f"{what} {'x'.join(map(str, dims))} items of {dtype.itemsize} "
                        f"bytes, {size:,} bytes, more than the {cap:,} (MAX_DATASET_BYTES) "
                        "this loader reads")
    return obj, shape, dtype


def _read(h5py: ModuleType, f: Any, path: Path, key: str, link: Any, images: bool) -> np.ndarray:
    """The data of the images or labels ``key``, their dtype and shape checked before
    reading: uint8 or floating images (m, height, width, channels), integer labels (m,)."""
    d, shape, dtype = _dataset(h5py, f, path, key, link)
    if images:
        kind_ok = dtype.kind == "f" or (dtype.kind == "u" and dtype.itemsize == 1)
        shape_ok = (len(shape) == 4 and shape[0] >= 1 and min(shape[1:3]) >= 1
                    and shape[3] in (1, 3, 4))
        want, want_shape = "uint8 or floating", ("images (m, height, width, channels) with m, "
                                                 "height, width >= 1 and 1, 3 or 4 channels")
    else:
        kind_ok = dtype.kind in "iu"
        shape_ok = len(shape) == 1 and shape[0] >= 1
        want, want_shape = "an integer type", "labels (m,) with m >= 1"
    if not kind_ok:
        raise _fail(path, key, f"holds {_describe(dtype)}, not {want}")
    if not shape_ok:
        raise _fail(path, key, f"has shape {shape}; expected {want_shape}")
    try:
        data = d[()]
    except Exception as exc:
        raise _fail(path, key, f"cannot read its data: {_why(exc)}") from None
    if not isinstance(data, np.ndarray) or data.shape != shape or data.dtype.kind != dtype.kind:
        raise _fail(path, key, f"read back as {type(data).__name__}, not the declared array")
    return data


def _describe(dtype: np.dtype) -> str:
    kinds = {"b": "booleans", "S": "byte strings", "U": "text", "O": "objects (strings or "
             "references)", "V": "compound or opaque values", "c": "complex numbers",
             "f": "floating values", "i": "signed integers", "u": "unsigned integers"}
    if dtype.subdtype is not None:
        return f"arrays of {dtype.subdtype[1]} per element"
    return f"{kinds.get(dtype.kind, 'values')} ({dtype})"


def _check_images(path: Path, key: str, x: np.ndarray) -> Images:
    """uint8 images as they are; floating ones finite, on the 0..255 scale, as float64."""
    if x.dtype.kind == "u":
        return x.astype(np.uint8, copy=False)
    x = x.astype(np.float64)
    if not np.isfinite(x).all():
        bad = np.unravel_index(np.argmin(np.isfinite(x)), x.shape)
        raise _fail(path, key, f"holds {x[bad]} at {tuple(map(int, bad))}; pixel values must "
                    "be finite")
    low, high = float(x.min()), float(x.max())
    if low < 0 or high > 255:
        raise _fail(path, key, f"holds values from {low:g} to {high:g}; floating pixel values "
                    "must lie in [0, 255]")
    if high <= 1 and not np.array_equal(x, np.round(x)):
        raise _fail(path, key, "holds values in [0, 1] only, as if already scaled; store "
                    "pixel values on the 0..255 scale (preprocess_images divides by 255)")
    return x


def _check_labels(path: Path, key: str, y: np.ndarray) -> npt.NDArray[np.int64]:
    """Labels holding only 0 and 1, as int64."""
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise _fail(path, key, f"holds {y[bad[0]]} at index {bad[0]}; labels must be 0 or 1")
    return y.astype(np.int64)


def _check_classes(h5py: ModuleType, f: Any, path: Path, link: Any) -> npt.NDArray[np.bytes_]:
    key = "list_classes"
    d, shape, dtype = _dataset(h5py, f, path, key, link)
    fixed = dtype.kind == "S"
    if shape != (2,) or not (fixed or h5py.check_string_dtype(dtype) is not None):
        raise _fail(path, key, f"is {_describe(dtype)} of shape {shape}; expected two "
                    "class names as byte strings, like [b'non-cat', b'cat']")
    if fixed and dtype.itemsize > MAX_CLASS_NAME_BYTES:
        raise _fail(path, key, f"declares names of {dtype.itemsize} bytes, more than "
                    f"{MAX_CLASS_NAME_BYTES}")
    try:
        names = [bytes(name) for name in d[()]]
    except Exception as exc:
        raise _fail(path, key, f"cannot read its data: {_why(exc)}") from None
    for name in names:
        if len(name) > MAX_CLASS_NAME_BYTES:
            raise _fail(path, key, f"holds a name of {len(name)} bytes, more than "
                        f"{MAX_CLASS_NAME_BYTES}")
        try:
            name.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail(path, key, f"holds {name!r}, which is not UTF-8 text") from None
    return np.array(names, dtype=np.bytes_)


def _verify_sha256(folder: Path, names: list[str]) -> None:
    sums_path = folder / "SHA256SUMS"
    try:
        with open_regular(sums_path, "checksum file") as f:
            text = f.read(_MAX_SUMS_BYTES + 1)
    except FileNotFoundError:
        raise DatasetNotFoundError(f"cannot verify checksums: {sums_path} does not exist") from None
    except OSError as err:
        raise DatasetError(str(err)) from None
    if len(text) > _MAX_SUMS_BYTES:
        raise DatasetError(f"{sums_path} is over {_MAX_SUMS_BYTES:,} bytes: not a checksum list")
    expected = {}
    for line in text.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            expected[parts[1].lstrip("*")] = parts[0].lower()
    for name in names:
        if name not in expected:
            raise DatasetError(f"{sums_path} has no checksum for {name}")
        digest = hashlib.sha256()
        with _open_data_file(folder / name) as f:
            try:
                for block in iter(lambda: f.read(1 << 20), b""):
                    digest.update(block)
            except OSError as err:
                raise DatasetError(f"cannot read data file {folder / name}: {_why(err)}") from None
        if digest.hexdigest() != expected[name]:
            raise DatasetError(f"checksum mismatch for {folder / name}: the file is corrupt")


def preprocess_images(x_orig: Images) -> npt.NDArray[np.float64]:
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
