"""The static leaderboard site, built from the results store: HTML pages and JSON beside them.

Everything a page needs is inside it or beside it (style and the sorting script inline, plots as
PNG files next to the pages), so the site opens from disk and can be published as static files
(GitHub Pages, a static Hugging Face Space) with no server. The same store gives byte-identical
files::

    OUT/index.html               every table, every system, and how to read them
    OUT/leaderboard.json         the same data for machines
    OUT/tables/TASK.PROTOCOL.html  ranking, per-class and per-document views of one table
    OUT/systems/NAME.html        a system's card and all its results
    OUT/plots/TASK.png           one plot per task: main score and interval, per protocol
"""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from migbench.fileio import output_dir
from migbench.leaderboard import ranking
from migbench.leaderboard.card import card_schema
from migbench.leaderboard.store import PROTOCOL_SPLITS, SEED, SubmitError, dumps, load_store
from migbench.scoring.gold import Gold
from migbench.scoring.scorer import Scorer
from migbench.scoring.tasks import TASKS

log = logging.getLogger("migbench")

#: What the protocols mean, for the pages.
PROTOCOL_TITLES = {
    "cv": "full-corpus cross-validation (out-of-fold, every unit; the headline)",
    "split": "fixed split (test)",
    "genre": "genre transfer (train on the report, test on the news articles)",
}
PROTOCOL_ORDER = ("cv", "split", "genre")

CIRCULARITY = (
    "migbench's labels were made by language-model annotation agents, not by people. A "
    "score measures agreement with those labels. For a system that is, or uses, a language "
    "model, part of that agreement can come from sharing the annotators' habits rather than "
    "from understanding the text, so a high score is not evidence of human-like judgement, and "
    "language models may be favoured over other systems. Submitters declare on the card "
    "whether the system is a language model and whether the evaluated text could have been "
    "seen in pre-training; the tables show both."
)
GROUPS = (
    "Rank range: from 1 + the number of systems that are significantly better, to the number "
    "of systems minus the number that are significantly worse. Significant: paired approximate "
    "randomization test (migbench compare) with Holm's correction over all pairs of the table, "
    f"family-wise error {ranking.ALPHA}. Group: systems in order of score; each system joins "
    "the current group unless the test separates it from the group's best system, in which case "
    "it opens the next group. Systems in one group cannot be told apart from the group's best "
    "with this data."
)

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:72em;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.8em 0 1.6em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f0f0f0;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
td.name,th.name{text-align:left}td.sig{text-align:left;font:.8em monospace}
tr.g1 td{background:#eef7ee}
p.note{max-width:60em;font-size:.95em}img{max-width:100%}nav a{margin-right:1em}
"""
# Sorts a table by the clicked column: numbers by data-sort, text otherwise; stable.
_SCRIPT = """
function cellKey(cell){var v=cell.getAttribute("data-sort");if(v===null){v=cell.textContent;}
var n=Number(v);return(v!==""&&!isNaN(n))?n:v;}
document.querySelectorAll("table.sortable").forEach(function(table){
 var heads=table.tHead.rows[0].cells;
 Array.prototype.forEach.call(heads,function(th,column){
  th.addEventListener("click",function(){
   var up=th.getAttribute("aria-sort")!=="ascending";
   Array.prototype.forEach.call(heads,function(h){h.removeAttribute("aria-sort");});
   th.setAttribute("aria-sort",up?"ascending":"descending");
   var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
   rows.sort(function(r1,r2){var a=cellKey(r1.cells[column]),b=cellKey(r2.cells[column]);
    var c=(typeof a==="number"&&typeof b==="number")?a-b:String(a).localeCompare(String(b));
    return up?c:-c;});
   rows.forEach(function(r){body.appendChild(r);});
  });
 });
});
"""


def build_site(store: Path, out: Path, *, dataset: str | os.PathLike[str] | None = None) -> dict:
    """Build the leaderboard site from the results store into ``out``.

    Pairs of systems that the store holds no current test for (a system resubmitted after
    the other) are tested here with :func:`migbench.compare`.

    Returns:
        The data written to ``leaderboard.json``.

    Raises:
        SubmitError: The store holds a damaged record.
        OutputError: ``out`` may not be written.
    """
    if not store.is_dir():
        raise SubmitError(f"{store}: no results store here (a folder that migbench submit wrote)")
    records = load_store(store)
    data = leaderboard_data(records, store, dataset=dataset)
    with output_dir(out, inputs=[store]) as staging:
        # A folder only where it gets files: the marker lists files, so an empty folder would
        # make the next build refuse the site as holding something migbench did not write.
        for folder, items in (("tables", "tables"), ("systems", "systems"), ("plots", "tasks")):
            if data[items]:
                (staging / folder).mkdir()
        (staging / "leaderboard.json").write_bytes(dumps(data))
        (staging / "index.html").write_text(index_page(data), encoding="utf-8")
        for table in data["tables"]:
            path = staging / "tables" / f"{table['task']}.{table['protocol']}.html"
            path.write_text(table_page(table, data), encoding="utf-8")
        for system in data["systems"]:
            path = staging / "systems" / f"{system['name']}.html"
            path.write_text(system_page(system, data), encoding="utf-8")
        from migbench.leaderboard.plots import task_plot

        for task in data["tasks"]:
            task_plot(task, [t for t in data["tables"] if t["task"] == task], staging / "plots")
    return data


def leaderboard_data(
    records: Sequence[dict[str, Any]],
    store: Path,
    *,
    dataset: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Return every table (ranked), every system and the explanations, as plain data."""
    tests: dict[tuple[str, frozenset[str]], dict[str, Any]] = {}
    digests: dict[tuple[str, str], str] = {}
    for record in records:
        for result in record["results"]:
            digests[result["table"], record["name"]] = result["sha256"]
    for record in records:
        for pair in record["pairs"]:
            current = (
                digests.get((pair["table"], pair["a"])) == pair["sha256_a"]
                and digests.get((pair["table"], pair["b"])) == pair["sha256_b"]
            )
            if current:
                tests[pair["table"], frozenset((pair["a"], pair["b"]))] = pair
    tables = []
    for task in TASKS:
        for protocol in PROTOCOL_ORDER:
            name = f"{task}.{protocol}"
            entered = {
                record["name"]: result
                for record in records
                for result in record["results"]
                if result["table"] == name
            }
            if not entered:
                continue
            pairs = _table_pairs(name, sorted(entered), tests, store, dataset=dataset)
            tables.append(_table(task, protocol, entered, pairs, records))
    return {
        "tasks": [task for task in TASKS if any(t["task"] == task for t in tables)],
        "tables": tables,
        "systems": [
            {"name": r["name"], "card": r["card"], "results": _brief(r["results"])} for r in records
        ],
        "how_groups_are_formed": GROUPS,
        "circularity": CIRCULARITY,
    }


def _table_pairs(
    table: str,
    names: list[str],
    tests: dict[tuple[str, frozenset[str]], dict[str, Any]],
    store: Path,
    *,
    dataset: str | os.PathLike[str] | None,
) -> list[dict[str, Any]]:
    task, protocol = table.split(".")
    split = None if protocol == "cv" else PROTOCOL_SPLITS[protocol]
    scorer = Scorer(task, Gold(protocol=protocol, split=split, dataset=dataset), seed=SEED)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            found = tests.get((table, frozenset((a, b))))
            if found is None:
                log.info("%s: testing %s against %s", table, a, b)
                files = {a: store / a / f"{table}.jsonl", b: store / b / f"{table}.jsonl"}
                found = scorer.compare(files)["pairs"][0]
            pairs.append(found)
    return pairs


def _table(
    task: str,
    protocol: str,
    entered: dict[str, dict[str, Any]],
    pairs: list[dict[str, Any]],
    records: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    cards = {record["name"]: record["card"] for record in records}
    ranked = ranking.rank({name: r["main_score"] for name, r in entered.items()}, pairs)
    any_result = next(iter(entered.values()))
    rows = []
    for row in ranked:
        result, card = entered[row["name"]], cards[row["name"]]
        rows.append(
            {
                **row,
                "ci": result["ci"],
                "folds": result.get("folds"),
                "per_label": {k: v["f1"] for k, v in result["metrics"]["per_label"].items()},
                "per_document": {
                    k: v["main_score"] for k, v in result.get("per_document", {}).items()
                },
                "signature": result["signature"],
                "language_model": card["language_model"],
                "pretraining_exposure": card["pretraining_exposure"],
            }
        )
    return {
        "task": task,
        "protocol": protocol,
        "split": PROTOCOL_SPLITS[protocol],
        "main_metric": any_result["main_metric"],
        "n_units": any_result["n_units"],
        "resolution": ranking.resolution(pairs),
        "rows": rows,
        "pairs": [
            {
                key: pair[key]
                for key in ("a", "b", "difference", ranking.TEST, "p_bootstrap")
                if key in pair
            }
            for pair in pairs
        ],
    }


def _brief(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = ("table", "task", "protocol", "split", "main_metric", "main_score", "ci", "signature")
    return [{key: result[key] for key in keys} for result in results]


# Pages ------------------------------------------------------------------------------------


def _page(title: str, body: str, *, depth: int) -> str:
    up = "../" * depth
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)} · migbench leaderboard</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<nav><a href="{up}index.html">migbench leaderboard</a>'
        f'<a href="{up}leaderboard.json">leaderboard.json</a></nav>\n'
        f"<h1>{html.escape(title)}</h1>\n{body}\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _number(value: float | None) -> str:
    if value is None:
        return '<td data-sort="">–</td>'
    return f'<td data-sort="{value!r}">{value:.3f}</td>'


def _text(value: Any, *, css: str = "") -> str:
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}>{html.escape(str(value))}</td>"


def _shown(value: Any) -> str:
    """Return a card value as the page shows it."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def _head(columns: Sequence[str]) -> str:
    name = ' class="name"'
    cells = "".join(
        f'<th{name if i == 0 else ""} scope="col">{html.escape(c)}</th>'
        for i, c in enumerate(columns)
    )
    return f"<thead><tr>{cells}</tr></thead>"


def _system_link(name: str, depth: int) -> str:
    shown = html.escape(name)
    href = f"{'../' * depth}systems/{shown}.html"
    return f'<td class="name" data-sort="{shown}"><a href="{href}">{shown}</a></td>'


def _ranking_table(table: dict[str, Any], depth: int) -> str:
    metric = table["main_metric"]
    columns = ["system", "rank range", "group", metric, "95% interval"]
    if table["protocol"] == "cv":
        columns.append("per fold mean ± sd")
    columns += ["language model", "pre-training exposure"]
    rows = []
    for row in table["rows"]:
        ci = row["ci"]
        cells = [
            _system_link(row["name"], depth),
            f'<td data-sort="{row["rank_low"]}">{row["rank_low"]}–{row["rank_high"]}</td>',
            f'<td data-sort="{row["group"]}">{row["group"]}</td>',
            _number(row["main_score"]),
            f'<td data-sort="{ci["low"]!r}">[{ci["low"]:.3f}, {ci["high"]:.3f}]</td>'
            if ci
            else _text("–"),
        ]
        if table["protocol"] == "cv":
            folds = row["folds"]
            cells.append(
                f'<td data-sort="{folds["mean"]!r}">{folds["mean"]:.3f} ± {folds["sd"]:.3f}</td>'
            )
        cells += [
            _text("yes" if row["language_model"] else "no"),
            _text(row["pretraining_exposure"]),
        ]
        rows.append(f'<tr class="g{row["group"]}">{"".join(cells)}</tr>')
    task, protocol = table["task"], table["protocol"]
    return (
        f'<table class="sortable ranking" id="ranking-{task}-{protocol}">{_head(columns)}'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _breakdown_table(table: dict[str, Any], key: str, depth: int) -> str:
    columns = sorted({column for row in table["rows"] for column in row[key]})
    if key == "per_label":
        declared = TASKS[table["task"]].labels
        columns = [label for label in declared if label in columns]
    rows = [
        "<tr>"
        + _system_link(row["name"], depth)
        + "".join(_number(row[key].get(column)) for column in columns)
        + "</tr>"
        for row in table["rows"]
    ]
    name = "per-class" if key == "per_label" else "per-document"
    return (
        f'<table class="sortable {name}" id="{name}-{table["task"]}-{table["protocol"]}">'
        f"{_head(['system', *columns])}<tbody>{''.join(rows)}</tbody></table>"
    )


def index_page(data: dict[str, Any]) -> str:
    """Return the front page: every table's ranking, the systems, and how to read them."""
    parts = [
        '<p class="note">Systems scored by the migbench scorer on the benchmark\'s tasks. '
        "Each table ranks the systems of one task under one protocol; click a column to sort. "
        f"{html.escape(GROUPS)}</p>",
        f'<p class="note"><strong>What a number means.</strong> {html.escape(CIRCULARITY)}</p>',
    ]
    for task in data["tasks"]:
        parts.append(f"<h2>{html.escape(task)}: {html.escape(TASKS[task].description)}</h2>")
        parts.append(f'<img src="plots/{task}.png" alt="{task}: main score per system">')
        for table in (t for t in data["tables"] if t["task"] == task):
            link = f"tables/{task}.{table['protocol']}.html"
            parts.append(
                f'<h3><a href="{link}">{html.escape(PROTOCOL_TITLES[table["protocol"]])}</a>'
                f" · {table['n_units']} units</h3>"
            )
            parts.append(_ranking_table(table, 0))
    systems = "".join(
        "<tr>"
        + _system_link(s["name"], 0)
        + _text(s["card"]["model"], css="name")
        + _text("yes" if s["card"]["language_model"] else "no")
        + _text(s["card"]["pretraining_exposure"])
        + _text(len(s["results"]))
        + "</tr>"
        for s in data["systems"]
    )
    parts.append("<h2>Systems</h2>")
    parts.append(
        '<table class="sortable systems" id="systems">'
        + _head(["system", "model", "language model", "pre-training exposure", "results"])
        + f"<tbody>{systems}</tbody></table>"
    )
    return _page("migbench leaderboard", "\n".join(parts), depth=0)


def table_page(table: dict[str, Any], data: dict[str, Any]) -> str:
    """Return the page of one table: ranking, per-class and per-document views, plot."""
    task, protocol = table["task"], table["protocol"]
    body = "\n".join(
        [
            f"<p>{html.escape(PROTOCOL_TITLES[protocol])}; {table['n_units']} units; main metric "
            f"{html.escape(table['main_metric'])}.</p>",
            f'<p class="note">{html.escape(GROUPS)}</p>',
            *(
                [f'<p class="note"><strong>{html.escape(table["resolution"])}</strong></p>']
                if table["resolution"]
                else []
            ),
            _ranking_table(table, 1),
            "<h2>Per class (F1)</h2>",
            _breakdown_table(table, "per_label", 1),
            f"<h2>Per document ({html.escape(table['main_metric'])})</h2>",
            _breakdown_table(table, "per_document", 1),
            f'<img src="../plots/{task}.png" alt="{task}: main score per system">',
        ]
    )
    return _page(f"{task} · {protocol}", body, depth=1)


def system_page(system: dict[str, Any], data: dict[str, Any]) -> str:
    """Return a system's page: its card and every result with its signature."""
    card = system["card"]
    fields = "".join(
        f'<tr><th scope="row" class="name">{html.escape(key)}</th>'
        + _text(_shown(card[key]), css="name")
        + "</tr>"
        for key in card_schema()["required"]
    )
    results = "".join(
        "<tr>"
        + f'<td class="name"><a href="../tables/{r["table"]}.html">{r["table"]}</a></td>'
        + _text(r["main_metric"])
        + _number(r["main_score"])
        + _text(r["signature"], css="sig")
        + "</tr>"
        for r in system["results"]
    )
    body = (
        f'<h2>Card</h2><table class="card">{fields}</table>'
        f'<h2>Results</h2><table class="sortable results" id="results">'
        f"{_head(['table', 'metric', 'score', 'signature'])}<tbody>{results}</tbody></table>"
        f'<p class="note">{html.escape(CIRCULARITY)}</p>'
    )
    return _page(system["name"], body, depth=1)
