"""Applying a released model to a corpus of any size: read, predict in batches, write.

:mod:`~migbench.predict.readers` turns each supported input into a stream of units (or bad
lines), :mod:`~migbench.predict.run` batches them through a model into a resumable output, and
:mod:`~migbench.predict.ray_engine` does the same on Ray Data.
"""
