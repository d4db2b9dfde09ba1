"""The offline reader on phrasings written for these tests only (not taken from any evaluation set): each test
checks one general mechanism — negation scope, a failure said to be past, the noun a count belongs to, the pace
of the fastest-changing knowledge, a ban stated as a condition — on words the lexicon was not written from."""

from __future__ import annotations

import knowledge
import pytest

from agent import answers, brain, conversations
from agent.events import Question
from agent.extract import HOLD, extract


def held(text: str, asked: str | None = None) -> dict:
    return {f.fact: f.value for f in extract(text, asked).findings if f.confidence >= HOLD}


# ---- what is failing ---------------------------------------------------------------------------------------------

def test_a_negation_before_a_verb_describes_the_failure_instead_of_clearing_it():
    assert "terminology" in held("the model does not understand our jargon", "problem")["problem"]


def test_a_clause_that_only_negates_a_topic_clears_that_topic():
    found = held("the warmth of the replies, not facts", "problem").get("problem") or []
    assert "knowledge" not in found and "hallucination" not in found


def test_invented_keys_are_a_format_failure_not_made_up_facts():
    assert held("it sometimes makes up new fields in the JSON", "problem")["problem"] == ["format"]


def test_a_failure_said_to_be_past_is_not_a_current_one():
    found = held("At first it used to break the layout; that is fixed now. The replies sound cold.", "problem")
    assert found["problem"] == ["tone"]


def test_the_name_of_a_safety_document_is_not_a_safety_failure():
    found = held("We write product safety manuals for forklifts, and the model keeps getting the section order wrong.")
    assert "safety" not in (found.get("problem") or [])


def test_a_plain_not_knowing_of_a_thing_is_a_knowledge_gap_but_the_user_not_knowing_is_not():
    assert "knowledge" in held("It doesn't know the opening hours of our branches.", "problem")["problem"]
    assert "problem" not in held("I don't know what hardware the lab has", "compute")


def test_a_second_failure_in_no_listed_word_is_read_by_meaning_beside_the_first():
    found = extract("The JSON comes back broken, and the delivery dates it promises customers are not the real ones.",
                    "problem").findings
    problem = next(f for f in found if f.fact == "problem")
    assert {"format", "knowledge"} <= set(problem.value)
    assert problem.confidence < 0.9  # part of it rests on meaning alone: below a plain answer


def test_a_limit_the_runs_cannot_pass_is_a_plateau_and_a_stuck_rule_book_is_not():
    assert "plateau" in held("our adapter runs keep hitting a ceiling around 88 F1", "problem")["problem"]
    assert "problem" not in held("it never changes; the agency is stuck on the 2004 edition", "knowledge_changes")


# ---- prompting ---------------------------------------------------------------------------------------------------

def test_two_percentages_without_a_target_are_scores_not_a_met_target():
    found = held("our prompt has a glossary and five examples; headings right 85% of the time, wording 70%",
                 "prompting_tried")
    assert found["prompting_tried"] == "tried"


def test_a_score_of_the_prompted_model_means_prompting_was_tried():
    assert held("prompting the hosted model reached 71% on our eval", "prompting_tried")["prompting_tried"] == "tried"


def test_zero_shot_is_no_negation_of_the_technique_after_it():
    assert held("we ran a zero-shot and then a few-shot prompt with a rubric", "prompting_tried")[
        "prompting_tried"] == "tried"


# ---- counts and the noun they belong to ----------------------------------------------------------------------------

def test_the_size_of_a_prompt_is_not_a_corpus():
    assert "unlabeled_corpus" not in held("we use a 4-page system prompt with a style sheet", "prompting_tried")


def test_an_answer_that_opens_with_a_count_of_an_unlisted_noun_answers_the_count_question():
    assert held("about 12,000 invoices keyed in by our clerks", "labeled_examples")["labeled_examples"] == 12_000


def test_a_yearly_rate_beside_the_count_is_not_the_count():
    assert held("roughly 2,500 contracts so far (we sign around 300 a year)", "labeled_examples")[
        "labeled_examples"] == 2_500


def test_choices_counted_in_times_answer_the_comparison_question():
    assert held("the editors chose between two headlines about 4k times", "preference_data")["preference_data"] == 4_000


def test_a_count_inside_a_question_is_not_the_users_data():
    assert "labeled_examples" not in held("Doesn't the vendor recommend 100 examples to start with?", "labeled_examples")


def test_nothing_clean_to_imitate_is_zero_examples_and_no_judgement_of_quality():
    found = held("the drafts all get rewritten later, so there is no usable reference set", "labeled_examples")
    assert found.get("labeled_examples") == 0 and "data_quality" not in found


# ---- change, weights ---------------------------------------------------------------------------------------------

def test_the_fastest_changing_part_of_the_knowledge_decides():
    assert held("store hours update every week; the return policy about once a year", "knowledge_changes")[
        "knowledge_changes"] == "frequent"


def test_twice_a_year_is_occasional_not_static():
    assert held("the tariff schedule is revised twice a year", "knowledge_changes")["knowledge_changes"] == "occasional"


@pytest.mark.parametrize("text", ["The contract allows no outside pretrained weights at all.",
                                  "Compliance says: no model whose training data we cannot inspect."])
def test_a_ban_stated_with_an_adjective_or_as_a_condition_is_still_a_ban(text):
    assert held(text)["weights_allowed"] == "no"


# ---- the interview -----------------------------------------------------------------------------------------------

def test_an_answer_in_telegraphic_english_is_not_taken_for_keyboard_noise():
    assert not extract("editors chose between drafts dozens times since launch", "preference_data").gibberish
    assert extract("sdfghj qwrtz kjhgf", "preference_data").gibberish


def test_an_unreadable_answer_is_asked_once_more_then_the_interview_moves_on(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda *a, **k: [])
    cid = conversations.create(owner="reader-test", title="noise")
    offline = brain.OfflineBrain()
    asked = [e.fact for e in offline.turn(cid, "We want help with our support assistant.") if isinstance(e, Question)]
    first = asked[-1]
    again = [e.fact for e in offline.turn(cid, "sdfghj qwrtz kjhgf") if isinstance(e, Question)]
    assert again == [first]  # asked once more
    after = [e.fact for e in offline.turn(cid, "sdfghj qwrtz kjhgf") if isinstance(e, Question)]
    assert first not in after  # then skipped: never the same question a third time


def test_an_open_question_answered_with_a_question_twice_is_left_and_the_interview_moves_on(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda *a, **k: [])
    cid = conversations.create(owner="reader-test", title="questions back")
    offline = brain.OfflineBrain()
    first = [e.fact for e in offline.turn(cid, "We want help with our support assistant.") if isinstance(e, Question)][-1]
    again = [e.fact for e in offline.turn(cid, "Hm, what is LoRA exactly?") if isinstance(e, Question)]
    assert again == [first]  # the side question answered, the open question asked once more
    after = [e.fact for e in offline.turn(cid, "And how does retrieval work?") if isinstance(e, Question)]
    assert first not in after  # never the same question a third time


@pytest.mark.parametrize("text", ["Our bot files 'could I move it to Friday?' under refunds.",
                                  'It answers "is this covered?" with a made-up clause number.',
                                  "customers write \u201cwhere is my parcel?\u201d and it replies in French"])
def test_a_quoted_message_with_a_question_mark_asks_the_advisor_nothing(text):
    assert answers.classify(text) is None
    assert extract(text, "problem").side_question is None


# ---- team, serving, compute, retractions (second round) -------------------------------------------------------------

@pytest.mark.parametrize("text, team", [("two people who can write some python", "software"),
                                        ("not a single technical employee here", "none"),
                                        ("four MLEs and a product owner", "ml"),
                                        ("folks who trained transformers from scratch at a lab", "pretraining")])
def test_the_team_is_read_from_what_people_can_do_however_the_role_is_spelled(text, team):
    assert held(text, "team")["team"] == team


@pytest.mark.parametrize("text, tags", [("it runs inside the kiosk in the lobby", ["on_device"]),
                                        ("we pay by the call and it is eating into our budget", ["cost"]),
                                        ("about 40k queries a day", ["volume"])])
def test_serving_constraints_are_read_from_where_it_runs_what_it_costs_and_how_often(text, tags):
    assert held(text, "inference_constraints")["inference_constraints"] == tags


def test_gpus_the_user_does_not_own_are_no_gpus():
    assert held("we do not own any GPUs", "compute")["compute"]["gpus"] == 0


def test_admitting_a_mistake_about_a_fact_withdraws_it():
    assert "budget" in extract("I was wrong about the budget, I need to ask finance.").retracts


# ---- prompting, quality, what is failing (second round) -------------------------------------------------------------

def test_a_denied_prompt_beside_a_fine_tune_is_no_prompting():
    assert held("we fine-tuned a small model on 300 examples; we never tried a serious prompt")[
        "prompting_tried"] == "none"


def test_a_prompt_one_paragraph_long_is_basic():
    assert held("our prompt is one short paragraph", "prompting_tried")["prompting_tried"] == "basic"


def test_a_prompt_that_passes_every_test_meets_the_target():
    assert held("after a month of tweaks the prompt passes every regression test we have", "prompting_tried")[
        "prompting_tried"] == "meets_target"


@pytest.mark.parametrize("text", ["the tags were generated by a rules engine and never reviewed",
                                  "an LLM wrote them and we didn't check"])
def test_labels_a_program_made_with_nobody_checking_are_low_quality(text):
    assert held(text, "data_quality")["data_quality"] == "low"


@pytest.mark.parametrize("text, tag", [("the XML it returns is malformed half the time", "format"),
                                       ("it comes across as smug", "tone"),
                                       ("it keeps calling invoices 'bills'", "terminology"),
                                       ("It explained to a teenager how to disable the parental lock.", "safety")])
def test_a_failure_is_read_from_its_kind_not_from_one_listed_word(text, tag):
    assert tag in held(text, "problem")["problem"]


def test_a_question_asked_back_states_no_failure():
    assert "problem" not in held("Why do you ask about that?", "budget")


def test_a_doubt_in_its_own_sentence_leaves_the_stated_failure_for_a_read_back():
    found = [f for f in extract("Format, I think. Whether tone matters too, hard to say.", "problem").findings
             if f.fact == "problem"]
    assert found and "format" in found[0].value and found[0].confidence < HOLD


# ---- third round: a plateau in other words, clause boundaries, tags said in passing ---------------------------------

@pytest.mark.parametrize("text", ["extra epochs didn't budge the score, our LoRA sits at 82%",
                                  "the adapter has stayed flat across four runs"])
def test_settings_that_move_nothing_are_a_plateau(text):
    assert "plateau" in held(text, "problem")["problem"]


def test_the_second_number_of_a_ratio_is_no_count():
    assert held("the base model got 3 out of 20 right; we have no dataset", "labeled_examples")[
        "labeled_examples"] == 0


def test_a_new_statement_after_and_is_its_own_clause():
    from agent.extract import _clauses
    assert len(_clauses("it mangles the headings and it sounds like a robot")) == 2


def test_a_failure_said_in_passing_adds_to_the_failures_already_held():
    from agent.facts import Interview
    interview = Interview()
    interview.set("problem", ["task"], "routing accuracy", 0.9)
    interview.pending = "prompting_tried"
    found = extract("Prompted it with a schema first; then our LoRA stayed flat for three runs at 84%.",
                    "prompting_tried")
    brain.OfflineBrain()._absorb(interview, found, [])
    assert {"task", "plateau"} <= set(interview.value("problem"))


# ---- fourth round: number words, permission, hypothetical counts, novelty, pasted config ----------------------------

@pytest.mark.parametrize("text, value", [("a quarter million", 250_000), ("thirty-five thousand", 35_000)])
def test_fractions_and_hyphenated_number_words_are_read_in_full(text, value):
    assert held(text, "labeled_examples")["labeled_examples"] == value


@pytest.mark.parametrize("text", ["We may run Gemma on our own boxes; legal signed off on the licence.",
                                  "Not our preference, but legally we may."])
def test_permission_said_as_what_the_user_may_do_allows_weights(text):
    assert held(text, "weights_allowed")["weights_allowed"] == "yes"


def test_a_count_that_might_be_collected_later_is_not_data_held_now():
    assert held("None gathered so far, though the editors could produce a couple of thousand.", "preference_data")[
        "preference_data"] == 0


def test_a_count_beside_a_denial_of_pairs_is_of_what_the_user_does_have():
    found = held("No comparisons. We do keep 3k corrected final replies though.", "preference_data")
    assert found["preference_data"] == 0 and found["labeled_examples"] == 3_000


def test_what_every_model_already_knows_is_covered_and_what_we_invented_is_novel():
    assert held("Public models know gardening well; we're a plant shop.", "domain_novelty")["domain_novelty"] == "covered"
    assert held("a barcode grammar our scanners use, designed in-house", "domain_novelty")["domain_novelty"] == "novel"


def test_a_pasted_configuration_is_no_answer():
    assert "labeled_examples" not in held('{"base": "mistral-7b", "lr": 3e-4, "epochs": 2, "rank": 8}',
                                          "labeled_examples")
