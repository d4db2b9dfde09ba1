"""Quantities in plain English: "3k", "12,000", "about two thousand", "a couple of billion", "tens of billions",
"40B", "200 to 400", "half a million", "$5,000". Used by `agent.extract`; no knowledge of facts here.

`find_quantities(text)` returns every quantity with its character span, so the caller can look at the words
around it (the unit: tokens, examples, GPUs, dollars, days…) and decide what it counts.

Written numbers follow more than one convention, and all are read: "12,000" and "12k" (English), "1.800" and
"20.000" (German, Spanish, Italian…: a dot between groups of three digits), "1 800" and "150 000" (French,
Nordic: a space), "1,2 million" (a decimal comma before a scale word). A name that contains digits is not a
number: model names ("GPT-4", "Llama 3 8B", "Qwen2.5-7B", "Mistral 7B") and GPU names ("RTX 4090") are masked
before reading, so "GPT-4 generated 7k examples" holds one quantity, 7,000.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "dozen": 12,
}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
          "trillion": 1_000_000_000_000}
# Vague amounts, read as a typical value: "a few" ≈ 3, "several" ≈ 4, "dozens" ≈ 36, "hundreds" ≈ 300 …
VAGUE = {"couple": 2, "few": 3, "several": 4, "handful": 5, "dozens": 36, "tens": 30, "hundreds": 300}
# Scale words of other languages after a numeral ("1,5 Mio. USD", "300 Mrd. tokens", "2 milliards", "3 lakh"):
# read only right after a number, where they cannot be an ordinary word
LOCALE_SCALES = {"mio": 1e6, "mill": 1e6, "millionen": 1e6, "millones": 1e6, "millions": 1e6, "mrd": 1e9,
                 "md": 1e9, "mds": 1e9, "milliarden": 1e9, "milliard": 1e9, "milliards": 1e9,
                 "lakh": 1e5, "lakhs": 1e5, "crore": 1e7, "crores": 1e7}
SUFFIX = {"k": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12}

_TOKEN = re.compile(
    r"(?<![a-z0-9.,])(?P<num>\d{1,3}(?:\.\d{3})+(?![.,]?\d)|\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![.,]?\d)"
    r"|\d+(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}(?=\s*(?:k|m|b|bn|mn|thousand|million|billion|trillion|mio|mrd|milliard\w*|millionen|lakh|crore)\b)"
    r"|\d+(?:\.\d+)?)(?P<suf>k|mm|mn|m|bn|b|t)?(?![a-z0-9])"
    r"|(?P<word>[a-z]+(?:-[a-z]+)?)"
    r"|(?P<dash>[-–—~])",
    re.IGNORECASE,
)
# Names with digits in them (masked before reading): model families with their version and size, GPU product
# numbers. "8 H100s" keeps its count 8: only the name's own digits are masked.
_MODEL_FAMILIES = (r"gpt|llama|mistral|mixtral|qwen|gemma|phi|claude|falcon|bert|roberta|t5|flan-t5|deepseek|olmo|"
                   r"smollm\d*|opt|bloom|yi|command-r|granite|starcoder|codellama|vicuna|palm|gemini|o1|o3")
_NAMES = re.compile(
    r"\b(?:" + _MODEL_FAMILIES + r")(?:[- ]?\d+(?:\.\d+)?[a-z]?)?(?:[- ](?:mini|turbo|instruct|chat|base|pro|"
    r"large|small|medium|nano|vision|coder|o))?(?:[- ]?\d+(?:\.\d+)?\s?[bm]\b)?"
    r"|\b\d+(?:\.\d+)?\s?[bm]\s?(?:-?param\w*|model|llm|checkpoint|instruct)\b"
    r"|\b(?:rtx|gtx|geforce|radeon|quadro)\s?(?:a)?\d{3,4}\w*"
    r"|\b(?:19|20)\d{2}\b(?=\s*(?:[,.;)]|$|and|when|we|our|the|model|release|version))",
    re.IGNORECASE,
)
_HEDGES = {"about", "around", "roughly", "approximately", "approx", "nearly", "almost", "over", "under", "maybe",
           "perhaps", "some", "like", "circa", "ca", "only", "just", "up"}


@dataclass
class Quantity:
    value: float
    start: int  # character span in the text
    end: int
    text: str
    vague: bool = False  # "a few", "hundreds of", "plenty" …: an order of magnitude, not a count
    low: float | None = None  # for ranges "200 to 400"
    high: float | None = None


def _compound(word: str) -> bool:
    """"twenty-five", "forty-two": number words joined by a hyphen."""
    parts = word.split("-")
    return len(parts) == 2 and all(p in UNITS for p in parts)


def _word_value(words: list[str]) -> tuple[float, bool] | None:
    """Value of a run of number words ("two thousand", "a couple of billion", "tens of thousands")."""
    total, current, seen, vague = 0.0, 0.0, False, False
    placeholder = False  # current == 1 only because of "a"/"an" ("a thousand"); a following word replaces it
    for w in words:
        if w in ("a", "an"):
            if not seen:
                current, seen, placeholder = 1, True, True
            continue
        if w in ("and", "of"):
            continue
        if w == "half":  # "half a million"; "five and a half thousand" is 5.5 of the scale word that follows
            current, seen, placeholder = (current + 0.5 if current and not placeholder else 0.5), True, False
        elif w == "quarter":  # "a quarter million": a fraction of the scale word that follows
            current, seen, placeholder = 0.25, True, False
        elif w == "dozen":
            current, seen = (1 if placeholder or not current else current) * 12, True
            placeholder = False
        elif w in UNITS:
            current = (0 if placeholder else current) + UNITS[w]
            seen, placeholder = True, False
        elif w in VAGUE:
            base = VAGUE[w]
            current = base if placeholder or current == 0 else current * base
            # "a couple" is two in common use; "a few", "dozens", "hundreds" are orders of magnitude
            seen, vague, placeholder = True, vague or w != "couple", False
        elif w in SCALES:
            scale = SCALES[w]
            if scale == 100:
                current = (current or 1) * 100
            else:
                total += (current or 1) * scale
                current = 0
            seen, placeholder = True, False
        elif w.endswith("s") and w[:-1] in SCALES:  # "thousands", "tens of billions"
            scale = SCALES[w[:-1]]
            total += (current * scale) if current and not placeholder else 3 * scale
            current, seen, vague, placeholder = 0, True, True, False
        else:
            return None
    return (total + current, vague) if seen else None


def masked_names(text: str) -> list[tuple[int, int]]:
    """Spans of model and GPU names (and years) whose digits are no quantity."""
    return [(m.start(), m.end()) for m in _NAMES.finditer(text) if re.search(r"\d", m.group(0))]


def number(raw: str) -> float:
    """A numeral in any of the conventions of the module docstring ("1.800", "150 000", "1,2", "12,000").
    Raises ValueError for what is not one."""
    raw = raw.replace("\u00a0", " ").replace("\u202f", " ")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", raw) or re.fullmatch(r"\d{1,3}(?: \d{3})+", raw):
        return float(raw.replace(".", "").replace(" ", ""))  # "1.800", "150 000": thousands
    if re.fullmatch(r"\d+,\d{1,2}", raw):
        return float(raw.replace(",", "."))  # "1,2 million": a decimal comma
    return float(raw.replace(",", ""))


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in `text`, in order, ranges merged ("200 to 400" → 300, low 200, high 400)."""
    names = masked_names(text)
    tokens = [m for m in _TOKEN.finditer(text)
              if not any(a <= m.start() < b for a, b in names)]
    found: list[Quantity] = []
    i = 0
    while i < len(tokens):
        m = tokens[i]
        if m.group("num"):
            value = number(m.group("num"))
            suf = (m.group("suf") or "").lower()
            end = m.end()
            if suf:
                value *= SUFFIX[suf]
            j = i + 1
            # "2 thousand", "1.5 million", "3 hundred"
            following = (tokens[j].group("word") or "").lower() if j < len(tokens) else ""
            if following in SCALES or following in LOCALE_SCALES or following == "grand":
                # "5 grand" = $5,000 ("a grand total" is no number); "1,5 Mio." = 1.5 million
                value *= SCALES.get(following) or LOCALE_SCALES.get(following) or 1_000
                end = tokens[j].end()
                j += 1
            found.append(Quantity(value, m.start(), end, text[m.start():end]))
            i = j
            continue
        word = (m.group("word") or "").lower()
        if _compound(word):
            word = word.split("-")[0]  # "twenty-five": read as its two number words
        if word in UNITS or word in VAGUE or word in SCALES or word in ("a", "an", "half", "quarter") or (
            word.endswith("s") and word[:-1] in SCALES
        ):
            # greedily take the longest run of number words that parses
            run: list[str] = []
            token_of: list[int] = []  # the token each word of the run came from ("twenty-five" is two words, one token)
            j = i
            while j < len(tokens) and tokens[j].group("word") and len(run) < 7:
                if j > i and text[tokens[j - 1].end():tokens[j].start()].strip(" -"):
                    break  # "one A100, six weeks": words apart (a comma, a masked name between) are two numbers
                w = tokens[j].group("word").lower()
                if _compound(w):
                    run.extend(w.split("-"))
                    token_of.extend([j, j])
                    j += 1
                    continue
                if w in UNITS or w in VAGUE or w in SCALES or w in ("a", "an", "and", "of", "half", "quarter") or (
                    w.endswith("s") and w[:-1] in SCALES
                ):
                    run.append(w)
                    token_of.append(j)
                    j += 1
                else:
                    break
            best = None
            for k in range(len(run), 0, -1):
                parsed = _word_value(run[:k])
                if parsed is not None and run[k - 1] not in ("a", "an", "and", "of", "quarter"):
                    best = (k, parsed)
                    break
            if best and not (best[0] == 1 and run[0] in ("a", "an", "some", "half", "quarter")):
                k, (value, vague) = best
                k = token_of[k - 1] - i + 1  # from words of the run back to tokens
                # numerals after vague words: "a few 100" is rare; "several A100s" is handled by GPU parsing
                end_tok = tokens[i + k - 1]
                end = end_tok.end()
                if i + k < len(tokens) and (tokens[i + k].group("word") or "").lower() == "grand" and \
                        not text[end:tokens[i + k].start()].strip():
                    value, end = value * 1_000, tokens[i + k].end()  # "fifty grand" = $50,000
                    k += 1
                found.append(Quantity(value, m.start(), end, text[m.start():end], vague=vague))
                i += k
                continue
        i += 1
    return _merge_ranges(text, found)


_RANGE_GAP = re.compile(r"^\s*(?:-|–|—|to|or|and|~)\s*$", re.IGNORECASE)


def _merge_ranges(text: str, found: list[Quantity]) -> list[Quantity]:
    merged: list[Quantity] = []
    for q in found:
        if merged:
            prev = merged[-1]
            gap = text[prev.end:q.start]
            if _RANGE_GAP.match(gap) and prev.high is None:
                low, high = prev.value, q.value
                # "2 to 3 million": the scale written once applies to both ends
                for scale in (1e12, 1e9, 1e6, 1e3):
                    if high >= scale and low < scale / 100 and low * scale <= high * 1.01:
                        low *= scale
                        break
                if 0 < low <= high:
                    merged[-1] = Quantity((low + high) / 2, prev.start, q.end, text[prev.start:q.end],
                                          vague=prev.vague or q.vague, low=low, high=high)
                    continue
        merged.append(q)
    return merged


def human(n: float | int | None) -> str:
    """12000 -> "12,000"; 2e9 -> "2 billion"; None -> "unknown"."""
    if n is None:
        return "unknown"
    n = float(n)
    for scale, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(n) >= scale:
            v = n / scale
            return f"{v:.1f}".rstrip("0").rstrip(".") + f" {name}"
    return f"{int(round(n)):,}"
