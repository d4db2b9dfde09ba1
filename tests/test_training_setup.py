"""trainer/training_setup.py, the one set-up every recipe shares, and the combinations refused before approval.

The TrainingArguments each recipe builds are pinned field by field to what the recipes built before they shared
this set-up (sft and dpo in sft.py, continued pretraining and pretraining in distributed.py): the same precision
flags, DDP backend, evaluation / save / logging steps, seed and report_to. No model is loaded: arguments and
checks are built from configs alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from trainer import cpu, jobs, sft, training_setup
from trainer.config import ConfigError, hardware_fields, load_config, parse_config
from trainer.training_setup import Setup, SetupError


def job(kind: str, **sections) -> dict:
    raw: dict = {"kind": kind, "data": {"train": "/data/train.jsonl"},
                 "training": {"seed": 7, "logging_every": 3, "device": "cpu"}}
    for name, values in sections.items():
        raw[name] = {**raw.get(name, {}), **values}
    return raw


def cpu_setup(config, monkeypatch, fast_bf16: bool = False) -> Setup:
    monkeypatch.setattr(cpu, "fast_bf16", lambda flags=None: fast_bf16)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    return training_setup.resolve(config)


def recipe_arguments(config, setup: Setup, has_eval: bool, run_dir: Path):
    """What each recipe's run() builds: sft/dpo through sft.training_arguments; the packed-block recipes build the
    shared arguments first and set the schedule once the data is known (here 100 blocks, 40 steps)."""
    if config.kind in ("sft", "dpo"):
        return sft.training_arguments(config, run_dir, setup, has_eval=has_eval)
    args = training_setup.training_arguments(config, run_dir, setup, max_steps=1, save_steps=1)
    training_setup.schedule_blocks(args, config, steps=40, train_blocks=100)
    return args


# (config, has validation rows, expected fields) — the expected values are what the recipes built before the
# shared set-up, read from a dump of TrainingArguments.to_dict() on the previous commit
CASES = {
    "sft with eval_every 5, save_every 10": (
        job("sft", training={"eval_every": 5, "save_every": 10}), True,
        dict(eval_strategy="steps", eval_steps=5, save_strategy="steps", save_steps=10, load_best_model_at_end=True,
             max_steps=-1, num_train_epochs=3.0)),
    "sft without validation, 9 steps": (
        job("sft", training={"max_steps": 9}), False,
        dict(eval_strategy="no", eval_steps=None, save_strategy="epoch", save_steps=500, load_best_model_at_end=False,
             max_steps=9)),
    "dpo with eval and save every 4": (
        job("dpo", training={"eval_every": 4, "save_every": 4}), True,
        dict(eval_strategy="steps", eval_steps=4, save_strategy="steps", save_steps=4, load_best_model_at_end=True)),
    # 100 blocks / (4 × 1) = 25 steps per epoch, 40 steps: an evaluation each epoch, a checkpoint every 6 steps
    "continued pretraining with save_every 6": (
        job("continued_pretraining", training={"save_every": 6}), None,
        dict(eval_strategy="steps", eval_steps=25, save_strategy="steps", save_steps=6, max_steps=40)),
    "pretraining with eval_every 3": (
        job("pretraining", training={"eval_every": 3}), None,
        dict(eval_strategy="steps", eval_steps=3, save_strategy="steps", save_steps=25, max_steps=40)),
}


@pytest.mark.parametrize("name", CASES)
def test_each_recipe_builds_the_same_training_arguments_as_before_the_shared_setup(name, monkeypatch, tmp_path):
    raw, has_eval, expected = CASES[name]
    config = parse_config(raw)
    args = recipe_arguments(config, cpu_setup(config, monkeypatch), has_eval, tmp_path)
    shared = dict(bf16=False, fp16=False, ddp_backend=None, logging_steps=3, seed=7, data_seed=7, report_to=[],
                  full_determinism=True, use_cpu=True, save_total_limit=2, per_device_train_batch_size=4,
                  include_num_input_tokens_seen="non_padding", output_dir=str(tmp_path / "checkpoints"))
    got = {key: getattr(args, key) for key in shared | expected}
    got["eval_strategy"] = str(getattr(args.eval_strategy, "value", args.eval_strategy))
    got["save_strategy"] = str(getattr(args.save_strategy, "value", args.save_strategy))
    assert got == shared | expected


@pytest.mark.parametrize("kind", ["sft", "dpo", "continued_pretraining", "pretraining"])
def test_auto_precision_on_a_cpu_with_bf16_instructions_autocasts_every_recipe(kind, monkeypatch, tmp_path):
    config = parse_config(job(kind))
    setup = cpu_setup(config, monkeypatch, fast_bf16=True)
    args = recipe_arguments(config, setup, True, tmp_path)
    assert setup.dtype == torch.bfloat16 and any("bf16 autocast, fp32 weights" in n for n in setup.notes)
    assert (args.bf16, args.fp16, args.use_cpu) == (True, False, True)  # bf16 autocast over fp32 weights
    setup = cpu_setup(config, monkeypatch, fast_bf16=False)
    assert setup.dtype == torch.float32 and any("no bf16 matrix instructions" in n for n in setup.notes)


def test_several_processes_use_gloo_on_the_cpu_and_nccl_on_cuda(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert training_setup.ddp_backend(Setup("cpu", torch.float32)) == "gloo"
    assert training_setup.ddp_backend(Setup("cuda", torch.bfloat16)) == "nccl"
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert training_setup.ddp_backend(Setup("cpu", torch.float32)) is None  # one process: no process group


def test_the_step_count_is_the_trainers_own_ceiling_over_all_processes(monkeypatch):
    config = parse_config(job("sft", training={"batch_size": 4, "grad_accum": 2, "epochs": 1.5}))
    monkeypatch.setenv("WORLD_SIZE", "2")
    # 100 rows / (4 × 2 × 2) = 6.25 → 7 steps per epoch; 1.5 epochs = 10.5 → 11 steps (the Trainer rounds up)
    steps, line = training_setup.steps_for(config, 100, 1.5, "rows")
    assert steps == 11 and "1 step = 16 rows (4 per device × 2 accumulation × 2 processes)" in line


def test_flops_per_token_count_the_backward_pass_and_a_reference_forward():
    assert training_setup.flops_per_token(10, trains_all_weights=True) == 60  # 2N forward + 4N backward
    assert training_setup.flops_per_token(10, trains_all_weights=False) == 40  # frozen base: input gradients only
    assert training_setup.flops_per_token(10, trains_all_weights=False, reference_forward=True) == 60


@pytest.mark.parametrize("sections, code, param", [
    ({"lora": {"method": "qlora"}}, "qlora_needs_cuda", "lora.method"),
    ({"model": {"dtype": "fp16"}}, "fp16_on_cpu", "model.dtype"),
    ({"model": {"dtype": "bf16"}}, "bf16_unsupported", "model.dtype"),  # this CPU is told it has no bf16 kernels
])
def test_what_this_cpu_cannot_run_is_refused_naming_the_field(sections, code, param, monkeypatch):
    with pytest.raises(SetupError) as info:
        cpu_setup(parse_config(job("sft", **sections)), monkeypatch, fast_bf16=False)
    assert (info.value.code, info.value.param) == (code, param) and param in str(info.value)


def test_bf16_forced_on_a_cpu_with_bf16_instructions_is_autocast(monkeypatch):
    setup = cpu_setup(parse_config(job("pretraining", model={"dtype": "bf16"})), monkeypatch, fast_bf16=True)
    assert (setup.device, setup.dtype, setup.precision_flags()) == ("cpu", torch.bfloat16, {"bf16": True, "fp16": False})


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_a_cuda_device_without_a_gpu_is_refused_naming_training_device():
    with pytest.raises(SetupError) as info:
        training_setup.resolve(parse_config(job("continued_pretraining", training={"device": "cuda"})))
    assert (info.value.code, info.value.param) == ("no_cuda", "training.device")


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_a_qlora_job_is_refused_on_a_cpu_machine_before_any_approval(tmp_path):
    with pytest.raises(SetupError) as info:
        jobs.create_job(job("sft", lora={"method": "qlora"}, training={"device": "auto"}))
    assert info.value.code == "qlora_needs_cuda"
    assert jobs.list_jobs() == []  # no job row: nothing waits for an approval that could never run


def test_only_an_explicit_device_precision_or_qlora_asks_for_particular_hardware():
    # the job store checks the machine (importing torch and transformers) only for these fields
    assert hardware_fields(parse_config(job("sft", training={"device": "auto"}))) == []
    asked = parse_config(job("sft", lora={"method": "qlora"}, model={"dtype": "bf16"}, training={"device": "cuda"}))
    assert hardware_fields(asked) == ["training.device", "model.dtype", "lora.method"]


@pytest.mark.parametrize("kind, sections, field, code", [
    ("continued_pretraining", {"lora": {"method": "qlora"}}, "lora.method", "unsupported_method"),
    ("pretraining", {"lora": {"method": "qlora"}}, "lora.method", "unsupported_method"),
    ("sft", {"lora": {"method": "full"}, "model": {"dtype": "fp16"}}, "model.dtype", "full_fp16"),
    ("sft", {"lora": {"method": "full"}, "training": {"merge_adapter": True}}, "training.merge_adapter",
     "merge_without_adapter"),
    ("continued_pretraining", {"lora": {"method": "full"}, "training": {"merge_adapter": True}},
     "training.merge_adapter", "merge_without_adapter"),
    ("dpo", {"training": {"merge_adapter": True}}, "training.merge_adapter", "merge_without_adapter"),
    ("sft", {"training": {"early_stopping_patience": 2, "eval_every": 5, "save_every": 10}},
     "training.early_stopping_patience", "early_stopping_steps"),
    ("dpo", {"training": {"batching": "packing"}}, "training.batching", "packing_unsupported"),
    ("dpo", {"training": {"batching": "padding_free"}}, "training.batching", "packing_unsupported"),
    ("pretraining", {"training": {"micro_batch_tokens": 512}}, "training.micro_batch_tokens", "micro_batch_unsupported"),
    ("sft", {"data": {"format": "text"}}, "data.format", "text_data_for_sft"),
    ("pretraining", {"data": {"validation": "/data/held.txt"}}, "data.validation", "unused_file"),
    ("continued_pretraining", {"data": {"test": "/data/test.txt"}}, "data.test", "unused_file"),
])
def test_a_combination_no_machine_can_run_is_refused_when_the_config_is_parsed(kind, sections, field, code):
    with pytest.raises(ConfigError) as info:
        parse_config(job(kind, **sections), source="plan")
    assert (info.value.code, info.value.param) == (code, field)
    assert str(info.value).startswith(f"plan: {field}: ")


def test_a_refused_combination_in_a_file_names_its_line(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text("kind: dpo\ndata:\n  train: pairs.jsonl\ntraining:\n  max_steps: 4\n  batching: packing\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}, line 6: training.batching: ")


def test_the_plans_the_advisor_writes_and_the_shipped_combinations_still_parse():
    # early stopping with evaluation and checkpoints both per epoch, packing for sft, merging a LoRA adapter
    parse_config(job("sft", training={"early_stopping_patience": 2, "batching": "packing", "merge_adapter": True}))
    parse_config(job("dpo", training={"early_stopping_patience": 2}))
    parse_config(job("continued_pretraining", training={"merge_adapter": True}, data={"validation": "/data/v.txt"}))
