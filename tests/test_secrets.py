"""The LLM API key never lands in logs, job events, stored messages, tool-call logs, error messages or run folders.

This module is also a job recipe (`Runner(recipe="tests.test_secrets")`): the worst recipe there could be, one
that writes its whole environment and prints it to its log. The job still holds no key, because the runner starts
jobs without the LLM keys.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import gradio as gr
import pytest

from agent.events import Note, ToolStep, to_dict

from tests.test_jobs_recipe import job_env, tiny_config, wait_for, write_texts  # noqa: F401 (fixture)

KEY = "sk-tunewise-test-3f9a0c77e1d24b6b"


def run(config, run_dir: Path, resume: bool = False) -> dict:
    """A recipe that leaks everything it can: its environment into the run folder and its log."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "environment.json").write_text(json.dumps(dict(os.environ)))
    print("environment:", dict(os.environ), flush=True)
    return {"steps": 0}


@pytest.fixture
def api_key(monkeypatch) -> str:
    monkeypatch.setenv("TUNEWISE_LLM_API_KEY", KEY)
    return KEY


def files_holding(folder: Path, secret: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_redact_replaces_every_secret_value_and_jobs_get_no_llm_key(api_key, monkeypatch):
    from trainer.state.secrets import job_environment, redact, redact_data

    monkeypatch.setenv("HF_TOKEN", "hf_abcdefgh12345678")
    text = f"401 from http://h/v1 with Authorization: Bearer {KEY}; hub hf_abcdefgh12345678"
    assert redact(text) == "401 from http://h/v1 with Authorization: Bearer [redacted]; hub [redacted]"
    assert redact_data({"a": [KEY, 3], "b": {"c": f"x{KEY}"}}) == {"a": ["[redacted]", 3], "b": {"c": "x[redacted]"}}
    env = job_environment({"TUNEWISE_LLM_API_KEY": KEY, "OPENAI_API_KEY": KEY, "HF_TOKEN": "t", "PATH": "/bin"})
    assert env == {"HF_TOKEN": "t", "PATH": "/bin"}, "a job keeps its hub token, never an LLM key"


def test_a_job_that_dumps_its_environment_holds_no_key_in_its_run_folder_or_events(api_key, tunewise_home, job_env,
                                                                                    tiny_model_dir, tmp_path):
    from trainer import jobs
    from trainer.runner import Runner

    config = tiny_config(tiny_model_dir, write_texts(tmp_path / "d.jsonl"), steps=1)
    job = jobs.approve_job(jobs.create_job(config.to_dict()).id, "tester")
    jobs.record_event(job.id, f"the client said: invalid key {KEY}", "warning", job.run_dir)
    runner = Runner(max_concurrent=1, recipe="tests.test_secrets", poll_s=0.1)
    try:
        runner.start()
        wait_for(lambda: jobs.get_job(job.id).state in jobs.TERMINAL, 120, what="the job")
    finally:
        runner.stop(interrupt_jobs=True, timeout=10)
    run_dir = Path(jobs.get_job(job.id).run_dir)
    assert jobs.get_job(job.id).state == "succeeded"
    dumped = json.loads((run_dir / "environment.json").read_text())
    assert "TUNEWISE_LLM_API_KEY" not in dumped and dumped["TUNEWISE_JOB_ID"] == job.id
    assert "environment:" in (run_dir / "log.txt").read_text()
    assert any("[redacted]" in e["message"] for e in jobs.read_events(job.id))
    assert files_holding(tunewise_home, KEY) == [], "no file under TUNEWISE_HOME (db, runs, logs) holds the key"


def test_messages_tool_logs_and_handler_errors_never_show_the_key(api_key, tunewise_home, caplog):
    from agent import conversations
    from tools._log import logged
    from ui import access

    cid = conversations.create(owner="alice")
    conversations.append(cid, [Note("error", f"LLM error: Incorrect API key provided: {KEY}"),
                               ToolStep("search_guidance", {"detail": KEY}, f"failed with {KEY}")])
    assert KEY not in json.dumps([to_dict(e) for e in conversations.events(cid)])

    @logged
    def leaky_tool(query: str) -> str:
        raise RuntimeError(f"upstream refused key {KEY}")

    with caplog.at_level(logging.INFO, logger="tunewise.tools"), pytest.raises(RuntimeError):
        leaky_tool(query=f"search with {KEY}")
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
    assert "[redacted]" in caplog.text

    def handler(message: str):
        raise ConnectionError(f"POST https://llm.example/v1 failed for key {KEY}")

    with pytest.raises(gr.Error) as shown:
        access.guarded(gr.Blocks(), handler, None)("hi")
    assert KEY not in str(shown.value.message) and "[redacted]" in shown.value.message
    assert files_holding(tunewise_home, KEY) == []
