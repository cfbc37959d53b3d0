"""Benchmarks and the deterministic synthetic corpus they run on (``python -m benchmarks.corpus``)."""
