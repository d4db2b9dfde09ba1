"""training.micro_batch_tokens: a batch cut into forward passes of bounded size trains exactly as one pass would.

The cut exists for memory (length grouping puts a dataset's longest rows in one batch; tests/bench/bench_sft.py
measured 10.5 GB for one batch of 8 rows of ~450 tokens and 2.4 GB in passes of 512 tokens), so what must hold is
that it changes nothing else: the same gradient, the same trained weights, every row trained once.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from trainer import batching, sft
from trainer.config import ConfigError, parse_config
from trainer.datasets import Example, encode
from tests.test_sft import config, write_repeat_data


def _batch(tokenizer, lengths: list[int]) -> dict[str, torch.Tensor]:
    rows = [encode(tokenizer, Example(0, [{"role": "user", "content": "Repeat: " + " ".join(["alpha"] * n)},
                                          {"role": "assistant", "content": " ".join(["beta"] * n)}]), 512)
            for n in lengths]
    return batching.Collator(tokenizer.pad_token_id)(batching.features(rows))


def _lora_model(model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_dir), LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"], task_type="CAUSAL_LM"))
    for name, p in model.named_parameters():  # LoRA B starts at zero, which would leave A's gradient zero
        if "lora_B" in name:
            torch.nn.init.normal_(p, std=0.02)
    return model


def _gradients(model, parts, total_items) -> dict[str, torch.Tensor]:
    model.zero_grad()
    head = model.get_output_embeddings()
    for part in parts:
        logits, targets = batching.trained_token_logits(model, head, part)
        (F.cross_entropy(logits, targets, reduction="sum") / total_items).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def test_every_pass_holds_at_most_the_budget_and_every_row_exactly_once(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    batch = _batch(tokenizer, [3, 40, 12, 25, 7, 40])
    parts = batching.micro_batches(batch, budget=200)
    assert len(parts) > 1
    real = batch["attention_mask"].sum(dim=1).tolist()
    assert sorted(n for p in parts for n in p["attention_mask"].sum(dim=1).tolist()) == sorted(real)
    for part in parts:
        rows, width = part["input_ids"].shape
        assert rows == 1 or rows * width <= 200
        assert part["attention_mask"][:, -1].any()  # trimmed to the pass's own longest row
    seen = sorted(tuple(r[m.bool()].tolist()) for p in parts for r, m in zip(p["input_ids"], p["attention_mask"]))
    assert seen == sorted(tuple(r[m.bool()].tolist()) for r, m in zip(batch["input_ids"], batch["attention_mask"]))


def test_a_batch_within_the_budget_or_without_one_stays_one_pass(tiny_model_dir):
    from transformers import AutoTokenizer

    batch = _batch(AutoTokenizer.from_pretrained(tiny_model_dir), [3, 9, 5])
    assert batching.micro_batches(batch, budget=None) == [batch]
    assert batching.micro_batches(batch, budget=10_000) == [batch]


def test_passes_cut_from_a_batch_give_the_gradient_of_the_whole_batch(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    batch = _batch(tokenizer, [3, 40, 12, 25, 7, 40])
    items = int((batch["labels"][:, 1:] != -100).sum())
    model = _lora_model(tiny_model_dir)
    whole = _gradients(model, [batch], items)
    cut = _gradients(model, batching.micro_batches(batch, budget=120), items)
    assert max(g.abs().max().item() for g in whole.values()) > 1e-4  # a real gradient, not zeros
    for name in whole:
        torch.testing.assert_close(cut[name], whole[name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_job_trained_in_small_passes_ends_with_the_weights_of_one_pass_per_batch(tiny_model_dir, tmp_path):
    data = write_repeat_data(tmp_path / "repeat.jsonl", n=40)
    weights, losses = {}, {}
    for name, budget in (("whole", 100_000), ("cut", 64)):
        run = tmp_path / name
        # the arithmetic of the two ways is compared, so in fp32: on a CPU with bf16 matrix instructions `auto`
        # picks bf16 autocast, whose rounding differs with the order of summation
        result = sft.run(config(tiny_model_dir, data, model={"dtype": "fp32"},
                                training={"max_steps": 4, "batch_size": 8, "micro_batch_tokens": budget},
                                eval={"enabled": False}), run)
        weights[name] = load_file(run / "adapter" / "adapter_model.safetensors")
        losses[name] = result["train_loss"]
    assert losses["cut"] == pytest.approx(losses["whole"], rel=1e-4)
    moved = False
    for key, value in weights["whole"].items():
        torch.testing.assert_close(weights["cut"][key], value, rtol=1e-3, atol=1e-5, msg=key)
        moved |= "lora_B" in key and value.abs().sum().item() > 0
    assert moved  # the adapters trained (LoRA B starts at zero)


def test_a_micro_batch_budget_outside_sft_is_refused_when_the_config_is_read(tmp_path):
    with pytest.raises(ConfigError, match="training.micro_batch_tokens applies to kind sft only"):
        parse_config({"kind": "continued_pretraining", "model": {"base": "smollm2-135m-instruct"},
                      "data": {"train": str(tmp_path / "corpus"), "format": "text"},
                      "training": {"micro_batch_tokens": 512}})
