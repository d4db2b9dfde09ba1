"""Why not X for every approach, the user's own price, what a turn asks for, and answers made of cited sentences.

Pure functions only (no index, no database): agent.verdicts, agent.pricing, agent.answers, and the card in
ui.render. The end-to-end conversation is in tests/test_agent_brain.py and the blind set in tests/blind/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent import answers, engine, pricing, verdicts
from agent.facts import FACT_KEYS
from trainer.state.vocabulary import APPROACH_IDS, approach_label
from ui import render

# A team with a 50 M-token wiki, 60 labelled examples, one 24 GB GPU, a $20k budget and no preference data:
# the figures every "why not X?" answer must quote back.
WIKI_TEAM = {key: None for key in FACT_KEYS} | {
    "problem": ["format"], "prompting_tried": "tried", "labeled_examples": 60, "unlabeled_corpus": 50_000_000,
    "budget": 20_000, "preference_data": 0, "compute": {"gpus": 1, "gpu_memory_gb": 24, "access": "own"},
    "knowledge_changes": "static",
}
# The user's own figure each approach's answer must use, for WIKI_TEAM.
FIGURE_FOR = {
    "prompt_engineering": "already tried", "rag": "format", "collect_data": "60 examples",
    "lora_finetune": "60 examples", "full_finetune": "24 GB", "preference_tuning": "no preference pairs",
    "continued_pretraining": "50 million tokens", "pretrain_from_scratch": "50 million tokens",
    "stronger_base_model": "format", "rag_and_finetune": "no missing or changing facts",
}


def profiles() -> list[dict]:
    """WIKI_TEAM with one fact changed at a time, over every value the question policy considers: many different
    recommendations from one table."""
    out = [WIKI_TEAM]
    for fact, candidates in engine.CANDIDATES.items():
        out += [WIKI_TEAM | {fact: value} for value, _ in candidates]
    return out


def test_every_approach_gets_exactly_one_verdict_and_the_engine_choice_is_marked_recommended():
    rec = engine.recommend(WIKI_TEAM)
    table = verdicts.verdicts(WIKI_TEAM, rec["approach"])
    assert [v["approach"] for v in table] == list(APPROACH_IDS)
    assert [v["approach"] for v in table if v["verdict"] == verdicts.RECOMMENDED] == [rec["approach"]]
    assert all(v["verdict"] in verdicts.VERDICT_LABELS and v["reason"] for v in table)
    assert all(v["condition"] for v in table if v["verdict"] in (verdicts.NO, verdicts.IF))


@pytest.mark.parametrize("approach", APPROACH_IDS)
def test_why_not_each_approach_is_answered_with_the_users_own_figures(approach):
    rec = engine.recommend(WIKI_TEAM)
    text = verdicts.why_not(approach, WIKI_TEAM, rec["approach"])
    assert FIGURE_FOR[approach] in text, text
    assert approach_label(approach).split(" ")[0].lower() in text.lower()
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"an internal id leaked: {text}"


def test_why_not_pretraining_names_tokens_the_threshold_and_the_budget_gap():
    text = verdicts.why_not("pretrain_from_scratch", WIKI_TEAM, "collect_data")
    assert "50 million tokens" in text and "10 billion" in text and "$20,000" in text and "$500,000" in text


def test_continued_pretraining_would_fit_with_a_big_corpus_and_a_domain_reasoning_gap():
    near = WIKI_TEAM | {"problem": ["format"]}
    fits = WIKI_TEAM | {"problem": ["domain", "reasoning"], "domain_novelty": "partial"}
    assert next(v for v in verdicts.verdicts(near) if v["approach"] == "continued_pretraining")["verdict"] == verdicts.IF
    assert next(v for v in verdicts.verdicts(fits) if v["approach"] == "continued_pretraining")["verdict"] == verdicts.FITS


def test_full_fine_tuning_on_one_24_gb_card_is_refused_with_the_memory_arithmetic():
    entry = next(v for v in verdicts.verdicts(WIKI_TEAM | {"labeled_examples": 20_000})
                 if v["approach"] == "full_finetune")
    assert entry["verdict"] == verdicts.NO and "112 GB" in entry["reason"] and "24 GB" in entry["reason"]


def test_the_comparison_table_is_on_every_recommendation_card_with_labels_only():
    seen = set()
    for facts in profiles():
        rec = engine.recommend(facts)
        seen.add(rec["approach"])
        rec["verdicts"] = verdicts.verdicts(facts, rec["approach"])
        card = render.recommendation_card(rec)
        assert "| approach | verdict |" in card
        assert all(render.APPROACH_LABELS[a] in card for a in APPROACH_IDS)
        assert not any(a in card for a in APPROACH_IDS if "_" in a), facts
    assert len(seen) >= 5  # the grid really produces different recommendations
    rec = engine.recommend(WIKI_TEAM)
    rec["verdicts"] = verdicts.verdicts(WIKI_TEAM, rec["approach"])
    table = render.comparison_table(rec["verdicts"])
    assert table.count("\n") == len(APPROACH_IDS) + 1  # header, rule, one row per approach


# ---- the user's own price ------------------------------------------------------------------------------------------

def test_lora_price_is_six_n_d_over_the_gpu_with_every_assumption_stated():
    specs = pricing.read_specs(["8,000 examples, about 600 tokens each, LoRA of a 7B model, 2 epochs, one A100"])
    assert (specs.params_b, specs.tokens_per_example, specs.epochs, specs.gpu, specs.gpu_count) == (7, 600, 2, "A100", 1)
    e = pricing.price("lora_finetune", {"labeled_examples": 8_000}, specs)
    # 8,000 × 600 × 2 = 9.6 M tokens; 6 × 7e9 × 9.6e6 = 4.03e17 FLOPs; A100 312 TFLOP/s × 25% → 5,169 s ≈ 1.4 h
    assert "9.6 million training tokens" in e.lines[0] and "4.0e+17 FLOPs" in e.lines[1]
    assert e.hours[0] == pytest.approx(4.032e17 / (312e12 * 0.25) / 3600, rel=1e-3)
    assert e.usd[0] == pytest.approx((e.hours[0] + pricing.RUN_OVERHEAD_GPU_H) * pricing.GPUS["A100"][2], rel=1e-6)
    assert 1 < e.usd[1] < 100  # a LoRA job is tens of dollars of compute, not thousands
    assert any("per GPU-hour" in a for a in e.assumptions)


def test_a_price_the_user_states_replaces_the_assumed_one():
    facts = {"labeled_examples": 8_000}
    base = pricing.price("lora_finetune", facts, pricing.read_specs(["LoRA on a 7B model with one H100"]))
    cheaper = pricing.price("lora_finetune", facts, pricing.read_specs(["LoRA on a 7B model with one H100",
                                                                        "assume $1.50/hour"]))
    assert cheaper.usd[0] == pytest.approx(base.usd[0] / 2, rel=1e-6)
    assert not any("typical on-demand" in a for a in cheaper.assumptions)


def test_continued_pretraining_of_two_billion_tokens_on_eight_a100s_takes_about_a_day():
    e = pricing.price("continued_pretraining", {"unlabeled_corpus": 2e9, "labeled_examples": 10_000},
                      pricing.read_specs(["8 A100, a 7B model"]))
    assert 12 < e.hours[0] < 72 and "then the supervised fine-tune on 10,000 examples" in " ".join(e.lines)


def test_pretraining_from_scratch_states_the_chinchilla_rule_and_the_people_cost():
    e = pricing.price("pretrain_from_scratch", {"unlabeled_corpus": 5e9}, pricing.read_specs(["a 1B model"]))
    text = pricing.render(e)
    assert "20 tokens per parameter" in text and "20 billion tokens" in text and "team" in e.labour


def test_pretraining_on_a_corpus_below_twenty_tokens_per_parameter_is_priced_at_the_useful_size():
    small = pricing.price("pretrain_from_scratch", {"unlabeled_corpus": 50_000_000}, pricing.read_specs(["a 1B model"]))
    assert small.lines[0].startswith("data: 20 billion tokens")  # not a cheap run on 50 M tokens
    assert any("your 50 million plus about" in a for a in small.assumptions)


def test_why_not_a_route_that_fits_ranks_the_advice_first_instead_of_arguing_against_it():
    facts = WIKI_TEAM | {"labeled_examples": 2_000, "prompting_tried": None}  # an untried prompt fits
    table = {v["approach"]: v for v in verdicts.verdicts(facts, "lora_finetune")}
    assert table["prompt_engineering"]["verdict"] == verdicts.FITS
    text = verdicts.why_not("prompt_engineering", facts, "lora_finetune")
    assert "It fits, but I ranked LoRA fine-tuning first:" in text and "instead" not in text


def test_dpo_prices_the_users_pairs_with_two_answers_each():
    e = pricing.price("preference_tuning", {"preference_data": 5_000}, pricing.read_specs(["a 7B model"]))
    assert e.lines[0].startswith("data: 5,000 pairs (two answers each) × 1,000 tokens")


def test_hosting_is_a_monthly_figure_from_the_users_traffic():
    e = pricing.serving({}, pricing.read_specs(["7B model, roughly 50,000 requests per day"]))
    assert "50,000 requests a day" in e.lines[0] and e.usd[0] == pytest.approx(730 * pricing.GPUS["A10G"][2])


def test_labelling_labour_is_minutes_per_example_times_the_count():
    text = pricing.labour(2_000, pricing.Specs())
    assert "67–167 expert hours" in text  # 2,000 × 2 min = 66.7 h; 2,000 × 5 min = 166.7 h


# ---- what a turn asks for ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, kind, target", [
    ("Why not pretraining? Our wiki is 50 million tokens", answers.WHY_NOT, "pretrain_from_scratch"),
    ("why LoRA and not full fine-tuning?", answers.WHY_NOT, "full_finetune"),
    ("how much would it cost?", answers.COST, None),
    ("can't we skip the prompt stuff and just train?", answers.CHOOSE, "lora_finetune"),
    ("I hear you on retrieval, but I want LoRA anyway.", answers.CHOOSE, "lora_finetune"),
    ("Full fine-tune, not LoRA.", answers.CHOOSE, "full_finetune"),
    ("what is LoRA?", answers.QUESTION, "lora_finetune"),
    ("can't we skip all that and just fine-tune on the 300?", answers.CHOOSE, "lora_finetune"),
    ("About 600 examples, reviewed by our leads.", None, None),
    # asked without a question mark, or in the imperative: the grammar of the sentence, not its punctuation
    ("timing and price of the adapter run please", answers.COST, "lora_finetune"),
    ("whats the monthly bill if we host it ourselves", answers.COST, None),
    ("Walk me through how the evaluation would work", answers.QUESTION, None),
    ("Jump directly to the full fine-tune. We measured prompts for a month.", answers.CHOOSE, "full_finetune"),
    ("Retrieval is out. We will train the 3B on our transcripts, final.", answers.CHOOSE, "lora_finetune"),
    ("I get the cost argument, but management insists on our own model from scratch. Plan it.", answers.CHOOSE,
     "pretrain_from_scratch"),
    ("No validation set, all rows go into training.", answers.CHOOSE, None),
    ("A colleague insists a DPO run is the right way here. Your take", answers.WHY_NOT, "preference_tuning"),
    ("Procurement wants to know two things: may we resell the tuned weights, and who owns them", answers.QUESTION,
     None),
    ("rather than paying annotators, could we let a big model write the training pairs", answers.QUESTION, None),
    ("Drop the validation set; all of the 1,200 records go into training.", answers.CHOOSE, None),
    ("The old API was too slow at peak anyway.", None, None),
    ("could we have GPT-4o write 5k training pairs for us and fine-tune on those", answers.QUESTION, "lora_finetune"),
    ("My manager insists adapters are second-rate; please change the plan to full fine-tuning.", answers.CHOOSE,
     "full_finetune"),
    # statements stay answers to the interview: a label, a noun, a plain description (these came from a review)
    ("The customer wants answers in under 2 seconds.", None, None),
    ("We are going to use it for internal support only.", None, None),
    ("We will run it on our own servers.", None, None),
    ("Users often switch to English mid-conversation.", None, None),
    ("We need a full audit trail for every answer.", None, None),
    ("We set up this pipeline last year.", None, None),
    ("No eval set yet, we never built one.", None, None),
    ("Each example for training was checked by two reviewers.", None, None),
    ("Compute budget is about 5k a month.", None, None),
    ("Help center articles, about 3,000 of them.", None, None),
    ("We have 3,000 labelled tickets, which is about a year of support.", None, None),
    ("Plan: two epochs of LoRA on the 900 reviewed rows.", None, None),
    ("What goes wrong is the tone; it sounds stiff.", None, None),
    ("Run on our own two A6000s.", None, None),
])
def test_a_turn_is_read_as_why_not_cost_a_choice_or_a_question(text, kind, target):
    intent = answers.classify(text)
    assert (intent.kind if intent else None) == kind
    if intent and target:
        assert intent.target == target


def test_the_answer_is_the_sentences_that_answer_it_each_cited_and_the_passage_opens_as_prose():
    passages = [
        {"title": "Methods", "section": "LoRA", "score": 0.8,
         "text": "## LoRA\nLow-Rank Adaptation freezes the base\nweights and trains **small** adapter matrices beside them.\n"
                 "It was introduced in 2021. Teams like it for its cost."},
        {"title": "Costs", "section": "GPUs", "score": 0.5,
         "text": "A rented GPU costs a few dollars an hour for most fine-tuning runs today."},
    ]
    picked = answers.select("what is LoRA and which weights does it train?", passages, embed=None, k=1)
    numbering: dict[int, int] = {}
    text = answers.cited(picked, numbering)
    assert text == "Low-Rank Adaptation freezes the base weights and trains small adapter matrices beside them. [1]"
    more = answers.read_more(passages, numbering)
    assert "<strong>small</strong>" in more and "**" not in more and "base weights" in more  # re-flowed
    assert "Read more: [1] Methods — LoRA" in more


def test_why_not_says_what_the_approach_is_its_verdict_with_the_users_figures_and_what_is_advised_instead():
    text = verdicts.why_not("lora_finetune", WIKI_TEAM, "collect_data")
    assert text.startswith("**LoRA fine-tuning**: supervised fine-tuning that freezes")  # what it is, first
    assert "60 examples" in text and "200" in text  # the user's count and the threshold
    assert "What I recommend instead is building the dataset first: 60 examples is below" in text


def test_lora_for_facts_that_change_is_refused_for_the_kind_of_gap_before_the_example_count():
    facts = WIKI_TEAM | {"problem": ["knowledge"], "knowledge_changes": "frequent", "labeled_examples": 60}
    entry = next(v for v in verdicts.verdicts(facts) if v["approach"] == "lora_finetune")
    assert entry["verdict"] == verdicts.NO and entry["fact"] == "knowledge_changes"
    assert "re-indexes" in entry["reason"]  # and what does the job instead


def test_a_price_is_set_against_the_users_budget_and_timeline():
    facts = WIKI_TEAM | {"labeled_examples": 2_000, "timeline": 14}
    estimate = pricing.price("lora_finetune", facts)
    facts["budget"] = 12 * estimate.usd[0]  # twelve runs' worth
    lines = pricing.against_means(estimate, facts)
    assert "covers about 12 such runs" in lines[0]
    assert "covers more than 100" in pricing.against_means(estimate, facts | {"budget": 500 * estimate.usd[0]})[0]
    assert "2-week timeline" in lines[1] and "1.2–1.4 weeks preparing" in lines[1]  # 60–70 % of 14 days


def test_what_a_question_asks_for_is_read_from_its_form():
    assert answers.asks("Sorry, what is LoRA exactly?") == ["define"]
    assert answers.asks("What is the right order to try things?") == []  # not a definition of "the"
    assert "how_many" in answers.asks("How many examples do we need?")
    assert "risk" in answers.asks("Is it safe to train on model outputs?")


def test_a_definition_is_answered_from_the_section_about_the_term_in_its_own_order():
    passages = [
        {"title": "Rates", "section": "Learning rate", "score": 0.7,
         "text": "LoRA adapters need a learning rate near 2e-4. A rate of 1e-2 for LoRA diverges quickly."},
        {"title": "Methods", "section": "LoRA: adapters on a frozen model", "score": 0.6,
         "text": "LoRA freezes the original weights and trains small low-rank matrices beside them. "
                 "The adapter file is megabytes rather than gigabytes and several adapters share one base."},
    ]
    picked = answers.select("What is LoRA?", passages, embed=None, k=2)
    assert [i for _, i in picked] == [1, 1]  # the defining section, both sentences, in the text's order
    assert picked[0][0].startswith("LoRA freezes the original weights")


def test_an_answer_keeps_a_papers_link_so_the_reader_can_open_it():
    text = "The [QLoRA paper](https://arxiv.org/abs/2305.14314) trains adapters over a **4-bit** base model."
    assert answers.plain(text) == ("The [QLoRA paper](https://arxiv.org/abs/2305.14314) trains adapters over a "
                                   "4-bit base model.")


# ---- push back: the objection named and answered ---------------------------------------------------------------

@pytest.mark.parametrize("text, kind", [
    ("we can't use RAG, the contracts are confidential and may not leave the building", "privacy"),
    ("Retrieval? Our last vendor's search picked the wrong document every other time. No.", "distrust"),
    ("a continued pretraining run is more than we can afford, we have $300", "cost"),
    ("You've got it wrong, the guides say tuning is exactly for tone", "evidence"),
    ("The board has decided: our own model. End of story.", "insists"),
    ("let's do LoRA", None),
])
def test_a_push_back_is_read_for_the_reason_behind_it(text, kind):
    from agent import objections

    assert objections.objection(text) == kind


def test_why_not_a_training_route_while_a_prompt_comes_first_says_the_order_not_a_rival():
    facts = WIKI_TEAM | {"labeled_examples": 3_000, "prompting_tried": None, "problem": ["tone"]}
    text = verdicts.why_not("lora_finetune", facts, "prompt_engineering")
    assert "measure a structured prompt first, so LoRA fine-tuning has a baseline to beat" in text
    assert "What I recommend instead" not in text


def test_retrieval_plus_fine_tune_is_not_refused_with_facts_the_user_never_stated():
    # a 200-page knowledge base and no word on what fails: unknown, so "would fit if", and the documents named
    facts = {key: None for key in FACT_KEYS} | {"labeled_examples": 500, "unlabeled_corpus": 130_000}
    entry = next(v for v in verdicts.verdicts(facts) if v["approach"] == "rag_and_finetune")
    assert entry["verdict"] == verdicts.IF and "you have not said" in entry["reason"]
    assert "130,000 tokens" in entry["reason"] and "no missing or changing facts" not in entry["reason"]


def test_continued_pretraining_with_no_stated_gap_is_not_called_surface_behaviour():
    facts = {key: None for key in FACT_KEYS} | {"labeled_examples": 2_500, "unlabeled_corpus": 50_000_000}
    entry = next(v for v in verdicts.verdicts(facts) if v["approach"] == "continued_pretraining")
    assert "surface behaviour" not in entry["reason"] and "you have not said" in entry["reason"]


def test_a_refused_route_is_never_replaced_by_a_route_that_contains_it():
    from agent import brain

    assert brain._contains("rag_and_finetune", "rag") and brain._contains("rag", "rag")
    assert not brain._contains("lora_finetune", "rag") and not brain._contains("rag", None)


def test_an_hourly_gpu_price_is_a_rate_of_a_rented_card_never_the_budget():
    from agent.extract import extract

    found = {f.fact: f.value for f in extract("We can get four H100s in the cloud at $2.40/GPU-hour.").findings}
    assert "budget" not in found
    assert found["compute"]["access"] == "rent" and found["compute"]["gpus"] == 4


def test_the_length_of_each_example_is_not_read_as_a_corpus():
    from agent.extract import extract

    for text in ("We hold 2,800 reviewed question-answer pairs, roughly 450 tokens each.",
                 "about 1,900 examples of 700 tokens"):
        found = {f.fact: f.value for f in extract(text).findings}
        assert found.get("labeled_examples") in (2_800, 1_900) and "unlabeled_corpus" not in found, (text, found)


def test_self_hosting_is_set_against_the_hosted_api_on_the_users_traffic_and_prices():
    specs = pricing.read_specs(["About 90k calls/day, each ~1,000 input + 300 output tokens. Our own L40S costs "
                                "$1.10/h; the vendor charges $0.50 per 1M input and $1.50 per 1M output."])
    assert specs.requests_per_day == 90_000 and (specs.tokens_in, specs.tokens_out) == (1_000, 300)
    text = pricing.render(pricing.serving({}, specs))
    # 2.7 M calls a month × (1,000 × $0.50 + 300 × $1.50) / 1 M = $2,565; one L40S × $1.10 × 730 h = $803 (both
    # shown to three significant figures)
    assert "L40S" in text and "$800 a month" in text and "$2,560 a month" in text
    assert "self-hosting is cheaper" in text


def test_labelling_is_priced_with_the_users_rate_minutes_and_count_in_their_currency():
    specs = pricing.read_specs(["Our reviewing lawyers cost €120 per hour and checking one contract clause takes "
                                "about 4 minutes. What would it cost to label 3,000 more clauses?"])
    assert (specs.label_rate, specs.label_minutes, specs.to_label, specs.currency) == (120, 4, 3_000, "€")
    assert specs.usd_per_gpu_hour is None  # a person's hourly rate is not a GPU's
    # 3,000 × 4 min = 200 h × €120 = €24,000
    assert "200 expert hours ≈ €24,000 at €120/h" in pricing.labour(specs.to_label, specs)


def test_a_fine_tune_with_no_example_count_is_priced_over_the_users_stated_tokens():
    specs = pricing.read_specs(["full fine-tune of a 7B on our 50M tokens of notes, 2 epochs, one H100 at $2.50/h"])
    text = pricing.render(pricing.price("full_finetune", {"unlabeled_corpus": 50_000_000}, specs))
    assert "your 50 million tokens × 2 epochs = 100 million training tokens" in text
    assert "you have not said how many" not in text


def test_a_card_the_user_names_keeps_its_name_and_memory_and_a_model_too_big_for_lora_is_offered_qlora():
    specs = pricing.read_specs(["we own 2 x RTX A6000 48GB", "LoRA on a 70B model, 1,000 examples"])
    text = pricing.render(pricing.price("lora_finetune", {"labeled_examples": 1_000}, specs))
    assert "2 × RTX A6000" in text and "L40S" not in text
    # 70B × 2.2 bytes × 1.2 + 2 ≈ 187 GB for LoRA; QLoRA 70B × 0.5 × 1.2 + 2 = 44 GB: one 48 GB card
    assert "is not enough — QLoRA (4-bit base weights) needs ≈ 44 GB, which fits on one card" in text
    assert pricing.read_specs(["8 x A100 40GB"]).gpu_memory_gb == 40


def test_numbers_in_any_locale_and_long_runs_of_digits_are_read_without_an_error():
    specs = pricing.read_specs(["About 1.000.000 requests per month.", "1.200 input + 300 output tokens each",
                                "1," * 5000])
    assert specs.requests_per_day == pytest.approx(1_000_000 / 30) and specs.tokens_in == 1_200


def test_a_person_beside_a_gpu_price_is_not_a_labelling_rate():
    specs = pricing.read_specs(["We have 3 engineers and rent an A100 at $1.80/h."])
    assert specs.usd_per_gpu_hour == 1.8 and specs.label_rate is None
    specs = pricing.read_specs(["A100 at $2/h; our doctors cost $120/h to label"])
    assert (specs.usd_per_gpu_hour, specs.label_rate) == (2.0, 120.0)


def test_a_full_fine_tune_that_does_not_fit_is_offered_lora_before_qlora_in_words():
    specs = pricing.read_specs(["one A100 80GB", "full fine-tune of a 7B model"])
    text = pricing.render(pricing.price("full_finetune", {"labeled_examples": 2_000}, specs))
    assert "full fine-tuning of a 7B model needs ≈ 136 GB" in text and "LoRA needs ≈ 20 GB, which fits on one card" in text
