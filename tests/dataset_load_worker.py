"""Loads data folders in a child process with capped memory, for the damaged-file tests.

Run as ``python dataset_load_worker.py MEMORY_HEADROOM DATASET_CAP [unregister-lzf]
[verify-checksums]`` with a
JSON list of folders on stdin. After importing numpy and h5py it limits its address space to
what it uses then plus MEMORY_HEADROOM bytes, sets ``datasets.MAX_DATASET_BYTES`` to
DATASET_CAP (0 keeps the module's cap), and prints one JSON line per folder as soon as it is
loaded: ``{"outcome": "ok", "problems": [...]}`` with the documented checks that the returned
arrays fail (none, if the loader is right), ``{"outcome": "DatasetError", "message": ...}``,
or ``{"outcome": "other", "type": ..., "message": ...}`` for any other exception. A crash or
hang therefore shows as missing lines.
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package

import h5py  # noqa: E402
import numpy as np  # noqa: E402

from tinygrad_course import datasets  # noqa: E402


def problems(arrays: tuple) -> list[str]:
    """The documented checks (see tinygrad_course/datasets.py) that the loaded arrays fail."""
    train_x, train_y, test_x, test_y, classes = arrays
    found = []
    for name, x, y in (("train", train_x, train_y), ("test", test_x, test_y)):
        m = x.shape[0] if x.ndim else 0
        if x.ndim != 4 or m < 1 or min(x.shape[1:3]) < 1 or x.shape[3] not in (1, 3, 4):
            found.append(f"{name} images have shape {x.shape}")
        if x.dtype == np.float64:
            if not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 255):
                found.append(f"{name} images hold values outside [0, 255]")
            elif x.max() <= 1 and not np.array_equal(x, np.round(x)):
                found.append(f"{name} images look scaled to [0, 1]")
        elif x.dtype != np.uint8:
            found.append(f"{name} images are {x.dtype}")
        if y.dtype != np.int64 or y.shape != (1, m) or not np.isin(y, (0, 1)).all():
            found.append(f"{name} labels are {y.dtype} {y.shape}, or hold values other than 0/1")
    if train_x.shape[1:] != test_x.shape[1:]:
        found.append(f"image shapes differ: {train_x.shape} and {test_x.shape}")
    if classes.dtype.kind != "S" or classes.shape != (2,):
        found.append(f"classes are {classes.dtype} {classes.shape}")
    else:
        for name in classes.tolist():
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                found.append(f"class name {name!r} is not UTF-8")
    return found


def main() -> None:
    headroom, cap = int(sys.argv[1]), int(sys.argv[2])
    if "unregister-lzf" in sys.argv[3:]:
        h5py.h5z.unregister_filter(h5py.h5z.FILTER_LZF)
    verify = "verify-checksums" in sys.argv[3:]
    if cap:
        datasets.MAX_DATASET_BYTES = cap
    with open("/proc/self/statm") as f:
        in_use = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + headroom, in_use + headroom))
    for folder in json.load(sys.stdin):
        try:
            arrays = datasets.load_catvnoncat(folder, verify_checksums=verify)
        except datasets.DatasetError as err:
            line = {"outcome": "DatasetError", "message": str(err),
                    "not_found": isinstance(err, datasets.DatasetNotFoundError)}
        except BaseException as err:  # noqa: B036 - every other exception is the finding
            line = {"outcome": "other", "type": type(err).__name__, "message": str(err),
                    "traceback": traceback.format_exc()}
        else:
            line = {"outcome": "ok", "problems": problems(arrays),
                    "dtypes": [str(a.dtype) for a in arrays]}
        print(json.dumps({"folder": folder, **line}), flush=True)


if __name__ == "__main__":
    main()
