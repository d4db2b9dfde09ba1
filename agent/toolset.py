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

from typing import Any, Literal, Optional

from langchain_core.tools import tool
from pydantic import BaseModel, Field

from agent import engine, plan as planner, policy, pricing, prompts, verdicts
from agent.extract import HOLD, extract
from agent.facts import Interview
from tools._log import logged
from tools.data import inspect_dataset
from tools.guidance import search_guidance
from tools.jobs import cancel_job, evaluation_report, job_status, request_launch, resume_job
from trainer.state.errors import UserError
from trainer.state.vocabulary import APPROACHES, FACT_KEYS, FACT_LABELS, FACTS, TAG_FACTS, ApproachId, check_value


def _members(key: str) -> tuple[str, ...]:
    return tuple(FACTS[key].type.members)  # type: ignore[union-attr]


# The typed arguments, generated from the vocabulary (an id added there is an enum member here).
ProblemTag = Literal[_members("problem")]  # type: ignore[valid-type]
Prompting = Literal[_members("prompting_tried")]  # type: ignore[valid-type]
Quality = Literal[_members("data_quality")]  # type: ignore[valid-type]
Changes = Literal[_members("knowledge_changes")]  # type: ignore[valid-type]
Sensitivity = Literal[_members("data_sensitivity")]  # type: ignore[valid-type]
Weights = Literal[_members("weights_allowed")]  # type: ignore[valid-type]
Novelty = Literal[_members("domain_novelty")]  # type: ignore[valid-type]
Team = Literal[_members("team")]  # type: ignore[valid-type]
ServingTag = Literal[_members("inference_constraints")]  # type: ignore[valid-type]
Access = Literal[tuple(FACTS["compute"].type.access)]  # type: ignore[valid-type, union-attr]


class Compute(BaseModel):
    """The user's GPUs: how many, memory per GPU in GB, and how they get them."""

    gpus: int = Field(ge=0, description="number of GPUs (0 = none)")
    gpu_memory_gb: float = Field(ge=0, description="memory per GPU in GB (0 when there is none)")
    access: Access


def cross_check(facts: dict[str, Any], evidence: dict[str, str]) -> list[dict]:
    """Where the model's typed value and the offline reader's reading of the user's quote disagree on a fact the
    decision depends on: [{fact, label, model_value, reader_value, quote, question, options}]. A fact is decisive
    when putting the reader's value in place of the model's changes the approach."""
    current = engine.approach_of(facts)
    found = []
    for fact, quote in (evidence or {}).items():
        if fact not in FACTS or not str(quote).strip() or facts.get(fact) is None:
            continue
        read = [f for f in extract(str(quote), asked=fact).findings if f.fact == fact and f.confidence >= HOLD]
        if not read or read[0].value == facts[fact]:
            continue  # the reader cannot tell, or agrees
        other = engine.approach_of({**facts, fact: read[0].value})
        if other == current:
            continue  # a disagreement that changes nothing is not worth the user's time
        said, read_value = engine.describe(fact, facts[fact]), engine.describe(fact, read[0].value)
        found.append({"fact": fact, "label": FACT_LABELS[fact], "model_value": facts[fact],
                      "reader_value": read[0].value, "quote": str(quote)[:200],
                      "question": prompts.CROSS_CHECK.format(label=FACT_LABELS[fact], quote=str(quote)[:120],
                                                             a=said, b=read_value),
                      "options": [said, read_value]})
    return found


@tool
@logged
def recommend(
    evidence: dict[str, str],
    problem: Optional[list[ProblemTag]] = None,
    prompting_tried: Optional[Prompting] = None,
    labeled_examples: Optional[int] = None,
    data_quality: Optional[Quality] = None,
    knowledge_changes: Optional[Changes] = None,
    unlabeled_corpus: Optional[int] = None,
    preference_data: Optional[int] = None,
    data_sensitivity: Optional[Sensitivity] = None,
    weights_allowed: Optional[Weights] = None,
    domain_novelty: Optional[Novelty] = None,
    compute: Optional[Compute] = None,
    budget: Optional[float] = None,
    timeline: Optional[float] = None,
    team: Optional[Team] = None,
    inference_constraints: Optional[list[ServingTag]] = None,
) -> dict:
    """Call this to get THE recommendation (prompt engineering, RAG, fine-tuning, pretraining…) whenever you know
    something new about the user's situation; never recommend an approach this tool did not return.

    Fill each fact you know as a typed value (leave out what you don't know): problem (tags of what fails),
    prompting_tried, labeled_examples (a count of input→output examples in a dataset; examples inside a prompt are
    not a dataset), data_quality, knowledge_changes, unlabeled_corpus (tokens: 1 word ≈ 1.3 tokens, 1 page ≈ 650,
    1 GB of text ≈ 250 million), preference_data (pairs), data_sensitivity, weights_allowed, domain_novelty,
    compute {gpus, gpu_memory_gb, access}, budget (US dollars), timeline (days), team, inference_constraints.
    evidence: for every fact you fill, the user's own words it comes from, quoted ({"labeled_examples": "we have
    about 2k reviewed pairs"}).
    Returns {status, approach, alternatives, reasons, assumptions, would_change, cost, verdicts, price,
    facts_understood, ask_next, confirm}. status "confirm": your reading and the offline reader disagree on a fact
    the advice depends on; ask the user `confirm[i].question` (with its `options`), then call again. status "ok":
    report the approach; `ask_next` lists facts worth asking next (empty when settled). `verdicts` has one entry
    per approach (label, verdict, reason with the user's figures, what would make it fit): answer "why not X?" from
    X's entry. `price` is the recommended approach's cost and time worked out from the user's facts, with the
    arithmetic and its assumptions: answer "how much?" from it and say the assumptions.
    """
    facts: dict[str, Any] = {k: v for k, v in locals().items() if k in FACT_KEYS}
    if facts["compute"] is not None:
        facts["compute"] = facts["compute"].model_dump()
    for key in TAG_FACTS:
        if facts[key] is not None:
            facts[key] = sorted(set(facts[key]))
    for key, value in facts.items():
        if not check_value(key, value):
            raise UserError(f"recommend: {key}={value!r} is not a value of {FACT_LABELS[key]}")
    confirm = cross_check(facts, evidence)
    interview = Interview()
    for key, value in facts.items():
        if value is not None:
            interview.set(key, value, str((evidence or {}).get(key, ""))[:200], 0.9)
            interview.asked.append(key)
    if confirm:
        return {"status": "confirm", "approach": None, "confirm": confirm,
                "facts_understood": {k: v for k, v in facts.items() if v is not None}}
    result = engine.recommend(interview.values())
    # the same per-approach verdicts and worked-out price the offline brain answers from, in words (labels)
    result["verdicts"] = [{"approach": APPROACHES[v["approach"]].label, "verdict": verdicts.VERDICT_LABELS[v["verdict"]],
                           "reason": v["reason"], "would_fit": v["condition"]}
                          for v in verdicts.verdicts(interview.values(), result["approach"])]
    result["price"] = pricing.price(result["approach"], interview.values()).as_dict()
    scores = policy.scores(interview) if len(interview.asked) < policy.MAX_QUESTIONS else {}
    result["status"] = "ok"
    result["confirm"] = []
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
