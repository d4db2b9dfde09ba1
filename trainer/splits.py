"""The deterministic train/validation/test split.

Examples are grouped by their prompt (everything before the last assistant turn) so that one question never
lands on both sides of a split: a duplicate or a reworded answer to a training prompt would otherwise let the
test score measure memory. Groups are ordered by a seeded hash, so the split depends only on the data and the
seed — not on the file order, the process or the machine.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from trainer.datasets import Example


def split_examples(examples: list[Example], shares: tuple[float, float, float] = (0.8, 0.1, 0.1),
                   seed: int = 0) -> tuple[list[Example], list[Example], list[Example]]:
    """Split into (train, validation, test) with the given shares of prompt groups, each part in file order.

    A non-zero share always gets at least one group when there are enough groups (10 examples at 80/10/10 →
    8/1/1), so a small file still has something to validate and test on.
    """
    groups: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        groups[example.prompt_key()].append(example)
    order = sorted(groups, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
    n = len(order)
    n_val = round(n * shares[1])
    n_test = round(n * shares[2])
    if shares[1] > 0 and n_val == 0 and n >= 3:
        n_val = 1
    if shares[2] > 0 and n_test == 0 and n >= 3:
        n_test = 1
    test_keys = set(order[:n_test])
    val_keys = set(order[n_test:n_test + n_val])
    parts: tuple[list[Example], list[Example], list[Example]] = ([], [], [])
    for example in examples:
        key = example.prompt_key()
        parts[2 if key in test_keys else 1 if key in val_keys else 0].append(example)
    return parts
