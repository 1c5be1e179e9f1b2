"""Throughput and memory of ``migbench predict`` with each released model, on a large input.

Usage: ``python benchmarks/bench_predict.py [--units 1000000] [--seconds 120] [--tasks ...]
[--ray-units 4000]``.

Writes an input of ``--units`` units (the dataset's unit texts in turn, documents of 30 units,
so the stance model has neighbours) to a temporary folder, then for each task runs
``migbench predict`` on it for ``--seconds``, sampling the resident memory of the process every
0.2 s; the throughput is the units its checkpoint records between the first checkpoint (the
model loaded) and the last, over the time between them. Then, with ``--ray-units``, the ray
engine on that many units with one and with two workers (wall time, model loading included).
The report goes to stdout; the temporary folder is removed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
DOCUMENT_UNITS = 30


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


def measure(task: str, source: Path, out: Path, seconds: float) -> dict:
    """Run predict for ``seconds``; return its steady throughput and peak memory."""
    command = predict_command(source, task, out, "--batch-size", "256")
    process = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    watched = psutil.Process(process.pid)
    checkpoint = out.with_name(out.name + ".progress.json")
    peak, samples = 0, []
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < seconds:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        if checkpoint.exists():
            try:
                units = json.loads(checkpoint.read_text())["units"]
            except (json.JSONDecodeError, KeyError):
                units = None
            if units and (not samples or samples[-1][1] != units):
                samples.append((time.monotonic(), units))
        time.sleep(0.2)
    process.kill()
    process.wait()
    for leftover in out.parent.glob(out.name + "*"):
        leftover.unlink()
    (first_time, first_units), (last_time, last_units) = samples[0], samples[-1]
    rate = (last_units - first_units) / (last_time - first_time) if last_time > first_time else 0
    return {
        "task": task,
        "units_per_s": rate,
        "units_done": last_units,
        "peak_rss_mb": peak / 2**20,
    }


def ray_run(source: Path, out: Path, workers: int) -> float:
    """Return the wall time of one ray-engine run of the stance model."""
    command = predict_command(source, "stance", out, "--engine", "ray", "--workers", str(workers))
    started = time.monotonic()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--tasks", nargs="+", default=["stance", "frame", "mfc", "ner"])
    parser.add_argument("--ray-units", type=int, default=0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="migbench-bench-"))
    try:
        source = folder / "in.jsonl"
        write_input(source, args.units)
        print(
            f"input: {args.units} units, {source.stat().st_size / 2**20:.0f} MiB; "
            f"cpus {psutil.cpu_count()}, load {psutil.getloadavg()[0]:.1f}"
        )
        for task in args.tasks:
            found = measure(task, source, folder / f"{task}.jsonl", args.seconds)
            print(
                f"{task:<7} {found['units_per_s']:>7.0f} units/s  peak RSS "
                f"{found['peak_rss_mb']:>5.0f} MiB  ({found['units_done']} units in "
                f"{args.seconds:.0f} s)"
            )
        if args.ray_units:
            small = folder / "ray.jsonl"
            write_input(small, args.ray_units, neighbours=True)
            for workers in (1, 2):
                wall = ray_run(small, folder / f"ray{workers}.jsonl", workers)
                print(
                    f"ray, {workers} worker(s): {args.ray_units} units in {wall:.0f} s "
                    f"({args.ray_units / wall:.0f} units/s, start-up included)"
                )
    finally:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
