"""Run times: every run of the main job records its runs' wall time; RESULTS.md sums them."""

from __future__ import annotations

import json

import pytest

from baselines import make_table, run_all
from baselines.data import Experiment
from baselines.registry import BASELINES
from baselines.run_all import Job


def test_every_run_records_its_runs_and_keeps_the_other_entries(tmp_path, monkeypatch):
    path = tmp_path / "timings.json"
    earlier = {"stages": {"total": 1.0}, "runs": {"cv/old/stance": 5.0, "cv/majority/frame": 9.0}}
    path.write_text(json.dumps(earlier), encoding="utf-8")
    monkeypatch.setattr(run_all, "TIMINGS", path)
    cv = (Experiment("cv", [], {}),)
    jobs = [
        Job(BASELINES["majority"], None, "frame", cv, None),
        Job(BASELINES["stratified"], None, "frame", cv, 1),
        Job(BASELINES["stratified"], None, "mfc", cv, 1),
    ]
    run_all.record_runs(jobs, [2.0, 3.0, 4.5])
    timings = json.loads(path.read_text(encoding="utf-8"))
    assert timings["stages"] == {"total": 1.0}
    assert timings["runs"] == {
        "cv/majority/frame": 2.0,
        "cv/old/stance": 5.0,
        "cv/stratified/frame/seed1": 3.0,
        "cv/stratified/mfc/seed1": 4.5,
    }
    header = {
        "cpus": 2,
        "device": "CPU",
        "fine_tuning_processes": 2,
        "torch_threads": 1,
        "budgets": {},
    }
    lines = make_table.timing_lines({**header, **timings})
    assert "| cv | stratified | 2 | 8 |" in lines
    assert "| cv | majority | 1 | 2 |" in lines


def test_no_run_leaves_the_file_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(run_all, "TIMINGS", tmp_path / "timings.json")
    run_all.record_runs([], [])
    assert not (tmp_path / "timings.json").exists()


def test_later_steps_add_up_to_the_main_job(tmp_path, monkeypatch):
    path = tmp_path / "timings.json"
    monkeypatch.setattr(run_all, "TIMINGS", path)
    run_all.record_stage("release models", 5.0)
    assert not path.exists()  # no full run to add to
    path.write_text(json.dumps({"stages": {"fine-tuning": 90.0, "total": 100.0}}), encoding="utf-8")
    run_all.record_stage("release models", 5.0)
    run_all.record_stage("reproduce models", 20.0)
    run_all.record_stage("release models", 7.0)
    stages = json.loads(path.read_text(encoding="utf-8"))["stages"]
    assert stages == {
        "fine-tuning": 90.0,
        "total": 100.0,
        "reproduce models": 20.0,
        "release models": 7.0,
        "main job": 127.0,
    }
    assert list(stages)[-1] == "main job"


def test_fine_tuning_runs_in_parallel_are_as_many_as_cores_and_memory_allow(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(run_all.os, "cpu_count", lambda: 8)
    pages = {"SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(run_all.os, "sysconf", lambda name: pages[name])
    pages["SC_PHYS_PAGES"] = 64 * run_all.FINE_TUNING_RUN_BYTES // 4096
    assert run_all.fine_tuning_processes() == 8
    pages["SC_PHYS_PAGES"] = 3 * run_all.FINE_TUNING_RUN_BYTES // 4096
    assert run_all.fine_tuning_processes() == 3
    pages["SC_PHYS_PAGES"] = run_all.FINE_TUNING_RUN_BYTES // 8192
    assert run_all.fine_tuning_processes() == 1
