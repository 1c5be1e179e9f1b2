"""Seeds + units + Label Studio exports → the Hugging Face dataset folder.

The build is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from datasets import ClassLabel, Dataset, Features, Value, disable_progress_bars
from datasets import Sequence as SequenceFeature
from tqdm import tqdm

from migbench.annotation.store import load_annotated_units
from migbench.annotation.types import AnnotatedUnit
from migbench.corpus.seeds import Document
from migbench.corpus.segment import Unit
from migbench.corpus.tokenize import SpanAlignmentError, spans_to_iob2, tokenize
from migbench.corpus.units import context_of, load_units
from migbench.dataset.card import body, card, front_matter
from migbench.dataset.plots import write_plots
from migbench.dataset.splits import (
    SPLITS_NAME,
    Assignment,
    SplitRecord,
    assign_splits,
    read_assignment,
)
from migbench.dataset.stats import dataset_stats
from migbench.dataset.textfree import strip_document, strip_unit_row
from migbench.errors import MigbenchError
from migbench.fileio import replace_dir, write_atomic
from migbench.schema import (
    FRAME_LABELS,
    IOB2_TAGS,
    MFC_LABELS,
    SPLITS,
    STANCE_LABELS,
)

log = logging.getLogger("migbench")

DATA_DIR = "data"
STATS_NAME = "stats.json"
PLOTS_DIR = "plots"
CARD_NAME = "README.md"
DOCUMENTS_SPLIT = "documents"

_SPAN = {"start": Value("int32"), "end": Value("int32")}
BASE_FEATURES = {
    "id": Value("string"),
    "doc_id": Value("string"),
    "unit_type": Value("string"),
    "paragraph": Value("int32"),
    "text": Value("string"),
    "prev_text": Value("string"),
    "next_text": Value("string"),
    "text_sha256": Value("string"),
    "ranges": [_SPAN],
    "fold": Value("int8"),
}
LAYER_FEATURES = {
    "stance": {"stance": ClassLabel(names=list(STANCE_LABELS))},
    "framing": {
        "frame": ClassLabel(names=list(FRAME_LABELS)),
        "mfc": ClassLabel(names=list(MFC_LABELS)),
    },
    "ner": {
        "tokens": SequenceFeature(Value("string")),
        "ner_tags": SequenceFeature(ClassLabel(names=list(IOB2_TAGS))),
        "entities": [{**_SPAN, "label": Value("string"), "text": Value("string")}],
    },
}
UNIT_CONFIGS: dict[str, tuple[str, ...]] = {
    "stance": ("stance",),
    "framing": ("framing",),
    "ner": ("ner",),
    "all": ("stance", "framing", "ner"),
}
DOCUMENT_FEATURES = Features(
    {
        "doc_id": Value("string"),
        "file": Value("string"),
        "sha256": Value("string"),
        "genre": Value("string"),
        "outlet": Value("string"),
        "author": Value("string"),
        "date": Value("string"),
        "title": Value("string"),
        "words": Value("int32"),
        "n_units": Value("int32"),
        "text": Value("string"),
    }
)
GENRE_SUFFIX = "_genre"


@dataclass(frozen=True)
class BuiltConfig:
    """One config of the dataset: its name, features and rows per split."""

    name: str
    features: Features
    splits: Mapping[str, list[dict]]


def features_of(config: str) -> Features:
    """Return the features of a unit config (``stance``, ``framing``, ``ner``, ``all``)."""
    layers = UNIT_CONFIGS[config.removesuffix(GENRE_SUFFIX)]
    merged = dict(BASE_FEATURES)
    for layer in layers:
        merged.update(LAYER_FEATURES[layer])
    return Features(merged)


def unit_rows(
    documents: Sequence[Document], units: Sequence[Unit], tasks: Mapping[str, AnnotatedUnit]
) -> list[dict]:
    """Return one row per unit with every layer's gold label (label names, not ids)."""
    context = context_of(list(units))
    rows = []
    for unit in units:
        gold = tasks[unit.id].gold
        if gold is None:
            raise MigbenchError(f"unit {unit.id}: no gold annotation in the exports")
        spans = [(s.start, s.end, s.label) for s in gold.spans]
        try:
            tags = spans_to_iob2(unit.text, spans)
        except SpanAlignmentError as exc:
            raise MigbenchError(f"unit {unit.id}: {exc}") from None
        rows.append(
            {
                "id": unit.id,
                "doc_id": unit.doc_id,
                "unit_type": unit.unit_type,
                "paragraph": unit.paragraph,
                "text": unit.text,
                "prev_text": context[unit.id][0],
                "next_text": context[unit.id][1],
                "text_sha256": hashlib.sha256(unit.text.encode("utf-8")).hexdigest(),
                "ranges": [{"start": start, "end": end} for start, end in unit.ranges],
                "stance": gold.choices["stance"],
                "frame": gold.choices["frame"],
                "mfc": gold.choices["mfc"],
                "tokens": [unit.text[start:end] for start, end in tokenize(unit.text)],
                "ner_tags": tags,
                "entities": [
                    {"start": s.start, "end": s.end, "label": s.label, "text": s.text}
                    for s in gold.spans
                ],
            }
        )
    return rows


def document_rows(documents: Sequence[Document], units: Sequence[Unit]) -> list[dict]:
    """Return one row per document: its manifest metadata and its cleaned text."""
    rows = []
    for document in documents:
        own = [u for u in units if u.doc_id == document.doc_id]
        entry = document.entry
        rows.append(
            {
                "doc_id": entry.doc_id,
                "file": entry.file,
                "sha256": entry.sha256,
                "genre": entry.genre,
                "outlet": entry.outlet,
                "author": entry.author,
                "date": entry.date,
                "title": entry.title,
                "words": entry.words,
                "n_units": len(own),
                "text": join_document([(u.paragraph, u.text) for u in own]),
            }
        )
    return rows


@dataclass(frozen=True)
class Assembled:
    """The configs of a build and the split schemes they were cut by."""

    configs: list[BuiltConfig]
    official: dict[str, str]
    genre: dict[str, str]
    folds: dict[str, int]


def join_document(units: Sequence[tuple[int, str]]) -> str:
    """Return a cleaned document's text from its (paragraph, unit text) pairs in reading order."""
    paragraphs: dict[int, list[str]] = {}
    for paragraph, text in units:
        paragraphs.setdefault(paragraph, []).append(text)
    return "\n\n".join(" ".join(texts) for texts in paragraphs.values())


def split_assignment(
    seeds_dir: Path, documents: Sequence[Document], rows: list[dict]
) -> Assignment:
    """Return the frozen assignment of ``seeds/splits.json``, or assign a corpus that has none."""
    path = seeds_dir / SPLITS_NAME
    if path.exists():
        return read_assignment(path, [r["id"] for r in rows])
    genre_of = {d.doc_id: d.entry.genre for d in documents}
    return assign_splits(
        [
            SplitRecord(
                r["id"],
                r["doc_id"],
                r["paragraph"],
                genre_of[r["doc_id"]],
                f"{r['stance']}|{r['frame']}",
            )
            for r in rows
        ]
    )


def assemble(rows: list[dict], assignment: Assignment) -> Assembled:
    """Cut every config of the dataset by the assigned splits and folds."""
    official, folds, genre = assignment.official, assignment.folds, assignment.genre
    configs = []
    for scheme, suffix in ((official, ""), (genre, GENRE_SUFFIX)):
        for config in UNIT_CONFIGS:
            name = config + suffix
            features = features_of(name)
            splits = {split: [] for split in SPLITS}
            for row in rows:
                fold = folds[row["id"]] if scheme is official else -1
                splits[scheme[row["id"]]].append(
                    {key: row[key] for key in features if key != "fold"} | {"fold": fold}
                )
            configs.append(BuiltConfig(name, features, splits))
    return Assembled(configs, official, genre, folds)


def write_parquet(path: Path, rows: list[dict], features: Features) -> None:
    """Write rows as parquet with the features in its metadata, atomically."""
    disable_progress_bars()  # one bar for the whole build, not one per file
    dataset = Dataset.from_list(rows, features=features)
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(tmp))
    tmp.replace(path)


def write_configs(out: Path, configs: Sequence[BuiltConfig], documents: list[dict]) -> None:
    """Write every config's splits and the documents config under ``out/data``."""
    jobs = [(c.name, split, rows, c.features) for c in configs for split, rows in c.splits.items()]
    jobs.append(("documents", DOCUMENTS_SPLIT, documents, DOCUMENT_FEATURES))
    for name, split, rows, features in tqdm(jobs, desc="writing parquet", unit="file", leave=False):
        write_parquet(out / DATA_DIR / name / f"{split}.parquet", rows, features)


def write_json(path: Path, data) -> None:
    """Write JSON with sorted keys and a final newline, atomically."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def build_dataset(
    seeds_dir: Path, annotations_dir: Path, out: Path, *, with_text: bool = True
) -> dict:
    """Build the dataset folder from verified seeds and exports; return its statistics.

    The folder is assembled beside ``out`` and swapped in only when complete, so a failed build
    leaves the previous dataset untouched.
    """
    documents, units = load_units(seeds_dir)
    rows = unit_rows(documents, units, load_annotated_units(annotations_dir, units))
    assembled = assemble(rows, split_assignment(seeds_dir, documents, rows))
    stats = dataset_stats(rows, assembled.official, assembled.genre, assembled.folds)
    document_table = document_rows(documents, units)
    configs = assembled.configs
    if not with_text:
        configs = [
            BuiltConfig(
                c.name,
                c.features,
                {s: [strip_unit_row(r) for r in rows] for s, rows in c.splits.items()},
            )
            for c in configs
        ]
        document_table = [strip_document(row) for row in document_table]
    staging = out.with_name(f".{out.name}.building")
    shutil.rmtree(staging, ignore_errors=True)
    write_configs(staging, configs, document_table)
    write_json(staging / STATS_NAME, stats)
    plots = [path.name for path in write_plots(stats, staging / PLOTS_DIR)]
    write_atomic(
        staging / CARD_NAME, dataset_card(configs, stats, document_rows(documents, units), plots)
    )
    replace_dir(staging, out)
    log.info("built %s: %d units, %d configs", out, len(rows), len(configs) + 1)
    return stats


def dataset_card(
    configs: Sequence[BuiltConfig], stats: dict, documents: list[dict], plots: list[str]
) -> str:
    """Return the dataset card for the built configs."""
    split_files = {c.name: list(c.splits) for c in configs} | {"documents": [DOCUMENTS_SPLIT]}
    features = {c.name: c.features for c in configs} | {"documents": DOCUMENT_FEATURES}
    return card(front_matter(split_files, features), body(stats, documents, plots))
