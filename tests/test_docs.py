"""Docs stay true to the code: every block marked ``<!-- output: CMD -->`` in README.md or
docs/*.md is exactly what CMD prints today."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKED = re.compile(r"<!-- output: (?P<cmd>.+?) -->\s*```\w*\n(?P<text>.*?)```", re.S)


def marked_blocks():
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
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
