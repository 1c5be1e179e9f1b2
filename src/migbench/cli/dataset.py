"""Dataset commands: ``build``, ``rehydrate`` and ``push``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from migbench.annotation.store import DEFAULT_ANNOTATIONS
from migbench.cli.corpus import DEFAULT_SEEDS

log = logging.getLogger("migbench")

DEFAULT_DATASET = Path("dataset")
DEFAULT_TEXT_FREE = Path("dataset-notext")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the dataset subcommands."""
    parser = subparsers.add_parser("build", help="build dataset/ from the seeds and the exports")
    parser.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder")
    parser.add_argument(
        "--annotations", type=Path, default=DEFAULT_ANNOTATIONS, help="annotations folder"
    )
    parser.add_argument("--out", type=Path, default=None, help="output folder (default dataset/)")
    parser.add_argument(
        "--datasheet",
        type=Path,
        default=None,
        help="datasheet copied into the dataset (default: DATASHEET.md beside the annotations)",
    )
    parser.add_argument(
        "--no-text",
        action="store_true",
        help="write the text-free variant: offsets and hashes (default folder dataset-notext/)",
    )
    parser.set_defaults(func=_build, extra="dataset")

    parser = subparsers.add_parser(
        "rehydrate", help="restore the text of a text-free dataset from your copies of the sources"
    )
    parser.add_argument(
        "--sources",
        type=Path,
        required=True,
        help="folder with your copies of the sources as UTF-8 text, any file names: each unit is "
        "found by its text, whatever the line ends, line wrapping or page furniture",
    )
    parser.add_argument(
        "--dataset", type=Path, default=Path("dataset-notext"), help="text-free dataset"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_DATASET, help="output folder")
    parser.set_defaults(func=_rehydrate)  # the core is enough

    parser = subparsers.add_parser(
        "push", help="upload the text-free dataset (dataset-notext/) to the Hugging Face Hub"
    )
    parser.add_argument("--repo-id", required=True, help="ORG/NAME on the Hub")
    parser.add_argument(
        "--dataset",
        type=Path,
        default=None,
        help="dataset folder (default dataset-notext/, or dataset/ with --with-text)",
    )
    parser.add_argument(
        "--with-text",
        action="store_true",
        help="upload the full dataset with the source texts; the texts belong to their publishers "
        "and the project does not license them, so use this only where you may redistribute them",
    )
    parser.add_argument("--private", action="store_true", help="create the repository private")
    parser.add_argument("--dry-run", action="store_true", help="list what would be uploaded")
    parser.set_defaults(func=_push, extra="dataset")


# Heavy libraries (datasets, matplotlib, huggingface_hub) are imported inside the command
# functions so that every other subcommand starts fast.
def _build(args: argparse.Namespace) -> int:
    from migbench.dataset.build import build_dataset

    out = args.out or (DEFAULT_TEXT_FREE if args.no_text else DEFAULT_DATASET)
    build_dataset(
        args.seeds, args.annotations, out, with_text=not args.no_text, datasheet=args.datasheet
    )
    return 0


def _rehydrate(args: argparse.Namespace) -> int:
    from migbench.dataset.rehydrate import rehydrate

    rehydrate(args.dataset, args.sources, args.out)
    return 0


def _push(args: argparse.Namespace) -> int:
    from migbench.dataset.publish import push_dataset

    folder = args.dataset or (DEFAULT_DATASET if args.with_text else DEFAULT_TEXT_FREE)
    for line in push_dataset(
        folder,
        args.repo_id,
        with_text=args.with_text,
        private=args.private,
        dry_run=args.dry_run,
    ):
        print(line)
    return 0
