"""A question asked in the middle of the interview is answered, however it is asked: by word order alone ("will a
13B QLoRA even fit on one 24 GB card"), after a lead-in ("quick one: what do I need to check …"), as a tag ("300
is enough, isn't it"), or as a request for a verdict ("back me up or tell me I'm wrong"). It is never met with "I
didn't catch that". Causes found in blind question set v5's turns (a development set now); each test is a new
phrasing, and the guides are the real index on disk."""

from __future__ import annotations

import pytest

from agent import answers, brain, conversations
from agent.events import AssistantMessage, Question

OPENING = "We run a chain of bike shops and want a model that drafts repair quotes in our format."


def turn_after(opening: str, text: str) -> list:
    """The events of the turn `text`, sent after `opening` (the interview is then waiting on a question)."""
    cid = conversations.create(owner="midinterview-test")
    list(brain.turn(cid, opening))
    return list(brain.turn(cid, text))


def said_after(opening: str, text: str) -> str:
    return "\n".join(e.text for e in turn_after(opening, text) if isinstance(e, AssistantMessage))


@pytest.mark.parametrize("text, kind", [
    ("will a 13B QLoRA even fit on one 24 GB card", answers.COST),
    ("quick one: what do I need to check in the licence before shipping a tuned mistral", answers.QUESTION),
    ("300 examples is plenty for a LoRA, isn't it", answers.QUESTION),
    ("I'd keep retrieval for the prices. back me up or tell me I'm wrong", answers.QUESTION),
    ("we label about 50 a week, and how long does a first LoRA run take", answers.COST),
])
def test_a_question_by_word_order_tag_or_lead_in_is_a_question(text, kind):
    intent = answers.classify(text)
    assert intent is not None and intent.kind == kind


@pytest.mark.parametrize("text", [
    "is about 2,000 quotes", "are checked by the workshop lead", "should be fine, legal said ok",
    "We have 3,000 quotes, which is about two years of work.",
])
def test_a_terse_answer_that_drops_its_subject_asks_nothing(text):
    assert answers.classify(text) is None


def test_a_question_mid_interview_is_answered_and_never_met_with_i_did_not_catch_that():
    events = turn_after(OPENING, "will a 13B QLoRA even fit on one 24 GB card and how long would 2 epochs take")
    said = "\n".join(e.text for e in events if isinstance(e, AssistantMessage))
    assert "didn't catch" not in said and "didn't catch" not in " ".join(
        e.text for e in events if isinstance(e, Question))
    assert "GB" in said  # the answer speaks to the memory the user asked about


def test_live_tests_named_as_the_evaluation_are_agreed_with_and_the_offline_gate_left_to_the_user():
    said = said_after("Newsletter team at a museum: we want drafts of our member emails in our voice; 2,000 past "
                      "emails on file.", "we are not going to build a test set, online experiments with members are "
                      "our evaluation")
    assert "largely right" in said and "your call" in said
    assert "didn't catch" not in said


def test_putting_the_test_set_back_into_training_is_answered_with_the_risk_and_a_middle_way():
    said = said_after("Ski school: we want lesson reports in our format; we have 1,200 labeled examples.",
                      "just add the held-out examples into training, more data is always better")
    assert "held-out" in said and "1,200" in said and "Your call" in said


@pytest.mark.parametrize("text, kind", [
    ("Which export controls apply to shipping a tuned model abroad", answers.QUESTION),
    ("No vector store. The whole handbook is 15k tokens, it goes in the prompt.", answers.CHOOSE),
    ("I prefer we fine-tune it every month on the new catalogue", answers.CHOOSE),
    ("put rank 64 and 12 epochs", answers.CHOOSE),
])
def test_a_question_word_before_its_noun_a_refused_vector_store_and_a_preference_are_read(text, kind):
    intent = answers.classify(text)
    assert intent is not None and intent.kind == kind


def test_putting_every_example_in_the_training_skips_the_split():
    assert answers.SKIPS_SPLIT.search("no, 250 is already few, I put all 250 in the training")
