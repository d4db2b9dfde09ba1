"""Plans change by conversation: agent.plan_edits reads the change asked for, agent.plan.revise_plan applies it, and
the offline brain says what changed and replaces the job waiting for approval. The chat, the card's headline and
its table are all read from the one config, so they cannot disagree."""

from __future__ import annotations

import json

import pytest

from agent import brain, conversations
from agent.events import ApprovalRequest, AssistantMessage
from agent.plan import DEFAULT_TARGET_S, MIN_TARGET_S, build_plan, config_summary, reapply_edits, revise_plan
from agent.plan_edits import LONGER, MUCH_SHORTER, SHORTER, find_edits
from trainer import jobs
from ui import render


def edits(text: str) -> list[tuple[str, object]]:
    return [(e.setting, e.value) for e in find_edits(text)]


@pytest.mark.parametrize("text, expected", [
    ("Shorter trial run please", [("length", SHORTER)]),
    ("can we do a much shorter trial run?", [("length", MUCH_SHORTER)]),
    ("just a quick test run", [("length", SHORTER)]),
    ("make it longer", [("length", LONGER)]),
    ("2 epochs", [("epochs", 2.0)]),
    ("make it two epochs", [("epochs", 2.0)]),
    ("one epoch is enough", [("epochs", 1.0)]),
    ("epochs: 3", [("epochs", 3.0)]),
    ("learning rate 1e-4", [("learning_rate", 1e-4)]),
    ("set the learning rate to 0.0002", [("learning_rate", 2e-4)]),
    ("lr=3e-5", [("learning_rate", 3e-5)]),
    ("only 50 steps", [("max_steps", 50)]),
    ("stop after 50 steps", [("max_steps", 50)]),
    ("max steps: 80", [("max_steps", 80)]),
    ("train for a hundred steps", [("max_steps", 100)]),
    ("use QLoRA", [("method", "qlora")]),
    ("switch to qlora please", [("method", "qlora")]),
    ("full fine-tuning instead", [("method", "full")]),
    ("at most 500 examples", [("max_examples", 500)]),
    ("only use 500 examples", [("max_examples", 500)]),
    ("limit it to 1,000 rows", [("max_examples", 1000)]),
    ("evaluate on 20 examples", [("eval_examples", 20)]),
    ("batch size 4", [("batch_size", 4)]),
    ("lora rank 8", [("lora_r", 8)]),
    ("max sequence length 256", [("max_seq_len", 256)]),
    ("train for 2 epochs with lr 1e-4", [("epochs", 2.0), ("learning_rate", 1e-4)]),
])
def test_plan_changes_are_read_from_varied_phrasings(text, expected):
    assert edits(text) == expected


@pytest.mark.parametrize("text", ["don't use qlora", "not 2 epochs", "what are the next steps?", "we have 500 examples",
                                  "launch it", "I approve, launch the job now", "how long will it take?"])
def test_words_that_ask_for_no_change_change_nothing(text):
    assert edits(text) == []


@pytest.fixture
def plan():
    return build_plan({"approach": "lora_finetune"}, {"labeled_examples": 200}, "/data/orders.jsonl")


def test_a_default_plan_is_sized_to_fifteen_minutes_and_says_so(plan):
    assert plan["target_seconds"] == DEFAULT_TARGET_S == 900
    assert "finish in about 15 minutes on this machine" in plan["summary"]


def test_epochs_replace_the_default_sizing_and_the_summary_follows_the_config(plan):
    revised, changes = revise_plan(plan, find_edits("2 epochs"))
    assert changes == ["epochs 3 → 2", "no longer sized to about 15 minutes"]
    assert revised["config"]["training"]["epochs"] == 2.0 and revised["target_seconds"] is None
    assert "2 epochs" in revised["summary"] and "15 minutes" not in revised["summary"]
    assert plan["config"]["training"]["epochs"] == 3.0  # the plan given is not changed in place


def test_a_shorter_trial_run_halves_the_target_and_a_much_shorter_one_quarters_it_down_to_a_floor(plan):
    shorter, changes = revise_plan(plan, find_edits("a shorter trial run"))
    assert shorter["target_seconds"] == 450 and changes == ["target duration about 15 → 8 minutes"]
    much, _ = revise_plan(plan, find_edits("a much shorter trial run"))
    assert much["target_seconds"] == 225 and much["summary"] != plan["summary"]
    tiny, _ = revise_plan(much, find_edits("a much shorter trial run"))
    assert tiny["target_seconds"] == MIN_TARGET_S


def test_shorter_without_a_target_halves_the_steps_or_the_epochs(plan):
    fixed, _ = revise_plan(plan, find_edits("only 80 steps"))
    assert fixed["config"]["training"]["max_steps"] == 80 and fixed["target_seconds"] is None
    half, changes = revise_plan(fixed, find_edits("shorter trial run"))
    assert half["config"]["training"]["max_steps"] == 40 and changes == ["optimizer steps 80 → 40"]


def test_every_setting_lands_in_its_config_field(plan):
    revised, changes = revise_plan(plan, find_edits("use QLoRA, lr 1e-4, at most 500 examples, batch size 4"))
    c = revised["config"]
    assert (c["lora"]["method"], c["training"]["learning_rate"], c["data"]["max_examples"],
            c["training"]["batch_size"]) == ("qlora", 1e-4, 500, 4)
    assert len(changes) == 4 and "QLoRA rank 16" in revised["summary"] and "first 500 training examples" in revised["summary"]


def test_asking_for_what_the_plan_already_has_changes_nothing(plan):
    same, changes = revise_plan(plan, find_edits("learning rate 2e-4"))
    assert changes == [] and same["config"] == plan["config"]


def test_edits_survive_a_plan_rebuilt_after_new_data(plan):
    revised, _ = revise_plan(plan, find_edits("2 epochs and lr 1e-4"))
    rebuilt = reapply_edits(build_plan({"approach": "lora_finetune"}, {"labeled_examples": 900}, "/data/new.jsonl"),
                            revised)
    assert rebuilt["config"]["training"]["epochs"] == 2.0 and rebuilt["config"]["training"]["learning_rate"] == 1e-4
    assert rebuilt["config"]["data"]["train"] == "/data/new.jsonl"


def test_the_card_headline_and_table_show_the_same_epochs_as_the_config(plan):
    revised, _ = revise_plan(plan, find_edits("2 epochs"))
    card = render.plan_card("sft-1", {"summary": "stale text: 3 epoch(s)"}, None, revised["config"])
    assert "stale text" not in card  # the headline is read from the config, like the table
    assert config_summary(revised["config"]) in card and "| epochs | 2 |" in card


# ---- through the offline brain ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_guidance(monkeypatch):
    monkeypatch.setattr(brain, "search_passages", lambda *a, **k: ([], None))


def data_file(tmp_path):
    path = tmp_path / "examples.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"Turn order {i} into JSON"},
                          {"role": "assistant", "content": json.dumps({"order": i})}]} for i in range(300)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def recommended(tmp_path) -> str:
    cid = conversations.create(owner="alice")
    list(brain.turn(cid, "Replies sound off-brand although we iterated system prompts with few-shot examples; we "
                         "have 600 reviewed replies."))
    for _ in range(8):  # answer whatever is still asked until the plan is there
        if conversations.load(cid).plan:
            break
        list(brain.turn(cid, "I don't know"))
    list(brain.turn(cid, "here is the data", attachments=[str(data_file(tmp_path))]))
    assert (conversations.load(cid).plan or {}).get("config"), "the interview ends with a training plan"
    return cid


def test_a_plan_change_before_launch_is_confirmed_in_the_chat_and_kept_for_the_launch(tmp_path):
    cid = recommended(tmp_path)
    events = list(brain.turn(cid, "at most 500 examples please"))
    said = " ".join(e.text for e in events if isinstance(e, AssistantMessage))
    assert "I changed the plan: training examples used none → 500" in said
    assert conversations.load(cid).values().get("labeled_examples") != 500, "a limit is not a fact about the data"
    assert not jobs.list_jobs(), "changing the plan launches nothing"
    launch = next(e for e in brain.turn(cid, "launch it") if isinstance(e, ApprovalRequest))
    assert jobs.get_job(launch.job_id).config["data"]["max_examples"] == 500


def test_a_plan_change_while_a_job_waits_makes_a_new_job_with_the_change(tmp_path):
    cid = recommended(tmp_path)
    first = next(e for e in brain.turn(cid, "launch it") if isinstance(e, ApprovalRequest))
    events = list(brain.turn(cid, "2 epochs"))
    second = next(e for e in events if isinstance(e, ApprovalRequest))
    assert second.job_id != first.job_id
    new = jobs.get_job(second.job_id)
    assert new.config["training"]["epochs"] == 2.0 and new.config["training"].get("max_steps") is None
    assert new.estimate["target_seconds"] is None  # the user chose the length: no sizing
    assert jobs.get_job(first.job_id).config["training"]["epochs"] != 2.0
    assert any("replaced by one with these settings" in e.text for e in events if isinstance(e, AssistantMessage))
