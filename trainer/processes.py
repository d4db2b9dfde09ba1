"""A job's operating-system processes: is the recorded one still alive, which processes belong to a job, signal
or kill them. No state changes here (trainer/jobs.py records them); the runner and `cancel_job` both use it.

A process is the job's only if both its pid and its start time match what was recorded, so a pid the OS reused
for something else is never mistaken for the job. The job process runs in its own process group (the runner
starts it with `start_new_session=True`); torchrun's ranks run in sessions of their own, so they are found by the
TUNEWISE_JOB_ID their environment carries.
"""

from __future__ import annotations

import os
import signal

import psutil

from trainer.records import Job


def process_alive(pid: int | None, create_time: float | None) -> bool:
    """True when `pid` runs and is the process that was recorded (same start time), not a zombie."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if create_time is not None and abs(proc.create_time() - create_time) > 0.05:
            return False  # the pid was reused by another process
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def job_processes(job_id: str) -> list[psutil.Process]:
    """Every live process started for this job, found by the TUNEWISE_JOB_ID its environment carries: the worker
    and, under torchrun, the ranks (which torchrun starts in sessions of their own, out of the job's group)."""
    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get("TUNEWISE_JOB_ID") == job_id and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess, OSError):
            continue
    return found


def kill_leftovers(job_id: str) -> int:
    """SIGKILL what is left of a job whose worker is gone (e.g. torchrun ranks); how many were killed."""
    leftovers = job_processes(job_id)
    for proc in leftovers:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    return len(leftovers)


def signal_job(job: Job, sig: int) -> bool:
    """Send `sig` to the job's process group when its process is still the one recorded; True when sent. SIGKILL
    also reaches the job's processes outside the group (torchrun ranks)."""
    if not process_alive(job.pid, job.pid_create_time):
        return False
    try:
        if sig == signal.SIGKILL:
            kill_leftovers(job.id)
        os.killpg(job.pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
