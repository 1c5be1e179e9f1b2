"""How to cite migbench: the record of ``CITATION.cff``, and the same record as BibTeX."""

from __future__ import annotations

from migbench.schema import SCHEMA_VERSION
from migbench.version import DATASET_RELEASED, DATASET_VERSION

TITLE = "migbench: stance, framing and entities in writing on India-US irregular migration"
#: No person is named as an author: the project records none.
AUTHOR = "migbench contributors"
BIBTEX_KEY = "migbench"


def bibtex() -> str:
    """Return the BibTeX entry of the current dataset version."""
    return "\n".join(
        [
            f"@misc{{{BIBTEX_KEY},",
            f"  title = {{{{{TITLE}}}}},",
            f"  author = {{{{{AUTHOR}}}}},",
            f"  year = {{{DATASET_RELEASED[:4]}}},",
            f"  version = {{{DATASET_VERSION}}},",
            f"  note = {{Dataset version {DATASET_VERSION}, label schema v{SCHEMA_VERSION}}},",
            "}",
        ]
    )
