"""Preference tuning with DPO (Direct Preference Optimization, Rafailov et al. 2023, arXiv:2305.18290) on pairs
of a preferred and a rejected answer to the same prompt, followed by an evaluation on held-out pairs.

Usage
-----
CPU smoke run on the bundled SmolLM2 (LoRA; data as JSONL rows {"prompt", "chosen", "rejected"}, or chat rows with
"chosen"/"rejected" — anything `tunewise validate-data` recognises as preference pairs):

    tunewise train my-dpo.yaml          # kind: dpo, data.train: pairs.jsonl, lora.method: lora (or full)

One GPU, or several under torchrun, exactly as trainer/sft.py (the same set-up: trainer/training_setup.py).

Why our own loss and not TRL's DPOTrainer: the loss is five lines (below), and everything around it — precision,
data validation, LoRA set-up, TrainingArguments, checkpoints that are complete or ignored, live progress, graceful
stop, tracking — is the SFT recipe's, shared by import. TRL would bring its own data pipeline, collator and
argument class beside ours (and a dependency the default install does not have). The loss is the paper's:

    margin = β · [(log π(chosen) − log π_ref(chosen)) − (log π(rejected) − log π_ref(rejected))]
    loss   = −log σ(margin)

where log π is the summed log-probability of the answer's tokens given the prompt (the chat template's assistant
span; the prompt is never scored) and π_ref the model before tuning. With LoRA the reference is the same model
with its adapter switched off (`disable_adapter()`), so no second copy sits in memory; full fine-tuning keeps a
frozen copy (twice the weights in memory, say so in the plan).

What happens, top to bottom
---------------------------
1. set-up (trainer/training_setup.py): device, precision and threads as every recipe; config printed and saved as
   run_dir/config.yaml;
2. data: the file validated (located errors, nothing trains); it must be preference pairs; 80/10/10 split;
3. model: LoRA adapters (or all weights) as in SFT; a frozen reference copy for full fine-tuning;
4. training: the Hugging Face Trainer with the DPO loss; metrics: loss, reward margin, preference accuracy;
5. evaluation on the held-out test pairs, tuned vs base: the share of pairs whose chosen answer gets the higher
   mean log-probability per answer token (the headline and the verdict: per token, because a summed log-probability
   mostly measures length — a short curt rejected answer outscores a long helpful one by its length alone; the summed
   comparison is reported beside it), the tuned model's preference accuracy and mean reward margin relative to the
   reference as in the loss, plus the forgetting probe (general-text perplexity, base vs tuned); outputs adapter/
   (or model/), eval/report.json, result.json.
"""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from transformers import Trainer

from trainer import batching, forgetting, sft, training_setup
from trainer.base_models import load_tokenizer
from trainer.config import JobConfig
from trainer.distributed import is_main_process
from trainer.datasets import Encoded, Example, encode_messages, ensure_chat_template
from trainer.progress import ProgressWriter
from trainer.recipes import recipe_main


class DPOError(sft.SFTError):
    """A DPO job that cannot run as configured."""


# ---------------------------------------------------------------------------------------------------------------
# 2. data: each pair becomes two encoded sequences that share the prompt


def encode_pair(tokenizer, example: Example, max_len: int) -> tuple[Encoded, Encoded]:
    """(chosen, rejected): prompt + answer through the chat template, loss labels on the answer only."""
    prompt = example.prompt_messages
    chosen = encode_messages(tokenizer, example.messages, max_len)
    rejected = encode_messages(tokenizer, prompt + [{"role": "assistant", "content": example.rejected}], max_len)
    return chosen, rejected


def pair_rows(pairs: list[tuple[Encoded, Encoded]]) -> list[dict[str, list[int]]]:
    return [{"chosen_input_ids": c.input_ids, "chosen_labels": c.labels,
             "rejected_input_ids": r.input_ids, "rejected_labels": r.labels} for c, r in pairs if c.trained and r.trained]


class PairCollator:
    """A batch of B pairs as one padded batch of 2B rows: the B chosen sequences, then the B rejected ones."""

    def __init__(self, pad_token_id: int):
        self.pad = batching.Collator(pad_token_id)

    def __call__(self, rows: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
        side = [{"input_ids": r[f"{s}_input_ids"], "labels": r[f"{s}_labels"]} for s in ("chosen", "rejected")
                for r in rows]
        return self.pad(side)


# ---------------------------------------------------------------------------------------------------------------
# 4. the loss


def answer_logprobs(model, batch: dict[str, torch.Tensor], head=None) -> torch.Tensor:
    """Summed log-probability of each row's labelled tokens (nats), shape (rows,). The output layer runs only at the
    answer positions (`batching.trained_token_logits`): the 49,152-wide softmax skips prompts and padding."""
    head = head if head is not None else model.get_output_embeddings()  # (a DDP wrapper has none: pass it)
    logits, targets = batching.trained_token_logits(model, head, batch)
    rows = (batch["labels"][:, 1:] != -100).nonzero(as_tuple=True)[0]  # the row of each kept position, in order
    logp = torch.gather(F.log_softmax(logits, dim=-1), 1, targets.unsqueeze(-1)).squeeze(-1)
    return torch.zeros(batch["labels"].shape[0], dtype=logp.dtype, device=logp.device).index_add(0, rows, logp)


def reference_logprobs(model, reference, batch) -> torch.Tensor:
    """log π_ref: the adapter switched off (LoRA), or the frozen copy (full fine-tuning)."""
    with torch.no_grad():
        if reference is None:
            with model.disable_adapter():
                return answer_logprobs(model, batch)
        return answer_logprobs(reference, batch)


def dpo_terms(policy: torch.Tensor, ref: torch.Tensor, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pair loss and reward margin from the 2B log-probabilities (chosen first)."""
    half = policy.shape[0] // 2
    margin = beta * ((policy[:half] - ref[:half]) - (policy[half:] - ref[half:]))
    return -F.logsigmoid(margin), margin


class DPOTrainer(Trainer):
    """The Hugging Face Trainer with the DPO loss; logs the reward margin and preference accuracy with the loss."""

    def __init__(self, *args, beta: float, reference=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.beta, self.reference = beta, reference
        self._seen: list[torch.Tensor] = []

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        unwrapped = self.accelerator.unwrap_model(model)
        ref = reference_logprobs(unwrapped, self.reference, inputs)
        # the policy runs through `model` (the DDP wrapper under torchrun, so gradients are synchronised)
        policy = answer_logprobs(model, inputs, head=unwrapped.get_output_embeddings())
        loss, margin = dpo_terms(policy, ref, self.beta)
        if model.training:
            self._seen.append(margin.detach())
        return (loss.mean(), {"margin": margin}) if return_outputs else loss.mean()

    def log(self, logs: dict[str, float], *args, **kwargs) -> None:
        if self._seen and "loss" in logs:
            margins = torch.cat(self._seen)
            logs["reward_margin"] = round(margins.mean().item(), 4)
            logs["preference_accuracy"] = round((margins > 0).float().mean().item(), 4)
            self._seen = []
        super().log(logs, *args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# 5. evaluation on held-out pairs


@torch.no_grad()
def preference_scores(model, reference, collate: PairCollator, rows, beta: float, batch_size: int = 8) -> dict:
    """How often `model` itself scores the chosen answer above the rejected one — by mean log-probability per answer
    token (`chosen_scored_higher_per_token`) and by summed log-probability (`chosen_scored_higher`) — and, against
    `reference`, the preference accuracy and mean reward margin of the loss. With `reference is model` (the base
    judged against itself) the margin is 0 by definition, so only the model's own scores are given."""
    model.eval()
    device = next(model.parameters()).device
    wins, margins, raw_wins, per_token_wins = 0, [], 0, 0
    for start in range(0, len(rows), batch_size):
        batch = {k: v.to(device) for k, v in collate(rows[start:start + batch_size]).items()}
        policy = answer_logprobs(model, batch)
        tokens = (batch["labels"][:, 1:] != -100).sum(dim=1).clamp(min=1)  # answer tokens per row
        mean = policy / tokens
        half = policy.shape[0] // 2
        raw_wins += int((policy[:half] > policy[half:]).sum())
        per_token_wins += int((mean[:half] > mean[half:]).sum())
        if reference is not model:
            ref = reference_logprobs(model, reference, batch)
            _, margin = dpo_terms(policy, ref, beta)
            margins += margin.tolist()
            wins += int((margin > 0).sum())
    n = max(len(rows), 1)
    out = {"pairs": len(rows), "chosen_scored_higher_per_token": round(per_token_wins / n, 4),
           "chosen_scored_higher": round(raw_wins / n, 4)}
    if margins:
        out.update(preference_accuracy=round(wins / n, 4), reward_margin=round(sum(margins) / n, 4))
    return out


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a share (Wilson score interval: sound for small n and shares near 0 or 1)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def evaluate_pairs(run_dir: Path, config: JobConfig, tokenizer, model, reference, test_rows) -> dict:
    collate = PairCollator(tokenizer.pad_token_id)
    beta = config.dpo.beta
    if reference is None:  # LoRA: the base is the same model with the adapter off
        with model.disable_adapter():
            base = preference_scores(model, model, collate, test_rows, beta)
    else:
        base = preference_scores(reference, reference, collate, test_rows, beta)
    tuned = preference_scores(model, reference, collate, test_rows, beta)
    n = len(test_rows)
    for side in (base, tuned):
        side["chosen_scored_higher_per_token_95ci"] = wilson_interval(
            round(side["chosen_scored_higher_per_token"] * n), n)
    report: dict[str, Any] = {"kind": "dpo", "test_pairs": n, "base": base, "tuned": tuned,
                              "metric": "chosen_scored_higher_per_token (the verdict's): the share of held-out pairs "
                                        "whose chosen answer gets a higher mean log-probability per answer token than "
                                        "the rejected one; chosen_scored_higher: the same by summed log-probability, "
                                        "which favours the shorter answer"}
    if config.eval.forgetting_probe:  # the same probe as SFT's (trainer/forgetting.py), base noise as threshold
        report["forgetting"] = forgetting.forgetting_check(model, model if reference is None else reference,
                                                           tokenizer)
        report["forgetting"].pop("base_losses", None)
    key = "chosen_scored_higher_per_token"
    lo_tuned, hi_base = tuned[f"{key}_95ci"][0], base[f"{key}_95ci"][1]
    report["verdict"] = ("improved" if lo_tuned > hi_base else "no_measurable_difference"
                         if tuned[key] >= base[key] else "worse")
    report["verdict_summary"] = (
        f"held-out pairs where the chosen answer scores higher per token: base {base[key]:.0%} → tuned "
        f"{tuned[key]:.0%} (n={n}); preference accuracy {tuned.get('preference_accuracy', 0):.0%}, reward margin "
        f"{tuned.get('reward_margin', 0):+.3f}")
    (run_dir / "eval").mkdir(parents=True, exist_ok=True)
    (run_dir / "eval" / "report.json").write_text(json.dumps(report, indent=2))
    return report


# ---------------------------------------------------------------------------------------------------------------
# the recipe


def run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict[str, Any]:
    """Train, save and evaluate one DPO job in `run_dir`; return the result summary (also run_dir/result.json)."""
    started = time.time()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rank0 = is_main_process()
    progress = ProgressWriter(run_dir) if rank0 else None

    # 1. set-up (trainer/training_setup.py: device, precision, threads), seed, tokenizer with a chat template
    setup = training_setup.resolve(config)
    notes = list(setup.notes)
    threads_note = training_setup.use_threads(setup, run_dir)
    if threads_note:
        notes.append(threads_note)
    torch.manual_seed(config.training.seed)
    tokenizer = load_tokenizer(config.model.base)
    ensure_chat_template(tokenizer)

    # 2. data: preference pairs only
    train, val, test, data_notes = sft.load_splits(config, tokenizer)
    notes += [n for n in data_notes if not n.startswith("preference pairs: training on prompt + chosen")]
    if not train or any(e.rejected is None for e in train):
        raise DPOError(f"{Path(config.data.train).name} holds no preference pairs; DPO needs rows with a prompt, a "
                       "chosen and a rejected answer (kind: sft trains on plain examples)", "not_preference_data",
                       "data.train")
    max_len = config.model.max_seq_len
    train_rows = pair_rows([encode_pair(tokenizer, e, max_len) for e in train])
    val_rows = pair_rows([encode_pair(tokenizer, e, max_len) for e in val])
    test_rows = pair_rows([encode_pair(tokenizer, e, max_len) for e in test])
    total, steps_line = training_setup.steps_for(config, len(train_rows), config.training.epochs, "pairs")
    notes.append(f"schedule: {steps_line} ({len(train_rows)} training pairs); β = {config.dpo.beta}")

    # 3. model; the reference is the adapter switched off, or a frozen copy for full fine-tuning
    model = sft.build_model(config, setup, notes)
    reference = None
    if config.lora.method == "full":
        reference = copy.deepcopy(model).eval().requires_grad_(False)
        notes.append("full fine-tuning: a frozen copy of the base is the reference (twice the weights in memory)")
    if rank0:
        sft.print_config(config, notes)
        (run_dir / "config.yaml").write_text(config.to_yaml())

    # 4. training
    args = sft.training_arguments(config, run_dir, setup, has_eval=bool(val_rows))
    # FLOPs per token: the policy's training step plus the reference's forward pass
    callbacks = training_setup.callbacks(run_dir, training_setup.flops_per_token(
        model.num_parameters(), trains_all_weights=config.lora.method == "full", reference_forward=True))
    trainer = DPOTrainer(model=model, args=args, train_dataset=train_rows, eval_dataset=val_rows or None,
                         data_collator=PairCollator(tokenizer.pad_token_id), processing_class=tokenizer,
                         callbacks=callbacks, beta=config.dpo.beta, reference=reference)
    train_started = time.time()
    output = training_setup.train(trainer, run_dir, resume, total)
    result: dict[str, Any] = {
        "kind": "dpo", "method": config.lora.method, "beta": config.dpo.beta, "steps": trainer.state.global_step,
        "train_loss": output.training_loss, "train_pairs": len(train_rows), "validation_pairs": len(val_rows),
        "test_pairs": len(test_rows), "train_seconds": round(time.time() - train_started, 1),
        "throughput": callbacks[0].summary}  # non-padding tokens/s of all processes (training_setup, section 4)
    if not rank0:
        return result

    # 5. outputs and evaluation
    if config.lora.method == "full":
        out = run_dir / "model"
        trainer.save_model(str(out))
        result["model"] = str(out)
    else:
        out = run_dir / "adapter"
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        result["adapter"] = str(out)
    progress.event(f"saved {out.name}/ after {trainer.state.global_step} steps (DPO loss {output.training_loss:.4f})")
    if config.eval.enabled and test_rows:
        progress.event(f"evaluating on {len(test_rows)} held-out preference pairs, tuned vs base")
        report = evaluate_pairs(run_dir, config, tokenizer, model, reference, test_rows)
        result["eval"] = {"verdict": report["verdict"], "verdict_summary": report["verdict_summary"],
                          "report": str(run_dir / "eval" / "report.json")}
        progress.event(report["verdict_summary"])
    result["total_seconds"] = round(time.time() - started, 1)
    (run_dir / "result.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":  # python -m trainer.dpo CONFIG.yaml --run-dir DIR [--resume]
    raise SystemExit(recipe_main("dpo", run, __doc__))
