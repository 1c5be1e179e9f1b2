"""Label Studio server commands: ``ls push`` and ``ls pull``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from migbench.annotation.store import DEFAULT_ANNOTATIONS
from migbench.cli.corpus import DEFAULT_SEEDS
from migbench.cli.options import bounded
from migbench.corpus.units import load_units
from migbench.fileio import ANNOTATIONS, check_output_file, write_atomic
from migbench.labelstudio.config import import_tasks
from migbench.labelstudio.export import load_annotated_units, parse_export
from migbench.schema import SCHEMA_VERSION

DEFAULT_TITLE = f"migbench (schema v{SCHEMA_VERSION})"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ls`` with its subcommands."""
    parser = subparsers.add_parser(
        "ls",
        help="push tasks to a Label Studio server and pull its export "
        "(API key from LABEL_STUDIO_API_KEY)",
    )
    parser.set_defaults(func=lambda args: _usage(parser))
    commands = parser.add_subparsers(title="ls commands", metavar="<ls command>")

    push = commands.add_parser(
        "push", help="create a project with the labeling config and import every task"
    )
    _add_server(push)
    push.add_argument("--project-title", default=DEFAULT_TITLE, help="title of the new project")
    push.add_argument(
        "--predictions",
        type=Path,
        action="append",
        default=[],
        help="submission JSONL to import as pre-annotations (repeatable; fields are combined)",
    )
    push.add_argument(
        "--with-annotations", action="store_true", help="import the committed annotations too"
    )
    push.add_argument("--doc", action="append", help="only this doc id (repeatable)")
    push.add_argument(
        "--annotations", type=Path, default=DEFAULT_ANNOTATIONS, help="annotations folder"
    )
    push.set_defaults(func=_push, extra="annotation")

    pull = commands.add_parser(
        "pull", help="download a project's JSON export, validate it and write it atomically"
    )
    _add_server(pull)
    pull.add_argument("--project", type=bounded(2**31 - 1, 1), required=True, help="project id")
    pull.add_argument("--out", type=Path, required=True, help="export file to write")
    pull.set_defaults(func=_pull, extra="annotation")


def _add_server(parser: argparse.ArgumentParser) -> None:
    """Add the server address and the seeds whose units the tasks are."""
    parser.add_argument(
        "--url", required=True, help="address of the server, e.g. http://localhost:8080"
    )
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _connect(args: argparse.Namespace):
    # The SDK takes seconds to import; other subcommands must not pay for it.
    from migbench.labelstudio.client import Server

    if not args.verbose:  # httpx logs every request at INFO; show them with -v only
        logging.getLogger("httpx").setLevel(logging.WARNING)
    return Server(args.url)


def _push(args: argparse.Namespace) -> int:
    from migbench.labelstudio.client import push_tasks, read_predictions

    _, units = load_units(args.seeds, args.doc)
    # Annotations and predictions may cover other documents too; only the pushed units' are sent.
    every_unit = load_units(args.seeds)[1] if args.doc else units
    annotated = {}
    if args.with_annotations:
        annotated = load_annotated_units(args.annotations, every_unit, require_gold=False)
    predictions = read_predictions(args.predictions, every_unit) if args.predictions else {}
    tasks = push_tasks(import_tasks(units), annotated, predictions)
    server = _connect(args)
    annotators = {
        a.annotator for u in units if u.id in annotated for a in annotated[u.id].annotations
    }
    if annotators:
        server.ensure_annotators(annotators)
    project = server.create_project(args.project_title, tasks)
    summary = {
        "project": project,
        "url": server.project_url(project),
        "tasks": len(tasks),
        "annotations": sum(len(task["annotations"]) for task in tasks),
        "predictions": sum(len(task["predictions"]) for task in tasks),
    }
    print(json.dumps(summary))
    return 0


def _pull(args: argparse.Namespace) -> int:
    check_output_file(args.out, inputs=[args.seeds], owns=ANNOTATIONS)  # before the download
    _, units = load_units(args.seeds)
    server = _connect(args)
    server.check_project(args.project)
    from migbench.labelstudio.client import restore_annotators

    export = restore_annotators(server.export(args.project), server.annotator_accounts())
    tasks = parse_export(
        export,
        source=f"project {args.project} at {server.url}",
        unit_texts={unit.id: unit.text for unit in units},
    )
    text = json.dumps(export, indent=1, ensure_ascii=False) + "\n"
    write_atomic(args.out, text, inputs=[args.seeds], owns=ANNOTATIONS)
    summary = {
        "project": args.project,
        "out": str(args.out),
        "tasks": len(tasks),
        "annotations": sum(len(task.annotations) for task in tasks),
    }
    print(json.dumps(summary))
    return 0
