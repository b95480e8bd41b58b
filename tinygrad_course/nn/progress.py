"""The progress bar of ``fit(progress=True)``: tqdm when installed, else a plain text line.

tqdm is the optional extra ``progress`` (``pip install "tinygrad_course[progress]"``). Without
it the bar is a line rewritten in place with a carriage return, e.g.
``training [##########..........]  1250/2500  cost 0.3394``.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO


class ProgressBar:
    """``update(cost)`` once per iteration; ``write(line)`` prints above the bar; ``close()``."""

    WIDTH = 20

    def __init__(self, total: int, stream: TextIO | None = None, desc: str = "training",
                 use_tqdm: bool | None = None) -> None:
        self.total, self.done, self.desc = total, 0, desc
        self.stream = sys.stderr if stream is None else stream
        self._tqdm: Any = None
        if use_tqdm is not False:
            try:
                from tqdm import tqdm
            except ImportError:
                if use_tqdm:
                    raise ImportError("the progress bar needs tqdm: pip install "
                                      '"tinygrad_course[progress]" (or pip install tqdm)') from None
            else:
                self._tqdm = tqdm(total=total, file=self.stream, desc=desc, leave=True,
                                  dynamic_ncols=True)
        # redraw the plain line about 100 times in all: often enough to move, rarely enough to
        # cost nothing against an iteration
        self._every = max(1, total // 100)
        self._shown = -1

    @property
    def backend(self) -> str:
        return "tqdm" if self._tqdm is not None else "text"

    def update(self, cost: float) -> None:
        self.done += 1
        if self._tqdm is not None:
            self._tqdm.update(1)
            if self.done % self._every == 0 or self.done == self.total:
                self._tqdm.set_postfix(cost=f"{cost:.4f}", refresh=False)
        elif self.done % self._every == 0 or self.done == self.total:
            self._draw(cost)

    def _draw(self, cost: float) -> None:
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        width = len(str(self.total))
        self.stream.write(f"\r{self.desc} [{bar}] {self.done:>{width}}/{self.total}  "
                          f"cost {cost:.4f}")
        self.stream.flush()
        self._shown = self.done

    def write(self, line: str, file: TextIO | None = None) -> None:
        """Print ``line`` (to ``file``, default stdout) without tearing the bar."""
        out = sys.stdout if file is None else file
        if self._tqdm is not None:
            self._tqdm.write(line, file=out)
            return
        if self._shown >= 0:  # clear the bar's line; the next update redraws it
            self.stream.write("\r\033[K")
            self.stream.flush()
        print(line, file=out, flush=True)

    def close(self) -> None:
        if self._tqdm is not None:
            self._tqdm.close()
        elif self._shown >= 0:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
