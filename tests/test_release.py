"""The release files of the dataset folder: card metadata, datasheet, licence and Croissant."""

from __future__ import annotations

import json
from collections import Counter

import mlcroissant as mlc
import pyarrow.parquet as pq
import pytest
import yaml

from migbench import docs, licensing
from migbench.annotation.store import read_agreement, read_annotators
from migbench.dataset.build import DOCUMENT_FEATURES, features_of
from migbench.dataset.croissant import CROISSANT_NAME
from migbench.dataset.descriptions import field_description, flat_features, type_name
from migbench.errors import MigbenchError

from .conftest import ANNOTATIONS, DATASET, REPO

#: The release date is set when a version is published, not by the build.
ALLOWED_WARNINGS = {"datePublished"}

# Every test here reads the committed dataset and docs.
pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stats() -> dict:
    """The committed dataset statistics."""
    return json.loads((DATASET / "stats.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def card() -> str:
    """The committed dataset card."""
    return (DATASET / "README.md").read_text(encoding="utf-8")


def front_matter(card: str) -> dict:
    return yaml.safe_load(card.split("---\n")[1])


def test_card_metadata_says_machine_generated_and_points_to_the_licence_file(card):
    meta = front_matter(card)
    assert meta["annotations_creators"] == ["machine-generated"]
    assert (meta["license"], meta["license_link"]) == ("other", "LICENSE")
    assert meta["license_name"].islower()
    assert " " not in meta["license_name"]
    licence = (DATASET / meta["license_link"]).read_text(encoding="utf-8")
    assert licensing.plain() in licence
    for claim in ("expert-generated", "crowdsourced", "human-annotated", "gold standard"):
        assert claim not in card


def test_card_metadata_gives_the_size_of_every_split(card):
    for info in front_matter(card)["dataset_info"]:
        for split in info["splits"]:
            path = DATASET / "data" / info["config_name"] / f"{split['name']}.parquet"
            assert split["num_examples"] == pq.read_metadata(path).num_rows, path


def test_card_follows_the_hub_template(card):
    for heading in (
        "### Dataset summary",
        "### Supported tasks and how to score",
        "### Languages",
        "### Data instance",
        "### Data fields",
        "### Data splits",
        "### Curation rationale",
        "### Source data",
        "### Annotations",
        "### Personal and sensitive information",
        "### Biases",
        "### Other known limitations",
        "### Licensing",
        "### Citation",
    ):
        assert f"\n{heading}\n" in card, heading


def test_card_figures_come_from_the_committed_files(card):
    assert docs.agreement_block(read_agreement(ANNOTATIONS)) in card
    assert docs.annotators_block(read_annotators(ANNOTATIONS)) in card


def test_datasheet_travels_byte_identical():
    assert (DATASET / "DATASHEET.md").read_bytes() == (REPO / "DATASHEET.md").read_bytes()


def test_every_feature_is_described_in_the_card(card):
    for features in (features_of("all"), DOCUMENT_FEATURES):
        for name, feature in flat_features(features):
            assert f"| `{name}` | {type_name(feature)} |" in card, name


def test_a_feature_without_description_is_an_error():
    with pytest.raises(MigbenchError, match="feature 'token_colour': no description"):
        field_description("token_colour")


@pytest.fixture(scope="module")
def croissant() -> mlc.Dataset:
    return mlc.Dataset(jsonld=str(DATASET / CROISSANT_NAME))


@pytest.mark.slow
def test_croissant_is_valid(croissant):
    issues = croissant.metadata.issues
    assert not issues.errors
    unexpected = [w for w in issues.warnings if not any(a in w for a in ALLOWED_WARNINGS)]
    assert not unexpected


def test_croissant_has_the_responsible_ai_fields_and_no_human_annotators(stats, croissant):
    metadata = croissant.metadata
    for name in (
        "data_collection",
        "data_annotation_protocol",
        "annotations_per_item",
        "annotator_demographics",
        "machine_annotation_tools",
        "data_biases",
        "data_limitations",
        "personal_sensitive_information",
        "data_use_cases",
    ):
        assert getattr(metadata, name), name
    assert "no human annotated" in metadata.annotator_demographics[0]
    assert metadata.version == stats["dataset_version"]


@pytest.mark.parametrize(("record_set", "scheme"), [("all", "split"), ("ner_genre", "genre")])
def test_croissant_records_load_from_the_local_parquet_files(stats, croissant, record_set, scheme):
    records = list(croissant.records(record_set=record_set))
    splits = Counter(record[f"{record_set}/split"].decode() for record in records)
    assert splits == {s: n for s, n in stats["splits"][scheme].items() if n}
    parquet = pq.read_table(DATASET / "data" / record_set / "test.parquet").to_pylist()
    loaded = [r for r in records if r[f"{record_set}/split"] == b"test"]
    assert [r[f"{record_set}/id"].decode() for r in loaded] == [row["id"] for row in parquet]
    assert [r[f"{record_set}/ner_tags"] for r in loaded] == [row["ner_tags"] for row in parquet]


def test_croissant_describes_every_feature_of_every_config(croissant):
    for record_set in croissant.metadata.record_sets:
        if record_set.uuid == "documents":
            continue
        names = {field.name for field in record_set.fields} - {"split"}
        assert names == set(features_of(record_set.uuid)), record_set.uuid
