"""System cards: what a submitted system is, validated against ``card.schema.json``.

A card is the ``system.json`` of a submission folder. Its fields (name, authors, description,
URL, model, training data, whether the system is a language model, whether the evaluated text
could have been seen in pre-training, protocols, seeds, date, licence) are those of the schema;
every problem is reported with the card's path and the field's JSON path.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from migbench.errors import MigbenchError
from migbench.jsonio import InputError, read_json

#: File name of the card in a submission folder and in the results store.
CARD_NAME = "system.json"
#: Largest card read, in bytes.
MAX_CARD_BYTES = 64 * 1024
_SHOWN = 20


class CardError(MigbenchError):
    """A system card that is unreadable or breaks the schema."""


@lru_cache(maxsize=1)
def card_schema() -> dict[str, Any]:
    """Return the JSON Schema of a system card."""
    text = resources.files("migbench.leaderboard").joinpath("card.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def card_problems(card: Any) -> list[str]:
    """Return every way ``card`` breaks the schema, each as ``field: message``, sorted."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(card_schema())
    problems = []
    for error in validator.iter_errors(card):
        field = "/".join(str(part) for part in error.absolute_path) or "(card)"
        problems.append(f"{field}: {error.message}")
    return sorted(problems)


def load_card(path: Path) -> dict[str, Any]:
    """Read and validate a system card.

    Raises:
        CardError: The file is unreadable, not strict JSON, or breaks the schema; every
            problem is listed with the field it concerns and the schema's choices.
    """
    try:
        card = read_json(path, max_bytes=MAX_CARD_BYTES)
    except InputError as exc:
        raise CardError(str(exc)) from None
    check_card(card, where=str(path))
    return dict(card)


def check_card(card: Any, *, where: str) -> None:
    """Raise CardError listing every problem of ``card`` (see :func:`card_problems`)."""
    problems = card_problems(card)
    if problems:
        lines = [f"{where}: invalid system card: {len(problems)} problem(s)"]
        lines += [f"  {problem}" for problem in problems[:_SHOWN]]
        if len(problems) > _SHOWN:
            lines.append(f"  and {len(problems) - _SHOWN} more")
        fields = ", ".join(card_schema()["required"])
        lines.append(
            f"a card holds the fields {fields} (schema: migbench/leaderboard/card.schema.json)"
        )
        raise CardError("\n".join(lines))
