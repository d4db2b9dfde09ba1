"""The runner with real job processes and a real SQLite database: live progress, the queue limit, cancel, an app
killed mid-job, a run folder deleted under a job, a full disk while checkpointing, and pid reuse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_jobs_recipe import RECIPE, REPO, job_env, runner, tiny_config, wait_for, write_texts  # noqa: F401 (fixtures)
from trainer import jobs
from trainer.state import db
from trainer.callbacks import last_complete_checkpoint
from trainer.progress import read_jsonl
from agent.records import Conversation, Message
from trainer.records import Job
from trainer.processes import process_alive
from trainer.runner import reconcile


def state(job_id: str) -> str:
    return jobs.get_job(job_id).state


def step_reached(job_id: str, step: int, attempt: int | None = None):
    rows = jobs.read_metrics(job_id)
    return any(r["step"] >= step and (attempt is None or r["attempt"] == attempt) for r in rows)


def approved(config) -> str:
    return jobs.approve_job(jobs.create_job(config.to_dict()).id, "tester").id


def test_cancel_stops_at_a_step_boundary_with_a_checkpoint_while_the_next_job_waits_then_runs(
        runner, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEWISE_TEST_STEP_SLEEP", "0.3")  # slow steps, so the cancel lands mid-run
    data = write_texts(tmp_path / "d.jsonl")
    first = approved(tiny_config(tiny_model_dir, data, steps=200, save_every=50))
    second = approved(tiny_config(tiny_model_dir, data, steps=3))
    wait_for(lambda: step_reached(first, 2), 120, what="step 2")
    assert state(second) == "queued"  # max_concurrent=1: the second job waits its turn
    started = time.monotonic()
    job = jobs.cancel_job(first)
    assert job.state == "running" and jobs.job_summary(first)["cancel_requested"]
    with pytest.raises(jobs.JobError, match="cancel was already requested") as e:
        jobs.cancel_job(first)
    assert e.value.code == "cancel_pending"
    wait_for(lambda: state(first) == "cancelled", 30, what="cancelled")
    latency = time.monotonic() - started
    assert latency < 5.0, f"cancel took {latency:.1f} s"
    job = jobs.get_job(first)
    assert job.exit_code == 3  # the worker recorded it itself, after its checkpoint
    checkpoint = last_complete_checkpoint(Path(job.run_dir))
    assert checkpoint is not None and int(checkpoint.name.split("-")[1]) >= 2  # the stop step, not save_every=50
    wait_for(lambda: not process_alive(job.pid, job.pid_create_time), 30, what="the job process to exit")
    with pytest.raises(jobs.JobError, match="already cancelled") as e:
        jobs.cancel_job(first)
    with pytest.raises(jobs.JobError, match="is cancelled, which is final"):
        jobs.resume_job(first)

    wait_for(lambda: state(second) in jobs.TERMINAL, 300, what="the second job")
    job = jobs.get_job(second)
    assert job.state == "succeeded" and job.exit_code == 0 and job.result["steps"] == 3
    assert job.started_at >= jobs.get_job(first).finished_at  # it started only once the first had stopped
    run_dir = Path(job.run_dir)
    assert [r["step"] for r in read_jsonl(run_dir / "metrics.jsonl")] == [1, 2, 3]
    assert [r["step"] for r in jobs.read_metrics(second)] == [1, 2, 3]  # the same rows in the database
    assert "training started: 3 optimizer steps" in (run_dir / "log.txt").read_text()
    for job_id in (first, second):  # exactly one terminal state each
        messages = [e["message"] for e in jobs.read_events(job_id)]
        assert sum(m == "succeeded" or m.startswith(("failed", "cancelled")) for m in messages) == 1, messages
    summary = jobs.job_summary(second)
    assert (summary["step"], summary["total_steps"], summary["progress"], summary["eta_s"]) == (3, 3, 1.0, None)


def test_a_deleted_run_folder_fails_the_job_clearly_and_keeps_its_database_rows(runner, tiny_model_dir, tmp_path,
                                                                               monkeypatch):
    import shutil

    monkeypatch.setenv("TUNEWISE_TEST_STEP_SLEEP", "0.3")
    job_id = approved(tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=200, save_every=50))
    wait_for(lambda: step_reached(job_id, 2), 120, what="step 2")
    shutil.rmtree(jobs.get_job(job_id).run_dir)
    wait_for(lambda: state(job_id) in jobs.TERMINAL + ("interrupted",), 30, what="an outcome")
    job = jobs.get_job(job_id)
    assert (job.state, job.error_code) == ("failed", "run_dir_missing")
    assert "was deleted while the job was running" in job.error_message
    assert len(jobs.read_metrics(job_id)) >= 2  # what was measured before is still readable


def test_a_full_disk_while_checkpointing_interrupts_keeps_the_last_complete_checkpoint_and_resumes(
        runner, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEWISE_TEST_ENOSPC_AT_STEP", "3")
    job_id = approved(tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=5))
    wait_for(lambda: state(job_id) not in ("queued", "running"), 120, what="the disk to fill")
    job = jobs.get_job(job_id)
    assert (job.state, job.error_code) == ("interrupted", "disk_full")
    assert "no space left on the disk" in job.error_message and "resume" in job.error_message
    checkpoints = Path(job.run_dir) / "checkpoints"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["checkpoint-1", "checkpoint-2"]  # the partial 3 is gone
    assert last_complete_checkpoint(Path(job.run_dir)).name == "checkpoint-2"
    monkeypatch.delenv("TUNEWISE_TEST_ENOSPC_AT_STEP")  # space was freed
    jobs.resume_job(job_id)
    wait_for(lambda: state(job_id) in jobs.TERMINAL, 120, what="the resumed job")
    job = jobs.get_job(job_id)
    assert (job.state, job.attempt, job.result["steps"], job.error_code) == ("succeeded", 2, 5, None)
    resumed = [r for r in jobs.read_metrics(job_id) if r["attempt"] == 2]
    assert resumed[0]["step"] == 3  # continued after checkpoint-2


def test_a_recorded_pid_reused_by_another_process_is_not_mistaken_for_the_job(tiny_model_dir, tmp_path):
    job_id = approved(tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl")))
    other = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        import psutil

        real_start = psutil.Process(other.pid).create_time()
        with db.session() as s:
            row = s.get(Job, job_id)
            row.state, row.attempt, row.pid, row.pid_create_time = "running", 1, other.pid, real_start
            s.commit()
        assert reconcile() == [] and state(job_id) == "running"  # same pid, same start time: the job's process
        with db.session() as s:
            s.get(Job, job_id).pid_create_time = real_start - 100.0  # the job's process started earlier
            s.commit()
        assert reconcile() == [job_id]
        assert state(job_id) == "interrupted" and other.poll() is None  # and the stranger was left alone
    finally:
        other.kill()
        other.wait()


def test_the_app_killed_mid_job_leaves_it_interrupted_and_it_resumes_with_its_conversation_intact(
        job_env, tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TUNEWISE_TEST_STEP_SLEEP", "0.2")
    with db.session() as s:
        s.add(Conversation(id="conv-app", title="fine-tune for support tone"))
        s.add(Message(conversation_id="conv-app", role="user", content="please train it"))
        s.commit()
    job = jobs.create_job(tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=12).to_dict(),
                          conversation_id="conv-app")
    jobs.approve_job(job.id, "tester")

    def start_app() -> subprocess.Popen:  # stands in for the app: the same runner loop, in its own process
        return subprocess.Popen([sys.executable, "-m", "trainer.runner", "--recipe", RECIPE, "--max-concurrent", "1",
                                 "--poll", "0.1"], cwd=REPO, start_new_session=True)

    app = start_app()
    try:
        wait_for(lambda: step_reached(job.id, 2), 120, what="step 2")
        worker = jobs.get_job(job.id)
        os.kill(app.pid, signal.SIGKILL)  # the app dies without a word
        app.wait()
        # the job notices its app is gone, saves a checkpoint at the next step boundary and says so
        wait_for(lambda: state(job.id) != "running", 30, what="the job to notice")
        assert state(job.id) == "interrupted"
        wait_for(lambda: not process_alive(worker.pid, worker.pid_create_time), 30, what="the job process to exit")
        stopped_at = last_complete_checkpoint(Path(worker.run_dir))
        assert stopped_at is not None
        app = start_app()  # the app restarts: the job stays interrupted until the user resumes it
        time.sleep(0.5)
        assert state(job.id) == "interrupted"
        jobs.resume_job(job.id)
        wait_for(lambda: state(job.id) in jobs.TERMINAL, 180, what="the resumed job")
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
            app.wait()
    job = jobs.get_job(job.id)
    assert (job.state, job.attempt, job.conversation_id) == ("succeeded", 2, "conv-app")
    with db.session() as s:
        assert s.get(Conversation, "conv-app").title == "fine-tune for support tone"
        assert [m.content for m in s.query(Message).filter(Message.conversation_id == "conv-app")] == ["please train it"]
    first_of_attempt_2 = min(r["step"] for r in jobs.read_metrics(job.id) if r["attempt"] == 2)
    assert first_of_attempt_2 == int(stopped_at.name.split("-")[1]) + 1


def test_a_job_whose_process_died_while_nothing_supervised_it_shows_interrupted_on_the_next_look(
        tiny_model_dir, tmp_path):
    import psutil

    job_id = approved(tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl")))
    stand_in = subprocess.Popen(["sleep", "60"], start_new_session=True)  # the job's process; its app is gone
    with db.session() as s:
        row = s.get(Job, job_id)
        row.state, row.attempt = "running", 1
        row.pid, row.pid_create_time = stand_in.pid, psutil.Process(stand_in.pid).create_time()
        s.commit()
    from ui.cli import main

    assert main(["jobs", "show", job_id]) == 0 and state(job_id) == "running"  # alive: left alone
    os.killpg(stand_in.pid, signal.SIGKILL)
    stand_in.wait()
    assert main(["jobs", "list"]) == 0  # the CLI reconciles before it shows
    job = jobs.get_job(job_id)
    assert job.state == "interrupted" and job.exit_code is None
    assert "its process is gone" in jobs.read_events(job_id)[-1]["message"]


@pytest.mark.slow
def test_a_torchrun_job_with_two_processes_cancels_cleanly_and_leaves_no_rank_behind(job_env, tiny_model_dir,
                                                                                      tmp_path):
    from tests.test_resilience import sft_config, write_pairs
    from trainer.processes import job_processes
    from trainer.runner import Runner

    config = sft_config(tiny_model_dir, write_pairs(tmp_path / "pairs.jsonl", n=60), steps=200)
    config["training"]["save_every"] = 100
    config["launch"] = {**config["launch"], "nproc_per_node": 2, "master_port": 29611}
    job_id = jobs.approve_job(jobs.create_job(config).id, "tester").id
    runner = Runner(max_concurrent=1, poll_s=0.05).start()
    try:
        wait_for(lambda: step_reached(job_id, 2), 600, what="step 2 under torchrun")
        assert len(job_processes(job_id)) >= 3  # worker, torchrun, 2 ranks (ranks in sessions of their own)
        jobs.cancel_job(job_id)
        wait_for(lambda: state(job_id) != "running", 60, what="the cancel")
        assert state(job_id) == "cancelled"
        assert last_complete_checkpoint(Path(jobs.get_job(job_id).run_dir)) is not None
        wait_for(lambda: job_processes(job_id) == [], 30, what="every rank to exit")
    finally:
        runner.stop(timeout=10)
