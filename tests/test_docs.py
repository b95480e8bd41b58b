"""Docs stay true to the code: every block marked ``<!-- output: CMD -->`` in README.md or
docs/*.md is exactly what CMD prints today, every block marked ``<!-- printed by the
python block above -->`` is exactly what that python block prints, and every
``pytest tests/FILE -k EXPR`` a doc cites as evidence selects at least one test there."""

from __future__ import annotations

import ast
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

REPO = Path(__file__).resolve().parents[1]
MARKED = re.compile(r"<!-- output: (?P<cmd>.+?) -->\s*```\w*\n(?P<text>.*?)```", re.S)
PRINTED = re.compile(r"```python\n(?P<code>(?:(?!```).)*?)```\s*"
                     r"<!-- printed by the python block above -->\s*```\w*\n(?P<text>.*?)```",
                     re.S)


def docs():
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def marked_blocks():
    for doc in docs():
        if doc.exists():
            for m in MARKED.finditer(doc.read_text(encoding="utf-8")):
                yield pytest.param(m["cmd"], m["text"], id=f"{doc.name}:{m['cmd']}")


@pytest.mark.parametrize("cmd, text", list(marked_blocks()))
def test_documented_output_is_what_the_command_prints(cmd, text):
    argv = shlex.split(cmd)
    assert argv[0] == "python", "marked commands run with the test's Python"
    out = subprocess.run([sys.executable, *argv[1:]], cwd=REPO, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert out == text


def printing_blocks():
    for doc in docs():
        if doc.exists():
            text = doc.read_text(encoding="utf-8")
            for m in PRINTED.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                yield pytest.param(m["code"], m["text"], id=f"{doc.name}:{line}")


@pytest.mark.parametrize("code, text", list(printing_blocks()))
def test_documented_python_prints_what_the_doc_says(code, text):
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert out == text


CITED = re.compile(r"(?:pytest )?(tests/test_\w+\.py)(?: -k (\"[^\"]+\"|[\w]+))?")


def cited_tests():
    for doc in docs():
        if doc.exists():
            for m in CITED.finditer(doc.read_text(encoding="utf-8")):
                yield pytest.param(m[1], (m[2] or "").strip('"'), id=f"{doc.name}:{m[0]}")


@pytest.mark.parametrize("path, expr", sorted(set(cited_tests()), key=lambda p: p.id))
def test_every_cited_test_exists(path, expr):
    """-k matches as pytest's does: a substring of a test's name or its file's."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    names = [node.name for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef) and node.name.startswith("test")]
    assert names, f"{path} holds no tests"
    if expr:
        match = Expression.compile(expr)
        chosen = [n for n in names
                  if match.evaluate(lambda word, name=n: word in name or word in path)]
        assert chosen, f"pytest {path} -k {expr!r} selects nothing"
