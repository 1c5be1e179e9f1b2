"""Plots of the dataset statistics, for the dataset card."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# Fixed PNG metadata keeps the files byte-identical between builds.
_SAVE = {"dpi": 100, "metadata": {"Software": None}}


def label_distribution_per_document(stats: dict, path: Path) -> None:
    """Stacked bars of stance and frame labels for each document."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for axis, layer in zip(axes, ("stance", "frame"), strict=True):
        per_doc = stats["labels_per_document"][layer]
        docs = list(per_doc)
        bottom = [0] * len(docs)
        for label in next(iter(per_doc.values())):
            counts = [per_doc[doc][label] for doc in docs]
            axis.barh(docs, counts, left=bottom, label=label)
            bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
        axis.set_title(f"{layer} per document")
        axis.set_xlabel("units")
        axis.legend(fontsize=8, loc="lower right")
    axes[1].set_yticklabels([])
    _save(figure, path)


def frame_by_stance_heatmap(stats: dict, path: Path) -> None:
    """Heatmap of unit counts for each stance × frame pair."""
    table = stats["frame_by_stance"]
    stances, frames = list(table), list(next(iter(table.values())))
    values = [[table[s][f] for f in frames] for s in stances]
    figure, axis = plt.subplots(figsize=(5.5, 3.5))
    image = axis.imshow(values, cmap="Blues")
    axis.set_xticks(range(len(frames)), frames)
    axis.set_yticks(range(len(stances)), stances)
    axis.set_xlabel("frame")
    axis.set_ylabel("stance")
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            axis.text(j, i, str(value), ha="center", va="center", fontsize=9)
    figure.colorbar(image, ax=axis, shrink=0.8)
    axis.set_title("units by stance and frame")
    _save(figure, path)


def counts_bar(counts: dict[str, int], title: str, path: Path) -> None:
    """Horizontal bars of a label → count mapping (entity types, MFC dimensions)."""
    figure, axis = plt.subplots(figsize=(6.5, 0.3 * len(counts) + 1.2))
    labels = list(counts)
    axis.barh(labels, [counts[label] for label in labels], color="#4363d8")
    axis.invert_yaxis()
    axis.set_title(title)
    axis.set_xlabel("count")
    _save(figure, path)


def write_plots(stats: dict, folder: Path) -> list[Path]:
    """Write every plot of the card into ``folder`` and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "labels_per_document.png": lambda p: label_distribution_per_document(stats, p),
        "frame_by_stance.png": lambda p: frame_by_stance_heatmap(stats, p),
        "entity_types.png": lambda p: counts_bar(
            stats["entities"]["all"], "entity mentions by type", p
        ),
        "mfc_dimensions.png": lambda p: counts_bar(
            stats["labels"]["mfc"]["all"], "units by MFC primary dimension", p
        ),
    }
    for name, draw in paths.items():
        draw(folder / name)
    return [folder / name for name in paths]


def _save(figure, path: Path) -> None:
    figure.tight_layout()
    figure.savefig(path, **_SAVE)
    plt.close(figure)
