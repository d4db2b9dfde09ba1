"""Splitting user text and guide text into pieces: one helper, so the fact reader's sentences and clauses and the
answers' sentences are cut the same way (by a pattern, blank pieces dropped, each stripped); and what a message
says in its own voice, without the words it quotes."""

from __future__ import annotations

import re


def pieces(pattern: re.Pattern, text: str) -> list[str]:
    """The non-blank stretches of `text` between matches of `pattern`, stripped of surrounding whitespace."""
    return [p.strip() for p in pattern.split(text or "") if p and p.strip()]


# A quoted stretch: opened by a quote mark after a space, bracket or the start, closed by the same kind of mark before a
# space, punctuation or the end (so the apostrophes of "don't" and "users' " never open or close one).
QUOTED = re.compile(r"""(?:(?<=^)|(?<=[\s(\[:]))(?:'[^'\n]{2,200}?'|"[^"\n]{2,200}?"|‘[^’\n]{2,200}?’|“[^”\n]{2,200}?”)"""
                    r"""(?=$|[\s.,;:!?)\]])""")


def unquoted(text: str) -> str:
    """`text` with what it quotes blanked out: "it reads 'can we do Thursday?' as a cancel" asks the advisor nothing,
    and a quoted customer message is an example of the data, not the user's own words."""
    return QUOTED.sub(" … ", text or "")
