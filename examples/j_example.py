"""Lesson 2.5/2.6: J = 3(a + bc) with a = 5, b = 3, c = 2, forward left to right and
derivatives right to left, by the engine and by hand.

    python examples/j_example.py
"""

import tinygrad_course as tc


def main() -> None:
    a = tc.Tensor(5.0, requires_grad=True, name="a")
    b = tc.Tensor(3.0, requires_grad=True, name="b")
    c = tc.Tensor(2.0, requires_grad=True, name="c")
    u = (b * c).retain_grad()
    v = (a + u).retain_grad()
    J = 3 * v
    u.name, v.name, J.name = "u", "v", "J"
    J.backward()

    print("forward, left to right:")
    print(f"  u = b*c     = {u.item():g}")
    print(f"  v = a + u   = {v.item():g}")
    print(f"  J = 3*v     = {J.item():g}")
    print("backward, right to left (engine | by hand):")
    by_hand = {"v": 3.0, "u": 3.0 * 1.0, "a": 3.0 * 1.0, "b": 3.0 * 1.0 * c.item(),
               "c": 3.0 * 1.0 * b.item()}
    for t in (v, u, a, b, c):
        print(f"  dJ/d{t.name} = {float(t.grad):g} | {by_hand[t.name or '']:g}")


if __name__ == "__main__":
    main()
