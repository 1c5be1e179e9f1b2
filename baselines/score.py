"""Score every prediction file with the migbench scorer and write its result file.

``predictions/<path>.jsonl`` gets ``results/<path>.json``: the scorer's JSON, unchanged.
Each file is scored under its protocol: the fixed split and genre transfer against their
validation or test split, cross-validation (out-of-fold predictions for every unit) pooled over
all units, with the per-fold scores. Result files left without a
prediction file are removed, so the results always describe the predictions present.
"""

from __future__ import annotations

import json
from pathlib import Path

from tqdm.auto import tqdm

import migbench
from baselines.paths import DATASET, PREDICTIONS, RESULTS, PredictionName, parse_name


def gold_of(name: PredictionName, *, dataset: Path = DATASET) -> migbench.Gold:
    """Return the gold a prediction file is scored against."""
    split = None if migbench.PROTOCOLS[name.protocol].pooled else name.split
    return migbench.Gold(protocol=name.protocol, split=split, dataset=dataset)


def score_all(
    predictions: Path = PREDICTIONS, results: Path = RESULTS, *, dataset: Path = DATASET
) -> list[Path]:
    """Score every prediction file under ``predictions`` into ``results``.

    Returns:
        The result files written.
    """
    written = []
    scorers: dict[tuple[str, migbench.Gold], migbench.Scorer] = {}
    for path in tqdm(sorted(predictions.rglob("*.jsonl")), desc="scoring", unit="file"):
        name = parse_name(path.relative_to(predictions))
        gold = gold_of(name, dataset=dataset)
        # One scorer per task and gold: the gold is read once, not once per file.
        if (name.task, gold) not in scorers:
            scorers[name.task, gold] = migbench.Scorer(name.task, gold)
        result = scorers[name.task, gold].score(path)
        target = results / path.relative_to(predictions).with_suffix(".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    for stale in set(results.rglob("*.json")) - set(written):
        stale.unlink()
    return written
