"""The Label Studio labeling config and import tasks, generated from :mod:`migbench.schema`."""

from __future__ import annotations

import itertools
from xml.sax.saxutils import quoteattr

from migbench.corpus.segment import Unit
from migbench.corpus.units import context_of
from migbench.schema import CHOICE_LAYERS, ENTITY_TYPES, NER_LAYER, SCHEMA_VERSION

TEXT_NAME = "text"
#: Free-text control for an annotator's comment or an adjudicator's one-line reason.
NOTE_NAME = "note"

_CHOICE_TITLES = {
    "stance": "Stance toward enforcement against irregular migration",
    "frame": "Frame: security versus rights",
    "mfc": "Media Frames Corpus primary dimension",
}
_ENTITY_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4")
_INSTRUCTIONS = (
    f"migbench schema v{SCHEMA_VERSION}. Label the unit in the box only; the grey lines before and "
    "after it are context. Mark every entity mention (no titles, no 'the', no trailing "
    "punctuation) and choose one stance, one frame and one MFC dimension. "
    "See annotations/GUIDELINES.md."
)


def labeling_config() -> str:
    """Return the labeling config XML for all four layers."""
    labels = "\n".join(
        f'    <Label value="{entity}" background="{colour}"/>'
        for entity, colour in zip(ENTITY_TYPES, itertools.cycle(_ENTITY_COLOURS))
    )
    choices = "\n".join(_choices_block(name, options) for name, options in CHOICE_LAYERS.items())
    return f"""<View>
  <Header value={quoteattr(_INSTRUCTIONS)} size="6"/>
  <View style="color: #777777; font-size: 90%">
    <Text name="prev_text" value="$prev_text" granularity="word"/>
  </View>
  <Labels name="{NER_LAYER}" toName="{TEXT_NAME}">
{labels}
  </Labels>
  <View style="border: 1px solid #999999; padding: 6px">
    <Text name="{TEXT_NAME}" value="$text"/>
  </View>
  <View style="color: #777777; font-size: 90%">
    <Text name="next_text" value="$next_text" granularity="word"/>
  </View>
{choices}
  <Header value="Note (hard case, or the adjudication reason)" size="5"/>
  <TextArea name="{NOTE_NAME}" toName="{TEXT_NAME}" rows="1" maxSubmissions="1" editable="true"/>
</View>
"""


def _choices_block(name: str, options: tuple[str, ...]) -> str:
    items = "\n".join(f'    <Choice value="{option}"/>' for option in options)
    return (
        f'  <Header value="{_CHOICE_TITLES[name]}" size="5"/>\n'
        f'  <Choices name="{name}" toName="{TEXT_NAME}" choice="single-radio" required="true" '
        f'showInline="true">\n{items}\n  </Choices>'
    )


def task_data(units: list[Unit]) -> list[dict]:
    """Return one Label Studio task ``data`` dict per unit, with its context and metadata."""
    context = context_of(units)
    return [
        {
            "unit_id": unit.id,
            "doc_id": unit.doc_id,
            "unit_type": unit.unit_type,
            "paragraph": unit.paragraph,
            TEXT_NAME: unit.text,
            "prev_text": context[unit.id][0],
            "next_text": context[unit.id][1],
        }
        for unit in units
    ]


def import_tasks(units: list[Unit]) -> list[dict]:
    """Return the Label Studio import file content: ``[{"data": ...}, ...]``."""
    return [{"data": data} for data in task_data(units)]
