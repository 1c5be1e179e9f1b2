"""Checks of one submission line: its id, its fields and its prediction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migbench import jsonio
from migbench.scoring.iob2 import tag_vocabulary
from migbench.scoring.submission.problems import json_type, received
from migbench.scoring.submission.spans import Entities, GoldUnit
from migbench.scoring.tasks import TASKS, Task


class RowChecker:
    """Checks one parsed line against a task and the gold units."""

    def __init__(self, task: Task, units: Mapping[str, GoldUnit], types: tuple[str, ...]) -> None:
        self.task = task
        self.units = units
        self.types = types
        self.tags = frozenset(tag_vocabulary(types))
        self.foreign = {
            f: t.name for t in TASKS.values() if t is not task for f in t.submission_fields
        }

    def check(self, row: Any) -> tuple[str | None, Any, list[str]]:
        """Return the row's id (None if unusable), its prediction and its problems."""
        if not isinstance(row, dict):
            return None, None, [f"expected a JSON object, not {json_type(row)}"]
        messages: list[str] = []
        unit_id = row.get("id")
        if not isinstance(unit_id, str):
            got = "missing" if "id" not in row else f"a {json_type(unit_id)}, not a string"
            messages.append(f"id is {got}")
            unit_id = None
        unit = self.units.get(unit_id) if unit_id is not None else None
        if unit_id is not None and unit is None:
            messages.append("unknown id: no gold unit has it")
        field_messages = self._field_messages(row)
        messages += field_messages
        if field_messages:
            return unit_id, None, messages
        value: str | list[str] | Entities | None
        if not self.task.is_sequence:
            value, more = self._label(row[self.task.name])
        elif unit is not None:
            value, more = self._sequence(row, unit)
        else:
            return unit_id, None, messages  # a tag sequence is checked against its gold unit
        return unit_id, value, messages + more

    def _field_messages(self, row: dict[str, Any]) -> list[str]:
        fields = self.task.submission_fields
        if len(row) == 2 and "id" in row and sum(field in row for field in fields) == 1:
            return []  # the usual line, told apart quickly
        messages = []
        for key in row:
            if key in self.foreign:
                messages.append(
                    f"field {jsonio.quote(key)} belongs to task {self.foreign[key]!r}; "
                    f"a {self.task.name} submission carries {' or '.join(map(repr, fields))}"
                )
            elif key != "id" and key not in fields:
                messages.append(f"unexpected field {jsonio.quote(key)}")
        given = [field for field in fields if field in row]
        if not given:
            messages.append(f"missing field {' or '.join(map(repr, fields))}")
        elif len(given) > 1:
            messages.append(f"both {' and '.join(map(repr, given))}; give one")
        return messages

    def _label(self, label: Any) -> tuple[str | None, list[str]]:
        name = self.task.name
        if not isinstance(label, str):
            return None, [f"{name} must be a string label, not {json_type(label)}"]
        if label not in self.task.labels:
            expected = ", ".join(self.task.labels)
            return None, [f"unknown {name} label {jsonio.quote(label)}; expected one of {expected}"]
        return label, []

    def _sequence(
        self, row: dict[str, Any], unit: GoldUnit
    ) -> tuple[list[str] | Entities | None, list[str]]:
        if "entities" in row:
            if unit.text is None:
                return None, [
                    "entities need the unit's text, which the text-free dataset lacks: submit "
                    "ner_tags, or score against the dataset with text (migbench rehydrate)"
                ]
            entities = row["entities"]
            if not isinstance(entities, list):
                return None, [f"entities must be an array of objects, not {json_type(entities)}"]
            return Entities(entities, row), []
        tags = row["ner_tags"]
        if not isinstance(tags, list):
            return None, [f"ner_tags must be an array of tags, not {json_type(tags)}"]
        if len(tags) != unit.n_tokens:
            return None, [f"{len(tags)} tags for the unit's {unit.n_tokens} tokens"]
        if not self._known_tags(tags):
            position, tag = next((i, t) for i, t in enumerate(tags) if not self._known_tags([t]))
            return None, [f"tag {position} {received(tag)} is not {self._tag_pattern()}"]
        return tags, []

    def _known_tags(self, tags: list[Any]) -> bool:
        try:
            return self.tags.issuperset(tags)
        except TypeError:  # an unhashable element
            return False

    def _tag_pattern(self) -> str:
        return f"O, B-X or I-X with X one of {', '.join(self.types)}"
