"""The dataset card (``dataset/README.md``) and licence file: Hub YAML and a generated body.

The body follows the Hugging Face dataset card template; every number in it is read from the
statistics, the agreement report, the annotator list or the data itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources

import yaml
from datasets import ClassLabel, DatasetInfo, Features, List

from migbench import docs, licensing, markdown
from migbench.annotation.store import Annotator
from migbench.citation import TITLE, bibtex
from migbench.dataset.croissant import CIRCULARITY
from migbench.dataset.descriptions import (
    config_description,
    field_description,
    flat_features,
    type_name,
)
from migbench.protocols import PROTOCOLS
from migbench.schema import SCHEMA_VERSION, SPLITS
from migbench.version import DATASET_VERSION

LICENSE_NAME = "LICENSE"
#: The Hub's id for a licence outside its list: annotations CC BY 4.0, texts not licensed.
LICENSE_ID = "migbench-annotations-cc-by-4.0-texts-not-licensed"
DEFAULT_CONFIG = "all"
#: What the card says of the folder it describes, by whether the folder holds the texts.
VARIANTS = {
    True: "This folder is the **full** variant: it holds the source texts.",
    False: (
        "This folder is the **text-free** variant: it holds no source text, and this card quotes "
        "none."
    ),
}


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < limit:
            return name
    return "n>100K"


def front_matter(
    split_files: Mapping[str, Mapping[str, int]], features: Mapping[str, Features], n_units: int
) -> dict:
    """Return the card's YAML metadata.

    Args:
        split_files: Config → its split names (files are ``data/<config>/<split>.parquet``) and
            the number of rows of each.
        features: Config → its features.
        n_units: Units in the dataset, for the size category.
    """
    return {
        "pretty_name": TITLE,
        "license": "other",
        "license_name": LICENSE_ID,
        "license_link": LICENSE_NAME,
        "language": ["en"],
        "multilinguality": ["monolingual"],
        "annotations_creators": ["machine-generated"],
        "language_creators": ["found"],
        "source_datasets": ["original"],
        "size_categories": [_size_category(n_units)],
        "task_categories": ["text-classification", "token-classification"],
        "task_ids": ["multi-class-classification", "named-entity-recognition"],
        "tags": ["stance-detection", "framing", "migration", "media-frames", "croissant"],
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
            {
                **DatasetInfo(features=features[config])._to_yaml_dict(),
                "config_name": config,
                "splits": [
                    {"name": split, "num_examples": rows}
                    for split, rows in split_files[config].items()
                ],
            }
            for config in split_files
        ],
    }


def _label_table(counts: Mapping[str, Mapping[str, int]]) -> str:
    splits = list(counts)
    labels = list(counts[splits[0]])
    return markdown.table(
        ["label", *splits], [[label, *(counts[s][label] for s in splits)] for label in labels]
    )


def field_table(features: Mapping[str, Features]) -> str:
    """One row per feature of any config: name, type (class labels with ids), configs, meaning."""
    seen: dict[str, tuple[object, list[str]]] = {}
    for config, config_features in features.items():
        for name, feature in flat_features(config_features):
            seen.setdefault(name, (feature, []))[1].append(config)
    rows = [
        [
            f"`{name}`",
            type_name(feature),
            _configs(configs, list(features)),
            field_description(name),
        ]
        for name, (feature, configs) in seen.items()
    ]
    return markdown.table(["field", "type", "configs", "meaning"], rows)


def _configs(configs: list[str], every: list[str]) -> str:
    if configs == every:
        return "all"
    if configs == [c for c in every if c != "documents"]:
        return "every unit config"
    return ", ".join(f"`{c}`" for c in configs)


def example_instance(row: Mapping, features: Features) -> str:
    """Return a row as JSON, one field per line, then the names of its class label ids."""
    lines = ",\n".join(
        f"  {json.dumps(name)}: {json.dumps(row[name], ensure_ascii=False)}" for name in features
    )
    names = []
    for name, feature in features.items():
        inner = feature.feature if isinstance(feature, List) else feature
        if isinstance(inner, ClassLabel):
            ids = row[name] if isinstance(feature, List) else [row[name]]
            pairs = ", ".join(f"{i} = {inner.int2str(i)}" for i in sorted(set(ids)))
            names.append(f"`{name}` {pairs}")
    return "```json\n{\n" + lines + "\n}\n```\n\nClass label ids: " + "; ".join(names) + "."


def body(
    stats: dict,
    documents: Sequence[Mapping],
    plots: Sequence[str],
    *,
    features: Mapping[str, Features],
    example: tuple[str, Mapping],
    agreement: Mapping,
    annotators: Mapping[int, Annotator],
    audit: str,
    power: str,
    with_text: bool = True,
) -> str:
    """Return the card's Markdown body.

    Args:
        stats: The dataset statistics (``stats.json``).
        documents: The document rows.
        plots: File names under ``plots/``.
        features: Config → its features, in card order.
        example: The split and the (label-id) row of ``all`` shown as the example instance.
        agreement: The agreement report (``annotations/agreement.json``).
        annotators: The annotator list (``annotations/annotators.json``).
        audit: The leakage and shortcut audit, Markdown.
        power: The power analysis of the protocols, Markdown.
        with_text: False for the text-free variant's card, which quotes no source text.
    """
    splits = stats["splits"]
    template = (
        resources.files("migbench.dataset").joinpath("templates/dataset_card.md").read_text("utf-8")
    )
    example_split, example_row = example
    return template.format(
        pretty_name=TITLE,
        variant=VARIANTS[with_text],
        licensing=licensing.markdown(),
        corrected_units=stats["guidelines"].get("1.2", 0),
        guidelines_counts=", ".join(
            f"v{version}: {count} units" for version, count in stats["guidelines"].items()
        ),
        circularity=CIRCULARITY,
        audit=audit,
        power=power,
        dataset_version=DATASET_VERSION,
        schema_version=SCHEMA_VERSION,
        units=stats["units"],
        n_documents=len(documents),
        entity_mentions=stats["entity_mentions"],
        config_table=markdown.table(
            ["config", "content"], [[f"`{c}`", config_description(c)] for c in features]
        ),
        example_split=example_split,
        example=example_instance(example_row, features[DEFAULT_CONFIG]),
        field_table=field_table(features),
        split_table=markdown.table(
            ["protocol", *SPLITS],
            [
                [f"`{name}` ({PROTOCOLS[name].title.lower()})", *(splits[name][s] for s in SPLITS)]
                for name in ("split", "genre")
            ],
        ),
        fold_sizes=", ".join(str(n) for n in splits["folds"].values()),
        stance_table=_label_table(stats["labels"]["stance"]),
        frame_table=_label_table(stats["labels"]["frame"]),
        mfc_table=_label_table(stats["labels"]["mfc"]),
        entity_table=_label_table(stats["entities"]),
        document_table=markdown.table(
            ["doc_id", "genre", "outlet", "author", "date", "title", "words (raw)", "units"],
            [
                [
                    d["doc_id"],
                    d["genre"],
                    d["outlet"],
                    d["author"],
                    d["date"],
                    d["title"],
                    d["words"],
                    d["n_units"],
                ]
                for d in documents
            ],
        ),
        search_table=markdown.table(
            ["doc_id", "search for"], [[d["doc_id"], d["search"]] for d in documents]
        ),
        plots="\n\n".join(f"![{name}](plots/{name})" for name in plots),
        annotators=docs.annotators_block(annotators),
        agreement=docs.agreement_block(agreement),
        bibtex=bibtex(),
    )


def license_text(documents: Sequence[Mapping]) -> str:
    """Return the dataset folder's ``LICENSE``: the terms of each part, each source listed."""
    template = (
        resources.files("migbench.dataset").joinpath("templates/LICENSE.txt").read_text("utf-8")
    )
    listed = "\n".join(
        f"  - {d['doc_id']} ({d['file']}): outlet {d['outlet']}, author {d['author']}, "
        f"date {d['date']}, title {d['title']}"
        for d in documents
    )
    return template.format(
        dataset_version=DATASET_VERSION,
        licensing=licensing.plain(),
        documents="Sources:\n" + listed,
    )


def card(metadata: dict, markdown: str) -> str:
    """Return the whole card: YAML front matter and body."""
    return (
        "---\n"
        + yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True)
        + "---\n\n"
        + markdown
    )
