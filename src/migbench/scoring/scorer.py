"""The scoring API as an object: a :class:`Scorer` holds a task and its gold, loaded once.

As sacrebleu's metric objects, a scorer keeps its references and scores many systems; every result
carries a :class:`Signature` of what made it, so two numbers are comparable only when their
signatures match::

    >>> from migbench import Gold, Scorer, examples_dir
    >>> scorer = Scorer("stance", Gold(file=examples_dir() / "gold.jsonl"))
    >>> result = scorer.score(examples_dir() / "stance.jsonl", n_resamples=0)
    >>> result["main_metric"], round(result["main_score"], 4)
    ('f_avg', 0.7083)
    >>> result["signature"]  # doctest: +ELLIPSIS
    'task:stance|gold:file|sha256:...|entity_types:none|resample:none|seed:0|version:...'

Each submission is validated in full before it is scored: a :class:`SubmissionError` lists every
problem. Nothing is rounded and nothing is written.
"""

from __future__ import annotations

import logging
import os
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migbench.gcpause import without_cyclic_gc
from migbench.scoring.evaluation import check_resampling, evaluate
from migbench.scoring.gold import Gold, GoldRecord
from migbench.scoring.metrics import metric_for
from migbench.scoring.power import minimum_detectable_difference
from migbench.scoring.resampling import check_resampling_unit, clusters_of
from migbench.scoring.significance import (
    ALPHA,
    DEFAULT_TRIALS,
    MAX_ADAPTIVE_TRIALS,
    check_trials,
    compare_statistics,
    trial_bound,
)
from migbench.scoring.submission import (
    Predictions,
    parse_submission,
    read_submission,
    validate_rows,
)
from migbench.scoring.tasks import Task, entity_types_of, get_task
from migbench.version import __version__

log = logging.getLogger("migbench")

#: Bootstrap resamples of a score's interval, and the seed of every random step, by default.
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0

PathLike = str | os.PathLike[str]
Rows = Iterable[Mapping[str, Any]]
#: A submission: the path of a JSONL file, or its lines as dicts.
Submission = PathLike | Rows


@dataclass(frozen=True)
class Signature:
    """Everything that made a number, as in sacrebleu: equal signatures, comparable scores.

    Attributes:
        task: The task.
        gold: ``protocol/split`` (``cv`` alone), or ``file`` or ``rows``.
        dataset_version: The version of the dataset a protocol reads; None for a file or rows.
        gold_sha256: sha256 of the gold's ids and labels (see :meth:`Gold.sha256`).
        entity_types: NER's entity types (``migbench`` or ``conll``); None for the other tasks.
        resampling: What was resampled and how often: ``bootstrap=N``,
            ``randomization=N+bootstrap=N+max_trials=M`` (the trials each test starts with and
            the most it grows to), ``simulations=N+randomization=N``, each followed by
            ``@section`` or ``@unit`` (what a resample draws), or ``none``.
        seed: Seed of the random steps.
        scorer_version: The migbench version that scored.
    """

    task: str
    gold: str
    dataset_version: str | None
    gold_sha256: str
    entity_types: str | None
    resampling: str
    seed: int
    scorer_version: str

    def __str__(self) -> str:
        parts = [f"task:{self.task}", f"gold:{self.gold}"]
        if self.dataset_version is not None:
            parts.append(f"dataset:{self.dataset_version}")
        parts += [
            f"sha256:{self.gold_sha256[:12]}",
            f"entity_types:{self.entity_types or 'none'}",
            f"resample:{self.resampling}",
            f"seed:{self.seed}",
            f"version:{self.scorer_version}",
        ]
        return "|".join(parts)


@dataclass(frozen=True)
class Checked:
    """A submission checked against the gold: its predictions aligned with the gold units."""

    predictions: Predictions
    units: list[GoldRecord]


class Scorer:
    """Score submissions of one task against one gold, loaded once.

    Args:
        task: ``stance``, ``frame``, ``mfc`` or ``ner``.
        gold: The gold (:class:`Gold`); by default the fixed split's test units.
        entity_types: NER only: ``migbench`` (the schema's nine types, the default) or ``conll``
            (CoNLL-2003's four).
        tagset: Deprecated name of ``entity_types`` (``iob2`` for ``migbench``); warns.
        allow_missing: Score gold units without a prediction as wrong instead of failing.
        seed: Seed of every random step (bootstrap, randomization, simulation).
        resampling: What the bootstrap, the paired tests and the power simulation's tests
            resample: ``section`` (whole sections, where the gold names them, else units) or
            ``unit``. Every result states it (``resampling_unit``).

    Raises:
        ValueError: An unknown task, entity types or resampling unit, entity types for a task
            other than NER, or a bad seed.
    """

    def __init__(
        self,
        task: str,
        gold: Gold | None = None,
        *,
        entity_types: str | None = None,
        allow_missing: bool = False,
        seed: int = DEFAULT_SEED,
        resampling: str = "section",
        tagset: str | None = None,
    ) -> None:
        self.task: Task = get_task(task)
        entity_types = entity_types_of(self.task, entity_types, tagset=tagset)
        check_resampling(0, seed)
        check_resampling_unit(resampling)
        self.resampling = resampling
        if gold is not None and not isinstance(gold, Gold):
            raise TypeError(f"gold must be a migbench.Gold, not {type(gold).__name__}")
        self.gold = gold if gold is not None else Gold()
        self.entity_types = entity_types
        self.allow_missing = allow_missing
        self.seed = seed
        self.metric = metric_for(self.task, entity_types=entity_types)

    def __repr__(self) -> str:
        return f"Scorer({self.task.name!r}, {self.gold!r}, entity_types={self.entity_types!r})"

    @property
    def units(self) -> list[GoldRecord]:
        """The gold units, with the task's layer only (loaded on first use)."""
        return self.gold.units((self.task.gold_field,))

    @property
    def clusters(self) -> list[str] | None:
        """The section of each unit to resample by; None to resample units."""
        return clusters_of(self.units, self.resampling)

    @property
    def resampling_unit(self) -> str:
        """What a resample draws: ``section`` or ``unit``."""
        return "unit" if self.clusters is None else "section"

    @property
    def gold_labels(self) -> list[Any]:
        """The gold label (NER: tag tuple) of each unit."""
        return [getattr(unit, self.task.gold_field) for unit in self.units]

    def signature(self, resampling: str = "none") -> Signature:
        """Return the signature of a result computed with ``resampling`` (a :class:`Signature`)."""
        protocol, split = self.gold.protocol, self.gold.split
        if protocol is None:
            where = "file" if self.gold.file is not None else "rows"
        else:
            where = protocol if split is None else f"{protocol}/{split}"
        return Signature(
            task=self.task.name,
            gold=where,
            dataset_version=self.gold.dataset_version,
            gold_sha256=self.gold.sha256((self.task.gold_field,)),
            entity_types=self.entity_types,
            resampling=resampling,
            seed=self.seed,
            scorer_version=__version__,
        )

    def check(self, predictions: Submission) -> Checked:
        """Validate a submission against the gold and align its predictions with the gold units.

        Raises:
            SubmissionError: The submission is invalid; every problem is listed.
            GoldError: The gold is missing or invalid.
        """
        if isinstance(predictions, (bytes, Mapping)) or not isinstance(
            predictions, (str, os.PathLike, Iterable)
        ):
            raise TypeError("predictions must be a path or an iterable of dicts, one per line")
        units = self.units
        entity_types, allow_missing = self.entity_types, self.allow_missing
        if isinstance(predictions, (str, os.PathLike)):
            data = read_submission(predictions)
            checked = parse_submission(
                self.task, data, units, entity_types=entity_types, allow_missing=allow_missing
            )
        else:
            checked = validate_rows(
                self.task,
                predictions,
                units,
                entity_types=entity_types,
                allow_missing=allow_missing,
            )
        if checked.missing:
            log.warning(
                "%d of %d gold units have no prediction; scored as wrong",
                len(checked.missing),
                len(units),
            )
        return Checked(checked, units)

    def validate(self, predictions: Submission) -> dict[str, Any]:
        """Check a submission without scoring it.

        Returns:
            ``task``, ``valid`` (True), ``n_units``, ``n_predictions``, ``n_missing`` and the
            gold's source (``protocol``, ``split``, ``gold_file``).

        Raises:
            SubmissionError, GoldError: As :meth:`check`.
        """
        checked = self.check(predictions)
        missing = len(checked.predictions.missing)
        return {
            "task": self.task.name,
            "valid": True,
            "n_units": len(checked.units),
            "n_predictions": len(checked.units) - missing,
            "n_missing": missing,
            **self.gold.source,
        }

    @without_cyclic_gc
    def score(
        self, predictions: Submission, *, n_resamples: int = DEFAULT_RESAMPLES
    ) -> dict[str, Any]:
        """Validate a submission and score it, with a bootstrap interval of the main score.

        Args:
            predictions: Path of a JSONL submission, or its lines as dicts.
            n_resamples: Bootstrap resamples for the interval; 0 for none.

        Returns:
            ``task``, ``main_metric``, ``main_score``, ``metrics``, ``ci`` (95 % interval of the
            main score, None without resamples), ``n_units``, ``n_missing``, ``entity_types`` (NER),
            ``per_document`` (each document's units and main score, where the gold names its
            documents), ``folds`` (cv: each fold's main score, their mean and sample standard
            deviation), the gold's source (``protocol``, ``split``, ``gold_file``),
            ``dataset_version``, ``scorer_version`` and ``signature``. Nothing is rounded.

        Raises:
            ValueError: A bad number of resamples.
            SubmissionError, GoldError: As :meth:`check`.
        """
        check_resampling(n_resamples, self.seed)
        checked = self.check(predictions)
        units = checked.units
        groups: dict[str, list[Any]] = {}
        if all(unit.doc_id is not None for unit in units):
            groups["per_document"] = [unit.doc_id for unit in units]
        if self.gold.protocol is not None and self.gold.split is None:
            groups["folds"] = [unit.fold for unit in units]
        scored = evaluate(
            self.task,
            self.gold_labels,
            checked.predictions.values,
            entity_types=self.entity_types,
            n_resamples=n_resamples,
            seed=self.seed,
            groups=groups,
            clusters=self.clusters,
        )
        if "folds" in scored:
            per_fold = [
                row["main_score"]
                for row in scored["folds"].values()
                if row["main_score"] is not None
            ]
            scored["folds"] = {
                "mean": statistics.fmean(per_fold),
                "sd": statistics.stdev(per_fold) if len(per_fold) > 1 else 0.0,
                "per_fold": scored["folds"],
            }
        resampling = f"bootstrap={n_resamples}@{self.resampling_unit}" if n_resamples else "none"
        return {
            "task": self.task.name,
            **scored,
            "n_units": len(units),
            "n_missing": len(checked.predictions.missing),
            **self._entity_types(),
            **self._provenance(resampling),
        }

    @without_cyclic_gc
    def compare(
        self,
        submissions: Mapping[str, Submission] | Sequence[PathLike],
        *,
        n_trials: int = DEFAULT_TRIALS,
        alpha: float = ALPHA,
        max_trials: int = MAX_ADAPTIVE_TRIALS,
    ) -> dict[str, Any]:
        """Compare submissions pairwise with paired bootstrap and approximate randomization tests.

        Args:
            submissions: Paths of JSONL submissions (named by their file names without
                ``.jsonl``), or submissions (paths or lines as dicts) by name; at least two.
            n_trials: Trials each test starts with, 1 to
                :data:`~migbench.scoring.significance.MAX_TRIALS`.
            alpha: Significance level of the decisions.
            max_trials: Most trials a test grows to while its decision at ``alpha`` is not
                stable (a decision still unstable is ``undecided``).

        Returns:
            ``task``, ``main_metric``, ``n_units``, ``systems`` (name, ``main_score``,
            ``n_missing`` of each), ``pairs`` (see
            :func:`~migbench.scoring.significance.compare_statistics`: differences are first
            minus second system, in input order), ``n_trials``, ``seed``,
            ``resampling_unit``, ``n_resampled`` (sections or units a resample draws),
            ``alpha``, ``correction``
            (``holm``), ``entity_types`` (NER), the gold's source, ``dataset_version``,
            ``scorer_version`` and ``signature``. The pairs share the result's resampling unit
            and seed, stated once. Nothing is rounded.

        Raises:
            ValueError: Fewer than two submissions, repeated names, or a bad number of trials.
            SubmissionError, GoldError: As :meth:`check`.
        """
        check_trials(n_trials, self.seed)
        named = _named(submissions)
        per_system, systems = {}, []
        for name, submission in named.items():
            checked = self.check(submission)
            values = checked.predictions.values
            per_system[name] = self.metric.statistics(self.gold_labels, values)
            main_score = self.metric.main_score(per_system[name].total())
            systems.append(
                {
                    "name": name,
                    "main_score": float(main_score),
                    "n_missing": len(checked.predictions.missing),
                }
            )
        clusters = self.clusters
        pairs = compare_statistics(
            self.metric,
            per_system,
            n_trials=n_trials,
            seed=self.seed,
            clusters=clusters,
            alpha=alpha,
            max_trials=max_trials,
        )
        return {
            "task": self.task.name,
            "main_metric": self.task.main_metric,
            "n_units": len(self.units),
            "systems": systems,
            "pairs": pairs,
            "n_trials": n_trials,
            "seed": self.seed,
            "resampling_unit": self.resampling_unit,
            "n_resampled": len(set(clusters)) if clusters is not None else len(self.units),
            "alpha": alpha,
            "correction": "holm",
            **self._entity_types(),
            **self._provenance(
                f"randomization={n_trials}+bootstrap={n_trials}"
                f"+max_trials={trial_bound(n_trials, max_trials)}@{self.resampling_unit}"
            ),
        }

    def power(self, reference: Submission, **simulation: Any) -> dict[str, Any]:
        """Estimate the smallest improvement over a reference submission that the paired test finds.

        Args:
            reference: The reference system's submission (path or lines as dicts).
            simulation: Options of :func:`~migbench.scoring.power.minimum_detectable_difference`
                (``alpha``, ``power``, ``churn``, ``n_simulations``, ``n_trials``,
                ``progress``); its seed is the scorer's.

        Returns:
            The simulation's result (see ``minimum_detectable_difference``), the gold's source,
            ``dataset_version``, ``scorer_version`` and ``signature``.
        """
        if "seed" in simulation:
            raise TypeError("the seed of a power analysis is the scorer's: Scorer(..., seed=N)")
        checked = self.check(reference)
        result = minimum_detectable_difference(
            self.task,
            self.gold_labels,
            checked.predictions.values,
            entity_types=self.entity_types,
            seed=self.seed,
            clusters=self.clusters,
            **simulation,
        )
        resampling = (
            f"simulations={result['n_simulations']}+randomization={result['n_trials']}"
            f"@{self.resampling_unit}"
        )
        return {**result, **self._provenance(resampling)}

    def _entity_types(self) -> dict[str, str]:
        return {"entity_types": self.entity_types} if self.entity_types is not None else {}

    def _provenance(self, resampling: str) -> dict[str, Any]:
        signature = self.signature(resampling)
        return {
            **self.gold.source,
            "dataset_version": signature.dataset_version,
            "scorer_version": signature.scorer_version,
            "gold_sha256": signature.gold_sha256,
            "signature": str(signature),
        }


def _named(submissions: Mapping[str, Submission] | Sequence[PathLike]) -> dict[str, Submission]:
    """Return the submissions by name; paths are named by their file name without ``.jsonl``."""
    if isinstance(submissions, Mapping):
        named = dict(submissions)
    elif isinstance(submissions, (str, bytes, os.PathLike)):
        raise TypeError("submissions must be several paths, or submissions by name")
    else:
        paths = list(submissions)
        names = [Path(path).name.removesuffix(".jsonl") for path in paths]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"submissions share the names {', '.join(repeated)}; name them explicitly"
            )
        named = dict(zip(names, paths, strict=True))
    if len(named) < 2:
        raise ValueError(f"need at least two submissions to compare, got {len(named)}")
    return named
