"""The advisor's tools: a snapshot of each tool's name, description and argument schema (the model's real API;
change it on purpose: `TUNEWISE_UPDATE_SNAPSHOT=1 pytest tests/test_tools.py`), and what each tool does."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

import knowledge
from agent.toolset import NEEDS_APPROVAL, TOOLS

SNAPSHOT = Path(__file__).resolve().parent / "scenarios" / "tools_snapshot.json"


def current_api() -> list[dict]:
    return [{"name": t.name, "description": t.description, "schema": t.tool_call_schema.model_json_schema()}
            for t in TOOLS]


def test_tool_names_descriptions_and_schemas_match_the_snapshot():
    api = current_api()
    if os.environ.get("TUNEWISE_UPDATE_SNAPSHOT") == "1" or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(api, indent=2, ensure_ascii=False) + "\n")
    assert api == json.loads(SNAPSHOT.read_text())


def test_every_tool_says_when_to_call_it_and_is_listed_once():
    names = [t.name for t in TOOLS]
    assert len(names) == len(set(names)) == 9
    for t in TOOLS:
        assert t.description.split("\n")[0].startswith("Call this"), t.name
    assert set(NEEDS_APPROVAL) <= set(names)
    assert "approve_job" not in names and not any("approve" in n for n in names)


def test_recommend_tool_takes_typed_values_with_quotes_and_returns_the_engine_answer():
    from agent.toolset import recommend

    out = recommend.invoke({"problem": ["format"], "prompting_tried": "none", "labeled_examples": 3000,
                            "evidence": {"problem": "the JSON output is missing fields",
                                         "prompting_tried": "no, never", "labeled_examples": "a few thousand"}})
    assert out["status"] == "ok" and out["approach"] == "prompt_engineering"
    assert out["facts_understood"]["labeled_examples"] == 3000
    assert isinstance(out["ask_next"], list)


def test_recommend_tool_lists_what_to_ask_next_when_facts_are_missing():
    from agent.toolset import recommend

    out = recommend.invoke({"problem": ["tone"], "evidence": {"problem": "tone is wrong"}})
    assert "prompting_tried" in out["ask_next"]


def test_recommend_tool_asks_when_the_models_value_and_the_users_quote_disagree_on_a_decisive_fact():
    from agent.toolset import recommend

    # the model typed 50 examples; the quote says about 5,000: that is the line between collecting data and LoRA
    out = recommend.invoke({"problem": ["tone"], "prompting_tried": "tried", "labeled_examples": 50,
                            "evidence": {"labeled_examples": "we have about 5,000 reviewed pairs"}})
    assert out["status"] == "confirm" and out["approach"] is None
    item = out["confirm"][0]
    assert item["fact"] == "labeled_examples" and item["reader_value"] == 5000 and len(item["options"]) == 2


def test_recommend_tool_refuses_a_value_outside_the_vocabulary():
    from agent.toolset import recommend

    with pytest.raises(Exception, match="prompting_tried"):
        recommend.invoke({"prompting_tried": "a lot", "evidence": {}})


def test_plan_training_tool_returns_a_config_the_trainer_accepts():
    from agent.toolset import plan_training
    from trainer.config import JobConfig

    plan = plan_training.invoke({"approach": "lora_finetune", "labeled_examples": 2000, "gpus": 1,
                                 "gpu_memory_gb": 24})
    JobConfig.model_validate(plan["config"])
    assert plan["scale_up"]["method"] == "qlora"  # a 24 GB card holds a 7-8B model only in 4 bits
    assert plan["config"]["data"]["split"] == [0.8, 0.1, 0.1]
    none = plan_training.invoke({"approach": "rag"})
    assert none["trains"] is False and "config" not in none


def test_search_guidance_tool_trims_passages_and_keeps_sources(monkeypatch):
    from tools.guidance import search_guidance

    monkeypatch.setattr(knowledge, "search", lambda q, k=3, approach=None, topic=None: [
        {"source": "a.md", "title": "A", "section": "s", "text": "x" * 5000, "score": 0.5, "kind": "guide"}])
    hits = search_guidance.invoke({"query": "what is lora"})
    assert hits == [{"ref": 1, "source": "a.md", "title": "A", "section": "s", "text": "x" * 700, "score": 0.5}]


def test_inspect_dataset_tool_reports_located_errors(tmp_path):
    from tools.data import inspect_dataset

    path = tmp_path / "d.jsonl"
    path.write_text('{"prompt": "a", "completion": "b"}\n{not json}\n')
    report = inspect_dataset.invoke({"path": str(path)})
    assert report["ok"] is False and report["errors"][0]["line"] == 2


def test_every_tool_call_is_logged_with_args_and_result(caplog):
    from agent.toolset import recommend

    with caplog.at_level(logging.INFO, logger="tunewise.tools"):
        recommend.invoke({"problem": ["knowledge"], "evidence": {"problem": "outdated facts about our products"}})
    line = next(r.getMessage() for r in caplog.records if r.name == "tunewise.tools")
    assert "tool recommend" in line and "outdated facts" in line and '"approach": "rag"' in line


def test_launch_tool_refuses_a_plan_without_data_or_config():
    from tools.jobs import LaunchRefused, request_launch

    with pytest.raises(LaunchRefused):
        request_launch.invoke({"plan": {"approach": "rag", "trains": False}})
    with pytest.raises(LaunchRefused, match="does not exist"):
        request_launch.invoke({"plan": {"config": {"kind": "sft", "data": {"train": "/nope/x.jsonl"}}}})
