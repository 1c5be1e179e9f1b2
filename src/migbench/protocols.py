"""The evaluation protocols, each declared once: the gold, the baselines, the docs read these.

``split`` scores the fixed split's validation or test units; ``genre`` the genre-transfer
split's (train on the report, evaluate on the news articles); ``cv`` every unit, each predicted
by a model of the other folds of the full-corpus cross-validation, scored pooled.
"""

from __future__ import annotations

from dataclasses import dataclass

from migbench.schema import EVALUATION_SPLITS, SPLITS


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol.

    Attributes:
        name: The protocol's one name, in code, files, results and docs.
        config: The dataset config whose units it scores.
        splits: The splits it scores together; None when it scores one split of
            :data:`~migbench.schema.EVALUATION_SPLITS`, chosen by the user.
        title: How tables and the dataset card name it.
        results_folder: Folder of its prediction and result files under the baselines'
            ``predictions/`` and ``results/`` (empty: the folder itself).
    """

    name: str
    config: str
    splits: tuple[str, ...] | None
    title: str
    results_folder: str

    @property
    def pooled(self) -> bool:
        """Whether the protocol scores every unit at once rather than a chosen split."""
        return self.splits is not None

    def describe(self, split: str | None) -> str:
        """Return how a table names the protocol scored on ``split``: ``Fixed split, test``."""
        return self.title if self.pooled or split is None else f"{self.title}, {split}"

    def scored_splits(self, split: str | None) -> tuple[str, ...]:
        """Return the splits scored for ``split`` (None under a pooled protocol).

        Raises:
            ValueError: A split under a pooled protocol, or an unknown split.
        """
        if self.splits is not None:
            if split is not None:
                raise ValueError(
                    f"protocol {self.name} scores every unit; a split applies to "
                    f"{' and '.join(p.name for p in PROTOCOLS.values() if not p.pooled)} only"
                )
            return self.splits
        if split not in EVALUATION_SPLITS:
            raise ValueError(
                f"unknown split {split!r}; expected one of {', '.join(EVALUATION_SPLITS)}"
            )
        return (split,)


#: The protocols by name.
PROTOCOLS: dict[str, Protocol] = {
    protocol.name: protocol
    for protocol in (
        Protocol("split", "all", None, "Fixed split", ""),
        Protocol("genre", "all_genre", None, "Genre transfer", "genre"),
        Protocol("cv", "all", SPLITS, "Full-corpus cross-validation", "cv"),
    )
}
#: How files name the scored part of a pooled protocol: every unit, each predicted out of fold.
#: (Not ``all``, the dataset config those units come from.)
POOLED_SPLIT = "pooled"
#: The protocol and split scored when none is named: the fixed split, for a quick check. Results
#: are reported under the headline protocol; making it the default would break existing calls.
DEFAULT_PROTOCOL = "split"
DEFAULT_SPLIT = "test"
#: The protocol the results lead with, and the heading of its section in ``RESULTS.md``.
HEADLINE_PROTOCOL = "cv"
HEADLINE_HEADING = f"{PROTOCOLS[HEADLINE_PROTOCOL].title} (the headline protocol)"


def get_protocol(name: str) -> Protocol:
    """Return the protocol called ``name``.

    Raises:
        ValueError: No such protocol.
    """
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol {name!r}; expected one of {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]
