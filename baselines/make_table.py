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

from baselines.data import REPO, RESULTS, TASKS
from baselines.summary import FOLDS, Score, best_baseline, load_results, runs, scores

RESULTS_MD = REPO / "baselines" / "RESULTS.md"
TIMINGS = REPO / "baselines" / "timings.json"
#: Row order of the tables; baselines not named here follow in alphabetical order.
ORDER = ("majority", "stratified", "tfidf-lr", "crf", "transformer")
CLASSIFICATION = ("stance", "frame", "mfc")

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
    header = ["baseline", *(f"{task} ({metrics[task]})" for task in TASKS)]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for baseline in baselines:
        row = [cell(summary.get((scheme, baseline, task, split))) for task in TASKS]
        lines.append(f"| {baseline} | " + " | ".join(row) + " |")
    return lines


def comparison(summary: Summary, results: dict, train_units: int) -> list[str]:
    """Say how the transformer compares with majority and tf-idf + LR on test, with numbers."""
    lines = []
    for task in TASKS:
        transformer = summary.get(("official", "transformer", task, "test"))
        majority = summary.get(("official", "majority", task, "test"))
        if transformer is None or majority is None:
            continue
        verdict = "beats" if transformer.mean > majority.mean else "does **not** beat"
        lines.append(
            f"- {task}: the transformer ({cell(transformer)}) {verdict} majority "
            f"({majority.mean:.3f})" + _versus_feature_baseline(summary, results, task, transformer)
        )
    if any("below" in line for line in lines):
        lines += ["", *_why_small_data(summary, results, train_units)]
    return lines


def _versus_feature_baseline(summary: Summary, results: dict, task: str, transformer: Score) -> str:
    name = "tfidf-lr" if task in CLASSIFICATION else "crf"
    other = summary.get(("official", name, task, "test"))
    if other is None:
        return "."
    side = "above" if transformer.mean > other.mean else "below"
    inside = other.ci is not None and other.ci[0] <= transformer.mean <= other.ci[1]
    where = "inside" if inside else "outside"
    return f" and lies {side} {name} ({cell(other)}); its mean is {where} {name}'s 95 % interval."


def _why_small_data(summary: Summary, results: dict, train_units: int) -> list[str]:
    lines = [
        "Where the transformer falls below the feature-based baseline, the data is the reason "
        f"we see: it is fine-tuned from {train_units} training units, with no in-domain "
        "pre-training, and scored on small test sets in which single units move the score:"
    ]
    for task in TASKS:
        tests = runs(results, "official", "transformer", task, "test")
        if not tests:
            continue
        per_label = tests[0]["metrics"]["per_label"]
        rare = sorted((row["support"], label) for label, row in per_label.items() if row["support"])
        support, label = rare[0]
        spread = summary[("official", "transformer", task, "test")]
        lines.append(
            f"- {task}: {tests[0]['n_units']} test units, the rarest gold label `{label}` has "
            f"{support}; across seeds the score ranges {min(spread.values):.3f}–"
            f"{max(spread.values):.3f}."
        )
    return lines


def timing_lines(timings: dict[str, Any]) -> list[str]:
    """Return the run-time section from the main job's timings."""
    stages = timings["stages"]
    lines = [
        f"Measured by the main job on {timings['cpus']} CPU cores "
        f"({timings['device']}, torch threads {timings['torch_threads']}); "
        "`benchmarks/bench_baselines.py` runs it and checks the budgets.",
        "",
        "| stage | seconds | budget |",
        "|---|---|---|",
    ]
    for stage, seconds in stages.items():
        budget = timings["budgets"].get(stage)
        lines.append(f"| {stage} | {seconds:.0f} | {'–' if budget is None else budget} |")
    jobs = timings["transformer_jobs"]
    if jobs:
        slowest = max(jobs, key=lambda job: job["seconds"])
        lines += [
            "",
            f"Transformer, per task and seed: {len(jobs)} runs, mean "
            f"{sum(job['seconds'] for job in jobs) / len(jobs):.0f} s, slowest "
            f"{slowest['seconds']:.0f} s ({slowest['task']}, {slowest['scheme']}, seed "
            f"{slowest['seed']}); budget {timings['budgets']['transformer per task and seed']} s.",
        ]
    return lines


def render(results_dir: Path = RESULTS, timings_path: Path = TIMINGS) -> str:
    """Return the text of ``RESULTS.md`` for the result files in ``results_dir``."""
    results = load_results(results_dir)
    summary = scores(results)
    metrics = {name.task: result["main_metric"] for name, result in results.items()}
    train_units = sum(
        result["n_units"]
        for name, result in results.items()
        if (name.scheme, name.baseline, name.task) == ("cv", "majority", "stance")
    )
    lines = [
        "# Baseline results",
        "",
        "Generated by `python -m baselines.make_table` from the scorer's result files in",
        "`baselines/results/` (and `baselines/timings.json`); do not edit. "
        "`python -m baselines.run_all` reruns everything.",
        "",
        "Main score per task. One run: score [95 % bootstrap interval over units]. Several "
        "runs: mean ± sample standard deviation over seeds 0-2 (`stratified`, `transformer`) "
        "or over the five folds (cross-validation). `–`: the baseline does not do the task.",
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
        *comparison(summary, results, train_units),
        "",
        "## Plots",
        "",
        "Test split; the best baseline per task by mean validation score, confusion counts "
        "summed over seeds.",
        "",
        *(
            f"![{task}: {best_baseline(summary, task)}](plots/confusion_{task}.png)"
            for task in CLASSIFICATION
            if ("official", "majority", task, "validation") in summary
        ),
        *(["![ner per type](plots/ner_per_type.png)"] if "ner" in metrics else []),
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
