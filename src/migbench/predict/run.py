"""Predict a stream of units in batches into an output that survives interruption.

The output is built in two files beside it, both this command's own:

- ``<out>.partial.jsonl``, append-only: one submission line per unit predicted;
- ``<out>.progress.json``, the checkpoint, replaced atomically after each batch's lines are on
  disk: the last input line done, the partial file's length and sha256 at that point, the counts
  of units and bad lines, and what the run reads (input, model, options).

A rerun with the same input, model and options verifies the partial file against the checkpoint
(its first ``bytes`` must hash to ``sha256``), drops any tail written after the last checkpoint
(a batch cut short), and goes on after the last line done: nothing is predicted twice or lost.
When the input is done the output is written (JSONL, or Parquet from the partial file, a row
group at a time) through a temporary file and a rename, then the checkpoint and the partial file
are removed. Memory holds one batch (a few with worker processes), whatever the input's size.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
from tqdm.auto import tqdm

from migbench.errors import MigbenchError
from migbench.fileio import OutputError, check_output_file, temporary_sibling, write_atomic
from migbench.jsonio import InputError, read_json
from migbench.models.predictor import Predictor
from migbench.predict.readers import BadLine, Item, Record
from migbench.predict.workers import Workers

log = logging.getLogger("migbench")

OUTPUT_FORMATS: tuple[str, ...] = ("jsonl", "parquet")
#: Units predicted at a time, unless a run says otherwise.
BATCH_SIZE = 256
PARTIAL_SUFFIX = ".partial.jsonl"
PROGRESS_SUFFIX = ".progress.json"
#: Bad lines reported one by one; the rest are counted.
SHOWN_BAD_LINES = 20
#: Submission lines converted at a time into a Parquet row group.
PARQUET_ROWS = 65536


class PredictError(MigbenchError):
    """A run that cannot start, resume or go on."""


@dataclass
class Progress:
    """The checkpoint: how far a run got, and what it reads."""

    run: dict[str, Any]
    line: int = 0
    bytes: int = 0
    sha256: str = hashlib.sha256().hexdigest()
    units: int = 0
    bad: int = 0
    digest: Any = field(default_factory=hashlib.sha256, repr=False)

    def as_json(self) -> str:
        """Return the checkpoint's JSON text."""
        fields = ("run", "line", "bytes", "sha256", "units", "bad")
        return orjson.dumps({name: getattr(self, name) for name in fields}).decode() + "\n"


def output_field(task: str) -> str:
    """Return the submission field of a task's predictions."""
    return "entities" if task == "ner" else task


def side_files(out: Path) -> tuple[Path, Path]:
    """Return the partial output and the checkpoint of ``out``."""
    return out.with_name(out.name + PARTIAL_SUFFIX), out.with_name(out.name + PROGRESS_SUFFIX)


def batches(items: Iterable[Item], size: int, *, after: int = 0) -> Iterator[list[Item]]:
    """Group the items after input line ``after`` into lists of ``size`` units.

    Bad lines ride along in the batch they fall in, so that a checkpoint after a batch covers
    every line up to its last.
    """
    pending: list[Item] = []
    units = 0
    for item in items:
        if item.line <= after:
            continue
        pending.append(item)
        units += isinstance(item, Record)
        if units == size:
            yield pending
            pending, units = [], 0
    if pending:
        yield pending


def predict(
    predictor: Predictor | Workers,
    items: Iterable[Item],
    out: Path,
    *,
    run: dict[str, Any],
    output_format: str = "jsonl",
    batch_size: int = BATCH_SIZE,
    skip_bad: bool = True,
    inputs: Iterable[Path] = (),
) -> Progress:
    """Predict every unit of ``items`` into ``out``, resuming an interrupted run of the same job.

    Args:
        predictor: A released model's predictor (:func:`migbench.models.load`), or the
            :class:`~migbench.predict.workers.Workers` that run it in worker processes.
        items: The input's units and bad lines, in input order.
        out: The output file.
        run: What identifies the job (input fingerprint, model, options): a checkpoint of
            another job is not resumed.
        output_format: ``jsonl`` or ``parquet``.
        batch_size: Units predicted at a time.
        skip_bad: Report bad lines and go on; if False, the first bad line stops the run after
            every unit before it is written.
        inputs: Files the run reads, which no output may replace.

    Returns:
        The final counts.

    Raises:
        PredictError: The checkpoint is of another job or does not match the partial output, or
            a bad line is met when bad lines are fatal.
        OutputError: An output path may not be written.
    """
    inputs = list(inputs)
    partial, checkpoint = side_files(out)
    for path in (out, partial, checkpoint):
        check_output_file(path, inputs=inputs)
    progress = _resume(partial, checkpoint, run)
    if progress.line:
        log.info("resuming after input line %d (%d units done)", progress.line, progress.units)
    field_name = output_field(predictor.task)
    sent: deque[tuple[list[Item], BadLine | None]] = deque()

    def records() -> Iterator[list[Record]]:
        """The units of each batch, the batch kept in ``sent`` until its predictions are in."""
        for batch in batches(items, batch_size, after=progress.line):
            bad = next((item for item in batch if isinstance(item, BadLine)), None)
            fatal = None if skip_bad else bad
            if fatal is not None:
                batch = [item for item in batch if item.line < fatal.line]
            sent.append((batch, fatal))
            yield [item for item in batch if isinstance(item, Record)]
            if fatal is not None:
                return

    if isinstance(predictor, Workers):
        predicted = predictor.map(records())
    else:
        predicted = (predictor.predict(units) for units in records())
    bar = tqdm(initial=progress.line, unit="line", desc="predict", delay=1.0)
    with bar, partial.open("ab") as stream:
        for values in predicted:
            batch, fatal = sent.popleft()
            done = [item for item in batch if isinstance(item, Record)]
            lines = b"".join(
                orjson.dumps({"id": record.id, field_name: value}) + b"\n"
                for record, value in zip(done, values, strict=True)
            )
            stream.write(lines)
            stream.flush()
            os.fsync(stream.fileno())
            _report(progress, [item for item in batch if isinstance(item, BadLine)])
            progress.digest.update(lines)
            progress.bytes += len(lines)
            progress.sha256 = progress.digest.hexdigest()
            progress.units += len(done)
            if batch:
                bar.update(batch[-1].line - progress.line)
                progress.line = batch[-1].line
            write_atomic(checkpoint, progress.as_json())
            if fatal is not None:
                raise PredictError(
                    f"input line {fatal.line}: {fatal.reason}; the {progress.units} units before "
                    "it are kept: rerun with --on-error skip to go on past it"
                )
    _finish(partial, checkpoint, out, output_format, field_name, inputs)
    if progress.bad > SHOWN_BAD_LINES:
        log.warning("%d bad lines skipped in all", progress.bad)
    return progress


def _report(progress: Progress, bad: list[BadLine]) -> None:
    for item in bad:
        progress.bad += 1
        if progress.bad <= SHOWN_BAD_LINES:
            log.warning("input line %d skipped: %s", item.line, item.reason)
        elif progress.bad == SHOWN_BAD_LINES + 1:
            log.warning("more bad lines skipped; counted at the end")


def _start(partial: Path, checkpoint: Path, run: dict[str, Any]) -> Progress:
    """Write the checkpoint of a run that has done nothing yet, and an empty partial output."""
    progress = Progress(run)
    write_atomic(checkpoint, progress.as_json())
    partial.write_bytes(b"")
    return progress


def _resume(partial: Path, checkpoint: Path, run: dict[str, Any]) -> Progress:
    """Return the progress to go on from, the partial output cut back to the checkpoint."""
    if not checkpoint.exists():
        if partial.exists():
            raise PredictError(
                f"{partial}: exists without its checkpoint {checkpoint.name}, so it is not an "
                "interrupted run's output; move it away"
            )
        return _start(partial, checkpoint, run)
    try:
        saved = read_json(checkpoint)
        progress = Progress(
            saved["run"],
            saved["line"],
            saved["bytes"],
            saved["sha256"],
            saved["units"],
            saved["bad"],
        )
        counts = (progress.line, progress.bytes, progress.units, progress.bad)
        if not all(type(count) is int and count >= 0 for count in counts) or not isinstance(
            progress.sha256, str
        ):
            raise TypeError
    except (InputError, KeyError, TypeError):
        raise PredictError(f"{checkpoint}: damaged; move it and {partial.name} away") from None
    if progress.run != run and not progress.line:
        # Nothing was done (a run that stopped before its first batch): start afresh.
        return _start(partial, checkpoint, run)
    if progress.run != run:
        changed = sorted(
            k for k in run.keys() | progress.run.keys() if run.get(k) != progress.run.get(k)
        )
        raise PredictError(
            f"{checkpoint}: belongs to a run with another {', '.join(changed)}; rerun with the "
            "same input, model and options to resume it, or choose another output"
        )
    _verify_prefix(partial, progress)
    return progress


def _verify_prefix(partial: Path, progress: Progress) -> None:
    """Check the partial output's first bytes against the checkpoint, and cut off the rest."""
    try:
        size = partial.stat().st_size
    except FileNotFoundError:
        raise PredictError(f"{partial}: missing; the checkpoint cannot be resumed") from None
    if size < progress.bytes:
        raise PredictError(
            f"{partial}: {size} bytes, shorter than the {progress.bytes} its checkpoint records"
        )
    remaining = progress.bytes
    with partial.open("r+b") as stream:
        while remaining:
            block = stream.read(min(remaining, 1 << 20))
            progress.digest.update(block)
            remaining -= len(block)
        if progress.digest.hexdigest() != progress.sha256:
            raise PredictError(f"{partial}: altered since its checkpoint; it cannot be resumed")
        if size > progress.bytes:
            log.info("dropping %d bytes written after the last checkpoint", size - progress.bytes)
            stream.truncate(progress.bytes)


def _finish(
    partial: Path,
    checkpoint: Path,
    out: Path,
    output_format: str,
    field_name: str,
    inputs: list[Path],
) -> None:
    """Write the output from the partial file, then remove the partial file and checkpoint."""
    if output_format == "jsonl":
        # A hard link, then a rename: the partial file stays until the output is in place.
        check_output_file(out, inputs=inputs)
        staged = temporary_sibling(out)
        try:
            staged.unlink()  # the unique name, for the link
            os.link(partial, staged)
            os.replace(staged, out)
        finally:
            staged.unlink(missing_ok=True)
    elif output_format == "parquet":
        jsonl_to_parquet(partial, out, field_name, inputs=inputs)
    else:
        raise ValueError(f"unknown output format {output_format!r}; choose from {OUTPUT_FORMATS}")
    checkpoint.unlink()
    partial.unlink()


def parquet_schema(field_name: str) -> Any:
    """Return the Parquet schema of a submission: ``id`` and the prediction field."""
    import pyarrow as pa

    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("label", pa.string())])
    value = pa.list_(span) if field_name == "entities" else pa.string()
    return pa.schema([("id", pa.string()), (field_name, value)])


def jsonl_to_parquet(
    source: Path, out: Path, field_name: str, *, inputs: Iterable[Path] = ()
) -> None:
    """Write a JSONL submission as Parquet, a row group at a time, through a temporary file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_output_file(out, inputs=inputs)
    schema = parquet_schema(field_name)
    try:
        staged = temporary_sibling(out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    try:
        with pq.ParquetWriter(staged, schema) as writer, source.open("rb") as stream:
            while chunk := list(islice(stream, PARQUET_ROWS)):
                rows = [orjson.loads(line) for line in chunk]
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        os.replace(staged, out)
    except orjson.JSONDecodeError as exc:
        raise PredictError(f"{source}: not a JSONL submission ({exc}); nothing written") from None
    except (OSError, pa.ArrowException) as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    finally:
        staged.unlink(missing_ok=True)
