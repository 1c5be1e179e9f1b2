"""Time ``migbench compare`` on two synthetic 100,000-unit submissions per task, 10,000 trials.

Usage: ``python benchmarks/bench_compare.py [--units N] [--trials N] [--repeat N]``.

Uses the synthetic gold and submissions of ``bench_scorer.py`` (two independent submissions per
task, each right about four times in five), its units in sections of ``--section`` units, loads
the gold once, then times :func:`migbench.compare` with that gold: reading and checking both
submissions, and the paired bootstrap and approximate randomization tests resampling whole
sections with ``--trials`` trials each (no more: ``max_trials`` is ``--trials``, so that the
time does not depend on how close a p-value falls to alpha). Wall-clock and CPU
seconds are the best of ``--repeat`` runs: CPU time above wall time means the tests ran on more
than one core, below it that other processes held the cores (the load average is printed).
Imports are not counted.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from pathlib import Path

from bench_scorer import best_time, predict, synthetic_unit, write_jsonl

import migbench
import migbench.scoring.scorer  # noqa: F401  (imported here, not in the first timing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--section", type=int, default=5, help="units per section")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(0)
    gold_rows = [
        {**synthetic_unit(rng, number), "section": f"s{number // args.section}"}
        for number in range(args.units)
    ]
    with tempfile.TemporaryDirectory() as folder:
        gold_path = Path(folder) / "gold.jsonl"
        write_jsonl(gold_path, gold_rows)
        gold = migbench.Gold(file=gold_path)
        print(
            f"{args.units} units in sections of {args.section}, two submissions, "
            f"{args.trials} trials resampling sections, best of {args.repeat}"
        )
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before the runs")
        header = f"{'task':<8}{'wall s':>8}{'cpu s':>8}{'a - b':>9}{'p boot':>9}{'p rand':>9}"
        print(f"{header}  resampled")
        for task, field in (("stance", "stance"), ("frame", "frame"), ("mfc", "mfc"),
                            ("ner", "ner_tags")):  # fmt: skip
            scorer = migbench.Scorer(task, gold)
            _ = scorer.units  # the gold is loaded once, before the timing, as a scorer keeps it
            paths = []
            for name in ("a", "b"):
                paths.append(Path(folder) / f"{field}.{name}.jsonl")
                write_jsonl(paths[-1], [predict(rng, row, field) for row in gold_rows])
            wall, cpu, result = best_time(
                lambda scorer=scorer, paths=paths: scorer.compare(
                    paths, n_trials=args.trials, max_trials=args.trials
                ),
                args.repeat,
            )
            (pair,) = result["pairs"]
            print(
                f"{task:<8}{wall:>8.2f}{cpu:>8.2f}{pair['difference']:>9.4f}"
                f"{pair['p_bootstrap']:>9.4f}{pair['p_randomization']:>9.4f}"
                f"  {result['n_resampled']} {result['resampling_unit']}s"
            )


if __name__ == "__main__":
    main()
