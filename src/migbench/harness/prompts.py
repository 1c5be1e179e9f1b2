"""Prompts for language models, drawn from the annotation guidelines' label definitions.

:func:`definitions_from_guidelines` reads the label tables of ``annotations/GUIDELINES.md``
(sections 1 to 3: the target of stance, then each label's definition); the package ships what it
returns as ``definitions.json`` (a test checks it is current), so that the prompts travel with the
package and say exactly what the annotators were told.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from migbench.scoring.tasks import get_task

#: The guidelines' section of each classification task.
SECTIONS = {"stance": "## 1. ", "frame": "## 2. ", "mfc": "## 3. "}
#: The question each prompt asks, before the definitions.
QUESTIONS = {
    "stance": "What stance does the text take toward enforcement against irregular migration?",
    "frame": "Through which lens does the text present migration or migrants?",
    "mfc": "Which Media Frames Corpus dimension dominates the text?",
}
_ROW = re.compile(r"^\| `(?P<label>[a-z_]+)` \| (?P<definition>[^|]+) \|")


def definitions_from_guidelines(path: Path) -> dict[str, Any]:
    """Return each task's target (stance only) and label definitions, from the guidelines.

    Raises:
        ValueError: A section or a label of the schema is missing from the guidelines.
    """
    text = path.read_text(encoding="utf-8")
    found: dict[str, Any] = {}
    for task, heading in SECTIONS.items():
        start = text.find(f"\n{heading}")
        if start < 0:
            raise ValueError(f"{path}: no section starting {heading!r} for {task}")
        end = text.find("\n## ", start + 1)
        section = text[start:end]
        labels = {}
        for line in section.splitlines():
            match = _ROW.match(line)
            if match:
                labels[match["label"]] = match["definition"].strip()
        missing = [label for label in get_task(task).labels if label not in labels]
        if missing:
            raise ValueError(f"{path}: {task} section lacks definitions of {', '.join(missing)}")
        target = re.search(r"\*\*Target\*\*: (.+?)\n\n", section, re.S)
        found[task] = {
            "question": QUESTIONS[task],
            "target": " ".join(target[1].split()) if target else None,
            "labels": {label: labels[label] for label in get_task(task).labels},
        }
    return found


@lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    """Return the shipped definitions (``definitions.json``)."""
    text = resources.files("migbench.harness").joinpath("definitions.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def instructions(task: str) -> str:
    """Return the instructions that open every prompt of ``task``: question and definitions."""
    spec = definitions()[task]
    lines = [spec["question"]]
    if spec["target"]:
        lines.append(f"Enforcement means {spec['target']}")
    lines.append("Answer with one label:")
    lines += [f"- {label}: {definition}" for label, definition in spec["labels"].items()]
    return "\n".join(lines) + "\n\n"


def example(text: str, label: str | None = None) -> str:
    """Return one text and its label (None: the question the model answers)."""
    return f"Text: {text}\nLabel:" + (f" {label}\n\n" if label is not None else "")
