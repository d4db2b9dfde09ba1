"""A JSON array of records (`[{...}, {...}]`, the usual `alpaca_data.json`), or JSON objects written one after
another over several lines (pretty-printed "JSONL"), read element by element.

The file is decoded in blocks and each element is parsed from a sliding buffer, so memory stays near one element
(capped at `max_row_bytes`) whatever the file's size. A syntax error ends the read with one located error: inside
an array there is no safe place to resume.
"""

from __future__ import annotations

import codecs
import json
from typing import Iterator

from trainer.formats.example import Issue
from trainer.formats.safejson import Decoder, RowError
from trainer.formats.source import BLOCK_BYTES, Source, SourceError

WHITESPACE = " \t\r\n\ufeff"


class _Buffer:
    """Decoded text of the file with a moving start; `line` is the line number at `pos`."""

    def __init__(self, source: Source):
        self.raw = source.raw()
        self.decoder = codecs.getincrementaldecoder(source.encoding)()
        self.text, self.pos, self.line, self.eof = "", 0, 1, False

    def more(self) -> bool:
        if self.eof:
            return False
        block = self.raw.read(BLOCK_BYTES)
        if not block:
            self.eof = True
            self.text += self.decoder.decode(b"", final=True)
            return False
        if self.pos > BLOCK_BYTES:  # drop what was consumed
            self.text, self.pos = self.text[self.pos:], 0
        self.text += self.decoder.decode(block)
        return True

    def advance(self, to: int) -> None:
        self.line += self.text.count("\n", self.pos, to)
        self.pos = to

    def skip_space(self) -> str:
        """The next non-blank character ('' at the end), after moving past blanks."""
        while True:
            at = self.pos
            while at < len(self.text) and self.text[at] in WHITESPACE:
                at += 1
            self.advance(at)
            if at < len(self.text):
                return self.text[at]
            if not self.more():
                return ""


def _maybe_cut(exc: json.JSONDecodeError, text: str) -> bool:
    """Could this error be the buffer ending mid-element (so more text may fix it)?"""
    return exc.pos >= len(text) - 6 or exc.msg.startswith("Unterminated string")


def rows(source: Source, array: bool) -> Iterator[tuple[int, object]]:
    """(line of the element's start, parsed value or Issue) for each element of the top-level array (`array`) or
    each top-level value of a concatenated stream."""
    decoder = Decoder(source.limits)
    cap = source.limits.max_row_bytes
    buf = _Buffer(source)
    try:
        with buf.raw:
            if array:
                buf.skip_space()
                buf.advance(buf.pos + 1)  # the opening '['
            first = True
            while True:
                char = buf.skip_space()
                if char == "":
                    if array:
                        yield buf.line, Issue(buf.line, "invalid_json", "the JSON array is not closed: the file ends "
                                              "before its ']' (cut off?)")
                    return
                if array and char == "]":
                    return
                if array and not first:
                    if char != ",":
                        yield buf.line, Issue(buf.line, "invalid_json", f"expected ',' or ']' between array elements, "
                                              f"found {char!r}")
                        return
                    buf.advance(buf.pos + 1)
                    if buf.skip_space() == "":
                        continue
                first = False
                while True:
                    try:
                        value, end = decoder.raw_decode(buf.text, buf.pos)
                        break
                    except json.JSONDecodeError as exc:
                        if not _maybe_cut(exc, buf.text) or not buf.more():
                            line = buf.line + buf.text.count("\n", buf.pos, exc.pos)
                            yield line, Issue(line, "invalid_json", f"invalid JSON: {exc.msg}" + (
                                " (the file ends inside this element: cut off?)" if buf.eof else ""))
                            return
                        if len(buf.text) - buf.pos > cap:
                            yield buf.line, Issue(buf.line, "row_too_large", f"the element starting at line {buf.line} "
                                                  f"is over {cap / 2**20:,.0f} MiB (the row cap), or not valid JSON")
                            return
                    except RowError as exc:
                        yield buf.line, Issue(buf.line, exc.code, exc.message)
                        return
                line = buf.line
                buf.advance(end)
                yield line, value
    except UnicodeDecodeError as exc:
        yield buf.line, Issue(buf.line, "not_utf8", f"not {source.encoding.upper()} text near line {buf.line} "
                              f"({exc.reason}); save the file as UTF-8")
    except SourceError as exc:
        yield buf.line, Issue(buf.line, exc.code, exc.message)
