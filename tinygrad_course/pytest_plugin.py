"""pytest plugin for gradient tests in your own project (installed as a ``pytest11`` entry point,
or enabled with ``pytest -p tinygrad_course.pytest_plugin``).

It registers the hypothesis profile ``tinygrad-gradients`` (no deadline: finite differences
are slow; 100 examples; no explain phase; the slow-data health checks off) and loads it when
nothing else chose a profile (no ``--hypothesis-profile``, no ``settings.load_profile`` in a
conftest), unless the ini option ``tinygrad_gradients_profile = false``.

The ``assert_gradients`` fixture is :func:`tinygrad_course.testing.assert_gradients_match`
with ``eps`` and ``tol`` from the ini options ``tinygrad_gradient_eps`` and
``tinygrad_gradient_tol``. Strategies are imported as usual:
``from tinygrad_course.testing import networks``.

Without hypothesis installed the plugin does nothing, so it never breaks a test run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

settings: Any
try:
    from hypothesis import HealthCheck, Phase
    from hypothesis import settings as settings
except ImportError:  # pragma: no cover - depends on the environment
    settings = None

PROFILE = "tinygrad-gradients"
DEFAULT_EPS, DEFAULT_TOL = "1e-7", "2e-7"

if settings is not None:
    settings.register_profile(
        PROFILE, deadline=None, max_examples=100,
        # no explain phase: it traces every line a failing example runs, ten times slower
        phases=[p for p in Phase if p.name != "explain"],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _current_profile() -> str | None:
    if settings is None:
        return None
    get = getattr(settings, "get_current_profile_name", None)
    return get() if get is not None else getattr(settings, "_current_profile", None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("tinygrad_gradients_profile", f"load the hypothesis profile {PROFILE!r} "
                  "when no other profile was chosen (default true)", type="bool", default=True)
    parser.addini("tinygrad_gradient_eps", "finite-difference step of the assert_gradients "
                  f"fixture (default {DEFAULT_EPS})", default=DEFAULT_EPS)
    parser.addini("tinygrad_gradient_tol", "relative-difference tolerance of the "
                  f"assert_gradients fixture (default {DEFAULT_TOL})", default=DEFAULT_TOL)


def pytest_configure(config: pytest.Config) -> None:
    if settings is None or not config.getini("tinygrad_gradients_profile"):
        return
    chosen = config.getoption("hypothesis_profile", default=None)
    if chosen is None and _current_profile() == "default":
        settings.load_profile(PROFILE)


def pytest_report_header(config: pytest.Config) -> str | None:
    if settings is None:
        return None
    return f"tinygrad_course plugin: hypothesis profile {_current_profile()}"


def _float_ini(config: pytest.Config, name: str) -> float:
    raw = config.getini(name)
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"ini option {name} = {raw!r} is not a number") from None


@pytest.fixture(scope="session")
def assert_gradients(pytestconfig: pytest.Config) -> Callable[..., None]:
    """``assert_gradients(fn, inputs, expected=None)``: assert_gradients_match with the
    project's eps and tol (session-scoped, so it is safe inside hypothesis tests)."""
    from .testing import assert_gradients_match

    kwargs: dict[str, Any] = {"eps": _float_ini(pytestconfig, "tinygrad_gradient_eps"),
                              "tol": _float_ini(pytestconfig, "tinygrad_gradient_tol")}
    return functools.partial(assert_gradients_match, **kwargs)
