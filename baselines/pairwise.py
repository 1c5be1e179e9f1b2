"""Paired significance tests between the baselines, and the power of each protocol.

For every protocol, task and evaluation split, ``migbench.compare`` tests every pair of baselines
(seed 0 of a seeded baseline) with paired bootstrap and approximate randomization, Holm-adjusted;
``migbench power`` estimates, from the best baseline's submission, the smallest difference that
the randomization test detects. The results are JSON files under ``baselines/significance/``,
read by ``make_table`` and ``migbench docs``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

import migbench
from baselines.paths import (
    DATASET,
    EVERY_UNIT,
    PREDICTIONS,
    SIGNIFICANCE,
    PredictionName,
    parse_name,
    parse_significance_name,
    significance_path,
)
from baselines.score import gold_of

#: Where power is estimated: (protocol, split) of the protocols README and the card report.
POWER_RUNS: tuple[tuple[str, str], ...] = (("cv", EVERY_UNIT), ("split", "test"))


def submissions(predictions: Path = PREDICTIONS) -> dict[tuple[str, str, str], dict[str, Path]]:
    """Return, by (protocol, task, split), each baseline's submission (seed 0 of seeded ones)."""
    found: dict[tuple[str, str, str], dict[str, Path]] = defaultdict(dict)
    for path in sorted(predictions.rglob("*.jsonl")):
        name = parse_name(path.relative_to(predictions))
        if name.seed in (None, 0):
            found[name.protocol, name.task, name.split][name.baseline] = path
    return dict(found)


def compare_all(predictions: Path = PREDICTIONS, out: Path = SIGNIFICANCE) -> list[Path]:
    """Compare every pair of baselines per protocol, task and split; return the files written."""
    written = []
    for (protocol, task, split), named in tqdm(
        sorted(submissions(predictions).items()), desc="comparing", unit="table"
    ):
        if len(named) < 2:
            continue
        gold = gold_of(PredictionName(protocol, "", task, split, None), dataset=DATASET)
        result = migbench.Scorer(task, gold).compare(named)
        written.append(_write(significance_path(out, "compare", protocol, task, split), result))
    return written


def power_all(
    best: dict[tuple[str, str, str], str],
    predictions: Path = PREDICTIONS,
    out: Path = SIGNIFICANCE,
) -> list[Path]:
    """Estimate the power of each protocol of :data:`POWER_RUNS` from its best baseline.

    Args:
        best: The best baseline by (protocol, task, split), as the results table names it.
        predictions: The folder of the baselines' submissions.
        out: The folder the results go to, one JSON file per protocol.

    Returns:
        The files written.
    """
    found = submissions(predictions)
    written = []
    runs = [(p, t, x) for p, x in POWER_RUNS for t in migbench.TASKS if (p, t, x) in best]
    for protocol, task, split in tqdm(runs, desc="power", unit="task"):
        reference = best[protocol, task, split]
        gold = gold_of(PredictionName(protocol, reference, task, split, None), dataset=DATASET)
        result = migbench.Scorer(task, gold).power(found[protocol, task, split][reference])
        result["reference"] = reference
        written.append(_write(significance_path(out, "power", protocol, task, split), result))
    return written


def load(kind: str, significance: Path = SIGNIFICANCE) -> dict[tuple[str, str, str], Any]:
    """Return the ``compare`` or ``power`` results by (protocol, task, split)."""
    results = {}
    for path in sorted(significance.glob(f"{kind}.*.json")):
        _, protocol, task, split = parse_significance_name(path)
        results[protocol, task, split] = json.loads(path.read_text(encoding="utf-8"))
    return results


def _write(path: Path, result: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return path
