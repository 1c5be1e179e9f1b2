"""Released models: ``migbench models`` lists them, ``migbench predict`` applies one to a corpus."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from migbench.cli.options import bounded
from migbench.models import PRECISIONS, Predictor, artifact
from migbench.predict.readers import FORMATS, Fields
from migbench.predict.run import BATCH_SIZE, OUTPUT_FORMATS, Progress
from migbench.predict.workers import Workers

ENGINES: tuple[str, ...] = ("local", "ray")
MAX_BATCH = 1 << 16
#: Model replicas of a run: on two cores, two one-thread processes predict more units per second
#: than one process with two threads.
WORKERS = 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``models`` and ``predict`` subcommands."""
    listing = subparsers.add_parser(
        "models", help="list the released models", description="list the released models"
    )
    listing.add_argument("--models-dir", type=Path, help="default: $MIGBENCH_MODELS or models/")
    listing.add_argument("--format", choices=("json", "text"), default="text")
    listing.set_defaults(func=_models, extra="models")

    description = (
        "apply a released model to a corpus: a JSONL, CSV, plain-text or Parquet file, a folder "
        "of documents, a dataset folder or a Hub dataset id; writes one submission line per "
        "unit, and resumes an interrupted run of the same job"
    )
    parser = subparsers.add_parser(
        "predict", help="apply a released model to a corpus", description=description
    )
    parser.add_argument("input", help="file, folder of documents, dataset folder or Hub id")
    parser.add_argument("--model", required=True, help="model folder, name or task")
    parser.add_argument("--models-dir", type=Path, help="default: $MIGBENCH_MODELS or models/")
    parser.add_argument("--out", type=Path, required=True, help="output file (.jsonl, .parquet)")
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from suffix)")
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS, help="default: from suffix")
    parser.add_argument("--text-field", default="text", help="column of the unit's text")
    parser.add_argument("--id-field", default="id", help="column of the unit's id")
    parser.add_argument("--doc-field", default="doc_id", help="column of the unit's document")
    parser.add_argument("--config", help="dataset config (dataset input)")
    parser.add_argument(
        "--split", default="train", help="dataset split; a+b reads both (dataset input)"
    )
    parser.add_argument(
        "--batch-size", type=bounded(MAX_BATCH, 1), default=BATCH_SIZE, help="units at a time"
    )
    parser.add_argument(
        "--on-error",
        choices=("skip", "fail"),
        default="skip",
        help="a bad input line: report it and go on (default), or stop at it",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="the classifiers' encoder: float32 (default, the released scores) or bfloat16 "
        "(faster on CPUs with bfloat16 instructions; a few labels may differ)",
    )
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument(
        "--workers",
        type=bounded(1024, 1),
        default=WORKERS,
        help=f"model replicas (default {WORKERS}): local, processes sharing the cores (1: the "
        "model in this process); ray, actors",
    )
    parser.add_argument("--address", help="ray: address of a running cluster (default: local)")
    parser.set_defaults(func=_predict, extra="models")


def _models(args: argparse.Namespace) -> int:
    found = artifact.available(args.models_dir)
    rows = [_summary(model) for model in found]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        root = args.models_dir or artifact.default_root()
        print(
            f"no models in {root}; build them with `python -m baselines.release`", file=sys.stderr
        )
        return 0
    for row in rows:
        score = row["cv_score"]
        shown = (
            ""
            if score is None
            else (
                f"  cv {row['main_metric']} {score['value']:.3f} "
                f"[{score['low']:.3f}, {score['high']:.3f}]"
            )
        )
        print(f"{row['name']}  {row['task']}  {row['baseline']}{shown}  {row['folder']}")
    return 0


def _summary(model: artifact.Released) -> dict[str, Any]:
    manifest = model.manifest
    scores = manifest.get("scores", {}).get("cv")
    return {
        "name": model.name,
        "task": model.task,
        "baseline": manifest["baseline"],
        "main_metric": scores["main_metric"] if scores else None,
        "cv_score": scores["score"] if scores else None,
        "dataset_version": manifest["dataset"]["version"],
        "folder": str(model.folder),
    }


def _predict(args: argparse.Namespace) -> int:
    from migbench.predict import readers

    released = artifact.resolve(args.model, args.models_dir)
    fmt = args.format or readers.detect_format(args.input)
    output_format = args.output_format or (
        "parquet" if args.out.suffix.lower() in (".parquet", ".pq") else "jsonl"
    )
    fields = Fields(text=args.text_field, id=args.id_field, doc_id=args.doc_field)
    run = {
        "input": readers.fingerprint(args.input),
        "format": fmt,
        "fields": [fields.text, fields.id, fields.doc_id],
        "config": args.config,
        "split": args.split,
        "model": artifact.sha256_file(released.folder / artifact.MANIFEST),
        "batch_size": args.batch_size,
        "output_format": output_format,
        "precision": args.precision,
    }
    source = Path(args.input)
    # The model folder too: an output inside it would replace the model's own files.
    inputs = [*([source] if source.exists() else []), released.folder]
    reading = {"fields": fields, "config": args.config, "split": args.split}
    writing = {
        "run": run,
        "output_format": output_format,
        "batch_size": args.batch_size,
        "skip_bad": args.on_error == "skip",
        "inputs": inputs,
    }
    if args.engine == "ray":
        from migbench.predict.ray_engine import predict_ray

        progress = predict_ray(
            released,
            args.input,
            fmt,
            args.out,
            workers=args.workers,
            address=args.address,
            precision=args.precision,
            **reading,
            **writing,
        )
    else:
        progress = _predict_local(released, args, fmt, reading, writing)
    summary = {"out": str(args.out), "units": progress.units, "bad_lines": progress.bad}
    print(json.dumps(summary))
    return 0


def _predict_local(
    released: artifact.Released,
    args: argparse.Namespace,
    fmt: str,
    reading: dict[str, Any],
    writing: dict[str, Any],
) -> Progress:
    from migbench.models import load
    from migbench.predict import readers
    from migbench.predict.run import predict

    with contextlib.ExitStack() as stack:
        if args.workers == 1:
            predictor: Predictor | Workers = load(released, args.precision)
        else:
            predictor = stack.enter_context(Workers(released, args.precision, args.workers))
        items = readers.read(args.input, fmt, **reading)
        if predictor.context:
            items = readers.with_context(items)
        return predict(predictor, items, args.out, **writing)
