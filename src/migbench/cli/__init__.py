"""The one entry point, ``migbench <subcommand>``: one module per command group.

Nothing else in the package imports this layer.

Exit codes: 0 ok, 1 invalid data or submission, 2 usage error. Results go to stdout,
diagnostics to stderr.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from migbench.errors import MigbenchError
from migbench.version import __version__

#: Each module defines ``register(subparsers)``; its parsers set ``func(args) -> int``.
COMMAND_MODULES = (
    "migbench.cli.corpus",
    "migbench.cli.annotation",
    "migbench.cli.dataset",
    "migbench.cli.labelstudio",
    "migbench.cli.docs",
    "migbench.cli.scoring",
    "migbench.cli.statistics",
)

#: The extra that installs each optional top-level module (pyproject.toml's optional-dependencies);
#: a command that names its own extra (``set_defaults(extra=...)``) reports that one instead.
EXTRAS: dict[str, str] = {
    "pysbd": "corpus",
    "label_studio_sdk": "annotation",
    "krippendorff": "annotation",
    "seqeval": "annotation",
    "sklearn": "dataset",
    "matplotlib": "dataset",
}

log = logging.getLogger("migbench")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="migbench",
        description="Stance, framing and entities in writing on India-US irregular migration.",
    )
    parser.add_argument("--version", action="version", version=f"migbench {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(title="commands", metavar="<command>")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not hasattr(args, "func"):
        parser.print_help(sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="migbench: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.func(args)
    except BrokenPipeError:
        # The reader of stdout went away (`migbench score ... | head`): stop quietly, as cat does.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (closed by the interpreter at exit)
        return 1
    except MigbenchError as exc:
        print(f"migbench: error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as exc:
        root = (exc.name or "").partition(".")[0]
        if root not in EXTRAS:
            raise
        extra = getattr(args, "extra", None) or EXTRAS[root]
        print(
            f"migbench: error: this command needs the '{extra}' extra ({root} is not installed): "
            f"pip install 'migbench[{extra}]'",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
