"""The course's data sets: the cat images (real files when present) and the planar flower."""

from __future__ import annotations

import builtins
import os
from pathlib import Path

import numpy as np
import pytest

from tinygrad_course import datasets as D
from tinygrad_course.datasets import (
    DATA_ENV_VAR,
    DatasetError,
    DatasetNotFoundError,
    default_data_dir,
    load_catvnoncat,
    planar_flower,
    preprocess_images,
)

try:
    import h5py
except ImportError:  # the data extra is optional; only the HDF5 tests need it
    h5py = None

needs_h5py = pytest.mark.skipif(
    h5py is None, reason="h5py not installed: pip install 'tinygrad_course[data]'"
)


def _real_data_dir() -> Path:
    if h5py is None:
        pytest.skip("h5py not installed: pip install 'tinygrad_course[data]'")
    folder = default_data_dir()
    if folder is None or not (folder / "train_catvnoncat.h5").is_file():
        pytest.skip(
            f"cat-vs-non-cat data not found: set {DATA_ENV_VAR} to the folder holding "
            "train_catvnoncat.h5 and test_catvnoncat.h5 (default ../shared/data/catvnoncat)"
        )
    return folder


@pytest.fixture(scope="module")
def catvnoncat():
    return load_catvnoncat(_real_data_dir())


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """Neither TINYGRAD_COURSE_DATA nor the checkout's shared folder."""
    monkeypatch.delenv(DATA_ENV_VAR, raising=False)
    monkeypatch.setattr(D, "_CHECKOUT_DATA_DIR", tmp_path / "nowhere")


def _write_dummy_files(folder: Path) -> None:
    """Files that exist but are never opened (the checks before reading do not need h5py)."""
    for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
        (folder / name).write_bytes(b"")


def _write_course_like_files(folder: Path, m_train: int = 3, m_test: int = 2) -> None:
    for name, m in [("train", m_train), ("test", m_test)]:
        with h5py.File(folder / f"{name}_catvnoncat.h5", "w") as f:
            f[f"{name}_set_x"] = np.arange(m * 4 * 4 * 3, dtype=np.uint8).reshape(m, 4, 4, 3)
            f[f"{name}_set_y"] = np.arange(m, dtype=np.int64) % 2
            f["list_classes"] = np.array([b"non-cat", b"cat"])


# ----------------------------------------------------------------------------- real data


def test_catvnoncat_matches_the_course_load_data(catvnoncat):
    train_x, train_y, test_x, test_y, classes = catvnoncat
    assert train_x.shape == (209, 64, 64, 3) and train_x.dtype == np.uint8
    assert test_x.shape == (50, 64, 64, 3) and test_x.dtype == np.uint8
    assert train_y.shape == (1, 209) and test_y.shape == (1, 50)
    assert train_y.dtype == np.int64 and test_y.dtype == np.int64
    assert classes.shape == (2,) and list(classes) == [b"non-cat", b"cat"]
    assert set(np.unique(train_y)) == {0, 1} and set(np.unique(test_y)) == {0, 1}
    assert int(train_y.sum()) == 72  # cats among the 209 training images
    assert int(test_y.sum()) == 33  # cats among the 50 test images


def test_catvnoncat_from_the_environment_variable(monkeypatch):
    folder = _real_data_dir()
    monkeypatch.setenv(DATA_ENV_VAR, str(folder))
    assert default_data_dir() == folder
    train_x, *_ = load_catvnoncat(verify_checksums=True)
    assert train_x.shape == (209, 64, 64, 3)


def test_preprocess_images_on_the_real_data(catvnoncat):
    train_x, _, test_x, _, _ = catvnoncat
    X = preprocess_images(train_x)
    assert X.shape == (12288, 209) and X.dtype == np.float64
    assert 0.0 <= X.min() and X.max() <= 1.0
    np.testing.assert_array_equal(X[:, 5], train_x[5].ravel() / 255)  # example 5 is column 5
    assert preprocess_images(test_x).shape == (12288, 50)


@pytest.mark.parametrize(
    "layer_dims, init, first_cost",
    [
        ([12288, 7, 1], "small", 0.6930497356599888),  # two_layer_model, seed 1
        ([12288, 20, 7, 5, 1], "xavier", 0.771749),  # L_layer_model, seed 1
    ],
)
def test_the_course_first_costs_on_the_real_data(catvnoncat, layer_dims, init, first_cost):
    """Week 4's "Deep Neural Network - Application" prints these costs at iteration 0."""
    from tinygrad_course import oracles

    train_x, train_y, *_ = catvnoncat
    params = oracles.initialize_parameters_deep(layer_dims, init, np.random.RandomState(1))
    cost = oracles.L_model_step(preprocess_images(train_x), train_y, params, 0.0075)
    assert cost == pytest.approx(first_cost, abs=1e-6)


@needs_h5py
def test_checksum_mismatch_is_reported(tmp_path):
    _write_course_like_files(tmp_path)
    (tmp_path / "SHA256SUMS").write_text(
        "0" * 64 + "  train_catvnoncat.h5\n" + "0" * 64 + "  test_catvnoncat.h5\n"
    )
    load_catvnoncat(tmp_path)  # not verified by default
    with pytest.raises(DatasetError, match="checksum mismatch"):
        load_catvnoncat(tmp_path, verify_checksums=True)
    (tmp_path / "SHA256SUMS").unlink()
    with pytest.raises(DatasetNotFoundError, match="SHA256SUMS"):
        load_catvnoncat(tmp_path, verify_checksums=True)


# ----------------------------------------------------------------------------- errors


@needs_h5py
def test_small_course_like_files_load(tmp_path):
    _write_course_like_files(tmp_path)
    train_x, train_y, test_x, test_y, classes = load_catvnoncat(tmp_path)
    assert train_x.shape == (3, 4, 4, 3) and train_y.shape == (1, 3)
    assert test_x.shape == (2, 4, 4, 3) and test_y.shape == (1, 2)
    assert preprocess_images(train_x).shape == (48, 3)


def test_no_directory_at_all(no_data_env):
    assert default_data_dir() is None
    with pytest.raises(DatasetNotFoundError, match=DATA_ENV_VAR) as info:
        load_catvnoncat()
    assert isinstance(info.value, FileNotFoundError)  # also catchable as the builtin


def test_missing_folder(tmp_path, monkeypatch):
    missing = tmp_path / "absent"
    with pytest.raises(FileNotFoundError, match="absent.*does not exist"):
        load_catvnoncat(missing)
    monkeypatch.setenv(DATA_ENV_VAR, str(missing))
    with pytest.raises(DatasetNotFoundError, match=f"\\${DATA_ENV_VAR}"):
        load_catvnoncat()


def test_missing_file(tmp_path):
    _write_dummy_files(tmp_path)
    (tmp_path / "test_catvnoncat.h5").unlink()
    with pytest.raises(DatasetNotFoundError, match="test_catvnoncat.h5"):
        load_catvnoncat(tmp_path)


@needs_h5py
def test_file_lacking_the_datasets(tmp_path):
    _write_course_like_files(tmp_path)
    with h5py.File(tmp_path / "train_catvnoncat.h5", "w") as f:
        f["something_else"] = np.zeros(3)
        f.create_group("train_set_y")  # a group is not a dataset
    with pytest.raises(DatasetError, match=r"lacks the dataset\(s\) train_set_x, list_classes"):
        load_catvnoncat(tmp_path)


@needs_h5py
def test_file_that_is_not_hdf5(tmp_path):
    _write_course_like_files(tmp_path)
    (tmp_path / "test_catvnoncat.h5").write_bytes(b"not an hdf5 file")
    with pytest.raises(DatasetError, match="not a readable HDF5 file"):
        load_catvnoncat(tmp_path)


@needs_h5py
def test_inconsistent_shapes(tmp_path):
    _write_course_like_files(tmp_path)
    with h5py.File(tmp_path / "test_catvnoncat.h5", "a") as f:
        del f["test_set_y"]
        f["test_set_y"] = np.zeros(5, dtype=np.int64)
    with pytest.raises(DatasetError, match="2 images in test_set_x but 5 labels in test_set_y"):
        load_catvnoncat(tmp_path)


def test_missing_h5py_says_how_to_install(tmp_path, monkeypatch):
    _write_dummy_files(tmp_path)
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "h5py":
            raise ImportError("No module named 'h5py'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"pip install 'tinygrad_course\[data\]'"):
        load_catvnoncat(tmp_path)


def test_default_data_dir_prefers_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    assert default_data_dir() == tmp_path
    monkeypatch.delenv(DATA_ENV_VAR)
    monkeypatch.setattr(D, "_CHECKOUT_DATA_DIR", tmp_path)
    assert default_data_dir() == tmp_path


def test_checkout_default_is_beside_the_repository():
    repo_root = Path(D.__file__).resolve().parent.parent
    assert D._CHECKOUT_DATA_DIR == repo_root.parent / "shared" / "data" / "catvnoncat"


def test_real_data_is_not_copied_into_the_repository():
    repo_root = Path(D.__file__).resolve().parent.parent
    found = []
    for dirpath, dirnames, filenames in os.walk(repo_root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "node_modules"]
        found += [Path(dirpath, f) for f in filenames if f.endswith("catvnoncat.h5")]
    assert not found, f"course data must not live in the repository: {found}"


# ----------------------------------------------------------------------------- planar flower


def test_planar_flower_shapes_and_labels():
    X, Y = planar_flower()
    assert X.shape == (2, 400) and X.dtype == np.float64
    assert Y.shape == (1, 400) and Y.dtype == np.float64
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert int(Y.sum()) == 200  # balanced
    np.testing.assert_array_equal(Y[0, :200], 0.0)  # class 0 first, as in the course
    assert np.all(np.abs(X) <= 4 + 1.0)  # radius a = 4 plus noise


def test_planar_flower_is_deterministic_and_leaves_global_state_alone():
    np.random.seed(123)
    expected_next = np.random.rand()
    np.random.seed(123)
    X1, Y1 = planar_flower(m=60, seed=7)
    assert np.random.rand() == expected_next
    X2, Y2 = planar_flower(m=60, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(Y1, Y2)
    assert not np.array_equal(planar_flower(m=60, seed=8)[0], X1)


def _course_load_planar_dataset(m: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar_utils.load_planar_dataset, as the course writes it (global seed 1,
    rows are examples, uint8 labels), reparametrised by m and noise."""
    np.random.seed(1)
    N = int(m / 2)
    D_ = 2
    X = np.zeros((m, D_))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * noise
        r = a * np.sin(4 * t) + np.random.randn(N) * noise
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


@pytest.mark.parametrize("m, noise", [(400, 0.2), (10, 0.5), (2, 0.0)])
def test_planar_flower_reproduces_the_course(m, noise):
    X, Y = planar_flower(m=m, noise=noise, seed=1)
    X_course, Y_course = _course_load_planar_dataset(m, noise)
    np.testing.assert_array_equal(X, X_course)
    np.testing.assert_array_equal(Y, Y_course.astype(np.float64))


@pytest.mark.parametrize("m", [0, -2, 3, 401, 2.0, True])
def test_planar_flower_rejects_bad_m(m):
    with pytest.raises(ValueError, match="positive even"):
        planar_flower(m=m)
