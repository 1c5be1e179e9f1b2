"""The labeling config is generated from the schema and accepts the generated tasks."""

from __future__ import annotations

import json
import re

import pytest
from label_studio_sdk.label_interface import LabelInterface

from migbench.cli import main
from migbench.labelstudio import config as labelstudio_config
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES, NER_LAYER

from .conftest import REPO, SEEDS

LS_DIR = REPO / "annotations" / "labelstudio"


def test_config_is_valid_and_carries_every_label_of_the_schema():
    interface = LabelInterface(labelstudio_config.labeling_config())
    interface.validate()
    assert tuple(interface.get_control(NER_LAYER).labels) == ENTITY_TYPES
    for name, labels in CHOICE_LAYERS.items():
        assert tuple(interface.get_control(name).labels) == labels


@pytest.mark.integration
def test_committed_files_are_what_ls_tasks_writes(tmp_path):
    assert main(["ls-tasks", "--seeds", str(SEEDS), "--out", str(tmp_path)]) == 0
    for name in ("config.xml", "tasks.json"):
        assert (tmp_path / name).read_bytes() == (LS_DIR / name).read_bytes(), name


def test_every_data_key_the_config_references_exists_in_every_task(repo_units):
    config = labelstudio_config.labeling_config()
    keys = set(re.findall(r'value="\$(\w+)"', config))
    tasks = json.loads((LS_DIR / "tasks.json").read_text(encoding="utf-8"))
    assert [t["data"]["unit_id"] for t in tasks] == [u.id for u in repo_units]
    interface = LabelInterface(config)
    for task in tasks:
        assert keys <= set(task["data"])
        assert interface.validate_task(task)


def test_context_stays_inside_the_document():
    tasks = [t["data"] for t in json.loads((LS_DIR / "tasks.json").read_text(encoding="utf-8"))]
    firsts = [t for t in tasks if t["unit_id"].endswith("-0001")]
    assert len(firsts) == 4
    assert all(t["prev_text"] == "" for t in firsts)
    assert tasks[1]["prev_text"] == tasks[0]["text"]
    assert tasks[0]["next_text"] == tasks[1]["text"]
