"""docs/testing.md, run: test a hand-written linear_activation_backward against the engine.

    python examples/testing_tutorial.py mine        # the derivation from the lectures: passes
    python examples/testing_tutorial.py notes       # dW^[L] = dZ^[L] A^[L]T, copied from note 002
    python examples/testing_tutorial.py half-fixed  # the layer index fixed, the 1/m still missing

Each runs the test of examples/learner_tests/test_backprop.py the way pytest would, with
hypothesis derandomized (so the output is the same every run) and prints the failure message and
the smallest failing example hypothesis shrank to.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

sys.path.insert(0, str(Path(__file__).resolve().parent / "learner_tests"))

import test_backprop  # noqa: E402  (the learner's test file, beside their backprop.py)

TESTS = {"mine": test_backprop.test_linear_activation_backward,
         "notes": test_backprop.test_from_notes,
         "half-fixed": test_backprop.test_half_fixed}
# derandomized and without the (path-printing) explain phase, so docs/testing.md can show it
REPRODUCIBLE = settings(derandomize=True, database=None, deadline=None, max_examples=100,
                        print_blob=False,
                        phases=[Phase.explicit, Phase.generate, Phase.shrink],
                        suppress_health_check=[HealthCheck.too_slow])


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in TESTS:
        print(f"usage: python examples/testing_tutorial.py {{{'|'.join(TESTS)}}}", file=sys.stderr)
        return 2
    test = REPRODUCIBLE(TESTS[argv[0]])
    try:
        test()
    except AssertionError as err:
        print(err)
        for note in getattr(err, "__notes__", []):
            print(note)
        return 0
    print("passed: the engine agrees on every layer hypothesis tried")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
