"""The offline reader's general mechanisms, each on phrasings written here (none from the blind sets): amounts
bound to their noun, hedges and corrections, clause scope, lexicons of regulation, policy and team, periods of
change, quality said of part of the data, serving constraints denied item by item."""

from __future__ import annotations

import pytest

from agent.extract import HOLD, extract


def held(text: str, asked: str | None = None) -> dict:
    return {f.fact: f.value for f in extract(text, asked=asked).findings if f.confidence >= HOLD}


def unsure(text: str, asked: str | None = None) -> dict:
    return {f.fact: f.value for f in extract(text, asked=asked).findings if f.confidence < HOLD}


def test_a_hedged_count_with_an_alternative_waits_for_a_read_back():
    assert "labeled_examples" not in held("around 4k, possibly 5k", "labeled_examples")
    assert unsure("around 4k, possibly 5k", "labeled_examples")["labeled_examples"] == 4000


def test_an_order_of_magnitude_is_no_count():
    assert "preference_data" not in held("hundreds, I'd guess", "preference_data")


def test_a_correction_inside_the_message_settles_on_the_later_amount():
    assert held("the budget is 30k — no wait, 12k", "budget")["budget"] == 12_000
    assert held("we have 900 examples, hmm no, closer to 90", "labeled_examples")["labeled_examples"] == 90


def test_number_words_apart_are_two_numbers():
    assert held("three A100s, nine weeks, and that's it", None)["timeline"] == 63


def test_number_words_with_grand_are_thousands_of_dollars():
    assert held("forty grand", "budget")["budget"] == 40_000


def test_examples_named_in_an_answer_about_prompting_are_shots_not_a_dataset():
    found = held("we give it four examples and a schema", "prompting_tried")
    assert found.get("prompting_tried") == "tried" and "labeled_examples" not in found


def test_a_per_item_rate_is_not_the_count():
    found = held("annotators compared 3 replies per question, for 2,000 questions", "preference_data")
    assert found.get("preference_data") == 2_000 and "labeled_examples" not in found


@pytest.mark.parametrize("text", ["transaction logs that fall under PCI", "loan files covered by GLBA",
                                  "patient charts straight from the ward"])
def test_a_regulated_category_must_stay_on_infrastructure_the_user_controls(text):
    assert held(text, "data_sensitivity")["data_sensitivity"] == "on_prem"


def test_de_identified_records_are_confidential_not_regulated():
    assert held("de-identified patient charts, internal use only", "data_sensitivity")["data_sensitivity"] == \
        "confidential"


def test_an_api_only_policy_forbids_weights():
    assert held("our policy is API only", "weights_allowed")["weights_allowed"] == "no"
    assert held("we may not self host any model", "weights_allowed")["weights_allowed"] == "no"


def test_the_most_skilled_role_named_decides_the_team():
    assert held("only me, a full-stack developer", "team")["team"] == "software"
    assert held("nobody technical at all", "team")["team"] == "none"


def test_a_house_dialect_is_specialised_and_a_notation_used_nowhere_else_is_novel():
    assert held("our in-house scripting dialect", "domain_novelty")["domain_novelty"] == "partial"
    assert held("a notation used nowhere else", "domain_novelty")["domain_novelty"] == "novel"


def test_a_weekday_is_a_weekly_change_and_other_things_changing_say_nothing_of_the_facts():
    assert held("rates are revised every Thursday", "knowledge_changes")["knowledge_changes"] == "frequent"
    assert held("orders come in every hour but the product facts stay the same",
                "knowledge_changes")["knowledge_changes"] == "static"


def test_quality_said_of_part_of_the_data_is_mixed():
    assert held("half of them are great, the others are junk", "data_quality")["data_quality"] == "mixed"
    assert held("nobody checked them, pretty noisy", "data_quality")["data_quality"] == "low"


def test_a_serving_constraint_denied_by_the_word_after_it_is_dropped():
    assert held("cost matters, latency doesn't", "inference_constraints")["inference_constraints"] == ["cost"]


def test_a_clause_that_credits_the_model_clears_its_subject():
    assert held("it gets the layout right, but the arithmetic across steps is wrong", "problem")["problem"] == \
        ["reasoning"]


def test_a_team_named_after_documents_is_no_knowledge_problem():
    assert "knowledge" not in (held("the docs team wants shorter replies").get("problem") or [])


def test_a_score_above_the_stated_bar_meets_the_target():
    assert held("the prompt scores 91 and our bar is 88", "prompting_tried")["prompting_tried"] == "meets_target"


def test_a_partial_outcome_of_prompting_means_it_was_tried():
    assert held("it got us about halfway", "prompting_tried")["prompting_tried"] == "tried"


def test_the_rejected_half_of_a_preference_pair_says_nothing_of_data_quality():
    found = held("about 7k pairs, each a chosen and a rejected reply", "preference_data")
    assert found.get("preference_data") == 7_000 and "data_quality" not in found
