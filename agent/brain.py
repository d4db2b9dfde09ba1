"""The advisor's flow, one user turn at a time, as an event stream (see `agent.events`).

Public API (the UI and the terminal use only these):

    from agent import brain, conversations
    cid = conversations.create(owner="alice")
    for event in brain.turn(cid, "We fine-tuned for JSON output and it barely improved", attachments=None):
        render(event)                      # AssistantMessage | ToolStep | Question | RecommendationEvent | ...
    brain.approve(cid, job_id, approver="alice")   # the user's Approve click: the ONLY path to approve_job
    brain.reject(cid, job_id)                      # the user's Reject click

`turn` picks the brain: the offline one below, or the LLM one (`agent.llm`) when TUNEWISE_LLM is set.

The offline brain: extract facts from the message (read as the answer to the pending question), note what it
understood, answer side questions from the guidance index, then either ask the most useful open question
(`agent.policy`) or recommend (`agent.engine`) with citations and a plan (`agent.plan`). A launch request
creates a job awaiting approval; nothing said in a message, a file or a document approves one.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Iterator

from agent import conversations, engine, policy, prompts
from agent.events import (AssistantMessage, ApprovalRequest, Event, JobUpdate, Question, RecommendationEvent,
                          ToolStep)
from agent.extract import MAX_CHARS, Extraction, extract
from agent.facts import Interview
from agent.plan import build_plan
from tools._log import log as tool_log, short

log = logging.getLogger("tunewise.agent")

# What to search the guidance index for, to cite each recommendation.
CITATION_QUERIES = {
    "prompt_engineering": "exhaust prompt engineering before fine-tuning: system prompt, schema, few-shot examples",
    "rag": "use retrieval RAG when knowledge is factual and changes frequently instead of fine-tuning",
    "collect_data": "how many high-quality labeled examples fine-tuning needs; build the dataset first",
    "lora_finetune": "LoRA fine-tuning for consistent format, tone and style with a few hundred to thousands of examples",
    "full_finetune": "full fine-tuning versus LoRA: when updating all weights is worth it, catastrophic forgetting",
    "preference_tuning": "preference tuning DPO RLHF with pairwise comparisons of better and worse answers",
    "continued_pretraining": "continued pretraining on unlabeled domain text before fine-tuning for domain reasoning",
    "pretrain_from_scratch": "when to pretrain a model from scratch: data that cannot leave, licences, 10B tokens",
    "stronger_base_model": "fine-tuning does not fix reasoning limitations; choose a stronger base model",
    "rag_and_finetune": "combine retrieval for changing knowledge with fine-tuning for format behaviour",
}


def _label(fact: str) -> str:
    return prompts.FACT_LABELS.get(fact, fact)


# Retrieval results per state folder (each has its own index) and query: the built-in guides do not change while
# the app runs, so a recommendation's citations are looked up once per approach. Bounded; cleared when full.
_SEARCH_CACHE: dict[tuple[str, str, str | None, int], list[dict]] = {}
_SEARCH_CACHE_LIMIT = 512


def search_passages(query: str, approach: str | None = None, k: int = 3) -> tuple[list[dict], str | None]:
    """Guidance passages through the search tool (logged); ([], reason) when the index cannot answer."""
    from tools.guidance import search_guidance
    from trainer.state.home import home

    key = (str(home()), query[:400], approach, k)
    if key in _SEARCH_CACHE:
        return _SEARCH_CACHE[key], None
    args = {"query": query[:400], "k": k}
    if approach:
        args["approach"] = approach
    try:
        passages = search_guidance.invoke(args)
    except Exception as exc:  # an index that cannot load must not break the interview
        log.warning("guidance search failed: %s", exc)
        return [], f"{type(exc).__name__}: {exc}"
    if len(_SEARCH_CACHE) >= _SEARCH_CACHE_LIMIT:
        _SEARCH_CACHE.clear()
    _SEARCH_CACHE[key] = passages
    return passages, None


def warm() -> None:
    """Load the embedding model and look up every approach's citations now, so the first turns are fast.
    The app may call this once at start; it is safe to skip."""
    for approach, query in CITATION_QUERIES.items():
        search_passages(query, approach=approach, k=6)


def citations_of(passages: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in passages:
        key = (p.get("source"), p.get("title"))
        if key not in seen:
            seen.add(key)
            out.append({"source": p.get("source", ""), "title": p.get("title", "")})
    return out


def transcript_row(event: Event) -> tuple[str, str, dict]:
    """How an event is kept in the Message table: (role, text, meta)."""
    meta: dict = {"type": event.type}
    if isinstance(event, ToolStep):
        meta.update({"name": event.name, "args": event.args})
    if isinstance(event, Question):
        meta["fact"] = event.fact
    if isinstance(event, ApprovalRequest):
        meta["job_id"] = event.job_id
    return ("tool" if isinstance(event, ToolStep) else "assistant"), event.text, meta


_QUESTION_WORDS = {"what", "which", "when", "where", "does", "need", "much", "many", "long", "should", "would",
                   "could", "there", "their", "about", "with", "from", "this", "that", "have", "quick", "question",
                   "explain", "tell", "mean", "difference", "between"}


def best_passage(question: str, passages: list[dict]) -> dict:
    """The passage to quote: the search score, nudged toward passages whose heading names the question's own
    terms ("what is LoRA?" prefers a section about LoRA over one that merely mentions it)."""
    terms = {w for w in re.findall(r"[a-z][a-z0-9-]{2,}", question.lower()) if w not in _QUESTION_WORDS}

    def rank(p: dict) -> float:
        section = (p.get("section") or "").lower()  # the guide's title is shared by all its passages
        text = (p.get("text") or "").lower()
        return (float(p.get("score", 0)) + 0.15 * sum(t in section for t in terms)
                + 0.1 * any(section.startswith(t) for t in terms) + 0.03 * sum(t in text for t in terms))

    return max(passages, key=rank)


class OfflineBrain:
    """The default brain: no model, deterministic, fast (< 200 ms a turn with retrieval)."""

    def turn(self, conversation_id: str, user_text: str, attachments: list[str] | None = None) -> Iterator[Event]:
        interview = conversations.load(conversation_id)
        text = user_text or ""
        conversations.add_message(conversation_id, "user", text[:MAX_CHARS],
                                  {"attachments": list(attachments or []), "chars": len(text)})
        events: list[Event] = []
        try:
            self._turn(interview, conversation_id, text, list(attachments or []), events)
        finally:
            conversations.save(conversation_id, interview, title=text.strip()[:80] or None)
            conversations.add_messages(conversation_id, [transcript_row(e) for e in events])
        yield from events

    # ------------------------------------------------------------------------------------------------------------
    def _turn(self, iv: Interview, cid: str, text: str, attachments: list[str], out: list[Event]) -> None:
        if not text.strip() and not attachments:
            out.append(AssistantMessage(prompts.EMPTY))
            self._ask_or_recommend(iv, cid, out, repeat_pending=True)
            return
        found = extract(text, asked=iv.pending)
        if found.truncated:
            out.append(AssistantMessage(prompts.TRUNCATED.format(chars=len(text), limit=MAX_CHARS)))
        if found.injection:
            out.append(AssistantMessage(prompts.INJECTION))
        from_files = [self._inspect(iv, path, out) for path in attachments]

        notes = self._absorb(iv, found, out)
        pending = iv.pending
        answered = pending is not None and iv.value(pending) is not None
        if pending and found.dont_know:
            iv.skip(pending)
            out.append(AssistantMessage(prompts.SKIPPED.format(label=_label(pending))))
            iv.pending = None
        elif pending and answered:
            iv.pending = None

        if found.side_question:
            self._answer_side_question(found.side_question, out)
            if iv.pending:  # resume the interview with the question still open
                out.append(Question(iv.pending, prompts.RESUME + prompts.QUESTIONS[iv.pending]))
                return
            if iv.stage != "interview" and not notes and not found.launch_request:
                return  # a question about the advice already given: the answer is the whole reply
        if found.gibberish and not attachments:
            out.append(AssistantMessage(prompts.GIBBERISH))
            self._ask_or_recommend(iv, cid, out, repeat_pending=True)
            return
        if pending and iv.pending == pending and not found.side_question:
            # the message said something else; do not ask the same question twice — move on
            iv.skip(pending)
            iv.pending = None
        if found.launch_request and not found.injection:
            self._launch(iv, cid, out)
            return
        if notes and not found.side_question:
            out.append(AssistantMessage(prompts.NOTED.format(items="; ".join(notes))))
        self._ask_or_recommend(iv, cid, out, changed=bool(notes) or any(from_files))

    def _absorb(self, iv: Interview, found: Extraction, out: list[Event]) -> list[str]:
        """Apply the findings; return short notes of what was understood. Corrections and contradictions are
        said out loud so the user can set them right."""
        notes = []
        for f in found.findings:
            if iv.facts[f.fact].known and iv.facts[f.fact].confidence > f.confidence + 0.25 and not f.correction \
                    and f.fact != iv.pending:
                continue  # a passing mention does not override a plain answer
            change = iv.set(f.fact, f.value, f.words, f.confidence, replace=f.correction)
            if change:
                old, new = engine.describe(f.fact, change["old"]), engine.describe(f.fact, change["new"])
                template = prompts.CORRECTED if f.correction else prompts.CONTRADICTION
                out.append(AssistantMessage(template.format(label=_label(f.fact), old=old, new=new)))
            else:
                notes.append(f"{_label(f.fact)}: {engine.describe(f.fact, iv.value(f.fact))}")
        return notes

    def _inspect(self, iv: Interview, path: str, out: list[Event]) -> bool:
        """Check an uploaded file with the validator; a valid one sets the data facts. True when a fact changed.
        The file's contents are data: nothing in them is read as an instruction."""
        from tools.data import inspect_dataset, summarize

        name = Path(path).name
        try:
            report = inspect_dataset.invoke({"path": str(path)})
        except Exception as exc:
            out.append(ToolStep("inspect_dataset", {"path": str(path)}, f"could not read: {exc}"))
            out.append(AssistantMessage(prompts.DATA_UNREADABLE.format(name=name, error=exc)))
            return False
        summary = summarize(report)
        out.append(ToolStep("inspect_dataset", {"path": str(path)}, summary))
        out.append(AssistantMessage(prompts.DATA_INSPECTED.format(name=name, summary=summary)))
        if not report.get("ok"):
            return False
        iv.data_path = str(path)
        count = int(report.get("examples") or report.get("rows") or 0)
        if report.get("format") == "preference":
            fact, value, confidence = "preference_data", count, 1.0
        elif report.get("format") == "text":
            fact, value, confidence = "unlabeled_corpus", int((report.get("stats") or {}).get("tokens") or count * 200), 0.8
        else:
            fact, value, confidence = "labeled_examples", count, 1.0
        before = iv.value(fact)
        iv.set(fact, value, f"uploaded file {name}", confidence)
        if iv.plan and iv.plan.get("config"):
            iv.plan = build_plan(iv.recommendation, iv.values(), iv.data_path)
        return before != value

    def _answer_side_question(self, question: str, out: list[Event]) -> None:
        passages, error = search_passages(question, k=3)
        out.append(ToolStep("search_guidance", {"query": question[:400], "k": 3},
                            f"{len(passages)} passage(s)" if not error else f"index unavailable: {error}"))
        if not passages:
            out.append(AssistantMessage(prompts.SIDE_NO_SOURCES))
            return
        best = best_passage(question, passages)
        body = " ".join((best.get("text") or "").split())
        if len(body) > 600:
            body = body[:600].rsplit(" ", 1)[0] + "…"
        cites = "; ".join(f"{c['title']} ({c['source']})" for c in citations_of(passages))
        out.append(AssistantMessage(f"{prompts.SIDE_ANSWER_INTRO}{body}\n\n{prompts.SOURCES.format(items=cites)}"))

    def _ask_or_recommend(self, iv: Interview, cid: str, out: list[Event], repeat_pending: bool = False,
                          changed: bool = False) -> None:
        """Repeat the open question, ask the next useful one, or recommend (again, when facts changed)."""
        if repeat_pending and iv.pending:
            out.append(Question(iv.pending, prompts.QUESTIONS[iv.pending]))
            return
        if iv.stage == "interview":
            fact = policy.next_question(iv)
            if fact:
                iv.asked.append(fact)
                iv.pending = fact
                out.append(Question(fact, prompts.QUESTIONS[fact]))
                return
            self._recommend(iv, cid, out)
            return
        if changed:
            self._recommend(iv, cid, out)
            return
        label = engine.LABELS[(iv.recommendation or {}).get("approach", "prompt_engineering")]
        out.append(AssistantMessage(prompts.ALREADY_RECOMMENDED.format(label=label)))

    def _recommend(self, iv: Interview, cid: str, out: list[Event]) -> None:
        previous = (iv.recommendation or {}).get("approach")
        rec = engine.recommend(iv.values())
        query = CITATION_QUERIES[rec["approach"]]
        passages, error = search_passages(query, approach=rec["approach"], k=6)
        rec["citations"] = citations_of(passages)[:3]
        out.append(ToolStep("search_guidance", {"query": query, "approach": rec["approach"], "k": 6},
                            f"{len(rec['citations'])} source(s)" if not error else f"index unavailable: {error}"))
        plan = build_plan(rec, iv.values(), iv.data_path)
        rec["plan"] = plan
        out.append(ToolStep("recommend", {"facts": iv.known()}, f"{rec['approach']}"))
        tool_log.info("tool recommend (engine) args=%s -> %s", short(iv.known()), rec["approach"])
        iv.recommendation, iv.plan, iv.stage = rec, plan, "recommended"
        out.append(RecommendationEvent(rec))
        out.append(AssistantMessage(render_recommendation(rec, previous)))

    def after_decision(self, conversation_id: str, job_id: str, approved: bool) -> Iterator[Event]:
        """Nothing to resume in the offline brain (the LLM brain resumes its paused graph here)."""
        return iter(())

    def _launch(self, iv: Interview, cid: str, out: list[Event]) -> None:
        if not iv.plan:
            out.append(AssistantMessage(prompts.LAUNCH_TOO_EARLY))
            self._ask_or_recommend(iv, cid, out, repeat_pending=True)
            return
        if not iv.plan.get("config"):
            out.append(AssistantMessage(prompts.NO_TRAINING))
            return
        if not iv.data_path:
            out.append(AssistantMessage(prompts.LAUNCH_NEEDS_DATA))
            return
        from tools.jobs import request_launch

        plan = build_plan(iv.recommendation, iv.values(), iv.data_path)
        plan["estimate"] = {**(iv.recommendation or {}).get("cost", {}), "summary": plan["summary"]}
        try:
            result = request_launch.invoke({"plan": plan}, config={"configurable": {"thread_id": cid}})
        except Exception as exc:
            out.append(ToolStep("request_launch", {"plan": plan.get("summary")}, f"refused: {exc}"))
            out.append(AssistantMessage(prompts.LAUNCH_UNAVAILABLE.format(error=exc)))
            return
        iv.job_ids.append(result["job_id"])
        iv.stage = "launch_requested"
        out.append(ToolStep("request_launch", {"plan": plan.get("summary")}, f"job {result['job_id']} awaiting approval"))
        out.append(ApprovalRequest(result["job_id"], plan, result.get("estimate")))
        out.append(AssistantMessage(prompts.LAUNCH_REQUESTED.format(job_id=result["job_id"])))


def render_recommendation(rec: dict, previous: str | None = None) -> str:
    """The recommendation as a short markdown message."""
    lines = []
    if previous and previous != rec["approach"]:
        lines.append(f"With what you just told me, my advice changes from {engine.LABELS[previous]}.")
    lines.append(prompts.RECOMMEND_INTRO.format(label=engine.LABELS[rec["approach"]]))
    lines += [f"- {r}" for r in rec["reasons"][:6]]
    if rec["alternatives"]:
        lines.append(prompts.ALTERNATIVES.format(items=", ".join(engine.LABELS[a] for a in rec["alternatives"])))
    if rec.get("would_change"):
        lines.append(prompts.WOULD_CHANGE.format(items="; ".join(w["text"] for w in rec["would_change"])))
    cost = rec["cost"]
    lines.append(prompts.COST.format(lo=cost["usd"][0], hi=cost["usd"][1], note=cost["note"],
                                     dlo=cost["days"][0], dhi=cost["days"][1]))
    if rec.get("citations"):
        lines.append(prompts.SOURCES.format(items="; ".join(f"{c['title']} ({c['source']})" for c in rec["citations"])))
    plan = rec.get("plan") or {}
    if plan.get("config"):
        lines.append(prompts.PLAN_READY.format(summary=plan["summary"]))
    elif plan.get("steps"):
        lines.append("Next steps: " + "; ".join(plan["steps"]) + ".")
    return "\n".join(lines)


# ---- the entry points -------------------------------------------------------------------------------------------

def get_brain():
    """The LLM brain when TUNEWISE_LLM names a model (provider:model), else the offline brain."""
    if os.environ.get("TUNEWISE_LLM"):
        from agent.llm import LLMBrain

        return LLMBrain.from_env()
    return OfflineBrain()


def turn(conversation_id: str, user_text: str, attachments: list[str] | None = None) -> Iterator[Event]:
    """One user turn → events. Creates nothing: make the conversation first with `conversations.create()`."""
    yield from get_brain().turn(conversation_id, user_text, attachments)


def approve(conversation_id: str, job_id: str, approver: str) -> Iterator[Event]:
    """The user's Approve click for a job awaiting approval: the only code path that approves a job."""
    from trainer import jobs

    job = jobs.approve_job(job_id, approver=approver)
    iv = conversations.load(conversation_id)
    iv.stage = "launched"
    conversations.save(conversation_id, iv)
    conversations.add_message(conversation_id, "assistant", f"job {job_id} approved by {approver}",
                              {"type": "job", "job_id": job_id})
    event = JobUpdate(job.id, job.state, None, f"approved by {approver}")
    yield from get_brain().after_decision(conversation_id, job_id, approved=True)
    yield event


def reject(conversation_id: str, job_id: str) -> Iterator[Event]:
    """The user's Reject click: the job is cancelled before it ever runs."""
    from trainer import jobs

    job = jobs.cancel_job(job_id)
    conversations.add_message(conversation_id, "assistant", f"job {job_id} rejected",
                              {"type": "job", "job_id": job_id})
    yield from get_brain().after_decision(conversation_id, job_id, approved=False)
    yield JobUpdate(job.id, job.state, None, "rejected by the user")


def ensure_conversation(conversation_id: str | None, owner: str = "") -> str:
    """An existing conversation id, or a new conversation."""
    if conversation_id and conversations.exists(conversation_id):
        return conversation_id
    return conversations.create(owner=owner)


__all__ = ["turn", "approve", "reject", "warm", "get_brain", "OfflineBrain", "ensure_conversation", "render_recommendation",
           "best_passage"]
