"""Splitting user text and guide text into pieces: one helper, so the fact reader's sentences and clauses and the
answers' sentences are cut the same way (by a pattern, blank pieces dropped, each stripped)."""

from __future__ import annotations

import re


def pieces(pattern: re.Pattern, text: str) -> list[str]:
    """The non-blank stretches of `text` between matches of `pattern`, stripped of surrounding whitespace."""
    return [p.strip() for p in pattern.split(text or "") if p and p.strip()]
