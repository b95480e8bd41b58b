"""Model files: ``Model.save`` writes an .npz archive atomically, ``Model.load`` reads one
within fixed limits, so a file a user hands in can neither run code, nor exhaust memory, nor
escape as anything but a :class:`ModelFileError`.

The archive is what ``np.savez`` writes: a zip of .npy members ``format``, ``model``,
``layer_dims``, ``activations`` and the parameters (``W1``, ``b1``, ... or ``w``, ``b``).
Loading checks, in this order, and inflates nothing before the check that bounds it:

1. the path is a regular file (a FIFO is refused at once) of at most ``MAX_FILE_BYTES``;
2. the zip's end record and directory: no comment or bytes around the archive, at most
   ``MAX_MEMBERS`` members, members laid out in order without overlapping, only the expected
   member names, once each, stored or deflated, not encrypted, and each member's declared size
   within its cap (``META_MEMBER_BYTES`` for the four small members), the total within
   ``MAX_FILE_BYTES``;
3. the four small members, then ``layer_dims``: at most ``MAX_LAYERS`` layers, positive sizes,
   at most ``MAX_PARAMETERS`` parameters, all before any parameter is allocated;
4. each parameter member's declared size against its shape (``NPY_HEADER_BYTES`` + 8 bytes an
   element), its .npy header (a floating dtype, the shape layer_dims implies) before its data,
   then exactly the bytes the header promises, with the zip's CRC-32 checked;
5. the values: NaN or infinity is refused unless ``allow_nonfinite=True``.

Object arrays are never unpickled. A missing file raises FileNotFoundError; a directory, FIFO
or device raises ModelFileError; an operating-system failure while reading (permission
denied, an I/O error) raises :class:`tinygrad_course.files.FileError`, an OSError.
"""

from __future__ import annotations

import errno
import io
import math
import os
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
from numpy.lib import format as npy_format

from ..files import FileError, atomic_write, open_regular
from .init import check_layer_dims

if TYPE_CHECKING:
    from .models import Model

__all__ = ["FILE_FORMAT", "MAX_FILE_BYTES", "MAX_LAYERS", "MAX_MEMBERS", "MAX_PARAMETERS",
           "META_MEMBER_BYTES", "NPY_HEADER_BYTES", "ModelFileError", "load_model",
           "save_model"]

FILE_FORMAT = "tinygrad_course.nn model, version 1"
META_KEYS = ("format", "model", "layer_dims", "activations")

#: Layers a model file may describe (len(layer_dims) - 1). The course's deepest network has 4.
MAX_LAYERS = 1000
#: Parameters a model file may hold: 2**25 (33.5 million, 256 MiB as float64). The course's
#: largest network, [12288, 20, 7, 5, 1], has 246,417; this leaves a hundred times that while
#: a hostile layer_dims cannot make load allocate gigabytes.
MAX_PARAMETERS = 2**25
#: Bytes an .npy member's header may take. numpy writes 128 for the arrays a model holds.
NPY_HEADER_BYTES = 4096
#: Declared size cap of each of the four small members (activations of MAX_LAYERS layers
#: as 10-character names take 40 kB).
META_MEMBER_BYTES = 64 * 1024
#: Members an archive may have: the four small ones and a W and b a layer.
MAX_MEMBERS = len(META_KEYS) + 2 * MAX_LAYERS
#: The hard cap on the file's size on disk and on the total its members declare: every
#: parameter as float64, plus 16 MiB for the headers, the small members and the zip records.
MAX_FILE_BYTES = MAX_PARAMETERS * 8 + 16 * 2**20
#: Bytes of the zip's central directory: 256 a member is far more than np.savez writes.
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 256

_MEMBER_NAME = re.compile(r"(format|model|layer_dims|activations|[wb]|[Wb][1-9][0-9]{0,3})"
                          r"\.npy\Z")
_ALLOWED_FLAGS = 0x0002 | 0x0004 | 0x0008 | 0x0800  # deflate options, data descriptor, UTF-8
_END_RECORD = struct.Struct("<4s4H2LH")
_LOCAL_HEADER_BYTES = 30
_CHUNK = 1 << 20
_PICKLE_REFUSED = ("holds a pickled Python object, which is never loaded (unpickling can run "
                   "code); expected an .npz archive of plain arrays saved by Model.save")
#: What zipfile, zlib and numpy's header parser raise on damaged input.
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError,
           RuntimeError, ValueError, TypeError, SyntaxError, struct.error, KeyError, IndexError,
           OverflowError)


class ModelFileError(ValueError):
    """A parameter file that is not a model saved by ``Model.save``, or is damaged."""


def save_model(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` atomically (see :func:`tinygrad_course.files.atomic_write`);
    raises FileError naming the path, with any previous file intact."""
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FILE_FORMAT),
        "model": np.array(type(model).__name__),
        "layer_dims": np.array(model.layer_dims, dtype=np.int64),
        "activations": np.array(model.activations),
    }
    arrays.update((name, p.data) for name, p in model._params.items())
    return atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def load_model(cls: type[Model], path: str | os.PathLike[str], *,
               allow_nonfinite: bool = False) -> Model:
    """A model of class ``cls`` (or a subclass) read from ``path``, checked as the module
    describes; ModelFileError names the file and what is wrong."""
    where = str(path)
    try:
        with open_regular(path, "model file") as f:
            return _Reader(f, where, allow_nonfinite).model(cls)
    except FileError as err:
        if err.errno in (errno.EISDIR, errno.EINVAL):  # a directory, FIFO, device or socket
            raise ModelFileError(str(err)) from None
        raise


class _Reader:
    def __init__(self, f: IO[bytes], where: str, allow_nonfinite: bool) -> None:
        self.f, self.where, self.allow_nonfinite = f, where, allow_nonfinite

    def fail(self, reason: str) -> ModelFileError:
        return ModelFileError(f"{self.where}{reason}")

    @contextmanager
    def damage(self, what: str) -> Iterator[None]:
        """Turn what a damaged archive makes zipfile, zlib or numpy raise into ModelFileError;
        an operating-system failure becomes a FileError naming the file."""
        try:
            yield
        except ModelFileError:
            raise
        except FileError:
            raise
        except OSError as err:
            raise FileError(err.errno, f"cannot read model file {self.where}: "
                            f"{err.strerror or err}") from None
        except _DAMAGE as err:
            raise self.fail(f" is damaged: {what}: {type(err).__name__}: {err}") from None

    # ---- the archive's records ----------------------------------------------------------------
    def model(self, cls: type[Model]) -> Model:
        size = os.fstat(self.f.fileno()).st_size
        with self.damage("reading its first bytes"):
            head = self.f.read(8)
        if head.startswith(b"\x93NUMPY"):
            raise self.fail(" is a single .npy array, not an .npz archive saved by Model.save")
        if head[:1] == b"\x80":
            raise self.fail(f" {_PICKLE_REFUSED}")
        if not head.startswith(b"PK"):
            raise self.fail(" is not an .npz archive (a zip of .npy arrays) saved by "
                            "Model.save")
        if size > MAX_FILE_BYTES:
            raise self.fail(f" is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a model file "
                            "may have (nn.modelfile.MAX_FILE_BYTES)")
        entries, directory_start = self.end_record(size)
        with self.damage("its zip directory"):
            zf = zipfile.ZipFile(self.f)
        with zf:
            infos = zf.infolist()
            if len(infos) != entries or zf.start_dir != directory_start:
                raise self.fail(" is damaged: its zip directory does not match its end record")
            members = self.directory(infos, directory_start)
            return self.contents(cls, zf, members)

    def end_record(self, size: int) -> tuple[int, int]:
        """The member count and the directory's offset from the end record, which np.savez
        writes as the file's last 22 bytes (no comment, no zip64 for files this size)."""
        if size < _END_RECORD.size:
            raise self.fail(" is damaged: too short to hold a zip end record (truncated?)")
        with self.damage("reading its end record"):
            self.f.seek(size - _END_RECORD.size)
            record = self.f.read(_END_RECORD.size)
        sig, disk, cd_disk, on_disk, entries, cd_size, cd_offset, comment = \
            _END_RECORD.unpack(record)
        if sig != b"PK\x05\x06":
            raise self.fail(" is damaged: it does not end with a zip end record (truncated?)")
        if disk or cd_disk or on_disk != entries or comment \
                or cd_offset + cd_size != size - _END_RECORD.size:
            raise self.fail(" is damaged: its zip end record is inconsistent (a comment, bytes "
                            "around the archive or several disks; Model.save writes none)")
        if not 0 < entries <= MAX_MEMBERS or cd_size > MAX_DIRECTORY_BYTES:
            raise self.fail(f" has {entries} members in a {cd_size:,}-byte directory; a model "
                            f"file has at most {MAX_MEMBERS} (nn.modelfile.MAX_MEMBERS)")
        with self.damage("reading its zip directory"):
            self.f.seek(cd_offset)
            directory = self.f.read(cd_size)
        at = 0  # the entries' own lengths must tile the directory (zipfile lets the last overrun)
        for _ in range(entries):
            if directory[at:at + 4] != b"PK\x01\x02" or at + 46 > cd_size:
                break
            at += 46 + sum(struct.unpack_from("<3H", directory, at + 28))
        if at != cd_size:
            raise self.fail(" is damaged: its zip directory's entries do not fill it exactly")
        return entries, cd_offset

    def directory(self, infos: list[zipfile.ZipInfo],
                  directory_start: int) -> dict[str, zipfile.ZipInfo]:
        """The members by key ("W1"), each checked in the directory before any is read."""
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.orig_filename
            if info.filename != name or not _MEMBER_NAME.match(name):
                raise self.fail(f": unexpected member {name!r}; a model file holds only "
                                f"{', '.join(k + '.npy' for k in META_KEYS)} and the "
                                "parameters (W1.npy, b1.npy, ... or w.npy, b.npy)")
            key = name[:-4]
            if key in members:
                raise self.fail(f" is damaged: the member {name!r} appears twice")
            if info.flag_bits & 0x0001 or info.flag_bits & 0x0040:
                raise self.fail(f": the member {name!r} is encrypted; a model file never is")
            if info.flag_bits & ~_ALLOWED_FLAGS:
                raise self.fail(f" is damaged: the member {name!r} uses zip features (flag bits "
                                f"{info.flag_bits:#06x}) that Model.save never writes")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.fail(f": the member {name!r} uses compression method "
                                f"{info.compress_type}; only stored (0) and deflated (8) are "
                                "read")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise self.fail(f" is damaged: the stored member {name!r} declares "
                                f"{info.file_size:,} bytes but takes {info.compress_size:,}")
            cap = META_MEMBER_BYTES if key in META_KEYS else NPY_HEADER_BYTES + 8 * MAX_PARAMETERS
            if info.file_size > cap:
                raise self.fail(f": the member {name!r} declares {info.file_size:,} bytes, more "
                                f"than the {cap:,} such a member may have")
            members[key] = info
        total = sum(info.file_size for info in infos)
        if total > MAX_FILE_BYTES:
            raise self.fail(f": its members declare {total:,} bytes in all, more than the "
                            f"{MAX_FILE_BYTES:,} a model file may hold "
                            "(nn.modelfile.MAX_FILE_BYTES)")
        end = 0  # the members must tile the file up to the directory, in order, from byte 0
        for info in sorted(infos, key=lambda i: i.header_offset):
            if info.header_offset < end or (end == 0 and info.header_offset != 0):
                raise self.fail(f" is damaged: the member {info.orig_filename!r} starts at "
                                f"byte {info.header_offset:,}, overlapping or apart from the "
                                "one before")
            end = (info.header_offset + _LOCAL_HEADER_BYTES
                   + len(info.orig_filename.encode("utf-8")) + info.compress_size)
        if end > directory_start:
            raise self.fail(" is damaged: its last member runs into the zip directory")
        return members

    # ---- the members ----------------------------------------------------------------------------
    def contents(self, cls: type[Model], zf: zipfile.ZipFile,
                 members: dict[str, zipfile.ZipInfo]) -> Model:
        for key in META_KEYS:
            if key not in members:
                raise self.fail(f": missing {key!r}; not a model saved by Model.save")
        fmt = str(self.read(zf, members["format"], "format", _text_scalar)[()])
        if fmt != FILE_FORMAT:
            raise self.fail(f": format is {fmt!r}, expected {FILE_FORMAT!r}")
        kind = str(self.read(zf, members["model"], "model", _text_scalar)[()])
        target = cls._registry.get(kind)
        if target is None:
            raise self.fail(f": unknown model {kind!r}; expected one of "
                            f"{', '.join(sorted(cls._registry))}")
        if not issubclass(target, cls):
            raise self.fail(f" holds a {kind}, not a {cls.__name__}; use {kind}.load or "
                            "Model.load")
        dims = self.layer_dims(
            self.read(zf, members["layer_dims"], "layer_dims", _int_vector).tolist())
        acts = [str(a) for a in self.read(zf, members["activations"], "activations",
                                          _text_vector)]
        try:
            model = target._blank(dims, acts)
        except (TypeError, ValueError) as err:
            raise self.fail(f": {err}") from None
        expected = model._params
        missing = [k for k in expected if k not in members]
        extra = [k for k in members if k not in expected and k not in META_KEYS]
        if missing or extra:
            raise self.fail(": " + "; ".join(part for part in (
                f"missing parameter(s) {', '.join(missing)}" if missing else "",
                f"unexpected array(s) {', '.join(extra)}" if extra else "") if part)
                + f" for {model._describe()}")
        for name, p in expected.items():
            info = members[name]
            cap = NPY_HEADER_BYTES + 8 * p.size
            if info.file_size > cap:
                raise self.fail(f": the member {info.orig_filename!r} declares "
                                f"{info.file_size:,} bytes, more than the {cap:,} a {p.shape} "
                                f"parameter of {model._describe()} may take")
        for name, p in expected.items():
            value = self.read(zf, members[name], name, _parameter(name, p.shape,
                                                                  model._describe()))
            if not self.allow_nonfinite:
                finite = np.isfinite(value)
                if not finite.all():
                    raise self.fail(f": {name} holds {value.size - int(finite.sum())} NaN or "
                                    "infinite value(s); pass allow_nonfinite=True to load it "
                                    "anyway")
            p.data = np.ascontiguousarray(value, dtype=np.float64)
        return model

    def layer_dims(self, dims: list[int]) -> list[int]:
        if len(dims) > MAX_LAYERS + 1:
            raise self.fail(f": layer_dims has {len(dims)} entries; a model file may describe "
                            f"at most {MAX_LAYERS} layers (nn.modelfile.MAX_LAYERS)")
        try:
            dims = check_layer_dims(dims)
        except (TypeError, ValueError) as err:
            raise self.fail(f": {err}") from None
        count = sum(n * n_prev + n for n_prev, n in zip(dims, dims[1:]))
        if count > MAX_PARAMETERS:
            shown = dims if len(dims) <= 8 else [*dims[:4], "...", *dims[-2:]]
            raise self.fail(f": layer_dims {shown} means {count:,} parameters, more than the "
                            f"{MAX_PARAMETERS:,} a model file may hold "
                            "(nn.modelfile.MAX_PARAMETERS)")
        return dims

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str,
             check: Callable[[np.dtype[Any], tuple[int, ...]], str | None]) -> np.ndarray:
        """The member's array: its .npy header read and passed by ``check`` (which returns
        what is wrong, or None) before exactly the bytes it promises are read."""
        with self.damage(f"the array {key!r}"), zf.open(info) as member:
            dtype, shape, fortran, header_bytes = self.header(member, key)
            if dtype.hasobject:
                raise self.fail(f": the array {key!r} {_PICKLE_REFUSED}")
            if dtype.itemsize == 0:  # any count of nothing would pass the size check below
                raise self.fail(f" is damaged: the array {key!r} has dtype {dtype}, of no bytes")
            problem = check(dtype, shape)
            if problem:
                raise self.fail(f": {problem}")
            count = math.prod(shape)
            if header_bytes + count * dtype.itemsize != info.file_size:
                raise self.fail(f" is damaged: the array {key!r} is {dtype} of shape {shape} "
                                f"({count * dtype.itemsize:,} bytes), but its member holds "
                                f"{info.file_size - header_bytes:,} bytes after the header")
            flat = np.empty(count, dtype)
            view = flat.view(np.uint8)
            at = 0
            while at < view.size:
                chunk = member.read(min(_CHUNK, view.size - at))
                if not chunk:
                    raise self.fail(f" is damaged: the array {key!r} ends after {at:,} of its "
                                    f"{view.size:,} bytes")
                view[at:at + len(chunk)] = np.frombuffer(chunk, np.uint8)
                at += len(chunk)
            if member.read(1):
                raise self.fail(f" is damaged: the array {key!r} has bytes after its data")
        return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)

    def header(self, member: IO[bytes], key: str) -> tuple[np.dtype[Any], tuple[int, ...],
                                                            bool, int]:
        """The dtype, shape, Fortran order and byte length of an .npy header."""
        magic = _read_exact(member, 8)
        if magic[:1] == b"\x80":
            raise self.fail(f": the array {key!r} {_PICKLE_REFUSED}")
        if len(magic) < 8 or magic[:6] != b"\x93NUMPY" or magic[6] not in (1, 2):
            raise self.fail(f" is damaged: the member {key + '.npy'!r} is not an .npy array "
                            "(version 1 or 2)")
        width = 2 if magic[6] == 1 else 4
        length_bytes = _read_exact(member, width)
        length = int.from_bytes(length_bytes, "little") if len(length_bytes) == width else -1
        if not 0 <= length <= NPY_HEADER_BYTES - 8 - width:
            raise self.fail(f" is damaged: the array {key!r} has a header of {length} bytes; "
                            f"at most {NPY_HEADER_BYTES} are read")
        text = _read_exact(member, length)
        if len(text) != length:
            raise self.fail(f" is damaged: the array {key!r} ends inside its header")
        buf = io.BytesIO(magic + length_bytes + text)
        npy_format.read_magic(buf)
        reader = (npy_format.read_array_header_1_0 if magic[6] == 1
                  else npy_format.read_array_header_2_0)
        shape, fortran, dtype = reader(buf, max_header_size=NPY_HEADER_BYTES)
        if any(n < 0 for n in shape):
            raise self.fail(f" is damaged: the array {key!r} has shape {shape}")
        return dtype, tuple(shape), bool(fortran), 8 + width + length


def _read_exact(f: IO[bytes], n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _text_scalar(dtype: np.dtype[Any], shape: tuple[int, ...]) -> str | None:
    if dtype.kind != "U" or shape != ():
        return f"format and model must be strings, got {dtype} of shape {shape}"
    return None


def _text_vector(dtype: np.dtype[Any], shape: tuple[int, ...]) -> str | None:
    if dtype.kind != "U" or len(shape) != 1:
        return f"activations must be a 1-D array of names, got {dtype} of shape {shape}"
    return None


def _int_vector(dtype: np.dtype[Any], shape: tuple[int, ...]) -> str | None:
    if dtype.kind not in "iu" or len(shape) != 1:
        return f"layer_dims must be a 1-D integer array, got {dtype} of shape {shape}"
    return None


def _parameter(name: str, want: tuple[int, ...],
               model: str) -> Callable[[np.dtype[Any], tuple[int, ...]], str | None]:
    def check(dtype: np.dtype[Any], shape: tuple[int, ...]) -> str | None:
        if shape != want:
            return f"{name} has shape {shape}, but {model} needs {want}"
        if dtype.kind != "f" or dtype.itemsize > 8 or dtype.fields is not None:
            return (f"{name} has dtype {dtype}; parameters are floating point (float16, "
                    "float32 or float64)")
        return None
    return check
