"""Answers, not passages: what a user's turn asks for, and a direct answer composed from the best sentences.

Three pure pieces the offline brain combines (the LLM brain writes its own answer from the same passages):

- `classify(text)` — the turn's intent: a "why not X?" (with X), a cost question, the user choosing an approach
  against the advice ("train anyway", "let's do LoRA"), or a general question; None for anything else.
- `select(question, passages)` — the few sentences of the retrieved passages that answer the question, each
  with the passage it came from, ranked by meaning (the bundled sentence embedder) plus the question's own words.
- `cited(sentences)` / `read_more(passages)` — the answer text with a [n] after every sentence, and a "read
  more" disclosure per cited passage that opens it as prose (re-flowed, markdown rendered, nothing cut).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable, Sequence

WHY_NOT, COST, CHOOSE, QUESTION = "why_not", "cost", "choose", "question"
# A question, a push back or a choice is said in a sentence or two; past this many characters a message is pasted
# material, and reading all of it for intent took ≈ 0.8 s on a busy 2-core machine for 50,000 characters.
CLASSIFY_CHARS = 3_000

# How users name each approach (the vocabulary's ids on the right). Order matters: the combined one first.
APPROACH_WORDS: list[tuple[str, re.Pattern]] = [(a, re.compile(p, re.I)) for a, p in [
    ("rag_and_finetune", r"\b(?:rag|retrieval)\s*(?:\+|and|plus|&)\s*(?:a\s+)?(?:lora|fine-?tun\w*|training)\b|"
                         r"\bboth,? rag and fine-?tun\w*|\bdo both\b"),
    ("continued_pretraining", r"\bcontinued[- ]?pre-?train\w*|\bdomain[- ]adaptive pre-?train\w*|\bcpt\b"),
    ("pretrain_from_scratch", r"\bfrom (?:scratch|zero)\b|\bown model\b|\bpre-?train(?:ing)? our own\b|"
                              r"\bpretrain\w*(?! (?:on the|then))"),
    ("preference_tuning", r"\bdpo\b|\brlhf\b|\bpreference[- ]tun\w*|\bpreference optimi[sz]ation\b"),
    ("full_finetune", r"\bfull(?:[- ]parameter)?(?: fine-?tun\w*| ft\b|,? not lora)|\ball (?:the )?weights\b|"
                      r"\bfull\b(?= fine| tune|,)"),
    ("lora_finetune", r"\bq?lora\b|\bfine-?tun\w*|\bjust train\b|\btrain anyway\b"),
    ("stronger_base_model", r"\b(?:stronger|bigger|larger|better)(?: base)? model\b|\b70b\b|\bgpt-?4\w*\b"),
    ("collect_data", r"\bcollect(?:ing)? (?:more )?data\b|\blabel(?:l?ing)? more\b|\bmore data\b|"
                     r"\bmore examples\b"),
    ("rag", r"\brag\b|\bretriev\w*|\bvector (?:database|store|db)\b"),
    ("prompt_engineering", r"\bprompt(?:ing| engineering| stuff)?\b|\bfew-?shot\b"),
]]

_WHY_NOT = re.compile(r"\bwhy (?:not|\w+ and not|don'?t we|wouldn'?t)\b|\bw?h?a?t about\b|\bwht about\b|"
                      r"\bshouldn'?t we\b|\bwould it make sense\b|\bcouldn'?t we\b|\bwhat'?s wrong with\b|"
                      r"\bisn'?t \w+ better\b|\bis training even needed\b", re.I)
_COST = re.compile(r"\bhow much\b|\bcosts?\b|\bprice\b|\bbudget\b|\bhow long\b|\bwhat (?:gpu|hardware)\b|"
                   r"\bper (?:month|hour)\b|\bexpensive\b|\bcheapest\b|\bhow many (?:weeks|days|hours|gpu)|"
                   r"\bballpark\b|\brealistically do with\b|\btimeline\b|\bgpu time\b|\brent\b", re.I)
_CHOOSE = re.compile(r"\bi (?:still )?want\b|\banyway\b|\blet'?s (?:just )?(?:do|go with|use|try)\b|"
                     r"\bjust (?:train|launch|ship|use|do)\b|\bskip the\b|\bi'?ve (?:already )?decided\b|"
                     r"\bend of story\b|\b(?:not|no) (?:boring )?(?:lora|sft|rag)\b|\bi don'?t care\b|"
                     r"\bwe (?:don'?t|do not|not) (?:want|trust)\b|\bdon'?t want to\b|\buse what we have\b|"
                     r"\byour advice is wrong\b|\btoo expensive\b|\bi don'?t trust\b|\bwill fix it\b|"
                     r"\bforget (?:about )?(?:fine-?tuning|rag|it)\b|\bno\. \b", re.I)
_DISTRUST_NUMBERS = re.compile(r"\b(?:don'?t|do not) (?:trust|believe) (?:these|your|the|those) (?:numbers|figures|"
                               r"estimates?|prices?|costs?)\b", re.I)
_REJECT = re.compile(
    r"\bskip the (?P<skip>prompt\w*|rag|retrieval|lora)"
    r"|\bnot (?:boring )?(?P<not>lora|sft|rag|retrieval)\b"
    r"|\bforget (?:about )?(?P<forget>fine-?tuning|rag|retrieval|lora)"
    r"|\b(?:don'?t|do not|not) (?:want|trust|like)\s+(?:\w+\s+){0,2}?(?P<what>rag|retrieval|lora|prompt\w*|fine-?tun\w*)"
    r"|\b(?P<what2>rag|retrieval)\b[^.?!]{0,40}\?\s*no\b"
    r"|\b(?P<what3>continued pretraining|rag|lora)[^.?!]{0,40}\btoo expensive\b", re.I)


# Pushback that names no approach but is still a decision about the plan
_DECIDED = re.compile(r"\bjust (?:train|launch|ship)\b|\bskip the\b|\buse what we have\b|\bi'?ve (?:already )?decided\b|"
                      r"\bdon'?t trust\b|\bdon'?t want to label\b|\byour advice is wrong\b|\bend of story\b", re.I)


@dataclass
class Intent:
    kind: str  # why_not · cost · choose · question
    target: str | None = None  # the approach asked about or chosen
    rejected: str | None = None  # the approach the user refuses ("we don't trust retrieval")


def mentioned(text: str) -> list[str]:
    """Approaches the text names, in the order they appear."""
    found = []
    for approach, pattern in APPROACH_WORDS:
        for m in pattern.finditer(text):
            if not any(s <= m.start() < e for _, s, e in found):
                found.append((approach, m.start(), m.end()))
    return [a for a, _, _ in sorted(found, key=lambda f: f[1])]


def _word_to_id(word: str) -> str | None:
    names = mentioned(word)
    return names[0] if names else None


def classify(text: str) -> Intent | None:
    """What the turn asks for; None when it asks nothing (a plain answer to the interview's question)."""
    t = " ".join((text or "")[:CLASSIFY_CHARS].split())
    if not t:
        return None
    names = mentioned(t)
    asks = "?" in t
    if _WHY_NOT.search(t) and names and (asks or re.match(r"\s*(?:why|what|wht|would|shouldn|couldn)", t, re.I)):
        m = re.search(r"\b(?:and not|not|about|instead of)\s+(.{0,60})", t, re.I)
        after = mentioned(m.group(1)) if m else []
        target = after[0] if after else names[0]
        if re.search(r"\bwhy (?:not )?keep going with\b|\binstead of train", t, re.I):
            target = names[0]
        return Intent(WHY_NOT, target)
    if re.search(r"\bis training even needed\b", t, re.I):
        return Intent(WHY_NOT, "prompt_engineering")
    if _DISTRUST_NUMBERS.search(t):
        return Intent(COST, names[0] if names else None)
    rejected = None
    if r := _REJECT.search(t):
        rejected = _word_to_id(next(g for g in r.groups() if g))
    elif re.search(r"\bdon'?t want to label\b|\bno more label", t, re.I):
        rejected = "collect_data"
    pushback = _CHOOSE.search(t) and (names or rejected or _DECIDED.search(t))
    if pushback and (rejected or not (asks and _COST.search(t))):
        w = re.search(r"\b(?:want|do|go with|use|try|decided:?)\s+(?:a |an |the )?(.{0,40})", t, re.I)
        wanted = [n for n in (mentioned(w.group(1)) if w else []) if n != rejected]
        wanted += [n for n in names if n != rejected and n not in wanted]
        target = wanted[0] if wanted else None
        if re.search(r"\bjust train\b|\bskip the prompt|\buse what we have\b|\btrain anyway\b", t, re.I) and \
                target in (None, "prompt_engineering", "collect_data"):
            target = "lora_finetune"
        return Intent(CHOOSE, target, rejected)
    if _COST.search(t) and (asks or re.match(r"\s*(?:how|what|wat|which)\b", t, re.I)):
        return Intent(COST, names[0] if names else None)
    if asks:
        return Intent(QUESTION, names[0] if names else None)
    return None


# ---- sentence selection --------------------------------------------------------------------------------------

_STOP = {"what", "which", "when", "where", "does", "need", "much", "many", "long", "should", "would", "could",
         "there", "their", "about", "with", "from", "this", "that", "have", "your", "ours", "they", "them", "will",
         "into", "then", "than", "just", "really", "actually", "exactly", "sorry", "anyway", "right", "some",
         "can't", "cant", "isn't", "dont", "don't", "want", "make", "sense"}


def sentences_of(text: str) -> list[str]:
    """A passage's sentences, markdown list items counting as sentences; headings and fragments dropped."""
    flat = []
    for block in re.split(r"\n\s*\n", text or ""):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        items, current = [], []
        for ln in lines:
            if re.match(r"^(?:[-*]|\d+\.)\s+", ln):
                if current:
                    items.append(" ".join(current))
                current = [re.sub(r"^(?:[-*]|\d+\.)\s+", "", ln)]
            else:
                current.append(ln)
        if current:
            items.append(" ".join(current))
        for item in items:
            flat += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"(])", item) if s.strip()]
    return [plain(s) for s in flat if len(s.split()) >= 6]


def plain(text: str) -> str:
    """Markdown emphasis and code marks removed, whitespace re-flowed (for a sentence inside an answer)."""
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    text = re.sub(r"(?<!\w)\*(\S.*?)\*(?!\w)", r"\1", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1 (\2)", text)
    return " ".join(text.split())


def _terms(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9-]{2,}", text.lower()) if w not in _STOP}


def select(question: str, passages: Sequence[dict], embed: Callable[[list[str]], "object"] | None, k: int = 3,
           focus: str = "") -> list[tuple[str, int]]:
    """The k sentences that best answer `question`, as (sentence, index of its passage), in reading order of
    rank. `embed` maps texts to unit vectors (None: words only); `focus` adds terms (the approach asked about)."""
    pool: list[tuple[str, int]] = []
    for i, p in enumerate(passages):
        pool += [(s, i) for s in sentences_of(p.get("text") or "")]
    if not pool:
        return []
    terms = _terms(question) | _terms(focus)
    # "what is X?": the section about X opens with its definition
    defined = re.match(r"\s*(?:sorry,?\s*)?(?:what(?:'s| is| are)|explain|define)\s+(?:a |an |the )?([\w-]+)", question, re.I)
    subject = defined.group(1).lower() if defined else ""
    scores = [0.0] * len(pool)
    if embed is not None:
        vectors = embed([question + " " + focus] + [s for s, _ in pool])
        q = vectors[0]
        scores = [float(vectors[j + 1] @ q) for j in range(len(pool))]
    ranked = []
    for j, (s, i) in enumerate(pool):
        words = _terms(s)
        overlap = len(words & terms) / (len(terms) or 1)
        # the search already judged the whole passage (meaning and words, with its heading): trust it as much as
        # the sentence's own similarity; an opening sentence of a section usually states its point
        passage = float(passages[i].get("score") or 0)
        opening = 0.05 if (s, i) == next(x for x in pool if x[1] == i) else 0.0
        about = 0.3 if subject and subject in (passages[i].get("section") or "").lower().split() else 0.0
        ranked.append((scores[j] + 0.8 * passage + 0.35 * overlap + opening + about * (1 + 4 * opening), j))
    ranked.sort(reverse=True)
    chosen, seen = [], []
    for _, j in ranked:
        s, i = pool[j]
        words = _terms(s)
        if any(len(words & w) / (len(words | w) or 1) > 0.6 for w in seen):
            continue  # a near-duplicate of a chosen sentence
        chosen.append((s, i))
        seen.append(words)
        if len(chosen) == k:
            break
    return chosen


def cited(sentences: Sequence[tuple[str, int]], numbering: dict[int, int]) -> str:
    """The sentences joined as one paragraph, each followed by its source's number ([1], [2] …)."""
    out = []
    for s, i in sentences:
        n = numbering.setdefault(i, len(numbering) + 1)
        out.append(f"{s.rstrip()} [{n}]")
    return " ".join(out)


def prose_html(text: str) -> str:
    """A passage as HTML prose: paragraphs re-flowed, lists kept, **bold**/`code`/links rendered, HTML escaped."""

    def inline(s: str) -> str:
        s = html.escape(s, quote=False)
        s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
        s = re.sub(r"(?<!\w)\*(\S.*?)\*(?!\w)", r"<em>\1</em>", s)
        s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)
        s = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>', s)
        return s

    parts = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        lines = [ln.strip() for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        if lines[0].startswith("#"):
            parts.append(f"<strong>{inline(lines[0].lstrip('#').strip())}</strong>")
            lines = lines[1:]
        items, para = [], []
        for ln in lines:
            if re.match(r"^(?:[-*]|\d+\.)\s+", ln):
                items.append([re.sub(r"^(?:[-*]|\d+\.)\s+", "", ln)])
            elif items:
                items[-1].append(ln)
            else:
                para.append(ln)
        if para:
            parts.append(f"<p>{inline(' '.join(para))}</p>")
        if items:
            parts.append("<ul>" + "".join(f"<li>{inline(' '.join(i))}</li>" for i in items) + "</ul>")
    return "".join(parts)


def read_more(passages: Sequence[dict], numbering: dict[int, int]) -> str:
    """One "read more" disclosure per cited passage, in citation order."""
    rows = []
    for i, n in sorted(numbering.items(), key=lambda kv: kv[1]):
        p = passages[i]
        title = p.get("title") or p.get("source") or "guide"
        section = p.get("section") or ""
        head = f"[{n}] {html.escape(title, quote=False)}" + (f" — {html.escape(section, quote=False)}"
                                                             if section and section != title else "")
        rows.append(f"<details><summary>Read more: {head}</summary>{prose_html(p.get('text') or '')}</details>")
    return "\n".join(rows)
