"""Restore the text of a text-free dataset from the user's own copies of the sources."""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import pyarrow.parquet as pq
from datasets import Features

from migbench.corpus.segment import normalise
from migbench.corpus.tokenize import token_texts
from migbench.corpus.units import context_of
from migbench.dataset.build import DATA_DIR, DOCUMENTS_SPLIT, join_document, write_parquet
from migbench.errors import MigbenchError
from migbench.fileio import check_output_dir, output_dir
from migbench.jsonio import clip, quote


def _read_rows(path: Path) -> tuple[list[dict], Features]:
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises many kinds for a damaged file
        raise MigbenchError(f"{path}: not a readable parquet file ({clip(str(exc))})") from None
    return table.to_pylist(), Features.from_arrow_schema(table.schema)


def _source_texts(documents: list[dict], sources: Path) -> dict[str, str]:
    texts = {}
    for doc in documents:
        path = sources / doc["file"]
        if not path.is_file():
            raise MigbenchError(f"{path}: source of {doc['doc_id']} not found in {sources}")
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != doc["sha256"]:
            raise MigbenchError(
                f"{path}: sha256 {digest} differs from the dataset's {doc['sha256']}; "
                "only the exact source files can restore the text"
            )
        texts[doc["doc_id"]] = data.decode("utf-8")
    return texts


def _unit_texts(
    dataset: Path, raws: dict[str, str]
) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict]:
    """Return unit id → text, unit id → (previous, next) text, and doc id → (paragraph, text)."""
    rows = []
    for path in sorted((dataset / DATA_DIR / "all").glob("*.parquet")):
        rows.extend(_read_rows(path)[0])
    rows.sort(key=lambda row: row["id"])
    texts: dict[str, str] = {}
    for row in rows:
        if row["doc_id"] not in raws:
            raise MigbenchError(f"unit {quote(row['id'])}: doc id {quote(row['doc_id'])} unknown")
        text = normalise(raws[row["doc_id"]], [(r["start"], r["end"]) for r in row["ranges"]])
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != row["text_sha256"]:
            raise MigbenchError(f"unit {row['id']}: restored text does not match its text_sha256")
        texts[row["id"]] = text
    context = context_of(
        [SimpleNamespace(id=r["id"], doc_id=r["doc_id"], text=texts[r["id"]]) for r in rows]
    )
    paragraphs = defaultdict(list)
    for row in rows:
        paragraphs[row["doc_id"]].append((row["paragraph"], texts[row["id"]]))
    return texts, context, paragraphs


def _restore_unit(row: dict, texts: dict, context: dict) -> dict:
    text = texts[row["id"]]
    restored = {
        **row,
        "text": text,
        "prev_text": context[row["id"]][0],
        "next_text": context[row["id"]][1],
    }
    if "tokens" in row:
        restored["tokens"] = token_texts(text)
    if "entities" in row:
        restored["entities"] = [{**e, "text": text[e["start"] : e["end"]]} for e in row["entities"]]
    return restored


def rehydrate(dataset: Path, sources: Path, out: Path) -> None:
    """Write a copy of a text-free dataset with every text column restored.

    Raises:
        MigbenchError: A source file is missing or differs from the dataset's sha256, or a restored
            unit text does not match its hash.
    """
    check_output_dir(out, inputs=(dataset, sources))
    documents_path = dataset / DATA_DIR / "documents" / f"{DOCUMENTS_SPLIT}.parquet"
    if not documents_path.is_file():
        raise MigbenchError(f"{documents_path}: not found; is {dataset} a migbench dataset?")
    documents, document_features = _read_rows(documents_path)
    raws = _source_texts(documents, sources)
    texts, context, paragraphs = _unit_texts(dataset, raws)
    with output_dir(out, inputs=(dataset, sources)) as staging:
        shutil.copytree(
            dataset, staging, ignore=shutil.ignore_patterns("*.parquet"), dirs_exist_ok=True
        )
        for path in sorted((dataset / DATA_DIR).glob("*/*.parquet")):
            target = staging / path.relative_to(dataset)
            if path == documents_path:
                rows = [{**d, "text": join_document(paragraphs[d["doc_id"]])} for d in documents]
                write_parquet(target, rows, document_features)
                continue
            rows, features = _read_rows(path)
            write_parquet(target, [_restore_unit(row, texts, context) for row in rows], features)
