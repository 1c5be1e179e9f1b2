"""The core install scores submissions; every other stage names the extra it needs.

Each test runs migbench in a fresh interpreter in which the optional packages cannot be imported,
as in an environment with only ``pip install migbench``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from migbench.cli import EXTRAS

from .conftest import EXAMPLES, GOLD, REPO

# Every test here starts a fresh interpreter.
pytestmark = pytest.mark.integration

OPTIONAL = tuple(EXTRAS)
BLOCK = f"""
import importlib.abc, sys

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {OPTIONAL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Blocked())
"""


def run_without_extras(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_rehydrate_needs_no_extra(tmp_path):
    notext = tmp_path / "notext"
    subprocess.run(
        [sys.executable, "-m", "migbench", "build", "--no-text", "--out", str(notext)],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=300,
    )
    out = tmp_path / "full"
    argv = ["rehydrate", "--sources", "seeds", "--dataset", str(notext), "--out", str(out)]
    result = run_without_extras(f"from migbench.cli import main\nsys.exit(main({argv!r}))")
    assert result.returncode == 0, result.stderr
    name = Path("data") / "all" / "train.parquet"
    assert (out / name).read_bytes() == (REPO / "dataset" / name).read_bytes()


def test_the_api_scores_without_any_extra():
    result = run_without_extras(
        "import json, migbench\n"
        f"r = migbench.score('stance', {str(EXAMPLES / 'stance.jsonl')!r}, gold={str(GOLD)!r})\n"
        "print(json.dumps(r))\n"
        "print(sorted(m for m in sys.modules if m.partition('.')[0] in "
        f"{OPTIONAL!r}))\n"
    )
    assert result.returncode == 0, result.stderr
    scored, loaded = result.stdout.splitlines()
    assert json.loads(scored)["main_metric"] == "f_avg"
    assert loaded == "[]"


def test_scoring_the_dataset_reads_parquet_without_pyarrow_dataset_pandas_or_datasets():
    # pyarrow.dataset imports pandas, and datasets takes seconds: neither is on the scoring path.
    result = run_without_extras(
        "import migbench\n"
        "for task in ('stance', 'ner'):\n"
        "    path = f'baselines/predictions/cv/embed-lr-ctx.{task}.pooled.jsonl'\n"
        "    if task == 'ner':\n"
        "        path = 'baselines/predictions/cv/crf.ner.pooled.jsonl'\n"
        "    migbench.score(task, path, protocol='cv', dataset='dataset', n_resamples=10)\n"
        "print(sorted({'pyarrow.dataset', 'pandas', 'datasets'} & set(sys.modules)))\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


@pytest.mark.parametrize("command", ["score", "validate"])
def test_the_cli_scores_without_any_extra(command):
    argv = [command, "--task", "ner", str(EXAMPLES / "ner.jsonl"), "--gold", str(GOLD)]
    result = run_without_extras(f"from migbench.cli import main\nsys.exit(main({argv!r}))")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["task"] == "ner"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "extra", "module"),
    [
        (["units"], "corpus", "pysbd"),
        (["validate-annotations"], "annotation", "pysbd"),
        (["agreement"], "annotation", "krippendorff"),
        (["build"], "dataset", "pysbd"),  # the first module the build imports
    ],
)
def test_a_missing_extra_is_a_one_line_error_naming_it(argv, extra, module):
    result = run_without_extras(f"from migbench.cli import main\nsys.exit(main({argv!r}))")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"migbench: error: this command needs the '{extra}' extra ({module} is not installed): "
        f"pip install 'migbench[{extra}]'"
    ]
