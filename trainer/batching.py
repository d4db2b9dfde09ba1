"""Batches that spend little compute on padding.

Four strategies (`training.batching`; `auto` is padding_free on a CUDA GPU, group_by_length on the CPU), measured
in tests/bench/bench_sft.py on lengths drawn like real chat data (log-normal, 54-458 tokens):

    group_by_length  a seeded sampler that cuts each shuffled window of 64 batches into batches of similar length,
                     then shuffles the batches; each batch is padded to its own longest row. Padding drops from
                     ~50 % (random batches) to a few percent while the data order stays random across windows.
    padding_free     each batch's rows are flattened into one sequence with position ids restarting per row
                     (transformers' DataCollatorWithFlattening): no padding, and attention stays inside each row
                     through the variable-length path (flash-attention's varlen kernel, or sdpa with the block
                     mask transformers builds from the position ids). On a GPU this is the fastest; on the CPU
                     the masked attention over the whole flattened batch was slower than padded passes of 512
                     tokens (one batch of 8 rows of ~450 tokens: 93 s flattened, 38 s in passes, one thread).
    packing          examples are concatenated into rows of up to max_seq_len tokens, so there are fewer, fuller
                     rows (and fewer optimizer steps) than examples; position ids restart per example.
    pad_to_longest   random batches padded to their longest row (the usual default elsewhere).

Every strategy yields `input_ids`, `labels` (-100 = no loss) and either `attention_mask` or `position_ids`.
`micro_batches` cuts a batch into forward passes of bounded size (training.micro_batch_tokens). The samplers reseed
from (seed, epoch), so a resumed run sees exactly the batches the interrupted one would have.
"""

from __future__ import annotations

import random
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import Sampler

from trainer.datasets import Encoded

WINDOW_BATCHES = 64  # batches per sorting window: bigger = less padding, less randomness


def features(encoded: list[Encoded]) -> list[dict[str, list[int]]]:
    return [{"input_ids": e.input_ids, "labels": e.labels} for e in encoded]


def pack(encoded: list[Encoded], block_len: int, seed: int) -> list[dict[str, list[int]]]:
    """Concatenate examples (in a seeded order) into rows of at most `block_len` tokens, first fit.

    An example is never split across rows; its first label is masked so no loss crosses an example boundary.
    """
    order = list(range(len(encoded)))
    random.Random(seed).shuffle(order)
    rows: list[dict[str, list[int]]] = []
    for i in order:
        ids, labels = encoded[i].input_ids, list(encoded[i].labels)
        labels[0] = -100
        for row in rows:
            if len(row["input_ids"]) + len(ids) <= block_len:
                break
        else:
            row = {"input_ids": [], "labels": [], "position_ids": []}
            rows.append(row)
        row["input_ids"] += ids
        row["labels"] += labels
        row["position_ids"] += list(range(len(ids)))
    return rows


class LengthGroupedSampler(Sampler[int]):
    """Indices in batches of similar length: shuffle, sort within windows of WINDOW_BATCHES batches, cut, shuffle
    the batches. Deterministic in (seed, epoch); the Trainer calls set_epoch before each epoch."""

    def __init__(self, lengths: list[int], batch_size: int, seed: int, window_batches: int = WINDOW_BATCHES):
        self.lengths, self.batch_size, self.seed, self.epoch = list(lengths), batch_size, seed, 0
        self.window_batches = window_batches  # 1 = a plain seeded shuffle (padding_free has no padding to save)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        rng = random.Random(self.seed * 100_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        window = self.batch_size * self.window_batches
        batches = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start:start + window], key=lambda i: self.lengths[i], reverse=True)
            batches += [chunk[j:j + self.batch_size] for j in range(0, len(chunk), self.batch_size)]
        rng.shuffle(batches)
        return iter([i for batch in batches for i in batch])


class Collator:
    """Pad a list of features to the longest row (right padding). Rows with `position_ids` (packing) get
    position ids instead of an attention mask, which is how transformers recognises packed rows."""

    def __init__(self, pad_token_id: int, pad_to: int | None = None):
        self.pad_token_id = pad_token_id
        self.pad_to = pad_to  # pad every batch to this length (the benchmark's pad-to-max baseline); None = longest

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        width = self.pad_to or max(len(r["input_ids"]) for r in rows)
        batch = {
            "input_ids": torch.full((len(rows), width), self.pad_token_id, dtype=torch.long),
            "labels": torch.full((len(rows), width), -100, dtype=torch.long),
        }
        packed = "position_ids" in rows[0]
        if packed:
            # padding continues as its own short "example" (positions 0, 1, ...) with no loss
            batch["position_ids"] = torch.zeros((len(rows), width), dtype=torch.long)
        else:
            batch["attention_mask"] = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            batch["input_ids"][i, :n] = torch.tensor(row["input_ids"])
            batch["labels"][i, :n] = torch.tensor(row["labels"])
            if packed:
                batch["position_ids"][i, :n] = torch.tensor(row["position_ids"])
                batch["position_ids"][i, n:] = torch.arange(width - n)
            else:
                batch["attention_mask"][i, :n] = 1
        return batch


def flattening_collator():
    """padding_free batches: transformers' DataCollatorWithFlattening, which concatenates a batch's rows into one
    (1, total) row, restarts position ids at each row and masks each row's first label (-100), so no loss or
    attention crosses rows. Flash-attention and sdpa both read the row boundaries from the position ids."""
    from transformers import DataCollatorWithFlattening  # heavy: only padding_free training needs it

    return DataCollatorWithFlattening(return_position_ids=True, separator_id=-100)


def _flat_pieces(batch: dict[str, torch.Tensor], budget: int) -> list[dict[str, torch.Tensor]]:
    """A flattened (1, total) row cut at row starts (position id 0) into pieces of at most `budget` tokens; a row
    longer than the budget is a piece of its own."""
    starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist() + [batch["input_ids"].shape[1]]
    cuts, begin = [0], 0
    for start, end in zip(starts, starts[1:]):
        if end - begin > budget and start > begin:
            cuts.append(start)
            begin = start
    cuts.append(starts[-1])
    return [{k: v[:, a:b] for k, v in batch.items()} for a, b in zip(cuts, cuts[1:])]


def micro_batches(batch: dict[str, torch.Tensor], budget: int | None) -> list[dict[str, torch.Tensor]]:
    """`batch` cut into passes of at most `budget` tokens (rows × the pass's longest row), longest rows first.

    Activation memory grows with the tokens of one forward pass (about 2.6 MB per token for SmolLM2-135M with LoRA
    in fp32, measured), and length grouping puts a dataset's longest rows in one batch: 8 rows of ~450 tokens peaked
    at 10.5 GB. Passes of 512 tokens peaked at 2.4 GB and ran 1.6x faster on this CPU (less padding, activations
    that fit the caches). A row longer than the budget is a pass of its own; each pass is trimmed to its own longest
    row. Packed rows (position_ids) are cut by row only. None = one pass.
    """
    rows = batch["input_ids"].shape[0]
    if budget is None or rows * batch["input_ids"].shape[1] <= budget:
        return [batch]
    if rows == 1:  # a padding_free batch (or one long row, which `_flat_pieces` leaves whole)
        return _flat_pieces(batch, budget) if "position_ids" in batch else [batch]
    mask = batch.get("attention_mask")
    lengths = mask.sum(dim=1).tolist() if mask is not None else [batch["input_ids"].shape[1]] * rows
    order = sorted(range(rows), key=lambda i: -lengths[i])
    groups: list[list[int]] = [[]]
    for i in order:  # descending lengths: a group's first row is its longest
        if groups[-1] and (len(groups[-1]) + 1) * lengths[groups[-1][0]] > budget:
            groups.append([])
        groups[-1].append(i)
    parts = []
    for group in groups:
        index, width = torch.tensor(group), int(lengths[group[0]])
        parts.append({k: v[index][:, :width] if mask is not None else v[index] for k, v in batch.items()})
    return parts


def padding_share(rows: list[dict[str, Any]], batch_size: int, order: list[int]) -> float:
    """Share of padded positions when `rows` are batched in `order` (for logs and the benchmark)."""
    padded = real = 0
    for start in range(0, len(order), batch_size):
        lengths = [len(rows[i]["input_ids"]) for i in order[start:start + batch_size]]
        padded += max(lengths) * len(lengths)
        real += sum(lengths)
    return 1 - real / padded if padded else 0.0


def _trained_forward(model, head, batch: dict[str, torch.Tensor], run_head: bool):
    """The model's normal forward (so DDP, gradient checkpointing and PEFT behave as usual) with a pre-hook on its
    output layer `head` that keeps only the hidden states whose next token is trained; the head then runs on those
    (`run_head`) or on none of them. Returns (kept hidden states, the head's output, their target ids)."""
    targets = batch["labels"][:, 1:]  # position t predicts token t + 1
    select = targets != -100
    kept: list[torch.Tensor] = []

    def keep_trained(module, args):
        kept.append(args[0][:, :-1][select])
        return (kept[0] if run_head else kept[0][:0],) + tuple(args[1:])

    inputs = {k: v for k, v in batch.items() if k != "labels"}
    handle = head.register_forward_pre_hook(keep_trained)
    try:
        logits = model(**inputs, use_cache=False).logits
    finally:
        handle.remove()
    return kept[0], logits, targets[select]


def trained_token_hidden(model, head, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(hidden, targets) for the trained positions only, for a fused linear + cross-entropy (the Liger kernel on a
    GPU) that never builds the (N, vocab) logits: the output layer is handed zero rows."""
    hidden, _, targets = _trained_forward(model, head, batch, run_head=False)
    return hidden, targets


def trained_token_logits(model, head, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, targets) for the trained positions only: a (N, vocab) tensor and its N target ids.

    The vocabulary projection and the softmax — 49,152 wide for SmolLM2, the largest activation of a small model —
    skip prompts and padding: with 8 rows of 300 tokens and 25 % answer tokens, 600 logit rows instead of 2,400.
    """
    _, logits, targets = _trained_forward(model, head, batch, run_head=True)
    return logits.float(), targets


def trained_token_loss(model, head, batch: dict[str, torch.Tensor], fused=None):
    """(summed cross-entropy over the trained positions, their logits or None, their target ids). `fused` is a
    fused linear + cross-entropy called as fused(weight, hidden, targets) (Liger's, training_setup), which never
    builds the logits; None = the output layer on the trained positions, then torch's cross-entropy."""
    if fused is None:
        logits, targets = trained_token_logits(model, head, batch)
        return F.cross_entropy(logits, targets, reduction="sum"), logits, targets
    hidden, targets = trained_token_hidden(model, head, batch)
    loss = fused(head.weight, hidden, targets)
    return (loss[0] if isinstance(loss, tuple) else loss), None, targets
