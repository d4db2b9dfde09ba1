"""The answer classifier (agent/answer_model.py): what it reads, what it leaves alone, and what it was trained on."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from agent import answer_model, extract

BLIND = Path(__file__).resolve().parent / "blind"
# Run before first-run results were frozen to files; their figures are in the git history and the NOTEs after them
RUN_BEFORE_RESULT_FILES = {"advisor_v1", "advisor_v2"}


def _held(text: str, asked: str) -> dict:
    return {f.fact: (f.value, f.confidence) for f in extract.extract(text, asked).findings
            if f.confidence >= extract.HOLD}


def test_the_model_is_trained_only_on_blind_sets_whose_one_blind_run_is_recorded():
    listed = json.loads(answer_model.MODEL_FILE.read_text(encoding="utf-8"))["sets"]
    assert listed, "no training sets named"
    for name in listed:
        assert (BLIND / name / "utterances.jsonl").exists(), name
        assert name in RUN_BEFORE_RESULT_FILES or (BLIND / name / "RESULT_run1.txt").exists(), (
            f"{name} has no recorded blind run: training on it would make its figure a training figure")


def test_an_answer_in_no_word_of_the_lexicon_gets_the_value_answers_like_it_stated():
    text = "our security people only allow SaaS tools in a browser, nothing we run ourselves"
    held = _held(text, "weights_allowed")
    assert held["weights_allowed"] == ("no", answer_model.CONFIDENCE)


def test_the_lexicons_reading_comes_before_the_classifier():
    held = _held("Yes, open-weight models are fine by our lawyers.", "weights_allowed")
    assert held["weights_allowed"][0] == "yes" and held["weights_allowed"][1] > answer_model.CONFIDENCE


@pytest.mark.parametrize("text", [
    "We had a long meeting about it on Tuesday and then went to lunch.",  # about nothing asked
    "Nein, darüber haben wir noch nicht gesprochen, aber das Team ist klein.",  # a language not read
    "no idea, honestly",  # a doubt is no value
])
def test_an_answer_that_states_no_value_is_left_unread_for_the_question_to_come_again(text):
    assert "team" not in _held(text, "team")


def test_an_answer_that_plainly_states_another_fact_is_not_also_given_the_asked_one():
    # the problem, said while the prompting question was pending: it answers another question
    held = _held("Actually, it's not the format, it's that the facts are outdated.", "prompting_tried")
    assert held.get("problem", (None,))[0] == ["knowledge"] and "prompting_tried" not in held


def test_a_problem_read_by_the_classifier_is_a_list_of_one_failure_tag():
    value, probability = answer_model.classify(
        "problem", "It told a customer our kettle descaler is safe to drink. That cannot happen again.")
    assert value == ["safety"] and probability >= answer_model.MIN_PROBABILITY


@pytest.mark.slow
def test_retraining_on_the_listed_sets_reproduces_the_shipped_model():
    sys.path.insert(0, str(BLIND))
    import train_answer_model

    shipped = json.loads(answer_model.MODEL_FILE.read_text(encoding="utf-8"))
    rows = train_answer_model._rows(shipped["sets"])
    from knowledge import embeddings

    for fact in ("weights_allowed", "team"):
        texts, labels = train_answer_model._examples(rows, fact)
        model = train_answer_model.fit(embeddings.embed(texts), labels)
        assert model["values"] == shipped["facts"][fact]["values"]
        assert model["bias"] == pytest.approx(shipped["facts"][fact]["bias"], abs=1e-3)
