"""Answers the lexicon cannot read: the value a classifier trained on other people's answers gives them.

The reader in `agent.extract` reads the words people usually use, and the prototypes in `agent.prototypes` a few
sentences we wrote per value. Unseen users still answer in ways neither foresees ("it told a puppy raiser grapes are
a fine treat" is safety; "IT won't let us install anything, browser tools only" means no weights). This module holds
one small multinomial logistic regression per categorical fact over the answer's sentence vector (the bundled
all-MiniLM-L6-v2), trained on the labelled answers of the blind evaluation sets whose one blind run is over
(tests/blind/train_answer_model.py; the sets are listed in the model file). Each model also has a class for "states
no value of this fact", so an answer about something else stays unread.

It is consulted only for an answer to the question just asked, and only when the reader found nothing for that
fact: the lexicon's reading, with its negation and contrast scopes, comes first. Its value is held at `CONFIDENCE`
(a reading by meaning, like the prototypes'), and only when the model gives it at least `MIN_PROBABILITY`;
below that the answer counts as not understood and the question comes again with its options.

Leave-one-set-out accuracy on 291–458 answers per fact (train on nine sets, test on the tenth; the training
script's --evaluate): problem 0.758, data quality 0.787, prompting 0.808, team 0.835, domain novelty 0.801, how
often knowledge changes 0.845, data sensitivity 0.808, open weights allowed 0.869.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import embeddings

MODEL_FILE = Path(__file__).with_name("answer_model.json")
MIN_PROBABILITY = 0.5  # below it, the answer is asked again: a 50/50 guess is no reading
CONFIDENCE = 0.55  # held (≥ extract.HOLD), like a prototype's reading: below a plain answer's 0.9


@functools.lru_cache(maxsize=1)
def _models() -> dict[str, tuple[list, np.ndarray, np.ndarray]]:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    if data.get("embedding") != embeddings.MODEL_NAME:
        return {}  # trained on another sentence model's vectors: meaningless here
    return {fact: (m["values"], np.asarray(m["weights"], dtype=np.float32), np.asarray(m["bias"], dtype=np.float32))
            for fact, m in data["facts"].items()}


def facts() -> frozenset[str]:
    """The facts a model exists for."""
    return frozenset(_models())


def classify(fact: str, text: str) -> tuple[Any, float] | None:
    """(code value, probability) for an answer to `fact`'s question, or None: no model, no value stated, or no
    value likely enough. A problem comes back as a one-tag list, as the reader gives it."""
    model = _models().get(fact)
    if model is None or not text.strip():
        return None
    values, weights, bias = model
    logits = embeddings.embed([text])[0] @ weights.T + bias
    p = np.exp(logits - logits.max())
    p /= p.sum()
    best = int(p.argmax())
    value = values[best]
    if value is None or p[best] < MIN_PROBABILITY:
        return None
    return ([value] if fact == "problem" else value), float(p[best])
