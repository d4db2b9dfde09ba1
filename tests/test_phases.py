"""Phases a job goes through (trainer.progress.report_phase), what the job summary makes of them and how the panel
shows them: validating → loading model → training → evaluating (k of N, its own ETA) → writing report."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.test_jobs_recipe import job_env, run_to_end  # noqa: F401 (fixture)
from trainer import jobs
from trainer.config import parse_config
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


def test_a_real_tiny_job_writes_validating_loading_training_evaluating_k_of_n_and_writing_report(tmp_path, job_env,
                                                                                                 tiny_model_dir):
    """The real SFT recipe in a real job process started by the runner, evaluation on (prompt search, test, the
    forgetting probe): its record says each phase once, in order, and the evaluation counts k of N with its own
    ETA, which the panel shows while it runs."""
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"{i}+{i + 3}?", "completion": f"{2 * i + 3}"}) + "\n"
                            for i in range(40)))
    config = parse_config({
        "kind": "sft", "model": {"base": str(tiny_model_dir), "max_seq_len": 64}, "data": {"train": str(data)},
        "lora": {"method": "lora", "r": 4, "alpha": 8},
        "training": {"max_steps": 2, "batch_size": 4, "learning_rate": 5e-3, "save_every": 1000},
        "eval": {"max_examples": 2, "search_examples": 2, "max_new_tokens": 4, "few_shot": 1}}).to_dict()
    job = jobs.approve_job(jobs.create_job(config).id, "tester")
    panels = []  # the job panel, rendered whenever the poll finds the evaluation counting

    def observe(summary):
        phase = summary.get("phase") or {}
        if phase.get("name") == "evaluating" and phase.get("total"):
            panels.append((phase["done"], phase["total"], render.job_panel(summary)))

    done = run_to_end(job.id, observe)
    assert done.state == "succeeded", f"{done.error_code}: {done.error_message}"

    # the job's event log: validating (approval → validated), then each phase the process reported, once
    messages = [e["message"] for e in jobs.read_events(job.id)]
    marks = ["approved by tester", "validated; queued", "loading model started", "training started",
             "evaluating started", "writing report started", "succeeded"]
    found = [next(i for i, m in enumerate(messages) if m.startswith(mark)) for mark in marks]
    assert found == sorted(found), messages
    assert sum(m.startswith("evaluating started") for m in messages) == 1  # one start, not one per unit

    # the run folder's phases.jsonl: the process's phases in order, the evaluation counting k of N
    rows = read_jsonl(Path(done.run_dir) / "phases.jsonl")
    order = [r["phase"] for i, r in enumerate(rows) if i == 0 or r["phase"] != rows[i - 1]["phase"]]
    assert order == ["loading_model", "training", "evaluating", "writing_report"]
    counted = [r for r in rows if r["phase"] == "evaluating" and r["total"]]
    totals = {r["total"] for r in counted}
    assert len(totals) == 1, totals  # one N for the whole evaluation
    n = totals.pop()
    dones = [r["done"] for r in counted]
    assert dones == sorted(dones) and len(set(dones)) == len(dones) and dones[-1] == n
    assert n >= 2 * 252  # the forgetting probe's items, base and tuned, are among the units
    assert all(r["eta_s"] is not None and r["eta_s"] >= 0 for r in counted[1:])  # the phase's own ETA
    assert counted[-1]["eta_s"] == 0.0
    assert len({r["started_at"] for r in rows if r["phase"] == "evaluating"}) == 1

    # what the panel showed while the evaluation ran: k of N and an ETA, elapsed time counting
    assert panels, "the poll never saw the evaluation counting"
    k, total, panel = panels[-1]
    assert f"{k} of {total}" in panel and "ETA" in panel and "| elapsed |" in panel
    summary = jobs.job_summary(job.id)
    assert summary["phase"]["name"] == "writing_report" and summary["wall_elapsed_s"] > 0
