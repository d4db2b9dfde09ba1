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

import copy
from dataclasses import asdict
from typing import Any, Iterable, Mapping

from agent.engine import MIN_HELD_OUT, MIN_SFT_EXAMPLES, held_out_count, sft_epochs
from agent.numbers import human
from agent.plan_edits import LABELS, SETTINGS, PlanEdit
from trainer.config import parse_config
from trainer.state.vocabulary import APPROACHES

BUNDLED_BASE = "smollm2-135m-instruct"
DATA_PLACEHOLDER = "ATTACH_YOUR_DATA.jsonl"  # replaced by the uploaded file's path before a launch
SPLIT = (0.8, 0.1, 0.1)  # train / validation / test, split before any training (source: "80/10/10")

KIND_WORDS = {"sft": "supervised fine-tuning", "dpo": "preference tuning (DPO)", "continued_pretraining": "continued pretraining",
              "pretraining": "pretraining from scratch"}
METHOD_WORDS = {"lora": "LoRA", "qlora": "QLoRA", "full": "full fine-tuning"}
# A default plan is sized to finish in about this long on the machine that runs it (seconds): long enough to show
# the pipeline, the numbers and the evaluation on the user's own data, short enough to wait for. The job's
# pre-flight probe measures the pace and lowers training.max_steps to fit (trainer.preflight.size_to_target);
# asking for epochs or steps ("2 epochs", "500 steps") replaces the target with the user's own length.
DEFAULT_TARGET_S = 15 * 60
MIN_TARGET_S = 3 * 60  # "a much shorter trial run" still starts, trains a little and evaluates

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


# A prompt that already reaches the target is kept, and kept honest: the upkeep that notices when it stops
KEEP_THE_PROMPT = ("keep the prompt you have: it reaches your target, so training could only add cost",
                   "keep 50-100 real inputs with accepted outputs as a re-check set, and rerun it whenever the model, "
                   "the provider or the prompt changes",
                   "read the outputs that still get edited: they are where a prompt fix pays",
                   "revisit when volume grows a lot, the acceptance rate drops, or the provider retires the model")


def build_plan(recommendation: Mapping[str, Any], facts: Mapping[str, Any], data_path: str | None = None) -> dict:
    """A plan dict: {approach, trains, kind, steps, scale_up, evaluation, split, config (training only), summary}."""
    approach = recommendation["approach"]
    labeled = facts.get("labeled_examples")
    compute = facts.get("compute")
    rule = APPROACHES[approach]  # the plan rule: steps, and the recipe it trains (None: trains nothing)
    steps = list(rule.steps)
    plan: dict[str, Any] = {"approach": approach, "trains": rule.trains, "steps": steps, "split": list(SPLIT)}
    if rule.recipe is None:
        if approach == "prompt_engineering" and facts.get("prompting_tried") == "meets_target":
            steps = plan["steps"] = list(KEEP_THE_PROMPT)  # nothing to build: keep it working
        elif approach == "prompt_engineering" and labeled and labeled >= 2 * MIN_HELD_OUT:
            # the user's own examples do the work: a few in the prompt, a slice as the test set
            steps[1] = f"pick 3-5 of your {human(labeled)} examples that cover the hard cases as few-shot examples"
            steps[2] = (f"hold out {human(held_out_count(labeled))} of them as the test set and score 5-10 prompt "
                        "variants on it")
            if labeled >= MIN_SFT_EXAMPLES:  # the examples wait for the next rung, with the prompt's score as the bar
                steps.append(f"if it falls short on held-out cases, LoRA fine-tune on your {human(labeled)} examples "
                             "and keep it only if it beats that score")
        plan["summary"] = f"no training: {steps[0]}"
        return plan

    scale = scale_up(approach, compute)
    method, kind = rule.recipe.method, rule.recipe.kind
    data: dict[str, Any] = {"train": data_path or DATA_PLACEHOLDER, "split": list(SPLIT), "seed": 0}
    if rule.recipe.data_format:
        data["format"] = rule.recipe.data_format
    training: dict[str, Any] = {
        "epochs": sft_epochs(labeled) if kind == "sft" else 1.0,
        # LoRA 1e-4..3e-4; full fine-tuning 1e-5..5e-5 (source: "start with small learning rates"); DPO moves a
        # model that already does the task, so it starts ~4x lower (5e-5 with LoRA, 5e-6 for all weights)
        "learning_rate": (2e-4 if method == "lora" else 2e-5) / (4 if kind == "dpo" else 1),
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
        "lora": {"method": method, "r": 16, "alpha": 32, "dropout": 0.0},
        "training": training,
        "eval": {"enabled": True, "max_examples": 50, "max_new_tokens": 128, "few_shot": 5, "forgetting_probe": True},
    }
    if kind == "pretraining":
        config["pretrain"] = {"tokenizer": "train", "vocab_size": 8000, "block_size": 256}
    if kind == "continued_pretraining":
        config["pretrain"] = {"block_size": 512}
    if kind == "dpo":
        config["dpo"] = {"beta": 0.1}  # the DPO paper's usual strength of the pull towards the reference
    plan.update({
        "target_seconds": DEFAULT_TARGET_S,
        "kind": kind,
        "method": method,
        "base_model": BUNDLED_BASE,
        "scale_up": scale,
        "config": config,
        "evaluation": EVALUATION[kind],
        "data_size": (f" on {human(labeled)} examples" if labeled and kind == "sft" else "")
        + (f" on {human(facts.get('unlabeled_corpus'))} tokens" if facts.get("unlabeled_corpus") and kind != "sft"
           else ""),
    })
    plan["summary"] = plan_summary(plan)
    if rule.notes:
        plan["notes"] = list(rule.notes)
    return plan


def config_summary(config: Mapping[str, Any]) -> str:
    """The training settings in one line, from the config itself, so that the chat, the plan card and the settings
    panel can never disagree: `sft of smollm2-135m-instruct with LoRA r=16, lr 0.0002, 3 epoch(s), at most 60
    steps, split 80/10/10`."""
    model, lora, training, data = (config.get(k) or {} for k in ("model", "lora", "training", "data"))
    method = lora.get("method", "lora")
    how = f"{METHOD_WORDS[method]} rank {lora.get('r')}" if method in ("lora", "qlora") else "all weights"
    epochs = training.get("epochs")
    parts = [f"{KIND_WORDS.get(config.get('kind'), config.get('kind'))} of {model.get('base')} with {how}",
             f"learning rate {training.get('learning_rate'):g}", f"{epochs:g} epoch{'s' if epochs != 1 else ''}"]
    if training.get("max_steps"):
        parts.append(f"at most {training['max_steps']} steps")
    if data.get("max_examples"):
        parts.append(f"the first {data['max_examples']} training examples")
    split = data.get("split") or SPLIT
    parts.append("split " + "/".join(f"{round(x * 100)}" for x in split))
    return ", ".join(parts)


def plan_summary(plan: Mapping[str, Any]) -> str:
    """The plan's one-line summary: its config's settings, the data size, and the production-scale base."""
    scale = plan.get("scale_up") or {}
    return (config_summary(plan["config"]) + plan.get("data_size", "")
            + (f"; sized by a pre-flight measurement to finish in about {plan['target_seconds'] / 60:.0f} minutes "
               "on this machine" if plan.get("target_seconds") else "")
            + (f"; at scale: {scale['base']} with {METHOD_WORDS.get(scale['method'], scale['method'])}"
               if scale.get("base") else ""))


def revise_plan(plan: Mapping[str, Any], edits: Iterable[PlanEdit]) -> tuple[dict, list[str]]:
    """The plan with the user's edits (agent.plan_edits) applied, and what changed in words ("epochs 3 → 2").
    The edits are kept in the plan (`edits`), so a plan rebuilt later (new data) can have them applied again.
    Asking for epochs or steps ends the default sizing (the user chose the length); "shorter"/"longer" scales
    the target duration of a sized plan, or else its steps or epochs. Raises nothing: the config is validated
    when it becomes a job."""
    plan = copy.deepcopy(dict(plan))
    config = plan["config"]
    changes: list[str] = []

    def put(section: str, key: str, value: Any, label: str) -> None:
        old = (config.get(section) or {}).get(key)
        if old != value:
            config.setdefault(section, {})[key] = value
            changes.append(f"{label} {_shown(old)} → {_shown(value)}")

    for edit in edits:
        place = SETTINGS[edit.setting]
        if place is not None:
            put(*place, edit.value, LABELS[edit.setting])
        if edit.setting in ("epochs", "max_steps"):
            if edit.setting == "epochs":
                put("training", "max_steps", None, LABELS["max_steps"])  # epochs now decide the length
            if plan.get("target_seconds"):
                changes.append(f"no longer sized to about {plan['target_seconds'] / 60:.0f} minutes")
                plan["target_seconds"] = None
        elif edit.setting == "length":
            target = plan.get("target_seconds")
            training = config.get("training") or {}
            if target:
                new = max(MIN_TARGET_S, target * edit.value)
                if new != target:
                    plan["target_seconds"] = new
                    changes.append(f"target duration about {target / 60:.0f} → {new / 60:.0f} minutes")
                    put("training", "max_steps", None, LABELS["max_steps"])  # the probe sizes it again
            elif training.get("max_steps"):
                put("training", "max_steps", max(1, round(training["max_steps"] * edit.value)), LABELS["max_steps"])
            else:
                put("training", "epochs", max(0.1, round(training.get("epochs", 1.0) * edit.value, 2)),
                    LABELS["epochs"])
    if changes:
        plan["edits"] = list(plan.get("edits") or []) + [asdict(e) for e in edits]
    plan["summary"] = plan_summary(plan)
    return plan, changes


# Where a setting the user chose is past the range practitioners start from, what to watch (and what the job
# already does about it). LoRA's usual rates are 1e-4–2e-4 (the LoRA paper, PEFT's examples); full fine-tuning's
# 1e-5–5e-5; past 3–5 epochs a narrow data set is memorised rather than learned.
LORA_LR_HIGH, FULL_LR_HIGH, EPOCHS_HIGH, RANK_HIGH = 5e-4, 1e-4, 5, 128


def watch_outs(config: Mapping[str, Any], examples: int | None = None) -> list[str]:
    """What to watch in a run with these settings: said once, never changing them (the user chose them)."""
    training, lora = config.get("training") or {}, config.get("lora") or {}
    full = lora.get("method") == "full"
    out = []
    lr = training.get("learning_rate")
    if lr and lr > (FULL_LR_HIGH if full else LORA_LR_HIGH):
        usual = "1e-5–5e-5 for full fine-tuning" if full else "1e-4–2e-4 for LoRA"
        out.append(f"a learning rate of {lr:g} is well above the usual {usual}: such runs can diverge, so watch the "
                   "training loss in the first few hundred steps (a sudden jump or NaN means stop and lower it)")
    epochs = training.get("epochs")
    if epochs and epochs > EPOCHS_HIGH and not training.get("max_steps"):
        over = f" over {human(examples)} examples" if examples else ""
        out.append(f"{epochs:g} epochs{over} is likely to memorise them rather than generalise: the validation "
                   "split is scored every epoch and the checkpoint with the lowest validation loss is the one "
                   "exported, so a late rise costs time, not quality")
    r = lora.get("r")
    if r and r >= RANK_HIGH and not full:
        out.append(f"rank {r} trains {r // 16}× the adapter parameters of rank 16: more memory and time, and on a "
                   "narrow task seldom more quality")
    return out


def reapply_edits(plan: dict, previous: Mapping[str, Any] | None) -> dict:
    """A freshly built plan with the edits the user made to the previous one (e.g. after attaching data)."""
    edits = [PlanEdit(**e) for e in (previous or {}).get("edits") or []]
    if not edits or not plan.get("config"):
        return plan
    return revise_plan(plan, edits)[0]


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def validate_config(config: dict) -> None:
    """Raise trainer.config.ConfigError naming the field when the config is not a runnable job."""
    parse_config(config, source="plan")


EVALUATION = {
    "sft": ["held-out test split (10%), never trained on", "tuned model vs. the base model with the best few-shot "
            "prompt on the same test examples", "forgetting probe: general-text perplexity before vs. after",
            "human review of 50–100 real outputs before shipping"],
    "dpo": ["held-out preference pairs (10%), never trained on: the share whose preferred answer the model scores "
            "higher, base vs. tuned, with a 95% interval", "reward margin against the base",
            "forgetting probe: general-text perplexity before vs. after"],
    "continued_pretraining": ["held-out domain perplexity before vs. after", "forgetting probe on general English "
                              "text (a rise over 10% is flagged)", "then fine-tune and compare against the base "
                              "model with the best prompt"],
    "pretraining": ["validation perplexity on held-out corpus blocks", "compare against the best open model you "
                    "are allowed to use, if any"],
}
