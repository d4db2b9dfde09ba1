"""`tunewise advise --scenario FILE.json --json` and `tunewise ask` (a conversation in the terminal).

advise: the scripted user of DESIGN.md sends `opening`, then answers each question with `answers[fact]`, or
"I don't know" when the scenario has no answer for that fact. It always uses the offline brain: the scripted
answers are keyed by fact, which only the offline brain's questions carry. Prints one JSON object:
{"approach", "alternatives", "reasons", "citations": [{"source", "title"}], "questions": [{"fact", "text"}],
"facts": {fact: value or null} (what the advisor finally held), "plan"}.

ask: reads lines from stdin (works when piped), prints the advisor's events. `/attach PATH` attaches a data
file to the next message; `/approve JOB` and `/reject JOB` are the terminal's Approve and Reject buttons (typing
"I approve" in a message approves nothing); `/wait` follows the conversation's jobs until none waits, validates,
queues or runs, printing their milestones and results as `agent.milestones` stores them; `/quit` ends (a job
still running is interrupted and can be resumed later, in the app or with `tunewise jobs resume`).
"""

from __future__ import annotations

import getpass
import json
import sys
import time
from pathlib import Path

from agent import brain, conversations, milestones, prompts
from agent.events import ApprovalRequest, Question, RecommendationEvent, Results, ToolStep, UserMessage
from trainer import jobs, runner
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


WAIT_POLL_S = 1.0  # seconds between looks at the conversation while `/wait` follows its jobs


def _print_event(event) -> None:
    if isinstance(event, UserMessage):
        return  # the user's own words are on the screen already
    if isinstance(event, ToolStep):
        print(f"  · {event.name}: {event.summary}")
    elif isinstance(event, ApprovalRequest):
        print(f"\n[approval needed] job {event.job_id}: {event.plan.get('summary', '')}")
        print(f"  approve it with: /approve {event.job_id}   (or reject it with /reject {event.job_id})")
    elif isinstance(event, Results):
        print(f"\n[results] {event.text}")
        loss = (event.report or {}).get("loss") or {}
        labels = loss.get("labels") or {}  # an SFT report says what each loss is (zero-shot, with shots, tuned)
        for name, value in loss.items():
            if name != "tokens" and isinstance(value, (int, float)):  # intervals and labels are not losses
                print(f"  test loss, {labels.get(name, name)}: {value:.4f} nats/token")
        if event.card:
            print(f"  reproducibility card: {event.card['path']}")
    else:
        print(f"\nadvisor: {event.text}")


def _decide(cid: str, command: str, job_id: str) -> None:
    """The terminal's Approve / Reject button. Approving starts this session's job runner and milestone thread."""
    who = f"{getpass.getuser()} (tunewise ask)"
    try:
        if command == "/approve":
            runner.start_runner()
            milestones.start()
            decided = brain.approve(cid, job_id, approver=who)
        else:
            decided = brain.reject(cid, job_id, by=who)
    except UserError as exc:
        print(f"  ⚠ {exc}")
        return
    for event in decided:
        _print_event(event)


def _busy(cid: str) -> bool:
    return bool(jobs.list_jobs(state=(jobs.VALIDATING, jobs.QUEUED, jobs.RUNNING), conversation_id=cid, limit=1))


def ask_command(args) -> int:
    cid = brain.ensure_conversation(args.conversation)
    interactive = sys.stdin.isatty()
    print(f"conversation {cid} — {prompts.GREETING}" if interactive else f"conversation {cid}")
    attachments: list[str] = []
    shown = conversations.event_count(cid)  # what is on the screen; later events (milestones) are printed as they land

    def catch_up() -> None:
        nonlocal shown
        later = conversations.events(cid)[shown:]
        shown += len(later)
        for event in later:
            _print_event(event)

    try:
        while True:
            if interactive:
                print("\nyou> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            line = line.rstrip("\n")
            command, _, arg = line.strip().partition(" ")
            if command in ("/quit", "/exit"):
                break
            if command == "/attach":
                attachments.append(arg.strip())
                print(f"  (will attach {attachments[-1]} to your next message)")
                continue
            if command in ("/approve", "/reject"):
                catch_up()
                _decide(cid, command, arg.strip())
                shown = conversations.event_count(cid)
                continue
            if command == "/wait":
                while True:
                    catch_up()
                    if not _busy(cid) and not milestones.sync():
                        break
                    time.sleep(WAIT_POLL_S)
                catch_up()
                continue
            if not interactive:
                print(f"\nyou: {line}")
            catch_up()
            for event in brain.turn(cid, line, attachments or None):
                _print_event(event)
            shown = conversations.event_count(cid)
            attachments = []
    finally:
        milestones.stop()
        runner.stop_runner()
    return 0
