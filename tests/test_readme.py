"""Every bash and python block of README.md runs from a temporary folder, as a new user would.

The blocks run outside the checkout, with ``MIGBENCH_DATASET`` naming its dataset and this
interpreter's ``bin`` first on ``PATH`` (``migbench`` and ``python`` as installed). A block whose
info string ends in ``skip`` (as ``bash skip``) is not run; :data:`SKIPPED` says why for each, and
the test fails when a block is skipped without a reason or a reason names no block.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: The first line of each block that is not run, and why. Each stands for the user's own work (a
#: model, a system) or needs what a test may not have (the network, an hour); where the same
#: steps can run, another test runs them.
SKIPPED = {
    # The whole pipeline and the test suite: a venv, Label Studio and the transformer (an hour).
    "make run    # the main job: seeds → units → Label Studio files → annotation checks → dataset "
    "→ baselines → scores → results table": "runs the whole pipeline",
    # A sketch around the user's model; examples/crossval.py is the same loop, run by the tests.
    "import migbench": "a placeholder model",
    # Downloads models from the Hugging Face Hub and spaCy's releases.
    "python -m baselines.run_all --model sentence-transformers/all-MiniLM-L6-v2   # transformer, "
    "embed-lr": "needs the network",
    # The user's own system folder; the submit flow has its own tests.
    "migbench submit my-system/          # validates card and files, scores, tests against the "
    "store": "a placeholder system",
    # A placeholder model for lm-evaluation-harness, and the results that run returns.
    "lm_eval --model hf --model_args pretrained=MODEL --tasks migbench \\": "a placeholder model",
    "from migbench.harness.lmeval import submission_from_samples": "the results of lm_eval",
    # Downloads the encoder from the Hugging Face Hub; the MTEB tasks have their own tests.
    "import mteb": "needs the network",
    # The user's own corpus files, and the released models that `make run` builds; the predict
    # tests run the same commands on files they write.
    'migbench predict corpus.jsonl --model stance --out stance.jsonl   # JSONL with a "text" '
    "field": "placeholder corpus files",
    # A placeholder article, added to the checkout's own seeds/.
    ".venv/bin/migbench ingest path/to/article.txt --doc-id short-slug --genre news \\": (
        "edits the checkout"
    ),
}
_BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> list[tuple[str, str]]:
    """Return (info string, code) of every fenced block of README.md, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return [(match["info"].strip(), match["code"]) for match in _BLOCK.finditer(readme)]


def _runnable() -> list[tuple[str, str]]:
    return [(info, code) for info, code in _blocks() if info in ("bash", "python")]


def test_every_skipped_block_has_a_reason_and_every_reason_a_block():
    skipped = [code.splitlines()[0] for info, code in _blocks() if info.endswith(" skip")]
    assert sorted(skipped) == sorted(SKIPPED)
    assert len(_runnable()) >= 4


@pytest.fixture
def user(tmp_path) -> dict[str, str]:
    """The environment of a user outside the checkout."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {
        **os.environ,
        "PATH": path,
        "MIGBENCH_DATASET": str(REPO / "dataset"),
        "HF_DATASETS_CACHE": str(tmp_path / "cache"),
        "HF_HUB_OFFLINE": "1",
    }


@pytest.mark.parametrize(
    ("info", "code"),
    _runnable(),
    ids=[f"{info}-{number}" for number, (info, _) in enumerate(_runnable())],
)
def test_the_block_runs_from_a_temporary_folder(info, code, tmp_path, user, monkeypatch):
    if code.startswith(">>>"):
        # An interactive session: its outputs are checked as doctests.
        for name in ("PATH", "MIGBENCH_DATASET"):
            monkeypatch.setenv(name, user[name])
        monkeypatch.chdir(tmp_path)
        test = doctest.DocTestParser().get_doctest(code, {}, "README", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        summary = runner.summarize(verbose=False)
        assert (summary.failed, summary.attempted > 0) == (0, True)
        return
    shell = ["bash", "-euo", "pipefail", "-c"] if info == "bash" else [sys.executable, "-c"]
    result = subprocess.run(
        [*shell, code],
        cwd=tmp_path,
        env=user,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
