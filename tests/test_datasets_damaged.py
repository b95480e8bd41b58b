"""load_catvnoncat on files that are not the course's: each is refused with a DatasetError
naming the file and dataset, or loads as documented; nothing else escapes, nothing hangs.

Loads that could hang (a FIFO) or take gigabytes (declared sizes) run in a child process
with capped memory (tests/dataset_load_worker.py); the rest run here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from dataset_load_worker import Loader

from tinygrad_course import datasets as D
from tinygrad_course.datasets import DatasetError, DatasetNotFoundError, load_catvnoncat

h5py = pytest.importorskip("h5py")

KEYS = {"train": ("train_set_x", "train_set_y"), "test": ("test_set_x", "test_set_y")}


def run_loads(folders: list[Path], *, flags: tuple[str, ...] = ()) -> list[dict]:
    """load_catvnoncat on each folder in a child process with capped memory."""
    loader = Loader(flags=flags)
    try:
        return [loader.load(folder) for folder in folders]
    finally:
        loader.close()


def write_course_like(folder: Path, m_train: int = 3, m_test: int = 2,
                      **changes: Callable[[h5py.File, str], None]) -> Path:
    """Small files shaped like the course's; ``changes[name](f, prefix)`` then alters the
    ``name`` file ("train" or "test") while it is open for writing."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, m in (("train", m_train), ("test", m_test)):
        x_key, y_key = KEYS[name]
        with h5py.File(folder / f"{name}_catvnoncat.h5", "w") as f:
            f[x_key] = np.arange(m * 4 * 4 * 3, dtype=np.uint8).reshape(m, 4, 4, 3)
            f[y_key] = np.arange(m, dtype=np.int64) % 2
            f["list_classes"] = np.array([b"non-cat", b"cat"])
            if name in changes:
                changes[name](f, name)
    return folder


def replace(key: str, value: object, **kwargs: object) -> Callable[[h5py.File, str], None]:
    """A change that puts ``value`` in place of the dataset ``{prefix}{key}``."""
    def change(f: h5py.File, prefix: str) -> None:
        name = key if key == "list_classes" else f"{prefix}{key}"
        del f[name]
        if callable(value):
            value(f, name)
        else:
            f.create_dataset(name, data=value, **kwargs)
    return change


def refused(folder: Path, *words: str) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        load_catvnoncat(folder)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert not isinstance(info.value, DatasetNotFoundError)
    return info.value


def train_file(folder: Path) -> str:
    return str(folder / "train_catvnoncat.h5")


# --------------------------------------------------------------- what the datasets hold

@pytest.mark.parametrize("images, words", [
    (np.full((3, 4, 4, 3), b"a"), ["byte strings"]),
    (np.zeros((3, 4, 4, 3), dtype=[("r", "u1"), ("g", "u1")]), ["compound"]),
    (np.zeros((3, 4, 4, 3), dtype=bool), ["booleans"]),
    (np.zeros((3, 4, 4, 3), dtype=np.uint16), ["unsigned integers"]),
    (np.zeros((3, 4, 4, 3), dtype=np.int8), ["signed integers"]),
    (np.zeros((3, 4, 4, 3), dtype=complex), ["complex"]),
])
def test_images_of_the_wrong_type(tmp_path, images, words):
    write_course_like(tmp_path, train=replace("_set_x", images))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "not uint8 or floating", *words)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_images_that_are_not_finite(tmp_path, bad):
    images = np.full((3, 4, 4, 3), 7.0, dtype=np.float32)
    images[1, 2, 3, 0] = bad
    write_course_like(tmp_path, train=replace("_set_x", images))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "(1, 2, 3, 0)", "finite")


@pytest.mark.parametrize("low, high", [(-1.0, 200.0), (0.0, 255.5), (0.0, 1e30)])
def test_floating_images_outside_0_255(tmp_path, low, high):
    images = np.linspace(low, high, 3 * 48).reshape(3, 4, 4, 3)
    write_course_like(tmp_path, train=replace("_set_x", images))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "[0, 255]")


def test_floating_images_already_scaled_to_0_1(tmp_path):
    images = np.linspace(0, 1, 3 * 48).reshape(3, 4, 4, 3)
    write_course_like(tmp_path, train=replace("_set_x", images))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "already scaled")


@pytest.mark.parametrize("dtype", ["<f2", ">f4", "<f8"])
def test_floating_images_load_as_float64_with_their_values(tmp_path, dtype):
    pixels = np.arange(3 * 48).reshape(3, 4, 4, 3) * 1.5  # 0 .. 214.5
    write_course_like(tmp_path, train=replace("_set_x", pixels.astype(dtype)))
    train_x, train_y, test_x, *_ = load_catvnoncat(tmp_path)
    assert train_x.dtype == np.float64 and test_x.dtype == np.uint8
    np.testing.assert_array_equal(train_x, pixels.astype(dtype).astype(np.float64))
    assert D.preprocess_images(train_x).max() == pytest.approx(214.5 / 255)


def test_whole_floating_values_in_0_1_are_not_taken_for_scaled(tmp_path):
    images = (np.arange(3 * 48).reshape(3, 4, 4, 3) % 2).astype(np.float32)
    write_course_like(tmp_path, train=replace("_set_x", images))
    np.testing.assert_array_equal(load_catvnoncat(tmp_path)[0], images)


@pytest.mark.parametrize("labels, words", [
    (np.array([0, 7.5, 1]), ["floating", "not an integer type"]),
    (np.array([0, -1, 1]), ["-1 at index 1", "0 or 1"]),
    (np.array([0, 1, 7], dtype=np.uint8), ["7 at index 2", "0 or 1"]),
    (np.array([True, False, True]), ["booleans", "not an integer type"]),
    (np.array([b"0", b"1", b"1"]), ["byte strings"]),
])
def test_bad_labels(tmp_path, labels, words):
    write_course_like(tmp_path, train=replace("_set_y", labels))
    refused(tmp_path, train_file(tmp_path), "train_set_y", *words)


@pytest.mark.parametrize("dtype", [">i4", "<u1", "<i8"])
def test_labels_of_any_integer_type_load_as_int64(tmp_path, dtype):
    write_course_like(tmp_path, train=replace("_set_y", np.array([1, 0, 1], dtype=dtype)))
    train_y = load_catvnoncat(tmp_path)[1]
    assert train_y.dtype == np.int64 and train_y.tolist() == [[1, 0, 1]]


def test_zero_examples(tmp_path):
    write_course_like(tmp_path, train=replace("_set_x", np.zeros((0, 4, 4, 3), np.uint8)))
    with h5py.File(tmp_path / "train_catvnoncat.h5", "a") as f:
        del f["train_set_y"]
        f["train_set_y"] = np.zeros(0, np.int64)
    refused(tmp_path, train_file(tmp_path), "train_set_x", "m, height, width >= 1")


@pytest.mark.parametrize("shape", [(3, 4, 4), (3, 4, 4, 2), (3, 0, 4, 3), (3, 4, 4, 3, 1)])
def test_images_of_the_wrong_shape(tmp_path, shape):
    write_course_like(tmp_path, train=replace("_set_x", np.zeros(shape, np.uint8)))
    refused(tmp_path, train_file(tmp_path), "train_set_x", f"shape {shape}")


@pytest.mark.parametrize("channels", [1, 4])
def test_one_or_four_channels_load(tmp_path, channels):
    write_course_like(tmp_path, train=replace("_set_x", np.ones((3, 5, 6, channels), np.uint8)),
                      test=replace("_set_x", np.ones((2, 5, 6, channels), np.uint8)))
    assert load_catvnoncat(tmp_path)[0].shape == (3, 5, 6, channels)


def test_labels_of_the_wrong_shape(tmp_path):
    write_course_like(tmp_path, train=replace("_set_y", np.zeros((1, 3), np.int64)))
    refused(tmp_path, train_file(tmp_path), "train_set_y", "shape (1, 3)")


def test_train_and_test_images_must_agree(tmp_path):
    write_course_like(tmp_path, test=replace("_set_x", np.zeros((2, 4, 5, 3), np.uint8)))
    refused(tmp_path, "(4, 4, 3)", "(4, 5, 3)", "test_catvnoncat.h5")


@pytest.mark.parametrize("classes, words", [
    (np.array([b"non-cat", b"cat", b"dog"]), ["shape (3,)", "two class names"]),
    (np.array([0, 1]), ["signed integers", "two class names"]),
    (np.array(b"cat"), ["shape ()"]),
    (np.array([b"non-cat", b"\xff\xfe"]), ["not UTF-8"]),
    (np.array([b"non-cat", b"c" * 300]), ["300 bytes"]),
])
def test_bad_list_classes(tmp_path, classes, words):
    write_course_like(tmp_path, test=replace("list_classes", classes))
    refused(tmp_path, "test_catvnoncat.h5", "list_classes", *words)


def test_list_classes_must_agree(tmp_path):
    write_course_like(tmp_path, train=replace("list_classes", np.array([b"cat", b"non-cat"])))
    refused(tmp_path, "list_classes differs", "train_catvnoncat.h5", "test_catvnoncat.h5")


def test_variable_length_class_names_load_as_bytes(tmp_path):
    names = replace("list_classes", ["non-cat", "cat"])  # h5py stores str as vlen UTF-8
    write_course_like(tmp_path, train=names, test=names)
    classes = load_catvnoncat(tmp_path)[4]
    assert classes.dtype == np.dtype("S7") and classes.tolist() == [b"non-cat", b"cat"]


# --------------------------------------------------------------- what h5py trips over

def _soft(target: str) -> Callable[[h5py.File, str], None]:
    def make(f: h5py.File, name: str) -> None:
        f[name] = h5py.SoftLink(target)
    return make


@pytest.mark.parametrize("make, words", [
    (lambda f, name: f.create_dataset(name, data=h5py.Empty("u1")), ["empty dataspace"]),
    (lambda f, name: f.create_group(name), ["is a group, not a dataset"]),
    (_soft("/nowhere"), ["link to /nowhere, which does not exist"]),
    (lambda f, name: f.create_dataset(name, data=np.uint8(3)), ["shape ()"]),
])
def test_what_h5py_would_raise_on_names_the_dataset(tmp_path, make, words):
    write_course_like(tmp_path, train=replace("_set_x", make))
    refused(tmp_path, train_file(tmp_path), "dataset train_set_x", *words)


def test_a_soft_link_to_the_data_is_followed(tmp_path):
    def moved(f: h5py.File, name: str) -> None:
        f["stored/x"] = np.ones((3, 4, 4, 3), np.uint8)
        f[name] = h5py.SoftLink("/stored/x")
    write_course_like(tmp_path, train=replace("_set_x", moved))
    assert load_catvnoncat(tmp_path)[0].shape == (3, 4, 4, 3)


def test_a_soft_link_through_a_further_link_is_not_followed(tmp_path):
    def twice(f: h5py.File, name: str) -> None:
        f["stored/x"] = np.ones((3, 4, 4, 3), np.uint8)
        f["via"] = h5py.SoftLink("/stored")
        f[name] = h5py.SoftLink("/via/x")
    write_course_like(tmp_path, train=replace("_set_x", twice))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "through the further link /via")


def test_an_external_link_is_not_followed(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    write_course_like(tmp_path / "elsewhere")
    other = str(tmp_path / "elsewhere" / "train_catvnoncat.h5")
    write_course_like(tmp_path, train=replace("_set_x", lambda f, name: f.__setitem__(
        name, h5py.ExternalLink(other, "/train_set_x"))))
    refused(tmp_path, train_file(tmp_path), "train_set_x", "in another file", other)


def test_truncated_files(tmp_path):
    write_course_like(tmp_path)
    path = tmp_path / "train_catvnoncat.h5"
    data = path.read_bytes()
    for cut in (0, 7, 100, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        refused(tmp_path, train_file(tmp_path), "not a readable HDF5 file")


def test_a_directory_in_place_of_a_file(tmp_path):
    write_course_like(tmp_path)
    (tmp_path / "test_catvnoncat.h5").unlink()
    (tmp_path / "test_catvnoncat.h5").mkdir()
    refused(tmp_path, "test_catvnoncat.h5", "is a directory, not a regular file")


def test_the_declared_size_is_checked_before_reading(tmp_path, monkeypatch):
    write_course_like(tmp_path, m_train=10)
    monkeypatch.setattr(D, "MAX_DATASET_BYTES", 10 * 48)  # exactly the train images
    assert load_catvnoncat(tmp_path)[0].shape == (10, 4, 4, 3)
    monkeypatch.setattr(D, "MAX_DATASET_BYTES", 10 * 48 - 1)
    refused(tmp_path, train_file(tmp_path), "train_set_x", "10x4x4x3", "480 bytes",
            "MAX_DATASET_BYTES")


def test_the_declared_chunk_size_is_checked_before_reading(tmp_path, monkeypatch):
    write_course_like(tmp_path, train=replace(
        "_set_x", np.zeros((3, 4, 4, 3), np.uint8), maxshape=(None, 4, 4, 3),
        chunks=(1000, 4, 4, 3)))
    monkeypatch.setattr(D, "MAX_DATASET_BYTES", 1000 * 48 - 1)
    refused(tmp_path, train_file(tmp_path), "train_set_x", "declares chunks of 1000x4x4x3")


@pytest.mark.parametrize("name, error, words", [
    ("~no_such_user_here/data", DatasetNotFoundError, "does not exist"),
    ("x" * 5000, DatasetError, "cannot be read: File name too long"),
])
def test_folder_names_that_cannot_be_looked_up(tmp_path, monkeypatch, name, error, words):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=words):
        load_catvnoncat(name)
    monkeypatch.setenv(D.DATA_ENV_VAR, name)
    with pytest.raises(error, match=words):
        load_catvnoncat()


# --------------------------------------------------------------- in a child process

def test_unwritten_chunks_declaring_gigabytes_are_refused_unread(tmp_path):
    """2 KB on disk, 1.2 GB declared: refused from the declaration with the module's cap,
    in a child that could not hold the data anyway."""
    write_course_like(tmp_path, train=replace("_set_x", lambda f, name: f.create_dataset(
        name, shape=(100_000, 64, 64, 3), dtype=np.uint8, chunks=(1, 64, 64, 3))))
    assert (tmp_path / "train_catvnoncat.h5").stat().st_size < 10_000
    [line] = run_loads([tmp_path])
    assert line["outcome"] == "DatasetError", line
    assert "train_set_x" in line["message"] and "1,228,800,000 bytes" in line["message"]
    assert f"{D.MAX_DATASET_BYTES:,}" in line["message"]


def test_a_filter_h5py_lacks_is_a_dataset_error(tmp_path):
    write_course_like(tmp_path, train=replace("_set_x", np.ones((3, 4, 4, 3), np.uint8),
                                              compression="lzf"))
    [line] = run_loads([tmp_path], flags=("unregister-lzf",))
    assert line["outcome"] == "DatasetError", line
    assert train_file(tmp_path) in line["message"] and "train_set_x" in line["message"]


def _fifo_at(path: Path) -> None:
    path.unlink(missing_ok=True)
    os.mkfifo(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_are_refused_without_waiting(tmp_path):
    folders = []
    for i, name in enumerate(["train_catvnoncat.h5", "test_catvnoncat.h5"]):
        folders.append(write_course_like(tmp_path / str(i)))
        _fifo_at(folders[-1] / name)
    # data stored outside the file, in a FIFO: an external link and external raw storage
    for how in ("link", "storage", "soft link"):
        folder = write_course_like(tmp_path / how)
        _fifo_at(folder / "pipe")
        with h5py.File(folder / "train_catvnoncat.h5", "a") as f:
            del f["train_set_x"]
            if how == "link":
                f["train_set_x"] = h5py.ExternalLink(str(folder / "pipe"), "/x")
            elif how == "soft link":
                f["elsewhere"] = h5py.ExternalLink(str(folder / "pipe"), "/")
                f["train_set_x"] = h5py.SoftLink("/elsewhere/x")
            else:
                f.create_dataset("train_set_x", shape=(3, 4, 4, 3), dtype=np.uint8,
                                 external=[(str(folder / "pipe"), 0, 3 * 48)])
        folders.append(folder)
    lines = run_loads(folders)
    for folder, line in zip(folders, lines):
        assert line["outcome"] == "DatasetError" and not line["not_found"], line
        assert str(folder) in line["message"]
    assert "FIFO" in lines[0]["message"] and "train_catvnoncat.h5" in lines[0]["message"]
    assert "FIFO" in lines[1]["message"] and "test_catvnoncat.h5" in lines[1]["message"]
    assert "another file" in lines[2]["message"]
    assert "external storage" in lines[3]["message"]
    assert "through the further link /elsewhere" in lines[4]["message"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_for_the_checksums_is_refused(tmp_path):
    write_course_like(tmp_path)
    os.mkfifo(tmp_path / "SHA256SUMS")
    [line] = run_loads([tmp_path], flags=("verify-checksums",))
    assert line["outcome"] == "DatasetError" and not line["not_found"], line
    assert "SHA256SUMS is a FIFO" in line["message"]
