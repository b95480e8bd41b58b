"""Model files a user hands in: limits, damage and fuzzing (tinygrad_course/nn/modelfile.py).

Every load of a hostile file runs in one long-lived worker process whose address space is
capped (RLIMIT_AS) at MEMORY_CAP over what it uses after importing numpy, so a loader that
inflated or allocated what a file declares would die of MemoryError there instead of passing.
The fuzz tests label their draws with ``event``: run pytest with --hypothesis-show-statistics
to see how many examples ran and what they hit.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tinygrad_course import nn
from tinygrad_course.files import FileError
from tinygrad_course.nn import modelfile

REPO = Path(__file__).resolve().parents[1]
MEMORY_CAP = 512 * 2**20
#: The fuzzers are cheap (a load is a millisecond), so they take several times the profile's
#: example budget.
FUZZ = settings(max_examples=settings.default.max_examples * 5)

WORKER = r"""
import hashlib, json, re, resource, sys, traceback
import numpy as np
from tinygrad_course import nn

def vm_bytes():
    return int(re.search(r"VmSize:\s+(\d+)", open("/proc/self/status").read()).group(1)) * 1024

_, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + int(sys.argv[1]), hard))
print("ready", resource.getrlimit(resource.RLIMIT_AS)[0], flush=True)
for line in sys.stdin:
    request = json.loads(line)
    try:
        options = {"allow_nonfinite": True} if request["allow_nonfinite"] else {}
        m = nn.load(request["path"], **options)
        out = {"outcome": "loaded", "model": type(m).__name__, "layer_dims": m.layer_dims,
               "activations": m.activations,
               "params": {k: [p.data.dtype.str, list(p.shape),
                              hashlib.sha256(np.ascontiguousarray(p.data).tobytes()).hexdigest()]
                          for k, p in m.parameters().items()}}
    except nn.ModelFileError as err:
        out = {"outcome": "ModelFileError", "message": str(err)}
    except BaseException as err:
        out = {"outcome": type(err).__name__, "message": traceback.format_exc()}
    m = None  # freed before the next load
    print(json.dumps(out), flush=True)
"""


class Worker:
    """A memory-capped process that loads the model files it is sent and reports outcomes."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, str(MEMORY_CAP)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=REPO)
        assert self.proc.stdout is not None
        ready, limit = self.proc.stdout.readline().split()
        assert ready == "ready" and 0 < int(limit) < 4 * 2**30  # the cap is in force

    def load(self, path: Path, allow_nonfinite: bool = False) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"path": str(path),
                                          "allow_nonfinite": allow_nonfinite}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the loader process died on {path} (exit code {self.proc.wait()})"
        return json.loads(line)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("modelfiles")


def digest(model: nn.Model) -> dict[str, Any]:
    """What the worker reports for a model it loaded."""
    return {"outcome": "loaded", "model": type(model).__name__, "layer_dims": model.layer_dims,
            "activations": model.activations,
            "params": {k: [p.data.dtype.str, list(p.shape),
                           hashlib.sha256(np.ascontiguousarray(p.data).tobytes()).hexdigest()]
                       for k, p in model.parameters().items()}}


def refused(result: dict[str, Any], path: Path, *words: str) -> None:
    assert result["outcome"] == "ModelFileError", result
    assert result["message"].startswith(str(path)), result["message"]
    for word in words:
        assert word in result["message"], result["message"]


# ---- a zip writer whose every field can be wrong -------------------------------------------------
@dataclass(frozen=True)
class Member:
    name: str
    payload: bytes  # the uncompressed bytes
    method: int = zipfile.ZIP_STORED
    flags: int = 0
    version: int = 20
    declared: int | None = None  # the uncompressed size the directory claims
    crc: int | None = None
    raw: bytes | None = None  # the bytes to store as the member's data, if not payload's


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def build_zip(members: list[Member]) -> bytes:
    """A zip archive as np.savez lays one out: local headers and data from byte 0, then the
    central directory, then the end record."""
    out, central = bytearray(), bytearray()
    for m in members:
        data = m.payload
        if m.raw is not None:
            data = m.raw
        elif m.method == zipfile.ZIP_DEFLATED:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = c.compress(m.payload) + c.flush()
        name = m.name.encode("utf-8")
        flags = m.flags | (0x800 if not m.name.isascii() else 0)
        crc = zlib.crc32(m.payload) if m.crc is None else m.crc
        size = len(m.payload) if m.declared is None else m.declared
        extra = b""
        if size >= 0xFFFFFFFF:
            extra, size = struct.pack("<HHQ", 1, 8, size), 0xFFFFFFFF
        offset = len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", m.version, flags, m.method & 0xFFFF, 0,
                           0x21, crc, len(data), min(size, 0xFFFFFFFF), len(name), 0) + name
        out += data
        central += struct.pack("<4s6H3L5HLL", b"PK\x01\x02", m.version, m.version, flags,
                               m.method & 0xFFFF, 0, 0x21, crc, len(data), size, len(name),
                               len(extra), 0, 0, 0, 0, offset) + name + extra
    n = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    return bytes(out + central + end)


def members_of(path: Path) -> list[Member]:
    with zipfile.ZipFile(path) as z:
        return [Member(i.filename, z.read(i)) for i in z.infolist()]


def swap(members: list[Member], name: str, **changes: Any) -> list[Member]:
    return [replace(m, **changes) if m.name == name else m for m in members]


@pytest.fixture(scope="module")
def original(scratch):
    model = nn.DeepNN([3, 4, 2, 1], hidden_activation="tanh", rng=1)
    path = model.save(scratch / "original.npz")
    return model, path


def write(scratch: Path, data: bytes, name: str = "case.npz") -> Path:
    path = scratch / name
    path.write_bytes(data)
    return path


def test_the_zip_writer_writes_what_load_reads(worker, scratch, original):
    """Every crafted archive below differs from this one by its flaw alone."""
    model, path = original
    rebuilt = write(scratch, build_zip(members_of(path)))
    assert worker.load(rebuilt) == digest(model)
    assert worker.load(path) == digest(model)


# ---- the cases of the issue: each one escaped the old loader ----------------------------------
def test_a_gigabyte_of_zeros_in_an_extra_member_is_refused_before_inflating(worker, scratch):
    """A 4.5 MB file: a real model and a member that inflates to 1 GiB of zeros (the old loader
    inflated every member before looking: a MemoryError under the cap)."""
    path = nn.DeepNN([12288, 35, 1], rng=0).save(scratch / "big.npz")
    chunk = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)  # the same bytes for every MiB
    stream = block * 1024 + c.flush()
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(chunk, crc)
    padding = Member("padding.npy", b"", zipfile.ZIP_DEFLATED, raw=stream, declared=1 << 30,
                     crc=crc)
    bad = write(scratch, build_zip(members_of(path) + [padding]), "bomb.npz")
    assert 4_000_000 < bad.stat().st_size < 5_000_000
    with zipfile.ZipFile(bad) as z:  # a sound zip: the member is 1 GiB of zeros
        info = z.getinfo("padding.npy")
        assert info.file_size == 1 << 30 and info.CRC == crc
        with z.open(info) as member:
            assert member.read(1 << 20) == chunk
    refused(worker.load(bad), bad, "unexpected member 'padding.npy'")
    as_parameter = build_zip([m for m in members_of(path) if m.name != "W2.npy"]
                             + [replace(padding, name="W2.npy")])
    bad = write(scratch, as_parameter, "bomb2.npz")
    refused(worker.load(bad), bad, "'W2.npy' declares 1,073,741,824 bytes")


def test_a_2kb_file_declaring_a_huge_network_is_refused_before_allocating(worker, scratch):
    """layer_dims [40000, 40000, 1] means 1.6 billion parameters, 12.8 GB: the old loader built
    the model before reading its parameters (a MemoryError under the cap)."""
    arrays = {"format": np.array(modelfile.FILE_FORMAT), "model": np.array("DeepNN"),
              "layer_dims": np.array([40000, 40000, 1]),
              "activations": np.array(["relu", "sigmoid"]), "W1": np.zeros((1, 1))}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    bad = write(scratch, buf.getvalue(), "huge.npz")
    assert bad.stat().st_size < 2048
    refused(worker.load(bad), bad, "1,600,080,001 parameters", "MAX_PARAMETERS")
    many = dict(arrays, layer_dims=np.ones(modelfile.MAX_LAYERS + 2, dtype=np.int64),
                activations=np.array(["relu"] * modelfile.MAX_LAYERS + ["sigmoid"]))
    buf = io.BytesIO()
    np.savez(buf, **many)
    bad = write(scratch, buf.getvalue(), "deep.npz")
    refused(worker.load(bad), bad, f"at most {modelfile.MAX_LAYERS} layers")


def test_raw_bytes_in_format_npy(worker, scratch, original):
    """The old loader returned the raw bytes of a member that is not an .npy array, then
    failed with AttributeError on its .shape."""
    _, path = original
    members = swap(members_of(path), "format.npy", payload=modelfile.FILE_FORMAT.encode())
    bad = write(scratch, build_zip(members))
    refused(worker.load(bad), bad, "'format.npy' is not an .npy array")


def test_an_encryption_flag(worker, scratch, original):
    """The old loader raised zipfile's RuntimeError (password required)."""
    _, path = original
    bad = write(scratch, build_zip(swap(members_of(path), "W1.npy", flags=0x1)))
    refused(worker.load(bad), bad, "'W1.npy' is encrypted")
    with zipfile.ZipFile(bad) as z, pytest.raises(RuntimeError):
        z.read("W1.npy")


@pytest.mark.parametrize("flaw", [{"method": 99}, {"method": 0x100},
                                  {"version": 20 | 0x80}])
def test_an_unknown_compression_or_a_flipped_bit_in_the_zip_version(worker, scratch, original,
                                                                    flaw):
    """The old loader raised zipfile's NotImplementedError."""
    _, path = original
    bad = write(scratch, build_zip(swap(members_of(path), "b1.npy", **flaw)))
    refused(worker.load(bad), bad, "compression method" if "method" in flaw
            else "zip file version")
    with pytest.raises(NotImplementedError):
        with zipfile.ZipFile(bad) as z:
            z.read("b1.npy")


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused_unless_asked_for(worker, scratch, original, value):
    model, path = original
    arrays = {m.name[:-4]: np.load(io.BytesIO(m.payload)) for m in members_of(path)}
    arrays["W2"][1, 0] = value
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    bad = write(scratch, buf.getvalue())
    refused(worker.load(bad), bad, "W2 holds 1 NaN or infinite value(s)", "allow_nonfinite=True")
    back = nn.load(bad, allow_nonfinite=True)
    assert type(back) is nn.DeepNN
    np.testing.assert_array_equal(back.parameters()["W2"].data, arrays["W2"])
    assert worker.load(bad, allow_nonfinite=True)["outcome"] == "loaded"
    with pytest.raises(nn.ModelFileError):
        nn.DeepNN.load(bad)


# ---- what loads ---------------------------------------------------------------------------------
@pytest.mark.parametrize("convert", [
    lambda a: a.astype(np.float32), lambda a: a.astype(">f8"), np.asfortranarray,
    lambda a: a.astype(np.float16)])
def test_other_float_layouts_load_as_float64(scratch, original, convert):
    model, path = original
    arrays = {m.name[:-4]: np.load(io.BytesIO(m.payload)) for m in members_of(path)}
    for k in model.parameters():
        arrays[k] = convert(arrays[k])
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    back = nn.load(write(scratch, buf.getvalue()))
    for k, p in back.parameters().items():
        assert p.data.dtype == np.float64 and p.data.flags.c_contiguous and p.requires_grad
        np.testing.assert_array_equal(p.data, arrays[k].astype(np.float64))


def test_a_deflated_archive_loads(scratch, original):
    model, path = original
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    loaded = nn.load(write(scratch, buf.getvalue()))
    assert digest(loaded) == digest(model)


def test_only_regular_files_are_read(tmp_path):
    with pytest.raises(nn.ModelFileError, match="is a directory, not a regular file"):
        nn.load(tmp_path)
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # with no writer: opening it blocking would wait forever
    with pytest.raises(nn.ModelFileError, match=r"is a FIFO \(named pipe\), not a regular"):
        nn.load(fifo)
    with pytest.raises(nn.ModelFileError, match="is a character device"):
        nn.load("/dev/zero")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nn.load(tmp_path / "missing.npz")


def test_an_array_of_empty_strings_declaring_a_trillion_names(worker, scratch, original):
    """Zero bytes an element: the size check alone would let a loop over 10**12 names run."""
    _, path = original
    members = swap(members_of(path), "activations.npy", payload=npy_header("<U0", (10**12,)))
    bad = write(scratch, build_zip(members))
    refused(worker.load(bad), bad, "of no bytes")


def test_the_documented_limits_are_the_constants():
    doc = (REPO / "docs" / "models.md").read_text(encoding="utf-8")
    for row in (f"| `MAX_PARAMETERS` | 2**25 = {modelfile.MAX_PARAMETERS:,} |",
                f"| `MAX_LAYERS` | {modelfile.MAX_LAYERS} |",
                "| `MAX_FILE_BYTES` | 8 × MAX_PARAMETERS + 16 MiB = "
                f"{modelfile.MAX_FILE_BYTES:,} |",
                f"| `NPY_HEADER_BYTES` | {modelfile.NPY_HEADER_BYTES} |",
                f"| `META_MEMBER_BYTES` | {modelfile.META_MEMBER_BYTES:,} |",
                f"| `MAX_MEMBERS` | {modelfile.MAX_MEMBERS} |"):
        assert row in doc, row
    assert modelfile.MAX_PARAMETERS == 2**25


def test_a_file_over_the_cap_is_refused_before_reading(tmp_path, monkeypatch):
    path = nn.LogisticRegression(3).save(tmp_path / "m.npz")
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(nn.ModelFileError, match="more than the"):
        nn.load(path)


# ---- saving -------------------------------------------------------------------------------------
SAVE_IN_SUBPROCESS = r"""
import resource, signal, sys
from tinygrad_course import nn
from tinygrad_course.files import FileError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
try:
    nn.DeepNN([200, 100, 1], rng=0).save(sys.argv[1])
except FileError as err:
    print("FileError", err)
"""


def test_a_save_that_fills_the_disk_leaves_the_previous_file(small_disk, tmp_path):
    folder = small_disk or tmp_path
    previous = nn.LogisticRegression(3).save(folder / "model.npz")
    before = previous.read_bytes()
    big = nn.DeepNN([200, 100, 1], rng=0)  # 160 kB of parameters
    if small_disk is not None:
        with pytest.raises(FileError) as caught:
            big.save(previous)
        assert caught.value.errno == errno.ENOSPC
        message = str(caught.value)
    else:  # no mount: a file-size limit in a subprocess does the same
        env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1")
        run = subprocess.run([sys.executable, "-c", SAVE_IN_SUBPROCESS, str(previous)],
                             capture_output=True, text=True, env=env, check=True)
        assert run.stdout.startswith("FileError"), run
        message = run.stdout
    assert str(previous) in message
    assert previous.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["model.npz"]
    assert isinstance(nn.load(previous), nn.LogisticRegression)


def test_save_refuses_a_directory_before_writing(tmp_path):
    with pytest.raises(FileError, match="is a directory"):
        nn.LogisticRegression(3).save(tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---- fuzzing: truncations, bit flips, crafted archives -----------------------------------------
IGNORED = ("local header, a field zipfile ignores", "central directory, a field zipfile ignores")


@pytest.fixture(scope="module")
def layout(original) -> list[tuple[str, int, int]]:
    """(what, start, end) of every field of the original file. zipfile reads a member's
    version, flags, method, time, CRC and sizes from the central directory, not its local
    header; of the directory's entry it ignores the creating version, the date and time, the
    disk number and the attributes; a lowered version needed and the flag bits Model.save may
    write (deflate options, data descriptor, UTF-8 names) are accepted."""
    _, path = original
    blob = path.read_bytes()
    local, central = (IGNORED[0], "local header, checked"), (IGNORED[1],
                                                               "central directory, checked")
    regions = []
    with zipfile.ZipFile(path) as z:
        infos, at = z.infolist(), z.start_dir
    for info in infos:
        o = info.header_offset
        name_len, extra_len = struct.unpack_from("<HH", blob, o + 26)
        data = o + 30 + name_len + extra_len
        regions += [(local[1], o, o + 4), (local[0], o + 4, o + 26), (local[1], o + 26, data
                    - extra_len), (local[0], data - extra_len, data),
                    ("member data", data, data + info.compress_size)]
    while at < len(blob) - 22:
        n = 46 + sum(struct.unpack_from("<3H", blob, at + 28))
        regions += [(central[1], at, at + 4), (central[0], at + 4, at + 10),
                    (central[1], at + 10, at + 12), (central[0], at + 12, at + 16),
                    (central[1], at + 16, at + 34), (central[0], at + 34, at + 42),
                    (central[1], at + 42, at + n)]
        at += n
    regions.append(("end record", len(blob) - 22, len(blob)))
    assert [r[1] for r in regions[1:]] == [r[2] for r in regions[:-1]]  # they tile the file
    return regions


@FUZZ
@given(data=st.data())
def test_every_truncation_is_refused(worker, scratch, original, layout, data):
    _, path = original
    kind = data.draw(st.sampled_from(["local header", "member data", "central directory",
                                      "end record"]), label="cut inside the")
    _, start, end = data.draw(st.sampled_from([r for r in layout if r[0].startswith(kind)]),
                              label="field")
    cut = data.draw(st.integers(start, end - 1), label="cut at")
    event(f"cut inside the {kind}")
    bad = write(scratch, path.read_bytes()[:cut])
    refused(worker.load(bad), bad)


@FUZZ
@given(data=st.data())
def test_bytes_after_the_archive_are_refused(worker, scratch, original, data):
    _, path = original
    tail = data.draw(st.binary(min_size=1, max_size=100), label="appended")
    bad = write(scratch, path.read_bytes() + tail)
    refused(worker.load(bad), bad)


@FUZZ
@given(data=st.data())
def test_a_flipped_bit_is_refused_or_changes_nothing(worker, scratch, original, layout, data):
    """One to three flipped bits anywhere: the load is refused, or every changed byte is in a
    field zipfile ignores (see ``layout``) and the model is bit for bit the original."""
    model, path = original
    blob = bytearray(path.read_bytes())
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(0, 7)),
                               min_size=1, max_size=3), label="flips")
    for offset, bit in flips:
        blob[offset] ^= 1 << bit
    bad = write(scratch, bytes(blob))
    result = worker.load(bad)
    changed = [i for i, (a, b) in enumerate(zip(blob, path.read_bytes())) if a != b]
    hit = {kind for offset in changed for kind, start, end in layout if start <= offset < end}
    if result["outcome"] == "loaded":
        assert result == digest(model)
        assert hit <= set(IGNORED), (flips, hit)
        event("loaded, unchanged")
    else:
        refused(result, bad)
        event("refused")
    for kind in hit:
        event(f"a flip in the {kind}")


WITNESS_NAME = "code-ran"


class _OpensAFile:
    """Unpickling this creates a file (builtins.open, so the worker needs no test module)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


PARAMS = ["W1.npy", "b1.npy", "W2.npy", "b2.npy", "W3.npy", "b3.npy"]
META = ["format.npy", "model.npy", "layer_dims.npy", "activations.npy"]
WRONG_DTYPES = [np.int8, np.int64, np.uint32, np.bool_, np.complex64, np.complex128,
                np.longdouble, "U5", "S8", "V8", [("a", "<f8")], "M8[s]", "m8[s]"]


def _foreign(data, members, scratch):
    name = data.draw(st.one_of(
        st.text(min_size=1, max_size=24),
        st.sampled_from(["W4.npy", "b0.npy", "w.npy", "x.npy", "../W1.npy", "W1", "W1.npy\0",
                         "format.npy", "W1.npy", "dir/W1.npy", "W01.npy"])), label="name")
    payload = data.draw(st.sampled_from([npy(np.zeros((1, 1))), b"", b"junk"]), label="data")
    at = data.draw(st.integers(0, len(members)), label="position")
    return "a foreign or doubled member", members[:at] + [Member(name, payload)] + members[at:]


def _declared(data, members, scratch):
    m = data.draw(st.sampled_from(members), label="member")
    size = data.draw(st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 1000),
                               st.sampled_from([2**30, 2**32 - 2, 2**32, 2**63])).filter(
        lambda n: n != len(m.payload)), label="declared size")
    method = data.draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    return "a wrong declared size", swap(members, m.name, declared=size, method=method)


def _dtype(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    shape = np.load(io.BytesIO(next(m.payload for m in members if m.name == name))).shape
    dtype = np.dtype(data.draw(st.sampled_from(WRONG_DTYPES), label="dtype"))
    return "a wrong dtype", swap(members, name, payload=npy(np.zeros(shape, dtype)))


def _shape(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS), label="member")
    want = np.load(io.BytesIO(next(m.payload for m in members if m.name == name))).shape
    shape = data.draw(st.lists(st.integers(0, 5), max_size=3).map(tuple).filter(
        lambda s: s != want), label="shape")
    return "a wrong shape", swap(members, name, payload=npy(np.zeros(shape)))


def _pickled(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    payload = _OpensAFile(str(scratch / WITNESS_NAME))
    raw = data.draw(st.booleans(), label="bare pickle")
    arr = np.empty((1,), dtype=object)
    arr[0] = payload
    body = pickle.dumps(payload) if raw else npy(arr)
    return "a pickle", swap(members, name, payload=body)


def _compression(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    method = data.draw(st.one_of(st.sampled_from([1, 6, 9, 12, 14, 93, 95, 98, 99]),
                                 st.integers(1, 7), st.integers(9, 0xFFFF)), label="method")
    return "an unknown compression", swap(members, name, method=method)


def _flags(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    bit = data.draw(st.sampled_from([0, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]), label="bit")
    flags = (1 << bit) | data.draw(st.integers(0, 0xFFFF), label="other flags")
    return ("an encryption bit" if flags & 0x41 else "an unknown flag bit",
            swap(members, name, flags=flags))


def _version(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    version = data.draw(st.integers(64, 0xFF), label="version")  # one byte in the zip
    return "a zip version too new", swap(members, name, version=version)


def _crc(data, members, scratch):
    m = data.draw(st.sampled_from(members), label="member")
    crc = data.draw(st.integers(0, 2**32 - 1).filter(lambda c: c != zlib.crc32(m.payload)))
    return "a wrong CRC", swap(members, m.name, crc=crc)


def _layer_dims(data, members, scratch):
    dims = data.draw(st.one_of(
        st.lists(st.integers(-2**63, 2**63 - 1), max_size=6),
        st.lists(st.integers(-3, 50_000), max_size=6),
        st.integers(1002, 3000).map(lambda n: [1] * n)).filter(lambda d: d != [3, 4, 2, 1]),
        label="layer_dims")
    return "a wrong layer_dims", swap(members, "layer_dims.npy",
                                      payload=npy(np.array(dims, dtype=np.int64)))


def _text(data, members, scratch):
    name = data.draw(st.sampled_from(["format.npy", "model.npy"]), label="member")
    text = data.draw(st.text(max_size=40).filter(
        lambda t: t not in ("DeepNN", modelfile.FILE_FORMAT)), label="text")
    return "a wrong format or model", swap(members, name, payload=npy(np.array(text)))


def npy_header(descr: str, shape: tuple[int, ...]) -> bytes:
    """An .npy file of a header alone: what it declares is never built."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def _header(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS + META), label="member")
    descr = data.draw(st.sampled_from(["<U0", "|V0", "<f8", "<U10", "|S0", "<i8"]), label="descr")
    shape = data.draw(st.lists(st.integers(0, 2**40), min_size=1, max_size=3).map(tuple),
                      label="shape")
    extra = data.draw(st.binary(max_size=64), label="then")
    return "a header declaring a big array", swap(members, name,
                                                   payload=npy_header(descr, shape) + extra)


def _nonfinite(data, members, scratch):
    name = data.draw(st.sampled_from(PARAMS), label="member")
    array = np.load(io.BytesIO(next(m.payload for m in members if m.name == name)))
    index = data.draw(st.integers(0, array.size - 1), label="index")
    array.flat[index] = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    return "a non-finite weight", swap(members, name, payload=npy(array))


FLAWS = [_foreign, _declared, _dtype, _shape, _pickled, _compression, _flags, _version, _crc,
         _layer_dims, _text, _header, _nonfinite]


@FUZZ
@given(data=st.data())
def test_every_crafted_flaw_is_refused(worker, scratch, original, data):
    _, path = original
    flaw = data.draw(st.sampled_from(FLAWS), label="flaw")
    what, members = flaw(data, members_of(path), scratch)
    deflate = data.draw(st.booleans(), label="deflate the sound members")
    if deflate:
        members = [replace(m, method=zipfile.ZIP_DEFLATED)
                   if m.method == zipfile.ZIP_STORED and m.declared is None else m
                   for m in members]
    event(what)
    bad = write(scratch, build_zip(members))
    refused(worker.load(bad), bad)
    assert not (scratch / WITNESS_NAME).exists()
