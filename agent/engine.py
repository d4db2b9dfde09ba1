"""The decision engine: a pure function from facts to a recommendation. No model, no index, no I/O.

`recommend(facts) -> dict` takes {fact: value or None} (values typed as in `trainer.state.vocabulary.FACTS`) and
returns

    {"approach": id, "alternatives": [ids], "reasons": [str], "evidence": [{"fact", "value", "text"}],
     "assumptions": [str], "would_change": [{"fact", "value", "approach", "text"}],
     "cost": {"usd": [low, high], "days": [low, high], "note": str}}

The rules are those of the four source articles (shared/seeds/), in their order of escalation — prompt
engineering → retrieval → fine-tuning → continued pretraining → pretraining from scratch; move up only when
the step below demonstrably fails — with their thresholds as named constants below. Every reason names the
fact it rests on; an unknown fact is never silently assumed: the assumption is listed.
"""

from __future__ import annotations

from typing import Any, Mapping

from agent.numbers import human
from trainer.state.vocabulary import APPROACHES, FACT_LABELS, FACTS, Choice, Tags, approach_label

# ---- thresholds, each from the source articles ------------------------------------------------------------------
# "fewer than 50–100 high-quality pairs will rarely produce meaningful gains"; "early signal with 200–300 good
# examples"; "not the right answer when your dataset is fewer than a few hundred high-quality examples".
MIN_SFT_EXAMPLES = 200
MIN_HELD_OUT, MAX_HELD_OUT = 20, 200  # test cases: enough to see a difference, few enough to review by hand

# Full fine-tuning earns its compute only with plenty of data ("5,000–50,000 for deeper shifts").
MIN_FULL_FT_EXAMPLES = 10_000
# "Large amounts of unlabeled domain text" for continued pretraining; 30 M tokens ≈ 23 M words ≈ 45,000 pages.
MIN_CPT_TOKENS = 30_000_000
# "Do you have 10B+ tokens of high-quality domain text?" — the bar for pretraining from scratch.
MIN_SCRATCH_TOKENS = 10_000_000_000
# "Training a 7B-parameter model from scratch costs roughly $500K–$2M."
MIN_SCRATCH_BUDGET = 500_000
# DPO needs enough comparisons to move a policy; a few thousand pairs is the common working range.
MIN_PREFERENCE_PAIRS = 1_000
# Full fine-tuning of a useful model (1–8 B parameters) needs ≈ 16 bytes/parameter with Adam: 160 GB+ in total.
MIN_FULL_FT_GPU_MEMORY_GB = 160

BEHAVIOUR = {"format", "tone", "terminology", "task"}
SERVING = {"cost", "latency"}


def sft_epochs(examples: int | None) -> float:
    """Passes over a supervised data set: small sets need more, large ones one or two ("stop when validation loss
    stops decreasing"). The plan trains with it and the price assumes it, so the two never disagree."""
    if not examples or examples < 1_000:
        return 3.0
    return 2.0 if examples < 10_000 else 1.0


def held_out_count(examples: int) -> int:
    """How many of the user's examples to keep aside as the test set: a tenth, at least 20 and at most 200, and
    never more than a fifth of what there is."""
    return max(1, min(MAX_HELD_OUT, max(MIN_HELD_OUT, round(examples * 0.1)), examples // 5))


def describe(fact: str, value: Any) -> str:
    """A fact's value in words, for reasons and questions."""
    if value is None:
        return "unknown"
    if fact in ("labeled_examples", "preference_data"):
        return f"{human(value)} {'examples' if fact == 'labeled_examples' else 'preference pairs'}"
    if fact == "unlabeled_corpus":
        return f"{human(value)} tokens of unlabeled text"
    if fact == "budget":
        return f"${human(value)}"
    if fact == "timeline":
        return f"{value:g} days"
    if fact == "compute":
        if not value.get("gpus"):
            return "no GPU"
        return f"{value['gpus']} GPU(s) of {value['gpu_memory_gb']:g} GB ({value.get('access') or 'access unstated'})"
    if isinstance(value, list):
        return ", ".join(_value_words(fact, v) for v in value) if value else "none"
    return _value_words(fact, str(value))


def _value_words(fact: str, value: str) -> str:
    """A stored value as a user reads it: the short word for the common ones, the vocabulary's meaning for an id
    that is not a word ("meets_target", "base_model_gap"), the value itself when it is a plain word ("tone")."""
    if value in VALUE_WORDS:
        return VALUE_WORDS[value]
    kind = FACTS[fact].type if fact in FACTS else None
    members = kind.members if isinstance(kind, (Choice, Tags)) else {}
    return members.get(value, value) if "_" in value else value


# Stored values a user reads in words (the rest read as they are: "format", "tone", "frequent"…).
VALUE_WORDS = {"on_prem": "on-premises only", "air_gapped": "air-gapped", "single_task": "a single narrow task",
               "on_device": "running on a device", "lora_plateau": "LoRA plateaued", "plateau": "plateaued",
               "basic": "only a plain prompt", "ml": "ML engineers",
               "software": "software engineers", "pretraining": "people who have pretrained models"}


class _Facts:
    """Read-only view with the derived quantities the rules use."""

    def __init__(self, facts: Mapping[str, Any]):
        self.raw = facts
        self.problem = set(facts.get("problem") or [])
        self.prompting = facts.get("prompting_tried")
        self.labeled = facts.get("labeled_examples")
        self.quality = facts.get("data_quality")
        self.changes = facts.get("knowledge_changes")
        self.corpus = facts.get("unlabeled_corpus")
        self.prefs = facts.get("preference_data")
        self.sensitivity = facts.get("data_sensitivity")
        self.weights = facts.get("weights_allowed")
        self.novelty = facts.get("domain_novelty")
        self.compute = facts.get("compute")
        self.budget = facts.get("budget")
        self.timeline = facts.get("timeline")
        self.team = facts.get("team")
        self.inference = set(facts.get("inference_constraints") or [])

    def total_gpu_memory(self) -> float | None:
        if self.compute is None:
            return None
        return float(self.compute.get("gpus", 0)) * float(self.compute.get("gpu_memory_gb", 0))

    def prompted(self) -> bool:
        """Serious prompting was done (it may already meet the target)."""
        return self.prompting in ("tried", "meets_target")

    def enough_labeled(self) -> bool:
        return self.labeled is not None and self.labeled >= MIN_SFT_EXAMPLES

    def big_corpus(self) -> bool:
        return self.corpus is not None and self.corpus >= MIN_CPT_TOKENS


class _Decision:
    def __init__(self) -> None:
        self.approach = ""
        self.alternatives: list[str] = []
        self.evidence: list[dict] = []
        self.assumptions: list[str] = []
        self.rejected: list[str] = []

    def because(self, fact: str, value: Any, text: str) -> None:
        self.evidence.append({"fact": fact, "value": value, "text": text})

    def assume(self, fact: str, text: str) -> None:
        self.assumptions.append(f"{FACT_LABELS.get(fact, fact)} unknown: {text}")

    def choose(self, approach: str, *alternatives: str) -> "_Decision":
        self.approach = approach
        self.alternatives = [a for a in dict.fromkeys(alternatives) if a and a != approach][:3]
        return self


def _decide(raw: Mapping[str, Any]) -> _Decision:
    f, d = _Facts(raw), _Decision()
    P = f.problem

    # 1. No existing weights may be used: pretraining from scratch is the only route, if it can be resourced.
    if f.weights == "no":
        d.because("weights_allowed", "no", "no existing model weights may be used, so every route that starts "
                  "from a pretrained model is closed")
        lacks = []
        if f.corpus is not None and f.corpus < MIN_SCRATCH_TOKENS:
            lacks.append(("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} is below the "
                          f"~10B tokens a model from scratch needs"))
        if f.compute is not None and not (f.compute.get("access") == "cluster" or f.compute.get("gpus", 0) >= 16):
            lacks.append(("compute", f.compute, f"{describe('compute', f.compute)} is not the multi-week GPU "
                          "cluster pretraining needs"))
        if f.team is not None and f.team != "pretraining":
            lacks.append(("team", f.team, "nobody on the team has pretrained a model; that depth is required"))
        if f.budget is not None and f.budget < MIN_SCRATCH_BUDGET:
            lacks.append(("budget", f.budget, f"${human(f.budget)} is far below the $500K–$2M a 7B model costs"))
        if not lacks:
            if f.corpus is not None:
                d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} clears the ~10B "
                          "token bar for pretraining")
            else:
                d.assume("unlabeled_corpus", "assumed to be 10B+ tokens of domain text")
            if f.compute is not None:
                d.because("compute", f.compute, f"{describe('compute', f.compute)}: cluster-scale compute is available")
            if f.team is not None:
                d.because("team", f.team, "the team has pretraining experience")
            if f.budget is not None:
                d.because("budget", f.budget, f"${human(f.budget)} covers a $500K–$2M pretraining run")
            if f.sensitivity in ("air_gapped", "on_prem"):
                d.because("data_sensitivity", f.sensitivity, "the data cannot leave your own infrastructure")
            if f.novelty == "novel":
                d.because("domain_novelty", "novel", "the domain has no overlap with public pretraining data")
            return d.choose("pretrain_from_scratch", "continued_pretraining", "collect_data")
        for fact, value, text in lacks:
            d.because(fact, value, text)
        return d.choose("collect_data", "pretrain_from_scratch", "continued_pretraining")

    # 2. Quality is fine with a big prompted model, but serving it costs too much or is too slow: distil the
    #    task into a small fine-tuned model ("a fine-tuned smaller model … cheaper to run at inference time").
    #    A prompt that meets the target on a model that cannot run where it must (on a device, offline) is the
    #    same case: the quality is there, the model is too big for where it has to serve.
    quality_gap = P & {"knowledge", "hallucination", "reasoning", "format", "tone", "terminology", "domain", "plateau"}
    must_shrink = f.prompting == "meets_target" and "on_device" in f.inference
    if (P & SERVING or must_shrink) and not quality_gap:
        if P & SERVING:
            d.because("problem", sorted(P), "the failure is serving cost/latency, not answer quality")
        else:
            d.because("prompting_tried", "meets_target", "your prompt already reaches the target, but on a model "
                      "too big for where it has to run")
        if f.inference:
            d.because("inference_constraints", sorted(f.inference), f"serving constraints: {describe('inference_constraints', sorted(f.inference))}")
        if f.labeled is not None and f.labeled < MIN_SFT_EXAMPLES:
            d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)}: label more with the "
                      "big model you already trust, then distil")
            return d.choose("collect_data", "lora_finetune", "prompt_engineering")
        if f.labeled is not None:
            d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)} are enough to teach a "
                      "small model this one task")
        else:
            d.assume("labeled_examples", "assumed you can label a few thousand examples with the big model")
        full_ok = (f.labeled or 0) >= MIN_FULL_FT_EXAMPLES and (f.total_gpu_memory() or 0) >= 40
        return d.choose("lora_finetune", "full_finetune" if full_ok else "prompt_engineering",
                        "full_finetune", "prompt_engineering")

    # 2b. The prompt already meets the target and serving is no problem: nothing to train. Seed 003's ladder, step 2:
    #     "if performance reaches your threshold, you're done" — keep the prompt, evaluate it, ship it.
    if f.prompting == "meets_target" and not P & SERVING:
        d.because("prompting_tried", "meets_target", "your prompt already reaches the target; training could only "
                  "add cost and risk (forgetting, upkeep) for a gain nobody asked for")
        return d.choose("prompt_engineering", "lora_finetune" if f.enough_labeled() else "collect_data", "rag")

    # 2c. Several fine-tunes do not beat a well-prompted stronger model: the gap is capability, which training within
    #     the base model's envelope does not add. Seed 000: "for capability improvements, you need a stronger base
    #     model"; fine-tuning "shifts behavior within the capability envelope the base model already has".
    if "base_model_gap" in P and f.weights != "no":
        d.because("problem", sorted(P), "your fine-tunes already lose to a stronger model with a good prompt: the "
                  "difference is the base model's capability, not your data")
        return d.choose("stronger_base_model", "prompt_engineering", "lora_finetune")

    # 3. The model lacks facts: retrieval, not weights ("use RAG when the knowledge is factual and changes").
    # "frequent" answers "how often does the information the model needs change": a knowledge need, unless the
    # failure is purely tone, reasoning or serving
    knowledge = "knowledge" in P or (f.changes == "frequent" and not (P and P <= {"tone", "reasoning", "cost",
                                                                                 "latency", "plateau"}))
    if knowledge:
        if "knowledge" in P:
            d.because("problem", sorted(P), "answers miss or misstate facts: a knowledge gap, which retrieval fixes "
                      "without touching the weights")
        if f.changes in ("frequent", "occasional"):
            d.because("knowledge_changes", f.changes, f"the knowledge changes ({f.changes}); fine-tuning would bake in "
                      "a copy that goes stale")
        behaviour = P & {"format", "tone", "terminology"}
        if behaviour and f.prompted() and f.enough_labeled() and f.quality != "low":
            d.because("prompting_tried", "tried", "careful prompting did not fix the behaviour part")
            d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)} can teach the "
                      f"{'/'.join(sorted(behaviour))} behaviour")
            return d.choose("rag_and_finetune", "rag", "lora_finetune")
        if behaviour:
            if not f.prompted():
                d.because("prompting_tried", f.prompting, "the behaviour part may still yield to a better prompt")
            elif not f.enough_labeled():
                d.because("labeled_examples", f.labeled, "too few examples to fine-tune the behaviour part yet")
            return d.choose("rag", "rag_and_finetune", "prompt_engineering")
        return d.choose("rag", "prompt_engineering", "rag_and_finetune")

    # 3b. A domain genuinely outside every model's pretraining data, with the scale to build one: "only here —
    #     when the domain is outside the pretraining distribution and no fine-tuning closes the gap — does
    #     training from scratch become a serious conversation" (needs 10B+ tokens, a cluster, a pretraining team).
    if f.novelty == "novel" and (f.corpus or 0) >= MIN_SCRATCH_TOKENS:
        cluster = f.compute is None or f.compute.get("access") == "cluster" or f.compute.get("gpus", 0) >= 16
        funded = f.budget is None or f.budget >= MIN_SCRATCH_BUDGET
        if cluster and f.team in (None, "pretraining") and funded:
            d.because("domain_novelty", "novel", "no existing model has seen anything like your domain")
            d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} clears the ~10B token "
                      "bar for pretraining")
            if f.compute is not None:
                d.because("compute", f.compute, f"{describe('compute', f.compute)}: cluster-scale compute is available")
            else:
                d.assume("compute", "assumed a GPU cluster for weeks is available")
            if f.team is not None:
                d.because("team", f.team, "the team has pretraining experience")
            else:
                d.assume("team", "assumed the team has pretraining experience")
            if f.budget is not None:
                d.because("budget", f.budget, f"${human(f.budget)} covers a $500K–$2M pretraining run")
            return d.choose("pretrain_from_scratch", "continued_pretraining", "collect_data")

    # 4. Specialised domain reasoning the base model lacks, with plenty of raw domain text: continued pretraining
    #    ("surface-level style adaptation isn't enough — you need the model to reason differently").
    #    A language the model barely writes is the same kind of gap: under-represented in pretraining, fixed by
    #    more next-token training on that language's text (seed 001: patterns "underrepresented in standard
    #    training data"); a prompt cannot teach a language.
    depth = P & {"reasoning", "hallucination", "domain", "language"}
    specialised = "domain" in P or f.novelty in ("partial", "novel") or "terminology" in P or "language" in P
    if (depth and specialised or f.novelty == "novel") and f.big_corpus():
        if f.prompting in ("none", "basic") and not P & {"hallucination", "domain", "language"}:
            d.because("prompting_tried", f.prompting, "structured prompting has not been tried yet")
            return d.choose("prompt_engineering", "continued_pretraining", "stronger_base_model")
        if P:
            d.because("problem", sorted(P), "the gap is domain depth (reasoning/knowledge substrate), not surface style")
        d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} is enough to shift the "
                  "model toward your domain before fine-tuning")
        if f.novelty in ("partial", "novel"):
            d.because("domain_novelty", f.novelty, "your domain is under-represented in public pretraining data")
        if f.labeled is not None:
            d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)} for the fine-tuning "
                      "stage after continued pretraining")
        if "plateau" in P or "lora_plateau" in P:
            d.because("problem", sorted(P), "fine-tuning alone already plateaued")
        if f.compute is not None and f.compute.get("gpus", 0) == 0:
            d.assume("compute", "continued pretraining needs GPUs; rent them for the run")
        return d.choose("continued_pretraining", "lora_finetune" if f.enough_labeled() else "collect_data", "rag")

    # 5. General reasoning is a capability limit: fine-tuning does not make a model smarter.
    if "reasoning" in P:
        d.because("problem", sorted(P), "the failure is multi-step reasoning, a capability of the base model")
        if f.prompting in (None, "none", "basic"):
            if f.prompting is None:
                d.assume("prompting_tried", "assumed chain-of-thought prompting has not been tried")
            else:
                d.because("prompting_tried", f.prompting, "chain-of-thought and worked examples come first")
            return d.choose("prompt_engineering", "stronger_base_model")
        d.because("prompting_tried", "tried", "prompting (chain-of-thought, examples) has been tried and is not enough")
        if f.labeled is not None:
            d.because("labeled_examples", f.labeled, "more solved examples adjust format, not reasoning depth")
        return d.choose("stronger_base_model", "continued_pretraining" if f.big_corpus() else "prompt_engineering",
                        "lora_finetune" if f.enough_labeled() else "")

    # 6. Made-up facts without a domain corpus: ground the answers in sources.
    if "hallucination" in P:
        d.because("problem", sorted(P), "it invents facts; grounding answers in retrieved sources curbs that")
        if f.corpus is not None:
            d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)}: too little for "
                      "continued pretraining, enough to retrieve from")
        return d.choose("rag", "stronger_base_model", "continued_pretraining")

    # 7. A domain no public model has seen, and too little text to adapt one.
    if f.novelty == "novel" and f.corpus is not None and not f.big_corpus():
        d.because("domain_novelty", "novel", "no public model has seen your domain")
        d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} is too little to adapt "
                  "a model; gather more domain text first")
        return d.choose("collect_data", "continued_pretraining", "rag")

    # 8. Behaviour (format, tone, terminology, task) — prompt first, then data, then fine-tune.
    if P:
        d.because("problem", sorted(P), f"the failure is behaviour ({', '.join(sorted(P))}), which prompting or "
                  "fine-tuning can shape")
    if f.prompting in (None, "none", "basic"):
        if f.prompting is None:
            d.assume("prompting_tried", "assumed a structured prompt has not been tried; that comes first")
        else:
            d.because("prompting_tried", f.prompting, "a structured system prompt with a schema and few-shot examples "
                      "has not been tried; it resolves 60–80% of behaviour complaints without training")
        if P & {"plateau", "lora_plateau"}:
            # A fine-tune already ran, but no prompt baseline was built: seed 003 measures every tuned model against
            # the base model with its best prompt and says "exhaust prompting first"; a small fine-tuning gain is what
            # a good prompt often matches. So the best prompt comes first, then the fine-tune again.
            d.because("problem", sorted(P), "a fine-tune already ran for only a small gain, and there is no best-prompt "
                      "baseline to compare it with")
        if f.prompting == "basic" and (f.prefs or 0) >= MIN_PREFERENCE_PAIRS and not f.enough_labeled():
            # Preference pairs after prompting helped partly (seed 003: DPO "when you want to shape model behavior
            # based on preference rankings rather than single correct answers")
            d.because("prompting_tried", "basic", "prompting was tried and helped only partly")
            d.because("preference_data", f.prefs, f"{describe('preference_data', f.prefs)} to train on, and no gold "
                      "answers to imitate")
            return d.choose("preference_tuning", "prompt_engineering", "collect_data")
        return d.choose("prompt_engineering", "lora_finetune" if f.enough_labeled() else "collect_data",
                        "preference_tuning" if (f.prefs or 0) >= MIN_PREFERENCE_PAIRS else "")
    d.because("prompting_tried", f.prompting, "careful prompting has been tried and falls short")

    if (f.prefs or 0) >= MIN_PREFERENCE_PAIRS and (not f.enough_labeled() or P & {"tone", "safety"}):
        d.because("preference_data", f.prefs, f"{describe('preference_data', f.prefs)}: judgments of better/worse "
                  "answers are what DPO trains on")
        if not f.enough_labeled():
            d.because("labeled_examples", f.labeled, "no single gold answers to imitate, only comparisons")
        return d.choose("preference_tuning", "lora_finetune", "prompt_engineering")

    if f.quality == "low":
        d.because("data_quality", "low", "noisy examples teach bad patterns; 200 clean examples beat 5,000 noisy ones")
        return d.choose("collect_data", "lora_finetune", "prompt_engineering")
    if f.quality == "mixed":
        # Seed 003: quality beats quantity, and the data work is most of a fine-tune's effort. A set that is only
        # partly good teaches its bad part too: separate the good part (review, relabel, filter) before training.
        d.because("data_quality", "mixed", "only part of the examples is good; a model learns the bad part too, so "
                  "curate them (review, relabel, drop the rest) before training")
        return d.choose("collect_data", "lora_finetune", "prompt_engineering")
    if f.labeled is None:
        d.assume("labeled_examples", "without a count of good examples, curating them is the first step")
        return d.choose("collect_data", "lora_finetune", "prompt_engineering")
    if f.labeled < MIN_SFT_EXAMPLES:
        d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)} is below the "
                  f"~{MIN_SFT_EXAMPLES} high-quality examples fine-tuning needs to beat a good prompt")
        return d.choose("collect_data", "prompt_engineering", "lora_finetune")
    d.because("labeled_examples", f.labeled, f"{describe('labeled_examples', f.labeled)} is in the working range "
              "for supervised fine-tuning")
    if f.quality == "high":
        d.because("data_quality", "high", "reviewed, curated examples: the highest-leverage ingredient")

    # LoRA plateaued with plenty of data, the compute for all weights, and forgetting does not matter: full FT.
    memory = f.total_gpu_memory()
    plateau = "lora_plateau" in P or "plateau" in P
    if plateau and f.labeled >= MIN_FULL_FT_EXAMPLES and (memory is None or memory >= MIN_FULL_FT_GPU_MEMORY_GB):
        d.because("problem", sorted(P), "LoRA already plateaued below target on this data")
        if memory is not None:
            d.because("compute", f.compute, f"{describe('compute', f.compute)} can hold full fine-tuning")
        else:
            d.assume("compute", f"assumed ≥ {MIN_FULL_FT_GPU_MEMORY_GB} GB of GPU memory in total")
        if "single_task" in f.inference:
            d.because("inference_constraints", sorted(f.inference), "the model does one task, so forgetting general "
                      "abilities costs nothing")
        return d.choose("full_finetune", "continued_pretraining" if f.big_corpus() else "lora_finetune",
                        "lora_finetune")

    if f.big_corpus() and specialised:
        d.because("unlabeled_corpus", f.corpus, f"{describe('unlabeled_corpus', f.corpus)} could first adapt the "
                  "model to your domain's terminology")
    if f.inference & {"latency", "cost", "volume", "on_device"}:
        d.because("inference_constraints", sorted(f.inference), "a small fine-tuned model is cheap and fast to serve")
    if f.compute is not None and f.compute.get("gpus", 0) == 0 and f.compute.get("access") == "none":
        d.assume("compute", "LoRA on a small model runs on a CPU; larger models need a rented GPU for hours")
    alternatives = []
    if f.big_corpus() and specialised:
        alternatives.append("continued_pretraining")
    if f.labeled >= MIN_FULL_FT_EXAMPLES:
        alternatives.append("full_finetune")  # enough data to move every weight, if the memory is there
    alternatives.append("prompt_engineering")
    if f.labeled < 1_000:
        alternatives.append("collect_data")  # a few hundred examples: more reviewed data is the next lever
    return d.choose("lora_finetune", *alternatives)


_MEMO: dict[tuple, str] = {}
_MEMO_LIMIT = 100_000  # entries (≈ 20 MB at most); cleared when full


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


def approach_of(facts: Mapping[str, Any]) -> str:
    """Only the approach id. The policy calls this thousands of times per turn over a few hundred distinct
    profiles, so results are memoised by the facts' values (the engine is pure, so this is safe)."""
    key = tuple((k, _frozen(v)) for k, v in facts.items())
    approach = _MEMO.get(key)
    if approach is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        approach = _MEMO[key] = _decide(facts).approach
    return approach


# ---- what would change it, and what it costs -------------------------------------------------------------------

# Values a fact could plausibly take, with prior probabilities (how often teams report each). The question
# policy samples from these; `would_change` tries them one at a time.
CANDIDATES: dict[str, list[tuple[Any, float]]] = {
    "problem": [(["format"], 0.22), (["tone"], 0.12), (["knowledge"], 0.24), (["reasoning"], 0.1),
                (["terminology"], 0.1), (["cost", "latency"], 0.08), (["domain", "hallucination"], 0.08),
                (["task"], 0.06)],
    # "meets_target" is left out on purpose: it is rare, and probing it would cost every question a 4th value
    "prompting_tried": [("none", 0.3), ("basic", 0.15), ("tried", 0.55)],
    "labeled_examples": [(0, 0.2), (60, 0.15), (600, 0.3), (5_000, 0.25), (50_000, 0.1)],
    "data_quality": [("high", 0.5), ("mixed", 0.35), ("low", 0.15)],
    "knowledge_changes": [("frequent", 0.3), ("occasional", 0.3), ("static", 0.4)],
    "unlabeled_corpus": [(0, 0.35), (5_000_000, 0.25), (200_000_000, 0.25), (3_000_000_000, 0.1),
                         (30_000_000_000, 0.05)],
    "preference_data": [(0, 0.85), (5_000, 0.15)],
    "data_sensitivity": [("public", 0.3), ("confidential", 0.45), ("on_prem", 0.2), ("air_gapped", 0.05)],
    "weights_allowed": [("yes", 0.95), ("no", 0.05)],
    "domain_novelty": [("covered", 0.6), ("partial", 0.3), ("novel", 0.1)],
    "compute": [({"gpus": 0, "gpu_memory_gb": 0, "access": "none"}, 0.25),
                ({"gpus": 1, "gpu_memory_gb": 24, "access": "rent"}, 0.35),
                ({"gpus": 1, "gpu_memory_gb": 80, "access": "own"}, 0.2),
                ({"gpus": 8, "gpu_memory_gb": 80, "access": "own"}, 0.15),
                ({"gpus": 64, "gpu_memory_gb": 80, "access": "cluster"}, 0.05)],
    "budget": [(500, 0.3), (5_000, 0.35), (50_000, 0.25), (1_000_000, 0.1)],
    "timeline": [(7, 0.2), (30, 0.4), (90, 0.3), (365, 0.1)],
    "team": [("none", 0.1), ("software", 0.45), ("ml", 0.4), ("pretraining", 0.05)],
    "inference_constraints": [([], 0.5), (["cost"], 0.2), (["latency", "volume"], 0.2), (["single_task"], 0.1)],
}


def would_change(facts: Mapping[str, Any], current: str, limit: int = 4) -> list[dict]:
    """Single facts whose different value would change the advice, most likely first."""
    found = []
    for fact, candidates in CANDIDATES.items():
        for value, prior in sorted(candidates, key=lambda c: -c[1]):
            if facts.get(fact) == value or prior < 0.1:
                continue  # rare values (a ban on all weights) are not worth listing for everyone
            trial = dict(facts)
            trial[fact] = value
            other = approach_of(trial)
            if other != current:
                weight = prior * (1.0 if facts.get(fact) is None else 0.5)
                found.append((weight, {"fact": fact, "value": value, "approach": other,
                                       "text": f"if {FACT_LABELS.get(fact, fact)} were {describe(fact, value)}: "
                                               f"{approach_label(other)}"}))
                break
    found.sort(key=lambda item: -item[0])
    return [item for _, item in found[:limit]]


def cost_range(approach: str, facts: Mapping[str, Any]) -> dict:
    cost = APPROACHES[approach].cost  # the vocabulary's range, scaled below where the data sets the price
    (lo, hi), (dlo, dhi), note = cost.usd, cost.days, cost.note
    corpus = facts.get("unlabeled_corpus") or 0
    if approach == "continued_pretraining" and corpus:
        # ≈ $100–$1,000 of GPU time per billion tokens for a 1–8B model (6·N·D FLOPs on rented H100s)
        lo, hi = max(lo, corpus / 1e9 * 100), max(hi, corpus / 1e9 * 1_000)
    if approach in ("lora_finetune", "rag_and_finetune") and (facts.get("labeled_examples") or 0) > 50_000:
        hi *= 3
    return {"usd": [round(lo), round(hi)], "days": [dlo, dhi], "note": note}


def recommend(facts: Mapping[str, Any]) -> dict:
    """The recommendation for these facts (see the module docstring for the shape)."""
    facts = {k: v for k, v in facts.items()}
    d = _decide(facts)
    reasons = []
    for e in d.evidence:
        said = describe(e["fact"], e["value"])
        label = FACT_LABELS.get(e["fact"], e["fact"])
        reasons.append(f"{label}: {e['text']}" if said in e["text"] else f"{label} — {said}: {e['text']}")
    reasons += [f"{a} (assumption)" for a in d.assumptions]
    return {
        "approach": d.approach,
        "alternatives": d.alternatives,
        "reasons": reasons,
        "evidence": [{**e, "value": e["value"]} for e in d.evidence],
        "assumptions": d.assumptions,
        "would_change": would_change(facts, d.approach),
        "cost": cost_range(d.approach, facts),
    }
