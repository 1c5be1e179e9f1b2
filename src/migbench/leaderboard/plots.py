"""One plot per task for the leaderboard: each system's main score and interval, per protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_COLOURS = ("#3a7d44", "#4363d8", "#f58231", "#911eb4", "#808080")


def task_plot(task: str, tables: list[dict[str, Any]], folder: Path) -> Path:
    """Draw ``TASK.png`` in ``folder``: one panel per protocol, systems best first.

    Bars are main scores, whiskers the 95 % intervals; the colour is the system's group (group
    1, the systems the tests cannot separate from the best, in green).
    """
    height = max(len(table["rows"]) for table in tables)
    inches = 0.28 * height + 1.4
    figure, axes = plt.subplots(1, len(tables), figsize=(4.2 * len(tables), inches), squeeze=False)
    # Fixed margins (tight_layout measures every label: seconds for 50 systems).
    figure.subplots_adjust(
        left=0.1, right=0.98, wspace=0.5, top=1 - 0.6 / inches, bottom=0.55 / inches
    )
    for axis, table in zip(axes[0], tables, strict=True):
        rows = table["rows"]
        positions = range(len(rows))
        scores = [row["main_score"] for row in rows]
        low = [row["main_score"] - row["ci"]["low"] if row["ci"] else 0 for row in rows]
        high = [row["ci"]["high"] - row["main_score"] if row["ci"] else 0 for row in rows]
        colours = [_COLOURS[min(row["group"], len(_COLOURS)) - 1] for row in rows]
        axis.barh(positions, scores, xerr=[low, high], color=colours, ecolor="#333", capsize=2)
        axis.scatter(scores, positions, color=colours, edgecolors="#333", s=14, zorder=3)
        axis.set_yticks(list(positions), [row["name"] for row in rows], fontsize=8)
        axis.set_ylim(height - 0.5, -0.5)
        axis.set_xlim(0, 1)
        axis.set_xlabel(table["main_metric"])
        axis.set_title(f"{task} · {table['protocol']}", fontsize=10)
        axis.grid(axis="x", alpha=0.3)
    figure.suptitle("main score with 95 % interval; green: not separable from the best", fontsize=9)
    path = folder / f"{task}.png"
    figure.savefig(path, dpi=100, metadata={"Software": None})  # no version: byte-identical
    plt.close(figure)
    return path
