"""The CLI: help and exit codes, and clean errors instead of tracebacks."""

from __future__ import annotations

import json

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
