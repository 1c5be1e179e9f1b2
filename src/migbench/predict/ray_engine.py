"""``migbench predict --engine ray``: the same prediction on Ray Data, across a cluster.

Ray Data reads the input in parallel blocks (``read_json``, ``read_csv``, ``read_parquet``);
``map_batches`` sends them to a pool of :class:`RayPredictor` actors, each of which loads the
model once; the driver takes the predicted blocks back in input order and writes them to the
output through a temporary file and a rename. The output is the local engine's, line for line.

What the parallel read cannot know is the position of a row in the input, so the ray engine
needs what the local one can derive from it: an id column, and for a model that reads the
neighbouring units (stance) the ``prev_text`` and ``next_text`` columns, as the migbench dataset
has them. A run is not resumable; a failed one leaves no output.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from migbench.fileio import OutputError, check_output_file, temporary_sibling
from migbench.models.artifact import Released
from migbench.predict.readers import Fields, ReadError, Record
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

    def __init__(self, folder: str, fields: Fields) -> None:
        from migbench.models import load
        from migbench.models.artifact import read

        self.predictor = load(read(Path(folder)))
        self.fields = fields
        self.field = output_field(self.predictor.task)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        """Predict a batch of rows; return one output line per row, or why there is none."""
        count = len(batch[self.fields.text])
        records, lines, problems = [], [""] * count, [""] * count
        for row in range(count):
            text = batch[self.fields.text][row]
            unit_id = batch[self.fields.id][row]
            if not isinstance(text, str) or not text.strip():
                problems[row] = f"{self.fields.text!r} is missing or empty (id {unit_id!r})"
                continue
            neighbours = {
                name: str(batch[name][row]) if batch[name][row] is not None else ""
                for name in ("prev_text", "next_text")
                if name in batch
            }
            records.append((row, Record(row, str(unit_id), text, **neighbours)))
        values = self.predictor.predict([record for _, record in records])
        for (row, record), value in zip(records, values, strict=True):
            lines[row] = orjson.dumps({"id": record.id, self.field: value}).decode()
        return {"line": lines, "problem": problems}


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
) -> Progress:
    """Predict every row of ``source`` on Ray Data into ``out``; see the module's docstring.

    Raises:
        ReadError: The input's format or columns do not suit the ray engine.
        PredictError: A bad row when bad rows are fatal.
    """
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
    if fmt == "jsonl":
        dataset = ray.data.read_json(source, lines=True)
    elif fmt == "csv":
        dataset = ray.data.read_csv(source)
    else:
        dataset = ray.data.read_parquet(source)
    columns = set(dataset.columns() or ())
    needed = {fields.text, fields.id}
    if model.manifest.get("context"):
        needed |= {"prev_text", "next_text"}
    if missing := sorted(needed - columns):
        raise ReadError(
            f"{source}: the ray engine needs the columns {sorted(needed)}; missing {missing} "
            "(the local engine numbers the lines and finds the neighbours itself)"
        )
    predicted = dataset.select_columns(sorted(needed)).map_batches(
        RayPredictor,
        fn_constructor_args=(str(model.folder.resolve()), fields),
        batch_size=batch_size,
        batch_format="numpy",
        concurrency=workers,
    )
    progress = Progress(run)
    try:
        staged = temporary_sibling(out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    try:
        with staged.open("wb") as stream:
            for batch in predicted.iter_batches(batch_size=None, batch_format="numpy"):
                for line, problem in zip(batch["line"], batch["problem"], strict=True):
                    progress.line += 1
                    if problem:
                        progress.bad += 1
                        if not skip_bad:
                            raise PredictError(f"row {progress.line}: {problem}; nothing written")
                        if progress.bad <= SHOWN_BAD_LINES:
                            log.warning("row %d skipped: %s", progress.line, problem)
                        continue
                    stream.write(line.encode() + b"\n")
                    progress.units += 1
        if output_format == "parquet":
            jsonl_to_parquet(staged, out, output_field(model.manifest["task"]), inputs=inputs)
        else:
            check_output_file(out, inputs=inputs)
            os.replace(staged, out)
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc}") from None
    finally:
        staged.unlink(missing_ok=True)
    return progress
