"""Every job process is reaped, whatever the database says about its job: five jobs through the app's runner (approved
with the Approve action of the real server) and five through `tunewise jobs run`, with zero zombies after each
job ends; `jobs run` returns within 5 s of the last job (DESIGN.md).

A worker records its own outcome before it exits, so by the time its process is gone the job is no longer
`running` in the database; a runner that only waits for children of running jobs leaves each one `<defunct>` and
never sees its queue idle. The jobs are the real SFT recipe on the session's tiny random model, 2 optimizer steps,
evaluation off, so each takes seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timezone

import psutil

from tests.test_jobs_recipe import REPO, job_env, tiny_config  # noqa: F401 (fixtures)
from tests.test_ui_server import client_factory, guidance_index, serve_app, write_examples  # noqa: F401 (fixtures)
from trainer import jobs
from agent.events import ApprovalRequest

JOBS = 5
REAP_WINDOW_S = 2.0  # a finished worker is reaped at the runner's next tick (0.2 s in the app, 0.5 s in `jobs run`)
IDLE_EXIT_S = 5.0  # DESIGN.md: `jobs run` returns within 5 s once the queue is idle


def zombies(pid: int) -> list[int]:
    """Zombie processes among the descendants of `pid`."""
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                out.append(child.pid)
        except psutil.NoSuchProcess:
            continue
    return out


def zombie_free_soon(pid: int) -> list[int]:
    """Zombies still there after the reap window (an empty list is the pass)."""
    deadline = time.monotonic() + REAP_WINDOW_S
    while (found := zombies(pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def watch(job_ids: list[str], pid: int, alive=lambda: True, timeout: float = 600.0) -> list[int]:
    """Wait until every job is terminal; after each one ends, count the zombies left under `pid`."""
    counts, done = [], set()
    deadline = time.monotonic() + timeout
    while len(done) < len(job_ids):
        assert time.monotonic() < deadline, f"jobs still not finished: {[jobs.get_job(j).state for j in job_ids]}"
        for job_id in job_ids:
            if job_id not in done and jobs.get_job(job_id).state in jobs.TERMINAL:
                done.add(job_id)
                counts.append(len(zombie_free_soon(pid)))
        if not alive():
            break
        time.sleep(0.1)
    return counts


def test_five_jobs_through_the_app_leave_no_zombie(serve_app, client_factory, tmp_path, tiny_model_dir, job_env):
    from agent import conversations

    url = serve_app()
    client = client_factory(url)
    cid = conversations.create()
    client.predict(cid, api_name="/open_conversation")
    data = write_examples(tmp_path / "d.jsonl", n=16)
    job_ids = []
    for _ in range(JOBS):  # one awaiting approval at a time, as in the chat
        job = jobs.create_job(tiny_config(tiny_model_dir, data, steps=2).to_dict(), conversation_id=cid)
        conversations.append(cid, [ApprovalRequest(job.id, {"summary": "tiny"}, None)])
        client.predict(f"approve:{job.id}", api_name="/act")
        assert jobs.get_job(job.id).approved_by, "the Approve action approved it"
        job_ids.append(job.id)
    counts = watch(job_ids, os.getpid())
    states = [jobs.get_job(j).state for j in job_ids]
    assert states == ["succeeded"] * JOBS, [(j, jobs.get_job(j).error_message) for j in job_ids]
    assert counts == [0] * JOBS, f"zombies left under the app after each job: {counts}"
    print(f"\napp: {JOBS} jobs, zombies after each: {counts}")


def test_jobs_run_reaps_five_jobs_and_exits_within_5_s_of_the_last(tmp_path, tiny_model_dir, tunewise_home, job_env):
    data = write_examples(tmp_path / "d.jsonl", n=16)
    job_ids = [jobs.approve_job(jobs.create_job(tiny_config(tiny_model_dir, data, steps=2).to_dict()).id,
                                "tester").id for _ in range(JOBS)]
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "jobs", "run"], cwd=REPO, env=os.environ.copy(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        counts = watch(job_ids, proc.pid, alive=lambda: proc.poll() is None)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        exited = datetime.now(timezone.utc)
        assert proc.poll() is not None, "`jobs run` still running 30 s after its last job"
        assert proc.returncode == 0, proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    finished = max(jobs.get_job(j).finished_at for j in job_ids)
    finished = finished if finished.tzinfo else finished.replace(tzinfo=timezone.utc)  # stored in UTC
    idle_to_exit = (exited - finished).total_seconds()
    assert [jobs.get_job(j).state for j in job_ids] == ["succeeded"] * JOBS
    assert counts == [0] * JOBS, f"zombies under `jobs run` after each job: {counts}"
    assert idle_to_exit <= IDLE_EXIT_S, f"`jobs run` exited {idle_to_exit:.1f} s after the last job"
    print(f"\njobs run: {JOBS} jobs, zombies after each: {counts}, exit {idle_to_exit:.2f} s after the last job")
