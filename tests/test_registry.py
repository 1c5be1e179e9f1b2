"""The baseline registry: every record points at real code and pinned models, reading it imports no
heavy library, and the README's table is the registry's."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

import migbench
from baselines import registry
from baselines.paths import MODELS_JSON, README, REPO, PredictionName, parse_name, prediction_path


@pytest.mark.parametrize("name", list(registry.BASELINES))
def test_each_record_names_a_function_of_its_module_and_known_tasks_protocols_and_models(name):
    baseline = registry.BASELINES[name]
    module, _, function = baseline.entry_point.partition(":")
    source = REPO / (module.replace(".", "/") + ".py")
    defined = {
        node.name
        for node in ast.parse(source.read_text(encoding="utf-8")).body
        if isinstance(node, ast.FunctionDef)
    }
    assert function in defined
    assert set(baseline.tasks) <= set(migbench.TASKS)
    assert set(baseline.protocols) <= set(migbench.PROTOCOLS)
    assert set(baseline.models) <= set(json.loads(MODELS_JSON.read_text(encoding="utf-8")))
    assert baseline.model_option in (None, "model", "spacy_model", "settings")


@pytest.mark.integration
def test_reading_the_registry_imports_neither_torch_nor_spacy():
    code = (
        "import sys, baselines.registry, baselines.run_all; "
        "print(sorted(m for m in ('torch', 'spacy', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_readme_table_is_the_registry():
    text = README.read_text(encoding="utf-8")
    assert registry.render_readme(text) == text, "run python -m baselines.registry"


def test_a_stale_readme_table_is_found():
    stale = "<!-- baselines:registry -->\n| old |\n<!-- /baselines:registry -->\n"
    assert registry.render_readme(stale) != stale
    with pytest.raises(ValueError, match="no <!-- baselines:registry --> block"):
        registry.render_readme("no block here")


def test_table_order_is_the_registry_order_then_the_alphabet():
    assert registry.order({"zeta", "transformer", "majority", "alpha"}) == [
        "majority",
        "transformer",
        "alpha",
        "zeta",
    ]


@pytest.mark.parametrize(
    "name",
    [
        PredictionName("cv", "majority", "stance", "pooled", None),
        PredictionName("genre", "crf", "ner", "validation", None),
        PredictionName("split", "transformer", "ner", "test", 2),
    ],
)
def test_prediction_names_round_trip(name, tmp_path):
    path = prediction_path(tmp_path, name)
    assert parse_name(path.relative_to(tmp_path)) == name
