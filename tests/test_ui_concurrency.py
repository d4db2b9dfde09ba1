"""Twenty people using the app at once, each through their own `gradio_client` session: every session's chat holds
its own words and nobody else's, and the turn latency stays interactive (p95 printed; the bound is loose because
the test machine's CPUs are shared)."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import shutil

import pytest

from tests.test_ui_server import chat_subprocess, chat_text, guidance_index, send, text_of  # noqa: F401

SESSIONS = 20
P95_BOUND_S = 15.0  # generous: 20 sessions on 2 shared CPU cores; the figure itself is what the report quotes

# Four openings and answers from shared/scenarios/public.jsonl (brand-voice, catalog-bot, json-extraction,
# ticket-classifier); each session adds a codename of its own that no other session says.
SCENARIOS = [
    {"opening": "Our agency writes content for 30 clients and each has its own voice. Prompts with style guides "
     "give inconsistent results.",
     "answers": {"problem": "Tone and voice drift between drafts.", "prompting_tried": "Yes, detailed style-guide "
                 "prompts with examples.", "labeled_examples": "200 to 400 approved, published pieces per client.",
                 "data_quality": "Only approved and published content."}},
    {"opening": "Our shop assistant bot answers questions about products, but the catalog changes every week and the "
     "bot gives outdated prices and specs.",
     "answers": {"problem": "Wrong and outdated facts about products.", "knowledge_changes": "Weekly, sometimes "
                 "daily.", "prompting_tried": "We put some products in the prompt but the catalog is too big."}},
    {"opening": "We spent weeks fine-tuning a model to produce consistent JSON for data extraction and it only "
     "improved a little.",
     "answers": {"problem": "The JSON output is inconsistent: missing fields and wrong types.",
                 "prompting_tried": "No, we went straight to fine-tuning.", "labeled_examples": "About 2,000."}},
    {"opening": "A large model with a good prompt classifies our support tickets into 40 categories well, but at our "
     "volume it is far too slow and expensive.",
     "answers": {"problem": "Cost and latency at high volume; quality is fine.", "labeled_examples": "About 50,000 "
                 "tickets labeled by the large model and spot-checked.", "inference_constraints": "Millions of "
                 "tickets a month, under 100 ms each."}},
]
CODENAMES = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo",
             "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform"]


def run_session(url: str, index: int) -> tuple[str, str, list[float]]:
    """One user's whole interview; returns (their codename, their final chat text, each turn's latency)."""
    from gradio_client import Client

    from agent.prompts import QUESTIONS

    codename = f"project-{CODENAMES[index]}-{index:02d}x"
    scenario = SCENARIOS[index % len(SCENARIOS)]
    client = Client(url, verbose=False)
    latencies: list[float] = []
    try:
        def timed_send(text: str) -> list[dict]:
            started = time.perf_counter()
            chat = send(client, text)
            latencies.append(time.perf_counter() - started)
            return chat

        chat = timed_send(f"{scenario['opening']} Our codename is {codename}.")
        for _ in range(8):
            fact = next((k for k, q in QUESTIONS.items() if q in text_of(chat[-1])), None)
            if fact is None:
                break
            chat = timed_send(f"{scenario['answers'].get(fact, 'I do not know')} ({codename})")
        timed_send("How many examples does fine-tuning need?")  # a side question: a guidance search
        chat = timed_send(f"Thanks, that helps the {codename} team.")
        return codename, chat_text(chat), latencies
    finally:
        client.close()


@pytest.fixture
def server_process(tunewise_home, guidance_index):
    """`tunewise chat` in its own process, so the 20 clients here do not share the server's interpreter."""
    shutil.copytree(guidance_index, tunewise_home / "chroma", dirs_exist_ok=True)
    with chat_subprocess(tunewise_home) as url:
        yield url


def test_twenty_concurrent_sessions_never_see_each_others_text(server_process):
    app_url = server_process
    _, _, solo = run_session(app_url, SESSIONS)  # one user alone first: the baseline (and a warm server)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        results = list(pool.map(lambda i: run_session(app_url, i), range(SESSIONS)))
    wall = time.perf_counter() - started

    codenames = [codename for codename, _, _ in results]
    for codename, text, _ in results:
        assert codename in text, f"{codename}: its own messages are missing"
        leaked = [other for other in codenames if other != codename and other in text]
        assert not leaked, f"{codename}'s chat shows text of {leaked}"

    latencies = sorted(t for _, _, ts in results for t in ts)
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(round(0.95 * (len(latencies) - 1))))]
    print(f"\none session alone: {len(solo)} turns, median {statistics.median(solo):.2f} s, max {max(solo):.2f} s; "
          f"{SESSIONS} concurrent sessions: {len(latencies)} turns in {wall:.1f} s, "
          f"turn latency p50 {p50:.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
    assert len(latencies) >= SESSIONS * 3
    assert p95 < P95_BOUND_S
