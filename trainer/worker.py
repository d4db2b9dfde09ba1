"""The job process: `python -m trainer.worker JOB_ID [--recipe MODULE]`, started by trainer/runner.py.

It runs the job's recipe (in this process; under torchrun when `launch` asks for several processes or machines)
with TUNEWISE_JOB_ID / TUNEWISE_JOB_ATTEMPT set, so the callbacks write metrics and events to the job's rows, and
records how the run ended, exactly once:

    recipe returned                        -> succeeded (result stored)
    SIGTERM (cancel_job)                   -> cancelled, after a checkpoint at the next step boundary
    SIGUSR1, or the runner that started it
    died (the app stopped or crashed)      -> interrupted, after a checkpoint at the next step boundary
    no space left while writing            -> interrupted, error disk_full (free space, then resume)
    data/config/model changed since
    approval                               -> interrupted, error fingerprint_mismatch
    run folder deleted                     -> failed, error run_dir_missing
    a UserError from the recipe            -> failed, with its code, message and param
    out of memory                          -> failed, error out_of_memory
    any other exception                    -> failed, error crashed (traceback in run_dir/log.txt)

A process killed outright (SIGKILL, OOM killer, power) records nothing; the runner sees it gone and records
`interrupted` (or `cancelled` when a cancel was pending).
Exit status: 0 succeeded, 1 failed, 3 cancelled, 4 interrupted, 2 not this process's job.
"""

from __future__ import annotations

from trainer.state.home import apply_offline_env

apply_offline_env()

import argparse  # noqa: E402
import errno  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from trainer import callbacks, cpu  # noqa: E402
from trainer.callbacks import RunFolderMissing, TrainingStopped  # noqa: E402
from trainer.config import JobConfig, parse_config  # noqa: E402
from trainer.distributed import rendezvous_id, torchrun_argv  # noqa: E402
from trainer.progress import report_phase  # noqa: E402
from trainer.state.errors import UserError  # noqa: E402
from trainer.jobs import (  # noqa: E402
    CANCELLED,
    FAILED,
    INTERRUPTED,
    RUNNING,
    SUCCEEDED,
    describe_changes,
    fingerprint_changes,
    get_job,
    record_event,
    transition,
)
from trainer.recipes import run_recipe  # noqa: E402

EXIT_CODES = {SUCCEEDED: 0, FAILED: 1, CANCELLED: 3, INTERRUPTED: 4}
PARENT_POLL_S = 0.5


def watch_runner(runner_pid: int) -> None:
    """When the runner that started this process dies, stop as `interrupted` (checkpoint first)."""
    def watch() -> None:
        while os.getppid() == runner_pid:
            threading.Event().wait(PARENT_POLL_S)
        callbacks.request_stop(INTERRUPTED)
        os.kill(os.getpid(), signal.SIGUSR1)

    threading.Thread(target=watch, name="runner-watch", daemon=True).start()


def run_in_process(config: JobConfig, run_dir: Path, resume: bool, recipe: str | None) -> dict:
    if recipe:
        return importlib.import_module(recipe).run(config, run_dir, resume=resume)
    return run_recipe(config, run_dir, resume=resume)


def run_distributed(config: JobConfig, run_dir: Path, resume: bool) -> dict:
    """torchrun in this process group: SIGTERM from cancel_job reaches every rank, whose callbacks stop together."""
    config_path = run_dir / "job-config.yaml"
    config_path.write_text(config.to_yaml())
    launch = config.launch
    argv = torchrun_argv(config_path, run_dir, launch.nproc_per_node, launch.nnodes, launch.node_rank,
                         launch.master_addr, launch.master_port,
                         rendezvous_id(config.to_yaml(), launch.master_addr, launch.master_port), resume=resume)
    proc = subprocess.Popen(argv)

    def forward(signum, frame):  # the ranks run the stop logic; this process only remembers why
        callbacks.request_stop(CANCELLED if signum == signal.SIGTERM else INTERRUPTED)
        if signum != signal.SIGTERM:  # SIGTERM to the group already reached torchrun and the ranks
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGUSR1, forward)
    code = proc.wait()
    if callbacks.stop_reason():
        raise TrainingStopped(callbacks.stop_reason())
    if code != 0:
        raise RuntimeError(f"torchrun exited with status {code}; the ranks' output is in {run_dir / 'log.txt'}")
    try:
        return json.loads((run_dir / "result.json").read_text())
    except (OSError, ValueError):
        return {}


def classify(exc: BaseException, run_dir: Path) -> tuple[str, str, str, str | None]:
    """(state, error code, message, param) for an exception that ended the run."""
    if isinstance(exc, TrainingStopped):
        if exc.reason == INTERRUPTED:
            return INTERRUPTED, "", "interrupted: the app that supervised the job stopped; resume to continue", None
        return CANCELLED, "", "cancelled" + (f" at step {exc.step}" if exc.step is not None else "") + \
            "; the last complete checkpoint is kept", None
    if isinstance(exc, RunFolderMissing) or not run_dir.is_dir():
        return FAILED, "run_dir_missing", str(RunFolderMissing(run_dir)), str(run_dir)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message = (f"no space left on the disk while writing {exc.filename or run_dir}; the incomplete checkpoint was "
                   "removed and the last complete one kept. Free some space, then resume the job")
        return INTERRUPTED, "disk_full", message, str(run_dir)
    if type(exc).__name__ == "OutOfMemoryError":
        return FAILED, "out_of_memory", ("out of memory during training; lower training.batch_size (raise grad_accum "
                                         "to keep the effective batch), max_seq_len, or use QLoRA"), "training.batch_size"
    if isinstance(exc, UserError):
        return FAILED, getattr(exc, "code", None) or "invalid_input", str(exc), getattr(exc, "param", None)
    first = str(exc).splitlines()[0] if str(exc) else ""
    return FAILED, "crashed", f"{type(exc).__name__}: {first} (the traceback is in {run_dir / 'log.txt'})", None


def json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer.worker")
    parser.add_argument("job_id")
    parser.add_argument("--recipe", help="module whose run(config, run_dir, resume) replaces the kind's recipe")
    args = parser.parse_args(argv)

    job = get_job(args.job_id)
    attempt = int(os.environ.get("TUNEWISE_JOB_ATTEMPT") or job.attempt)
    if job.state != RUNNING or job.attempt != attempt:
        print(f"job {job.id} is {job.state} (attempt {job.attempt}), not attempt {attempt} running: nothing to do",
              file=sys.stderr)
        return 2
    os.environ["TUNEWISE_JOB_ID"], os.environ["TUNEWISE_JOB_ATTEMPT"] = job.id, str(attempt)
    signal.signal(signal.SIGTERM, callbacks.sigterm_handler)
    signal.signal(signal.SIGUSR1, callbacks.interrupt_handler)
    if os.environ.get("TUNEWISE_RUNNER_PID"):
        watch_runner(int(os.environ["TUNEWISE_RUNNER_PID"]))

    run_dir = Path(job.run_dir)
    state, code, message, param, result = SUCCEEDED, "", "", None, None
    try:
        if job.cancel_requested_at is not None:
            raise TrainingStopped(CANCELLED)
        config = parse_config(job.config, f"job {job.id} config")
        changed = fingerprint_changes(job)
        if changed:
            state, code, param = INTERRUPTED, "fingerprint_mismatch", changed[0]
            message = (f"{describe_changes(job, changed)} changed since the job was approved; restore them and resume, "
                       "or start a new job")
        else:
            resume = attempt > 1
            checkpoint = callbacks.last_complete_checkpoint(run_dir) if resume else None
            record_event(job.id, f"process {os.getpid()} started" + (
                f"; resuming from {checkpoint.name}" if checkpoint else "; no checkpoint yet, starting from the beginning"
                if resume else ""), "info", run_dir)
            report_phase(run_dir, "loading_model", detail=config.model.base)
            distributed = config.launch.nproc_per_node > 1 or config.launch.nnodes > 1
            if distributed:
                result = run_distributed(config, run_dir, resume)
            else:
                probed = ((job.estimate or {}).get("preflight") or {}).get("cpu_threads")
                if probed:  # run with the thread count the card's estimate was measured with
                    cpu.adopt_threads(run_dir, probed, "as the pre-flight probe measured for this job")
                result = run_in_process(config, run_dir, resume, args.recipe)
            message = str(SUCCEEDED)
    except BaseException as exc:  # noqa: BLE001 - every ending is recorded; the traceback goes to log.txt
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        state, code, message, param = classify(exc, run_dir)
        if state == FAILED and code in ("crashed", "out_of_memory"):
            traceback.print_exc()
        if code == "disk_full":
            callbacks.discard_incomplete_checkpoints(run_dir)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # nothing may interrupt recording the outcome
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)

    values: dict[str, Any] = {"exit_code": EXIT_CODES[state]}
    if code:
        values.update(error_code=code, error_message=message, error_param=param)
    if result is not None:
        values["result"] = json_safe(result)
    level = {SUCCEEDED: "info", CANCELLED: "warning", INTERRUPTED: "error", FAILED: "error"}[state]
    if not transition(job.id, [RUNNING], state, message if not code else f"{state}: {message}", level,
                      attempt=attempt, **values):
        print(f"job {job.id} was no longer running attempt {attempt}; outcome {state} not recorded", file=sys.stderr)
    print(f"[{level}] job {job.id}: {state}" + (f" [{code}] {message}" if code else ""), flush=True)
    return EXIT_CODES[state]


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # the outcome is recorded and the logs flushed: skip seconds of interpreter teardown
