"""The seeded, document-stratified sample of units that the second annotation pass labels."""

from __future__ import annotations

import math
import random
from collections import defaultdict

from migbench.corpus.segment import Unit

SECOND_PASS_FRACTION = 0.3
SECOND_PASS_SEED = 2025


def second_pass_sample(
    units: list[Unit], *, fraction: float = SECOND_PASS_FRACTION, seed: int = SECOND_PASS_SEED
) -> list[str]:
    """Return the ids of ``ceil(fraction * n)`` units of each document, in corpus order."""
    by_doc: dict[str, list[str]] = defaultdict(list)
    for unit in units:
        by_doc[unit.doc_id].append(unit.id)
    rng = random.Random(seed)
    chosen = set()
    for doc_id in sorted(by_doc):
        ids = by_doc[doc_id]
        chosen.update(rng.sample(ids, math.ceil(fraction * len(ids))))
    return [unit.id for unit in units if unit.id in chosen]
