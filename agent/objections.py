"""Why the user pushes back: the objection behind "we don't want RAG", "that's too expensive", "your advice is
wrong", named so the reply answers it instead of repeating the advice. Pure; no model, no index.

`objection(text)` returns one of the kinds below, or None when the push back gives no reason. The brain names it
in the reply (`NAMED`) and, where the objection has a known answer for the route the user refuses, adds it
(`ANSWERS`): retrieval that never leaves the user's servers, the known causes of bad retrieval, the trade-off of a
cheaper plan. Ordered: the first kind whose words appear wins, most specific first.
"""

from __future__ import annotations

import re

PRIVACY, DISTRUST, COST, EVIDENCE, INSISTS, TREND = "privacy", "distrust", "cost", "evidence", "insists", "trend"
QUANTITY = "quantity"  # "more data is always better, the rejected ones are still decent": every example, weak ones too

_KINDS: list[tuple[str, re.Pattern]] = [(k, re.compile(p, re.I)) for k, p in [
    (PRIVACY, r"\bsecret\b|\bconfidential\b|\bprivate\b|\bprivacy\b|\bsensitive\b|\bcan(?:'?t|not) (?:leave|go|put|send|"
              r"upload|share)\b|\bnot (?:allowed|permitted) to (?:send|upload|share|put)\b|\bleak\w*\b|\bgdpr\b|\bhipaa\b"),
    (QUANTITY, r"\bmore (?:data|examples) (?:is|are|=|means) (?:always )?better\b|\bquantity (?:over|beats|matters)\b|"
               r"\b(?:rejected|weaker|bad|worse|unapproved|rewritten) (?:ones|drafts|examples)? ?(?:are|is) still "
               r"(?:decent|good|fine|ok|okay|usable|useful)\b"),
    (DISTRUST, r"\b(?:don'?t|do not|never) (?:trust|believe in)\b|\b(?:returned|gave|got|picked) the wrong\b|"
               r"\bdidn'?t work\b|\bdid not work\b|\bfailed (?:us|before|last time)\b|\blast (?:vendor|time|attempt)\b|"
               r"\bburned\b|\bbad experience\b|\bhalf the time\b"),
    # a price alone is no objection ("$40 a month is nothing"); too much, or more than the means, is
    (COST, r"\btoo expensive\b|\bexpensive\b|\bcan'?t afford\b|\bbudget\b|\bcheaper\b|\bcosts? too much\b|"
           r"\bmore than (?:we|i) (?:can|could) (?:afford|spend|pay)\b|\b(?:can|could) only (?:afford|spend|pay)\b"),
    (EVIDENCE, r"\byour advice is wrong\b|\byou'?re wrong\b|\b(?:the )?(?:articles?|papers?|docs|guides?|sources?) "
               r"(?:literally )?(?:say|said|says)\b|\beveryone says\b"),
    (INSISTS, r"\bend of story\b|\b(?:i'?ve|we'?ve|i have|we have) (?:already )?decided\b|\bceo\b|\bboss\b|\bboard\b|\bthat'?s that\b|"
              r"\bmanagement\b|\bnon-?negotiable\b|\bi don'?t care\b|\bmoney isn'?t the issue\b"),
    (TREND, r"\bhot thing\b|\bhype\b|\beveryone(?:'s| is) (?:doing|using)\b|\bstate of the art\b|\bboring\b"),
]]

# How the reply names the objection (the user's reason in our words), before anything else
NAMED = {
    PRIVACY: "Your objection is about keeping the data confidential.",
    DISTRUST: "Your objection is that {what} let you down before.",
    COST: "Your objection is the cost.",
    EVIDENCE: "You think my advice misreads your case.",
    INSISTS: "The decision is made on your side, so I'll keep this short.",
    TREND: "You'd like the newer method.",
    QUANTITY: "You'd rather train on every example, the weaker ones included.",
}

# What answers the objection, by (kind, the route the user refuses or, for EVIDENCE, the gap the user names)
ANSWERS = {
    (PRIVACY, "rag"): (
        "Retrieval does not need a cloud service: an open embedding model, a vector store on your own disk (Chroma, "
        "pgvector in your own Postgres, FAISS) and a model served on your own hardware keep every document and every "
        "question inside your network, with access rules and deletion you control. A fine-tune is not the safer "
        "choice for secret data: it copies the data into weights that can repeat it to anyone who can query the "
        "model, and a fact in the weights cannot be deleted. So the on-premise version of retrieval is what I'd "
        "offer first; if you still rule it out, here is the alternative."),
    (PRIVACY, None): (
        "Every route here can run on your own hardware with an open-weight model; only a hosted fine-tuning or "
        "model API needs the data to leave, and the plan below assumes none."),
    (DISTRUST, "rag"): (
        "Retrieval that picks the wrong document is usually fixable, and the causes are known: passages cut at "
        "section boundaries with their title and validity date, keyword search beside embeddings so exact plan or "
        "product names match, a re-ranking step over the top candidates, and filters that keep outdated versions "
        "out. Measure it on 50–100 real questions with the passage that should come back before ruling it out. The "
        "alternative has its own risk: facts trained into weights go stale at the next change and come without a "
        "source to check."),
    (DISTRUST, None): (
        "A bad past result usually has a findable cause (data, settings, the comparison it was judged by); measure "
        "this route on 50–100 of your own held-out cases before ruling it out or in."),
    (EVIDENCE, "behaviour"): (
        "You're right that a consistent style, tone or format is one of the things fine-tuning does well. My reason "
        "for a different first step is the order and the data, not the use: a prompt baseline costs hours and tells "
        "you whether the fine-tune added anything."),
    (COST, "continued_pretraining"): (
        "Dropping continued pretraining gives up the step that teaches the model your domain's language from the raw "
        "text: the fine-tune then learns only from the examples, so expect answers that sound right on familiar "
        "questions and are weaker on unusual ones. Retrieval over the same text is the cheap way to still use it: "
        "the relevant passages go into each answer, with citations, for cents of compute."),
    (COST, "full_finetune"): (
        "Dropping full fine-tuning for LoRA gives up little on most tasks: LoRA reaches close to the same quality "
        "at a fraction of the memory, and forgets less."),
    (QUANTITY, None): (
        "A fine-tune imitates whatever it is shown, so examples your reviewers rejected or rewrote teach exactly the "
        "patterns they removed: they make the outputs worse, not better. Train on the accepted ones (or on the "
        "reviewers' final versions of the rewritten ones); a few hundred good examples is enough for a voice or "
        "format. The rejected drafts are not wasted: a rejected and an accepted version of the same piece is a "
        "preference pair for a later DPO step. If you want the evidence, train once on everything and once on the "
        "accepted set, and compare both on the same held-out pieces."),
    (TREND, "preference_tuning"): (
        "DPO is a good method, for a specific kind of data: pairs of a better and a worse answer to the same prompt. "
        "Single correct answers are supervised fine-tuning data; the usual order is a supervised fine-tune first, "
        "then DPO on pairs collected by having reviewers pick the better of two outputs."),
}


# A budget that is there is no objection to the cost: "the boss approved the GPU budget already"
# (… but "we have no budget", "we have a tiny budget" are the objection itself: no word of lack in between)
_BUDGET_GRANTED = re.compile(r"\b(?:approved|signed off|allocated|secured|granted|got|have|has)\b"
                             r"(?: (?!no\b|not\b|little\b|tiny\b|small\b|limited\b|tight\b|zero\b|low\b|minimal\b|"
                             r"hardly\b|barely\b|very\b)\w+){0,3} budget\b"
                             r"(?! (?:is|was) (?:tight|small|limited|low|gone))|\bbudget (?:is|was|has been) "
                             r"(?:approved|signed off|allocated|secured|granted|there|not (?:an|the) (?:issue|problem))\b", re.I)


def objection(text: str) -> str | None:
    """The kind of objection the push back states, or None."""
    t = _BUDGET_GRANTED.sub(" ", " ".join((text or "").split()))
    return next((kind for kind, pattern in _KINDS if pattern.search(t)), None)
