"""`tunewise ask`: a conversation in the terminal that works when stdin is piped."""

from __future__ import annotations

import io
from argparse import Namespace

import pytest

import knowledge
from agent import conversations
from agent.terminal import ask_command


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda q, k=3, approach=None, topic=None: [
        {"source": "prompt-engineering.md", "title": "Prompt engineering", "section": "", "score": 0.8,
         "text": "A schema and few-shot examples fix most format problems."}])


def test_piped_conversation_reaches_a_recommendation(monkeypatch, capsys):
    script = "Our bot's JSON output breaks our parser.\nNo, we never tried a schema or examples.\n/quit\nignored\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(script))
    assert ask_command(Namespace(conversation=None)) == 0
    out = capsys.readouterr().out
    assert "you: Our bot's JSON output" in out
    assert "Have you already tried serious prompt engineering" in out
    assert "My recommendation: **prompt engineering**" in out
    assert "ignored" not in out  # /quit ends the conversation


def test_ask_continues_an_existing_conversation(monkeypatch, capsys):
    cid = conversations.create()
    monkeypatch.setattr("sys.stdin", io.StringIO("Our output format is wrong.\n"))
    ask_command(Namespace(conversation=cid))
    monkeypatch.setattr("sys.stdin", io.StringIO("No, we have not tried prompting.\n"))
    ask_command(Namespace(conversation=cid))
    assert f"conversation {cid}" in capsys.readouterr().out
    assert conversations.load(cid).recommendation["approach"] == "prompt_engineering"


def test_attach_sends_a_file_with_the_next_message(monkeypatch, capsys, tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join('{"prompt": "p%d", "completion": "c%d"}' % (i, i) for i in range(250)))
    monkeypatch.setattr("sys.stdin", io.StringIO(f"/attach {data}\nHere is our data.\n"))
    ask_command(Namespace(conversation=None))
    out = capsys.readouterr().out
    assert "inspect_dataset: 250 valid" in out
