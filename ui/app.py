"""The tunewise web app: one chat where a team is interviewed, gets a grounded recommendation, drops in its data,
approves a plan, watches the run and reviews the results — plus a job panel, a profile panel and past
conversations beside it.

    tunewise chat [--host 127.0.0.1] [--port 7860] [--auth USER:PASSWORD | --auth FILE]

A thin shell: the handlers below call `ui.backend` (the advisor and the job system), `ui.transcript` (the stored
events → chat messages, with the buttons that apply now under the last one) and `ui.render` (cards). Job
milestones and results are stored by the back end (`agent.milestones`, started with the app); the timer only
redraws. Per-user state lives in `gr.State` (this browser tab), `gr.BrowserState` (the last conversation, so
closing the browser and coming back reopens it) and the database; nothing user-specific is a module global.

Every handler has an `api_name`, so the whole flow can be driven with `gradio_client` (tests/test_ui_server.py):

    /send(message)            a user message {"text", "files"}; streams the chat
    /act(action)              say:TEXT | approve:JOB | reject:JOB (what the buttons inside the chat send)
    /poll()                   the chat when it changed, the job panel, its buttons, the job list (the timer's call)
    /approve_in_panel() /reject_in_panel()   the job panel's own Approve and Reject
    /ask_cancel() /cancel()   Cancel asks for confirmation first; /cancel is the confirmation
    /resume()                 the job panel's Resume
    /export(format)           the job panel's Export of a succeeded job: adapter | merged | ollama → a zip to download
    /apply_settings(...)      edited plan settings → a new job awaiting approval (it replaces the waiting one)
    /try_it(prompt, max_new_tokens, temperature)   one prompt to the base and the tuned model
    /open_conversation(id) /new_conversation() /save_profile(rows)
"""

from __future__ import annotations

from trainer.state.home import apply_offline_env

apply_offline_env()  # before gradio is imported

import argparse  # noqa: E402
import getpass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterator  # noqa: E402

import gradio as gr  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402 - the Agg canvas, no pyplot: safe in request threads
from matplotlib.ticker import MaxNLocator  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from agent import milestones  # noqa: E402
from agent.events import AssistantMessage  # noqa: E402
from trainer.runner import start_runner, stop_runner  # noqa: E402
from trainer.state.errors import UserError  # noqa: E402
from trainer.state.home import ensure_home  # noqa: E402
from trainer.state.vocabulary import JobState  # noqa: E402
from ui import access, backend, render, sanitize, transcript, uploads  # noqa: E402

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

NO_EXPORT = "There is no succeeded job in this conversation to export: export applies once a job has finished."

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
    """The whole chat of a conversation, drawn from its stored events and the state of its jobs (the same in
    every tab and after a reload), with the buttons that apply now under the last message."""
    if not conversation_id:
        return transcript.conversation([], {}, None, backend.passages_for)
    return transcript.conversation(backend.events(conversation_id), backend.jobs_by_id(conversation_id),
                                   backend.next_step(conversation_id), backend.passages_for,
                                   lambda path: access.artifact_for_chat(path, conversation_id))


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
    return backend.last_upload_path(cid)


def _confirm_mapping(arg: str, session: dict, request: gr.Request | None) -> Iterator[tuple]:
    """`PATH|prompt=question,...`: the user confirmed or edited a column mapping; the file is checked again with it
    (and the advisor sees it) as if it had just been dropped in."""
    session = dict(session or _new_session())
    cid = _ensure_conversation(session, request)
    path, _, mapping = arg.partition("|")
    try:
        report = backend.confirm_mapping(cid, path, mapping)
    except UserError as exc:
        backend.note(cid, "error", f"⚠ {render.esc(exc)}")
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
    chat[-1] = {k: v for k, v in chat[-1].items() if k != "options"}  # the old buttons go while the reply comes
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
        jobs_by_id: dict = {}
        try:
            for event in backend.turn(cid, text, [str(u.path) for u in kept]):
                if isinstance(event, AssistantMessage):
                    for chat in _stream_text(chat, event.text):
                        yield chat, session, cid
                    continue
                if getattr(event, "job_id", None) and event.job_id not in jobs_by_id:
                    jobs_by_id = backend.jobs_by_id(cid)
                chat += transcript.event_messages(event, jobs_by_id, backend.passages_for,
                                                  lambda path: access.artifact_for_chat(path, cid))
                yield chat, session, cid
        except UserError as exc:
            backend.note(cid, "error", f"⚠ {render.esc(exc)}")
    else:  # only refused files and no text: the user's attempt is still recorded
        backend.user_attempt(cid, text, [u.name for u in refused])
    for upload, report in zip(kept, reports):
        backend.note(cid, "upload_report", render.validation_report(upload.name, report), path=str(upload.path),
                     options=render.mapping_options(str(upload.path), report))
    for upload in refused:
        backend.note(cid, "upload_refused", "⚠ " + upload.refused)
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


def _decide(verb: str, job_id: str, cid: str, request: gr.Request | None) -> None:
    """Approve or Reject, from a button in the chat or in the job panel. A refusal (a second click, another tab
    already decided, the job is gone or not this conversation's) is said in a toast and in the chat."""
    try:
        if verb == "approve":
            backend.approve(cid, job_id, _approver(request))
        else:
            backend.reject(cid, job_id, _approver(request))
    except UserError as exc:
        gr.Warning(str(exc))
        backend.note(cid, "info", f"ℹ {render.esc(exc)}")


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
    _decide(verb, arg, cid, request)
    yield history(cid), session, cid, gr.skip()


def on_option(session: dict, request: gr.Request, evt: gr.SelectData) -> Iterator[tuple]:
    yield from act(str(evt.value), session, request)


# ---------------------------------------------------------------------------------------------------------------
# The job panel


def _plot(rows: list[dict]) -> tuple[Figure, str]:
    """The loss curves (train loss every logged step, eval loss at each evaluation) with a marker on every point,
    so a single point shows; and a one-line caption with the latest values. An honest empty state when nothing
    is logged yet."""
    train = [(r["step"], r["loss"]) for r in rows if r.get("loss") is not None]
    evals = [(r["step"], r["eval_loss"]) for r in rows if r.get("eval_loss") is not None]
    if len(train) > MAX_PLOT_POINTS:
        stride = len(train) // MAX_PLOT_POINTS + 1
        train = train[::stride] + [train[-1]]
    fig = Figure(figsize=(5.2, 3.0), dpi=100)
    ax = fig.add_subplot()
    if not train and not evals:
        ax.text(0.5, 0.5, "No loss logged yet.\nThe curve starts at the first optimizer step.", ha="center",
                va="center", transform=ax.transAxes, color="#666")
        ax.set_xticks([])
        ax.set_yticks([])
        fig.tight_layout()
        return fig, "No loss values yet."
    if train:
        ax.plot(*zip(*train), marker="o", markersize=3 if len(train) > 30 else 5, linewidth=1.5, label="train loss")
    if evals:
        ax.plot(*zip(*evals), marker="s", markersize=6, linestyle="--", linewidth=1.2, label="eval loss")
    ax.set_xlabel("optimizer step")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers: no "step 1.5" tick
    steps = [s for s, _ in train + evals]
    if max(steps) - min(steps) < 2:  # one or two steps: a range of at least 2 steps, so whole ticks exist
        ax.set_xlim(min(steps) - 1, max(steps) + 1)
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()  # keeps the tick labels inside the figure
    parts = []
    if train:
        parts.append(f"train loss {train[-1][1]:.4g} at step {train[-1][0]}")
    if evals:
        parts.append(f"eval loss {evals[-1][1]:.4g} at step {evals[-1][0]}")
    return fig, "Latest: " + " · ".join(parts) + f" ({len(train)} train, {len(evals)} eval points)."


PANEL_BUTTONS = ("approve", "reject", "cancel", "resume", "export")


def _button_updates(job) -> list:
    """Approve, Reject, Cancel, Resume and Export enabled only where they apply to the panel's job."""
    allowed = backend.controls(job)
    return [gr.update(interactive=allowed[name]) for name in PANEL_BUTTONS]


def poll(session: dict, pstate: dict, request: gr.Request) -> tuple:
    """The timer's tick: the chat when it changed (another tab, a milestone the back end stored), the job panel,
    its buttons and the job list. It only displays: milestones and results are stored by `agent.milestones`.
    Cheap when nothing changed: every output not touched is skipped. A job of this conversation that ends while
    the tab is open raises a notification."""
    cid = (session or {}).get("conversation_id")
    pstate = dict(pstate or {})
    skip = gr.skip()
    listing = _job_list_update(request, pstate)
    if not cid:
        if pstate.get("conversation_id"):
            pstate = {"jobs_listing": pstate.get("jobs_listing")}
            fig, caption = _plot([])
            return (skip, render.job_panel(None), fig, caption, "", pstate, *_settings_updates(None),
                    *_button_updates(None), listing)
        return (skip, skip, skip, skip, skip, pstate, *([skip] * 10), *([skip] * len(PANEL_BUTTONS)), listing)
    job_rows = backend.conversation_jobs(cid)
    # a job's estimate landing (measuring → measured, perhaps a sized config) redraws its plan card and settings
    signature = [backend.event_count(cid)] + [f"{j.id}:{j.state}:{backend.estimate_status(j)}" for j in job_rows]
    chat = skip
    if pstate.get("conversation_id") != cid or pstate.get("signature") != signature:
        chat = history(cid)
    if pstate.get("conversation_id") == cid:
        _notify_endings(pstate.get("states") or {}, job_rows)
    job = backend.panel_job(cid)
    panel, plot, caption, log = skip, skip, skip, skip
    if job is not None:
        summary = backend.summary(job.id)
        rows = backend.metrics(job.id)
        panel = render.job_panel(summary, rows)
        last_metric = rows[-1]["id"] if rows else 0
        if pstate.get("job_id") != job.id or pstate.get("metric_id") != last_metric:
            plot, caption = _plot(rows)
        events = backend.events_of_job(job.id)
        last_event = events[-1]["id"] if events else 0
        if pstate.get("job_id") != job.id or pstate.get("event_id") != last_event:
            log = render.event_log(events)
        pstate.update(metric_id=last_metric, event_id=last_event)
    elif pstate.get("job_id") or pstate.get("conversation_id") != cid:
        panel, log = render.job_panel(None), ""
        plot, caption = _plot([])
    buttons = [skip] * len(PANEL_BUTTONS)
    control_key = [job.id, job.state, job.cancel_requested_at is not None] if job is not None else None
    if pstate.get("controls") != control_key or pstate.get("conversation_id") != cid:
        buttons = _button_updates(job)
    awaiting = next((j.id for j in job_rows if j.state == "awaiting_approval"), None)
    settings = [skip] * 10
    settings_key = f"{awaiting}:{next((backend.estimate_status(j) for j in job_rows if j.id == awaiting), '')}"
    if pstate.get("settings_job", "unset") != settings_key or pstate.get("conversation_id") != cid:
        settings = _settings_updates(awaiting)
    pstate.update(conversation_id=cid, signature=signature, job_id=job.id if job else None, settings_job=settings_key,
                  controls=control_key, states={j.id: j.state for j in job_rows})
    return (chat, panel, plot, caption, log, pstate, *settings, *buttons, listing)


def _notify_endings(before: dict[str, str], job_rows: list) -> None:
    for job in job_rows:
        was = before.get(job.id)
        if was and was != job.state and job.state in backend.TERMINAL and job.approved_by:
            (gr.Info if job.state == "succeeded" else gr.Warning)(
                f"Job {job.id} {render.STATE_LABELS.get(job.state, job.state)} — see the chat.")


def _job_list_update(request: gr.Request | None, pstate: dict):
    """The job list, refreshed only when some job of this user changed (state or count)."""
    rows = backend.job_list(_user(request))
    key = [f"{r['job_id']}:{r['state']}:{r['verdict']}" for r in rows]
    if pstate.get("jobs_listing") == key:
        return gr.skip()
    pstate["jobs_listing"] = key
    return render.job_list_rows(rows)


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


def _panel_job(session: dict):
    cid = (session or {}).get("conversation_id")
    return backend.panel_job(cid) if cid else None


def decide_in_panel(verb: str):
    """The job panel's own Approve / Reject: the same decision as the buttons in the chat."""
    def handler(session: dict, request: gr.Request) -> tuple:
        job = _panel_job(session)
        if job is None or job.state != "awaiting_approval":
            gr.Warning("No job awaits approval in this conversation.")
            return gr.skip(), gr.skip()
        _decide(verb, job.id, session["conversation_id"], request)
        job = backend.job(job.id)
        return history(session["conversation_id"]), render.job_panel(backend.summary(job.id))
    handler.__name__ = f"{verb}_in_panel"
    return handler


def ask_cancel(session: dict) -> tuple:
    """Cancel, first step: say what will happen and ask for confirmation."""
    job = _panel_job(session)
    if job is None or not backend.controls(job)["cancel"]:
        gr.Warning("There is no job to cancel.")
        return gr.update(visible=False), gr.skip()
    return gr.update(visible=True), (f"**Cancel job `{job.id}`?** It saves a checkpoint at the next step and stops; "
                                     "a cancelled job cannot be resumed.")


def cancel(session: dict, request: gr.Request) -> tuple:
    """Cancel, confirmed."""
    job = _panel_job(session)
    if job is None:
        gr.Warning("There is no job to cancel.")
        return gr.update(visible=False), gr.skip()
    try:
        backend.cancel(job.id, _approver(request))
        gr.Info(f"Cancel requested for {job.id}: it saves a checkpoint and stops.")
    except UserError as exc:
        gr.Warning(str(exc))
    return gr.update(visible=False), render.job_panel(backend.summary(job.id), backend.metrics(job.id))


def keep_running() -> tuple:
    return gr.update(visible=False), gr.skip()


def resume(session: dict) -> str:
    job = _panel_job(session)
    if job is None or not backend.controls(job)["resume"]:
        gr.Warning("There is no interrupted job to resume.")
        return gr.skip()
    try:
        backend.resume(job.id)
        gr.Info(f"{job.id} resumes from its last checkpoint.")
    except UserError as exc:
        gr.Warning(str(exc))
    return render.job_panel(backend.summary(job.id), backend.metrics(job.id))


def export_job(fmt: str, session: dict) -> tuple:
    """The job panel's Export: the panel's succeeded job as a zip in the chosen format, to download. trainer/export.py
    writes it in a child process while this request waits in the queue, so other users' calls go on meanwhile."""
    job = _panel_job(session)
    if job is None or not backend.controls(job)["export"]:
        gr.Warning(NO_EXPORT)
        return None, f"⚠ {NO_EXPORT}"
    try:
        archive = backend.export_job(job.id, fmt, access.download_folder())
    except UserError as exc:
        gr.Warning(f"Export not made: {exc}")
        return None, f"⚠ Export not made: {render.esc(exc)}"
    label = backend.export_formats()[fmt]
    return str(archive), render.export_note(job.id, label, archive.name, archive.stat().st_size)


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
        new_id, _, _ = backend.revise_job(cid, awaiting, settings)
    except (UserError, ValueError, TypeError) as exc:
        gr.Warning(f"Settings not applied: {exc}")
        return gr.skip(), f"⚠ Settings not applied: {render.esc(exc)}"
    return history(cid), f"Job `{awaiting}` was replaced by `{new_id}` with your settings; approve it in the chat."


def try_it(prompt: str, max_new_tokens: float, temperature: float, session: dict) -> Iterator[tuple[str, str]]:
    """Both models answer the same prompt; each column says it is generating until its answer is there."""
    cid = (session or {}).get("conversation_id")
    prompt = (prompt or "").strip()
    done = next((j.id for j in backend.conversation_jobs(cid) if j.state == JobState.SUCCEEDED), None) if cid else None
    if not prompt:
        yield "Type a prompt first.", ""
        return
    if not done:
        yield "No finished job in this conversation yet: try it once a job has succeeded.", ""
        return
    tokens, heat = int(max_new_tokens or 128), float(temperature or 0.0)
    yield render.try_it_pending("base", tokens), render.try_it_pending("tuned", tokens)
    answers: dict[str, str] = {}
    try:
        answers["base"] = backend.try_prompt(done, prompt, "base", tokens, heat)
        yield render.try_it_answer("base", answers["base"]), render.try_it_pending("tuned", tokens)
        answers["tuned"] = backend.try_prompt(done, prompt, "tuned", tokens, heat)
    except UserError as exc:
        yield f"⚠ {render.esc(exc)}", ""
        return
    yield render.try_it_answer("base", answers["base"]), render.try_it_answer("tuned", answers["tuned"])


def open_job(rows, request: gr.Request, evt: gr.SelectData) -> tuple:
    """A row of the job list: open the conversation that owns the job."""
    row = evt.row_value if evt is not None else None
    job_id = str(row[0]) if row else ""
    try:
        cid = backend.job(job_id).conversation_id
    except UserError:
        cid = None
    return open_conversation(cid, request)


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
        backend.note(cid, "profile_edit", "Profile edited: " + "; ".join(render.esc(n) for n in notes) +
                     ". Tell me to reconsider and I'll update my advice.")
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
                with gr.Accordion("All jobs — click one to open its conversation", open=False, elem_id="tw-jobs"):
                    jobs_table = gr.Dataframe(headers=render.JOB_LIST_HEADERS, value=render.job_list_rows([]),
                                              interactive=False, wrap=True, max_height=360, show_label=False)

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
                with gr.Row(elem_id="tw-decide"):
                    approve_btn = gr.Button("✅ Approve", size="sm", variant="primary", interactive=False,
                                            elem_id="tw-approve")
                    reject_btn = gr.Button("✖ Reject", size="sm", interactive=False, elem_id="tw-reject")
                empty_fig, empty_caption = _plot([])
                loss_plot = gr.Plot(empty_fig, label="Loss curves", elem_id="tw-loss", format="png")
                loss_caption = gr.Markdown(empty_caption, elem_id="tw-loss-caption")
                with gr.Row():
                    cancel_btn = gr.Button("Cancel job", size="sm", variant="stop", interactive=False,
                                           elem_id="tw-cancel")
                    resume_btn = gr.Button("Resume job", size="sm", interactive=False, elem_id="tw-resume")
                with gr.Group(visible=False, elem_id="tw-confirm-cancel") as confirm_row:
                    confirm_md = gr.Markdown()
                    with gr.Row():
                        confirm_btn = gr.Button("Yes, cancel the job", size="sm", variant="stop")
                        keep_btn = gr.Button("Keep it running", size="sm")
                with gr.Group(elem_id="tw-export"):
                    export_format = gr.Dropdown([(label, fmt) for fmt, label in backend.export_formats().items()],
                                                value="adapter", label="Export the tuned model as", interactive=True)
                    export_btn = gr.Button("Export and download", size="sm", interactive=False,
                                           elem_id="tw-export-btn")
                    export_file = gr.File(label="Download", interactive=False, elem_id="tw-export-file")
                    export_note = gr.Markdown(elem_id="tw-export-note")
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
                    with gr.Row():
                        try_tokens = gr.Slider(8, 512, value=128, step=8, label="max new tokens")
                        try_heat = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label="temperature (0 = greedy)")
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
        poll_outputs = [chatbot, job_md, loss_plot, loss_caption, events, pstate, settings_note, *settings_fields,
                        approve_btn, reject_btn, cancel_btn, resume_btn, export_btn, jobs_table]
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
        approve_btn.click(decide_in_panel("approve"), [session], [chatbot, job_md], api_name="approve_in_panel")
        reject_btn.click(decide_in_panel("reject"), [session], [chatbot, job_md], api_name="reject_in_panel")
        cancel_btn.click(ask_cancel, [session], [confirm_row, confirm_md], api_name="ask_cancel")
        confirm_btn.click(cancel, [session], [confirm_row, job_md], api_name="cancel")
        keep_btn.click(keep_running, None, [confirm_row, confirm_md], api_visibility="private")
        resume_btn.click(resume, [session], [job_md], api_name="resume")
        # at most two exports at once (a merged one holds the whole model in its child's memory); the rest queue
        export_btn.click(export_job, [export_format, session], [export_file, export_note], api_name="export",
                         concurrency_limit=2, concurrency_id="export")
        apply_btn.click(apply_settings, [*settings_fields, session], [chatbot, apply_note], api_name="apply_settings")
        try_btn.click(try_it, [try_box, try_tokens, try_heat, session], [base_answer, tuned_answer], api_name="try_it")
        try_box.submit(try_it, [try_box, try_tokens, try_heat, session], [base_answer, tuned_answer],
                       api_name="try_it_enter", api_visibility="private")
        jobs_table.select(open_job, [jobs_table], opened, api_visibility="private")
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
    milestones.start()  # job milestones and results into their conversations, whether or not a tab is open
    mode = " (sign-in required)" if auth else " (single-user: no sign-in, every conversation and job is shown)"
    print(f"tunewise: serving on http://{args.host}:{args.port}{mode}", flush=True)
    try:
        serve(args.host, args.port, auth, block=True, insecure_no_auth=insecure)
    finally:
        milestones.stop()
        stop_runner()
    return 0
