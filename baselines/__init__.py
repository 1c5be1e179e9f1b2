"""Baselines of the migbench benchmark: scripts that use only the package's public API.

Each baseline family trains on a split, writes submission files under ``predictions/``, and the
migbench scorer turns them into the result files under ``results/`` from which ``RESULTS.md``
is generated. ``python -m baselines.run_all`` runs the whole benchmark.
"""
