"""Benchmarks: each scenario measured side by side with its baseline in one run (``make bench``).

Not tests: nothing here is asserted; the ratios are printed and recorded in docs/benchmarks.md.
"""
