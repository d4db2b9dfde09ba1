"""The question policy: ask only for facts whose answer could change the recommendation, most useful first;
never ask twice; stop when nothing left could change the advice.

How "could change" is measured: fill every unknown fact with values drawn from `engine.CANDIDATES` (how often
teams report each value, adjusted by what is known), run the engine on each filled-in profile, and measure for
each askable fact the probability that its answer changes the approach in that profile (its sensitivity). Facts that interact —
"prompting was tried" only matters once there are enough examples — are caught because whole profiles are
sampled, not one fact at a time. Deterministic: a fixed seed, so the same state always asks the same question.
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Sequence

from agent import engine
from agent.facts import Interview

CONTEXTS = 40  # profiles sampled per turn; × ~50 candidate values ≈ 2,000 engine calls ≈ 15 ms (memoised)
# Ask only when the answer has a ≥ 10% chance to change the advice; below that it would rarely change anything,
# and every question costs the user's patience.
MIN_GAIN = 0.10
MAX_QUESTIONS = 6  # a hard stop, whatever the gains (read-backs and asked-again questions count too)


# A user who raises pretraining ("a foundation model for our sensor data", "train our own from scratch") is a user
# for whom the corpus size and the domain's novelty decide the advice: they get even odds instead of the everyday
# priors (most teams have no big corpus and a domain public models know).
PRETRAINING_PRIORS = {
    "unlabeled_corpus": [(0, 0.15), (5_000_000, 0.15), (200_000_000, 0.2), (3_000_000_000, 0.2),
                         (30_000_000_000, 0.3)],
    "domain_novelty": [("covered", 0.34), ("partial", 0.33), ("novel", 0.33)],
}
UNDIAGNOSED = {"task", "single_task"}  # problem tags that describe the job, not the failure
TENTATIVE_WEIGHT = 0.5  # a value said in passing but not yet confirmed is half of the prior for that fact


def priors(fact: str, values: Mapping[str, Any], named: Sequence[str] = (),
           tentative: Mapping[str, Any] | None = None) -> list[tuple[Any, float]]:
    """`engine.CANDIDATES[fact]`, adjusted by what is already known: a ban on existing weights is rare unless
    the data is air-gapped or the domain is new; a domain absent from public text is rare unless the failure
    is about domain depth. Two kinds of evidence short of a fact shift it too: approaches the user `named`
    (pretraining raises the odds of a big corpus and a novel domain) and a `tentative` value said in passing, which
    takes TENTATIVE_WEIGHT of the prior, so a fact the user hinted at is worth asking about."""
    table = _priors(fact, values, named)
    if tentative and fact in tentative:
        hinted = tentative[fact]
        already = sum(p for v, p in table if v == hinted)  # the hinted value's own share of the prior, if any
        table = [(v, p * (1 - TENTATIVE_WEIGHT)) for v, p in table if v != hinted]
        table.append((hinted, TENTATIVE_WEIGHT + already * (1 - TENTATIVE_WEIGHT)))
    return table


def _priors(fact: str, values: Mapping[str, Any], named: Sequence[str]) -> list[tuple[Any, float]]:
    candidates = engine.CANDIDATES[fact]
    if fact in PRETRAINING_PRIORS and {"pretrain_from_scratch", "continued_pretraining"} & set(named):
        return PRETRAINING_PRIORS[fact]
    if fact == "weights_allowed":
        strict = values.get("data_sensitivity") == "air_gapped" or values.get("domain_novelty") == "novel" or (
            values.get("team") == "pretraining")
        p_no = 0.3 if strict else 0.1 if values.get("data_sensitivity") == "on_prem" else 0.01
        return [("yes", 1 - p_no), ("no", p_no)]
    problem = set(values.get("problem") or [])
    if fact == "knowledge_changes" and problem and not problem & {"knowledge", "hallucination"}:
        # the user described what fails without mentioning facts: changing knowledge is unlikely to be the issue
        return [("frequent", 0.04), ("occasional", 0.26), ("static", 0.7)]
    if fact == "domain_novelty" and not set(values.get("problem") or []) & {"domain", "terminology", "hallucination",
                                                                            "reasoning"}:
        return [("covered", 0.85), ("partial", 0.13), ("novel", 0.02)]
    return candidates


def _draw(rng: random.Random, candidates: list[tuple[Any, float]]) -> Any:
    x, acc = rng.random(), 0.0
    for value, prior in candidates:
        acc += prior
        if x <= acc:
            return value
    return candidates[-1][0]


def sensitivity(values: Mapping[str, Any], askable: list[str], contexts: int = CONTEXTS,
                seed: int = 7, named: Sequence[str] = (), tentative: Mapping[str, Any] | None = None) -> dict[str, float]:
    """For each askable fact: the probability that two independent answers to it lead to different advice,
    averaged over contexts in which every other unknown fact is drawn from its prior. Every value the fact could
    take is tried in each context, so a fact the engine ignores scores exactly 0, and facts that only matter
    together ("prompting tried" needs enough examples) are caught through the context."""
    unknown = [k for k, v in values.items() if v is None]
    if not askable or not unknown:
        return {}
    table = {fact: priors(fact, values, named, tentative) for fact in unknown}
    rng = random.Random(seed)
    totals = dict.fromkeys(askable, 0.0)
    for _ in range(contexts):
        filled = dict(values)
        for fact in unknown:
            filled[fact] = _draw(rng, table[fact])
        for fact in askable:
            own = filled[fact]
            shares: dict[str, float] = {}
            for value, prior in table[fact]:
                filled[fact] = value
                approach = engine.approach_of(filled)
                shares[approach] = shares.get(approach, 0.0) + prior
            filled[fact] = own
            # the chance two independent answers lead to different advice (Gini impurity over the outcomes)
            total = sum(shares.values())
            totals[fact] += 1.0 - sum((share / total) ** 2 for share in shares.values())
    return {fact: total / contexts for fact, total in totals.items()}


def flip_probability(values: Mapping[str, Any], askable: list[str], named: Sequence[str] = (),
                     tentative: Mapping[str, Any] | None = None) -> dict[str, float]:
    """For each askable fact alone: the prior probability that its answer changes the current approach. This
    catches a fragile current answer that the sampled profiles rarely reach (an optimistic assumption)."""
    current = engine.approach_of(values)
    flips = {}
    for fact in askable:
        p = 0.0
        for value, prior in priors(fact, values, named, tentative):
            trial = dict(values)
            trial[fact] = value
            if engine.approach_of(trial) != current:
                p += prior
        flips[fact] = p
    return flips


def scores(interview: Interview) -> dict[str, float]:
    """Each askable fact's worth as a question, a probability: the larger of (a) its sensitivity — the chance
    its answer changes the advice in a sampled context — and (b) the chance its answer alone flips the current
    advice (which catches a current answer resting on an optimistic assumption)."""
    # a fact said in passing waits for its read-back ("I understood weekly — right?"), not a fresh question
    askable = [fact for fact in interview.open_facts() if fact not in interview.tentative]
    values = interview.values()
    if values.get("problem") and set(values["problem"]) <= UNDIAGNOSED and "problem" not in interview.asked:
        # "we classify tickets", "it answers paralegals' questions": that names the task, not what fails in it
        askable, values = askable + ["problem"], {**values, "problem": None}
    named = interview.named
    tentative = {fact: t.get("value") for fact, t in interview.tentative.items() if t.get("value") is not None}
    gains = sensitivity(values, askable, named=named, tentative=tentative)
    flips = flip_probability(values, askable, named=named, tentative=tentative)
    return {fact: max(gains.get(fact, 0.0), flips.get(fact, 0.0)) for fact in askable}


def next_question(interview: Interview) -> str | None:
    """The fact to ask about next, or None when the recommendation is settled."""
    if len(interview.asked) >= MAX_QUESTIONS:
        return None
    gains = scores(interview)
    if not gains:
        return None
    if gains.get("problem", 0.0) >= MIN_GAIN:
        return "problem"  # diagnose what is failing before anything else (seed 003, step 1)
    order = {fact: i for i, fact in enumerate(engine.CANDIDATES)}  # ties: the fixed fact order of DESIGN.md
    fact, gain = max(gains.items(), key=lambda item: (round(item[1], 3), -order[item[0]]))
    return fact if gain >= MIN_GAIN else None
