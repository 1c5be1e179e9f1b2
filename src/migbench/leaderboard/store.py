"""The results store: one folder per submitted system, written by :func:`submit` alone.

A submission is a folder with a system card (``system.json``, see
:mod:`migbench.leaderboard.card`) and one predictions file per task and protocol, named
``TASK.PROTOCOL.jsonl`` (``stance.cv.jsonl``, ``ner.split.jsonl``...). Under the ``split`` and
``genre`` protocols the file predicts the test split; under ``cv`` it holds the out-of-fold
predictions of every unit.

:func:`submit` validates the card and every file with the scorer (all problems of all files
are reported before anything is written), scores each file, tests it against every system of
the store that has the same task and protocol with :func:`migbench.compare`, and writes the
system's folder in the store whole or not at all (:func:`migbench.fileio.output_dir`)::

    STORE/NAME/system.json           the card
    STORE/NAME/TASK.PROTOCOL.jsonl   the predictions, as submitted
    STORE/NAME/results.json          one record: the scorer's results, each with its signature,
                                     and the paired tests against the systems submitted before
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from migbench.errors import MigbenchError
from migbench.fileio import output_dir
from migbench.jsonio import InputError, read_json
from migbench.leaderboard.card import CARD_NAME, load_card
from migbench.protocols import POOLED_SPLIT
from migbench.scoring.gold import Gold
from migbench.scoring.scorer import Scorer
from migbench.scoring.submission import SubmissionError, read_submission
from migbench.scoring.tasks import TASKS

log = logging.getLogger("migbench")

#: The split each protocol's file predicts (``all``: every unit, out of fold).
PROTOCOL_SPLITS: dict[str, str] = {"split": "test", "genre": "test", "cv": POOLED_SPLIT}
#: File name of a system's record in the store.
RECORD_NAME = "results.json"
#: Bootstrap resamples of each score's interval, and the seed of every resampling.
N_RESAMPLES = 1000
SEED = 0
#: Trials of each paired test between two systems.
N_TRIALS = 10_000
_MAX_RECORD_BYTES = 64 * 1024 * 1024


class SubmitError(MigbenchError):
    """A submission folder that cannot be entered into the store."""


@dataclass(frozen=True)
class Entry:
    """One predictions file of a submission.

    Attributes:
        task: The task.
        protocol: ``split``, ``genre`` or ``cv``.
        path: The file.
    """

    task: str
    protocol: str
    path: Path

    @property
    def table(self) -> str:
        """The leaderboard table the file enters: ``TASK.PROTOCOL``."""
        return f"{self.task}.{self.protocol}"

    @property
    def split(self) -> str:
        """The split the file predicts."""
        return PROTOCOL_SPLITS[self.protocol]

    def scorer(self, dataset: str | os.PathLike[str] | None) -> Scorer:
        """Return the scorer of this file's task against its protocol's gold."""
        split = None if self.protocol == "cv" else self.split
        gold = Gold(protocol=self.protocol, split=split, dataset=dataset)
        return Scorer(self.task, gold, seed=SEED)


def file_name(task: str, protocol: str) -> str:
    """Return the name of a submission's predictions file for ``task`` under ``protocol``."""
    return f"{task}.{protocol}.jsonl"


def read_folder(folder: Path) -> tuple[dict[str, Any], list[Entry]]:
    """Read a submission folder: its card and its predictions files, in table order.

    Raises:
        SubmitError: The folder or card is missing, a file is named neither ``system.json``
            nor ``TASK.PROTOCOL.jsonl``, or the files do not match the card's protocols.
        CardError: The card breaks the schema.
    """
    if not folder.is_dir():
        raise SubmitError(f"{folder}: not a folder; a submission is a folder with {CARD_NAME}")
    card_path = folder / CARD_NAME
    if not card_path.is_file():
        raise SubmitError(f"{folder}: has no {CARD_NAME} (the system card)")
    card = load_card(card_path)
    valid = {file_name(t, p): (t, p) for t in TASKS for p in PROTOCOL_SPLITS}
    stray = sorted(p.name for p in folder.iterdir() if p.name not in valid and p.name != CARD_NAME)
    if stray:
        raise SubmitError(
            f"{folder}: unexpected files {', '.join(stray)}; a submission holds {CARD_NAME} and "
            f"files named TASK.PROTOCOL.jsonl with TASK one of {', '.join(TASKS)} and PROTOCOL "
            f"one of {', '.join(PROTOCOL_SPLITS)}"
        )
    entries = [
        Entry(task, protocol, folder / name)
        for name, (task, protocol) in valid.items()
        if (folder / name).exists()
    ]
    found = {entry.protocol for entry in entries}
    declared = set(card["protocols"])
    if found != declared:
        raise SubmitError(
            f"{card_path}: protocols lists {', '.join(sorted(declared))}, but the folder has "
            f"files for {', '.join(sorted(found)) or 'none'}"
        )
    return card, entries


def submit(
    folder: Path,
    store: Path,
    *,
    dataset: str | os.PathLike[str] | None = None,
    n_trials: int = N_TRIALS,
) -> dict[str, Any]:
    """Validate, score and enter a submission folder into the results store.

    A system already in the store under the card's name is replaced; its paired tests are
    recomputed, since its predictions may have changed.

    Returns:
        The system's record, as written to ``STORE/NAME/results.json``.

    Raises:
        SubmitError, CardError: The folder or card is invalid.
        SubmitError: A predictions file is invalid; every problem of every file is listed,
            each with its file.
        OutputError: The store's folder for the system may not be written.
    """
    card, entries = read_folder(folder)
    contents = {entry.table: read_submission(entry.path) for entry in entries}
    scorers = {entry.table: entry.scorer(dataset) for entry in entries}
    results, problems = [], []
    for entry in entries:
        try:
            scored = scorers[entry.table].score(entry.path, n_resamples=N_RESAMPLES)
        except SubmissionError as exc:
            problems.append(f"{entry.path}: {exc}")
            continue
        scored["table"] = entry.table
        scored["protocol"] = entry.protocol
        scored["split"] = entry.split
        scored["sha256"] = hashlib.sha256(contents[entry.table]).hexdigest()
        results.append(scored)
    if problems:
        raise SubmitError("\n".join(problems))
    pairs = _pairs(card["name"], entries, results, scorers, store, n_trials=n_trials)
    record = {"name": card["name"], "card": card, "results": results, "pairs": pairs}
    with output_dir(store / card["name"], inputs=[folder]) as staging:
        (staging / CARD_NAME).write_bytes(dumps(card))
        for entry in entries:
            (staging / entry.path.name).write_bytes(contents[entry.table])
        (staging / RECORD_NAME).write_bytes(dumps(record))
    return record


def _pairs(
    name: str,
    entries: list[Entry],
    results: list[dict[str, Any]],
    scorers: dict[str, Scorer],
    store: Path,
    *,
    n_trials: int,
) -> list[dict[str, Any]]:
    """Test the new system against every other system of the store, table by table."""
    digests = {result["table"]: result["sha256"] for result in results}
    pairs = []
    others = [record for record in load_store(store) if record["name"] != name]
    for entry in entries:
        for other in others:
            theirs = next((r for r in other["results"] if r["table"] == entry.table), None)
            if theirs is None:
                continue
            path = store / other["name"] / entry.path.name
            compared = scorers[entry.table].compare(
                {name: entry.path, other["name"]: path}, n_trials=n_trials
            )
            pairs.append(
                {
                    "table": entry.table,
                    **compared["pairs"][0],
                    "resampling_unit": compared["resampling_unit"],
                    "sha256_a": digests[entry.table],
                    "sha256_b": theirs["sha256"],
                    "n_trials": n_trials,
                    "seed": SEED,
                }
            )
    return pairs


def load_store(store: Path) -> list[dict[str, Any]]:
    """Return the record of every system in the store, sorted by name.

    Raises:
        SubmitError: A system folder lacks its record or holds a damaged one.
    """
    return list(_records(store))


def _records(store: Path) -> Iterator[dict[str, Any]]:
    if not store.is_dir():
        return
    for folder in sorted(store.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        try:
            record = read_json(folder / RECORD_NAME, max_bytes=_MAX_RECORD_BYTES)
        except InputError as exc:
            raise SubmitError(f"{folder}: not a system of the store ({exc})") from None
        yield record


def dumps(value: Any) -> bytes:
    """Return ``value`` as the store's JSON: indented, keys sorted, a final newline."""
    return (
        orjson.dumps(
            value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
        )
        + b"\n"
    )
