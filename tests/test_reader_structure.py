"""How the reader keeps a sentence's parts together, each on phrasings written here (none from the blind sets):
an aside in brackets stays with its clause; a failure said of a pronoun is read with the clause it points back to;
information that changes and comes out wrong is a gap in facts; a question the user answers "no" is not asserted;
rates said as counts or with a decimal comma meet (or miss) a target said after its figure; a bare corrected figure
keeps the scale and unit of the one it corrects; labels from keyword rules are noisy; a law that bars foreign
weights rules existing weights out."""

from __future__ import annotations

from agent import engine
from agent.extract import HOLD, extract
from trainer.state.vocabulary import FACT_KEYS


def held(text: str, asked: str | None = None) -> dict:
    return {f.fact: f.value for f in extract(text, asked=asked).findings if f.confidence >= HOLD}


def test_a_failure_said_of_a_pronoun_is_read_with_the_clause_it_points_back_to():
    text = ("The opening hours (per branch, per holiday, per season) change all the time and it gets them wrong; "
            "and the booking summary has a fixed layout (date, time, party size) and it ignores it.")
    assert set(held(text, "problem")["problem"]) == {"knowledge", "format"}


def test_commas_inside_brackets_split_no_clause():
    text = "The replies should follow the current tariff sheet (peak rates, weekend rates, discounts) and our layout."
    assert "knowledge" in held(text)["problem"]


def test_information_that_changes_and_comes_out_wrong_is_a_gap_in_facts():
    assert held("ferry timetables move around every week so its answers are wrong", "problem")["problem"] == ["knowledge"]
    assert held("It gave a client the interest rate of last quarter.", "problem")["problem"] == ["knowledge"]


def test_duration_since_a_past_period_is_no_outdated_fact():
    assert "problem" not in held("about 4,000 of those side-by-side picks since last year", "preference_data")


def test_writing_like_someone_else_is_a_tone_failure():
    assert held("it writes like an insurance contract", "problem")["problem"] == ["tone"]


def test_a_fine_tune_that_has_been_flat_for_months_has_plateaued():
    found = held("We trained a LoRA on Qwen last spring and it has been flat for three months.")
    assert "lora_plateau" in found["problem"]
    assert "plateau" in held("we fine-tuned it twice; gains have stopped")["problem"]


def test_a_question_the_user_answers_no_is_not_asserted():
    text = "We have a long prompt with examples, running since June. Good enough? Not really."
    assert held(text)["prompting_tried"] == "tried"


def test_a_rate_said_as_counts_meets_a_target_said_after_its_figure():
    text = ("Few-shot prompt with our rubric. We reviewed 400 answers by hand: 372 were correct. "
            "We had agreed 90% would be acceptable.")
    assert held(text, "prompting_tried")["prompting_tried"] == "meets_target"


def test_a_percentage_with_a_decimal_comma_is_a_decimal():
    assert held("schema plus six examples: 88,5% on our test set, the target is 88%",
                "prompting_tried")["prompting_tried"] == "meets_target"
    assert held("schema plus six examples: 87,5% on our test set, the target is 88%",
                "prompting_tried")["prompting_tried"] == "tried"


def test_a_bare_corrected_figure_keeps_the_scale_and_unit_of_the_one_it_corrects():
    assert held("3 million tokens of manuals, sorry, 30", "unlabeled_corpus")["unlabeled_corpus"] == 30_000_000
    assert held("about 50 million words, no wait, 5", "unlabeled_corpus")["unlabeled_corpus"] == 6_500_000


def test_a_bare_figure_after_a_converted_one_is_no_count_in_tokens():
    text = "roughly 80 million words of minutes (the form says 8 million, that was a typo, 80)"
    assert held(text, "unlabeled_corpus")["unlabeled_corpus"] == 104_000_000


def test_labels_made_by_keyword_rules_are_noisy():
    assert held("We tagged 6k tickets using keyword rules and want to train on them.")["data_quality"] == "low"


def test_a_law_that_bars_foreign_weights_rules_existing_weights_out():
    assert held("The ministry's policy bars foreign pretrained weights outright.")["weights_allowed"] == "no"


def test_a_prompt_that_meets_the_target_on_a_model_too_big_for_the_device_is_distilled():
    """Seed 003: a fine-tuned smaller model is cheaper to run at inference; a model that must run on a device
    cannot be the big hosted one, however well its prompt works."""
    known = dict.fromkeys(FACT_KEYS)
    known.update(prompting_tried="meets_target", inference_constraints=["on_device"], labeled_examples=3000)
    assert engine.approach_of(known) == "lora_finetune"
    known.update(inference_constraints=[])
    assert engine.approach_of(known) == "prompt_engineering"


def test_length_is_part_of_the_output_format():
    assert held("the summaries are way too long for a phone screen", "problem")["problem"] == ["format"]
    assert held("it writes essays when we need two lines", "problem")["problem"] == ["format"]


def test_a_single_prompt_version_is_basic_prompting():
    text = "I asked it to 'be brief' and pasted one sample reply. Only tried that one version."
    assert held(text, "prompting_tried")["prompting_tried"] == "basic"


def test_a_prompted_baseline_that_was_beaten_means_prompting_was_tried():
    assert held("that was the baseline we started from, well below the tuned one",
                "prompting_tried")["prompting_tried"] == "tried"


def test_a_count_inside_the_prompt_is_no_dataset():
    assert held("no real dataset, only the 3 in the system prompt", "labeled_examples")["labeled_examples"] == 0


def test_a_rate_out_of_the_last_n_is_a_rate():
    text = "long prompt with a rubric and examples; the checker passed 45 of the last 50, and our bar is 85%"
    assert held(text, "prompting_tried")["prompting_tried"] == "meets_target"


def test_a_stakes_word_beside_another_failure_is_no_safety_failure():
    assert held("it answers tax questions from general knowledge, which is risky", "problem")["problem"] == ["knowledge"]
    assert held("it gave a customer dangerous advice about mixing cleaning products", "problem")["problem"] == ["safety"]


def test_a_model_that_guesses_values_invents_them():
    assert held("it guesses the opening hours of each branch", "problem")["problem"] == ["hallucination"]


def test_mostly_good_is_good_unless_a_bad_part_is_named():
    assert held("mostly good", "data_quality")["data_quality"] == "high"
    assert held("Mostly clean, but about a quarter came from the old template", "data_quality")["data_quality"] == "mixed"


def test_partly_good_examples_are_curated_before_training():
    """Seed 003: quality over quantity (200 clean examples beat 5,000 noisy ones); a set only partly good teaches
    its bad part too, so it is curated first, then fine-tuned."""
    known = dict.fromkeys(FACT_KEYS)
    known.update(problem=["format"], prompting_tried="tried", labeled_examples=6000, data_quality="mixed")
    result = engine.recommend(known)
    assert result["approach"] == "collect_data" and result["alternatives"][0] == "lora_finetune"
    known.update(data_quality="high")
    assert engine.approach_of(known) == "lora_finetune"
