"""kill -9 of the training process at random steps, each time resumed through the job system: the final weights equal
an uninterrupted run's (CPU, deterministic, within 1e-6) and the job ends in exactly one terminal state.

The job runs the real SFT recipe (trainer/sft.py, LoRA on the tiny random Llama) in real job processes started by
the runner; the reference run is the same recipe run straight through in this process. A kill lands at a random
moment after the chosen step was logged: in the middle of the next step or of writing a checkpoint, so resumes
also prove that a half-written checkpoint is never picked.

Default suite: 5 kills. `pytest -m slow tests/test_resilience.py`: 20 kills.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.test_jobs_recipe import job_env, max_weight_difference, wait_for  # noqa: F401 (fixture)
from trainer import jobs
from trainer.config import parse_config
from trainer.processes import process_alive
from trainer.runner import Runner

TOLERANCE = 1e-6  # fp32 on the CPU with deterministic kernels: resumed runs are expected to match bit for bit


def sft_config(model_dir: Path, data: Path, steps: int) -> dict:
    return parse_config({
        "kind": "sft",
        "model": {"base": str(model_dir), "max_seq_len": 64},
        "data": {"train": str(data)},
        "lora": {"method": "lora", "r": 4, "alpha": 8, "dropout": 0.1},  # dropout: RNG state must survive the resume
        "training": {"max_steps": steps, "batch_size": 2, "learning_rate": 5e-3, "save_every": 1, "logging_every": 1,
                     "seed": 11, "lr_scheduler": "linear", "batching": "group_by_length"},
        "eval": {"enabled": False},
    }).to_dict()


def write_pairs(path: Path, n: int = 30) -> Path:
    path.write_text("".join(json.dumps({"prompt": f"{i}+{i + 3}?", "completion": f"{2 * i + 3}"})
                            + "\n" for i in range(n)))
    return path


def adapter_weights(run_dir: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))


def terminal_events(job_id: str) -> list[str]:
    return [e["message"] for e in jobs.read_events(job_id)
            if e["message"] == "succeeded" or e["message"].startswith(("failed", "cancelled"))]


def run_with_kills(config: dict, kills: int, steps: int, seed: int) -> tuple[jobs.Job, list[int]]:
    """Run `config` as a job, SIGKILL its process `kills` times at random steps, resuming after each."""
    rng = random.Random(seed)
    kill_steps = sorted(rng.sample(range(1, steps), kills))
    job = jobs.approve_job(jobs.create_job(config).id, "tester")
    runner = Runner(max_concurrent=1, poll_s=0.05)
    killed_at = []
    try:
        for attempt, step in enumerate(kill_steps, start=1):
            def reached():
                runner.tick()
                rows = [r for r in jobs.read_metrics(job.id) if r["attempt"] == attempt]
                return rows and max(r["step"] for r in rows) >= step

            wait_for(reached, 300, poll=0.01, what=f"step {step} of attempt {attempt}")
            time.sleep(rng.uniform(0.0, 0.25))  # somewhere inside the next step or checkpoint write
            victim = jobs.get_job(job.id)
            assert victim.state == "running", f"the job finished before kill {attempt}; use more steps"
            os.killpg(victim.pid, signal.SIGKILL)
            killed_at.append(max(r["step"] for r in jobs.read_metrics(job.id)))
            wait_for(lambda: (runner.tick(), jobs.get_job(job.id).state)[1] == "interrupted", 30,
                     what="interrupted")
            assert not process_alive(victim.pid, victim.pid_create_time)
            assert jobs.get_job(job.id).exit_code == -signal.SIGKILL
            jobs.resume_job(job.id)
        wait_for(lambda: (runner.tick(), jobs.get_job(job.id).state)[1] in jobs.TERMINAL, 600,
                 what="the last attempt to finish")
    finally:
        runner.release(timeout=10)
    return jobs.get_job(job.id), killed_at


def check_resilience(tmp_path: Path, tiny_model_dir: Path, kills: int, steps: int, seed: int, monkeypatch) -> None:
    import torch

    from trainer import sft
    from trainer.config import parse_config as parse

    # The reference and every attempt must sum in the same order, so they run with one torch thread count. Without
    # this trainer/cpu.py measures a count for each run folder, and on a loaded machine the two measurements can
    # differ (3.5e-6 apart, seen once in a full suite). A resumed attempt keeps its first start's count itself.
    monkeypatch.setenv("OMP_NUM_THREADS", str(torch.get_num_threads()))
    config = sft_config(tiny_model_dir, write_pairs(tmp_path / "pairs.jsonl"), steps)
    reference_dir = tmp_path / "reference"
    sft.run(parse(config), reference_dir)  # uninterrupted, in this process
    started = time.monotonic()
    job, killed_at = run_with_kills(config, kills, steps, seed)
    elapsed = time.monotonic() - started
    assert job.state == "succeeded", (job.state, job.error_message)
    assert job.attempt == kills + 1 and job.result["steps"] == steps
    assert terminal_events(job.id) == ["succeeded"]  # exactly one terminal state, never revisited
    resumed, reference = adapter_weights(Path(job.run_dir)), adapter_weights(reference_dir)
    trained = max(float(w.abs().max()) for name, w in reference.items() if "lora_B" in name)
    assert trained > 1e-3  # LoRA B starts at zero: training really moved the weights being compared
    difference = max_weight_difference(resumed, reference)
    print(f"\nresilience: {kills} kills at steps {killed_at} of {steps}, {kills + 1} attempts in {elapsed:.0f} s; "
          f"max |Δw| vs uninterrupted = {difference:.3g}")
    assert difference <= TOLERANCE


def test_killed_five_times_at_random_steps_and_resumed_the_weights_equal_an_uninterrupted_run(
        job_env, tiny_model_dir, tmp_path, monkeypatch):
    check_resilience(tmp_path, tiny_model_dir, kills=5, steps=10, seed=1, monkeypatch=monkeypatch)


@pytest.mark.slow
def test_killed_twenty_times_at_random_steps_and_resumed_the_weights_equal_an_uninterrupted_run(
        job_env, tiny_model_dir, tmp_path, monkeypatch):
    check_resilience(tmp_path, tiny_model_dir, kills=20, steps=30, seed=2, monkeypatch=monkeypatch)
