"""A user's turn is read by its form, not by a list of phrasings: a decision is an order, an intention, an
authority's requirement or a closed commitment that names a route (refused when negated); a judgement asked on a
named route gets the verdict for the user's own case; a remark that answers no question gets a reply. Causes found
in blind question set v7 (a development set now); every phrasing here is new, and the guides are the real index."""

from __future__ import annotations

import pytest

from agent import answers, brain, conversations, pricing
from agent.events import AssistantMessage, Question
from agent.extract import extract


def conversation(*texts: str) -> tuple[str, list]:
    """A conversation that says `texts` in turn; its id and the events of the last turn."""
    cid = conversations.create(owner="stance-test")
    events: list = []
    for text in texts:
        events = list(brain.turn(cid, text))
    return cid, events


def said(events: list) -> str:
    return "\n".join(e.text for e in events if isinstance(e, (AssistantMessage, Question)))


@pytest.mark.parametrize("text, target, rejected", [
    ("Deploy the LoRA, the numbers are fine by me", "lora_finetune", None),
    ("Our regulator requires a model trained from scratch.", "pretrain_from_scratch", None),
    ("I insist on DPO with the ranked replies we collected", "preference_tuning", None),
    ("We're going with retrieval over the wiki, end of discussion", "rag", None),
    ("We are not going to do any fine-tuning here. The board agreed.", None, "lora_finetune"),
    ("Continued pretraining is off the table, we will stay with a structured prompt", "prompt_engineering",
     "continued_pretraining"),
    # a plain present decides in a message closed to debate
    ("We stop fine-tuning the 13B and use the big hosted model, you won't convince me otherwise",
     "stronger_base_model", "lora_finetune"),
    ("we deploy the fine tune. slightly lower score but far cheaper, I decided", "lora_finetune", None),
])
def test_a_decision_in_the_users_own_grammar_is_read_as_choosing_or_refusing_a_route(text, target, rejected):
    intent = answers.classify(text)
    assert intent is not None and intent.kind == answers.CHOOSE
    assert (intent.target, intent.rejected) == (target, rejected)


@pytest.mark.parametrize("text", [
    "we use GPT-4o today and it is slow at peak",
    "we fine-tuned an 8B last spring on 2,000 tickets",
    "the team wants it to write shorter replies",
])
def test_a_description_of_the_situation_decides_nothing(text):
    assert answers.stance(text) is None


@pytest.mark.parametrize("text, target", [
    ("is RAG really the right tool for a catalogue that changes weekly", "rag"),
    ("why do you say we should annotate more of them before anything else", "collect_data"),
    ("be honest: is full fine-tuning the wrong idea for us", "full_finetune"),
    ("why isn't a few-shot prompt with our best letters enough", "prompt_engineering"),
])
def test_a_judgement_asked_on_a_named_route_is_a_why_not_about_that_route(text, target):
    intent = answers.classify(text)
    assert intent is not None and (intent.kind, intent.target) == (answers.WHY_NOT, target)


def test_a_remark_mid_interview_is_answered_and_never_met_with_i_did_not_catch_that():
    _, events = conversation("Brewery with 14 pubs: we want a model that writes the weekly tap-list posts.",
                             "We will not keep a holdout set; the dev score is the figure we'll publish to the owners.")
    text = said(events)
    assert "didn't catch" not in text
    assert "[1]" in text  # the reply drew on a guide passage (cited), then the interview goes on
    assert any(isinstance(e, Question) for e in events)


def test_good_enough_after_a_tried_prompt_means_it_meets_the_target_and_training_is_not_pushed():
    cid, events = conversation(
        "Council parking office. Our structured prompt on gpt-4o-mini drafts appeal replies; officers accept 93% of "
        "them on 300 past appeals.",
        "93% with an officer signing off is good enough for us, we won't do any fine-tuning.")
    assert conversations.load(cid).value("prompting_tried") == "meets_target"
    text = said(events)
    assert "You're right" in text and "Earlier you said" not in text


def test_a_figure_restated_with_less_detail_does_not_replace_the_one_stated_in_full():
    cid, events = conversation("Pump maker: 120 service manuals, about 50 pages each, and we want an assistant.",
                               "I want continued pretraining on the 120 manuals")
    corpus = conversations.load(cid).value("unlabeled_corpus")
    assert corpus is not None and corpus > 120 * 1_500  # the pages were counted, not a default per document
    assert "Earlier you said" not in said(events)


def test_a_cost_question_naming_three_methods_prices_each_on_the_users_card():
    _, events = conversation("Translation agency: we want to fine-tune a 14B model on 3,000 reviewed segments; we "
                             "own one RTX 3090 24GB.", "full, lora or qlora on that card? numbers please")
    text = said(events)
    assert "Full fine-tune" in text and "- LoRA fine-tune:" in text and "- QLoRA fine-tune:" in text
    assert "14B" in text  # the user's model, not the 7B default


def test_a_labelling_question_prices_the_count_it_asks_about_and_answers_whether_it_is_right():
    _, events = conversation("Insurance claims team: we want a model to tag claim letters with 20 reasons; an "
                             "adjuster needs about 5 minutes per letter at €42 per hour.",
                             "What would labelling cost, and is 6 000 letters the right number?")
    text = said(events)
    assert "6,000 examples at 5 min" in text and "€" in text
    assert "Is 6,000 the right number?" in text


def test_token_prices_said_side_after_amount_and_an_embedding_price_are_told_apart():
    specs = pricing.read_specs(["We'd embed with bge at $0.05 per 1M tokens and answer with a model at $3 in / "
                                "$15 out per million; 400 questions a day, 21 working days a month."])
    assert (specs.api_usd_per_m_in, specs.api_usd_per_m_out, specs.embed_usd_per_m) == (3, 15, 0.05)
    assert specs.days_per_month == 21 and specs.requests_per_day == 400
    estimate = pricing.price("rag", {}, specs)
    assert any("× 21 days ×" in line for line in estimate.lines)
    assert any("embedding price" in line for line in estimate.lines)


def test_anything_counted_by_the_month_is_traffic_but_units_of_time_or_text_are_not():
    assert pricing.read_specs(["we publish about 9k listings a month"]).requests_per_day == pytest.approx(300)
    assert pricing.read_specs(["we train 3 epochs a day"]).requests_per_day is None


def test_one_items_length_said_in_passing_is_no_corpus():
    found = extract("Each week we write ~30 short captions (40-60 words) for the museum's social accounts.")
    assert not any(f.fact == "unlabeled_corpus" for f in found.findings)


def test_more_data_is_better_is_answered_with_what_weak_examples_teach_and_the_training_plan_is_given():
    cid, events = conversation("Trade magazine: we want drafts of product reviews in our voice; 900 drafts on file, "
                               "500 were published and the rest rejected by the editor.",
                               "Train on all 900. More examples are better, the rejected drafts are still fine writing")
    text = said(events)
    assert "teach exactly the patterns" in text and "preference pair" in text
    assert conversations.load(cid).plan["approach"] == "lora_finetune"


def test_skipping_the_retest_after_quantising_is_answered_about_the_change_with_the_users_test_count():
    _, events = conversation("Ferry operator: our fine-tuned 8B turns crew radio logs into incident forms, 91% correct "
                             "on 180 test logs. Now it must run on a CPU box, so we'll convert it to GGUF at 4-bit.",
                             "just ship the 4-bit one, no need to rerun the eval, quantisation is lossless anyway")
    text = said(events)
    assert "your 180 test cases" in text and "changes the outputs" in text


def test_a_remark_that_only_restates_what_is_held_is_answered_not_just_noted():
    _, events = conversation("Smart-watch maker: we want an offline assistant on the watch, which has 1 GB of RAM "
                             "and no network on runs.",
                             "A 7B will never fit there. We take a ~1B model even if it is weaker. Offline stays.")
    text = said(events)
    assert "[1]" in text and not text.startswith("Noted")


def test_fine_tune_spelled_as_two_words_names_the_route_and_the_method():
    assert answers.mentioned("can we just fine tune it on the 400 letters") == ["lora_finetune"]
    assert pricing.methods_named("memory for qlora, lora and full fine tune for the 27B") == ["qlora", "lora", "full"]


@pytest.mark.parametrize("text, field, value", [
    ("Shipyard: 18.000 PDF manuals, average 60 pages.", "pages", 1_080_000),
    ("Plan: label 5 000 ads first.", "to_label", 5_000),
    ("~1 100 tokens per pair in total", "tokens_per_example", 1_100),
    ("a trained clerk codes one form in roughly 4 minutes", "label_minutes", 4),
])
def test_figures_in_other_locales_and_phrasings_are_read_whole(text, field, value):
    assert getattr(pricing.read_specs([text]), field) == value


def test_settings_given_before_any_advice_get_a_plan_with_them_not_a_bare_note():
    cid, events = conversation("Perfume shop: 220 product descriptions in our voice, we want more like them.",
                               "set learning rate 3e-3 and 15 epochs, i want it to really learn our style")
    plan = conversations.load(cid).plan
    assert plan and plan["config"]["training"]["epochs"] == 15
    assert "Your settings are in the plan" in said(events)


def test_a_remark_answering_a_question_already_held_vaguely_is_still_answered():
    _, events = conversation("Utility company: a model that routes outage reports to teams.",
                             "I refuse a random split. We'll keep the most recent month as the test set, since that is "
                             "what the model will face.")
    assert "[1]" in said(events) and "date" in said(events)


@pytest.mark.parametrize("text", ["Your plan says label 3 000 examples before doing anything.",
                                  "The advisor recommended 5,000 labelled examples first.",
                                  "you suggest 2,000 examples, that's months for us"])
def test_a_figure_the_user_quotes_from_the_advice_is_not_their_own(text):
    assert not [f for f in extract(text).findings if f.fact == "labeled_examples"]


def test_someone_elses_reported_opinion_is_not_the_users_decision():
    intent = answers.classify("my cousin says just fine tune a model on the 300 notes. i'd rather try a careful prompt "
                              "first, is that silly")
    assert intent is not None and (intent.kind, intent.target) == (answers.WHY_NOT, "prompt_engineering")
    assert answers.classify("the board wants a fine-tuned model by June").kind == answers.CHOOSE  # an authority decides
