"""``migbench score`` / ``migbench validate`` and the Python API: output, exit codes, docs."""

from __future__ import annotations

import doctest
import json
import logging
import subprocess
import sys

import pytest

import migbench
from migbench.cli import main
from migbench.scoring.gold import load_gold_file

from .conftest import EXAMPLES, GOLD, REPO

# Main scores of the example submissions, worked out by hand from the fixture gold.
EXPECTED_MAIN = {
    "stance": ("f_avg", (3 / 4 + 2 / 3) / 2),  # favor 3 of 4 right both ways, against 2 of 3
    "frame": ("macro_f1", (6 / 7 * 3 + 2 / 3) / 4),  # security, rights, neither 6/7; both 2/3
    "mfc": ("macro_f1", (6 + 0.8 + 2 / 3 + 2 / 3 + 0) / 10),  # 10 labels in the gold
    "ner": ("micro_f1", 22 / 25),  # 3 of 25 entities wrong on each side
    "ner_entities": ("micro_f1", 22 / 25),
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def score_args(example: str, *extra: str) -> list[str]:
    task = "ner" if example.startswith("ner") else example
    return [
        "score",
        "--task",
        task,
        str(EXAMPLES / f"{example}.jsonl"),
        "--gold",
        str(GOLD),
        *extra,
    ]


@pytest.mark.parametrize("example", list(EXPECTED_MAIN))
def test_each_example_scores_as_worked_out_by_hand(capsys, example):
    code, out, err = run(capsys, *score_args(example))
    assert code == 0
    assert "error" not in err
    result = json.loads(out)
    metric, value = EXPECTED_MAIN[example]
    assert result["main_metric"] == metric
    assert result["main_score"] == pytest.approx(value, abs=1e-12)
    assert result["metrics"][metric] == result["main_score"]
    assert result["ci"]["low"] <= result["main_score"] <= result["ci"]["high"]
    assert result["ci"]["n_resamples"] == 1000
    assert result["n_units"] == 12
    assert result["n_missing"] == 0
    assert result["dataset_version"] is None  # a gold file does not say which dataset it is
    assert result["scorer_version"] == migbench.__version__
    assert (result["split"], result["gold_file"]) == (None, str(GOLD))


def test_the_python_api_returns_what_the_cli_prints(capsys):
    _, out, _ = run(capsys, *score_args("ner", "--seed", "3", "--bootstrap", "200"))
    result = migbench.score("ner", EXAMPLES / "ner.jsonl", gold=GOLD, seed=3, n_resamples=200)
    assert json.loads(out) == result
    assert result["entity_types"] == "migbench"


def test_the_api_takes_rows_and_loaded_gold_units():
    rows = [json.loads(line) for line in (EXAMPLES / "frame.jsonl").read_text().splitlines()]
    gold_rows = [json.loads(line) for line in GOLD.read_text().splitlines()]
    from_file = migbench.score("frame", EXAMPLES / "frame.jsonl", gold=GOLD)
    from_rows = migbench.score("frame", rows, gold=gold_rows)
    from_units = migbench.score("frame", str(EXAMPLES / "frame.jsonl"), gold=load_gold_file(GOLD))
    assert from_rows["metrics"] == from_file["metrics"] == from_units["metrics"]
    assert from_rows["ci"] == from_file["ci"]
    assert from_rows["gold_file"] is None
    assert from_units["gold_file"] is None


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"task": "sentiment"}, ValueError, "unknown task 'sentiment'; expected one of stance"),
        ({"entity_types": "conll"}, ValueError, "entity_types applies to the ner task only"),
        ({"split": "train", "gold": None}, ValueError, "unknown split 'train'"),
        ({"n_resamples": -5}, ValueError, "n_resamples must be a non-negative integer"),
        ({"predictions": b'{"id": "x"}'}, TypeError, "predictions must be a path or an iterable"),
    ],
)
def test_the_api_rejects_bad_options(arguments, error, message):
    call = {"task": "stance", "predictions": EXAMPLES / "stance.jsonl", "gold": GOLD, **arguments}
    with pytest.raises(error, match=message):
        migbench.score(call.pop("task"), call.pop("predictions"), **call)


def test_text_format_is_a_rounded_table(capsys):
    code, out, _ = run(capsys, *score_args("stance", "--format", "text"))
    assert code == 0
    assert "f_avg                 0.7083  95% CI [" in out
    assert "\nfavor        0.7500    0.7500    0.7500         4\n" in out
    assert "confusion matrix (rows gold, columns predicted, in label order)" in out


def test_out_writes_the_result_atomically(capsys, caplog, tmp_path):
    caplog.set_level(logging.INFO, logger="migbench")
    target = tmp_path / "results" / "stance.json"
    code, out, _ = run(capsys, *score_args("stance", "--out", str(target)))
    assert code == 0
    assert target.read_text() == out
    assert f"wrote {target}" in caplog.text
    assert [p.name for p in target.parent.iterdir()] == ["stance.json"]  # no temporary file left


def test_an_unwritable_out_is_a_clean_error_with_nothing_on_stdout(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, out, err = run(capsys, *score_args("stance", "--out", str(blocker / "x.json")))
    assert (code, out) == (1, "")
    assert f"cannot write {blocker / 'x.json'}" in err
    assert "migbench: error: " in err


def test_no_bootstrap_gives_no_interval(capsys):
    _, out, _ = run(capsys, *score_args("mfc", "--bootstrap", "0"))
    assert json.loads(out)["ci"] is None


def test_missing_units_fail_by_default_and_are_scored_as_wrong_on_request(capsys, caplog, tmp_path):
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join((EXAMPLES / "stance.jsonl").read_text().splitlines(True)[:9]))
    code, out, err = run(capsys, *score_args("stance")[:3], str(partial), "--gold", str(GOLD))
    assert (code, out) == (1, "")
    assert "id 'fixture-0010': no prediction for this unit; pass --allow-missing" in err
    code, out, err = run(
        capsys, *score_args("stance")[:3], str(partial), "--gold", str(GOLD), "--allow-missing"
    )
    assert code == 0
    assert "3 of 12 gold units have no prediction; scored as wrong" in caplog.text
    result = json.loads(out)
    assert result["n_missing"] == 3
    assert result["metrics"]["accuracy"] == 7 / 12


def test_an_invalid_submission_exits_1_with_every_problem_and_no_score(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = (EXAMPLES / "frame.jsonl").read_text().splitlines()
    lines[2] = '{"id": "fixture-0003", "frame": "human"}'
    lines[5] = "not json"
    bad.write_text("\n".join(lines) + "\n")
    code, out, err = run(capsys, "score", "--task", "frame", str(bad), "--gold", str(GOLD))
    assert (code, out) == (1, "")
    assert err.startswith("migbench: error: ")
    assert "line 3, id 'fixture-0003': unknown frame label 'human'" in err
    assert "line 6: invalid JSON" in err
    assert "id 'fixture-0006': no prediction for this unit" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "x.jsonl"],
        ["score", "--task", "sentiment", "x.jsonl"],
        ["score", "--task", "stance"],
        ["score", "--task", "stance", "x.jsonl", "--split", "test", "--gold", "g.jsonl"],
        ["score", "--task", "stance", "x.jsonl", "--split", "train"],
        ["score", "--task", "stance", "x.jsonl", "--bootstrap", "-1"],
        ["score", "--task", "stance", "x.jsonl", "--bootstrap", "many"],
        ["score", "--task", "stance", "x.jsonl", "--format", "xml"],
        ["score", "--task", "stance", "x.jsonl", "--entity-types", "conll"],
        ["validate", "--task", "frame", "x.jsonl", "--entity-types", "migbench"],
        ["validate", "--task", "frame", "x.jsonl", "--tagset", "conll"],
        ["validate", "--task", "frame", "x.jsonl", "--bootstrap", "5"],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "error: " in err.splitlines()[-1]


def test_a_missing_dataset_names_the_path_and_the_way_out(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "score",
        "--task",
        "stance",
        str(EXAMPLES / "stance.jsonl"),
        "--dataset",
        str(tmp_path),
        "--split",
        "validation",
    )
    assert (code, out) == (1, "")
    assert str(tmp_path / "data" / "all" / "validation.parquet") in err
    assert "`migbench build`" in err
    assert "--gold" in err


def test_validate_checks_without_scoring(capsys, caplog):
    caplog.set_level(logging.INFO, logger="migbench")
    args = ["validate", "--task", "ner", str(EXAMPLES / "ner_entities.jsonl"), "--gold", str(GOLD)]
    code, out, err = run(capsys, *args)
    assert code == 0
    summary = json.loads(out)
    # "valid" is always true in a result: an invalid submission exits 1 instead.
    assert {key: value for key, value in summary.items() if key != "valid"} == {
        "task": "ner",
        "n_units": 12,
        "n_predictions": 12,
        "n_missing": 0,
        "protocol": None,
        "split": None,
        "gold_file": str(GOLD),
    }
    assert "a valid ner submission" in caplog.text


def test_validate_exits_1_on_an_invalid_submission(capsys):
    args = ["validate", "--task", "mfc", str(EXAMPLES / "stance.jsonl"), "--gold", str(GOLD)]
    code, out, err = run(capsys, *args)
    assert (code, out) == (1, "")
    assert "field 'stance' belongs to task 'stance'; a mfc submission carries 'mfc'" in err


def test_the_scorer_doc_examples_run(monkeypatch):
    monkeypatch.chdir(REPO)  # the examples use paths relative to the repository
    failures, tried = doctest.testfile(
        str(REPO / "docs/SCORER.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert tried >= 5
    assert failures == 0


@pytest.mark.integration
def test_a_real_run_keeps_json_on_stdout_and_diagnostics_on_stderr(tmp_path):
    partial = tmp_path / "partial.jsonl"
    partial.write_text("".join((EXAMPLES / "ner.jsonl").read_text().splitlines(True)[2:]))
    command = [sys.executable, "-m", "migbench", "score", "--task", "ner", str(partial)]
    done = subprocess.run(
        [*command, "--gold", str(GOLD), "--allow-missing", "--entity-types", "conll"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["entity_types"] == "conll"
    assert done.stderr == "migbench: 2 of 12 gold units have no prediction; scored as wrong\n"


@pytest.mark.parametrize(("tagset", "entity_types"), [("iob2", "migbench"), ("conll", "conll")])
def test_the_deprecated_tagset_option_warns_and_scores_as_its_entity_types(
    capsys, tagset, entity_types
):
    code, old, err = run(capsys, *score_args("ner", "--bootstrap", "0", "--tagset", tagset))
    assert code == 0
    assert (
        err == "migbench: warning: --tagset is deprecated; use --entity-types (iob2 is migbench)\n"
    )
    _, new, _ = run(capsys, *score_args("ner", "--bootstrap", "0", "--entity-types", entity_types))
    assert json.loads(old) == json.loads(new)
    assert json.loads(new)["entity_types"] == entity_types


def test_the_deprecated_tagset_default_is_still_accepted_for_stance(capsys):
    code, old, _ = run(capsys, *score_args("stance", "--bootstrap", "0", "--tagset", "iob2"))
    assert code == 0
    _, new, _ = run(capsys, *score_args("stance", "--bootstrap", "0"))
    assert json.loads(old) == json.loads(new)
    assert "entity_types" not in json.loads(new)
