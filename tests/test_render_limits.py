"""Rendering with limits: timeouts, a memory cap, no renderer outliving its caller, the size
refusal of save_svg(max_nodes=None), names no renderer can be fooled by. Real renderers and
real processes; no test measures speed: each waits for an outcome and checks it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
import xml.dom.minidom
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_course as tc
from tinygrad_course import render, viz
from tinygrad_course.files import FileError
from tinygrad_course.render import RenderError, available_backends, render_svg
from tinygrad_course.viz import draw_graph, save_svg

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
BACKENDS = [pytest.param(name, marks=pytest.mark.skipif(
    name not in available_backends(), reason=f"renderer {name!r} not installed"))
    for name in render.BACKENDS]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"),
                           reason="reads /proc and relies on PR_SET_PDEATHSIG")
MARK = "TINYGRAD_COURSE_TEST_RENDER_MARK"


def tangled_dot(nodes: int = 200, edges: int = 2000) -> str:
    """A random graph both renderers take far over 20 s to lay out (measured; >10 min for
    system dot 2.43), made at once."""
    rng = random.Random(0)
    return "digraph {\n" + "".join(
        f"n{rng.randrange(nodes)} -> n{rng.randrange(nodes)};\n" for _ in range(edges)) + "}\n"


def tree_dot(nodes: int = 100_000) -> str:
    """A tree whose layout needs far more than 200 MiB: the memory cap stops it within ~1 s."""
    return "digraph {\n" + "".join(f"n{i // 2} -> n{i};\n" for i in range(1, nodes)) + "}\n"


def tangled_tensors(n: int = 100) -> tc.Tensor:
    """A 100-input sum of products: with backward edges, dot ran past 10 minutes on it."""
    xs = [tc.Tensor(float(i), requires_grad=True) for i in range(n)]
    y = xs[0]
    for i, x in enumerate(xs[1:]):
        y = y + x * xs[i // 2]
    y.backward()
    return y


def _proc_status(pid: str) -> dict[str, str]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def marked(mark: str) -> list[int]:
    """Live processes (not zombies) whose environment holds MARK=mark."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            state = _proc_status(pid)["State"]
        except (OSError, KeyError):
            continue  # gone, or not ours to read
        if needle in env and not state.startswith(("Z", "X")):
            found.append(int(pid))
    return found


def children_of(pid: int) -> list[int]:
    """Live (not zombie) children of ``pid`` (none known without /proc, as on macOS). The
    tests compare with the children from before the render: the session's browser (the
    ``chromium`` fixture) is one too."""
    kids: list[int] = []
    if not Path("/proc/self").is_dir():
        return kids
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = _proc_status(entry)
        except (OSError, KeyError):
            continue
        if status.get("PPid") == str(pid) and not status["State"].startswith(("Z", "X")):
            kids.append(int(entry))
    return kids


def wait_for(condition, what: str, limit: float = 60.0):  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it gives something true; fail after ``limit`` s (a bound on a
    wait for an event, never a claim about speed)."""
    end = time.monotonic() + limit
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def mark() -> Iterator[str]:
    """A fresh marker; whatever still carries it at the end is killed (a failing test must not
    leave a renderer burning a core for minutes)."""
    value = uuid.uuid4().hex
    yield value
    for pid in marked(value):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


CHILD = """
import json, os, sys
from tinygrad_course.render import render_svg
dot = open(sys.argv[1], encoding="utf-8").read()
print("rendering", flush=True)
try:
    render_svg(dot, backend=sys.argv[2], timeout=600)
except KeyboardInterrupt:
    kids = []
    for p in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = open(f"/proc/{p}/status").read().split()
        except OSError:
            continue
        if status[status.index("PPid:") + 1] == str(os.getpid()):
            kids.append(int(p))  # zombies included: a child not reaped counts
    print("interrupted", json.dumps(kids), flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


def start_child(tmp_path: Path, backend: str, mark: str) -> tuple[subprocess.Popen[str], int]:
    """A Python process rendering the tangled graph; returns it and its renderer's pid."""
    dot = tmp_path / "tangled.dot"
    dot.write_text(tangled_dot(), encoding="utf-8")
    env = {**os.environ, MARK: mark, "PYTHONPATH": str(REPO)}
    env.pop(render.ENV_VAR, None)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(dot), backend], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "rendering\n"
    renderers = wait_for(lambda: [p for p in marked(mark) if p != child.pid],
                         "the renderer to start")
    assert len(renderers) == 1 and child.poll() is None
    return child, renderers[0]


# ---- the renderer never outlives its caller -------------------------------------------------
@linux
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_killing_the_caller_kills_the_renderer(backend: str, sig: signal.Signals,
                                               tmp_path: Path, mark: str) -> None:
    child, renderer = start_child(tmp_path, backend, mark)
    assert children_of(child.pid) == [renderer]
    os.kill(child.pid, sig)
    assert child.wait(timeout=60) == -sig
    # PR_SET_PDEATHSIG: the kernel kills the renderer as its parent dies (old code: it ran on)
    wait_for(lambda: not marked(mark), "the renderer to die with its caller", limit=30)


@linux
@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_kills_and_reaps_the_renderer(backend: str, tmp_path: Path, mark: str) -> None:
    child, renderer = start_child(tmp_path, backend, mark)
    os.kill(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, err
    # checked by the interrupted process itself, while it is still alive: no child left,
    # not even a zombie, so this is render_svg's doing and not the kernel's
    assert out == "interrupted []\n"
    assert not marked(mark)


# ---- time -----------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_small_timeout_on_a_tangled_graph(backend: str) -> None:
    before = children_of(os.getpid())
    with pytest.raises(RenderError, match=r"did not finish within 0\.5 s.*max_nodes=.*timeout="):
        render_svg(tangled_dot(), backend=backend, timeout=0.5)
    assert children_of(os.getpid()) == before


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_svg_timeout_leaves_no_file_and_no_process(backend: str, tmp_path: Path) -> None:
    J = tangled_tensors()
    before = children_of(os.getpid())
    new, old = tmp_path / "new.svg", tmp_path / "old.svg"
    old.write_bytes(b"<svg>before</svg>")
    for path in (new, old):
        with pytest.raises(RenderError, match="did not finish within 1 s"):
            save_svg(J, path, backend=backend, timeout=1, backward_edges=True)
        assert children_of(os.getpid()) == before
    assert not new.exists() and old.read_bytes() == b"<svg>before</svg>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.svg"]  # no temporary left


def test_default_timeout_grows_with_the_graph() -> None:
    small = draw_graph(tc.Tensor(1.0, requires_grad=True) * 2.0).source
    big = draw_graph(tangled_tensors(), backward_edges=True).source
    assert render.default_timeout("") == render.DEFAULT_TIMEOUT
    assert render.DEFAULT_TIMEOUT < render.default_timeout(small) < render.default_timeout(big)
    elements = big.count("\n") + big.count("->")
    assert render.default_timeout(big) == pytest.approx(
        render.DEFAULT_TIMEOUT + render.TIMEOUT_PER_ELEMENT * elements)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), -0.0])
def test_bad_timeout_is_refused(bad: float, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive, finite number"):
        render_svg("digraph { a }", timeout=bad)
    J = tc.Tensor(1.0, requires_grad=True) * 2.0
    with pytest.raises(ValueError, match="timeout"):
        save_svg(J, tmp_path / "J.svg", timeout=bad)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("bad", ["5", True, [1]])
def test_timeout_of_the_wrong_type(bad: object) -> None:
    with pytest.raises(TypeError, match="timeout must be a number"):
        render_svg("digraph { a }", timeout=bad)  # type: ignore[arg-type]


# ---- memory ---------------------------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_AS is POSIX")
@pytest.mark.parametrize("backend", BACKENDS)
def test_memory_cap_stops_a_huge_graph(backend: str) -> None:
    before = children_of(os.getpid())
    with pytest.raises(RenderError, match=r"ran out of memory \(memory_limit=200 MiB\).*"
                       r"max_nodes=.*view=\"layers\".*memory_limit="):
        render_svg(tree_dot(), backend=backend, memory_limit=200 << 20)
    assert children_of(os.getpid()) == before


LIMITS = """#!/bin/sh
exec {python} -c 'import resource; s, _ = resource.getrlimit(resource.RLIMIT_AS); \
print("<svg>%d</svg>" % s)'
"""


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_AS is POSIX")
def test_memory_limit_reaches_the_renderer(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    fake = tmp_path / "dot"
    fake.write_text(LIMITS.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setattr(render, "_find_system_dot", lambda: str(fake))

    def limit(**kw: object) -> int:
        return int(render_svg("digraph { a }", backend="system", **kw)[5:-7])  # type: ignore

    assert limit() == render.DEFAULT_MEMORY_LIMIT == 1 << 30
    assert limit(memory_limit=300 << 20) == 300 << 20
    import resource
    assert limit(memory_limit=None) == resource.getrlimit(resource.RLIMIT_AS)[0]


@pytest.mark.parametrize("bad", [0, -5])
def test_bad_memory_limit_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="memory_limit must be a positive number of bytes"):
        render_svg("digraph { a }", memory_limit=bad)
    with pytest.raises(TypeError, match="memory_limit"):
        render_svg("digraph { a }", memory_limit=1.5e9)  # type: ignore[arg-type]


# ---- size: save_svg(max_nodes=None) refuses a drawing Graphviz would choke on ---------------
def chain(ops: int) -> tc.Tensor:
    y = tc.Tensor(1.0, requires_grad=True, name="x")
    for _ in range(ops):
        y = -y
    return y


def test_max_nodes_none_on_10k_ops_is_refused_before_rendering(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_rendering(*args: object, **kwargs: object) -> str:
        raise AssertionError("rendered although the drawing is over MAX_RENDER_NODES")

    monkeypatch.setattr(render, "_run", no_rendering)
    path = tmp_path / "big.svg"
    with pytest.raises(RenderError) as info:
        save_svg(chain(10_000), path, max_nodes=None)
    message = str(info.value)
    assert "20,001 nodes" in message and "MAX_RENDER_NODES = 3,000" in message
    assert "max_nodes=" in message and 'view="layers"' in message
    assert not path.exists()


def test_what_is_not_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rendered: list[bytes] = []

    def fake(name: str, exe: str, data: bytes, *args: object) -> bytes:
        rendered.append(data)
        return b"<svg/>"

    monkeypatch.setattr(render, "_run", fake)
    monkeypatch.setattr(render, "_find", lambda backend: "renderer")
    J = chain(10_000)
    # the default max_nodes draws the 500 tensors nearest J and a note
    save_svg(J, tmp_path / "default.svg")
    assert b"9,501 tensors not drawn (max_nodes=500)" in rendered[-1]
    # max_nodes=None at the cap is rendered; one node more is refused
    fits = (viz.MAX_RENDER_NODES - 1) // 2  # a chain of k ops draws 2k + 1 nodes
    save_svg(chain(fits), tmp_path / "fits.svg", max_nodes=None)
    assert rendered[-1].count(b" [label=") == 2 * fits + 1 == viz.MAX_RENDER_NODES - 1
    with pytest.raises(RenderError, match="3,001 nodes"):
        save_svg(chain(fits + 1), tmp_path / "over.svg", max_nodes=None)
    assert len(rendered) == 2
    # an explicit max_nodes, however large, is the caller's choice (timeout and memory cap)
    save_svg(chain(fits + 1), tmp_path / "asked.svg", max_nodes=10**6)
    assert len(rendered) == 3
    # draw_graph only writes DOT, at any size
    assert draw_graph(J, max_nodes=None).source.count("label=<−>") == 10_000


# ---- the file: atomic, FileError for the path -----------------------------------------------
@pytest.mark.skipif(not available_backends(), reason="no renderer")
def test_save_svg_writes_atomically_and_passes_limits_on(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[tuple[object, object]] = []
    real = render._run

    def spy(name: str, exe: str, data: bytes, engine: str, timeout: float,
            memory_limit: int | None, fmt: str = "svg") -> bytes:
        seen.append((timeout, memory_limit))
        return real(name, exe, data, engine, timeout, memory_limit, fmt)

    monkeypatch.setattr(render, "_run", spy)
    J = chain(3)
    path = tmp_path / "J.svg"
    path.write_text("old")
    path.chmod(0o640)
    assert save_svg(J, path, timeout=42.5, memory_limit=512 << 20) == path
    assert ET.fromstring(path.read_text(encoding="utf-8")).tag == f"{SVG}svg"
    assert (path.stat().st_mode & 0o777) == 0o640  # replaced, keeping its mode
    save_svg(J, path)
    dot = draw_graph(J).source
    assert seen == [(42.5, 512 << 20), (render.default_timeout(dot), render.DEFAULT_MEMORY_LIMIT)]
    with pytest.raises(FileError, match="is a directory|not a regular file"):
        save_svg(J, tmp_path)
    with pytest.raises(FileError, match="does not exist"):
        save_svg(J, tmp_path / "missing" / "J.svg")
    assert len(seen) == 2  # a bad path is refused before any rendering
    assert sorted(p.name for p in tmp_path.iterdir()) == ["J.svg"]


# ---- text no renderer can be fooled by ------------------------------------------------------
def test_lone_surrogate_in_dot_is_a_render_error() -> None:
    with pytest.raises(RenderError, match=r"cannot be encoded as UTF-8: '\\udcff' at position"):
        render_svg('digraph { "J\udcff" }')


HOSTILE = ["J\udcff", "]", "<script>alert(1)</script>", '" onload="alert(1)', "a & b", "]]>",
           "<![CDATA[x]]>", "\x00\x01\x1b[31m\x7f", "javascript:alert(1)", "\ufffe\uffff",
           "a\nb\tc\rd", "\n", "\t\r", "\\N \\G \\L \\E \\T \\H", "&amp; &#0; &#x1; &lt;",
           "😀𝔸\u202e\u200b",
           "<a xlink:href='javascript:x'>", "x" * 20_000, "-->", "<!-- c -->", "\\", "'"]
# any character, with the ones XML or UTF-8 cannot hold (controls, surrogates, unassigned
# code points such as U+FFFE) and the ones markup is made of drawn far more often than by chance
awkward = st.one_of(st.characters(exclude_categories=()),
                    st.characters(categories=["Cc", "Cs", "Cn"]),
                    st.sampled_from("<>&\"'\\;:=]/-![ \n"))
names = st.one_of(st.sampled_from(HOSTILE), st.text(awkward, max_size=30),
                  st.lists(st.sampled_from(HOSTILE + ["<", ">", "\"", "&", "on", "=", " "]),
                           max_size=5).map("".join))


def xml_char(c: str) -> bool:
    """XML 1.0's Char production."""
    o = ord(c)
    return (o in (0x9, 0xA, 0xD) or 0x20 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD
            or 0x10000 <= o <= 0x10FFFF)


def shown(name: str) -> str:
    """What the picture should show for ``name``: at most MAX_NAME_CHARS (the last one "…"),
    repr's escapes for tabs, line breaks and what XML cannot hold, spaces left out (Graphviz
    may turn them into NBSP)."""
    if len(name) > viz.MAX_NAME_CHARS:
        name = name[:viz.MAX_NAME_CHARS - 1] + "…"
    return squeeze("".join(c if xml_char(c) and c not in "\t\n\r" else ascii(c)[1:-1]
                           for c in name))


def svg_text(root: ET.Element) -> str:
    """All the text of an SVG, without whitespace."""
    return squeeze("".join("".join(t.itertext()) for t in root.iter(f"{SVG}text")))


def squeeze(text: str) -> str:
    return text.translate(SPACES)


SPACES = {ord(c): None for c in " \xa0"}


def check_safe_svg(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    xml.dom.minidom.parseString(svg)
    for el in root.iter():
        assert not el.tag.lower().endswith("script"), el.tag
        for key, value in el.attrib.items():
            local = key.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), (key, value)
            assert not value.strip().lower().startswith("javascript:"), (key, value)
    return root


def named_graph(a_name: str, j_name: str) -> tc.Tensor:
    a = tc.Tensor(2.0, requires_grad=True, name=a_name)
    b = tc.Tensor([1.0, 3.0], requires_grad=True, name="b")
    J = (a * b + a).sum()
    J.name = j_name
    J.backward()
    return J


@pytest.mark.skipif(not available_backends(), reason="no renderer")
@given(a_name=names, j_name=names, backward=st.booleans())
def test_any_name_gives_safe_well_formed_svg(a_name: str, j_name: str, backward: bool) -> None:
    J = named_graph(a_name, j_name)
    dot = draw_graph(J, backward_edges=backward).source
    dot.encode("utf-8")
    for backend in available_backends():
        root = check_safe_svg(render_svg(dot, backend=backend))
        texts = svg_text(root)
        if a_name and a_name != j_name:  # an empty or repeated name is replaced (x1, u, ...)
            assert shown(a_name) in texts, (backend, a_name, texts[:300])


@pytest.mark.skipif(not available_backends(), reason="no renderer")
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_in_both_views_and_in_save_svg(name: str, tmp_path: Path) -> None:
    layer = named_graph(name, "J")
    path = save_svg(layer, tmp_path / "x.svg", view="ops", backward_edges=True)
    texts = svg_text(check_safe_svg(path.read_text(encoding="utf-8")))
    assert shown(name) in texts
    W1 = tc.Tensor([[1.0, 2.0]], requires_grad=True, name="W1")
    Z1 = W1 @ tc.Tensor([[1.0], [2.0]], name=name)
    Z1.name = "Z1"
    Jl = (Z1 * 2.0).sum()
    Jl.name = name + "J"
    Jl.backward()
    check_safe_svg(save_svg(Jl, tmp_path / "l.svg", view="layers").read_text(encoding="utf-8"))
