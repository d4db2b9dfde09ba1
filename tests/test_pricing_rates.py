"""Prices and sizes as users write them: the currency before or after, a decimal comma, thousands in other
locales, whose hour a rate prices, documents × pages each, and the model size the user named."""

from agent import pricing, verdicts


def test_a_price_with_a_decimal_comma_and_the_currency_after_it_is_the_gpu_price():
    assert pricing.read_specs(["H100 available at 2,50 $/h."]).usd_per_gpu_hour == 2.5


def test_an_hourly_rate_beside_a_person_prices_people_not_cards():
    specs = pricing.read_specs(["Our agronomists would write them: 6 minutes per letter. Agronomist cost €45/h."])
    assert (specs.label_rate, specs.currency, specs.label_minutes, specs.usd_per_gpu_hour) == (45, "€", 6, None)
    assert "€45/h" in pricing.labour(3_000, specs) and "300 expert hours" in pricing.labour(3_000, specs)


def test_people_and_cards_in_one_sentence_each_keep_their_own_rate():
    specs = pricing.read_specs(["our annotators are paid $30 an hour and the A100 is $1.8/h"])
    assert (specs.label_rate, specs.usd_per_gpu_hour) == (30, 1.8)


def test_token_counts_with_a_space_between_thousands_are_read_whole():
    specs = pricing.read_specs(["~30 000 conversations/day, on average 2 500 input tokens and 300 output tokens. "
                                "Current API price $0.40/M in, $1.60/M out."])
    assert (specs.requests_per_day, specs.tokens_in, specs.tokens_out) == (30_000, 2_500, 300)
    assert (specs.api_usd_per_m_in, specs.api_usd_per_m_out) == (0.4, 1.6)


def test_a_hosted_fine_tuning_price_per_training_token_prices_the_run():
    specs = pricing.read_specs(["a hosted fine-tuning API at $3 per million training tokens; 2,000 examples about "
                                "500 tokens each, 3 epochs"])
    e = pricing.price("lora_finetune", {"labeled_examples": 2_000}, specs)
    assert specs.train_usd_per_m == 3 and e.usd[0] == 9  # 3 M training tokens × $3/M


def test_tokens_given_per_preference_pair_are_not_doubled():
    per_pair = pricing.price("preference_tuning", {"preference_data": 1_000},
                             pricing.read_specs(["about 900 tokens per pair in total, 1 epoch, an 8B"]))
    per_answer = pricing.price("preference_tuning", {"preference_data": 1_000},
                               pricing.read_specs(["about 900 tokens each, 1 epoch, an 8B"]))
    assert "= 900,000 training tokens" in per_pair.lines[0]  # 1,000 pairs × 900 tokens × 1 epoch
    assert per_answer.usd[0] > per_pair.usd[0]


def test_documents_times_pages_each_sizes_the_index_and_the_users_model_prices_its_running():
    specs = pricing.read_specs(["2,5k PDF reports, about 40 pages each. A chat model priced $0.15 per million input "
                                "tokens, $0.60 per million output. 800 questions a day."])
    assert specs.pages == 100_000
    text = pricing.render(pricing.price("rag", {}, specs))
    assert "100,000 pages" in text and "your $0.15/M input" in text


def test_full_fine_tuning_memory_is_sized_for_the_model_the_user_named():
    facts = {"labeled_examples": 7_000, "compute": {"gpus": 1, "gpu_memory_gb": 80}}
    assert "≈ 512 GB for a 32B model" in verdicts.why_not("full_finetune", facts, "lora_finetune", 32)
    assert "≈ 112 GB for a 7B model" in verdicts.why_not("full_finetune", facts, "lora_finetune")


def test_a_small_named_model_that_fits_the_users_card_is_not_refused_full_fine_tuning_for_memory():
    facts = {"labeled_examples": 600_000, "compute": {"gpus": 1, "gpu_memory_gb": 80}}
    entry = next(v for v in verdicts.verdicts(facts, "lora_finetune", 1.5) if v["approach"] == "full_finetune")
    assert entry["fact"] != "compute" and "does not fit" != entry["verdict"]
