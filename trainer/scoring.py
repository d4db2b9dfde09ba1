"""How generated answers are scored, and how sure we can be: the metric that fits the data, with bootstrap intervals.

The kind of task is read from the reference answers (`task_kind`), and each kind gets the metric a reader of
its outputs would use:

    json       most references parse as JSON objects → validity (share of outputs that parse) and field accuracy
               (share of the reference's fields the output has with the same value); primary: field accuracy,
               because a reply with four of five fields right is better than one with none, and exact match
               would score both 0.
    labels     few distinct short references, each repeated → accuracy and macro-F1 over the classes; primary:
               accuracy when the classes are balanced, macro-F1 when the largest class is more than twice the
               smallest (accuracy would then reward always answering the big class).
    free_text  anything else → ROUGE-L (longest common word subsequence) and token F1; primary: ROUGE-L, because
               it rewards the right words in the right order without needing the exact wording. With
               TUNEWISE_LLM configured a pairwise judge is added (trainer/judge.py).

Uncertainty: `intervals` resamples the test rows 1,000 times (paired: base and tuned see the same resample)
and reports the 2.5th and 97.5th percentiles of each metric. Two systems whose intervals overlap are reported
as "no measurable difference"; `rows_needed` says how many test rows would separate them if the observed
difference held.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Callable

import numpy as np

KINDS = ("json", "labels", "free_text")
PRIMARY = {"json": "field_accuracy", "labels": "accuracy", "free_text": "rouge_l"}
METRICS = {"json": ("field_accuracy", "json_valid", "exact_match"),
           "labels": ("accuracy", "macro_f1"),
           "free_text": ("rouge_l", "token_f1", "exact_match")}
LABELS = {"field_accuracy": "JSON field accuracy", "json_valid": "JSON validity", "exact_match": "exact match",
          "accuracy": "accuracy", "macro_f1": "macro-F1", "rouge_l": "ROUGE-L", "token_f1": "token F1",
          "judge_win_rate": "judge win rate (tuned vs base + prompt)"}
JSON_SHARE = 0.8  # references that must parse as JSON objects for the task to count as structured output
MAX_LABEL_WORDS = 4  # a label is a short name ("billing", "account access"), not a sentence
IMBALANCE = 2.0  # largest / smallest class count above which macro-F1 becomes the primary label metric
RESAMPLES = 1000  # bootstrap resamples: the percentile interval's ends move by < 0.01 beyond this on 50 rows
CONFIDENCE = 0.95


# ---------------------------------------------------------------------------------------------------------------
# Word-level text metrics


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


# ---------------------------------------------------------------------------------------------------------------
# Structured output


def parse_json(text: str) -> Any:
    """The JSON object or list in `text` (bare or in a ``` fence), else None."""
    text = text.strip()
    fenced = re.match(r"^```(?:json)?\s*(.*?)\s*```$", text, re.S)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return None
    return value if isinstance(value, (dict, list)) else None


def parses_as_json(text: str) -> bool:
    return parse_json(text) is not None


def _same_value(a: Any, b: Any) -> bool:
    """Field values compared as a reader would: numbers by value (2 == "2"), strings ignoring case and spacing."""
    if isinstance(a, (int, float)) and not isinstance(a, bool) or isinstance(b, (int, float)) and not isinstance(b, bool):
        try:
            return float(a) == float(b)
        except (TypeError, ValueError):
            return False
    if isinstance(a, str) and isinstance(b, str):
        return normalize(a) == normalize(b)
    return a == b


def field_accuracy(prediction: str, reference: str) -> float:
    """Share of the reference object's fields that the predicted object has with the same value (0 if it does not
    parse). Fields the prediction adds are not rewarded; a reference that is a list is compared whole."""
    ref, pred = parse_json(reference), parse_json(prediction)
    if pred is None or ref is None:
        return 0.0
    if not isinstance(ref, dict):
        return float(ref == pred)
    if not isinstance(pred, dict) or not ref:
        return float(pred == ref)
    return sum(k in pred and _same_value(pred[k], v) for k, v in ref.items()) / len(ref)


def json_exact(prediction: str, reference: str) -> float:
    """1 when the parsed objects are equal field by field (key order and spacing do not matter)."""
    ref, pred = parse_json(reference), parse_json(prediction)
    if pred is None or ref is None:
        return 0.0
    if isinstance(ref, dict) and isinstance(pred, dict):
        return float(set(ref) == set(pred) and all(_same_value(pred[k], v) for k, v in ref.items()))
    return float(ref == pred)


# ---------------------------------------------------------------------------------------------------------------
# Labels


def label_key(text: str) -> str:
    """A label as compared: lower case, punctuation and surrounding quotes dropped ("Billing." → "billing")."""
    return " ".join(words(text.replace("_", " ")))


def predicted_label(prediction: str, labels: list[str]) -> str:
    """The label an answer names: its first line when that is a known label, else the one known label the answer
    mentions as whole words (a base model says "This goes to billing."), else the first line as written."""
    first = label_key(prediction.strip().splitlines()[0] if prediction.strip() else "")
    keys = [label_key(label) for label in labels]
    if first in keys:
        return first
    text = f" {label_key(prediction)} "
    named = [k for k in keys if f" {k} " in text]
    return named[0] if len(named) == 1 else first


def macro_f1(predicted: list[str], gold: list[str]) -> float:
    """Mean over the gold classes of each class's F1 (a class never predicted and never gold is not counted)."""
    scores = []
    for label in sorted(set(gold)):
        tp = sum(p == label and g == label for p, g in zip(predicted, gold))
        fp = sum(p == label and g != label for p, g in zip(predicted, gold))
        fn = sum(p != label and g == label for p, g in zip(predicted, gold))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


# ---------------------------------------------------------------------------------------------------------------
# Which kind of task, and its metric


def task_kind(references: list[str]) -> tuple[str, str, str]:
    """(kind, primary metric, the reason in a sentence) read from the reference answers."""
    n = len(references)
    if n and sum(isinstance(parse_json(r), dict) for r in references) >= JSON_SHARE * n:
        return "json", PRIMARY["json"], (f"{sum(map(parses_as_json, references))} of {n} reference answers are JSON "
                                         "objects: scored by JSON validity and field accuracy (partial credit per "
                                         "field; exact match would score a reply with one wrong field as zero)")
    keys = [label_key(r) for r in references]
    counts = Counter(keys)
    short = all(0 < len(k.split()) <= MAX_LABEL_WORDS for k in keys)
    if n and short and 2 <= len(counts) <= max(2, n // 3):
        big, small = max(counts.values()), min(counts.values())
        primary = "macro_f1" if big > IMBALANCE * small else "accuracy"
        why = ("the classes are unbalanced (largest " f"{big}, smallest {small}), so macro-F1 leads"
               if primary == "macro_f1" else f"the classes are balanced (largest {big}, smallest {small}), so "
               "accuracy leads")
        return "labels", primary, (f"the references are {len(counts)} short labels, each used several times: scored "
                                   f"by accuracy and macro-F1; {why}")
    return "free_text", PRIMARY["free_text"], ("the references are free text: scored by ROUGE-L (right words in the "
                                               "right order, wording may differ) and token F1")


def row_scores(kind: str, predictions: list[str], references: list[str]) -> dict[str, np.ndarray]:
    """Per-row values of each metric whose score is the mean over rows; for labels, 1/0 correctness."""
    if kind == "json":
        return {"field_accuracy": np.array([field_accuracy(p, r) for p, r in zip(predictions, references)]),
                "json_valid": np.array([float(parses_as_json(p)) for p in predictions]),
                "exact_match": np.array([json_exact(p, r) for p, r in zip(predictions, references)])}
    if kind == "labels":
        labels = sorted(set(references))
        gold = [label_key(r) for r in references]
        return {"accuracy": np.array([float(predicted_label(p, labels) == g) for p, g in zip(predictions, gold)])}
    return {"rouge_l": np.array([rouge_l(p, r) for p, r in zip(predictions, references)]),
            "token_f1": np.array([token_f1(p, r) for p, r in zip(predictions, references)]),
            "exact_match": np.array([exact_match(p, r) for p, r in zip(predictions, references)])}


def _statistics(kind: str, predictions: list[str], references: list[str]) -> dict[str, Callable[[np.ndarray], float]]:
    """metric → function of an index array (a resample of rows) giving the metric on those rows."""
    rows = row_scores(kind, predictions, references)
    stats: dict[str, Callable[[np.ndarray], float]] = {
        name: (lambda idx, v=values: float(v[idx].mean()) if len(idx) else 0.0) for name, values in rows.items()}
    if kind == "labels":
        labels = sorted(set(references))
        pred = [predicted_label(p, labels) for p in predictions]
        gold = [label_key(r) for r in references]
        stats["macro_f1"] = lambda idx: macro_f1([pred[i] for i in idx], [gold[i] for i in idx])
    return stats


def score(kind: str, predictions: list[str], references: list[str]) -> dict[str, float]:
    """Each metric of `kind` on all rows."""
    everything = np.arange(len(references))
    return {name: fn(everything) for name, fn in _statistics(kind, predictions, references).items()}


def bootstrap_indices(n: int, seed: int = 0, resamples: int = RESAMPLES) -> np.ndarray:
    """(resamples, n) row indices drawn with replacement; one draw shared by every system keeps them paired."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n)) if n else np.zeros((resamples, 0), int)


def interval(statistic: Callable[[np.ndarray], float], draws: np.ndarray) -> tuple[float, float]:
    """The percentile bootstrap interval (CONFIDENCE) of `statistic` over the resamples in `draws`."""
    values = np.array([statistic(idx) for idx in draws])
    tail = (1 - CONFIDENCE) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def compare(kind: str, references: list[str], systems: dict[str, list[str]], seed: int = 0) -> dict[str, dict]:
    """{system: {metric: {"value", "low", "high"}}} for every system's predictions, on one shared bootstrap draw."""
    draws = bootstrap_indices(len(references), seed)
    out = {}
    for name, predictions in systems.items():
        stats = _statistics(kind, predictions, references)
        everything = np.arange(len(references))
        out[name] = {m: dict(zip(("value", "low", "high"), (fn(everything), *interval(fn, draws))))
                     for m, fn in stats.items()}
    return out


def mean_with_interval(values: list[float], seed: int = 0) -> dict[str, float]:
    """{"value", "low", "high"} for the mean of per-row values (the judge's per-row preferences, probe losses)."""
    array = np.asarray(values, dtype=float)
    draws = bootstrap_indices(len(array), seed)
    low, high = interval(lambda idx: float(array[idx].mean()) if len(idx) else 0.0, draws)
    return {"value": float(array.mean()) if len(array) else 0.0, "low": low, "high": high}


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    """Whether two {"low", "high"} intervals share any value."""
    return a["low"] <= b["high"] and b["low"] <= a["high"]


def rows_needed(a: dict[str, float], b: dict[str, float], n: int) -> int | None:
    """Test rows at which the two intervals would stop overlapping if the observed difference held: the half-widths
    shrink as 1/√n, so n' = n · ((half_a + half_b) / |difference|)². None when there is no difference to find."""
    difference = abs(a["value"] - b["value"])
    if difference < 1e-9 or n == 0:
        return None
    half = (a["high"] - a["low"]) / 2 + (b["high"] - b["low"]) / 2
    return max(n, int(np.ceil(n * (half / difference) ** 2)))
