"""Questions people ask: each guide's short question-and-answer pairs, and the pair a user's question matches.

A guide may end with a section `## Questions people ask`. Under it, every `### ` heading is one question (other
phrasings of the same question follow it, separated by " | ") and the paragraph below it is the direct answer:
two to five sentences, with figures and where they come from said in words. That section is not a retrievable
passage (`knowledge.corpus` leaves it out of the chunks): an answer written for one question would otherwise be
cut into sentences and quoted against other questions.

`match(question)` embeds every phrasing, and every pair's question with its answer, once per process with the
bundled sentence model (a few seconds for a few hundred short texts on one laptop core), and returns the pair
that ranks first, or None when its score is under `MATCH_THRESHOLD`. A pair's score mixes how close the
question is to its closest phrasing (a short question is sharp but narrow) with how close it is to the whole
answer (which names what the pair is about, however the user words it). Weights and threshold were set on
paraphrases the project wrote itself (tests/test_knowledge_faq.py), never on a blind question.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from knowledge.corpus import FAQ_HEADING, GUIDES_DIR, corpus_fingerprint, load_guides
from knowledge.lexical import LexicalIndex

# score = QUESTION_WEIGHT x cosine to the closest phrasing + (1 - QUESTION_WEIGHT) x cosine to question + answer
# (unit vectors of all-MiniLM-L6-v2). On the project's 40 tuning paraphrases, phrasings alone put the right pair
# first for 31, the mix for 35 (0.5/0.5: 34). Wrong first picks scored at most 0.54 under the mix; a threshold of
# 0.55 leaves those to the sentence composer. On 20 held-out paraphrases: 15 matched right, none wrong.
QUESTION_WEIGHT = 0.6
MATCH_THRESHOLD = 0.55
# The order also adds LEXICAL_WEIGHT x the pair's BM25 over its phrasings and answer (knowledge.lexical), divided by
# the best pair's, so a pair that names the question's rarer words ("safety", "crisis") goes before one that only
# shares its sentence shape ("Can fine-tuning ...?"); the threshold stays on the meaning score above. Set on TUNING
# alone: right pair first 37/40 at 0 and 0.05-0.1, 38/40 at 0.15 and 0.2, 37/40 at 0.3; matches above the
# threshold 29, none wrong. HELD_OUT, run afterwards: first 18 -> 19/20, above the threshold 15 -> 14, none wrong.
# (The cause was seen on question set v2, used for development since its blind run: "can fine-tuning break the
# safety behaviour ...?" got the pair on fixing reasoning.)
LEXICAL_WEIGHT = 0.15
# When the pair first by meaning is also first by its words (BM25), the two signals agree and a lower meaning score
# is enough. Found on blind question sets v2-v4 (development sets by then): users' side questions ("can one gpu
# serve 18 adapters", "could the model leak one kid's info to another parent") found the right pair at 0.44-0.52
# and were left to the sentence composer. Measured before it was set: TUNING 29 -> 35 matched, HELD_OUT 14 -> 17
# (so HELD_OUT is no longer untouched for this rule), wrong matches 0 in both and among NOT_QUESTIONS at 0.35-0.45;
# the nine side questions of v1-v4 it newly matches each got the pair that answers them.
AGREED_THRESHOLD = 0.40


@dataclass(frozen=True)
class Pair:
    guide: str  # the guide's file name, e.g. "gpu-memory.md"
    title: str  # the guide's title, as a citation shows it
    questions: tuple[str, ...]  # the first is the question as shown; the rest are other phrasings of it
    answer: str  # the direct answer, plain prose

    @property
    def question(self) -> str:
        return self.questions[0]


def parse_pairs(body: str, guide: str, title: str) -> list[Pair]:
    """The pairs of one guide's body: the `### ` entries under its "Questions people ask" section."""
    m = re.search(rf"^##\s+{re.escape(FAQ_HEADING)}\s*$(.*?)(?=^##\s|\Z)", body, flags=re.MULTILINE | re.DOTALL)
    if not m:
        return []
    pairs = []
    for entry in re.split(r"^###\s+", m.group(1), flags=re.MULTILINE)[1:]:
        heading, _, text = entry.partition("\n")
        questions = tuple(q.strip() for q in heading.split(" | ") if q.strip())
        answer = " ".join(text.split())
        if questions and answer:
            pairs.append(Pair(guide=guide, title=title, questions=questions, answer=answer))
    return pairs


def all_pairs(guides_dir: Path = GUIDES_DIR) -> list[Pair]:
    return [p for g in load_guides(guides_dir) for p in parse_pairs(g.body, g.file_name, g.title)]


_LOCK = threading.Lock()
# guides folder and fingerprint -> (pairs, the pair of each phrasing row, phrasing vectors, answer vectors, BM25
# statistics over each pair's phrasings and answer keyed by the pair's position)
_CACHE: dict[str, tuple[list[Pair], list[int], object, object, LexicalIndex]] = {}


def _vectors(guides_dir: Path):
    from knowledge.embeddings import embed  # heavy: the sentence model and chromadb on import

    key = f"{guides_dir}:{corpus_fingerprint(guides_dir)}"
    with _LOCK:
        if key not in _CACHE:
            pairs = all_pairs(guides_dir)
            owner = [i for i, p in enumerate(pairs) for _ in p.questions]
            _CACHE.clear()  # the guides changed: the old vectors answer nothing
            _CACHE[key] = (pairs, owner, embed([q for p in pairs for q in p.questions]),
                           embed([f"{p.question} {p.answer}" for p in pairs]),
                           LexicalIndex({str(i): " ".join(p.questions) + " " + p.answer for i, p in enumerate(pairs)}))
        return _CACHE[key]


def scored(question: str, guides_dir: Path = GUIDES_DIR) -> list[tuple[float, Pair]]:
    """Every pair with its meaning score for `question` (see QUESTION_WEIGHT), in the order that score plus the
    lexical nudge (LEXICAL_WEIGHT) gives, best first."""
    return [(meaning, pair) for meaning, pair, _ in _ranked(question, guides_dir)]


def _ranked(question: str, guides_dir: Path = GUIDES_DIR) -> list[tuple[float, Pair, bool]]:
    """As `scored`, with whether each pair is also the one whose words match the question best (BM25 first)."""
    from knowledge.embeddings import embed_query  # heavy, as above

    pairs, owner, phrasings, answers, lexical = _vectors(guides_dir)
    if not pairs:
        return []
    query = embed_query(" ".join(question.split()))
    sims, whole = phrasings @ query, answers @ query
    best: dict[int, float] = {}
    for row, i in enumerate(owner):
        best[i] = max(best.get(i, -1.0), float(sims[row]))
    words = lexical.scores(question, [str(i) for i in range(len(pairs))])
    top = max(words.values(), default=0.0) or 1.0
    meaning = {i: QUESTION_WEIGHT * best[i] + (1 - QUESTION_WEIGHT) * float(whole[i]) for i in best}
    order = sorted(best, key=lambda i: meaning[i] + LEXICAL_WEIGHT * words[str(i)] / top, reverse=True)
    lexical_best = max(words, key=words.get) if max(words.values(), default=0.0) > 0 else None
    return [(meaning[i], pairs[i], str(i) == lexical_best) for i in order]


def match(question: str, guides_dir: Path = GUIDES_DIR, threshold: float = MATCH_THRESHOLD,
          agreed: float | None = AGREED_THRESHOLD) -> Pair | None:
    """The pair that answers `question`, or None when no pair is close enough (`agreed`: the lower bar when meaning
    and words rank the same pair first; None for no such bar)."""
    ranked = _ranked(question, guides_dir)
    if not ranked:
        return None
    meaning, pair, words_agree = ranked[0]
    return pair if meaning >= threshold or (agreed is not None and words_agree and meaning >= min(threshold, agreed)) \
        else None


# "What format should the data be in, and how do I split it?" asks two things; so does "what is QLoRA and how much
# memory does it need?". A part starts after a question mark or at ", and" / "and" followed by a question word.
_PARTS = re.compile(r"\?\s*|,?\s+and\s+(?=(?:how|what|which|when|why|where|should|do|does|is|are|can|could|"
                    r"would|will)\b)", re.I)
MAX_PARTS = 2  # more answers than that in one reply would bury the one the user cares about


def match_all(question: str, guides_dir: Path = GUIDES_DIR, threshold: float = MATCH_THRESHOLD) -> list[Pair]:
    """The pairs that answer each part of `question`, in the parts' order, then the whole question's own match
    (a short part such as "how do I split it?" may only be clear with the rest), without repeats; at most
    MAX_PARTS."""
    parts = [p.strip() for p in _PARTS.split(question or "") if len(p.split()) >= 3]
    found: list[Pair] = []
    asked = [(part, None) for part in (parts if len(parts) > 1 else [])] + [(question, AGREED_THRESHOLD)]
    for part, agreed in asked:
        # a part is a fragment ("fixed 512 tokens?"): its few words agree by chance, so it needs the full bar
        pair = match(part, guides_dir, threshold, agreed=agreed)
        if pair is not None and pair not in found:
            found.append(pair)
    return found[:MAX_PARTS]
