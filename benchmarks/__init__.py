"""Benchmarks of the engine against hand-written numpy, PyTorch and HIPS autograd:
``python -m benchmarks.run`` (see docs/performance.md)."""
