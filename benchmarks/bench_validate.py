"""Peak memory and time of ``migbench validate`` on a 100,000-line submission, every line bad.

Usage: ``python benchmarks/bench_validate.py [--lines N]``.

Writes two cases to a temporary folder and runs ``migbench validate`` on each in a fresh
process, reporting its wall-clock seconds (interpreter start-up and imports included) and its
peak resident memory (``VmHWM``); CPU seconds are the steadier figure on a busy machine:

- ``bad lines``: every line a JSON object with an unknown id and an unknown label, against the
  12-unit test gold: the cost of reading and reporting the submission alone;
- ``bad labels``: a line for every unit of a synthetic ``--lines``-unit gold (``bench_scorer``'s),
  each with an unknown label: the whole run, the gold's loading included.

The target (docs/SECURITY.md): under 500 MB and at most 5 s for the submission.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_scorer import synthetic_unit  # noqa: E402

#: Runs the CLI, then reports the process's peak resident memory (VmHWM, which a fork's pages
#: before ``exec`` do not count in, unlike ``ru_maxrss``) as the last line of stderr.
_CHILD = """
import re, sys
from migbench.cli import main
code = main(sys.argv[1:])
status = open("/proc/self/status", encoding="utf-8").read()
print("peak", re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1), file=sys.stderr)
sys.exit(code)
"""


def measure(submission: Path, gold: Path) -> tuple[float, float, float, str]:
    """Run ``migbench validate`` in a new process; return wall and CPU seconds, peak MB and the
    last line of its report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "validate",
            "--task",
            "stance",
            str(submission),
            "--gold",
            str(gold),
        ],  # fmt: skip
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    *report, peak = process.stderr.strip().splitlines()
    if process.returncode != 1 or not peak.startswith("peak "):
        raise SystemExit(f"unexpected run: exit {process.returncode}\n{process.stderr[-2000:]}")
    return seconds, cpu, int(peak.split()[1]) / 1024, report[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bad_lines = Path(folder) / "bad_lines.jsonl"
        bad_lines.write_text(
            "".join(
                json.dumps({"id": f"nobody-{n:06d}", "stance": "maybe"}) + "\n"
                for n in range(args.lines)
            ),
            encoding="utf-8",
        )
        rng = random.Random(0)
        gold = Path(folder) / "gold.jsonl"
        rows = [synthetic_unit(rng, number) for number in range(args.lines)]
        gold.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        bad_labels = Path(folder) / "bad_labels.jsonl"
        bad_labels.write_text(
            "".join(json.dumps({"id": row["id"], "stance": "maybe"}) + "\n" for row in rows),
            encoding="utf-8",
        )
        print(f"{args.lines} lines, every one bad; one fresh process each")
        print(f"{'case':<12}{'gold units':>12}{'wall s':>8}{'cpu s':>8}{'peak MB':>9}  last line")
        for name, submission, gold_path, units in (
            ("bad lines", bad_lines, REPO / "tests/fixtures/gold.jsonl", 12),
            ("bad labels", bad_labels, gold, args.lines),
        ):
            seconds, cpu, peak, last = measure(submission, gold_path)
            print(f"{name:<12}{units:>12}{seconds:>8.2f}{cpu:>8.2f}{peak:>9.0f}  {last.strip()}")


if __name__ == "__main__":
    main()
