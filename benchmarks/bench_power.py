"""Time the power analysis of the four tasks under cross-validation, as the main job runs it.

Usage: ``python benchmarks/bench_power.py [--jobs N]``.

Runs :func:`baselines.significance.power_all` for the ``cv`` protocol only (churn calibrated on
the committed out-of-fold predictions, then the low, median and high churn simulated for each
task from its best baseline, 200 simulations of 1000 trials per effect size) into a temporary
folder, and prints the wall-clock and CPU seconds with the machine's load average before the run.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import migbench
from baselines import significance
from baselines.summary import best_baseline, load_results, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    summary = scores(load_results())
    best = {("cv", task, "all"): best_baseline(summary, task) for task in migbench.TASKS}
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the run")
    with tempfile.TemporaryDirectory() as folder:
        wall, cpu = time.perf_counter(), time.process_time()
        written = significance.power_all(
            {k: v for k, v in best.items() if v},
            out=Path(folder),
            protocols=(("cv", "all"),),
            n_jobs=args.jobs,
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for path in written:
            result = json.loads(path.read_text(encoding="utf-8"))
            sizes = sum(len(analysis["curve"]) for analysis in result["analyses"])
            print(f"{result['task']:<8}{sizes:>4} effect sizes simulated")
    print(f"wall {wall:.0f} s on {args.jobs} processes (main-process CPU {cpu:.0f} s)")


if __name__ == "__main__":
    main()
