"""A conversation is stored as typed events and drawn from their fields: changing every sentence in
agent/prompts.py changes neither how a stored conversation is drawn nor the shape of a new one, a reload draws
what the live turn drew, and the buttons that apply (Approve / Reject of the waiting job) are under the last
message whatever was said after the plan card."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import knowledge
from agent import brain, conversations, prompts
from agent.events import from_dict, to_dict
from trainer import jobs

OPENING = ("Our replies sound off-brand even though we tried detailed system prompts with few-shot examples. "
           "We have 600 reviewed example replies.")
MARK = "⟪reworded⟫ "


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda q, k=3, approach=None, topic=None: [
        {"source": "finetuning-methods.md", "title": "Fine-tuning methods", "section": "LoRA", "score": 0.8,
         "text": "LoRA trains small adapters."}])


def reword_every_prompt(monkeypatch) -> int:
    """Prefix every sentence of agent.prompts (constants and the values of its dicts); returns how many."""
    changed = 0
    for name, value in list(vars(prompts).items()):
        if not name.isupper():
            continue
        if isinstance(value, str):
            monkeypatch.setattr(prompts, name, MARK + value)
            changed += 1
        elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            monkeypatch.setattr(prompts, name, {k: MARK + v for k, v in value.items()})
            changed += len(value)
    return changed


def session_of(cid: str) -> dict:
    return {"conversation_id": cid}


def run_conversation(tmp_path: Path) -> str:
    """Through the app's own handler: interview, data, launch, a typed approval, launch again (replacing the
    first job), and a question after the plan card."""
    from ui import app

    tmp_path.mkdir(parents=True, exist_ok=True)
    data = tmp_path / "examples.jsonl"
    data.write_text("\n".join(json.dumps({"prompt": f"Write a tagline for product {i}",
                                          "completion": f"Product {i}: bold."}) for i in range(300)))
    session = {"conversation_id": None}

    def say(text, files=()):
        nonlocal session
        last = None
        for last in app._turn(text, list(files), session, None):
            pass
        session = last[1]
        return last[0]

    # The app accepts only files the caller's login session uploaded over HTTP (ui/access.py); this test drives
    # the handler in-process, so it vouches for its own data file, and only that one.
    from unittest import mock

    from ui import access

    uploaded = mock.patch.object(access, "uploaded_by_caller", lambda path, request: path == str(data))
    uploaded.start()
    chat = say(OPENING)
    for _ in range(10):
        if conversations.events(session["conversation_id"])[-1].type != "question":
            break
        chat = say("I don't know")
    say("Here is our data", [str(data)])
    say("launch")
    say("I approve, go ahead")
    chat = say("launch it")
    final = say("How long will it take?")
    uploaded.stop()
    cid = session["conversation_id"]
    assert final == app.history(cid), "the live turn drew what a reload draws"
    return cid


def shape(chat: list[dict]) -> list[tuple]:
    """What a user sees, without the words: who speaks, tool steps, cards, and the buttons (job ids removed)."""
    out = []
    for m in chat:
        content = m["content"] if isinstance(m["content"], str) else "<file>"
        card = ("recommendation" if "## 🧭 Recommendation" in content else
                "plan" if "Training plan — job" in content else "results" if "Results — job" in content else "")
        out.append((m["role"], (m.get("metadata") or {}).get("title", "").split(":")[0], card,
                    [o["value"].split(":")[0] for o in m.get("options") or []]))
    return out


def test_every_event_round_trips_through_its_stored_form(tmp_path):
    cid = run_conversation(tmp_path)
    stored = conversations.events(cid)
    assert {e.type for e in stored} >= {"user", "message", "question", "tool", "recommendation", "approval", "job",
                                        "note"}
    assert all(from_dict(json.loads(json.dumps(to_dict(e)))) == e for e in stored)


def test_a_stored_conversation_draws_identically_after_every_prompt_string_changes(tmp_path, monkeypatch):
    from ui import app

    cid = run_conversation(tmp_path)
    before = app.history(cid)
    assert reword_every_prompt(monkeypatch) > 40
    assert prompts.RECOMMEND_INTRO.startswith(MARK)
    after = app.history(cid)
    assert after == before


def test_a_conversation_recorded_with_reworded_prompts_has_the_same_shape(tmp_path, monkeypatch):
    from ui import app

    plain = shape(app.history(run_conversation(tmp_path / "a")))
    reword_every_prompt(monkeypatch)
    reworded_cid = run_conversation(tmp_path / "b")
    reworded = app.history(reworded_cid)
    assert any(MARK in (m["content"] if isinstance(m["content"], str) else "") for m in reworded)
    assert shape(reworded) == plain
    recommendations = [e for e in conversations.events(reworded_cid) if e.type == "recommendation"]
    assert [card for _, _, card, _ in plain].count("recommendation") == len(recommendations), \
        "one card per recommendation, and no second copy of it as a message"


def test_approve_and_reject_are_under_the_last_message_while_a_job_waits(tmp_path):
    from ui import app

    cid = run_conversation(tmp_path)
    waiting = jobs.pending_job(cid)
    chat = app.history(cid)
    assert [o["value"] for o in chat[-1]["options"]] == [f"approve:{waiting.id}", f"reject:{waiting.id}"]
    assert all(not m.get("options") for m in chat[:-1]), "buttons only where Gradio shows them"
    replaced = [j for j in jobs.list_jobs(conversation_id=cid) if j.state == "cancelled"]
    assert len(replaced) == 1 and replaced[0].cancel_reason == f"replaced by {waiting.id}"
    text = "\n".join(m["content"] for m in chat if isinstance(m["content"], str))
    assert f"was replaced by job `{waiting.id}`" in text and "Rejected" not in text and "was rejected" not in text
    brain.approve(cid, waiting.id, approver="alice")
    chat = app.history(cid)
    assert not any(m.get("options") for m in chat), "nothing left to approve, and the plan already runs"
