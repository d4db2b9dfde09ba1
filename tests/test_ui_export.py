"""Export from the job panel, through `gradio_client` against the real server (logins for Alice and Bob, the job
runner and the milestones running as `tunewise chat` runs them): Alice's job really trains (the tiny random Llama,
4 LoRA steps) after her Approve click; her panel's Export gives a zip that holds a PEFT adapter which loads; a merged
export runs in a child process while the app keeps answering; Bob, in his own session or in Alice's, gets a clear
refusal and no file."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from agent.events import ApprovalRequest

from tests.test_ui_server import (  # noqa: F401 (fixtures)
    chat_text, client_factory, guidance_index, serve_app, wait_for, write_examples)

USERS = [("alice", "wonderland"), ("bob", "builder")]


def tiny_job_config(model_dir: Path, data: Path) -> dict:
    """A LoRA job that trains in seconds: 4 optimizer steps on the tiny model, evaluation off."""
    return {"kind": "sft", "model": {"base": str(model_dir), "max_seq_len": 32}, "data": {"train": str(data)},
            "lora": {"r": 4, "alpha": 8}, "training": {"max_steps": 4, "batch_size": 4, "learning_rate": 1e-3},
            "eval": {"enabled": False}}


def alices_finished_job(serve_app, client_factory, tmp_path, tiny_model_dir):
    """Alice's conversation with a job she approved in the app and that succeeded: (url, Alice's client, conversation
    id, job id)."""
    from agent import conversations
    from trainer import jobs

    url = serve_app(auth=USERS)
    alice = client_factory(url, auth=USERS[0])
    cid = alice.predict({"text": "We want shorter product taglines.", "files": []}, api_name="/send")[2]
    data = write_examples(tmp_path / "taglines.jsonl", n=40)
    job = jobs.create_job(tiny_job_config(tiny_model_dir, data), conversation_id=cid)
    conversations.append(cid, [ApprovalRequest(job.id, {"summary": "tiny LoRA plan"}, None)])
    download, note = alice.predict("adapter", api_name="/export")  # before it has run: nothing to export
    assert download is None and "no succeeded job in this conversation" in note
    alice.predict(f"approve:{job.id}", api_name="/act")  # her click: the only way a job leaves awaiting_approval
    wait_for(alice, lambda out: jobs.get_job(job.id).state in jobs.TERMINAL, timeout=300)
    assert jobs.get_job(job.id).state == "succeeded", jobs.job_summary(job.id).get("error")
    return url, alice, cid, job.id


def test_the_owner_exports_a_succeeded_job_from_the_panel_and_another_user_gets_nothing(
        serve_app, client_factory, tmp_path, tiny_model_dir):
    """One server and one trained job for every step (training it is most of this test's time)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from agent import actions
    from trainer import jobs

    url, alice, cid, job_id = alices_finished_job(serve_app, client_factory, tmp_path, tiny_model_dir)
    # the panel's Export button is enabled by the same controls as Cancel and Resume (gradio_client does not
    # return button updates: the browser test sees the button itself)
    assert actions.controls(jobs.get_job(job_id)) == {"approve": False, "reject": False, "cancel": False,
                                                      "resume": False, "export": True}

    # the owner: an adapter zip whose folder PEFT loads
    download, note = alice.predict("adapter", api_name="/export")
    assert download and Path(download).name == f"{job_id}-adapter.zip", note
    assert f"Job `{job_id}` exported as LoRA adapter" in note
    with zipfile.ZipFile(download) as zf:
        names = zf.namelist()
        assert {f"{job_id}-adapter/adapter_config.json", f"{job_id}-adapter/adapter_model.safetensors"} <= set(names)
        zf.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped" / f"{job_id}-adapter"
    assert json.loads((folder / "adapter_config.json").read_text())["r"] == 4  # the job's own LoRA rank
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)), str(folder))
    assert any("lora_A" in name for name, _ in model.named_parameters())

    # another user, in his own session: no succeeded job of his, so a sentence and no file
    bob = client_factory(url, auth=USERS[1])
    download, note = bob.predict("adapter", api_name="/export")
    assert download is None and "no succeeded job in this conversation" in note
    # ... and presenting Alice's tab session, which holds her conversation: refused before anything runs
    intruder = client_factory(url, auth=USERS[1])
    intruder.session_hash = alice.session_hash
    with pytest.raises(Exception) as refused:
        intruder.predict("adapter", api_name="/export")
    assert "belongs to another user" in str(refused.value) and job_id not in str(refused.value)

    # a merged export runs in a child process: the app answers Bob meanwhile
    pending = alice.submit("merged", api_name="/export")
    bob.predict(api_name="/poll")
    assert not pending.done(), "Bob's call waited for Alice's export"
    download, note = pending.result(timeout=300)
    assert download and Path(download).name == f"{job_id}-merged.zip", note
    with zipfile.ZipFile(download) as zf:
        assert {f"{job_id}-merged/model.safetensors", f"{job_id}-merged/tokenizer.json"} <= set(zf.namelist())
        zf.extractall(tmp_path / "unzipped")
    merged = AutoModelForCausalLM.from_pretrained(str(tmp_path / "unzipped" / f"{job_id}-merged"))
    assert merged.config.num_hidden_layers == 2  # the tiny model, with the adapter folded in
