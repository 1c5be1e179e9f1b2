"""Example files shipped with the package, so the scorer runs right after ``pip install``.

``gold.jsonl`` is a tiny gold file (12 units written for the tests, every layer); ``stance``,
``frame``, ``mfc``, ``ner`` (IOB2 tags) and ``ner_entities`` (character offsets) ``.jsonl`` are
submissions against it.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def examples_dir() -> Path:
    """Return the folder of the example gold file and submissions.

    Example:
        >>> sorted(path.name for path in examples_dir().glob("*.jsonl"))[:2]
        ['frame.jsonl', 'gold.jsonl']
    """
    return Path(str(files(__name__)))
