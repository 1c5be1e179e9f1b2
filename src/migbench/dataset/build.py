"""Seeds + units + Label Studio exports → the Hugging Face dataset folder.

The build is deterministic: the same inputs give byte-identical files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Features, Value
from datasets import Sequence as SequenceFeature
from tqdm import tqdm

from migbench import jsonio
from migbench.annotation.store import (
    Annotator,
    guidelines_of,
    read_agreement,
    read_annotators,
)
from migbench.annotation.types import AnnotatedUnit
from migbench.corpus.seeds import Document, sha256_of
from migbench.corpus.segment import Unit
from migbench.corpus.tokenize import SpanAlignmentError, spans_to_iob2, tokenize
from migbench.corpus.units import context_of, load_units
from migbench.dataset.audit import audit, audit_markdown, dataset_schemes
from migbench.dataset.card import (
    DEFAULT_CONFIG,
    LICENSE_NAME,
    body,
    card,
    front_matter,
    license_text,
)
from migbench.dataset.croissant import CROISSANT_NAME, croissant, rai_fields
from migbench.dataset.descriptions import GENRE_SUFFIX
from migbench.dataset.files import DATA_DIR, DOCUMENTS_SPLIT, join_document, write_parquet
from migbench.dataset.splits import (
    SPLITS_NAME,
    Assignment,
    SplitRecord,
    assign_splits,
    read_assignment,
    sections,
)
from migbench.dataset.stats import dataset_stats
from migbench.dataset.textfree import document_keys, strip_document, strip_unit_row, text_hmac
from migbench.docs import power_block
from migbench.errors import MigbenchError
from migbench.fileio import check_output_dir, output_dir, write_atomic
from migbench.labelstudio.export import load_annotated_units
from migbench.schema import (
    ENTITY_TYPES,
    FRAME_LABELS,
    IOB2_TAGS,
    MFC_LABELS,
    SPLITS,
    STANCE_LABELS,
    UNIT_TYPES,
)
from migbench.version import STATS_FILE

log = logging.getLogger("migbench")

#: Largest datasheet copied into the dataset, in bytes.
MAX_DATASHEET_BYTES = 1024 * 1024

PLOTS_DIR = "plots"
CARD_NAME = "README.md"
DATASHEET_NAME = "DATASHEET.md"

_SPAN = {"start": Value("int32"), "end": Value("int32")}
BASE_FEATURES = {
    "id": Value("string"),
    "doc_id": Value("string"),
    "unit_type": ClassLabel(names=list(UNIT_TYPES)),
    "paragraph": Value("int32"),
    "text": Value("string"),
    "prev_text": Value("string"),
    "next_text": Value("string"),
    "text_hmac": Value("string"),
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
        # [start, end) of each token in ``text``, like a tokenizer's offset mapping.
        "token_offsets": SequenceFeature(SequenceFeature(Value("int32"), length=2)),
        "ner_tags": SequenceFeature(ClassLabel(names=list(IOB2_TAGS))),
        "entities": [
            {**_SPAN, "label": ClassLabel(names=list(ENTITY_TYPES)), "text": Value("string")}
        ],
    },
}
#: The annotation record, in the ``all`` config only: it says how a label was made, so it is no
#: input for a model of one task.
RECORD_FEATURES = {"guidelines": Value("string")}
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
        "location": Value("string"),
        "url": Value("string"),
        "search": Value("string"),
        "words": Value("int32"),
        "n_units": Value("int32"),
        "text": Value("string"),
    }
)


@dataclass(frozen=True)
class BuiltConfig:
    """One config of the dataset: its name, features and rows per split."""

    name: str
    features: Features
    splits: Mapping[str, list[dict]]


def features_of(config: str) -> Features:
    """Return the features of a unit config (``stance``, ``framing``, ``ner``, ``all``)."""
    base = config.removesuffix(GENRE_SUFFIX)
    merged = dict(BASE_FEATURES)
    for layer in UNIT_CONFIGS[base]:
        merged.update(LAYER_FEATURES[layer])
    if base == DEFAULT_CONFIG:
        merged.update(RECORD_FEATURES)
    return Features(merged)


def unit_rows(
    documents: Sequence[Document],
    units: Sequence[Unit],
    tasks: Mapping[str, AnnotatedUnit],
    annotators: dict[int, Annotator],
) -> list[dict]:
    """Return one row per unit with every layer's gold label (label names, not ids)."""
    context = context_of(list(units))
    keys = document_keys([(unit.doc_id, unit.text) for unit in units])
    rows = []
    for unit in units:
        gold = tasks[unit.id].gold
        if gold is None:
            raise MigbenchError(f"unit {unit.id}: no gold annotation in the exports")
        spans = [(s.start, s.end, s.label) for s in gold.spans]
        offsets = tokenize(unit.text)
        try:
            tags = spans_to_iob2(unit.text, spans, tokens=offsets)
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
                "text_hmac": text_hmac(keys[unit.doc_id], unit.text),
                "ranges": [{"start": start, "end": end} for start, end in unit.ranges],
                "stance": gold.choices["stance"],
                "frame": gold.choices["frame"],
                "mfc": gold.choices["mfc"],
                "guidelines": guidelines_of(gold, annotators),
                "tokens": [unit.text[start:end] for start, end in offsets],
                "token_offsets": [[start, end] for start, end in offsets],
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
                "location": entry.location,
                "url": entry.url,
                "search": entry.search,
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


def split_assignment(
    seeds_dir: Path, documents: Sequence[Document], rows: list[dict]
) -> Assignment:
    """Return the frozen assignment of ``seeds/splits.json``, or assign a corpus that has none."""
    path = seeds_dir / SPLITS_NAME
    if path.exists():
        return read_assignment(path, [r["id"] for r in rows])
    return assign_splits(split_records(documents, rows))


def split_records(documents: Sequence[Document], rows: list[dict]) -> list[SplitRecord]:
    """Return what the split schemes need of each unit row, rows in reading order."""
    genre_of = {d.doc_id: d.entry.genre for d in documents}
    section = sections([(r["doc_id"], r["unit_type"], r["paragraph"]) for r in rows])
    return [
        SplitRecord(
            r["id"],
            r["doc_id"],
            r["paragraph"],
            section[index],
            genre_of[r["doc_id"]],
            f"{r['stance']}|{r['frame']}",
        )
        for index, r in enumerate(rows)
    ]


def assemble(rows: list[dict], assignment: Assignment) -> Assembled:
    """Cut every config of the dataset by the assigned splits and folds."""
    official, folds, genre = assignment.official, assignment.folds, assignment.genre
    configs = []
    for scheme, suffix in ((official, ""), (genre, GENRE_SUFFIX)):
        for config in UNIT_CONFIGS:
            name = config + suffix
            features = features_of(name)
            splits: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
            for row in rows:
                unit = {key: row[key] for key in features if key != "fold"}
                splits[scheme[row["id"]]].append(unit | {"fold": folds[row["id"]]})
            configs.append(BuiltConfig(name, features, splits))
    return Assembled(configs, official, genre, folds)


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
    seeds_dir: Path,
    annotations_dir: Path,
    out: Path,
    *,
    with_text: bool = True,
    datasheet: Path | None = None,
    significance_dir: Path | None = None,
) -> dict:
    """Build the dataset folder from verified seeds and exports; return its statistics.

    Besides the data, the folder gets the card, a byte-identical copy of the datasheet, the
    licence file and the Croissant metadata. The folder is assembled beside ``out`` and swapped in
    only when complete, so a failed build leaves the previous dataset untouched. ``out`` must
    be new, empty or a folder migbench wrote.

    Args:
        seeds_dir: The seeds folder.
        annotations_dir: The annotations folder (exports, ``annotators.json``, ``agreement.json``).
        out: The dataset folder to write.
        with_text: False for the text-free variant.
        datasheet: The datasheet to copy; by default ``DATASHEET.md`` beside ``annotations_dir``,
            as in the repository.
        significance_dir: The main job's power analyses, reported in the card; by default
            ``baselines/significance/`` beside ``annotations_dir``.
    """
    check_output_dir(out, inputs=(seeds_dir, annotations_dir))  # before the work, not after
    datasheet = datasheet or annotations_dir.parent / DATASHEET_NAME
    significance_dir = significance_dir or annotations_dir.parent / "baselines" / "significance"
    try:  # a regular file of bounded size: a FIFO or /dev/zero is refused, never read
        datasheet_bytes = jsonio.read_bytes(datasheet, max_bytes=MAX_DATASHEET_BYTES)
    except jsonio.InputError as exc:
        raise MigbenchError(f"cannot read the datasheet: {exc}") from None
    documents, units = load_units(seeds_dir)
    annotators = read_annotators(annotations_dir)
    rows = unit_rows(documents, units, load_annotated_units(annotations_dir, units), annotators)
    agreement = read_agreement(annotations_dir)
    assembled = assemble(rows, split_assignment(seeds_dir, documents, rows))
    stats = dataset_stats(rows, assembled.official, assembled.genre, assembled.folds)
    full_documents = document_rows(documents, units)
    configs = assembled.configs
    document_table = full_documents
    if not with_text:
        configs = [
            BuiltConfig(
                c.name,
                c.features,
                {s: [strip_unit_row(r) for r in rows] for s, rows in c.splits.items()},
            )
            for c in configs
        ]
        document_table = [strip_document(row) for row in full_documents]
    with output_dir(out, inputs=(seeds_dir, annotations_dir)) as staging:
        write_configs(staging, configs, document_table)
        write_json(staging / STATS_FILE, stats)
        # matplotlib takes a second to import; only a build draws.
        from migbench.dataset.plots import write_plots

        plots = [path.name for path in write_plots(stats, staging / PLOTS_DIR)]
        # The licence and Croissant file describe both variants; the card shows its own variant's
        # example row, so the text-free card quotes no source text.
        example_split, example = example_row(assembled.configs)
        features = {c.name: c.features for c in assembled.configs} | {
            "documents": DOCUMENT_FEATURES
        }
        card_body = body(
            stats,
            full_documents,
            plots,
            features=features,
            example=(example_split, example if with_text else strip_unit_row(example)),
            with_text=with_text,
            agreement=agreement,
            annotators=annotators,
            audit=audit_markdown(audit(dataset_schemes(*_full_splits(assembled.configs)))),
            power=power_block(significance_dir),
        )
        split_files = {
            c.name: {split: len(rows) for split, rows in c.splits.items()} for c in configs
        } | {"documents": {DOCUMENTS_SPLIT: len(document_table)}}
        write_atomic(
            staging / CARD_NAME, card(front_matter(split_files, features, len(rows)), card_body)
        )
        write_atomic(staging / DATASHEET_NAME, datasheet_bytes)
        write_atomic(staging / LICENSE_NAME, license_text(full_documents))
        write_json(
            staging / CROISSANT_NAME,
            croissant(
                features,
                data_dir=DATA_DIR,
                checksums={
                    path.relative_to(staging).as_posix(): sha256_of(path)
                    for path in sorted((staging / DATA_DIR).glob("*/*.parquet"))
                },
                description=section_of(card_body, "### Dataset summary"),
                rai=rai_fields(stats, agreement, annotators),
            ),
        )
    log.info("built %s: %d units, %d configs", out, len(rows), len(configs) + 1)
    return stats


def _full_splits(configs: Sequence[BuiltConfig]) -> tuple[Mapping, Mapping]:
    """Return the rows of ``all`` and ``all_genre`` by split, for the audit."""
    by_name = {config.name: config.splits for config in configs}
    return by_name[DEFAULT_CONFIG], by_name[DEFAULT_CONFIG + GENRE_SUFFIX]


def example_row(configs: Sequence[BuiltConfig]) -> tuple[str, dict]:
    """Return the split and row of ``all`` shown in the card.

    The row is the shortest train sentence (with its context) that has an entity, its class
    labels as ids.
    """
    config = next(c for c in configs if c.name == "all")
    candidates = [
        row for row in config.splits["train"] if row["entities"] and row["unit_type"] == "sentence"
    ]
    row = min(
        candidates,
        key=lambda r: sum(len(r[k] or "") for k in ("text", "prev_text", "next_text")),
    )
    return "train", config.features.encode_example(row)


def section_of(markdown: str, heading: str) -> str:
    """Return the paragraphs under ``heading`` up to the next heading, joined into one line each."""
    text = markdown.split(heading + "\n", 1)[1].split("\n#", 1)[0].strip()
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n"))
