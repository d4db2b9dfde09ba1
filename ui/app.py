"""The tunewise web app: one chat where a team is interviewed, gets a grounded recommendation, drops in its data,
approves a plan, watches the run and reviews the results — plus a job panel, a profile panel and past
conversations beside it.

    tunewise chat [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD | --auth FILE]

A thin shell: the handlers below call `ui.backend` (the advisor and the job system) and `ui.render` (messages
and cards). Per-user state lives in `gr.State` (this browser tab), `gr.BrowserState` (the last conversation, so
closing the browser and coming back reopens it) and the database; nothing user-specific is a module global.

Every handler has an `api_name`, so the whole flow can be driven with `gradio_client` (tests/test_ui_server.py):

    /send(message)            a user message {"text", "files"}; streams the chat
    /act(action)              say:TEXT | approve:JOB | reject:JOB (what the buttons inside the chat send)
    /poll()                   job panel, milestones and results into the chat (the 1-second timer's call)
    /cancel() /resume()       the job panel's buttons
    /apply_settings(...)      edited plan settings → a new job awaiting approval
    /try_it(prompt)           one prompt to the base and the tuned model
    /open_conversation(id) /new_conversation() /save_profile(rows)
"""

from __future__ import annotations

from trainer.state.home import apply_offline_env

apply_offline_env()  # before gradio is imported

import argparse  # noqa: E402
import getpass  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterator  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from trainer.runner import start_runner, stop_runner  # noqa: E402
from trainer.state.errors import UserError  # noqa: E402
from trainer.state.home import ensure_home  # noqa: E402
from trainer.state.vocabulary import JobState  # noqa: E402
from ui import access, backend, render, sanitize, uploads  # noqa: E402

POLL_S = 1.0  # the job panel's refresh interval, seconds
STREAM_CHUNKS = 6  # an assistant message is revealed in at most this many steps
MAX_PLOT_POINTS = 400  # loss-curve points sent to the browser per series (older steps are thinned)

CSS = """
#tw-chat {flex-grow: 1}
.tw-progress {position: relative; height: 22px; border-radius: 6px; background: var(--neutral-200);
  overflow: hidden; margin: 6px 0}
.tw-progress-fill {position: absolute; inset: 0 auto 0 0; background: var(--primary-500); transition: width .4s}
.tw-progress span {position: relative; display: block; text-align: center; font-size: 13px; line-height: 22px;
  color: var(--neutral-900); font-weight: 600}
#tw-events textarea {font-family: var(--font-mono); font-size: 12px}
#tw-chat button[aria-label="Clear"] {display: none}
"""

AUTH_MESSAGE = ("Sign in with a user name and password from <code>tunewise chat --auth</code>. "
                "A wrong password is refused; ask whoever started tunewise for yours.")


# ---------------------------------------------------------------------------------------------------------------
# Helpers: who is asking, and the chat as it stands


def _user(request: gr.Request | None) -> str:
    """The signed-in user name, '' when the app runs without logins."""
    return (getattr(request, "username", None) or "") if request is not None else ""


def _approver(request: gr.Request | None) -> str:
    return _user(request) or f"{getpass.getuser()} (local, no login)"


def _new_session() -> dict:
    return {"conversation_id": None}


def history(conversation_id: str | None) -> list[dict]:
    """The whole chat of a conversation, rendered from the database (the same in every tab and after a reload)."""
    if not conversation_id:
        return [render.welcome_message()]
    stored = backend.transcript(conversation_id)
    out = [render.welcome_message(with_examples=not stored)]
    last_rec_index = max((i for i, m in enumerate(stored) if (m.get("meta") or {}).get("type") == "recommendation"),
                         default=None)
    rec = backend.recommendation(conversation_id) if last_rec_index is not None else None
    jobs_by_id = {j.id: j for j in backend.conversation_jobs(conversation_id)}
    skip_rec_text = False
    for i, m in enumerate(stored):
        meta = m.get("meta") or {}
        kind = meta.get("type") or meta.get("ui")
        content = m.get("content") or ""
        if m["role"] == "user":
            names = [Path(p).name for p in meta.get("attachments") or []]
            names += meta.get("refused_files") or []
            shown = sanitize.user_text(content) + ("".join(f"\n\n📎 {render.esc(n)}" for n in names) if names else "")
            out.append({"role": "user", "content": shown or "(no text)"})
        elif m["role"] == "tool":
            summary = content.split("] ", 1)[-1] if content.startswith("[") else content
            out.append(render.tool_step(meta.get("name", "tool"), meta.get("args"), summary))
        elif kind == "recommendation" and i == last_rec_index and rec:
            out.append(render.recommendation_message(rec, passages=backend.passages_for(rec.get("citations") or [])))
            skip_rec_text = True
        elif kind == "message" and skip_rec_text and "My recommendation:" in content:
            skip_rec_text = False
            preface = content.split("My recommendation:", 1)[0]
            if preface.strip() and out and out[-1].get("content"):
                out[-1] = {**out[-1], "content": render.esc(preface.strip()) + "\n\n" + out[-1]["content"]}
        elif kind == "approval":
            job_id = backend.approval_job_id(m)
            job = jobs_by_id.get(job_id)
            if job is None:
                out.append({"role": "assistant", "content": content})
                continue
            summary = content.split("approval: ", 1)[-1] if "approval: " in content else ""
            out.append(render.approval_message(job.id, {"summary": summary}, job.estimate, job.config, job.state,
                                               job.approved_by))
        elif kind == "upload_report" and meta.get("mapping_options"):
            out.append({"role": "assistant", "content": content, "options": meta["mapping_options"]})
        elif kind == "results":
            out.append({"role": "assistant", "content": content})
            for path in meta.get("files") or []:
                served = access.artifact_for_chat(path, conversation_id)  # a copy for this response, never runs/
                if served:
                    out.append({"role": "assistant", "content": {"path": served, "alt_text": Path(path).stem}})
        else:
            out.append({"role": "assistant", "content": content})
    return out


def _event_message(event: dict, conversation_id: str) -> dict | None:
    """One live advisor event as a chat message (the stored transcript renders the same way on reload)."""
    kind = event.get("type")
    if kind == "tool":
        return render.tool_step(event["name"], event.get("args"), event.get("summary", ""))
    if kind == "recommendation":
        rec = event["recommendation"]
        return render.recommendation_message(rec, passages=backend.passages_for(rec.get("citations") or []))
    if kind == "approval" and event.get("job_id"):
        job = backend.job(event["job_id"])
        return render.approval_message(job.id, event.get("plan") or {}, job.estimate or event.get("estimate"),
                                       job.config, job.state, job.approved_by)
    if kind == "job":
        return {"role": "assistant", "content": render.milestone_text(event["job_id"], event["state"], {})
                if event.get("state") != JobState.VALIDATING else f"Job `{event['job_id']}` approved — validating data."}
    text = event.get("text") or ""
    return {"role": "assistant", "content": text} if text else None


def _stream_text(chat: list[dict], text: str) -> Iterator[list[dict]]:
    """Reveal a message in a few steps (streamed replies), then in full."""
    words = text.split(" ")
    step = max(1, len(words) // STREAM_CHUNKS)
    chat.append({"role": "assistant", "content": ""})
    for end in range(step, len(words), step):
        chat[-1] = {"role": "assistant", "content": " ".join(words[:end]) + " …"}
        yield chat
    chat[-1] = {"role": "assistant", "content": text}
    yield chat


# ---------------------------------------------------------------------------------------------------------------
# Chat handlers


def _ensure_conversation(session: dict, request: gr.Request | None) -> str:
    cid = session.get("conversation_id")
    if cid:
        return cid
    cid = backend.new_conversation(_user(request))
    session["conversation_id"] = cid
    return cid


def _last_upload_path(cid: str) -> str | None:
    reports = [m for m in backend.transcript(cid) if (m.get("meta") or {}).get("ui") == "upload_report"]
    return (reports[-1].get("meta") or {}).get("path") if reports else None


def _confirm_mapping(arg: str, session: dict, request: gr.Request | None) -> Iterator[tuple]:
    """`PATH|prompt=question,...`: the user confirmed or edited a column mapping; the file is checked again with it
    (and the advisor sees it) as if it had just been dropped in."""
    session = dict(session or _new_session())
    cid = _ensure_conversation(session, request)
    path, _, mapping = arg.partition("|")
    try:
        report = backend.confirm_mapping(cid, path, mapping)
    except UserError as exc:
        backend.add_message(cid, "assistant", f"⚠ {render.esc(exc)}", {"ui": "error"})
        yield history(cid), session, cid
        return
    upload = uploads.Upload(Path(path).name, Path(path), Path(path).stat().st_size)
    yield from _turn(f"map {mapping}", [], session, request, checked=[(upload, report)])


def _turn(text: str, files: list[str], session: dict, request: gr.Request | None,
          checked: list | None = None) -> Iterator[tuple]:
    """One user message (text and dropped files) → the chat, streamed; yields (chat, session, last conversation).
    `checked`: (upload, report) pairs already kept and validated (a confirmed column mapping)."""
    session = dict(session or _new_session())
    cid = _ensure_conversation(session, request)
    if checked is None and text.startswith("map ") and "=" in text and _last_upload_path(cid):
        yield from _confirm_mapping(f"{_last_upload_path(cid)}|{text[4:].strip()}", session, request)
        return
    chat = history(cid)
    kept, refused = [u for u, _ in checked or []], []
    for path in files or []:
        upload = access.accept_upload(path, cid, request)
        (kept if upload.ok else refused).append(upload)
    shown = sanitize.user_text(text) + "".join(f"\n\n📎 {render.esc(u.name)}" for u in kept + refused)
    chat.append({"role": "user", "content": shown or "(no text)"})
    yield chat, session, cid
    reports = [r for _, r in checked or []]
    if kept and not checked:  # the full validation report (token counts need the tokenizer: seconds), shown as a pending step
        names = ", ".join(u.name for u in kept)
        chat.append({"role": "assistant", "content": f"Checking {render.esc(names)} …",
                     "metadata": {"title": "📄 Checking the data file", "status": "pending"}})
        yield chat, session, cid
        reports = [backend.validate_upload(u.path) for u in kept]
        chat.pop()
    if kept or text.strip() or not refused:
        chat.append({"role": "assistant", "content": "…", "metadata": {"title": "⏳ Thinking", "status": "pending"}})
        yield chat, session, cid
        chat.pop()
        pending_rec = False
        try:
            for event in backend.turn(cid, text, [str(u.path) for u in kept]):
                if event.get("type") == "message":
                    if pending_rec and "My recommendation:" in event.get("text", ""):
                        pending_rec = False
                        continue
                    for chat in _stream_text(chat, event.get("text", "")):
                        yield chat, session, cid
                    continue
                pending_rec = event.get("type") == "recommendation"
                message = _event_message(event, cid)
                if message:
                    chat.append(message)
                    yield chat, session, cid
        except UserError as exc:
            backend.add_message(cid, "assistant", f"⚠ {exc}", {"ui": "error"})
    else:  # only refused files and no text: the user's attempt is still recorded
        backend.add_message(cid, "user", text, {"refused_files": [u.name for u in refused]})
    for upload, report in zip(kept, reports):
        backend.add_message(cid, "assistant", render.validation_report(upload.name, report),
                            {"ui": "upload_report", "path": str(upload.path), "ok": report.get("ok"),
                             "mapping_options": render.mapping_options(str(upload.path), report)})
    for upload in refused:
        backend.add_message(cid, "assistant", "⚠ " + upload.refused, {"ui": "upload_refused"})
    yield history(cid), session, cid


def send(message: dict | None, session: dict, request: gr.Request) -> Iterator[tuple]:
    """The message box: text and dropped files. Clears the box and streams the chat."""
    message = message or {}
    text = (message.get("text") or "").strip()
    files = [f if isinstance(f, str) else (f.get("path") or f.get("name")) for f in message.get("files") or []]
    if not text and not files:
        yield gr.skip(), gr.skip(), session, gr.skip(), gr.skip()
        return
    for chat, session, cid in _turn(text, files, session, request):
        yield {"text": "", "files": []}, chat, session, cid, gr.skip()
    yield {"text": "", "files": []}, chat, session, cid, _profile_table(cid)


def act(action: str, session: dict, request: gr.Request) -> Iterator[tuple]:
    """A button inside the chat: `say:TEXT`, `approve:JOB_ID`, `reject:JOB_ID` or `map:PATH|ROLE=COLUMN,...`."""
    session = dict(session or _new_session())
    verb, _, arg = (action or "").partition(":")
    if verb == "map":
        for chat, session, cid in _confirm_mapping(arg, session, request):
            yield chat, session, cid, gr.skip()
        yield chat, session, cid, _profile_table(cid)
        return
    if verb == "say":
        for chat, session, cid in _turn(arg.strip(), [], session, request):
            yield chat, session, cid, gr.skip()
        yield chat, session, cid, _profile_table(cid)
        return
    cid = session.get("conversation_id")
    if verb not in ("approve", "reject") or not arg or not cid:
        gr.Warning("That button belongs to another conversation or has expired; reload the page.")
        yield gr.skip(), session, gr.skip(), gr.skip()
        return
    job = _job_of_conversation(arg, cid)
    if job is None:
        gr.Warning(f"Job {arg} is not part of this conversation.")
        yield gr.skip(), session, gr.skip(), gr.skip()
        return
    try:
        if verb == "approve":
            backend.approve(cid, job.id, _approver(request))
        else:
            backend.reject(cid, job.id)
    except UserError as exc:  # a second click, another tab already decided, or the job is gone
        gr.Warning(str(exc))
        backend.post_once(cid, f"{job.id}:decision-refused:{time.time():.0f}", f"ℹ {render.esc(exc)}", {"ui": "note"})
    yield history(cid), session, cid, gr.skip()


def _job_of_conversation(job_id: str, cid: str):
    try:
        job = backend.job(job_id)
    except UserError:
        return None
    return job if job.conversation_id == cid else None


def on_option(session: dict, request: gr.Request, evt: gr.SelectData) -> Iterator[tuple]:
    yield from act(str(evt.value), session, request)


# ---------------------------------------------------------------------------------------------------------------
# The job panel


def _plot_frame(rows: list[dict]):
    train = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in rows if r.get("eval_loss") is not None]
    if len(train) > MAX_PLOT_POINTS:
        stride = len(train) // MAX_PLOT_POINTS + 1
        train = train[::stride] + [train[-1]]
    # One placeholder point (no value) per series: a plot whose first data had no series never colours the lines
    # it is given later (Gradio 6.31), and typed columns make both axes quantitative.
    points = [(0, float("nan"), "train loss"), (0, float("nan"), "eval loss")]
    points += [(s, v, "train loss") for s, v in train] + [(s, v, "eval loss") for s, v in evals]
    return pd.DataFrame({"step": pd.Series([p[0] for p in points], dtype="int64"),
                         "loss": pd.Series([p[1] for p in points], dtype="float64"),
                         "series": pd.Series([p[2] for p in points], dtype="str")})


def _milestones(cid: str) -> None:
    """Post each approved job's milestones (started, finished, failed…) and, once, its results into the chat."""
    for job in backend.conversation_jobs(cid):
        if not job.approved_by or job.state in (JobState.AWAITING_APPROVAL, JobState.VALIDATING):
            continue
        summary = backend.summary(job.id)
        state = job.state
        if state in (JobState.RUNNING, JobState.INTERRUPTED):
            key = f"{job.id}:{state}:{job.attempt}"
        else:
            key = f"{job.id}:{state}"
        if state == JobState.QUEUED and job.attempt:
            continue  # a resumed job: "running" follows at once
        backend.post_once(cid, key, render.milestone_text(job.id, state, summary), {"ui": "milestone", "job_id": job.id})
        if state == JobState.SUCCEEDED:
            report = backend.evaluation(job.id)
            if report:
                files = [str(p) for p in backend.eval_plots(job.id)]
                backend.post_once(cid, f"{job.id}:results", render.results_markdown(job.id, report),
                                  {"ui": "results", "type": "results", "job_id": job.id, "files": files})
            else:
                backend.post_once(cid, f"{job.id}:results", f"Job `{job.id}` wrote no evaluation report "
                                  "(evaluation was switched off in its config).", {"ui": "results", "job_id": job.id})


def poll(session: dict, pstate: dict) -> tuple:
    """The timer's tick: milestones into the chat, the chat when it changed (another tab, a finished job), and the
    job panel. Cheap when nothing changed: every output not touched is skipped."""
    cid = (session or {}).get("conversation_id")
    pstate = dict(pstate or {})
    skip = gr.skip()
    if not cid:
        if pstate.get("conversation_id"):
            pstate = {}
            return (skip, render.job_panel(None), _plot_frame([]), "", pstate, *_settings_updates(None))
        return (skip, skip, skip, skip, pstate, *([skip] * 10))
    _milestones(cid)
    job_rows = backend.conversation_jobs(cid)
    # a job's estimate landing (measuring → measured, perhaps a sized config) redraws its plan card and settings
    signature = [len(backend.transcript(cid))] + [f"{j.id}:{j.state}:{backend.estimate_status(j)}" for j in job_rows]
    chat = skip
    if pstate.get("conversation_id") != cid or pstate.get("signature") != signature:
        chat = history(cid)
    job_id = backend.active_job_id(cid)
    panel, plot, log = skip, skip, skip
    if job_id:
        summary = backend.summary(job_id)
        rows = backend.metrics(job_id)
        panel = render.job_panel(summary, rows)
        last_metric = rows[-1]["id"] if rows else 0
        if pstate.get("job_id") != job_id or pstate.get("metric_id") != last_metric:
            plot = _plot_frame(rows)
        events = backend.events(job_id)
        last_event = events[-1]["id"] if events else 0
        if pstate.get("job_id") != job_id or pstate.get("event_id") != last_event:
            log = render.event_log(events)
        pstate.update(metric_id=last_metric, event_id=last_event)
    elif pstate.get("job_id") or pstate.get("conversation_id") != cid:
        panel, plot, log = render.job_panel(None), _plot_frame([]), ""
    awaiting = next((j.id for j in job_rows if j.state == JobState.AWAITING_APPROVAL), None)
    settings = [skip] * 10
    settings_key = f"{awaiting}:{next((backend.estimate_status(j) for j in job_rows if j.id == awaiting), '')}"
    if pstate.get("settings_job", "unset") != settings_key or pstate.get("conversation_id") != cid:
        settings = _settings_updates(awaiting)
    pstate.update(conversation_id=cid, signature=signature, job_id=job_id, settings_job=settings_key)
    return (chat, panel, plot, log, pstate, *settings)


def _settings_updates(job_id: str | None) -> list:
    """The plan-settings form for the job awaiting approval (hidden fields when there is none)."""
    if not job_id:
        return ["No plan awaits approval. When the advisor prepares one, its settings appear here."] + \
            [gr.update(interactive=False)] * 9
    s = backend.settings_of(job_id)
    return [f"Settings of job `{job_id}` (awaiting approval). Changing them replaces the job with a new one "
            "that you approve instead.",
            gr.update(value=s["method"], interactive=True), gr.update(value=s["base"], interactive=True),
            gr.update(value=s["epochs"], interactive=True), gr.update(value=s["learning_rate"], interactive=True),
            gr.update(value=s["lora_r"], interactive=True), gr.update(value=s["max_seq_len"], interactive=True),
            gr.update(value=s["batch_size"], interactive=True), gr.update(value=s["max_steps"] or 0, interactive=True),
            gr.update(value=s["eval_examples"], interactive=True)]


def _panel_job(session: dict) -> str | None:
    cid = (session or {}).get("conversation_id")
    return backend.active_job_id(cid) if cid else None


def cancel(session: dict) -> str:
    job_id = _panel_job(session)
    if not job_id:
        gr.Warning("There is no job to cancel.")
        return gr.skip()
    try:
        backend.cancel(job_id)
        gr.Info(f"Cancel requested for {job_id}: it saves a checkpoint and stops.")
    except UserError as exc:
        gr.Warning(str(exc))
    return render.job_panel(backend.summary(job_id), backend.metrics(job_id))


def resume(session: dict) -> str:
    job_id = _panel_job(session)
    if not job_id:
        gr.Warning("There is no job to resume.")
        return gr.skip()
    try:
        backend.resume(job_id)
        gr.Info(f"{job_id} resumes from its last checkpoint.")
    except UserError as exc:
        gr.Warning(str(exc))
    return render.job_panel(backend.summary(job_id), backend.metrics(job_id))


def apply_settings(method, base, epochs, learning_rate, lora_r, max_seq_len, batch_size, max_steps, eval_examples,
                   session: dict) -> tuple:
    """Edited plan settings → the waiting job is replaced by one with the new config (shown for approval)."""
    cid = (session or {}).get("conversation_id")
    awaiting = next((j.id for j in backend.conversation_jobs(cid) if j.state == JobState.AWAITING_APPROVAL), None) if cid else None
    if not awaiting:
        gr.Warning("No plan awaits approval, so there are no settings to change.")
        return gr.skip(), gr.skip()
    settings = {"method": method, "base": (base or "").strip(), "epochs": epochs, "learning_rate": learning_rate,
                "lora_r": lora_r, "max_seq_len": max_seq_len, "batch_size": batch_size, "max_steps": max_steps,
                "eval_examples": eval_examples}
    try:
        new_id, plan, _ = backend.revise_job(cid, awaiting, settings)
    except (UserError, ValueError, TypeError) as exc:
        gr.Warning(f"Settings not applied: {exc}")
        return gr.skip(), f"⚠ Settings not applied: {render.esc(exc)}"
    backend.add_message(cid, "assistant", f"job {new_id} awaits your approval: {plan.get('summary', '')}",
                        {"type": "approval", "job_id": new_id, "ui": "revised"})
    return history(cid), f"Job `{awaiting}` was replaced by `{new_id}` with your settings; approve it in the chat."


def try_it(prompt: str, session: dict) -> tuple[str, str]:
    cid = (session or {}).get("conversation_id")
    prompt = (prompt or "").strip()
    done = next((j.id for j in backend.conversation_jobs(cid) if j.state == JobState.SUCCEEDED), None) if cid else None
    if not prompt:
        return "Type a prompt first.", ""
    if not done:
        return "No finished job in this conversation yet: try it once a job has succeeded.", ""
    try:
        answers = backend.try_prompt(done, prompt)
    except UserError as exc:
        return f"⚠ {render.esc(exc)}", ""
    return render.try_it_markdown(prompt, answers)


# ---------------------------------------------------------------------------------------------------------------
# Conversations and the profile


def _profile_table(cid: str | None) -> list[list[str]]:
    """Every fact the advisor keeps, known or not (a new conversation shows them all as "—")."""
    return render.profile_rows(backend.profile(cid) if cid else backend.empty_profile(), backend.fact_labels(),
                               backend.describe_fact)


def _conversation_choices(request: gr.Request | None, current: str | None = None) -> gr.update:
    return gr.update(choices=backend.list_conversations(_user(request)), value=current)


def _open(cid: str | None, request: gr.Request | None) -> tuple:
    cid = access.conversation_for(cid, request)
    session = {"conversation_id": cid}
    return (history(cid), session, cid, _profile_table(cid), _conversation_choices(request, cid), {})


def on_load(last: str | None, request: gr.Request) -> tuple:
    """A new tab: reopen the conversation this browser had open last (closing the browser loses nothing)."""
    return _open(last, request)


def open_conversation(conversation_id: str | None, request: gr.Request) -> tuple:
    if conversation_id and access.conversation_for(conversation_id, request) is None:
        gr.Warning("That conversation does not exist or is not yours.")
    return _open(conversation_id, request)


def new_conversation(request: gr.Request) -> tuple:
    return _open(None, request)


def save_profile(rows, session: dict) -> tuple:
    """Edits in the profile table: each changed value is read by the advisor as your answer to that fact."""
    cid = (session or {}).get("conversation_id")
    if not cid:
        return gr.skip(), "Start a conversation first."
    current = {label: value for label, value in _profile_table(cid)}
    fact_of = {label: key for key, label in backend.fact_labels().items()}
    rows = rows.values.tolist() if hasattr(rows, "values") else (rows or [])
    notes = []
    for row in rows:
        label, value = str(row[0]), "" if row[1] is None else str(row[1])
        fact = fact_of.get(label, label)
        if label in current and value != current[label]:
            try:
                notes.append(backend.edit_fact(cid, fact, value))
            except UserError as exc:
                notes.append(f"⚠ {exc}")
    if notes:
        backend.add_message(cid, "assistant", "Profile edited: " + "; ".join(render.esc(n) for n in notes) +
                            ". Tell me to reconsider and I'll update my advice.", {"ui": "profile_edit"})
    return _profile_table(cid), ("; ".join(notes) or "Nothing changed.")


# ---------------------------------------------------------------------------------------------------------------
# Layout


def build_app() -> gr.Blocks:
    """The app's layout and wiring (theme and css are passed to `launch`, see `serve`)."""
    with gr.Blocks(title="tunewise") as demo:
        session = gr.State(_new_session())
        pstate = gr.State({})
        last_conversation = gr.BrowserState(None, storage_key="tunewise-last-conversation")

        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                gr.Markdown("## tunewise\nPrompt, retrieve, fine-tune or pretrain?")
                new_btn = gr.Button("New conversation", size="sm")
                conversations = gr.Dropdown(label="Past conversations", choices=[], value=None, interactive=True,
                                            elem_id="tw-conversations")
                with gr.Accordion("Profile — what the advisor knows", open=True):
                    profile = gr.Dataframe(headers=["fact", "what the advisor holds"], value=_profile_table(None),
                                           interactive=True, static_columns=[0], wrap=True,
                                           column_widths=["45%", "55%"], elem_id="tw-profile", max_height=520,
                                           label="Edit a value and save: it is read as your answer")
                    save_profile_btn = gr.Button("Save profile", size="sm")
                    profile_note = gr.Markdown()

            with gr.Column(scale=3, min_width=480):
                chatbot = sanitize.SafeChatbot(value=[render.welcome_message()], height="72vh", elem_id="tw-chat",
                                     label="tunewise", show_label=False, buttons=["copy"], feedback_options=None,
                                     sanitize_html=True, group_consecutive_messages=False)
                box = gr.MultimodalTextbox(
                    placeholder="Describe your task, answer the question, or drop a JSONL/CSV/text file here…",
                    file_count="multiple", sources=["upload"], show_label=False, elem_id="tw-input",
                    max_plain_text_length=4000)

            with gr.Column(scale=2, min_width=320):
                job_md = gr.Markdown(render.job_panel(None), elem_id="tw-job")
                loss_plot = gr.LinePlot(_plot_frame([]), x="step", y="loss", color="series", title="Loss",
                                        x_title="optimizer step", y_title="cross-entropy", height=290,
                                        elem_id="tw-loss", label="Loss curves")
                with gr.Row():
                    cancel_btn = gr.Button("Cancel job", size="sm", variant="stop")
                    resume_btn = gr.Button("Resume job", size="sm")
                events = gr.Textbox(label="Event log", lines=8, max_lines=8, interactive=False, elem_id="tw-events",
                                    autoscroll=True)
                with gr.Accordion("Plan settings", open=False, elem_id="tw-settings"):
                    settings_note = gr.Markdown("No plan awaits approval.")
                    method = gr.Dropdown(["lora", "qlora", "full"], label="method", interactive=False)
                    base = gr.Textbox(label="base model (bundled name, local folder or hub id)", interactive=False)
                    with gr.Row():
                        epochs = gr.Number(label="epochs", minimum=0.01, interactive=False)
                        learning_rate = gr.Number(label="learning rate", interactive=False)
                    with gr.Row():
                        lora_r = gr.Number(label="LoRA rank", precision=0, minimum=1, interactive=False)
                        max_seq_len = gr.Number(label="max sequence length (tokens)", precision=0, interactive=False)
                    with gr.Row():
                        batch_size = gr.Number(label="batch size", precision=0, minimum=1, interactive=False)
                        max_steps = gr.Number(label="max steps (0 = from epochs)", precision=0, minimum=0,
                                              interactive=False)
                    eval_examples = gr.Number(label="evaluation examples to generate", precision=0, minimum=1,
                                              interactive=False)
                    apply_btn = gr.Button("Apply settings", size="sm")
                    apply_note = gr.Markdown()
                with gr.Accordion("Try it: base vs tuned", open=False, elem_id="tw-try"):
                    try_box = gr.Textbox(label="prompt", lines=2, placeholder="Ask both models the same thing")
                    try_btn = gr.Button("Ask both", size="sm")
                    with gr.Row():
                        base_answer = gr.Markdown()
                        tuned_answer = gr.Markdown()

        # hidden: the action channel for API clients (the in-chat buttons use option_select)
        action = gr.Textbox(visible=False)
        action_btn = gr.Button(visible=False)
        open_id = gr.Textbox(visible=False)
        open_btn = gr.Button(visible=False)
        timer = gr.Timer(POLL_S)

        settings_fields = [method, base, epochs, learning_rate, lora_r, max_seq_len, batch_size, max_steps,
                           eval_examples]
        poll_outputs = [chatbot, job_md, loss_plot, events, pstate, settings_note, *settings_fields]
        opened = [chatbot, session, last_conversation, profile, conversations, pstate]

        demo.load(on_load, [last_conversation], opened, api_name="load")
        box.submit(send, [box, session], [box, chatbot, session, last_conversation, profile], api_name="send",
                   show_progress="hidden").then(
            _refresh_list, [session], [conversations], api_visibility="private")
        chatbot.option_select(on_option, [session], [chatbot, session, last_conversation, profile],
                              api_visibility="private", show_progress="hidden").then(
            _refresh_list, [session], [conversations], api_visibility="private")
        action_btn.click(act, [action, session], [chatbot, session, last_conversation, profile], api_name="act",
                         show_progress="hidden")
        timer.tick(poll, [session, pstate], poll_outputs, api_name="poll", show_progress="hidden",
                   concurrency_limit=None, trigger_mode="always_last")
        cancel_btn.click(cancel, [session], [job_md], api_name="cancel")
        resume_btn.click(resume, [session], [job_md], api_name="resume")
        apply_btn.click(apply_settings, [*settings_fields, session], [chatbot, apply_note], api_name="apply_settings")
        try_btn.click(try_it, [try_box, session], [base_answer, tuned_answer], api_name="try_it")
        try_box.submit(try_it, [try_box, session], [base_answer, tuned_answer], api_name="try_it_enter",
                       api_visibility="private")
        conversations.input(open_conversation, [conversations], opened, api_name="pick_conversation",
                            api_visibility="private")
        open_btn.click(open_conversation, [open_id], opened, api_name="open_conversation")
        new_btn.click(new_conversation, None, opened, api_name="new_conversation")
        save_profile_btn.click(save_profile, [profile, session], [profile, profile_note], api_name="save_profile")
    access.protect(demo, session)  # last: every function wired above checks who may touch the conversation
    return demo


def _refresh_list(session: dict, request: gr.Request):
    return _conversation_choices(request, (session or {}).get("conversation_id"))


# ---------------------------------------------------------------------------------------------------------------
# Serving


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """`--auth USER:PASSWORD` or `--auth FILE` (one USER:PASSWORD per line, # comments) → Gradio's auth list."""
    if not value:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
        entries = [(i, ln) for i, ln in enumerate(lines, 1) if ln and not ln.startswith("#")]
        source = str(path)
    else:
        if ":" not in value:
            raise UserError(f"--auth {value!r}: give USER:PASSWORD or the path of a file with one USER:PASSWORD per "
                            "line (no such file)")
        entries, source = [(None, value)], "--auth"
    pairs = []
    for line, entry in entries:
        user, sep, password = entry.partition(":")
        where = f"{source}, line {line}" if line else source
        if not sep or not user.strip() or not password:
            raise UserError(f"{where}: expected USER:PASSWORD with a non-empty user and password")
        pairs.append((user.strip(), password))
    if not pairs:
        raise UserError(f"{source} holds no USER:PASSWORD line")
    return pairs


def serve(host: str = "127.0.0.1", port: int = 7860, auth: list[tuple[str, str]] | None = None,
          block: bool = True, quiet: bool = False, insecure_no_auth: bool = False) -> gr.Blocks:
    """Build and launch the app (queue, upload cap, theme, css). With `block=False` it returns once serving, for
    tests; call `.close()` on the result to stop it. Without `auth` it listens on loopback only, unless
    `insecure_no_auth` (see ui.access.check_bind)."""
    access.check_bind(host, auth, insecure_no_auth)
    ensure_home()
    demo = build_app()
    demo.queue(default_concurrency_limit=8, max_size=256)
    # Gradio's hard cap sits above tunewise's own limit, so a file a little too big gets tunewise's clear message
    # in the chat, and a huge one is refused before it fills the disk.
    hard_cap = max(uploads.max_upload_bytes() * 2, 8 * 2**20)
    demo.launch(server_name=host, server_port=port, auth=auth, auth_message=AUTH_MESSAGE if auth else None,
                prevent_thread_lock=not block, quiet=quiet, show_error=True, max_file_size=hard_cap,
                # no allowed_paths: run folders are never served as static files (see ui.access)
                app_kwargs={"middleware": [Middleware(access.UploadGuard)]}, theme=gr.themes.Soft(), css=CSS)
    return demo


def chat_command(args: argparse.Namespace) -> int:
    """`tunewise chat`: serve the app, with the job runner in a background thread."""
    auth = parse_auth(getattr(args, "auth", None))
    insecure = getattr(args, "insecure_no_auth", False)
    access.check_bind(args.host, auth, insecure)  # before the runner starts: a refused --host starts nothing
    start_runner()
    backend.resume_measurements()  # probes the last app stopped before they finished
    mode = " (sign-in required)" if auth else " (single-user: no sign-in, every conversation and job is shown)"
    print(f"tunewise: serving on http://{args.host}:{args.port}{mode}", flush=True)
    try:
        serve(args.host, args.port, auth, block=True, insecure_no_auth=insecure)
    finally:
        stop_runner()
    return 0
