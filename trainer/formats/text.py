"""Plain text: one document per blank-line-separated block; a document's line is its first line."""

from __future__ import annotations

from typing import Iterator

from trainer.formats.example import Issue
from trainer.formats.jsonl import decode_line, too_long
from trainer.formats.source import RowTooLong, Source


def rows(source: Source) -> Iterator[tuple[int, object]]:
    cap = source.limits.max_row_bytes
    block: list[str] = []
    size, first, skipping = 0, 0, False  # skipping: inside a document already reported as too large
    for number, raw in source.lines():
        if isinstance(raw, RowTooLong):
            yield number, too_long(raw, cap)
            continue
        text = decode_line(source, number, raw)
        if isinstance(text, Issue):
            yield number, text
            continue
        if text.strip() and skipping:
            continue
        skipping = False
        if text.strip():
            if not block:
                first = number
            block.append(text.rstrip("\r"))
            size += len(raw)
            if size > cap:
                yield first, Issue(first, "row_too_large", f"the document starting at line {first} is over "
                                   f"{cap / 2**20:,.0f} MiB; separate documents with a blank line")
                block, size, skipping = [], 0, True
        elif block:
            yield first, {"text": "\n".join(block)}
            block, size = [], 0
    if block:
        yield first, {"text": "\n".join(block)}
