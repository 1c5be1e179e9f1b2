"""Generate ``baselines/RESULTS.md`` from the result files and the main job's timings.

Every number in the file comes from ``baselines/results/`` (the scorer's output) or
``baselines/timings.json`` (written by the main job). ``--check`` exits 1 when the committed
file differs from what the result files give.

Usage: ``python -m baselines.make_table [--check]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baselines.data import CLASSIFICATION, REPO, RESULTS, TASKS
from baselines.summary import FOLDS, Results, Score, best_baseline, load_results, runs, scores

RESULTS_MD = REPO / "baselines" / "RESULTS.md"
TIMINGS = REPO / "baselines" / "timings.json"
#: Row order of the tables; baselines not named here follow in alphabetical order.
ORDER = (
    "majority",
    "stratified",
    "tfidf-lr",
    "tfidf-lr-ctx",
    "embed-lr",
    "embed-lr-ctx",
    "crf",
    "spacy-zero-shot",
    "spacy-ner",
    "transformer",
    "transformer-ctx",
)

Summary = dict[tuple[str, str, str, str], Score]


def cell(score: Score | None) -> str:
    """Format a score: ``0.123 [0.045, 0.210]`` for one run, ``0.123 ± 0.010`` for several."""
    if score is None:
        return "–"
    if len(score.values) > 1:
        return f"{score.mean:.3f} ± {score.std:.3f}"
    if score.ci is None:
        return f"{score.mean:.3f}"
    return f"{score.mean:.3f} [{score.ci[0]:.3f}, {score.ci[1]:.3f}]"


def table(summary: Summary, metrics: dict[str, str], scheme: str, split: str) -> list[str]:
    """Return a Markdown table of the main scores: one row per baseline, one column per task."""
    present = {key[1] for key in summary if key[0] == scheme and key[3] == split}
    baselines = sorted(present, key=lambda b: (ORDER.index(b) if b in ORDER else len(ORDER), b))
    header = ["baseline", *(f"{task} ({metrics.get(task, 'no results')})" for task in TASKS)]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for baseline in baselines:
        row = [cell(summary.get((scheme, baseline, task, split))) for task in TASKS]
        lines.append(f"| {baseline} | " + " | ".join(row) + " |")
    return lines


def comparison(summary: Summary, results: Results) -> list[str]:
    """Say how the transformer compares with majority and the feature-based baseline on test.

    Where it falls below the feature-based baseline, say why with numbers: how few units it
    learns from and is tested on, and how far its seeds spread.
    """
    lines, below = [], []
    for task in TASKS:
        transformer = summary.get(("official", "transformer", task, "test"))
        majority = summary.get(("official", "majority", task, "test"))
        other_name = "tfidf-lr" if task in CLASSIFICATION else "crf"
        other = summary.get(("official", other_name, task, "test"))
        if transformer is None or majority is None or other is None:
            continue
        verdict = "beats" if transformer.mean > majority.mean else "does **not** beat"
        side = "above" if transformer.mean > other.mean else "below"
        inside = other.ci is not None and other.ci[0] <= transformer.mean <= other.ci[1]
        lines.append(
            f"- {task}: the transformer ({cell(transformer)}) {verdict} majority "
            f"({majority.mean:.3f}) and lies {side} {other_name} ({cell(other)}), "
            f"{'inside' if inside else 'outside'} {other_name}'s 95 % interval."
        )
        if side == "below":
            below.append(task)
    if below:
        lines += ["", *_small_data(summary, results, below)]
    return lines


def _small_data(summary: Summary, results: Results, tasks: Sequence[str]) -> list[str]:
    # The cross-validation folds partition the train split: their sizes add up to it.
    train = sum(r["n_units"] for r in runs(results, "cv", "majority", "stance", FOLDS))
    lines = [
        f"Where the transformer falls below the feature-based baseline the data is small: it "
        f"fine-tunes a general-purpose encoder on {train} training units, and single test "
        "units move the score:"
    ]
    for task in tasks:
        tests = runs(results, "official", "transformer", task, "test")
        per_label = tests[0]["metrics"]["per_label"]
        support, label = min(
            (row["support"], label) for label, row in per_label.items() if row["support"]
        )
        spread = summary[("official", "transformer", task, "test")]
        lines.append(
            f"- {task}: {tests[0]['n_units']} test units, {support} of them of the rarest gold "
            f"label `{label}`; the transformer's seeds range from {min(spread.values):.3f} to "
            f"{max(spread.values):.3f}."
        )
    return lines


def timing_lines(timings: dict[str, Any]) -> list[str]:
    """Return the run-time section: each stage, and the slowest seed of the transformer per task."""
    budgets = timings["budgets"]
    lines = [
        f"Wall time of the last full run of the main job, on {timings['cpus']} CPU cores "
        f"({timings['device']}; torch threads: {timings['torch_threads']}). "
        "`benchmarks/bench_baselines.py` runs the job and checks the budgets.",
        "",
        "| stage | seconds | budget (s) |",
        "|---|---|---|",
    ]
    for stage, seconds in timings["stages"].items():
        lines.append(f"| {stage} | {seconds:.0f} | {budgets.get(stage, '–')} |")
    per_task: dict[str, list[float]] = {}
    for job in timings["transformer_jobs"]:
        per_task.setdefault(job["task"], []).append(job["seconds"])
    for task, seconds in per_task.items():
        budget = budgets["transformer per task and seed"]
        lines.append(
            f"| transformer, {task}: slowest of {len(seconds)} seeds | {max(seconds):.0f} | "
            f"{budget} |"
        )
    return lines


def render(results_dir: Path = RESULTS, timings_path: Path = TIMINGS) -> str:
    """Return the text of ``RESULTS.md`` for the result files in ``results_dir``."""
    results = load_results(results_dir)
    summary = scores(results)
    metrics = {name.task: result["main_metric"] for name, result in results.items()}
    # The tasks that figures.draw_all plots: those with official test results.
    tested = {task for scheme, _, task, split in summary if (scheme, split) == ("official", "test")}
    lines = [
        "# Baseline results",
        "",
        "Generated by `python -m baselines.make_table` from the scorer's result files in",
        "`baselines/results/` (and `baselines/timings.json`); do not edit. "
        "`python -m baselines.run_all` reruns everything.",
        "",
        "Main score per task. One run: score [95 % bootstrap interval over units]. Several "
        "runs: mean ± sample standard deviation over seeds 0-2 (`stratified`, `transformer`), "
        "over the five folds (cross-validation), or over both (`stratified` in "
        "cross-validation). `–`: the baseline does not do the task.",
        "",
        "## Test split",
        "",
        *table(summary, metrics, "official", "test"),
        "",
        "## Validation split",
        "",
        "Used for selection only: the transformer's epoch, and the best baseline in the plots.",
        "",
        *table(summary, metrics, "official", "validation"),
        "",
        "## Grouped 5-fold cross-validation on train",
        "",
        "Train on four folds of the train split (the `fold` column), predict the fifth; "
        "hyper-parameters chosen by grouped cross-validation within the four.",
        "",
        *table(summary, metrics, "cv", FOLDS),
        "",
        "## Genre transfer",
        "",
        "Train on the report, test on the news articles (the `*_genre` configs, test split).",
        "",
        *table(summary, metrics, "genre", "test"),
        "",
        "## Transformer versus the other baselines (test split)",
        "",
        *comparison(summary, results),
        "",
        "## Plots",
        "",
        "Test split; the best baseline per task by mean validation score, confusion counts "
        "summed over seeds.",
        "",
        *(
            f"![{task}: {best_baseline(summary, task)}](plots/confusion_{task}.png)"
            for task in CLASSIFICATION
            if best_baseline(summary, task) is not None
        ),
        *(["![ner per type](plots/ner_per_type.png)"] if "ner" in tested else []),
    ]
    if timings_path.is_file():
        timings = json.loads(timings_path.read_text(encoding="utf-8"))
        lines += ["", "## Run time", "", *timing_lines(timings)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``RESULTS.md``, or with ``--check`` report whether it is up to date."""
    parser = argparse.ArgumentParser(prog="python -m baselines.make_table", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if RESULTS.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        stale = not RESULTS_MD.is_file() or RESULTS_MD.read_text(encoding="utf-8") != text
        if stale:
            print(f"{RESULTS_MD} is stale: run python -m baselines.make_table", file=sys.stderr)
        return int(stale)
    RESULTS_MD.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
