"""Time the main job against its budgets.

Usage: ``python benchmarks/bench_baselines.py [--report-only]``.

Runs the whole main job (``make run``), whose steps record their wall times in
``baselines/timings.json``: each stage of ``python -m baselines.run_all``, then the release and
the reproduction of the models, and ``main job``, the three together. Prints them with the
budgets of ``baselines.run_all.BUDGETS`` and exits 1 if a stage is over its budget or was not
recorded. ``--report-only`` reports the last full run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the baselines are scripts beside the package, not installed

from baselines.paths import TIMINGS  # noqa: E402


def report(timings: dict) -> list[str]:
    """Return one line per budget: the measured seconds, the budget, and whether it holds."""
    lines = []
    for name, budget in timings["budgets"].items():
        seconds = timings["stages"].get(name)
        if seconds is None:
            lines.append(f"{name:<40}{'–':>8}    budget {budget:>5} s  NOT RECORDED")
            continue
        verdict = "ok" if seconds <= budget else "OVER BUDGET"
        lines.append(f"{name:<40}{seconds:>8.0f} s  budget {budget:>5} s  {verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the main job (unless ``--report-only``) and report its timings; 1 if over budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report-only", action="store_true", help="do not rerun the job")
    args = parser.parse_args(argv)
    if not args.report_only:
        subprocess.run(["make", "run"], cwd=REPO, check=True)
    timings = json.loads(TIMINGS.read_text(encoding="utf-8"))
    print(f"{timings['cpus']} CPU cores, {timings['device']}")
    for stage, seconds in timings["stages"].items():
        print(f"  {stage:<38}{seconds:>8.1f} s")
    for job in timings["fine_tuning_jobs"]:
        run = f"{job['baseline']} {job['task']} {job['protocol']} seed {job['seed']}"
        print(f"  {run:<38}{job['seconds']:>8.1f} s")
    lines = report(timings)
    print("\n".join(lines))
    return int(not lines or any(not line.endswith(" ok") for line in lines))


if __name__ == "__main__":
    sys.exit(main())
