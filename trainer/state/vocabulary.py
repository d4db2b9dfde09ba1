"""The advisor's vocabulary, in one place: approaches, facts and job states (DESIGN.md, "The advisor's vocabulary").

Every other module imports ids, labels and per-item data from here and never repeats a list of them:

- `APPROACHES` — one `Approach` per approach id: its human label, cost range, the guidance query that cites it,
  and its plan rule (the steps a plan lists, and the recipe it trains, or none).
- `FACTS` — one `FactSpec` per fact key: its human label and the type of its value (`Choice`, `Tags`, `Number`,
  `GpuSpec`). `check_value(key, value)` says whether a value has that type.
- `JobState` — the job lifecycle's states, a `str` enum whose values are the strings stored in the database.

Adding an approach or a fact is one entry here. The module checks itself when imported: an entry that lacks
a piece (a label, a cost range, a citation query, a plan rule; a fact's label or type) raises
`VocabularyError` naming the entry and what is missing. Tests then name the places outside this file that must
know the newcomer (a rule of the decision engine that can choose it, a guide that covers it, a question for a
fact).

It lives in `trainer.state`, the ground floor, because `knowledge` (a guide's `approaches`), `trainer` (job
states), `tools` (the tools' `Literal` types), `agent` and `ui` all read it; it imports nothing of tunewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Iterable, Literal, Mapping


class VocabularyError(ValueError):
    """An entry of the vocabulary is incomplete or inconsistent; the message names the entry and the piece."""


# ---- approaches -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cost:
    """A cost and time range: US dollars of compute or labour, calendar days; `note` says what the money buys."""

    usd: tuple[float, float]
    days: tuple[float, float]
    note: str


@dataclass(frozen=True)
class Recipe:
    """What a plan for the approach trains: the trainer's `kind` and LoRA `method`; `data_format` when the data
    is not plain supervised examples (`trainer.config` data.format)."""

    kind: Literal["sft", "dpo", "continued_pretraining", "pretraining"]
    method: Literal["lora", "full"]
    data_format: str | None = None


@dataclass(frozen=True)
class Approach:
    """One approach. Defaults are empty so that an incomplete entry can be written and the check names the gap."""

    id: str
    label: str = ""  # what a user reads, lower case ("LoRA fine-tuning"); screens capitalise it for headings
    cost: Cost | None = None  # from the source articles' figures; agent.engine.cost_range scales some with the data
    citation_query: str = ""  # what the advisor searches the guidance index for to cite this recommendation
    steps: tuple[str, ...] = ()  # the plan rule: what the user does, in order (agent.plan lists them)
    recipe: Recipe | None = None  # the plan rule's training part; None = this approach trains nothing
    notes: tuple[str, ...] = ()  # caveats the plan shows next to its config
    # what the approach is and does, in one clause a user reads after its label ("why not X?" opens with it)
    meaning: str = ""

    @property
    def trains(self) -> bool:
        return self.recipe is not None


_APPROACHES: tuple[Approach, ...] = (
    Approach(
        "prompt_engineering", "prompt engineering",
        Cost((0, 500), (1, 5), "hours to days of prompt iteration; you pay only inference"),
        "exhaust prompt engineering before fine-tuning: system prompt, schema, few-shot examples",
        ("write a structured system prompt: role, rules, the exact output schema",
         "add 3-5 few-shot examples covering the hard cases",
         "test 5-10 prompt variants on 50 real inputs and score them",
         "add an output parser/validator and retry on schema errors"),
        meaning=(
            "a structured system prompt (rules, an exact output schema, a few worked examples) and no training: "
            "the model's weights stay as they are, and its measured score is the baseline any training must beat"),
    ),
    Approach(
        "rag", "retrieval-augmented generation (RAG)",
        Cost((500, 5_000), (5, 20), "an index, a retriever and an evaluation set; no training"),
        "use retrieval RAG when knowledge is factual and changes frequently instead of fine-tuning",
        ("collect the source documents and split them into passages", "index them with an embedding model",
         "retrieve the top passages per question into the prompt, with citations",
         "re-index on every content change; evaluate answer accuracy on real questions"),
        meaning=(
            "your documents are split into passages and indexed; at answer time the passages closest to the "
            "question go into the prompt, so answers can quote and cite the current source, and a change is one "
            "re-index away, with no retraining"),
    ),
    Approach(
        "collect_data", "building the dataset first",
        Cost((1_000, 20_000), (14, 60), "mostly labelling and review time (60–70% of a fine-tuning project)"),
        "how many high-quality labeled examples fine-tuning needs; build the dataset first",
        ("write down the exact task and output format",
         "collect real inputs and have experts write or correct the outputs",
         "aim for 500-2,000 reviewed examples; 200-300 show early signal",
         "deduplicate, fix labels, split 80/10/10 before training"),
        meaning=(
            "writing down the task and building a set of reviewed input → output examples, with a slice held out "
            "as the test set, before any training"),
    ),
    Approach(
        "lora_finetune", "LoRA fine-tuning",
        Cost((20, 2_000), (1, 7), "a few GPU-hours to a day of LoRA training; data preparation dominates"),
        "LoRA fine-tuning for consistent format, tone and style with a few hundred to thousands of examples",
        ("validate the dataset", "LoRA fine-tune the base model",
         "evaluate against the base model with your best prompt, plus a forgetting check"),
        Recipe("sft", "lora"),
        meaning=(
            "supervised fine-tuning that freezes the base model's weights and trains small low-rank adapter "
            "matrices beside them: megabytes instead of a model copy, one GPU instead of several, and less "
            "forgetting than training every weight (QLoRA does the same on a 4-bit base to save memory)"),
    ),
    Approach(
        "full_finetune", "full fine-tuning",
        Cost((500, 20_000), (3, 21), "all weights trained: several large GPUs for hours to days"),
        "full fine-tuning versus LoRA: when updating all weights is worth it, catastrophic forgetting",
        ("validate the dataset", "fine-tune all weights with a low learning rate",
         "evaluate against the LoRA run and the base model; check forgetting"),
        Recipe("sft", "full"),
        meaning=(
            "supervised fine-tuning that updates every weight: the highest ceiling, but it needs several times "
            "the model's size in GPU memory, produces a full model copy per version and risks the most forgetting"),
    ),
    Approach(
        "preference_tuning", "preference tuning (DPO)",
        Cost((200, 10_000), (3, 21), "DPO on preference pairs after (or instead of) supervised tuning"),
        "preference tuning DPO RLHF with pairwise comparisons of better and worse answers",
        ("validate the preference pairs (prompt, chosen, rejected)", "DPO on the pairs (after supervised tuning when needed)",
         "have reviewers compare tuned vs. base answers blind"),
        Recipe("dpo", "lora", data_format="preference"),
        ("DPO with LoRA: the reference model is the base with the adapter switched off; when the base has never "
         "seen the task's form, run supervised tuning on the chosen answers first (the SFT → DPO pipeline, "
         "trainer/configs/pipelines/sft-then-dpo-cpu.yaml)",),
        meaning=(
            "training on pairs of answers to the same prompt, one preferred and one rejected; DPO learns from the"
            " pairs directly, without a separate reward model or a reinforcement-learning loop, and usually "
            "follows a supervised fine-tune"),
    ),
    Approach(
        "continued_pretraining", "continued pretraining, then fine-tuning",
        Cost((1_000, 100_000), (7, 42), "next-token training on your corpus, then fine-tuning"),
        "continued pretraining on unlabeled domain text before fine-tuning for domain reasoning",
        ("gather and clean the domain corpus", "continue next-token training on it",
         "fine-tune on your labeled examples", "evaluate domain accuracy and forgetting"),
        Recipe("continued_pretraining", "lora"),
        meaning=(
            "more next-token training of an existing open model on your unlabeled domain text, so it absorbs the "
            "domain's vocabulary and patterns, followed by a supervised fine-tune for the task"),
    ),
    Approach(
        "pretrain_from_scratch", "pretraining a model from scratch",
        Cost((500_000, 2_000_000), (60, 180), "a 7B-class model from random weights"),
        "when to pretrain a model from scratch: data that cannot leave, licences, 10B tokens",
        ("train a tokenizer on the corpus", "size the model to the tokens (≈ 20 tokens per parameter)",
         "pretrain on the cluster", "instruction-tune and evaluate"),
        Recipe("pretraining", "full"),
        meaning=(
            "training a new model from random weights: billions of tokens of text, a GPU cluster for weeks and a "
            "team that has done it before"),
    ),
    Approach(
        "stronger_base_model", "a stronger base model",
        Cost((0, 2_000), (2, 10), "evaluate larger or reasoning-tuned models; higher inference cost"),
        "fine-tuning does not fix reasoning limitations; choose a stronger base model",
        ("benchmark larger or reasoning-tuned models on 50 of your hardest inputs",
         "keep your best prompt (chain-of-thought, worked examples)",
         "only then consider fine-tuning the stronger model for format"),
        meaning=(
            "switching to a larger or reasoning-tuned model, compared with your current one on held-out cases "
            "with the same best prompt, when the failures are reasoning the current model cannot do"),
    ),
    Approach(
        "rag_and_finetune", "RAG for knowledge plus fine-tuning for behaviour",
        Cost((600, 8_000), (10, 30), "a retrieval pipeline plus a LoRA fine-tune for the behaviour"),
        "combine retrieval for changing knowledge with fine-tuning for format behaviour",
        ("build retrieval over the knowledge base",
         "LoRA fine-tune for the output template, with retrieved context in the training prompts",
         "evaluate facts and format separately"),
        Recipe("sft", "lora"),
        ("the fine-tune teaches the ticket/format behaviour only; facts come from retrieval at answer time, so the "
         "training data should show the model using a provided context",),
        meaning=(
            "retrieval for the facts, which stay current by re-indexing, plus a fine-tune for the behaviour "
            "(format, tone), each measured on its own"),
    ),
)


def check_approaches(approaches: Iterable[Approach]) -> None:
    """Raise VocabularyError naming every approach that lacks a piece, and which piece."""
    problems, seen = [], set()
    for a in approaches:
        missing = []
        if not a.label.strip():
            missing.append("label")
        if a.cost is None:
            missing.append("cost range")
        elif not (0 <= a.cost.usd[0] <= a.cost.usd[1] and 0 < a.cost.days[0] <= a.cost.days[1] and a.cost.note):
            missing.append("a cost range with low ≤ high, days > 0 and a note")
        if not a.citation_query.strip():
            missing.append("citation query")
        if not a.steps:
            missing.append("plan rule (its steps, and a recipe when it trains)")
        if not a.meaning.strip():
            missing.append("meaning (what it is and does, in a clause)")
        if a.id in seen:
            missing.append("a unique id (listed twice)")
        seen.add(a.id)
        if missing:
            problems.append(f"approach {a.id!r} lacks: {', '.join(missing)}")
    if problems:
        raise VocabularyError("; ".join(problems) + " (add them in trainer/state/vocabulary.py)")


# ---- facts ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Choice:
    """One value out of `members`: {value: what it means}."""

    members: Mapping[str, str]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.members


@dataclass(frozen=True)
class Tags:
    """A sorted list of distinct members (possibly empty): {tag: what it means}. A new mention adds tags."""

    members: Mapping[str, str]

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, list) and all(isinstance(t, str) and t in self.members for t in value)
                and value == sorted(set(value)))


@dataclass(frozen=True)
class Number:
    """A non-negative number in `unit`; `integer` when only whole numbers make sense (a count)."""

    unit: str
    integer: bool

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return value >= 0 and (not self.integer or float(value).is_integer())


@dataclass(frozen=True)
class GpuSpec:
    """{"gpus": how many GPUs (int), "gpu_memory_gb": memory per GPU in GB, "access": one of `access`}."""

    access: Mapping[str, str]

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, dict) and set(value) == {"gpus", "gpu_memory_gb", "access"}
                and isinstance(value["gpus"], int) and not isinstance(value["gpus"], bool) and value["gpus"] >= 0
                and isinstance(value["gpu_memory_gb"], (int, float)) and value["gpu_memory_gb"] >= 0
                and value["access"] in self.access)


ValueType = Choice | Tags | Number | GpuSpec


@dataclass(frozen=True)
class FactSpec:
    """One fact the interview gathers: its key (DESIGN.md), the label a user reads, the type of its value."""

    key: str
    label: str = ""
    type: ValueType | None = None


_FACTS: tuple[FactSpec, ...] = (
    # the tags agent.extract reads from "what is failing"; lora_plateau = "plateau" said about a LoRA run
    FactSpec("problem", "what is failing", Tags({
        "knowledge": "wrong, missing or outdated facts", "hallucination": "invents facts",
        "format": "output format or schema", "tone": "tone, voice or style", "terminology": "domain terminology",
        "reasoning": "multi-step reasoning", "language": "writes the users' language poorly",
        "safety": "unsafe answers or needless refusals", "domain": "shallow on a specialised domain",
        "task": "a narrow task (classify, extract, route)", "cost": "serving cost", "latency": "serving speed",
        "plateau": "fine-tuning stopped improving", "lora_plateau": "LoRA fine-tuning stopped improving",
        "base_model_gap": "a stronger base model already does better",
    })),
    FactSpec("prompting_tried", "prompting tried", Choice({
        "none": "not at all", "basic": "plain asks, no schema or examples",
        "tried": "serious prompting: a system prompt, examples, iterations",
        "meets_target": "serious prompting, and it already reaches the target",
    })),
    FactSpec("labeled_examples", "labeled examples", Number("input→output examples", integer=True)),
    FactSpec("data_quality", "data quality", Choice({
        "high": "reviewed, curated", "mixed": "partly reviewed", "low": "noisy, unreviewed",
    })),
    FactSpec("knowledge_changes", "how often the knowledge changes", Choice({
        "frequent": "daily to monthly", "occasional": "a few times a year", "static": "hardly ever",
    })),
    FactSpec("unlabeled_corpus", "unlabeled domain text", Number("tokens of raw domain text", integer=True)),
    FactSpec("preference_data", "preference data", Number("preference pairs or rankings", integer=True)),
    FactSpec("data_sensitivity", "data sensitivity", Choice({
        "public": "public", "confidential": "confidential; the team's own cloud account is fine",
        "on_prem": "the team's own servers only", "air_gapped": "never leaves an isolated enclave",
    })),
    FactSpec("weights_allowed", "existing weights allowed", Choice({
        "yes": "open or commercial weights may be used", "no": "no existing weights may be used",
    })),
    FactSpec("domain_novelty", "how new the domain is to public models", Choice({
        "covered": "public data covers it", "partial": "present in public data, but thin",
        "novel": "no overlap with public data",
    })),
    FactSpec("compute", "compute", GpuSpec({
        "none": "no GPU", "rent": "GPUs rented when needed", "own": "the team's own GPUs", "cluster": "a GPU cluster",
    })),
    FactSpec("budget", "budget", Number("US dollars for the project", integer=False)),
    FactSpec("timeline", "timeline", Number("days until it must work", integer=False)),
    FactSpec("team", "team", Choice({
        "none": "no engineers", "software": "software engineers, no ML", "ml": "ML engineers",
        "pretraining": "people who have pretrained models",
    })),
    FactSpec("inference_constraints", "serving constraints", Tags({
        "latency": "response time", "cost": "cost per request", "volume": "high request volume",
        "single_task": "one narrow task, so general abilities may be lost", "on_device": "runs on a device or CPU",
    })),
)


def check_facts(facts: Iterable[FactSpec]) -> None:
    """Raise VocabularyError naming every fact that lacks a label or a value type, or repeats a key."""
    problems, seen = [], set()
    for f in facts:
        missing = []
        if not f.label.strip():
            missing.append("label")
        if f.type is None:
            missing.append("value type (Choice, Tags, Number or GpuSpec)")
        elif isinstance(f.type, (Choice, Tags)) and not f.type.members:
            missing.append("value type with at least one member")
        if f.key in seen:
            missing.append("a unique key (listed twice)")
        seen.add(f.key)
        if missing:
            problems.append(f"fact {f.key!r} lacks: {', '.join(missing)}")
    if problems:
        raise VocabularyError("; ".join(problems) + " (add them in trainer/state/vocabulary.py)")


# ---- job states -------------------------------------------------------------------------------------------------

class JobState(StrEnum):
    """A job's state; the value is what the database stores (`job.state`). Lifecycle: DESIGN.md, "Job lifecycle"."""

    AWAITING_APPROVAL = "awaiting_approval"
    VALIDATING = "validating"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # the process died or the app stopped; resumable from its last checkpoint


TERMINAL_STATES = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)  # every job ends in exactly one
ACTIVE_STATES = (JobState.VALIDATING, JobState.QUEUED, JobState.RUNNING)  # approved, not yet ended

JOB_STATE_LABELS: dict[JobState, str] = {
    JobState.AWAITING_APPROVAL: "awaiting your approval",
    JobState.VALIDATING: "validating data",
    JobState.QUEUED: "queued",
    JobState.RUNNING: "running",
    JobState.SUCCEEDED: "succeeded",
    JobState.FAILED: "failed",
    JobState.CANCELLED: "cancelled",
    JobState.INTERRUPTED: "interrupted (resumable)",
}


# ---- checked at import, then the lookups everyone uses ----------------------------------------------------------

check_approaches(_APPROACHES)
check_facts(_FACTS)
if set(JOB_STATE_LABELS) != set(JobState):
    raise VocabularyError(f"job states without a label: {sorted(set(JobState) - set(JOB_STATE_LABELS))}")

APPROACHES: dict[str, Approach] = {a.id: a for a in _APPROACHES}
APPROACH_IDS: tuple[str, ...] = tuple(APPROACHES)  # DESIGN.md's order
APPROACH_LABELS: dict[str, str] = {a.id: a.label for a in _APPROACHES}
TRAINING_APPROACHES = frozenset(a.id for a in _APPROACHES if a.trains)

# `Literal` types generated from the ids, for typed tool arguments (their JSON schema lists the ids as an enum).
ApproachId = Literal[APPROACH_IDS]  # type: ignore[valid-type]

FACTS: dict[str, FactSpec] = {f.key: f for f in _FACTS}
FACT_KEYS: tuple[str, ...] = tuple(FACTS)  # DESIGN.md's order: the order questions are tie-broken in
FACT_LABELS: dict[str, str] = {f.key: f.label for f in _FACTS}
TAG_FACTS: tuple[str, ...] = tuple(f.key for f in _FACTS if isinstance(f.type, Tags))
FactKey = Literal[FACT_KEYS]  # type: ignore[valid-type]


def approach_label(approach: str, capitalised: bool = False) -> str:
    """The label a user reads for an approach id (an unknown id is shown as is, never hidden)."""
    label = APPROACH_LABELS.get(approach, approach)
    return label[:1].upper() + label[1:] if capitalised else label


def check_value(key: str, value: Any) -> bool:
    """Does `value` have the type the vocabulary gives fact `key`? None (unknown) always does."""
    return value is None or FACTS[key].type.accepts(value)  # type: ignore[union-attr]


__all__ = [
    "Approach", "Cost", "Recipe", "FactSpec", "Choice", "Tags", "Number", "GpuSpec", "JobState", "VocabularyError",
    "APPROACHES", "APPROACH_IDS", "APPROACH_LABELS", "TRAINING_APPROACHES", "ApproachId", "FACTS", "FACT_KEYS",
    "FACT_LABELS", "TAG_FACTS", "FactKey", "TERMINAL_STATES", "ACTIVE_STATES", "JOB_STATE_LABELS", "approach_label",
    "check_value", "check_approaches", "check_facts",
]
