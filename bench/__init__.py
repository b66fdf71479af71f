"""Benchmarks for newsbot (not part of the installed package).

`bench.metrics` holds the pure scoring functions; `bench/quality.py` is the
extraction-quality runner (see bench/README.md).
"""
