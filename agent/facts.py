"""The interview state: what the advisor knows about the user's situation, fact by fact.

Each of DESIGN.md's 15 facts holds a normalised value, the user's own words it came from, and a confidence
(1.0 = stated plainly in answer to the question, lower = inferred in passing). A fact the user could not or
would not answer is *skipped*: its value stays None and it is never asked again.

The value of each fact has the type `trainer.state.vocabulary.FACTS[key].type` gives it: a `Choice` (one
member, e.g. prompting_tried is "none", "basic" or "tried"), `Tags` (a sorted list of members, e.g. problem),
a `Number` with its unit (labeled_examples: a count of examples; budget: US dollars) or a `GpuSpec`
({"gpus", "gpu_memory_gb", "access"}). `vocabulary.check_value(key, value)` checks one. The engine, the question
policy and the plan builder read these values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from trainer.state.vocabulary import FACT_KEYS, TAG_FACTS  # TAG_FACTS: a new mention adds tags


@dataclass
class Fact:
    """One fact as the advisor holds it."""

    value: Any = None
    words: str = ""  # the user's words the value came from (trimmed)
    confidence: float = 0.0  # 0..1
    skipped: bool = False  # the user did not know, or chose to skip it
    history: list[dict] = field(default_factory=list)  # earlier values replaced by corrections: [{value, words}]

    @property
    def known(self) -> bool:
        return self.value is not None


@dataclass
class Interview:
    """The whole interview state of one conversation; stored as JSON in `Conversation.profile`."""

    facts: dict[str, Fact] = field(default_factory=lambda: {key: Fact() for key in FACT_KEYS})
    asked: list[str] = field(default_factory=list)  # facts asked, in order (never asked twice)
    pending: str | None = None  # the fact the last question asked for, awaiting an answer
    stage: str = "interview"  # interview · recommended · planned · launch_requested
    recommendation: dict | None = None
    plan: dict | None = None
    data_path: str | None = None  # the uploaded training file that checked out, if any
    job_ids: list[str] = field(default_factory=list)
    awaiting: dict | None = None  # LLM mode: the launch paused for approval, {job_id, plan}
    notes: list[str] = field(default_factory=list)  # things the user said that are no fact (e.g. "wants own IP")
    # Read-back: findings too unsure to hold (said in passing, read by meaning, in a pasted text, or an uploaded
    # file that disagrees with a stated count) wait here, {fact: {"value", "words", "confidence"}}, until the user
    # confirms them; a read-back question asks about one of them (`confirming`), once per fact (`confirmed`).
    tentative: dict[str, dict] = field(default_factory=dict)
    confirming: str | None = None
    confirmed: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # facts asked once more, with options, after an unread answer
    last_noted: list[str] = field(default_factory=list)  # facts set by the last message ("that's wrong" withdraws them)
    named: list[str] = field(default_factory=list)  # approaches the user named in their own words, first mention first

    # ---- reading -------------------------------------------------------------------------------------------
    def value(self, key: str) -> Any:
        return self.facts[key].value

    def values(self) -> dict[str, Any]:
        """fact -> value (None when unknown): the engine's input."""
        return {key: fact.value for key, fact in self.facts.items()}

    def known(self) -> list[str]:
        return [key for key, fact in self.facts.items() if fact.known]

    def skipped(self) -> list[str]:
        return [key for key, fact in self.facts.items() if fact.skipped and not fact.known]

    def open_facts(self) -> list[str]:
        """Facts neither known, nor skipped, nor already asked: the only ones a question may ask for."""
        return [k for k, f in self.facts.items() if not f.known and not f.skipped and k not in self.asked]

    # ---- writing -------------------------------------------------------------------------------------------
    def set(self, key: str, value: Any, words: str, confidence: float, replace: bool = False) -> dict | None:
        """Record a value; return {"fact", "old", "new"} when it replaces a different earlier value. Tag facts
        gain the new tags, unless `replace` (a correction: "actually it's not the format, it's the facts")."""
        if key not in self.facts:
            raise KeyError(f"unknown fact {key!r}; facts are {', '.join(FACT_KEYS)}")
        fact = self.facts[key]
        words = " ".join(words.split())[:200]
        if key in TAG_FACTS and fact.value and not replace:
            merged = sorted(set(fact.value) | set(value))
            fact.value, fact.words = merged, (fact.words + " | " + words)[-300:]
            fact.confidence = max(fact.confidence, confidence)
            return None
        change = None
        if fact.known and fact.value != value:
            change = {"fact": key, "old": fact.value, "new": value}
            fact.history.append({"value": fact.value, "words": fact.words})
        fact.value, fact.words, fact.confidence, fact.skipped = value, words, confidence, False
        return change

    def forget(self, key: str) -> None:
        """The user withdrew what they said about `key`: unknown again (and not asked again unprompted)."""
        fact = self.facts[key]
        if fact.known:
            fact.history.append({"value": fact.value, "words": fact.words})
        self.facts[key] = Fact(history=fact.history)
        self.tentative.pop(key, None)

    def skip(self, key: str) -> None:
        fact = self.facts[key]
        if not fact.known:
            fact.skipped = True

    # ---- storage -------------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Interview":
        if not data:
            return cls()
        data = dict(data)
        stored = data.pop("facts", {}) or {}
        interview = cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        for key in FACT_KEYS:
            if key in stored:
                interview.facts[key] = Fact(**stored[key])
        return interview
