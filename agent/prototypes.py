"""Categorical facts by meaning: the nearest prototype sentence, with the bundled sentence model.

The lexicon in `agent.extract` reads the words people usually use ("hallucinates", "weekly", "on-prem"). People
also say things no word list foresees ("it can't keep the steps of a calculation together"). For those, each value
of a categorical fact has a few prototype sentences, written here in our own words from what the value means
(the vocabulary's definition); a clause is given the value of its nearest prototype when that one is close enough
and clearly closer than any other value's.

`nearest(fact, clauses)` embeds the clauses in one batch (all-MiniLM-L6-v2, ≈ 10–40 ms for a few short clauses on
one CPU thread) and returns `[(value, similarity, clause)]`. Negated clauses are the caller's business: it passes
only clauses that assert something (`agent.extract` drops "X is not the problem" first).

Thresholds (cosine similarity of unit vectors): a match needs ≥ `MIN_SIMILARITY` and a lead of ≥ `MIN_MARGIN`
over the best prototype of any other value. Set by hand on the project's own phrasings (tests/test_extraction.py),
never on the blind evaluation set.
"""

from __future__ import annotations

import functools

import numpy as np

from knowledge import embeddings

MIN_SIMILARITY = 0.50
MIN_MARGIN = 0.04

PROTOTYPES: dict[str, dict[str, tuple[str, ...]]] = {
    "problem": {
        "knowledge": ("it does not know our facts and answers with wrong or outdated information",
                      "the answers cite rules and prices that are no longer current",
                      "it is missing information about our own products and documents",
                      "it quotes an old version of the document instead of the one in force",
                      "it has no idea about the status of a specific customer's order or case",
                      "the dates, amounts and deadlines it gives people are simply wrong",
                      "the answers look fluent but the details in them are not true"),
        "hallucination": ("it makes up facts and references that do not exist",
                          "it confidently invents details it has no source for",
                          "when it does not know, it guesses and presents the guess as fact"),
        "format": ("the output does not follow the required structure or schema",
                   "the generated fields are missing, renamed or in the wrong layout",
                   "it adds extra text around the data so our parser cannot read it",
                   "the sections come out in the wrong order or some are left out"),
        "tone": ("the replies sound wrong for our brand: too stiff, too casual or robotic",
                 "the writing style and voice do not match how we talk to customers",
                 "it sounds cheerful and flippant where people need warmth and care",
                 "the text is flat and lifeless, nothing like our writers' voice",
                 "it lectures and over-explains instead of getting to the point"),
        "terminology": ("it uses the wrong technical terms and misreads our abbreviations",
                        "it does not use the vocabulary and jargon of our field correctly",
                        "it calls things by the everyday name instead of our official term",
                        "it strays from the approved standard phrases we must use"),
        "reasoning": ("it fails at problems that need several steps of logic or calculation",
                      "it loses track of conditions and makes mistakes when chaining steps",
                      "it cannot combine several rules to reach the right conclusion",
                      "the arithmetic and the logic of its conclusions fall apart"),
        "language": ("it writes poorly in our users' language and answers in the wrong language",
                     "its grammar in this less common language is broken",
                     "it hardly understands the regional language our customers write in"),
        "safety": ("it gives harmful or risky advice it should refuse",
                   "it refuses harmless requests and answers dangerous ones",
                   "it explains to users how to get around a protection or a legal restriction"),
        "cost": ("serving the model is too expensive per request",
                 "the bill for every call adds up to more than we can afford"),
        "latency": ("the responses take too long to arrive",
                    "users wait several seconds for each answer"),
    },
    "domain_novelty": {
        "covered": ("an everyday, common subject that is all over the internet",
                    "ordinary business text that public models have seen plenty of"),
        "partial": ("a specialised professional field with some public material but not much depth",
                    "a niche technical domain full of expert jargon"),
        "novel": ("something that exists nowhere in public text, our own private notation",
                  "a language or data type with almost no text online at all"),
    },
    "data_quality": {
        "high": ("every example was checked and approved by experts", "carefully curated, clean data"),
        "mixed": ("some examples are good and some are poor", "the quality is uneven, partly reviewed"),
        "low": ("the data is noisy, full of errors and never reviewed", "most of the labels are unreliable"),
    },
    "team": {
        "none": ("nobody on our side can write code", "we have no engineers at all"),
        "software": ("a few software developers who have never trained a model",
                     "web and backend programmers, no machine learning"),
        "ml": ("machine learning engineers who have fine-tuned models before",),
        "pretraining": ("researchers who have pretrained large language models from scratch",),
    },
}


@functools.lru_cache(maxsize=None)
def _prototype_vectors(fact: str) -> tuple[tuple[str, ...], np.ndarray]:
    """(value of each prototype row, the rows' unit vectors); embedded once per process."""
    values, texts = [], []
    for value, sentences in PROTOTYPES[fact].items():
        for sentence in sentences:
            values.append(value)
            texts.append(sentence)
    return tuple(values), embeddings.embed(texts)


def nearest(fact: str, clauses: list[str], floors: list[float] | None = None) -> list[tuple[str, float, str]]:
    """For each clause whose nearest prototype is close and clear enough: (value, similarity, clause).
    `floors`, one per clause, raises the similarity a clause needs (a clause with no word of failure in it needs
    to be closer to a failure's prototype than one that says something goes wrong)."""
    floors = list(floors) if floors is not None else [MIN_SIMILARITY] * len(clauses)
    kept = [(c, f) for c, f in zip(clauses, floors) if c.strip()][:8]  # at most 8: one small batch keeps a turn fast
    clauses, floors = [c for c, _ in kept], [f for _, f in kept]
    if not clauses or fact not in PROTOTYPES:
        return []
    values, rows = _prototype_vectors(fact)
    similarity = embeddings.embed(clauses) @ rows.T  # (clauses × prototypes) cosine similarities
    found = []
    for i, clause in enumerate(clauses):
        best: dict[str, float] = {}
        for j, value in enumerate(values):
            best[value] = max(best.get(value, -1.0), float(similarity[i, j]))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        top, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else -1.0
        if score >= max(MIN_SIMILARITY, floors[i]) and score - runner_up >= MIN_MARGIN:
            found.append((top, score, clause))
    return found
