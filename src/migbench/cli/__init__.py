"""The one entry point, ``migbench <subcommand>``: one module per command group.

Nothing else in the package imports this layer.

Exit codes: 0 ok, 1 invalid data or submission, 2 usage error, 130 interrupted (Ctrl-C),
143 terminated (SIGTERM). Results go to stdout, diagnostics to stderr; a result that cannot be
written to stdout (a closed stream, a full device) is an error, never a silent success.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from migbench.errors import MigbenchError
from migbench.jsonio import printable
from migbench.version import DATASET_VERSION, __version__

#: Each module defines ``register(subparsers)``; its parsers set ``func(args) -> int``.
COMMAND_MODULES = (
    "migbench.cli.corpus",
    "migbench.cli.annotation",
    "migbench.cli.dataset",
    "migbench.cli.labelstudio",
    "migbench.cli.docs",
    "migbench.cli.scoring",
    "migbench.cli.statistics",
    "migbench.cli.leaderboard",
    "migbench.cli.template",
    "migbench.cli.models",
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
    "jsonschema": "leaderboard",
    "skops": "models",
    "sentence_transformers": "models",
    "spacy": "models",
    "ray": "ray",
}

log = logging.getLogger("migbench")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="migbench",
        description="Stance, framing and entities in writing on India-US irregular migration.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"migbench {__version__} (scorer {__version__}, dataset {DATASET_VERSION})",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(title="commands", metavar="<command>")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived: unwound like Ctrl-C, so staging folders and temporary files go."""


class _ClosedStream:
    """Stands for a stdout the shell closed (``>&-``): every write fails as a closed one does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        raise OSError(errno.EBADF, "stdout is closed")


def _terminate(signum: int, frame: object) -> None:
    sys.unraisablehook = _ignore
    raise Terminated


def _interrupt(signum: int, frame: object) -> None:
    sys.unraisablehook = _ignore
    raise KeyboardInterrupt


def _ignore(unraisable: object) -> None:
    # After a signal, objects the unwinding left half-built fail in their finalisers (a progress
    # bar stopped in its constructor, a Parquet writer whose file the clean-up closed); their
    # tracebacks would bury the one line that says what happened, and the process is ending.
    return


@contextmanager
def _signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into exceptions while a command runs (main thread only).

    SIGTERM raises :class:`Terminated`, SIGINT ``KeyboardInterrupt``; after either, finalisers'
    errors are not printed.
    """
    try:
        terminate = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave the signals alone
        yield
        return
    interrupt = signal.getsignal(signal.SIGINT)
    if interrupt is signal.default_int_handler:  # an ignored one (a background job) stays so
        signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGINT, interrupt)


def _error(message: str) -> None:
    # One line, control characters escaped: a message may quote a file name or a value.
    # Nowhere left to report it when stderr fails too; the exit code still says it.
    with suppress(OSError, ValueError, AttributeError):
        print(f"migbench: error: {printable(message, keep=chr(10))}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    if sys.stdout is None:  # started with stdout closed
        sys.stdout = _ClosedStream()
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
        with _signals():
            code = args.func(args)
            sys.stdout.flush()  # a full device reports here, not at exit
        return code
    except BrokenPipeError:
        # The reader of stdout went away (`migbench score ... | head`): stop quietly, as cat does.
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        _silence_stdout()
        _error("interrupted; nothing was left half-written")
        return 130
    except Terminated:
        _silence_stdout()
        _error("terminated; nothing was left half-written")
        return 143
    except MigbenchError as exc:
        _error(str(exc))
        return 1
    except OSError as exc:
        if exc.filename is not None:
            raise
        _silence_stdout()
        _error(f"cannot write the result to stdout ({exc.strerror or exc})")
        return 1
    except ModuleNotFoundError as exc:
        root = (exc.name or "").partition(".")[0]
        extra = getattr(args, "extra", None) or EXTRAS.get(root)
        if extra is None:
            raise
        _error(
            f"this command needs the '{extra}' extra ({root} is not installed): "
            f"pip install 'migbench[{extra}]'"
        )
        return 1


def _silence_stdout() -> None:
    """Send what is left in stdout's buffer nowhere, so the interpreter's exit does not fail."""
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (closed by the interpreter at exit)


if __name__ == "__main__":
    sys.exit(main())
