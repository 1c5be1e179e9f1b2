"""The dataset card (``dataset/README.md``): YAML front matter for the Hub and a generated body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources

import yaml
from datasets import DatasetInfo, Features

from migbench.schema import DATASET_VERSION, SCHEMA_VERSION

LICENSE = "cc-by-4.0"
PRETTY_NAME = "migbench: stance, framing and entities in writing on India-US irregular migration"
DEFAULT_CONFIG = "all"
GENRE_CONFIGS = ("stance", "framing", "ner", "all")

CONFIG_DESCRIPTIONS = {
    "stance": "stance toward enforcement against irregular migration (favor / against / none)",
    "framing": "security-versus-rights frame and Media Frames Corpus primary dimension",
    "ner": (
        "named entities: `tokens` with their `token_offsets`, IOB2 `ner_tags` (like conll2003) "
        "and char-offset `entities`"
    ),
    "all": "every layer of every unit",
    "documents": "the cleaned documents with their provenance (one split, `train`)",
}


def front_matter(
    split_files: Mapping[str, Sequence[str]],
    features: Mapping[str, Features],
) -> dict:
    """Return the card's YAML metadata.

    Args:
        split_files: Config → its split names (files are ``data/<config>/<split>.parquet``).
        features: Config → its features.
    """
    return {
        "pretty_name": PRETTY_NAME,
        "license": LICENSE,
        "language": ["en"],
        "multilinguality": ["monolingual"],
        "annotations_creators": ["expert-generated"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "size_categories": ["n<1K"],
        "task_categories": ["text-classification", "token-classification"],
        "task_ids": ["multi-class-classification", "named-entity-recognition"],
        "tags": ["stance-detection", "framing", "migration", "media-frames"],
        "configs": [
            {
                "config_name": config,
                "data_files": [
                    {"split": split, "path": f"data/{config}/{split}.parquet"} for split in splits
                ],
                **({"default": True} if config == DEFAULT_CONFIG else {}),
            }
            for config, splits in split_files.items()
        ],
        "dataset_info": [
            {**DatasetInfo(features=features[config])._to_yaml_dict(), "config_name": config}
            for config in split_files
        ],
    }


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _label_table(counts: Mapping[str, Mapping[str, int]]) -> str:
    splits = list(counts)
    labels = list(counts[splits[0]])
    return _table(
        ["label", *splits], [[label, *(counts[s][label] for s in splits)] for label in labels]
    )


def body(stats: dict, documents: Sequence[Mapping], plots: Sequence[str]) -> str:
    """Return the card's Markdown body, every number taken from ``stats``."""
    splits = stats["splits"]
    configs = [[f"`{c}`", d] for c, d in CONFIG_DESCRIPTIONS.items()]
    configs += [[f"`{c}_genre`", f"as `{c}`, genre-transfer split"] for c in GENRE_CONFIGS]
    template = (
        resources.files("migbench.dataset").joinpath("templates/dataset_card.md").read_text("utf-8")
    )
    return template.format(
        pretty_name=PRETTY_NAME,
        dataset_version=DATASET_VERSION,
        schema_version=SCHEMA_VERSION,
        units=stats["units"],
        n_documents=len(documents),
        entity_mentions=stats["entity_mentions"],
        config_table=_table(["config", "content"], configs),
        split_table=_table(
            ["scheme", "train", "validation", "test"],
            [
                ["official", *splits["official"].values()],
                ["genre transfer", *splits["genre_transfer"].values()],
            ],
        ),
        fold_sizes=", ".join(str(n) for n in splits["folds"].values()),
        stance_table=_label_table(stats["labels"]["stance"]),
        frame_table=_label_table(stats["labels"]["frame"]),
        mfc_table=_label_table(stats["labels"]["mfc"]),
        entity_table=_label_table(stats["entities"]),
        document_table=_table(
            ["doc_id", "genre", "outlet", "date", "words (raw)", "units"],
            [
                [d["doc_id"], d["genre"], d["outlet"], d["date"], d["words"], d["n_units"]]
                for d in documents
            ],
        ),
        plots="\n\n".join(f"![{name}](plots/{name})" for name in plots),
    )


def card(metadata: dict, markdown: str) -> str:
    """Return the whole card: YAML front matter and body."""
    return (
        "---\n"
        + yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
        + "---\n\n"
        + markdown
    )
