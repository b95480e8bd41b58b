"""Shared test set-up: hypothesis profiles, the course data's location, a headless browser.

Profiles, all without a deadline: ``ci`` (chosen when CI is set: derandomized, so every run
draws the same examples, 40 a test), ``random`` (chosen otherwise, as on a learner's fresh
machine: the same 40 examples a test, drawn at random, so the README's test command stays as
fast as CI's while every run tries new draws) and ``dev`` (random, 100 a test: the deeper
search to run before a change lands). Pick one with HYPOTHESIS_PROFILE=ci|random|dev, and a
seed with ``--hypothesis-seed=N``.

The ``full_course`` marker (pyproject.toml) holds the full-length course runs; the default
command leaves them out and ``python -m pytest -q -m full_course`` runs them.

The ``small_disk`` and ``small_tmpfs`` fixtures: a 64 KiB file system, for writes that fail
on a full disk.

The ``chromium`` fixture: Debian's Chromium, headless, driven by Playwright, for the
step-by-step page's browser tests (skipped without it, failed without it under CI).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "random", deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "random")
settings.load_profile(PROFILE)

REPO = Path(__file__).resolve().parents[1]


def pytest_report_header(config: pytest.Config) -> str:
    s = settings.default
    return (f"hypothesis profile: {PROFILE} (derandomize={s.derandomize}, "
            f"max_examples={s.max_examples}, deadline={s.deadline})")


def course_data_dir() -> Path | None:
    """TINYGRAD_COURSE_DATA, else ../shared/data/catvnoncat beside the repo, else None."""
    env = os.environ.get("TINYGRAD_COURSE_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared/data/catvnoncat"]:
        if (candidate / "train_catvnoncat.h5").is_file():
            return candidate
    return None


@pytest.fixture
def catvnoncat_dir() -> Path:
    path = course_data_dir()
    if path is None:
        pytest.skip("course data absent: set TINYGRAD_COURSE_DATA to the folder holding "
                    "train_catvnoncat.h5 and test_catvnoncat.h5")
    return path


# ---- a real browser for the step-by-step page (tests/test_steps_browser.py) -------------------
#: Debian's Chromium (apt-get install chromium; .ci/run installs it). Never a browser that a
#: tool downloads: Playwright only drives this executable.
CHROMIUM = os.environ.get("TINYGRAD_COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _no_browser(reason: str) -> None:
    """Outside CI a missing browser skips the browser tests; under CI it fails them."""
    if os.environ.get("CI"):
        pytest.fail(f"CI runs the browser tests, but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium (a playwright Browser), shared by the session's browser tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser('the Python package playwright is not installed (pip install -e ".[dev]")')
    if not os.access(CHROMIUM, os.X_OK):
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "TINYGRAD_COURSE_CHROMIUM)")
    driver = sync_playwright().start()
    try:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as err:  # the driver's errors are its own classes
        driver.stop()
        _no_browser(f"Chromium at {CHROMIUM} did not start: {str(err).splitlines()[0]}")
    yield browser
    browser.close()
    driver.stop()


@pytest.fixture
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """A 64 KiB tmpfs where this process may mount one (root on Linux), else None (a test
    then falls back to RLIMIT_FSIZE). The mount point is a folder of its own, not inside the
    test's tmp_path."""
    point = tmp_path_factory.mktemp("small_disk")
    mounted = (os.geteuid() == 0 and sys.platform == "linux" and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)],
        capture_output=True).returncode == 0)
    try:
        yield point if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", str(point)], check=True)


@pytest.fixture
def small_tmpfs(small_disk: Path | None) -> Path:
    """small_disk, or a skip where no tmpfs can be mounted (the RLIMIT_FSIZE test of
    tests/test_files.py covers a write cut short everywhere)."""
    if small_disk is None:
        pytest.skip("mounting a tmpfs needs root on Linux; the RLIMIT_FSIZE test covers this")
    return small_disk


def fill(folder: Path) -> None:
    """Fill the file system of ``folder`` to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
