"""Read the scorer's result files and summarise them for the results table and the plots.

Runs of one baseline that differ only in their seed are pooled into one :class:`Score`: its mean
and sample standard deviation over the seeds. The headline is the full-corpus cross-validation
protocol: every unit predicted out of fold, scored pooled.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines.paths import EVERY_UNIT, RESULTS, PredictionName, parse_name
from migbench.protocols import HEADLINE_PROTOCOL

#: The headline protocol's (protocol, split): full-corpus cross-validation, every unit.
HEADLINE = (HEADLINE_PROTOCOL, EVERY_UNIT)

Results = dict[PredictionName, dict[str, Any]]


@dataclass(frozen=True)
class Score:
    """The main score of one or more runs.

    Attributes:
        values: The main score of each run (seed), in file order.
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


def runs(results: Results, protocol: str, baseline: str, task: str, split: str) -> list[dict]:
    """Return the results of every seed of a baseline's run."""
    return [
        result
        for name, result in results.items()
        if (name.protocol, name.baseline, name.task, name.split)
        == (protocol, baseline, task, split)
    ]


def scores(results: Results) -> dict[tuple[str, str, str, str], Score]:
    """Return the :class:`Score` of every (protocol, baseline, task, split) in ``results``."""
    grouped: dict[tuple[str, str, str, str], list[dict]] = defaultdict(list)
    for name, result in results.items():
        grouped[name.protocol, name.baseline, name.task, name.split].append(result)
    summary = {}
    for key, group in grouped.items():
        ci = group[0]["ci"] if len(group) == 1 else None
        summary[key] = Score(
            tuple(result["main_score"] for result in group),
            None if ci is None else (ci["low"], ci["high"]),
        )
    return summary


def best_baseline(
    summary: dict[tuple[str, str, str, str], Score],
    task: str,
    protocol: str = HEADLINE[0],
    split: str = HEADLINE[1],
) -> str | None:
    """Return the baseline with the best mean score on ``task`` under a protocol; None if none.

    It names the reference of the power analysis and the baseline the plots show; it is a
    description of the results, not a choice any baseline's training sees.
    """
    candidates = {
        baseline: score.mean
        for (name_protocol, baseline, name, name_split), score in summary.items()
        if (name_protocol, name, name_split) == (protocol, task, split)
    }
    return max(candidates, key=candidates.__getitem__) if candidates else None
