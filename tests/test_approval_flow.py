"""The approval flow without a browser, on the real job API and database: one job awaiting approval per
conversation, typed approvals that approve nothing, eager Approve / Reject, and milestones and results that the
back end (agent.milestones) writes into the conversation exactly once — here driven by `tunewise ask`, so no UI
timer is involved at all."""

from __future__ import annotations

import io
import json
import re
import threading
from argparse import Namespace
from pathlib import Path

import pytest

import knowledge
from agent import brain, conversations, milestones
from agent.events import ApprovalRequest, AssistantMessage, JobUpdate, Results
from agent.terminal import ask_command
from trainer import jobs
from trainer.config import load_config

OPENING = ("Our replies sound off-brand even though we tried detailed system prompts with few-shot examples. "
           "We have 600 reviewed example replies.")


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda q, k=3, approach=None, topic=None: [
        {"source": "finetuning-methods.md", "title": "Fine-tuning methods", "section": "LoRA", "score": 0.8,
         "text": "LoRA trains small adapters."}])


def tiny_plans(monkeypatch, tiny_model_dir: Path, max_steps: int = 4) -> None:
    """The advisor's own plans, on the tiny random model and cut to `max_steps` optimizer steps (4) and 4
    evaluation answers of 16 tokens, so a whole job (training, evaluation, report) takes seconds on a shared 2-core
    CPU."""
    real = brain.build_plan

    def tiny(recommendation, facts, data_path=None):
        built = real(recommendation, facts, data_path)
        if built.get("config"):
            config = built["config"]
            config["model"] = {**config["model"], "base": str(tiny_model_dir), "max_seq_len": 128}
            config["training"] = {**config["training"], "max_steps": max_steps}
            config["eval"] = {**config["eval"], "max_examples": 4, "max_new_tokens": 16}
        return built

    monkeypatch.setattr(brain, "build_plan", tiny)


def write_examples(path: Path, n: int = 300) -> Path:
    """n prompt/completion rows (300: enough that the engine keeps recommending LoRA; 240 train after the 80/10/10
    split)."""
    path.write_text("\n".join(json.dumps({"prompt": f"Write a tagline for product {i}",
                                          "completion": f"Product {i}: bold, bright, yours."}) for i in range(n)))
    return path


def recommended_with_data(cid: str, data: Path) -> None:
    events = list(brain.turn(cid, OPENING))
    for _ in range(10):
        if not any(e.type == "question" for e in events):
            break
        events = list(brain.turn(cid, "I don't know"))
    assert conversations.load(cid).recommendation["approach"] == "lora_finetune"
    list(brain.turn(cid, "Here is our data.", [str(data)]))


def test_launch_typed_twice_leaves_one_job_waiting_and_the_first_is_replaced_not_rejected(tmp_path):
    cid = conversations.create()
    recommended_with_data(cid, write_examples(tmp_path / "d.jsonl"))
    first = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).job_id
    events = list(brain.turn(cid, "launch it"))
    second = next(e for e in events if isinstance(e, ApprovalRequest)).job_id
    assert first != second
    waiting = jobs.list_jobs(state="awaiting_approval", conversation_id=cid)
    assert [j.id for j in waiting] == [second]
    old = jobs.get_job(first)
    assert (old.state, old.cancel_reason, old.approved_by) == ("cancelled", f"replaced by {second}", None)
    replaced = [e for e in events if isinstance(e, JobUpdate)]
    assert [(e.job_id, e.state, e.reason) for e in replaced] == [(first, "cancelled", f"replaced by {second}")]
    assert not any("reject" in e["message"] for e in jobs.read_events(first))


def test_two_launches_racing_still_leave_exactly_one_job_waiting(tmp_path):
    from tools.jobs import create_launch_request

    cid = conversations.create()
    recommended_with_data(cid, write_examples(tmp_path / "d.jsonl"))
    the_plan = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).plan
    threads = [threading.Thread(target=create_launch_request, args=(the_plan, cid)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(jobs.list_jobs(state="awaiting_approval", conversation_id=cid)) == 1
    assert len(jobs.list_jobs(conversation_id=cid)) == 5


@pytest.mark.parametrize("typed", ["I approve, launch the job now", "go ahead", "Yes, start it", "lgtm"])
def test_a_typed_approval_approves_nothing_creates_nothing_and_points_at_the_button(tmp_path, typed):
    cid = conversations.create()
    recommended_with_data(cid, write_examples(tmp_path / "d.jsonl"))
    waiting = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).job_id
    events = list(brain.turn(cid, typed))
    assert [j.id for j in jobs.list_jobs(conversation_id=cid)] == [waiting], "no second job"
    assert jobs.get_job(waiting).state == "awaiting_approval" and jobs.get_job(waiting).approved_by is None
    assert [type(e) for e in events] == [AssistantMessage] and waiting in events[0].text
    assert "Approve" in events[0].text


def test_approve_and_reject_change_state_when_called_and_return_the_stored_events(tmp_path):
    cid = conversations.create()
    recommended_with_data(cid, write_examples(tmp_path / "d.jsonl"))
    first = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).job_id
    rejected = brain.reject(cid, first, by="alice")  # not iterated: a plain call does the work
    assert jobs.get_job(first).state == "cancelled" and jobs.get_job(first).cancel_reason == "rejected by alice"
    assert isinstance(rejected, list) and conversations.events(cid)[-1] == rejected[0]
    second = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).job_id
    approved = brain.approve(cid, second, approver="alice")
    assert jobs.get_job(second).approved_by == "alice" and jobs.get_job(second).state == "queued"
    assert (approved[0].state, approved[0].detail) == ("queued", "approved by alice")
    other = conversations.create()
    with pytest.raises(jobs.JobError, match="does not belong"):
        brain.reject(other, second)
    assert milestones.sync() == [], "the approval's update is the queued milestone: not reported twice"
    from agent import actions

    listed = {r["job_id"]: r for r in actions.job_list(None)}
    assert listed[first]["reason"] == "rejected by alice" and listed[second]["state"] == "queued"
    assert listed[second]["approach"] == "LoRA fine-tuning" and listed[second]["conversation_id"] == cid


def test_milestones_are_stored_once_even_when_several_reporters_race(tmp_path):
    cid = conversations.create()
    recommended_with_data(cid, write_examples(tmp_path / "d.jsonl"))
    job_id = next(e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)).job_id
    brain.approve(cid, job_id, approver="alice")
    jobs.transition(job_id, ["queued"], "running", "started (attempt 1)", attempt=0)
    jobs.transition(job_id, ["running"], "succeeded", "succeeded")
    stored: list = []
    threads = [threading.Thread(target=lambda: stored.extend(milestones.sync())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kinds = [(type(e).__name__, getattr(e, "state", None)) for _, e in stored]
    assert sorted(kinds) == [("JobUpdate", "succeeded"), ("Results", None)]
    assert sum(isinstance(e, Results) for e in conversations.events(cid)) == 1


def test_a_job_approved_from_tunewise_ask_ends_with_its_results_in_the_conversation(
        monkeypatch, capsys, tmp_path, tiny_model_dir):
    tiny_plans(monkeypatch, tiny_model_dir)
    data = write_examples(tmp_path / "examples.jsonl")
    script = "\n".join([OPENING] + ["I don't know"] * 10 + [f"/attach {data}", "Here is our data.", "launch it"])
    monkeypatch.setattr("sys.stdin", io.StringIO(script + "\n"))
    ask_command(Namespace(conversation=None))
    out = capsys.readouterr().out
    cid = re.search(r"conversation (\w+)", out).group(1)
    waiting = jobs.pending_job(cid)
    assert waiting is not None and f"/approve {waiting.id}" in out

    monkeypatch.setattr("sys.stdin", io.StringIO(f"/approve {waiting.id}\n/wait\n"))
    ask_command(Namespace(conversation=cid))
    out = capsys.readouterr().out
    job = jobs.get_job(waiting.id)
    assert job.state == "succeeded", jobs.read_events(job.id)
    events = conversations.events(cid)
    results = [e for e in events if isinstance(e, Results)]
    assert len(results) == 1 and results[0].job_id == job.id
    loss = results[0].report["loss"]  # tuned vs the base on the same input (its "base" has the prompt's shots)
    assert loss["tuned"] < loss["base_zero_shot"], "training lowered test loss"
    assert [e.state for e in events if isinstance(e, JobUpdate) and e.job_id == job.id][-1] == "succeeded"
    assert "[results]" in out, "ask printed the results the back end stored"
    card = results[0].card  # the run's reproducibility card in short, stored with its results
    assert card["path"] == str(Path(job.run_dir) / "card.json") and card["optimizer_steps"] == job.total_steps
    assert card["seed"] == load_config(Path(job.run_dir) / "config.yaml").training.seed and card["packages"]["torch"]
    assert f"reproducibility card: {card['path']}" in out
    assert milestones.sync() == [], "nothing left to report: exactly once"


def test_the_llm_brain_reads_the_milestones_stored_since_the_users_last_message():
    from agent.events import UserMessage
    from agent.llm import job_news

    cid = conversations.create()
    conversations.append(cid, [UserMessage("launch"), JobUpdate("sft-1", "running"),
                               Results("sft-1", {"verdict": "the tuned model is better"})])
    news = job_news(cid)
    assert news == ["[Since the user's last message: job sft-1: running]",
                    "[Since the user's last message: results of job sft-1: the tuned model is better]"]
    conversations.append(cid, [UserMessage("thanks")])
    assert job_news(cid) == []
    dpo = Results("dpo-1", {"kind": "dpo", "verdict": "improved", "verdict_summary": "base 40% → tuned 90% (n=10)"})
    assert dpo.text == "results of job dpo-1: base 40% → tuned 90% (n=10)", "a DPO verdict is a code: its sentence"
