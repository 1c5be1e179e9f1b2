"""Generated blocks of README.md and DATASHEET.md, so that no number in them is typed by hand.

A block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``; ``migbench docs``
rewrites every block from the committed statistics and agreement files, and ``--check`` fails when
the text is stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from migbench import jsonio, markdown
from migbench.annotation.sampling import SECOND_PASS_FRACTION, SECOND_PASS_SEED
from migbench.annotation.store import Annotator, agreement_table
from migbench.errors import MigbenchError
from migbench.jsonio import clip
from migbench.protocols import HEADLINE_PROTOCOL, PROTOCOLS
from migbench.schema import (
    CHOICE_LAYERS,
    ENTITY_TYPES,
    FRAME_LABELS,
    MFC_LABELS,
    SPLITS,
    STANCE_LABELS,
    UNIT_TYPES,
)
from migbench.scoring.power import power_markdown

_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S
)
_OPEN = re.compile(r"<!-- generated:([\w-]+) -->")
_CLOSE = re.compile(r"<!-- /generated:([\w-]+) -->")


#: What a generator raises when a committed input lacks or mistypes a field.
_DAMAGED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ZeroDivisionError)


def corpus_block(stats: Mapping) -> str:
    """Units, entity mentions and splits per document and overall."""
    fixed = stats["splits"]["split"]
    rows = [
        [doc, info["units"], info["entity_mentions"], *(info["splits"][s] for s in SPLITS)]
        for doc, info in stats["documents"].items()
    ]
    rows.append(["**all**", stats["units"], stats["entity_mentions"], *(fixed[s] for s in SPLITS)])
    types = ", ".join(f"{name} {stats['unit_types'][name]}" for name in UNIT_TYPES)
    return (
        markdown.table(["document", "units", "entity mentions", *SPLITS], rows)
        + f"\n\nUnit types: {types}. Tokens: {stats['tokens']}."
    )


def layers_block() -> str:
    """The gold layers and their label sets, from the schema."""
    return "\n".join(
        (
            f"- stance: {' / '.join(STANCE_LABELS)} toward enforcement against irregular migration",
            f"- frame: {' / '.join(FRAME_LABELS)}",
            f"- MFC primary dimension: {len(MFC_LABELS)} ids of Card et al. 2015",
            f"- OntoNotes-style entities: {len(ENTITY_TYPES)} types, as character spans and IOB2 "
            "tags",
        )
    )


def install_block(makefile: str) -> str:
    """How ``make`` installs the project, with the torch pin the Makefile installs first."""
    pins = re.findall(r"pip install -q (torch==\S+)", makefile)
    if len(pins) != 1:
        raise ValueError(f"the Makefile installs torch {len(pins)} times, not once")
    return (
        "Both create `.venv/` on first use and install the package with its extras "
        f"(`{pins[0]}`, the CPU build, is installed first so that no CUDA build is pulled in)."
    )


def labels_block(stats: Mapping) -> str:
    """Label counts per layer over the whole dataset, with shares."""
    total = stats["units"]
    parts = []
    for layer, labels in CHOICE_LAYERS.items():
        counts = stats["labels"][layer]["all"]
        shares = (
            f"{label} {counts[label]} ({100 * counts[label] / total:.1f} %)" for label in labels
        )
        parts.append(f"**{layer}**: " + ", ".join(shares))
    entities = stats["entities"]["all"]
    parts.append("**entities**: " + ", ".join(f"{t} {entities[t]}" for t in ENTITY_TYPES))
    return "\n\n".join(parts)


def agreement_block(agreement: Mapping) -> str:
    """Agreement between the two passes: κ, α, raw agreement, entity F1."""
    entities = agreement["entities"]
    return (
        f"Units annotated in both passes: {agreement['n_units']}.\n\n"
        + agreement_table(agreement)
        + f"\n\nEntity micro-F1 between the passes: {entities['micro_f1']:.3f} "
        f"({entities['mentions_first_pass']} and {entities['mentions_second_pass']} mentions).\n\n"
        + "Disagreements resolved by adjudication: "
        + ", ".join(
            f"{layer} {agreement['n_units'] - _trace(s['confusion']['matrix'])}"
            for layer, s in agreement["layers"].items()
        )
        + ". Units whose gold differs from the first pass: "
        + ", ".join(f"{k} {v}" for k, v in agreement["gold_changes_from_first_pass"].items())
        + "."
    )


def _trace(matrix: list[list[int]]) -> int:
    return sum(row[i] for i, row in enumerate(matrix))


def sample_block(agreement: Mapping) -> str:
    """The second-pass sample: fraction, seed and size."""
    return (
        f"Second-pass sample: {100 * SECOND_PASS_FRACTION:.0f} % of each document's units "
        f"(rounded up), seed {SECOND_PASS_SEED}: {agreement['n_units']} units."
    )


def annotators_block(annotators: Mapping[int, Annotator]) -> str:
    """Who made the labels: one row per annotator id, from ``annotations/annotators.json``."""
    rows = [
        [
            a.id,
            "adjudication" if a.annotation_pass == 0 else a.annotation_pass,
            a.kind,
            "none (human)" if a.model is None else f"name {a.model}, version {a.model_version}",
            a.instructions,
            a.description,
        ]
        for a in annotators.values()
    ]
    machine = sum(a.is_language_model for a in annotators.values())
    return (
        markdown.table(["id", "pass", "kind", "language model", "instructions", "work"], rows)
        + f"\n\nLanguage-model agents: {machine} of {len(annotators)} annotator ids; "
        f"humans: {len(annotators) - machine}."
    )


def render(text: str, blocks: Mapping[str, Callable[[], str]], *, source: str) -> str:
    """Return ``text`` with every generated block rewritten.

    Raises:
        MigbenchError: The markers do not pair up, a block names no known generator, or a
            generator's input lacks what it needs.
    """
    opening, closing = _OPEN.findall(text), _CLOSE.findall(text)
    paired = [match.group("name") for match in _BLOCK.finditer(text)]
    if not opening == closing == paired:
        raise MigbenchError(
            f"{source}: generated markers do not pair up (opening {', '.join(opening) or 'none'}; "
            f"closing {', '.join(closing) or 'none'}); each '<!-- generated:NAME -->' line needs "
            "a '<!-- /generated:NAME -->' after it, with no other marker between"
        )

    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in blocks:
            raise MigbenchError(
                f"{source}: unknown generated block {name!r}; known: {', '.join(blocks)}"
            )
        try:
            body = blocks[name]()
        except _DAMAGED as exc:
            raise MigbenchError(
                f"{source}: block {name!r} cannot be generated: its input lacks or mistypes "
                f"{clip(str(exc))}; regenerate that input"
            ) from None
        return f"{match.group(1)}{body.rstrip()}\n{match.group(4)}"

    return _BLOCK.sub(replace, text)


def section(markdown: str, heading: str, *, level: int = 2) -> str:
    """Return the body of the ``## heading`` section (``level`` hashes) of a Markdown text.

    The body runs to the next heading of the same or a higher level.

    Raises:
        MigbenchError: The heading is missing.
    """
    hashes = "#" * level
    match = re.search(
        rf"^{hashes} {re.escape(heading)}\n(.*?)(?=^#{{1,{level}}} |\Z)", markdown, re.S | re.M
    )
    if match is None:
        raise MigbenchError(f"no section '{hashes} {heading}'")
    return match.group(1).strip()


def first_table(markdown: str) -> str:
    """Return the first Markdown table of a text.

    Raises:
        MigbenchError: The text has no table.
    """
    match = re.search(r"^\|.*\|\n(?:^\|.*\|\n?)+", markdown, re.M)
    if match is None:
        raise MigbenchError("no table in the section")
    return match.group(0).strip()


def power_block(significance_dir: Path) -> str:
    """Return the power analyses of the protocols as Markdown, from the main job's files.

    Raises:
        MigbenchError: A file is not strict JSON or not a power analysis, naming it.
    """
    found = []
    for path in sorted(significance_dir.glob("power.*.json")):
        result = jsonio.read_json(path)
        try:
            found.append((result.get("protocol") or "?", result["reference"], result))
            power_markdown([(result["reference"], result["analyses"])])
        except _DAMAGED as exc:
            raise MigbenchError(
                f"{path}: not a power analysis the main job wrote (it lacks or mistypes "
                f"{clip(str(exc))}); rerun `python -m baselines.run_all`"
            ) from None
    if not found:
        return "Not estimated yet: the main job (`python -m baselines.run_all`) estimates it."
    blocks = []
    # The headline protocol first, then the others in declaration order.
    for protocol in sorted(PROTOCOLS.values(), key=lambda p: p.name != HEADLINE_PROTOCOL):
        rows = [(name, result) for p, name, result in found if p == protocol.name]
        if rows:
            title = protocol.describe(rows[0][1].get("split"))
            analyses = [(name, result["analyses"]) for name, result in rows]
            blocks.append(f"**{title}**\n\n{power_markdown(analyses)}")
    return "\n\n".join(blocks)


def leaderboard_benchmark_block(output: str) -> str:
    """The leaderboard benchmark's printed output: build and submit times against budgets."""
    command = "python benchmarks/bench_leaderboard.py --out benchmarks/bench_leaderboard.txt"
    return f"Leaderboard (`{command}`):\n\n```\n{output.strip()}\n```"


def predict_benchmark_block(output: str) -> str:
    """The predict benchmark's printed output: throughput and peak memory per released model."""
    command = "python benchmarks/bench_predict.py --out benchmarks/bench_predict.txt"
    return f"Predict (`{command}`):\n\n```\n{output.strip()}\n```"


def performance_block(scorer_output: str, compare_output: str, timings: Mapping) -> str:
    """The scorer and compare benchmarks' printed output and the main job's stage timings."""
    budgets = timings["budgets"]
    stages = markdown.table(
        ["stage", "seconds", "budget (s)"],
        [
            [stage, f"{seconds:.0f}", budgets.get(stage, "–")]
            for stage, seconds in timings["stages"].items()
        ],
    )
    return (
        "Scorer (`python benchmarks/bench_scorer.py > benchmarks/bench_scorer.txt`):\n\n"
        f"```\n{scorer_output.strip()}\n```\n\n"
        "Compare (`python benchmarks/bench_compare.py > benchmarks/bench_compare.txt`):\n\n"
        f"```\n{compare_output.strip()}\n```\n\n"
        f"Main job (`make run`; {timings['cpus']} CPU cores, {timings['device']}), seconds per "
        "stage, from `baselines/timings.json`: the stages of `python -m baselines.run_all` up to "
        "its `total`, then the release and the reproduction of the models, and `main job`, all "
        "three together; with the budget each is held to (`baselines/run_all.py`):\n\n" + stages
    )
