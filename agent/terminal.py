"""`tunewise advise --scenario FILE.json --json` and `tunewise ask` (a conversation in the terminal).

advise: the scripted user of DESIGN.md sends `opening`, then answers each question with `answers[fact]`, or
"I don't know" when the scenario has no answer for that fact. It always uses the offline brain: the scripted
answers are keyed by fact, which only the offline brain's questions carry. Prints one JSON object:
{"approach", "alternatives", "reasons", "citations": [{"source", "title"}], "questions": [{"fact", "text"}],
"facts": {fact: value or null} (what the advisor finally held), "plan"}.

ask: reads lines from stdin (works when piped), prints the advisor's events. `/attach PATH` attaches a data
file to the next message; `/quit` ends. Jobs are approved outside the conversation: `tunewise jobs approve ID`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from agent import brain, conversations, prompts
from agent.events import ApprovalRequest, Question, RecommendationEvent, ToolStep
from trainer.state.errors import UserError
from trainer.state.vocabulary import approach_label

MAX_TURNS = 30  # a scripted interview never needs this many; a guard against a loop
DONT_KNOW = "I don't know"


def load_scenario(path: str) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"scenario file {path} does not exist") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("opening"), str):
        raise UserError(f"{path}: a scenario is an object with at least a string `opening` (and `answers`)")
    if not isinstance(data.get("answers", {}), dict):
        raise UserError(f"{path}: `answers` must be an object {{fact: answer}}")
    return data


def run_scenario(scenario: dict) -> dict:
    """Run the scripted interview; return the DESIGN.md advise object."""
    cid = conversations.create(owner="scenario", title=str(scenario.get("id", "")))
    offline = brain.OfflineBrain()
    answers = scenario.get("answers") or {}
    questions: list[dict] = []
    recommendation = None
    message = scenario["opening"]
    for _ in range(MAX_TURNS):
        asked = None
        for event in offline.turn(cid, message):
            if isinstance(event, Question):
                asked = event
            elif isinstance(event, RecommendationEvent):
                recommendation = event.recommendation
        if asked is None:
            break
        questions.append({"fact": asked.fact, "text": asked.text})
        message = str(answers.get(asked.fact) or DONT_KNOW)
    if recommendation is None:
        raise UserError("the interview ended without a recommendation")
    return {
        "approach": recommendation["approach"],
        "alternatives": recommendation["alternatives"],
        "reasons": recommendation["reasons"],
        "citations": recommendation.get("citations", []),
        "questions": questions,
        "facts": conversations.load(cid).values(),
        "plan": recommendation.get("plan", {}),
    }


def advise_command(args) -> int:
    scenario = load_scenario(args.scenario)
    result = run_scenario(scenario)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"Questions asked: {len(result['questions'])}")
    for q in result["questions"]:
        print(f"  [{q['fact']}] {q['text']}")
    alternatives = ", ".join(approach_label(a) for a in result["alternatives"]) or "none"
    print(f"\nRecommendation: {approach_label(result['approach'])}  (alternatives: {alternatives})")
    for reason in result["reasons"]:
        print(f"  - {reason}")
    for c in result["citations"]:
        print(f"  source: {c['title']} ({c['source']})")
    if result["plan"].get("summary"):
        print(f"\nPlan: {result['plan']['summary']}")
    return 0


def _print_event(event) -> None:
    if isinstance(event, ToolStep):
        print(f"  · {event.name}: {event.summary}")
    elif isinstance(event, RecommendationEvent):
        return  # its message follows
    elif isinstance(event, ApprovalRequest):
        print(f"\n[approval needed] job {event.job_id}: {event.plan.get('summary', '')}")
        print(f"  approve it with: tunewise jobs approve {event.job_id}")
    else:
        print(f"\nadvisor: {event.text}")


def ask_command(args) -> int:
    cid = brain.ensure_conversation(args.conversation)
    interactive = sys.stdin.isatty()
    print(f"conversation {cid} — {prompts.GREETING}" if interactive else f"conversation {cid}")
    attachments: list[str] = []
    while True:
        if interactive:
            print("\nyou> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        line = line.rstrip("\n")
        if line.strip() in ("/quit", "/exit"):
            break
        if line.startswith("/attach "):
            attachments.append(line[len("/attach "):].strip())
            print(f"  (will attach {attachments[-1]} to your next message)")
            continue
        if not interactive:
            print(f"\nyou: {line}")
        for event in brain.turn(cid, line, attachments or None):
            _print_event(event)
        attachments = []
    return 0
