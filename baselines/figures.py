"""Draw the plots of ``RESULTS.md`` from the result files (test split of the official scheme).

``plots/confusion_<task>.png``: the confusion matrix of the best baseline per classification
task (best by mean validation score; counts summed over seeds). ``plots/ner_per_type.png``: F1
per entity type of each NER baseline (mean over seeds).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)
import numpy as np  # noqa: E402

from baselines.data import CLASSIFICATION, REPO  # noqa: E402
from baselines.summary import Results, best_baseline, runs, scores  # noqa: E402

PLOTS = REPO / "baselines" / "plots"
#: No software version or date in the PNG files, so that unchanged plots stay byte-identical.
_METADATA = {"Software": None}


def confusion_plot(results: Results, task: str, out: Path) -> Path | None:
    """Plot the test confusion matrix of the best baseline on ``task``; None without one."""
    baseline = best_baseline(scores(results), task)
    if baseline is None:
        return None
    tests = runs(results, "official", baseline, task, "test")
    labels = tests[0]["metrics"]["confusion_matrix"]["labels"]
    matrix = sum(np.array(result["metrics"]["confusion_matrix"]["matrix"]) for result in tests)
    # Labels absent from both gold and predictions only add empty rows and columns.
    keep = [i for i in range(len(labels)) if matrix[i].sum() or matrix[:, i].sum()]
    matrix = matrix[np.ix_(keep, keep)]
    names = [labels[i] for i in keep]
    size = 2.5 + 0.45 * len(names)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    for (row, column), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        ax.text(column, row, str(count), ha="center", va="center", color=color, fontsize=8)
    seeds = f", summed over {len(tests)} seeds" if len(tests) > 1 else ""
    ax.set(xlabel="predicted", ylabel="gold", title=f"{task}: {baseline} (test{seeds})")
    fig.tight_layout()
    path = out / f"confusion_{task}.png"
    fig.savefig(path, dpi=100, metadata=_METADATA)
    plt.close(fig)
    return path


def ner_plot(results: Results, out: Path) -> Path | None:
    """Plot the test F1 per entity type of every NER baseline that finds entities; None if none."""
    baselines = sorted(
        {name.baseline for name in results if (name.scheme, name.task) == ("official", "ner")}
    )
    per_type, support = {}, {}
    for baseline in baselines:
        table = [
            r["metrics"]["per_label"] for r in runs(results, "official", baseline, "ner", "test")
        ]
        if not table:
            continue
        f1 = {label: np.mean([rows[label]["f1"] for rows in table]) for label in table[0]}
        if any(f1.values()):
            per_type[baseline] = f1
            support = {label: row["support"] for label, row in table[0].items() if row["support"]}
    if not per_type:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(per_type)
    for k, (baseline, f1) in enumerate(per_type.items()):
        values = [f1[label] for label in support]
        ax.bar(np.arange(len(support)) + k * width, values, width, label=baseline)
    ticks = [f"{label}\n({count})" for label, count in support.items()]
    ax.set_xticks(np.arange(len(support)) + width * (len(per_type) - 1) / 2, ticks)
    title = "NER: F1 per entity type, test (gold count; mean over seeds)"
    ax.set(ylim=(0, 1), ylabel="F1", title=title)
    ax.legend()
    fig.tight_layout()
    path = out / "ner_per_type.png"
    fig.savefig(path, dpi=100, metadata=_METADATA)
    plt.close(fig)
    return path


def draw_all(results: Results, out: Path = PLOTS) -> list[Path]:
    """Draw every plot for which ``results`` has official test results."""
    out.mkdir(parents=True, exist_ok=True)
    tasks = {name.task for name in results if (name.scheme, name.split) == ("official", "test")}
    paths = [confusion_plot(results, task, out) for task in CLASSIFICATION if task in tasks]
    if "ner" in tasks:
        paths.append(ner_plot(results, out))
    return paths
