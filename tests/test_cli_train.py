"""``tinygrad-course train``: trains, reports, plots and saves; every user error is one line on
stderr and exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_course import nn
from tinygrad_course.cli import main

REPO = Path(__file__).resolve().parents[1]


def train(*argv: str) -> int:
    return main(["train", *argv])


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("tinygrad-course train: error: ")
    return lines[0]


def test_train_on_the_flower_prints_costs_and_accuracies_and_saves(tmp_path, capsys):
    model_file = tmp_path / "model.npz"
    assert train("--data", "flower", "--iterations", "201", "--save", str(model_file)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("model: [2, 4, 1] (tanh hidden, sigmoid output), small init from "
                             "RandomState(2); learning rate 1.2, 201 iterations")
    # the course's week-3 cost at iteration 0, then every 100 iterations
    assert out[2:5] == ["Cost after iteration 0: 0.693048", "Cost after iteration 100: 0.604442",
                        "Cost after iteration 200: 0.345510"]
    assert out[5].startswith("train accuracy: ") and out[6].startswith("test accuracy: ")
    assert out[7] == f"model saved: {model_file}"
    model = nn.load(model_file)
    assert isinstance(model, nn.DeepNN) and model.layer_dims == [2, 4, 1]
    assert model.hidden_activation == "tanh"


def test_every_flag_overrides_the_course_default(tmp_path, capsys):
    assert train("--data", "flower", "--layers", "2,3,2,1", "--hidden", "leaky_relu",
                 "--init", "he", "--seed", "5", "--lr", "0.5", "--iterations", "2",
                 "--no-progress", "--save", str(tmp_path / "m.npz")) == 0
    out = capsys.readouterr().out
    assert "model: [2, 3, 2, 1] (leaky_relu hidden, sigmoid output), he init from " \
           "RandomState(5); learning rate 0.5, 2 iterations" in out
    assert nn.load(tmp_path / "m.npz").activations == ["leaky_relu", "leaky_relu", "sigmoid"]


def test_compiled_prints_the_same_costs(capsys):
    """--compiled trains with the generated step (tc.trace): the same costs, bit for bit."""
    argv = ("--data", "flower", "--iterations", "300", "--no-progress")
    assert train(*argv) == 0
    eager = capsys.readouterr().out
    assert train(*argv, "--compiled") == 0
    assert capsys.readouterr().out == eager
    assert "Cost after iteration 200" in eager


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "cost.png"
    assert train("--data", "flower", "--iterations", "20", "--plot", str(png)) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"cost curve: {png}" in capsys.readouterr().out


def test_plot_without_matplotlib_is_refused_before_training(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert train("--data", "flower", "--plot", str(tmp_path / "c.png")) == 2
    assert "--plot needs matplotlib" in one_line_error(capsys)
    assert capsys.readouterr().out == ""  # refused before any training


def test_train_on_the_cats(catvnoncat_dir, tmp_path, capsys):
    assert train("--data", str(catvnoncat_dir), "--iterations", "1") == 0
    out = capsys.readouterr().out
    assert "(209 train, 50 test)" in out
    assert "model: [12288, 20, 7, 5, 1] (relu hidden, sigmoid output), xavier init from " \
           "RandomState(1); learning rate 0.0075, 1 iterations" in out
    assert "Cost after iteration 0: 0.771749" in out  # the course's 4-layer network
    assert train("--data", str(catvnoncat_dir), "--layers", "12288,7,1", "--init", "small",
                 "--iterations", "1") == 0
    assert "Cost after iteration 0: 0.693050" in capsys.readouterr().out  # its 2-layer net


def test_cats_with_the_wrong_n_x(catvnoncat_dir, capsys):
    assert train("--data", str(catvnoncat_dir), "--layers", "2,4,1") == 2
    assert "n_x = 2, but the cats data has n_x = 12288" in one_line_error(capsys)


@pytest.mark.parametrize("argv, message", [
    (["--layers", "2,x,1"], "expected sizes separated by commas"),
    (["--layers", "2"], "need n_x and at least one layer"),
    (["--layers", "2,0,1"], "every size a positive integer"),
    (["--layers", "2,4,3"], "the output layer must have 1 unit"),
    (["--layers", "3,4,1"], "n_x = 3, but the flower data has n_x = 2"),
    (["--lr", "fast"], "--lr 'fast': expected a number"),
    (["--lr", "0"], "--lr 0: must be positive"),
    (["--lr", "nan"], "--lr nan: must be positive"),
    (["--iterations", "1.5"], "expected an integer"),
    (["--iterations", "-1"], "must be >= 0"),
    (["--seed", "-1"], "--seed -1: must be >= 0"),
    (["--seed", str(2**32)], "below 2**32"),
    (["--hidden", "softmax"], "--hidden 'softmax': expected one of relu, leaky_relu, tanh"),
    (["--init", "glorot"], "--init 'glorot': expected one of zeros, small, xavier, he"),
    (["--save", "/no/such/folder/m.npz"], "cannot write /no/such/folder/m.npz"),
])
def test_flag_errors_are_one_line_and_status_2(argv, message, capsys):
    assert train("--data", "flower", *argv) == 2
    assert message in one_line_error(capsys)


def test_missing_data_folder(tmp_path, capsys):
    assert train("--data", str(tmp_path / "nowhere")) == 2
    line = one_line_error(capsys)
    assert "nowhere" in line and "does not exist" in line and "--data flower" in line


def test_data_folder_without_the_files(tmp_path, capsys):
    assert train("--data", str(tmp_path)) == 2
    assert "train_catvnoncat.h5" in one_line_error(capsys)


def test_data_from_the_environment_variable(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TINYGRAD_COURSE_DATA", str(tmp_path / "elsewhere"))
    assert train("--iterations", "1") == 2
    assert "TINYGRAD_COURSE_DATA" in one_line_error(capsys)


def test_missing_h5py(catvnoncat_dir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    assert train("--data", str(catvnoncat_dir)) == 2
    assert "h5py" in one_line_error(capsys)


def test_damaged_data_file(tmp_path, capsys):
    pytest.importorskip("h5py")
    for name in ("train_catvnoncat.h5", "test_catvnoncat.h5"):
        (tmp_path / name).write_bytes(b"not hdf5")
    assert train("--data", str(tmp_path)) == 2
    assert "not a readable HDF5 file" in one_line_error(capsys)


def test_python_dash_m_runs_train():
    done = subprocess.run([sys.executable, "-m", "tinygrad_course", "train", "--data", "flower",
                           "--iterations", "3"], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Cost after iteration 0: 0.693048" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "tinygrad_course", "train", "--data", "flower",
                          "--layers", "5,1"], capture_output=True, text=True, cwd=REPO,
                         timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


def test_steps_of_the_first_iteration(tmp_path, capsys):
    """train --steps: the page, data and frames of iteration 0's backward pass on the 2-4-1
    network and its 400 examples, with db1 = Σ_i dZ1(:, i) as a step of its own."""
    page, data, frames = tmp_path / "flower.html", tmp_path / "flower.json", tmp_path / "fr"
    assert train("--data", "flower", "--iterations", "1", "--steps", str(page),
                 "--steps-json", str(data), "--frames", str(frames)) == 0
    out = capsys.readouterr().out
    assert f"wrote {page}" in out and "Cost after iteration 0" in out
    steps = json.loads(data.read_text(encoding="utf-8"))
    names = {t["index"]: t["name"] for t in steps["tensors"]}
    sums = {names[s["input"]]: s["sum"] for s in steps["steps"] if s.get("sum")}
    assert sums["b1"]["axes"] == [1] and sums["b1"]["before"] == [4, 400]
    assert sums["b1"]["after"] == [4, 1] and sums["b2"]["before"] == [1, 400]
    shapes = {t["name"]: t["shape"] for t in steps["tensors"]}
    assert (shapes["X"], shapes["W1"], shapes["A1"], shapes["W2"]) == (
        [2, 400], [4, 2], [4, 400], [1, 4])
    assert page.stat().st_size < 1_000_000 and page.read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")
    assert len(list(frames.iterdir())) == len(steps["steps"])


def test_steps_target_unwritable_before_training(tmp_path, capsys):
    assert train("--data", "flower", "--steps", str(tmp_path / "no" / "f.html")) == 2
    err = capsys.readouterr().err
    assert err.startswith("tinygrad-course train: error: cannot write ") and "\n" == err[-1]
    assert err.count("\n") == 1


def test_steps_of_the_cat_network_go_layer_by_layer(catvnoncat_dir, tmp_path, capsys):
    """train --steps on the 4-layer cat network: the layer view's page opens by layer, one
    frame a layer step; --steps-by step gives one frame a step instead."""
    import re

    page, data, frames = tmp_path / "cats.html", tmp_path / "cats.json", tmp_path / "fr"
    assert train("--data", str(catvnoncat_dir), "--iterations", "1", "--steps", str(page),
                 "--steps-json", str(data), "--frames", str(frames)) == 0
    assert f"wrote 10 frames to {frames}" in capsys.readouterr().out
    text = page.read_text(encoding="utf-8")
    embedded = json.loads(re.search(r'id="tg-data">(.*?)</script>', text, re.S).group(1))
    assert embedded["by"] == "layer" and len(embedded["groups"]) == 10
    assert embedded["groups"][6]["title"].startswith("layer 4 · backward: dZ4, ")
    assert page.stat().st_size < 1_000_000 and "rankdir" not in text
    steps = json.loads(data.read_text(encoding="utf-8"))
    assert train("--data", str(catvnoncat_dir), "--iterations", "1", "--frames", str(frames),
                 "--steps-by", "step") == 0
    assert len(list(frames.iterdir())) == len(steps["steps"])
