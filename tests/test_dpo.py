"""trainer/dpo.py on the tiny random Llama (real SmolLM2 tokenizer): DPO moves held-out preferences.

The pairs share a prompt; the chosen answer uses one set of words and the rejected answer another, in the same
number of tokens. A random base model prefers neither set (about half the held-out pairs), so a preference accuracy well
above the base's is something the DPO loss taught."""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.internal_names import leaked
from tests.test_sft import config
from tests.tracking_checks import assert_tracked
from tools.jobs import read_card
from trainer import dpo
from trainer.config import parse_config
from trainer.progress import CARD
from ui import render

GOOD = ["alpha", "beta", "gamma", "delta", "echo"]
BAD = ["red", "blue", "green", "black", "white"]  # one token each, like GOOD: no length bias in the scores


def write_pairs(path: Path, n: int = 80, seed: int = 0) -> Path:
    r = random.Random(seed)
    rows = []
    for i in range(n):
        k = r.randint(2, 6)
        rows.append({"prompt": f"Reply to ticket {i} with {k} words",
                     "chosen": " ".join(r.choice(GOOD) for _ in range(k)),
                     "rejected": " ".join(r.choice(BAD) for _ in range(k))})
    path.write_text("\n".join(json.dumps(x) for x in rows) + "\n")
    return path


# DPO settings for the tiny model: 12 steps at a high learning rate with β = 0.5, so the held-out preferences move.
DPO = {
    "model": {"max_seq_len": 64},
    "lora": {"r": 8, "alpha": 16, "dropout": 0.0},
    "training": {"max_steps": 12, "learning_rate": 1e-2, "batch_size": 8, "eval_every": 6, "save_every": 6},
    "dpo": {"beta": 0.5},
    "eval": {"forgetting_probe": True},
}


@pytest.fixture(scope="module")
def dpo_run(tiny_model_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("dpo")
    run_dir = folder / "run"
    return run_dir, dpo.run(config(tiny_model_dir, write_pairs(folder / "pairs.jsonl"), "dpo", DPO), run_dir)


def test_dpo_makes_the_model_prefer_the_chosen_answers_it_never_saw(dpo_run):
    run_dir, result = dpo_run
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    base, tuned = report["base"]["chosen_scored_higher_per_token"], report["tuned"]["chosen_scored_higher_per_token"]
    assert report["test_pairs"] >= 6
    assert tuned >= 0.9 and tuned > base  # measured on the tiny model: base ≈ 0.5, tuned 1.0
    # chosen and rejected have the same length here, so the summed comparison agrees with the per-token one
    assert report["tuned"]["chosen_scored_higher"] == tuned
    assert report["tuned"]["reward_margin"] > 0 and report["tuned"]["preference_accuracy"] >= 0.9
    assert report["verdict"] in ("improved", "no_measurable_difference")  # n is small: the interval decides
    assert report["forgetting"]  # the shared probe ran (its figures are trainer/forgetting.py's)


def test_a_dpo_run_writes_its_adapter_metrics_and_tracking(dpo_run):
    run_dir, result = dpo_run
    assert result["steps"] == 12 and (run_dir / "adapter" / "adapter_config.json").is_file()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in rows if r.get("loss") is not None]
    assert losses[-1] < losses[0]  # the DPO loss starts at ln 2 ≈ 0.693 (margin 0) and falls
    assert abs(losses[0] - 0.693) < 0.1
    assert_tracked(run_dir, steps=12)


def test_the_results_show_a_dpo_runs_preference_accuracy_for_base_and_tuned_its_margin_and_its_card(dpo_run):
    """The chat's results card for the report the run above wrote: the figures are the report's own, formatted."""
    run_dir, _ = dpo_run
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    card = read_card(run_dir / CARD)
    text = render.results_markdown("dpo-1", report, asdict(card))
    base, tuned = report["base"], report["tuned"]
    key = "chosen_scored_higher_per_token"
    lo, hi = base[f"{key}_95ci"]  # the headline with its 95% interval, base and tuned in one row
    row = (f"| chosen answer scored higher, per answer token ★ | {base[key]:.0%} [{lo:.0%}, {hi:.0%}] | "
           f"{tuned[key]:.0%} [")
    assert row in text, text
    accuracy, margin = f"| — ¹ | {tuned['preference_accuracy']:.0%} |", f"| — ¹ | {tuned['reward_margin']:+.3f} |"
    assert accuracy in text and margin in text, "the base is the margin's reference: absent, not 0"
    assert render.DPO_VERDICTS[report["verdict"]][1] in text
    assert f"**Forgetting:** {report['forgetting']['verdict']}" in text
    assert f"| seed | {card.seed} (training), {card.split_seed} (data split) |" in text
    assert f"torch {card.packages['torch']}" in text and f"peft {card.packages['peft']}" in text
    assert f"`{run_dir / CARD}`" in text and leaked(text) == [], "labels on screen, never config or metric keys"
    unprobed = render.results_markdown("dpo-1", {k: v for k, v in report.items() if k != "forgetting"}, None)
    assert "not measured" in unprobed and "forgetting probe) |" not in unprobed
    assert "none was recorded" in unprobed


def test_dpo_on_plain_examples_is_refused_naming_the_data(tiny_model_dir, tmp_path):
    plain = tmp_path / "plain.jsonl"
    plain.write_text("\n".join(json.dumps({"prompt": f"q{i} about things", "completion": f"answer {i} here"})
                               for i in range(40)) + "\n")
    with pytest.raises(dpo.DPOError, match="no preference pairs"):
        dpo.run(config(tiny_model_dir, plain, "dpo", DPO), tmp_path / "run")
    assert not (tmp_path / "run" / "adapter").exists()


def test_the_advisors_preference_tuning_plan_is_a_runnable_dpo_job():
    from agent.plan import build_plan
    from trainer.config import parse_config

    plan = build_plan({"approach": "preference_tuning"}, {"preference_data": 5000, "labeled_examples": 800},
                      data_path="pairs.jsonl")
    job_config = parse_config(plan["config"], source="plan")
    assert job_config.kind == "dpo" and job_config.lora.method == "lora" and job_config.dpo.beta == 0.1
    assert "DPO" in plan["summary"]


@pytest.mark.slow
@pytest.mark.timeout(3600)  # 135 M parameters, chosen and rejected both scored by policy and reference per step
def test_dpo_on_the_bundled_smollm2_moves_held_out_preferences_above_the_base(tmp_path):
    """The shipped support-reply pairs on the real model: the helpful answer must win more held-out pairs after
    DPO than before (the base already prefers it on some: that is the figure to beat)."""
    data = Path(__file__).parents[1] / "trainer" / "data" / "example_preferences.jsonl"
    job_config = parse_config({"kind": "dpo", "model": {"base": "smollm2-135m-instruct", "max_seq_len": 192},
                           "data": {"train": str(data)}, "lora": {"r": 16, "alpha": 32, "dropout": 0.0},
                           "training": {"max_steps": 16, "learning_rate": 1e-4, "batch_size": 4},
                           "dpo": {"beta": 0.1}})
    dpo.run(job_config, tmp_path / "run")
    report = json.loads((tmp_path / "run" / "eval" / "report.json").read_text())
    print(json.dumps({k: report[k] for k in ("base", "tuned", "verdict", "verdict_summary", "forgetting")}, indent=1))
    # per token: the rejected answers are short and curt, so a summed log-probability prefers them for length alone
    key = "chosen_scored_higher_per_token"
    assert report["tuned"][key] > report["base"][key], report["verdict_summary"]
    assert report["tuned"]["reward_margin"] > 0 and report["tuned"]["preference_accuracy"] > 0.5
