"""The user's own price: compute, time and labour from their figures, with every assumption stated. Pure.

`read_specs(texts)` picks the sizing figures a user states in passing ("a 7B model", "600 tokens each",
"2 epochs", "one A100", "8xH100", "$2/hour", "50,000 requests per day"); `price(approach, facts, specs)` turns
them and the interview's facts into an `Estimate`: the arithmetic as lines a reader can check, the totals, and
the assumptions the user can change by saying so ("assume an H100 at $2.50/hour").

Training compute uses the standard estimate of ≈ 6·N·D floating-point operations to train an N-parameter model
on D tokens (2·N·D forward, 4·N·D backward; Kaplan et al. 2020, "Scaling Laws for Neural Language Models"),
divided by the GPU's dense bf16 peak times a utilisation (MFU) typical of open-source trainers. LoRA skips the
weight gradients of the frozen model, so 6·N·D slightly overstates it; QLoRA pays for dequantising 4-bit weights,
so its utilisation is lower. Prices are typical on-demand cloud rental rates, an assumption the user can change.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from agent.engine import sft_epochs
from agent.numbers import SCALES, SUFFIX, human, number

# GPU class → (memory GB per card, dense bf16 peak TFLOP/s from the vendor's data sheet, typical on-demand rental
# US$/hour per card in 2025 cloud price lists). The price is an assumption the user can override.
GPUS: dict[str, tuple[float, float, float]] = {
    "H100": (80, 989, 3.00),
    "H200": (141, 989, 3.80),
    "A100": (80, 312, 1.80),
    "L40S": (48, 362, 1.00),
    "RTX A6000": (48, 155, 0.80),
    "A40": (48, 150, 0.70),
    "A10G": (24, 125, 1.00),
    "L4": (24, 121, 0.80),
    "RTX 4090": (24, 165, 0.60),
    "RTX 3090": (24, 71, 0.30),
    "T4": (16, 65, 0.35),
}
# How a training method is named on screen
METHOD_WORDS = {"full": "full fine-tuning", "lora": "LoRA", "qlora": "QLoRA (4-bit base weights)", "dpo": "DPO",
                "pretrain": "pretraining"}
# Model FLOPs utilisation: the share of peak a typical open-source trainer reaches (Hugging Face Trainer/PEFT,
# FSDP). Large hand-tuned runs reach 40–50%; these are deliberately middle-of-the-road.
MFU = {"full": 0.35, "lora": 0.25, "qlora": 0.15, "dpo": 0.25, "pretrain": 0.40}
# Each run also spends time outside the loop: loading the model, evaluation, checkpoints (GPU-hours per run).
RUN_OVERHEAD_GPU_H = 0.5
# A project rarely trains once: hyper-parameter trials and reruns after fixing data (runs, low–high).
RUNS = (1, 4)
DEFAULT_TOKENS_PER_EXAMPLE = 500  # a prompt and its answer, when the user did not say
DEFAULT_PARAMS_B = {"qlora": 7.0, "lora": 7.0, "full": 7.0, "dpo": 7.0, "pretrain": 1.0}
DEFAULT_EPOCHS = {"full": 2.0, "lora": 2.0, "qlora": 2.0, "dpo": 1.0, "pretrain": 1.0}
# Labelling: writing an answer from scratch takes experts ≈ 5 min, reviewing a drafted one ≈ 2 min (practitioner
# figures; the guides also note data work is the larger share of a fine-tuning project).
LABEL_MINUTES = (2, 5)
LABEL_RATE_USD_H = 50  # a domain expert's loaded hourly cost (assumption)
# Serving: one GPU running an inference server (vLLM, TGI) with batching handles tens of requests per second for a
# 7B model; a month ≈ 730 hours.
HOURS_PER_MONTH = 730
REQUESTS_PER_GPU_PER_S = 5.0  # sustained, short prompts, batched; conservative
# Hosted inference price per million tokens of a mid-size model (assumption), for RAG's running cost.
HOSTED_USD_PER_M_TOKENS = 0.50
RAG_TOKENS_PER_QUERY = 2_500  # the question, ≈ 4 retrieved passages and the answer
PROMPT_TOKENS_PER_REQUEST = 3_000  # a structured prompt with few-shot examples, the input and the answer
# Hosted prices per million tokens, small (GPT-4o-mini class) to large (frontier class), blended input and output
HOSTED_USD_PER_M_TOKENS_BAND = (0.15, 5.0)

_GPU_RX = re.compile(r"(?:(?P<n>\d+|one|two|four|eight|sixteen)\s*(?:x|×|\*)?\s*)?(?:nvidia\s+)?"
                     r"(?P<gpu>h100|h200|a100|l40s|(?:rtx\s*)?a6000|a40|a10g?|l4|(?:rtx\s*)?4090|(?:rtx\s*)?3090|t4)\b"
                     r"(?:\s*(?:with\s+)?(?P<mem>\d{2,3})\s?gb)?", re.I)
_WORDS = {"one": 1, "two": 2, "four": 4, "eight": 8, "sixteen": 16}


# ---- money rates, in any of the forms users write them ---------------------------------------------------------
# "$2.50/h", "2,50 $/h", "€45/h", "USD 1.8 per GPU-hour", "$0.40/M in", "$3 per million training tokens",
# "1.200 € per month". The amount may carry a decimal comma (two digits or fewer after it) or thousands separators
# (three digits after each); the currency stands before or after it.
_AMOUNT = r"(?P<amt>\d{1,3}(?:[ \u00a0.,]\d{3})+(?:[.,]\d{1,2})?(?!\d)|\d+(?:[.,]\d{1,2})?(?!\d))"
_CURRENCY = r"(?:[$€£]|us\$|usd|eur|gbp|dollars?|euros?|pounds?)"
_PER_UNIT = (r"\s*(?:/|per|an?|each|for (?:an?|one|each))\s*(?P<per>(?:gpu|card|instance|node)[- ]?(?:hour|hr|h)\b|"
             r"(?:hour|hr|h)\b|month\b|mo\b|day\b|(?:1\s?m|million|mln|m)\b(?:\s+(?:training|input|output|prompt|"
             r"completion))?(?:\s+tokens?)?(?:\s+(?:of\s+)?(?:in|out|input|output|prompt|completion|training)\b)?|"
             r"(?:1\s?k|thousand|k)\s+tokens?\b)")
_RATE_RX = re.compile(r"(?:(?P<cur1>" + _CURRENCY + r")\s?" + _AMOUNT + r"|" + _AMOUNT.replace("amt", "amt2") +
                      r"\s?(?P<cur2>" + _CURRENCY + r"))" + _PER_UNIT, re.I)
# "$2.50 in / $10 out per million": two token prices sharing one unit, each side said after its amount
_PAIRED_RX = re.compile(r"(?P<cur1>" + _CURRENCY + r")\s?(?P<a>\d+(?:[.,]\d{1,3})?)\s*(?P<s1>in(?:put)?|out(?:put)?|prompt|"
                        r"completion)\s*(?:/|,|and|\+)\s*(?P<cur2>" + _CURRENCY + r")?\s?(?P<b>\d+(?:[.,]\d{1,3})?)\s*"
                        r"(?P<s2>in(?:put)?|out(?:put)?|prompt|completion)\s*(?:/|per|a|each)\s*(?:1\s?m|million|mln|m)\b", re.I)
# a token price said of an embedding model ("text-embedding-3-small ($0.02 per 1M tokens)") prices indexing only
_EMBEDDING_WORDS = re.compile(r"\bembed\w*", re.I)
# Whose hour a rate prices: the cards' (named by a GPU, a cloud or a rental word) or people's (named by a person or
# their work). A sentence that names neither prices compute, as "$2/hour" alone usually does.
_COMPUTE_WORDS = re.compile(r"\b(?:gpus?|cards?|instances?|nodes?|servers?|cloud|rent\w*|provider|vast|runpod|lambda|"
                            r"aws|gcp|azure|compute)\b|" + _GPU_RX.pattern, re.I)
_PEOPLE_WORDS = re.compile(r"\b(?:people|staff|person|persons|team|salar\w*|wages?|freelanc\w*|contractors?|"
                           r"students?|interns?|label\w*|annotat\w*|review\w*|writ(?:e|es|ing|ers?)|cod(?:ers?|ing)|"
                           r"editors?|engineers?|translators?|lawyers?|doctors?|nurses?|experts?|specialists?|"
                           r"consultants?|teachers?|tutors?|agents?|analysts?|accountants?|auditors?|paralegals?|"
                           r"moderators?|vets?|adjusters?|officers?|clerks?|underwriters?|inspectors?|[a-z]{3,}(?:ists?|ians?))\b|"
                           # someone's minutes per item are people's time: "about 5 minutes per letter at €42 per hour"
                           r"\b\d+(?:[.,]\d+)?\s*(?:min(?:ute)?s?|sec(?:ond)?s?)\s*(?:per|each|an?|/)\s*[a-z]{3,}", re.I)


@dataclass
class Rate:
    amount: float
    currency: str  # "$", "€", "£"
    per: str  # "hour" · "month" · "day" · "m_tokens"
    side: str  # for token prices: "in" · "out" · "training" · "" (every token); "" otherwise
    whose: str  # for hourly rates: "compute" · "people"; "" otherwise


def _amount(text: str) -> float:
    """"2,50" → 2.5, "1.200" → 1200, "1 200,50" → 1200.5, "2.5" → 2.5: a last group of one or two digits after the
    final separator is the decimal part; groups of three are thousands."""
    text = text.replace("\u00a0", " ")
    m = re.match(r"^(.*?)(?:[.,](\d{1,2}))?$", text)
    whole, decimals = m.group(1), m.group(2)
    value = float(re.sub(r"[ .,]", "", whole) or 0)
    return value + (float("0." + decimals) if decimals else 0.0)


def _currency(word: str) -> str:
    w = word.lower()
    return "€" if w.startswith(("€", "eur")) else "£" if w.startswith(("£", "gbp", "pound")) else "$"


def rates(text: str) -> list[Rate]:
    """Every money rate in `text` with what it is per, and, for an hourly rate, whose hour it prices: a sentence
    naming cards, a cloud or renting prices compute; one naming people or their work (labelling, reviewing,
    "agronomist cost €45/h") prices people."""
    out = []
    paired = []
    for m in _PAIRED_RX.finditer(text or ""):
        for amt, side in ((m.group("a"), m.group("s1")), (m.group("b"), m.group("s2"))):
            out.append(Rate(_amount(amt), _currency(m.group("cur1")), "m_tokens",
                            "out" if side.lower().startswith(("out", "compl")) else "in", ""))
        paired.append((m.start(), m.end()))
    for m in _RATE_RX.finditer(text or ""):
        if any(a <= m.start() < b for a, b in paired):
            continue
        per_word = m.group("per").lower()
        amount = _amount(m.group("amt") or m.group("amt2"))
        if re.match(r"(?:1\s?k|thousand|k)\b", per_word):
            per, amount = "m_tokens", amount * 1000  # "$0.002 per 1k tokens" = $2 per million
        elif re.match(r"(?:1\s?m|million|mln|m)\b", per_word):
            per = "m_tokens"
        elif re.search(r"(?:^|[- ])(?:hour|hr|h)$|^(?:hour|hr|h)$", per_word):
            per = "hour"
        else:
            per = "month" if per_word.startswith("mo") else "day"
        side = ""
        if per == "m_tokens":
            side = ("training" if "train" in per_word else "in" if re.search(r"\b(?:in|input|prompt)\b", per_word)
                    else "out" if re.search(r"\b(?:out|output|completion)\b", per_word) else "")
            if not side and _EMBEDDING_WORDS.search(text[max(0, m.start() - 40):m.start()]):
                side = "embedding"
        whose = ""
        if per == "hour":
            whose = "compute" if re.match(r"(?:gpu|card|instance|node)", per_word) else ""
            if not whose:
                # the clause around the figure: from the last sentence end before it to the next one after it
                lo = max(text.rfind(c, 0, m.start()) for c in ".;!?\n") + 1
                ends = [i for i in (text.find(c, m.end()) for c in ".;!?\n") if i >= 0]
                clause = text[lo:min(ends) if ends else len(text)]
                before = text[lo:m.start()]
                compute, people = _COMPUTE_WORDS.search(clause), _PEOPLE_WORDS.search(clause)
                if compute and people:  # both named: the nearer word before the figure decides
                    last = {kind: max((x.end() for x in rx.finditer(before)), default=-1)
                            for kind, rx in (("compute", _COMPUTE_WORDS), ("people", _PEOPLE_WORDS))}
                    whose = max(last, key=last.get)
                else:
                    whose = "people" if people and not compute else "compute"
        out.append(Rate(amount, _currency(m.group("cur1") or m.group("cur2")), per, side, whose))
    return out


@dataclass
class Specs:
    """Sizing figures the user stated; None = not said (a default is then assumed and said so)."""

    params_b: float | None = None  # model size, billions of parameters
    tokens_per_example: float | None = None
    epochs: float | None = None
    gpu: str | None = None  # a key of GPUS
    gpu_memory_gb: float | None = None  # the card's memory when the user names a variant ("A100 40GB")
    gpu_count: int | None = None
    usd_per_gpu_hour: float | None = None
    method: str | None = None  # lora · qlora · full · dpo · pretrain (a stated method wins over the approach's)
    requests_per_day: float | None = None
    tokens_in: float | None = None  # tokens per request, prompt side ("~800 input + 200 output tokens each")
    tokens_out: float | None = None  # tokens per request, answer side
    api_usd_per_m_in: float | None = None  # a hosted API's price per million input tokens
    api_usd_per_m_out: float | None = None  # … and per million output tokens
    pages: float | None = None
    label_minutes: float | None = None
    label_rate: float | None = None
    currency: str = "$"  # the user's currency for people's rates ("€95 per hour")
    to_label: float | None = None  # how many examples the user asks to have labelled
    train_usd_per_m: float | None = None  # a hosted fine-tuning service's price per million training tokens
    embed_usd_per_m: float | None = None  # an embedding model's price per million tokens (indexing)
    days_per_month: float | None = None  # days the service runs in a month ("22 working days a month")
    tokens_per_pair: bool = False  # the tokens per example were given per preference pair, both answers included


def _num(text: str) -> float:
    """A number as users write it, in any locale ("1,200", "1.000.000", "1 200": agent.numbers); 0 for what is not
    one (a run of separators)."""
    try:
        return number(text.strip())
    except ValueError:
        return 0.0


_MULTIPLIERS = {**SUFFIX, **SCALES, "mln": 1e6}  # "15k", "2 million", "3 mln"


def _scaled(number: str, multiplier: str | None = None) -> float:
    """"15k", "2 million", "2.5k" as a number ("1,200" keeps its thousands separator)."""
    number = number.strip()
    tail = re.search(r"(k|m)$", number)
    if tail:
        number, multiplier = number[:-1].strip(), multiplier or tail.group(1)
    return _num(number) * _MULTIPLIERS.get((multiplier or "").strip(), 1)


# Plural nouns that measure (time, text, money, hardware, training) rather than count things: never traffic, never
# items to label
_NOT_ITEMS = (r"(?!(?:minutes?|mins?|hours?|days?|weeks?|months?|years?|tokens?|words?|pages?|gb|mb|tb|epochs?|steps|"
              r"gpus?|cards?|people|points?|percent|dollars?|euros?|pounds?)\b)")
# "2 million requests/month", "15k queries/day", "300 chats a week": traffic, scaled to requests a day
_VOLUME_RX = re.compile(r"(?P<n>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])|\d[\d,.]{0,15}) ?(?P<mult>million|thousand|mln|m\b|k\b)? ?"
                        r"(?:[a-z]+ )?"  # "40 000 conversations/day": a space between thousands, as many locales write
                        # anything counted by the day or month is traffic ("40k titles a month", "300 questions a
                        # day"), except units of time, text, money or hardware
                        + _NOT_ITEMS + r"[a-z]{3,}s"
                        r"\s*(?:a|per|/|each)\s*(?P<per>day|month|week|hour|year)\b")
_PER_DAY = {"day": 1, "week": 7, "month": 30, "year": 365, "hour": 1 / 24}


# A figure as users write it: "2 500" and "1.200" (thousands in other locales), "1,500", "2.5"
_FIGURE = r"(?:\d{1,3}(?:[ \u00a0.,]\d{3})+(?![\d])|\d+(?:[.,]\d+)?)"


_ITEM_COUNT = re.compile(r"(?<![\d$€£.,])(" + _FIGURE + r")\s*(k)?\s+" + _NOT_ITEMS + r"(?:[a-z-]+\s+)?([a-z]{3,}s)\b", re.I)


def item_count(text: str) -> float | None:
    """The count of things a sentence names ("is 4 000 calls the right number?" → 4,000), not of units of time,
    text, money or hardware; the largest when several are named; None when there is none."""
    counts = [_num(m.group(1)) * (1000 if m.group(2) else 1) for m in _ITEM_COUNT.finditer(text or "")]
    return max(counts) if counts else None


def read_specs(texts: Iterable[str]) -> Specs:
    """Sizing figures from the user's messages; a later message overrides an earlier one."""
    s = Specs()
    for raw in texts:
        t = " " + (raw or "").lower() + " "
        if m := re.findall(r"(\d+(?:\.\d+)?)\s?b\b(?!\s*tokens)(?![- ]?(?:token|tok))", t):
            s.params_b = float(m[-1])
        if m := re.search(r"(" + _FIGURE + r")\s*tokens?\s*(?:each|per (?:example|pair|sample|item))|"
                          r"(?:about|around|roughly|~)?\s*(" + _FIGURE + r")\s*tokens?\s*(?:each|per)", t):
            s.tokens_per_example = _num(m.group(1) or m.group(2))
            s.tokens_per_pair = bool(re.search(r"tokens?\s*per pair\b", t))
        elif m := re.search(r"examples? (?:of|at) (?:about |around |roughly |~)?(" + _FIGURE + r")\s*tokens", t) or re.search(
                r"\b(?:average|avg\.?|on average|mean|typically)\s*(?:of\s*)?(?:maybe |about |around |roughly |~)?(" + _FIGURE + r")\s*tokens", t):
            s.tokens_per_example = _num(m.group(1))  # "3 400 dialogues, average maybe 600 tokens"
        prompt = re.search(r"\bprompts?\b\W{0,3}(?:is |are |of |at )?(?:about |around |roughly |~\s?)?(" + _FIGURE + r")\s*tokens", t)
        answer = re.search(r"\b(?:answers?|stor(?:y|ies)|responses?|replies|reply|outputs?|completions?|summar(?:y|ies)|"
                           r"drafts?|versions?)\b\W{0,3}(?:is |are |of |at )?(?:about |around |roughly |~\s?)?(" + _FIGURE + r")"
                           r"\s*tokens", t)
        if prompt and answer:  # "prompt ~500 tokens, each story ~300 tokens": an example is both
            s.tokens_per_example = _num(prompt.group(1)) + _num(answer.group(1))
        if m := re.search(r"(\d+(?:\.\d+)?)\s*epochs?", t):
            s.epochs = float(m.group(1))
        if m := list(_GPU_RX.finditer(t)):
            g = m[-1]
            name = re.sub(r"\s+", "", g.group("gpu")).upper().replace("RTX", "")
            s.gpu = {"4090": "RTX 4090", "3090": "RTX 3090", "A10": "A10G", "A6000": "RTX A6000"}.get(name, name)
            s.gpu_memory_gb = float(g.group("mem")) if g.group("mem") else None
            if g.group("n"):
                s.gpu_count = int(_WORDS.get(g.group("n"), g.group("n")))
            elif s.gpu_count is None:
                s.gpu_count = 1
        if re.search(r"\bqlora\b", t):
            s.method = "qlora"
        elif re.search(r"\bfull(?:[- ]parameter)? fine[- ]?tun", t) or re.search(r"\bfull,? not lora\b", t):
            s.method = "full"
        elif re.search(r"\bdpo\b", t):
            s.method = "dpo"
        elif re.search(r"\blora\b", t) and s.method is None:
            s.method = "lora"
        if m := _VOLUME_RX.search(t):
            s.requests_per_day = _scaled(m.group("n"), m.group("mult")) / _PER_DAY[m.group("per")]
        if m := re.search(rf"({_FIGURE} ?k?) ?(?:tokens? )?(?:input|prompt|in)(?: tokens?)? ?(?:\+|and|,|/) ?"
                          rf"({_FIGURE} ?k?) ?(?:tokens? )?(?:output|completion|out)\b", t):  # "1,500 tokens in and 250 out"
            s.tokens_in, s.tokens_out = _scaled(m.group(1)), _scaled(m.group(2))
        if m := re.search(r"(" + _FIGURE + r")\s*pages", t):
            s.pages = _num(m.group(1))
            docs = re.search(rf"({_FIGURE} ?k?)\s+(?:[\w-]+\s+){{0,2}}(?:documents?|docs?|reports?|files?|pdfs?|manuals?|"
                             r"contracts?|papers?|books?)\b", t)
            each = re.match(r"\s*pages?\s*(?:each|per|apiece|on average)", t[m.end(1):])
            # "18.000 PDF technical manuals, average 60 pages": the per-document length said just after the count
            averaged = docs and docs.end() <= m.start(1) and re.fullmatch(
                r"[\s,;:(]*(?:(?:on )?average|avg\.?|each|about|around|roughly|approx\.?|typically|~)[\s:]*(?:of\s*)?"
                r"(?:about |around |roughly |~\s?)?", t[docs.end():m.start(1)])
            if docs and (each or averaged):
                s.pages *= _scaled(docs.group(1))  # "2,5k PDF reports, about 40 pages each"
        if m := re.search(r"(\d+(?:\.\d+)?)\s*min(?:ute)?s?\s*(?:per|an?|each|/)\s*(?!hour|day|week|month|year)[a-z]{3,}", t) or \
                re.search(r"\b(?:label(?:l?ing)?|coding|cod(?:e|es)|review(?:ing)?|annotat\w*|writ\w+|check\w*) (?:one|a|each|every)"
                          r" (?:\w+ ){0,2}(?:takes?|took|is|needs?|in)[^.;]{0,20}?(\d+(?:\.\d+)?)\s*min", t):
            s.label_minutes = float(m.group(1))  # "coding one case carefully takes them ~6 minutes"
        elif m := re.search(r"(\d+(?:\.\d+)?)\s*(?:sec(?:ond)?s?|s)\s*(?:per|an?|each|/)\s*[a-z]{3,}", t):
            s.label_minutes = float(m.group(1)) / 60  # "a teacher needs ~45 sec per comparison"
        for r in rates(t):  # every price the message states, by what it is per and whose hour it is
            if r.per == "hour" and r.whose == "people":
                s.label_rate, s.currency = r.amount, r.currency
            elif r.per == "hour":
                s.usd_per_gpu_hour = r.amount
            elif r.per == "m_tokens" and r.side == "embedding":
                s.embed_usd_per_m = r.amount
            elif r.per == "m_tokens" and r.side == "training":
                s.train_usd_per_m = r.amount  # a hosted fine-tuning service's price per training token
            elif r.per == "m_tokens" and r.side in ("in", "out"):
                setattr(s, f"api_usd_per_m_{r.side}", r.amount)
            elif r.per == "m_tokens":
                s.api_usd_per_m_in = s.api_usd_per_m_out = r.amount  # one price for every token
        if m := re.search(r"\b(\d{1,2})\s+(?:working |work |business |week)?days? (?:a|per|each|/) ?month\b", t):
            s.days_per_month = float(m.group(1))  # "22 working days a month"
        if m := re.search(r"\blabel(?:l?ing)?\s+(?:another\s+|about\s+|~)?(" + _FIGURE + r"\s*k?)\s+(?:more\s+)?", t):
            s.to_label = _scaled(m.group(1))  # "what would it cost to label 5,000 more cases?"
    return s


def apply_assumptions(specs: Specs, texts: Iterable[str]) -> Specs:
    """The user's stated changes to assumptions win ("assume an H100 at $2.50/hour")."""
    told = read_specs(texts)
    return replace(specs, **{k: v for k, v in told.__dict__.items() if v is not None})


@dataclass
class Estimate:
    """What a route costs the user: arithmetic lines, totals and the assumptions behind them."""

    title: str
    lines: list[str] = field(default_factory=list)  # the arithmetic, one step a line
    assumptions: list[str] = field(default_factory=list)  # what the user can change
    usd: tuple[float, float] | None = None  # compute / running cost, low–high
    hours: tuple[float, float] | None = None  # wall-clock hours of training, low–high
    labour: str = ""  # data-preparation labour, when it applies
    summary: str = ""  # one sentence
    sharded: str = ""  # when the stated cards cannot hold the run: the cards it is priced on, and how to fit fewer

    def as_dict(self) -> dict:
        return {"title": self.title, "lines": self.lines, "assumptions": self.assumptions,
                "usd": list(self.usd) if self.usd else None, "hours": list(self.hours) if self.hours else None,
                "labour": self.labour, "summary": self.summary, "sharded": self.sharded}


def money(usd: float) -> str:
    if usd < 10:
        return f"${usd:,.2f}" if usd < 1 else f"${usd:,.0f}"
    digits = 2 if usd < 1_000 else 3
    rounded = float(f"{usd:.{digits}g}")
    return f"${human(rounded)}" if rounded >= 10_000 else f"${rounded:,.0f}"


def duration(hours: float) -> str:
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 48:
        return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"
    return f"{hours / 24:.1f} days"


def _gpu(specs: Specs, facts: Mapping[str, Any], method: str, params_b: float) -> tuple[str, int, bool]:
    """The GPU class and count: the user's, else the smallest common class that holds the method; True when assumed."""
    if specs.gpu:
        return specs.gpu, specs.gpu_count or 1, False
    compute = facts.get("compute") or {}
    gpus, per_card = int(compute.get("gpus") or 0), float(compute.get("gpu_memory_gb") or 0)
    if gpus and per_card:
        name = next((g for g, (mem, _, _) in sorted(GPUS.items(), key=lambda kv: kv[1][0])
                     if mem >= per_card), "H100")
        return name, gpus, False
    need = memory_gb(method, params_b)
    if method == "pretrain":
        return "H100", 8, True  # from scratch is never a one-card job: a node of 8 is the smallest sensible unit
    if need <= 24:
        return "L40S" if need > 20 else "A10G", 1, True
    if need <= 80:
        return "H100", 1, True
    return "H100", max(2, 2 ** math.ceil(math.log2(need / 80))), True


def memory_gb(method: str, params_b: float) -> float:
    """Training memory for weights, gradients and optimizer state, plus ≈ 20% for activations at moderate
    sequence lengths (GB). Bytes per parameter: full with Adam ≈ 16; LoRA on bf16 weights ≈ 2 (+ small adapters);
    QLoRA on 4-bit NF4 weights with double quantisation ≈ 0.5 (the QLoRA paper tunes a 65B model on one 48 GB card);
    DPO as LoRA plus a reference pass."""
    per_param = {"full": 16, "pretrain": 16, "lora": 2.2, "dpo": 2.2, "qlora": 0.5}[method]
    return params_b * per_param * 1.2 + 2


def _size(params_b: float) -> str:
    """"a 7B", "an 8B", "an 11B", "an 800B": the article goes by how the figure is read aloud (eight…, eleven,
    eighteen)."""
    figure = f"{params_b:g}"
    article = "an" if re.match(r"8|1[18](?:\.|$)", figure) else "a"
    return f"{article} {figure}B"


def _counted(n: float, one: str, many: str | None = None) -> str:
    """"1 epoch", "2 epochs", "1.5 passes"."""
    return f"{n:g} {one if n == 1 else many or one + 's'}"


def _epochs(specs: Specs, method: str, e: Estimate, examples: float | None = None) -> float:
    """The epochs a run makes: the user's, else the plan's rule for that many examples (a supervised run), else the
    method's default; an assumed count is listed as an assumption."""
    planned = sft_epochs(int(examples)) if examples and method in ("lora", "qlora", "full") else None
    epochs = specs.epochs or planned or DEFAULT_EPOCHS[method]
    if specs.epochs is None:
        e.assumptions.append(_counted(epochs, "epoch"))
    return epochs


def _training(method: str, facts: Mapping[str, Any], specs: Specs, title: str, tokens: float | None = None,
              examples: float | None = None) -> Estimate:
    e = Estimate(title)
    params_b = specs.params_b or DEFAULT_PARAMS_B[method]
    if specs.params_b is None:
        e.assumptions.append(f"{_size(params_b)}-parameter model (say the size you mean)")
    n = examples if examples is not None else facts.get("preference_data" if method == "dpo" else "labeled_examples")
    corpus = facts.get("unlabeled_corpus")
    if tokens is None and n is None and corpus and method in ("full", "lora", "qlora"):
        # no example count, but the text to train on is stated in tokens ("2 epochs over our 200M tokens of
        # reports"): the fine-tune runs over that text
        epochs = _epochs(specs, method, e)
        tokens = corpus * epochs
        e.lines.append(f"data: your {human(corpus)} tokens × {_counted(epochs, 'epoch')} = {human(tokens)} training "
                       "tokens")
    elif tokens is None:
        if n is None:
            n = 1_000
            e.assumptions.append("1,000 examples (you have not said how many)")
        per = specs.tokens_per_example or DEFAULT_TOKENS_PER_EXAMPLE
        if specs.tokens_per_example is None:
            e.assumptions.append(f"{per:,.0f} tokens per example (prompt and answer)")
        epochs = _epochs(specs, method, e, examples=n)
        if method == "dpo" and not specs.tokens_per_pair:
            per *= 2  # a pair carries two answers to the same prompt (unless the user sized the whole pair)
        tokens = n * per * epochs
        e.lines.append(f"data: {human(n)} {'pairs (two answers each)' if method == 'dpo' else 'examples'} × "
                       f"{human(per)} tokens × {_counted(epochs, 'epoch')} = {human(tokens)} training tokens")
    else:
        epochs = specs.epochs or 1.0
        tokens = tokens * epochs
        e.lines.append(f"data: {human(tokens)} tokens × {_counted(epochs, 'pass', 'passes')}")
    flops = 6 * params_b * 1e9 * tokens
    if method == "dpo":
        flops *= 4 / 3  # the frozen reference model's forward pass on both answers adds ≈ 2·N·D of the 6·N·D
    e.lines.append(f"compute: 6 × {params_b:g}B parameters × {human(tokens)} tokens ≈ {flops:.1e} FLOPs"
                   + (" (plus ⅓ for the reference model)" if method == "dpo" else ""))
    gpu, count, assumed = _gpu(specs, facts, method, params_b)
    mem, peak, price = GPUS[gpu]
    if specs.gpu == gpu and specs.gpu_memory_gb:
        mem = specs.gpu_memory_gb  # "8 x A100 40GB": the variant the user has
    if specs.usd_per_gpu_hour is not None:
        price = specs.usd_per_gpu_hour
    need = memory_gb(method, params_b)
    short_of = ""
    if need > mem * count:
        line = (f"memory: {METHOD_WORDS[method]} of {_size(params_b)} model needs ≈ {need:.0f} GB; {count} × {gpu} "
                f"({mem:g} GB) is not enough")
        # the lighter methods on the same cards, lightest last: LoRA on 16-bit weights, then QLoRA on 4-bit ones
        lighter = {"full": ["lora", "qlora"], "dpo": ["qlora"], "lora": ["qlora"]}.get(method, [])
        fitting = next((m for m in lighter if memory_gb(m, params_b) <= mem * count), None)
        if fitting:
            small = memory_gb(fitting, params_b)
            cards = max(1, math.ceil(small / mem))
            line += (f" — {METHOD_WORDS[fitting]} needs ≈ {small:.0f} GB, which fits on "
                     f"{'one card' if cards == 1 else f'{cards} cards'}")
        else:
            line += " — use more cards or a smaller model"
        e.lines.append(line)
        # the run is priced on as many of these cards as hold it, never as if it fitted the ones it does not
        cards = math.ceil(need / mem)
        fit_here = ("an 8-bit optimizer with its state offloaded to CPU memory (DeepSpeed ZeRO-Offload), slower, "
                    "or a smaller model" if method in ("full", "pretrain") else "a smaller model")
        e.sharded = (f"priced on {cards} × {gpu}, sharded with FSDP or DeepSpeed ZeRO-3"
                     + (f" ({cards - count} more than you have)" if not assumed else "")
                     + f"; to stay on {'your' if not assumed else 'the'} {_counted(count, 'card')}: {fit_here}")
        e.lines.append(e.sharded)
        short_of = f" ({count} × {gpu} is not enough memory)"
        count = cards
    else:
        e.lines.append(f"memory: ≈ {need:.0f} GB needed; {count} × {gpu} has {count * mem:g} GB"
                       + (" (sharded across cards with FSDP)" if count > 1 and need > mem else ""))
    rate = peak * 1e12 * MFU[method] * count
    hours = flops / rate / 3600
    e.lines.append(f"speed: {count} × {gpu} at {peak:g} TFLOP/s × {MFU[method]:.0%} utilisation → "
                   f"{duration(hours)} of training")
    gpu_hours = (hours + RUN_OVERHEAD_GPU_H) * count
    lo, hi = gpu_hours * price * RUNS[0], gpu_hours * price * RUNS[1]
    e.lines.append(f"cost: ({duration(hours)} + {RUN_OVERHEAD_GPU_H:g} h loading and evaluating) × {count} GPU × "
                   f"${price:.2f}/h = {money(lo)} a run; {RUNS[0]}–{RUNS[1]} runs with trials → {money(lo)}–{money(hi)}")
    if assumed:
        e.assumptions.append(f"{count} × {gpu} ({mem:g} GB) rented")
    e.assumptions.append(f"${price:.2f} per GPU-hour" + (" (typical on-demand price)" if specs.usd_per_gpu_hour is None
                                                          else ""))
    e.usd, e.hours = (lo, hi), (hours, hours * 2)
    e.summary = (f"about {duration(hours)} on {count} × {gpu}{short_of}, {money(lo)}–{money(hi)} of compute")
    if specs.train_usd_per_m and method != "pretrain":
        # a hosted fine-tuning service bills the training tokens, not GPU-hours: its price is the user's figure
        hosted = tokens / 1e6 * specs.train_usd_per_m
        e.lines.insert(1, f"hosted fine-tuning: {human(tokens)} training tokens × ${specs.train_usd_per_m:g} per million "
                          f"= {money(hosted)} a run (the GPU lines below are for training it yourself instead)")
        e.lines.append("using it afterwards: hosted services usually charge more per token for a fine-tuned model than "
                       "for its base (often about 1.5–2×), so a high-volume use can cost more to run than to train")
        e.usd = (hosted, hosted * RUNS[1])
        e.summary = f"{money(hosted)} a run on the hosted service ({money(hosted)}–{money(hosted * RUNS[1])} with trials)"
    return e


def labour(examples: float, specs: Specs) -> str:
    lo_min, hi_min = (specs.label_minutes, specs.label_minutes) if specs.label_minutes else LABEL_MINUTES
    rate = specs.label_rate or LABEL_RATE_USD_H
    cur = specs.currency if specs.label_rate else "$"
    lo_h, hi_h = examples * lo_min / 60, examples * hi_min / 60
    minutes = f"{lo_min:g}" if lo_min == hi_min else f"{lo_min:g}–{hi_min:g}"
    hours = f"{lo_h:,.0f}" if lo_h == hi_h else f"{lo_h:,.0f}–{hi_h:,.0f}"
    cost = (money(lo_h * rate) if lo_h == hi_h else f"{money(lo_h * rate)}–{money(hi_h * rate)}").replace("$", cur)
    return (f"labelling or reviewing {human(examples)} examples at {minutes} min each is {hours} expert hours "
            f"≈ {cost} at {cur}{rate:g}/h — usually more than the GPU bill; label a first batch of 200–300 and check "
            "the signal before doing all of them")


def serving(facts: Mapping[str, Any], specs: Specs) -> Estimate:
    e = Estimate("hosting the tuned model")
    per_day = specs.requests_per_day
    if per_day is None:
        per_day = 10_000
        e.assumptions.append("10,000 requests a day")
    peak_rps = per_day / 86_400 * 3  # traffic is bunched into working hours: ≈ 3× the daily average at peak
    gpus = max(1, math.ceil(peak_rps / REQUESTS_PER_GPU_PER_S))
    params_b = specs.params_b or 7
    default = "A10G" if params_b <= 8 else ("L40S" if params_b <= 20 else "H100")
    serve_gb = params_b * 2 * 1.2  # 16-bit weights plus ≈ 20% for the KV cache of a modest batch
    gpu = specs.gpu if specs.gpu in GPUS and GPUS[specs.gpu][0] >= serve_gb else default  # the user's card, if it holds it
    price = specs.usd_per_gpu_hour or GPUS[gpu][2]
    monthly = gpus * price * HOURS_PER_MONTH
    e.lines += [f"traffic: {human(per_day)} requests a day ≈ {per_day / 86_400:.2f}/s on average, ≈ {peak_rps:.1f}/s "
                "at peak",
                f"capacity: one {gpu} with a batching inference server (vLLM or TGI) serves ≈ "
                f"{REQUESTS_PER_GPU_PER_S:g} requests/s of {_size(params_b)} model → {gpus} GPU(s)",
                f"cost: {gpus} × ${price:.2f}/h × {HOURS_PER_MONTH} h/month ≈ {money(monthly)} a month, always on"]
    weights_gb, card_gb = params_b * 2, GPUS[gpu][0]
    if weights_gb > 0.6 * card_gb:
        # what is left beside 16-bit weights holds the attention cache of the requests served at once
        context = (f" ({human((specs.tokens_in or 0) + (specs.tokens_out or 0))} tokens each)" if specs.tokens_in
                   else "")
        e.lines.append(f"memory: {_size(params_b)} model's 16-bit weights take ≈ {weights_gb:.0f} GB of the {gpu}'s "
                       f"{card_gb:g} GB, leaving ≈ {card_gb - weights_gb:.0f} GB for the KV cache of the requests "
                       f"served at once{context}; 8-bit or 4-bit weights free room for larger batches, and peak hours "
                       "decide how many cards you need")
    e.assumptions += [f"{gpu} at ${price:.2f}/h", f"{_size(params_b)} model" + ("" if specs.params_b else " (assumed)")]
    e.usd = (monthly, monthly * 1.5)
    e.summary = f"about {money(monthly)}–{money(monthly * 1.5)} a month for {gpus} × {gpu}"
    if specs.api_usd_per_m_in is not None and specs.tokens_in:
        # the hosted API on the same traffic, so the two can be compared line by line
        per_month = per_day * (specs.days_per_month or 30)
        usd_in, usd_out = specs.api_usd_per_m_in, specs.api_usd_per_m_out or specs.api_usd_per_m_in
        api = per_month * (specs.tokens_in * usd_in + (specs.tokens_out or 0) * usd_out) / 1e6
        e.lines.append(f"hosted API: {human(per_month)} requests × ({human(specs.tokens_in)} input tokens × "
                       f"${usd_in:g}/M + {human(specs.tokens_out or 0)} output × ${usd_out:g}/M) ≈ {money(api)} a month")
        cheaper = "the hosted API" if api < monthly else "self-hosting"
        e.lines.append(f"at this volume {cheaper} is cheaper ({money(min(api, monthly))} against "
                       f"{money(max(api, monthly))} a month), before engineer time for running your own server")
    e.labour = ("cheaper: merge the adapter into the weights and quantise to 8 or 4 bits (a smaller card), batch "
                "requests, or scale to zero off-hours; budget engineer time for monitoring, latency alarms and "
                "versioned rollouts")
    return e


def _rag(facts: Mapping[str, Any], specs: Specs) -> Estimate:
    e = Estimate("retrieval (RAG)")
    pages = specs.pages or 500
    if specs.pages is None and not facts.get("unlabeled_corpus"):
        e.assumptions.append("about 500 pages of documents")
    per_day = specs.requests_per_day or 1_000
    if specs.requests_per_day is None:
        e.assumptions.append("1,000 questions a day")
    corpus = facts.get("unlabeled_corpus")
    tokens_index = pages * 600 if specs.pages or not corpus else corpus  # ≈ 600 tokens per page
    days = specs.days_per_month or 30
    monthly_tokens = per_day * days * RAG_TOKENS_PER_QUERY
    running = monthly_tokens / 1e6 * HOSTED_USD_PER_M_TOKENS
    priced_at = f"${HOSTED_USD_PER_M_TOKENS:.2f} per million tokens hosted"
    if specs.api_usd_per_m_in is not None:
        # the user's own model prices: ≈ 90% of a RAG call's tokens are input (question and passages)
        usd_in, usd_out = specs.api_usd_per_m_in, specs.api_usd_per_m_out or specs.api_usd_per_m_in
        running = monthly_tokens / 1e6 * (0.9 * usd_in + 0.1 * usd_out)
        priced_at = f"your ${usd_in:g}/M input and ${usd_out:g}/M output (≈ 90% of the tokens are input)"
    indexed = (f"{human(pages)} pages × ≈ 600 tokens = {human(tokens_index)} tokens" if specs.pages or not corpus
               else f"your ≈ {human(tokens_index)} tokens")
    pace = "minutes on a CPU" if tokens_index <= 5e6 else "hours on a CPU, or well under an hour on one GPU"
    embed_cost = (f"≈ {money(tokens_index / 1e6 * specs.embed_usd_per_m)} at your ${specs.embed_usd_per_m:g}/M embedding "
                  "price" if specs.embed_usd_per_m is not None else "cents to a few dollars of compute")
    e.lines += [f"indexing once: {indexed} to embed — {pace}, {embed_cost}; no model training at "
                "all; re-index the documents that change",
                f"running: {human(per_day)} questions a day × {days:g} days × ≈ {RAG_TOKENS_PER_QUERY:,} tokens (question, "
                f"retrieved passages, answer) = {human(monthly_tokens)} tokens a month ≈ {money(running)} a month at "
                f"{priced_at}, or ≈ {money(GPUS['A10G'][2] * HOURS_PER_MONTH)} a month for one always-on self-hosted GPU",
                "people: 2–4 engineer-weeks to build it (chunking, retrieval tuning, an evaluation set of real "
                "questions with known answers), then a few hours a month to re-index changed documents and re-check "
                "the evaluation"]
    if specs.api_usd_per_m_in is None:
        e.assumptions.append(f"${HOSTED_USD_PER_M_TOKENS:.2f} per million tokens for a hosted mid-size model")
    e.usd = (running, GPUS["A10G"][2] * HOURS_PER_MONTH)
    e.summary = f"near-zero to build in compute, ≈ {money(running)}–{money(e.usd[1])} a month to run, plus 2–4 engineer-weeks"
    return e


def _prompting(facts: Mapping[str, Any], specs: Specs) -> Estimate:
    e = Estimate("prompt engineering")
    e.lines += ["no training: a day or two of writing the system prompt, output schema and few-shot examples, and "
                "scoring 5–10 variants on 50–100 real inputs",
                "evaluation calls: 10 variants × 100 inputs = 1,000 calls — a few dollars on a hosted model",
                "running: you pay per call; a long prompt with many examples costs tokens on every request"]
    e.usd = (0, 50)
    e.summary = "near zero: engineer days plus a few dollars of model calls"
    if specs.requests_per_day:
        per_request = (specs.tokens_in or 0) + (specs.tokens_out or 0) or PROMPT_TOKENS_PER_REQUEST
        monthly = specs.requests_per_day * 30 * per_request / 1e6
        lo, hi = monthly * HOSTED_USD_PER_M_TOKENS_BAND[0], monthly * HOSTED_USD_PER_M_TOKENS_BAND[1]
        e.lines[-1] = (f"running: {human(specs.requests_per_day)} requests a day × 30 × ≈ {human(per_request)} tokens "
                       f"= {human(monthly * 1e6)} tokens a month ≈ {money(lo)}–{money(hi)} a month (${HOSTED_USD_PER_M_TOKENS_BAND[0]:g} per "
                       f"million tokens for a small hosted model, ${HOSTED_USD_PER_M_TOKENS_BAND[1]:g} for a large one)")
        if not specs.tokens_in:
            e.assumptions.append(f"≈ {human(PROMPT_TOKENS_PER_REQUEST)} tokens a request (instructions, examples, the "
                                 "input and the answer)")
        e.usd = (lo, hi)
        e.summary = f"engineer days to build, then ≈ {money(lo)}–{money(hi)} a month of model calls"
    return e


def _stronger(facts: Mapping[str, Any], specs: Specs) -> Estimate:
    e = Estimate("a stronger base model")
    e.lines += ["testing: run 2–3 larger or reasoning-tuned models with your best prompt on 50–100 held-out cases — "
                "tens of dollars of calls",
                "running: a model 5–10× larger costs roughly 5–10× more per answer and answers more slowly; "
                "self-hosted, a 70B model needs ≈ 2 × 80 GB GPUs in bf16 (≈ 40 GB at 4 bits)"]
    e.usd = (10, 100)
    e.summary = "tens of dollars to test; the real cost is the higher price per answer"
    return e


# A training method said by name, in the user's words: (method, pattern)
METHOD_WORDS_SAID = [("full", re.compile(r"\bfull(?:[- ]parameter)?(?: fine[- ]?tun\w*| ?ft\b| finetun\w*|,? not lora)|"
                                          r"\bfull\b(?=,?\s*(?:or|,|vs\.?|versus)\s+(?:normal |plain )?q?lora\b)", re.I)),
                     ("qlora", re.compile(r"\bqlora\b", re.I)),
                     ("lora", re.compile(r"\b(?:normal |plain |regular |16-?bit )?lora\b(?!-)", re.I))]


def methods_named(text: str) -> list[str]:
    """The training methods a message names, in the order it names them ("full finetune, normal lora, or qlora")."""
    found = [(m.start(), method) for method, rx in METHOD_WORDS_SAID for m in rx.finditer(text or "")]
    return list(dict.fromkeys(method for _, method in sorted(found)))


METHOD_OF = {"lora_finetune": "lora", "full_finetune": "full", "preference_tuning": "dpo", "rag_and_finetune": "lora",
             "collect_data": "lora"}


def price(approach: str, facts: Mapping[str, Any], specs: Specs | None = None) -> Estimate:
    """The estimate for one approach on the user's facts and stated specs."""
    specs = specs or Specs()
    if approach == "rag":
        return _rag(facts, specs)
    if approach == "prompt_engineering":
        return _prompting(facts, specs)
    if approach == "stronger_base_model":
        return _stronger(facts, specs)
    if approach == "continued_pretraining":
        corpus = facts.get("unlabeled_corpus") or 1e9
        method = "qlora" if specs.method == "qlora" else ("lora" if specs.method == "lora" else "full")
        e = _training(method, facts, specs, "continued pretraining", tokens=corpus)
        if not facts.get("unlabeled_corpus"):
            e.assumptions.append("1B tokens of domain text")
        if method == "full":
            e.lines.append("cheaper variant: continued pretraining with LoRA adapters on one GPU costs less and "
                           "forgets less, but shifts the model less")
        n = facts.get("labeled_examples")
        if n:
            ft = _training("lora", facts, replace(specs, epochs=None, tokens_per_example=None), "the fine-tune after",
                           examples=n)
            e.lines.append(f"then the supervised fine-tune on {human(n)} examples: {ft.summary}")
        return e
    if approach == "pretrain_from_scratch":
        corpus = facts.get("unlabeled_corpus")
        # no size said: the model the corpus can feed at ≈ 20 tokens per parameter (40B tokens → 2B), 1B at least
        params_b = specs.params_b or max(1.0, float(f"{(corpus or 0) / 20e9:.2g}"))
        optimal = params_b * 1e9 * 20  # Chinchilla: ≈ 20 tokens per parameter
        # a corpus below the compute-optimal size would price a cheap run of a model too weak to use: price the
        # optimal count instead and say the gap must be filled with other (public) text
        tokens = max(corpus or 0, optimal)
        e = _training("pretrain", facts, replace(specs, params_b=params_b), "pretraining from scratch", tokens=tokens)
        # the summary travels alone (into a chosen plan, a comparison line): it carries what was sized
        e.summary += f" for {_size(params_b)} model on {human(tokens)} tokens"
        if corpus and corpus < optimal:
            e.assumptions.append(f"{human(optimal)} tokens: your {human(corpus)} plus about {human(optimal - corpus)} "
                                 "of other text, since a smaller corpus trains a model too weak to use")
            e.summary += f" (your {human(corpus)} plus {human(optimal - corpus)} of other text)"
        e.lines.append(f"scale: the compute-optimal rule of thumb is ≈ 20 tokens per parameter (Hoffmann et al. "
                       f"2022, 'Chinchilla') → {_size(params_b)} model wants ≈ {human(params_b * 20e9)} tokens; current "
                       "open models of that size are trained on hundreds of times more than that, so a model built on less "
                       "is usually weaker than a free one")
        e.labour = ("people: a team that has pretrained before, for months (data cleaning, tokenizer, instabilities, "
                    "evaluation), is the larger cost; a useful 7B-class model costs about $500K–$2M all in")
        return e
    method = specs.method if specs.method in ("qlora", "lora", "full", "dpo") else METHOD_OF.get(approach, "lora")
    e = _training(method, facts, specs, {"qlora": "QLoRA fine-tune", "lora": "LoRA fine-tune", "full": "full fine-tune",
                                         "dpo": "DPO preference tuning"}[method])
    n = facts.get("labeled_examples")
    pairs = facts.get("preference_data")
    if method == "dpo" and pairs and specs.label_minutes:
        e.labour = labour(pairs, specs)  # "teachers compare two hints, ~45 sec per comparison": the people's share
    elif approach == "collect_data" or (n is not None and n < 200):
        e.labour = labour(max(n or 0, 500) if approach == "collect_data" else 500, specs)
    elif n:
        e.labour = ("data preparation — reviewing, deduplicating and splitting the examples — usually costs more "
                    "than the GPU time; practitioner accounts put it at well over half of a fine-tuning project")
    return e


# Where a fine-tuning project's calendar goes (practitioner accounts, also in the guides: data work is 60–70 %)
DATA_SHARE = (0.6, 0.7)


def against_means(e: Estimate, facts: Mapping[str, Any]) -> list[str]:
    """The estimate set against the user's budget and timeline, when they gave them: how many runs the budget
    buys, and how the calendar splits between data work and training."""
    out = []
    budget = facts.get("budget")
    if budget and e.usd and e.usd[0] > 0 and e.hours:
        per_run = e.usd[0] / RUNS[0]
        runs = budget / per_run
        if runs >= 1:
            shown = "more than 100" if runs > 100 else f"about {runs:,.0f}"
            out.append(f"your budget of {money(budget)} covers {shown} such run{'s' if runs >= 2 else ''} of "
                       f"compute at {money(per_run)} each, so the money goes mostly to people and data, not GPUs"
                       if runs >= 4 else f"your budget of {money(budget)} covers {shown} run{'s' if runs >= 2 else ''} "
                       f"at {money(per_run)} each: little room for trials")
        else:
            out.append(f"your budget of {money(budget)} is short of one run ({money(per_run)})")
    days = facts.get("timeline")
    if days and e.hours:
        lo, hi = DATA_SHARE
        out.append(f"your {days / 7:.0f}-week timeline: training runs take hours, so the calendar is data work — "
                   f"about {days * lo / 7:.1f}–{days * hi / 7:.1f} weeks preparing and reviewing examples — then "
                   "the rest for training rounds, evaluation against the best prompt and review" if days >= 7 else
                   f"your {days:g}-day timeline: the runs fit, so the limit is how many examples can be reviewed in "
                   "that time")
    return out


def render(e: Estimate) -> str:
    """The estimate as a short markdown block: the arithmetic, then the assumptions you can change."""
    lines = [f"**{e.title[0].upper() + e.title[1:]}** — {e.summary}."] if e.summary else []
    lines += [f"- {line}" for line in e.lines]
    if e.labour:
        lines.append(f"- {e.labour}")
    if e.assumptions:
        lines.append("Assumed (tell me yours and I'll redo it): " + "; ".join(e.assumptions) + ".")
    return "\n".join(lines)
