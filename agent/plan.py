"""The plan builder: a recommendation and the facts → a training plan whose `config` validates as
`trainer.config.JobConfig`.

The config always runs here and offline: its base is the bundled `smollm2-135m-instruct`, so the user can
approve a real job at once and see the pipeline, the numbers and the evaluation on their own data. The plan
also names the production-scale base model and method that the user's compute can hold (`scale_up`), with
the memory arithmetic, so the next run is a one-line change of `model.base`.

Approaches that train nothing (prompt engineering, RAG, building the dataset, a stronger base model) get a
plan of steps and no config.
"""

from __future__ import annotations

from typing import Any, Mapping

from agent.numbers import human
from trainer.state.vocabulary import APPROACHES

BUNDLED_BASE = "smollm2-135m-instruct"
DATA_PLACEHOLDER = "ATTACH_YOUR_DATA.jsonl"  # replaced by the uploaded file's path before a launch
SPLIT = (0.8, 0.1, 0.1)  # train / validation / test, split before any training (source: "80/10/10")

KIND_WORDS = {"sft": "supervised fine-tuning", "continued_pretraining": "continued pretraining",
              "pretraining": "pretraining from scratch"}
METHOD_WORDS = {"lora": "LoRA", "qlora": "QLoRA", "full": "full fine-tuning"}

# Production bases by GPU memory per card (GB). Memory arithmetic (bytes per parameter):
#   QLoRA ≈ 0.5 (4-bit weights) + adapters/activations → a 7-8B model fits in 16-24 GB;
#   LoRA in bf16 ≈ 2 + activations → 7-8B needs ~24-40 GB;
#   full fine-tuning with Adam ≈ 16 → an 8B model needs ~130 GB+ across cards (FSDP).
SCALE_TABLE = [
    # (min GB per card, min total GB, method for lora approaches, base, note)
    (160, 0, "lora", "meta-llama/Llama-3.1-70B-Instruct (or Qwen2.5-72B-Instruct)", "70B fits in bf16 LoRA"),
    (40, 0, "lora", "Qwen/Qwen2.5-7B-Instruct (or Llama-3.1-8B-Instruct)", "7-8B in bf16 LoRA (~24-40 GB)"),
    (16, 0, "qlora", "Qwen/Qwen2.5-7B-Instruct (or Llama-3.1-8B-Instruct)", "7-8B in 4-bit QLoRA (~16-24 GB)"),
    (6, 0, "qlora", "HuggingFaceTB/SmolLM2-1.7B-Instruct", "1.7B in 4-bit QLoRA"),
]


def scale_up(approach: str, compute: Mapping[str, Any] | None) -> dict:
    """The base model and method the user's compute can hold at production scale, with why."""
    gpus = (compute or {}).get("gpus", 0) or 0
    per_card = float((compute or {}).get("gpu_memory_gb", 0) or 0)
    total = gpus * per_card
    if not gpus:
        return {"base": BUNDLED_BASE, "method": "full" if approach == "full_finetune" else "lora",
                "why": "no GPU: the bundled 135M model trains on a CPU in minutes; rent one GPU (24 GB) for 7-8B "
                "QLoRA"}
    if approach in ("full_finetune", "continued_pretraining", "pretrain_from_scratch") and total >= 130:
        base = "Qwen/Qwen2.5-7B-Instruct (or Llama-3.1-8B)" if total < 1200 else "Llama-3.1-70B (FSDP)"
        return {"base": base, "method": "full",
                "why": f"{gpus}×{per_card:g} GB = {total:g} GB holds all weights with Adam (~16 bytes/parameter)"}
    for min_card, _, method, base, note in SCALE_TABLE:
        if per_card >= min_card:
            return {"base": base, "method": "lora" if approach == "full_finetune" and total < 130 else method,
                    "why": f"{gpus}×{per_card:g} GB: {note}"}
    return {"base": BUNDLED_BASE, "method": "lora", "why": f"{per_card:g} GB cards: stay with a small model"}


def _epochs(n: int | None) -> float:
    # Small sets need more passes; large ones one or two ("stop when validation loss stops decreasing").
    if not n or n < 1_000:
        return 3.0
    return 2.0 if n < 10_000 else 1.0


def build_plan(recommendation: Mapping[str, Any], facts: Mapping[str, Any], data_path: str | None = None) -> dict:
    """A plan dict: {approach, trains, kind, steps, scale_up, evaluation, split, config (training only), summary}."""
    approach = recommendation["approach"]
    labeled = facts.get("labeled_examples")
    compute = facts.get("compute")
    rule = APPROACHES[approach]  # the plan rule: steps, and the recipe it trains (None: trains nothing)
    steps = list(rule.steps)
    plan: dict[str, Any] = {"approach": approach, "trains": rule.trains, "steps": steps, "split": list(SPLIT)}
    if rule.recipe is None:
        plan["summary"] = f"no training: {steps[0]}"
        return plan

    scale = scale_up(approach, compute)
    method, kind = rule.recipe.method, rule.recipe.kind
    data: dict[str, Any] = {"train": data_path or DATA_PLACEHOLDER, "split": list(SPLIT), "seed": 0}
    if rule.recipe.data_format:
        data["format"] = rule.recipe.data_format
    training: dict[str, Any] = {
        "epochs": _epochs(labeled) if kind == "sft" else 1.0,
        # LoRA 1e-4..3e-4; full fine-tuning 1e-5..5e-5 (source: "start with small learning rates")
        "learning_rate": 2e-4 if method == "lora" else 2e-5,
        "batch_size": 8,
        "grad_accum": 1,
        "warmup_ratio": 0.03,
        "lr_scheduler": "cosine",
        "early_stopping_patience": 2,  # stop when validation loss stops decreasing
        "seed": 42,
    }
    if kind == "pretraining":
        training["learning_rate"] = 1e-3  # a small model from random weights tolerates a high peak rate
    config: dict[str, Any] = {
        "kind": kind,
        "name": f"{approach}-{BUNDLED_BASE}",
        "model": {"base": BUNDLED_BASE, "max_seq_len": 512 if not (compute or {}).get("gpus") else 1024},
        "data": data,
        "lora": {"method": method, "r": 16, "alpha": 32, "dropout": 0.05},
        "training": training,
        "eval": {"enabled": True, "max_examples": 50, "max_new_tokens": 128, "few_shot": 3, "forgetting_probe": True},
    }
    if kind == "pretraining":
        config["pretrain"] = {"tokenizer": "train", "vocab_size": 8000, "block_size": 256}
    if kind == "continued_pretraining":
        config["pretrain"] = {"block_size": 512}
    plan.update({
        "kind": kind,
        "method": method,
        "base_model": BUNDLED_BASE,
        "scale_up": scale,
        "config": config,
        "evaluation": EVALUATION[kind],
        "summary": (f"{KIND_WORDS[kind]} of {BUNDLED_BASE} with {'LoRA rank 16' if method == 'lora' else 'all weights'}, "
                    f"learning rate {training['learning_rate']:g}, {training['epochs']:g} "
                    f"epoch{'s' if training['epochs'] != 1 else ''}, split 80/10/10"
                    + (f" on {human(labeled)} examples" if labeled and kind == "sft" else "")
                    + (f" on {human(facts.get('unlabeled_corpus'))} tokens" if facts.get("unlabeled_corpus")
                       and kind != "sft" else "")
                    + f"; at scale: {scale['base']} with {METHOD_WORDS[scale['method']]}"),
    })
    if rule.notes:
        plan["notes"] = list(rule.notes)
    return plan


def validate_config(config: dict) -> None:
    """Raise trainer.config.ConfigError naming the field when the config is not a runnable job."""
    from trainer.config import parse_config

    parse_config(config, source="plan")


EVALUATION = {
    "sft": ["held-out test split (10%), never trained on", "tuned model vs. the base model with the best few-shot "
            "prompt on the same test examples", "forgetting probe: general-text perplexity before vs. after",
            "human review of 50–100 real outputs before shipping"],
    "continued_pretraining": ["held-out domain perplexity before vs. after", "forgetting probe on general English "
                              "text (a rise over 10% is flagged)", "then fine-tune and compare against the base "
                              "model with the best prompt"],
    "pretraining": ["validation perplexity on held-out corpus blocks", "compare against the best open model you "
                    "are allowed to use, if any"],
}
