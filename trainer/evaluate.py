"""The honest evaluation that ends every SFT job: the tuned model against the base model with its best prompt.

Top to bottom (`evaluate`):

1. the task's kind and metric, read from the training answers (trainer/scoring.py: JSON → field accuracy,
   labels → accuracy / macro-F1, free text → ROUGE-L), with the reason stated in the report;
2. the base model's best prompt, searched on the validation split: zero-shot, an instruction derived from the
   data, and 1/3/5-shot prompts of the most similar training examples (trainer/prompting.py); every candidate's
   validation score is reported and the best one is used on test;
3. test losses, labelled for what they are, all on the same answer tokens: base zero-shot, base with the chosen
   prompt (the answer's loss with its shots in the context), tuned;
4. greedy generation on the test split (batched, KV cache, new tokens bounded by the reference lengths; each
   prompt's cache also gives its answer's loss in step 3, so a prompt is run once): base with the chosen prompt
   vs tuned, every metric with a paired bootstrap 95% interval; overlapping intervals
   read "no measurable difference", with the test rows needed to tell; for free text with TUNEWISE_LLM set, a
   position-swapped pairwise judge (trainer/judge.py);
5. the forgetting probe on a bundled general set, per domain, against the base model's own noise
   (trainer/forgetting.py; the base model's probe losses are cached under TUNEWISE_HOME/models/probe-cache/);
6. the verdict, which checkpoint was exported, and one or two next steps.

The base model's side (its prompt search, its test answers and losses) depends only on the base model and the rows,
so it is kept under TUNEWISE_HOME/models/eval-cache/ and a later job on the same base and rows reuses it, as it
reuses the base's probe losses. Within a batch, the rows' shared start (a dataset's system prompt, the derived
instruction) is run once and its KV cache copied to every row (`batch_inputs`).

`on_progress(done, total)` is called after every batch (rows generated or scored so far, of all rows).
Written to run_dir/eval/: report.json, report.md, best_prompt.json, loss_curves.png, metrics.png.
`try_prompt(run_dir, prompt)` answers one prompt with both models (the UI's "try it" box).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from trainer import forgetting, judge as pairwise, scoring
from trainer.base_models import load_model, load_tokenizer, resolve
from trainer.config import load_config
from trainer.datasets import Encoded, Example, encode_messages, ensure_chat_template
from trainer.forgetting import PREFIX_MIN, as_base, row_losses
from trainer.progress import evaluation_batches, read_jsonl, sampling_evaluation
from trainer.prompting import PromptBuilder, describe
from trainer.state import home
from trainer.state.errors import UserError

SAMPLES_SHOWN = 5
GENERATE_BATCH = 8  # conversations per generate() call
LOSS_BATCH = 8
EVAL_MAX_TOKENS = 4096  # longest prompt scored or generated from (5 shots of long answers stay below this)

REPORT_KEYS = ("test_examples", "generated_examples", "task", "baseline", "prompt_search", "decoding", "loss",
               "perplexity", "metrics", "primary_metric", "comparison", "judge", "forgetting", "checkpoint",
               "samples", "verdict", "verdict_summary", "next_steps", "timing", "plots")

Progress = Callable[[int, int], None]


# ---------------------------------------------------------------------------------------------------------------
# Generation


def end_token_ids(tokenizer) -> list[int]:
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)


def batch_inputs(model, prompts: list[list[int]], pad: int, device) -> tuple[torch.Tensor, torch.Tensor,
                                                                              torch.Tensor, Any, int]:
    """(ids, attention mask, position ids, cache, shared) for a batch of tokenized prompts. When they all start with
    the same PREFIX_MIN tokens or more (a dataset's system prompt, a derived instruction), that start is run once
    and its KV cache copied to every row (`cache`, covering the first `shared` columns; None when nothing is
    shared): each row is laid out as the shared start, its padding, then its own tokens, and the mask and
    positions make that the same computation as left padding. The last token of every prompt stays unshared, so
    the next forward pass still yields each row's next-token logits."""
    shared = len(os.path.commonprefix([tuple(p) for p in prompts])) if len(prompts) > 1 else 0
    shared = min(shared, min(len(p) for p in prompts) - 1)
    shared = shared if shared >= PREFIX_MIN else 0
    width = max(len(p) for p in prompts) - shared
    ids = torch.tensor([p[:shared] + [pad] * (width - len(p) + shared) + p[shared:] for p in prompts], device=device)
    mask = torch.tensor([[1] * shared + [0] * (width - len(p) + shared) + [1] * (len(p) - shared) for p in prompts],
                        device=device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = None
    if shared:
        cache = model(input_ids=ids[:1, :shared], use_cache=True, logits_to_keep=1).cache
        cache.batch_repeat_interleave(len(prompts))
    return ids, mask, positions, cache, shared


@torch.no_grad()
def generate(model, tokenizer, conversations: list[list[dict[str, str]]], max_new_tokens: int,
             batch_size: int = GENERATE_BATCH, on_batch: Callable[[int], None] | None = None,
             temperature: float = 0.0) -> list[str]:
    """Answers to chat conversations (each ending with a user turn), in input order: greedy at temperature 0 (the
    evaluation), sampled at that temperature otherwise (the Try-it box). Prompts are batched by similar length with
    left padding, and `generate` reuses its KV cache, so each new token costs one short step."""
    sampling = temperature > 0
    model.eval()
    device = next(model.parameters()).device
    prompts = [tokenizer(tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True),
                         add_special_tokens=False)["input_ids"] for c in conversations]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    answers: list[str] = [""] * len(prompts)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for chunk in evaluation_batches(order, batch_size):
        ids, mask, _, cache, _ = batch_inputs(model, [prompts[i] for i in chunk], pad, device)
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=sampling,
                             num_beams=1, use_cache=True, eos_token_id=end_token_ids(tokenizer), pad_token_id=pad,
                             temperature=temperature if sampling else None, top_p=None, top_k=None,
                             **({"cache": cache} if cache is not None else {}))
        decoded = tokenizer.batch_decode(out[:, ids.shape[1]:], skip_special_tokens=True)
        for i, text in zip(chunk, decoded):
            answers[i] = text.strip()
        if on_batch:
            on_batch(len(chunk))
    return answers


@torch.no_grad()
def score_and_generate(model, tokenizer, conversations: list[list[dict[str, str]]], references: list[str],
                       max_new_tokens: int, limit: int = EVAL_MAX_TOKENS, batch_size: int = GENERATE_BATCH,
                       on_batch: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(summed nats of each reference answer given its conversation, its scored tokens, the greedy answers), with
    each prompt run through the model once: its KV cache first scores the reference answer (teacher-forced), then,
    cut back to the prompt, seeds the generation. Equal to `answer_encoding` + `row_losses` and `generate` done
    apart (a test checks it), at about half the prompt compute; a row whose prompt does not tokenize as the prefix
    of its scored encoding (or is cut at `limit`) is scored on its own. `max_new_tokens` 0: losses only (answers
    stay ""). `on_batch(units)` is told 2 units a row (its loss, its answer), 1 with losses only."""
    model.eval()
    device = next(model.parameters()).device
    n = len(conversations)
    nats, tokens = np.zeros(n), np.zeros(n)
    answers = [""] * n
    prompts, answer_ids, answer_labels, alone = [], [], [], []
    for i, (conversation, reference) in enumerate(zip(conversations, references)):
        text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
        scored = answer_encoding(tokenizer, conversation, reference, limit)
        first = next((t for t, label in enumerate(scored.labels) if label != -100), len(scored.labels))
        if (scored.full_length > len(scored.input_ids) or len(prompt) != first
                or scored.input_ids[:first] != prompt or first == 0):
            alone.append(i)
        prompts.append(prompt)
        answer_ids.append(scored.input_ids[first:])
        answer_labels.append(scored.labels[first:])
    if alone:  # scored apart; generated with the others below
        part_nats, part_tokens = row_losses(model, [answer_encoding(tokenizer, conversations[i], references[i], limit)
                                                    for i in alone], LOSS_BATCH)
        nats[alone], tokens[alone] = part_nats, part_tokens
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    ends = end_token_ids(tokenizer)
    order = sorted(range(n), key=lambda i: len(prompts[i]))
    for chunk in evaluation_batches(order, batch_size):
        ids, mask, positions, cache, shared = batch_inputs(model, [prompts[i] for i in chunk], pad, device)
        width = ids.shape[1]
        head = model(input_ids=ids[:, shared:], attention_mask=mask, position_ids=positions[:, shared:],
                     use_cache=True, logits_to_keep=1, **({"cache": cache} if cache is not None else {}))
        cache = head.cache
        scored_rows = [i for i in chunk if i not in alone]
        if scored_rows:
            span = max(len(answer_ids[i]) for i in chunk)
            a_ids = torch.tensor([answer_ids[i] + [pad] * (span - len(answer_ids[i])) for i in chunk], device=device)
            a_mask = torch.tensor([[1] * len(answer_ids[i]) + [0] * (span - len(answer_ids[i])) for i in chunk],
                                  device=device)
            a_positions = positions[:, -1:] + 1 + torch.arange(span, device=device)
            tail = model(input_ids=a_ids, attention_mask=torch.cat([mask, a_mask], dim=1), position_ids=a_positions,
                         cache=cache, use_cache=True)
            # the prediction of answer token j: the prompt's last position for j = 0, answer position j - 1 after
            logits = torch.cat([head.logits[:, -1:], tail.logits[:, :-1]], dim=1).float()
            for row, i in enumerate(chunk):
                if i in alone:
                    continue
                labels = torch.tensor(answer_labels[i], device=device)
                keep = labels != -100
                losses = F.cross_entropy(logits[row, :len(labels)][keep], labels[keep], reduction="sum")
                nats[i], tokens[i] = float(losses), int(keep.sum())
        if max_new_tokens <= 0:
            if on_batch:
                on_batch(len(chunk))
            continue
        # back to the prompt less its last token, which generate() feeds itself (crop takes the tokens to drop)
        cache.crop(-(cache.get_seq_length() - (width - 1)))
        out = model.generate(input_ids=ids, attention_mask=mask, cache=cache, max_new_tokens=max_new_tokens,
                             do_sample=False, num_beams=1, use_cache=True, eos_token_id=ends, pad_token_id=pad,
                             temperature=None, top_p=None, top_k=None)
        for i, text in zip(chunk, tokenizer.batch_decode(out[:, width:], skip_special_tokens=True)):
            answers[i] = text.strip()
        if on_batch:
            on_batch(2 * len(chunk))
    return nats, tokens, answers


def new_token_budget(tokenizer, references: list[str], cap: int) -> tuple[int, str]:
    """(max new tokens, how it was derived): a quarter more than the longest reference plus room for the end
    token, capped by the config — generation never runs long past what any right answer needs."""
    longest = max((len(tokenizer(r, add_special_tokens=False)["input_ids"]) for r in references), default=1)
    budget = min(cap, int(longest * 1.25) + 8)
    return budget, f"longest reference {longest} tokens × 1.25 + 8, capped at eval.max_new_tokens {cap}"


# ---------------------------------------------------------------------------------------------------------------
# Losses


def answer_encoding(tokenizer, prompt: list[dict[str, str]], answer: str, limit: int) -> Encoded:
    """The conversation `prompt` + answer with only the final answer labelled (the shots' answers are context)."""
    enc = encode_messages(tokenizer, prompt + [{"role": "assistant", "content": answer}], limit)
    labels = list(enc.labels)
    end = len(labels)
    while end > 0 and labels[end - 1] == -100:
        end -= 1  # a truncated or template tail
    start = end
    while start > 0 and labels[start - 1] != -100:
        start -= 1
    return Encoded(enc.input_ids, [-100] * start + labels[start:], enc.full_length)


def loss_with_interval(nats: np.ndarray, tokens: np.ndarray, draws: np.ndarray) -> dict[str, float]:
    """Token-weighted mean loss (nats/token) with its bootstrap interval over rows."""
    def mean(idx):
        return float(nats[idx].sum() / max(tokens[idx].sum(), 1))
    low, high = scoring.interval(mean, draws)
    return {"value": mean(np.arange(len(nats))), "low": low, "high": high, "tokens": int(tokens.sum())}


# ---------------------------------------------------------------------------------------------------------------
# The base model's figures, cached: its identity, the two caches, the key of its side of the evaluation


def _base_identity(config, dtype: torch.dtype, device: str) -> str:
    path = Path(resolve(config.model.base).path)
    weights = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")) if path.is_dir() else [path]
    stamp = [(w.name, w.stat().st_size, int(w.stat().st_mtime)) for w in weights if w.exists()]
    raw = json.dumps([str(path), stamp, str(dtype), device, forgetting.probe_fingerprint()])
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


# The base model's figures, kept per key under TUNEWISE_HOME/models/: its probe losses (PROBE_CACHE) and its side of
# the evaluation (BASE_SIDE_CACHE). Only a finished pass is stored, so a reader finds a whole file or none.
PROBE_CACHE, BASE_SIDE_CACHE = "probe-cache", "eval-cache"


def cached(folder: str, key: str) -> Any:
    """What `store(folder, key, …)` kept, or None."""
    path = home.ensure_home() / "models" / folder / f"{key}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def store(folder: str, key: str, value: Any) -> None:
    """Keep `value` (JSON) under `key`, written to a temporary file first and then renamed."""
    target = home.ensure_home() / "models" / folder
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f"{key}.json.tmp"
    tmp.write_text(json.dumps(value))
    tmp.replace(target / f"{key}.json")


BASE_CACHE_VERSION = 1  # bump when the base model's side of the evaluation is computed differently


def base_side_key(identity: str, kind: str, ev, search_rows: list[Example], train: list[Example],
                  generated: list[Example], limit: int) -> str:
    """What the base model's side of an evaluation (its prompt search, its test answers and losses) depends on:
    the base model (weights, dtype, device), the task kind, the evaluation settings, and the exact rows (the
    validation rows searched, the training pool the shots come from, the test rows)."""
    rows = [[e.prompt_messages, e.reference] for e in search_rows], [e.messages for e in train], \
        [[e.prompt_messages, e.reference] for e in generated]
    raw = json.dumps([BASE_CACHE_VERSION, identity, kind, ev.few_shot, ev.max_new_tokens, limit, rows],
                     ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


# ---------------------------------------------------------------------------------------------------------------
# Verdict and advice


def verdict(report: dict[str, Any]) -> tuple[str, str]:
    """(better | worse | no_clear_difference, sentence) from the primary metric's intervals."""
    metric = report["primary_metric"]
    base, tuned = report["comparison"]["base"][metric], report["comparison"]["tuned"][metric]
    label = scoring.LABELS[metric]
    shown = (f"{tuned['value']:.2f} [{tuned['low']:.2f}, {tuned['high']:.2f}] vs {base['value']:.2f} "
             f"[{base['low']:.2f}, {base['high']:.2f}] for base + prompt")
    if scoring.overlap(base, tuned):
        code = "no_clear_difference"
        needed = report["rows_needed"]
        head = f"no measurable difference on {label}: {shown} (95% intervals overlap"
        head += (f"; about {needed} test rows would tell them apart if the gap held)" if needed else
                 "; the scores are identical)")
    elif tuned["value"] > base["value"]:
        code, head = "better", f"tuned beats base + prompt on {label}: {shown}"
    else:
        code, head = "worse", f"tuned trails base + prompt on {label}: {shown}"
    parts = [head]
    loss = report["loss"]
    parts.append(f"test loss {loss['tuned']:.3f} tuned vs {loss['base']:.3f} base + prompt "
                 f"({loss['base_zero_shot']:.3f} zero-shot)")
    if report.get("judge"):
        w = report["judge"]["win_rate"]
        parts.append(f"judge win rate {w['value']:.2f} [{w['low']:.2f}, {w['high']:.2f}]")
    if report.get("forgetting"):
        parts.append(report["forgetting"]["verdict"])
    return code, "; ".join(parts)


def next_steps(report: dict[str, Any]) -> list[str]:
    """One or two concrete next steps from the verdict, the forgetting probe and the validation curve."""
    steps = []
    code = report["verdict_summary"]
    metric = report["primary_metric"]
    tuned = report["comparison"]["tuned"][metric]["value"]
    base = report["comparison"]["base"][metric]["value"]
    chosen = report["prompt_search"]["chosen"]
    checkpoint = report.get("checkpoint") or {}
    forgot = (report.get("forgetting") or {}).get("flagged")
    if code == "worse":
        steps.append(f"Keep the prompt: the base model with the {describe(chosen)} prompt does better than the tuned "
                     "model, with no training to maintain.")
    if forgot or checkpoint.get("rose_late"):
        why = "the forgetting probe flagged a loss of general ability" if forgot else (
            f"validation loss rose late (best at step {checkpoint.get('best_step')}, "
            f"{checkpoint.get('best_eval_loss', 0):.3f} → {checkpoint.get('last_eval_loss', 0):.3f} at the end)")
        steps.append(f"Lower the learning rate (e.g. halve it) or train fewer epochs: {why}.")
    if code == "no_clear_difference":
        needed = report.get("rows_needed")
        if needed and needed > report["generated_examples"]:
            steps.append(f"Gather more data: with {report['generated_examples']} test rows the gap is inside the "
                         f"noise; about {needed} held-out rows (and more training rows alike) would settle it.")
        else:
            steps.append("Keep the prompt: training bought no measurable gain over the base model's best prompt.")
    if code == "better" and checkpoint.get("still_falling") and tuned < 0.9:
        steps.append(f"Train longer: validation loss was still falling at the last step and {scoring.LABELS[metric]} "
                     f"is {tuned:.2f}, short of the ceiling.")
    if max(tuned, base) < 0.3:
        steps.append(f"Try a stronger base model: both score below 0.3 on {scoring.LABELS[metric]}, which points at "
                     "capability rather than prompting or data.")
    if not steps:
        steps.append("Ship the tuned model and keep these test rows as a regression check for the next data update.")
    return steps[:2]


# ---------------------------------------------------------------------------------------------------------------
# The evaluation


def evaluate(run_dir: Path, config, tokenizer, tuned, base, train: list[Example], test: list[Example],
             validation: list[Example] | None = None, checkpoint: dict | None = None,
             on_progress: Progress | None = None, judge_model: Any = None) -> dict:
    """Score `tuned` against `base` with its best prompt (`base` is the tuned PEFT model itself for LoRA: its
    adapter is switched off) and write run_dir/eval/. `judge_model` None: the one TUNEWISE_LLM names, if any."""
    started = time.monotonic()
    ensure_chat_template(tokenizer)
    out_dir = Path(run_dir) / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    ev = config.eval
    device = str(next(tuned.parameters()).device)
    dtype = next(tuned.parameters()).dtype
    limit = min(EVAL_MAX_TOKENS, getattr(tuned.config, "max_position_embeddings", EVAL_MAX_TOKENS))

    # 1. the kind of task, read from the training answers (the test answers stay unseen until scoring)
    kind, primary, why = scoring.task_kind([e.reference for e in train] or [e.reference for e in test])

    # which rows: validation for the prompt search (training rows, each excluded from its own shots, if there is no
    # validation split), the first max_examples test rows for everything scored on test
    search_rows = list(validation or [])
    search_source = "validation"
    if not search_rows:
        search_rows, search_source = list(train), "training (no validation split; each row excluded from its shots)"
    search_rows = search_rows[: ev.search_examples] if ev.search_examples else search_rows
    generated = test[: ev.max_examples] if ev.max_examples else list(test)
    builder = PromptBuilder(kind, train, max_shots=ev.few_shot)
    candidates = builder.available()

    judge_model = judge_model if judge_model is not None else (pairwise.model_from_env() if kind == "free_text" else None)
    identity = _base_identity(config, dtype, device)
    probe_key = identity if ev.forgetting_probe else ""
    base_probe = cached(PROBE_CACHE, probe_key) if ev.forgetting_probe else None
    probe_rows = len(forgetting.load_probe()) * (1 if base_probe else 2) if ev.forgetting_probe else 0
    # The base model's side (its prompt search, its test answers and losses) is the same for every job on the same
    # base and rows: computed once, then reused, as its probe losses are. Not in the probe, which samples.
    side_key = base_side_key(identity, kind, ev, search_rows, train, generated, limit)
    side = cached(BASE_SIDE_CACHE, side_key)
    # units: a search generation; 2 per test row and model (its loss and its answer), 1 for the base zero-shot loss
    total = ((0 if side else len(candidates) * len(search_rows) + 3 * len(generated)) + 2 * len(generated)
             + probe_rows + (len(generated) if judge_model is not None and kind == "free_text" else 0))
    done = 0

    def advance(rows: int) -> None:
        nonlocal done
        done += rows
        if on_progress:
            on_progress(done, total)

    timing: dict[str, float] = {}

    # 2. the base model's best prompt, searched on validation
    clock = time.monotonic()
    search_refs = [e.reference for e in search_rows]
    search_budget, _ = new_token_budget(tokenizer, search_refs, ev.max_new_tokens)
    search = side["search"] if side else []
    if not side:
        with as_base(tuned, base):
            for candidate in candidates:
                outputs = generate(base, tokenizer, [builder.build(candidate, e)[0] for e in search_rows],
                                   search_budget, on_batch=advance)
                value = scoring.score(kind, outputs, search_refs)[primary]
                search.append({"candidate": candidate, "description": describe(candidate), "score": value})
    chosen = max(search, key=lambda c: c["score"])["candidate"]  # max keeps the first (cheapest) of equal scores
    timing["prompt_search_s"] = round(time.monotonic() - clock, 1)

    # 3-4. test: losses, labelled, and greedy answers, base with the chosen prompt vs tuned. Each prompt is run
    # once for its answer's loss and its generation (score_and_generate); the base's zero-shot loss is its own pass.
    clock = time.monotonic()
    draws = scoring.bootstrap_indices(len(generated), config.training.seed)
    prompted = [builder.build(chosen, e)[0] for e in generated]
    references = [e.reference for e in generated]
    budget, budget_why = new_token_budget(tokenizer, references, ev.max_new_tokens)
    tuned_nats, tuned_tokens, tuned_out = score_and_generate(tuned, tokenizer, [e.prompt_messages for e in generated],
                                                             references, budget, limit, on_batch=advance)
    if side:
        prompt_nats, prompt_tokens, zero_nats, zero_tokens = (np.asarray(side[k], float) for k in (
            "prompt_nats", "prompt_tokens", "zero_nats", "zero_tokens"))
        base_out = side["base_out"]
    else:
        with as_base(tuned, base):
            prompt_nats, prompt_tokens, base_out = score_and_generate(base, tokenizer, prompted, references, budget,
                                                                      limit, on_batch=advance)
            if chosen == "zero_shot":  # the chosen prompt is the user's own: its loss is the zero-shot loss
                zero_nats, zero_tokens = prompt_nats, prompt_tokens
                advance(len(generated))
            else:
                zero_nats, zero_tokens, _ = score_and_generate(base, tokenizer,
                                                               [e.prompt_messages for e in generated], references, 0,
                                                               limit, on_batch=advance)
        if not sampling_evaluation():  # the probe's sampled passes leave rows unscored
            store(BASE_SIDE_CACHE, side_key, {"search": search, "base_out": base_out, **{
                k: [float(x) for x in v] for k, v in (("prompt_nats", prompt_nats), ("prompt_tokens", prompt_tokens),
                                                       ("zero_nats", zero_nats), ("zero_tokens", zero_tokens))}})
    losses = {"tuned": loss_with_interval(tuned_nats, tuned_tokens, draws),
              "base_prompted": loss_with_interval(prompt_nats, prompt_tokens, draws),
              "base_zero_shot": loss_with_interval(zero_nats, zero_tokens, draws)}
    comparison = scoring.compare(kind, references, {"base": base_out, "tuned": tuned_out}, config.training.seed)
    timing["test_s"] = round(time.monotonic() - clock, 1)
    judged = None
    if judge_model is not None and kind == "free_text":
        clock = time.monotonic()
        judged = pairwise.judge(judge_model, [e.prompt_messages[-1]["content"] for e in generated], references,
                                tuned_out, base_out, on_row=advance)
        timing["judge_s"] = round(time.monotonic() - clock, 1)

    # 5. forgetting
    probe = None
    if ev.forgetting_probe:
        clock = time.monotonic()
        probe = forgetting.forgetting_check(tuned, base, tokenizer, base_losses=base_probe, on_batch=advance)
        probe["base_losses_cached"] = base_probe is not None
        if base_probe is None and not sampling_evaluation():  # the probe's sampled losses are partial
            store(PROBE_CACHE, probe_key, probe["base_losses"])
        probe.pop("base_losses")
        timing["forgetting_probe_s"] = round(time.monotonic() - clock, 1)

    best = max(search, key=lambda c: c["score"])
    report: dict[str, Any] = {
        "test_examples": len(test),
        "generated_examples": len(generated),
        "task": {"kind": kind, "primary_metric": primary, "why": why, "metrics": list(scoring.METRICS[kind])},
        "baseline": f"base model with its best prompt ({describe(chosen)}), chosen on {search_source}",
        "prompt_search": {"chosen": chosen, "instruction": builder.instruction, "rows": len(search_rows),
                          "rows_from": search_source, "metric": primary, "candidates": search,
                          "similarity": "TF-IDF cosine over the words of the user turns",
                          "chosen_score": best["score"], "max_new_tokens": search_budget,
                          "reused": bool(side)},  # the base's side came from an earlier job on the same rows
        "decoding": {"strategy": "greedy, batched, KV cache", "max_new_tokens": budget,
                     "max_new_tokens_derived_from": budget_why},
        "loss": {"base": losses["base_prompted"]["value"], "base_zero_shot": losses["base_zero_shot"]["value"],
                 "tuned": losses["tuned"]["value"], "tokens": losses["tuned"]["tokens"], "intervals": losses,
                 "labels": {"base_zero_shot": "base model, your prompt as is (no shots)",
                            "base": f"base model with the chosen prompt ({chosen}): the answer's loss with its "
                                    "shots in the context",
                            "tuned": "tuned model, your prompt as is"}},
        "perplexity": {"base": math.exp(min(losses["base_prompted"]["value"], 50)),
                       "base_zero_shot": math.exp(min(losses["base_zero_shot"]["value"], 50)),
                       "tuned": math.exp(min(losses["tuned"]["value"], 50))},
        "metrics": {side: {m: v["value"] for m, v in comparison[side].items()} for side in comparison},
        "primary_metric": primary,
        "comparison": comparison,
        "rows_needed": scoring.rows_needed(comparison["base"][primary], comparison["tuned"][primary], len(generated)),
        "judge": judged,
        "forgetting": probe,
        "checkpoint": checkpoint,
        "samples": [{"prompt": e.prompt_messages[-1]["content"], "reference": e.reference, "base": b, "tuned": t}
                    for e, b, t in list(zip(generated, base_out, tuned_out))[:SAMPLES_SHOWN]],
    }
    report["verdict_summary"], report["verdict"] = verdict(report)
    report["next_steps"] = next_steps(report)
    timing["total_s"] = round(time.monotonic() - started, 1)
    report["timing"] = timing
    report["plots"] = write_plots(run_dir, report)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out_dir / "report.md").write_text(markdown(report), encoding="utf-8")
    (out_dir / "best_prompt.json").write_text(json.dumps(
        {"candidate": chosen, "kind": kind, "max_shots": ev.few_shot,
         "pool": [e.messages for e in train]}, ensure_ascii=False))
    return report


# ---------------------------------------------------------------------------------------------------------------
# Report files


def write_plots(run_dir: Path, report: dict) -> list[str]:
    import matplotlib  # heavy; only the report needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(run_dir) / "eval"
    rows = read_jsonl(Path(run_dir) / "metrics.jsonl")
    fig, ax = plt.subplots(figsize=(6, 3.5))
    train = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in rows if r.get("eval_loss") is not None]
    if train:
        ax.plot(*zip(*train), label="train loss")
    if evals:
        ax.plot(*zip(*evals), "o-", label="validation loss")
    best = (report.get("checkpoint") or {}).get("best_step")
    if best:
        ax.axvline(best, color="purple", ls=":", label=f"exported checkpoint (step {best})")
    ax.axhline(report["loss"]["base"], color="grey", ls="--", label="base + prompt, test loss")
    ax.axhline(report["loss"]["tuned"], color="green", ls=":", label="tuned, test loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "loss_curves.png", dpi=100)
    plt.close(fig)

    names = list(report["comparison"]["base"])
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for offset, side, label in ((-0.2, "base", "base + best prompt"), (0.2, "tuned", "tuned")):
        values = [report["comparison"][side][k] for k in names]
        ax.bar([i + offset for i in range(len(names))], [v["value"] for v in values], 0.4, label=label,
               yerr=[[v["value"] - v["low"] for v in values], [v["high"] - v["value"] for v in values]], capsize=3)
    ax.set_xticks(list(range(len(names))), [scoring.LABELS[k] for k in names], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel(f"score on {report['generated_examples']} test rows (95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "metrics.png", dpi=100)
    plt.close(fig)
    return ["loss_curves.png", "metrics.png"]


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ci(v: dict) -> str:
    return f"{v['value']:.3f} [{v['low']:.3f}, {v['high']:.3f}]"


def markdown(report: dict) -> str:
    c = report["comparison"]
    search = report["prompt_search"]
    lines = [
        "# Evaluation: tuned model vs base model with its best prompt",
        "",
        f"**Verdict:** {report['verdict']}",
        "",
        "**What to do next:** " + " ".join(report["next_steps"]),
        "",
        f"**Metric:** {report['task']['why']}.",
        "",
        f"## Best prompt for the base model (searched on {search['rows']} {search['rows_from']} rows)",
        "",
        f"| candidate | {scoring.LABELS[search['metric']]} on validation |",
        "|---|---|",
    ]
    for cand in search["candidates"]:
        mark = " **← chosen**" if cand["candidate"] == search["chosen"] else ""
        lines.append(f"| {cand['description']}{mark} | {cand['score']:.3f} |")
    lines += ["", f"Derived instruction: {_cell(search['instruction'], 400)}", "",
              f"## Test ({report['generated_examples']} of {report['test_examples']} rows; 95% bootstrap intervals)", "",
              "| metric | base + best prompt | tuned |", "|---|---|---|"]
    for key in c["base"]:
        star = " ★" if key == report["primary_metric"] else ""
        lines.append(f"| {scoring.LABELS[key]}{star} | {_ci(c['base'][key])} | {_ci(c['tuned'][key])} |")
    li = report["loss"]["intervals"]
    lines += [f"| test loss, nats/token (base: with its prompt's shots) | {_ci(li['base_prompted'])} | "
              f"{_ci(li['tuned'])} |",
              f"| test loss, base zero-shot | {_ci(li['base_zero_shot'])} | |"]
    if report.get("judge"):
        j = report["judge"]
        lines.append(f"| judge win rate (tuned vs base, both orders) | | {_ci(j['win_rate'])} "
                     f"({j['wins']} wins, {j['ties']} ties, {j['losses']} losses) |")
    if report.get("rows_needed"):
        lines += ["", f"Test rows needed to separate the two on {scoring.LABELS[report['primary_metric']]} if the "
                      f"gap held: about {report['rows_needed']}."]
    f = report.get("forgetting")
    if f:
        lines += ["", "## Forgetting probe", "", f"{f['verdict']}. Scoring: {f['scoring']}. Threshold: {f['threshold']}.",
                  "", "| domain | items | base perplexity | tuned perplexity | change | base noise | flagged |",
                  "|---|---|---|---|---|---|---|",
                  f"| **all** | {f['items']} | {f['base_perplexity']:.2f} | {f['tuned_perplexity']:.2f} | "
                  f"{f['change_pct']:+.1f}% | ±{f['noise_pct']:.1f}% | {'yes' if f['flagged'] else 'no'} |"]
        for name, d in f["domains"].items():
            lines.append(f"| {name} ({d['kind']}) | {d['items']} | {d['base_perplexity']:.2f} | "
                         f"{d['tuned_perplexity']:.2f} | {d['change_pct']:+.1f}% | ±{d['noise_pct']:.1f}% | "
                         f"{'yes' if d['flagged'] else 'no'} |")
    ck = report.get("checkpoint")
    if ck:
        lines += ["", "## Exported checkpoint", "", ck["note"]]
    t = report["timing"]
    reused = [what for what, flag in (("the base model's prompt search and test answers",
                                       report["prompt_search"].get("reused")),
                                      ("its probe losses", (report.get("forgetting") or {}).get("base_losses_cached")))
              if flag]
    lines += ["", "Evaluation time: " + ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:.1f} s"
                                                 for k, v in t.items()) + "."
              + (f" Reused from an earlier job on the same base model and rows: {' and '.join(reused)}." if reused
                 else ""),
              "", "![loss curves](loss_curves.png) ![metrics](metrics.png)", "", "## Sample outputs", "",
              "| prompt | reference | base + best prompt | tuned |", "|---|---|---|---|"]
    for s in report["samples"]:
        lines.append(f"| {_cell(s['prompt'])} | {_cell(s['reference'])} | {_cell(s['base'])} | {_cell(s['tuned'])} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# "Try it": one prompt, both models


@functools.lru_cache(maxsize=1)
def _load_run(run_dir: str):
    """(tuned model, base model or the same PEFT model, tokenizer, prompt builder, chosen candidate)."""
    run = Path(run_dir)
    config = load_config(run / "config.yaml")
    tokenizer = load_tokenizer(config.model.base)
    ensure_chat_template(tokenizer)
    spec_file = run / "eval" / "best_prompt.json"
    spec = json.loads(spec_file.read_text()) if spec_file.is_file() else {"candidate": "zero_shot", "kind": "free_text",
                                                                          "pool": [], "max_shots": 0}
    pool = [Example(i, m) for i, m in enumerate(spec["pool"])]
    builder = PromptBuilder(spec["kind"], pool, max_shots=spec.get("max_shots", 5))
    if (run / "adapter").is_dir():
        from peft import PeftModel  # heavy (seconds), and only a LoRA run needs it

        tuned = PeftModel.from_pretrained(load_model(config.model.base), str(run / "adapter"))
        return tuned, tuned, tokenizer, builder, spec["candidate"]
    if (run / "model").is_dir():
        return load_model(str(run / "model")), load_model(config.model.base), tokenizer, builder, spec["candidate"]
    raise UserError(f"{run} has no adapter/ or model/ yet: the job has not finished training")


def try_prompt(run_dir: str | Path, prompt: str, max_new_tokens: int = 128, temperature: float = 0.0,
               models: tuple[str, ...] = ("base", "tuned")) -> dict[str, str]:
    """Answer one prompt with the base model (given the run's chosen best prompt) and/or the tuned model: greedily
    at temperature 0, sampled above. `models` picks which answer ("base", "tuned"), so a UI can show each as it
    comes."""
    tuned, base, tokenizer, builder, candidate = _load_run(str(Path(run_dir).resolve()))
    request = [{"role": "user", "content": prompt}]
    answers = {}
    if "tuned" in models:
        answers["tuned"] = generate(tuned, tokenizer, [request], max_new_tokens, temperature=temperature)[0]
    if "base" in models:
        conversation, _ = builder.build(candidate, Example(0, request + [{"role": "assistant", "content": ""}]))
        with as_base(tuned, base):
            answers["base"] = generate(base, tokenizer, [conversation], max_new_tokens, temperature=temperature)[0]
    return answers
