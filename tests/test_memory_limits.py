"""The largest inputs the size limits allow, each run under a 2 GB address-space limit.

Each case runs in a subprocess whose ``RLIMIT_AS`` is 2 GB, as ``ulimit -v 2097152`` would set
it: it must end in a result or a one-line error, never ``MemoryError``, a traceback or a crash
in a C extension. The inputs are the worst shapes at the limits of docs/SECURITY.md.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from migbench import jsonio
from migbench.scoring.gold import MAX_GOLD_BYTES
from migbench.scoring.submission import MAX_SUBMISSION_BYTES

from .conftest import REPO

pytestmark = pytest.mark.memory

LIMIT = 2 * 1024**3
GOLD = REPO / "tests/fixtures/gold.jsonl"


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def run_limited(code: str) -> subprocess.CompletedProcess:
    """Run Python ``code`` under the address-space limit; return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_limited,
        timeout=600,
    )


def assert_clean(process: subprocess.CompletedProcess) -> None:
    assert process.returncode in (0, 1), process.stderr[-2000:]
    assert "Traceback" not in process.stderr
    assert "MemoryError" not in process.stderr


def fill(path: Path, line: bytes, limit: int) -> None:
    """Write ``line`` repeated up to ``limit`` bytes."""
    path.write_bytes(line * (limit // len(line)))


@pytest.mark.slow
def test_the_largest_submission_of_bad_lines(tmp_path):
    submission = tmp_path / "sub.jsonl"
    fill(submission, b'{"id": "nobody-000001", "stance": "maybe"}\n', MAX_SUBMISSION_BYTES)
    process = run_limited(
        "import sys; from migbench.cli import main; "
        f"sys.exit(main(['validate', '--task', 'stance', {str(submission)!r}, "
        f"'--gold', {str(GOLD)!r}]))"
    )
    assert_clean(process)
    assert process.returncode == 1
    assert "more" in process.stderr.splitlines()[-1]


@pytest.mark.slow
def test_the_largest_json_file_of_the_costliest_shape(tmp_path):
    path = tmp_path / "export.json"
    count = (jsonio.MAX_BYTES - 2) // 3
    path.write_bytes(b"[" + b"[]," * (count - 1) + b"[]]")
    process = run_limited(
        f"from migbench import jsonio; print(len(jsonio.read_json({str(path)!r})))"
    )
    assert_clean(process)
    assert process.stdout.strip() == str(count)


@pytest.mark.slow
def test_the_largest_gold_file(tmp_path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_scorer import synthetic_unit

    rng = random.Random(0)
    gold = tmp_path / "gold.jsonl"
    size = number = 0
    with gold.open("w", encoding="utf-8") as handle:
        while True:
            row = synthetic_unit(rng, number)
            del row["entities"]
            line = json.dumps(row) + "\n"
            if size + len(line) > MAX_GOLD_BYTES:
                break
            handle.write(line)
            size += len(line)
            number += 1
    process = run_limited(
        "from migbench.scoring.gold import load_gold_file; "
        f"print(len(load_gold_file({str(gold)!r})))"
    )
    assert_clean(process)
    assert process.stdout.strip() == str(number)
