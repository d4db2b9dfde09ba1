"""The evaluation: metrics with hand-computed values, intervals and verdicts, the prompt search, the pairwise judge,
the forgetting probe's threshold, and whole evaluations on the tiny random model."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from trainer import evaluate, forgetting, judge, scoring, sft
from trainer.base_models import load_model, load_tokenizer
from trainer.config import parse_config
from trainer.datasets import Example
from trainer.prompting import PromptBuilder, ShotIndex, derived_instruction


def example(request: str, answer: str, system: str | None = None) -> Example:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": request}, {"role": "assistant", "content": answer}]
    return Example(0, messages)


# ---------------------------------------------------------------------------------------------------------------
# Metrics


def test_exact_match_ignores_case_and_spacing_only():
    assert scoring.exact_match("  Paris\n", "paris") == 1.0
    assert scoring.exact_match("Paris.", "Paris") == 0.0


def test_token_f1_counts_shared_words():
    # prediction "the cat sat" vs reference "the cat sat down": precision 3/3, recall 3/4 -> F1 = 6/7
    assert scoring.token_f1("the cat sat", "the cat sat down") == pytest.approx(6 / 7)
    assert scoring.token_f1("dog", "cat") == 0.0


def test_rouge_l_uses_the_longest_common_subsequence():
    # LCS of "a b c d e" and "a c e f" is "a c e" (3): precision 3/5, recall 3/4 -> F1 = 2·0.6·0.75/1.35 = 2/3
    assert scoring.rouge_l("a b c d e", "a c e f") == pytest.approx(2 / 3)
    assert scoring.rouge_l("same words here", "same words here") == 1.0
    assert scoring.rouge_l("", "something") == 0.0


def test_a_json_task_is_scored_by_field_accuracy_with_partial_credit():
    references = ['{"name": "Kofi", "item": "lamp", "quantity": 2, "city": "Leeds"}'] * 8 + [
        '{"name": "Dara", "item": "pot", "quantity": 9, "city": "Quito"}'] * 2
    kind, primary, why = scoring.task_kind(references)
    assert (kind, primary) == ("json", "field_accuracy") and "field accuracy" in why
    predictions = [
        '{"name": "kofi", "item": "lamp", "quantity": "2", "city": "Leeds"}',  # case and "2" vs 2 still match: 4/4
        '```json\n{"name": "Kofi", "item": "desk", "quantity": 2, "city": "Leeds"}\n```',  # 3 of 4 fields
        'The order is for Kofi.',  # not JSON: 0
        '{"name": "Kofi"}',  # 1 of 4
    ]
    refs = references[:4]
    scores = scoring.score("json", predictions, refs)
    assert scores["field_accuracy"] == pytest.approx((1 + 0.75 + 0 + 0.25) / 4)
    assert scores["json_valid"] == pytest.approx(3 / 4)
    assert scores["exact_match"] == pytest.approx(1 / 4)  # only the first has every field right


def test_labels_are_scored_by_accuracy_and_macro_f1():
    references = ["billing", "refund", "billing", "invoice"] * 3
    kind, primary, _ = scoring.task_kind(references)
    assert kind == "labels"
    # billing appears 6 times and the others 3: 6 <= 2 * 3, balanced enough for accuracy to lead
    assert primary == "accuracy"
    predictions = ["Billing.", "This should go to the refund team.", "refund", "invoice"] * 3
    scores = scoring.score("labels", predictions, references)
    assert scores["accuracy"] == pytest.approx(3 / 4)
    # per class: billing tp 3 fn 3 -> 2·3/(6+0+3) = 2/3; refund tp 3 fp 3 -> 6/9 = 2/3; invoice 1.0 -> mean 7/9
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)


def test_free_text_is_scored_by_rouge_l():
    kind, primary, _ = scoring.task_kind([f"A full sentence answer number {i} about the weather." for i in range(10)])
    assert (kind, primary) == ("free_text", "rouge_l")


def test_identical_outputs_give_overlapping_intervals_and_no_rows_needed():
    refs = ["a b c", "d e f", "g h i", "j k l"] * 5
    outputs = ["a b", "d e f", "x", "j k"] * 5
    c = scoring.compare("free_text", refs, {"base": outputs, "tuned": list(outputs)})
    assert c["base"]["rouge_l"] == c["tuned"]["rouge_l"]
    assert scoring.overlap(c["base"]["rouge_l"], c["tuned"]["rouge_l"])
    assert scoring.rows_needed(c["base"]["rouge_l"], c["tuned"]["rouge_l"], 20) is None


def test_a_clear_gap_has_separate_intervals_and_a_small_gap_asks_for_more_rows():
    refs = ["yes"] * 40 + ["no"] * 40
    perfect, wrong = list(refs), ["maybe"] * 80
    c = scoring.compare("labels", refs, {"base": wrong, "tuned": perfect})
    assert c["tuned"]["accuracy"]["low"] == 1.0 and c["base"]["accuracy"]["high"] == 0.0
    assert not scoring.overlap(c["base"]["accuracy"], c["tuned"]["accuracy"])
    # half-widths 0.1 + 0.1 around a 0.05 gap on 100 rows: n' = 100 · (0.2 / 0.05)² = 1,600
    a, b = {"value": 0.50, "low": 0.40, "high": 0.60}, {"value": 0.55, "low": 0.45, "high": 0.65}
    assert scoring.rows_needed(a, b, 100) == 1600


def test_bootstrap_interval_of_a_mean_brackets_it_and_narrows_with_more_rows():
    rng = random.Random(0)
    small = [rng.random() for _ in range(20)]
    large = small * 25
    s, big = scoring.mean_with_interval(small), scoring.mean_with_interval(large)
    assert s["low"] < s["value"] < s["high"] and big["low"] < big["value"] < big["high"]
    assert (big["high"] - big["low"]) < (s["high"] - s["low"]) / 3  # √25 = 5 times narrower, give or take


# ---------------------------------------------------------------------------------------------------------------
# Prompt search


def test_nearest_shots_share_the_requests_words():
    train = [example("my parcel never arrived", "delivery"), example("charged twice on my card", "billing"),
             example("the app crashes on start", "technical_issue"), example("refund for my return", "refund")]
    index = ShotIndex(train)
    assert [e.reference for e in index.nearest([{"role": "user", "content": "I was charged twice"}], 2)][0] == "billing"
    assert index.nearest([{"role": "user", "content": "where is my parcel"}], 1)[0].reference == "delivery"


def test_k_shot_prompt_keeps_the_system_text_and_puts_the_most_similar_example_last():
    train = [example("my parcel never arrived", "delivery", "Route it."), example("charged twice", "billing", "Route it."),
             example("parcel lost, parcel late", "delivery", "Route it."), example("app crashes", "bug", "Route it.")]
    builder = PromptBuilder("labels", train)
    request = example("where is my parcel", "delivery", "Route it.")
    conversation, shots = builder.build("k3", request)
    assert conversation[0]["role"] == "system" and conversation[0]["content"].startswith("Route it.")
    assert "bug, billing, delivery" in conversation[0]["content"] or "billing, bug, delivery" in conversation[0]["content"]
    assert [m["role"] for m in conversation] == ["system"] + ["user", "assistant"] * 3 + ["user"]
    assert conversation[-1]["content"] == "where is my parcel"
    assert conversation[-3]["content"] == shots[0].messages[1]["content"]  # the nearest sits next to the request
    assert builder.build("zero_shot", request)[0] == request.prompt_messages
    assert builder.available() == ["zero_shot", "instruction", "k1", "k3"]  # 4 rows: k5 needs 6


def test_derived_instruction_describes_the_output():
    json_rows = [example("x", '{"customer": "A", "city": "B"}')] * 3
    assert "customer, city" in derived_instruction("json", json_rows)
    assert "about 5 words" in derived_instruction("free_text", [example("x", "one two three four five")] * 3)


# ---------------------------------------------------------------------------------------------------------------
# Judge


def test_the_judge_asks_both_orders_and_counts_a_positional_judge_as_a_tie():
    # row 1: tuned preferred in both orders (A then B) -> win; row 2: "A" both times -> the judge follows the position,
    # a tie; row 3: base preferred both times -> loss; row 4: tie then tuned -> 0.75, a tie
    chat = FakeListChatModel(responses=["VERDICT: A", "Second is better. VERDICT: B", "VERDICT: A", "VERDICT: A",
                                        "VERDICT: B", "VERDICT: A", "hard to say. VERDICT: TIE", "VERDICT: B"])
    result = judge.judge(chat, ["p"] * 4, ["r"] * 4, ["t1", "t2", "t3", "t4"], ["b1", "b2", "b3", "b4"])
    assert (result["wins"], result["ties"], result["losses"], result["inconsistent"]) == (1, 2, 1, 1)
    assert result["win_rate"]["value"] == pytest.approx((1 + 0.5 + 0 + 0.75) / 4)


def test_the_judge_is_off_without_tunewise_llm(monkeypatch):
    monkeypatch.delenv("TUNEWISE_LLM", raising=False)
    assert judge.model_from_env() is None


# ---------------------------------------------------------------------------------------------------------------
# Forgetting probe


def test_the_probe_set_has_a_few_hundred_items_in_several_domains_of_both_kinds():
    items = forgetting.load_probe()
    assert 200 <= len(items) <= 400
    domains = {i.domain for i in items}
    assert len({i.domain for i in items if i.kind == "qa"}) >= 6 and len({i.domain for i in items if i.kind == "text"}) >= 5
    assert all(sum(i.domain == d for i in items) >= 15 for d in domains)


def test_probe_losses_with_the_shared_system_turn_computed_once_equal_each_item_scored_alone(tiny_model_dir):
    """row_losses runs a start shared by a batch's rows (the chat template's system turn of every question) once and
    reuses its KV cache; each item's loss must equal the item scored on its own, question and text items alike."""
    tokenizer = load_tokenizer(str(tiny_model_dir))
    model = load_model(str(tiny_model_dir))
    items = [i for i in forgetting.load_probe() if i.kind == "qa"][:10] + [
        i for i in forgetting.load_probe() if i.kind == "text"][:6]
    encoded = [forgetting.encode_item(tokenizer, i) for i in items]
    assert forgetting._shared_prefix(forgetting.features(encoded[:10])) >= forgetting.PREFIX_MIN
    nats, tokens = forgetting.row_losses(model, encoded, batch_size=8)
    alone_nats, alone_tokens = forgetting.row_losses(model, encoded, batch_size=1)
    assert list(tokens) == list(alone_tokens) and all(t > 0 for t in tokens)
    assert nats == pytest.approx(alone_nats, rel=1e-4)


def test_forgetting_threshold_is_the_base_models_own_noise():
    items = forgetting.load_probe()
    rng = np.random.default_rng(0)
    base = list(rng.normal(3.0, 0.8, len(items)))
    same = forgetting.forgetting_report(base, base, items)
    assert same["change_pct"] == 0 and not same["flagged"] and same["noise_pct"] > 0
    # noise ≈ 1.96 · 0.8 / √252 ≈ 0.1 nats ≈ 10% overall (≈ 0.4 nats ≈ 50% in a domain of 16 items); a uniform
    # +0.05 nats (+5%) stays inside it, +1 nat (+172%) is beyond it overall and in every domain
    small = forgetting.forgetting_report(base, [x + 0.05 for x in base], items)
    assert not small["flagged"] and small["change_pct"] == pytest.approx(5.13, abs=0.01)
    big = forgetting.forgetting_report(base, [x + 1.0 for x in base], items)
    assert big["flagged"] and big["verdict"].startswith("forgetting")
    assert set(big["domains"]) == {i.domain for i in items} and all(d["flagged"] for d in big["domains"].values())
    one = [x + (2.0 if i.domain == "arithmetic" else 0.0) for x, i in zip(base, items)]
    mixed = forgetting.forgetting_report(base, one, items)
    assert mixed["domains"]["arithmetic"]["flagged"] and not mixed["domains"]["news"]["flagged"]


# ---------------------------------------------------------------------------------------------------------------
# Checkpoint choice


def fake_trainer(evals: list[tuple[int, float]], best: int | None, last: int) -> SimpleNamespace:
    history = [{"step": s, "eval_loss": v} for s, v in evals]
    return SimpleNamespace(state=SimpleNamespace(log_history=history, global_step=last,
                                                 best_model_checkpoint=f"/x/checkpoint-{best}" if best else None))


def test_checkpoint_choice_names_the_exported_step_and_a_late_rise():
    choice = sft.checkpoint_choice(fake_trainer([(10, 1.0), (20, 0.8), (30, 0.9)], best=20, last=30), kept_best=True)
    assert choice["exported_step"] == 20 and choice["rose_late"] and not choice["still_falling"]
    assert "checkpoint-20" in choice["note"] and "rose late" in choice["note"]
    falling = sft.checkpoint_choice(fake_trainer([(10, 1.0), (20, 0.8)], best=20, last=20), kept_best=True)
    assert not falling["rose_late"] and falling["still_falling"] and "still falling" in falling["note"]
    none = sft.checkpoint_choice(fake_trainer([], best=None, last=5), kept_best=False)
    assert none["exported_step"] == 5 and "No validation split" in none["note"]


def test_best_checkpoint_is_kept_only_when_checkpoints_fall_on_evaluations(tmp_path):
    def cfg(**training):
        return parse_config({"kind": "sft", "data": {"train": "x.jsonl"}, "training": training})
    assert sft.keeps_best_checkpoint(cfg(eval_every=10, save_every=20), has_eval=True)
    assert not sft.keeps_best_checkpoint(cfg(eval_every=20, save_every=10), has_eval=True)
    assert sft.keeps_best_checkpoint(cfg(), has_eval=True) and not sft.keeps_best_checkpoint(cfg(), has_eval=False)


# ---------------------------------------------------------------------------------------------------------------
# Whole evaluations on the tiny random model


WORDS = ["alpha", "beta", "gamma", "delta", "echo"]


def repeat_rows(n: int, seed: int) -> list[Example]:
    r = random.Random(seed)
    rows = []
    for _ in range(n):
        words = " ".join(r.choice(WORDS) for _ in range(r.randint(3, 8)))
        rows.append(example(f"Repeat: {words}", f"{words} and done"))
    return rows


@pytest.mark.parametrize("batch_size", [1, 4])
def test_one_pass_per_prompt_gives_the_same_losses_and_answers_as_scoring_and_generating_apart(tiny_model_dir,
                                                                                               batch_size):
    """score_and_generate runs each prompt once (its KV cache scores the reference, then seeds generation); it must
    agree with answer_encoding + row_losses and with generate, including shot prompts of different lengths."""
    tokenizer = load_tokenizer(str(tiny_model_dir))
    model = load_model(str(tiny_model_dir))
    train, test = repeat_rows(12, 0), repeat_rows(6, 1)
    builder = PromptBuilder("free_text", train, max_shots=3)
    conversations = [builder.build(c, e)[0] for c, e in zip(["zero_shot", "k1", "k3", "instruction", "k3", "k1"],
                                                             test)]
    references = [e.reference for e in test]
    nats, tokens, answers = evaluate.score_and_generate(model, tokenizer, conversations, references, 6,
                                                        batch_size=batch_size)
    apart_nats, apart_tokens = forgetting.row_losses(
        model, [evaluate.answer_encoding(tokenizer, c, r, 4096) for c, r in zip(conversations, references)], 1)
    assert list(tokens) == list(apart_tokens) and all(t > 0 for t in tokens)
    assert nats == pytest.approx(apart_nats, rel=1e-4)
    assert answers == evaluate.generate(model, tokenizer, conversations, 6, batch_size=1)
    # the prompts with the derived instruction share their system turn: in one batch it is run once, and the answers
    # and losses are the same as one by one
    instructed = conversations[1:]
    prompts = [tokenizer(tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True),
                         add_special_tokens=False)["input_ids"] for c in instructed]
    assert evaluate.batch_inputs(model, prompts, 0, "cpu")[4] >= evaluate.PREFIX_MIN  # tokens shared
    assert evaluate.generate(model, tokenizer, instructed, 6, batch_size=8) == answers[1:]
    together = evaluate.score_and_generate(model, tokenizer, instructed, references[1:], 6, batch_size=8)
    assert together[0] == pytest.approx(nats[1:], rel=1e-4) and together[2] == answers[1:]
    only_losses = evaluate.score_and_generate(model, tokenizer, conversations, references, 0, batch_size=batch_size)
    assert only_losses[0] == pytest.approx(nats, rel=1e-6) and only_losses[2] == [""] * len(conversations)


def test_identical_base_and_tuned_models_give_no_measurable_difference(tiny_model_dir, tmp_path):
    """Two separate copies of the same weights: every metric, loss and probe figure must come out equal, the verdict
    must say so, and the judge (scripted: always a tie) must put the win rate at exactly 0.5."""
    tokenizer = load_tokenizer(str(tiny_model_dir))
    base, tuned = load_model(str(tiny_model_dir)), load_model(str(tiny_model_dir))
    config = parse_config({"kind": "sft", "model": {"base": str(tiny_model_dir)}, "data": {"train": "unused.jsonl"},
                           "eval": {"max_examples": 6, "search_examples": 4, "max_new_tokens": 6}})
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 1, "loss": 10.0}) + "\n")
    seen = []
    chat = FakeListChatModel(responses=["VERDICT: TIE"])
    report = evaluate.evaluate(tmp_path, config, tokenizer, tuned=tuned, base=base, train=repeat_rows(12, 0),
                               test=repeat_rows(6, 1), validation=repeat_rows(4, 2), judge_model=chat,
                               on_progress=lambda done, total: seen.append((done, total)))
    assert report["verdict_summary"] == "no_clear_difference"
    assert report["verdict"].startswith("no measurable difference on ROUGE-L")
    assert report["comparison"]["base"]["rouge_l"]["value"] == report["comparison"]["tuned"]["rouge_l"]["value"]
    assert report["loss"]["tuned"] == pytest.approx(report["loss"]["base_zero_shot"], abs=1e-6)
    assert report["forgetting"]["change_pct"] == pytest.approx(0, abs=1e-6) and not report["forgetting"]["flagged"]
    assert report["judge"]["win_rate"]["value"] == 0.5 and report["judge"]["ties"] == 6
    search = report["prompt_search"]
    assert [c["candidate"] for c in search["candidates"]] == ["zero_shot", "instruction", "k1", "k3", "k5"]
    assert search["chosen"] in {c["candidate"] for c in search["candidates"]}
    assert all(0 <= c["score"] <= 1 for c in search["candidates"]) and search["rows"] == 4
    assert report["next_steps"] and len(report["next_steps"]) <= 2
    # progress: rows counted up to the total, never past it
    assert seen[-1][0] == seen[-1][1] and all(a[0] < b[0] for a, b in zip(seen, seen[1:]))
    text = (tmp_path / "eval" / "report.md").read_text()
    assert "← chosen" in text and "Forgetting probe" in text and "[" in text  # intervals are printed
    # the base model's side was cached: a second evaluation on the same rows skips its prompt search, its test
    # passes and its probe pass, and finds the same figures in fewer units of work
    again_seen = []
    again = evaluate.evaluate(tmp_path, config, tokenizer, tuned=tuned, base=base, train=repeat_rows(12, 0),
                              test=repeat_rows(6, 1), validation=repeat_rows(4, 2), judge_model=chat,
                              on_progress=lambda done, total: again_seen.append((done, total)))
    assert again["forgetting"]["base_losses_cached"] and not report["forgetting"]["base_losses_cached"]
    assert again["forgetting"]["base_perplexity"] == pytest.approx(report["forgetting"]["base_perplexity"], rel=1e-4)
    assert again["prompt_search"]["reused"] and not report["prompt_search"]["reused"]
    assert again["prompt_search"]["candidates"] == search["candidates"]
    assert again["comparison"]["base"] == report["comparison"]["base"]
    assert again["loss"]["base"] == pytest.approx(report["loss"]["base"], rel=1e-9)
    assert again_seen[-1][0] == again_seen[-1][1] < seen[-1][1]
    assert "Reused from an earlier job" in (tmp_path / "eval" / "report.md").read_text()
    # one test row changed: a new key, so the base side is computed again
    changed = repeat_rows(6, 1)
    changed[0] = example(changed[0].prompt_messages[-1]["content"], "something else")
    third = evaluate.evaluate(tmp_path, config, tokenizer, tuned=tuned, base=base, train=repeat_rows(12, 0),
                              test=changed, validation=repeat_rows(4, 2), judge_model=chat)
    assert not third["prompt_search"]["reused"]


def test_a_deliberately_over_trained_model_is_flagged_by_the_forgetting_probe(tiny_model_dir, tmp_path):
    """Full fine-tuning of the tiny model at learning rate 0.5 (about 1,000× a sane one) for 20 steps on one narrow
    task wrecks its next-token distribution; the probe must flag it, overall and in most domains."""
    rngs = [random.Random(i) for i in range(40)]  # one generator per row: 40 distinct prompts (5^6 possible)
    rows = [{"prompt": f"Repeat: {' '.join(rng.choice(WORDS) for _ in range(6))}", "completion": "echo"}
            for rng in rngs]
    data = tmp_path / "narrow.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    config = parse_config({
        "kind": "sft", "model": {"base": str(tiny_model_dir), "max_seq_len": 64}, "data": {"train": str(data)},
        "lora": {"method": "full"},
        "training": {"max_steps": 20, "learning_rate": 0.5, "lr_scheduler": "constant", "warmup_ratio": 0,
                     "batch_size": 4, "eval_every": 10, "save_every": 10},
        "eval": {"max_examples": 2, "search_examples": 2, "max_new_tokens": 4, "few_shot": 1}})
    result = sft.run(config, tmp_path / "run")
    report = json.loads((tmp_path / "run" / "eval" / "report.json").read_text())
    probe = report["forgetting"]
    assert probe["flagged"] and probe["change_pct"] > probe["noise_pct"] > 0, probe["verdict"]
    assert sum(d["flagged"] for d in probe["domains"].values()) >= len(probe["domains"]) // 2
    assert result["checkpoint"]["note"].startswith("Exported and served: checkpoint-")
    shutil.rmtree(tmp_path / "run" / "checkpoints")
