"""Run the four course examples at full length and write docs/course-results.md.

    python examples/course_results.py > docs/course-results.md       # a few minutes
    python examples/course_results.py --data DIR > docs/course-results.md

Every figure in the Markdown it prints comes from these runs, except the "course" columns: the
outputs the course's notebooks print (weeks 2, 3 and 4 of "Neural Networks and Deep Learning"),
quoted below in COURSE. Progress goes to stderr, the document to stdout.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Sequence
from typing import Any

import _common as C
import deep_cats
import flower
import logistic_regression_cats
import numpy as np
import two_layer_cats

from tinygrad_course import nn
from tinygrad_course import oracles as O
from tinygrad_course.gradcheck import relative_difference

# The course notebooks' printed outputs: the cost every 100 iterations (every 1000 for the
# flower) and the accuracies, as printed. The week-2 and week-3 notebooks print costs with six
# decimals ("decimals": 6); week 4's 2-layer notebook prints them in full (None).
COURSE: dict[str, dict[str, Any]] = {
    "logistic": {
        "every": 100, "decimals": 6,
        "costs": [0.693147, 0.584508, 0.466949, 0.376007, 0.331463, 0.303273, 0.279880, 0.260042,
                  0.242941, 0.228004, 0.214820, 0.203078, 0.192544, 0.183033, 0.174399, 0.166521,
                  0.159305, 0.152667, 0.146542, 0.140872],
        # the same run's `d["costs"]` list, printed in full in a learner's copy of the notebook
        "full": [0.69314718055994529, 0.58450836369930859, 0.46694904094655459,
                 0.37600686694802077, 0.33146328932825114, 0.30327306747438287,
                 0.27987958658260481, 0.26004213692587569, 0.24294068467796615,
                 0.22800422256726072, 0.21481951378449646, 0.20307819060644994,
                 0.19254427716706857, 0.18303333796883509, 0.17439859438448876,
                 0.16652139705400335, 0.15930451829756614, 0.1526673247129651,
                 0.14654223503982333, 0.14087207570310162],
        "train": ("99.04306220095694 %", 0.9904306220095694),
        "test": ("70.0 %", 0.70)},
    "two_layer": {
        "every": 100, "decimals": None,
        "costs": [0.693049735659989, 0.6464320953428849, 0.6325140647912678, 0.6015024920354665,
                  0.5601966311605748, 0.515830477276473, 0.4754901313943325,
                  0.43391631512257495, 0.4007977536203886, 0.35807050113237987,
                  0.3394281538366413, 0.30527536361962654, 0.2749137728213015,
                  0.24681768210614827, 0.1985073503746611, 0.17448318112556593,
                  0.1708076297809661, 0.11306524562164737, 0.09629426845937163,
                  0.08342617959726878, 0.0743907870431909, 0.06630748132267938,
                  0.05919329501038176, 0.05336140348560564, 0.048554785628770226],
        "train": ("1.0", 1.0), "test": ("0.72", 0.72)},
    "deep": {
        "every": 100, "decimals": 6,
        "costs": [0.771749, 0.672053, 0.648263, 0.611507, 0.567047, 0.540138, 0.527930, 0.465477,
                  0.369126, 0.391747, 0.315187, 0.272700, 0.237419, 0.199601, 0.189263, 0.161189,
                  0.148214, 0.137775, 0.129740, 0.121225, 0.113821, 0.107839, 0.102855, 0.100897,
                  0.092878],
        "train": ("0.985645933014", 0.985645933014), "test": ("0.8", 0.8)},
    "flower": {
        "every": 1000, "decimals": 6,
        "costs": [0.693048, 0.288083, 0.254385, 0.233864, 0.226792, 0.222644, 0.219731, 0.217504,
                  0.219454, 0.218607],
        # other printed copies of the same notebook cell, which differ late in the run
        "copies": {8000: [0.219467, 0.219471], 9000: [0.218561, 0.218612]},
        "train": ("90%", 0.90), "logistic": ("47%", 0.47)},
}


def same_digits(ours: float, course: float, decimals: int | None) -> bool:
    return f"{ours:.{decimals}f}" == f"{course:.{decimals}f}" if decimals else ours == course


def cost_table(ours: Sequence[float], c: dict[str, Any]) -> tuple[list[str], list[int]]:
    """The Markdown rows, and the iterations where ours differs in the printed digits."""
    every, decimals, course = c["every"], c["decimals"], c["costs"]
    full = c.get("full")
    head = "| iteration | cost (ours) | cost (course, as printed) |"
    rule = "|---:|---:|---:|"
    if decimals:
        head += " same printed digits |"
        rule += ":---:|"
    if full or not decimals:
        head += (" course, in full | difference |" if full else " difference |")
        rule += ("---:|---:|" if full else "---:|")
    rows, differ = [head, rule], []
    for k, theirs in enumerate(course):
        i = k * every
        if i >= len(ours):
            break
        same = same_digits(ours[i], theirs, decimals)
        if not same and decimals:
            differ.append(i)
        if decimals:
            row = f"| {i} | {ours[i]:.{decimals}f} | {theirs:.{decimals}f} | " \
                  f"{'yes' if same else '**no**'} |"
        else:
            row = f"| {i} | {ours[i]!r} | {theirs!r} |"
        if full:
            row += f" {full[k]!r} | {ours[i] - full[k]:+.1e} |"
        elif not decimals:
            row += f" {ours[i] - theirs:+.1e} |"
        rows.append(row)
    return rows, differ


def full_gap(ours: Sequence[float], course: Sequence[float], every: int) -> tuple[float, int]:
    """The largest |ours - course| over the printed iterations, and where."""
    return max((abs(ours[k * every] - v), k * every) for k, v in enumerate(course)
               if k * every < len(ours))


def pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def gradient_agreement(data: str | None) -> dict[str, float]:
    """At the examples' initial parameters on the real images: the largest relative difference,
    over the parameters, between backward() and the course's hand-derived gradients."""
    train_X, train_Y, _, _ = C.load_cats(data)
    found = {}
    lr = nn.LogisticRegression(train_X.shape[0])
    lr.cost(train_X, train_Y).backward()
    w, b = (lr.parameters()[k].data for k in ("w", "b"))
    grads, _ = O.logistic_propagate(w, b, train_X, train_Y)
    found["logistic"] = max(relative_difference(lr.parameters()[k].grad, grads["d" + k])
                            for k in ("w", "b"))
    for key, dims, init in (("two_layer", [12288, 7, 1], "small"),
                            ("deep", [12288, 20, 7, 5, 1], "xavier")):
        model = nn.DeepNN(dims, init=init, rng=np.random.RandomState(1))
        model.cost(train_X, train_Y).backward()
        params = {k: p.data for k, p in model.parameters().items()}
        AL, caches = O.L_model_forward(train_X, params, "relu")
        course = O.L_model_backward(AL, train_Y, caches, "relu", fused_output=False)
        found[key] = max(relative_difference(p.grad, course["d" + k])
                         for k, p in model.parameters().items())
    return found


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", metavar="DIR", help=C.DATA_HELP)
    p.add_argument("--quick", type=int, metavar="N",
                   help="run every example for N iterations only (a smoke test: the document "
                   "then says so at the top and its figures are not the course's)")
    args = p.parse_args(argv)
    if args.quick is not None and args.quick < 1:
        return C.fail(f"--quick must be >= 1, got {args.quick}")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    def n(default: int) -> int:
        return default if args.quick is None else args.quick

    try:
        agreement = gradient_agreement(args.data)
    except C.DATA_ERRORS as err:
        return C.fail(str(err))
    log(f"logistic regression: {n(2000)} iterations ...")
    lr = logistic_regression_cats.run(args.data, iterations=n(2000), print_cost=False)
    log(f"  {lr.seconds:.0f} s; 2-layer network: {n(2500)} iterations ...")
    two = two_layer_cats.run(args.data, iterations=n(2500), print_cost=False)
    log(f"  {two.seconds:.0f} s; 4-layer network: {n(2500)} iterations ...")
    deep = deep_cats.run(args.data, iterations=n(2500), print_cost=False)
    log(f"  {deep.seconds:.0f} s; flower: {n(10_000)} iterations ...")
    flo, _, _ = flower.run(iterations=n(10_000), print_cost=False)
    log(f"  {flo.seconds:.0f} s; done")
    print("\n".join(document(args.quick, agreement, lr, two, deep, flo)))
    return 0


def document(quick: int | None, agreement: dict[str, float], lr: C.Result, two: C.Result,
             deep: C.Result, flo: C.Result) -> list[str]:
    out: list[str] = []
    w = out.append
    w("# Course results: the four assignments, trained on the engine")
    w("")
    if quick is not None:
        w(f"**QUICK RUN ({quick} iterations each): a smoke test of the script, not the "
          "course's settings. Regenerate without `--quick`.**")
        w("")
    w("Regenerate this file with `python examples/course_results.py > docs/course-results.md` "
      "(a few minutes; add `--data DIR` if the cat images are not in "
      "`$TINYGRAD_COURSE_DATA` or `../shared/data/catvnoncat`). Every number here is that "
      "command's output; the *course* columns are the outputs printed by the course's "
      "notebooks, quoted in `examples/course_results.py`. Each example also runs on its own: "
      "`python examples/logistic_regression_cats.py`, `python examples/two_layer_cats.py` and "
      "`python examples/deep_cats.py` print the cost every 100 iterations; "
      "`python examples/flower.py`, the main demo, shows a progress bar instead (`--print-cost` "
      "for the costs) and writes its pictures into `flower_out/`.")
    w("")
    w(f"Run with Python {platform.python_version()} and numpy {np.__version__}.")
    w("")
    w("## Accuracy")
    w("")
    w("| example | settings | train (ours) | train (course) | test (ours) | test (course) |")
    w("|---|---|---:|---:|---:|---:|")
    for key, r in (("logistic", lr), ("two_layer", two), ("deep", deep)):
        c = COURSE[key]
        w(f"| {r.name} | {r.settings} | {pct(r.train_accuracy)} | {c['train'][0]} | "
          f"{pct(r.test_accuracy or 0.0)} | {c['test'][0]} |")
    fc = COURSE["flower"]
    w(f"| {flo.name} | {flo.settings} | {pct(flo.train_accuracy)} | {fc['train'][0]} | "
      f"{pct(flo.extra['held-out accuracy'])} on a second flower (seed 2) | — |")
    w(f"| flower: logistic regression | w = 0, b = 0; α = {flo.settings.split('α = ')[1]} | "
      f"{pct(flo.extra['logistic regression accuracy'])} | {fc['logistic'][0]} | — | — |")
    w("")
    w("The course's figures are quoted as its notebooks print them: fractions (1.0, 0.72) in "
      "week 4, percentages elsewhere; the flower notebook prints `Accuracy: %d%%`, which "
      "truncates.")

    sections = [("logistic", lr, "Logistic regression (week 2)"),
                ("two_layer", two, "2-layer network 12288-7-1 (week 4)"),
                ("deep", deep, "4-layer network 12288-20-7-5-1 (week 4)"),
                ("flower", flo, "Flower, 2-4-1 tanh network (week 3)")]
    differ: dict[str, list[int]] = {}
    for key, r, title in sections:
        c = COURSE[key]
        rows, differ[key] = cost_table(r.costs, c)
        w("")
        w(f"## {title}: cost every {c['every']} iterations")
        w("")
        w("\n".join(rows))
        w("")
        w(f"Final cost (iteration {len(r.costs) - 1}): {r.costs[-1]:.6f}.")

    w("")
    w("## Why the figures agree, and where they differ")
    w("")
    w("The cat examples start from exactly the notebooks' parameters: zeros for logistic "
      "regression; for the networks `np.random.RandomState(1)` draws W1, W2, ... in layer order "
      "with the notebooks' formulas (`randn(n, n_prev) * 0.01` for the 2-layer network, "
      "`randn(n, n_prev) / sqrt(n_prev)` for the 4-layer one), bit for bit "
      "(`tests/test_nn.py` checks both). Forward pass, cost and update are the course's "
      "equations, and at those starting parameters on these images backward() gives the "
      "gradients of the course's hand-derived backward pass (`tinygrad_course.oracles`, "
      "starting from dA^[L] as the notebooks do) up to a largest relative difference, "
      "||g - g'|| / (||g|| + ||g'||) over each parameter, of "
      f"{agreement['logistic']:.1e} for logistic regression, {agreement['two_layer']:.1e} for "
      f"the 2-layer network and {agreement['deep']:.1e} for the 4-layer network. What is left "
      "is floating-point rounding: the engine carries the 1/m from the cost's first "
      "derivative, dJ/dA^[L] = (A - Y)/(A(1 - A))/m, where the notebooks divide dW by m at "
      "the end, and the order of BLAS sums depends on the numpy build. Gradient descent can "
      "amplify such last-digit differences over thousands of iterations.")
    w("")
    lr_full = full_gap(lr.costs, COURSE["logistic"]["full"], 100)
    two_full = full_gap(two.costs, COURSE["two_layer"]["costs"], 100)
    w("* " + agreement_sentence("Logistic regression", "logistic", differ, lr)
      + f" Against the full-precision list the largest difference is {lr_full[0]:.1e} "
      f"(iteration {lr_full[1]}).")
    w(f"* 2-layer network: the notebook prints its costs in full; the largest difference is "
      f"{two_full[0]:.1e}, at iteration {two_full[1]}. "
      + accuracy_sentence("two_layer", two))
    w("* " + agreement_sentence("4-layer network", "deep", differ, deep))
    copies = COURSE["flower"]["copies"]
    w("* " + agreement_sentence("Flower", "flower", differ, flo) + " "
      + ("" if not differ["flower"] else
         f"The rounding differences grow late in this run: the learning rate is large (1.2), "
         f"the run long ({len(flo.costs)} iterations), and the cost is not monotone there (the "
         f"course's own rises from {COURSE['flower']['costs'][7]} at 7000 to "
         f"{COURSE['flower']['costs'][8]} at 8000). The course's runs disagree among "
         f"themselves at the same place: other printed copies of this cell show "
         + ", ".join(f"{', '.join(str(v) for v in vs)} at {i}" for i, vs in copies.items())
         + ". ")
      + f"Logistic regression on the flower, by gradient descent from zero, reaches "
      f"{pct(flo.extra['logistic regression accuracy'])} (the course fits scikit-learn's "
      "LogisticRegressionCV and reports 47%): no straight line separates the petals. The "
      "network scores "
      f"{pct(flo.extra['held-out accuracy'])} on a second flower drawn by the same generator "
      "with seed 2, which it never saw"
      + (": it learned the flower, not its 400 points."
         if abs(flo.extra["held-out accuracy"] - flo.train_accuracy) <= 0.03 else "."))
    return out


def agreement_sentence(title: str, key: str, differ: dict[str, list[int]], r: C.Result) -> str:
    c = COURSE[key]
    shown = min(len(c["costs"]), (len(r.costs) - 1) // c["every"] + 1)
    if differ[key]:
        cost = (f"{title}: the costs agree with the {shown} printed ones to all "
                f"{c['decimals']} printed decimals except at iteration"
                f"{'s' if len(differ[key]) > 1 else ''} "
                f"{', '.join(str(i) for i in differ[key])}.")
    else:
        cost = (f"{title}: all {shown} costs the course prints agree with ours to the "
                f"{c['decimals']} decimals printed.")
    return cost + " " + accuracy_sentence(key, r)


def accuracy_sentence(key: str, r: C.Result) -> str:
    c = COURSE[key]
    parts = []
    for label, ours in (("train", r.train_accuracy), ("test", r.test_accuracy)):
        if ours is None or label not in c:
            continue
        printed, value = c[label]
        truncated = key == "flower"  # printed with %d
        same = (int(100 * ours) == round(100 * value)) if truncated else abs(ours - value) < 1e-9
        verb = ("matches" if truncated else "equals") if same else "differs from"
        note = " (printed with %d, which truncates)" if truncated else ""
        parts.append(f"{label} accuracy {pct(ours)} {verb} the course's {printed}{note}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else ""


if __name__ == "__main__":
    sys.exit(main())
