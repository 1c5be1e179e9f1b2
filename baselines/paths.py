"""Where the main job reads and writes, and how its files are named: every path and name, once.

A prediction file is ``predictions/[<protocol folder>/]<baseline>.<task>.<split>[.seed<N>].jsonl``
and its result ``results/`` the same with ``.json``; the protocol folder is the protocol's
``results_folder`` (:data:`migbench.PROTOCOLS`), the split ``all`` for a cross-validation run,
whose out-of-fold predictions cover every unit.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from migbench.protocols import POOLED_SPLIT, PROTOCOLS
from migbench.scoring.tasks import TASKS

REPO = Path(__file__).resolve().parent.parent
DATASET = REPO / "dataset"
BASELINES = REPO / "baselines"
PREDICTIONS = BASELINES / "predictions"
RESULTS = BASELINES / "results"
SIGNIFICANCE = BASELINES / "significance"
PLOTS = BASELINES / "plots"
RESULTS_MD = BASELINES / "RESULTS.md"
README = REPO / "README.md"
TIMINGS = BASELINES / "timings.json"
MODELS_JSON = BASELINES / "models.json"
SPACY_CONFIG = BASELINES / "spacy" / "ner.cfg"
#: Split name of a cross-validation run's file: its out-of-fold predictions cover every unit.
EVERY_UNIT = POOLED_SPLIT

_NAME = re.compile(r"(?P<baseline>[\w-]+)\.(?P<task>\w+)\.(?P<split>\w+)(?:\.seed(?P<seed>\d+))?")


class PredictionName(NamedTuple):
    """What a prediction or result file holds, as its path says."""

    protocol: str
    baseline: str
    task: str
    split: str
    seed: int | None


def prediction_path(root: Path, name: PredictionName) -> Path:
    """Return ``root/[protocol folder/]<baseline>.<task>.<split>[.seed<N>].jsonl``."""
    seed = "" if name.seed is None else f".seed{name.seed}"
    stem = f"{name.baseline}.{name.task}.{name.split}{seed}"
    return root / PROTOCOLS[name.protocol].results_folder / f"{stem}.jsonl"


def parse_name(path: Path) -> PredictionName:
    """Read what a prediction or result file holds from its path.

    Raises:
        ValueError: The path does not follow :func:`prediction_path`.
    """
    folders = {protocol.results_folder: name for name, protocol in PROTOCOLS.items()}
    folder = path.parent.name if path.parent.name in folders else ""
    match = _NAME.fullmatch(path.name.removesuffix(path.suffix))
    if match is None or match["task"] not in TASKS:
        raise ValueError(f"{path} is not named <baseline>.<task>.<split>[.seed<N>]{path.suffix}")
    seed = None if match["seed"] is None else int(match["seed"])
    return PredictionName(folders[folder], match["baseline"], match["task"], match["split"], seed)


def significance_path(folder: Path, kind: str, protocol: str, task: str, split: str) -> Path:
    """Return the file of a ``compare`` or ``power`` result in ``folder``."""
    return folder / f"{kind}.{protocol}.{task}.{split}.json"


def parse_significance_name(path: Path) -> tuple[str, str, str, str]:
    """Return the kind, protocol, task and split a :func:`significance_path` names."""
    kind, protocol, task, split = path.name.removesuffix(".json").split(".")
    return kind, protocol, task, split
