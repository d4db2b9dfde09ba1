"""The evaluation's arithmetic: metrics with hand-computed values, the few-shot baseline prompt, the verdict."""

from __future__ import annotations

import pytest

from trainer.datasets import Example
from trainer.evaluate import (
    GENERAL_TEXT,
    exact_match,
    few_shot_prompt,
    forgetting_verdict,
    parses_as_json,
    rouge_l,
    score,
    token_f1,
    verdict,
)


def test_exact_match_ignores_case_and_spacing_only():
    assert exact_match("  Paris\n", "paris") == 1.0
    assert exact_match("Paris.", "Paris") == 0.0


def test_token_f1_counts_shared_words():
    # prediction "the cat sat" vs reference "the cat sat down": precision 3/3, recall 3/4 -> F1 = 6/7
    assert token_f1("the cat sat", "the cat sat down") == pytest.approx(6 / 7)
    assert token_f1("dog", "cat") == 0.0


def test_rouge_l_uses_the_longest_common_subsequence():
    # LCS of "a b c d e" and "a c e f" is "a c e" (3): precision 3/5, recall 3/4 -> F1 = 2·0.6·0.75/1.35 = 2/3
    assert rouge_l("a b c d e", "a c e f") == pytest.approx(2 / 3)
    assert rouge_l("same words here", "same words here") == 1.0
    assert rouge_l("", "something") == 0.0


def test_json_validity_accepts_objects_and_fenced_json_only():
    assert parses_as_json('{"a": 1}') and parses_as_json('```json\n[1, 2]\n```')
    assert not parses_as_json("42") and not parses_as_json("{'a': 1}")


def test_score_reports_json_validity_only_for_json_targets():
    assert score(["x"], ["y"], json_targets=False)["json_valid"] is None
    assert score(['{"a": 1}', "nope"], ['{"a": 1}', '{"b": 2}'], json_targets=True)["json_valid"] == 0.5


def test_few_shot_prompt_puts_examples_before_the_request_and_keeps_the_system_text():
    shot = Example(1, [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}])
    prompt = few_shot_prompt([shot], [{"role": "system", "content": "Be exact."}, {"role": "user", "content": "3+3?"}])
    assert [m["role"] for m in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[0]["content"].startswith("Be exact.") and prompt[2]["content"] == "4"
    assert prompt[-1]["content"] == "3+3?"


def report(base: float, tuned: float, change_pct: float, n: int = 50) -> dict:
    return {"primary_metric": "rouge_l", "generated_examples": n,
            "metrics": {"base": {"rouge_l": base}, "tuned": {"rouge_l": tuned}},
            "loss": {"base": 2.0, "tuned": 1.5},
            "forgetting": {"change_pct": change_pct, "verdict": forgetting_verdict(change_pct).split(" —")[0]}}


def test_verdict_is_computed_from_the_numbers():
    code, text = verdict(report(0.24, 0.45, 4.0))
    assert code == "better"
    assert text.startswith("tuned beats base+prompt on ROUGE-L by 0.21 (0.45 vs 0.24)")
    assert "general-text perplexity up 4% — acceptable" in text
    assert verdict(report(0.40, 0.30, 1.0))[0] == "worse"
    code, text = verdict(report(0.40, 0.41, 30.0, n=10))
    assert code == "no_clear_difference" and "prompting may be enough" in text
    assert "significant forgetting" in text and "only 10 test examples" in text


def test_forgetting_thresholds():
    # up to 5 % is acceptable, up to 20 % noticeable, beyond that significant
    assert forgetting_verdict(-3) == "acceptable" and forgetting_verdict(5) == "acceptable"
    assert forgetting_verdict(12).startswith("noticeable")
    assert forgetting_verdict(25).startswith("significant")


def test_the_shipped_general_text_is_a_few_thousand_words():
    assert 2000 <= len(GENERAL_TEXT.read_text().split()) <= 6000
