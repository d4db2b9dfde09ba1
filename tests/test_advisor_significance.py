"""Is a measured gain real: the user's two scores on their own test set, set against the noise of its size.
Pure arithmetic (agent.significance), and the turn that asks it is a question, never a decision about the plan."""

from __future__ import annotations

import math

from agent import answers, significance
from agent.extract import extract

OPENING = ("Insurance claims triage into one of 12 queues. We scored both on 300 held-out claims: the prompted GPT-4o-mini "
           "gets 76%, our LoRA on Qwen 7B gets 80%.")


def test_a_gap_inside_the_noise_of_the_test_set_is_no_clear_difference_yet():
    text = significance.compare([OPENING], "is the LoRA really better? need a go/no-go by friday")
    # difference of two scores on 300: 1.96·√((0.76·0.24 + 0.80·0.20)/300) ≈ 6.6 points > the 4-point gap
    margin = 1.96 * math.sqrt((0.76 * 0.24 + 0.80 * 0.20) / 300) * 100
    assert f"±{margin:.1f} points" in text and "4.0 points apart" in text
    assert "no clear difference yet" in text and "McNemar" in text
    assert "about 823 cases" in text  # 1.96² · (0.76·0.24 + 0.80·0.20) / 0.04² = 822.1, rounded up


def test_a_gap_well_beyond_the_noise_is_said_to_be_likely_real():
    text = significance.compare(["On a test set of 2,000 tickets the prompt scored 70% and the fine-tune 82%."],
                                "so the fine-tune wins, right?")
    assert "larger than the noise" in text and "no clear difference" not in text


def test_no_test_size_or_no_comparison_asked_gives_no_verdict():
    assert significance.compare(["our prompt gets 81%, the LoRA 84%"], "does the LoRA win?") is None
    assert significance.compare([OPENING], "how do we serve the adapter?") is None


def test_asking_whether_a_gain_is_real_for_management_is_a_question_not_a_decision():
    intent = answers.classify("so the fine-tune wins by 4 points, right? the board wants a yes or no")
    assert intent is not None and intent.kind == answers.QUESTION


def test_a_held_out_test_set_is_neither_training_data_nor_a_corpus():
    held = {f.fact for f in extract(OPENING).findings}
    assert not held & {"labeled_examples", "unlabeled_corpus"}
