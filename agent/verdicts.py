"""Why not X, for every approach: a verdict per approach from the user's facts. Pure; no model, no index.

`verdicts(facts, recommended)` returns one entry per approach, in the vocabulary's order:

    {"approach": id, "verdict": "recommended" | "fits" | "does_not_fit" | "would_fit_if",
     "fact": the deciding fact's key (or ""), "yours": the user's value in words ("60 examples", "unknown"),
     "needs": the threshold in words ("about 200 reviewed examples"), "reason": one sentence with the user's
     figures, "condition": what would make it fit ("" when it already fits)}

The thresholds are the decision engine's named constants (agent.engine), so the table and the recommendation
never disagree on a number. "would_fit_if" is a near miss: one fact away, and the user can usually change it;
"does_not_fit" is a miss on something the user cannot easily change (the kind of gap, the scale of data).
`why_not(approach, facts, recommended)` is that approach's entry as a short paragraph, for "why not X?".
"""

from __future__ import annotations

from typing import Any, Mapping

from agent import engine
from agent.numbers import human
from trainer.state.vocabulary import APPROACH_IDS, APPROACHES, approach_label

RECOMMENDED, FITS, NO, IF = "recommended", "fits", "does_not_fit", "would_fit_if"
VERDICT_LABELS = {RECOMMENDED: "recommended", FITS: "fits", NO: "does not fit", IF: "would fit if…"}

BEHAVIOUR_TAGS = {"format", "tone", "terminology", "task"}
DEPTH_TAGS = {"domain", "reasoning", "hallucination"}
# Full fine-tuning with Adam in mixed precision keeps ≈ 16 bytes per parameter (2 weights + 2 gradients + 12
# optimizer state and master weights), before activations: a 7B model needs ≈ 112 GB.
FULL_FT_BYTES_PER_PARAM = 16
DEFAULT_PARAMS_B = 7  # the common open-model size a team fine-tunes, when the user named none


def _examples(n: Any) -> str:
    return "an unknown number of examples" if n is None else f"{human(n)} examples"


def _tokens(n: Any) -> str:
    return "an unknown amount of raw text" if n is None else (f"{human(n)} tokens of raw domain text" if n else
                                                               "no raw domain text")


def _entry(approach: str, verdict: str, fact: str, yours: str, needs: str, reason: str, condition: str = "") -> dict:
    return {"approach": approach, "verdict": verdict, "fact": fact, "yours": yours, "needs": needs,
            "reason": reason, "condition": condition if verdict != FITS and verdict != RECOMMENDED else ""}


class _View:
    """The facts with the derived quantities the verdicts read."""

    def __init__(self, facts: Mapping[str, Any], params_b: float | None = None):
        self.f = facts
        self.params_b = params_b  # the model size the user named ("LoRA on a 32B"), billions; None = not said
        self.problem = set(facts.get("problem") or [])
        self.labeled = facts.get("labeled_examples")
        self.quality = facts.get("data_quality")
        self.prompting = facts.get("prompting_tried")
        self.changes = facts.get("knowledge_changes")
        self.corpus = facts.get("unlabeled_corpus")
        self.prefs = facts.get("preference_data")
        self.compute = facts.get("compute")
        self.budget = facts.get("budget")
        self.team = facts.get("team")
        self.weights = facts.get("weights_allowed")
        self.novelty = facts.get("domain_novelty")
        self.sensitivity = facts.get("data_sensitivity")
        self.inference = set(facts.get("inference_constraints") or [])

    @property
    def knowledge_need(self) -> bool:
        return "knowledge" in self.problem or self.changes in ("frequent", "occasional") and not (
            self.problem and self.problem <= BEHAVIOUR_TAGS | {"cost", "latency", "plateau", "lora_plateau"})

    @property
    def behaviour_need(self) -> bool:
        return bool(self.problem & BEHAVIOUR_TAGS)

    @property
    def depth_need(self) -> bool:
        return bool(self.problem & DEPTH_TAGS) or self.novelty in ("partial", "novel")

    @property
    def prompted(self) -> bool:
        return self.prompting == "tried"

    def memory(self) -> float | None:
        if self.compute is None:
            return None
        return float(self.compute.get("gpus", 0) or 0) * float(self.compute.get("gpu_memory_gb", 0) or 0)

    def compute_words(self) -> str:
        return engine.describe("compute", self.compute) if self.compute is not None else "unknown compute"


def _held_out(v: _View) -> str:
    """Where the baseline is measured: a slice of the user's own examples, when they have some."""
    if not v.labeled:
        return ""
    share = engine.held_out_count(v.labeled)
    return f", measured on about {human(share)} of your {human(v.labeled)} examples held out as a test set"


def _prompt(v: _View) -> dict:
    a = "prompt_engineering"
    if v.prompting in (None, "none", "basic"):
        said = {None: "you haven't said whether a structured prompt was tried", "none": "you haven't tried a "
                "structured prompt yet", "basic": "so far only a plain, unstructured prompt was tried"}[v.prompting]
        return _entry(a, FITS, "prompting_tried", {None: "unknown", "none": "not tried", "basic": "a plain prompt"}
                      [v.prompting], "a structured prompt measured on real inputs",
                      f"{said}; a system prompt with rules, an output schema and a few worked examples costs hours, "
                      "and its score is the baseline any training must beat" + _held_out(v))
    if v.prompting == "meets_target":
        return _entry(a, FITS, "prompting_tried", "already reaches the target", "a measured prompt that reaches the target",
                      "your measured prompt already reaches the target, so it is the route to keep: ship it, keep the "
                      "test set to catch regressions when the model or the prompt changes, and train only if serving "
                      "cost or speed, not quality, becomes the problem")
    return _entry(a, IF, "prompting_tried", "tried and short of the target", "a prompt that reaches the target",
                  "you already tried careful prompting and it falls short, so more prompt text alone is unlikely to "
                  "close the gap; keep the best prompt as the baseline to beat" + _held_out(v),
                  "if constrained decoding (a JSON schema or grammar enforced at generation), validate-and-retry, "
                  "or a stronger base model with the same prompt reaches your target")


def _rag(v: _View) -> dict:
    a = "rag"
    if v.knowledge_need:
        return _entry(a, FITS, "knowledge_changes" if v.changes else "problem",
                      v.changes or "facts missing", "knowledge the model lacks or that changes",
                      "the gap is facts: retrieval puts the current documents in front of the model at answer time, "
                      "updates by re-indexing, and lets every answer cite its source")
    if "hallucination" in v.problem:
        return _entry(a, FITS, "problem", "invented facts", "answers grounded in sources",
                      "grounding answers in retrieved passages, with a rule to answer only from them, curbs invented "
                      "facts")
    gap = ", ".join(sorted(v.problem & BEHAVIOUR_TAGS)) or "unstated"
    return _entry(a, NO if v.problem else IF, "problem", gap if v.problem else "unknown",
                  "missing or changing facts",
                  f"your gap is behaviour ({gap}), not missing facts: retrieval adds context to a prompt but does not "
                  "make a style or format hold across every output; a few approved examples in the prompt are still a "
                  "cheap baseline worth testing" if v.problem else
                  "retrieval helps when answers need facts the model lacks; you have not said that they do",
                  "if answers needed facts the model lacks, or facts that change")


def _collect(v: _View) -> dict:
    a = "collect_data"
    n, floor = v.labeled, engine.MIN_SFT_EXAMPLES
    if n is None:
        return _entry(a, FITS, "labeled_examples", "unknown", f"about {floor}+ reviewed examples",
                      "without a count of good examples, writing down the task and curating a few hundred reviewed "
                      "examples is the first step of any training route")
    if n < floor:
        return _entry(a, FITS, "labeled_examples", _examples(n), f"about {floor}+ reviewed examples",
                      f"{_examples(n)} is below the roughly {floor} reviewed examples where fine-tuning starts to beat a "
                      "good prompt; label more (and keep a slice aside as a test set)")
    if v.quality == "low":
        return _entry(a, FITS, "data_quality", "noisy, unreviewed", "reviewed, consistent examples",
                      f"{_examples(n)}, but unreviewed: noisy labels teach noise, so cleaning and reviewing comes first")
    return _entry(a, NO, "labeled_examples", _examples(n), f"about {floor}+ reviewed examples",
                  f"{_examples(n)} is already past the roughly {floor} where fine-tuning shows signal; check labels, "
                  "duplicates and balance and hold out a test split, then add targeted data only where the evaluation "
                  "shows weak spots", "if your labels turned out noisy or inconsistent on review")


def _too_few(a: str, n: Any, floor: int) -> dict:
    """A training route short of examples: the count is the bottleneck, not the compute."""
    return _entry(a, IF, "labeled_examples", _examples(n), f"about {floor}+ reviewed examples",
                  f"training compute is cheap, but {_examples(n)} is the bottleneck: below roughly {floor} reviewed "
                  "examples a fine-tune mostly memorises them and rarely beats a good few-shot prompt",
                  f"with about {floor}+ reviewed examples (more when there are many classes: tens per class)")


def _lora(v: _View) -> dict:
    a, n, floor = "lora_finetune", v.labeled, engine.MIN_SFT_EXAMPLES
    # the kind of gap first: a fine-tune on facts that change is the wrong tool at any example count
    if v.knowledge_need and not v.behaviour_need:
        return _entry(a, NO, "knowledge_changes", v.changes or "facts missing", "a behaviour to teach",
                      "the gap is facts; a fine-tune bakes in a snapshot that goes stale at the next change "
                      f"({v.changes or 'whenever the source changes'}) and still does not stop invented details, "
                      "while retrieval re-indexes the changed documents and cites them",
                      "if, with retrieval in place, the format or tone still needed shaping")
    if "reasoning" in v.problem and not v.behaviour_need:
        return _entry(a, NO, "problem", "multi-step reasoning", "a format or style to teach",
                      "more worked examples teach the format of a solution, not the reasoning capacity behind it")
    if v.prompting == "meets_target" and not v.problem & engine.SERVING and "on_device" not in v.inference:
        # the engine's rule 2b: a prompt at the target with no serving problem leaves nothing to train
        return _entry(a, NO, "prompting_tried", "already reaches the target", "a prompt that falls short",
                      "your prompt already reaches the target, so a fine-tune could only add work (data, training, "
                      "hosting) for little gain", "if serving cost or speed, not quality, became the problem")
    if n is None:
        return _entry(a, IF, "labeled_examples", "unknown", f"about {floor}+ reviewed examples",
                      "LoRA needs reviewed input → output examples; you have not said how many you have",
                      f"if you have about {floor} or more reviewed examples")
    if n < floor:
        return _too_few(a, n, floor)
    if v.quality == "low":
        return _entry(a, IF, "data_quality", "noisy, unreviewed", "reviewed examples",
                      f"{_examples(n)} is enough in number, but unreviewed data teaches its mistakes",
                      "once the examples are reviewed and cleaned")
    if not v.prompted:
        return _entry(a, IF, "prompting_tried", "not measured yet", "a prompt baseline that falls short",
                      f"{_examples(n)} is enough to fine-tune, but without a measured best prompt nobody can tell whether "
                      "the fine-tune helped", "once the best prompt is measured and misses your target")
    return _entry(a, FITS, "labeled_examples", _examples(n), f"about {floor}+ reviewed examples",
                  f"{_examples(n)} with prompting already short of the target: LoRA trains small adapter matrices beside "
                  "the frozen model, fits one GPU, and forgets less than training every weight")


def _full(v: _View) -> dict:
    a, n, floor = "full_finetune", v.labeled, engine.MIN_FULL_FT_EXAMPLES
    size = v.params_b or DEFAULT_PARAMS_B
    need_gb = round(size * FULL_FT_BYTES_PER_PARAM)
    memory = v.memory()
    # the engine's floor is for the common 7B; a model the user named needs its own 16 bytes per parameter, more or
    # less than that (a 1.5B needs ≈ 24 GB, a 32B ≈ 512 GB)
    floor_gb = need_gb if v.params_b else engine.MIN_FULL_FT_GPU_MEMORY_GB
    if memory is not None and memory < floor_gb:
        return _entry(a, NO, "compute", v.compute_words(), f"≈ {need_gb:,} GB of GPU memory for a {size:g}B model",
                      f"every weight, its gradient and Adam's state take about {FULL_FT_BYTES_PER_PARAM} bytes per "
                      f"parameter — ≈ {need_gb:,} GB for a {size:g}B model — and you have {memory:g} GB; LoRA or QLoRA "
                      "fits and usually gets most of the gain with less forgetting",
                      f"with ≈ {floor_gb:,} GB of GPU memory in total and a LoRA run that plateaued below target")
    if n is None or n < floor:
        return _entry(a, IF, "labeled_examples", _examples(n), f"about {human(floor)}+ examples",
                      f"with {_examples(n)} LoRA reaches about the same quality; moving every weight pays off with "
                      f"large datasets (about {human(floor)}+) and costs a full model copy per version, more memory "
                      "and more forgetting", f"with about {human(floor)}+ examples and a LoRA run that plateaued")
    if not ({"plateau", "lora_plateau"} & v.problem):
        return _entry(a, IF, "problem", "LoRA not tried yet", "a LoRA run that plateaued",
                      f"{_examples(n)} and the memory are there, but LoRA usually captures most of the gain at a "
                      "fraction of the cost and with less forgetting, and every full run leaves a whole model copy "
                      "to store and serve; run LoRA on the same held-out test to compare",
                      "if a LoRA run plateaus below your target")
    return _entry(a, FITS, "problem", "LoRA plateaued", "a LoRA plateau, ≈ 10k examples, large GPUs",
                  f"LoRA plateaued, {_examples(n)} and {v.compute_words()} can carry a full fine-tune at a low "
                  "learning rate (about 1e-5)")


def _preference(v: _View) -> dict:
    a, pairs, floor = "preference_tuning", v.prefs, engine.MIN_PREFERENCE_PAIRS
    if pairs is not None and pairs >= floor:
        return _entry(a, FITS, "preference_data", f"{human(pairs)} preference pairs", f"about {human(floor)}+ pairs",
                      f"{human(pairs)} comparisons of a better and a worse answer are what DPO trains on; it usually "
                      "follows a supervised fine-tune")
    yours = "unknown" if pairs is None else (f"{human(pairs)} preference pairs" if pairs else "no preference pairs")
    return _entry(a, IF, "preference_data", yours, f"about {human(floor)}+ pairs (prompt, chosen, rejected)",
                  "DPO learns from pairs — the same prompt with a chosen and a rejected answer — and "
                  + (f"you have {yours}" if pairs is not None else "you have not mentioned any")
                  + "; single correct answers are supervised fine-tuning data",
                  f"after a supervised fine-tune, once reviewers have picked the better of two outputs about "
                  f"{human(floor)}+ times")


def _cpt(v: _View) -> dict:
    a, corpus, floor = "continued_pretraining", v.corpus, engine.MIN_CPT_TOKENS
    if corpus is None or corpus < floor:
        return _entry(a, NO if corpus is not None else IF, "unlabeled_corpus", _tokens(corpus),
                      f"about {human(floor)}+ tokens of domain text",
                      f"continued pretraining (more next-token training on raw domain text) needs a large domain "
                      f"corpus — about {human(floor)}+ tokens — and you have {_tokens(corpus)}",
                      f"with {human(floor)}+ tokens of domain text and a gap in domain reasoning or vocabulary")
    if v.knowledge_need and not v.depth_need:
        return _entry(a, IF, "problem", "facts that change", "a gap in domain language or reasoning",
                      f"{_tokens(corpus)} is enough text, but your gap is facts that change, which retrieval serves "
                      "with citations; continued pretraining shifts vocabulary and style, costs GPU-days and risks "
                      "forgetting", "if, with retrieval, the model still handled your domain's language poorly")
    if not v.depth_need:
        # a gap the user never described is unknown, not "surface behaviour"
        return _entry(a, IF, "problem", ", ".join(sorted(v.problem)) or "unknown", "a gap in domain reasoning",
                      f"{_tokens(corpus)} clears the bar, but "
                      + ("the gap is surface behaviour, which fine-tuning on examples fixes more cheaply" if v.problem
                         else "it pays off only if the model handles your domain's language or reasoning poorly, "
                              "which you have not said; that is worth testing on held-out cases before GPU-days"),
                      "if the gap were domain reasoning or vocabulary the model lacks")
    return _entry(a, FITS, "unlabeled_corpus", _tokens(corpus), f"about {human(floor)}+ tokens",
                  f"{_tokens(corpus)} is enough to shift an open model toward your domain's language before a "
                  "supervised fine-tune")


def _scratch(v: _View) -> dict:
    a, corpus, floor = "pretrain_from_scratch", v.corpus, engine.MIN_SCRATCH_TOKENS
    gaps = []
    if corpus is None or corpus < floor:
        gap = f"you have {_tokens(corpus)}; a useful model from scratch needs about {human(floor)}+ tokens"
        if corpus and floor / corpus >= 100:
            # so far below that the run would not even learn the language: said plainly, not only as a threshold
            gap += (f", {human(floor / corpus)} times more: a model trained on yours alone would not write fluent "
                    "text, let alone answer correctly")
        gaps.append(gap)
    if v.budget is not None and v.budget < engine.MIN_SCRATCH_BUDGET:
        gaps.append(f"your budget is ${human(v.budget)}; a 7B-class run costs about "
                    f"${human(engine.MIN_SCRATCH_BUDGET)}–$2M")
    elif v.budget is None:
        gaps.append(f"it needs a budget of about ${human(engine.MIN_SCRATCH_BUDGET)}+")
    if v.compute is not None and not (v.compute.get("access") == "cluster" or (v.compute.get("gpus") or 0) >= 16):
        gaps.append(f"{v.compute_words()} is not the GPU cluster for weeks it takes")
    if v.team not in (None, "pretraining"):
        gaps.append("nobody on the team has pretrained a model")
    elif v.team is None:
        gaps.append("it takes months of work by a team that has pretrained models before")
    owned = ("ownership and data residency do not require it: an open-weight model you host yourself keeps every "
             "byte in your own datacenter, and fine-tuning or continued pretraining makes it yours")
    if v.weights == "no" and not gaps:
        return _entry(a, FITS, "weights_allowed", "no existing weights allowed", "10B+ tokens, a cluster, $500K+",
                      "no existing weights may be used, and the data, compute, team and budget are there")
    if not gaps:
        return _entry(a, FITS, "unlabeled_corpus", _tokens(corpus), f"about {human(floor)}+ tokens",
                      f"{_tokens(corpus)}, a cluster and a pretraining team: a model of your own is a serious option")
    return _entry(a, NO, "unlabeled_corpus" if corpus is None or corpus < floor else "budget",
                  _tokens(corpus) if corpus is None or corpus < floor else f"${human(v.budget)}",
                  f"about {human(floor)}+ tokens and ${human(engine.MIN_SCRATCH_BUDGET)}+",
                  "; ".join(gaps) + ". " + owned[0].upper() + owned[1:],
                  f"only with {human(floor)}+ tokens, a GPU cluster for weeks, a pretraining team and "
                  f"${human(engine.MIN_SCRATCH_BUDGET)}+ — or when no existing weights may be used at all")


def _stronger(v: _View) -> dict:
    a = "stronger_base_model"
    if v.inference & {"on_device", "latency"}:
        said = " and ".join(sorted(v.inference & {"on_device", "latency"})).replace("on_device", "running on a device")
        return _entry(a, NO, "inference_constraints", said, "room to serve a bigger model",
                      f"your serving limits ({said}) rule out a much larger model: a 70B model needs ≈ 40 GB even at "
                      "4 bits and far more time per answer; on a narrow task a small model fine-tuned on your examples "
                      "often matches a much larger general one, and it fits the limits"
                      + ("; and a bigger model does not by itself make the format consistent" if "format" in v.problem
                         else ""),
                      "if the limits were relaxed and the failures were reasoning")
    if "reasoning" in v.problem:
        return _entry(a, FITS, "problem", "multi-step reasoning", "a reasoning gap",
                      "errors in multi-step reasoning are a capability limit of the base model that fine-tuning rarely "
                      "closes; a larger or reasoning-tuned model, tested with your best prompt against your current "
                      "one on held-out cases, is the direct fix — at a higher cost and latency per answer")
    if v.labeled is not None and v.labeled >= engine.MIN_SFT_EXAMPLES and v.problem & BEHAVIOUR_TAGS:
        return _entry(a, IF, "problem", ", ".join(sorted(v.problem & BEHAVIOUR_TAGS)), "a reasoning gap",
                      f"your gap is behaviour, and with {_examples(v.labeled)} a small fine-tuned model often matches a "
                      "much larger general one on a narrow task, at a fraction of the serving cost; a bigger model "
                      "does not guarantee a consistent format", "if the failures were reasoning, not format or style")
    gap = ", ".join(engine.describe("problem", sorted(v.problem)).split(", ")) if v.problem else ""
    return _entry(a, IF, "problem", gap or "unknown", "a reasoning gap",
                  "a stronger base model helps when the failures are reasoning the current model cannot do; "
                  + (f"yours are about {gap}" if gap else "you have not described failures of that kind"),
                  "if the failures were multi-step reasoning")


def _both(v: _View) -> dict:
    a = "rag_and_finetune"
    if not v.knowledge_need:
        if v.problem or v.changes == "static":  # the user described the gap, and it is not facts
            return _entry(a, NO, "knowledge_changes", v.changes or "no facts to look up", "facts to retrieve",
                          "the gap you describe involves no missing or changing facts, so the retrieval half adds an "
                          "index to maintain without a benefit; add it later only if an evaluation shows a knowledge gap",
                          "if answers needed facts the model lacks or that change")
        docs = f" (your {_tokens(v.corpus)} is what it would search)" if v.corpus else ""
        return _entry(a, IF, "problem", "unknown", "facts to retrieve",
                      "the retrieval half pays off only when answers need facts from documents" + docs + "; you "
                      "have not said they do, and if they don't it is an index to maintain for nothing and the "
                      "fine-tune alone serves the behaviour; so measure retrieval alone with a good prompt on "
                      "held-out cases before building both, or leave it out until an evaluation shows a knowledge gap",
                      "if answers need facts the model lacks or that change")
    if not v.behaviour_need:
        return _entry(a, IF, "problem", "facts only", "a format or tone gap besides the facts",
                      "your gap is facts; retrieval alone serves it", "if, with retrieval, the tone or format still "
                      "missed the target")
    if v.labeled is None or v.labeled < engine.MIN_SFT_EXAMPLES or not v.prompted:
        return _entry(a, IF, "labeled_examples" if v.prompted else "prompting_tried",
                      _examples(v.labeled) if v.prompted else "no prompt baseline yet", "a measured gap after RAG",
                      "the combination fits your mix of changing facts and behaviour, but start with retrieval and a "
                      "good prompt; add the fine-tune if tone or format stays inconsistent in the evaluation — two "
                      "systems cost more to maintain than one",
                      f"once RAG with a good prompt is measured and the behaviour still misses, with "
                      f"{engine.MIN_SFT_EXAMPLES}+ examples")
    return _entry(a, FITS, "labeled_examples", _examples(v.labeled), "facts to retrieve and a behaviour to teach",
                  f"retrieval for the changing facts and a fine-tune on {_examples(v.labeled)} for the behaviour; keep "
                  "the prices and facts out of the training data")


_RULES = {"prompt_engineering": _prompt, "rag": _rag, "collect_data": _collect, "lora_finetune": _lora,
          "full_finetune": _full, "preference_tuning": _preference, "continued_pretraining": _cpt,
          "pretrain_from_scratch": _scratch, "stronger_base_model": _stronger, "rag_and_finetune": _both}


def verdicts(facts: Mapping[str, Any], recommended: str | None = None, params_b: float | None = None) -> list[dict]:
    """One verdict per approach (see the module docstring). The engine's choice is marked `recommended`;
    `params_b` is the model size the user named, which sizes full fine-tuning's memory."""
    view = _View(facts, params_b)
    out = []
    for approach in APPROACH_IDS:
        entry = _RULES[approach](view)
        if approach == recommended:
            entry = {**entry, "verdict": RECOMMENDED, "condition": ""}
        out.append(entry)
    return out


def why_not(approach: str, facts: Mapping[str, Any], recommended: str | None = None,
            params_b: float | None = None) -> str:
    """"Why not X?" in a few sentences: what X is, its verdict for this user with their figures and the
    threshold, what would make it fit, and, when another approach is advised, that one and why."""
    table = {v["approach"]: v for v in verdicts(facts, recommended, params_b)}
    entry = table[approach]
    label = approach_label(approach)
    title = label[0].upper() + label[1:]
    head = {RECOMMENDED: "For your case it is what I recommend:", FITS: "For your case it fits:",
            NO: "For your case it does not fit:", IF: "For your case it does not fit yet:"}[entry["verdict"]]
    parts = [f"**{title}**: {APPROACHES[approach].meaning}.", f"{head} {entry['reason'].rstrip('.')}."]
    if entry["condition"]:
        parts.append(f"It would fit {entry['condition'].rstrip('.')}.")
    if recommended and recommended != approach:
        instead = table[recommended]
        # a route that fits is not argued against: the other one is only ranked first, and the answer says why
        if recommended == "prompt_engineering" and APPROACHES[approach].trains and entry["verdict"] != NO:
            # a measured prompt is the first step of every route, not a rival to this one: say it as the order
            parts.append(f"Either way, measure a structured prompt first, so {label} has a baseline to beat: "
                         f"{instead['reason'].rstrip('.')}.")
        else:
            lead = ("It fits, but I ranked {label} first" if entry["verdict"] == FITS else
                    "What I recommend instead is {label}").format(label=approach_label(recommended))
            parts.append(f"{lead}: {instead['reason'].rstrip('.')}.")
    return " ".join(parts)
