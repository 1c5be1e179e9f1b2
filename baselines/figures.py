"""Draw the plots of ``RESULTS.md`` from the result files (the headline protocol).

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
from matplotlib.figure import Figure  # noqa: E402

from baselines.data import CLASSIFICATION, TASKS  # noqa: E402
from baselines.paths import PLOTS  # noqa: E402
from baselines.summary import (  # noqa: E402
    HEADLINE,
    Results,
    Score,
    best_baseline,
    runs,
    scores,
)

#: No software version or date in the PNG files, so that unchanged plots stay byte-identical.
_METADATA = {"Software": None}


def scores_panels(results: Results) -> dict[str, list[tuple[str, Score]]]:
    """Return, per task with headline results, each baseline's headline score, by name.

    The scores plot draws exactly these records, and the results table reads the same
    :func:`~baselines.summary.scores`.
    """
    summary = scores(results)
    scheme, split = HEADLINE
    panels = {
        task: sorted(
            (baseline, score)
            for (s, baseline, t, x), score in summary.items()
            if (s, t, x) == (scheme, task, split)
        )
        for task in TASKS
    }
    return {task: named for task, named in panels.items() if named}


def scores_figure(results: Results) -> Figure | None:
    """Draw every baseline's headline main score per task, with its interval or seed spread.

    Each task has its own panel with its own baseline names: the panels share no axis, since
    the tasks have different baselines.
    """
    panels = scores_panels(results)
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(3.4 * len(panels), 3.8))
    for ax, (task, named) in zip(np.atleast_1d(axes), panels.items(), strict=True):
        names = [name for name, _ in named]
        means = np.array([score.mean for _, score in named])
        low = [s.ci[0] if s.ci else s.mean - s.std for _, s in named]
        high = [s.ci[1] if s.ci else s.mean + s.std for _, s in named]
        errors = np.array([means - low, np.array(high) - means])
        ax.barh(range(len(names)), means, xerr=errors, color="tab:blue", capsize=2)
        ax.set_yticks(range(len(names)), names, fontsize=7)
        metric = results[next(n for n in results if (n.protocol, n.task) == (HEADLINE[0], task))]
        ax.set(xlim=(0, 1), title=f"{task} ({metric['main_metric']})")
    fig.suptitle("Full-corpus cross-validation: 95 % interval (one run) or ± sd (seeds)")
    fig.tight_layout()
    return fig


def scores_plot(results: Results, out: Path) -> Path | None:
    """Save :func:`scores_figure` as ``scores.png`` in ``out``; None without headline results."""
    fig = scores_figure(results)
    if fig is None:
        return None
    path = out / "scores.png"
    fig.savefig(path, dpi=100, metadata=_METADATA)
    plt.close(fig)
    return path


def confusion_plot(results: Results, task: str, out: Path) -> Path | None:
    """Plot the headline confusion matrix of the best baseline on ``task``; None without one."""
    baseline = best_baseline(scores(results), task)
    if baseline is None:
        return None
    tests = runs(results, *HEADLINE[:1], baseline, task, HEADLINE[1])[:1]
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
    ax.set(xlabel="predicted", ylabel="gold", title=f"{task}: {baseline} (cross-validation)")
    fig.tight_layout()
    path = out / f"confusion_{task}.png"
    fig.savefig(path, dpi=100, metadata=_METADATA)
    plt.close(fig)
    return path


def ner_plot(results: Results, out: Path) -> Path | None:
    """Plot the headline F1 per entity type of every NER baseline that finds entities."""
    scheme, split = HEADLINE
    baselines = sorted({n.baseline for n in results if (n.protocol, n.task) == (scheme, "ner")})
    per_type, support = {}, {}
    for baseline in baselines:
        table = [r["metrics"]["per_label"] for r in runs(results, scheme, baseline, "ner", split)]
        if not table:
            continue
        f1 = {label: np.mean([rows[label]["f1"] for rows in table]) for label in table[0]}
        if any(f1.values()):
            per_type[baseline] = f1
            support = {label: row["support"] for label, row in table[0].items() if row["support"]}
    if not per_type:
        return None
    fig, ax = plt.subplots(figsize=(8.5, 3.5), layout="constrained")
    width = 0.8 / len(per_type)
    for k, (baseline, f1) in enumerate(per_type.items()):
        values = [f1[label] for label in support]
        ax.bar(np.arange(len(support)) + k * width, values, width, label=baseline)
    ticks = [f"{label}\n({count})" for label, count in support.items()]
    ax.set_xticks(np.arange(len(support)) + width * (len(per_type) - 1) / 2, ticks)
    title = "NER: F1 per entity type, cross-validation (gold count; mean over seeds)"
    ax.set(ylim=(0, 1), ylabel="F1", title=title)
    # Beside the axes: inside, it hid bars.
    fig.legend(loc="outside right upper")
    path = out / "ner_per_type.png"
    fig.savefig(path, dpi=100, metadata=_METADATA)
    plt.close(fig)
    return path


def draw_all(results: Results, out: Path = PLOTS) -> list[Path]:
    """Draw every plot for which ``results`` has headline results."""
    out.mkdir(parents=True, exist_ok=True)
    tasks = {name.task for name in results if (name.protocol, name.split) == HEADLINE}
    paths = [scores_plot(results, out)]
    paths += [confusion_plot(results, task, out) for task in CLASSIFICATION if task in tasks]
    if "ner" in tasks:
        paths.append(ner_plot(results, out))
    return [path for path in paths if path is not None]
