"""The leaderboard: system cards, migbench submit into the results store, rank ranges, the site."""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import shutil
from pathlib import Path

import pytest

import migbench
from migbench.cli import main
from migbench.leaderboard import ranking
from migbench.leaderboard.card import CARD_NAME, CardError, load_card
from migbench.leaderboard.site import build_site
from migbench.leaderboard.store import RECORD_NAME, SubmitError, load_store, submit

pytest.importorskip("jsonschema")
pytest.importorskip("matplotlib")

REPO = Path(__file__).resolve().parent.parent
PREDICTIONS = REPO / "baselines" / "predictions"
#: Few trials keep the tests quick; the separations tested here are far beyond their error.
TRIALS = 2000


def card(name: str, protocols: list[str]) -> dict:
    return {
        "name": name,
        "authors": ["A. Tester"],
        "description": "A system for the tests.",
        "url": None,
        "model": "none",
        "training_data": "none",
        "language_model": False,
        "pretraining_exposure": "no",
        "protocols": protocols,
        "seeds": [0],
        "date": "2026-12-07",
        "licence": "CC-BY-4.0",
    }


def folder_with(tmp: Path, name: str, files: dict[str, Path | list[dict]], **fields) -> Path:
    folder = tmp / "submissions" / name
    folder.mkdir(parents=True)
    protocols = sorted({target.split(".")[1] for target in files})
    (folder / CARD_NAME).write_text(json.dumps({**card(name, protocols), **fields}))
    for target, source in files.items():
        if isinstance(source, Path):
            shutil.copyfile(source, folder / target)
        else:
            (folder / target).write_text("".join(json.dumps(row) + "\n" for row in source))
    return folder


def baseline(tmp: Path, name: str) -> Path:
    return folder_with(
        tmp, name, {"stance.cv.jsonl": PREDICTIONS / "cv" / f"{name}.stance.pooled.jsonl"}
    )


def perfect_stance() -> list[dict]:
    return [{"id": u.id, "stance": u.stance} for u in migbench.folds("stance").units]


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A store with three baselines and a system that predicts the gold, and its site."""
    tmp = tmp_path_factory.mktemp("board")
    store = tmp / "store"
    for name in ("majority", "tfidf-lr", "embed-lr"):
        submit(baseline(tmp, name), store, n_trials=TRIALS)
    submit(
        folder_with(tmp, "oracle", {"stance.cv.jsonl": perfect_stance()}), store, n_trials=TRIALS
    )
    data = build_site(store, tmp / "site")
    return store, tmp / "site", data


# Cards -------------------------------------------------------------------------------------


def test_a_card_with_bad_fields_lists_each_with_the_file(tmp_path):
    path = tmp_path / CARD_NAME
    bad = {**card("x", ["cv"]), "pretraining_exposure": "maybe", "name": "Has Space"}
    del bad["licence"]
    path.write_text(json.dumps(bad))
    with pytest.raises(CardError) as caught:
        load_card(path)
    message = str(caught.value)
    assert f"{path}: invalid system card: 3 problem(s)" in message
    assert "pretraining_exposure: 'maybe' is not one of ['yes', 'no', 'unknown']" in message
    assert "'licence' is a required property" in message
    assert "name: 'Has Space' does not match" in message


def test_a_card_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / CARD_NAME
    path.write_text("{name: x}")
    with pytest.raises(CardError, match=str(path)):
        load_card(path)


# Submit ------------------------------------------------------------------------------------


@pytest.mark.integration
def test_submit_writes_one_record_with_the_scorers_results_and_signature(board):
    store, _, _ = board
    record = json.loads((store / "tfidf-lr" / RECORD_NAME).read_text())
    (result,) = record["results"]
    expected = migbench.score(
        "stance", PREDICTIONS / "cv" / "tfidf-lr.stance.pooled.jsonl", protocol="cv"
    )
    assert result["main_score"] == expected["main_score"]
    assert result["ci"] == expected["ci"]
    assert result["signature"] == expected["signature"]
    assert result["signature"].startswith("task:stance|gold:cv|dataset:")
    assert record["card"]["name"] == "tfidf-lr"


@pytest.mark.integration
def test_submit_tests_the_new_system_against_every_earlier_one(board):
    store, _, _ = board
    record = json.loads((store / "oracle" / RECORD_NAME).read_text())
    assert sorted(pair["b"] for pair in record["pairs"]) == ["embed-lr", "majority", "tfidf-lr"]
    expected = migbench.compare(
        "stance",
        {
            "oracle": perfect_stance(),
            "majority": PREDICTIONS / "cv" / "majority.stance.pooled.jsonl",
        },
        protocol="cv",
        n_trials=TRIALS,
    )["pairs"][0]
    found = next(pair for pair in record["pairs"] if pair["b"] == "majority")
    assert found["p_randomization"] == expected["p_randomization"]


@pytest.mark.integration
def test_a_bad_file_names_file_line_and_id_and_writes_nothing(tmp_path):
    rows = perfect_stance()
    rows[2] = {**rows[2], "stance": "pro"}
    folder = folder_with(tmp_path, "bad", {"stance.cv.jsonl": rows, "frame.cv.jsonl": rows[:3]})
    store = tmp_path / "store"
    with pytest.raises(SubmitError) as caught:
        submit(folder, store)
    message = str(caught.value)
    assert f"{folder / 'stance.cv.jsonl'}: invalid stance submission" in message
    assert f"line 3, id '{rows[2]['id']}'" in message
    assert f"{folder / 'frame.cv.jsonl'}: invalid frame submission" in message
    assert not store.exists()


@pytest.mark.integration
def test_a_stray_file_is_named_with_the_valid_names(tmp_path):
    folder = folder_with(tmp_path, "stray", {"stance.cv.jsonl": perfect_stance()})
    (folder / "stance.test.jsonl").write_text("")
    with pytest.raises(
        SubmitError, match=r"unexpected files stance\.test\.jsonl; .*TASK\.PROTOCOL"
    ):
        submit(folder, tmp_path / "store")


@pytest.mark.integration
def test_protocols_must_match_the_files(tmp_path):
    folder = folder_with(
        tmp_path, "mismatch", {"stance.cv.jsonl": perfect_stance()}, protocols=["split"]
    )
    with pytest.raises(SubmitError, match="protocols lists split, but the folder has files for cv"):
        submit(folder, tmp_path / "store")


@pytest.mark.integration
def test_a_failed_resubmission_leaves_the_stored_system_intact(board, tmp_path):
    store, _, _ = board
    before = (store / "majority" / RECORD_NAME).read_bytes()
    rows = [{"id": "nope", "stance": "none"}]
    with pytest.raises(SubmitError):
        submit(folder_with(tmp_path, "majority", {"stance.cv.jsonl": rows}), store)
    assert (store / "majority" / RECORD_NAME).read_bytes() == before


@pytest.mark.integration
def test_cli_submit_reports_a_bad_card_without_traceback(tmp_path, capsys):
    folder = folder_with(tmp_path, "x", {"stance.cv.jsonl": perfect_stance()}, seeds="zero")
    assert main(["submit", str(folder), "--store", str(tmp_path / "store")]) == 1
    err = capsys.readouterr().err
    assert "seeds: 'zero' is not of type 'array'" in err
    assert "Traceback" not in err


# Ranking -----------------------------------------------------------------------------------


def brute_force_ranges(scores, separated_pairs):
    """Rank ranges by enumerating every order that agrees with the separations."""
    names = list(scores)
    seen = {name: [] for name in names}
    for order in itertools.permutations(names):
        position = {name: i + 1 for i, name in enumerate(order)}
        if all((position[a] < position[b]) == (scores[a] > scores[b]) for a, b in separated_pairs):
            for name in names:
                seen[name].append(position[name])
    return {name: (min(p), max(p)) for name, p in seen.items()}


@pytest.mark.parametrize("seed", range(30))
def test_rank_ranges_equal_an_enumeration_of_consistent_orders(seed):
    rng = random.Random(seed)
    names = [f"s{i}" for i in range(rng.randint(2, 6))]
    scores = {name: rng.random() for name in names}
    pairs = [
        {"a": a, "b": b, "p_randomization": rng.choice([0.0001, 0.2, 0.9])}
        for a, b in itertools.combinations(names, 2)
    ]
    adjusted = ranking.separated(pairs)
    apart = [
        (a, b)
        for a, b in itertools.combinations(names, 2)
        if adjusted[frozenset((a, b))] < ranking.ALPHA
    ]
    expected = brute_force_ranges(scores, apart)
    found = {
        row["name"]: (row["rank_low"], row["rank_high"]) for row in ranking.rank(scores, pairs)
    }
    assert found == expected


def test_groups_follow_the_separations_from_each_groups_best():
    scores = {"a": 0.9, "b": 0.85, "c": 0.5, "d": 0.45}
    p = {
        ("a", "b"): 0.5,
        ("a", "c"): 0.0001,
        ("a", "d"): 0.0001,
        ("b", "c"): 0.0001,
        ("b", "d"): 0.0001,
        ("c", "d"): 0.5,
    }
    pairs = [{"a": a, "b": b, "p_randomization": v} for (a, b), v in p.items()]
    rows = {row["name"]: row for row in ranking.rank(scores, pairs)}
    assert {name: row["group"] for name, row in rows.items()} == {"a": 1, "b": 1, "c": 2, "d": 2}
    assert (rows["c"]["rank_low"], rows["c"]["rank_high"]) == (3, 4)


def textbook_holm(p):
    """Holm (1979): step down the sorted p-values, m - k + 1 times each, never decreasing."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    adjusted, running = [0.0] * m, 0.0
    for k, i in enumerate(order, 1):
        running = max(running, min(1.0, (m - k + 1) * p[i]))
        adjusted[i] = running
    return adjusted


@pytest.mark.parametrize("seed", range(5))
def test_adjusted_p_values_are_holms(seed):
    rng = random.Random(seed)
    p = [rng.random() ** 3 for _ in range(rng.randint(1, 20))] + [1.0, 0.0001]
    pairs = [{"a": f"x{i}", "b": f"y{i}", "p_randomization": v} for i, v in enumerate(p)]
    found = ranking.separated(pairs)
    assert [found[frozenset((f"x{i}", f"y{i}"))] for i in range(len(p))] == pytest.approx(
        textbook_holm(p)
    )


# Site --------------------------------------------------------------------------------------


@pytest.mark.integration
def test_the_new_system_is_on_the_page_alone_in_the_top_group(board):
    _, site, data = board
    (table,) = [t for t in data["tables"] if (t["task"], t["protocol"]) == ("stance", "cv")]
    top = table["rows"][0]
    assert (top["name"], top["rank_low"], top["rank_high"], top["group"]) == ("oracle", 1, 1, 1)
    assert all(row["group"] > 1 for row in table["rows"][1:])
    page = (site / "tables" / "stance.cv.html").read_text()
    assert 'href="../systems/oracle.html">oracle</a>' in page
    assert (site / "systems" / "oracle.html").is_file()


@pytest.mark.integration
def test_every_system_and_table_appears_on_the_front_page(board):
    store, site, data = board
    index = (site / "index.html").read_text()
    for record in load_store(store):
        assert f'href="systems/{record["name"]}.html"' in index
    for table in data["tables"]:
        assert f'href="tables/{table["task"]}.{table["protocol"]}.html"' in index
    assert (site / "plots" / "stance.png").is_file()


@pytest.mark.integration
def test_the_site_is_byte_identical_when_rebuilt(board, tmp_path):
    store, site, _ = board
    build_site(store, tmp_path / "again")
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(tmp_path / "again") for p in (tmp_path / "again").rglob("*") if p.is_file()
    )
    for name in files:
        assert (site / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name


@pytest.mark.integration
def test_the_json_beside_the_pages_holds_every_system(board):
    store, site, _ = board
    data = json.loads((site / "leaderboard.json").read_text())
    assert [s["name"] for s in data["systems"]] == [r["name"] for r in load_store(store)]
    assert "Holm" in data["how_groups_are_formed"]


@pytest.mark.release
@pytest.mark.integration
def test_the_committed_site_is_the_committed_stores(tmp_path):
    site = REPO / "leaderboard" / "site"
    build_site(REPO / "leaderboard" / "results", tmp_path / "site")
    committed = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    fresh = sorted(
        p.relative_to(tmp_path / "site") for p in (tmp_path / "site").rglob("*") if p.is_file()
    )
    assert committed == fresh
    for name in committed:
        assert (site / name).read_bytes() == (tmp_path / "site" / name).read_bytes(), name


@pytest.mark.release
@pytest.mark.integration
def test_every_baseline_with_predictions_is_in_the_committed_store():
    from baselines.registry import BASELINES

    stored = {record["name"]: record for record in load_store(REPO / "leaderboard" / "results")}
    assert sorted(stored) == sorted(BASELINES)
    for record in stored.values():
        for result in record["results"]:
            path = REPO / "leaderboard" / "results" / record["name"] / f"{result['table']}.jsonl"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == result["sha256"]


@pytest.mark.release
@pytest.mark.slow
def test_entering_the_baselines_anew_gives_the_committed_store(tmp_path):
    from baselines.leaderboard import enter_baselines

    committed = REPO / "leaderboard" / "results"
    store = tmp_path / "store"
    (store / "someone-else").mkdir(parents=True)  # another system stays where it is
    (store / "someone-else" / "results.json").write_text("{}")
    entered = enter_baselines(store)
    for name in entered:
        for path in sorted((committed / name).iterdir()):
            assert (store / name / path.name).read_bytes() == path.read_bytes(), path
    assert (store / "someone-else" / "results.json").read_text() == "{}"


@pytest.mark.integration
def test_readme_states_the_trials_and_the_error_rate_the_store_uses():
    from migbench.leaderboard.store import N_TRIALS

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"paired approximate randomization, {N_TRIALS:,} trials" in readme
    assert f"`compare` ({N_TRIALS:,} trials of each test)" in readme
    assert f"separated at family-wise α = {ranking.ALPHA}" in readme
    assert f"Holm needs p below {ranking.ALPHA} / pairs" in readme


def test_a_missing_store_is_refused_and_the_site_is_kept(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    (site / "keep.html").write_text("mine", encoding="utf-8")
    code = main(["leaderboard", "--store", str(tmp_path / "typo"), "--out", str(site)])
    assert code == 1
    assert "no results store" in capsys.readouterr().err
    assert (site / "keep.html").read_text(encoding="utf-8") == "mine"


def test_the_site_of_an_empty_store_is_rebuilt_in_place(tmp_path):
    store, site = tmp_path / "store", tmp_path / "site"
    store.mkdir()
    first = build_site(store, site)
    written = sorted(path.relative_to(site) for path in site.rglob("*"))
    assert build_site(store, site) == first
    assert sorted(path.relative_to(site) for path in site.rglob("*")) == written
