# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Week 2 · The computation graph: J = 3(a + bc)
#
# Lessons 2.5 and 2.6 of *Neural Networks and Deep Learning* compute
#
# $$u = bc, \qquad v = a + u, \qquad J = 3v$$
#
# left to right with a = 5, b = 3, c = 2, and then the derivatives right to left with the chain
# rule. Here the same graph is built with `tinygrad_course` Tensors: the engine records every
# operation, draws the graph, and `J.backward()` does the right-to-left pass the lecture does by
# hand. The lecture's numbers are J = 33, dJ/da = 3, dJ/db = 6, dJ/dc = 9; the last cell checks
# them.
#
# This notebook is generated: its source of record is `week2_computation_graph.py` beside it
# (Jupytext's percent format); `python examples/notebooks/build.py` executes it and saves this
# `.ipynb` with its outputs (see docs/notebooks.md).

# %%
from IPython.display import SVG, display

import tinygrad_course as tc
from tinygrad_course.steps_page import frames_text
from tinygrad_course.testing import assert_gradients_match


def show_graph(root, **options):
    """Display root's computation graph as SVG (options: tc.draw_graph's)."""
    # the graph's own display, its SVG fitted to the cell (the scrolling HTML view left out:
    # GitHub's notebook viewer strips inline SVG from HTML)
    display(tc.draw_graph(root, **options), exclude=["text/html"])


# %% [markdown]
# ## Forward, left to right
#
# a, b and c are the graph's inputs (`requires_grad=True`: we want dJ/d· for them). u and v are
# intermediate values; `retain_grad()` keeps their gradients too, so we can read dJ/du and dJ/dv
# as the lecture writes them.

# %%
a = tc.Tensor(5.0, requires_grad=True, name="a")
b = tc.Tensor(3.0, requires_grad=True, name="b")
c = tc.Tensor(2.0, requires_grad=True, name="c")
u = (b * c).retain_grad()
v = (a + u).retain_grad()
J = 3 * v
u.name, v.name, J.name = "u", "v", "J"
print(f"u = b*c   = {u.item():g}")
print(f"v = a + u = {v.item():g}")
print(f"J = 3*v   = {J.item():g}")

# %% [markdown]
# The graph the engine recorded: a box per value (its name and value), an ellipse per operation.

# %%
show_graph(J, show_grads=False)

# %% [markdown]
# ## Backward, step by step
#
# `tc.backward_steps(J)` walks the graph exactly as `backward()` will, and keeps every number it
# meets: the forward values, the seed dJ/dJ = 1, then each share
# dJ/d(input) += dJ/d(out) · ∂out/∂input. Printed, it is a table:

# %%
steps = tc.backward_steps(J)
print(repr(steps))

# %% [markdown]
# Displayed (`display(steps)`, or `steps` as the last expression of a cell), the steps are the
# stepping page: the graph and a panel to click through the steps (◀ ▶, or the arrow keys). The
# page runs in a sandboxed iframe inside Jupyter; where a viewer shows no such HTML (GitHub's
# notebook view), the frames below the page show the same steps as pictures.

# %%
display(steps)

# %% [markdown]
# The same steps as still frames (`frames_text`, one SVG a step; `save_frames` writes them as
# files). The backward half: the seed, then dJ/dv, dJ/da, dJ/du, dJ/db, dJ/dc.

# %%
frames = frames_text(steps)
backward_frames = [frame for frame, step in zip(frames, steps) if step["phase"] != "forward"]
for frame in backward_frames:
    display(SVG(frame))

# %% [markdown]
# ## backward(), and the lecture's derivatives by hand
#
# By the chain rule, right to left: dJ/dv = 3; dJ/da = dJ/dv · ∂v/∂a = 3 · 1; dJ/du = 3 · 1;
# dJ/db = dJ/du · ∂u/∂b = 3 · c = 6; dJ/dc = dJ/du · ∂u/∂c = 3 · b = 9.

# %%
J.backward()
by_hand = {"v": 3.0, "u": 3.0 * 1.0, "a": 3.0 * 1.0, "b": 3.0 * 1.0 * c.item(),
           "c": 3.0 * 1.0 * b.item()}
print("        engine  by hand")
for t in (v, u, a, b, c):
    print(f"dJ/d{t.name}   {float(t.grad):6g}  {by_hand[t.name]:6g}")

# %% [markdown]
# The graph again, now with each gradient under its value and the red backward edges labelled
# with the local derivatives ∂out/∂in (numbers, since every value here is a scalar):

# %%
show_graph(J, backward_edges=True)

# %% [markdown]
# A tensor on its own shows as a small table: its name, shape, dtype, value, the gradient
# (named for the tensor backward ran from: dJ/db) and what made it. Here b, a leaf:

# %%
display(b)

# %% [markdown]
# ## Checking the gradients
#
# `tinygrad_course.testing.assert_gradients_match` differentiates a function with the engine and
# compares it with gradients you derived by hand (here the lecture's: dJ/da = 3, dJ/db = 3c,
# dJ/dc = 3b), or, with `expected=None`, with central finite differences. Either raises an
# AssertionError naming the wrong input if they disagree.

# %%
def J_of(a, b, c):
    return 3 * (a + b * c)


values = {"a": 5.0, "b": 3.0, "c": 2.0}
assert_gradients_match(J_of, values, expected=lambda a, b, c: {"da": 3.0, "db": 3 * c,
                                                               "dc": 3 * b})
assert_gradients_match(J_of, values)  # finite differences
print("the lecture's derivatives and finite differences agree with backward()")

# %% [markdown]
# ## The lecture's figures beside the engine's

# %%
lecture = {"J": 33.0, "dJ/da": 3.0, "dJ/db": 6.0, "dJ/dc": 9.0}
engine = {"J": J.item(), "dJ/da": float(a.grad), "dJ/db": float(b.grad),
          "dJ/dc": float(c.grad)}
print(f"| {'figure':<8} | {'course':>8} | {'engine':>8} |")
for name, theirs in lecture.items():
    print(f"| {name:<8} | {theirs:>8g} | {engine[name]:>8g} |")
for name, theirs in lecture.items():
    assert engine[name] == theirs, f"{name}: engine {engine[name]}, lecture {theirs}"
print("All tests passed.")
