"""Read the scorer's result files and summarise them for the results table and the plots.

Runs of one baseline that differ only in their seed, or in their cross-validation fold, are
pooled into one :class:`Score`: its mean and sample standard deviation over the runs.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines.data import RESULTS, PredictionName, parse_name

#: Split name of the pooled cross-validation folds.
FOLDS = "folds"

Results = dict[PredictionName, dict[str, Any]]


@dataclass(frozen=True)
class Score:
    """The main score of one or more runs.

    Attributes:
        values: The main score of each run (seed or fold), in file order.
        ci: The 95 % bootstrap interval (low, high) of a single run; None for several runs.
    """

    values: tuple[float, ...]
    ci: tuple[float, float] | None

    @property
    def mean(self) -> float:
        """Mean over the runs."""
        return statistics.fmean(self.values)

    @property
    def std(self) -> float:
        """Sample standard deviation over the runs (0 for one run)."""
        return statistics.stdev(self.values) if len(self.values) > 1 else 0.0


def load_results(results: Path = RESULTS) -> Results:
    """Load every result file under ``results``, keyed by what its name says it holds."""
    return {
        parse_name(path.relative_to(results)): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(results.rglob("*.json"))
    }


def runs(results: Results, scheme: str, baseline: str, task: str, split: str) -> list[dict]:
    """Return the results of every seed (or, for split :data:`FOLDS`, every fold) of a run."""
    return [
        result
        for name, result in results.items()
        if (name.scheme, name.baseline, name.task) == (scheme, baseline, task)
        and (name.split == split or (split == FOLDS and name.split.startswith("fold")))
    ]


def scores(results: Results) -> dict[tuple[str, str, str, str], Score]:
    """Return the :class:`Score` of every (scheme, baseline, task, split) in ``results``."""
    grouped: dict[tuple[str, str, str, str], list[dict]] = defaultdict(list)
    for name, result in results.items():
        split = FOLDS if name.scheme == "cv" else name.split
        grouped[name.scheme, name.baseline, name.task, split].append(result)
    summary = {}
    for key, group in grouped.items():
        ci = group[0]["ci"] if len(group) == 1 else None
        summary[key] = Score(
            tuple(result["main_score"] for result in group),
            None if ci is None else (ci["low"], ci["high"]),
        )
    return summary


def best_baseline(summary: dict[tuple[str, str, str, str], Score], task: str) -> str | None:
    """Return the baseline with the best mean official validation score on ``task``.

    Chosen on validation, not test, so that the plots show a choice made without the test set;
    only baselines with official test results compete. None when no baseline has both.
    """
    tested = {key[1] for key in summary if (key[0], key[2], key[3]) == ("official", task, "test")}
    candidates = {
        baseline: score.mean
        for (scheme, baseline, name, split), score in summary.items()
        if (scheme, name, split) == ("official", task, "validation") and baseline in tested
    }
    return max(candidates, key=candidates.__getitem__) if candidates else None
