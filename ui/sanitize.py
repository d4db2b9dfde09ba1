"""Chat text stays markdown and never becomes live HTML.

Two layers:
- `user_text(text)`: what a user typed (or a file name) — every `<`, `>` and `&` escaped, so markdown still renders
  (bold, lists, code) while any tag shows as the text it is; `javascript:`-style link targets are broken.
- `clean(markup)`: every chat message on its way out (`SafeChatbot`), whoever wrote it (the advisor, an LLM, a
  stored transcript): only the tags tunewise's own cards use survive, with only harmless attributes; every other
  tag (form, input, iframe, script, style, object, embed, button…) is escaped into visible text, comments are
  dropped, and links keep only http(s), mailto, relative and #anchor targets.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

import gradio as gr

# Tags the cards in ui/render.py emit, plus plain formatting; nothing here can submit, load or run anything.
ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}
ALLOWED_ATTRIBUTES = {"class", "title", "open", "href", "align", "colspan", "rowspan"}
SAFE_URL = re.compile(r"^(https?:|mailto:|#|/|\./|\.\./|[^:/?#]*([/?#]|$))", re.IGNORECASE)
# A scheme that runs code or smuggles a document, wherever it is written (a markdown link target is decoded from
# backslash escapes, so `javascript\:` counts too).
DANGEROUS_SCHEME = re.compile(r"(java|vb|live)script(?=\s*\\?:)|data(?=\s*\\?:)", re.IGNORECASE)
TAG_START = re.compile(r"<(?=[A-Za-z/!?]|$)")
ZERO_WIDTH_SPACE = "\u200b"  # inserted before the colon: the text reads the same, the URL has no scheme


def break_schemes(text: str) -> str:
    """`javascript:` (and vbscript:, data:) no longer parse as a URL scheme anywhere in `text`."""
    return DANGEROUS_SCHEME.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, text)


def user_text(text: Any) -> str:
    """A user's words (or a file name) for a markdown message: markdown kept, HTML inert."""
    return break_schemes(html.escape(str(text), quote=False))


class _Cleaner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], closing: str = "") -> str | None:
        if tag not in ALLOWED_TAGS:
            return None
        kept = []
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES:
                continue
            if name == "href" and not SAFE_URL.match((value or "").strip()):
                continue
            kept.append(f' {name}="{html.escape(value, quote=True)}"' if value is not None else f" {name}")
        return f"<{tag}{''.join(kept)}{closing}>"

    def handle_starttag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs) or html.escape(self.get_starttag_text() or f"<{tag}>", quote=False))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self._tag(tag, attrs, " /") or html.escape(self.get_starttag_text() or f"<{tag}/>",
                                                                   quote=False))

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>" if tag in ALLOWED_TAGS else html.escape(f"</{tag}>", quote=False))

    def handle_data(self, data):
        # a "<" that could open a tag (an unfinished one at the end, say) is escaped; "a < b" stays as written
        self.out.append(break_schemes(TAG_START.sub("&lt;", data)))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        pass  # a comment can hide markup from a reader of the source; nothing of it is shown

    def handle_decl(self, decl):
        self.out.append(html.escape(f"<!{decl}>", quote=False))

    def handle_pi(self, data):
        self.out.append(html.escape(f"<?{data}>", quote=False))

    def unknown_decl(self, data):
        self.out.append(html.escape(f"<![{data}]>", quote=False))


def clean(markup: str) -> str:
    """`markup` (markdown with some HTML) with only the allowed tags and attributes left live."""
    if "<" not in markup and ":" not in markup:
        return markup
    parser = _Cleaner()
    parser.feed(markup)
    parser.close()  # flushes an unfinished tag at the end as text
    return "".join(parser.out)


def clean_message(message: Any) -> Any:
    """One chat message (a dict) with its text content and step title cleaned; files and components unchanged."""
    if not isinstance(message, dict):
        return message
    out = dict(message)
    if isinstance(out.get("content"), str):
        out["content"] = clean(out["content"])
    metadata = out.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("title"), str):
        out["metadata"] = {**metadata, "title": clean(metadata["title"])}
    return out


class SafeChatbot(gr.Chatbot):
    """gr.Chatbot whose every message is cleaned on the way out, whichever handler produced it."""

    is_template = True  # Gradio's marker for a subclass that reuses its parent's frontend (the chatbot's)

    def postprocess(self, value):
        if isinstance(value, list):
            value = [clean_message(m) for m in value]
        return super().postprocess(value)
