"""files.py: a write replaces the target whole or not at all; only regular files are used."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinygrad_course.files import FileError, atomic_write, check_target, open_regular

OLD = b"the previous, good file\n"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_bytes_text_and_a_writer_function(tmp_path):
    assert atomic_write(tmp_path / "a.bin", b"\x00\x01") == tmp_path / "a.bin"
    atomic_write(tmp_path / "b.txt", "dJ/dw = 3 · a")
    atomic_write(tmp_path / "c.bin", lambda f: f.write(b"xyz"))
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == "dJ/dw = 3 · a"
    assert (tmp_path / "c.bin").read_bytes() == b"xyz"
    assert leftovers(tmp_path) == []


@given(data=st.binary(max_size=4096), fail_at=st.integers(0, 4096),
       exc=st.sampled_from([RuntimeError, KeyboardInterrupt, OSError]))
def test_a_failure_while_writing_leaves_the_previous_file_and_no_temporary(
        tmp_path_factory, data, fail_at, exc):
    folder = tmp_path_factory.mktemp("w")
    target = folder / "model.npz"
    target.write_bytes(OLD)

    def writer(f):
        f.write(data[:fail_at])
        raise exc("disk on fire")

    with pytest.raises(exc):
        atomic_write(target, writer)
    assert target.read_bytes() == OLD
    assert leftovers(folder) == []


@given(data=st.binary(max_size=4096))
def test_a_write_that_succeeds_replaces_the_whole_file(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("w")
    target = folder / "out.svg"
    target.write_bytes(OLD * 100)
    atomic_write(target, data)
    assert target.read_bytes() == data
    assert leftovers(folder) == []


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path):
    kept = tmp_path / "kept"
    kept.write_bytes(OLD)
    kept.chmod(0o640)
    atomic_write(kept, b"new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "fresh", b"new")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh").stat().st_mode) == 0o644


def test_writing_through_a_symbolic_link_replaces_what_it_points_at(tmp_path):
    real = tmp_path / "real.svg"
    real.write_bytes(OLD)
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    assert atomic_write(link, b"new") == link
    assert link.is_symlink() and real.read_bytes() == b"new"


@pytest.mark.parametrize("make", ["fifo", "directory", "device"])
def test_an_existing_fifo_directory_or_device_is_refused_as_a_target(tmp_path, make):
    if make == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
        word = "FIFO"
    elif make == "directory":
        target = tmp_path / "folder"
        target.mkdir()
        word = "directory"
    else:
        target, word = Path(os.devnull), "character device"
    with pytest.raises(FileError, match=word) as info:
        atomic_write(target, b"x")
    assert str(target) in str(info.value)
    with pytest.raises(FileError, match=word):
        check_target(target)
    assert leftovers(tmp_path) == []


def test_a_missing_folder_or_text_that_cannot_be_encoded_is_a_file_error(tmp_path):
    with pytest.raises(FileError, match="the folder .* does not exist"):
        atomic_write(tmp_path / "no" / "such.svg", b"x")
    with pytest.raises(FileError, match="cannot be encoded") as info:
        atomic_write(tmp_path / "name.svg", "J\udcff")
    assert str(tmp_path / "name.svg") in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_open_regular_refuses_a_fifo_at_once_instead_of_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="FIFO"), open_regular(fifo, "model file"):
        pass
    with pytest.raises(FileError, match="directory"), open_regular(tmp_path, "model file"):
        pass
    with pytest.raises(FileNotFoundError, match="model file .* does not exist"), \
            open_regular(tmp_path / "absent", "model file"):
        pass
    (tmp_path / "ok").write_bytes(OLD)
    with open_regular(tmp_path / "ok") as f:
        assert f.read() == OLD


# A child process with a file-size limit: the write fails part way (EFBIG), as on a full disk.
_FSIZE_CHILD = textwrap.dedent("""
    import resource, signal, sys
    from tinygrad_course.files import FileError, atomic_write
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    try:
        atomic_write(sys.argv[1], b"x" * 100_000)
    except FileError as err:
        print(err)
        sys.exit(3)
""")


def test_a_write_cut_short_by_a_file_size_limit_leaves_the_previous_file(tmp_path):
    target = tmp_path / "model.npz"
    target.write_bytes(OLD)
    proc = subprocess.run([sys.executable, "-c", _FSIZE_CHILD, str(target)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert str(target) in proc.stdout and "too large" in proc.stdout.lower()
    assert target.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_full_filesystem_leaves_the_previous_file_and_names_the_reason(small_tmpfs):
    target = small_tmpfs / "model.npz"
    target.write_bytes(OLD)
    with pytest.raises(FileError, match="No space left on device") as info:
        atomic_write(target, b"x" * 200_000)
    assert str(target) in str(info.value)
    assert target.read_bytes() == OLD
    assert leftovers(small_tmpfs) == []
