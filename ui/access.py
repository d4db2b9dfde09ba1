"""Who may touch what in the web app. Every rule about users lives here; `ui.app` only calls it.

- **Conversations and jobs.** `protect(demo, session)` wraps every function registered on the Blocks — listed API
  endpoints, unlisted queue functions and `.then` steps alike — so that before a handler runs, the conversation
  held in its `session` state belongs to the signed-in user. Gradio keys that state by a session hash the client
  chooses, so a caller who learns another tab's hash would otherwise act on that tab's conversation; here the
  call is refused instead. Ids a handler receives as plain input (a conversation to open) go through
  `conversation_for`. A job is reached only through a conversation the check has passed.
- **Files.** Gradio copies any server path named in a `FileData` into its cache before a handler runs (its own
  upload-folder check is skipped inside the queue) and raises on a folder. `UploadGuard`, an ASGI middleware,
  records every file `/upload` returns under the login session that sent it, and in every JSON request replaces a
  file reference that this session did not upload with a path that does not exist, so Gradio never opens the
  real file; the handler then refuses it in the chat (`refuse_foreign_file`) — a sentence, never an error object.
- **Run folders are not served.** Nothing under TUNEWISE_HOME is an allowed path; `artifact_for_chat` copies a
  file of a job the caller owns into Gradio's cache for that one response, and an export of such a job is written
  into a `download_folder()` there, under a name nobody can guess.
- **Single-user mode.** Without logins every caller is the one local user (user name ''): it sees every
  conversation, which is why `check_bind` keeps that mode on the loopback interface.

A "session" is one login: the access token Gradio sets as a cookie when a user signs in (without logins, the one
local user). The ledger of uploads lives on the FastAPI app (`app.state`), one per served app.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import json
import os
import secrets
import threading
import typing
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

import gradio as gr
from gradio import processing_utils, utils as gradio_utils
from gradio.context import LocalContext

from trainer.state.errors import UserError
from trainer.state.secrets import redact
from ui import backend, render, uploads

TOKEN_COOKIE_PREFIX = "access-token"  # Gradio's login cookies: access-token-<id> and access-token-unsecure-<id>
MAX_UPLOADS_PER_SESSION = 4096  # ledger entries kept per login session (oldest dropped first)
MAX_SESSIONS = 100_000  # session hashes remembered with their user (oldest forgotten first)
MAX_JSON_BODY = 8 * 2**20  # bytes: a request body the guard reads whole (chat text is capped at 4,000 characters)
REFUSED_FOLDER = "tunewise-refused"  # under Gradio's upload folder; never created, so nothing there can be read

NOT_YOURS = ("That conversation belongs to another user, or this tab's session is not yours. Reload the page "
             "and sign in as yourself.")
SIGN_IN = "Sign in first: this app requires a login."


# ---------------------------------------------------------------------------------------------------------------
# Who is asking


def user_of(request: gr.Request | None) -> str:
    """The signed-in user name; '' without logins."""
    return (getattr(request, "username", None) or "") if request is not None else ""


def _token(cookies: dict[str, str], app: Any) -> str | None:
    """This app's login token among the request's cookies (a browser may still hold cookies of earlier servers)."""
    cookie_id = getattr(app, "cookie_id", None)
    if not cookie_id:
        return None
    return (cookies.get(f"{TOKEN_COOKIE_PREFIX}-{cookie_id}")
            or cookies.get(f"{TOKEN_COOKIE_PREFIX}-unsecure-{cookie_id}"))


def _app_of(request: gr.Request | None) -> Any:
    return getattr(getattr(request, "request", None), "app", None)


def session_key(request: gr.Request | None) -> tuple[str, str | None]:
    """(user, login token) of a handler's request: the unit uploads belong to."""
    cookies = dict(getattr(request, "cookies", None) or {}) if request is not None else {}
    return user_of(request), _token(cookies, _app_of(request))


def owns(conversation_id: str | None, user: str) -> bool:
    """True when the conversation exists and `user` may act on it (its owner; anyone without logins)."""
    if not conversation_id:
        return False
    owner = backend.conversation_owner(conversation_id)
    return owner is not None and (user == "" or owner == user)


def conversation_for(conversation_id: str | None, request: gr.Request | None) -> str | None:
    """The id when the caller may open it, else None (a missing id and another user's look the same)."""
    return conversation_id if owns(conversation_id, user_of(request)) else None


def job_for(job_id: str, conversation_id: str):
    """The job when it belongs to `conversation_id` (a conversation the caller owns), else None."""
    try:
        job = backend.job(job_id)
    except Exception:  # noqa: BLE001 - an unknown id and a foreign one get the same answer
        return None
    return job if job.conversation_id == conversation_id else None


# ---------------------------------------------------------------------------------------------------------------
# Every handler: the session's conversation belongs to the caller


def _input_names(fn: Callable) -> list[str]:
    """The parameters of `fn` that receive the event's inputs, in order (Gradio fills gr.Request, event data and
    gr.Progress parameters itself)."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - an unresolvable annotation is not a special argument
        hints = {}
    names = []
    for param in inspect.signature(fn).parameters.values():
        hint = hints.get(param.name)
        if isinstance(hint, type) and issubclass(hint, (gr.Request, gr.EventData)):
            continue
        if isinstance(param.default, gr.Progress) or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        names.append(param.name)
    return names


class SessionClaims:
    """Which user first used each Gradio session hash. The hash is chosen by the client and keys the tab's server-side
    state, so a second user presenting it would otherwise read and overwrite that tab's state. Bounded (LRU)."""

    def __init__(self, limit: int = MAX_SESSIONS):
        self.limit = limit
        self._lock = threading.Lock()
        self._owner: OrderedDict[str, str] = OrderedDict()

    def claim(self, session_hash: str, user: str) -> str:
        """The user the hash belongs to (`user`, when it is new)."""
        with self._lock:
            owner = self._owner.setdefault(session_hash, user)
            self._owner.move_to_end(session_hash)
            while len(self._owner) > self.limit:
                self._owner.popitem(last=False)
            return owner


def _claims_of(app: Any) -> SessionClaims:
    claims = getattr(app.state, "tunewise_sessions", None)
    if claims is None:
        claims = app.state.tunewise_sessions = SessionClaims()
    return claims


def _check(demo: gr.Blocks, fn: Callable, session_param: str | None, args: tuple, kwargs: dict) -> None:
    request = LocalContext.request.get(None)
    user = user_of(request)
    if demo.auth and not user:
        raise gr.Error(SIGN_IN, print_exception=False)
    app, session_hash = _app_of(request), getattr(request, "session_hash", None)
    if app is not None and session_hash and _claims_of(app).claim(session_hash, user) != user:
        raise gr.Error(NOT_YOURS, print_exception=False)
    if session_param is None:
        return
    bound = inspect.signature(fn).bind_partial(*args, **kwargs).arguments
    session = bound.get(session_param)
    conversation_id = session.get("conversation_id") if isinstance(session, dict) else None
    if conversation_id and not owns(conversation_id, user):
        raise gr.Error(NOT_YOURS, print_exception=False)


def _plain_error(exc: Exception) -> gr.Error:
    """An unexpected failure as one redacted sentence (never a traceback, never an API key)."""
    return gr.Error(redact(f"Something went wrong: {type(exc).__name__}: {exc}")[:500], print_exception=False)


def guarded(demo: gr.Blocks, fn: Callable, session_param: str | None) -> Callable:
    """`fn` with the ownership check in front (the same kind of callable, so Gradio streams generators)."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            _check(demo, fn, session_param, args, kwargs)
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - see _plain_error
                raise _plain_error(exc) from exc
        return generator

    @functools.wraps(fn)
    def function(*args, **kwargs):
        _check(demo, fn, session_param, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - see _plain_error
            raise _plain_error(exc) from exc
    return function


def protect(demo: gr.Blocks, session: gr.State) -> int:
    """Wrap every function registered on `demo` (call once, after all events are wired); how many were wrapped."""
    wrapped = 0
    for block_fn in demo.fns.values():
        fn = block_fn.fn
        if fn is None or getattr(fn, "__tunewise_guarded__", False):
            continue
        if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(f"{fn.__name__}: async handlers are not guarded yet; write it as a plain function")
        names = _input_names(fn)
        positions = [i for i, block in enumerate(block_fn.inputs) if block is session]
        session_param = names[positions[0]] if positions and positions[0] < len(names) else None
        block_fn.fn = guarded(demo, fn, session_param)
        block_fn.fn.__tunewise_guarded__ = True
        wrapped += 1
    return wrapped


# ---------------------------------------------------------------------------------------------------------------
# Files: what this login session uploaded


class UploadLedger:
    """The files Gradio's `/upload` returned, per (user, login token). Thread-safe; bounded per session."""

    def __init__(self, limit: int = MAX_UPLOADS_PER_SESSION):
        self.limit = limit
        self._lock = threading.Lock()
        self._files: dict[tuple[str, str | None], OrderedDict[str, None]] = {}

    def record(self, key: tuple[str, str | None], paths: list[str]) -> None:
        with self._lock:
            files = self._files.setdefault(key, OrderedDict())
            for path in paths:
                files[os.path.realpath(path)] = None
                files.move_to_end(os.path.realpath(path))
            while len(files) > self.limit:
                files.popitem(last=False)

    def holds(self, key: tuple[str, str | None], path: str) -> bool:
        with self._lock:
            return os.path.realpath(path) in self._files.get(key, {})


def ledger_of(app: Any) -> UploadLedger:
    """The ledger of a served app (made on first use)."""
    ledger = getattr(app.state, "tunewise_uploads", None)
    if ledger is None:
        ledger = app.state.tunewise_uploads = UploadLedger()
    return ledger


def uploaded_by_caller(path: str, request: gr.Request | None) -> bool:
    """True when this login session uploaded the file at `path` through this app."""
    app = _app_of(request)
    if app is None:
        return False
    return ledger_of(app).holds(session_key(request), path)


def accept_upload(path: str, conversation_id: str, request: gr.Request | None) -> uploads.Upload:
    """A file of the message box, kept when this session uploaded it and it passes the upload checks; otherwise a
    refused Upload whose sentence says why (a folder, another user's file or a server path never gets further)."""
    name = Path(path).name
    if not uploaded_by_caller(path, request):
        return uploads.Upload(name, None, 0, refuse_foreign_file(name))
    try:
        return uploads.accept(path, name, conversation_id)
    except OSError as exc:  # it vanished or cannot be read between the upload and now
        return uploads.Upload(name, None, 0, f"**{render.esc(name)}** could not be read ({exc.strerror or exc}); "
                              "drop it into the chat again.")


def refuse_foreign_file(name: str) -> str:
    """The chat's sentence for a file reference this session did not upload."""
    return (f"**{render.esc(name)}** was not accepted: tunewise reads only files you uploaded in this session. "
            "Drop the file into the chat again.")


def refused_placeholder(name: str) -> str:
    """A path inside Gradio's upload folder that never exists, standing in for a refused file reference."""
    clean = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name or "file").name)[-120:] or "file"
    return str(Path(gradio_utils.get_upload_folder()) / REFUSED_FOLDER / clean)


def _scope_key(scope: dict) -> tuple[str, str | None]:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                cookies[key] = val
    app = scope.get("app")
    token = _token(cookies, app)
    user = (getattr(app, "tokens", {}) or {}).get(token) if token else None
    return user or "", token


def _replace_foreign(data: Any, ledger: UploadLedger, key: tuple[str, str | None]) -> Any:
    """`data` with each file reference (a dict with a string `path`) that `key` did not upload replaced."""
    if isinstance(data, list):
        return [_replace_foreign(v, ledger, key) for v in data]
    if not isinstance(data, dict):
        return data
    path = data.get("path")
    if isinstance(path, str) and not ledger.holds(key, path):
        name = data.get("orig_name") or Path(path.rstrip("/")).name
        return {"path": refused_placeholder(name), "orig_name": name, "meta": {"_type": "gradio.FileData"}}
    return {k: _replace_foreign(v, ledger, key) for k, v in data.items()}


class UploadGuard:
    """ASGI middleware: records uploads per login session, and keeps other file references from Gradio (see the
    module docstring). Pass it to `launch(app_kwargs={"middleware": [Middleware(UploadGuard)]})`."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        if scope["path"].rstrip("/").endswith("/upload"):
            return await self._record_upload(scope, receive, send)
        content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
        if b"json" in content_type:
            return await self._screen_json(scope, receive, send)
        return await self.app(scope, receive, send)

    async def _record_upload(self, scope, receive, send):
        key, chunks, status = _scope_key(scope), [], [0]

        async def capture(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and status[0] == 200:
                    try:
                        paths = json.loads(b"".join(chunks))
                    except ValueError:
                        paths = []
                    if isinstance(paths, list):  # recorded before the client can learn the paths
                        ledger_of(scope["app"]).record(key, [p for p in paths if isinstance(p, str)])
            await send(message)

        await self.app(scope, receive, capture)

    async def _screen_json(self, scope, receive, send):
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return await self.app(scope, _replay(message), send)
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_JSON_BODY:
                return await _reject(send, 413, "request body too large")
        try:
            data = json.loads(body) if body else None
        except ValueError:
            data = None  # not JSON after all: Gradio answers it as it would
        if data is not None:
            screened = _replace_foreign(data, ledger_of(scope["app"]), _scope_key(scope))
            if screened != data:
                body = json.dumps(screened).encode()
                scope = dict(scope, headers=[(k, v) for k, v in scope["headers"] if k != b"content-length"]
                             + [(b"content-length", str(len(body)).encode())])
        await self.app(scope, _replay({"type": "http.request", "body": body, "more_body": False}), send)


def _replay(first: dict):
    sent = [False]

    async def receive():
        if not sent[0]:
            sent[0] = True
            return first
        return {"type": "http.disconnect"}

    return receive


async def _reject(send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})


# ---------------------------------------------------------------------------------------------------------------
# A job's files in the chat


def artifact_for_chat(path: str | Path, conversation_id: str) -> str | None:
    """A copy in Gradio's cache of a file inside the run folder of a job of `conversation_id` (which the caller's
    check has passed), for this response only; None when the file is not such a file."""
    path = Path(path)
    try:
        real = path.resolve(strict=True)
    except OSError:
        return None
    for job in backend.conversation_jobs(conversation_id):
        run_dir = Path(job.run_dir).resolve()
        if real.is_file() and real.is_relative_to(run_dir):
            return processing_utils.save_file_to_cache(real, str(gradio_utils.get_upload_folder()))
    return None


def download_folder() -> Path:
    """A new folder inside Gradio's cache, named by 128 random bits, for one file made for the caller (an export of
    the panel's job, which the caller's check has passed). Gradio serves a file already in its cache as it is,
    without a copy: a merged model's zip is hundreds of MB."""
    return Path(gradio_utils.get_upload_folder()) / "tunewise-downloads" / secrets.token_hex(16)


# ---------------------------------------------------------------------------------------------------------------
# Where the app may listen


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, auth: list | None, insecure_no_auth: bool = False) -> None:
    """Refuse to serve without logins on anything but loopback: in single-user mode every visitor is the one user,
    who sees every conversation and may approve every job."""
    if auth or insecure_no_auth or is_loopback(host):
        return
    raise UserError(f"--host {host}: without --auth anyone who can reach this address sees every conversation "
                    "and can approve every job. Add --auth USER:PASSWORD (or a file of them), or pass "
                    "--insecure-no-auth if this network is yours alone.", "insecure_bind", "host")
