"""trainer/sft.py on the tiny random Llama (real SmolLM2 tokenizer): real effects, not mocks.

One LoRA job runs once for the module (≈ 10 s on 2 cores) and several tests read its run folder; the other tests
are short runs with evaluation switched off.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from trainer import sft
from trainer.config import parse_config
from trainer.datasets import DataError
from trainer.evaluate import REPORT_KEYS
from trainer.progress import CARD, read_jsonl
from trainer.training_setup import SetupError
from tests.tracking_checks import assert_tracked
from tools.jobs import read_card
from ui import render

WORDS = ["alpha", "beta", "gamma", "delta", "echo"]


def write_repeat_data(path: Path, n: int = 60, seed: int = 0) -> Path:
    """'Repeat: w1 w2 ...' -> 'w1 w2 ...' with 2-30 words: a task a tiny model's loss can visibly learn."""
    r = random.Random(seed)
    rows = []
    for _ in range(n):
        words = " ".join(r.choice(WORDS) for _ in range(r.randint(2, 30)))
        rows.append({"prompt": f"Repeat: {words}", "completion": words})
    path.write_text("\n".join(json.dumps(x) for x in rows) + "\n")
    return path


# The SFT tests' settings, one dict per config section: 12 steps at a high learning rate, so a tiny model's loss
# visibly falls; evaluation on 4 examples with 8 new tokens each.
SFT = {
    "model": {"max_seq_len": 96},
    "lora": {"r": 8, "alpha": 16},
    "training": {"max_steps": 12, "learning_rate": 2e-2, "batch_size": 4, "eval_every": 6, "save_every": 6},
    "eval": {"max_examples": 4, "max_new_tokens": 8, "few_shot": 2},
}


def config(model_dir: Path, data: Path, kind: str = "sft", defaults: dict = SFT, **sections):
    """A JobConfig of `kind` on `model_dir` and `data`: `defaults` with each of `sections` laid over its section
    (test_dpo.py builds its configs here too, with its own defaults)."""
    raw: dict = {"kind": kind, "model": {"base": str(model_dir)}, "data": {"train": str(data)}}
    for part in (defaults, sections):
        for name, values in part.items():
            raw[name] = {**raw.get(name, {}), **values}
    return parse_config(raw)


@pytest.fixture(scope="module")
def lora_run(tiny_model_dir, tmp_path_factory):
    """One LoRA job; the trained PeftModel is kept so tests can compare its weights with the base on disk."""
    folder = tmp_path_factory.mktemp("sft")
    data = write_repeat_data(folder / "repeat.jsonl")
    captured = {}
    build = sft.build_model

    def keep(*args, **kwargs):
        captured["model"] = build(*args, **kwargs)
        return captured["model"]

    sft.build_model = keep
    try:
        result = sft.run(config(tiny_model_dir, data, training={"merge_adapter": True}), folder / "run")
    finally:
        sft.build_model = build
    return folder / "run", result, captured["model"]


def test_lora_training_lowers_the_loss(lora_run):
    run_dir, result, _ = lora_run
    losses = [r["loss"] for r in read_jsonl(run_dir / "metrics.jsonl") if r.get("loss") is not None]
    assert len(losses) >= 10
    # a random 3.3 M-parameter model starts near ln(49152) ≈ 10.8 nats; 12 LoRA steps at lr 2e-2 must move it
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    assert report["loss"]["tuned"] < report["loss"]["base"]


def test_adapter_files_config_and_result_are_written(lora_run):
    run_dir, result, _ = lora_run
    assert (run_dir / "adapter" / "adapter_config.json").is_file()
    assert (run_dir / "adapter" / "adapter_model.safetensors").is_file()
    assert (run_dir / "config.yaml").read_text().startswith("kind: sft")
    assert json.loads((run_dir / "result.json").read_text())["adapter"] == str(run_dir / "adapter")
    assert result["steps"] == 12 and result["train_examples"] + result["test_examples"] + result[
        "validation_examples"] == 60
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == ["checkpoint-12", "checkpoint-6"]
    assert_tracked(run_dir, steps=12)


def test_only_lora_weights_changed(lora_run, tiny_model_dir):
    _, _, model = lora_run
    original = load_file(tiny_model_dir / "model.safetensors")
    trained = {n: p for n, p in model.named_parameters()}
    base = {n.replace("base_model.model.", "").replace(".base_layer", ""): p
            for n, p in trained.items() if "lora_" not in n}
    for name, value in original.items():
        assert torch.equal(base[name].detach().cpu(), value), f"base weight {name} changed"
    lora_b = [p for n, p in trained.items() if "lora_B" in n]
    assert lora_b and all(p.abs().sum() > 0 for p in lora_b)  # LoRA B starts at zero: non-zero means trained
    adapter = load_file(Path(lora_run[0]) / "adapter" / "adapter_model.safetensors")
    assert adapter and all("lora_" in k for k in adapter)  # the adapter holds nothing but LoRA weights


def test_eval_report_has_every_field_and_files(lora_run):
    run_dir, _, _ = lora_run
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    assert set(REPORT_KEYS) <= set(report)
    assert report["task"]["kind"] == "free_text" and report["primary_metric"] == "rouge_l"  # repeated word lists
    for side in ("base", "tuned"):
        assert set(report["metrics"][side]) == {"exact_match", "token_f1", "rouge_l"}
        for value in report["comparison"][side].values():
            assert value["low"] <= value["value"] <= value["high"]
    assert report["forgetting"]["base_perplexity"] > 1 and "change_pct" in report["forgetting"]
    assert report["samples"] and set(report["samples"][0]) == {"prompt", "reference", "base", "tuned"}
    # eval.few_shot 2 limits the k-shot candidates to k = 1
    assert [c["candidate"] for c in report["prompt_search"]["candidates"]] == ["zero_shot", "instruction", "k1"]
    assert report["baseline"].startswith("base model with its best prompt")
    assert report["checkpoint"]["exported_step"] in (6, 12) and report["checkpoint"]["note"]
    assert report["verdict"] and report["verdict_summary"] in ("better", "worse", "no_clear_difference")
    for name in ("report.md", "loss_curves.png", "metrics.png"):
        assert (run_dir / "eval" / name).stat().st_size > 100
    assert "| prompt | reference | base + best prompt | tuned |" in (run_dir / "eval" / "report.md").read_text()


def test_merged_model_computes_what_base_plus_adapter_computes(lora_run, tiny_model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    run_dir, result, _ = lora_run
    merged = AutoModelForCausalLM.from_pretrained(run_dir / "merged")
    assert next(merged.parameters()).dtype == torch.float32  # CPU training keeps fp32 weights, bf16 autocast or not
    # the base from disk with the saved adapter on top, in fp32: the trained model object itself may still run its
    # forward under the trainer's bf16 autocast on a CPU with bf16 instructions
    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32),
                                        str(run_dir / "adapter")).eval()
    ids = torch.tensor([[1, 500, 2000, 30000, 7]])
    with torch.no_grad():
        assert torch.allclose(merged(ids).logits, adapted(input_ids=ids).logits, atol=1e-4)
    assert result["merged"] == str(run_dir / "merged")


def test_try_prompt_answers_with_base_and_tuned(lora_run):
    from trainer.evaluate import try_prompt

    answers = try_prompt(lora_run[0], "Repeat: alpha beta", max_new_tokens=4)
    assert set(answers) == {"base", "tuned"} and all(isinstance(a, str) for a in answers.values())


def test_the_results_show_the_runs_reproducibility_card_in_short_with_its_path(lora_run):
    """Seed, data hash, code revision, versions and hardware of the finished run, under its evaluation; the figures
    are checked against their sources (the file's own SHA-256, the installed packages), not against the card."""
    run_dir, _, _ = lora_run
    card = read_card(run_dir / CARD)
    text = render.results_markdown("sft-1", json.loads((run_dir / "eval" / "report.json").read_text()), asdict(card))
    train = Path(json.loads((run_dir / CARD).read_text())["config"]["data"]["train"])
    assert f"training data sha256 {hashlib.sha256(train.read_bytes()).hexdigest()[:12]}…" in text
    assert "| seed | 42 (training), 0 (data split) |" in text  # the config's defaults (training.seed, data.seed)
    for name in ("torch", "transformers", "peft"):
        assert f"{name} {metadata.version(name)}" in text
    revision = card.code_revision  # None only outside a git checkout
    assert (f"| code | git {revision[:12]}" if revision else "| code | unknown") in text
    hardware = card.hardware["gpus"][0] if card.hardware.get("gpus") else f"CPU, {card.hardware['cpus']} core"
    assert hardware in text and "12 optimizer steps" in text  # max_steps 12
    assert f"{card.tokens_per_s:,.0f} tokens/s" in text and card.tokens_per_s > 0
    assert f"`{run_dir / CARD}`" in text and "**Verdict:**" in text, "the card comes with the evaluation, not instead"


def test_killed_run_resumes_to_the_same_weights(tiny_model_dir, tmp_path):
    # the uninterrupted run, and one that lost everything after its step-4 checkpoint (as a kill -9 would)
    data = write_repeat_data(tmp_path / "d.jsonl", n=30)
    cfg = config(tiny_model_dir, data, training={"max_steps": 4, "save_every": 2, "eval_every": None},
                 eval={"enabled": False})
    whole = sft.run(cfg, tmp_path / "whole")
    sft.run(cfg, tmp_path / "cut")
    shutil.rmtree(tmp_path / "cut" / "checkpoints" / "checkpoint-4")
    shutil.rmtree(tmp_path / "cut" / "adapter")
    resumed = sft.run(cfg, tmp_path / "cut", resume=True)
    a = load_file(tmp_path / "whole" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "cut" / "adapter" / "adapter_model.safetensors")
    assert max((a[k] - b[k]).abs().max().item() for k in a) <= 1e-6
    assert resumed["steps"] == whole["steps"] == 4


def test_a_run_killed_after_its_final_checkpoint_resumes_without_an_extra_step(tiny_model_dir, tmp_path):
    # kill -9 between the last checkpoint and the adapter export: resuming must not step past max_steps
    data = write_repeat_data(tmp_path / "d.jsonl", n=30)
    cfg = config(tiny_model_dir, data, training={"max_steps": 3, "save_every": 1, "eval_every": None},
                 eval={"enabled": False})
    whole = sft.run(cfg, tmp_path / "whole")
    sft.run(cfg, tmp_path / "cut")
    shutil.rmtree(tmp_path / "cut" / "adapter")
    resumed = sft.run(cfg, tmp_path / "cut", resume=True)
    assert resumed["steps"] == whole["steps"] == 3
    a = load_file(tmp_path / "whole" / "adapter" / "adapter_model.safetensors")
    b = load_file(tmp_path / "cut" / "adapter" / "adapter_model.safetensors")
    assert max((a[k] - b[k]).abs().max().item() for k in a) <= 1e-6


def test_full_fine_tuning_writes_the_whole_model(tiny_model_dir, tmp_path):
    data = write_repeat_data(tmp_path / "d.jsonl", n=20)
    cfg = config(tiny_model_dir, data, lora={"method": "full"}, training={"max_steps": 2, "learning_rate": 1e-3},
                 eval={"enabled": False})
    result = sft.run(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "model" / "model.safetensors").is_file() and "adapter" not in result
    before = load_file(tiny_model_dir / "model.safetensors")
    after = load_file(tmp_path / "run" / "model" / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_qlora_on_a_cpu_is_a_clear_error_suggesting_lora(tiny_model_dir, tmp_path):
    cfg = config(tiny_model_dir, write_repeat_data(tmp_path / "d.jsonl"), lora={"method": "qlora"},
                 training={"device": "cpu"})
    with pytest.raises(SetupError) as info:
        sft.run(cfg, tmp_path / "run")
    assert info.value.code == "qlora_needs_cuda" and info.value.param == "lora.method"
    assert "lora.method: lora" in str(info.value)


def test_nothing_trains_on_a_file_that_failed_validation(tiny_model_dir, tmp_path):
    data = write_repeat_data(tmp_path / "d.jsonl", n=20)
    data.write_text(data.read_text() + "{broken\n")
    with pytest.raises(DataError) as info:
        sft.run(config(tiny_model_dir, data), tmp_path / "run")
    assert info.value.code == "invalid_json" and "line 21" in str(info.value)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_plain_text_data_points_to_continued_pretraining(tiny_model_dir, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(f"Document {i} about tides and bread." for i in range(20)))
    with pytest.raises(sft.SFTError) as info:
        sft.run(config(tiny_model_dir, corpus), tmp_path / "run")
    assert info.value.code == "text_data_for_sft" and "continued_pretraining" in str(info.value)


@pytest.mark.slow
def test_bundled_smollm2_lora_runs_a_few_steps(tmp_path):
    config_file = Path(__file__).parents[1] / "trainer" / "configs" / "smollm2-lora-cpu.yaml"
    from trainer.config import load_config

    cfg = load_config(config_file)
    cfg.training.max_steps = 3
    cfg.training.eval_every = 3
    cfg.eval.max_examples = 2
    cfg.eval.max_new_tokens = 16
    result = sft.run(cfg, tmp_path / "run")
    assert result["steps"] == 3 and (tmp_path / "run" / "adapter" / "adapter_model.safetensors").is_file()
    report = json.loads((tmp_path / "run" / "eval" / "report.json").read_text())
    # the real model knows language: its general-text perplexity is far below a random model's ~49,000
    assert report["forgetting"]["base_perplexity"] < 100


def test_tunewise_train_runs_an_sft_config_headless(tiny_model_dir, tmp_path, tunewise_home, capsys):
    import yaml

    from ui.cli import main

    data = write_repeat_data(tmp_path / "d.jsonl", n=20)
    raw = config(tiny_model_dir, data, training={"max_steps": 2}, eval={"enabled": False}).to_dict()
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(raw))
    assert main(["train", str(tmp_path / "job.yaml")]) == 0
    (run_dir,) = (tunewise_home / "runs").iterdir()
    assert json.loads((run_dir / "result.json").read_text())["steps"] == 2
    assert (run_dir / "config.yaml").read_text().startswith("kind: sft")
    assert "succeeded" in capsys.readouterr().out


def test_tunewise_train_with_qlora_on_a_cpu_exits_1_with_one_sentence(tiny_model_dir, tmp_path, capsys):
    import yaml

    from ui.cli import main

    raw = config(tiny_model_dir, write_repeat_data(tmp_path / "d.jsonl"), lora={"method": "qlora"},
                 training={"device": "cpu"}).to_dict()
    (tmp_path / "job.yaml").write_text(yaml.safe_dump(raw))
    assert main(["train", str(tmp_path / "job.yaml")]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err  # the job system reports the failed job's {code, message}
    assert "lora.method qlora needs a CUDA GPU" in text and "Traceback" not in text


def test_the_run_reports_training_evaluating_and_writing_report_in_that_order(lora_run):
    run_dir, _, _ = lora_run
    phases = [r["phase"] for r in read_jsonl(run_dir / "phases.jsonl")]
    # loading_model is the job worker's to report; a recipe run directly starts at training. The evaluation
    # reports "evaluating k of N" as it goes, so repeated rows of one phase are collapsed before comparing.
    order = [p for i, p in enumerate(phases) if i == 0 or p != phases[i - 1]]
    assert order == ["training", "evaluating", "writing_report"]
    assert phases.count("evaluating") > 1  # progress within the evaluation, not just its start


def test_a_recipe_run_on_its_own_refuses_a_config_of_another_kind_in_one_sentence(tiny_model_dir, tmp_path, capsys):
    """`python -m trainer.sft` and `python -m trainer.dpo` share `recipes.recipe_main`: a DPO config given to the
    SFT recipe is exit status 1 and one sentence naming the recipe to use, and nothing is trained."""
    from trainer import dpo, recipes

    path = tmp_path / "dpo.yaml"
    path.write_text(config(tiny_model_dir, tmp_path / "pairs.jsonl", "dpo", {}).to_yaml())
    assert recipes.recipe_main("sft", sft.run, sft.__doc__, [str(path), "--run-dir", str(tmp_path / "run")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("error: ") and "this is the sft recipe" in out and "python -m trainer.dpo" in out
    assert not (tmp_path / "run").exists()
    assert recipes.recipe_main("dpo", dpo.run, dpo.__doc__, [str(tmp_path / "missing.yaml"), "--run-dir",
                                                              str(tmp_path / "run")]) == 1
    assert "missing.yaml" in capsys.readouterr().out
