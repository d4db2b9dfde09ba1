"""Train the answer classifier (agent/answer_model.json) on the labelled utterances of the blind sets already run.

    .venv/bin/python tests/blind/train_answer_model.py --evaluate     # leave-one-set-out accuracy, per fact
    .venv/bin/python tests/blind/train_answer_model.py --write        # fit on every set listed, write the model

What it learns: for one categorical fact, the value an answer to that fact's question states, from the sentence
vector of the whole answer (the bundled all-MiniLM-L6-v2). One multinomial logistic regression per fact, on the
answers the blind writers gave to that question (the `asked` field) and labelled; an answer with no label for the
asked fact ("dunno", an answer about something else) is the class "nothing stated", so the model can say so.

Which sets: only sets whose blind run is over and reported (`SETS`). A set still to be run once must never be
listed here: training on it would make its figure a training figure. The blind labels are mapped onto the code's
values by `CODE_VALUE` (the same meanings as tests/bench/bench_advisor_blind.py's tables, read the other way);
a label with no single code value ("latency_cost", said of cost or of speed) is left out of the training rows.

The fit is plain numpy (full-batch gradient descent on the L2-penalised, class-balanced cross-entropy), so the
product needs nothing beyond numpy to apply it; the weights are rounded to 5 decimals in the JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

# Blind sets whose one blind run is done and reported in their NOTE (development data from then on)
SETS = [f"advisor_v{n}" for n in range(1, 11)]
FACTS = ("problem", "data_quality", "prompting_tried", "team", "domain_novelty", "knowledge_changes",
         "data_sensitivity", "weights_allowed")
NOTHING = "∅"  # the class of an answer that states no value of the asked fact
CODE_VALUE = {
    "problem": {tag: [tag] for tag in ("knowledge", "format", "tone", "terminology", "reasoning", "language",
                                       "safety")},
    "data_quality": {v: v for v in ("low", "mixed", "high")},
    "prompting_tried": {v: v for v in ("none", "basic", "tried")},
    "team": {"none": "none", "generalist": "software", "ml_engineers": "ml", "research": "pretraining"},
    "domain_novelty": {"familiar": "covered", "specialised": "partial", "novel": "novel"},
    "knowledge_changes": {"static": "static", "monthly": "frequent", "weekly": "frequent", "daily": "frequent"},
    "data_sensitivity": {"public": "public", "internal": "confidential", "regulated": "on_prem"},
    "weights_allowed": {True: "yes", False: "no"},
}
C = 4.0  # inverse L2 strength, as in scikit-learn's LogisticRegression(C=4): chosen on leave-one-set-out accuracy
STEPS, RATE = 800, 2.0  # gradient steps and step size (unit-length inputs; the loss is flat by then)


def _rows(names: list[str]) -> list[dict]:
    rows = []
    for name in names:
        for line in (HERE / name / "utterances.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append({**json.loads(line), "set": name})
    return rows


def _label(row: dict, fact: str) -> str | None:
    """The class of one answer to `fact`'s question: its code value as JSON, NOTHING, or None (left out)."""
    facts = row.get("facts") or {}
    if fact not in facts:
        return NOTHING
    value = facts[fact]
    if fact == "problem":
        tags = [t for t in value or [] if t in CODE_VALUE["problem"]]
        if len(tags) != len(value or []) or not tags:
            return None  # "latency_cost", or no tag at all
        return json.dumps(tags[0])  # one value per answer: the first, the writer's main complaint
    code = CODE_VALUE[fact].get(value)
    return None if code is None else json.dumps(code)


def _examples(rows: list[dict], fact: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for row in rows:
        if row.get("asked") != fact:
            continue
        label = _label(row, fact)
        if label is not None:
            texts.append(row["text"])
            labels.append(label)
    return texts, labels


def fit(vectors: np.ndarray, labels: list[str]) -> dict:
    """Multinomial logistic regression: {"values": [...], "weights": k×d, "bias": k}."""
    values = sorted(set(labels))
    y = np.array([values.index(label) for label in labels])
    n, d = vectors.shape
    k = len(values)
    counts = np.bincount(y, minlength=k)
    sample_weight = (n / (k * counts))[y]  # class-balanced, as class_weight="balanced"
    onehot = np.eye(k)[y]
    w, b = np.zeros((k, d)), np.zeros(k)
    penalty = 1.0 / (C * n)
    for _ in range(STEPS):
        logits = vectors @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        error = (p - onehot) * sample_weight[:, None] / n
        w -= RATE * (error.T @ vectors + penalty * w)
        b -= RATE * error.sum(axis=0)
    return {"values": [json.loads(v) if v != NOTHING else None for v in values],
            "weights": np.round(w, 5).tolist(), "bias": np.round(b, 5).tolist(), "trained_on": n}


def _predict(model: dict, vectors: np.ndarray) -> list:
    logits = vectors @ np.array(model["weights"]).T + np.array(model["bias"])
    return [model["values"][i] for i in logits.argmax(axis=1)]


def main() -> int:
    from knowledge import embeddings

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="*", default=SETS)
    parser.add_argument("--evaluate", action="store_true", help="leave-one-set-out accuracy per fact")
    parser.add_argument("--write", action="store_true", help="fit on every set and write agent/answer_model.json")
    args = parser.parse_args()
    rows = _rows(args.sets)
    if args.evaluate:
        for fact in FACTS:
            right = total = 0
            for held_out in args.sets:
                train = [r for r in rows if r["set"] != held_out]
                test = [r for r in rows if r["set"] == held_out]
                texts, labels = _examples(train, fact)
                test_texts, test_labels = _examples(test, fact)
                if not test_texts:
                    continue
                model = fit(embeddings.embed(texts), labels)
                got = _predict(model, embeddings.embed(test_texts))
                right += sum(json.dumps(g) == t if g is not None else t == NOTHING for g, t in zip(got, test_labels))
                total += len(test_texts)
            print(f"{fact:20s} leave-one-set-out accuracy {right / total:.3f} ({right} of {total} answers)")
    if args.write:
        models = {}
        for fact in FACTS:
            texts, labels = _examples(rows, fact)
            models[fact] = fit(embeddings.embed(texts), labels)
            print(f"{fact:20s} {len(texts)} answers, values {models[fact]['values']}")
        out = ROOT / "agent" / "answer_model.json"
        out.write_text(json.dumps({"sets": args.sets, "embedding": embeddings.MODEL_NAME, "facts": models}, separators=(",", ":")) + "\n",
                       encoding="utf-8")
        print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
