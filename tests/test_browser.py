"""The built leaderboard in a real browser: headless Chromium loads the pages from disk.

Debian's ``chromium`` and ``chromium-driver`` are installed by ``make test`` (``make chromium``)
when the suite runs as root; elsewhere, without them, these tests are skipped with that reason,
except under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from migbench.leaderboard import browser
from migbench.leaderboard.site import build_site
from migbench.leaderboard.store import submit

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
STORE = REPO / "leaderboard" / "results"

if not browser.available() and os.environ.get("CI") != "true":
    pytest.skip(
        "chromium and chromium-driver are not installed (run `make chromium` as root, or "
        "apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
pytest.importorskip("selenium", reason="selenium is in the test extra: pip install -e '.[test]'")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from the committed store, plus a system submitted from a temporary folder."""
    tmp = tmp_path_factory.mktemp("browser")
    store = tmp / "store"
    shutil.copytree(STORE, store)
    folder = tmp / "mine"
    folder.mkdir()
    gold = [
        json.loads(line)
        for line in (REPO / "baselines" / "predictions" / "cv" / "majority.stance.pooled.jsonl")
        .read_text()
        .splitlines()
    ]
    (folder / "stance.cv.jsonl").write_text(
        "".join(json.dumps({"id": row["id"], "stance": "favor"}) + "\n" for row in gold)
    )
    (folder / "system.json").write_text(
        json.dumps(
            {
                "name": "always-favor",
                "authors": ["A. Tester"],
                "description": "Predicts favor everywhere.",
                "url": None,
                "model": "none",
                "training_data": "none",
                "language_model": False,
                "pretraining_exposure": "no",
                "protocols": ["cv"],
                "seeds": [],
                "date": "2026-12-07",
                "licence": "CC0-1.0",
            }
        )
    )
    submit(folder, store, n_trials=2000)
    data = build_site(store, tmp / "site")
    return tmp / "site", data


@pytest.fixture(scope="module")
def driver():
    started = browser.chromium()
    yield started
    started.quit()


def open_page(driver, path: Path):
    driver.get(path.resolve().as_uri())
    return driver


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def column(table, index: int) -> list[str]:
    return [
        row.find_elements("tag name", "td")[index].get_attribute("data-sort")
        for row in table.find_elements("css selector", "tbody tr")
    ]


def test_every_page_loads_without_console_errors(site, driver):
    folder, data = site
    pages = [folder / "index.html"]
    pages += [folder / "tables" / f"{t['task']}.{t['protocol']}.html" for t in data["tables"]]
    pages += [folder / "systems" / f"{s['name']}.html" for s in data["systems"]]
    for page in pages:
        open_page(driver, page)
        assert driver.find_elements("tag name", "h1"), page
        assert console_errors(driver) == [], page


def test_every_table_renders_with_a_row_per_system(site, driver):
    folder, data = site
    open_page(driver, folder / "index.html")
    for table in data["tables"]:
        element = driver.find_element("id", f"ranking-{table['task']}-{table['protocol']}")
        rows = element.find_elements("css selector", "tbody tr")
        assert [row.find_element("tag name", "a").text for row in rows] == [
            row["name"] for row in table["rows"]
        ]
        assert element.is_displayed()


def test_every_system_and_task_appears_on_the_front_page(site, driver):
    folder, data = site
    open_page(driver, folder / "index.html")
    links = {
        a.get_attribute("href").rsplit("/", 1)[-1] for a in driver.find_elements("tag name", "a")
    }
    assert {f"{s['name']}.html" for s in data["systems"]} <= links
    assert {f"{t['task']}.{t['protocol']}.html" for t in data["tables"]} <= links
    assert "always-favor.html" in links
    headings = " ".join(h.text for h in driver.find_elements("tag name", "h2"))
    for task in data["tasks"]:
        assert task in headings


def test_clicking_a_header_sorts_the_table_both_ways(site, driver):
    folder, _ = site
    open_page(driver, folder / "tables" / "stance.cv.html")
    table = driver.find_element("id", "ranking-stance-cv")
    header = table.find_elements("css selector", "thead th")[3]  # the main score
    header.click()
    ascending = [float(v) for v in column(table, 3)]
    assert ascending == sorted(ascending)
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    descending = [float(v) for v in column(table, 3)]
    assert descending == sorted(ascending, reverse=True)
    assert console_errors(driver) == []


def test_the_submitted_system_is_in_its_group_on_the_page(site, driver):
    folder, data = site
    (table,) = [t for t in data["tables"] if (t["task"], t["protocol"]) == ("stance", "cv")]
    expected = next(row for row in table["rows"] if row["name"] == "always-favor")
    open_page(driver, folder / "tables" / "stance.cv.html")
    row = driver.find_element(
        "xpath", "//table[@id='ranking-stance-cv']//tr[.//a[text()='always-favor']]"
    )
    cells = row.find_elements("tag name", "td")
    assert cells[2].text == str(expected["group"])
    assert cells[1].text == f"{expected['rank_low']}–{expected['rank_high']}"
