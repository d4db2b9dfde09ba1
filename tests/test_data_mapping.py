"""The mapping step without a browser: an uploaded file whose columns tunewise does not know gets a proposed
mapping, not a plan; a typed edit naming a column the file lacks is refused and nothing is kept; the confirmed
mapping is checked, kept, and stored in the config of the job the user then launches (`data.columns`), and the plan
card shows it. The advisor, the validator's capped child and the job store are the real ones; only the guidance
search is a fixed passage (the index is not what this tests)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import knowledge
from agent import brain, conversations
from agent.events import ApprovalRequest
from tests.test_approval_flow import OPENING
from trainer import jobs
from trainer.formats import mapping_file
from trainer.state.errors import UserError
from trainer.state.home import models_dir, uploads_dir
from trainer.validate import TOKENIZER_CACHE
from ui import backend, render

MAPPING = {"prompt": "question", "completion": "answer"}


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", lambda q, k=3, approach=None, topic=None: [
        {"source": "finetuning-methods.md", "title": "Fine-tuning methods", "section": "LoRA", "score": 0.8,
         "text": "LoRA trains small adapters."}])


@pytest.fixture
def bundled_tokenizer_saved(tunewise_home, tiny_model_dir, tokenizer_cache):
    """The bundled tokenizer where the validator's child looks for it, copied from the session's cache (so this
    test does not read it from the GGUF again: ≈ 15 s)."""
    shutil.copytree(tokenizer_cache, models_dir() / TOKENIZER_CACHE)


def faq_upload(cid: str, rows: int = 600) -> Path:
    """A FAQ export with its own column names (id, question, answer), kept where the app keeps uploads."""
    folder = uploads_dir() / cid / "20261201T120000Z"
    folder.mkdir(parents=True)
    path = folder / "faq.csv"
    path.write_text("id,question,answer\n" + "".join(f"{i},How do I reset device {i}?,Hold the reset button for "
                                                      f"{i % 9 + 1} seconds.\n" for i in range(rows)))
    return path


def test_a_confirmed_column_mapping_is_stored_in_the_launched_jobs_config(bundled_tokenizer_saved):
    cid = conversations.create()
    events = list(brain.turn(cid, OPENING))  # 600 reviewed replies: the engine recommends LoRA fine-tuning
    for _ in range(10):
        if not any(e.type == "question" for e in events):
            break
        events = list(brain.turn(cid, "I don't know"))
    assert conversations.load(cid).recommendation["approach"] == "lora_finetune"
    faq = faq_upload(cid)

    # the columns are not a known format: the report proposes a mapping, and no plan trains on the file yet
    report = backend.validate_upload(faq)
    assert not report["ok"] and [e["code"] for e in report["errors"]] == ["unmapped_columns"]
    assert report["proposed_mapping"] == MAPPING
    assert report["proposed_mapping_text"] == "question → prompt, answer → completion?"
    assert render.mapping_options(str(faq), report) == [
        {"value": f"map:{faq}|prompt=question,completion=answer", "label": "✅ Use question → prompt, answer → completion"}]
    list(brain.turn(cid, "Here is our FAQ.", [str(faq)]))
    assert conversations.load(cid).data_path is None
    assert not [e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)], "no job on unmapped data"

    # an edit naming a column the file lacks is refused with the file's columns; nothing is kept
    edited = backend.confirm_mapping(cid, faq, "prompt=question,completion=reply")
    assert not edited["ok"] and "no column 'reply'" in edited["errors"][0]["message"]
    assert "id, question, answer" in edited["errors"][0]["message"]
    assert not mapping_file(faq).exists()
    with pytest.raises(UserError, match="not one of this conversation's uploads"):
        backend.confirm_mapping(conversations.create(), faq, "prompt=question,completion=answer")

    # confirmed: the file checks out with it (token counts included) and the mapping is kept beside it
    confirmed = backend.confirm_mapping(cid, faq, "prompt=question,completion=answer")
    assert confirmed["ok"] and confirmed["mapping"] == MAPPING and confirmed["stats"]["examples"] == 600
    assert confirmed["stats"]["tokens"] > 600 * 10  # each row is over ten tokens: the real tokenizer counted them
    list(brain.turn(cid, "map prompt=question,completion=answer", [str(faq)]))
    assert conversations.load(cid).data_path == str(faq)

    [request] = [e for e in brain.turn(cid, "launch") if isinstance(e, ApprovalRequest)]
    job = jobs.get_job(request.job_id)
    assert job.state == "awaiting_approval"
    assert job.config["data"]["train"] == str(faq) and job.config["data"]["columns"] == MAPPING
    card = render.plan_card(job.id, request.plan, None, job.config)
    assert "| data columns | question → prompt, answer → completion |" in card
