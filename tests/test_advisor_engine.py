"""The decision engine and the question policy: pure functions, no model, no index, no database. Each
expectation is a rule of the seed articles (shared/seeds/), cited in the test's docstring or name."""

from __future__ import annotations

import copy

import pytest

from agent import engine, policy
from agent.facts import Interview
from trainer.state.vocabulary import FACT_KEYS
from agent.plan import build_plan
from trainer.state import vocabulary


def facts(**known):
    values = dict.fromkeys(FACT_KEYS)
    values.update(known)
    return values


TRIED = {"prompting_tried": "tried"}
GPU8 = {"gpus": 8, "gpu_memory_gb": 80, "access": "own"}


RULE_CASES = [
    # the ladder: prompt → RAG → fine-tune → continued pretraining → scratch
    (dict(problem=["format"], prompting_tried="none"), "prompt_engineering"),
    (dict(problem=["format"], prompting_tried="basic", labeled_examples=5000), "prompt_engineering"),
    (dict(problem=["knowledge"], knowledge_changes="frequent"), "rag"),
    (dict(problem=["knowledge"], knowledge_changes="static"), "rag"),  # facts it lacks: retrieval either way
    (dict(problem=["knowledge", "format"], **TRIED, labeled_examples=3000, data_quality="high"), "rag_and_finetune"),
    (dict(problem=["tone"], **TRIED, labeled_examples=40), "collect_data"),
    (dict(problem=["tone"], **TRIED, labeled_examples=5000, data_quality="low"), "collect_data"),
    (dict(problem=["tone"], **TRIED, labeled_examples=300, data_quality="high"), "lora_finetune"),
    (dict(problem=["tone"], **TRIED, labeled_examples=0, preference_data=8000), "preference_tuning"),
    (dict(problem=["reasoning"], **TRIED, labeled_examples=800), "stronger_base_model"),
    (dict(problem=["reasoning"], prompting_tried="none"), "prompt_engineering"),
    (dict(problem=["cost", "latency"], **TRIED, labeled_examples=20000), "lora_finetune"),
    (dict(problem=["plateau", "lora_plateau", "task"], **TRIED, labeled_examples=150000, compute=GPU8,
          inference_constraints=["single_task"]), "full_finetune"),
    (dict(problem=["domain", "reasoning"], **TRIED, unlabeled_corpus=2_000_000_000, domain_novelty="partial",
          labeled_examples=5000), "continued_pretraining"),
    (dict(weights_allowed="no", unlabeled_corpus=30_000_000_000, compute={"gpus": 256, "gpu_memory_gb": 80,
          "access": "cluster"}, team="pretraining", budget=3_000_000), "pretrain_from_scratch"),
    (dict(weights_allowed="no", unlabeled_corpus=50_000_000, team="software"), "collect_data"),
]


@pytest.mark.parametrize("known, expected", RULE_CASES)
def test_rule_of_the_seed_articles(known, expected):
    assert engine.recommend(facts(**known))["approach"] == expected


def test_two_hundred_examples_is_the_fine_tuning_threshold():
    """Seed 003: fewer than ~100 rarely help, 200-300 give early signal; the engine draws the line at 200."""
    below = engine.recommend(facts(problem=["format"], **TRIED, labeled_examples=199))
    at = engine.recommend(facts(problem=["format"], **TRIED, labeled_examples=200))
    assert (below["approach"], at["approach"]) == ("collect_data", "lora_finetune")


def test_full_fine_tuning_needs_the_memory_for_all_weights():
    small = {"gpus": 1, "gpu_memory_gb": 24, "access": "own"}
    rec = engine.recommend(facts(problem=["plateau", "lora_plateau"], **TRIED, labeled_examples=150000, compute=small))
    assert rec["approach"] == "lora_finetune"


def test_every_reason_names_the_fact_it_rests_on_by_its_label_never_its_key():
    from trainer.state.vocabulary import FACT_LABELS

    rec = engine.recommend(facts(problem=["tone"], **TRIED, labeled_examples=300, data_quality="high"))
    labels = set(FACT_LABELS.values())
    assert rec["reasons"] and all(r.split(":")[0].split(" — ")[0] in labels for r in rec["reasons"])
    assert not any(key in r for r in rec["reasons"] for key in FACT_KEYS if "_" in key)
    assert {e["fact"] for e in rec["evidence"]} == {"problem", "prompting_tried", "labeled_examples", "data_quality"}


def test_unknown_facts_are_stated_as_assumptions_not_silently_assumed():
    rec = engine.recommend(facts(problem=["format"]))
    assert rec["approach"] == "prompt_engineering"
    assert any(a.startswith("prompting tried unknown") for a in rec["assumptions"])
    assert any("(assumption)" in r for r in rec["reasons"])


def test_would_change_lists_facts_that_flip_the_advice():
    rec = engine.recommend(facts(problem=["format"], prompting_tried="none"))
    changes = {w["fact"]: w["approach"] for w in rec["would_change"]}
    assert changes.get("prompting_tried") in ("collect_data", "lora_finetune")


def test_costs_come_as_ranges_and_scale_with_the_corpus():
    small = engine.cost_range("continued_pretraining", {"unlabeled_corpus": 1_000_000_000})
    large = engine.cost_range("continued_pretraining", {"unlabeled_corpus": 500_000_000_000})
    assert small["usd"][0] <= small["usd"][1] < large["usd"][1]
    assert engine.recommend(facts(weights_allowed="no"))["cost"]["usd"] == [500_000, 2_000_000]  # seed 002


def test_the_engine_is_pure():
    given = facts(problem=["knowledge", "format"], **TRIED, labeled_examples=3000)
    before = copy.deepcopy(given)
    first = engine.recommend(given)
    assert engine.recommend(given) == first and given == before


def test_every_approach_is_reachable():
    assert {engine.recommend(facts(**known))["approach"] for known, _ in RULE_CASES} == set(vocabulary.APPROACH_IDS)


# ---- the question policy ---------------------------------------------------------------------------------------

def interview(**known):
    iv = Interview()
    for key, value in known.items():
        iv.set(key, value, "test", 0.9)
    return iv


def test_asks_what_is_failing_first_when_it_is_unknown():
    assert policy.next_question(interview()) == "problem"


def test_asks_about_prompting_for_a_behaviour_problem():
    assert policy.next_question(interview(problem=["format"])) == "prompting_tried"


def test_never_asks_a_known_asked_or_skipped_fact():
    iv = interview(problem=["format"])
    iv.asked.append("prompting_tried")
    iv.skip("prompting_tried")
    for _ in range(policy.MAX_QUESTIONS):
        fact = policy.next_question(iv)
        if fact is None:
            break
        assert fact not in ("problem", "prompting_tried") and fact not in iv.asked
        iv.asked.append(fact)
        iv.skip(fact)
    assert len(iv.asked) <= policy.MAX_QUESTIONS


def test_stops_asking_when_no_answer_could_change_the_advice():
    """Stale product facts that change weekly: retrieval whatever else is true (seed 003 step 3.2)."""
    assert policy.next_question(interview(problem=["knowledge"], knowledge_changes="frequent")) is None


def test_asks_facts_that_only_matter_together():
    """Knowledge + format: rag_and_finetune needs both thorough prompting AND enough examples."""
    iv = interview(problem=["knowledge", "format"], knowledge_changes="frequent")
    first = policy.next_question(iv)
    assert first in ("prompting_tried", "labeled_examples")


def test_an_optimistic_assumption_is_checked():
    """Weights banned: pretraining from scratch rests on corpus, compute, team, budget — each is asked."""
    iv = interview(weights_allowed="no", data_sensitivity="air_gapped")
    asked = []
    for _ in range(6):
        fact = policy.next_question(iv)
        if fact is None:
            break
        asked.append(fact)
        iv.asked.append(fact)
        iv.skip(fact)
    assert {"unlabeled_corpus", "compute", "team", "budget"} <= set(asked)


def test_choosing_a_question_is_deterministic_for_the_same_interview():
    # (its speed is measured by hand in tests/bench/bench_advisor.py: no timings in the default suite)
    iv = interview(problem=["tone"])
    assert len({policy.next_question(iv) for _ in range(3)}) == 1


# ---- the plan builder ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("approach", sorted(vocabulary.APPROACH_IDS))
def test_plans_validate_as_trainer_configs_or_train_nothing(approach):
    from trainer.config import JobConfig

    plan = build_plan({"approach": approach}, facts(labeled_examples=2000, compute=GPU8), "data.jsonl")
    if plan["trains"]:
        config = JobConfig.model_validate(plan["config"])
        assert config.data.split == (0.8, 0.1, 0.1) and config.model.base == "smollm2-135m-instruct"
        assert plan["evaluation"]
    else:
        assert "config" not in plan and plan["steps"]


def test_method_follows_the_approach_and_memory():
    lora = build_plan({"approach": "lora_finetune"}, facts(compute={"gpus": 1, "gpu_memory_gb": 16, "access": "rent"}))
    full = build_plan({"approach": "full_finetune"}, facts(labeled_examples=50000, compute=GPU8))
    assert lora["config"]["lora"]["method"] == "lora" and lora["scale_up"]["method"] == "qlora"
    assert full["config"]["lora"]["method"] == "full" and full["config"]["training"]["learning_rate"] <= 5e-5
