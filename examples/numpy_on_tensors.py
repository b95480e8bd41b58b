"""The course's own numpy code, run on Tensors: week 2's propagate(), as the notes write it.

numpy hands np.dot, np.exp, np.log and np.sum to the Tensors, which record the graph, so
backward() gives dw and db; they match the course's hand-derived dw = (1/m) X (A − Y)ᵀ and
db = (1/m) Σ (A − Y). A numpy function that is not an op raises instead of computing wrongly.

    python examples/numpy_on_tensors.py
"""

import numpy as np

import tinygrad_course as tc


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def propagate(w, b, X, Y):
    m = X.shape[1]
    A = sigmoid(np.dot(w.T, X) + b)
    cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
    return A, cost


def main() -> None:
    # the course's test case for propagate() (week 2 assignment); it prints
    # dw = [[0.99845601] [2.39507239]], db = 0.00145557813678, cost = 5.801545319394553
    w = tc.Tensor([[1.0], [2.0]], requires_grad=True, name="w")
    b = tc.Tensor(2.0, requires_grad=True, name="b")
    X = np.array([[1.0, 2.0, -1.0], [3.0, 4.0, -3.2]])
    Y = np.array([[1, 0, 1]])
    A, cost = propagate(w, b, X, Y)
    cost.backward()
    m = X.shape[1]
    print(f"cost = {cost:.8f}")
    print("dw (engine)   =", np.round(w.grad.ravel(), 8))
    print("dw (by hand)  =", np.round((X @ (A.data - Y).T / m).ravel(), 8))
    print(f"db (engine)   = {float(b.grad):.8f}")
    print(f"db (by hand)  = {np.sum(A.data - Y) / m:.8f}")
    print("accuracy      =", float(np.mean((A > 0.5) == Y)))
    try:
        np.linalg.inv(w.T @ w)
    except TypeError as err:
        print("TypeError:", err)


if __name__ == "__main__":
    main()
