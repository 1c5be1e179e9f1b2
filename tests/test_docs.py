"""Generated numbers in README.md and DATASHEET.md match the committed statistics."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from migbench import docs
from migbench.cli import main
from migbench.errors import MigbenchError

from .conftest import REPO


@pytest.mark.release
def test_readme_and_datasheet_numbers_are_current(capsys):
    assert main(["docs", "--root", str(REPO), "--check"]) == 0, capsys.readouterr().err


@pytest.mark.release
def test_every_generated_block_is_present():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    datasheet = (REPO / "DATASHEET.md").read_text(encoding="utf-8")
    for name in ("corpus", "install", "results", "stance", "power", "performance", "citation"):
        assert f"<!-- generated:{name} -->" in readme
    for name in ("corpus", "layers", "labels", "sample", "agreement", "annotators"):
        assert f"<!-- generated:{name} -->" in datasheet
    scaling = (REPO / "docs" / "SCALING.md").read_text(encoding="utf-8")
    assert "<!-- generated:predict-benchmark -->" in scaling


def test_a_hand_edited_number_is_caught_and_regenerated(tmp_path):
    for relative in (
        "README.md",
        "DATASHEET.md",
        "Makefile",
        "docs/SCALING.md",
        "benchmarks/bench_predict.txt",
        "dataset/stats.json",
        "annotations/agreement.json",
        "annotations/annotators.json",
        "baselines/RESULTS.md",
        "baselines/timings.json",
        "benchmarks/bench_scorer.txt",
        "benchmarks/bench_compare.txt",
        "benchmarks/bench_leaderboard.txt",
    ):
        (tmp_path / relative).parent.mkdir(exist_ok=True)
        shutil.copy(REPO / relative, tmp_path / relative)
    significance = Path("baselines") / "significance"
    shutil.copytree(REPO / significance, tmp_path / significance)
    datasheet = tmp_path / "DATASHEET.md"
    original = datasheet.read_text(encoding="utf-8")
    datasheet.write_text(
        original.replace("| **all** | 363 |", "| **all** | 400 |"), encoding="utf-8"
    )
    assert main(["docs", "--root", str(tmp_path), "--check"]) == 1
    assert main(["docs", "--root", str(tmp_path)]) == 0
    assert datasheet.read_text(encoding="utf-8") == original


def test_unknown_block_is_an_error():
    text = "<!-- generated:nope -->\nx\n<!-- /generated:nope -->\n"
    with pytest.raises(MigbenchError, match="unknown generated block 'nope'"):
        docs.render(text, {"corpus": lambda: ""}, source="X.md")


def test_section_extracts_one_markdown_section():
    text = "# T\n\n## A\n\none\n\n## B\n\ntwo\n"
    assert docs.section(text, "A") == "one"
    assert docs.section(text, "B") == "two"
    with pytest.raises(MigbenchError, match="no section"):
        docs.section(text, "C")


def test_a_subsection_runs_to_the_next_heading_of_its_level_or_higher():
    text = "## A\n\n### X\n\none\n\n### Y\n\ntwo\n\n## B\n\nthree\n"
    assert docs.section(text, "X", level=3) == "one"
    assert docs.section(text, "Y", level=3) == "two"
    assert docs.section(text, "A") == "### X\n\none\n\n### Y\n\ntwo"


def test_markdown_tables_render_as_their_docstring_shows():
    import doctest

    from migbench import markdown

    failures, tried = doctest.testmod(markdown)
    assert tried > 0
    assert failures == 0


def test_the_install_block_names_the_torch_the_makefile_installs():
    makefile = "install:\n\t$(BIN)/python -m pip install -q torch==9.8.7\n"
    assert "(`torch==9.8.7`, the CPU build," in docs.install_block(makefile)
    with pytest.raises(ValueError, match="installs torch 0 times"):
        docs.install_block("install:\n\t$(BIN)/python -m pip install -q numpy\n")


def _prose_numbers() -> list[tuple[str, str]]:
    """The numbers prose states outside generated blocks, as each file must state them now."""
    from migbench.annotation.store import read_annotators
    from migbench.dataset.splits import N_FOLDS
    from migbench.leaderboard import ranking, store
    from migbench.predict.run import BATCH_SIZE, SHOWN_BAD_LINES
    from migbench.scoring import significance

    word = dict(enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven"]))
    fold = round(100 / N_FOLDS)
    annotators = read_annotators(REPO / "annotations").values()
    first, second = ([a.id for a in annotators if a.annotation_pass == n] for n in (1, 2))
    adjudication, rereading = (a.id for a in annotators if a.annotation_pass == 0)
    assert significance.DEFAULT_TRIALS == store.N_TRIALS
    assert significance.ALPHA == ranking.ALPHA
    return [
        ("README.md", f"one of {word[N_FOLDS]} folds"),
        ("README.md", f"train on {word[N_FOLDS - 1]}"),
        ("README.md", f"randomization, {significance.DEFAULT_TRIALS:,} trials"),
        ("README.md", f"`compare` ({store.N_TRIALS:,} trials of each test)"),
        ("README.md", f"Holm-adjusted, α = {significance.ALPHA}"),
        ("README.md", f"family-wise α = {ranking.ALPHA}"),
        ("docs/STATISTICS.md", f"[--trials {significance.DEFAULT_TRIALS}]"),
        ("docs/STATISTICS.md", f"[--max-trials {significance.MAX_ADAPTIVE_TRIALS}]"),
        ("docs/STATISTICS.md", f"[--alpha {significance.ALPHA}]"),
        ("docs/STATISTICS.md", f"`--trials` ({significance.DEFAULT_TRIALS:,})"),
        ("docs/STATISTICS.md", f"within {significance.STABLE_Z:g} standard errors"),
        ("docs/STATISTICS.md", f"`--max-trials` ({significance.MAX_ADAPTIVE_TRIALS:,})"),
        ("docs/SCALING.md", f"(`--batch-size`, default {BATCH_SIZE})"),
        ("docs/SCALING.md", f"(the first {SHOWN_BAD_LINES} one by one"),
        ("DATASHEET.md", f"full-corpus {N_FOLDS}-fold"),
        ("DATASHEET.md", f"one of {word[N_FOLDS]} folds"),
        ("DATASHEET.md", f"{100 - 2 * fold}/{fold}/{fold}"),
        ("DATASHEET.md", f"by {word[len(first)]} agents"),
        ("DATASHEET.md", f"user ids {min(first)}-{max(first)})"),
        ("DATASHEET.md", f"by {word[len(second)]} further agents"),
        ("DATASHEET.md", f"(ids {min(second)}-{max(second)})"),
        ("DATASHEET.md", f"(user id {adjudication},"),
        ("DATASHEET.md", f"(id {rereading})"),
    ]


def test_numbers_in_prose_follow_the_code_and_the_annotators():
    expected = _prose_numbers()
    texts = {
        name: " ".join((REPO / name).read_text(encoding="utf-8").split()) for name, _ in expected
    }
    missing = [(name, phrase) for name, phrase in expected if phrase not in texts[name]]
    assert not missing, missing
