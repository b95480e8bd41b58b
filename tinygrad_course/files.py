"""Files a user names, written and read so that nothing is lost, half-written or hung on.

``atomic_write(path, data)`` never leaves ``path`` half-written: the bytes go to a temporary
file in the target's own folder (so the rename cannot cross file systems), which is flushed,
fsynced and then renamed over the target with ``os.replace``, an atomic step on POSIX and
Windows. Until that rename the previous file is untouched; on any failure (a full disk, a
file-size limit, an exception or Ctrl-C while the data is being produced) the temporary is
removed and the previous file is still there, byte for byte. A new file gets the mode an
``open(path, "w")`` would give it (0666 less the umask), a replaced one keeps its mode.

Only regular files are read or replaced: ``open_regular`` opens without blocking, so a FIFO
named as an input is refused at once instead of waiting forever for a writer, and
``check_target`` refuses an existing FIFO, device or directory as an output before any work.
Every failure is a :class:`FileError` (an ``OSError``) naming the path and the operating
system's reason.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["FileError", "atomic_write", "check_target", "kind_of", "open_regular"]


class FileError(OSError):
    """A file could not be read or written; the message names the path and the reason."""

    def __str__(self) -> str:
        return str(self.strerror) if self.strerror else super().__str__()


def kind_of(mode: int) -> str:
    """What a stat mode is, in words: 'a directory', 'a FIFO (named pipe)', ..."""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
             (stat.S_ISSOCK, "a socket"))
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def _reason(err: OSError) -> str:
    return err.strerror or str(err) or type(err).__name__


def check_target(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, if it can be an output: absent, or an existing regular file (a
    symbolic link is followed). Raises FileError for a directory, FIFO, device or socket,
    and for a folder that does not exist."""
    out = Path(path)
    try:
        mode = os.stat(out).st_mode
    except FileNotFoundError:
        folder = out.parent
        if not folder.is_dir():
            raise FileError(errno.ENOENT, f"cannot write {out}: the folder {folder} does not "
                            "exist") from None
        return out
    except OSError as err:
        raise FileError(err.errno, f"cannot write {out}: {_reason(err)}") from None
    if not stat.S_ISREG(mode):
        raise FileError(errno.EINVAL, f"cannot write {out}: it is {kind_of(mode)}, not a "
                        "regular file")
    return out


def atomic_write(path: str | os.PathLike[str],
                 data: bytes | str | Callable[[IO[bytes]], Any], *,
                 encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` all at once or not at all, and return the path.

    ``data`` is bytes, text (encoded with ``encoding``), or a function that writes into the
    binary file it is given (``lambda f: np.savez(f, **arrays)``). Raises FileError naming
    the path and the reason; the previous file, if any, is then untouched.
    """
    out = check_target(path)
    target = Path(os.path.realpath(out))  # through a symbolic link, replace what it points at
    if isinstance(data, str):
        try:
            data = data.encode(encoding)
        except UnicodeEncodeError as err:
            raise FileError(errno.EILSEQ, f"cannot write {out}: the text cannot be encoded as "
                            f"{encoding} ({err.reason} at position {err.start})") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise FileError(err.errno, f"cannot write {out}: {_reason(err)}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                data(f)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), _mode_for(target))
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(err, OSError) and not isinstance(err, FileError):
            raise FileError(err.errno, f"cannot write {out}: {_reason(err)}") from None
        raise
    _sync_folder(target.parent)
    return out


def _mode_for(target: Path) -> int:
    """The mode the written file gets: the replaced file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable where the system allows fsync on a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def open_regular(path: str | os.PathLike[str], what: str = "file") -> Iterator[IO[bytes]]:
    """Open ``path`` for reading in binary, if it is a regular file (links are followed).

    Opened with O_NONBLOCK and checked with fstat on the open descriptor, so a FIFO is
    refused without waiting for a writer and the file checked is the file read. Raises
    FileNotFoundError for a missing path and FileError for anything else, each naming
    ``what`` and the path.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise FileError(errno.EISDIR, f"{what} {path} is a directory, not a regular "
                        "file") from None
    except OSError as err:
        raise FileError(err.errno, f"cannot read {what} {path}: {_reason(err)}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise FileError(errno.EINVAL, f"{what} {path} is {kind_of(mode)}, not a regular "
                            "file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        f = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with f:
        yield f
