"""The real app server (uvicorn, in this process, on a free loopback port) driven through `gradio_client`, the way
a browser drives it: the whole flow from the opening message to the results in the chat, and the bad inputs of
issue 8 (binary and oversized uploads, a double click on Approve, closing the browser mid-job, two tabs on one
conversation, a wrong password).

The server fixtures here are imported by the other UI test modules.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

BRAND_VOICE = {  # shared/scenarios/public.jsonl "brand-voice": the advisor recommends LoRA fine-tuning
    "opening": "Our agency writes content for 30 clients and each has its own voice. Prompts with style guides give "
    "inconsistent results.",
    "answers": {"problem": "Tone and voice drift between drafts.",
                "prompting_tried": "Yes, detailed style-guide prompts with examples.",
                "labeled_examples": "200 to 400 approved, published pieces per client.",
                "data_quality": "Only approved and published content.",
                "compute": "No GPUs in house but we can rent one.",
                "budget": "A few hundred dollars per client."},
}


# ---------------------------------------------------------------------------------------------------------------
# Fixtures and helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def guidance_index(tmp_path_factory) -> Path:
    """The guidance index built once per test session (≈ 9 s); each server test copies it into its own home."""
    from trainer.state import db

    folder = tmp_path_factory.mktemp("guidance-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUNEWISE_HOME", str(folder))
        db.reset_engines()
        import knowledge

        assert knowledge.search("when is LoRA fine-tuning worth it", k=1)
        db.reset_engines()
    return folder / "chroma"


@pytest.fixture
def serve_app(tunewise_home, guidance_index):
    """Start the real app (and the job runner) in this process; returns `start(auth=None) -> url`. Everything is
    shut down after the test."""
    from agent import milestones
    from trainer.runner import start_runner, stop_runner
    from ui import app

    shutil.copytree(guidance_index, tunewise_home / "chroma", dirs_exist_ok=True)
    started = []

    def start(auth=None) -> str:
        start_runner(poll_s=0.2)
        milestones.start(poll_s=0.3)  # what `tunewise chat` starts with the app
        port = free_port()
        started.append(app.serve("127.0.0.1", port, auth=auth, block=False, quiet=True))
        return f"http://127.0.0.1:{port}/"

    yield start
    for demo in started:
        demo.close()
    milestones.stop()
    stop_runner()


@pytest.fixture
def app_url(serve_app) -> str:
    return serve_app()


@pytest.fixture
def client_factory():
    from gradio_client import Client

    made = []

    def make(url: str, **kwargs):
        c = Client(url, verbose=False, **kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def text_of(message: dict) -> str:
    """All text of one chat message as gradio_client returns it ({role, content: [{type, text|file}], ...})."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") for p in content or [] if isinstance(p, dict) and p.get("type") == "text")


def chat_text(chat: list[dict]) -> str:
    return "\n".join(text_of(m) for m in chat)


def send(client, text: str, files=()) -> list[dict]:
    from gradio_client import handle_file

    result = client.predict({"text": text, "files": [handle_file(str(f)) for f in files]}, api_name="/send")
    return result[1]


def options(chat: list[dict], prefix: str) -> list[str]:
    return [o["value"] for m in chat for o in (m.get("options") or []) if o["value"].startswith(prefix)]


def interview(client, scenario: dict, max_turns: int = 14) -> list[dict]:
    """The scripted user of DESIGN.md: the opening, then the answer to each question (or "I don't know")."""
    from agent.prompts import QUESTIONS

    chat = send(client, scenario["opening"])
    for _ in range(max_turns):
        last = text_of(chat[-1])
        fact = next((k for k, q in QUESTIONS.items() if q in last), None)
        if fact is None:
            return chat
        chat = send(client, scenario["answers"].get(fact, "I don't know"))
    return chat


def write_examples(path: Path, n: int = 300) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"prompt": f"Write a tagline for product {i}",
                                "completion": f"Product {i}: bold, bright, yours."}) + "\n")
    return path


def tiny_settings(tiny_model_dir: Path) -> list:
    """Plan settings for a job that finishes in seconds: the tiny random model, 6 optimizer steps, 4 evaluation
    generations."""
    # method, base, epochs, learning rate, LoRA rank, max sequence length, batch size, max steps, eval examples
    return ["lora", str(tiny_model_dir), 1, 1e-3, 8, 128, 8, 6, 4]


def wait_for(client, predicate, timeout: float = 120.0, every: float = 0.5):
    """Call /poll (what the browser's timer calls) until `predicate(outputs)` holds; return the outputs."""
    deadline = time.monotonic() + timeout
    last_chat = None
    while time.monotonic() < deadline:
        out = list(client.predict(api_name="/poll"))
        if isinstance(out[0], list):
            last_chat = out[0]
        out[0] = last_chat or []
        if predicate(out):
            return out
        time.sleep(every)
    raise AssertionError(f"timed out; last chat:\n{chat_text(last_chat or [])[-3000:]}")


def prepare_plan(client, tmp_path: Path, tiny_model_dir: Path) -> tuple[list[dict], str]:
    """Interview → recommendation → data upload → launch → tiny settings; returns (chat, job id awaiting approval)."""
    chat = interview(client, BRAND_VOICE)
    assert "Recommendation: LoRA fine-tuning" in chat_text(chat)
    chat = send(client, "Here is our data", [write_examples(tmp_path / "examples.jsonl")])
    chat = send(client, "launch it")
    chat, note = client.predict(*tiny_settings(tiny_model_dir), api_name="/apply_settings")
    assert "replaced by" in note, note
    job_id = options(chat, "approve:")[-1].split(":", 1)[1]
    return chat, job_id


# ---------------------------------------------------------------------------------------------------------------
# The whole flow


def test_whole_flow_from_opening_to_results_through_gradio_client(app_url, client_factory, tmp_path, tiny_model_dir):
    from trainer import jobs

    client = client_factory(app_url)
    started = time.monotonic()

    chat = client.predict(None, api_name="/load")[0]
    assert "I'm tunewise" in text_of(chat[0]) and options(chat, "say:"), "welcome with clickable example openings"

    chat = interview(client, BRAND_VOICE)
    text = chat_text(chat)
    # the recommendation card: approach, reasons, alternatives, what would change it, cost, citations
    for part in ("Recommendation: LoRA fine-tuning", "**Why**", "**Alternatives:**", "What would change this",
                 "**Sources**", "<details>"):
        assert part in text, part
    # the cost: worked out from the user's own figures when it can be, else the approach's typical band
    assert "**Your cost, worked out:**" in text or "**Cost and time:**" in text
    assert any((m.get("metadata") or {}).get("title", "").startswith("🔎 Searched the guidance") for m in chat)

    chat = send(client, "Here is our data", [write_examples(tmp_path / "examples.jsonl")])
    report = chat_text(chat)
    assert "Data check: examples.jsonl" in report and "**rows:** 300" in report and "**errors:** 0" in report
    kept = list((Path(os.environ["TUNEWISE_HOME"]) / "uploads").rglob("examples.jsonl"))
    assert len(kept) == 1, "the upload is kept under TUNEWISE_HOME/uploads"

    chat = send(client, "launch it")
    assert "Training plan — job" in chat_text(chat) and "Measured on this machine" in chat_text(chat)
    first_job = options(chat, "approve:")[-1].split(":", 1)[1]
    assert jobs.get_job(first_job).state == "awaiting_approval", "nothing runs before the click"

    chat, note = client.predict(*tiny_settings(tiny_model_dir), api_name="/apply_settings")
    job_id = options(chat, "approve:")[-1].split(":", 1)[1]
    assert job_id != first_job and jobs.get_job(first_job).state == "cancelled"
    assert jobs.get_job(job_id).config["model"]["base"] == str(tiny_model_dir)
    time.sleep(1.0)
    assert jobs.get_job(job_id).state == "awaiting_approval", "editing settings approves nothing"

    chat = client.predict(f"approve:{job_id}", api_name="/act")[0]
    assert jobs.get_job(job_id).approved_by, "the click approved it"

    out = wait_for(client, lambda o: "Results — job" in chat_text(o[0]), timeout=150)
    chat, panel, plot = out[0], out[1], out[2]
    text = chat_text(chat)
    assert "finished training" in text and "**Verdict:**" in text and "| test loss (nats/token) |" in text
    assert "Sample outputs, side by side" in text
    images = [p for m in chat for p in m["content"] if isinstance(p, dict) and p.get("type") == "file"]
    assert {Path(p["file"]["path"] if isinstance(p["file"], dict) else p["file"]).name for p in images} >= {
        "loss_curves.png", "metrics.png"}
    assert "succeeded" in (panel or "")
    assert jobs.get_job(job_id).state == "succeeded"
    assert [j.id for j in jobs.list_jobs(state="succeeded")] == [job_id], "one approval, one job"

    base, tuned = client.predict("Write a tagline for product 3", 16, 0.0, api_name="/try_it")
    assert base.startswith("**Base") and tuned.startswith("**Tuned")
    print(f"\nwhole flow through gradio_client: {time.monotonic() - started:.1f} s")


# ---------------------------------------------------------------------------------------------------------------
# Bad input


def test_binary_wrong_type_and_oversized_uploads_get_clear_messages(serve_app, client_factory, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("TUNEWISE_MAX_UPLOAD_MB", "0.01")  # a 10 KiB limit, read at each upload
    client = client_factory(serve_app())
    binary = tmp_path / "data.jsonl"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    big = tmp_path / "big.jsonl"
    big.write_text((json.dumps({"prompt": "x" * 100, "completion": "y"}) + "\n") * 200, encoding="utf-8")

    chat = send(client, "", [binary])
    assert "data.jsonl** was not accepted: it is binary" in chat_text(chat)
    chat = send(client, "", [image])
    assert "`.png` is not a data file" in chat_text(chat)
    chat = send(client, "here is the full set", [big])
    text = chat_text(chat)
    assert "over the 10.2 KiB upload limit" in text or "over the 10.0 KiB upload limit" in text, text[-800:]
    assert not list((Path(os.environ["TUNEWISE_HOME"]) / "uploads").rglob("*.*")), "refused files are not kept"

    # a file past Gradio's own cap (8 MiB here) is refused before it is even stored, with a size message
    huge = tmp_path / "huge.jsonl"
    huge.write_bytes(b"a" * (9 * 2**20))
    with pytest.raises(Exception) as caught:
        send(client, "", [huge])
    assert "size" in str(caught.value).lower() or "large" in str(caught.value).lower() or "413" in str(caught.value)


def test_double_click_on_approve_starts_one_job(serve_app, client_factory, tmp_path, tiny_model_dir):
    from trainer import jobs

    client = client_factory(serve_app())
    _, job_id = prepare_plan(client, tmp_path, tiny_model_dir)
    # two clicks in flight at once
    first = client.submit(f"approve:{job_id}", api_name="/act")
    second = client.submit(f"approve:{job_id}", api_name="/act")
    first.result(timeout=60), second.result(timeout=60)
    approvals = [e for e in jobs.read_events(job_id) if e["message"].startswith("approved by")]
    assert len(approvals) == 1
    assert len([j for j in jobs.list_jobs() if j.approved_by]) == 1
    chat = client.predict(f"approve:{job_id}", api_name="/act")[0]  # and a late third click
    assert "one approval starts one job" in chat_text(chat) or "already approved" in chat_text(chat)
    assert len([j for j in jobs.list_jobs() if j.approved_by]) == 1


def test_closing_the_browser_mid_job_and_reopening_loses_nothing(serve_app, client_factory, tmp_path,
                                                                   tiny_model_dir):
    url = serve_app()
    first = client_factory(url)
    _, job_id = prepare_plan(first, tmp_path, tiny_model_dir)
    conversation_id = first.predict(f"approve:{job_id}", api_name="/act")[1]  # (chat, conversation id, profile)
    first.close()  # the tab is gone; the job runs on in the server's runner

    again = client_factory(url)
    chat = again.predict(conversation_id, api_name="/open_conversation")[0]
    assert "Recommendation: LoRA fine-tuning" in chat_text(chat) and "Data check: examples.jsonl" in chat_text(chat)
    out = wait_for(again, lambda o: "Results — job" in chat_text(o[0]), timeout=150)
    assert f"Job `{job_id}` finished training" in chat_text(out[0])
    assert chat_text(out[0]).count("Results — job") == 1


def test_two_tabs_on_one_conversation_see_each_other_and_approve_once(serve_app, client_factory, tmp_path,
                                                                      tiny_model_dir):
    from trainer import jobs

    url = serve_app()
    tab_a, tab_b = client_factory(url), client_factory(url)
    _, job_id = prepare_plan(tab_a, tmp_path, tiny_model_dir)
    cid = jobs.get_job(job_id).conversation_id
    chat_b = tab_b.predict(cid, api_name="/open_conversation")[0]
    assert f"approve:{job_id}" in options(chat_b, "approve:"), "tab B shows the same plan with its buttons"

    tab_b.predict(f"approve:{job_id}", api_name="/act")  # B approves
    chat_a = wait_for(tab_a, lambda o: f"approve:{job_id}" not in options(o[0], "approve:") and o[0], timeout=20)[0]
    assert "Approved by" in chat_text(chat_a), "tab A sees B's approval"
    chat_a = tab_a.predict(f"approve:{job_id}", api_name="/act")[0]  # A's stale button
    assert "one approval starts one job" in chat_text(chat_a) or "already approved" in chat_text(chat_a)
    assert len([e for e in jobs.read_events(job_id) if e["message"].startswith("approved by")]) == 1

    send(tab_a, "How is it going?")
    out = wait_for(tab_b, lambda o: "How is it going?" in chat_text(o[0]), timeout=20)
    assert "How is it going?" in chat_text(out[0]), "tab B sees what tab A wrote"


def test_wrong_password_is_refused_and_users_see_only_their_conversations(serve_app, client_factory):
    url = serve_app(auth=[("alice", "wonderland"), ("bob", "builder")])
    form = urllib.parse.urlencode({"username": "alice", "password": "nope"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url + "login", data=form), timeout=10)
    assert refused.value.code == 400 and "Incorrect credentials" in refused.value.read().decode()
    with pytest.raises(Exception):
        client_factory(url, auth=("alice", "nope"))

    alice = client_factory(url, auth=("alice", "wonderland"))
    conversation_id = alice.predict({"text": "We want JSON output from invoices.", "files": []}, api_name="/send")[2]
    bob = client_factory(url, auth=("bob", "builder"))
    chat = bob.predict(conversation_id, api_name="/open_conversation")[0]
    assert "JSON output from invoices" not in chat_text(chat), "bob cannot open alice's conversation"
    chat = alice.predict(conversation_id, api_name="/open_conversation")[0]
    assert "JSON output from invoices" in chat_text(chat)


@contextlib.contextmanager
def chat_subprocess(home: Path, *args: str):
    """`tunewise chat --port P ARGS` in its own process (its own CPU-bound server, like a user's); yields the URL."""
    port = free_port()
    env = {**os.environ, "TUNEWISE_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "chat", "--port", str(port), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read() if proc.poll() is not None else "server did not start")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_tunewise_chat_command_serves_with_auth_from_a_file(tmp_path, tunewise_home):
    """The real CLI in a subprocess: `tunewise chat --port P --auth FILE` serves the login page and refuses a
    wrong password."""
    auth_file = tmp_path / "users.txt"
    auth_file.write_text("# team logins\nalice:wonderland\n", encoding="utf-8")
    with chat_subprocess(tunewise_home, "--auth", str(auth_file)) as url:
        port = urllib.parse.urlparse(url).port
        assert "<html" in urllib.request.urlopen(url, timeout=10).read().decode().lower()
        form = urllib.parse.urlencode({"username": "alice", "password": "wrong"}).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/login", data=form), timeout=10)
        assert refused.value.code == 400
        form = urllib.parse.urlencode({"username": "alice", "password": "wonderland"}).encode()
        assert urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/login", data=form),
                                      timeout=10).status == 200


def test_bad_auth_argument_is_a_clear_error(tmp_path):
    from trainer.state.errors import UserError
    from ui.app import parse_auth

    assert parse_auth("alice:pw:with:colons") == [("alice", "pw:with:colons")]
    with pytest.raises(UserError, match="USER:PASSWORD"):
        parse_auth("alice")
    bad = tmp_path / "users.txt"
    bad.write_text("alice:ok\nbob\n", encoding="utf-8")
    with pytest.raises(UserError, match="line 2"):
        parse_auth(str(bad))
