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
    assert set(baseline.on_request) <= set(baseline.tasks)


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


def _tasks_planned(requested: bool) -> set[str]:
    from baselines.run_all import plan

    chosen = [registry.BASELINES["setfit-sel"]]
    jobs = plan(chosen, list(migbench.TASKS), ["cv"], load=lambda b: None, requested=requested)
    return {job.task for job in jobs}


def test_on_request_tasks_run_only_when_the_baseline_is_named():
    on_request = set(registry.BASELINES["setfit-sel"].on_request)
    assert on_request
    assert _tasks_planned(requested=False) == {"stance"}
    assert _tasks_planned(requested=True) == {"stance"} | on_request


def test_a_full_run_removes_its_stale_files_and_keeps_on_request_and_other_files(tmp_path):
    from baselines.run_all import remove_stale

    def put(protocol, baseline, task):
        path = prediction_path(tmp_path, PredictionName(protocol, baseline, task, "pooled", None))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n", encoding="utf-8")
        return path

    written = put("cv", "setfit-sel", "stance")
    stale = put("cv", "embed-lr", "stance")
    kept = [
        put("cv", "setfit-sel", "frame"),  # on request
        put("cv", "my-system", "stance"),  # not a baseline of the registry
        put("split", "embed-lr", "stance"),  # a protocol the run did not cover
    ]
    remove_stale({written}, ["cv"], root=tmp_path)
    assert written.is_file()
    assert not stale.exists()
    assert all(path.is_file() for path in kept)


def test_each_on_request_command_plans_exactly_the_on_request_runs():
    import shlex

    from baselines.run_all import arguments, plan

    commands = registry.on_request_commands()
    assert commands
    for command in commands:
        args = arguments().parse_args(shlex.split(command)[3:])
        chosen = [registry.BASELINES[name] for name in args.baselines]
        jobs = plan(chosen, args.tasks, args.protocols, load=lambda b: None, requested=True)
        expected = {(b.name, task) for b in chosen for task in b.on_request}
        assert {(job.baseline.name, job.task) for job in jobs} == expected
