"""The baselines' plots: what a drawn figure shows is what the result files hold."""

from __future__ import annotations

import json

import pytest

# The figures are drawn from the committed result files.
pytestmark = pytest.mark.integration

pytest.importorskip("matplotlib")

from matplotlib.container import ErrorbarContainer  # noqa: E402

from baselines import figures  # noqa: E402
from baselines.paths import RESULTS, parse_name  # noqa: E402
from baselines.summary import HEADLINE, load_results  # noqa: E402


def _headline_records() -> dict[str, dict[str, tuple[float, float, float]]]:
    """Read the result files directly: per task, each baseline's (mean, low, high)."""
    by_run: dict[tuple[str, str], list[dict]] = {}
    for path in sorted(RESULTS.rglob("*.json")):
        name = parse_name(path.relative_to(RESULTS))
        if (name.protocol, name.split) == HEADLINE:
            by_run.setdefault((name.task, name.baseline), []).append(
                json.loads(path.read_text(encoding="utf-8"))
            )
    records: dict[str, dict[str, tuple[float, float, float]]] = {}
    for (task, baseline), runs in by_run.items():
        values = [run["main_score"] for run in runs]
        mean = sum(values) / len(values)
        if len(runs) == 1:
            low, high = runs[0]["ci"]["low"], runs[0]["ci"]["high"]
        else:
            sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
            low, high = mean - sd, mean + sd
        records.setdefault(task, {})[baseline] = (mean, low, high)
    return records


def test_scores_figure_labels_each_panel_with_its_own_baselines_and_their_scores():
    fig = figures.scores_figure(load_results())
    assert fig is not None
    expected = _headline_records()
    drawn = {}
    for ax in fig.axes:
        task = ax.get_title().split(" (")[0]
        labels = [tick.get_text() for tick in ax.get_yticklabels()]
        positions = list(ax.get_yticks())
        bars = {round(bar.get_y() + bar.get_height() / 2): bar.get_width() for bar in ax.patches}
        drawn[task] = {label: bars[round(y)] for label, y in zip(labels, positions, strict=True)}
        # One bar per label, and no label without its bar.
        assert len(ax.patches) == len(labels)
        # The error bars: segments from low to high at each bar's position.
        (errorbars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        (errorbar,) = errorbars.lines[2]
        for segment, label in zip(errorbar.get_segments(), labels, strict=True):
            (low, _), (high, _) = segment
            assert (low, high) == pytest.approx(expected[task][label][1:], abs=1e-12)
    assert set(drawn) == set(expected)
    for task, bars in drawn.items():
        assert bars == pytest.approx({b: mean for b, (mean, _, _) in expected[task].items()})
