"""The user decides, and the plan they get is the one they asked for, sized honestly: ownership words are not a
method, settings the user chose are kept (with what to watch), a run too big for the user's cards is priced on the
cards that hold it, a corpus far too small for a model from scratch is said to be so, and preference pairs are
priced as pairs. Causes found in blind question set v4's pushback and cost turns; each test is a new phrasing."""

from __future__ import annotations

import pytest

import knowledge
from agent import answers, brain, conversations, objections, pricing, verdicts
from agent.events import AssistantMessage
from agent.extract import extract
from agent.plan import watch_outs


def _no_guides(query, k=3, approach=None, topic=None):
    return []  # the plan, the caveat and the price come from the user's facts, not from the guides


@pytest.fixture(autouse=True)
def no_guides(monkeypatch):
    monkeypatch.setattr(knowledge, "search", _no_guides)


def reply(opening: str, turn: str) -> tuple[str, dict]:
    cid = conversations.create(owner="pushback-test")
    list(brain.turn(cid, opening))
    events = list(brain.turn(cid, turn))
    return "\n".join(e.text for e in events if isinstance(e, AssistantMessage)), conversations.load(cid).plan or {}


@pytest.mark.parametrize("text, target", [
    ("We want our own model, trained on our 900 support chats. Do it.", "lora_finetune"),
    ("forget the docs-in-the-prompt idea, I'd like our own model trained on the call notes", "lora_finetune"),
    ("Legal insists on our own model, built from scratch. Plan it.", "pretrain_from_scratch"),
])
def test_our_own_model_names_who_owns_it_and_only_from_scratch_names_pretraining(text, target):
    intent = answers.classify(text)
    assert intent is not None and intent.kind == answers.CHOOSE and intent.target == target


def test_a_budget_already_granted_is_no_objection_to_the_cost():
    assert objections.objection("The CFO signed off the compute budget last week, so just train it.") != objections.COST
    assert objections.objection("Our budget is tight, that run is too expensive") == objections.COST
    # a budget that is lacking is the objection itself
    assert objections.objection("we have no budget for a continued pretraining run") == objections.COST
    assert objections.objection("we have a tiny budget for this") == objections.COST


def test_settings_with_no_route_named_configure_the_route_the_user_is_on_and_are_kept_with_what_to_watch():
    text, plan = reply("museum audio-guide scripts. 12k script/exhibit pairs. we fine-tune mistral 7b with lora",
                       "use rank 128, learning rate 2e-3 and 12 epochs. my call, no debate")
    assert plan["approach"] == "lora_finetune"
    config = plan["config"]
    assert config["lora"]["r"] == 128 and config["training"]["learning_rate"] == 2e-3
    assert config["training"]["epochs"] == 12
    assert "Your settings are in the plan as given" in text
    assert "can diverge" in text and "likely to memorise" in text and "lowest validation loss" in text
    assert "prompt engineering" not in text.split("Plan:")[0].lower().replace("structured prompt", "")


def test_usual_settings_draw_no_warning():
    assert watch_outs({"training": {"learning_rate": 2e-4, "epochs": 3}, "lora": {"method": "lora", "r": 16}}) == []
    full = watch_outs({"training": {"learning_rate": 2e-4, "epochs": 2}, "lora": {"method": "full"}})
    assert len(full) == 1 and "1e-5–5e-5 for full fine-tuning" in full[0]


def test_a_full_fine_tune_too_big_for_the_users_card_is_priced_on_the_cards_that_hold_it():
    facts = {"labeled_examples": 20_000, "compute": {"gpus": 1, "gpu_memory_gb": 80.0, "access": "own"}}
    estimate = pricing.price("full_finetune", facts, pricing.read_specs(["full fine-tune of a 7B model"]))
    # 7B × 16 bytes × 1.2 + 2 ≈ 136 GB: two 80 GB cards
    assert "on 2 × H100" in estimate.summary and "1 × H100 is not enough memory" in estimate.summary
    assert "priced on 2 × H100, sharded" in estimate.sharded and "(1 more than you have)" in estimate.sharded
    assert "ZeRO-Offload" in estimate.sharded
    fitting = pricing.price("lora_finetune", facts, pricing.read_specs(["LoRA on a 7B model"]))
    assert fitting.sharded == "" and "on 1 × H100," in fitting.summary


def test_full_fine_tuning_chosen_on_one_card_gets_a_plan_that_says_how_it_fits():
    text, plan = reply("Legal-clause tagging for a notary office. 20k tagged clauses, one H100 80GB of our own, "
                       "plan was LoRA on an 8B model.",
                       "Adapters are a half measure. Let's do full fine-tuning, set it up please.")
    assert plan["approach"] == "full_finetune"
    assert "2 × H100" in text and "is not enough memory" in text and "sharded with FSDP" in text


def test_pretraining_on_a_corpus_thousands_of_times_too_small_is_said_plainly():
    reason = verdicts.why_not("pretrain_from_scratch", {"unlabeled_corpus": 300_000}, "rag")
    assert "would not write fluent text" in reason
    near = verdicts.why_not("pretrain_from_scratch", {"unlabeled_corpus": 2_000_000_000}, "rag")
    assert "fluent" not in near  # 5× short is a threshold, not a hopeless run
    summary = pricing.price("pretrain_from_scratch", {"unlabeled_corpus": 300_000}).summary
    assert "for a 1B model on 20 billion tokens" in summary and "your 300,000 plus" in summary


@pytest.mark.parametrize("opening, pairs", [
    ("Recipe app. Cooks judge two generated versions of each recipe side by side; we have 18k pairs so far.", 18_000),
    ("Users compare 2 candidate replies per chat and keep one. About 9,500 pairs logged.", 9_500),
])
def test_two_versions_judged_against_each_other_make_preference_pairs(opening, pairs):
    held = {f.fact: f.value for f in extract(opening).findings}
    assert held.get("preference_data") == pairs and "labeled_examples" not in held


def test_a_pair_is_priced_on_the_prompt_and_answer_lengths_the_user_gave():
    specs = pricing.read_specs(["the prompt is ~400 tokens and each reply ~250 tokens", "DPO, 1 epoch"])
    assert specs.tokens_per_example == 650
    text = pricing.render(pricing.price("preference_tuning", {"preference_data": 10_000}, specs))
    assert "10,000 pairs (two answers each) × 1,300 tokens" in text
    assert "a LoRA fine-tune on the same examples" not in text


def test_a_route_refused_that_does_not_fit_anyway_is_agreed_to_and_the_advice_stands():
    text, plan = reply("Lab-report coding for a vet chain: the model keeps breaking our 14-field JSON format. "
                       "3,200 coded reports. Each report holds everything needed.",
                       "there's nothing to look up, the report is all the model needs. cut the retrieval bit")
    assert text.startswith("You're right to leave out retrieval-augmented generation (RAG)")
    assert plan["approach"] != "rag" and "rag" not in plan["approach"]


def test_a_prompt_plan_keeps_the_examples_for_the_next_rung():
    from agent.plan import build_plan

    steps = build_plan({"approach": "prompt_engineering"}, {"labeled_examples": 3_200})["steps"]
    assert steps[-1].startswith("if it falls short on held-out cases, LoRA fine-tune on your 3,200 examples")
    assert not any("LoRA" in s for s in build_plan({"approach": "prompt_engineering"}, {"labeled_examples": 40})["steps"])


def test_outputs_used_unedited_nine_times_in_ten_mean_the_prompt_works_and_the_plan_is_upkeep():
    from agent.plan import build_plan

    held = {f.fact: f.value for f in extract(
        "We draft grant summaries with a prompt on GPT-4o; reviewers approve 95% of them as-is.").findings}
    assert held.get("prompting_tried") == "meets_target"
    low = {f.fact: f.value for f in extract(
        "We draft grant summaries with a prompt on GPT-4o; reviewers approve 60% of them as-is.").findings}
    assert low.get("prompting_tried") != "meets_target"
    steps = build_plan({"approach": "prompt_engineering"}, {"prompting_tried": "meets_target"})["steps"]
    assert steps[0].startswith("keep the prompt you have") and any("re-check set" in s for s in steps)


def test_a_price_alone_is_no_objection_to_the_cost():
    assert objections.objection("we stay with the prompt, $40 a month is nothing") is None
    assert objections.objection("a continued pretraining run is more than we can afford, we have $300") == objections.COST


def test_self_hosting_against_a_one_price_api_is_worked_out_on_the_users_traffic():
    specs = pricing.read_specs(["The provider charges $0.4 per million tokens. About 12k chats/day, avg 2,000 tokens "
                                "in and 300 out.", "what about self-hosting on an L4 at $0.75/h? run the numbers"])
    assert (specs.tokens_in, specs.tokens_out, specs.api_usd_per_m_in) == (2_000, 300, 0.4)
    text = pricing.render(pricing.serving({}, specs))
    # 12,000 × 30 × (2,300 × $0.4/M) ≈ $331 a month (shown to two figures) against 1 × $0.75 × 730 ≈ $548
    assert "≈ $330 a month" in text and "the hosted API is cheaper ($330 against $550 a month)" in text
    big = pricing.render(pricing.serving({}, pricing.read_specs(["Llama 3.1 8B on one L4", "20k chats/day"])))
    assert "16-bit weights take ≈ 16 GB of the L4's 24 GB" in big and "an 8B model" in big
    assert [pricing._size(b) for b in (7, 8, 11, 18, 80, 800, 1.8)] == ["a 7B", "an 8B", "an 11B", "an 18B", "an 80B",
                                                                         "an 800B", "a 1.8B"]


def test_a_prompt_is_priced_by_its_running_cost_on_the_users_volume():
    text = pricing.render(pricing.price("prompt_engineering", {}, pricing.read_specs(["about 500 chats a day"])))
    # 500 × 30 × 3,000 tokens = 45 M tokens a month; $0.15–$5 per million
    assert "45 million tokens a month ≈ $7–$220 a month" in text


@pytest.mark.parametrize("text, kind, target", [
    ("run the numbers on an A10G at $1.10/h for us please", answers.COST, None),
    ("why not simply show a strong model 15 of our past answers as examples first?", answers.WHY_NOT,
     "prompt_engineering"),
    ("Wouldn't it be smarter to label more examples before anything else?", answers.WHY_NOT, "collect_data"),
])
def test_a_question_is_read_by_what_it_asks_for_whatever_its_words(text, kind, target):
    intent = answers.classify(text)
    assert intent is not None and (intent.kind, intent.target) == (kind, target)


def test_what_a_cost_question_asks_for_is_not_read_as_the_failing_problem():
    cid = conversations.create(owner="pushback-test")
    list(brain.turn(cid, "Insurance chat assistant, 8B LoRA already trained, hosted API at $0.5 per million tokens."))
    list(brain.turn(cid, "should we move it to our own A10G at $1/h? do the math please"))
    assert conversations.load(cid).value("problem") in (None, [])


def test_refusing_to_collect_more_gets_a_plan_on_the_examples_there_are():
    intent = answers.classify("You want 800 more Q&A pairs? That's not happening, it's three of us. Make do with "
                              "what we have.")
    assert intent is not None and intent.kind == answers.CHOOSE and intent.rejected == "collect_data"
    text, plan = reply("Allotment society helpline: answers in our own plain style. We wrote 150 good Q&A pairs.",
                       "you said label ~1000 more pairs first. not happening. work with what we have")
    assert "150" in " ".join(plan["steps"]) and "hold out 20 of them" in " ".join(plan["steps"])  # a tenth, at least 20
    assert "log the model's outputs on real inputs" in text  # the set grows from use, without a labelling drive


def test_a_count_still_to_be_collected_is_not_data_the_user_has():
    for text in ("you told us to gather ~2,000 more examples first", "we might annotate another 3k"):
        assert "labeled_examples" not in {f.fact for f in extract(text, asked="labeled_examples").findings}
    assert {f.fact: f.value for f in extract("We have 1,000 more examples from last year.").findings}.get(
        "labeled_examples") == 1_000


def test_pretraining_with_no_size_said_is_sized_to_the_users_corpus():
    summary = pricing.price("pretrain_from_scratch", {"unlabeled_corpus": 60_000_000_000}).summary
    assert "for a 3B model on 60 billion tokens" in summary  # 60B tokens / 20 tokens per parameter


@pytest.mark.parametrize("text, kind, target", [
    ("explain to me why not retrieval, my manager will ask", answers.WHY_NOT, "rag"),
    ("ok now do full fine-tuning of the 13B, the cluster is idle", answers.CHOOSE, "full_finetune"),
    ("set lr 3e-4 and 8 epochs. I want the style learned. don't change it", answers.CHOOSE, None),
    ("you said rent an H100. no. LoRA on a 7B on my 4090 works, right?", answers.QUESTION, "lora_finetune"),
])
def test_an_order_a_setting_or_a_question_is_read_as_such_whatever_else_it_says(text, kind, target):
    intent = answers.classify(text)
    assert intent is not None and (intent.kind, intent.target) == (kind, target)


def test_a_decision_made_while_a_question_is_open_gets_the_plan_not_the_question_again():
    text, plan = reply("Shipping line, we want a model for our cargo-claims letters. We have 2 billion tokens of "
                       "claims archive.",
                       "we're pretraining our own anyway. board decision. just tell me how to run it")
    assert plan.get("approach") == "pretrain_from_scratch"
    assert "didn't catch that" not in text


def test_what_the_user_quotes_the_advisor_as_saying_is_not_their_fact():
    cid = conversations.create(owner="pushback-test")
    list(brain.turn(cid, "Bird-song app, we own one RTX 3090 24GB, 9,000 labelled call descriptions."))
    list(brain.turn(cid, "you said rent a cloud A100. no. QLoRA on an 8B on my 3090 is fine, right?"))
    compute = conversations.load(cid).value("compute")
    assert compute and compute["gpu_memory_gb"] == 24


@pytest.mark.parametrize("text, fact, value", [
    ("The tablets come to about 3 million tokens in total.", "unlabeled_corpus", 3_000_000),
    ("We have 6.800 past orders with the JSON our staff typed.", "labeled_examples", 6_800),
    ("We have 10,000 customer questions with no answers.", "labeled_examples", None),  # inputs without outputs
])
def test_counts_are_tied_to_what_they_count(text, fact, value):
    assert {f.fact: f.value for f in extract(text).findings}.get(fact) == value


def test_traffic_per_day_is_no_dataset_and_is_priced_as_traffic():
    text = "Volume ~40 000 conversations/day, about 1,300 input tokens and 200 output tokens each."
    assert "labeled_examples" not in {f.fact for f in extract(text).findings}
    assert pricing.read_specs([text]).requests_per_day == 40_000
