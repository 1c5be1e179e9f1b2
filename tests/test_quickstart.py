"""examples/quickstart.py runs as README shows it: load, train, submit, score."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import migbench

from .conftest import REPO

pytest.importorskip("sklearn")


@pytest.mark.slow
def test_quickstart_writes_a_valid_submission_and_prints_its_score(tmp_path):
    out = tmp_path / "stance.jsonl"
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, "examples/quickstart.py", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
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
