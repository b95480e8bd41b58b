"""Your own op, the course's way: the course's sigmoid(Z) -> A, cache and
sigmoid_backward(dA, cache) -> dZ as an op of the engine, checked against central differences.

    python examples/custom_op.py
"""

import numpy as np

import tinygrad_course as tc
from tinygrad_course import testing


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def sigmoid_backward_wrong(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s                      # forgot (1 − s)


def main() -> None:
    Z = tc.Tensor([[0.5, -1.0, 2.0]], requires_grad=True, name="Z")
    my_sigmoid = tc.custom_op(sigmoid, sigmoid_backward, label="σ")
    with tc.detect_anomaly():           # checked against central differences on first use
        A = my_sigmoid(Z)
    A.sum().backward()
    print("dZ =", np.round(Z.grad, 8), "(checked:", my_sigmoid.checked, end=")\n")
    wrong = tc.custom_op(sigmoid, sigmoid_backward_wrong)
    try:
        testing.check_custom_op(wrong, Z)
    except ValueError as err:
        print("ValueError:", err)


if __name__ == "__main__":
    main()
