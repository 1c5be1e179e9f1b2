"""The CLI: help and exit codes, and clean errors instead of tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import migbench
from migbench import __version__
from migbench.cli import main
from migbench.version import DATASET_VERSION

from .conftest import SEEDS


def test_bare_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: migbench" in capsys.readouterr().err


def test_unknown_subcommand_is_a_usage_error():
    assert main(["frobnicate"]) == 2


def test_units_prints_jsonl(capsys):
    assert main(["units", "--seeds", str(SEEDS), "--doc", "mp-letter"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 14
    assert rows[0]["id"] == "mp-letter-0001"


def test_modified_seed_exits_1_with_the_file_named(seeds_copy, capsys):
    path = next(seeds_copy.glob("000_*.txt"))
    path.write_bytes(b"changed")
    assert main(["units", "--seeds", str(seeds_copy)]) == 1
    err = capsys.readouterr().err
    assert path.name in err
    assert "migbench: error: " in err


def test_ingest_then_units_picks_up_the_new_document(tmp_path, tiny_seeds, capsys):
    source = tmp_path / "new.txt"
    source.write_text("A new report. It speaks of the US-Mexico border.\n", encoding="utf-8")
    args = ["ingest", str(source), "--doc-id", "new", "--genre", "report", "--seeds"]
    assert main([*args, str(tiny_seeds)]) == 0
    assert main(["units", "--seeds", str(tiny_seeds), "--doc", "new"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_version_names_the_scorer_and_the_dataset(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"migbench {__version__} (scorer {__version__}, dataset {DATASET_VERSION})"
    )


@pytest.mark.integration
def test_a_command_without_its_extra_fails_in_one_line_naming_it(tmp_path):
    """httpx comes with the annotation extra's Label Studio SDK; hidden as if not installed."""
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "from migbench.cli import main\n"
        "sys.exit(main(['ls', 'push', '--url', 'http://127.0.0.1:9']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "LABEL_STUDIO_API_KEY": "x"},
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "migbench: error: this command needs the 'annotation' extra (httpx is not installed): "
        "pip install 'migbench[annotation]'"
    ]


def test_template_writes_a_blank_line_for_every_unit_the_gold_scores(capsys, tmp_path):
    assert main(["template", "--task", "stance", "--protocol", "cv"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(migbench.Gold(protocol="cv").units())
    assert lines[0] == {"id": lines[0]["id"], "stance": None}
    out = tmp_path / "ner.jsonl"
    args = [
        "template",
        "--task",
        "ner",
        "--protocol",
        "split",
        "--split",
        "test",
        "--out",
        str(out),
    ]
    assert main(args) == 0
    ner = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    gold = {unit.id: unit.n_tokens for unit in migbench.Gold(protocol="split").units()}
    assert {line["id"]: len(line["ner_tags"]) for line in ner} == gold
    assert main(["validate", "--task", "ner", "--protocol", "split", str(out)]) == 1
