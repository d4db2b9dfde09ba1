"""The advisor end to end against scripted users (DESIGN.md's scenario format): the public scenarios of
shared/scenarios/public.jsonl and this project's own (tests/scenarios/own.jsonl, each with a `why` naming the
seed-article rule that decides it). The guidance index is replaced by a small fake so the test measures the
interview and the engine, not embeddings."""

from __future__ import annotations

import json
import os
import statistics
from argparse import Namespace
from pathlib import Path

import pytest

import knowledge
from agent.terminal import advise_command, run_scenario
from tests import shared

HERE = Path(__file__).resolve().parent
PUBLIC = Path(os.environ["TUNEWISE_SCENARIOS"]) if os.environ.get("TUNEWISE_SCENARIOS") else \
    shared.find("scenarios/public.jsonl")
OWN = HERE / "scenarios" / "own.jsonl"
MAX_MEDIAN_QUESTIONS = 6


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def fake_search(query, k=3, approach=None, topic=None):
    name = approach or "general"
    return [{"source": f"{name}.md", "title": f"Guide on {name}", "section": "Overview",
             "text": f"Guidance about {name} for: {query}", "score": 0.8 - i * 0.1} for i in range(k)]


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", fake_search)


PUBLIC_SCENARIOS = _load(PUBLIC) if PUBLIC is not None and PUBLIC.exists() else []
OWN_SCENARIOS = _load(OWN)
_RESULTS: dict[str, dict] = {}


def result_of(scenario: dict) -> dict:
    """Each scenario's interview runs once per test session; the tests below read the same result."""
    if scenario["id"] not in _RESULTS:
        _RESULTS[scenario["id"]] = run_scenario(scenario)
    return _RESULTS[scenario["id"]]


def test_the_public_scenarios_are_there_to_be_run():
    # without the file the public scenarios below are an empty set: fail loudly in CI, skip on a bare machine
    if not PUBLIC_SCENARIOS:
        shared.require("scenarios/public.jsonl")
    assert len(PUBLIC_SCENARIOS) >= 10


@pytest.mark.skipif(not PUBLIC_SCENARIOS, reason="shared/scenarios/public.jsonl not found")
@pytest.mark.parametrize("scenario", PUBLIC_SCENARIOS, ids=[s["id"] for s in PUBLIC_SCENARIOS])
def test_public_scenario_gets_an_expected_approach(scenario):
    result = result_of(scenario)
    assert result["approach"] in scenario["expect"], (result["approach"], result["reasons"])


@pytest.mark.parametrize("scenario", OWN_SCENARIOS, ids=[s["id"] for s in OWN_SCENARIOS])
def test_own_scenario_gets_an_expected_approach(scenario):
    result = result_of(scenario)
    assert result["approach"] in scenario["expect"], (result["approach"], result["reasons"])


def test_there_are_at_least_thirty_own_scenarios_each_with_its_reason():
    assert len(OWN_SCENARIOS) >= 30
    assert all(s.get("why") for s in OWN_SCENARIOS)
    assert not {s["id"] for s in OWN_SCENARIOS} & {s["id"] for s in PUBLIC_SCENARIOS}


@pytest.mark.parametrize("name, scenarios", [("public", PUBLIC_SCENARIOS), ("own", OWN_SCENARIOS)])
def test_median_questions_is_at_most_six_and_each_fact_is_asked_once(name, scenarios, capsys):
    if not scenarios:
        pytest.skip("no scenarios")
    counts, hits = [], 0
    lines = []
    for scenario in scenarios:
        result = result_of(scenario)
        facts = [q["fact"] for q in result["questions"]]
        # a fact comes back only right after itself: an unread answer asked once more with quick answers, or a
        # read-back of what was understood; never a third time, never later in the interview
        repeats = [a for a, b in zip(facts, facts[1:]) if a == b]
        assert len(set(facts)) == len(facts) - len(repeats) and len(repeats) == len(set(repeats)), \
            f"{scenario['id']} re-asked a fact: {facts}"
        counts.append(len(facts))
        ok = result["approach"] in scenario["expect"]
        hits += ok
        lines.append(f"{'ok ' if ok else 'BAD'} {scenario['id']:<34} {result['approach']:<22} "
                     f"{len(facts)} questions {facts}")
    median = statistics.median(counts)
    with capsys.disabled():
        print(f"\n[{name}] " + "\n[{name}] ".join(lines).replace("{name}", name))
        print(f"[{name}] {hits}/{len(scenarios)} expected approach; median questions {median}, max {max(counts)}")
    assert hits == len(scenarios)
    assert median <= MAX_MEDIAN_QUESTIONS


def test_advise_command_prints_the_design_contract(tmp_path, capsys):
    scenario = {"id": "x", "opening": "Our bot's JSON output breaks our parser.",
                "answers": {"prompting_tried": "No, we never tried a schema or examples."},
                "expect": ["prompt_engineering"]}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenario))
    assert advise_command(Namespace(scenario=str(path), json=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"approach", "alternatives", "reasons", "citations", "questions", "facts", "plan"}
    assert out["approach"] == "prompt_engineering"
    assert all(set(c) == {"source", "title"} for c in out["citations"]) and out["citations"]
    assert all(set(q) == {"fact", "text"} for q in out["questions"])
    assert any(r.startswith("prompting tried") for r in out["reasons"])  # each reason names its fact, by its label


def test_training_scenarios_yield_a_plan_the_trainer_accepts():
    from trainer.config import JobConfig

    trained = 0
    for scenario in PUBLIC_SCENARIOS + OWN_SCENARIOS:
        plan = result_of(scenario)["plan"]
        if plan.get("config"):
            JobConfig.model_validate(plan["config"])
            assert plan["config"]["data"]["split"] == [0.8, 0.1, 0.1]
            trained += 1
    assert trained >= 10


def test_a_broken_scenario_file_is_a_one_sentence_error(tmp_path):
    from trainer.state.errors import UserError

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        advise_command(Namespace(scenario=str(bad), json=True))
