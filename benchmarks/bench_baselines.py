"""Time the baselines' main job against its budgets.

Usage: ``python benchmarks/bench_baselines.py [--report-only]``.

Runs the whole main job (``python -m baselines.run_all``: seeds, build, every baseline, scoring,
table), which records the wall time of each stage and of each transformer run in
``baselines/timings.json``; then prints them next to their budgets (all scikit-learn and CRF
baselines together 2 min, the transformer 10 min per task and seed, the whole job 45 min) and
exits 1 if one is over. ``--report-only`` reports the timings of the last full run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the baselines are scripts beside the package, not installed

from baselines import run_all  # noqa: E402
from baselines.paths import TIMINGS  # noqa: E402


def report(timings: dict) -> list[str]:
    """Return one line per budget: the measured seconds, the budget, and whether it holds."""
    stages = timings["stages"]
    jobs = timings["transformer_jobs"]
    measured = {
        "scikit-learn and CRF baselines": stages["scikit-learn and CRF baselines"],
        "transformer per task and seed": max((job["seconds"] for job in jobs), default=0.0),
        "total": stages["total"],
    }
    lines = []
    for name, budget in timings["budgets"].items():
        verdict = "ok" if measured[name] <= budget else "OVER BUDGET"
        lines.append(f"{name:<32}{measured[name]:>8.0f} s  budget {budget:>5} s  {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the main job (unless ``--report-only``) and report its timings; 1 if over budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report-only", action="store_true", help="do not rerun the job")
    args = parser.parse_args(argv)
    if not args.report_only:
        run_all.main([])
    timings = json.loads(TIMINGS.read_text(encoding="utf-8"))
    print(f"{timings['cpus']} CPU cores, {timings['device']}")
    for stage, seconds in timings["stages"].items():
        print(f"  {stage:<34}{seconds:>8.1f} s")
    for job in timings["transformer_jobs"]:
        print(f"  transformer {job['task']:<6} seed {job['seed']}{job['seconds']:>18.1f} s")
    lines = report(timings)
    print("\n".join(lines))
    return int(any(line.endswith("OVER BUDGET") for line in lines))


if __name__ == "__main__":
    sys.exit(main())
