"""Score every prediction file with the migbench scorer and write its result file.

``predictions/<path>.jsonl`` gets ``results/<path>.json``: the scorer's JSON, unchanged.
Official and genre-transfer files are scored against their split of the packaged dataset,
cross-validation folds against the train units of the fold. Result files left without a
prediction file are removed, so the results always describe the predictions present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

import migbench
from baselines.data import (
    DATASET,
    PREDICTIONS,
    RESULTS,
    PredictionName,
    cv_gold,
    parse_name,
)


def gold_source(name: PredictionName, *, dataset: Path = DATASET) -> dict[str, Any]:
    """Return the keyword arguments of :func:`migbench.score` that select the file's gold."""
    if name.scheme == "cv":
        return {"gold": cv_gold(name.split, dataset=dataset)}
    protocol = "split" if name.scheme == "official" else name.scheme
    return {"protocol": protocol, "split": name.split, "dataset": dataset}


def score_all(
    predictions: Path = PREDICTIONS, results: Path = RESULTS, *, dataset: Path = DATASET
) -> list[Path]:
    """Score every prediction file under ``predictions`` into ``results``.

    Returns:
        The result files written.
    """
    written = []
    for path in tqdm(sorted(predictions.rglob("*.jsonl")), desc="scoring", unit="file"):
        name = parse_name(path.relative_to(predictions))
        result = migbench.score(name.task, path, **gold_source(name, dataset=dataset))
        target = results / path.relative_to(predictions).with_suffix(".json")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    for stale in set(results.rglob("*.json")) - set(written):
        stale.unlink()
    return written
