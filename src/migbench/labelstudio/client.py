"""The Label Studio round trip on a real server: push tasks, pull the JSON export.

SDK calls go through :class:`Server`, which turns every failure (server unreachable, API key
refused, unknown project) into a :class:`~migbench.errors.MigbenchError`. The API key is read
from ``LABEL_STUDIO_API_KEY`` only and never appears in a message.

Annotator ids survive the round trip through one Label Studio account per migbench annotator,
``annotator-<id>@migbench.invalid``: a push imports each annotation as its annotator's account
(created when missing) and a pull writes the account's annotator id back into ``completed_by``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from label_studio_sdk.core.api_error import ApiError
from label_studio_sdk.label_interface import LabelInterface

from migbench import jsonio
from migbench.annotation.types import AnnotatedUnit, Span
from migbench.corpus.segment import Unit
from migbench.corpus.tokenize import iob2_to_spans, token_texts
from migbench.errors import MigbenchError
from migbench.labelstudio.config import labeling_config
from migbench.labelstudio.export import (
    annotation_result,
)
from migbench.schema import CHOICE_LAYERS, NER_LAYER
from migbench.scoring.submission import (
    SubmissionError,
    parse_submission,
    read_submission,
    task_of,
)

API_KEY_ENV = "LABEL_STUDIO_API_KEY"
#: Seconds one call to the server may take in all, however it trickles; importing or exporting
#: the whole corpus takes a few.
TIMEOUT_S = 300
#: Seconds to wait for the next bytes of an answer.
READ_TIMEOUT_S = 60
#: Largest export downloaded, in bytes (docs/SECURITY.md).
MAX_EXPORT_BYTES = jsonio.MAX_BYTES
_ANNOTATOR_EMAIL = re.compile(r"annotator-(\d+)@migbench\.invalid")


def annotator_email(annotator: int) -> str:
    """Return the email of the Label Studio account that stands for a migbench annotator id."""
    return f"annotator-{annotator}@migbench.invalid"


class Server:
    """A Label Studio server, reached with the API key from the environment.

    Raises:
        MigbenchError: The key is not set, the server cannot be reached or refuses the key.
    """

    def __init__(self, url: str) -> None:
        key = os.environ.get(API_KEY_ENV)
        if not key:
            raise MigbenchError(
                f"set {API_KEY_ENV} to your Label Studio access token "
                "(Account & Settings in the Label Studio web app)"
            )
        self.url = url.rstrip("/")
        # The SDK's client takes a second to import; only a command that reaches a server needs it.
        from label_studio_sdk import LabelStudio

        self._client = LabelStudio(base_url=self.url, api_key=key, timeout=READ_TIMEOUT_S)
        with self._errors():
            self._client.users.whoami()

    def project_url(self, project: int) -> str:
        """Return the web address of a project."""
        return f"{self.url}/projects/{project}/"

    def create_project(self, title: str, tasks: list[dict]) -> int:
        """Create a project with the schema's labeling config, import tasks, return its id.

        The tasks carry their annotations and predictions. When the import fails, the project
        is deleted again, so that a failed push leaves no empty project behind.
        """
        with self._errors():
            project = self._client.projects.create(title=title, label_config=labeling_config()).id
        if project is None:
            raise MigbenchError(
                f"Label Studio at {self.url} sent no id for the new project {title!r}"
            )
        try:
            with self._errors(project):
                # The SDK sends plain task dicts as they are; its stubs ask for its request models.
                self._client.projects.import_tasks(id=project, request=tasks)  # type: ignore[arg-type]
        except MigbenchError:
            with suppress(MigbenchError), self._errors(project):
                self._client.projects.delete(id=project)
            raise
        return project

    def ensure_annotators(self, annotators: set[int]) -> None:
        """Create the account of every annotator id that has none yet."""
        with self._errors():
            emails = {user.email for user in self._client.users.list()}
            for annotator in sorted(annotators):
                email = annotator_email(annotator)
                if email not in emails:
                    self._client.users.create(username=f"annotator-{annotator}", email=email)

    def annotator_accounts(self) -> dict[int, int]:
        """Return Label Studio user id → migbench annotator id for the annotator accounts."""
        with self._errors():
            users = self._client.users.list()
        return {
            user.id: int(match.group(1))
            for user in users
            if user.email and (match := _ANNOTATOR_EMAIL.fullmatch(user.email))
        }

    def check_project(self, project: int) -> None:
        """Check that the project exists and that its labeling config is the schema's.

        Raises:
            MigbenchError: No such project, or a config that differs from the schema's.
        """
        with self._errors(project):
            config = self._client.projects.get(id=project).label_config
        if differences := config_differences(config or ""):
            raise MigbenchError(
                f"project {project} at {self.url} does not use the migbench labeling config "
                f"({'; '.join(differences)}); create it with 'migbench ls push'"
            )

    def export(self, project: int) -> list:
        """Download the project's JSON export, every task included."""
        with self._errors(project):
            chunks = self._client.projects.exports.download_sync(
                project, export_type="JSON", download_all_tasks=True
            )
            received, size = [], 0
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_EXPORT_BYTES:
                    raise MigbenchError(
                        f"project {project}: the export is larger than the "
                        f"{MAX_EXPORT_BYTES}-byte limit"
                    )
                received.append(chunk)
            raw = b"".join(received)
        data = jsonio.loads(raw, source=f"project {project}: the export")
        if not isinstance(data, list):
            raise MigbenchError(f"project {project}: the export is not a list of tasks")
        return data

    @contextmanager
    def _errors(self, project: int | None = None) -> Iterator[None]:
        """Turn the failures of the calls inside into clear errors, within :data:`TIMEOUT_S`."""
        try:
            with _deadline(TIMEOUT_S):
                yield
        except _DeadlinePassed:
            raise MigbenchError(
                f"Label Studio at {self.url} did not answer within {TIMEOUT_S} s"
            ) from None
        except ApiError as exc:
            raise MigbenchError(api_error_message(self.url, exc, project)) from None
        except httpx.HTTPError as exc:
            raise MigbenchError(
                f"cannot reach Label Studio at {self.url} ({type(exc).__name__}: {exc})"
            ) from None


class _DeadlinePassed(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _DeadlinePassed


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` in all, even if bytes keep trickling in.

    A read timeout restarts with every byte; this one does not. It needs the main thread (a
    timer signal); elsewhere only the read timeout applies.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def api_error_message(url: str, error: ApiError, project: int | None = None) -> str:
    """Return a one-line explanation of an error answer of the server (never the API key)."""
    status = error.status_code
    if status == 401:
        return f"Label Studio at {url} refused the API key in {API_KEY_ENV} (401 Unauthorized)"
    if status == 403:
        return f"the API key in {API_KEY_ENV} may not do this on Label Studio at {url} (403)"
    if status == 404 and project is not None:
        return f"Label Studio at {url} has no project {project} (404)"
    body = error.body
    detail = body.get("validation_errors") or body.get("detail") if isinstance(body, dict) else None
    if detail is None:
        return f"Label Studio at {url} answered HTTP {status}; is that the server's address?"
    return f"Label Studio at {url} answered HTTP {status}: {json.dumps(detail)[:500]}"


def config_differences(config: str) -> list[str]:
    """Compare a labeling config with the schema's; return the differences (none: it matches).

    Controls are compared by name, tag, target and label set; objects by name, tag and data key.
    """
    try:
        theirs = _config_signature(config)
    except Exception as exc:  # the SDK raises its own, lxml's and plain errors on a broken config
        return [f"unparseable labeling config ({exc})"]
    ours = _config_signature(labeling_config())
    differences = [f"missing {name}" for name in ours if name not in theirs]
    differences += [f"unexpected {name}" for name in theirs if name not in ours]
    differences += [
        f"{name} is {theirs[name]}, expected {ours[name]}"
        for name in ours
        if name in theirs and theirs[name] != ours[name]
    ]
    return differences


def _config_signature(config: str) -> dict[str, str]:
    interface = LabelInterface(config)
    signature = {
        f"control {c.name!r}": f"{c.tag} on {sorted(c.to_name)} with {sorted(c.labels or [])}"
        for c in interface.controls
    }
    signature.update({f"object {o.name!r}": f"{o.tag} of {o.value}" for o in interface.objects})
    return signature


def _import_annotation(result: list[dict], annotator: int, *, ground_truth: bool) -> dict:
    """Return an annotation for the import API, made by the annotator's account."""
    return {
        "completed_by": {"email": annotator_email(annotator)},
        "result": result,
        "ground_truth": ground_truth,
        "was_cancelled": False,
    }


def push_tasks(
    import_tasks: Sequence[dict],
    annotated: Mapping[str, AnnotatedUnit],
    predictions: Mapping[str, dict],
) -> list[dict]:
    """Attach the annotations and the prediction of each unit to its import task."""
    tasks = []
    for task in import_tasks:
        unit_id = task["data"]["unit_id"]
        annotations = annotated[unit_id].annotations if unit_id in annotated else ()
        tasks.append(
            {
                "data": task["data"],
                "annotations": [
                    _import_annotation(
                        annotation_result(a.choices, a.spans, a.note),
                        a.annotator,
                        ground_truth=a.ground_truth,
                    )
                    for a in annotations
                ],
                "predictions": [predictions[unit_id]] if unit_id in predictions else [],
            }
        )
    return tasks


def restore_annotators(export: list, accounts: Mapping[int, int]) -> list:
    """Replace the Label Studio user id in each annotation's ``completed_by`` by its annotator id.

    Raises:
        MigbenchError: Annotations by users that are not annotator accounts.
    """
    strangers: dict[str, int] = {}
    for task in export:
        annotations = task.get("annotations") if isinstance(task, dict) else None
        for annotation in annotations if isinstance(annotations, list) else []:
            if not isinstance(annotation, dict):
                continue
            user = annotation.get("completed_by")
            if isinstance(user, dict):
                user = user.get("id")
            if isinstance(user, int) and not isinstance(user, bool) and user in accounts:
                annotation["completed_by"] = accounts[user]
            else:
                strangers[jsonio.quote(user)] = strangers.get(jsonio.quote(user), 0) + 1
    if strangers:
        listed = ", ".join(f"user {user} ({n} annotations)" for user, n in strangers.items())
        raise MigbenchError(
            f"annotations by Label Studio users that are not annotator accounts: {listed}; "
            "annotate as annotator-<id>@migbench.invalid (see docs/LABELSTUDIO.md)"
        )
    return export


def read_predictions(paths: Sequence[Path], units: Sequence[Unit]) -> dict[str, dict]:
    """Read submission files into one Label Studio prediction per unit.

    Each file is a submission in the scorer's format (``docs/SCORER.md``), one task per file,
    read and checked by the scorer's own reader; its task is the field of its first line. Units
    without a line are left without that layer; the files' layers are combined per unit, and the
    model version names the files.

    Raises:
        MigbenchError: A file is not a valid submission (every problem, with its line), or two
            files carry the same task.
    """
    records = [_Tokenized(unit.id, unit.text, len(token_texts(unit.text))) for unit in units]
    given: dict[str, dict[str, Any]] = {}
    seen: dict[str, Path] = {}
    for path in paths:
        data = read_submission(path)
        try:
            task = task_of(data)
            predictions = parse_submission(task, data, records, allow_missing=True)
        except SubmissionError as exc:
            raise MigbenchError(f"{path}: {exc}") from None
        if task.name in seen:
            raise MigbenchError(f"{path}: a second {task.name} submission, after {seen[task.name]}")
        seen[task.name] = path
        for record, value in zip(records, predictions.values, strict=True):
            if value is not None:
                given.setdefault(record.id, {})[task.name] = value
    version = "+".join(path.stem for path in paths)
    texts = {record.id: record.text for record in records}
    return {
        unit_id: {"model_version": version, "result": _result(layers, texts[unit_id])}
        for unit_id, layers in given.items()
    }


class _Tokenized(NamedTuple):
    """What the submission reader needs of a unit."""

    id: str
    text: str
    n_tokens: int
    token_offsets: None = None  # spans are read against the text


def _result(layers: Mapping[str, Any], text: str) -> list[dict]:
    choices = {layer: layers[layer] for layer in CHOICE_LAYERS if layer in layers}
    tags = layers.get(NER_LAYER)
    spans = [
        Span(start, end, label, text[start:end])
        for start, end, label in (iob2_to_spans(text, tags) if tags is not None else ())
    ]
    return annotation_result(choices, spans)
