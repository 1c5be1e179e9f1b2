"""Problems of a submission: where each is, and a bounded log of them for the error message."""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from migbench import jsonio
from migbench.errors import MigbenchError
from migbench.scoring.tasks import Task

#: Problems shown in an error message; the rest are counted.
MAX_SHOWN = 20
#: Problems kept (the first by line); the rest are counted, so memory stays bounded.
MAX_KEPT = 1000


@dataclass(frozen=True)
class Problem:
    """One problem of a submission: where it is and what is wrong."""

    line: int | None
    unit_id: str | None
    message: str

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.unit_id is not None:
            where.append(f"id {jsonio.quote(self.unit_id)}")
        return f"{', '.join(where) or 'submission'}: {jsonio.printable(self.message)}"

    def order(self) -> tuple[bool, int]:
        """Sort key: by line, problems of no line last."""
        return self.line is None, self.line or 0


class ProblemLog:
    """The first :data:`MAX_KEPT` problems by line, and the number of all of them."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        self.limit = limit
        self.count = 0
        self._heap: list[tuple[tuple[bool, int], int, Problem]] = []  # keys negated: a max-heap

    def wants(self, line: int, count: int = 1) -> bool:
        """Whether problems on ``line`` would be kept; if not, count ``count`` of them unbuilt."""
        if len(self._heap) < self.limit or (self._heap[0][0] < (True, -line)):
            return True
        self.count += count
        return False

    def add(self, problem: Problem) -> None:
        """Count ``problem``, and keep it while it is among the first by line."""
        self.count += 1
        none_last, line = problem.order()
        item = ((not none_last, -line), -self.count, problem)
        if len(self._heap) < self.limit:
            heapq.heappush(self._heap, item)
        else:
            heapq.heappushpop(self._heap, item)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add every problem of ``problems``."""
        for problem in problems:
            self.add(problem)

    def kept(self) -> list[Problem]:
        """Return the problems kept, in line order (and the order found, on the same line)."""
        ordered = sorted(self._heap, key=lambda item: (item[0], item[1]), reverse=True)
        return [problem for *_, problem in ordered]

    def __bool__(self) -> bool:
        return self.count > 0


class SubmissionError(MigbenchError):
    """An invalid submission; ``problems`` holds the first problems, ``count`` their number."""

    def __init__(
        self, problems: Sequence[Problem], *, task: Task | None = None, count: int | None = None
    ) -> None:
        self.problems = list(problems)
        self.task = task
        self.count = len(self.problems) if count is None else count
        lines = [f"invalid {task.name + ' ' if task else ''}submission: {self.count} problem(s)"]
        if task is not None:
            lines.append(f"expected one JSON object per line: {expected_line(task)}")
        lines += [f"  {problem}" for problem in self.problems[:MAX_SHOWN]]
        if self.count > MAX_SHOWN:
            lines.append(f"  and {self.count - MAX_SHOWN} more")
        super().__init__("\n".join(lines))

    @classmethod
    def from_log(cls, log: ProblemLog, *, task: Task | None = None) -> SubmissionError:
        """Return the error that reports the problems of ``log``."""
        return cls(log.kept(), task=task, count=log.count)


def expected_line(task: Task) -> str:
    """Describe one valid submission line of ``task``."""
    if task.is_sequence:
        return (
            '{"id": "<unit id>", "ner_tags": ["O", "B-GPE", "I-GPE", ...]} with one tag per gold '
            'token, or {"id": "<unit id>", "entities": [{"start": 0, "end": 5, "label": "GPE"}]} '
            "with character offsets into the unit text, end-exclusive"
        )
    labels = " | ".join(json.dumps(label) for label in task.labels)
    return f'{{"id": "<unit id>", "{task.name}": {labels}}}'


_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}


def json_type(value: object) -> str:
    """Name the JSON type of a decoded value: object, array, string, number, boolean, null."""
    if value is None or isinstance(value, bool):
        return "null" if value is None else "boolean"
    return _JSON_TYPES.get(type(value), type(value).__name__)


def received(value: object) -> str:
    """Quote a received value as JSON for a message, shortened and escaped."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):  # in-memory rows may hold values JSON cannot carry
        text = repr(value)
    return jsonio.clip(text)
