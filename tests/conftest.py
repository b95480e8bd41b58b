"""Shared test set-up: hypothesis profiles and the course data's location.

Profiles: ``ci`` (chosen when CI is set: derandomized, so every run draws the same examples,
fixed example budget, no deadline) and ``dev`` (random, more examples). Pick one with
HYPOTHESIS_PROFILE=dev|ci.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "dev", deadline=None, max_examples=100, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
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
