"""The tools the LLM brain offers the model, listed explicitly (`TOOLS`), and the two that are the advisor's own:
`recommend` (the decision engine) and `plan_training` (the plan builder). The advice never depends on which
model talks.

Why these two live here and not in `tools/`: the layers are ui > agent > tools > knowledge, trainer >
trainer.state, and a lower layer never imports a higher one. `tools/` holds thin wrappers over the layers below
it (the guidance index, the data validator, the job runner). `recommend` and `plan_training` wrap the agent's own
engine, fact reader, question policy and plan builder, so they belong to `agent`; defining them in `tools/` made
tools import agent and agent import tools, a loop. For the same reason the complete list the model sees is
assembled here, where both kinds are visible. `tests/test_tools.py` pins every tool's name, description and
schema (tests/scenarios/tools_snapshot.json): that is the model's real API.

Launching is two-step by design: `request_launch` creates a job awaiting approval; only the user's own Approve
(UI or CLI) calls `trainer.jobs.approve_job`.
"""

from __future__ import annotations

from typing import Optional

from langchain_core.tools import tool

from agent import engine, plan as planner, policy
from agent.extract import extract
from agent.facts import Interview
from tools._log import logged
from tools.data import inspect_dataset
from tools.guidance import search_guidance
from tools.jobs import cancel_job, evaluation_report, job_status, request_launch, resume_job
from trainer.state.vocabulary import FACT_KEYS, ApproachId


def interview_from_words(words: dict[str, Optional[str]]) -> Interview:
    """Read each fact from the user's words, as if answering the question for that fact."""
    interview = Interview()
    for fact in FACT_KEYS:
        said = words.get(fact)
        if said is None or str(said).strip() == "":
            continue
        found = extract(str(said), asked=fact)
        for finding in found.findings:
            if finding.fact == fact or interview.value(finding.fact) is None:
                interview.set(finding.fact, finding.value, finding.words, finding.confidence)
        interview.asked.append(fact)
        if found.dont_know:
            interview.skip(fact)
    return interview


@tool
@logged
def recommend(
    problem: Optional[str] = None,
    prompting_tried: Optional[str] = None,
    labeled_examples: Optional[str] = None,
    data_quality: Optional[str] = None,
    knowledge_changes: Optional[str] = None,
    unlabeled_corpus: Optional[str] = None,
    preference_data: Optional[str] = None,
    data_sensitivity: Optional[str] = None,
    weights_allowed: Optional[str] = None,
    domain_novelty: Optional[str] = None,
    compute: Optional[str] = None,
    budget: Optional[str] = None,
    timeline: Optional[str] = None,
    team: Optional[str] = None,
    inference_constraints: Optional[str] = None,
) -> dict:
    """Call this to get THE recommendation (prompt engineering, RAG, fine-tuning, pretraining…) whenever you know
    something new about the user's situation; never recommend an approach this tool did not return.

    Pass each fact in the user's own words (leave out what you don't know): problem (what is failing),
    prompting_tried, labeled_examples ("about 3k"), data_quality, knowledge_changes ("weekly"), unlabeled_corpus
    ("2B tokens of filings"), preference_data, data_sensitivity, weights_allowed (may existing model weights be
    used), domain_novelty, compute ("4 A100s"), budget, timeline, team, inference_constraints.
    Returns {approach, alternatives, reasons, assumptions, would_change, cost, facts_understood, ask_next}:
    `ask_next` lists the facts worth asking about next, most useful first (empty when the advice is settled).
    """
    words = {k: v for k, v in locals().items() if k in FACT_KEYS}
    interview = interview_from_words(words)
    result = engine.recommend(interview.values())
    scores = policy.scores(interview) if len(interview.asked) < policy.MAX_QUESTIONS else {}
    result["facts_understood"] = {k: v for k, v in interview.values().items() if v is not None}
    result["ask_next"] = [f for f, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s >= policy.MIN_GAIN][:3]
    return result


@tool
@logged
def plan_training(
    approach: ApproachId,
    labeled_examples: Optional[int] = None,
    unlabeled_corpus_tokens: Optional[int] = None,
    gpus: Optional[int] = None,
    gpu_memory_gb: Optional[float] = None,
    data_path: Optional[str] = None,
) -> dict:
    """Call this after `recommend` returned a training approach, to draft the training plan the user will review.

    approach: the approach id `recommend` returned.
    labeled_examples / unlabeled_corpus_tokens: counts the user gave, if any.
    gpus / gpu_memory_gb: the user's GPUs (count, memory per card in GB); leave out for none or unknown.
    data_path: the uploaded training file, when there is one.
    Returns {approach, trains, kind, method, base_model, scale_up, config, evaluation, split, steps, summary}.
    `config` is a ready trainer config; show `summary` and `scale_up` to the user.
    """
    compute = None if gpus is None else {"gpus": gpus, "gpu_memory_gb": gpu_memory_gb or 24.0, "access": "own"}
    facts = {"labeled_examples": labeled_examples, "unlabeled_corpus": unlabeled_corpus_tokens, "compute": compute}
    result = planner.build_plan({"approach": approach}, facts, data_path)
    if result.get("config"):
        planner.validate_config(result["config"])
    return result


TOOLS = [
    search_guidance,
    recommend,
    inspect_dataset,
    plan_training,
    request_launch,
    job_status,
    cancel_job,
    resume_job,
    evaluation_report,
]

# Tools that need the user's confirmation before they run (LLM mode pauses on them: HumanInTheLoopMiddleware).
# resume_job restarts a job the user already approved, on the user's own request, so it is not paused again.
NEEDS_APPROVAL = ("request_launch",)
