"""load_catvnoncat in a child process with capped memory, for the damaged-file tests.

The child (``python dataset_load_worker.py HEADROOM DATASET_CAP [unregister-lzf]
[verify-checksums]``) imports numpy and h5py, limits its address space to what it then
uses plus HEADROOM bytes, sets ``datasets.MAX_DATASET_BYTES`` to DATASET_CAP (0 keeps the
module's cap), and answers each folder read from stdin, one a line, with one JSON line:
``{"outcome": "ok", "problems": [...]}`` listing the documented checks that the returned
arrays fail (none, if the loader is right), ``{"outcome": "DatasetError", "message": ...}``,
or ``{"outcome": "other", "type": ..., ...}`` for any other exception.

:class:`Loader` drives one child from the tests, started afresh every ``restart_every``
loads (so that memory a damaged file leaks inside HDF5 cannot add up to a false finding): a
crash, or no answer within the timeout (a hang), fails the test with the folder that caused
it.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

HEADROOM = 256 * 2**20  # the child's address space beyond numpy + h5py, imported


def problems(arrays: tuple) -> list[str]:
    """The documented checks (see tinygrad_course/datasets.py) that the loaded arrays fail."""
    import numpy as np

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
    import resource

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's package
    import h5py

    from tinygrad_course import datasets

    headroom, cap, flags = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    if "unregister-lzf" in flags:
        h5py.h5z.unregister_filter(h5py.h5z.FILTER_LZF)
    if cap:
        datasets.MAX_DATASET_BYTES = cap
    with open("/proc/self/statm") as f:
        in_use = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (in_use + headroom, in_use + headroom))
    for line in sys.stdin:
        folder = line.rstrip("\n")
        try:
            arrays = datasets.load_catvnoncat(folder,
                                              verify_checksums="verify-checksums" in flags)
        except datasets.DatasetError as err:
            out = {"outcome": "DatasetError", "message": str(err),
                   "not_found": isinstance(err, datasets.DatasetNotFoundError)}
        except BaseException as err:  # noqa: B036 - every other exception is the finding
            out = {"outcome": "other", "type": type(err).__name__, "message": str(err),
                   "traceback": traceback.format_exc()}
        else:
            out = {"outcome": "ok", "problems": problems(arrays),
                   "dtypes": [str(a.dtype) for a in arrays]}
        print(json.dumps({"folder": folder, **out}), flush=True)


class Loader:
    """One child process that loads folders on request."""

    def __init__(self, cap: int = 0, flags: tuple[str, ...] = (), timeout: float = 60,
                 restart_every: int = 200):
        self.args = [sys.executable, __file__, str(HEADROOM), str(cap), *flags]
        self.timeout, self.restart_every = timeout, restart_every
        self.loads = 0
        self.proc: subprocess.Popen[str] | None = None
        self.stderr = tempfile.TemporaryFile("w+")  # a file, not a pipe: it never fills up

    def _start(self) -> subprocess.Popen[str]:
        if self.proc is None or self.proc.poll() is not None:
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=self.stderr,
                                         text=True, env=env)
        return self.proc

    def load(self, folder: Path | str) -> dict:
        """load_catvnoncat(folder) in the child; AssertionError if it crashed or hung."""
        folder = str(folder)
        assert "\n" not in folder
        if self.loads and self.loads % self.restart_every == 0:
            self.close()
        proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(folder + "\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], self.timeout)
        line = proc.stdout.readline() if ready else ""
        if not line:
            hung = proc.poll() is None
            self.close()
            self.stderr.seek(0)
            stderr = self.stderr.read()
            what = f"hung (no answer in {self.timeout:g} s)" if hung else "crashed"
            raise AssertionError(f"the loader {what} on {folder} (status {proc.returncode})\n"
                                 f"{stderr[-3000:]}")
        self.loads += 1
        return json.loads(line)

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None


if __name__ == "__main__":
    main()
