"""Changes to a training plan said in plain words: "a much shorter trial run", "2 epochs", "learning rate 1e-4",
"only 50 steps", "use QLoRA", "at most 500 examples". A pure reader: text in, `PlanEdit`s out; `agent.plan.revise_plan`
applies them to a plan.

    find_edits("make it 2 epochs with lr 1e-4")
    → [PlanEdit("epochs", 2.0, "2 epochs"), PlanEdit("learning_rate", 0.0001, "lr 1e-4")]

Each edit names one setting of `SETTINGS` and a typed value; "length" is a factor on the run's length
(shorter 0.5, much shorter 0.25, longer 2) rather than a value. Numbers may be digits, words ("two epochs") or,
for learning rates, scientific notation. Nothing here knows a plan; nothing here changes one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.numbers import find_quantities

# setting → (config section, key); "length" has no key: it scales the run (target duration, steps or epochs)
SETTINGS: dict[str, tuple[str, str] | None] = {
    "epochs": ("training", "epochs"),
    "max_steps": ("training", "max_steps"),
    "learning_rate": ("training", "learning_rate"),
    "method": ("lora", "method"),
    "max_examples": ("data", "max_examples"),
    "batch_size": ("training", "batch_size"),
    "lora_r": ("lora", "r"),
    "max_seq_len": ("model", "max_seq_len"),
    "eval_examples": ("eval", "max_examples"),
    "length": None,
}
LABELS = {"epochs": "epochs", "max_steps": "optimizer steps", "learning_rate": "learning rate", "method": "method",
          "max_examples": "training examples used", "batch_size": "batch size", "lora_r": "LoRA rank",
          "max_seq_len": "max sequence length", "eval_examples": "evaluation examples", "length": "run length"}

SHORTER, MUCH_SHORTER, LONGER = 0.5, 0.25, 2.0  # factors on the run's length


@dataclass(frozen=True)
class PlanEdit:
    setting: str  # a key of SETTINGS
    value: Any  # epochs float, steps/examples/sizes int, learning rate float, method "lora"|"qlora"|"full", length factor
    words: str  # the words that asked for it, as the user wrote them


_NUMBER = r"(\d+(?:[.,]\d+)?(?:e-?\d+)?|[a-z]+(?:[- ][a-z]+)?)"
_LR_NUMBER = re.compile(r"(\d+(?:\.\d+)?(?:e-?\d+)?|\.\d+(?:e-?\d+)?)", re.I)

_LR = re.compile(r"\b(?:learning[- ]rate|lr)\b\s*(?:of|to|=|:|at|is|be)?\s*(?:about\s+)?" + _LR_NUMBER.pattern, re.I)
_EPOCHS = re.compile(r"\b" + _NUMBER + r"\s+(?:full\s+)?(?:epochs?|passes)\b|\bepochs?\s*(?:=|:|to)\s*" + _NUMBER,
                     re.I)
_STEPS = re.compile(r"\bmax(?:imum)?[_ ]steps\s*(?:=|:|to|of)?\s*" + _NUMBER + r"|\bsteps\s*(?:=|:)\s*" + _NUMBER
                    + r"|\b" + _NUMBER + r"\s+(?:training\s+|optimi[sz]er\s+)?steps?\b", re.I)
_EXAMPLES = re.compile(r"\b(?:at most|no more than|up to|only(?: use)?|limit(?:ed)? (?:it )?to|max(?:imum)?|cap(?: it)? at"
                       r"|just|use|first)\s+(?:the\s+first\s+)?" + _NUMBER + r"\s+(?:training\s+)?(?:examples|rows|samples)\b"
                       + r"|\bmax[_ ]examples\s*(?:=|:|to)\s*" + _NUMBER, re.I)
_EVAL_EXAMPLES = re.compile(r"\b(?:evaluat\w*|eval|test)\s+(?:on\s+)?(?:only\s+)?" + _NUMBER + r"\s+(?:test\s+)?examples\b"
                            + r"|\b" + _NUMBER + r"\s+(?:evaluation|eval|test)\s+examples\b", re.I)
_BATCH = re.compile(r"\bbatch[- ]size\s*(?:of|to|=|:)?\s*" + _NUMBER, re.I)
_RANK = re.compile(r"\b(?:lora\s+)?(?:rank|r)\s*(?:of|to|=|:)\s*" + _NUMBER + r"|\b(?:lora\s+)?rank\s+" + _NUMBER, re.I)
_SEQ = re.compile(r"\b(?:max(?:imum)?[_ ])?(?:sequence|seq)[_ ]len(?:gth)?\s*(?:of|to|=|:)?\s*" + _NUMBER
                  + r"|\b" + _NUMBER + r"[- ]tokens?\s+(?:context|sequences?)\b", re.I)
_METHOD = [
    (re.compile(r"\bq-?lora\b", re.I), "qlora"),
    (re.compile(r"\bfull(?:[- ]weight)?\s+fine[- ]?tun\w*|\ball (?:the )?weights\b|\bfull fine-?tune\b", re.I), "full"),
    (re.compile(r"\b(?:use|with|switch to|back to|plain)\s+lora\b", re.I), "lora"),
]
_LENGTH = [
    (re.compile(r"\b(?:much|a lot|way|far|very much)\s+(?:shorter|quicker|smaller|faster)\b"
                r"|\b(?:tiny|minimal|very short|very quick)\s+(?:trial|test|run|job)\b", re.I), MUCH_SHORTER),
    (re.compile(r"\b(?:shorter|quicker|smaller|faster)\s+(?:trial|test|run|job|training|one|plan)\b"
                r"|\b(?:a|just a)\s+(?:quick|short|brief)\s+(?:trial|test|run|job)\b|\btrial run\b"
                r"|\b(?:make|keep) it (?:shorter|quicker|short|quick)\b|\bless time\b|\bhalf as long\b", re.I), SHORTER),
    (re.compile(r"\b(?:longer|bigger|more thorough)\s+(?:run|training|job|trial)\b|\btrain (?:for )?longer\b"
                r"|\bmake it longer\b|\btwice as long\b", re.I), LONGER),
]
# "not 2 epochs", "don't use QLoRA": a refusal just before the words is no request
_NEGATED = re.compile(r"(?:\bnot|n't|\bno|\bnever|\bwithout)\s+(?:\w+\s+){0,2}$", re.I)


def _number(text: str) -> float | None:
    """'2', '2.5', '1,000', 'two', 'fifty', 'a hundred' → the value; None when it is no number."""
    text = text.strip().lower()
    try:
        return float(text.replace(",", ""))
    except ValueError:
        pass
    found = find_quantities(text)
    if found and not found[0].vague:
        return float(found[0].value)
    return None


def _first_number(match: re.Match) -> float | None:
    for group in match.groups():
        if group:
            value = _number(group)
            if value is not None:
                return value
    return None


def _negated(text: str, start: int) -> bool:
    """'not 2 epochs', "don't use qlora": the words just before the match refuse it."""
    return bool(_NEGATED.search(text[max(0, start - 30):start]))


def find_edits(text: str) -> list[PlanEdit]:
    """Every plan change the message asks for, in the order of SETTINGS (one per setting: the last one said wins)."""
    found: dict[str, PlanEdit] = {}

    def take(setting: str, value: Any, match: re.Match) -> None:
        if not _negated(text, match.start()):
            found[setting] = PlanEdit(setting, value, match.group(0).strip())

    for match in _LR.finditer(text):
        try:
            value = float(match.group(1))
        except ValueError:
            continue
        if 0 < value < 1:
            take("learning_rate", value, match)
    for pattern, setting, kind in ((_EPOCHS, "epochs", float), (_STEPS, "max_steps", int),
                                   (_EVAL_EXAMPLES, "eval_examples", int), (_BATCH, "batch_size", int),
                                   (_RANK, "lora_r", int), (_SEQ, "max_seq_len", int)):
        for match in pattern.finditer(text):
            value = _first_number(match)
            if value is not None and value > 0 and (kind is float or value == int(value)):
                take(setting, kind(value), match)
    eval_spans = [m.span() for m in _EVAL_EXAMPLES.finditer(text)]
    for match in _EXAMPLES.finditer(text):
        value = _first_number(match)
        inside_eval = any(a <= match.start() < b or match.start() <= a < match.end() for a, b in eval_spans)
        if value is not None and value >= 1 and value == int(value) and not inside_eval:
            take("max_examples", int(value), match)
    for pattern, method in _METHOD:
        match = pattern.search(text)
        if match and not _negated(text, match.start()):
            take("method", method, match)
            break
    for pattern, factor in _LENGTH:
        match = pattern.search(text)
        if match and "epochs" not in found and "max_steps" not in found:
            take("length", factor, match)
            break
    return [found[s] for s in SETTINGS if s in found]
