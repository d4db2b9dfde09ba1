"""JSON parsing with caps: a nesting-depth cap and a number-length cap, each a `RowError` with a sentence.

Python's own parser recurses (a row of 100,000 `[` is a RecursionError) and converts any digit string (a
100,000-digit number is a ValueError past 4,300 digits, and slow below it). Numbers are vetted by the parser's
hooks as they are read; depth is measured afterwards, without recursion, only for rows that have enough brackets
to exceed the cap (so an ordinary row pays one `count`).
"""

from __future__ import annotations

import json

from trainer.formats.source import Limits


class RowError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _number_hooks(limit: int):
    def parse_int(text: str) -> int:
        if len(text) > limit:
            raise RowError("number_too_long", f"a number has {len(text):,} digits; numbers are limited to {limit} "
                           "characters")
        return int(text)

    def parse_float(text: str) -> float:
        if len(text) > limit:
            raise RowError("number_too_long", f"a number has {len(text):,} characters; numbers are limited to {limit}")
        return float(text)

    return parse_int, parse_float


def depth(value) -> int:
    """Nesting depth of a parsed JSON value (a scalar is 0), iteratively."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


class Decoder:
    """`loads(text)` and `raw_decode(text, at)` with the caps of `limits`; errors are `RowError`."""

    def __init__(self, limits: Limits):
        self.limits = limits
        parse_int, parse_float = _number_hooks(limits.max_number_chars)
        self._decoder = json.JSONDecoder(parse_int=parse_int, parse_float=parse_float)

    def _check_depth(self, text: str, start: int, end: int, value) -> None:
        cap = self.limits.max_depth
        if text.count("[", start, end) + text.count("{", start, end) > cap and depth(value) > cap:
            raise RowError("too_deep", f"JSON nested {depth(value)} levels deep; rows are limited to {cap} levels")

    def raw_decode(self, text: str, at: int = 0):
        """(value, end index) of the JSON value starting at `at`."""
        try:
            value, end = self._decoder.raw_decode(text, at)
        except RecursionError:
            raise RowError("too_deep", f"JSON nested deeper than Python can parse; rows are limited to "
                           f"{self.limits.max_depth} levels") from None
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # e.g. an int over Python's digit limit inside an exotic hook path
            raise RowError("invalid_json", f"invalid JSON: {exc}") from None
        self._check_depth(text, at, end, value)
        return value, end

    def loads(self, text: str):
        value, end = self.raw_decode(text, len(text) - len(text.lstrip()))
        rest = text[end:].strip()
        if rest:
            raise json.JSONDecodeError("extra data after the JSON value", text, end)
        return value
