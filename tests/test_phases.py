"""Phases a job goes through (trainer.progress.report_phase), what the job summary makes of them and how the panel
shows them: validating → loading model → training → evaluating (k of N, its own ETA) → writing report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trainer import jobs
from trainer.progress import PHASES, read_jsonl, report_phase
from trainer.state import db
from ui import render


def _job(tmp_path) -> jobs.Job:
    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n')
    return jobs.create_job({"kind": "sft", "model": {"base": str(tmp_path)}, "data": {"train": str(data)}})


def _run(job_id: str) -> None:
    """Put a job into `running` the way the runner does (approval, then the claim), without a process."""
    jobs.transition(job_id, [jobs.AWAITING_APPROVAL], jobs.RUNNING, "test: running", approved_by="tester",
                    approved_at=db.utcnow(), started_at=db.utcnow())


def test_k_of_n_reports_reach_the_run_folder_and_the_job_row_with_an_eta_of_their_own(tmp_path):
    job = _job(tmp_path)
    _run(job.id)
    run_dir = tmp_path / "run"
    first = report_phase(run_dir, "evaluating", done=0, total=4, detail="generating answers", job_id=job.id)
    assert first["eta_s"] is None  # nothing done yet: no rate to extrapolate from
    report_phase(run_dir, "evaluating", done=2, total=4, job_id=job.id)
    last = report_phase(run_dir, "evaluating", done=4, total=4, job_id=job.id)
    assert last["eta_s"] == 0.0  # all 4 done: nothing left, whatever the rate
    rows = read_jsonl(run_dir / "phases.jsonl")
    assert [(r["phase"], r["done"], r["total"]) for r in rows] == [("evaluating", 0, 4), ("evaluating", 2, 4),
                                                                 ("evaluating", 4, 4)]
    assert rows[1]["eta_s"] is not None and rows[1]["eta_s"] >= 0
    assert len({r["started_at"] for r in rows}) == 1  # one phase, one start
    summary = jobs.job_summary(job.id)
    assert summary["phase"]["name"] == "evaluating" and (summary["phase"]["done"], summary["phase"]["total"]) == (4, 4)
    assert summary["phase"]["label"] == "evaluating" and summary["phase"]["elapsed_s"] >= 0
    assert summary["wall_elapsed_s"] >= 0
    # one event when the phase begins, not one per unit
    started = [e["message"] for e in jobs.read_events(job.id) if "evaluating" in e["message"]]
    assert started == ["evaluating started: generating answers"]


def test_an_unknown_phase_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="phase must be one of"):
        report_phase(tmp_path, "thinking")


def test_a_rank_other_than_zero_reports_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    assert report_phase(tmp_path, "training") is None
    assert not (tmp_path / "phases.jsonl").exists()


def test_the_phase_before_the_process_reports_comes_from_the_job_state(tmp_path):
    job = _job(tmp_path)
    assert jobs.current_phase(jobs.get_job(job.id)) is None  # awaiting approval: nothing is happening yet
    jobs.transition(job.id, [jobs.AWAITING_APPROVAL], jobs.VALIDATING, "approved", approved_by="tester",
                    approved_at=db.utcnow())
    assert jobs.current_phase(jobs.get_job(job.id))["name"] == "validating"
    jobs.transition(job.id, [jobs.VALIDATING], jobs.QUEUED, "queued")
    queued = jobs.current_phase(jobs.get_job(job.id))
    assert queued["name"] == "validating" and "waiting for a free device" in queued["detail"]
    jobs.transition(job.id, [jobs.QUEUED], jobs.RUNNING, "running", started_at=db.utcnow())
    assert jobs.current_phase(jobs.get_job(job.id))["name"] == "loading_model"  # the process has not said more yet


def test_the_eta_counts_down_between_reports_and_stops_when_the_job_ends(tmp_path):
    job = _job(tmp_path)
    _run(job.id)
    report_phase(tmp_path / "run", "evaluating", done=0, total=10, job_id=job.id)
    report_phase(tmp_path / "run", "evaluating", done=1, total=10, job_id=job.id)
    row = jobs.get_job(job.id)
    written = jobs._parse_time(row.phase["time"])
    later = jobs.current_phase(row, now=written + timedelta(seconds=5))
    assert later["eta_s"] == pytest.approx(max(0.0, row.phase["eta_s"] - 5), abs=1e-6)
    jobs.transition(job.id, [jobs.RUNNING], jobs.FAILED, "failed")
    ended = jobs.current_phase(jobs.get_job(job.id))
    assert ended["eta_s"] is None and ended["name"] == "evaluating"  # where it stopped


def test_the_panel_ticks_the_phases_done_and_shows_k_of_n_with_the_phase_eta():
    phase = {"name": "evaluating", "label": "evaluating", "done": 3, "total": 12, "eta_s": 40.0,
             "detail": "generating answers", "elapsed_s": 62.0}
    steps = render.phase_steps(phase, "running")
    assert steps == ("✓ validating data → ✓ loading model → ✓ training → **▶ evaluating** → writing report")
    summary = {"id": "sft-1", "state": "running", "step": 6, "total_steps": 6, "progress": 1.0, "eta_s": 0.0,
               "wall_elapsed_s": 500.0, "phase": phase, "metrics": {}}
    panel = render.job_panel(summary)
    assert "3 of 12" in panel and "ETA 40 s" in panel
    assert "| ETA | 40 s |" in panel  # the panel's ETA is the evaluation's, not the finished training's 0 s
    assert "| elapsed | 8 min 20 s |" in panel
    assert 'aria-valuenow="25"' in panel  # the bar follows evaluation: 3 of 12
    done = render.phase_steps(phase, "succeeded")
    assert done.count("✓") == len(PHASES)
    assert "**✗ evaluating**" in render.phase_steps(phase, "failed")
