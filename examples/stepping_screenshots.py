"""Screenshots of the step-by-step page for docs/stepping.md, made by a real browser:

    python examples/stepping_screenshots.py [--out docs/img]

Writes the J lesson's page at the step dJ/db = dJ/du · ∂u/∂b (stepping_j.png), the 2-layer
lesson's page at the broadcast sum db1 = Σ_i dZ1(:, i) (stepping_2layer.png), and the 4-layer
cat network's page (12288-20-7-5-1 on the 209 training images, its first iteration) on the
layer view at layer 4's backward step (stepping_cat_layers.png). Needs Debian's
Chromium at /usr/bin/chromium (or TINYGRAD_COURSE_CHROMIUM) and the Python package playwright
(the dev extra); no browser is downloaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_course as tc
from tinygrad_course import nn
from tinygrad_course.files import atomic_write

CHROMIUM = os.environ.get("TINYGRAD_COURSE_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def j_lesson() -> tc.Tensor:
    """J = 3(a + bc), a = 5, b = 3, c = 2 (lesson 2.5)."""
    a, b, c = (tc.Tensor(v, requires_grad=True, name=n) for n, v in zip("abc", (5., 3., 2.)))
    u = b * c
    v = a + u
    u.name, v.name = "u", "v"
    J = 3 * v
    J.name = "J"
    return J


def two_layer_lesson() -> tc.Tensor:
    """The 2-4-1 tanh network of docs/stepping.md on m = 3 examples."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 3))
    Y = np.array([[1.0, 0.0, 1.0]])
    model = nn.DeepNN([2, 4, 1], hidden_activation="tanh", init="xavier", rng=1)
    return model.cost(X, Y)


def cat_network() -> tc.Tensor:
    """The first iteration's cost of week 4's 12288-20-7-5-1 relu network (xavier init from
    RandomState(1), as `tinygrad-course train` has it) on the 209 training images."""
    from tinygrad_course import datasets

    train_x, train_y, _, _, _ = datasets.load_catvnoncat()
    model = nn.DeepNN([12288, 20, 7, 5, 1], hidden_activation="relu", init="xavier",
                      rng=np.random.RandomState(1))
    return model.cost(datasets.preprocess_images(train_x), train_y.astype(np.float64))


def step_where(steps: Any, starts: str) -> int:
    """The index of the first step whose text starts with ``starts``."""
    for k, step in enumerate(steps):
        if step["text"].startswith(starts):
            return k
    raise ValueError(f"no step starts with {starts!r}")


def layer_step_where(J: tc.Tensor, steps: Any, title: str) -> int:
    """The index of the layer step (steps_page.groups) whose title starts with ``title``."""
    from tinygrad_course.steps_page import groups
    from tinygrad_course.viz import graph_ids

    runs = groups(steps.to_dict(), graph_ids(J, view="layers"))
    return next(k for k, run in enumerate(runs) if run["title"].startswith(title))


def shoot(browser: Any, page_path: Path, at: int, png: Path, by: str = "step",
          height: int = 760) -> None:
    """A full-page screenshot after ``at`` presses of → (steps, or layer steps)."""
    context = browser.new_context(viewport={"width": 1200, "height": height})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:")
                  else r.abort())
    page = context.new_page()
    page.goto(page_path.as_uri())
    where = "step" if by == "step" else "group"
    page.wait_for_function(f"() => document.body.dataset.by === '{by}'")
    for _ in range(at):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => document.body.dataset.{where} === '{at}'")
    png.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(png, page.screenshot(full_page=True))  # the docs' picture whole or not at all
    context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img", help="folder for the PNGs")
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("needs the Python package playwright: pip install -e '.[dev]'", file=sys.stderr)
        return 2
    if not os.access(CHROMIUM, os.X_OK):
        print(f"needs Chromium at {CHROMIUM} (apt-get install chromium)", file=sys.stderr)
        return 2
    lessons = [(j_lesson(), "dJ/db", "stepping_j.png"),
               (two_layer_lesson(), "db1 = Σ", "stepping_2layer.png")]
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for J, starts, name in lessons:
            steps = tc.backward_steps(J)
            page = tc.save_page(J, Path(tmp) / (name + ".html"), steps=steps)
            shoot(browser, page, step_where(steps, starts), out / name)
            print(f"wrote {out / name}")
        J = cat_network()
        steps = tc.backward_steps(J)
        page = tc.save_page(J, Path(tmp) / "cat.html", steps=steps)  # layer view, by layer
        name = "stepping_cat_layers.png"
        shoot(browser, page, layer_step_where(J, steps, "layer 4 · backward"), out / name,
              by="layer", height=1000)
        print(f"wrote {out / name}")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
