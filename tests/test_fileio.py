"""Atomic writes: the whole file or the previous one, with the mode a plain write would give."""

from __future__ import annotations

import stat

import pytest

from migbench.fileio import write_atomic


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_gets_the_mode_of_a_plain_write(tmp_path):
    (tmp_path / "plain.txt").write_text("x")
    write_atomic(tmp_path / "atomic.txt", "x")
    assert mode(tmp_path / "atomic.txt") == mode(tmp_path / "plain.txt")


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode(path) == 0o640


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_atomic(path, ["not", "bytes"])
    assert path.read_text() == "old"
    assert [child.name for child in tmp_path.iterdir()] == ["results.json"]
