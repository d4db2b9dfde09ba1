"""JSONL: one JSON value per line. Each line is parsed on its own, so one broken line is one located error and
the rest of the file is still checked."""

from __future__ import annotations

import json
from typing import Iterator

from trainer.formats.example import Issue
from trainer.formats.safejson import Decoder, RowError
from trainer.formats.source import RowTooLong, Source


def too_long(item: RowTooLong, cap: int) -> Issue:
    return Issue(item.line, "row_too_large", f"line {item.line} is {item.size / 2**20:,.1f} MiB; rows are limited to "
                 f"{cap / 2**20:,.0f} MiB (split the row or shorten its content)")


def decode_line(source: Source, number: int, raw: bytes) -> str | Issue:
    try:
        return source.decode(raw)
    except UnicodeDecodeError as exc:
        if b"\x00" in raw:
            return Issue(number, "binary_data", "line contains NUL bytes: this looks like binary data, not text")
        return Issue(number, "not_utf8", f"not {source.encoding.upper()} at byte {exc.start} of the line "
                     f"(0x{raw[exc.start]:02x}); save the file as UTF-8")


def rows(source: Source) -> Iterator[tuple[int, object]]:
    """(line, parsed value or Issue) for every non-blank line."""
    decoder = Decoder(source.limits)
    for number, raw in source.lines():
        if isinstance(raw, RowTooLong):
            yield number, too_long(raw, source.limits.max_row_bytes)
            continue
        text = decode_line(source, number, raw)
        if isinstance(text, Issue):
            yield number, text
            continue
        if not text.strip():
            continue
        if "\x00" in text:
            yield number, Issue(number, "binary_data", "line contains NUL characters: this looks like binary data")
            continue
        try:
            yield number, decoder.loads(text)
        except json.JSONDecodeError as exc:
            yield number, Issue(number, "invalid_json", f"invalid JSON at column {exc.colno}: {exc.msg}")
        except RowError as exc:
            yield number, Issue(number, exc.code, exc.message)
