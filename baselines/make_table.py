"""Generate ``baselines/RESULTS.md`` from the result files, the significance tests and the timings.

Every number in the file comes from ``baselines/results/`` (the scorer's output),
``baselines/significance/`` (``migbench compare`` and ``migbench power``) or
``baselines/timings.json`` (written by the main job). ``--check`` exits 1 when the committed file
differs from what those files give.

Usage: ``python -m baselines.make_table [--check]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from baselines import pairwise
from baselines.data import CLASSIFICATION, TASKS
from baselines.paths import DATASET, RESULTS, RESULTS_MD, TIMINGS
from baselines.registry import BASELINES, order
from baselines.summary import HEADLINE, Results, Score, best_baseline, load_results, runs, scores
from migbench.dataset.audit import audit, folder_schemes, stance_note
from migbench.protocols import HEADLINE_HEADING, PROTOCOLS
from migbench.scoring.power import power_markdown

#: Significance level of the marks, after Holm's correction.
ALPHA = 0.05
#: The targets of the main scores under the headline protocol.
TARGETS = {"stance": 0.85, "frame": 0.68, "mfc": 0.50, "ner": 0.88}

Summary = dict[tuple[str, str, str, str], Score]
Comparisons = dict[tuple[str, str, str], Any]


def cell(score: Score | None) -> str:
    """Format a score: ``0.123 [0.045, 0.210]`` for one run, ``0.123 ± 0.010`` for several."""
    if score is None:
        return "–"
    if len(score.values) > 1:
        return f"{score.mean:.3f} ± {score.std:.3f}"
    if score.ci is None:
        return f"{score.mean:.3f}"
    return f"{score.mean:.3f} [{score.ci[0]:.3f}, {score.ci[1]:.3f}]"


def ordered(baselines: set[str]) -> list[str]:
    """Return baselines in table order: the registry's."""
    return order(baselines)


def tied_with_best(comparison: dict[str, Any] | None, best: str) -> set[str]:
    """Return the baselines whose difference from ``best`` is not significant (randomization)."""
    if comparison is None:
        return set()
    return {
        pair["b"] if pair["a"] == best else pair["a"]
        for pair in comparison["pairs"]
        if best in (pair["a"], pair["b"]) and pair["decision_randomization"] != "significant"
    }


def table(
    summary: Summary,
    metrics: dict[str, str],
    scheme: str,
    split: str,
    comparisons: Comparisons,
) -> list[str]:
    """Return a Markdown table of the main scores: one row per baseline, one column per task.

    The best baseline of each task is in bold; ``≈`` marks the baselines whose difference from
    it is not significant at :data:`ALPHA` (paired approximate randomization, Holm-adjusted).
    """
    present = {key[1] for key in summary if key[0] == scheme and key[3] == split}
    header = ["baseline", *(f"{task} ({metrics.get(task, 'no results')})" for task in TASKS)]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    best = {task: best_baseline(summary, task, scheme, split) for task in TASKS}
    tied = {
        task: tied_with_best(comparisons.get((scheme, task, split)), best[task])
        for task in TASKS
        if best[task] is not None
    }
    for baseline in ordered(present):
        row = []
        for task in TASKS:
            text = cell(summary.get((scheme, baseline, task, split)))
            if baseline == best[task]:
                text = f"**{text}**"
            elif baseline in tied.get(task, ()):
                text = f"{text} ≈"
            row.append(text)
        lines.append(f"| {baseline} | " + " | ".join(row) + " |")
    return lines


def matrix(comparison: dict[str, Any]) -> list[str]:
    """Return a pairwise significance matrix of the randomization test's decisions.

    ``+``: the row is better, ``−`` worse, ``·`` no difference, ``?`` undecided (the p-value
    stays too close to alpha).
    """
    names = ordered({system["name"] for system in comparison["systems"]})
    verdict = {}
    for pair in comparison["pairs"]:
        decision = pair["decision_randomization"]
        sign = {"not significant": "·", "undecided": "?"}.get(decision)
        sign = sign or ("+" if pair["difference"] > 0 else "−")
        flip = {"+": "−", "−": "+", "·": "·", "?": "?"}[sign]
        verdict[pair["a"], pair["b"]], verdict[pair["b"], pair["a"]] = sign, flip
    lines = ["| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for row in names:
        cells = [verdict.get((row, column), "") for column in names]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return lines


def per_document(results: Results, summary: Summary, task: str) -> list[str]:
    """Return the headline main score of every baseline on ``task``, per document."""
    scheme, split = HEADLINE
    present = ordered(
        {key[1] for key in summary if (key[0], key[2], key[3]) == (scheme, task, split)}
    )
    documents = sorted(
        {
            doc
            for b in present
            for r in runs(results, scheme, b, task, split)
            for doc in r["per_document"]
        }
    )
    lines = ["| baseline | " + " | ".join(documents) + " |", "|---" * (len(documents) + 1) + "|"]
    for baseline in present:
        seeds = [r["per_document"] for r in runs(results, scheme, baseline, task, split)]
        cells = []
        for doc in documents:
            cell = _mean([row[doc]["main_score"] for row in seeds])
            components = seeds[0][doc].get("components")
            if components:
                parts = [
                    _mean([row[doc]["components"][label]["f1"] for row in seeds])
                    for label in components
                ]
                cell += " (" + " / ".join(parts) + ")"
            cells.append(cell)
        lines.append(f"| {baseline} | " + " | ".join(cells) + " |")
    units = runs(results, scheme, present[0], task, split)[0]["per_document"]
    lines += [
        "",
        "Units per document: " + ", ".join(f"{d} {units[d]['n_units']}" for d in documents) + ".",
    ]
    return lines


def _mean(values: Sequence[float | None]) -> str:
    """Format the mean of the defined values to 3 decimals; ``n/a`` when none is defined."""
    defined = [value for value in values if value is not None]
    return f"{sum(defined) / len(defined):.3f}" if defined else "n/a"


def stance_components(results: Results, summary: Summary) -> list[str]:
    """Return every stance baseline's headline F_avg beside F1 favor and F1 against."""
    scheme, split = HEADLINE
    present = ordered(
        {key[1] for key in summary if (key[0], key[2], key[3]) == (scheme, "stance", split)}
    )
    if not present:
        return []
    first = runs(results, scheme, present[0], "stance", split)[0]["metrics"]["per_label"]
    labels = ("favor", "against")
    header = [
        "baseline",
        "f_avg",
        *(f"F1 {label} ({first[label]['support']} gold)" for label in labels),
    ]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for baseline in present:
        seeds = runs(results, scheme, baseline, "stance", split)
        cells = [_mean([r["metrics"]["f_avg"] for r in seeds])]
        cells += [
            _mean([r["metrics"]["per_label"][label]["f1"] for r in seeds]) for label in labels
        ]
        lines.append(f"| {baseline} | " + " | ".join(cells) + " |")
    return lines


def per_fold(results: Results, summary: Summary) -> list[str]:
    """Return each baseline's mean ± sd over the five folds, next to its pooled score."""
    scheme, split = HEADLINE
    present = ordered({key[1] for key in summary if (key[0], key[3]) == (scheme, split)})
    lines = ["| baseline | " + " | ".join(TASKS) + " |", "|---" * (len(TASKS) + 1) + "|"]
    for baseline in present:
        row = []
        for task in TASKS:
            seeds = runs(results, scheme, baseline, task, split)
            folds = seeds[0]["folds"] if seeds else None
            row.append(f"{folds['mean']:.3f} ± {folds['sd']:.3f}" if folds else "–")
        lines.append(f"| {baseline} | " + " | ".join(row) + " |")
    return lines


def targets(summary: Summary) -> list[str]:
    """Say, for each task, how the best headline score compares with its target."""
    lines = []
    for task, goal in TARGETS.items():
        best = best_baseline(summary, task)
        if best is None:
            continue
        score = summary[(*HEADLINE[:1], best, task, HEADLINE[1])].mean
        verdict = "meets" if score >= goal else f"misses by {goal - score:.3f}"
        lines.append(f"- {task}: best {best} {score:.3f}; target {goal:.2f}: {verdict}.")
    return lines


def attempts(summary: Summary) -> list[str]:
    """Return a table of every attempt at each task that misses its target, best first."""
    lines = [
        "| task | target | attempt | score [95 % interval] | short of the target by |",
        "|---|---|---|---|---|",
    ]
    for task, goal in TARGETS.items():
        found = {
            baseline: score
            for (protocol, baseline, name, split), score in summary.items()
            if (protocol, split) == HEADLINE and name == task
        }
        if not found or max(score.mean for score in found.values()) >= goal:
            continue
        for baseline in sorted(found, key=lambda b: -found[b].mean):
            score = found[baseline]
            lines.append(
                f"| {task} | {goal:.2f} | {baseline} | {cell(score)} | {goal - score.mean:.3f} |"
            )
    return lines if len(lines) > 2 else []


def power_lines(power: Comparisons) -> list[str]:
    """Return the power tables of :data:`pairwise.POWER_RUNS`, one per protocol."""
    lines = []
    for scheme, split in pairwise.POWER_RUNS:
        found = [
            (power[scheme, task, split]["reference"], power[scheme, task, split]["analyses"])
            for task in TASKS
            if (scheme, task, split) in power
        ]
        if found:
            title = PROTOCOLS[scheme].describe(split)
            lines += [f"**{title}**", "", power_markdown(found), ""]
    return lines


def timing_lines(timings: dict[str, Any]) -> list[str]:
    """Return the run-time section: each stage with its budget, and each baseline's runs."""
    budgets = timings["budgets"]
    lines = [
        f"Wall time of the last full run of the main job, on {timings['cpus']} CPU cores "
        f"({timings['device']}; fine-tuning runs in parallel: {timings['fine_tuning_processes']}, "
        f"torch threads each: {timings['torch_threads']}). "
        "`benchmarks/bench_baselines.py` runs the job and checks the budgets.",
        "",
        "| stage | seconds | budget (s) |",
        "|---|---|---|",
    ]
    for stage, seconds in timings["stages"].items():
        lines.append(f"| {stage} | {seconds:.0f} | {budgets.get(stage, '–')} |")
    if runs := timings.get("runs"):
        lines += [
            "",
            "Wall time of each baseline's last run under each protocol (`runs` in "
            "`baselines/timings.json`, summed over its tasks and seeds), recorded by every run, "
            "full or not, under whatever else the machine ran then.",
            "",
            "| protocol | baseline | runs | seconds |",
            "|---|---|---|---|",
        ]
        totals: dict[tuple[str, str], list[float]] = {}
        for key, seconds in runs.items():
            protocol, baseline = key.split("/")[:2]
            totals.setdefault((protocol, baseline), []).append(seconds)
        for (protocol, baseline), found in sorted(totals.items()):
            lines.append(f"| {protocol} | {baseline} | {len(found)} | {sum(found):.0f} |")
    return lines


def render(results_dir: Path = RESULTS, timings_path: Path = TIMINGS) -> str:
    """Return the text of ``RESULTS.md`` for the result files in ``results_dir``."""
    results = load_results(results_dir)
    summary = scores(results)
    metrics = {name.task: result["main_metric"] for name, result in results.items()}
    comparisons = pairwise.load("compare")
    power = pairwise.load("power")
    scheme, split = HEADLINE
    lines = [
        "# Baseline results",
        "",
        "Generated by `python -m baselines.make_table` from the scorer's result files in",
        "`baselines/results/`, the tests in `baselines/significance/` and",
        "`baselines/timings.json`; do not edit. `python -m baselines.run_all` reruns everything.",
        "",
        "Main score per task. One run: score [95 % bootstrap interval, resampling whole "
        "sections, the units between two headings that the folds keep together]. Several runs: "
        f"mean ± sample standard deviation over seeds ({_seeded()}). "
        "**Bold**: the best baseline of the task; ≈: not significantly different from it "
        f"(paired approximate randomization swapping whole sections, from 10,000 trials and more "
        f"until each decision is stable, Holm-adjusted over all pairs, α = {ALPHA}; seed 0 of "
        "seeded baselines). `–`: the baseline does not do the task.",
        "",
        f"## {HEADLINE_HEADING}",
        "",
        "Every unit is in one of five folds (the `fold` column, grouped by section); each "
        "baseline trains on four folds and predicts the fifth, and its submission holds the "
        "out-of-fold predictions of all units, scored pooled (`migbench score --protocol cv`). "
        "Model choices are made on training folds only.",
        "",
        *table(summary, metrics, scheme, split, comparisons),
        "",
        "### What the stance score rests on",
        "",
        "F_avg (the stance main score) is the mean of F1 favor and F1 against; mean over seeds "
        "for `stratified`.",
        "",
        *stance_components(results, summary),
        "",
        *stance_note(audit(folder_schemes(DATASET / "data"))),
        "",
        "### Against the targets",
        "",
        *targets(summary),
        "",
        "What was tried, with every choice made on training folds only: word n-gram tf-idf with "
        "logistic regression, with and without the neighbouring units as separate feature "
        "blocks; frozen all-MiniLM-L6-v2 sentence embeddings with logistic regression, with and "
        "without the neighbours' embeddings, and with the choice between the two made per "
        "fold by grouped cross-validation on the training folds (`embed-lr-sel`); for frame "
        "and mfc, which share their units, the same classifier reading also the other task's "
        "out-of-fold class probabilities (`embed-lr-stack`); for frame and mfc, the n-gram "
        "features of tfidf-lr and the embedding of embed-lr read by one logistic regression "
        "(`embed-tfidf-lr`); the same encoder "
        "tuned by SetFit's contrastive phase on pairs of training units and then read as "
        "`embed-lr-sel` reads the frozen one (`setfit-sel`: one run, with seed 0; its tuning "
        "is seeded, the main job has no time for other seeds, and the variation between seeds "
        "is not in its interval, which resamples sections); fine-tuning "
        "the same encoder (transformers' "
        "`Trainer`, class-weighted loss, the best of six epochs on held-out training units), "
        "with the neighbours as a second segment on the fixed split; the majority vote of "
        "embed-lr, tfidf-lr and the transformer, one member per family fixed in advance "
        "(`vote`); for NER a CRF, spaCy's "
        "small English pipeline zero-shot, its recogniser fine-tuned with `spacy train`, "
        "the medium pipeline's recogniser (which also reads static word vectors) fine-tuned "
        "the same way under cv (`spacy-ner-md`), and the fine-tuned encoder. "
        f"{_on_request()}The one larger sentence encoder installable here, "
        "all-mpnet-base-v2 (five split wheels on PyPI), is not among the attempts: it would "
        "make every encoder baseline several times slower; `--model` runs the same baselines "
        "with it or with any other encoder.",
        "",
        "Every attempt at a task that misses its target, with its score under cross-validation:",
        "",
        *attempts(summary),
        "",
        "### Significance between every pair",
        "",
        "`+`: the row's baseline is significantly better than the column's, `−`: worse, `·`: "
        f"no significant difference (α = {ALPHA}, Holm-adjusted randomization p-values from "
        "`migbench compare`, swapping whole sections), `?`: undecided, the p-value stays within "
        "three Monte Carlo standard errors of α after the most trials. Every p-value with its "
        "Monte Carlo error and trials is in `baselines/significance/`.",
        "",
    ]
    for task in TASKS:
        if (scheme, task, split) in comparisons:
            lines += [f"**{task}**", "", *matrix(comparisons[scheme, task, split]), ""]
    lines += [
        "### What this benchmark can separate",
        "",
        "The smallest improvement over the best baseline that the paired randomization test "
        "detects with power 0.8 (Card et al. 2020), by simulation (`migbench power`). Smaller "
        "differences between systems may be real but go unseen; the fixed split, with a fifth "
        "of the units, separates far less.",
        "",
        *power_lines(power),
        "### Per fold",
        "",
        "Mean ± sample standard deviation of the five folds' scores (seed 0).",
        "",
        *per_fold(results, summary),
        "",
        "### Per document",
        "",
        "Pooled out-of-fold predictions scored on each document's units (mean over seeds); for "
        "stance, F_avg (F1 favor / F1 against). A class with neither gold nor predicted units in "
        "a document has no F1 there (n/a) and stays out of F_avg.",
        "",
    ]
    for task in TASKS:
        lines += [f"**{task}**", "", *per_document(results, summary, task), ""]
    for title, name, note in (
        (
            "Fixed split: test",
            "test",
            "The fixed train/validation/test split, for quick iteration.",
        ),
        ("Fixed split: validation", "validation", "Used for selection only."),
    ):
        lines += [
            f"## {title}",
            "",
            note,
            "",
            *table(summary, metrics, "split", name, comparisons),
            "",
        ]
    lines += [
        "## Genre transfer",
        "",
        "Train on the report, test on the news articles (the `*_genre` configs, test split).",
        "",
        *table(summary, metrics, "genre", "test", comparisons),
        "",
        "## Plots",
        "",
        "Full-corpus cross-validation: the main scores with their intervals; the best baseline "
        "per task (pooled confusion counts, seed 0); NER F1 per entity type.",
        "",
        "![main scores](plots/scores.png)",
        "",
        *(
            f"![{task}: {best_baseline(summary, task)}](plots/confusion_{task}.png)"
            for task in CLASSIFICATION
            if best_baseline(summary, task) is not None
        ),
        *(["![ner per type](plots/ner_per_type.png)"] if best_baseline(summary, "ner") else []),
    ]
    if timings_path.is_file():
        timings = json.loads(timings_path.read_text(encoding="utf-8"))
        lines += ["", "## Run time", "", *timing_lines(timings)]
    return "\n".join(lines) + "\n"


def _on_request() -> str:
    """Return the sentence naming the runs made on request, outside the main job; "" if none."""
    runs = [f"`{b.name}` on {', '.join(b.on_request)}" for b in BASELINES.values() if b.on_request]
    if not runs:
        return ""
    return f"Run on request, outside the main job (see the README, Baselines): {'; '.join(runs)}. "


def _seeded() -> str:
    """Return the baselines run with several seeds and where: ``stratified: 0, 1, 2``."""
    cells = []
    for baseline in BASELINES.values():
        several = {p: baseline.seeds_in(p) for p in baseline.protocols}
        several = {p: s for p, s in several.items() if len(s) > 1}
        if len(set(several.values())) == 1 and set(several) == set(baseline.protocols):
            cells.append(f"`{baseline.name}`: {', '.join(map(str, next(iter(several.values()))))}")
        elif several:
            cells += [
                f"`{baseline.name}` under {p}: {', '.join(map(str, s))}" for p, s in several.items()
            ]
    return "; ".join(cells)


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
