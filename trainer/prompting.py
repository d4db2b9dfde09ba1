"""The base model's best prompt, searched: the candidates a careful prompt engineer would try before training.

Candidates, in order of cost (a tie goes to the cheaper one):

    zero_shot    the user's own messages as they are (their system prompt, if any, then the request);
    instruction  the user's system prompt plus an instruction derived from the training answers that describes the
                 expected output (the JSON keys, the label set, or the usual length);
    k1, k3, k5   the instruction plus the k training examples most similar to the request, as earlier turns.

Similarity is lexical: TF-IDF cosine over the words of the user turns (`ShotIndex`). It costs well under a
millisecond per request, needs no second model in the training process, and for the short requests of routing
and extraction tasks the shared words are what makes an example useful. (The bundled sentence model in
knowledge/embeddings.py was the alternative; it lives in a peer layer and takes ~1 s to load.) The most similar
example is placed last, next to the request. The top 5 are retrieved once per request and shared by every k.

Each candidate is scored on the validation split with the task's primary metric; the winner is what the tuned
model is compared with on the test split (trainer/evaluate.py).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from trainer.datasets import Example
from trainer.scoring import parse_json, words

SHOT_COUNTS = (1, 3, 5)
CANDIDATES = ("zero_shot", "instruction", *(f"k{k}" for k in SHOT_COUNTS))
MAX_LABELS_LISTED = 40  # a label set longer than this is described by examples instead of listed


def describe(candidate: str) -> str:
    if candidate == "zero_shot":
        return "zero-shot: your system prompt and request as they are"
    if candidate == "instruction":
        return "zero-shot with an instruction describing the expected output"
    return f"{candidate[1:]}-shot: the instruction plus the {candidate[1:]} most similar training examples"


def request_text(messages: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in messages if m["role"] == "user")


def derived_instruction(kind: str, train: list[Example]) -> str:
    """One or two sentences describing the output, read from the training answers."""
    references = [e.reference for e in train]
    if kind == "json":
        keys = Counter(k for r in references if isinstance(parse_json(r), dict) for k in parse_json(r))
        common = [k for k, c in keys.most_common() if c >= 0.5 * len(references)]
        example = next((r for r in references if isinstance(parse_json(r), dict)), "{}")
        return (f"Reply with one JSON object and nothing else, with the keys {', '.join(common)}. "
                f"For example: {example}")
    if kind == "labels":
        labels = sorted(set(r.strip() for r in references))
        if len(labels) <= MAX_LABELS_LISTED:
            return f"Reply with exactly one of these labels and nothing else: {', '.join(labels)}."
        return "Reply with a single short label and nothing else."
    lengths = sorted(len(r.split()) for r in references)
    median = lengths[len(lengths) // 2] if lengths else 0
    return f"Reply in the style of a helpful expert, in about {median} words."


def with_system(messages: list[dict[str, str]], extra: str) -> list[dict[str, str]]:
    """The user's system prompt (if any) followed by `extra`, then the non-system turns."""
    system = [m["content"] for m in messages if m["role"] == "system"]
    text = "\n\n".join(system + [extra]) if extra else "\n\n".join(system)
    rest = [m for m in messages if m["role"] != "system"]
    return ([{"role": "system", "content": text}] if text else []) + rest


def shot_prompt(instruction: str, shots: list[Example], messages: list[dict[str, str]]) -> list[dict[str, str]]:
    """The instruction, then each shot's exchange (least similar first), then the real request."""
    turns = with_system(messages, instruction)
    head = turns[:1] if turns and turns[0]["role"] == "system" else []
    body = []
    for shot in shots:
        body += [m for m in shot.prompt_messages if m["role"] != "system"]
        body.append({"role": "assistant", "content": shot.reference})
    return head + body + turns[len(head):]


class ShotIndex:
    """TF-IDF cosine over the words of the training requests; `nearest` gives the most similar training examples."""

    def __init__(self, train: list[Example]):
        self.train = train
        docs = [Counter(words(request_text(e.prompt_messages))) for e in train]
        frequency = Counter(w for d in docs for w in d)
        n = len(docs)
        # smoothed idf: a word in every request still weighs a little; one in a single request weighs most
        self.idf = {w: math.log((1 + n) / (1 + f)) + 1 for w, f in frequency.items()}
        self.vectors = [self._vector(d) for d in docs]

    def _vector(self, counts: Counter) -> dict[str, float]:
        vector = {w: c * self.idf.get(w, 0.0) for w, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {w: v / norm for w, v in vector.items()}

    def nearest(self, messages: list[dict[str, str]], k: int, exclude: Example | None = None) -> list[Example]:
        """The k most similar training examples, most similar first; ties broken by file order."""
        query = self._vector(Counter(words(request_text(messages))))
        scored = []
        for i, (example, vector) in enumerate(zip(self.train, self.vectors)):
            if exclude is not None and example is exclude:
                continue
            scored.append((-sum(v * vector.get(w, 0.0) for w, v in query.items()), i))
        return [self.train[i] for _, i in sorted(scored)[:k]]


@dataclass
class PromptBuilder:
    """Builds any candidate's conversation for a request; nearest examples are looked up once per request."""

    kind: str
    train: list[Example]
    max_shots: int = max(SHOT_COUNTS)  # eval.few_shot: k-shot candidates above this are not tried

    def __post_init__(self):
        self.instruction = derived_instruction(self.kind, self.train) if self.train else ""
        self.index = ShotIndex(self.train) if self.train else None
        self._shots: dict[int, list[Example]] = {}

    def shots(self, example: Example) -> list[Example]:
        """The top max(SHOT_COUNTS) training examples for `example`, most similar first (cached per request)."""
        key = id(example)
        if key not in self._shots:
            self._shots[key] = (self.index.nearest(example.prompt_messages, max(SHOT_COUNTS), exclude=example)
                                if self.index else [])
        return self._shots[key]

    def build(self, candidate: str, example: Example) -> tuple[list[dict[str, str]], list[Example]]:
        """(conversation ending with the request, the shots it contains)."""
        messages = example.prompt_messages
        if candidate == "zero_shot":
            return messages, []
        if candidate == "instruction":
            return with_system(messages, self.instruction), []
        k = int(candidate[1:])
        shots = self.shots(example)[:k]
        return shot_prompt(self.instruction, list(reversed(shots)), messages), shots

    def available(self) -> list[str]:
        """Candidates to try: k-shot needs k <= eval.few_shot and at least k + 1 training examples (one may be the
        request itself, excluded from its own shots)."""
        return [c for c in CANDIDATES
                if not c.startswith("k") or int(c[1:]) <= min(self.max_shots, len(self.train) - 1)]
