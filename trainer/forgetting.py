"""The forgetting probe: did tuning cost the model its general ability? Base vs tuned on a bundled general set.

The probe set (trainer/data/probe.jsonl, written by the project) holds 252 short items in 14 domains:

    qa    156 everyday questions in 8 domains (science, geography, arithmetic, everyday, language, health,
          computing, cooking), asked through the chat template; scored by the loss of the reference answer
          (nats per answer token), i.e. how readily the model gives a plain correct answer;
    text  96 passages of 6 genres (news, story, how-to, encyclopedia, letter, dialogue) scored as plain text
          (nats per token: the usual perplexity).

Each item gets its own mean loss; a domain's perplexity is exp(mean item loss). The threshold is the base model's
own noise on the probe: the half-width of the 95% bootstrap interval of its mean item loss, as a perplexity
change (resampling which items happen to be in the probe moves the base's own figure by that much). Tuning is
flagged as forgetting, overall and per domain, when the tuned perplexity rises by more than that.

`forgetting_check(tuned, base, tokenizer)` is the whole probe in one call (the SFT and DPO evaluations use it);
`probe_losses` and `forgetting_report` are its two halves, so a base model's losses can be computed once and kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from trainer.batching import Collator, features, trained_token_logits
from trainer.datasets import Encoded, encode_messages, encode_text, ensure_chat_template
from trainer.progress import evaluation_batches
from trainer.scoring import mean_with_interval

PROBE_FILE = Path(__file__).parent / "data" / "probe.jsonl"
PROBE_MAX_TOKENS = 128  # longest probe item is ~60 tokens; a cap keeps a huge edited item from stalling the CPU
BATCH_SIZE = 16  # probe items per forward pass (short rows: ~16 × 60 tokens)


@dataclass(frozen=True)
class ProbeItem:
    domain: str
    kind: str  # "qa" or "text"
    question: str = ""
    answer: str = ""
    text: str = ""


def load_probe(path: Path = PROBE_FILE) -> list[ProbeItem]:
    return [ProbeItem(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def probe_fingerprint(path: Path = PROBE_FILE) -> str:
    """Hash of the probe set and its token cap: cached base-model losses are only reused for the same items."""
    return hashlib.sha256(path.read_bytes() + str(PROBE_MAX_TOKENS).encode()).hexdigest()[:16]


def encode_item(tokenizer, item: ProbeItem) -> Encoded:
    if item.kind == "qa":
        messages = [{"role": "user", "content": item.question}, {"role": "assistant", "content": item.answer}]
        return encode_messages(tokenizer, messages, PROBE_MAX_TOKENS)
    return encode_text(tokenizer, item.text, PROBE_MAX_TOKENS)


def as_base(model, base) -> contextlib.AbstractContextManager:
    """Context in which `base` computes like the base model: disables the adapter when base is the tuned PEFT model."""
    if base is model and hasattr(model, "disable_adapter"):
        return model.disable_adapter()
    return contextlib.nullcontext()


PREFIX_MIN = 8  # tokens a batch's rows must share before the shared start is computed once (below that: not worth it)
PREFIX_KEY = 24  # leading tokens rows are grouped by, so rows with the same start (a chat template's system turn) batch together


def _shared_prefix(rows: list[dict[str, list[int]]]) -> int:
    """Tokens every row starts with, stopping before the position that predicts the first labelled token of any
    row (the prefix's own logits are never computed)."""
    first = rows[0]["input_ids"]
    limit = min(next((t for t, label in enumerate(r["labels"]) if label != -100), len(r["labels"])) for r in rows) - 1
    limit = min(limit, *(len(r["input_ids"]) - 1 for r in rows))
    shared = 0
    while shared < limit and all(r["input_ids"][shared] == first[shared] for r in rows):
        shared += 1
    return shared


@torch.no_grad()
def row_losses(model, encoded: list[Encoded], batch_size: int = BATCH_SIZE,
               on_batch: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(summed nats, scored tokens) per row of `encoded`, in input order. Rows are batched by their start and then
    by length, so little compute goes to padding; when a batch's rows share a start of PREFIX_MIN tokens or more
    (the probe's questions all open with the same system turn) it is run once and its KV cache serves every row.
    `on_batch(rows_done_in_this_batch)` is called after each forward pass."""
    model.eval()
    device = next(model.parameters()).device
    collate = Collator(pad_token_id=0)
    rows = features(encoded)
    nats, tokens = np.zeros(len(rows)), np.zeros(len(rows))
    head = model.get_output_embeddings()
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["input_ids"][:PREFIX_KEY], len(rows[i]["input_ids"])))
    for chunk in evaluation_batches(order, batch_size):
        picked = [rows[i] for i in chunk]
        shared = _shared_prefix(picked)
        if len(chunk) > 1 and shared >= PREFIX_MIN:
            prefix = model(input_ids=torch.tensor([picked[0]["input_ids"][:shared]], device=device), use_cache=True,
                           logits_to_keep=1)
            cache = prefix.cache
            cache.batch_repeat_interleave(len(chunk))
            batch = {k: v.to(device) for k, v in collate([{"input_ids": r["input_ids"][shared:],
                                                            "labels": r["labels"][shared:]} for r in picked]).items()}
            width = batch["input_ids"].shape[1]
            batch["attention_mask"] = torch.cat([torch.ones(len(chunk), shared, dtype=torch.long, device=device),
                                                 batch["attention_mask"]], dim=1)
            batch["position_ids"] = (shared + torch.arange(width, device=device)).expand(len(chunk), width)
            batch["cache"] = cache
        else:
            batch = {k: v.to(device) for k, v in collate(picked).items()}
        logits, targets = trained_token_logits(model, head, batch)
        losses = F.cross_entropy(logits, targets, reduction="none").double().cpu()
        owner = (batch["labels"][:, 1:] != -100).nonzero()[:, 0].cpu()  # the batch row of each scored token
        for j, i in enumerate(chunk):
            mine = owner == j
            nats[i], tokens[i] = float(losses[mine].sum()), int(mine.sum())
        if on_batch:
            on_batch(len(chunk))
    return nats, tokens


def probe_losses(model, tokenizer, items: list[ProbeItem] | None = None,
                 on_batch: Callable[[int], None] | None = None) -> list[float]:
    """Mean nats per scored token of each probe item, for `model` as it computes now."""
    ensure_chat_template(tokenizer)
    items = load_probe() if items is None else items
    nats, tokens = row_losses(model, [encode_item(tokenizer, i) for i in items], on_batch=on_batch)
    return [float(n / t) if t else float("nan") for n, t in zip(nats, tokens)]


def _summary(base: np.ndarray, tuned: np.ndarray, seed: int) -> dict:
    """Perplexities, the change in %, the base's own noise in % and whether the change exceeds it."""
    base_ci = mean_with_interval(list(base), seed)
    noise_nats = (base_ci["high"] - base_ci["low"]) / 2
    change = (math.exp(float(tuned.mean()) - float(base.mean())) - 1) * 100
    noise = (math.exp(noise_nats) - 1) * 100
    return {"items": int(len(base)), "base_perplexity": math.exp(float(base.mean())),
            "tuned_perplexity": math.exp(float(tuned.mean())), "change_pct": change, "noise_pct": noise,
            "flagged": bool(change > noise)}


def forgetting_report(base_losses: list[float], tuned_losses: list[float], items: list[ProbeItem] | None = None,
                      seed: int = 0) -> dict:
    """Overall and per-domain comparison of item losses; `flagged` where the tuned perplexity rose beyond the base
    model's own noise. Keys of the whole: items, base_perplexity, tuned_perplexity, change_pct, noise_pct,
    flagged, verdict, domains {domain: same keys}, scoring, threshold."""
    items = load_probe() if items is None else items
    base, tuned = np.asarray(base_losses, float), np.asarray(tuned_losses, float)
    report = _summary(base, tuned, seed)
    domains = {}
    for domain in dict.fromkeys(i.domain for i in items):
        mask = np.array([i.domain == domain for i in items])
        domains[domain] = {"kind": next(i.kind for i in items if i.domain == domain), **_summary(base[mask], tuned[mask], seed)}
    report["domains"] = domains
    hit = [d for d, v in domains.items() if v["flagged"]]
    if report["flagged"]:
        report["verdict"] = (f"forgetting: general perplexity up {report['change_pct']:.1f}%, beyond the base model's "
                             f"own noise of ±{report['noise_pct']:.1f}% (worst: "
                             f"{', '.join(sorted(hit, key=lambda d: -domains[d]['change_pct'])[:3]) or 'spread out'})")
    elif hit:
        report["verdict"] = (f"no overall forgetting (perplexity {report['change_pct']:+.1f}%, noise ±"
                             f"{report['noise_pct']:.1f}%), but {', '.join(hit)} rose beyond their own noise")
    else:
        report["verdict"] = (f"no forgetting measured: general perplexity {report['change_pct']:+.1f}% is within the "
                             f"base model's own noise of ±{report['noise_pct']:.1f}%")
    report["scoring"] = ("qa items: loss of the reference answer through the chat template; text items: plain "
                         "perplexity; each domain's perplexity is exp(mean item loss, nats/token)")
    report["threshold"] = ("half-width of the 95% bootstrap interval of the base model's mean item loss, as a "
                           "perplexity change")
    return report


def forgetting_check(tuned, base, tokenizer, base_losses: list[float] | None = None,
                     on_batch: Callable[[int], None] | None = None) -> dict:
    """The probe on both models and the comparison. `base` may be the tuned PEFT model itself (its adapter is
    switched off for the base pass); `base_losses` skips the base pass when they are already known."""
    items = load_probe()
    started = time.monotonic()
    tuned_losses = probe_losses(tuned, tokenizer, items, on_batch)
    if base_losses is None:
        with as_base(tuned, base):
            base_losses = probe_losses(base, tokenizer, items, on_batch)
    report = forgetting_report(base_losses, tuned_losses, items)
    report["seconds"] = round(time.monotonic() - started, 1)
    report["base_losses"] = [round(x, 5) for x in base_losses]
    return report
