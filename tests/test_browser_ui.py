"""A real browser (Debian's chromium through Playwright; never `playwright install`) on the real app, on the path a
newcomer takes: type the interview, drop the data file into the message box, click the recommendation's Launch
button, find Approve in view, approve, and see training, evaluation and the results — Plan settings untouched. Screenshots go to the test's output folder (and, with
TUNEWISE_SCREENSHOTS=DIR, to DIR as well: that is how docs/screenshots/ is made).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest

from tests.internal_names import leaked
from tests.test_ui_server import BRAND_VOICE, app_url, guidance_index, serve_app, write_examples  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]

# the loss plot shows a real training-loss point: its caption names the latest logged value, and the image is drawn
PLOTTED = ("() => /train loss [0-9.]+ at step [1-9]/.test(document.querySelector('#tw-loss-caption').innerText) && "
           "document.querySelector('#tw-loss img')")

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


# an internal id on screen (lora_finetune, prompting_tried, max_examples, exact_match): lower-case words joined by "_"
SNAKE_CASE = re.compile(r"(?<![\w./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")

# every text the job panel shows, recorded as it changes (the poll redraws it once a second; a phase of a tiny job
# can pass between two looks by the test)
RECORD_PANEL = """() => { window.twPanel = []; const seen = new Set();
  const look = () => { const el = document.querySelector('#tw-job'); if (!el) return; const t = el.innerText;
    if (!seen.has(t)) { seen.add(t); window.twPanel.push(t); } };
  new MutationObserver(look).observe(document.body, {subtree: true, childList: true, characterData: true}); look(); }"""


class Shots:
    """Screenshots into the test's folder, and into TUNEWISE_SCREENSHOTS when set. Each one also records the
    internal ids (snake_case) the page shows as text, for the test to refuse."""

    def __init__(self, folder: Path, for_docs: bool = True):
        self.folder = folder
        extra = os.environ.get("TUNEWISE_SCREENSHOTS") if for_docs else None
        self.extra = Path(extra) if extra else None
        self.internal: dict[str, set[str]] = {}

    def take(self, page, name: str, focus=None, block: str = "start", page_top: bool = True) -> Path:
        """The page from its top; with `focus` (a locator), scrolled so that element is in view (`block` as in
        scrollIntoView: a chat message at the top of the chat) — what the step is about, as a user would look at
        it. `page_top=False` leaves the page scrolled too (a panel below the fold)."""
        path = self.folder / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")
        if focus is not None:
            focus.evaluate(f"el => el.scrollIntoView({{block: '{block}'}})")
            if page_top:
                page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(300)
        found = set(SNAKE_CASE.findall(page.evaluate("() => document.body.innerText")))
        if found:
            self.internal[name] = found
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
    return settle(page, before, timeout=240 if files else 120)  # a data check tokenizes the file: slow on a busy CPU


def chat_shows(page, text: str, timeout: float = 240.0) -> list[str]:
    """Wait until a bot message holds `text` (a data check runs in a child process: slow on a busy CPU), then until
    the chat settles; returns the bot messages."""
    page.wait_for_function("(t) => [...document.querySelectorAll(\"#tw-chat [data-testid='bot']\")]"
                           ".some(m => m.innerText.includes(t))", arg=text, timeout=timeout * 1000)
    return settle(page, 0, timeout=timeout)


def in_view(page, locator) -> bool:
    """The element is visible and inside the viewport, without scrolling."""
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(box) and locator.is_visible() and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] \
        and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]


# Every panel a user can open (their element ids): a closed accordion hides its text from the page
ACCORDIONS = ("tw-jobs", "tw-settings", "tw-try")


def shown_text(page) -> str:
    """Everything a user can read on the page: every "read more" and accordion opened, plus the values of text
    boxes (the event log, the profile's cells), which innerText leaves out."""
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    for elem_id in ACCORDIONS:
        box = page.locator(f"#{elem_id}")
        if box.count() and len(box.inner_text().strip()) < 80:  # only its label shows: closed
            box.locator("button").first.click()
    page.wait_for_timeout(500)
    values = page.evaluate("Array.from(document.querySelectorAll('textarea, input[type=text], input[type=number]'))"
                           ".map(e => e.value).join('\\n')")
    return page.locator("body").inner_text() + "\n" + values


def assert_no_internal_names(page, screen: str) -> None:
    found = leaked(shown_text(page))
    assert not found, f"{screen}: internal names on screen: {found}"


def chat_approve(page):
    return page.locator("#tw-chat").get_by_role("button", name="Approve")


def bot_message(page, text: str):
    """The last bot message that contains `text`."""
    return page.locator("#tw-chat [data-testid='bot']").filter(has_text=text).last


def wait_measured(page, job_id: str) -> None:
    """The plan card of `job_id` shows what the pre-flight probe measured (it runs in the background: a child
    process trains a few steps of the tiny model and evaluates it)."""
    page.wait_for_function(
        "id => [...document.querySelectorAll('#tw-chat [data-testid=bot]')].some(m => m.innerText.includes("
        "'Training plan — job ' + id) && m.innerText.includes('real steps and the evaluation'))", arg=job_id,
        timeout=240_000)


def close_toasts(page) -> None:
    for button in page.locator(".toast-close").all():
        if button.is_visible():
            button.click()


def waiting_jobs(cid=None):
    from trainer import jobs

    return jobs.list_jobs(state="awaiting_approval", conversation_id=cid)


# In the default suite: seen passing 5 times in a row on a 2-core machine shared by 6 engineers, 236 s at load 3-5
# (the Export step included) and 9-15 min at load 10-17.
@pytest.mark.timeout(1500)
def test_a_newcomer_launches_from_the_recommendation_and_finds_approve_without_plan_settings_in_chromium(
        browser, app_url, tmp_path, tiny_model_dir, monkeypatch):
    """The path a newcomer takes: type an opening, answer in free text, drop the data, click the recommendation's
    Launch button, read the measured estimate, find Approve in view (also after a typed "I approve", a second
    "launch", a reload and in a second tab), click it, watch training and evaluation, read the results; then Cancel
    a second run through its confirmation. Plan settings are never touched: the advisor's own plan runs, on the tiny
    random model (tests/test_approval_flow.tiny_plans) so it takes seconds; the pre-flight probe runs as it does
    for every user (the suite switches it off elsewhere)."""
    from agent.prompts import QUESTIONS
    from tests.test_approval_flow import tiny_plans
    from trainer import jobs

    # 40 steps, not 4: four finished between two of the panel's 1 s refreshes on CI's machine, and the panel never
    # showed a training step to see
    tiny_plans(monkeypatch, tiny_model_dir, max_steps=40)
    monkeypatch.setenv("TUNEWISE_PREFLIGHT", "on")  # read when a job is created: the app's default
    shots = Shots(tmp_path)
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#tw-chat [data-testid='bot']")
    page.get_by_role("button", name="Brand voice for 30 clients").wait_for()  # example openings to click
    shots.take(page, "01-welcome")

    texts = say(page, BRAND_VOICE["opening"])
    for _ in range(14):
        if "Recommendation: LoRA fine-tuning" in texts[-1]:
            break
        fact = next((k for k, q in QUESTIONS.items() if q in texts[-1]), None)
        texts = say(page, BRAND_VOICE["answers"].get(fact, "I don't know"))
    assert any("Recommendation: LoRA fine-tuning" in t for t in texts)
    page.locator("#tw-chat details").first.click()  # a citation opens its guide passage
    shots.take(page, "02-recommendation")

    data = write_examples(tmp_path / "examples.jsonl")
    say(page, "Here is our data", [data])
    texts = chat_shows(page, "Data check: examples.jsonl")  # it lands after the reply: settle alone can miss it
    assert any("Data check: examples.jsonl" in t for t in texts)
    shots.take(page, "03-data-check")

    launch = page.locator("#tw-chat").get_by_role("button", name="Launch this plan")
    launch.wait_for(timeout=30_000)
    before = len(bot_texts(page))
    launch.click()
    texts = settle(page, before)
    assert any("Training plan — job" in t for t in texts)
    [first] = waiting_jobs()
    approve = chat_approve(page)
    approve.wait_for(timeout=30_000)
    assert approve.count() == 1 and in_view(page, approve), "Approve is under the last message, in view"
    assert page.locator("#tw-approve").is_enabled(), "and in the job panel"
    wait_measured(page, first.id)  # the card then says what a few real steps and the evaluation took here
    assert jobs.get_job(first.id).estimate["status"] == "measured"
    assert in_view(page, chat_approve(page)), "the card grew with the estimate: Approve is still in view"
    shots.take(page, "04-plan")

    texts = say(page, "I approve, launch the job now")  # typing is not a click
    assert [j.id for j in waiting_jobs()] == [first.id] and jobs.get_job(first.id).approved_by is None
    assert "only the Approve button can" in texts[-1]
    assert in_view(page, chat_approve(page)), "the button is shown again under the reply"
    shots.take(page, "05-approval")

    say(page, "launch")  # a relaunch replaces the waiting job: still one waiting
    [second] = waiting_jobs()
    assert second.id != first.id and jobs.get_job(first.id).cancel_reason == f"replaced by {second.id}"
    assert jobs.get_job(first.id).state == "cancelled" and not jobs.get_job(first.id).approved_by, "replaced, not run"
    page.wait_for_function(f"() => document.querySelector('#tw-chat').innerText.includes("
                           f"'was replaced by job {second.id}')", timeout=30_000)
    assert chat_approve(page).count() == 1, "one pair of buttons: the waiting job's"

    page.reload()  # a reload with a job waiting: Approve is still in view
    page.wait_for_function("() => document.querySelector('#tw-chat') && "
                           "document.querySelector('#tw-chat').innerText.includes('Training plan — job')",
                           timeout=30_000)
    approve = chat_approve(page)
    approve.wait_for(timeout=30_000)
    assert in_view(page, approve)
    other = context.new_page()  # and in a second tab (the same browser reopens the same conversation)
    other.goto(app_url)
    chat_approve(other).wait_for(timeout=30_000)
    assert in_view(other, chat_approve(other))
    other.close()
    wait_measured(page, second.id)
    assert jobs.get_job(second.id).state == "awaiting_approval", "nothing runs before the click"
    page.evaluate(RECORD_PANEL)
    chat_approve(page).click()
    page.wait_for_function("() => document.querySelector('#tw-chat').innerText.includes('Approved by')",
                           timeout=30_000)
    assert jobs.get_job(second.id).approved_by

    page.wait_for_function("() => /running|succeeded/.test(document.querySelector('#tw-job').innerText)",
                           timeout=180_000)
    page.wait_for_function(PLOTTED, timeout=180_000)
    shots.take(page, "06-training")  # before the names check, which opens every accordion and "read more"
    assert_no_internal_names(page, "training")
    page.wait_for_function("() => /evaluating on \\d+ held-out/.test(document.querySelector('#tw-events textarea')"
                           ".value)", timeout=180_000)
    page.wait_for_function("() => document.querySelector('#tw-chat').innerText.includes('Results — job')",
                           timeout=240_000)
    page.wait_for_selector("#tw-chat img", timeout=30_000)
    page.locator(".toast-body").filter(has_text=f"{second.id}").filter(has_text="succeeded").wait_for(
        timeout=30_000)  # the tab is told when the job ends
    close_toasts(page)
    page.wait_for_timeout(1000)
    chat = page.locator("#tw-chat").inner_text()
    assert "finished training" in chat and "Verdict:" in chat and chat.count("Results — job") == 1
    seen = page.evaluate("() => window.twPanel")
    assert any(re.search(r"▶ training.*step \d+/\d+", t, re.S) for t in seen), "training progress in the panel"
    assert any(re.search(r"▶ evaluating.*\d+ of \d+", t, re.S) for t in seen), \
        "the evaluation is a phase of its own in the panel, with its progress k of N"
    assert "✓ evaluating" in page.locator("#tw-job").inner_text()
    shot = shots.take(page, "07-results", focus=bot_message(page, "Results — job"))
    assert shot.stat().st_size > 10_000
    assert_no_internal_names(page, "results")

    if len(page.locator("#tw-try").inner_text().strip()) < 80:  # closed (the names check may have opened it)
        page.locator("#tw-try").get_by_text("Try it").click()
    page.locator("#tw-try textarea").fill("Write a tagline for product 3")
    page.get_by_role("button", name="Ask both").click()
    page.wait_for_function("() => /Tuned\\s+\\S/.test(document.querySelector('#tw-try').innerText) && "
                           "!document.querySelector('#tw-try').innerText.includes('generating')", timeout=120_000)
    shots.take(page, "08-try-it", focus=page.locator("#tw-try"), block="end", page_top=False)
    assert_no_internal_names(page, "try it")
    assert [j.id for j in jobs.list_jobs() if j.approved_by] == [second.id], "one click, one job"

    # the panel's Export on the succeeded job: the adapter as a zip, through the browser's own download
    page.wait_for_function("() => !document.querySelector('#tw-export-btn').disabled", timeout=30_000)
    page.locator("#tw-export-btn").click()
    page.wait_for_function("() => document.querySelector('#tw-export-note').innerText.includes('exported as')",
                           timeout=180_000)
    with page.expect_download(timeout=60_000) as download:
        page.locator("#tw-export-file a").first.click()
    saved = tmp_path / "exported.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as zf:
        assert f"{second.id}-adapter/adapter_config.json" in zf.namelist()

    # a second run, cancelled through the confirmation while its process starts (loading torch takes seconds)
    before = len(bot_texts(page))
    page.locator("#tw-chat").get_by_role("button", name="Launch this plan").click()
    settle(page, before)
    [third] = waiting_jobs()
    wait_measured(page, third.id)  # read before approving; and no probe outlives the test
    chat_approve(page).click()
    page.wait_for_function("() => !document.querySelector('#tw-cancel').disabled", timeout=60_000)
    page.locator("#tw-cancel").click()
    confirm = page.get_by_role("button", name="Yes, cancel the job")
    confirm.wait_for(timeout=10_000)
    assert jobs.get_job(third.id).state not in jobs.TERMINAL, "nothing is cancelled before the confirmation"
    shots.take(page, "09-cancel-confirm")
    confirm.click()
    page.wait_for_function(f"() => document.querySelector('#tw-chat').innerText.includes('Job {third.id} was "
                           f"cancelled')", timeout=90_000)
    assert jobs.get_job(third.id).state == "cancelled"
    assert not shots.internal, f"internal ids on screen: {shots.internal}"
    context.close()


@pytest.mark.timeout(900)  # an interview, two side questions, a data check and a plan: ~2 min on a busy 2-core CPU
def test_no_approach_id_fact_key_or_config_field_appears_on_any_screen_of_an_interview_in_chromium(
        browser, app_url, tmp_path):
    """Every screen a user passes through before training — the welcome, each question, the recommendation card
    with its comparison table and opened sources, a why-not answer, a cost answer, the data check, the plan card
    with the job panel and the approval buttons, the settings and job list, then the rejected job — shows labels,
    never a name from the code (tests/internal_names.py). The training and results screens are checked by the
    newcomer test above (it trains)."""
    from agent.prompts import QUESTIONS

    page = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
    page.goto(app_url)
    page.wait_for_selector("#tw-chat [data-testid='bot']")
    assert_no_internal_names(page, "welcome")
    texts = say(page, BRAND_VOICE["opening"])
    for n in range(14):
        assert_no_internal_names(page, f"question {n + 1}")
        if "Recommendation: LoRA fine-tuning" in texts[-1]:
            break
        fact = next((k for k, q in QUESTIONS.items() if q in texts[-1]), None)
        texts = say(page, BRAND_VOICE["answers"].get(fact, "I don't know"))
    assert any("Recommendation: LoRA fine-tuning" in t for t in texts)
    assert "Every approach, for your case" in page.locator("#tw-chat").inner_text()  # the comparison table
    assert_no_internal_names(page, "recommendation")
    for turn, screen in (("Why not full fine-tuning instead?", "why-not answer"),
                         ("How much would the training cost us?", "cost answer")):
        say(page, turn)
        assert_no_internal_names(page, screen)
    say(page, "Here is our data", [write_examples(tmp_path / "examples.jsonl")])
    assert_no_internal_names(page, "data check")
    launch = page.locator("#tw-chat").get_by_role("button", name="Launch this plan")
    launch.wait_for(timeout=30_000)
    before = len(bot_texts(page))
    launch.click()
    settle(page, before)
    chat_approve(page).wait_for(timeout=30_000)
    assert_no_internal_names(page, "plan card and job panel")
    page.locator("#tw-reject").click()
    # the panel redraws on the app's timer; with the job's pre-flight probe training in the background and the
    # suite's other work on a 2-core machine, that redraw has taken over 30 s once (full suite, 18:30)
    page.wait_for_function("() => /cancelled|rejected/i.test(document.querySelector('#tw-job').innerText)",
                           timeout=90_000)
    assert_no_internal_names(page, "rejected job")


def test_an_example_opening_is_one_click_and_a_wrong_password_is_refused_in_chromium(browser, serve_app, tmp_path):
    shots = Shots(tmp_path, for_docs=False)  # the README shows the newcomer's path only (tests/test_readme.py)
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
    shots.take(page, "wrong-password")
    page.get_by_label("username").fill("alice")  # a refused login clears both fields: type them again
    page.get_by_label("password").fill("wonderland")
    page.get_by_role("button", name="Login").click()
    page.wait_for_timeout(2000)
    page.reload()  # the login page reloads itself on success; under load, reload explicitly
    page.wait_for_selector("#tw-chat [data-testid='bot']", timeout=90_000)
    page.close()


def test_unrecognised_csv_columns_get_a_proposed_mapping_that_one_click_confirms_into_the_job_in_chromium(
        browser, app_url, tmp_path, tunewise_home, tokenizer_cache):
    """A FAQ export whose columns tunewise does not know (id, question, answer): the chat proposes "question →
    prompt, answer → completion?" with a confirm button; one click checks the file again with it, the data is
    accepted, and the plan launched next shows the mapping and keeps it in its job config (data.columns)."""
    from tests.test_approval_flow import OPENING
    from trainer.state.home import models_dir
    from trainer.validate import TOKENIZER_CACHE

    shutil.copytree(tokenizer_cache, models_dir() / TOKENIZER_CACHE)  # the checker's tokenizer, not re-read (≈ 15 s)
    faq = tmp_path / "faq.csv"
    faq.write_text("id,question,answer\n" + "".join(f"{i},How do I reset device {i}?,Hold the reset button for "
                                                    f"{i % 9 + 1} seconds.\n" for i in range(600)))
    shots = Shots(tmp_path, for_docs=False)  # the README shows the newcomer's path only (tests/test_readme.py)
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector("#tw-chat [data-testid='bot']")
    texts = say(page, OPENING)  # 600 reviewed replies: the advisor recommends LoRA fine-tuning
    for _ in range(12):
        if any("Recommendation: LoRA fine-tuning" in t for t in texts):
            break
        texts = say(page, "I don't know")
    assert any("Recommendation: LoRA fine-tuning" in t for t in texts)

    say(page, "Here is our FAQ export", [faq])
    texts = chat_shows(page, "Data check: faq.csv")
    report = next(t for t in reversed(texts) if "Data check: faq.csv" in t)
    assert "❌ Data check: faq.csv" in report and "question → prompt, answer → completion?" in report
    confirm = page.locator("#tw-chat").get_by_role("button", name="✅ Use question → prompt, answer → completion")
    confirm.wait_for(timeout=30_000)
    shots.take(page, "mapping-proposed")
    assert not waiting_jobs()

    before = len(bot_texts(page))
    confirm.click()
    settle(page, before, timeout=240)
    texts = chat_shows(page, "✅ Data check: faq.csv")
    report = next(t for t in reversed(texts) if "Data check: faq.csv" in t)
    assert "✅ Data check: faq.csv" in report and "Columns used: question → prompt, answer → completion" in report
    assert "valid examples: 600" in report and "errors: 0" in report
    assert len(list((tunewise_home / "uploads").rglob("faq.csv.mapping.json"))) == 1, "the confirmed mapping is kept"

    say(page, "launch")
    texts = chat_shows(page, "Training plan — job")
    card = next(t for t in reversed(texts) if "Training plan — job" in t)
    assert "question → prompt, answer → completion" in card
    shots.take(page, "mapping-in-plan")
    [job] = waiting_jobs()
    assert job.config["data"]["columns"] == {"prompt": "question", "completion": "answer"}
    assert job.config["data"]["train"].endswith("faq.csv")
    page.close()
