"""What every recipe passes to the Hugging Face `Trainer` so a run behaves like a job: live metrics, checkpoints
that are either complete or ignored, and a graceful stop on SIGTERM.

How a recipe uses it (trainer/sft.py, trainer/pretrain.py, ...):

    from trainer.callbacks import job_callbacks, last_complete_checkpoint

    args = TrainingArguments(output_dir=str(run_dir / "checkpoints"), logging_steps=..., save_steps=...,
                             save_total_limit=2, ...)          # limit >= 2, see "Complete checkpoints"
    trainer = Trainer(model=..., args=args, ..., callbacks=job_callbacks(run_dir))
    checkpoint = last_complete_checkpoint(run_dir) if resume else None
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)

and lets `TrainingStopped` (and `PreflightDone`) propagate: both derive from BaseException, so a recipe's
`except Exception` never swallows them; the job worker turns them into the job's state.

Live progress (rank 0 only): at every logging step one row in run_dir/metrics.jsonl (`trainer.progress`) with step,
epoch, loss, eval_loss, learning_rate, grad_norm, tokens/s (non-padding tokens, all processes, since the previous
row), elapsed seconds (across resumes) and ETA seconds; the same row in the `jobmetric` table when the environment
names a job (`TUNEWISE_JOB_ID`, set by the job worker). The token count comes from the Trainer's own counter:
these callbacks switch `include_num_input_tokens_seen` to "non_padding" when the recipe left it at "no".

Complete checkpoints: the Trainer writes checkpoint-N in place. On `on_save` (after every process has written
its part) rank 0 fsyncs every file, then publishes the checkpoint by writing `tunewise-complete.json` (file list
and sizes) under a temporary name and renaming it into place, then fsyncs the folder. A checkpoint folder without
that marker, or whose files no longer match it, is incomplete: `last_complete_checkpoint` never returns it, and
the next run deletes it before writing a checkpoint of the same step. The Trainer deletes old checkpoints (its
`save_total_limit`) just before `on_save` marks the new one, so a limit of 1 could leave no complete checkpoint
for an instant; keep the limit >= 2 (a warning event says so).

Graceful stop: SIGTERM (what `cancel_job` sends the job's process group) sets a flag; at the next optimizer-step
boundary the run saves a checkpoint, marks it complete and raises `TrainingStopped`. Under torchrun the flag is
all-reduced every step so every rank stops at the same step. SIGTERM outside the training loop (loading the
model, evaluating at the end) raises `TrainingStopped` at once: nothing is lost there that a checkpoint holds.

Pre-flight probe: with `TUNEWISE_PREFLIGHT_STEPS=N` in the environment the run measures N optimizer steps after a
warm-up step, writes run_dir/preflight.json (tokens/s, seconds per step, peak memory, total steps of the real
run, start-up seconds) and never saves a checkpoint. Then it raises `PreflightDone`, or, with
`TUNEWISE_PREFLIGHT_EVAL=1`, stops training there so the recipe goes on to its real evaluation, which the probe
times from the phases it reports (see `trainer.preflight`).

Tracking (`trainer.tracking`): TensorBoard event files in run_dir/tensorboard, the reproducibility card
run_dir/card.json, and MLflow / W&B only where installed and configured by their own environment variables.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from trainer.state.errors import UserError
from trainer import tracking
from trainer.progress import PreflightDone, ProgressWriter, read_jsonl, report_phase  # noqa: F401 (re-exported)
from trainer.records import Job
from trainer.state import db
from trainer.state.vocabulary import JobState

COMPLETE_MARKER = "tunewise-complete.json"
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


class TrainingStopped(BaseException):
    """The run stopped on request after saving a complete checkpoint (or before training began).

    reason: JobState.CANCELLED (SIGTERM: the user cancelled) or JobState.INTERRUPTED (the app that supervised it
    went away): the state the job ends in."""

    def __init__(self, reason: str, step: int | None = None, checkpoint: Path | None = None):
        super().__init__(f"training stopped ({reason}) at step {step}")
        self.reason, self.step, self.checkpoint = reason, step, checkpoint


class RunFolderMissing(UserError):
    code = "run_dir_missing"

    def __init__(self, run_dir: Path):
        super().__init__(
            f"the run folder {run_dir} was deleted while the job was running, with its checkpoints; the job "
            "cannot continue. Its metrics and events stay in the database; start a new job to train again.",
            param=str(run_dir))


# ---- the stop flag, shared by the SIGTERM handler, the job worker and the callbacks ----

_stop_reason: str | None = None
_training_active = False


def request_stop(reason: str = JobState.CANCELLED) -> None:
    """Ask the run to stop at the next step boundary (the first reason given wins)."""
    global _stop_reason
    if _stop_reason is None:
        _stop_reason = reason


def stop_reason() -> str | None:
    return _stop_reason


def sigterm_handler(signum, frame) -> None:
    """SIGTERM (the user cancelled): stop gracefully inside the training loop, at once outside it."""
    request_stop(JobState.CANCELLED)
    if not _training_active:
        raise TrainingStopped(_stop_reason or JobState.CANCELLED)


def interrupt_handler(signum, frame) -> None:
    """SIGUSR1 (the app that supervises the job is going away): like SIGTERM, but the job ends `interrupted`."""
    request_stop(JobState.INTERRUPTED)
    if not _training_active:
        raise TrainingStopped(_stop_reason or JobState.INTERRUPTED)


# ---- checkpoints ----


def checkpoints_dir(run_dir: Path) -> Path:
    return Path(run_dir) / "checkpoints"


def _checkpoint_folders(run_dir: Path) -> list[tuple[int, Path]]:
    folder = checkpoints_dir(run_dir)
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        match = CHECKPOINT_RE.match(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return sorted(found, reverse=True)


def is_complete(checkpoint: Path) -> bool:
    """True when the folder carries a marker and every file it lists exists with the recorded size."""
    try:
        marker = json.loads((checkpoint / COMPLETE_MARKER).read_text(encoding="utf-8"))
        return all((checkpoint / name).stat().st_size == size for name, size in marker["files"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def last_complete_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint-N under run_dir/checkpoints that was completely written; None when there is none."""
    for _, folder in _checkpoint_folders(run_dir):
        if is_complete(folder):
            return folder
    return None


def discard_incomplete_checkpoints(run_dir: Path) -> list[Path]:
    """Delete checkpoint folders that were never completed (a crash or a full disk mid-save); return them."""
    removed = []
    for _, folder in _checkpoint_folders(run_dir):
        if not is_complete(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def mark_complete(checkpoint: Path, step: int) -> None:
    """Make every file of `checkpoint` durable, then publish it with an atomically renamed marker."""
    files = {}
    for path in sorted(checkpoint.rglob("*")):
        if path.is_file() and path.name != COMPLETE_MARKER and not path.name.endswith(".tmp"):
            _fsync_path(path)
            files[str(path.relative_to(checkpoint))] = path.stat().st_size
    for sub in sorted({p.parent for p in checkpoint.rglob("*")} | {checkpoint}):
        _fsync_path(sub)
    tmp = checkpoint / (COMPLETE_MARKER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"step": step, "files": files, "time": time.time()}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, checkpoint / COMPLETE_MARKER)
    _fsync_path(checkpoint)


def _dist():
    """torch.distributed when a process group with more than one member is up, else None."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        return dist
    return None


class CheckpointAndStop(TrainerCallback):
    """Marks checkpoints complete, removes stale incomplete ones, and turns SIGTERM into a checkpointed stop."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.stopping: str | None = None
        self._previous_handler = None

    def on_init_end(self, args, state, control, **kwargs):
        if args.save_total_limit == 1 and state.is_world_process_zero:
            print("[warning] save_total_limit=1 can leave no complete checkpoint for an instant while a new one is "
                  "being marked; use 2 or more", flush=True)

    def on_train_begin(self, args, state, control, **kwargs):
        global _training_active
        _training_active = True
        if state.is_world_process_zero:  # left by a killed attempt; never mixed with, or rotated in favour of, new ones
            discard_incomplete_checkpoints(self.run_dir)
        if threading.current_thread() is threading.main_thread():
            self._previous_handler = signal.signal(signal.SIGTERM, sigterm_handler)

    def on_train_end(self, args, state, control, **kwargs):
        self._leave_training_loop()

    def _leave_training_loop(self) -> None:
        global _training_active
        _training_active = False
        if self._previous_handler is not None and threading.current_thread() is threading.main_thread():
            # keep our handler if the worker installed it; otherwise give the caller's back
            if self._previous_handler is not sigterm_handler:
                signal.signal(signal.SIGTERM, self._previous_handler)
            self._previous_handler = None

    def on_step_end(self, args, state, control, **kwargs):
        reason = stop_reason()
        dist = _dist()
        if dist is not None:  # every rank must stop at the same step, or the others hang in the next all-reduce
            import torch

            codes = {None: 0, JobState.CANCELLED: 1, JobState.INTERRUPTED: 2}
            flag = torch.tensor([codes.get(reason, 1)], dtype=torch.int64, device=args.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            reason = {0: None, 1: JobState.CANCELLED, 2: JobState.INTERRUPTED}[int(flag.item())]
        if reason is not None:
            self.stopping = reason
            control.should_save = True
            control.should_training_stop = True
        if control.should_save:
            target = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if state.is_world_process_zero and target.exists():
                shutil.rmtree(target)  # left by a crashed attempt: never mix its files with the new ones
            if dist is not None:
                dist.barrier()
        return control

    def on_save(self, args, state, control, **kwargs):
        dist = _dist()
        if dist is not None:
            dist.barrier()  # every rank has written its rng_state_<rank>.pth
        checkpoint = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero:
            mark_complete(checkpoint, state.global_step)
        if dist is not None:
            dist.barrier()
        if self.stopping:
            self._leave_training_loop()
            raise TrainingStopped(self.stopping, state.global_step, checkpoint)


class LiveProgress(TrainerCallback):
    """Rank 0 writes one metrics row per logging step (JSONL, and a database row when TUNEWISE_JOB_ID is set)."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.writer: ProgressWriter | None = None

    def on_init_end(self, args, state, control, **kwargs):
        if args.include_num_input_tokens_seen in ("no", False):
            args.include_num_input_tokens_seen = "non_padding"

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self.writer = ProgressWriter(self.run_dir)  # job id and attempt from the environment the worker set
        job_id = self.writer.job_id
        self.start = time.monotonic()
        self.start_step = state.global_step
        self.last = (self.start, state.num_input_tokens_seen or 0)
        # elapsed carries over a resume: the time the earlier attempts had reached at the resumed step
        earlier = [r for r in read_jsonl(self.run_dir / "metrics.jsonl") if (r.get("step") or 0) <= state.global_step]
        self.elapsed_before = float(earlier[-1].get("elapsed_s") or 0.0) if earlier else 0.0
        if state.global_step:
            self.writer.event(f"resumed at step {state.global_step} of {state.max_steps}")
        else:
            self.writer.event(f"training started: {state.max_steps} optimizer steps")
        if job_id:
            _set_total_steps(job_id, state.max_steps)
        report_phase(self.run_dir, "training", done=state.global_step, total=state.max_steps,
                     detail=f"{state.max_steps} optimizer steps")

    def on_step_end(self, args, state, control, **kwargs):
        if state.is_world_process_zero and not self.run_dir.is_dir():
            raise RunFolderMissing(self.run_dir)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.writer is None or not logs or ("loss" not in logs and "eval_loss" not in logs):
            return
        now = time.monotonic()
        tokens = state.num_input_tokens_seen or 0
        session = now - self.start
        steps_done = state.global_step - self.start_step
        row: dict[str, Any] = {
            "step": state.global_step,
            "epoch": state.epoch,
            "loss": logs.get("loss"),
            "eval_loss": logs.get("eval_loss"),
            "learning_rate": logs.get("learning_rate"),
            "grad_norm": logs.get("grad_norm"),
            "elapsed_s": round(self.elapsed_before + session, 3),
            "total_steps": state.max_steps,
        }
        if "loss" in logs:  # tokens/s over the window since the previous training row
            last_time, last_tokens = self.last
            if now > last_time and tokens > last_tokens:
                row["tokens_per_s"] = round((tokens - last_tokens) / (now - last_time), 1)
            self.last = (now, tokens)
        if steps_done > 0 and state.max_steps:
            row["eta_s"] = round((state.max_steps - state.global_step) * session / steps_done, 1)
        self.writer.metric(**row)

    def on_save(self, args, state, control, **kwargs):
        if self.writer is not None:
            self.writer.event(f"checkpoint saved at step {state.global_step}")


class PreflightProbe(TrainerCallback):
    """Measures `steps` optimizer steps after one warm-up step and writes preflight.json; then raises PreflightDone,
    or (`then_evaluate`) stops training so the recipe evaluates as it would at the end of the real run."""

    def __init__(self, run_dir: Path, steps: int, then_evaluate: bool = False):
        self.run_dir = Path(run_dir)
        self.steps = steps
        self.then_evaluate = then_evaluate
        self.t0: float | None = None
        self.done = False

    def on_train_begin(self, args, state, control, **kwargs):
        # start-up = from the probe's launch (TUNEWISE_PREFLIGHT_T0, epoch seconds) to here: imports, model, data
        launched = float(os.environ.get("TUNEWISE_PREFLIGHT_T0") or time.time())
        self.startup_s = max(0.0, time.time() - launched)
        # how often the real run validates, in optimizer steps (None: never), so the probe counts those passes
        strategy = str(getattr(args.eval_strategy, "value", args.eval_strategy))
        loader = kwargs.get("train_dataloader")
        per_epoch = len(loader) // max(1, args.gradient_accumulation_steps) if loader is not None else None
        self.steps_per_validation = (args.eval_steps if strategy == "steps" else
                                     per_epoch if strategy == "epoch" else None)

    def on_step_begin(self, args, state, control, **kwargs):
        if self.t0 is None and state.global_step >= 1:  # step 0 is warm-up (allocations, kernel selection)
            self.t0, self.tokens0, self.step0 = time.monotonic(), state.num_input_tokens_seen or 0, state.global_step

    def on_step_end(self, args, state, control, **kwargs):
        control.should_save = False
        control.should_evaluate = False
        if self.done:
            return control
        if self.t0 is None or state.global_step - self.step0 < self.steps:
            return control
        seconds = time.monotonic() - self.t0
        measured = state.global_step - self.step0
        peak, device = _peak_memory()
        result = {
            "steps_measured": measured,
            "seconds_per_step": seconds / measured,
            "tokens_per_s": ((state.num_input_tokens_seen or 0) - self.tokens0) / seconds if seconds > 0 else None,
            "total_steps": state.max_steps,
            "peak_memory_bytes": peak,
            "memory_device": device,
            "world_size": args.world_size,
            "startup_seconds": self.startup_s,
            "steps_per_validation": self.steps_per_validation,
        }
        if state.is_world_process_zero:
            tmp = self.run_dir / "preflight.json.tmp"
            tmp.write_text(json.dumps(result, indent=1))
            os.replace(tmp, self.run_dir / "preflight.json")
        if not self.then_evaluate:
            raise PreflightDone(result)
        self.done = True
        control.should_training_stop = True
        return control

    def on_epoch_end(self, args, state, control, **kwargs):
        control.should_save = False  # the probe's scratch folder keeps no checkpoint
        return control


def _peak_memory() -> tuple[int, str]:
    import torch

    if torch.cuda.is_available() and torch.cuda.max_memory_allocated() > 0:
        return int(torch.cuda.max_memory_reserved()), "cuda"
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024, "cpu"  # ru_maxrss is KiB on Linux


def _set_total_steps(job_id: str, total_steps: int) -> None:
    try:
        with db.session() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.total_steps = total_steps
                s.commit()
    except Exception as exc:  # noqa: BLE001 - progress must never kill a training run
        print(f"[warning] could not record total steps: {exc}", flush=True)


def job_callbacks(run_dir: Path) -> list[TrainerCallback]:
    """The callbacks every recipe passes to `Trainer(callbacks=...)`; see the module docstring."""
    callbacks: list[TrainerCallback] = [CheckpointAndStop(run_dir), LiveProgress(run_dir)]
    probe_steps = int(os.environ.get("TUNEWISE_PREFLIGHT_STEPS", "0"))
    if probe_steps > 0:  # a probe measures speed only: no tracking files for a run that never happens
        callbacks.append(PreflightProbe(run_dir, probe_steps, os.environ.get("TUNEWISE_PREFLIGHT_EVAL") == "1"))
    else:
        callbacks += [tracking.TensorBoardLog(run_dir), tracking.ReproCard(run_dir), *tracking.optional_trackers()]
    return callbacks
