"""The advisor's flow, one user turn at a time, as an event stream (see `agent.events`).

Public API (the UI and the terminal use only these):

    from agent import brain, conversations
    cid = conversations.create(owner="alice")
    for event in brain.turn(cid, "We fine-tuned for JSON output and it barely improved", attachments=None):
        render(event)                      # AssistantMessage | ToolStep | Question | RecommendationEvent | ...
    brain.approve(cid, job_id, approver="alice")   # the user's Approve click: the ONLY path to approve_job
    brain.reject(cid, job_id, by="alice")          # the user's Reject click
    # both change state at once, store their events with the conversation and return them (a list)

`turn` picks the brain: the offline one below, or the LLM one (`agent.llm`) when TUNEWISE_LLM is set.

The offline brain: extract facts from the message (read as the answer to the pending question), note what it
understood, answer side questions from the guidance index, then either ask the most useful open question
(`agent.policy`) or recommend (`agent.engine`) with citations and a plan (`agent.plan`). A launch request
creates a job awaiting approval (replacing the one already waiting: a conversation has at most one); nothing
said in a message, a file or a document approves one, and a typed "I approve" is answered by pointing at the
Approve button. Job milestones and results reach the conversation through `agent.milestones`.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from agent import (answers, conversations, engine, objections, plan_edits, policy, pricing, prompts, significance,
                   verdicts)
from agent.citations import citation_query, citations_of, search_passages, warm
from agent.events import (AssistantMessage, ApprovalRequest, Event, JobUpdate, Question, RecommendationEvent,
                          ToolStep, UserMessage)
from agent.extract import (CONFIRM, HOLD, MAX_CHARS, UNDERSTOOD_LANGUAGES, YES, Extraction, Finding, extract,
                           judges_current_result)
from agent.facts import FACT_KEYS, Fact, Interview
from agent.milestones import milestone_key, replaced_updates
from agent.numbers import human
from agent.text import unquoted
from agent.engine import held_out_count
from agent.plan import build_plan, reapply_edits, revise_plan, watch_outs
from knowledge import faq
from tools._log import log as tool_log, short
from tools.data import inspect_dataset, summarize
from tools.jobs import request_launch
from trainer import jobs
from trainer.state.errors import UserError
from trainer.state.vocabulary import APPROACHES, FACT_LABELS, TAG_FACTS, approach_label
from trainer.state.secrets import RedactSecrets

log = logging.getLogger("tunewise.agent")
log.addFilter(RedactSecrets())  # an LLM client error may quote the key

def _embedder():
    """The bundled sentence embedder, for ranking an answer's sentences (loaded with the index already)."""
    from knowledge.embeddings import embed  # heavy: chromadb on import, the model on first use

    return embed


def _faq_pairs(text: str, intent: answers.Intent) -> list[faq.Pair]:
    """The guides' own answers to a side question and its parts, when close enough (see knowledge.faq). A cost
    turn is answered with the user's own price; only a "what is X, and what would it cost/need?" turn also gets
    the definition. Why-not and choice turns answer from the user's facts, never from a stock answer."""
    if intent.kind == answers.COST and "define" not in answers.asks(text):
        return []
    if intent.kind not in (answers.QUESTION, answers.COST):
        return []
    try:
        return faq.match_all(text)
    except Exception as exc:  # an unreadable guide or a missing model must not break the interview
        log.warning("question-and-answer match failed: %s", exc)
        return []


def _contains(approach: str, part: str | None) -> bool:
    """Is `part` the approach or one half of it ("rag" in RAG + fine-tune)?"""
    return part is not None and (approach == part or part in approach.split("_and_"))


def _label(fact: str) -> str:
    return FACT_LABELS.get(fact, fact)


# A message of this many words or more that answers nothing asked is a remark to be answered, not an answer to
# ask again: short replies ("dunno, the usual", "kinda both") are tries at the question, a sentence or two is not.
COMMENT_MIN_WORDS = 8
# A guide sentence backing an answer made of the user's own figures must be at least this close in meaning to the
# question (bundled embedder, cosine): below it the sentences were from the right guide but about something else
BACKING_SIMILARITY = 0.4
COMMENT_WORDS = re.compile(r"[A-Za-z][\w'-]*")
# Words that make "cost" or "slow" about serving (per request, at inference) rather than about the project's price
SERVING_WORDS = re.compile(r"\bper (?:request|call|query)\b|\bserving\b|\binference\b|\blatency\b|\bms\b", re.I)
# Personal data in the user's description of their data: what a model trained on it could repeat to someone else
_PERSONAL = re.compile(r"\b(?:full|customers?'?|clients?'?|patients?'?|users?'?|people'?s|children'?s|kids'?|students?'?|"
                       r"employees?'?|members?'?|passengers?'?|first|last|family) names?\b|"
                       r"\b(?:home|postal|street|e-?mail|customers?'?|clients?'?|patients?'?) address(?:es)?\b|"
                       r"\baddresses\b(?=,| and\b| or\b)|\bphone numbers?\b|"
                       r"\bbank (?:details|accounts?)\b|\bibans?\b|\bcredit cards?\b|"
                       r"\bdates? of birth\b|\bsocial security\b|\bpassport\b|\bpatients?'? (?:data|records|notes|names)\b|"
                       r"\bmedical records\b|\bhealth data\b|\bchildren'?s (?:data|names|messages)\b|\bpii\b|"
                       r"\bpersonal (?:data|information|details)\b", re.I)


def _personal_data(texts: list[str]) -> list[str]:
    """The kinds of personal data the user said their data holds ("full names, addresses, phone numbers"), in
    their words, each once."""
    found: list[str] = []
    for t in texts:
        for m in _PERSONAL.finditer(unquoted(t or "")):
            word = m.group(0).lower()
            if word not in found:
                found.append(word)
    return found[:5]


# A held value that already says more than a later, vaguer reading of the same fact: (fact, held) → readings it implies
IMPLIED_BY = {("prompting_tried", "meets_target"): ("tried",)}
_FIGURES_QUOTED = re.compile(r"\d[\d,.]*\d|\d")
# A change to a model already tested: the test has to be re-run on what will actually serve
_MODEL_CHANGE = re.compile(r"\bquanti[sz]\w*|\b[48]-?bit\b|\bgguf\b|\bmerg(?:e|ing) (?:the )?adapter|\bdistil\w*", re.I)


def _change_name(word: str) -> str:
    """What a _MODEL_CHANGE match is called in a reply: "4-bit" and "quantise it" are quantisation."""
    w = word.lower()
    return ("quantisation" if w.startswith("quant") or "bit" in w else "conversion to GGUF" if w == "gguf" else
            "merging the adapter" if w.startswith("merg") else "distillation")


def _restated(new_words: str, held_words: str) -> bool:
    """Is a new reading the held one said again with less detail? Its figures are all among the held quote's,
    and the held quote had more ("300 PDFs" against "300 PDFs, ~20 pages each"): the shorter reading guessed
    what the longer one stated."""
    new, held = set(_FIGURES_QUOTED.findall(new_words or "")), set(_FIGURES_QUOTED.findall(held_words or ""))
    return bool(new) and new < held


# Routes that cost more than a LoRA fine-tune: their price is shown beside LoRA's on the same facts
HEAVIER_THAN_LORA = ("full_finetune", "continued_pretraining", "preference_tuning")
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

    _said: "list[str] | tuple[str, ...]" = ()  # the user's earlier messages in this conversation (set per answer)

    def turn(self, conversation_id: str, user_text: str, attachments: list[str] | None = None) -> Iterator[Event]:
        interview = conversations.load(conversation_id)
        text = user_text or ""
        conversations.append(conversation_id, [UserMessage(text[:MAX_CHARS], list(attachments or []))])
        events: list[Event] = []
        try:
            self._turn(interview, conversation_id, text, list(attachments or []), events)
        finally:
            conversations.save(conversation_id, interview, title=text.strip()[:80] or None)
            conversations.append(conversation_id, events)
        yield from events

    # ------------------------------------------------------------------------------------------------------------
    def _turn(self, iv: Interview, cid: str, text: str, attachments: list[str], out: list[Event]) -> None:
        if not text.strip() and not attachments:
            out.append(AssistantMessage(prompts.EMPTY))
            self._ask_or_recommend(iv, cid, out, repeat_pending=True)
            return
        confirming = iv.confirming
        found = extract(text, asked=confirming or iv.pending)
        edits = plan_edits.find_edits(text) if (iv.plan or {}).get("config") and not found.injection else []
        if edits:  # "at most 500 examples" changes the plan, not what the user has
            found.findings = [f for f in found.findings if not any(f.words in e.words or e.words in f.words
                                                                   for e in edits)]
        if iv.value("prompting_tried") == "tried" and not found.injection and judges_current_result(text) and \
                not any(f.fact == "prompting_tried" for f in found.findings):
            # the prompt the user reported tried, now judged good enough: it meets the target
            found.findings.append(Finding("prompting_tried", "meets_target", text.strip()[:200], 0.7))
        held = [f for f in found.findings if f.confidence >= HOLD]
        if found.foreign and not held and not attachments:
            # never a silent misread: say which language is understood, and ask the same question again
            out.append(AssistantMessage(prompts.FOREIGN.format(language=found.foreign,
                                                               languages=", ".join(UNDERSTOOD_LANGUAGES))))
            self._ask_again_or_move_on(iv, cid, out)
            return
        if found.truncated:
            out.append(AssistantMessage(prompts.TRUNCATED.format(chars=len(text), limit=MAX_CHARS)))
        if found.injection:
            out.append(AssistantMessage(prompts.INJECTION))
        if found.noise:
            out.append(AssistantMessage(prompts.PASTE_NOTED))
        from_files = [self._inspect(iv, path, out) for path in attachments]

        for approach in answers.mentioned(unquoted(text)):
            if approach not in iv.named:
                iv.named.append(approach)  # what the user raises is evidence for the question policy's priors
        intent = answers.classify(text) if not found.injection else None
        if intent is not None and intent.kind == answers.CHOOSE and iv.recommendation is None and (
                not iv.asked or (iv.pending and not answers.decides(text) and not intent.rejected and found.findings)):
            # Before any advice, an opening that says what the team wants is the situation, and an answer that
            # mentions a price or a dislike ("few-shot was 71% and too expensive") is an answer to the question
            # asked: only an explicit decision ("just train it", "let's do LoRA") or a route refused by name ("not
            # LoRA", "we don't want RAG", "continued pretraining? too expensive") is the user choosing. A message that
            # answers nothing at all is no answer either: asking it again ("I didn't catch that") would ignore it.
            intent = None
        if intent is not None and intent.kind in (answers.COST, answers.CHOOSE) and not SERVING_WORDS.search(text):
            # "how much would it cost?", "too expensive": the project's price, not a complaint about serving cost
            for f in found.findings:
                if f.fact in ("problem", "inference_constraints") and isinstance(f.value, list):
                    f.value = [v for v in f.value if v not in ("cost", "latency")]
            found.findings = [f for f in found.findings if not (isinstance(f.value, list) and not f.value)]
        if intent is not None and intent.kind != answers.CHOOSE and any(f.fact == "problem" for f in found.findings):
            self._problem_outside_requests(text, found, confirming or iv.pending)
        if edits and intent is not None and intent.kind == answers.CHOOSE and intent.target is None and not intent.rejected:
            intent = None  # settings for the plan already made ("use 3 epochs"): a revision of it, and of a waiting job
        if edits and intent is not None and intent.kind == answers.QUESTION:
            intent = None  # "at most 500 examples please": a request, and the request is the plan change itself
        if intent is not None and intent.kind != answers.CHOOSE:
            # a question mentions what it asks about ("will this fit on the one A100?"): it restates nothing, so it
            # never changes a fact already held; only a correction does ("sorry, it's two A100s")
            found.findings = [f for f in found.findings if f.correction or f.fact in TAG_FACTS
                              or not iv.facts[f.fact].known or iv.value(f.fact) == f.value]
        forgotten = list(found.retracts)
        if found.wrong and not held:
            forgotten += [f for f in iv.last_noted if f not in forgotten]  # "that's wrong": what I just noted
        for fact in forgotten:
            iv.forget(fact)
        if forgotten:
            out.append(AssistantMessage(prompts.FORGOTTEN.format(items=", ".join(_label(f) for f in forgotten))))

        if confirming:
            self._settle_read_back(iv, confirming, found)
        held_before = dict(iv.values())
        notes = self._absorb(iv, found, out)
        # "8B won't fit. We go with a ~1B model. Offline is non negotiable": only facts already held, said again — a
        # remark about the plan, not news for the interview
        restated_only = bool(notes) and iv.values() == held_before and not forgotten
        if iv.confirming and any(isinstance(e, Question) for e in out):
            return  # an upload disagrees with a stated count: that question stands alone this turn
        if confirming and iv.pending and iv.value(iv.pending) is None and not found.dont_know:
            # the message answered the read-back or upload question; the interview question is still open
            if notes:
                out.append(AssistantMessage(prompts.NOTED.format(items="; ".join(notes))))
            self._ask_or_recommend(iv, cid, out, repeat_pending=True)
            return
        pending = iv.pending
        answered = pending is not None and iv.value(pending) is not None
        if found.dont_know and intent is not None and intent.kind != answers.CHOOSE and len(text.split()) > 12:
            found.dont_know = False  # "… honestly I don't know if we're talking 5k or 500k": part of a question asked
        if pending and (found.dont_know or pending in forgotten):
            iv.skip(pending)
            out.append(AssistantMessage(prompts.SKIPPED.format(label=_label(pending))))
            iv.pending = None
        elif pending and answered:
            iv.pending = None

        waiting = pending_job(cid) if found.approval else None
        if waiting:
            out.append(AssistantMessage(prompts.TYPED_APPROVAL.format(job_id=waiting)))
            return  # never an approval and never a second job: the buttons under this reply approve or reject
        if intent is None and found.side_question:
            intent = answers.Intent(answers.QUESTION)
        # (a question asked about a fact held vaguely, "task", counts as answered whatever comes back: a remark
        # left its value as it was)
        unanswered = pending and (iv.pending == pending or restated_only or iv.value(pending) == held_before.get(pending))
        if intent is None and (unanswered or iv.stage != "interview") and \
                (not notes or restated_only) and \
                not forgotten and not found.gibberish and not attachments and not found.launch_request and \
                not edits and len(COMMENT_WORDS.findall(text)) >= COMMENT_MIN_WORDS:
            # a full sentence that answers nothing asked ("We are too small for a separate test set; we'll report
            # the validation score") is the user speaking to the advice: it gets a reply, then the question again —
            # "I didn't catch that" would ignore what they said
            intent = answers.Intent(answers.QUESTION)
            notes = []  # what it restated is held already; "Noted" would be all the reply said about it
        if intent is not None and not (found.launch_request and intent.kind == answers.CHOOSE and
                                       iv.plan and iv.plan.get("config") and intent.target is None):
            if notes and iv.stage != "interview":
                self._recommend(iv, cid, out)  # the new facts first, so the answer speaks to the new advice
                notes = []
            self._answer(iv, cid, text, intent, out)
            if found.launch_request and intent.kind == answers.CHOOSE and iv.plan and iv.plan.get("config"):
                self._launch(iv, cid, out)
                return
            if iv.pending and intent.kind == answers.CHOOSE:
                return  # the user decided: the plan is the reply, not a question about the route they just ruled out
            if iv.pending:  # resume the interview with the question still open: once, then it moves on
                self._ask_again_or_move_on(iv, cid, out, lead=prompts.RESUME)
                return
            if iv.stage != "interview" or intent.kind == answers.CHOOSE:
                return  # a question about the advice already given: the answer is the whole reply
        if found.gibberish and not attachments and not forgotten:
            out.append(AssistantMessage(prompts.GIBBERISH))
            self._ask_again_or_move_on(iv, cid, out)
            return
        if pending and iv.pending == pending and intent is None:
            # the answer was not understood: ask once more, with quick answers, before moving on without it
            if pending not in iv.retried and not notes and not forgotten and self._questions_left(iv) > 0:
                iv.retried.append(pending)
                out.append(Question(pending, prompts.RETRY.format(question=prompts.QUESTIONS[pending]),
                                    prompts.OPTIONS.get(pending, []) + [prompts.DONT_KNOW_OPTION]))
                return
            iv.skip(pending)
            iv.pending = None
        if edits:
            self._revise(iv, cid, edits, out, launch=found.launch_request)
            return
        if found.launch_request and not found.injection:
            self._launch(iv, cid, out)
            return
        if notes and not found.side_question:
            out.append(AssistantMessage(prompts.NOTED.format(items="; ".join(notes))))
        self._ask_or_recommend(iv, cid, out, changed=bool(notes) or any(from_files) or bool(forgotten))

    @staticmethod
    def _problem_outside_requests(text: str, found: Extraction, asked: str | None) -> None:
        """What the user asks for is no failure they report: "do the math pls" names no reasoning gap, "explain the
        format" no format gap. The problem is read again from the sentences that do not ask, and keeps only what
        they say."""
        said = " ".join(text[:answers.CLASSIFY_CHARS].split())
        told = said
        for sentence in answers.requests(said):
            told = told.replace(sentence, " ")
        kept = {tag for f in (extract(told, asked=asked).findings if told.strip() else [])
                if f.fact == "problem" for tag in f.value}
        for f in found.findings:
            if f.fact == "problem":
                f.value = [v for v in f.value if v in kept]
        found.findings = [f for f in found.findings if not (f.fact == "problem" and not f.value)]

    def _ask_again_or_move_on(self, iv: Interview, cid: str, out: list[Event], lead: str = "") -> None:
        """The open question was not answered: the answer could not be read at all (no words, or a language the
        reader does not understand), or it was a question back (answered, then `lead` before the question). It is
        asked once more, like any unread answer; a second time, or with the questions used up, the interview moves
        on without it, so an interview never circles on one question."""
        pending = iv.pending
        if pending and (pending in iv.retried or self._questions_left(iv) <= 0):
            iv.skip(pending)
            iv.pending = None
            self._ask_or_recommend(iv, cid, out)
            return
        if pending:
            iv.retried.append(pending)
        if pending and lead:
            out.append(Question(pending, lead + prompts.QUESTIONS[pending], prompts.OPTIONS.get(pending, [])))
            return
        self._ask_or_recommend(iv, cid, out, repeat_pending=True)

    def _settle_read_back(self, iv: Interview, fact: str, found: Extraction) -> None:
        """The user's answer to "I understood X — right?": a value said now wins; yes keeps the tentative value;
        no, "I don't know" or anything else drops it (an unsure reading never decides by default)."""
        iv.confirming = None
        guess = iv.tentative.pop(fact, None)
        if any(f.fact == fact and f.confidence >= HOLD for f in found.findings):
            return  # the answer states the value itself; _absorb sets it
        restated = next((f for f in found.findings if f.fact == fact), None)
        if restated is not None and not found.dont_know:
            # asked "did I get that right?", the user says the amount again ("about five million, yes"): an
            # answer to this very question, however hedged, is theirs to give — held, just above the line
            iv.set(fact, restated.value, restated.words, HOLD)
            return
        if guess is not None and YES.search(found.text) and not found.dont_know:
            iv.set(fact, guess["value"], guess["words"], 0.95)

    def _absorb(self, iv: Interview, found: Extraction, out: list[Event]) -> list[str]:
        """Apply the findings; return short notes of what was understood. Corrections and contradictions are
        said out loud so the user can set them right. A finding too unsure to hold waits for a read-back."""
        notes, noted = [], []
        for f in found.findings:
            if f.confidence < HOLD:
                if not iv.facts[f.fact].known and f.fact not in iv.confirmed:
                    iv.tentative[f.fact] = {"value": f.value, "words": " ".join(f.words.split())[:160],
                                            "confidence": f.confidence}
                continue
            adds_tags = f.fact in TAG_FACTS and isinstance(f.value, list) and not set(f.value) <= set(iv.value(f.fact) or [])
            if iv.facts[f.fact].known and iv.facts[f.fact].confidence > f.confidence + 0.25 and not f.correction \
                    and f.fact != iv.pending and not adds_tags:
                continue  # a passing mention does not override a plain answer (it may add to a list of tags)
            held = iv.value(f.fact)
            if not f.correction and isinstance(held, str) and f.value in IMPLIED_BY.get((f.fact, held), ()):
                continue  # "we tried prompts" after "our prompt already reaches 94%": said again, not changed
            if not f.correction and isinstance(f.value, (int, float)) and iv.facts[f.fact].known and \
                    _restated(f.words, iv.facts[f.fact].words):
                continue  # "our 300 PDFs" after "300 PDFs, ~20 pages each": the same figure, said with less detail
            refines = not f.correction and isinstance(held, str) and held in IMPLIED_BY.get((f.fact, f.value), ())
            iv.tentative.pop(f.fact, None)
            noted.append(f.fact)
            change = iv.set(f.fact, f.value, f.words, f.confidence, replace=f.correction)
            if change and not refines:
                old, new = engine.describe(f.fact, change["old"]), engine.describe(f.fact, change["new"])
                template = prompts.CORRECTED if f.correction else prompts.CONTRADICTION
                out.append(AssistantMessage(template.format(label=_label(f.fact), old=old, new=new)))
            else:
                notes.append(f"{_label(f.fact)}: {engine.describe(f.fact, iv.value(f.fact))}")
        iv.last_noted = noted
        return notes

    def _inspect(self, iv: Interview, path: str, out: list[Event]) -> bool:
        """Check an uploaded file with the validator; a valid one sets the data facts. True when a fact changed.
        The file's contents are data: nothing in them is read as an instruction. A file never replaces a count
        the user stated: a sample of 120 rows against "we have 2,000" is asked about, not silently taken."""
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
        before = iv.facts[fact]
        if before.known and before.value != value and not before.words.startswith("uploaded file"):
            iv.tentative[fact] = {"value": value, "words": f"uploaded file {name}", "confidence": confidence}
            iv.confirming = fact
            stated = engine.describe(fact, before.value)
            out.append(Question(fact, prompts.UPLOAD_DISAGREES.format(name=name, count=human(value), stated=stated),
                                [f"{stated} (what I said)", f"{human(value)} (the file)"]))
            return False
        iv.set(fact, value, f"uploaded file {name}", confidence)
        if iv.plan and iv.plan.get("config"):
            iv.plan = reapply_edits(build_plan(iv.recommendation, iv.values(), iv.data_path), iv.plan)
        return before.value != value

    # ---- answers: why not X, what it costs, the user's own choice, any other question -----------------------
    def _advice(self, iv: Interview) -> dict:
        """The advice the answer speaks to: the recommendation given, or, mid-interview, the engine's view of the
        facts known so far."""
        return iv.recommendation or engine.recommend(iv.values())

    def _user_texts(self, cid: str, text: str) -> list[str]:
        said = [e.text for e in conversations.events(cid) if isinstance(e, UserMessage)]
        return said if said and said[-1] == text[:MAX_CHARS] else said + [text]

    def _passages(self, query: str, out: list[Event], k: int = 4) -> list[dict]:
        passages, error = search_passages(query, k=k)
        out.append(ToolStep("search_guidance", {"query": query[:400], "k": k},
                            f"{len(passages)} passage(s)" if not error else f"index unavailable: {error}"))
        return passages

    def _answer(self, iv: Interview, cid: str, text: str, intent: answers.Intent, out: list[Event]) -> None:
        """A direct answer of a few sentences, each cited, with "read more" disclosures; see agent.answers.

        A why-not, cost or choice turn leads with the user's own figures (the verdicts, the price, the plan) and
        the guides back it with two sentences; a general question is answered from the guides first, then, when
        it is a choice between routes, with the verdict for the user's case."""
        advice = self._advice(iv)
        facts = iv.values()
        said = self._user_texts(cid, text)
        self._said = said[:-1]
        specs = pricing.read_specs(said)
        lead: list[str] = []
        after: list[str] = []
        focus = ""
        pairs = _faq_pairs(text, intent)
        if intent.kind == answers.WHY_NOT and intent.target:
            lead.append(verdicts.why_not(intent.target, facts, advice["approach"], specs.params_b))
            # the guides back the verdict's own argument, not merely the approach's name
            entry = next(v for v in verdicts.verdicts(facts, advice["approach"], specs.params_b)
                         if v["approach"] == intent.target)
            focus = f"{approach_label(intent.target)}: {entry['reason']}"
        elif intent.kind == answers.COST:
            priced, title = self._price_text(text, intent, advice, facts, specs)
            lead.append(priced)
            focus = f"{title} cost and time"
            if "how_many" in answers.asks(text) and title == "labelling":
                # "… and is 4 000 calls the right number?": both halves answered, the count with its own figure
                count = pricing.item_count(text) or specs.to_label or facts.get("labeled_examples")
                verdict = ("More than you need to start" if count and count > 2_000 else
                           "Within the usual range" if count and count >= 500 else "Probably too few in the end")
                lead.append(prompts.HOW_MANY_TO_LABEL.format(count=human(count) if count else "that many",
                                                             verdict=verdict))
                focus = "how many examples are enough"
        elif intent.kind == answers.CHOOSE:
            if compared := significance.compare(self._said, text):
                lead.append(compared)  # "3 points better, ship it": whether the gain is real comes before the plan
            lead.append(self._choose(iv, intent, advice, facts, specs, text))
            if iv.plan and iv.plan.get("approach"):  # the guides back the caveat given with the chosen plan
                focus = f"{approach_label(iv.plan['approach'])}: {iv.plan.get('caveat') or ''}".rstrip(": ")
        elif compared := significance.compare(self._said, text):
            lead.append(compared)  # "so the fine-tune wins by 3 points?": the user's own scores against the noise
            focus = "test set size and the noise in a score"
        else:
            if intent.target and "define" in answers.asks(text) and not pairs:
                # "what is LoRA?": the vocabulary's one-clause meaning first; the guides then add what it implies
                label = approach_label(intent.target)
                lead.append(f"**{label[0].upper() + label[1:]}**: {APPROACHES[intent.target].meaning}.")
            after += self._for_you(text, intent, advice, facts, short=bool(pairs))
            # the passages are searched by the question's own words: a route it mentions is in them already, and
            # its label pulled "could the model leak one kid's info?" towards LoRA passages
        general = intent.kind == answers.QUESTION  # answered from the guides, not from the user's figures
        if general and self._said and answers.refers_back(text):
            # "is that allowed and is it a good idea at all?": what "that" is was said before; the search and the
            # choice of sentences read the question with the user's previous message
            focus = " ".join(self._said[-1].split())[:300]
        query = (" ".join(text.split()) + (f" ({focus})" if focus else ""))[:400]
        passages = self._passages(query, out, k=6 if general else 4)
        numbering: dict[int, int] = {}
        if pairs:
            # the guides' own answers, each cited to its guide; "read more" opens that guide's section closest to
            # the question (or the answer itself, when the search found nothing of that guide)
            answered = []
            for pair in pairs:
                same = [i for i, p in enumerate(passages) if p.get("source") == pair.guide]
                if not same:
                    passages = passages + [{"source": pair.guide, "title": pair.title, "section": pair.question,
                                            "text": pair.answer}]
                    same = [len(passages) - 1]
                answered.append(answers.cited([(pair.answer, same[0])], numbering))
            parts = lead + answered + after
            parts.append(answers.read_more(passages, numbering))
            out.append(AssistantMessage("\n\n".join(parts)))
            return
        picked = answers.select(text, passages, _embedder(), k=3 if general else 2, focus=focus,
                                min_similarity=0.0 if general else BACKING_SIMILARITY)
        parts = list(lead)
        if picked:
            parts.append((prompts.FROM_GUIDES if lead and not general else "") + answers.cited(picked, numbering))
        elif not lead:
            parts.append(prompts.SIDE_NO_SOURCES)
        parts += after
        if numbering:
            parts.append(answers.read_more(passages, numbering))
        out.append(AssistantMessage("\n\n".join(parts)))

    def _for_you(self, text: str, intent: answers.Intent, advice: dict, facts: dict, short: bool = False) -> list[str]:
        """For a general question: the verdict of the approach it names, with the user's figures, if any. `short`:
        the guides already answered the question, so only the verdict's sentence about the user's own figures
        follows (not what the approach is, nor what else is advised)."""
        if re.match(r"\s*(?:sorry,?\s*)?(?:what(?:'s| is| are)|explain|define)\b", text, re.I):
            return []  # a definition: the guides answer it; the verdict would be noise
        if re.search(r"\bhow many (?:examples|samples|pairs)\b|\benough (?:data|examples)\b", text, re.I) \
                and facts.get("labeled_examples") is not None:
            return [prompts.FOR_YOU + self._verdict("lora_finetune", facts, advice, short)]
        if not re.search(r"\b(?:should|better|worth|right for|instead|or)\b", text, re.I) or \
                re.match(r"\s*how (?:do|can|should) (?:i|we)\b", text, re.I) or \
                short and re.match(r"\s*(?:can|could|is|are|do|does)\b", text, re.I):
            return []  # a how-to or a yes/no about a method: the guides answer it; a verdict is for a choice
        if intent.target and intent.target != advice["approach"]:
            return [prompts.FOR_YOU + self._verdict(intent.target, facts, advice, short)]
        return []

    @staticmethod
    def _verdict(approach: str, facts: dict, advice: dict, short: bool) -> str:
        if not short:
            return verdicts.why_not(approach, facts, advice["approach"])
        entry = next(v for v in verdicts.verdicts(facts, advice["approach"]) if v["approach"] == approach)
        label = approach_label(approach)
        text = f"{label[0].upper() + label[1:]}: {entry['reason'].rstrip('.')}."
        if entry["condition"]:
            text += f" It would fit {entry['condition'].rstrip('.')}."
        return text

    def _price_text(self, text: str, intent: answers.Intent, advice: dict, facts: dict,
                    specs: pricing.Specs) -> tuple[str, str]:
        """"How much would it cost?" answered with the user's own figure; also what was priced (its title)."""
        low = text.lower()
        monthly = re.search(r"\bper month\b|\bmonthly\b|/\s?mo(?:nth)?\b", low)  # not "we can spend a month on it"
        hosting = re.search(r"\bhost\w*|\bserv(?:e|ing)\b|\binference\b", low)
        # the user's API prices beside a GPU's hourly price: the monthly comparison they mean is API against hosting
        both_priced = specs.api_usd_per_m_in is not None and specs.usd_per_gpu_hour is not None
        if (hosting or monthly) and not intent.target and (hosting or both_priced or APPROACHES[advice["approach"]].trains):
            # hosting a tuned model: asked about, or the monthly bill of an advice that trains one
            estimate = pricing.serving(facts, specs)
        elif re.search(r"\blabel\w*|\bannotat\w*", low):
            # "label 5,000 more": those 5,000; "is 4 000 calls the right number?": the 4,000 asked about
            asked_count = specs.to_label or pricing.item_count(text)
            count = asked_count or facts.get("labeled_examples") or 1_000
            estimate = pricing.Estimate("labelling", summary="", labour=pricing.labour(count, specs))
            if not (asked_count or facts.get("labeled_examples")):
                estimate.assumptions.append("1,000 examples to label (say how many you mean)")
            if not specs.label_minutes:
                estimate.assumptions.append(f"{pricing.LABEL_MINUTES[0]}–{pricing.LABEL_MINUTES[1]} minutes per example")
            if not specs.label_rate:
                estimate.assumptions.append(f"${pricing.LABEL_RATE_USD_H}/h for an expert")
        else:
            approach = intent.target or self._named_earlier(specs) or advice["approach"]
            indexing = not intent.target and re.search(r"\bindex(?:ing|ed)?\b|\bembed(?:ding)?s?\b|"
                                                       r"\bvector (?:db|database|store)", low)
            if indexing:
                approach = "rag"  # "what does indexing cost once and per month to run?" prices retrieval
            if re.search(r"\bcheapest\b", low):
                approach = "prompt_engineering"
            elif not indexing and not APPROACHES[approach].trains and re.search(r"\btrain(?:ing|ed)?\b|\brun\b", low):
                # "what would the training cost?" while the advice trains nothing: the training route it names next
                approach = next((a for a in advice["alternatives"] if APPROACHES[a].trains), "lora_finetune")
            methods = pricing.methods_named(text)
            if len(methods) < 2 and re.search(r"\bboth\b|\beach\b|\beither\b|\boptions\b|\bwhich\b", low):
                # "memory + time for both options" after "is full fine-tuning an option or only LoRA?"
                methods = list(dict.fromkeys(methods + [m for t in reversed(self._said) for m in pricing.methods_named(t)]))
            if len(methods) >= 2 and not indexing:
                approach = "full_finetune" if methods[0] == "full" else "lora_finetune"
                specs = replace(specs, method=methods[0])
            estimate = pricing.price(approach, facts, specs)
            if len(methods) >= 2 and not indexing:
                for other in methods[1:]:  # each method named, priced on the same facts and the same card
                    alt = pricing.price("full_finetune" if other == "full" else "lora_finetune", facts,
                                        replace(specs, method=other))
                    memory = next((ln for ln in alt.lines if ln.startswith("memory:")), "")
                    estimate.lines.append(f"{alt.title}: {alt.summary}" + (f" — {memory}" if memory else ""))
            elif approach in ("prompt_engineering", "rag", "stronger_base_model") and (
                    re.search(r"\bcheapest\b", low) or answers.MEANS_ASKED.search(low)):
                # "what can we actually do with $500?": the cheap route first, then the training step it leads to,
                # each set against the user's budget and calendar
                tune = pricing.price("lora_finetune", facts, specs)
                estimate.lines.append(f"if prompting falls short, a LoRA fine-tune: {tune.summary}")
                estimate.lines += pricing.against_means(tune, facts)
            elif approach in HEAVIER_THAN_LORA and (approach == "full_finetune" or facts.get("labeled_examples")):
                # (preference pairs or raw text alone are no examples for a LoRA fine-tune to be priced on)
                # the cheaper neighbour, priced on the same facts, so the user sees what the extra buys
                tune = pricing.price("lora_finetune", facts, replace(specs, method=None, gpu=None, gpu_count=None))
                estimate.lines.append(f"for comparison, a LoRA fine-tune on the same examples: {tune.summary}")
        if estimate.hours and hosting:
            # "what's the bill for training? and does serving it change the picture": both halves answered
            estimate.lines.append(f"serving it afterwards: {pricing.serving(facts, specs).summary}, always on "
                                  "(merging the adapter and quantising to 4 bits fits a smaller card)")
        estimate.lines += pricing.against_means(estimate, facts)
        return pricing.render(estimate) + ("\n\n" + prompts.PRICE_SCOPE if estimate.hours else ""), estimate.title

    def _named_earlier(self, specs: pricing.Specs) -> str | None:
        """The approach the user's earlier messages named ("QLoRA on a 3B model", "continued pretraining of a 7B
        model"), for a cost question that names none."""
        for said in reversed(self._said):  # the route the user said they want ("now we want DPO") comes first
            decided = answers.stance(said)
            if decided and decided.target:
                return decided.target
        by_method = {"qlora": "lora_finetune", "lora": "lora_finetune", "full": "full_finetune",
                     "dpo": "preference_tuning"}.get(specs.method or "")
        named = [a for t in self._said for a in answers.mentioned(t)]
        # a route named in passing ("each side ~350 tokens incl. the prompt") yields to the method the user priced
        return by_method or (named[-1] if named else None)

    def _choose(self, iv: Interview, intent: answers.Intent, advice: dict, facts: dict, specs: pricing.Specs,
                text: str) -> str:
        """The user decides: the plan for the approach they chose, with the advisor's caveat recorded."""
        said = " ".join(text[:answers.CLASSIFY_CHARS].split())  # the patterns read the message as classify() does
        if intent.target is None and intent.rejected is None and answers.SKIPS_EVALUATION.search(said):
            if not answers.SKIPS_SPLIT.search(said):
                if answers.LIVE_EVALUATION.search(said):
                    return prompts.SKIP_OFFLINE_EVALUATION  # "our A/B tests are the real evaluation"
                if changed := _MODEL_CHANGE.search(" ".join(self._said + [said])):
                    # "quantise it and deploy, don't bother re-running the test": the check is of the change itself
                    size = significance.test_size(self._said + [said])
                    return prompts.SKIP_RETEST.format(change=_change_name(changed.group(0)),
                                                      tests=f"your {human(size)} test cases" if size else "your test set")
                return prompts.SKIP_EVALUATION  # "no time for evaluation, just ship it"
            count = facts.get("labeled_examples") or 0  # "no test split, every example goes into training"
            held = held_out_count(count) if count else 0
            return prompts.SKIP_SPLIT.format(held=human(held) if count else "a tenth",
                                             count=human(count) if count else "examples")
        table = verdicts.verdicts(facts, advice["approach"])
        by_id = {v["approach"]: v for v in table}
        chosen = intent.target
        settings = plan_edits.find_edits(said)  # "set rank 256, lr 1e-3, 10 epochs. don't argue"
        if chosen is None and settings:
            chosen = self._configured_route(iv, settings)
        if chosen is None or chosen == intent.rejected:
            # "we don't want X": the best remaining route that fits — the advice's own alternatives first, then the
            # vocabulary's order — and never one that contains the refused route (RAG inside RAG + fine-tune)
            # (the advice itself first, when it does not contain the refused route: "drop the RAG part" of a plan
            # that never needed it leaves the advice standing)
            order = list(dict.fromkeys([advice["approach"]] + advice["alternatives"] + [v["approach"] for v in table]))
            fitting = [a for a in order if by_id[a]["verdict"] in (verdicts.RECOMMENDED, verdicts.FITS)
                       and not _contains(a, intent.rejected)]
            chosen = fitting[0] if fitting else next((a for a in advice["alternatives"] if a != intent.rejected),
                                                     advice["approach"])
        entry = by_id[chosen]
        label = approach_label(chosen)
        fits = (verdicts.RECOMMENDED, verdicts.FITS)
        lines = []
        kind = objections.objection(text)
        if kind:
            # the user's reason, named, and what answers it for the route they refuse (or the one they chose)
            refused = intent.rejected or (advice["approach"] if advice["approach"] != chosen else None)
            lines.append(objections.NAMED[kind].format(what=approach_label(refused or chosen)))
            gap = "behaviour" if set(facts.get("problem") or []) & verdicts.BEHAVIOUR_TAGS else None
            key = {objections.EVIDENCE: gap, objections.TREND: chosen}.get(kind, refused)
            reply = objections.ANSWERS.get((kind, key)) or (
                objections.ANSWERS.get((kind, None)) if kind in (objections.PRIVACY, objections.DISTRUST,
                                                                 objections.QUANTITY) else None)
            if reply:
                lines.append(reply)
        answered_refusal = bool(kind) and (kind, intent.rejected) in objections.ANSWERS
        if intent.rejected and intent.rejected != chosen and answered_refusal:
            lines.append(prompts.REJECTED.format(rejected=approach_label(intent.rejected)))  # its cost said above
        elif intent.rejected and intent.rejected != chosen and by_id[intent.rejected]["verdict"] == verdicts.NO:
            # the refused route does not fit this case anyway: the user is right, and says so first
            why = by_id[intent.rejected]["reason"].rstrip(".")
            lines.append(prompts.REJECTED_RIGHTLY.format(rejected=approach_label(intent.rejected), why=why))
        elif intent.rejected and intent.rejected != chosen:
            dropped = by_id[intent.rejected]
            # what the refused route would have bought, unless it did not fit this case anyway
            gives_up = dropped["reason"] if dropped["verdict"] != verdicts.NO else ""
            lines.append(prompts.REJECTED.format(rejected=approach_label(intent.rejected)) +
                         (prompts.GIVES_UP.format(what=gives_up[0].upper() + gives_up[1:].rstrip(".")) if gives_up else ""))
        caveat = "" if entry["verdict"] in fits else entry["reason"].rstrip(".")
        if chosen == advice["approach"]:
            lines.append(prompts.CHOSE_ADVICE.format(label=label))
        else:
            lines.append(prompts.YOUR_CALL.format(label=label))
            advised = by_id[advice["approach"]]
            if advice["approach"] == "prompt_engineering":
                # the advice was a measured prompt first: the caveat is the baseline it gives, not its whole case
                # (once: the route's own caveat may already be that no best prompt was measured)
                if "best prompt" not in caveat:
                    caveat = "; ".join(c for c in (caveat, prompts.BASELINE_CAVEAT) if c)
            elif advice["approach"] != intent.rejected:
                caveat = "; ".join(c for c in (caveat, prompts.WHY_ADVISED.format(
                    label=approach_label(advice["approach"]), why=advised["reason"].rstrip("."))) if c)
        personal = _personal_data([*self._said, text]) if APPROACHES[chosen].trains else []
        if personal:  # whatever route was chosen, training on people's data is a risk of its own, said every time
            caveat = "; ".join(c for c in (caveat, prompts.PERSONAL_DATA.format(what=", ".join(personal))) if c)
        if caveat:
            lines.append(prompts.CAVEAT.format(caveat=caveat[0].upper() + caveat[1:]))
        if (entry["verdict"] not in fits and entry["fact"] == "labeled_examples" and facts.get("labeled_examples")) or (
                intent.rejected == "collect_data" and facts.get("labeled_examples")):
            lines.append(prompts.MORE_DATA_CHEAPLY)  # the set grows from real use, with no labelling drive
        plan = build_plan({"approach": chosen}, facts, iv.data_path)
        if iv.plan and iv.plan.get("approach") == chosen:
            plan = reapply_edits(plan, iv.plan)  # the settings already asked for stay
        settings_lines = []
        if settings and plan.get("config"):
            plan, changes = revise_plan(plan, settings)
            if changes:
                settings_lines.append(prompts.SETTINGS_TAKEN.format(changes="; ".join(changes)))
            watch = watch_outs(plan["config"], facts.get("labeled_examples"))
            if watch:
                settings_lines.append(prompts.SETTINGS_WATCH.format(items="; ".join(watch)))
        plan["chosen_by_user"] = chosen != advice["approach"]
        plan["advised"] = advice["approach"]
        plan["caveat"] = caveat
        estimate = pricing.price(chosen, facts, specs)
        plan["cost"] = estimate.as_dict()
        iv.plan = plan
        if iv.recommendation is None:
            iv.recommendation = advice
        if iv.stage == "interview":
            iv.stage = "recommended"
        steps = "; ".join(plan["steps"])
        cost = estimate.summary or "—"
        if estimate.labour and estimate.summary:  # what the compute figure leaves out, for this route
            cost += f" ({estimate.labour})"
        if estimate.sharded:  # more cards than the user said they have, and how to make do with theirs
            cost += f"; {estimate.sharded}"
        if kind == objections.COST:  # the price set against what the user said they can spend
            cost = "; ".join([cost] + pricing.against_means(estimate, facts))
        lines.append(prompts.CHOSEN_PLAN.format(steps=steps, cost=cost))
        lines += settings_lines
        if plan.get("config"):
            lines.append(prompts.CHOSEN_LAUNCH)
        return "\n\n".join(lines)

    @staticmethod
    def _configured_route(iv: Interview, settings: list) -> str:
        """The training route that settings with no route named configure: the method they name, else the plan
        already made, else the training route the user raised last ("fine-tuning qwen 7b with lora"), else LoRA."""
        method = next((e.value for e in settings if e.setting == "method"), None)
        if method:
            return "full_finetune" if method == "full" else "lora_finetune"
        if iv.plan and APPROACHES[iv.plan.get("approach") or "prompt_engineering"].trains:
            return iv.plan["approach"]
        raised = [a for a in iv.named if APPROACHES[a].trains]
        return raised[-1] if raised else "lora_finetune"

    def _ask_or_recommend(self, iv: Interview, cid: str, out: list[Event], repeat_pending: bool = False,
                          changed: bool = False) -> None:
        """Repeat the open question, ask the next useful one, read back an unsure decisive fact, or recommend
        (again, when facts changed)."""
        if iv.confirming and any(isinstance(e, Question) for e in out):
            return  # an upload already asked its question this turn
        if repeat_pending and iv.pending:
            out.append(Question(iv.pending, prompts.QUESTIONS[iv.pending], prompts.OPTIONS.get(iv.pending, [])))
            return
        if iv.stage == "interview":
            fact = policy.next_question(iv) if self._questions_left(iv) > 0 else None
            if fact:
                iv.asked.append(fact)
                iv.pending = fact
                out.append(Question(fact, prompts.QUESTIONS[fact], prompts.OPTIONS.get(fact, [])))
                return
            if self._read_back(iv, out):
                return
            self._recommend(iv, cid, out)
            return
        if changed:
            self._recommend(iv, cid, out)
            return
        label = approach_label((iv.recommendation or {}).get("approach", "prompt_engineering"))
        out.append(AssistantMessage(prompts.ALREADY_RECOMMENDED.format(label=label)))

    @staticmethod
    def _questions_left(iv: Interview) -> int:
        """Questions of every kind (interview, read-back, asked again) share one budget: MAX_QUESTIONS."""
        return policy.MAX_QUESTIONS - len(iv.asked) - len(iv.confirmed) - len(iv.retried)

    def _read_back(self, iv: Interview, out: list[Event]) -> bool:
        """Ask about the one unsure fact the advice depends on most, if any: a tentative finding that would change
        the approach, or a held one below CONFIRM whose loss would. One question, yes/no buttons."""
        if self._questions_left(iv) <= 0:
            return False
        values = iv.values()
        current = engine.approach_of(values)
        for fact in engine.CANDIDATES:  # DESIGN.md's order: a stable choice
            if fact in iv.confirmed or fact in iv.asked:
                continue  # asked directly already: the answer was the user's own, not an inference
            guess = iv.tentative.get(fact)
            held = iv.facts[fact]
            if guess is not None and not held.known:
                decisive = engine.approach_of({**values, fact: guess["value"]}) != current
                value, words = guess["value"], guess["words"]
            elif held.known and held.confidence < CONFIRM:
                decisive = engine.approach_of({**values, fact: None}) != current
                value, words = held.value, held.words
            else:
                continue
            if not decisive:
                continue
            iv.confirmed.append(fact)
            iv.confirming = fact
            if held.known and guess is None:
                iv.tentative[fact] = {"value": held.value, "words": held.words, "confidence": held.confidence}
                iv.facts[fact] = Fact(history=held.history)  # held again only once confirmed
            out.append(Question(fact, prompts.READ_BACK.format(label=_label(fact), value=engine.describe(fact, value),
                                                               words=" ".join(words.split())[:80]),
                                list(prompts.READ_BACK_OPTIONS)))
            return True
        return False

    def _recommend(self, iv: Interview, cid: str, out: list[Event]) -> None:
        before = iv.recommendation
        previous = (before or {}).get("approach")
        rec = engine.recommend(iv.values())
        rec["verdicts"] = verdicts.verdicts(iv.values(), rec["approach"])
        rec["price"] = pricing.price(rec["approach"], iv.values(),
                                     pricing.read_specs(self._user_texts(cid, ""))).as_dict()
        # cite for this user's situation: the deciding facts' words, not one fixed query per approach
        query = citation_query(rec)
        passages, error = search_passages(query, approach=rec["approach"], k=6)
        rec["citations"] = citations_of(passages)[:3]
        out.append(ToolStep("search_guidance", {"query": query, "approach": rec["approach"], "k": 6},
                            f"{len(rec['citations'])} source(s)" if not error else f"index unavailable: {error}"))
        plan = build_plan(rec, iv.values(), iv.data_path)
        rec["plan"] = plan
        out.append(ToolStep("recommend", {"facts": iv.known()}, approach_label(rec["approach"])))
        tool_log.info("tool recommend (engine) args=%s -> %s", short(iv.known()), rec["approach"])
        iv.recommendation, iv.plan, iv.stage = rec, plan, "recommended"
        # one event carries the recommendation: the UI draws its card from the fields, the terminal prints `text`
        if before is None:
            out.append(RecommendationEvent(rec, None, render_recommendation(rec, previous)))
            return
        out.append(AssistantMessage(what_changed(before, rec)))
        rec["collapsed"] = previous == rec["approach"]  # the same advice: the card shows folded
        changed_from = previous if previous and previous != rec["approach"] else None
        out.append(RecommendationEvent(rec, changed_from, render_recommendation(rec, previous)))

    def after_decision(self, conversation_id: str, job_id: str, approved: bool) -> list[Event]:
        """Nothing to resume in the offline brain (the LLM brain resumes its paused graph here)."""
        return []

    def _revise(self, iv: Interview, cid: str, edits: list, out: list[Event], launch: bool) -> None:
        """Apply the plan changes the user asked for; a job waiting for approval is replaced by the revised plan."""
        plan, changes = revise_plan(iv.plan, edits)
        if not changes:
            out.append(AssistantMessage(prompts.PLAN_UNCHANGED.format(summary=plan["summary"])))
            return
        iv.plan = plan
        if iv.recommendation:
            iv.recommendation["plan"] = plan
        waiting = jobs.list_jobs(state=jobs.AWAITING_APPROVAL, conversation_id=cid)
        text = prompts.PLAN_REVISED.format(changes="; ".join(changes), summary=plan["summary"])
        watch = watch_outs(plan["config"], iv.value("labeled_examples"))
        if watch:
            text += "\n\n" + prompts.SETTINGS_WATCH.format(items="; ".join(watch))
        if waiting or launch:
            out.append(AssistantMessage(text + (prompts.PLAN_REVISED_PENDING if waiting else "")))
            self._launch(iv, cid, out)
        else:
            out.append(AssistantMessage(text + prompts.PLAN_REVISED_LAUNCH))

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
        chosen = iv.plan.get("approach") or (iv.recommendation or {}).get("approach")
        plan = {**reapply_edits(build_plan({"approach": chosen}, iv.values(), iv.data_path), iv.plan),
                **{k: iv.plan[k] for k in ("chosen_by_user", "advised", "caveat", "cost") if k in iv.plan}}
        cost = plan.get("cost") or (iv.recommendation or {}).get("cost", {})
        # the advisor's cost band (production scale, not measured) and caveat travel with the job, apart
        # from what the pre-flight probe measures here
        plan["production_cost"] = {"usd": [round(x) for x in cost["usd"]] if cost.get("usd") else None,
                            "hours": cost.get("hours"), "note": cost.get("summary") or cost.get("note", ""),
                            "summary": plan["summary"], "caveat": plan.get("caveat") or "",
                            "advised": approach_label(plan.get("advised") or chosen)}
        try:
            result = request_launch.invoke({"plan": plan}, config={"configurable": {"thread_id": cid}})
        except Exception as exc:
            out.append(ToolStep("request_launch", {"plan": plan.get("summary")}, f"refused: {exc}"))
            out.append(AssistantMessage(prompts.LAUNCH_UNAVAILABLE.format(error=exc)))
            return
        iv.job_ids.append(result["job_id"])
        iv.stage = "launch_requested"
        out.append(ToolStep("request_launch", {"plan": plan.get("summary")}, f"job {result['job_id']} awaiting approval"))
        out.extend(replaced_updates(result["job_id"]))
        out.append(AssistantMessage(prompts.LAUNCH_REQUESTED.format(job_id=result["job_id"])))
        out.append(ApprovalRequest(result["job_id"], plan, result.get("estimate")))


def what_changed(before: dict, after: dict) -> str:
    """After the first card, a reply says what changed and why, or that nothing did."""
    old, new = before.get("approach"), after["approach"]
    known = {(e["fact"], str(e["value"])) for e in before.get("evidence", [])}
    fresh = [e for e in after.get("evidence", []) if (e["fact"], str(e["value"])) not in known]
    why = (fresh or after.get("evidence") or [{"text": "the facts so far"}])[0]
    because = f"{_label(why['fact'])} — {why['text']}" if why.get("fact") else why["text"]
    if old != new:
        return prompts.CHANGED.format(new=approach_label(new), old=approach_label(old), why=because)
    if fresh:
        return prompts.UNCHANGED.format(label=approach_label(new), why=because)
    return prompts.UNCHANGED_NOTHING.format(label=approach_label(new))


def render_recommendation(rec: dict, previous: str | None = None) -> str:
    """The recommendation as a short markdown message."""
    lines = []
    if previous and previous != rec["approach"]:
        lines.append(f"With what you just told me, my advice changes from {approach_label(previous)}.")
    lines.append(prompts.RECOMMEND_INTRO.format(label=approach_label(rec["approach"])))
    lines += [f"- {r}" for r in rec["reasons"][:6]]
    if rec["alternatives"]:
        lines.append(prompts.ALTERNATIVES.format(items=", ".join(approach_label(a) for a in rec["alternatives"])))
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
        # optional: LLM mode only; it loads LangChain's agent stack and the model's client (seconds)
        from agent.llm import LLMBrain

        return LLMBrain.from_env()
    return OfflineBrain()


def turn(conversation_id: str, user_text: str, attachments: list[str] | None = None) -> Iterator[Event]:
    """One user turn → events. Creates nothing: make the conversation first with `conversations.create()`."""
    yield from get_brain().turn(conversation_id, user_text, attachments)


def pending_job(conversation_id: str) -> str | None:
    """The id of the conversation's job awaiting approval, if any."""
    found = jobs.pending_job(conversation_id)
    return found.id if found else None


def _job_of(conversation_id: str, job_id: str):
    job = jobs.get_job(job_id)
    if job.conversation_id != conversation_id:
        raise jobs.JobError(f"job {job_id} does not belong to this conversation", "wrong_conversation", "job_id")
    return job


def approve(conversation_id: str, job_id: str, approver: str) -> list[Event]:
    """The user's Approve click for a job awaiting approval: the only code path that approves a job. The job is
    approved (and its data validated) before this returns; the events are stored with the conversation and
    returned. Raises JobError when the job is not this conversation's or no longer awaits approval."""
    _job_of(conversation_id, job_id)
    job = jobs.approve_job(job_id, approver=approver)
    iv = conversations.load(conversation_id)
    iv.stage = "launched"
    conversations.save(conversation_id, iv)
    update = JobUpdate(job.id, job.state, detail=f"approved by {approver}", error=jobs.job_error(job))
    # keyed like the milestone of the state it reached, so `agent.milestones` does not report it a second time
    conversations.append_once(conversation_id, milestone_key(job.id, job.state, job.attempt), update)
    return [update] + list(get_brain().after_decision(conversation_id, job_id, approved=True))


def reject(conversation_id: str, job_id: str, by: str = "") -> list[Event]:
    """The user's Reject click: the job is cancelled before it ever runs (eagerly); returns the stored events."""
    _job_of(conversation_id, job_id)
    reason = f"rejected by {by}" if by else "rejected"
    job = jobs.cancel_job(job_id, reason=reason)
    update = JobUpdate(job.id, job.state, reason=reason)
    conversations.append_once(conversation_id, milestone_key(job.id, job.state, job.attempt), update)
    return [update] + list(get_brain().after_decision(conversation_id, job_id, approved=False))



def edit_fact(conversation_id: str, fact: str, text: str) -> list[Event]:
    """The user set one fact in the profile panel: read their words as the answer to that fact, hold it as stated
    (confidence 1.0), and re-run the advice when one was already given, so the edit changes it. Blank text
    forgets the fact. Returns the events to show (what was understood, then the new recommendation if any);
    they are stored with the conversation like a turn's. UserError when the words cannot be read as that fact."""
    if fact not in FACT_KEYS:
        raise UserError(f"{fact!r} is not a fact the advisor keeps; facts are {', '.join(FACT_KEYS)}")
    iv = conversations.load(conversation_id)
    out: list[Event] = []
    words = (text or "").strip()
    if not words:
        iv.forget(fact)
        out.append(AssistantMessage(prompts.FORGOTTEN.format(items=_label(fact))))
    else:
        found = [f for f in extract(words, asked=fact).findings if f.fact == fact]
        if not found:
            raise UserError(f"I could not read {words!r} as {_label(fact)}; try one of: "
                            f"{'; '.join(prompts.OPTIONS.get(fact, []))}")
        iv.set(fact, found[0].value, words, 1.0, replace=True)
        iv.tentative.pop(fact, None)
        out.append(AssistantMessage(prompts.NOTED.format(items=f"{_label(fact)}: {engine.describe(fact, iv.value(fact))}")))
    if iv.stage != "interview":
        OfflineBrain()._recommend(iv, conversation_id, out)
    conversations.save(conversation_id, iv)
    conversations.append(conversation_id, out)
    return out


def ensure_conversation(conversation_id: str | None, owner: str = "") -> str:
    """An existing conversation id, or a new conversation."""
    if conversation_id and conversations.exists(conversation_id):
        return conversation_id
    return conversations.create(owner=owner)


__all__ = ["turn", "approve", "reject", "pending_job", "warm", "get_brain", "OfflineBrain", "ensure_conversation",
           "render_recommendation", "edit_fact", "best_passage"]
