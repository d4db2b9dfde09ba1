"""Is a measured gain real? Two scores on the same test set, and the noise a test set of that size carries.

Users compare a tuned model with a prompt ("81% against 84% on 200 held-out reports — does the fine-tune win?").
`compare(texts, question)` reads the test-set size and the two accuracies from what the user said and, when the
question asks whether one beats the other, answers with the arithmetic: each score's 95% interval
(1.96·√(p(1−p)/n)), the interval of the difference of two independent scores, whether the gap is inside it, how
many cases would show such a gap, and the paired test to run on the same cases (McNemar). Pure; no model.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterable

from agent.numbers import human

Z95 = 1.96  # two-sided 95% normal quantile
MCNEMAR_5PCT = 3.84  # chi-square, one degree of freedom, at 5%

# "on 200 held-out reports", "a test set of 500 tickets", "over our 1,200 eval questions": a count of things (a
# plural noun), not "on 8 GB" or "with 2 A100s"
_TEST_SIZE = re.compile(r"\b(?:on|over|with|across|of|using)\s+(?:a\s+|an\s+|our\s+|the\s+|some\s+)?(?:set of\s+)?"
                        r"(\d{1,3}(?:,\d{3})+|\d+)\s+(?:[\w-]+\s+){0,2}?(?!gpus\b|gbs?\b|cards\b|epochs\b|steps\b)"
                        r"[a-z][\w-]*[a-z]s\b", re.I)
_HELD_OUT = re.compile(r"\bheld[- ]?out\b|\btest\b|\beval\w*\b|\bbenchmark\b|\bmeasured\b|\bscored\b|\bvalidation\b",
                       re.I)
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
# the question asks whether one score beats the other
_ASKS = re.compile(r"\bwins?\b|\bbeats?\b|\bbetter\b|\bsignifican\w*|\breal (?:gain|difference|improvement)\b|"
                   r"\bnoise\b|\bby \d+(?:\.\d+)? (?:points?|pp|%)|\bdifference\b|\bimprov\w+\b|\bworth (?:it|switching)\b|"
                   r"\byes or no\b|\bsure\b|\bconclusive\b|\bjust luck\b|\bmeaningful\b", re.I)


@dataclass(frozen=True)
class Comparison:
    n: int  # cases each score was measured on
    a: float  # the first score, as a share (0.81)
    b: float  # the second score

    @property
    def gap(self) -> float:
        return abs(self.b - self.a)

    def margin(self, p: float) -> float:
        return Z95 * math.sqrt(p * (1 - p) / self.n)

    @property
    def _spread(self) -> float:
        """p(1−p) of both scores added: n times the variance of their difference on separate samples."""
        return self.a * (1 - self.a) + self.b * (1 - self.b)

    @property
    def gap_margin(self) -> float:
        # two scores on separate samples of n; on the same cases a paired test is sharper (said in the answer)
        return Z95 * math.sqrt(self._spread / self.n)

    @property
    def cases_needed(self) -> int | None:
        """Cases for the gap to clear the unpaired 95% interval (None when the two scores are equal)."""
        if self.gap == 0:
            return None
        return math.ceil(Z95 ** 2 * self._spread / self.gap ** 2)


def test_size(texts: Iterable[str]) -> int | None:
    """The size of the test set the user last named ("94% correct on 250 test reports" → 250); None if none."""
    for text in reversed([t for t in texts if t]):
        t = " ".join(text.split())
        size = next((m for m in _TEST_SIZE.finditer(t) if _HELD_OUT.search(t[max(0, m.start() - 25):m.end()])), None)
        if size:
            return int(size.group(1).replace(",", ""))
    return None


def read(texts: Iterable[str]) -> Comparison | None:
    """The test-set size and the two scores of the latest message that states both; None if none does."""
    for text in reversed([t for t in texts if t]):
        t = " ".join(text.split())
        # the count the scores were taken on: held-out / test / measured said in it or just before it ("one of 31
        # delay-cause codes … measured on 200 held-out reports" is 200)
        size = test_size([t])
        scores = [float(m.group(1)) / 100 for m in _PERCENT.finditer(t) if 0 < float(m.group(1)) < 100]
        if size and len(scores) >= 2:
            return Comparison(size, scores[0], scores[1])
    return None


def _points(share: float) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".")


def compare(texts: Iterable[str], question: str) -> str | None:
    """The answer to "does B beat A?" with the user's own figures, or None when they are not there to use."""
    if not _ASKS.search(question or ""):
        return None
    c = read(list(texts) + [question])
    if c is None:
        return None
    gap, margin = c.gap * 100, c.gap_margin * 100
    inside = c.gap < c.gap_margin
    lines = [f"On {human(c.n)} test cases, {_points(c.a)}% and {_points(c.b)}% are {gap:.1f} points apart. A score "
             f"measured on {human(c.n)} cases is uncertain by about ±{c.margin(c.a) * 100:.1f} and "
             f"±{c.margin(c.b) * 100:.1f} points (95% intervals, 1.96·√(p(1−p)/n)), and the difference of two such "
             f"scores by about ±{margin:.1f} points."]
    if inside:
        lines.append(f"So a {gap:.1f}-point gap is within the noise: the honest answer today is \"no clear "
                     "difference yet\", not a yes.")
    else:
        lines.append(f"So a {gap:.1f}-point gap is larger than the noise: it is likely a real difference.")
    needed = c.cases_needed
    lines.append("Both were scored on the same cases, so a paired test is sharper than those intervals: count the "
                 "cases only the first gets right (b) and only the second gets right (c); McNemar's test calls the "
                 f"difference significant at 5% when (b − c)² / (b + c) is above {MCNEMAR_5PCT} (or bootstrap the "
                 "paired results)."
                 + (f" To show a {gap:.1f}-point gap without pairing you would need about {human(needed)} cases."
                    if inside and needed else ""))
    lines.append("Decide on more than the headline score as well: the errors on the cases that cost most, the cost "
                 "per request and what hosting each option takes.")
    return " ".join(lines)
