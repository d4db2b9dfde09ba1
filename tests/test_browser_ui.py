"""A real browser (Debian's chromium through Playwright; never `playwright install`) on the real app: type the
interview, drop the data file into the message box, edit the plan, click Approve inside the chat, close the tab
mid-job, reopen it, and see the loss plot and the results. Screenshots go to the test's output folder (and, with
TUNEWISE_SCREENSHOTS=DIR, to DIR as well: that is how docs/screenshots/ is made).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.test_ui_server import BRAND_VOICE, app_url, guidance_index, serve_app, write_examples  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

# the loss plot shows a real training-loss point (the plot's own accessible label of each point)
PLOTTED = ("() => /optimizer step: [1-9][0-9]*; cross-entropy: [0-9.]+; series: train loss/"
           ".test(document.querySelector('#tw-loss').innerHTML)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (`make browser` installs it)"),
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Shots:
    """Screenshots into the test's folder, and into TUNEWISE_SCREENSHOTS when set."""

    def __init__(self, folder: Path):
        self.folder = folder
        extra = os.environ.get("TUNEWISE_SCREENSHOTS")
        self.extra = Path(extra) if extra else None

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path))
        if self.extra:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.extra / path.name)
        return path


def bot_texts(page) -> list[str]:
    return page.locator("#tw-chat [data-testid='bot']").all_inner_texts()


def settle(page, before: int, timeout: float = 60.0) -> list[str]:
    """Wait until the chat has more bot messages than `before` and stops changing (the reply finished streaming)."""
    deadline = time.monotonic() + timeout
    last, stable = None, 0
    while time.monotonic() < deadline:
        texts = bot_texts(page)
        if len(texts) > before and texts == last and not texts[-1].rstrip().endswith("…"):
            stable += 1
            if stable >= 3:
                return texts
        else:
            stable = 0
        last = texts
        time.sleep(0.3)
    raise AssertionError(f"the chat did not settle; last messages: {last[-3:] if last else last}")


def say(page, text: str, files=()) -> list[str]:
    before = len(bot_texts(page))
    if files:
        page.locator("#tw-input input[type=file]").set_input_files([str(f) for f in files])
        # the upload finished when the box shows a thumbnail per file
        page.wait_for_function(f"() => document.querySelectorAll('#tw-input .thumbnail-item').length >= {len(files)}",
                               timeout=30_000)
    box = page.locator("#tw-input textarea")
    box.fill(text)
    box.press("Enter")
    return settle(page, before)


def test_a_user_interviews_approves_and_sees_loss_plot_and_results_in_chromium(browser, app_url, tmp_path,
                                                                                 tiny_model_dir):
    from agent.prompts import QUESTIONS
    from trainer import jobs

    shots = Shots(tmp_path)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#tw-chat [data-testid='bot']")
    page.get_by_role("button", name="Brand voice for 30 clients").wait_for()  # example openings to click
    shots.take(page, "01-welcome")

    texts = say(page, BRAND_VOICE["opening"])
    for _ in range(14):
        fact = next((k for k, q in QUESTIONS.items() if q in texts[-1]), None)
        if fact is None:
            break
        texts = say(page, BRAND_VOICE["answers"].get(fact, "I don't know"))
    assert any("Recommendation: LoRA fine-tuning" in t for t in texts)
    page.locator("#tw-chat details").first.click()  # a citation opens its guide passage
    shots.take(page, "02-recommendation")

    data = write_examples(tmp_path / "examples.jsonl")
    texts = say(page, "Here is our data", [data])
    assert any("Data check: examples.jsonl" in t for t in texts)
    shots.take(page, "03-data-check")

    texts = say(page, "launch it")
    assert any("Training plan — job" in t for t in texts)
    first_job = jobs.list_jobs(state="awaiting_approval")[0].id

    settings = page.locator("#tw-settings")
    settings.get_by_text("Plan settings").click()
    settings.get_by_role("textbox", name="base model").fill(str(tiny_model_dir))
    for label, value in (("learning rate", "0.001"), ("LoRA rank", "8"), ("max sequence length (tokens)", "128"),
                         ("max steps (0 = from epochs)", "6"), ("epochs", "1"),
                         ("evaluation examples to generate", "4")):
        settings.get_by_role("spinbutton", name=label, exact=True).fill(value)
    shots.take(page, "04-plan-settings")
    page.get_by_role("button", name="Apply settings").click()
    page.wait_for_function(f"() => document.querySelector('#tw-chat').innerText.includes('replaced') || "
                           f"[...document.querySelectorAll('#tw-chat [data-testid=bot]')].some(e => "
                           f"e.innerText.includes('Training plan') && !e.innerText.includes('{first_job}'))",
                           timeout=30_000)
    new_job = jobs.list_jobs(state="awaiting_approval")[0].id
    assert new_job != first_job
    approve = page.locator("#tw-chat").get_by_role("button", name="Approve").last
    approve.wait_for()
    shots.take(page, "05-approval")
    assert jobs.get_job(new_job).state == "awaiting_approval", "nothing runs before the click"
    approve.click()
    page.wait_for_function(f"() => document.querySelector('#tw-chat').innerText.includes('Approved by')",
                           timeout=30_000)
    assert jobs.get_job(new_job).approved_by

    # the loss curve fills while it trains; then the tab is closed mid-job and opened again
    page.wait_for_function("() => document.querySelector('#tw-job').innerText.includes('running') || "
                           "document.querySelector('#tw-job').innerText.includes('succeeded')", timeout=120_000)
    page.wait_for_function(PLOTTED, timeout=120_000)
    shots.take(page, "06-training")
    page.close()

    page = context.new_page()
    page.goto(app_url)
    page.wait_for_function("() => document.querySelector('#tw-chat') && "
                           "document.querySelector('#tw-chat').innerText.includes('Recommendation: LoRA')",
                           timeout=30_000)
    page.wait_for_function("() => document.querySelector('#tw-chat').innerText.includes('Results — job')",
                           timeout=180_000)
    page.wait_for_function(PLOTTED, timeout=30_000)
    page.wait_for_selector("#tw-chat img", timeout=30_000)
    page.wait_for_timeout(1000)
    chat = page.locator("#tw-chat").inner_text()
    assert "finished training" in chat and "Verdict:" in chat and "Sample outputs, side by side" in chat
    assert chat.count("Results — job") == 1
    shot = shots.take(page, "07-results")
    assert shot.stat().st_size > 10_000

    page.locator("#tw-try").get_by_text("Try it").click()
    page.locator("#tw-try textarea").fill("Write a tagline for product 3")
    page.get_by_role("button", name="Ask both").click()
    page.wait_for_function("() => document.querySelector('#tw-try').innerText.includes('Tuned')", timeout=60_000)
    shots.take(page, "08-try-it")
    context.close()
    assert [j.id for j in jobs.list_jobs() if j.approved_by] == [new_job], "one click, one job"


def test_an_example_opening_is_one_click_and_a_wrong_password_is_refused_in_chromium(browser, serve_app, tmp_path):
    shots = Shots(tmp_path)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(serve_app())
    page.get_by_role("button", name="JSON extraction from invoices").click()
    page.wait_for_function("() => document.querySelector('#tw-chat [data-testid=user]') && "
                           "document.querySelector('#tw-chat').innerText.includes('Noted')", timeout=30_000)
    assert "strict JSON" in page.locator("#tw-chat [data-testid='user']").first.inner_text()
    assert not page.get_by_role("button", name="JSON extraction from invoices").count(), "examples only on a new chat"
    page.close()

    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(serve_app(auth=[("alice", "wonderland")]))
    page.get_by_label("username").fill("alice")
    page.get_by_label("password").fill("not-the-password")
    page.get_by_role("button", name="Login").click()
    page.get_by_text("Incorrect Credentials", exact=False).wait_for(timeout=15_000)
    shots.take(page, "09-wrong-password")
    page.get_by_label("username").fill("alice")  # a refused login clears both fields: type them again
    page.get_by_label("password").fill("wonderland")
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(2000)
    page.reload()  # the login page reloads itself on success; under load, reload explicitly
    page.wait_for_selector("#tw-chat [data-testid='bot']", timeout=90_000)
    page.close()
