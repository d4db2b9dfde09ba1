"""A tiny deterministic Hugging Face Trainer recipe the job tests run through the real worker, and the in-process
tests of `trainer.callbacks` it makes possible.

`run(config, run_dir, resume)` follows the recipe interface of trainer/recipes.py on the tiny
random Llama: next-token training on the lines of `data.train` (JSONL {"text": ...}), a checkpoint every
`training.save_every` steps, `callbacks=job_callbacks(run_dir)`, resume from `last_complete_checkpoint`, final
weights in run_dir/model. The job tests start it with `Runner(recipe="tests.test_jobs_recipe")`.

Test hooks (environment, read only by this file): TUNEWISE_TEST_STEP_SLEEP (seconds added to each step, so a test
can act between steps), TUNEWISE_TEST_ENOSPC_AT_STEP (the checkpoint of that step writes part of its files and
then fails with "No space left on device").
"""

from __future__ import annotations

import errno
import json
import os
import time
from pathlib import Path

import pytest

from trainer.callbacks import (
    COMPLETE_MARKER,
    TrainingStopped,
    is_complete,
    job_callbacks,
    last_complete_checkpoint,
)
from trainer.config import JobConfig, parse_config
from trainer.progress import read_jsonl


def run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict:
    import torch
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        DataCollatorForLanguageModeling,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(config.to_yaml())
    torch.manual_seed(config.training.seed)
    tokenizer = AutoTokenizer.from_pretrained(config.model.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(config.model.base, dtype=torch.float32)
    texts = [json.loads(line)["text"] for line in Path(config.data.train).read_text().splitlines() if line.strip()]
    dataset = [tokenizer(t, truncation=True, max_length=config.model.max_seq_len) for t in texts]
    args = TrainingArguments(
        output_dir=str(run_dir / "checkpoints"),
        max_steps=config.training.max_steps,
        per_device_train_batch_size=config.training.batch_size,
        learning_rate=config.training.learning_rate,
        lr_scheduler_type=config.training.lr_scheduler,
        logging_steps=config.training.logging_every,
        save_strategy="steps",
        save_steps=config.training.save_every or 1,
        save_total_limit=2,
        seed=config.training.seed,
        data_seed=config.training.seed,
        full_determinism=True,
        use_cpu=True,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    extra: list[TrainerCallback] = []
    sleep = float(os.environ.get("TUNEWISE_TEST_STEP_SLEEP", "0"))
    if sleep:
        class Slow(TrainerCallback):
            def on_step_end(self, *a, **k):
                time.sleep(sleep)
        extra.append(Slow())
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
        callbacks=job_callbacks(run_dir) + extra,
    )
    enospc_at = int(os.environ.get("TUNEWISE_TEST_ENOSPC_AT_STEP", "0"))
    if enospc_at:
        real_save = trainer._save_optimizer_and_scheduler

        def save_until_the_disk_fills(output_dir):
            if trainer.state.global_step == enospc_at:
                (Path(output_dir) / "optimizer.pt").write_bytes(b"\0" * 1000)  # part of a file, then the disk is full
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(Path(output_dir) / "optimizer.pt"))
            real_save(output_dir)

        trainer._save_optimizer_and_scheduler = save_until_the_disk_fills
    checkpoint = last_complete_checkpoint(run_dir) if resume else None
    output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    trainer.save_model(str(run_dir / "model"))
    result = {"train_loss": output.training_loss, "steps": trainer.state.global_step, "model": str(run_dir / "model")}
    (run_dir / "result.json").write_text(json.dumps(result))
    return result


def write_texts(path: Path, n: int = 64) -> Path:
    """n short distinct lines of text, written as JSONL {"text": ...}."""
    lines = [json.dumps({"text": f"Example {i}: the quick brown fox number {i * 7 % 13} jumps over lazy dog {i}."})
             for i in range(n)]
    path.write_text("\n".join(lines) + "\n")
    return path


def tiny_config(model_dir: Path, data: Path, steps: int = 12, **training) -> JobConfig:
    return parse_config({
        "kind": "sft",
        "model": {"base": str(model_dir), "max_seq_len": 16},
        "data": {"train": str(data)},
        "training": {"max_steps": steps, "batch_size": 2, "learning_rate": 1e-3, "lr_scheduler": "linear",
                     "save_every": 1, "logging_every": 1, "seed": 7, **training},
        "eval": {"enabled": False},
    })


def load_weights(model_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(Path(model_dir) / "model.safetensors"))


def max_weight_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k] - b[k]).abs().max()) for k in a)


# ---- in-process tests of the callbacks ----


def test_live_metrics_have_every_field_and_checkpoints_are_marked_complete(tiny_model_dir, tmp_path):
    config = tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=4)
    run(config, tmp_path / "run")
    rows = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]  # logging every step
    last = rows[-1]
    for key in ("epoch", "loss", "learning_rate", "grad_norm", "tokens_per_s", "elapsed_s", "eta_s"):
        assert last[key] is not None, key
    assert last["eta_s"] == 0 and last["total_steps"] == 4
    assert rows[0]["tokens_per_s"] > 0
    checkpoint = last_complete_checkpoint(tmp_path / "run")
    assert checkpoint.name == "checkpoint-4" and is_complete(checkpoint)
    events = [e["message"] for e in read_jsonl(tmp_path / "run" / "events.jsonl")]
    assert events[0] == "training started: 4 optimizer steps"


def test_a_checkpoint_without_its_marker_or_with_a_truncated_file_is_never_chosen(tiny_model_dir, tmp_path):
    config = tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=3)
    run(config, tmp_path / "run")
    ckpts = tmp_path / "run" / "checkpoints"
    assert last_complete_checkpoint(tmp_path / "run") == ckpts / "checkpoint-3"
    # a crash half-way through writing checkpoint-3: one file cut short
    weights = ckpts / "checkpoint-3" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    assert last_complete_checkpoint(tmp_path / "run") == ckpts / "checkpoint-2"
    # a crash before the marker was published
    (ckpts / "checkpoint-2" / COMPLETE_MARKER).unlink()
    assert last_complete_checkpoint(tmp_path / "run") is None  # save_total_limit=2 kept only 2 and 3


def test_sigterm_in_the_training_loop_saves_a_complete_checkpoint_and_stops(tiny_model_dir, tmp_path, monkeypatch):
    import signal

    from transformers import TrainerCallback

    import trainer.callbacks as cb

    monkeypatch.setattr(cb, "_stop_reason", None)

    class SignalAtStep2(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    config = tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=10, save_every=100)
    monkeypatch.setattr(cb, "job_callbacks", lambda run_dir, _real=cb.job_callbacks: _real(run_dir) + [SignalAtStep2()])
    monkeypatch.setitem(globals(), "job_callbacks", cb.job_callbacks)
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingStopped) as stopped:
        run(config, tmp_path / "run")
    assert stopped.value.reason == "cancelled" and stopped.value.step == 3  # the step that was running finishes
    assert last_complete_checkpoint(tmp_path / "run").name == "checkpoint-3"  # save_every=100: only the stop saved
    assert signal.getsignal(signal.SIGTERM) == before  # pytest's handler is given back


# ---- helpers shared by the job, runner and resilience tests ----

REPO = Path(__file__).resolve().parents[1]
RECIPE = "tests.test_jobs_recipe"


def wait_for(predicate, timeout: float = 60.0, poll: float = 0.02, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def run_to_end(job_id: str, observe=None, timeout: float = 600.0):
    """Tick a real Runner (the real recipe, no test recipe) until the approved job `job_id` ends; call
    `observe(summary)` after each tick; return the job's final row."""
    from trainer import jobs
    from trainer.runner import Runner  # here, not at the top: job processes import this module as their recipe

    runner = Runner(max_concurrent=1, poll_s=0.05)

    def finished():
        runner.tick()
        summary = jobs.job_summary(job_id)
        if observe:
            observe(summary)
        return summary["state"] in jobs.TERMINAL

    try:
        wait_for(finished, timeout, poll=0.05, what="the tiny job to finish")
    finally:
        runner.release(timeout=10)
    return jobs.get_job(job_id)


def kill_job_processes() -> None:
    """Teardown: SIGKILL the process group of every job that still has a live process (tests leave none behind)."""
    import signal

    from trainer import jobs
    from trainer.processes import process_alive

    for job in jobs.list_jobs(limit=1000):
        if process_alive(job.pid, job.pid_create_time):
            try:
                os.killpg(job.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture
def job_env(monkeypatch):
    """Job processes can import this recipe module; every job process is killed at teardown."""
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    yield
    kill_job_processes()


@pytest.fixture
def runner(job_env):
    """A runner ticking in a background thread (as in the app), running the tiny recipe; stopped at teardown."""
    from trainer.runner import Runner

    r = Runner(max_concurrent=1, recipe=RECIPE, poll_s=0.05, cancel_grace_s=10).start()
    yield r
    r.stop(interrupt_jobs=True, timeout=10)
