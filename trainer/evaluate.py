"""The honest evaluation that ends every SFT job: the tuned model against the base model with its best prompt.

On the held-out test split (never seen in training):

- loss and perplexity on the reference answers, base vs tuned (same chat template, same tokens scored);
- generated answers, greedy for both, scored with exact match, token F1, ROUGE-L (longest common subsequence of
  words, implemented here) and, when the references are JSON, the share of outputs that parse as JSON.
  The base model gets the best prompt we can build without training: a few-shot prompt of training examples
  (the shortest of a seeded sample, so the prompt fits); the tuned model gets the plain prompt it was trained on;
- a forgetting probe: perplexity on general text shipped with tunewise (trainer/data/general_text.txt), base vs
  tuned — fine-tuning that wrecks general language shows up here;
- sample outputs side by side, and a verdict computed from the numbers.

Written to run_dir/eval/: report.json, report.md, loss_curves.png, metrics.png.
`try_prompt(run_dir, prompt)` answers one prompt with both models (the UI's "try it" box).
"""

from __future__ import annotations

import contextlib
import functools
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from trainer.base_models import load_model, load_tokenizer
from trainer.batching import Collator, features, trained_token_logits
from trainer.config import load_config
from trainer.datasets import Encoded, Example, encode_messages, ensure_chat_template
from trainer.progress import read_jsonl
from trainer.state.errors import UserError

GENERAL_TEXT = Path(__file__).parent / "data" / "general_text.txt"
PROBE_BLOCK = 256  # tokens per forgetting-probe block
PROBE_BLOCKS = 8  # blocks scored (2,048 tokens): enough for a stable perplexity, seconds on a CPU
SAMPLES_SHOWN = 5
FEW_SHOT_POOL = 32  # training examples sampled before picking the shortest few-shot ones
NOISE = 0.02  # metric differences below this count as "no clear difference"
FORGETTING_OK, FORGETTING_BAD = 5.0, 20.0  # % general-text perplexity increase: acceptable / significant
SYSTEM_FEW_SHOT = "Answer the last request in exactly the style, format and length of the example answers."

REPORT_KEYS = ("test_examples", "generated_examples", "baseline", "decoding", "loss", "perplexity", "metrics",
               "primary_metric", "json_targets", "forgetting", "samples", "verdict", "verdict_summary", "plots")


# ---------------------------------------------------------------------------------------------------------------
# Text metrics


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def exact_match(prediction: str, reference: str) -> float:
    return float(normalize(prediction) == normalize(reference))


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style F1 over lower-cased word tokens (bag of words)."""
    p, r = words(prediction), words(reference)
    if not p or not r:
        return float(p == r)
    common = sum((Counter(p) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1: longest common subsequence of word tokens, harmonic mean of its precision and recall."""
    p, r = words(prediction), words(reference)
    if not p or not r:
        return float(p == r)
    previous = [0] * (len(r) + 1)
    for a in p:
        current = [0]
        for j, b in enumerate(r):
            current.append(previous[j] + 1 if a == b else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def parses_as_json(text: str) -> bool:
    text = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return False
    return isinstance(value, (dict, list))


def score(predictions: list[str], references: list[str], json_targets: bool) -> dict[str, float | None]:
    n = max(len(references), 1)
    return {
        "exact_match": sum(map(exact_match, predictions, references)) / n,
        "token_f1": sum(map(token_f1, predictions, references)) / n,
        "rouge_l": sum(map(rouge_l, predictions, references)) / n,
        "json_valid": sum(map(parses_as_json, predictions)) / n if json_targets else None,
    }


# ---------------------------------------------------------------------------------------------------------------
# Models: base and tuned. For LoRA the base is the same model with its adapter switched off.


def as_base(model, base) -> contextlib.AbstractContextManager:
    """Context in which `base` computes like the base model: disables the adapter when base is the tuned PEFT model."""
    if base is model and hasattr(model, "disable_adapter"):
        return model.disable_adapter()
    return contextlib.nullcontext()


@torch.no_grad()
def token_loss(model, encoded: list[Encoded], batch_size: int = 8) -> tuple[float, int]:
    """Mean cross-entropy (nats per token) over the labelled tokens of `encoded`, and the token count."""
    model.eval()
    device = next(model.parameters()).device
    collate = Collator(pad_token_id=0)
    total, count = 0.0, 0
    rows = features(encoded)
    head = model.get_output_embeddings()
    for start in range(0, len(rows), batch_size):
        batch = {k: v.to(device) for k, v in collate(rows[start:start + batch_size]).items()}
        logits, targets = trained_token_logits(model, head, batch)
        total += F.cross_entropy(logits, targets, reduction="sum").item()
        count += len(targets)
    return (total / count if count else float("nan")), count


def end_token_ids(tokenizer) -> list[int]:
    ids = {tokenizer.eos_token_id}
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
        ids.add(im_end)
    return sorted(i for i in ids if i is not None)


@torch.no_grad()
def generate(model, tokenizer, conversations: list[list[dict[str, str]]], max_new_tokens: int,
             batch_size: int = 8, temperature: float = 0.0) -> list[str]:
    """Answers to chat conversations (each ending with a user turn), batched with left padding: greedy at
    temperature 0 (the evaluation), sampled at that temperature otherwise (the Try-it box)."""
    sampling = temperature > 0
    model.eval()
    device = next(model.parameters()).device
    answers = []
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(conversations), batch_size):
            texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                     for c in conversations[start:start + batch_size]]
            enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=sampling, num_beams=1,
                                 eos_token_id=end_token_ids(tokenizer), pad_token_id=tokenizer.pad_token_id,
                                 temperature=temperature if sampling else None, top_p=None, top_k=None)
            answers += tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:], skip_special_tokens=True)
    finally:
        tokenizer.padding_side = side
    return [a.strip() for a in answers]


def few_shot_examples(train: list[Example], k: int, seed: int, tokenizer) -> list[Example]:
    """k short training examples from a seeded sample: the base model's prompt stays short and representative."""
    if k == 0 or not train:
        return []
    pool = random.Random(seed).sample(train, min(FEW_SHOT_POOL, len(train)))
    pool.sort(key=lambda e: len(tokenizer.apply_chat_template(e.messages, tokenize=False)))
    return pool[:k]


def few_shot_prompt(shots: list[Example], prompt_messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The best prompt without training: an instruction, k example exchanges, then the real request."""
    system = [m for m in prompt_messages if m["role"] == "system"]
    instruction = (system[0]["content"] + "\n\n" if system else "") + SYSTEM_FEW_SHOT
    turns = [{"role": "system", "content": instruction}]
    for shot in shots:
        turns += [m for m in shot.prompt_messages if m["role"] != "system"]
        turns.append({"role": "assistant", "content": shot.reference})
    return turns + [m for m in prompt_messages if m["role"] != "system"]


def probe_blocks(tokenizer, block: int = PROBE_BLOCK, blocks: int = PROBE_BLOCKS) -> list[Encoded]:
    ids = tokenizer(GENERAL_TEXT.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
    return [Encoded(ids[i:i + block], ids[i:i + block], block) for i in range(0, len(ids) - block + 1, block)][:blocks]


# ---------------------------------------------------------------------------------------------------------------
# The evaluation


def _perplexity(loss: float) -> float:
    return float(torch.exp(torch.tensor(min(loss, 50.0))))


def forgetting_verdict(change_pct: float) -> str:
    if change_pct <= FORGETTING_OK:
        return "acceptable"
    if change_pct <= FORGETTING_BAD:
        return "noticeable — consider fewer epochs, a lower learning rate or a smaller LoRA rank"
    return "significant forgetting — the tuned model lost general language ability"


def verdict(report: dict[str, Any]) -> tuple[str, str]:
    """(summary code, sentence) from the numbers: better | worse | no_clear_difference."""
    metric = report["primary_metric"]
    base, tuned = report["metrics"]["base"][metric], report["metrics"]["tuned"][metric]
    delta = tuned - base
    label = {"rouge_l": "ROUGE-L", "exact_match": "exact match", "json_valid": "JSON validity"}[metric]
    if delta > NOISE:
        code, head = "better", f"tuned beats base+prompt on {label} by {delta:.2f} ({tuned:.2f} vs {base:.2f})"
    elif delta < -NOISE:
        code, head = "worse", f"tuned trails base+prompt on {label} by {-delta:.2f} ({tuned:.2f} vs {base:.2f})"
    else:
        code, head = "no_clear_difference", (f"no clear difference on {label} ({tuned:.2f} vs {base:.2f} for "
                                             "base+prompt): prompting may be enough")
    parts = [head]
    loss = report["loss"]
    parts.append(f"test loss {loss['tuned']:.3f} vs {loss['base']:.3f} for the base model")
    forgetting = report["forgetting"]
    if forgetting:
        change = forgetting["change_pct"]
        direction = "up" if change >= 0 else "down"
        parts.append(f"general-text perplexity {direction} {abs(change):.0f}% — {forgetting['verdict']}")
    n = report["generated_examples"]
    if n < 30:
        parts.append(f"only {n} test examples were generated, so differences under ~0.05 may be noise")
    return code, "; ".join(parts)


def evaluate(run_dir: Path, config, tokenizer, tuned, base, train: list[Example], test: list[Example]) -> dict:
    """Score `tuned` against `base` (the same object for LoRA: its adapter is switched off) and write run_dir/eval/."""
    ensure_chat_template(tokenizer)
    out_dir = Path(run_dir) / "eval"
    out_dir.mkdir(parents=True, exist_ok=True)
    ev = config.eval
    max_len = config.model.max_seq_len
    test_enc = [encode_messages(tokenizer, e.messages, max_len) for e in test]

    tuned_loss, tokens = token_loss(tuned, test_enc)
    with as_base(tuned, base):
        base_loss, _ = token_loss(base, test_enc)

    generated = test[: ev.max_examples] if ev.max_examples else test
    references = [e.reference for e in generated]
    longest = max(len(tokenizer(r, add_special_tokens=False)["input_ids"]) for r in references)
    # bound generation: a quarter more than the longest reference, plus room for the end token
    max_new = min(ev.max_new_tokens, int(longest * 1.25) + 8)
    shots = few_shot_examples(train, ev.few_shot, config.training.seed, tokenizer)
    tuned_out = generate(tuned, tokenizer, [e.prompt_messages for e in generated], max_new)
    with as_base(tuned, base):
        base_out = generate(base, tokenizer, [few_shot_prompt(shots, e.prompt_messages) for e in generated], max_new)

    json_targets = sum(map(parses_as_json, references)) >= 0.8 * len(references)
    metrics = {"base": score(base_out, references, json_targets), "tuned": score(tuned_out, references, json_targets)}
    short_answers = sum(len(words(r)) for r in references) / len(references) <= 3
    # structured (JSON) or short answers are right or wrong: exact match; free text: ROUGE-L
    primary = "exact_match" if json_targets or short_answers else "rouge_l"

    forgetting = None
    if ev.forgetting_probe:
        blocks = probe_blocks(tokenizer, min(PROBE_BLOCK, max_len))
        tuned_probe, _ = token_loss(tuned, blocks)
        with as_base(tuned, base):
            base_probe, _ = token_loss(base, blocks)
        base_ppl, tuned_ppl = _perplexity(base_probe), _perplexity(tuned_probe)
        change = (tuned_ppl / base_ppl - 1) * 100
        forgetting = {"text": GENERAL_TEXT.name, "tokens": sum(len(b.input_ids) for b in blocks),
                      "base_perplexity": base_ppl, "tuned_perplexity": tuned_ppl, "change_pct": change,
                      "verdict": forgetting_verdict(change).split(" —")[0]}

    report: dict[str, Any] = {
        "test_examples": len(test),
        "generated_examples": len(generated),
        "baseline": f"base model with a {len(shots)}-shot prompt built from training examples",
        "few_shot_lines": [s.line for s in shots],
        "decoding": {"strategy": "greedy", "max_new_tokens": max_new,
                     "max_new_tokens_derived_from": f"longest reference {longest} tokens × 1.25 + 8, capped at "
                                                    f"eval.max_new_tokens {ev.max_new_tokens}"},
        "loss": {"base": base_loss, "tuned": tuned_loss, "tokens": tokens},
        "perplexity": {"base": _perplexity(base_loss), "tuned": _perplexity(tuned_loss)},
        "metrics": metrics,
        "primary_metric": primary,
        "json_targets": json_targets,
        "forgetting": forgetting,
        "samples": [{"prompt": e.prompt_messages[-1]["content"], "reference": e.reference, "base": b, "tuned": t}
                    for e, b, t in list(zip(generated, base_out, tuned_out))[:SAMPLES_SHOWN]],
    }
    report["verdict_summary"], report["verdict"] = verdict(report)
    report["plots"] = write_plots(run_dir, report)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (out_dir / "report.md").write_text(markdown(report), encoding="utf-8")
    (out_dir / "few_shot.json").write_text(json.dumps([s.messages for s in shots], ensure_ascii=False))
    return report


# ---------------------------------------------------------------------------------------------------------------
# Report files


def write_plots(run_dir: Path, report: dict) -> list[str]:
    import matplotlib

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
    ax.axhline(report["loss"]["base"], color="grey", ls="--", label="base model, test loss")
    ax.axhline(report["loss"]["tuned"], color="green", ls=":", label="tuned model, test loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "loss_curves.png", dpi=100)
    plt.close(fig)

    names = [k for k in ("exact_match", "token_f1", "rouge_l", "json_valid") if report["metrics"]["base"][k] is not None]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    x = range(len(names))
    ax.bar([i - 0.2 for i in x], [report["metrics"]["base"][k] for k in names], 0.4, label="base + few-shot prompt")
    ax.bar([i + 0.2 for i in x], [report["metrics"]["tuned"][k] for k in names], 0.4, label="tuned")
    ax.set_xticks(list(x), names)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"score on {report['generated_examples']} test examples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "metrics.png", dpi=100)
    plt.close(fig)
    return ["loss_curves.png", "metrics.png"]


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown(report: dict) -> str:
    m = report["metrics"]
    lines = [
        "# Evaluation: tuned model vs base model with its best prompt",
        "",
        f"**Verdict:** {report['verdict']}",
        "",
        f"Test split: {report['test_examples']} examples ({report['generated_examples']} generated). Baseline: "
        f"{report['baseline']}. Decoding: greedy, at most {report['decoding']['max_new_tokens']} new tokens.",
        "",
        "| metric | base + prompt | tuned |",
        "|---|---|---|",
        f"| test loss (nats/token) | {report['loss']['base']:.4f} | {report['loss']['tuned']:.4f} |",
        f"| test perplexity | {report['perplexity']['base']:.2f} | {report['perplexity']['tuned']:.2f} |",
    ]
    for key in ("exact_match", "token_f1", "rouge_l", "json_valid"):
        if m["base"][key] is not None:
            lines.append(f"| {key} | {m['base'][key]:.3f} | {m['tuned'][key]:.3f} |")
    f = report["forgetting"]
    if f:
        lines.append(f"| general-text perplexity | {f['base_perplexity']:.2f} | {f['tuned_perplexity']:.2f} "
                     f"({f['change_pct']:+.1f}%) |")
    lines += ["", "![loss curves](loss_curves.png) ![metrics](metrics.png)", "", "## Sample outputs", "",
              "| prompt | reference | base + prompt | tuned |", "|---|---|---|---|"]
    for s in report["samples"]:
        lines.append(f"| {_cell(s['prompt'])} | {_cell(s['reference'])} | {_cell(s['base'])} | {_cell(s['tuned'])} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# "Try it": one prompt, both models


@functools.lru_cache(maxsize=1)
def _load_run(run_dir: str):
    """(tuned model, base model or the same PEFT model, tokenizer, few-shot examples) for a finished run."""
    run = Path(run_dir)
    config = load_config(run / "config.yaml")
    tokenizer = load_tokenizer(config.model.base)
    ensure_chat_template(tokenizer)
    shots_file = run / "eval" / "few_shot.json"
    shots = [Example(0, m) for m in json.loads(shots_file.read_text())] if shots_file.is_file() else []
    if (run / "adapter").is_dir():
        from peft import PeftModel  # heavy (seconds), and only a LoRA run needs it

        tuned = PeftModel.from_pretrained(load_model(config.model.base), str(run / "adapter"))
        return tuned, tuned, tokenizer, shots
    if (run / "model").is_dir():
        return load_model(str(run / "model")), load_model(config.model.base), tokenizer, shots
    raise UserError(f"{run} has no adapter/ or model/ yet: the job has not finished training")


def try_prompt(run_dir: str | Path, prompt: str, max_new_tokens: int = 128, temperature: float = 0.0,
               models: tuple[str, ...] = ("base", "tuned")) -> dict[str, str]:
    """Answer one prompt with the base model (given the run's few-shot prompt) and/or the tuned model: greedily at
    temperature 0, sampled above. `models` picks which answer ("base", "tuned"), so a UI can show each as it comes."""
    tuned, base, tokenizer, shots = _load_run(str(Path(run_dir).resolve()))
    request = [{"role": "user", "content": prompt}]
    answers = {}
    if "tuned" in models:
        answers["tuned"] = generate(tuned, tokenizer, [request], max_new_tokens, temperature=temperature)[0]
    if "base" in models:
        with as_base(tuned, base):
            answers["base"] = generate(base, tokenizer, [few_shot_prompt(shots, request)], max_new_tokens,
                                       temperature=temperature)[0]
    return answers
