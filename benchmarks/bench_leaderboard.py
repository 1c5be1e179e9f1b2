"""Time ``migbench leaderboard`` on 50 systems x 4 tasks x 3 protocols, and ``migbench submit``.

Usage: python benchmarks/bench_leaderboard.py [--out benchmarks/bench_leaderboard.txt]

Wall and CPU seconds of each command are printed; the budgets are on wall time.

The build: a store of 50 systems is made from the committed store's records (each copied
under new names, cycling through the baselines; every system enters all 12 tables, a table
missing from a baseline taken from another), with a paired test for every pair of every table
whose p-values are drawn at random: the build reads them as it reads real ones, so its time does
not depend on them. Budget: 10 s.

The submit: one baseline's 12 files into a copy of the committed store (a test against every
system of each table with migbench compare, 10,000 trials). Budget: 5 s.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STORE = REPO / "leaderboard" / "results"
BUDGETS = {"leaderboard (50 systems x 4 tasks x 3 protocols)": 10.0, "submit (one system)": 5.0}


def synthetic_store(folder: Path, n_systems: int = 50, seed: int = 0) -> None:
    """Write a store of ``n_systems`` systems built from the committed records."""
    rng = random.Random(seed)
    records = [json.loads((p / "results.json").read_text()) for p in sorted(STORE.iterdir())]
    by_table: dict[str, list[tuple[dict, dict]]] = {}
    for record in records:
        for result in record["results"]:
            by_table.setdefault(result["table"], []).append((record, result))
    names = [f"system-{i:02d}" for i in range(n_systems)]
    results: dict[str, list[dict]] = {name: [] for name in names}
    for table, entries in sorted(by_table.items()):
        for i, name in enumerate(names):
            _, result = entries[i % len(entries)]
            results[name].append({**result, "sha256": f"{table}-{name}"})
    for name in names:
        record = {
            "name": name,
            "card": {**records[0]["card"], "name": name},
            "results": results[name],
            "pairs": [],
        }
        (folder / name).mkdir(parents=True)
        for result in results[name]:
            source = STORE / records[0]["name"] / f"{result['table']}.jsonl"
            if source.exists():
                shutil.copyfile(source, folder / name / f"{result['table']}.jsonl")
        if name == names[0]:
            record["pairs"] = [
                {
                    "table": table,
                    "a": a,
                    "b": b,
                    "difference": 0.0,
                    "p_randomization": rng.random() ** 4,
                    "p_bootstrap": rng.random() ** 4,
                    "sha256_a": f"{table}-{a}",
                    "sha256_b": f"{table}-{b}",
                    "n_trials": 100_000,
                }
                for table in sorted(by_table)
                for a, b in itertools.combinations(names, 2)
            ]
        (folder / name / "results.json").write_text(json.dumps(record))


def timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall and CPU seconds (the CPU time does not depend on load)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    migbench = [sys.executable, "-m", "migbench"]
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        synthetic_store(store)
        build = [*migbench, "leaderboard", "--store", str(store), "--out", str(Path(tmp) / "site")]
        seconds["leaderboard (50 systems x 4 tasks x 3 protocols)"] = timed(build)
        copy = Path(tmp) / "copy"
        shutil.copytree(STORE, copy)
        submission = Path(tmp) / "transformer"
        sys.path.insert(0, str(REPO))
        from baselines.leaderboard import submission_folder

        submission_folder("transformer", submission)
        seconds["submit (one system)"] = timed(
            [*migbench, "submit", str(submission), "--store", str(copy)]
        )
    lines = [f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} after the runs"]
    lines.append(f"{'':<52}{'wall s':>8}{'cpu s':>8}  budget (wall)")
    lines += [
        f"{what:<52}{wall:8.2f}{cpu:8.2f}  {BUDGETS[what]:.0f} s: "
        f"{'met' if wall <= BUDGETS[what] else 'MISSED'}"
        for what, (wall, cpu) in seconds.items()
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
