"""Time the scorer on synthetic 100,000-unit submissions, one per task, 1,000 resamples.

Usage: ``python benchmarks/bench_scorer.py [--units N] [--resamples N] [--repeat N]``.

Writes a synthetic gold JSONL file (about 25 tokens and 3 entities per unit) and one
submission per task (NER twice: tags and entity spans) to a temporary folder, loads the gold
once (its time is printed on its own), then times :func:`migbench.score` with that gold:
reading and checking the submission, the metrics and the 1,000-resample bootstrap. Wall-clock
and CPU seconds are the best of ``--repeat`` runs; CPU time is the steadier figure on a busy
machine. Interpreter start-up and imports are not counted: the scoring module, which imports
sklearn (about 2 s), is imported before the first timing.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import migbench
import migbench.scoring.metrics  # noqa: F401  (imported here, not in the first timing)
from migbench.corpus.tokenize import spans_to_iob2
from migbench.schema import ENTITY_TYPES, FRAME_LABELS, MFC_LABELS, STANCE_LABELS

WORDS = ("border", "visa", "agents", "flight", "families", "policy", "report", "route", "court")


def synthetic_unit(rng: random.Random, number: int) -> dict:
    """Return a gold row of about 25 tokens with entities of random types."""
    tokens, tags, entities, offset = [], [], [], 0
    while len(tokens) < 24:
        if rng.random() < 0.12:
            kind, length = rng.choice(ENTITY_TYPES), rng.randint(1, 3)
            words = [f"Name{rng.randint(0, 99)}" for _ in range(length)]
            text = " ".join(words)
            entities.append({"start": offset, "end": offset + len(text), "label": kind})
            tags += [f"B-{kind}"] + [f"I-{kind}"] * (length - 1)
        else:
            words = [rng.choice(WORDS)]
            tags.append("O")
        tokens += words
        offset += len(" ".join(words)) + 1
    return {
        "id": f"synthetic-{number:06d}",
        "text": " ".join(tokens) + " .",
        "tokens": [*tokens, "."],
        "stance": rng.choice(STANCE_LABELS),
        "frame": rng.choice(FRAME_LABELS),
        "mfc": rng.choice(MFC_LABELS),
        "ner_tags": [*tags, "O"],
        "entities": entities,
    }


def predict(rng: random.Random, row: dict, field: str) -> dict:
    """Return a submission line that agrees with the gold about four times in five."""
    if field in ("stance", "frame", "mfc"):
        labels = {"stance": STANCE_LABELS, "frame": FRAME_LABELS, "mfc": MFC_LABELS}[field]
        return {"id": row["id"], field: row[field] if rng.random() < 0.8 else rng.choice(labels)}
    entities = [e for e in row["entities"] if rng.random() < 0.8]
    if field == "entities":
        return {"id": row["id"], "entities": entities}
    spans = [(e["start"], e["end"], e["label"]) for e in entities]
    return {"id": row["id"], "ner_tags": spans_to_iob2(row["text"], spans)}


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def best_time(function, repeat: int) -> tuple[float, float, object]:
    """Return the shortest wall-clock and CPU times of ``repeat`` calls, and the result."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(0)
    gold_rows = [synthetic_unit(rng, number) for number in range(args.units)]
    with tempfile.TemporaryDirectory() as folder:
        gold_path = Path(folder) / "gold.jsonl"
        write_jsonl(gold_path, gold_rows)
        gold_wall, gold_cpu, _ = best_time(
            lambda: migbench.Gold(file=gold_path).units(), args.repeat
        )
        gold = migbench.Gold(file=gold_path)
        print(f"{args.units} units, {args.resamples} resamples, best of {args.repeat}")
        print(f"gold file: {gold_path.stat().st_size / 1e6:.1f} MB, loaded in {gold_wall:.2f} s")
        print(f"{'submission':<12}{'MB':>6}{'wall s':>8}{'cpu s':>8}{'main score':>12}")
        for task, field in (
            ("stance", "stance"),
            ("frame", "frame"),
            ("mfc", "mfc"),
            ("ner", "ner_tags"),
            ("ner", "entities"),
        ):
            scorer = migbench.Scorer(task, gold)
            _ = scorer.units  # the gold is loaded once, before the timing, as a scorer keeps it
            path = Path(folder) / f"{field}.jsonl"
            write_jsonl(path, [predict(rng, row, field) for row in gold_rows])
            wall, cpu, result = best_time(
                lambda scorer=scorer, path=path: scorer.score(path, n_resamples=args.resamples),
                args.repeat,
            )
            size = path.stat().st_size / 1e6
            print(f"{field:<12}{size:>6.1f}{wall:>8.2f}{cpu:>8.2f}{result['main_score']:>12.4f}")


if __name__ == "__main__":
    main()
