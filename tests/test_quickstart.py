"""examples/quickstart.py runs as README shows it: load, train, submit, score."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import migbench

from .conftest import REPO

pytest.importorskip("sklearn")


def _run_quickstart(out: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run the example as a user would, with a fresh datasets cache."""
    return subprocess.run(
        [sys.executable, str(REPO / "examples" / "quickstart.py"), str(out)],
        cwd=cwd,
        env={**os.environ, "HF_DATASETS_CACHE": str(out.parent / "cache"), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_quickstart_writes_a_valid_submission_and_prints_its_score(tmp_path):
    out = tmp_path / "stance.jsonl"
    result = _run_quickstart(out, REPO)
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(
        r"stance f_avg (\d\.\d{3}) \(95% CI (\d\.\d{3})-(\d\.\d{3})\)\n", result.stdout
    )
    assert match, result.stdout
    low, score, high = float(match[2]), float(match[1]), float(match[3])
    assert low <= score <= high
    assert migbench.validate("stance", out, split="test")["n_missing"] == 0
    rescored = migbench.score("stance", out, split="test")["main_score"]
    assert f"{rescored:.3f}" == match[1]


@pytest.mark.slow
def test_quickstart_runs_from_another_folder_on_the_dataset_of_migbench_dataset(tmp_path):
    out = tmp_path / "stance.jsonl"
    result = _run_quickstart(out, tmp_path, MIGBENCH_DATASET=str(REPO / "dataset"))
    assert result.returncode == 0, result.stderr
    assert migbench.validate("stance", out, split="test")["n_missing"] == 0
