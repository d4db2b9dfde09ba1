"""The job runner: the database is the queue; each job runs as its own process in its own process group.

    runner = trainer.runner.start_runner()      # the app: a daemon thread, ticking every 0.5 s
    Runner(only=job_id).tick()                   # `tunewise train`: runs just its own job
    `tunewise jobs run`                          # the queue in the foreground, without the app

A tick:
1. reconciles running jobs: a job whose process is gone without recording an outcome becomes `interrupted`
   (`cancelled` when a cancel was requested; `trainer.jobs.finish_if_gone`). A process is the job's only if both
   its pid and its start time match what was recorded (trainer/processes.py), so a pid the OS reused for something
   else is never mistaken for the job;
2. kills (SIGKILL to the process group) a cancelled job that has not stopped within the grace period;
3. re-runs a validation left half-done by a process that died, and fails pipeline stages whose parent failed;
4. claims queued jobs while fewer than `max_concurrent` jobs run (one job per device by default), oldest first,
   a pipeline stage only after its parent succeeded. The claim is one UPDATE, so several runners (the app and a
   `tunewise train` in a terminal) never exceed the limit or start a job twice.

The job process (`python -m trainer.worker JOB_ID`, trainer/worker.py) gets `start_new_session=True`, so a signal
for the job reaches every process it started (torchrun and its ranks) and nothing else; its output goes to
run_dir/log.txt. It watches the runner that started it: when the app dies, the job saves a checkpoint and
records `interrupted`; `resume_job` continues it from there once the app is back.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import text
from sqlmodel import select

from trainer.jobs import (
    CANCEL_GRACE_S,
    CANCELLED,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RUNNING,
    VALIDATING,
    JobError,
    finish_if_gone,
    get_job,
    record_event,
    transition,
    validate_job,
)
from trainer.processes import signal_job
from trainer.records import Job
from trainer.state import db, home
from trainer.state.secrets import job_environment
from trainer.state.vocabulary import JobState

STALE_VALIDATION_S = 120.0  # a validation not finished after this long is re-run (the process doing it died)
EXIT_MEANING = {0: JobState.SUCCEEDED, 1: FAILED, 3: CANCELLED, 4: INTERRUPTED}  # trainer.worker exit codes


def cuda_devices() -> list[str]:
    """The CUDA devices jobs may use (as CUDA_VISIBLE_DEVICES names them); [] on a machine without CUDA."""
    try:
        import torch  # heavy (seconds) and only needed to count GPUs: the runner itself never trains

        count = torch.cuda.device_count()
    except Exception:  # noqa: BLE001 - no usable torch means the CPU
        count = 0
    visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return (visible or [str(i) for i in range(count)])[:count]


def device_count() -> int:
    """Devices jobs can run on: CUDA GPUs, or 1 (the CPU)."""
    return max(1, len(cuda_devices()))


def reconcile(children: dict[str, subprocess.Popen] | None = None) -> list[str]:
    """Settle every running job whose process is gone; return their ids. `children`: processes this runner
    started (their exit status is collected, so they never linger as zombies)."""
    children = children if children is not None else {}
    settled = []
    with db.session() as s:
        running = list(s.exec(select(Job).where(Job.state == RUNNING)))
    for job in running:
        child = children.get(job.id)
        if child is not None and job.pid == child.pid:
            code = child.poll()
            if code is None:
                continue
            children.pop(job.id)
            after = finish_if_gone(job, code, exited=True)
        else:
            after = finish_if_gone(job)
        if after.state != RUNNING:
            settled.append(job.id)
    return settled


class Runner:
    """Starts and supervises job processes; see the module docstring. Not thread-safe: one thread ticks it."""

    def __init__(self, max_concurrent: int | None = None, recipe: str | None = None, only: str | None = None,
                 poll_s: float = 0.5, cancel_grace_s: float = CANCEL_GRACE_S):
        """max_concurrent: jobs running at once across every runner of this database (None = one per device);
        recipe: a module whose `run(config, run_dir, resume)` replaces the kind's recipe (tests and benchmarks);
        only: claim just this job (`tunewise train`); poll_s: seconds between ticks of the background thread;
        cancel_grace_s: seconds a cancelled job may take to save its checkpoint before SIGKILL."""
        self.gpus = cuda_devices()
        self.max_concurrent = max_concurrent or max(1, len(self.gpus))
        self.gpu_of: dict[str, str] = {}  # job id -> the GPU this runner gave it (several GPUs, one-process jobs)
        self.recipe, self.only, self.poll_s, self.cancel_grace_s = recipe, only, poll_s, cancel_grace_s
        self.children: dict[str, subprocess.Popen] = {}
        self._killed: set[tuple[str, int]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- one pass ----

    def tick(self) -> None:
        self._reap()
        reconcile(self.children)
        self._enforce_cancel_grace()
        self._settle_validations_and_pipelines()
        while (job_id := self._claim()) is not None:
            self._spawn(get_job(job_id))

    def _reap(self) -> None:
        """Collect the exit status of every child this runner started that has exited, whatever the database says:
        a worker that recorded its own outcome is no longer `running` there, yet it must still be waited for, or it
        lingers as a zombie and `run_forever(until_idle=True)` never sees the queue idle."""
        for job_id, proc in list(self.children.items()):
            code = proc.poll()
            if code is None:
                continue
            del self.children[job_id]
            self.gpu_of.pop(job_id, None)
            try:
                job = get_job(job_id)
            except JobError:  # the row was deleted under the job; the process is reaped all the same
                continue
            if job.state == RUNNING and job.pid == proc.pid:
                finish_if_gone(job, code, exited=True)

    def _enforce_cancel_grace(self) -> None:
        limit = db.utcnow() - timedelta(seconds=self.cancel_grace_s)
        with db.session() as s:
            late = list(s.exec(select(Job).where(Job.state == RUNNING, Job.cancel_requested_at.is_not(None),
                                                 Job.cancel_requested_at < limit)))
        for job in late:
            if (job.id, job.attempt) not in self._killed and signal_job(job, signal.SIGKILL):
                self._killed.add((job.id, job.attempt))
                record_event(job.id, f"did not stop within {self.cancel_grace_s:.0f} s of the cancel: killed",
                             "warning", job.run_dir)

    def _settle_validations_and_pipelines(self) -> None:
        stale = db.utcnow() - timedelta(seconds=STALE_VALIDATION_S)
        with db.session() as s:
            half_done = list(s.exec(select(Job.id).where(Job.state == VALIDATING, Job.updated_at < stale)))
            orphans = s.connection().execute(text(
                "SELECT j.id, p.id, p.state FROM job j JOIN job p ON j.parent_id = p.id "
                "WHERE j.state = :state_queued AND p.state IN (:state_failed, :state_cancelled)"),
                {"state_queued": QUEUED, "state_failed": FAILED, "state_cancelled": CANCELLED}).all()
        for job_id in half_done:
            validate_job(job_id)
        for job_id, parent_id, parent_state in orphans:
            message = f"pipeline stage not started: the stage before it ({parent_id}) {parent_state}"
            transition(job_id, [QUEUED], FAILED, message, "error", error_code="parent_not_succeeded",
                       error_message=message, error_param="parent_id")

    def _claim(self) -> str | None:
        """Atomically move the oldest startable queued job to running; its id, or None (nothing, or at the limit)."""
        now = db.utcnow().isoformat()
        only = "AND j.id = :only" if self.only else ""
        sql = text(f"""
            UPDATE job SET state = :state_running, attempt = attempt + 1, pid = NULL, pid_create_time = NULL,
                exit_code = NULL, started_at = COALESCE(started_at, :now), updated_at = :now
            WHERE id = (SELECT j.id FROM job j LEFT JOIN job p ON j.parent_id = p.id
                        WHERE j.state = :state_queued AND (j.parent_id IS NULL OR p.state = :state_succeeded) {only}
                        ORDER BY j.updated_at, j.id LIMIT 1)
              AND (SELECT COUNT(*) FROM job WHERE state = :state_running) < :limit
            RETURNING id, attempt""")
        params: dict[str, Any] = {"now": now, "limit": self.max_concurrent, "state_queued": QUEUED,
                                  "state_running": RUNNING, "state_succeeded": JobState.SUCCEEDED}
        if self.only:
            params["only"] = self.only
        with db.session() as s:
            row = s.connection().execute(sql, params).first()
            s.commit()
        if row is None:
            return None
        record_event(row[0], f"started (attempt {row[1]})", "info", get_job(row[0]).run_dir)
        return row[0]

    def _spawn(self, job: Job) -> None:
        run_dir = Path(job.run_dir)
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            # the job never calls an LLM: its environment (and so its log.txt and run folder) holds no API key
            env = {**job_environment(os.environ), "TUNEWISE_HOME": str(home.home()), "TUNEWISE_JOB_ID": job.id,
                   "TUNEWISE_JOB_ATTEMPT": str(job.attempt), "TUNEWISE_RUNNER_PID": str(os.getpid()),
                   "PYTHONUNBUFFERED": "1"}
            for key, value in home.OFFLINE_ENV.items():
                env.setdefault(key, value)
            gpu = self._free_gpu(job)
            if gpu is not None:  # one job per device: pin a one-process job to a GPU no other job of ours holds
                env["CUDA_VISIBLE_DEVICES"] = self.gpu_of[job.id] = gpu
            argv = [sys.executable, "-m", "trainer.worker", job.id] + (["--recipe", self.recipe] if self.recipe else [])
            with open(run_dir / "log.txt", "ab") as log:
                log.write(f"\n==== attempt {job.attempt}: {' '.join(argv)}\n".encode())
                log.flush()
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True, close_fds=True)
        except OSError as exc:
            message = f"could not start the job process: {exc}"
            transition(job.id, [RUNNING], FAILED, message, "error", attempt=job.attempt, error_code="spawn_failed",
                       error_message=message, error_param="run_dir")
            return
        self.children[job.id] = proc
        try:
            created = psutil.Process(proc.pid).create_time()
        except psutil.NoSuchProcess:
            created = None
        with db.session() as s:
            row = s.get(Job, job.id)
            if row is not None and row.attempt == job.attempt:
                row.pid, row.pid_create_time = proc.pid, created
                s.commit()
        if get_job(job.id).cancel_requested_at is not None:  # cancelled between the claim and now
            signal_job(get_job(job.id), signal.SIGTERM)

    def _free_gpu(self, job: Job) -> str | None:
        launch = job.config.get("launch") or {}
        if len(self.gpus) < 2 or launch.get("nproc_per_node", 1) > 1 or launch.get("nnodes", 1) > 1:
            return None  # one GPU (nothing to choose) or a torchrun job (it uses every visible GPU)
        busy = {self.gpu_of[j] for j, p in self.children.items() if j in self.gpu_of and p.poll() is None}
        return next((g for g in self.gpus if g not in busy), None)

    # ---- the background thread ----

    def start(self) -> "Runner":
        """Tick every `poll_s` seconds in a daemon thread until `stop()`."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="tunewise-runner", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - one bad tick (a locked disk, a deleted row) must not end the loop
                print(f"[runner] tick failed: {exc.__class__.__name__}: {exc}", file=sys.stderr, flush=True)
            self._stop.wait(self.poll_s)

    def run_forever(self, until_idle: bool = False) -> None:
        """Tick in this thread; with `until_idle`, return once nothing is queued, validating or running."""
        try:
            while True:
                self.tick()
                if until_idle and not self.children and not _busy():
                    return
                time.sleep(self.poll_s)
        finally:
            self.release()

    def stop(self, interrupt_jobs: bool = True, timeout: float = 30.0) -> None:
        """Stop ticking. With `interrupt_jobs`, the jobs this runner started save a checkpoint and stop as
        `interrupted` (SIGUSR1), SIGKILL after `timeout`; resume them when the app is back."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self.poll_s * 4))
        if interrupt_jobs:
            self.release(timeout)

    def release(self, timeout: float = 30.0) -> None:
        """Interrupt and reap the job processes this runner started that still run."""
        for job_id, proc in list(self.children.items()):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGUSR1)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for job_id, proc in list(self.children.items()):
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        reconcile(self.children)


def _busy() -> bool:
    with db.session() as s:
        return s.exec(select(Job.id).where(Job.state.in_([QUEUED, VALIDATING, RUNNING])).limit(1)).first() is not None


_app_runner: Runner | None = None
_app_lock = threading.Lock()


def start_runner(max_concurrent: int | None = None, recipe: str | None = None, poll_s: float = 0.5) -> Runner:
    """The app's runner: reconcile what a previous app left behind, then tick in a daemon thread. Idempotent: a
    second call returns the runner already started in this process."""
    global _app_runner
    with _app_lock:
        if _app_runner is None:
            _app_runner = Runner(max_concurrent=max_concurrent, recipe=recipe, poll_s=poll_s)
            reconcile()
            _app_runner.start()
        return _app_runner


def stop_runner(interrupt_jobs: bool = True) -> None:
    """Stop the app's runner (when the app shuts down)."""
    global _app_runner
    with _app_lock:
        if _app_runner is not None:
            _app_runner.stop(interrupt_jobs=interrupt_jobs)
            _app_runner = None


def main(argv: list[str] | None = None) -> int:
    """`python -m trainer.runner [--recipe MODULE] [--max-concurrent N]`: a runner in the foreground (what the app
    runs in its thread); SIGTERM/SIGINT stop it and interrupt its jobs."""
    parser = argparse.ArgumentParser(prog="python -m trainer.runner")
    parser.add_argument("--recipe")
    parser.add_argument("--max-concurrent", type=int)
    parser.add_argument("--poll", type=float, default=0.5)
    parser.add_argument("--until-idle", action="store_true")
    args = parser.parse_args(argv)
    home.apply_offline_env()
    runner = Runner(max_concurrent=args.max_concurrent, recipe=args.recipe, poll_s=args.poll)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        runner.run_forever(until_idle=args.until_idle)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
