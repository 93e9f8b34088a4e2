"""Pasar's benchmarks: each compares a Pasar figure with a baseline measured in the same run.

Run them all with ``make bench`` (``python -m benchmarks``); ``--quick`` for a smoke run,
``--only NAME`` for one benchmark. Results are printed as a table and written to
``benchmarks/results/latest.json``.
"""
