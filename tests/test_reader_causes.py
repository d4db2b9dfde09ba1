"""Causes of misreadings found on a development set (blind v5, after its one blind run), each fixed as a mechanism
and tested here on phrasings written for this file (none from any blind set): an answer that mentions a price is
not a decision; what the user raises shifts which question is worth asking; an item's shape is no dataset size;
the parts of a serious prompt; rates that are better lower, progressions and counts out of a total; an answer that
names the question's own categories; scale words of other languages; a count in tokens over one in bytes; data
that is not language."""

from __future__ import annotations

import pytest

import knowledge
from agent import answers, brain, conversations, policy
from agent.events import AssistantMessage, Question
from agent.extract import HOLD, _percent_meets, extract
from agent.facts import Interview
from agent.numbers import find_quantities


def held(text: str, asked: str | None = None) -> dict:
    return {f.fact: f.value for f in extract(text, asked=asked).findings if f.confidence >= HOLD}


@pytest.fixture
def no_guidance(monkeypatch):
    # the interview's questions do not depend on the guidance index; an empty search keeps these tests index-free
    monkeypatch.setattr(knowledge, "search", lambda query, k=3, approach=None, topic=None: [])


def test_an_answer_that_mentions_a_price_while_a_question_is_pending_is_an_answer_not_a_choice(no_guidance):
    cid = conversations.create()
    events = list(brain.turn(cid, "We sort insurance claims into 40 categories and the current model keeps "
                                  "choosing the wrong one."))
    iv = conversations.load(cid)
    iv.pending, iv.asked = "prompting_tried", iv.asked + ["prompting_tried"]
    conversations.save(cid, iv)
    events = list(brain.turn(cid, "a long few-shot prompt on a big hosted model got 80%, but it was too expensive "
                                  "for our volume"))
    text = " ".join(e.text for e in events if isinstance(e, AssistantMessage))
    assert "your call" not in text.lower()  # no plan was handed over as if the user had chosen prompting
    assert conversations.load(cid).value("prompting_tried") == "tried"
    assert any(isinstance(e, Question) for e in events)  # the interview goes on


def test_a_user_who_raises_a_foundation_model_is_asked_how_much_raw_data_there_is():
    iv = Interview()
    iv.set("problem", ["domain"], "vibration traces, not language", 0.9)
    plain = policy.scores(iv)
    iv.named = ["pretrain_from_scratch"]
    raised = policy.scores(iv)
    assert raised["unlabeled_corpus"] > plain["unlabeled_corpus"]
    assert raised["unlabeled_corpus"] >= policy.MIN_GAIN


def test_a_fact_said_in_passing_waits_for_its_read_back_and_is_not_asked_afresh():
    iv = Interview()
    iv.tentative["domain_novelty"] = {"value": "novel", "words": "nobody has data like ours", "confidence": 0.45}
    assert "domain_novelty" not in policy.scores(iv)


def test_a_problem_known_only_as_the_task_is_still_asked():
    iv = Interview()
    iv.set("problem", ["task"], "we route support e-mails", 0.7)
    assert "problem" in policy.scores(iv)


def test_a_small_count_said_in_passing_is_the_shape_of_an_item_not_a_dataset():
    found = held("every ticket gets three candidate replies and an agent keeps one", "problem")
    assert "preference_data" not in found and "labeled_examples" not in found
    assert held("3", "preference_data")["preference_data"] == 3  # asked for directly, it is the answer


def test_a_message_that_ends_with_the_word_pass_is_no_skip():
    assert not extract("a checklist and a second review pass", asked="prompting_tried").dont_know
    assert extract("pass", asked="budget").dont_know


@pytest.mark.parametrize("text", [
    "a tone guide plus six sample replies, revised over a few rounds",
    "house rules, a checklist and a second review pass",
])
def test_two_parts_of_a_serious_prompt_read_as_tried(text):
    assert held(text, "prompting_tried")["prompting_tried"] == "tried"


def test_a_bare_instruction_without_rules_or_examples_reads_as_basic():
    assert held("we paste the ticket and write 'route this'. No instructions beyond that, no examples.",
                "prompting_tried")["prompting_tried"] == "basic"


def test_a_measured_score_means_the_prompt_was_tried():
    assert held("some prompting, it lands around 71% on our checks", "prompting_tried")["prompting_tried"] == "tried"


def test_a_rate_that_is_better_lower_meets_its_target_only_below_it():
    assert _percent_meets("the edit rate dropped from 22% to 4%, our goal is below 5%") is True
    assert _percent_meets("the edit rate dropped from 22% to 9%, our goal is below 5%") is False
    assert _percent_meets("accuracy is 88% and the target is 95%") is False


def test_counts_out_of_a_total_are_rates():
    assert _percent_meets("217 of 240 summaries passed review; we needed 85%") is True
    assert _percent_meets("we checked 200 invoices: reviewers accepted 150. The bar is 90%") is False


def test_an_answer_that_opens_with_the_questions_own_categories_names_the_failure():
    assert set(held("tone plus terminology (the words our surveyors use are specific)", "problem")["problem"]) == {
        "tone", "terminology"}
    assert set(held("facts (which depot has stock today) & format of the quotes", "problem")["problem"]
               ) >= {"knowledge", "format"}


def test_scale_words_of_other_languages_after_a_numeral_are_read():
    assert [q.value for q in find_quantities("2,4 Mrd. Tokens")] == [2.4e9]
    assert [q.value for q in find_quantities("rund 1,2 Mio. Euro")] == [1.2e6]
    assert [q.value for q in find_quantities("5 crore rupees")] == [5e7]


def test_a_half_after_a_number_word_adds_to_it_before_the_scale_word():
    assert [q.value for q in find_quantities("about five and a half thousand picks")] == [5500]
    assert [q.value for q in find_quantities("two and a half million tokens")] == [2.5e6]
    assert [q.value for q in find_quantities("half a million rows")] == [5e5]


def test_a_count_in_tokens_beats_one_converted_from_bytes():
    found = held("about 3 TB raw, which our tokenizer turns into roughly 600 billion tokens", "unlabeled_corpus")
    assert found["unlabeled_corpus"] == 600_000_000_000


def test_data_that_is_not_language_reads_as_a_novel_domain():
    assert held("the inputs are vibration spectra, nothing to do with language", "domain_novelty")[
        "domain_novelty"] == "novel"


def test_a_count_of_approved_outputs_with_a_length_each_is_examples_not_a_corpus():
    found = held("We have 4k reviewed product descriptions, about 300 tokens each.")
    assert found.get("labeled_examples") == 4_000 and "unlabeled_corpus" not in found
    assert held("12k news articles, roughly 700 words each")["unlabeled_corpus"] == 12_000 * 700 * 1.3


def test_gpus_mentioned_without_a_count_or_a_card_are_a_hint_not_a_value():
    assert "compute" not in held("we have the GPUs, just train it")
    assert held("we have two GPUs")["compute"]["gpus"] == 2


@pytest.mark.parametrize("text, target, rejected", [
    ("Stop telling me to write better prompts. We want the fine-tune, today.", "lora_finetune", "prompt_engineering"),
    ("We're not collecting any more data. Train on what we have.", "lora_finetune", "collect_data"),
    ("Give it a rest: we only want a LoRA, full stop.", "lora_finetune", None),
    ("Just give us the strongest model there is, we don't want tiny tuned ones.", "stronger_base_model", None),
])
def test_overruling_the_advice_in_the_users_own_words_is_a_decision(text, target, rejected):
    intent = answers.classify(text)
    assert intent is not None and intent.kind == answers.CHOOSE
    assert (intent.target, intent.rejected) == (target, rejected)


@pytest.mark.parametrize("text", ["the bot should stop suggesting discounts nobody offers",
                                  "We want the assistant to sound warmer with grieving families"])
def test_a_wish_about_the_models_behaviour_is_no_decision_about_the_plan(text):
    assert answers.classify(text) is None and not answers.decides(text)


def test_outputs_made_by_people_and_a_training_set_are_counted_as_examples():
    assert held("Translation agency. 9,500 product sheets translated by our linguists.")["labeled_examples"] == 9_500
    assert held("Building the dataset of 2,000 maintenance summaries took us a year.")["labeled_examples"] == 2_000
    assert "labeled_examples" not in held("We also have 300 PDFs of manuals nobody reads.")


def test_what_supervised_training_runs_on_is_examples_whatever_their_length():
    found = held("We plan to fine-tune a 7B on 9,000 chat transcripts of roughly 500 tokens each.")
    assert found.get("labeled_examples") == 9_000 and "unlabeled_corpus" not in found
    assert held("We'd pretrain on 30k manuals, about 2,000 words each")["unlabeled_corpus"] == 30_000 * 2_000 * 1.3


@pytest.mark.parametrize("text", ["Could we have a big model write 8,000 training examples for us instead?",
                                  "If we had 20,000 labelled rows, would a full fine-tune win?",
                                  "What if we generated 3k more examples with GPT-4?"])
def test_a_count_the_user_imagines_is_not_data_they_have(text):
    assert "labeled_examples" not in held(text)


def test_the_users_own_count_inside_a_question_is_what_they_have():
    assert held("How long would LoRA take on our 12,000 graded answers?")["labeled_examples"] == 12_000
    assert held("We have 1,500 synthetic examples checked by our staff.")["labeled_examples"] == 1_500
    assert "labeled_examples" not in held("the blog says 1,000 examples is the floor, is that true?")
