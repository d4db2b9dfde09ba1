"""trainer/cpu.py: bf16 chosen only where the CPU has bf16 matrix instructions, its loss parity with fp32, and a
measured thread count that a resumed run keeps. (How every recipe's precision follows the detection:
tests/test_training_setup.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from tests.test_jobs_recipe import job_env, run_to_end  # noqa: F401 (fixture)
from tests.test_sft import config, write_repeat_data
from trainer import cpu, jobs


def test_bf16_is_chosen_only_for_processors_with_bf16_matrix_instructions(tmp_path):
    amx = tmp_path / "amx"
    amx.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile\n")
    avx2 = tmp_path / "avx2"
    avx2.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 fma\n")
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nFeatures\t: fp asimd bf16 i8mm\n")
    assert cpu.fast_bf16(cpu.cpu_flags(amx))
    assert cpu.fast_bf16(cpu.cpu_flags(arm))
    assert not cpu.fast_bf16(cpu.cpu_flags(avx2))
    assert cpu.cpu_flags(tmp_path / "missing") == set()


def loss_batch(model_dir: Path) -> dict[str, torch.Tensor]:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    ids = tokenizer(["The bread rises overnight in a cool room.", "Salt tightens the gluten of the dough."],
                    return_tensors="pt", padding=True)
    labels = ids["input_ids"].masked_fill(ids["attention_mask"] == 0, -100)
    return {**ids, "labels": labels}


def test_bf16_autocast_moves_the_loss_of_one_batch_by_under_one_percent_on_the_tiny_model(tiny_model_dir):
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    full, half = cpu.loss_parity(model, loss_batch(tiny_model_dir))
    assert full > 0 and abs(half - full) / full < 0.01, (full, half)


@pytest.mark.slow
def test_bf16_autocast_moves_the_loss_of_one_batch_by_under_one_percent_on_the_bundled_model():
    from trainer.base_models import resolve

    path = resolve("smollm2-135m-instruct").path
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    full, half = cpu.loss_parity(model, loss_batch(Path(path)))
    print(f"bundled SmolLM2 one-batch loss: fp32 {full:.4f}, bf16 autocast {half:.4f}")
    assert abs(half - full) / full < 0.01, (full, half)


def test_the_thread_count_is_measured_once_and_a_resumed_run_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    n, note = cpu.threads_for_run(tmp_path)
    saved = json.loads((tmp_path / "cpu_threads.json").read_text())
    assert saved["threads"] == n >= 1 and "fastest matmul" in note
    monkeypatch.setattr(cpu, "choose_threads", lambda *a, **k: pytest.fail("a resumed run must not measure again"))
    assert cpu.threads_for_run(tmp_path) == (n, f"{n} torch threads (as when this run started)")


def test_torchrun_processes_share_the_cores_instead_of_measuring(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    monkeypatch.setattr(cpu, "choose_threads", lambda *a, **k: pytest.fail("no measurement under torchrun"))
    n, note = cpu.threads_for_run(tmp_path)
    assert n >= 1 and "2 local processes" in note


def test_a_job_runs_with_the_thread_count_its_pre_flight_estimate_was_measured_with(tmp_path, job_env, tiny_model_dir,
                                                                                     monkeypatch):
    """The card's seconds per step come from the probe's child; the job adopts that child's thread count instead of
    measuring again under another moment's load."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    data = write_repeat_data(tmp_path / "d.jsonl", n=24)
    job_config = config(tiny_model_dir, data, training={"max_steps": 1, "eval_every": None, "save_every": None},
                        eval={"enabled": False}).to_dict()
    estimate = {"status": "measured", "preflight": {"cpu_threads": 1, "seconds_per_step": 0.1}}
    job = jobs.approve_job(jobs.create_job(job_config, estimate=estimate).id, "tester")
    done = run_to_end(job.id)
    assert done.state == "succeeded", f"{done.error_code}: {done.error_message}"
    chosen = json.loads((Path(done.run_dir) / "cpu_threads.json").read_text())
    assert chosen["threads"] == 1 and "pre-flight probe" in chosen["why"]
