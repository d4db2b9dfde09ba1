"""The vocabulary (trainer/state/vocabulary.py) is the one source of approach ids, fact keys and job states: an
incomplete entry fails with a message naming what is missing, the places that must know every entry do, and no
other module repeats the lists."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agent import engine, prompts
from agent.extract import INFER_TAGS, PROBLEM_TAGS
from trainer.state import vocabulary
from trainer.state.vocabulary import (APPROACHES, FACTS, Approach, Choice, Cost, FactSpec, JobState, Number,
                                      Recipe, VocabularyError, check_approaches, check_facts, check_value)

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agent", "tools", "trainer", "knowledge", "ui")


def test_an_approach_added_without_label_cost_citation_query_or_plan_rule_is_refused_naming_each_gap():
    fake = Approach("fake_distillation")  # only the id: everything a screen, the engine and the plan need is absent
    with pytest.raises(VocabularyError) as caught:
        check_approaches([*APPROACHES.values(), fake])
    message = str(caught.value)
    assert "'fake_distillation'" in message
    for piece in ("label", "cost range", "citation query", "plan rule", "meaning"):
        assert piece in message, piece
    assert "prompt_engineering" not in message  # the complete entries are not blamed


def test_an_approach_missing_only_its_citation_query_is_refused_for_that_alone():
    fake = Approach("fake_distillation", "distillation", Cost((10, 100), (1, 3), "a teacher labels, a student learns"),
                    steps=("label with the big model", "fine-tune the small one"), recipe=Recipe("sft", "lora"),
                    meaning="a small model trained on a large model's answers")
    with pytest.raises(VocabularyError, match=r"'fake_distillation' lacks: citation query \("):
        check_approaches([fake])


def test_a_fact_added_without_label_or_value_type_is_refused_naming_each_gap():
    with pytest.raises(VocabularyError) as caught:
        check_facts([*FACTS.values(), FactSpec("fake_region")])
    assert "'fake_region' lacks: label, value type" in str(caught.value)
    with pytest.raises(VocabularyError, match="'fake_mood' lacks: value type with at least one member"):
        check_facts([FactSpec("fake_mood", "mood", Choice({}))])


def test_the_shipped_vocabulary_is_complete_and_in_design_order():
    check_approaches(APPROACHES.values())
    check_facts(FACTS.values())
    # DESIGN.md's tables, in their order (the order ties are broken in)
    assert vocabulary.APPROACH_IDS == (
        "prompt_engineering", "rag", "collect_data", "lora_finetune", "full_finetune", "preference_tuning",
        "continued_pretraining", "pretrain_from_scratch", "stronger_base_model", "rag_and_finetune")
    assert vocabulary.FACT_KEYS[:3] == ("problem", "prompting_tried", "labeled_examples") and len(FACTS) == 15


def test_job_states_keep_the_strings_the_database_stores():
    assert [s.value for s in JobState] == ["awaiting_approval", "validating", "queued", "running", "succeeded",
                                           "failed", "cancelled", "interrupted"]
    assert JobState.RUNNING == "running" and f"{JobState.FAILED}" == "failed"  # str enum: compares and prints as stored
    assert set(vocabulary.JOB_STATE_LABELS) == set(JobState)


def test_every_fact_has_a_question_and_the_engine_priors_use_only_typed_values():
    assert set(prompts.QUESTIONS) == set(FACTS)
    assert list(engine.CANDIDATES) == list(vocabulary.FACT_KEYS)  # the policy breaks ties in this order
    for fact, candidates in engine.CANDIDATES.items():
        for value, _prior in candidates:
            assert check_value(fact, sorted(value) if isinstance(value, list) else value), (fact, value)


def test_the_fact_reader_tags_are_members_of_the_vocabulary():
    problem = FACTS["problem"].type.members
    # read by their own patterns: lora_plateau ("plateau" about a LoRA run), base_model_gap, language, safety
    assert set(PROBLEM_TAGS) | {"lora_plateau", "base_model_gap", "language", "safety"} == set(problem)
    assert set(INFER_TAGS) == set(FACTS["inference_constraints"].type.members)


def test_the_example_sentences_name_only_vocabulary_values():
    from agent.prototypes import PROTOTYPES

    for fact, by_value in PROTOTYPES.items():
        members = getattr(FACTS[fact].type, "members", None) or getattr(FACTS[fact].type, "access", {})
        assert set(by_value) <= set(members), (fact, set(by_value) - set(members))


def test_value_types_accept_what_the_advisor_stores_and_refuse_the_rest():
    assert check_value("prompting_tried", "tried") and not check_value("prompting_tried", "thorough")
    assert check_value("labeled_examples", 3000) and not check_value("labeled_examples", 2.5)
    assert check_value("budget", 5000.0) and not check_value("budget", -1)
    assert check_value("compute", {"gpus": 4, "gpu_memory_gb": 80.0, "access": "own"})
    assert not check_value("compute", {"gpus": 4, "access": "own"})
    assert check_value("problem", ["format", "tone"]) and not check_value("problem", ["tone", "format"])
    assert check_value("team", None)  # unknown is always allowed
    assert isinstance(FACTS["timeline"].type, Number) and FACTS["timeline"].type.unit.startswith("days")


def _vocabulary_literals(node: ast.AST) -> list[tuple[str, int]]:
    """(kind, how many) for a tuple/list/set literal or dict whose string elements or keys are vocabulary ids."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items = node.elts
    elif isinstance(node, ast.Dict):
        if node.values and all(isinstance(v, (ast.Name, ast.Attribute)) for v in node.values):
            return []  # a dispatch table, one function per id (the engine's kind of code), not a copy of data
        items = [k for k in node.keys if k is not None]
    else:
        return []
    strings = {i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)}
    return [("approach ids", len(strings & set(APPROACHES))), ("fact keys", len(strings & set(FACTS))),
            ("job states", len(strings & {s.value for s in JobState}))]


def test_no_module_outside_the_vocabulary_repeats_a_list_of_its_ids():
    # A rule may name the two or three approaches it picks between; four or more ids in one literal is a copy of
    # the list (three for job states, whose whole list is eight).
    limits = {"approach ids": 4, "fact keys": 4, "job states": 3}
    offenders = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "vocabulary.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                for kind, count in _vocabulary_literals(node):
                    if count >= limits[kind]:
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} lists {count} {kind}")
    # Per-fact tables that hold code or wording, not vocabulary, and are checked against it above: the engine's
    # priors (engine.CANDIDATES), one question per fact (prompts.QUESTIONS: every sentence lives in prompts.py),
    # one reader function per fact (extract._READERS), example sentences per fact value (prototypes.PROTOTYPES).
    allowed = ("agent/engine.py", "agent/prompts.py", "agent/extract.py", "agent/prototypes.py")
    offenders = [o for o in offenders if not (o.startswith(allowed) and "fact keys" in o)]
    # pricing.METHOD_OF: the method each approach is priced as (DPO for preference tuning, the later LoRA for
    # building the dataset), which differs from the recipe the bundled trainer runs; left to the pricing's owner
    offenders = [o for o in offenders if not o.startswith("agent/pricing.py")]
    assert offenders == [], "import these from trainer.state.vocabulary instead:\n" + "\n".join(offenders)
