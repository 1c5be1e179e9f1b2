"""What each licence of migbench covers, and on what basis the source texts are there.

One text for every place a licence is stated: ``NOTICE``, the README and datasheet blocks, the
dataset card, the dataset's ``LICENSE`` file and the Croissant file; the tests hold
``CITATION.cff`` and ``LICENSE-annotations`` to it.
"""

from __future__ import annotations

import textwrap

DATA_LICENSE = "CC-BY-4.0"
DATA_LICENSE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
DATA_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
CODE_LICENSE = "Apache-2.0"
CODE_LICENSE_URL = "https://www.apache.org/licenses/LICENSE-2.0"

LICENSED_DATA = (
    "the annotations and metadata: labels, entity types, character offsets and ranges, keyed "
    "hashes, splits and folds, statistics, plots, the annotator records and the bibliographic "
    "records, and the project's own prose in the annotation guidelines, the schema, the dataset "
    "card, the datasheet and the Croissant file"
)
LICENSED_CODE = "the code: the migbench package, the baselines, the scripts, the examples and tests"
NOT_LICENSED = (
    "the source texts and every quotation of them: the files `seeds/*.txt`, the texts in the "
    "Label Studio tasks and exports (`annotations/labelstudio/`), the text columns of the full "
    "dataset (`text`, `prev_text`, `next_text`, `tokens`, `entities.text` and the documents' "
    "`text`), and the passages of the sources quoted in the annotation guidelines, the dataset "
    "card and the datasheet. They belong to their publishers and authors; the project claims no "
    "right in them and grants none"
)
BASIS = (
    "The project holds the source texts and quotes them for non-commercial research on how "
    "migration is written about: to annotate them and to evaluate language technology on them, "
    "and to quote short passages in its guidelines and documentation where they explain a label. "
    "Whether a use of them is allowed (quotation, a text and data mining exception, fair use or "
    "fair dealing) depends on the user's jurisdiction. Where the texts may not be redistributed, "
    "distribute the text-free variant, which holds and quotes none of them"
)
TAKEDOWN = (
    "A rights holder, or a person named in the texts, who wants a text, a quotation or a name "
    "removed can ask the maintainers in the issue tracker of the repository that distributes "
    "migbench or, for a copy published on the Hugging Face Hub, in the Community tab of that "
    "dataset's page; a removal is a new dataset version. The project has recorded no repository "
    "address and no contact e-mail: both are unknown"
)


def parts() -> list[tuple[str, str]]:
    """Return (heading, text) for each part: what is licensed how, the basis, the takedown route."""
    return [
        (f"Licensed under {DATA_LICENSE} ({DATA_LICENSE_URL})", LICENSED_DATA + "."),
        (f"Licensed under {CODE_LICENSE} ({CODE_LICENSE_URL})", LICENSED_CODE + "."),
        ("Not licensed", NOT_LICENSED[0].upper() + NOT_LICENSED[1:] + "."),
        ("Basis", BASIS + "."),
        ("Takedown", TAKEDOWN + "."),
    ]


def markdown() -> str:
    """Return the licensing statement as Markdown paragraphs."""
    return "\n\n".join(f"**{heading}.** {text}" for heading, text in parts())


def plain(width: int = 100) -> str:
    """Return the licensing statement as plain text, wrapped."""
    return "\n\n".join(
        heading + ":\n" + textwrap.fill(text, width, initial_indent="  ", subsequent_indent="  ")
        for heading, text in parts()
    )


def notice() -> str:
    """Return the repository's ``NOTICE`` file."""
    return (
        "migbench: what the licences cover\n\n"
        "The repository holds three kinds of material under different terms. LICENSE (Apache-2.0)\n"
        "and LICENSE-annotations (CC BY 4.0) are the licence texts; this file says what each\n"
        "covers.\n\n" + plain() + "\n"
    )
