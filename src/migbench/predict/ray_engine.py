"""``migbench predict --engine ray``: the same prediction on Ray Data, across a cluster.

Ray Data reads the input in parallel blocks (``read_json``, ``read_csv``, ``read_parquet``);
``map_batches`` sends them to a pool of :class:`RayPredictor` actors, each of which loads the
model once; the driver takes the predicted blocks back in input order and writes them to the
output through a temporary file and a rename. The output is the local engine's, line for line.

What the parallel read cannot know is the position of a row in the input, so the ray engine
needs what the local one can derive from it: an id column, and for a model that reads the
neighbouring units (stance) the ``prev_text`` and ``next_text`` columns, as the migbench dataset
has them. A row whose id is null or empty is named ``line-<N>`` as the local engine names it,
counting rows (after the header of a CSV file). The parallel read cannot skip a malformed line
either: it fails the run, and the local engine finds the line. Each JSON Lines file is read whole
(Arrow's JSON reader does not stream), so a large input goes as many files, as it must anyway to
be read in parallel. A run is not resumable; a failed one leaves no output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow
import pyarrow.csv

from migbench.fileio import OutputError, check_output_file, temporary_sibling
from migbench.jsonio import clip
from migbench.models import check_precision
from migbench.models.artifact import Released
from migbench.predict.readers import BadLine, Fields, ReadError, parse_row
from migbench.predict.run import (
    BATCH_SIZE,
    SHOWN_BAD_LINES,
    PredictError,
    Progress,
    jsonl_to_parquet,
    output_field,
)

log = logging.getLogger("migbench")

#: Input formats Ray Data reads in parallel.
RAY_FORMATS: tuple[str, ...] = ("jsonl", "csv", "parquet")


class RayPredictor:
    """The callable class of ``map_batches``: loads the model once per actor."""

    def __init__(self, folder: str, fields: Fields, precision: str) -> None:
        from migbench.models import load
        from migbench.models.artifact import read

        self.predictor = load(read(Path(folder)), precision)
        self.fields = fields

    def __call__(self, batch: pyarrow.Table) -> dict[str, list[str]]:
        """Predict a batch of rows.

        Returns:
            For each row its id (empty where the input gives none), its prediction as JSON, and
            why it has none (else empty).
        """
        rows = batch.to_pylist()
        ids, values, problems = [""] * len(rows), [""] * len(rows), [""] * len(rows)
        records = []
        for number, row in enumerate(rows):
            found = parse_row(0, row, self.fields)
            if isinstance(found, BadLine):
                problems[number] = found.reason
                continue
            # A row without an id is named by its place, which the driver knows.
            ids[number] = "" if row.get(self.fields.id) in (None, "") else found.id
            records.append((number, found))
        predicted = self.predictor.predict([record for _, record in records])
        for (number, _), value in zip(records, predicted, strict=True):
            values[number] = orjson.dumps(value).decode()
        return {"id": ids, "value": values, "problem": problems}


def predict_ray(
    model: Released,
    source: str,
    fmt: str,
    out: Path,
    *,
    run: dict[str, Any],
    output_format: str = "jsonl",
    batch_size: int = BATCH_SIZE,
    skip_bad: bool = True,
    inputs: Iterable[Path] = (),
    workers: int = 2,
    address: str | None = None,
    fields: Fields = Fields(),  # noqa: B008 (frozen, never mutated)
    config: str | None = None,
    split: str = "train",
    precision: str = "float32",
) -> Progress:
    """Predict every row of ``source`` on Ray Data into ``out``; see the module's docstring.

    Raises:
        ReadError: The input's format or columns do not suit the ray engine.
        PredictError: A bad row when bad rows are fatal.
    """
    check_precision(model, precision)
    import ray

    if fmt not in RAY_FORMATS:
        raise ReadError(f"the ray engine reads {', '.join(RAY_FORMATS)}; {source} is {fmt}")
    inputs = list(inputs)
    check_output_file(out, inputs=inputs)
    if not ray.is_initialized():
        # Locally: a core for each model replica, and one for the tasks that read the input.
        ray.init(
            address=address,
            num_cpus=None if address else workers + 1,
            include_dashboard=False,
            log_to_driver=False,
        )
    cpus = ray.cluster_resources().get("CPU", 0)
    if workers >= cpus:
        raise PredictError(
            f"{workers} workers on {cpus:g} CPUs: each replica takes a CPU and the reading "
            "tasks need one more; give --workers at most one less than the CPUs"
        )
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = True
    needed = {fields.text, fields.id}
    if model.manifest.get("context"):
        needed |= {"prev_text", "next_text"}
    try:
        if fmt == "jsonl":
            # Arrow's reader, not pandas': pandas makes "007" the number 7 and 1 with nulls 1.0.
            dataset = ray.data.read_json(source)
        elif fmt == "csv":
            # As the local engine reads them: "007" is an id, not the number 7.
            types = {name: pyarrow.string() for name in needed}
            convert = pyarrow.csv.ConvertOptions(column_types=types)
            dataset = ray.data.read_csv(source, convert_options=convert)
        else:
            dataset = ray.data.read_parquet(source)
        columns = set(dataset.columns() or ())
    except (OSError, ValueError, pyarrow.ArrowException, ray.exceptions.RayError) as exc:
        raise ReadError(
            f"{source}: Ray Data cannot read it ({_reason(exc)}); it reads a line only if "
            "every line is a JSON object or CSV row and each column holds one type (the local "
            "engine reads such input and reports the bad lines by number)"
        ) from None
    if missing := sorted(needed - columns):
        raise ReadError(
            f"{source}: the ray engine needs the columns {sorted(needed)}; missing {missing} "
            "(the local engine numbers the lines and finds the neighbours itself)"
        )
    predicted = dataset.select_columns(sorted(needed)).map_batches(
        RayPredictor,
        fn_constructor_args=(str(model.folder.resolve()), fields, precision),
        batch_size=batch_size,
        batch_format="pyarrow",
        concurrency=workers,
    )
    progress = Progress(run)
    try:
        staged = temporary_sibling(out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    try:
        header = 1 if fmt == "csv" else 0
        field = output_field(model.manifest["task"])
        with staged.open("wb") as stream:
            for batch in _batches(predicted, source):
                for unit_id, value, problem in zip(*batch, strict=True):
                    progress.line += 1
                    if problem:
                        progress.bad += 1
                        if not skip_bad:
                            raise PredictError(f"row {progress.line}: {problem}; nothing written")
                        if progress.bad <= SHOWN_BAD_LINES:
                            log.warning("row %d skipped: %s", progress.line, problem)
                        continue
                    unit_id = unit_id or f"line-{progress.line + header}"
                    line = {"id": unit_id, field: orjson.loads(value)}
                    stream.write(orjson.dumps(line) + b"\n")
                    progress.units += 1
        if output_format == "parquet":
            jsonl_to_parquet(staged, out, field, inputs=inputs)
        else:
            check_output_file(out, inputs=inputs)
            os.replace(staged, out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    finally:
        staged.unlink(missing_ok=True)
    return progress


def _batches(predicted: Any, source: str) -> Iterator[tuple[list[str], list[str], list[str]]]:
    """Yield the predicted batches in input order as (ids, values, problems).

    Raises:
        ReadError: A read or a model replica failed (a malformed line, an unreadable block).
    """
    import ray

    batches = iter(predicted.iter_batches(batch_size=None, batch_format="pyarrow"))
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except ray.exceptions.RayError as exc:
            raise ReadError(
                f"{source}: the ray run failed: {_reason(exc)}; nothing written (the local "
                "engine reports malformed lines by number and skips them)"
            ) from None
        yield tuple(batch.column(name).to_pylist() for name in ("id", "value", "problem"))


def _reason(exc: BaseException) -> str:
    """Return the first line of the error at the root of a (Ray) exception."""
    while (cause := getattr(exc, "cause", None) or exc.__cause__) is not None and cause is not exc:
        exc = cause
    text = next((line for line in str(exc).splitlines() if line.strip()), "")
    return clip(f"{type(exc).__name__}: {text.strip()}", 300)
