"""Play the blind question set through the product and record every answer, for judging by a reader.

    PYTHONPATH=$PWD .venv/bin/python tests/blind/run_questions.py [--set questions_v1] [--out DIR]   # from the checkout

Each turn runs in a conversation of its own through the offline brain, as the chat would: the scripted user sends
`context.opening`, then the turn's `text`. What the advisor says in reply to the turn (its messages, questions and
any recommendation) is written to `<out>/answers.jsonl` and, for reading, `<out>/answers.md`. The set's criteria
are not read here: judging is a separate, human step (`<out>/judgement.jsonl`, one line per turn with a reason),
and `--score` only counts the verdicts written there and checks that every answer carries a citation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _reply_text(events) -> str:
    from agent.events import AssistantMessage, Question, RecommendationEvent

    parts = []
    for e in events:
        if isinstance(e, AssistantMessage):
            parts.append(e.text)
        elif isinstance(e, Question):
            parts.append(f"(question) {e.text}")
        elif isinstance(e, RecommendationEvent):
            r = e.recommendation
            parts.append(f"(recommendation card: {r['approach']}; collapsed={bool(r.get('collapsed'))})")
    return "\n\n".join(parts)


def cited(answer: str) -> bool:
    """An answer is cited when it names a passage it drew on: a [n] mark with its "read more" disclosure."""
    return bool(re.search(r"\[\d+\]", answer)) and "Read more:" in answer


def play(set_name: str, out: Path) -> None:
    from agent import brain, conversations
    from knowledge.index import open_index

    rows = [json.loads(line) for line in (HERE / set_name / "questions.jsonl").read_text().splitlines() if line]
    open_index().ensure_ready()
    out.mkdir(parents=True, exist_ok=True)
    records, md = [], [f"# Answers to {set_name} ({len(rows)} turns)\n"]
    for row in rows:
        cid = conversations.create(owner="blind")
        opening_events = list(brain.turn(cid, row["context"]["opening"]))
        started = time.perf_counter()
        events = list(brain.turn(cid, row["text"]))
        seconds = time.perf_counter() - started
        answer = _reply_text(events)
        records.append({"id": row["id"], "kind": row["kind"], "opening": row["context"]["opening"],
                        "opening_reply": _reply_text(opening_events), "text": row["text"], "answer": answer,
                        "cited": cited(answer), "seconds": round(seconds, 2)})
        md += [f"## {row['id']} ({row['kind']})", f"**Opening:** {row['context']['opening']}", "",
               f"**Turn:** {row['text']}", "", answer, ""]
        print(f"{row['id']}: {len(answer)} chars, cited={cited(answer)}, {seconds:.1f} s", file=sys.stderr)
    (out / "answers.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    (out / "answers.md").write_text("\n".join(md))


def score(out: Path) -> dict:
    answers = {r["id"]: r for r in map(json.loads, (out / "answers.jsonl").read_text().splitlines())}
    judged = {r["id"]: r for r in map(json.loads, (out / "judgement.jsonl").read_text().splitlines())}
    missing = sorted(set(answers) - set(judged))
    n = len(answers)
    answered = sum(judged[i]["answered"] for i in answers if i in judged)
    by_kind: dict[str, list[int]] = {}
    for i, a in answers.items():
        by_kind.setdefault(a["kind"], [0, 0])
        by_kind[a["kind"]][0] += bool(judged.get(i, {}).get("answered"))
        by_kind[a["kind"]][1] += 1
    return {"turns": n, "judged": n - len(missing), "answered": answered, "answered_pct": round(100 * answered / n, 1),
            "cited": sum(a["cited"] for a in answers.values()),
            "cited_pct": round(100 * sum(a["cited"] for a in answers.values()) / n, 1),
            "by_kind": {k: f"{a}/{t}" for k, (a, t) in sorted(by_kind.items())}, "unjudged": missing}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", default="questions_v1")
    parser.add_argument("--out", type=Path, default=None, help="default: tests/blind/<set>_results")
    parser.add_argument("--score", action="store_true", help="count the judgement file's verdicts; play nothing")
    args = parser.parse_args()
    out = args.out or HERE / f"{args.set}_results"
    if args.score:
        print(json.dumps(score(out), indent=2))
        return 0
    from trainer.state.home import OFFLINE_ENV

    os.environ.update(OFFLINE_ENV)
    os.environ.setdefault("TUNEWISE_HOME", tempfile.mkdtemp(prefix="tunewise-blind-"))
    play(args.set, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
