"""Two users on one server (`--auth alice:… bob:…` on loopback), Bob playing the attacker: every endpoint — the ones
`Client.view_api()` lists and every function the app registered, unlisted queue functions included — called as Bob
with Alice's ids, Alice's uploaded file, server paths and Alice's own tab session. Nothing of Alice's is read,
copied, approved, cancelled or listed; server paths are refused in the chat; run files are never served; an
anonymous caller gets 401.

Raw queue calls (`call_fn`) are what a browser sends: a POST to /gradio_api/queue/join naming the function by its
index and the session hash, then the event stream. Unlike gradio_client they can name any session hash and any
function, listed or not.
"""

from __future__ import annotations

import json
import os
import secrets
import urllib.parse
from pathlib import Path

import httpx
import pytest

from agent.events import ApprovalRequest

from tests.test_jobs_recipe import tiny_config, write_texts
from tests.test_ui_server import chat_text, client_factory, free_port, guidance_index, write_examples  # noqa: F401

USERS = [("alice", "wonderland"), ("bob", "builder")]
ALICE_PHRASE = "ALICE-PRIVATE-7f3a our invoices from Zurich"  # what Alice typed; must never reach Bob
DATA_MARKER = "alice-data-marker-91c2"  # inside Alice's uploaded dataset
RUN_MARKER = "alice-run-marker-5d0e"  # inside a file of Alice's run folder


# ---------------------------------------------------------------------------------------------------------------
# A raw caller: cookies of a login, any session hash, any function index


def login(url: str, user: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=60)
    response = http.post("login", data={"username": user, "password": password})
    assert response.status_code == 200, response.text
    return http


def call_fn(http: httpx.Client, fn_index: int, data: list, session_hash: str, event_data=None,
            trigger_id: int | None = None) -> dict:
    """One queued call; returns {"success", "output", "error", "text"} (text: every message the stream carried)."""
    joined = http.post("gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session_hash,
                                                      "event_data": event_data, "trigger_id": trigger_id})
    if joined.status_code != 200:
        return {"success": False, "status": joined.status_code, "output": None, "error": joined.text,
                "text": joined.text}
    event_id = joined.json()["event_id"]
    seen = []
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session_hash}, timeout=120) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            seen.append(line)
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                output = message.get("output") or {}
                return {"success": message.get("success"), "output": output.get("data"),
                        "error": output.get("error"), "text": "\n".join(seen)}
    return {"success": False, "output": None, "error": "stream ended", "text": "\n".join(seen)}


def alice_http(client) -> httpx.Client:
    """A raw caller with the login cookies of a gradio_client Client (the same login session)."""
    return httpx.Client(base_url=client.src, cookies=client.cookies, timeout=60)


def file_data(path: str) -> dict:
    return {"path": path, "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


# ---------------------------------------------------------------------------------------------------------------
# Alice's world


@pytest.fixture
def served(tunewise_home, guidance_index, tmp_path, monkeypatch):
    """The real app with logins for Alice and Bob (and its job runner) in this process: (url, Blocks)."""
    import shutil

    from trainer.runner import start_runner, stop_runner
    from ui import app

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio-cache"))  # to see what Gradio copies
    shutil.copytree(guidance_index, tunewise_home / "chroma", dirs_exist_ok=True)
    start_runner(poll_s=0.2)
    port = free_port()
    demo = app.serve("127.0.0.1", port, auth=USERS, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}/", demo
    demo.close()
    stop_runner()


@pytest.fixture
def two_users(served, client_factory, tmp_path, tiny_model_dir):
    """The server with Alice's conversation, upload, a job awaiting approval, an interrupted job with a run file,
    and her open tab (gradio_client) — returned with everything Bob must not reach."""
    from gradio_client import handle_file

    from agent import conversations
    from trainer import jobs

    url, demo = served
    alice = client_factory(url, auth=USERS[0])
    data = write_examples(tmp_path / "alice-examples.jsonl", n=40)
    data.write_text(data.read_text() + json.dumps({"prompt": DATA_MARKER, "completion": DATA_MARKER}) + "\n")
    out = alice.predict({"text": ALICE_PHRASE, "files": [handle_file(str(data))]}, api_name="/send")
    chat, cid = out[1], out[2]
    assert ALICE_PHRASE in chat_text(chat) and "Data check: alice-examples.jsonl" in chat_text(chat)
    uploaded = [p for p in (tmp_path / "gradio-cache").rglob("alice-examples.jsonl")]
    assert uploaded, "Alice's upload sits in Gradio's cache"

    texts = write_texts(tmp_path / "alice-texts.jsonl")
    waiting = jobs.create_job(tiny_config(tiny_model_dir, texts, steps=2).to_dict(), conversation_id=cid)
    conversations.append(cid, [ApprovalRequest(waiting.id, {"summary": "tiny plan"}, None)])
    stopped = jobs.create_job(tiny_config(tiny_model_dir, texts, steps=2).to_dict(), conversation_id=cid)
    # test set-up only: place the second job where resume and the run file apply, without running it
    assert jobs.transition(stopped.id, ["awaiting_approval"], "interrupted", "interrupted (test set-up)",
                           approved_by="alice")
    run_dir = Path(stopped.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(f"# {RUN_MARKER}\n")
    alice.predict(cid, api_name="/open_conversation")  # Alice's tab now holds her conversation
    return {"url": url, "demo": demo, "alice": alice, "cid": cid, "waiting": waiting.id, "stopped": stopped.id,
            "upload": str(uploaded[0]), "run_file": str(run_dir / "config.yaml"), "cache": tmp_path / "gradio-cache",
            "messages": len(conversations.events(cid))}


def alice_untouched(world: dict) -> None:
    from agent import conversations
    from trainer import jobs

    waiting, stopped = jobs.get_job(world["waiting"]), jobs.get_job(world["stopped"])
    assert (waiting.state, waiting.approved_by, waiting.cancel_requested_at) == ("awaiting_approval", None, None)
    assert stopped.state == "interrupted"
    assert len(conversations.events(world["cid"])) == world["messages"], "nothing was added to Alice's chat"
    assert conversations.owner_of(world["cid"]) == "alice"


def leaked(text: str) -> list[str]:
    # (not the file name: a refusal names the file Bob himself sent)
    return [m for m in (ALICE_PHRASE, DATA_MARKER, RUN_MARKER) if m in (text or "")]


# ---------------------------------------------------------------------------------------------------------------
# The tests


def attack_inputs(demo, dependency: dict, world: dict, value: str) -> list:
    """Inputs for one function: every text-like input holds `value` (one of Alice's ids), the message box carries
    Alice's uploaded file, a server path, a folder and a run file; numbers are valid settings."""
    from gradio import components

    out = []
    for component_id in dependency["inputs"]:
        block = demo.blocks[component_id]
        if isinstance(block, components.MultimodalTextbox):
            out.append({"text": value, "files": [file_data(world["upload"]), file_data("/etc/passwd"),
                                                 file_data("/etc"), file_data(world["run_file"])]})
        elif isinstance(block, (components.Number, components.Slider)):
            out.append(block.minimum if getattr(block, "minimum", None) is not None else 2)
        elif isinstance(block, components.Dataframe):
            out.append({"headers": ["fact", "what the advisor holds"], "data": [["Labeled examples", "5000"]]})
        elif isinstance(block, components.State):
            out.append(None)  # server-side: the session's own value is used whatever is sent
        elif isinstance(block, components.Dropdown) and block.choices and isinstance(block.choices[0], tuple):
            out.append(block.choices[0][1])  # a fixed menu (the training method): a valid choice, to get past it
        else:  # Textbox, Dropdown, BrowserState…
            out.append(value)
    return out


def test_bob_reaches_nothing_of_alices_through_any_endpoint_listed_or_not(two_users, client_factory):
    world = two_users
    url, demo = world["url"], world["demo"]
    bob = client_factory(url, auth=USERS[1])
    listed = bob.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/send", "/act", "/poll", "/cancel", "/resume", "/open_conversation"} <= set(listed)

    bob_http = login(url, *USERS[1])
    dependencies = bob_http.get("config").json()["dependencies"]
    assert len(dependencies) == len(demo.fns) >= 16, "every registered function is in the config"

    values = [world["cid"], f"approve:{world['waiting']}", f"reject:{world['waiting']}", world["stopped"],
              f"say:{ALICE_PHRASE[:5]}"]
    calls, outputs = 0, []
    for index, dependency in enumerate(dependencies):
        for value in values:
            data = attack_inputs(demo, dependency, world, value)
            event = {"index": 0, "value": value} if dependency.get("api_name") == "on_option" else None
            trigger, kind = ((dependency.get("targets") or [[None, None]])[0] + [None])[:2]
            if kind == "select":  # a table row picked (the job list): the row holds Alice's value
                event = {"index": [0, 0], "value": value, "row_value": [value], "col_value": [value]}
            for session_hash in (secrets.token_hex(6), world["alice"].session_hash):  # his own tab, then Alice's
                result = call_fn(bob_http, index, data, session_hash, event_data=event, trigger_id=trigger)
                calls += 1
                outputs.append(result["text"])
                assert not leaked(result["text"]), (dependency.get("api_name"), value, leaked(result["text"]))
                if session_hash == world["alice"].session_hash:  # Alice's tab state is hers alone
                    refused_by = "us" if "belongs to another user" in (result["error"] or "") else result["error"]
                    # a value outside a menu is refused by Gradio before any handler: also a refusal
                    assert result["success"] is False and (refused_by == "us" or "not in the list of choices" in
                                                           refused_by), (dependency.get("api_name"), refused_by)
    alice_untouched(world)
    chat = world["alice"].predict(world["cid"], api_name="/open_conversation")[0]
    assert ALICE_PHRASE in chat_text(chat), "Alice's own tab still works"

    # the listed endpoints through gradio_client too, as Bob in his own session
    for name, info in listed.items():
        args = [world["cid"] if p["component"] in ("Textbox", "Dropdown", "Browserstate", "State") else
                ({"text": "x", "files": []} if p["component"] == "Multimodaltextbox" else 2)
                for p in info["parameters"]]
        try:
            result = bob.predict(*args, api_name=name)
        except Exception as exc:  # a refusal is fine; a leak is not
            result = str(exc)
        assert not leaked(json.dumps(result, default=str)), name
        calls += 1
    alice_untouched(world)

    # listings: Bob's picker holds only Bob's conversations (ids; a title may be any text Bob typed, Alice's id too)
    from agent import conversations

    picker = next(o for o in bob.predict(api_name="/new_conversation") if isinstance(o, dict) and "choices" in o)
    ids = [choice[1] for choice in picker["choices"]]
    assert ids and world["cid"] not in ids and {conversations.owner_of(i) for i in ids} == {"bob"}, ids
    # copies: the only copy of Alice's data under uploads/ is her own
    copies = [p for p in (Path(os.environ["TUNEWISE_HOME"]) / "uploads").rglob("*") if p.is_file()
              and DATA_MARKER in p.read_text(errors="replace")]
    assert len(copies) == 1 and world["cid"] in str(copies[0]), copies
    print(f"\n{calls} calls as Bob against {len(dependencies)} functions ({len(listed)} listed): 0 leaks")


def test_server_paths_folders_and_other_users_files_are_refused_in_the_chat(two_users):
    """Raw queue calls: gradio_client would upload a local path itself (client and server share this disk), which
    is Bob's own upload and not the attack."""
    world = two_users
    bob = login(world["url"], *USERS[1])
    dependencies = bob.get("config").json()["dependencies"]
    send = next(i for i, d in enumerate(dependencies) if d.get("api_name") == "send")
    trigger = dependencies[send]["targets"][0][0]
    for path in ("/etc/passwd", "/etc", world["upload"], world["run_file"],
                 str(Path(os.environ["TUNEWISE_HOME"]) / "tunewise.db"), "http://127.0.0.1:1/x.jsonl"):
        result = call_fn(bob, send, [{"text": "here is my data", "files": [file_data(path)]}, None],
                         secrets.token_hex(6), trigger_id=trigger)
        assert result["success"], (path, result["error"])  # a refusal in the chat, not an error object
        text = result["text"]
        assert "was not accepted: tunewise reads only files you uploaded in this session" in text, (path, text[-800:])
        assert not leaked(text) and "IsADirectoryError" not in text
    assert not [p for p in world["cache"].rglob("passwd")], "Gradio never copied /etc/passwd into its cache"
    assert not [p for p in world["cache"].rglob("tunewise.db")]
    # Alice's own upload, named again by Alice in the login session that uploaded it, is accepted
    alice = world["alice"]
    result = call_fn(alice_http(alice), send, [{"text": "again", "files": [file_data(world["upload"])]}, None],
                     secrets.token_hex(6), trigger_id=trigger)
    assert "Data check: alice-examples.jsonl" in result["text"].split("again", 1)[-1]


def test_run_files_are_not_served_and_anonymous_callers_get_401(two_users):
    world = two_users
    url = world["url"]
    quoted = urllib.parse.quote(world["run_file"])
    for user in USERS:  # not Bob, and not Alice either: run folders are not static files at all
        response = login(url, *user).get(f"gradio_api/file={quoted}")
        assert response.status_code in (403, 404) and RUN_MARKER not in response.text, (user, response.status_code)
    anonymous = httpx.Client(base_url=url, timeout=30)
    assert anonymous.get(f"gradio_api/file={quoted}").status_code == 401
    assert anonymous.post("gradio_api/queue/join", json={"data": [None], "fn_index": 6,
                                                         "session_hash": "x"}).status_code == 401
    assert anonymous.post("gradio_api/upload", files={"files": ("a.txt", b"hi")}).status_code == 401
    assert anonymous.get("config").status_code == 401


def test_without_auth_a_non_loopback_host_is_refused_unless_marked_insecure():
    from trainer.state.errors import UserError
    from ui import access
    from ui.cli import main

    with pytest.raises(UserError, match="--auth"):
        access.check_bind("0.0.0.0", None)
    for host in ("127.0.0.1", "localhost", "::1"):
        access.check_bind(host, None)
    access.check_bind("0.0.0.0", [("a", "b")])
    access.check_bind("0.0.0.0", None, insecure_no_auth=True)
    assert main(["chat", "--host", "0.0.0.0", "--port", "1"]) == 1  # a clear error, nothing served
