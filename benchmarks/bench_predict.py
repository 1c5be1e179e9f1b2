"""Throughput and peak memory of ``migbench predict`` with each released model.

Usage: ``python benchmarks/bench_predict.py [--units 10000] [--memory-units 1000000]
[--memory-seconds 120] [--tasks ...] [--ray-units 2000] [--out benchmarks/bench_predict.txt]``.

Inputs are JSONL units cycling through the dataset's unit texts, in documents of 30 units (so
the stance model has neighbours), written to a temporary folder that is removed at the end.

- Throughput: each task's model predicts all ``--units`` units, run to completion, with the
  default two worker processes and again with ``--workers 1`` (the model in the run's own
  process, using both cores); the rate is the units its checkpoint records between the first
  checkpoint after a batch (the models loaded, the first batch done) and the end, over the time
  between them. The whole run's wall time, start-up included, is printed too.
- Memory: each task's model runs on the ``--memory-units`` input for at most
  ``--memory-seconds``; the memory of the process and its workers is sampled every 0.2 s as the
  sum of their proportional set sizes (PSS: a page shared by n processes counts 1/n in each, so
  the sum is the memory the run holds) and of their resident sizes (RSS, which counts shared
  pages once per process), and the units done by then are printed, with the PSS peak over the
  first and the second half of that time (equal halves mean the memory does not grow with the
  input).
- The classifiers again with ``--precision bfloat16``, their labels compared with float32's.
- The hours 10 million units would take at each measured rate, on one such machine.
- With ``--ray-units``, the ray engine with one and two workers on that many units and on five
  times as many: the difference between the two runs is the rate beyond Ray's start-up and the
  workers' model loading.

The load averages of the machine (1, 5, 15 minutes) are printed before and after the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
DOCUMENT_UNITS = 30
#: Seconds between two samples of memory and progress.
SAMPLE_S = 0.2
TARGETS = {"stance": 300, "frame": 300, "mfc": 300, "ner": 500}
MEMORY_TARGET_MB = 1.5 * 1000
#: The corpus size the issue asks an expected time for.
LARGE_CORPUS = 10_000_000


def write_input(path: Path, units: int, *, neighbours: bool = False) -> None:
    """Write ``units`` JSONL units cycling through the dataset's texts."""
    texts = [
        text
        for part in sorted((REPO / "dataset" / "data" / "all").glob("*.parquet"))
        for text in pq.read_table(part, columns=["text"]).column("text").to_pylist()
    ]
    with path.open("w", encoding="utf-8") as stream:
        for i in range(units):
            doc, position = divmod(i, DOCUMENT_UNITS)
            row = {"id": f"u{i}", "doc_id": f"d{doc}", "text": texts[i % len(texts)]}
            if neighbours:
                first, last = position == 0, position == DOCUMENT_UNITS - 1 or i == units - 1
                row["prev_text"] = "" if first else texts[(i - 1) % len(texts)]
                row["next_text"] = "" if last else texts[(i + 1) % len(texts)]
            stream.write(json.dumps(row) + "\n")


def predict_command(source: Path, task: str, out: Path, *options: str) -> list[str]:
    """Return the ``migbench predict`` command line of a run."""
    model = ["--model", task, "--out", str(out)]
    return [sys.executable, "-m", "migbench", "predict", str(source), *model, *options]


def _memory(process: psutil.Process) -> tuple[int, int]:
    """Return the summed PSS and RSS of a process and its children, in bytes."""
    pss = rss = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            found = member.memory_full_info()
            pss, rss = pss + found.pss, rss + found.rss
    return pss, rss


def watch(
    task: str, source: Path, out: Path, seconds: float | None, *options: str
) -> dict[str, Any]:
    """Run predict until it ends or ``seconds`` pass; return its samples of progress and memory.

    Memory is sampled only in a timed run (``seconds``): reading the workers' page maps takes CPU
    time from the run, which would lower a measured rate.

    Returns:
        ``samples`` of (seconds since start, units checkpointed, PSS bytes, RSS bytes), the wall
        time, whether the run finished, and the output's ``lines`` if it did.
    """
    command = predict_command(source, task, out, *options)
    started = time.monotonic()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    watched = psutil.Process(process.pid)
    checkpoint = out.with_name(out.name + ".progress.json")
    samples: list[tuple[float, int, int, int]] = []
    units = 0
    while process.poll() is None:
        elapsed = time.monotonic() - started
        if seconds is not None and elapsed > seconds:
            break
        try:
            pss, rss = _memory(watched) if seconds is not None else (0, 0)
        except psutil.NoSuchProcess:
            break
        with contextlib.suppress(OSError, json.JSONDecodeError, KeyError):
            units = json.loads(checkpoint.read_text())["units"]
        samples.append((elapsed, units, pss, rss))
        time.sleep(SAMPLE_S)
    finished = process.poll() is not None
    if not finished:
        process.kill()
    _, errors = process.communicate()
    wall = time.monotonic() - started
    if finished and process.returncode != 0:
        raise SystemExit(f"{task}: predict failed:\n{errors.decode()[-2000:]}")
    lines = out.read_bytes().splitlines() if finished else []
    if finished:
        samples.append((wall, len(lines), *(samples[-1][2:] if samples else (0, 0))))
    for leftover in out.parent.glob(out.name + "*"):
        leftover.unlink()
    return {"samples": samples, "wall": wall, "finished": finished, "lines": lines}


def throughput(samples: list[tuple[float, int, int, int]]) -> tuple[float, int]:
    """Return the units per second after the first batch, and the units done."""
    done = [(at, units) for at, units, *_ in samples if units]
    (first_at, first_units), (last_at, last_units) = done[0], done[-1]
    rate = (last_units - first_units) / (last_at - first_at) if last_at > first_at else 0.0
    return rate, last_units


def ray_wall(folder: Path, size: int, workers: int) -> float:
    """Return the seconds the ray engine takes to predict the ``size``-unit input."""
    out = folder / f"ray{size}-{workers}.jsonl"
    options = ("--engine", "ray", "--workers", str(workers))
    command = predict_command(folder / f"ray{size}.jsonl", "stance", out, *options)
    started = time.monotonic()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.monotonic() - started
    out.unlink()
    return wall


def load() -> str:
    """Return the load averages of the machine, 1, 5 and 15 minutes."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--memory-units", type=int, default=1_000_000)
    parser.add_argument("--memory-seconds", type=float, default=120)
    parser.add_argument("--tasks", nargs="+", default=list(TARGETS))
    parser.add_argument("--ray-units", type=int, default=2_000, help="0: no ray runs")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    folder = Path(tempfile.mkdtemp(prefix="migbench-bench-"))
    try:
        say(f"{psutil.cpu_count()} cores; load average (1, 5, 15 min) before: {load()}")
        source = folder / "in.jsonl"
        write_input(source, args.units)
        say(
            f"throughput on {args.units:,} units (target units/s; batch size and workers the "
            "defaults):"
        )
        outputs = {}
        rates: dict[str, dict[str, float]] = {"float32": {}, "bfloat16": {}}
        for task in args.tasks:
            found = watch(task, source, folder / f"{task}.jsonl", None)
            outputs[task] = found["lines"]
            rate, units = throughput(found["samples"])
            rates["float32"][task] = rate
            verdict = "met" if rate >= TARGETS[task] else "MISSED"
            say(
                f"  {task:<7}{rate:>7.0f} units/s after the first batch  ({units:,} units, "
                f"{found['wall']:.0f} s wall with start-up; target {TARGETS[task]}: {verdict})"
            )
        say("with --workers 1 (the same input; labels compared with the default's):")
        for task in args.tasks:
            found = watch(task, source, folder / f"{task}.one.jsonl", None, "--workers", "1")
            rate, units = throughput(found["samples"])
            same = sum(a == b for a, b in zip(found["lines"], outputs[task], strict=True))
            say(
                f"  {task:<7}{rate:>7.0f} units/s after the first batch; labels equal to the "
                f"default's on {same:,} of {units:,} units"
            )
        classifiers = [task for task in args.tasks if task != "ner"]
        if classifiers:
            say("with --precision bfloat16 (the same input; labels compared with float32's):")
        for task in classifiers:
            out = folder / f"{task}.bf16.jsonl"
            found = watch(task, source, out, None, "--precision", "bfloat16")
            rate, units = throughput(found["samples"])
            rates["bfloat16"][task] = rate
            same = sum(a == b for a, b in zip(found["lines"], outputs[task], strict=True))
            verdict = "met" if rate >= TARGETS[task] else "MISSED"
            say(
                f"  {task:<7}{rate:>7.0f} units/s after the first batch  (target "
                f"{TARGETS[task]}: {verdict}); labels equal to float32's on {same:,} of "
                f"{units:,} units"
            )
        say(f"hours for {LARGE_CORPUS:,} units at these rates on one such machine:")
        for precision, measured in rates.items():
            hours = [f"{task} {LARGE_CORPUS / rate / 3600:.1f}" for task, rate in measured.items()]
            if hours:
                say(f"  {precision:<9}" + ", ".join(hours))
        if args.memory_units:
            big = folder / "big.jsonl"
            write_input(big, args.memory_units)
            say(
                f"peak memory on a {args.memory_units:,}-unit input "
                f"({big.stat().st_size / 2**20:.0f} MiB), first {args.memory_seconds:.0f} s "
                f"of each run (target {MEMORY_TARGET_MB:.0f} MB):"
            )
            for task in args.tasks:
                found = watch(task, big, folder / f"{task}.big.jsonl", args.memory_seconds)
                samples = found["samples"]
                half = found["wall"] / 2
                first = max((pss for at, _, pss, _ in samples if at <= half), default=0)
                second = max((pss for at, _, pss, _ in samples if at > half), default=0)
                peak = max(first, second) / 1e6
                rss = max((rss for *_, rss in samples), default=0) / 1e6
                verdict = "met" if peak <= MEMORY_TARGET_MB else "MISSED"
                say(
                    f"  {task:<7}{peak:>6.0f} MB peak PSS  (first half {first / 1e6:.0f} MB, "
                    f"second half {second / 1e6:.0f} MB; peak RSS sum {rss:.0f} MB; "
                    f"{throughput(samples)[1]:,} units done; {verdict})"
                )
        if args.ray_units:
            sizes = (args.ray_units, 5 * args.ray_units)
            for size in sizes:
                write_input(folder / f"ray{size}.jsonl", size, neighbours=True)
            for workers in (1, 2):
                walls = [ray_wall(folder, size, workers) for size in sizes]
                rate = (sizes[1] - sizes[0]) / (walls[1] - walls[0])
                say(
                    f"ray, stance, {workers} worker(s): {sizes[0]:,} units in {walls[0]:.0f} s, "
                    f"{sizes[1]:,} in {walls[1]:.0f} s: {rate:.0f} units/s beyond start-up "
                    f"({rate / workers:.0f} per worker)"
                )
        say(f"load average (1, 5, 15 min) after: {load()}")
    finally:
        shutil.rmtree(folder)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
