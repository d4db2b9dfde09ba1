"""HTML in what a user types, or in a file name, renders as inert text: no form, input, iframe, image or
`javascript:` link comes alive in the chat — checked on the sanitiser and in a real browser (Debian's chromium),
live and after a reload (the stored transcript renders through another code path)."""

from __future__ import annotations

import pytest

from tests.test_browser_ui import ARGS, CHROMIUM, browser  # noqa: F401 (fixture)
from tests.test_ui_server import app_url, guidance_index, serve_app  # noqa: F401 (fixtures)
from ui.sanitize import ZERO_WIDTH_SPACE, clean, user_text

PAYLOAD = ('<form action="http://127.0.0.1:9/steal"><input name="pw" value="secret"><button>Send</button></form> '
           '<iframe src="about:blank"></iframe><img src=x onerror="window.__pwned=1"> '
           '[click me](javascript:window.__pwned=2) <a href="javascript:window.__pwned=3">link</a> '
           '<details open><summary>x</summary>y</details> **still bold**')
LIVE = "form, input, iframe, img[onerror], textarea"  # none of these belongs in the chat
# links whose URL, as the browser parsed it, would run script (a broken scheme is only a relative path)
SCRIPT_LINKS = ("() => [...document.querySelectorAll('#tw-chat a')].filter(a => "
                "['javascript:', 'vbscript:', 'data:'].includes(a.protocol)).length")


def test_user_text_keeps_markdown_and_makes_markup_and_script_links_text():
    shown = user_text(PAYLOAD)
    assert "<" not in shown and "&lt;form" in shown and "**still bold**" in shown
    assert f"javascript{ZERO_WIDTH_SPACE}:" in shown and "(javascript:" not in shown


def test_clean_keeps_the_cards_tags_and_escapes_every_other_tag():
    card = ('<details><summary>[1] Guide <code>g.md</code></summary><blockquote>a<br>b</blockquote></details>'
            '<p class="note">ok</p>')
    assert clean(card) == card, "tunewise's own cards pass unchanged"
    dirty = clean(PAYLOAD.replace("<details open>", "<details open onclick='x()'>"))
    for tag in ("<form", "<input", "<iframe", "<img", "<button"):
        assert tag not in dirty and tag.replace("<", "&lt;") in dirty
    assert "<a>link</a>" in dirty, "a javascript: href is dropped, the link text stays"
    assert "onclick" not in dirty and "<details open>" in dirty
    assert clean("[x](JavaScript\\:alert(1))") == f"[x](JavaScript{ZERO_WIDTH_SPACE}\\:alert(1))"
    assert clean("<!-- <form> -->text") == "text"
    assert clean("unfinished <iframe") == "unfinished &lt;iframe"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (`make browser` installs it)")
def test_an_html_payload_in_a_message_and_a_file_name_renders_inert_in_chromium(browser, app_url, tmp_path):
    weird = tmp_path / '<img src=x onerror="window.__pwned=4">.jsonl'
    weird.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.goto(app_url)
    page.wait_for_selector("#tw-chat [data-testid='bot']")
    page.locator("#tw-input input[type=file]").set_input_files([str(weird)])
    page.wait_for_function("() => document.querySelectorAll('#tw-input .thumbnail-item').length >= 1",
                           timeout=30_000)
    box = page.locator("#tw-input textarea")
    box.fill(PAYLOAD)
    box.press("Enter")
    user = page.locator("#tw-chat [data-testid='user']").last
    user.wait_for()
    page.wait_for_function("() => /Data check|not accepted/.test(document.querySelector('#tw-chat').innerText)",
                           timeout=120_000)
    assert "Data check" in page.locator("#tw-chat").inner_text(), page.locator("#tw-chat").inner_text()[-1500:]

    for when in ("live", "after reload"):
        bubble = page.locator("#tw-chat [data-testid='user']").last
        text = bubble.inner_text()
        assert '<form action="http://127.0.0.1:9/steal">' in text and "<iframe" in text, (when, text)
        assert "still bold" in text and "**still bold**" not in text, "markdown still renders"
        live = page.locator("#tw-chat").locator(LIVE).count()
        assert live == 0, f"{when}: {live} live element(s) from the payload in the chat"
        assert bubble.locator("details, button").count() == 0, f"{when}: the user's tags stayed text"
        assert page.evaluate(SCRIPT_LINKS) == 0, f"{when}: a link would run script"
        assert page.evaluate("() => window.__pwned === undefined"), when
        assert "onerror" in page.locator("#tw-chat").inner_text(), "the file name shows as text"
        page.reload()
        page.wait_for_function("() => document.querySelector('#tw-chat')?.innerText.includes('still bold')",
                               timeout=60_000)
