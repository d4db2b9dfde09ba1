"""The chat's cards and reports, without a server: what the user reads must carry the facts that matter (line
numbers of bad data, the approach and its sources, the plan's state) and must never let a user's file inject
markup."""

from __future__ import annotations

from tests.internal_names import leaked
from ui import render

REPORT = {
    "ok": False, "file": "/x/data.jsonl", "format": "prompt_completion", "rows": 120, "error_count": 2,
    "errors": [{"line": 7, "code": "missing_field", "message": "no \"completion\" key"},
               {"line": 42, "code": "bad_json", "message": "not valid JSON: <script>alert(1)</script>"}],
    "warnings": [{"code": "duplicates", "message": "3 example(s) repeat an earlier one (lines 9, 10, 11)", "count": 3,
                  "lines": [9, 10, 11]}],
    "stats": {"rows": 120, "examples": 118, "tokens": 5400, "length_tokens": {"p50": 40, "p90": 80, "max": 120},
              "trained_share": 0.31, "truncated": 0, "max_seq_len": 1024, "duplicates": 3},
}

REC = {
    "approach": "lora_finetune", "alternatives": ["prompt_engineering", "full_finetune"],
    "reasons": ["problem = tone: behaviour, which fine-tuning can shape"],
    "would_change": [{"text": "if prompting_tried were none: prompt engineering"}],
    "cost": {"usd": [20, 2000], "days": [1, 7], "note": "a few GPU-hours"},
    "citations": [{"source": "how-much-data.md", "title": "How much training data"}],
    "plan": {"summary": "sft of smollm2 with LoRA r=16", "config": {"kind": "sft"}},
}


def test_validation_report_lists_each_error_with_its_line_and_escapes_file_content():
    text = render.validation_report("data.jsonl", REPORT)
    assert "| 7 | no \"completion\" key | `missing_field` |" in text
    assert "| 42 |" in text and "<script>" not in text and "&lt;script&gt;" in text
    assert "**rows:** 120" in text and "**valid examples:** 118" in text and "**errors:** 2" in text
    assert "lines 9, 10, 11" in text and "5,400 tokens" in text and "31% of tokens trained on" in text
    assert "drop the corrected file here again" in text


def test_a_clean_report_says_the_file_can_be_trained_on():
    ok = {**REPORT, "ok": True, "errors": [], "error_count": 0, "warnings": []}
    assert "can be trained on" in render.validation_report("data.jsonl", ok)


def test_recommendation_card_has_approach_reasons_alternatives_changes_cost_and_openable_citations():
    card = render.recommendation_card(REC, passages={"how-much-data.md": "200-500 examples for format tasks"})
    for part in ("Recommendation: LoRA fine-tuning", "**Why**", "problem = tone", "Prompt engineering, Full "
                 "fine-tuning", "What would change this", "$20–$2,000", "1–7 days", "<details><summary>[1] How much "
                 "training data", "200-500 examples for format tasks"):
        assert part in card, part
    assert "options" not in render.recommendation_message(REC), "its Launch button comes from the state"


def test_the_buttons_that_apply_go_under_the_last_message_wherever_the_card_is():
    from agent.actions import NextStep
    from ui import transcript

    chat = [{"role": "assistant", "content": "plan card"}, {"role": "assistant", "content": "a later answer"}]
    waiting = transcript.with_options(chat, transcript.options_for(NextStep("sft-1", False), False), None)
    assert "options" not in waiting[0]
    assert [o["value"] for o in waiting[-1]["options"]] == ["approve:sft-1", "reject:sft-1"]
    launch = transcript.options_for(NextStep(None, True), False)
    assert [o["value"] for o in launch] == ["say:launch the training plan"]
    assert transcript.options_for(NextStep(None, False), False) == []
    image_last = chat + [{"role": "assistant", "content": {"path": "/x.png"}}]
    shown = transcript.with_options(image_last, launch, NextStep(None, True))
    assert len(shown) == 4 and shown[-1]["options"] == launch, "an image cannot carry buttons: a message does"
    confirm = [{"value": "map:/u/faq.csv|prompt=question,completion=answer", "label": "✅ Use question → prompt"}]
    report_last = chat + [{"role": "assistant", "content": "data check", "options": confirm}]
    kept = transcript.with_options(report_last, launch, NextStep(None, True))
    assert kept[-1]["options"] == confirm + launch, "a proposed mapping's confirm button stays beside Launch"


def test_the_plan_card_says_what_became_of_its_job():
    plan = {"summary": "sft of smollm2"}
    config = {"kind": "sft", "model": {"base": "smollm2-135m-instruct", "max_seq_len": 512},
              "data": {"train": "/u/x/examples.jsonl"}, "lora": {"method": "lora", "r": 16},
              "training": {"epochs": 3.0, "learning_rate": 2e-4, "batch_size": 8}}
    waiting = render.approval_message("sft-1", plan, {"usd": [20, 2000]}, config, "awaiting_approval", None)
    assert "Nothing runs until you press Approve" in waiting["content"] and "examples.jsonl" in waiting["content"]
    approved = render.approval_message("sft-1", plan, None, config, "running", "alice")
    assert "options" not in approved and "Approved by alice" in approved["content"]
    rejected = render.approval_message("sft-1", plan, None, config, "cancelled", None, "rejected by alice")
    assert "options" not in rejected and "Rejected" in rejected["content"]
    replaced = render.approval_message("sft-1", plan, None, config, "cancelled", None, "replaced by sft-2")
    assert "Replaced** by job `sft-2`" in replaced["content"] and "Rejected" not in replaced["content"]
    assert leaked(waiting["content"] + approved["content"] + rejected["content"]) == []  # labels, not config fields


def test_job_panel_shows_progress_eta_and_latest_metrics_even_when_the_last_row_is_an_evaluation():
    summary = {"id": "sft-1", "state": "running", "step": 30, "total_steps": 120, "progress": 0.25, "eta_s": 95,
               "elapsed_s": 31, "metrics": {"step": 30, "eval_loss": 1.2}, "eval_loss": 1.2}
    rows = [{"step": 29, "loss": 1.5, "tokens_per_s": 812.0, "learning_rate": 2e-4}, {"step": 30, "eval_loss": 1.2}]
    panel = render.job_panel(summary, rows)
    assert 'aria-valuenow="25"' in panel and "step 30/120" in panel
    assert "| ETA | 1 min 35 s |" in panel and "| train loss | 1.5 |" in panel and "| tokens/s | 812 |" in panel
    assert leaked(panel) == [] and leaked(render.job_panel({**summary, "state": "awaiting_approval"})) == []


def test_milestones_say_what_happened_and_what_to_do():
    failed = render.milestone_text("sft-1", "failed", {"error": {"code": "invalid_data", "message": "2 errors",
                                                                 "details": [{"line": 7, "message": "bad"}]}})
    assert "line 7: bad" in failed and "send the corrected file" in failed
    assert "Resume" in render.milestone_text("sft-1", "interrupted", {})


def test_results_show_verdict_metric_table_and_samples_side_by_side():
    report = {"verdict_summary": "better", "verdict": "tuned beats base+prompt on ROUGE-L by 0.20",
              "baseline": "base model with a 3-shot prompt", "test_examples": 30, "generated_examples": 30,
              "loss": {"base": 2.0, "tuned": 1.1}, "perplexity": {"base": 7.39, "tuned": 3.0},
              "metrics": {"base": {"exact_match": 0.1, "token_f1": 0.3, "rouge_l": 0.3, "json_valid": None},
                          "tuned": {"exact_match": 0.4, "token_f1": 0.6, "rouge_l": 0.5, "json_valid": None}},
              "primary_metric": "rouge_l", "forgetting": {"base_perplexity": 20.0, "tuned_perplexity": 21.0,
                                                          "change_pct": 5.0, "verdict": "acceptable"},
              "samples": [{"prompt": "Q|1", "reference": "A", "base": "B", "tuned": "A"}]}
    text = render.results_markdown("sft-1", report)
    assert "**Verdict:** tuned beats base+prompt" in text and "| ROUGE-L ★ | 0.3 | 0.5 |" in text
    assert leaked(text) == [], "metric keys show as their labels"
    assert "| token F1 | 0.3 | 0.6 |" in text and "rouge_l" not in text, "metrics by their names, not their ids"
    assert "| test loss (nats/token) | 2 | 1.1 |" in text and "(+5.0%, acceptable)" in text
    assert "| Q\\|1 | A | B | A |" in text, "a pipe in a sample cannot break the table"


def test_profile_rows_show_every_fact_and_mark_skipped_ones():
    profile = {"facts": {"problem": {"value": ["tone"], "skipped": False},
                         "budget": {"value": None, "skipped": True},
                         "team": {"value": None, "skipped": False}}}
    rows = render.profile_rows(profile, {"problem": "what is failing"}, lambda k, v: ", ".join(v))
    assert rows == [["what is failing", "tone"], ["budget", "skipped"], ["team", "—"]]


def test_the_plan_card_names_the_production_scale_model_and_method_in_words():
    plan = {"scale_up": {"base": "Qwen/Qwen2.5-7B-Instruct", "method": "qlora", "why": "1×24 GB: 7-8B in 4-bit QLoRA"}}
    config = {"kind": "sft", "model": {"base": "smollm2-135m-instruct"}, "lora": {"method": "lora", "r": 16},
              "training": {"epochs": 3.0, "learning_rate": 2e-4, "batch_size": 8}, "data": {"train": "x.jsonl"}}
    card = render.plan_card("sft-1", plan, None, config)
    assert "**Model at production scale:** Qwen/Qwen2.5-7B-Instruct, QLoRA (4-bit base, LoRA adapters)" in card
    assert "with qlora" not in card, "the method by its label, not its id"


def test_the_loss_plot_draws_one_point_on_whole_steps_and_says_when_it_is_empty():
    from ui.app import _plot  # gradio loads with ui.app: only this test of the file needs it

    fig, caption = _plot([{"step": 1, "loss": 10.84}])
    ax = fig.axes[0]
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [1] and ax.get_lines()[0].get_marker() == "o"
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert 1.0 in ticks and all(t == int(t) for t in ticks), "whole optimizer steps on the axis, not 0.96 … 1.04"
    assert caption.startswith("Latest: train loss 10.84 at step 1")
    fig, caption = _plot([])
    assert caption == "No loss values yet." and not fig.axes[0].get_lines()


def test_the_reproducibility_card_says_what_a_run_lacks_instead_of_inventing_it():
    """A card from a GPU run outside a git checkout, on a corpus folder, stopped before any throughput was logged:
    each gap is said in words (no 0 tokens/s, no made-up revision), and a folder's digest says what it covers."""
    card = {"path": "/h/runs/cpt-1/card.json", "seed": 7, "split_seed": None, "base_model": "smollm2-135m-instruct",
            "data": {"pretrain.corpus": {"listing_sha256": "ab" * 32, "files": 12, "bytes": 9000},
                     "data.validation": None},
            "code_revision": None, "packages": {"torch": "2.13.0"},
            "hardware": {"gpus": ["NVIDIA H200", "NVIDIA H200"], "world_size": 2, "cuda": True, "machine": "x86_64",
                         "system": "Linux"},
            "tokens_per_s": None, "optimizer_steps": None, "train_seconds": None}
    text = render.card_block(card)
    assert "| seed | 7 (training), — (data split) |" in text and "tokens/s not measured" in text
    assert "corpus folder listing abababababab… (12 files, names and sizes)" in text
    assert "validation data not found when the run started" in text
    assert "| code | unknown (not run from a git checkout) |" in text
    assert "NVIDIA H200 ×2, 2 processes (x86-64 Linux)" in text, "no underscored word on screen (browser test)"
    dirty = render.card_block({**card, "code_revision": "0123456789abcdef0123+dirty"})
    assert "| code | git 0123456789ab with uncommitted changes |" in dirty
    assert leaked(text) == [] and "`/h/runs/cpt-1/card.json`" in text
    assert render.card_block(None) == "**Reproducibility card:** none was recorded with these results."
