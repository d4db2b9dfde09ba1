"""Free text → facts. Reads one user message (and, when the advisor just asked for a fact, reads it as the
answer to that question) and returns what it says about each of DESIGN.md's facts, in the normalised values
documented in `agent.facts`.

The reading is by general patterns — units after numbers, synonyms, negation, GPU names — not by sentences:
"12k reviewed pairs", "about two thousand examples", "40B tokens of filings", "4×A100 on prem", "$5k",
"we haven't tried prompting", "I don't know", "actually it's 300 examples".

`extract(text, asked=None) -> Extraction` is pure and fast (regular expressions only; < 1 ms for a sentence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agent import answer_model, numbers, prototypes
from agent.numbers import Quantity, find_quantities
from agent.text import QUOTED, pieces, unquoted

MAX_CHARS = 20_000  # longer messages are read up to here (a 50,000-character paste is cut, and the user is told)

# ---------------------------------------------------------------------------------------------------------------
# Result types


@dataclass
class Finding:
    fact: str
    value: Any
    words: str  # the user's words it came from
    confidence: float  # 0.9 stated in answer to the question, 0.7 said in passing, 0.4 vague
    correction: bool = False  # "actually…", "sorry, I meant…"
    end: int = field(default=0, repr=False)  # where in the message it was read (for in-message corrections)


# A finding below this confidence is not held as a fact: the advisor reads it back ("Did I get that right?") before
# it may decide anything. Findings read by meaning only (0.55), in passing (0.45–0.6) and from pasted text (≤ 0.4)
# sit at or below it; a plain answer to the question asked is 0.9.
HOLD = 0.5
CONFIRM = 0.65  # held, but a decisive fact below this is read back once before the recommendation
# An answer longer than this (words) is no short reply to the question: the answer classifier, trained on replies
# of up to 65 words, is not asked about it
_CLASSIFIED_WORDS = 80


@dataclass
class Extraction:
    findings: list[Finding] = field(default_factory=list)
    dont_know: bool = False  # "I don't know", "not sure", "skip"
    side_question: str | None = None  # "what is LoRA?" asked in the middle of the interview
    launch_request: bool = False  # "launch it", "start training"
    approval: bool = False  # "I approve", "go ahead": a typed approval, which never approves anything
    injection: bool = False  # "ignore your rules…": text that tries to command the advisor
    gibberish: bool = False  # nothing readable
    truncated: bool = False  # the message was longer than MAX_CHARS
    retracts: list[str] = field(default_factory=list)  # facts the user withdraws ("forget what I said about the budget")
    wrong: bool = False  # "that's wrong", "no, that's not right": the last thing the advisor noted is withdrawn
    foreign: str | None = None  # the language the message is written in, when it is not English
    noise: bool = False  # the message holds pasted text that is no answer (an e-mail, a log, a signature)
    text: str = ""  # the message as read (cleaned, pasted noise blanked)

    def facts(self) -> dict[str, Any]:
        return {f.fact: f.value for f in self.findings}


# ---------------------------------------------------------------------------------------------------------------
# Small helpers

_NEG = re.compile(r"\b(?:not|no|never|without|nor|none|nothing|neither|cannot|can't|cant|don't|dont|doesn't|"
                  r"doesnt|didn't|didnt|haven't|havent|hasn't|isn't|aren't|wasn't|won't|lack|zero(?![- ]?shot))\b")
_SENT_SPLIT = re.compile(r"(?<=[.!?;\n])\s+|\s+(?:but|however|though|although)\s+")


def _clean(text: str) -> str:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"').replace("×", "x")
    return text


def _sentences(text: str) -> list[str]:
    return pieces(_SENT_SPLIT, text)


def _negated(sentence: str, start: int) -> bool:
    """Is the match at `start` in `sentence` under a negation before it, in the same clause? A negation reaches
    over a coordinated list ("never tried few-shot prompting or a schema": both negated) but not past a new clause
    ("we tried few-shot and it didn't help": few-shot was tried)."""
    window = sentence[max(0, start - 50):start]
    window = re.split(r"[,;:(]|\bbut\b|\band (?:it|we|they|then|the|that|this)\b|\bso\b", window)[-1]
    return bool(_NEG.search(window.lower()))


# The user's own question answered "no" in the next sentence: "Good enough? Not quite." asserts the opposite
_ANSWERED_NO = re.compile(r"^\s*(?:no\b|nope\b|nah\b|not (?:quite|really|yet|always|even close|at all)\b|hardly\b|"
                          r"far from it\b)", re.IGNORECASE)


def _find(pattern: re.Pattern, text: str, allow_negated: bool = False) -> re.Match | None:
    """First match of `pattern` in `text` that is not negated (sentence by sentence)."""
    sentences = _sentences(text)
    for i, sentence in enumerate(sentences):
        answered_no = sentence.rstrip().endswith("?") and i + 1 < len(sentences) and bool(
            _ANSWERED_NO.match(sentences[i + 1]))
        for m in pattern.finditer(sentence):
            if allow_negated or not (answered_no or _negated(sentence, m.start())):
                return m
    return None


# An amount given as an order of magnitude ("thousands", "a few hundred bucks", "dozens maybe") or hedged with an
# alternative ("5k, maybe 6k", "two months, maybe three") is the user's guess, not a count: it waits below HOLD and
# is read back ("I understood about 5,000 — right?") before it may decide anything.
TENTATIVE = 0.45
_NUMBER_WORD = r"(?:\d|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|fifty|a hundred)"
_ALTERNATIVE_AFTER = re.compile(r"^(?:\s*[a-z$€£]+)?\s*,?\s*(?:maybe|perhaps|possibly|or|if not)\s+(?:even\s+)?"
                                + _NUMBER_WORD, re.IGNORECASE)


def _guessed(text: str, q: Quantity) -> bool:
    """Is the quantity an order of magnitude or a hedged guess (see TENTATIVE)?"""
    return q.vague or bool(_ALTERNATIVE_AFTER.match(text[q.end:q.end + 40]))


def _any(pattern: re.Pattern, text: str) -> bool:
    return _find(pattern, text) is not None


def _rx(*alternatives: str) -> re.Pattern:
    return re.compile(r"(?:" + "|".join(alternatives) + r")", re.IGNORECASE)


def _words_around(text: str, start: int, end: int, before: int = 40, after: int = 60) -> tuple[str, str]:
    return text[max(0, start - before):start].lower(), text[end:end + after].lower()


# ---------------------------------------------------------------------------------------------------------------
# Conversation acts

DONT_KNOW = _rx(r"(?<!\bit )(?<!\bmodel )(?<!\bthey )(?<!\bbot )\b(?:i\s+)?(?:do\s*n[o']?t|dunno|don't|dont)\s+know\b(?! (?:our|its|the (?:latest|current|new)|about our)\b)", r"\bno idea\b", r"\bnot sure\b", r"\bdunno\b",
                r"\bunsure\b", r"\bno clue\b", r"\bcan'?t say\b", r"\bhard to say\b", r"^\s*skip\b",
                r"\bskip (?:this|that|it)\b", r"^\s*(?:i(?:'ll| will)? )?pass\s*[.!]?\s*$", r"\bnext question\b", r"\bunknown\b",
                r"\bnot certain\b", r"\bhaven'?t (?:checked|counted|measured)\b", r"\bidk\b",
                r"\bprefer not to say\b", r"\brather not say\b", r"\bno comment\b")
CORRECTION = _rx(r"\bactually\b", r"\bsorry\b", r"\bi meant\b", r"\bcorrection\b", r"\bscratch that\b",
                 r"\bi misspoke\b", r"\bto correct\b", r"\bwait\b", r"\bmy mistake\b", r"\bnot \S+,? but\b",
                 r"\bupdate:")

# Words that take back the amount just said and give another: "50k, actually make that 15k", "2,000, hmm no,
# closer to 200", "8,000 — sorry, 18,000". Between two amounts of one fact, the later one wins.
_CORRECTING = re.compile(CORRECTION.pattern + r"|\bno,? wait\b|\b(?:hmm+|um+|uh+|oh),? no\b|\bmake (?:that|it)\b|"
                         r"\bcloser to\b|\bi mean\b|\brather\b|[—–-]\s*no\b|\bno,? (?:it'?s|more like)\b|\bmore like\b|"
                         r"\b(?:the )?(?:actual|real) (?:\w+ )?(?:is|are|number is)\b|\bhm+,? no\b",
                         re.IGNORECASE)


def _corrected(text: str, quantities: list[Quantity]) -> Quantity | None:
    """The amount a correction inside the message settles on, when there is one: the one after the last
    correcting words between two amounts, or the one after "not N" ("not 300 examples, 3,000")."""
    for before, after in reversed(list(zip(quantities, quantities[1:]))):
        if _CORRECTING.search(text[before.end:after.start]) or re.search(
                r"\bnot\s+(?:\$|€|£)?\s*$", text[max(0, before.start - 8):before.start], re.IGNORECASE):
            return after
    return None


SIDE_QUESTION = _rx(r"\bwhat(?:'s| is| are| does| do)\b", r"\bhow (?:much|many|long|does|do|is|are|can|would)\b",
                    r"\bwhy\b", r"\bexplain\b", r"\bdifference between\b", r"\btell me (?:about|more)\b",
                    r"\bwhat do you mean\b", r"\bmean by\b", r"\bwhen should\b", r"\bwhich (?:is|one)\b",
                    r"\bis it (?:true|better)\b")
LAUNCH = _rx(r"\blaunch\b", r"\bstart (?:the )?(?:training|job|run|fine[- ]?tun\w*)\b", r"\bkick (?:it )?off\b",
             r"\bgo ahead\b", r"\brun (?:it|the job|the training)\b", r"\btrain (?:it|the model)? ?now\b",
             r"\bbegin training\b", r"\blet'?s (?:train|do it|go)\b")
# Words that would approve a job if typing could (it cannot: only the Approve button does). With a job waiting, the
# advisor answers them by pointing at the button. "approved" alone is not here: "only approved content" is data.
APPROVAL = _rx(r"\bi (?:hereby )?approve\b", r"\bapprove (?:it|this|that|now|the (?:job|plan|run|launch))\b",
               r"\bgo ahead\b", r"\byes,? (?:start|run|launch|do it|go)\b", r"\blgtm\b", r"\bgreen light\b",
               r"\bconfirm(?:ed)? (?:it|the (?:job|plan|launch|run))\b", r"\bstart it\b", r"\bproceed\b")
INJECTION = _rx(r"\bignore (?:all |any |your |the |previous |prior |above |earlier )*(?:rules|instructions|"
                r"guidelines|prompts?|constraints|policy|policies)\b",
                r"\bdisregard (?:all |your |the |previous |prior )*(?:rules|instructions|guidelines)\b",
                r"\byou are now\b", r"\bsystem prompt\s*:", r"\bapprove (?:the |this |my |every |all )?jobs?\b",
                r"\bauto-?approve\b", r"\bbypass (?:the )?approval\b", r"\bwithout (?:asking|approval|confirmation)\b",
                r"\boverride (?:your|the) (?:rules|instructions)\b", r"\bnew instructions\s*:")
_STOPWORDS = set("""a an the we our us i you it is are was were be have has had do does did not no yes to of in on for
with and or but so that this these those they them my me about around some any all just only very really more
most few many much can could would should will what how why when which who there here from by at as if then
than also too still get got use used using want need like know think maybe ok okay sure well its it's we're
we've don't haven't isn't one two three none nope yeah yep""".split())


def _looks_like_language(text: str) -> bool:
    words = re.findall(r"[a-zA-Z']+", text.lower())
    if not words:
        return bool(re.search(r"\d", text))
    if any(w in _STOPWORDS for w in words):
        return True
    vowelled = [w for w in words if re.search(r"[aeiouy]", w) and len(w) <= 14]
    if len(words) <= 3:
        return len(vowelled) == len(words) and any(len(w) >= 4 for w in words)
    # a longer message of ordinary words without any function word ("writers picked between candidates since
    # alpha") is telegraphic English, not keyboard noise: most of its words are pronounceable (a vowel, no run of
    # five consonants, as "sdfgh" has)
    pronounceable = [w for w in vowelled if not re.search(r"[^aeiouy'\W\d]{5}", w)]
    return len(pronounceable) >= 0.7 * len(words)


# ---------------------------------------------------------------------------------------------------------------
# Fact readers. Each takes the cleaned text (and the fact the advisor asked for) and returns (value, words,
# confidence) or None.

YES = re.compile(r"^\s*(?:yes|yeah|yep|yup|sure|of course|definitely|absolutely|correct|right|we have|we did|"
                 r"we do|indeed|certainly|affirmative|y)\b", re.IGNORECASE)
NO = re.compile(r"^\s*(?:no|nope|nah|not really|not yet|never|none|nothing|zero|n|negative|not at all|no one|"
                r"nobody|not much|nada|absolutely not|definitely not|certainly not|no way)\b", re.IGNORECASE)

_MODEL_SUBJECT = re.compile(r"\b(?:it|the model|the bot|the assistant|the chatbot)\b", re.IGNORECASE)
# A person's mistake the product reacts to is no failure of the model: "when a learner picks the wrong answer, the AI
# explains why", "if a customer enters the wrong date". Matched on the words just before a failure word.
_PERSON_ERRS = re.compile(r"\b(?:learners?|students?|pupils?|trainees?|candidates?|customers?|clients?|users?|patients?|"
                          r"callers?|players?|people|someone|somebody|staff|employees?|kids?|children|drivers?|"
                          r"applicants?|visitors?|guests?)\s+(?:\w+\s+)?(?:picks?|picked|chooses?|chose|selects?|"
                          r"selected|enters?|entered|types?|typed|gives?|gave|submits?|submitted|clicks?|clicked|"
                          r"makes?|made|takes?|took|uses?|used|has|have|gets?|got)\s+(?:the |a |an )?$", re.IGNORECASE)
# Facts of a past period, handed out as current: "quotes a rate from last spring", "last month's nutrient mix". A
# failure by its own words: no other word of failure is needed.
_PAST_PERIOD = _rx(r"\b(?:from|of) last (?:year|month|week|season|spring|summer|autumn|fall|winter|quarter|term)\b",
                   r"\blast (?:month|week|season|spring|summer|autumn|fall|winter|quarter|term)'?s\b")

# A manner that is a complaint by its own word: no "wrong" or "too" is needed ("accurate but preachy and long")
_MANNER_FAULT = re.compile(r"\b(?:preachy|condescending|patroni[sz]ing|lecturing|moraliz\w+|moralis\w+|smug|pompous|"
                           r"stilted|flowery|listy|salesy|pushy|sycophantic|gushing|cheesy|cringe\w*|snarky|curt|"
                           r"rude|stuffy|bureaucratic|wooden|clinical tone|chatty|waffl\w+|padded|fluffy|"
                           r"long-?winded|wordy|verbose|rambl\w+|robotic)\b", re.IGNORECASE)

PROBLEM_TAGS: dict[str, re.Pattern] = {
    "knowledge": _rx(r"\b(?:old|last year'?s?|previous|expired|superseded|former) (?:\w+ )?(?:rules|polic(?:y|ies)|prices|"
                     r"doses|versions?|information|info|figures|numbers|specs|guidelines|rates|terms)\b(?!\s+(?:engine|system|based|table))",
                     # the user's own documents the model must answer from
                     r"\bour (?:[\w-]+ ){0,2}(?:guidelines|protocols|procedures|formular(?:y|ies)|contracts|regulations|sops|"
                     r"playbooks?|runbooks?|price ?lists?|terms)\b",
                     r"\b(?:current|latest|today'?s|live|up-to-date|changing) (?:\w+ ){0,2}(?:\((?:\w+ ){0,2})?(?:terms|wordings?|rates|availability|"
                     r"case law|inventory|stock|status|schedules?|formular(?:y|ies)|guidelines|drug info\w*)\b",
                     r"\b(?:a step|always) behind\b", r"\bdoesn'?t know (?:anything )?about\b",
                     r"\bout ?(?:-| )?of ?(?:-| )?date\b", r"\boutdated\b", r"\bstale\b", r"\bwrong facts\b",
                     r"\bwrong or outdated\b", r"\bdo(?:es)?(?:n't| not) know (?:about |anything about )?(?:our|the (?:latest|current|new)|recent|current|new|about)\b",
                     r"\b(?:current|latest|up-to-date|new|changing) (?:\w+ )?(?:\((?:\w+ ){0,2})?(?:documents|docs|policies|information|info|prices|rules|regulations|specs)\b",
                     r"\bneeds? (?:to know|access to)\b", r"\banswer (?:only )?from (?:the|our)\b",
                     r"\bour (?:[\w-]+ ){0,2}(?:docs|documents|documentation|knowledge ?base|wiki|catalog(?:ue)?|"
                     r"policies|manuals?|products?|handbook)\b(?![ -](?:team|department|people|writers|folks|group|owners?|manager))",
                     r"\bknows?\b[^.]{0,40}\bour\b[^.]{0,30}\b(?:manuals?|handbook|wiki|docs|documentation|documents|"
                     r"catalog\w*|knowledge ?base|policies|codebase|products?|specs)\b",
                     r"\b(?:find|look up|search for) (?:the )?(?:answers|information|info) in\b", r"\bknowledge ?base\b", r"\bup[- ]to[- ]date\b",
                     r"\blatest (?:info|information|prices|versions?|releases?)\b", r"\bfactual\b",
                     r"\bfacts?\b(?! (?:and|or) (?:tone|style))", r"\bprices?\b", r"\bproduct (?:info|specs?|details)\b",
                     r"\bspecs\b", r"\brecent events\b", r"\bknowledge gap\b", r"\bwrong answers? about\b",
                     r"\banswer (?:questions )?from (?:our|the|internal)\b", r"\bnew (?:products|policies|releases)\b",
                     r"\binternal (?:docs|documents|data|information)\b",
                     r"\b(?:telling|giving|tells|gives) (?:\w+ )?(?:the )?wrong\b",
                     r"\bwrong (?:information|info|details|numbers|dates|policy|policies|answers|prices?)\b",
                     # "the wrong answer" alone is an option someone picked ("why the wrong answer was tempting");
                     # the model giving it is read above ("gives the wrong answer")
                     r"(?<!\bthe )(?<!'s )\bwrong answer\b",
                     r"\b(?:policy|policies|rules|prices|info\w*|docs|documentation|regulations) (?:has |have )?changed\b",
                     r"\bto know (?:our|about)\b", r"\b(?:generic|general|public) (?:internet |web )?knowledge\b",
                     r"\b(?:internal|company|hr|travel|expense|security|it|leave|hiring) polic(?:y|ies)\b", r"\bknow (?:our|about our) (?:codebase|docs|products|data|policies)\b",
                     # the category named outright ("it misses current notices (knowledge)")
                     r"\bknowledge\b",
                     # a superseded source: the wrong or an old edition, version, revision of a document
                     r"\b(?:wrong|old|older|outdated|previous|superseded|last) (?:\w+ )?(?:editions?|versions?|revisions?|releases?)\b",
                     # "doesn't know the case status": not knowing a thing (not "how to" do something) is a gap in facts
                     r"(?<!\bi )(?<!\bwe )(?<!\byou )\b(?:doesn'?t|does not|don'?t|do not) know (?!how\b|when to\b|what to do\b|what\b[^.]{0,40}\bmean|(?:the |our |its )?"
                     r"(?:format|tone|style|terms|layout|structure|schema|language|languages|dialect|grammar)\b)(?:the |our |its |any |which |what |when |who )?\w+",
                     # answers that are not true, said without the word "facts"
                     r"\b(?:not|isn'?t|aren'?t|never) (?:\w+ )?(?:true|accurate|correct) (?:information|info|answers?|facts?)\b",
                     r"\b(?:they'?re|it'?s|is|are) (?:just |simply |often |frequently )?(?:not true|untrue|false)\b",
                     _PAST_PERIOD.pattern,
                     # information that changes, and the model gets it wrong: "set times move around daily, so it's wrong"
                     r"\b(?:change[sd]?|changing|move around|moves around|(?:get|gets|are|is) updated|revised)\b[^.;]{0,80}"
                     r"\b(?:wrong|outdated|out of date|stale|old)\b",
                     r"\b(?:wrong|outdated|out of date|stale)\b[^.;]{0,40}\b(?:because|since|as|when) (?:\w+ ){0,3}(?:change[sd]?|"
                     r"move around|moves around|(?:get|gets|are|is) updated)\b",
                     ),
    "hallucination": _rx(r"\bguesses\b(?! (?:the )?(?:rest|next|step))",
                         r"\bhallucinat\w*", r"\binvents?\b", r"\binventing\b", r"\bmakes? (?:things |stuff )?up\b",
                         r"\b(?:make|makes|making|made) (?:them|it|those|things|stuff|(?:the |its |their )?\w+s) up\b",
                         r"\bmade[- ]up\b", r"\bmaking up\b", r"\bconfabulat\w*", r"\bfabricat\w*",
                         r"\bnon-?existent\b", r"\bdon'?t exist\b", r"\bdoesn'?t exist\b", r"\bplausible[- ]sounding\b"),
    "format": _rx(r"\bformat\w*", r"\bjson\b", r"\bschema\b", r"\btemplate\b", r"\bstructur\w*", r"\bfields\b",
                  r"\b(?:missing|wrong|extra|required|empty|json|output) field\b",
                  r"\bparse[sdr]?\b", r"\bmalformed\b", r"\bunparse?able\b", r"\binvalid (?:json|xml|yaml|output)\b", r"\blayout\b", r"\bxml\b", r"\byaml\b", r"\bmarkdown\b", r"\bsoap notes?\b",
                  r"\bfollow (?:our|the) (?:spec|instructions)\b", r"\boutput shape\b",
                  # length is part of the output's shape (a text limit, a number of lines), not of its voice
                  r"\b(?:too|so|very|far too|way too) long\b", r"\blength\b", r"\bessays?\b", r"\bwalls? of text\b",
                  r"\b(?:twice|three times|double) as long\b", r"\b(?:character|char|word) (?:limit|count)s?\b",
                  r"\b(?:over|under|max(?:imum)?|at most) \d+ (?:chars?|characters|words|lines)\b",
                  r"\b\d+ (?:chars?|characters|words|lines) max\b"),
    "tone": _rx(_MANNER_FAULT.pattern, r"\btone\b", r"\brobot\w*", r"\bchummy\b", r"\bstiff\b", r"\bcold\b", r"\b(?:too )?formal\b",
                r"\b(?:too )?casual\b", r"\blegalistic\b", r"\b(?:on|off)-?brand\b", r"\b(?:writes?|writing|talks?|sounds?) like (?:an? |the )?(?!these\b|this\b|that\b|it\b)[a-z]+", r"\bvoice\b", r"\bstyle\b", r"\bregister\b", r"\bbrand\b", r"\bpersona\b",
                r"\bsounds? (?:off|robotic|generic|wrong)\b", r"\bwording\b", r"\btoo (?:formal|casual|verbose)\b",
                r"\blevel of detail\b", r"\bwriting style\b", r"\bempath\w*", r"\bpoliteness\b",
                r"\bwordy\b", r"\bverbose\b", r"\blong-?winded\b", r"\bterse\b", r"\brambl\w+", r"\bspeak like\b",
                r"\bsound(?:s)? like (?:us|our|a human)\b",
                r"\b(?:writes?|sounds?|talks?|speaks?|answers?)\b[\w ]{0,30}\bthe way (?:our|we|they|the|a|an)\b",
                # how it comes across, in any adjective: "sounds <x>", "comes across as <x>", "way too <x>" (an excess
                # of manner; excesses of time, money or amount belong to other tags)
                r"\b(?:sounds?|sounding|comes? across(?: as)?|feels?) (?:too |very |so |really |a bit |kind of |pretty |quite )?"
                r"(?!like\b|fine\b|ok\b|okay\b|good\b|great\b|right\b|correct\b|true\b|plausible\b|convincing\b|confident\b)[a-z]{3,}\b",
                r"\b(?:way|far|much|a bit|slightly|overly|just) too (?!slow|expensive|costly|long\b|many|much|few|often|late|"
                r"early|big|small|large|hard|easy|risky|dangerous)[a-z]{3,}\b"),
    "terminology": _rx(r"\bterminolog\w*", r"\b(?:wrong|our|correct|right|proper|the) (?:\w+ )?terms\b",
                       r"\babbreviations?\b", r"\bshorthand\b", r"\bglossary\b", r"\bjargon\b", r"\bvocabular\w*", r"\bacronyms?\b",
                       r"\b(?:domain|technical|medical|legal|clinical) terms\b", r"\bcoding\b", r"\bnomenclature\b",
                       r"\bcall(?:s|ing|ed)? (?:\w+ ){1,3}(?:an? |the )?['\"]",  # "calls an overdraft a 'negative loan'": misnames
                       r"\bsays? ['\"][^'\"]{1,30}['\"] (?:when|where|instead of|for what) (?:we|our|you)\b"),
    "reasoning": _rx(r"\breason\w*", r"\b(?:loses?|losing|lost) track\b",
                     r"\b(?:multi|several|many|\w+th|third|second|next|later|each) steps?\b",
                     r"\bchain\b", r"\bcalculations?\b", r"\bconstraints? at once\b", r"\blogic\w*", r"\bmulti-?step\b", r"\bmath\w*", r"\bcalculat\w*",
                     r"\barithmetic\b", r"\bchains? (?:them|steps|it)\b", r"\bword problems?\b", r"\bplanning\b",
                     r"\bdeduc(?:e|es|ed|ing|tions?|tive)\b", r"\binfer(?:ence|ring)? chains?\b", r"\bproofs?\b", r"\bmulti-?hop\b"),
    "domain": _rx(r"\bshallow\b", r"\bdepth\b", r"\bniche\b", r"\bgeneric\b(?! (?:internet |web )?knowledge)", r"\bspeciali[sz]ed\b",
                  r"\bdomain\b", r"\bdoesn'?t understand (?:our|the) (?:field|domain|industry)\b",
                  r"\bunderwriting\b", r"\bour industry\b", r"\bsounds like a \w+ but\b"),
    "task": _rx(r"\bclassif(?:y|ies|ier|iers|ication|ications|ying)\b", r"\bextract\w*", r"\bsummari[sz]\w*", r"\bcategori[sz]\w*", r"\bcategor(?:y|ies)\b",
                r"\brout(?:e|ing)\b", r"\btagg?ing\b", r"\blabel(?:l)?ing\b", r"\bnarrow task\b", r"\bsingle task\b",
                r"\btask accuracy\b"),
    "cost": _rx(r"\b(?:cut|reduce|lower) (?:\w+ )?(?:costs?|spend|bills?)\b", r"\bexpensive\b", r"\bcosts?\b", r"\bpric(?:ey|y)\b", r"\bbill\b", r"\btoo much money\b",
                r"\bapi spend\b"),
    "latency": _rx(r"\blatency\b", r"\btoo slow\b", r"\bslow\b", r"\bresponse time\b", r"\breal[- ]time\b",
                   r"\b\d+ ?ms\b", r"\bmilliseconds?\b"),
    "plateau": _rx(r"\bplateau\w*", r"\bstuck\b", r"\bstopped improving\b", r"\bonly improved (?:a little|slightly|modestly)\b",
                   r"\bimproved (?:only )?(?:a little|slightly|modestly)\b", r"\bbelow (?:our )?target\b",
                   r"\bno longer improv\w*", r"\bdiminishing returns\b", r"\bstall\w*",
                   # every run ends the same, whatever is changed: a ceiling, said without the word
                   r"\b(?:lands?|landed|ends? up|ended up|converges?|tops? out|peaks?) (?:at|on|in) (?:the )?same (?:place|score|spot|"
                   r"number|level|point)\b", r"\bsame (?:score|result|number)s? (?:every|each)\b",
                   # "all flat at the same accuracy", "stays flat whatever the rank": runs that do not move
                   r"\b(?:all|stays?|stayed|staying|remains?|remained|went|goes|is|are|were|was|pretty|basically) "
                   r"flat\b(?! (?:fee|rate|file|price|pack|structure)s?\b)",
                   r"\bdoesn'?t matter (?:the|what|which) (?:rank|lr|learning rate|hyper-?param\w*|settings?)\b",
                   # a limit the runs cannot pass, said as a wall or a ceiling
                   r"\b(?:hits?|hitting|reached|reaches) (?:a|the|its|some) (?:wall|ceiling|limit)\b", r"\bceiling\b",
                   r"\bmaxed out\b", r"\b(?:can'?t|won'?t|doesn'?t|don'?t|cannot|never) (?:get|go|move|push it) "
                   r"(?:past|beyond|above|over)\b",
                   # changing the settings moves nothing: "more epochs don't move it", "flat for three runs"
                   r"\b(?:don'?t|doesn'?t|didn'?t|won'?t|never|barely) (?:move|change|budge|shift|improve) (?:it|the (?:score|"
                   r"number|metric|needle|result))\b",
                   r"\b(?:gains?|improvements?|progress) (?:have |has |just )?(?:stopped|stalled|dried up|flattened)\b",
                   r"\bno (?:more|further) (?:gains?|improvements?)\b",
                   r"\bnothing (?:\w+ ){0,2}(?:moves?|budges?|improves?|shifts?) (?:it|the (?:score|number|metric|needle))\b",
                   r"\b(?:been|stays?|stayed|staying|remained|is|are|was|went) flat\b(?=[^.]{0,30}\b(?:for (?:\w+ ){0,2}(?:quarters?|"
                   r"months?|weeks?)|since|runs?|epochs?|"
                   r"experiments?|ranks?|%|score|accuracy|f1|exact[- ]match))",
                   r"\bflat (?:for|across|over) (?:\d+|two|three|four|five|several|the last) (?:\w+ )?(?:runs|epochs|experiments|"
                   r"sweeps|weeks)\b"),
}
_LORA_TRIED = _rx(r"\blora\b.*\b(?:ranks?|tried|trained|fine[- ]?tuned|plateau\w*|stuck)\b",
                  r"\b(?:tried|trained|fine[- ]?tuned|used)\b.*\blora\b")


# For what is failing, only a plain "not/no" clears a word ("not about facts"); "can't reason" or "doesn't follow
# the format" describe the failure itself.
_NOT = re.compile(r"(?<!\bdoes )(?<!\bdo )(?<!\bdid )(?<!\bcan )(?<!\bcould )(?<!\bwill )(?<!\bwould )"
                  r"\b(?:not|no|isn't|aren't|never)\b(?:\s+\S+){0,2}\s*$", re.IGNORECASE)
# A clause that is only a negated topic ("not facts", "no, not the tone"): it clears that topic. A negated quality
# ("not accurate", "not enough") is a complaint, not a clearing.
_NEGATED_TOPIC = re.compile(r"^\s*(?:and |but |so |no,? )?(?:not|no|never)\s+(?:really |about |the |our |its |a |an )*"
                            r"(?!(?:enough|good|great|accurate|right|correct|reliable|consistent|helpful|useful|safe|clear|"
                            r"true|fast|cheap|usable|there|working|close)\b)[\w-]+(?:\s+[\w-]+)?\s*[.!]?\s*$", re.IGNORECASE)
# A bare word naming the topic ("safety data sheets", "our guardrails team") is no complaint by itself; these words
# of the safety tag say a failure on their own.
_SAFETY_FAILING = _rx(r"\bunsafe\b", r"\bhow to (?:get around|circumvent|evade|defeat|disable|bypass|fool|trick)\b", r"\bharmful\b", r"\bdangerous\b", r"\brisky\b", r"\bjailbreak\w*",
                      r"\btoxic\w*", r"\bover-?refus\w*", r"\bleak\w*", r"\bbypass\w*")
# "invents keys", "makes up fields": what is invented is part of the output's structure, a format failure
_STRUCTURE_AFTER = re.compile(r"^\s*(?:(?:new|extra|its own|random|odd|bogus|fake)\s+)*(?:json\s+)?(?:keys|fields|columns|"
                              r"properties|attributes|sections|headings|tags|elements)\b", re.IGNORECASE)
# A failure said to be past ("it used to drop fields … not anymore"): no longer failing
_PAST_FAILURE = re.compile(r"\bused to\b|\boriginally\b|\bat first\b|\bin the beginning\b", re.IGNORECASE)
_NOW_FIXED = re.compile(r"\bnot any ?more\b|\bno longer (?:an? )?(?:problem|issue|happens|the case)\b|\b(?:fixed|solved|gone) now\b|\bnow (?:fixed|solved|fine|gone)\b",
                        re.IGNORECASE)
_PRAISED = re.compile(r"\b(?:right|correct|good|fine|great|nice|perfect|proper|consistent)\s+(?:\w+\s+)?$")


# ---- what is failing: clause by clause ---------------------------------------------------------------------------
# A clause is the unit of scope: "the facts are fine, the tone drifts" is two clauses, and only the second says
# what fails. A clause that clears its subject ("X is fine", "X is not the problem", "no issue with X") yields no
# tag; a clause that describes a failure does. Outside an answer to "what is failing", a clause needs a failure
# cue (a word that says something goes wrong) before a topic word counts: "our docs team" names documents and
# fails at nothing.
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;\n])\s+|\s*(?:,(?!\d{3})|[;:—–])\s*|\s+-\s+|\s+[+&]\s+|\s+(?:but|however|though|although|while|whereas|"
                           r"yet|and then|also|even tho|even though|tho)\s+|"
                           # "and" before a new statement about the model: "… wrong and doesn't sound like us"
                           r"\s+and\s+(?=(?:it|its|it's|they|the model|the bot|doesn'?t|don'?t|does|won'?t|can'?t|isn'?t|never|"
                           r"keeps|gets|sounds|uses|makes|says|writes|ignores|misses|invents)\b)", re.IGNORECASE)
_CLEARED = re.compile(
    r"\b(?:is|are|'s|'re|seems?|looks?|was|were|been)\s+(?:\w+\s+)?(?:fine|ok|okay|good|great|right|correct|accurate|"
    r"solid|perfect|spot on|not (?:the|an?|our) (?:\w+ )?(?:problem|issue|concern)|no (?:problem|issue))\b"
    r"|^\s*(?:the\s+)?\w+(?:\s+\w+)?\s+(?:fine|ok|okay|good|right)\s*\.?$"
    r"|\bno (?:problem|issue|complaints?|trouble)s? (?:with|about|on)\b|\b(?:isn't|aren't|is not|are not|not) "
    r"(?:really )?(?:the|an?|our) (?:\w+ )?(?:problem|issue|concern)\b|\bnot (?:about|a matter of)\b"
    r"|\bfine (?:now|already)\b|\b(?:don't|doesn't|do not|does not|never) (?:really )?(?:change|matter|move)\b"
    r"(?! (?:it|the (?:score|number|metric|needle|result)))"
    # "it gets the facts", "it knows every formula": a clause that credits the model with its subject
    r"|^\s*(?:it|the model|they|that)?\s*(?:gets|got|nails|handles|knows) (?:the |every |all |our )?\w+(?: right| fine| well)?\s*[.,]?$"
    # "facts come from the findings": the clause names where its subject is supplied, no failure
    r"|\b(?:comes?|came) from (?:the|our)\b|\b(?:is|are) (?:given|provided|supplied) (?:in|by)\b",
    re.IGNORECASE)
_FAILURE = re.compile(
    r"\b(?:wrong\w*|incorrect\w*|bad\w*|poor\w*|off|broken|breaks?|breaking|fails?|failing|failure|can'?t|cannot|"
    r"couldn'?t|doesn'?t|don'?t|won'?t|isn'?t|aren'?t|never|not (?:the )?(?:real|actual|true|correct|current|same)|invents?|inventing|makes? up|made up|making up|hallucinat\w*|"
    r"drifts?|drifting|mangl\w*|butcher\w*|misread\w*|misus\w*|mix(?:es|ed|ing)? up|mixes|loses?|losing|forgets?|ignores?|too|not (?:good|"
    r"accurate|enough|right)|struggl\w*|problems?|issues?|complain\w*|hates?|stale|outdated|out of date|old|last "
    r"year'?s?|behind|keeps|garbl\w*|robotic|generic|inconsistent\w*|unsafe|risky|dangerous|harmful|refus\w*|slow|"
    r"expensive|costly|miss(?:es|ing)?|errors?|mistakes?|confus\w*|barely|only|instead|rather than|needs? to|should|"
    r"shouldn'?t|has to|must|want|gap|lacks?|lacking|weak|shallow|sounds?|feels?|reads? like|hurts?|unusable|brutal|"
    r"renames?|chatter|extra|quot(?:es?|ed|ing)|cites?|still|to know|to learn|to understand|stuck|plateau\w*|stopped|no longer|"
    r"diminishing|misappl\w*|unreliable|not reliable|limit\w*|costs? us|bill|spend|bills|different|prefer\w*|"
    r"better|wish|would like|hard to|needs?|neither|nor|happily|bypass\w*|leak\w*|explains how to|dies|crash\w*|"
    r"chokes?|blows up|kills?|malformed|invalid|unparse?able)\b"
    r"|\bcall(?:s|ing|ed)? (?:\w+ ){1,3}(?:an? |the )?['\"]", re.IGNORECASE)
# A clause of an answer to "what is failing" with no word of failure in it ("answer quality judged by reviewers") is
# read by meaning only when it is this close to a failure's prototype (cosine; the usual floor is 0.50)
_NO_CUE_SIMILARITY = 0.56
# The question's own words for each failure ("format", "formatting" and the like are all "format")
_CATEGORY_TAG = {"knowledge": "knowledge", "fact": "knowledge", "facts": "knowledge", "tone": "tone", "style": "tone",
                 "reading level": "tone", "reading age": "tone", "readability": "tone", "register": "tone",
                 "voice": "tone", "terminology": "terminology", "jargon": "terminology", "reasoning": "reasoning",
                 "logic": "reasoning", "latency": "latency", "speed": "latency", "cost": "cost", "language": "language",
                 "safety": "safety"}
_CATEGORY_WORDS = "|".join(_CATEGORY_TAG) + r"|format\w*"
_CATEGORY_WORD = re.compile(r"\b(?:" + _CATEGORY_WORDS + r")\b")
# An answer to "what is failing" that opens with one of the question's own categories names the failure, however
# long the rest: "knowledge (which suppliers are certified right now) + format of the letters"
_NAMES_CATEGORY = re.compile(r"^\s*(?:(?:mostly|mainly|primarily|the|it'?s|its|both|definitely|honestly|probably|"
                             r"and|plus|also)\s+)*"
                             # "reading level and format (…)": a short list whose second item is a category names both
                             r"(?:[a-z'-]+(?:\s+[a-z'-]+)?\s*(?:,|&|\+|\band\b|\bplus\b)\s*(?:the\s+)?)?"
                             r"(?P<category>" + _CATEGORY_WORDS + r")\b"
                             r"(?!\s+(?:is|are|'s)\s+(?:fine|ok|good))", re.I)
_SHORT_ANSWER_WORDS = 6  # "Format.", "cost, purely cost": a clause this short answering "what is failing" is the answer

LANGUAGE_TAG = _rx(r"\b(?:in|into|speaks?|speaking|writes?|writing|replies|answers?|respond\w*)\b[^.]{0,25}\b(?:the "
                   r"(?:local |user'?s'? |customers'? )?language|dialect|our language)\b",
                   r"\b(?:grammar|spelling|translation)s?\b[^.]{0,20}\b(?:wrong|bad|broken|poor|off)\b",
                   r"\b(?:broken|poor|bad|wrong) (?:grammar|spelling|translations?|sentences)\b",
                   r"\b(?:answers?|replies|responds?) in (?:english|the wrong language)\b",
                   r"\bwrong language\b",
                   r"\b(?:replies|answers|responds|writes|switches)\b[^.]{0,20}\bin \w+\b[^.]{0,40}\b(?:write|ask|speak|type|"
                   r"message)s?\b[^.]{0,15}\bin \w+\b", r"\blow[- ]resource language\b", r"\bmix(?:es|ing)? (?:up )?\w+ and \w+ "
                   r"(?:portuguese|spanish|english|french|german|arabic|chinese)\b",
                   r"\b(?:barely|poorly|badly) (?:speaks?|writes?|knows?|handles?|understands?) "
                   r"(?:the |our )?(?:language|\w+ish|\w+ese|\w+ic|\w+an|\w+i)\b")
SAFETY_TAG = _rx(r"\bunsafe\b", r"\bhow to (?:get around|circumvent|evade|defeat|disable|bypass|fool|trick)\b", r"\bharmful\b", r"\bdangerous\b", r"\brisky\b", r"\brefus(?:es|als?|ing)\b",
                 r"\bjailbreak\w*", r"\b(?:advice|instructions) (?:it|that it) (?:really )?shouldn'?t\b",
                 r"\btoxic\w*", r"\bsafety\b", r"\bguardrails?\b", r"\bpolicy violations?\b",
                 r"\bbypass\w* (?:the )?(?:\w+ )?(?:safety|security|interlocks?|locks?|controls?|checks?)\b", r"\bleak\w*",
                 r"\bshouldn'?t (?:say|reveal|share|tell|disclose)\b", r"\bover-?refus\w*",
                 r"\b(?:says?|tells?|reveals?|shares?|discloses?) (?:\w+ ){0,3}(?:it|that it) shouldn'?t\b")


# An aside in brackets lists examples ("the requirements change (test scores, deadlines, degrees)"): its commas are
# no clause boundaries, so the aside stays with the clause it belongs to.
_ASIDE = re.compile(r"\([^()]{0,300}\)")
# A clause whose failure is said of a pronoun ("… and it gets them wrong", "… and it drifts from it") is about the
# clause before it: read the two together, or the failure loses its subject.
_PRONOUN_FAILURE = re.compile(r"^\s*(?:and\s+|but\s+)?(?:it|they|the model|the bot)\b(?=.*\b(?:them|it|those|these|that)\b)|"
                              # a relative clause judges the one before it: "…from general knowledge, which is risky"
                              r"^\s*(?:which|and that'?s|that'?s)\b", re.IGNORECASE)


def _clauses(text: str) -> list[str]:
    text = _ASIDE.sub(lambda m: re.sub(r"\s*[,;:—–]\s*", " / ", m.group(0)), text or "")
    clauses: list[str] = []
    for clause in pieces(_CLAUSE_SPLIT, text):
        if not re.search(r"[a-zA-Z]", clause):
            continue
        if clauses and _PRONOUN_FAILURE.match(clause) and _FAILURE.search(clause) and not _FAILURE.search(clauses[-1]) \
                and len(clause.split()) <= 6:
            said = re.sub(r"^(?:and|but)\s+", "", clause.strip(), flags=re.IGNORECASE)
            relative = re.match(r"(?:which|that)\b", said, re.IGNORECASE)
            clauses[-1] = f"{clauses[-1]}{', ' if relative else ' and '}{said}"
            continue
        clauses.append(clause)
    return clauses


# Fine-tunes that lose to a stronger, prompted model: a capability gap (engine rule "stronger base model").
_LOSES_TO_STRONGER = re.compile(
    r"\b(?:lose|loses|lost|losing|worse than|behind|below|(?:don'?t|doesn'?t|didn'?t|can'?t|never|couldn'?t) "
    r"(?:\w+ )?(?:beat|match|reach)|trail\w*|under-?perform\w*|(?:still )?no better than)\b[^.]{0,60}?\b(?:gpt-?\S*|"
    r"claude|gemini|bigger|larger|stronger|frontier|\d+b|prompted|base model with (?:a|our) (?:good )?prompt)",
    re.IGNORECASE)
_FINETUNED = re.compile(r"\bfine[- ]?tun\w*|\blora\w*|\badapters?\b|\btrained (?:it|a|our|several|two|three)\b", re.I)
_NOTHING_FAILS = re.compile(r"\bnothing (?:is |'s )?(?:really |actually )?(?:failing|wrong|broken)\b|"
                            r"^\s*(?:no(?:thing)?|none)[.!]?\s*$|\bno (?:real )?(?:problems?|issues?)(?: really)?\s*[.!]?$",
                            re.IGNORECASE)


# A serving requirement, said in answer to the problem question ("it has to be cheap to run and fast"): the question
# asks a user who has tried no model yet what it must get right. Elsewhere these words are the serving constraints.
_REQUIRED_SERVING = {"cost": _rx(r"\bcheap(?:er)? to (?:run|serve|host|operate)\b"),
                     "latency": _rx(r"\b(?:be|stay|answer|reply|respond) (?:fast|quick(?:ly)?)\b(?! to\b)")}


def _problem(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    # a quoted example of what users ask ("ask stuff like 'spread for Q3 vs last year'") is data, not a failure; a
    # quoted term or two ("calls a 'scutch' a 'chisel'") is the evidence of one, and stays
    text = QUOTED.sub(lambda m: m.group(0) if len(m.group(0).split()) <= 3 else " … ", text)
    tags: set[str] = set()
    answering = asked == "problem"
    if answering and _NOTHING_FAILS.search(text):
        return [], text, 0.9  # "nothing is really failing": a stated fact, not an unknown
    if _FINETUNED.search(text) and _LOSES_TO_STRONGER.search(text):
        tags.add("base_model_gap")
    patterns = {**PROBLEM_TAGS, "language": LANGUAGE_TAG, "safety": SAFETY_TAG}
    required = False  # "must cite current case law … and write in our memo format": a must reaches the "and" clause
    fixed_since = bool(_PAST_FAILURE.search(text) and _NOW_FIXED.search(text))
    unread: list[str] = []  # clauses that say something fails in no word of the lexicon: read by meaning below
    floors: list[float] = []  # the similarity each of those clauses needs
    for clause in _clauses(text):
        inherits = required and re.match(r"^\s*(?:and|or|plus)\s+(?:also\s+)?[a-z]+", clause, re.I)
        required = bool(re.search(r"\b(?:must|needs? to|has to|have to|should|required to)\b", clause, re.I)) or (
            bool(inherits) or required and re.match(r"^\s*which\b", clause, re.I))
        said = re.sub(r"\([^)]*\)", " ", clause)  # "knowledge (which suppliers are certified right now)": an aside
        if _CLEARED.search(said) or _NEGATED_TOPIC.search(said) or (clause.endswith("?") and len(clause.split()) <= 2):
            continue  # "knowledge is not the problem", "not facts", "Facts? …": the clause clears its subject or echoes
        if clause.rstrip().endswith("?") and re.match(r"^\s*(?:why|what|who|where|which)\b", clause, re.I) and not (
                _FAILURE.search(clause) and re.search(r"\b(?:it|the model|the bot)\b", clause, re.I)):
            continue  # "why do you need to know that?": the user asks back, and states nothing about the model
        if fixed_since and (_PAST_FAILURE.search(clause) or _NOW_FIXED.search(clause)):
            continue  # "it used to drop fields … not anymore": a failure of the past
        category = _NAMES_CATEGORY.match(clause) if answering else None
        short = answering and (len(clause.split()) <= _SHORT_ANSWER_WORDS or bool(category))
        if not (short or inherits or _FAILURE.search(said) or any(
                p.search(clause) for p in (LANGUAGE_TAG, _SAFETY_FAILING, PROBLEM_TAGS["plateau"], PROBLEM_TAGS["hallucination"],
                                   _MANNER_FAULT)
        ) or _PAST_PERIOD.search(clause) and _MODEL_SUBJECT.search(clause)):
            # (a ceiling, an invented fact, a wrong language, a harmful answer or the model handing out a past
            # period's facts is a failure by its own words)
            if answering:
                unread.append(clause)  # an answer to "what is failing" may say it in no cue word at all
                floors.append(_NO_CUE_SIMILARITY)
            continue  # no failure said here; a topic word alone is no complaint
        before_clause = set(tags)
        hit = False
        if category:  # the clause opens with the question's own words for the failure: "tone and safety", "facts"
            lead = re.match(r"^[\w\s'/&+,]*?(?=[^\w\s'/&+,]|$)", clause).group(0)
            for word in _CATEGORY_WORD.findall(lead.lower()):
                tags.add("format" if word.startswith("format") else _CATEGORY_TAG[word])
            hit = True
        if answering:
            for tag, pattern in _REQUIRED_SERVING.items():
                if pattern.search(clause):
                    tags.add(tag)
                    hit = True
        for tag, pattern in patterns.items():
            for m in pattern.finditer(clause):
                before = clause[max(0, m.start() - 20):m.start()].lower()
                wanted = re.search(r"\b(?:need|needs|want|wants|must|should|has to|have to)\b", before)
                if _NOT.search(re.split(r"[,;:(]", before)[-1]) or _PRAISED.search(before) and not wanted:
                    continue  # "not about facts", "in the right style": not what is failing
                if _PERSON_ERRS.search(clause[:m.start()]):
                    continue  # "when a learner picks the wrong answer": the person errs, the model reacts
                if tag == "format" and re.search(r"\bprompt\w*|\bfew[- ]?shot\b", clause, re.I) and not re.search(
                        r"\b(?:output|breaks?|broken|invalid|still|comes back)\b", clause, re.I):
                    continue  # "few-shot prompting or a schema": a prompting technique, not a failing format
                if tag == "hallucination" and _STRUCTURE_AFTER.match(clause[m.end():]):
                    tags.add("format")  # "invents keys": the structure is wrong, not the facts
                elif tag == "safety" and not _SAFETY_FAILING.search(clause) and not re.search(
                        r"\b(?:safety|guardrails?)\b[^.]{0,30}\b(?:issues?|problems?|concerns?|fails?|broken|risks?)\b|"
                        r"\b(?:issues?|problems?|concerns?) (?:with|about) (?:\w+ )?(?:safety|guardrails?)\b", clause, re.I):
                    continue  # "Safety Data Sheets": a name, not a harmful answer
                else:
                    tags.add(tag)
                hit = True
                break
        if not hit and tags == before_clause:
            unread.append(clause)
            floors.append(prototypes.MIN_SIMILARITY if _FAILURE.search(clause) else _NO_CUE_SIMILARITY)
    if "plateau" in tags and not re.search(r"\blora\w*|\bfine[- ]?tun\w*|\btrain\w*|\branks?\b|\bscores?\b|\baccuracy\b|"
                                           r"\bf1\b|%|\bruns?\b|\bepochs?\b|\bloss\b|\bevals?\b|\bmetrics?\b|"
                                           r"\badapters?\b|\bmodel\b|\bimprov\w*", text, re.I):
        tags.discard("plateau")  # "the county is stuck on the 1998 code": stuck, but no training or score to plateau
    if asked == "domain_novelty":
        tags.discard("domain")  # "pretty generic, a common field": how public the domain is, not a failure
    if "language" in tags:
        tags.discard("terminology")  # a language the model barely writes is more than its terms
    if "safety" in tags and tags - {"safety"} and not any(
            m.group(0).lower() not in ("dangerous", "risky") for m in SAFETY_TAG.finditer(text)):
        # "it answers from general knowledge, which is dangerous": the stakes of another failure, no harmful answer
        tags.discard("safety")
    if "safety" in tags:
        tags.discard("knowledge")
    if re.search(r"\b(?:q?lora|adapters?)\b", text, re.I) and _percent_meets(text) is False:
        tags.add("plateau")  # "a LoRA gets 91%; we need 95": the adapter run falls short of the target
    if "plateau" in tags and (_LORA_TRIED.search(text) or re.search(r"\b(?:q?lora|adapters?)\b", text, re.I)):
        tags.add("lora_plateau")
    if "cost" in tags and asked != "problem" and not re.search(r"\b(?:too|far too|very|so) (?:expensive|slow|costly)\b|"
                                                               r"\bcost and latency\b|\bcost,? not\b|"
                                                               # "costs us $40k a month" is a running bill; "cost us 6k" a price once paid
                                                               r"\bcosts? us\b(?=[^.;]{0,30}\b(?:a|per|each|every) (?:month|day|week|year|"
                                                               r"request|call|query)\b|\s+(?:too much|a fortune|a lot))|"
                                                               r"\bper (?:month|request|call)\b|\bapi (?:spend|bill)\b|"
                                                               r"\b(?:cut|reduce|lower) (?:\w+ )?(?:costs?|spend|bills?)\b",
                                                               text, re.I):
        # "costs" said in passing (budget talk) is no failing behaviour
        tags.discard("cost")
    by_meaning: set[str] = set()
    if answering or asked is None:
        # clauses that say something fails in no word of the lexicon: the nearest prototype of each failure. Every
        # such clause is read, not only when the lexicon found nothing: "gets the dates wrong and sounds stiff" has
        # two failures, one of them in no listed word.
        for tag, _, _ in prototypes.nearest("problem", unread, floors):
            if tag not in tags:
                by_meaning.add(tag)
        if by_meaning and not tags:
            return sorted(by_meaning), text, 0.55  # by meaning only: read back before it decides anything
        tags |= by_meaning
    if not tags:
        return None
    if by_meaning:
        # part of the reading rests on meaning alone: held, but below a plain answer (read back when decisive)
        return sorted(tags), text, 0.6 if answering else 0.55
    return sorted(tags), text, 0.9 if answering else 0.7 if asked is None else 0.6


# Prompting: what was done decides the value, not how it turned out. Serious technique (few-shot examples, a schema,
# chain-of-thought, iterations, weeks of work) is "tried", even when the user hedges the outcome ("it helped a bit,
# sort of": a partial outcome, not a lesser effort). A minimal prompt (one line, the task description, a template
# copied as is) is "basic". Not having tried is "none". A prompt that already meets the target is "meets_target".
PROMPT_NONE = _rx(r"\b(?:have ?n[o']?t|haven't|didn't|did not|never|not yet|no,? we (?:haven't|didn't)|"
                  r"hasn't|not) (?:really )?(?:tried|done|used|attempted|experimented with|bothered with)? ?"
                  r"(?:any |much |the |a |an )?(?:(?:real|proper|serious|good|decent|careful|structured) )?(?:prompt\w*|few[- ]?shot|system prompts?)",
                  r"\b(?:no|zero) prompt(?:ing| engineering| work)?\b", r"\bnot tried prompt\w*", r"\bnothing (?:yet|so far)\b",
                  r"\bwe (?:just|only) (?:fine[- ]?tuned|trained)\b", r"\bskipped prompt\w*", r"\bnot yet\b",
                  r"^\s*(?:we )?(?:have ?n[o']?t|haven't|didn't|did not|never) (?:tried|bothered)\b",
                  r"\b(?:jumped|went) straight to\b",
                  r"\b(?:haven'?t|have not|didn'?t|did not|never) (?:done|tried|changed|touched) (?:anything|much|a thing) "
                  r"(?:to|with|on) (?:the |our |a )?(?:system )?prompt")
PROMPT_BASIC = _rx(r"(?<!-)\bplain(?:ly)?\b(?!-| language| english| text)", r"\bwithout (?:a |any )?(?:schema|examples|few[- ]?shot|system prompt)\b",
                   r"\bno (?:instructions|examples|few[- ]?shot|schema|system prompt)\b",
                   r"\b(?:basic|simple|short|generic|naive|quick) (?:system )?prompt\w*", r"\bone-?line(?:r)?\b", r"\bdefault prompt\b",
                   r"\bjust ask(?:ed)? it\b", r"\bjust a (?:quick|simple|short) prompt\b",
                   r"\bzero-?shot\b", r"\bnot much\b", r"\bnothing fancy\b", r"\bcopy-?past\w*\b",
                   r"\b(?:a couple of|a few|some) instructions\b", r"\bjust (?:the|a) (?:task )?description\b",
                   r"\bjust (?:wrote|said|told it|typed)\b", r"\byou are a helpful\b",
                   r"\b(?:a|one) (?:quick |single )?prompt once\b", r"\bprompt(?:ed|ing)? (?:it )?once\b",
                   r"\banything (?:other|more) than\b", r"\bnothing (?:other|more) than\b", r"\basked (?:it )?nicely\b",
                   r"\bnothing systematic\b", r"\bnot systematic\w*\b", r"\bhalf-?hearted\w*\b", r"\bonly a\b.{0,20}\bprompt\b",
                   r"\bnothing (?:more|else)\b", r"\bonly (?:write|wrote|say|said|put|added|tell|told|asked)\b", r"\bthat'?s (?:it|all)\b",
                   r"\bonly (?:tried|did|made|wrote|had) (?:that |one |a single |the one )(?:\w+ )?(?:version|prompt|attempt|try)\b",
                   r"\bthat'?s the (?:whole |entire )?prompt\b", r"\bthat'?s about it\b",
                   # a prompt measured in a line or two, or one paragraph, is a minimal one
                   r"\b(?:one|a single|two|a couple of|a few|1|2|3) (?:short )?(?:lines?|sentences?|paragraph)\b(?! of (?:examples|rules))")
PROMPT_TRIED = _rx(r"\bprompt(?:ing|s)? (?:tried|done|attempted|exhausted)\b", r"\bextensive\w*", r"\bweeks (?:on|of)\b", r"\biterat\w*", r"\bstructured (?:system )?prompts?\b",
                   r"\bfew[- ]?shot\b", r"\bexamples in the prompt\b", r"\bchain[- ]of[- ]thought\b", r"\bcot\b",
                   r"\bdetailed\b", r"\bstyle[- ]guides?\b", r"\bprompt(?:ing)? (?:works|worked)\b", r"\brubric\b",
                   r"\bgood prompt\b", r"\bworked examples\b", r"\bschemas?\b", r"\btried (?:everything|hard|a lot)\b",
                   r"\blong prompts?\b", r"\bmany prompts?\b", r"\bprompt engineering\b", r"\bprompts? (?:gets?|got) close\b",
                   r"\bprompting gets\b", r"\bprompts? with\b", r"\bsome prompting\b", r"\bwe(?:'ve| have)? (?:tried|used) prompt\w*",
                   r"\bpaste\w* .{0,30}\binto the prompt\b", r"\bin the prompt\b", r"\bprompt(?:s|ing)? (?:give|gives|gave)\b",
                   r"\bexamples? (?:in|into) (?:the )?prompt\b", r"\bspent (?:days|weeks|months) (?:on|iterating)\b",
                   r"\bprompt\b.{0,25}\b(?:nails it|works well|does (?:it|this) well|gets it right)\b", r"\bself-?check\b",
                   r"\bplayed (?:around )?with (?:the )?prompts?\b", r"\bprompt (?:tweaking|tuning|iteration|tests?)\b",
                   r"\beven with (?:cot|chain|few[- ]?shot|careful|detailed|our)\b", r"\boutput parsers?\b",
                   r"\bbest prompt\b", r"\b\d+ (?:worked )?examples\b", r"\bprompting with\b", r"\bprompted\b", r"\bwith a (?:good|great|careful) prompt\b",
                   r"\b(?:many|several|multiple|dozens of|a couple of|a few|\d+) (?:prompt )?(?:versions|rounds|iterations|variants|revisions|attempts)\b",
                   r"\bstep[- ]by[- ]step\b", r"\btweak\w*", r"\bglossary\b", r"\bcharacter sheets?\b", r"\bpersona prompt\b",
                   r"\b(?:was|were) the first thing\b", r"\blong done\b")
# The parts a serious prompt is built from. Two of them, however worded ("my style rules and 4 great cards as
# examples", "a checklist and a second review pass"), are more than a minimal prompt: "tried".
_PROMPT_PARTS = [re.compile(p, re.I) for p in (
    r"\bexamples?\b|\bsamples?\b|\bfew[- ]?shot\b|\bshots?\b",
    r"\brules?\b|\bguidelines?\b|\bstyle (?:guide|rules|notes)\b|\binstructions\b|\bdo'?s and don'?ts\b|\bbanned\b|"
    r"\bforbidden (?:words|phrases)\b",
    r"\bschemas?\b|\btemplates?\b|\b(?:required|fixed) (?:layout|structure|field order|format)\b|\bjson mode\b|"
    r"\bstructured outputs?\b|\bsections?\b",
    r"\b(?:rounds?|iterations?|versions?|revisions?|passes)\b|\biterat\w*|\bweeks\b|\bmonths\b|\btweak\w*",
    r"\bchecklists?\b|\bsecond (?:pass|prompt)\b|\bself-?check\w*|\breview (?:pass|step|prompt)\b|\bvalidat\w*",
    r"\bsystem prompt\b|\bpersona\b|\brole\b",
    r"\bchain[- ]of[- ]thought\b|\bstep[- ]by[- ]step\b|\breasoning steps\b",
    r"\bglossary\b|\btables?\b|\bdefinitions?\b|\b(?:criteria|reference) (?:table|list)\b|\bin (?:the )?context\b",
)]


def _prompt_parts(text: str) -> int:
    """How many of _PROMPT_PARTS the text says the prompt has (a part said under a negation does not count)."""
    return sum(1 for part in _PROMPT_PARTS if _find(part, text) is not None)


# What prompting achieved, said without the effort: "got us halfway", "helped a bit", "way below the target". An
# outcome is only reported for something that was tried: a partial outcome is "tried", never a lesser effort.
PROMPT_OUTCOME = _rx(r"\bhalfway\b", r"\bpart ?way\b", r"\bpart of the way\b", r"\bsome of the way\b", r"\bpartly\b",
                     r"\bpartially\b", r"\bhelped (?:a (?:bit|little)|somewhat|some|partly)\b", r"\b(?:way|far|well) below\b",
                     r"\b(?:much |far )?worse than\b", r"\bfalls? short\b", r"\b(?:reduced|improved|cut) (?:it|them|that|things)\b",
                     r"\bgot us\b", r"\bgets us\b", r"\bclose-?ish\b", r"\bstill (?:fails|breaks|wrong|weak|drifts|not)\b",
                     r"\bnot enough\b", r"\b(?:\d+|some) ?% (?:of the way|there)\b",
                     # a measured score of the prompted model: it was tried and measured
                     r"\b(?:got|gets|reached|reaches|scored?|scores|scoring|was|is|at|around|about|of)\s+~?\d+(?:\.\d+)?\s?%",
                     r"\b\d+(?:\.\d+)?\s?(?:f1|accuracy|top-1|bleu|rouge|exact match)\b",
                     r"\b(?:f1|accuracy|top-1|bleu|rouge)\s+(?:of\s+|was\s+|is\s+|at\s+)?\d+")
_PROMPT_TOPIC = _rx(r"\bprompt\w*", r"\bfew[- ]?shot\b", r"\bchain[- ]of[- ]thought\b", r"\binstructions?\b",
                    r"\btried anything\b", r"\bcot\b")
# "already meets the target": the prompt is good enough, whatever is asked next
PROMPT_MEETS = _rx(r"\b(?:already |now )?(?:meets?|meeting|hits?|hitting|reach(?:es|ed)?|clears?|beats?|exceeds?|passes) "
                   r"(?:our|the|its) (?:\w+ )?(?:target|bar|threshold|goal|requirements?|sla)\b",
                   r"\b(?:above|over) (?:our|the) (?:\d+ ?% )?(?:target|bar|threshold)\b",
                   r"\b(?:already )?good enough\b", r"\bworks (?:fine|great|well)\b(?! (?:on|for) (?:the|a) big)",
                   r"\bdoes everything we need\b", r"\bno (?:quality )?(?:problem|issue)s? with (?:the )?(?:quality|output|answers)\b",
                   r"\b(?:hits?|meets?|reach\w*|achiev\w*|gets?) (?:the )?(?:accuracy|quality|score|numbers?|metrics?) (?:we|our|the "
                   r"client|they)\b", r"\bpass(?:es|ed|ing)? (?:all |every |each )?(?:of )?(?:our |the )?(?:[\w-]+ )?(?:checks?|tests?|evals?)\b",
                   r"\b(?:basically|essentially|almost|nearly) perfect\b",
                   # nine in ten outputs or more used as they are: "editors accept 92% without edits"
                   r"\b(?:accept|approv|use|ship|publish|send|keep)\w* (?:about |around |roughly |~\s?)?(?:9\d|100)(?:\.\d+)?\s?% "
                   r"(?:of (?:them|it|the \w+) )?(?:without (?:any )?(?:edits?|editing|changes?|corrections?|rewrites?)|"
                   r"as[- ]is|unedited|unchanged)")


_TARGET_NUMBER = re.compile(r"\b(?:target|bar|threshold|goal|need|needs|required|requirement|sla)\w*\s*(?:is|of|at|=|:)?\s*"
                            r"(?P<direction>at least |around |about |under |below |less than |at most |no more than |"
                            r"<\s?)?(\d+(?:\.\d+)?)\s?%?", re.IGNORECASE)
# The target said after its figure: "we'd said 85% would be acceptable", "90% is the bar", "95% is good enough"
_NUMBER_THEN_TARGET = re.compile(r"(?P<direction>)\b(\d+(?:\.\d+)?)\s?%?\s+(?:would be|will be|is|was|would|counts as)\s+"
                                 r"(?:\w+ )?(?:acceptable|enough|good enough|fine|ok|okay|the (?:target|bar|goal|threshold)|"
                                 r"our (?:target|bar|goal|threshold)|a pass)\b", re.IGNORECASE)
# A rate of things going wrong is better the lower it is: "rewrite rate went from 60% to 35%, target is under 10"
_LOWER_IS_BETTER = re.compile(r"\b(?:errors?|error rate|rewrites|rewritten|rewrite rate|failures?|fail(?:ure)? rate|rejects?|"
                              r"rejections?|reject(?:ion)? rate|malformed|wrong|complaints?|escalations?|"
                              r"hallucinations?|misses|miss rate|false (?:positives?|negatives?))\b", re.IGNORECASE)
_FROM_TO = re.compile(r"\bfrom\s+(?:about |around )?\d+(?:\.\d+)?\s?%?\s+(?:down |up )?to\s+(?:about |around )?"
                      r"(\d+(?:\.\d+)?)\s?%", re.IGNORECASE)
_SCORE_NUMBER = re.compile(r"\b(?:scores?|scoring|gets?|getting|got|hits?|at|reaches|reached|is at)\s+(?:about |around )?"
                           r"(\d+(?:\.\d+)?)\s?%?|(\d+(?:\.\d+)?)\s?%", re.IGNORECASE)


_N_OF_M = re.compile(r"\b(\d+)\s*(?:of|out of|/)\s*(?:the\s+|our\s+)?(?:(?:last|first|latest)\s+)?(\d+)\b(?!\s*%)", re.I)
# "we tested 150 …": the total a measured count is out of
_TESTED_TOTAL = r"\b(?:tested|checked|ran|run|evaluated|audited|reviewed|scored|graded)\b[^.:]{0,20}?\b(\d+)\b"
_TESTED_THEN_PASSED = re.compile(_TESTED_TOTAL + r"[^.]{0,60}?\b(?:accepted|approved|passed|correct|right|fine|ok|good|kept|signed off)\w*"
                                 r"\s+(\d+)\b", re.I)


# "we checked 200 drafts against the doctors' letters: 184 needed no edits": the count that passed comes after the total
_TESTED_THEN_COUNT = re.compile(_TESTED_TOTAL + r"[^.:;]{0,80}?[:;,.]\s*(\d+)\s+(?=(?:\w+ )?(?:needed no|need no|were|was|passed|came back|had no|"
                                r"got|went out|needed only|correct|right|fine|ok|good|accepted|approved|usable)\b)", re.I)
# A decimal comma ("91,5%", the usual way in much of Europe) is a decimal point
_DECIMAL_COMMA_PERCENT = re.compile(r"\b(\d{1,3}),(\d{1,2})\s?%")


def _as_percentages(text: str) -> str:
    """Rates said as counts, rewritten as percentages: "288 of 300 letters needed no change" → "96.0% letters …";
    "we blind-tested 150 lots: specialists accepted 141" → "… 94.0%"; "checked 200: 184 needed no edits" → "… 92.0% …"."""
    def rate(m: re.Match, passed: int, total: int) -> str:
        n, total_n = int(m.group(passed)), int(m.group(total))
        return f"{100 * n / total_n:.1f}%" if 0 < n <= total_n else m.group(0)

    text = _DECIMAL_COMMA_PERCENT.sub(r"\1.\2%", text)
    text = _N_OF_M.sub(lambda m: rate(m, 1, 2), text)
    text = _TESTED_THEN_COUNT.sub(lambda m: m.group(0)[:m.start(2) - m.start(0)] + rate(m, 2, 1) + " ", text)
    return _TESTED_THEN_PASSED.sub(lambda m: m.group(0)[:m.start(2) - m.start(0)] + rate(m, 2, 1), text)


# Where a target's reason starts: "we need 95 because customers claim against wrong classifications" names what a
# miss costs, not what the figures count
_REASON = re.compile(r"\b(?:because|since|as otherwise|otherwise|or else|so that|or the)\b", re.IGNORECASE)


def _counts_failures(text: str) -> bool:
    """Do the message's figures count failures ("rejects 12%, the bar is under 5")? Read in each sentence up to
    the reason it gives, so "72% use all terms correctly; we need 95 because of wrong claims" counts successes."""
    for sentence in re.split(r"(?<!\d)[.;!?](?!\d)|[;!?]", text):
        if not re.search(r"\d", sentence):
            continue  # a sentence with no figure says nothing about what the figures count
        reason = _REASON.search(sentence)
        if _LOWER_IS_BETTER.search(sentence[:reason.start()] if reason else sentence):
            return True
    return False


def _percent_meets(text: str) -> bool | None:
    """"97% on our test set, above our 95% bar" → True; "90%; we need 99" → False; no two percentages → None.
    "scores 96 on the eval and the bar is 95", "98% on the eval, target 95": a score and a target, however said.
    Counts out of a total ("288 of 300") are rates too."""
    text = _as_percentages(text)
    target = _TARGET_NUMBER.search(text) or _NUMBER_THEN_TARGET.search(text)
    lower = _counts_failures(text) or bool(
        target and (target.group("direction") or "").strip().lower() in ("under", "below", "less than", "at most",
                                                                       "no more than", "<"))
    progress = _FROM_TO.search(text)  # "went from 60% to 35%": where it stands now is the second figure

    def met(reached: float, wanted: float) -> bool:
        return reached <= wanted if lower else reached >= wanted

    if target:
        wanted = float(target.group(2))
        scores = [float(m.group(1) or m.group(2)) for m in _SCORE_NUMBER.finditer(text)
                  if not (m.start() <= target.start(2) < m.end()) and m.start() != target.start(2)]
        scores = [x for x in scores if x != wanted] or scores
        if progress:
            scores = [float(progress.group(1))]
        if scores and 1 <= wanted <= 100:
            return met(scores[0], wanted)
    found = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?)\s?%", text)]
    if len(found) < 2 and not re.search(r"\bneed(?:s)? \d+\b", text):
        return None
    if not re.search(r"\b(?:target|bar|threshold|goal|need\w*|requir\w*|sla|must|agreed|expect\w*|aim\w*)\b", text, re.I):
        return None  # "structure ok 80% of the time, terms 60%": two scores of two things, no target to meet
    if len(found) == 1:
        need = re.search(r"\bneed(?:s)? (\d+(?:\.\d+)?)\b", text)
        found.append(float(need.group(1)))
    if len(found) < 2:
        return None  # "we need 3 adapters", no score at all: nothing to meet
    reached, target = found[0], found[1]
    if re.search(r"\b(?:target|bar|threshold|goal|need)\w*\b[^.%]{0,30}" + re.escape(str(int(found[0]))), text):
        reached, target = found[1], found[0]
    return met(reached, target)


# "Nobody here has tried any AI on this yet", "we haven't used ChatGPT or anything": no model was ever asked, so no
# prompt was either
_AI = r"(?:ai(?!-)|llms?|chat-?gpt|gpt[\w.-]*|(?:large )?language models?|generative ai)\b"  # not "AI-generated"
_NO_AI_YET = re.compile(
    r"(?:\b(?:nobody|no one|none of us)\b[^.;!?]{0,20}?\b(?:has|have|had)?\s*(?:ever\s+|yet\s+|really\s+)?"
    r"(?:tried|used|touched|played with)\s+(?:any\s+|an?\s+)?" + _AI + r"|"
    # the user or their team is the subject: "our customers have never used AI" says nothing about a prompt
    r"\b(?:we|i|our team|the team)(?:(?:'ve| have| had)?\s+(?:n[o']?t|never|not yet|yet to)\s+(?:\w+\s+)?"
    r"(?:tried|used|touched|try|use)|\s+(?:haven'?t|have not|hasn'?t|didn'?t|did not|never)\s+(?:\w+\s+)?"
    r"(?:tried|used|touched))\s+(?:any\s+|an?\s+)?" + _AI + r")"
    # "… except our intern, who tried a few prompts", "… only Claude with a short prompt": something was tried
    r"(?![^.;!?]{0,40}\b(?:but|except|until|only|besides|other than|apart from)\b)", re.I)


def judges_current_result(text: str) -> bool:
    """Does the message judge the result the user already has as good enough ("95% with a human confirming is good
    enough for a lost umbrella")? Said after a prompt was reported tried, that judges the prompt: it meets the
    target, though the message never says "prompt"."""
    return bool(_percent_meets(text) or _any(PROMPT_MEETS, text))


def _prompting(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    if _NO_AI_YET.search(text) and not _any(PROMPT_TRIED, text):
        return "none", text, 0.9 if asked == "prompting_tried" else 0.7
    on_topic = asked == "prompting_tried" or bool(_PROMPT_TOPIC.search(text))
    if not on_topic and not (PROMPT_MEETS.search(text) and re.search(r"\bprompt\w*|\bfew[- ]?shot\b", text, re.I)):
        return None
    conf = 0.9 if asked == "prompting_tried" else 0.7
    meets = _percent_meets(text)
    if meets or (meets is None and _any(PROMPT_MEETS, text)):
        return "meets_target", text, conf
    first = _clauses(text)[0] if _clauses(text) else text
    if _find(PROMPT_NONE, first, allow_negated=True) and not re.search(r"\bnot yet good\b", text, re.I):
        return "none", text, conf  # the answer's first clause says it was not tried; what follows is a reason
    if asked != "prompting_tried":
        # "we fine-tuned on 500 examples … we never tried a proper prompt": words of technique count only in the
        # clauses that speak of the prompt; the rest of the message describes something else (training, data)
        about_prompt = [c for c in _clauses(text) if _PROMPT_TOPIC.search(c)]
        if any(_find(PROMPT_NONE, c, allow_negated=True) for c in about_prompt) and not any(
                _any(PROMPT_TRIED, c) for c in about_prompt):
            return "none", text, conf
    technique = _any(PROMPT_TRIED, text) or (_any(PROMPT_OUTCOME, text) and bool(
        _PROMPT_TOPIC.search(text) or asked == "prompting_tried")) or (  # serious technique, or an outcome of it
        (asked == "prompting_tried" or bool(_PROMPT_TOPIC.search(text))) and _prompt_parts(text) >= 2)
    if technique and not _find(PROMPT_BASIC, text, allow_negated=True):
        return "tried", text, conf
    if _find(PROMPT_NONE, text, allow_negated=True) and not technique:
        return "none", text, conf
    if _find(PROMPT_BASIC, text, allow_negated=True):  # "haven't tried anything other than 'summarize this'"
        strong = _any(_rx(r"\bfew[- ]?shot\b", r"\bschemas?\b", r"\bchain[- ]of[- ]thought\b", r"\biterat\w*",
                          r"\bweeks\b", r"\bextensive\w*"), text)
        return ("tried" if strong and not re.search(r"\bno (?:schema|examples|few[- ]?shot)\b", text, re.I)
                else "basic"), text, conf
    if asked == "prompting_tried":
        if re.search(r"\bbaseline\b", text, re.I) and not re.search(r"\bno (?:\w+ )?baseline\b", text, re.I):
            return "tried", text, conf  # "it was our baseline, far behind": a prompted model was measured and beaten
        if NO.search(text):
            return "none", text, conf
        if re.search(r"\b(?:tons|a lot|loads|lots|plenty|a fair bit|heavily|extensively|for (?:weeks|months))\b", text, re.I):
            return "tried", text, conf
        if _any(PROMPT_OUTCOME, text) or re.search(r"\b\d+(?:\.\d+)?\s?%|\bserious(?:ly)?\b", text, re.I):
            return "tried", text, conf  # a partial outcome, a measured score, "serious prompting": it was tried
        if re.search(r"\b(?:kind of|sort of|barely)\b", text, re.I):
            return "basic", text, conf
        if YES.search(text) or re.search(r"\btried\b|\bwe did\b|\bdone that\b|^\s*ja\b", text, re.I):
            return "tried", text, conf
    return None


QUALITY_HIGH = _rx(r"\breviewed\b", r"\bhand-?picked\b", r"\b(?:selected|chosen|picked|written) by (?:our )?(?:best|senior|"
                   r"expert|lead|the support leads|leads|specialists)\b", r"\b(?:all |each |every one )?(?:checked|validated|approved) by\b", r"\bcurated\b", r"\bclean(?:ed)?\b", r"\bvetted\b", r"\bapproved\b",
                   r"\bverified\b", r"\bexpert[- ]?(?:labell?ed|written|annotated)?\b", r"\bgold\b",
                   r"\bhigh[- ]quality\b", r"\bchecked\b", r"\bhand[- ]?(?:labell?ed|written|checked)\b",
                   r"\blicensed \w+\b", r"\bgood quality\b", r"\bexcellent\b", r"\baudited\b", r"\bdouble-?checked\b",
                   r"\bhigh\b", r"\bpublished\b", r"\bconsistent\b")
QUALITY_LOW = _rx(r"\bnoisy\b", r"\bmessy\b", r"\bunreviewed\b", r"\bscraped\b", r"\bauto-?(?:generated|labell?ed)\b",
                  r"\bgarbage\b", r"\bpoor\b", r"\blow[- ]quality\b", r"\bunfiltered\b",
                  r"\brejected\b", r"\bdirty\b", r"\bunchecked\b", r"\bunverified\b", r"\braw\b", r"\blow\b",
                  r"\bnot (?:been )?(?:reviewed|checked|cleaned|curated)\b", r"\bnobody (?:has )?(?:reviewed|checked)\b",
                  r"\bno one (?:has )?(?:reviewed|checked)\b", r"\bnever (?:been )?(?:reviewed|checked)\b")
QUALITY_MIXED = _rx(r"\bmixed\b", r"\b(?:includes?|including|mixed in|alongside|along with)\b[^.]{0,30}\b(?:rejected|bad|"
                    r"junk|garbage|unreviewed|noisy|wrong)\b", r"\binconsisten\w*", r"\bdifferent (?:guidelines|standards|rules|conventions)\b", r"\bvar(?:y|ies|ied)\b", r"\bsome (?:are|of them are) (?:good|bad)\b",
                    r"\bdecent\b", r"\bok(?:ay)?(?:-?ish)?\b", r"\bpartly (?:reviewed|cleaned)\b", r"\bso-?so\b",
                    r"\bspot[- ]checked\b", r"\bsome noise\b")
# "mostly good, but a third are sloppy": good but for a named bad part (a bare "mostly good" is good). Searched in the
# whole message: the sentence split cuts at "but".
_MOSTLY_BUT = re.compile(r"\bmostly (?:good|clean|fine)\b[^.]{0,20}\b(?:but|except|though|apart from|some|a few|\d+ ?%|"
                         r"a third|a quarter|half|\d+ in \d+|one in)\b", re.IGNORECASE)
_QUALITY_TOPIC = _rx(r"\bquality\b", r"\bsynthetic\b", r"\b(?:used|using|had|asked) (?:gpt[\w.-]*|an? llm|chat-?gpt|claude|gemini)\b"
                     r"[^.]{0,20}\b(?:generat|writ|wrote|mak|made|produc|creat)\w* (?:\d[\d,.]*k? )?['\"]?(?:training )?(?:examples|pairs|data)", r"\brejected\b", r"\bgarbage\b", r"\bjunk\w*", r"\bhand-?checked\b", r"\breviewed\b", r"\bcurated\b", r"\blabell?ed by\b", r"\bnoisy\b",
                     r"\bclean\b", r"\bscraped\b", r"\bvetted\b", r"\bannotat\w+", r"\bapproved\b", r"\bverified\b")


# Texts a language model wrote: low unless someone is said to have checked them
_LLM_MADE = re.compile(r"\bsynthetic\b|\b(?:used|using|with|had|asked) (?:gpt[\w.-]*|an? llm|chat-?gpt|claude|gemini|the model)\b"
                       r"[^.]{0,20}\b(?:generat|writ|wrote|mak|made|produc|creat)\w*", re.IGNORECASE)
# Extra words of each level beyond the lists above (plain judgements, and who checked the data).
_QUALITY_HIGH_MORE = _rx(r"\bmostly (?:good|clean|fine)\b", r"\bgreat\b", r"\bgood\b", r"\bsolid\b", r"\bpristine\b", r"\bhand-?checked\b",
                         r"\b(?:checked|reviewed|verified|validated|approved|corrected) by\b", r"\bpartner-approved\b")
_QUALITY_LOW_MORE = _rx(r"\bjunk\w*",
                        # labels or texts a program made, with no person checking them
                        r"\b(?:labell?ed|tagged|generated|written|wrote|made|produced|annotated)\b[^.]{0,20}\bby (?:a |an |our |the )?"
                        r"(?:[\w-]+ )?(?:script|program|rules?|regex|heuristics?|bot|llm|gpt[\w.-]*|model|keyword \w+)\b",
                        r"\b(?:gpt[\w.-]*|an? llm|the model|a script) (?:wrote|generated|labell?ed|made)\b",
                        r"\b(?:didn'?t|did not|never|haven'?t|have not|hasn'?t|has not|nobody|no one) (?:\w+ )?(?:review|check|clean|curat|verif|vet|"
                        r"read|proofread|look(?:ed)? (?:at|through|over)|went through|go through)\w*",
                        # a spot check that found faults: "I looked at 20 and 6 had wrong science in them"
                        r"\b(?:had|have|has|contain\w*|with) (?:\w+ )?(?:wrong|errors?|mistakes?|made-up)\b",
                        # texts a language model wrote, with no one said to check them
                        _LLM_MADE.pattern, r"\bterrible\b", r"\bawful\b", r"\bbad\b", r"\bcrap\w*",
                        r"\b(?:are|is|were|was|labell?ed|tagged) wrong\b", r"\bwrong (?:labels?|tags?|answers)\b",
                        r"\berrors?\b", r"\bmistakes?\b", r"\bunreliable\b", r"\bnever (?:been )?checked\b",
                        r"\bregex\b", r"\bheuristic\w*", r"\bby interns\b", r"\bold template\b", r"\boutdated\b",
                        r"\bno longer (?:use|valid|used|current)\b", r"\bduplicat\w+")
_MACHINE_MADE = re.compile(r"\b(?:labell?ed|tagged|generated|annotated|classified)\b[^.]{0,20}\bby (?:a |an |our |the )?(?:[\w-]+ )?"
                           r"(?:script|program|rules?|regex|heuristics?|keyword \w+)\b|\bauto-?(?:generated|labell?ed)\b|"
                           r"\b(?:from|with|using|via|by) (?:the |our |some |simple )?(?:keyword|regex|heuristic)\w* (?:rules?|"
                           r"matching|filters?|matches)\b",
                           re.IGNORECASE)
# A part of the data said to be one way ("some of them…", "half were…"), or both levels said of it: mixed.
_PART = re.compile(r"\b(?:some|half|part|a few|certain|a portion|a third|a quarter|others?|the rest)\b(?: of (?:them|it|the \w+))?",
                   re.IGNORECASE)
_EXPLICIT_LEVEL = re.compile(r"^\s*(?:(?P<high>high|excellent|great|good|very good|clean|top)|(?P<low>low|poor|bad|terrible|"
                             r"awful|noisy|garbage|junk)|(?P<mixed>mixed|medium|moderate|so-?so|average|varies|uneven))\b",
                             re.IGNORECASE)


def _quality(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    if asked not in ("data_quality", "labeled_examples", "preference_data") and not (
            _QUALITY_TOPIC.search(text) or _MACHINE_MADE.search(text)):
        return None
    conf = 0.9 if asked == "data_quality" else 0.6
    explicit = _EXPLICIT_LEVEL.match(text) if asked == "data_quality" else None
    if explicit:
        return next(k for k, v in explicit.groupdict().items() if v), text, conf
    highs, lows = [], []
    for pattern, into in ((QUALITY_HIGH, highs), (_QUALITY_HIGH_MORE, highs), (QUALITY_LOW, lows), (_QUALITY_LOW_MORE, lows)):
        for sentence in _sentences(text):
            for m in pattern.finditer(sentence):
                word = m.group(0).lower()
                flipped = _negated(sentence, m.start()) and not word.startswith(("not ", "no one", "nobody", "never"))
                if flipped and (word == "gold" or re.match(r"^\s*(?:[\w'-]+\s+)?(?:set|data ?set|data|examples|answers|labels|"
                                                            r"outputs|corpus)\b", sentence[m.end():], re.I)):
                    continue  # "no gold answers", "no clean gold set": no such data at all, which says nothing of quality
                (lows if into is highs and flipped else highs if into is lows and flipped else into).append(m)
    if _PREF_WORDS.search(text) and re.search(r"\bchosen\b|\bpairs?\b|\bvs\.?\b|\bversus\b", text, re.I):
        # "chosen/rejected pairs": the rejected answer is half of each pair, no judgement of the data
        lows = [lo for lo in lows if lo.group(0).lower() != "rejected"]
        highs = [h for h in highs if h.group(0).lower() not in ("chosen", "preferred")]
    # a word inside a longer phrase of the other level is that phrase's ("nobody checked" is not "checked")
    highs = [h for h in highs if not any(lo.start() <= h.start() and h.end() <= lo.end() and lo.group(0) != h.group(0)
                                         for lo in lows)]
    lows = [lo for lo in lows if not any(h.start() <= lo.start() and lo.end() <= h.end() and lo.group(0) != h.group(0)
                                         for h in highs)]
    if asked != "data_quality" and not lows and highs and all(
            re.search(r"\d[\d,.\s]*[km]?\s+(?:\w+\s+)?$", text[max(0, m.start() - 20):m.start()])
            or re.match(r"^\s+(?:[\w-]+\s+)?(?:" + "|".join(sorted(_EXAMPLE_UNITS | _DOC_UNITS)) + r")\b",
                        text[m.end():m.end() + 30], re.I) for m in highs):
        # "12k reviewed pairs": a word in the name of what is counted, no statement about its quality; read back
        return "high", text, IN_PASSING
    vouched = [h for h in highs if not re.search(r"spot[- ]?$", h.string[max(0, h.start() - 5):h.start()], re.I)]
    if vouched:
        # "synthetic, but every one reviewed by a nurse": who made the texts matters less than who checked them
        lows = [lo for lo in lows if not _LLM_MADE.match(lo.group(0))]
    if _MACHINE_MADE.search(text) and not vouched:
        # labels a program made, with no one vouching for them: noisy by construction, whatever share a spot check
        # found wrong ("a quarter were wrong" is a measured noise rate, not a mix of good and bad sources)
        return "low", text, conf
    if highs and lows or _any(QUALITY_MIXED, text) or _MOSTLY_BUT.search(text) or (highs or lows) and _PART.search(text) and not re.search(
            r"\b(?:most|lots|a lot|many|all)\b(?: of (?:them|it))?", text, re.I):
        return "mixed", text, conf
    if lows:
        return "low", text, conf
    if highs:
        return "high", text, conf
    if asked == "data_quality":
        if YES.search(text):
            return "high", text, 0.6
        if NO.search(text):
            return "low", text, 0.6
    return None


CHANGES_FREQUENT = _rx(r"\bdaily\b", r"\bweekly\b", r"\bhourly\b", r"\bevery (?:day|week|hour|month|few days|sprint)\b",
                       r"\bconstantly\b", r"\ball the time\b", r"\bmonthly\b", r"\boften\b", r"\bfrequent\w*",
                       r"\bseveral (?:updates|times|changes) a (?:week|day|month)\b", r"\breal[- ]time\b",
                       r"\bcontinuous\w*", r"\b(?:each|every|a|per) (?:week|day|month)\b", r"\bregularly\b",
                       r"\bkeeps? changing\b", r"\bfast[- ]moving\b", r"\bnew \w+ (?:every|each)\b", r"\bchanges? a lot\b",
                       # a date that comes round every month or week: "month-end", "at each week's close"
                       r"\b(?:month|week)[- ]end\b", r"\bend of (?:each|every|the) (?:month|week)\b")
CHANGES_OCCASIONAL = _rx(r"\bquarterly\b", r"\b(?:a few|couple of|two|three|several) times a year\b", r"\byearly\b",
                         r"\bannual\w*", r"\boccasional\w*", r"\bonce in a while\b", r"\bsometimes\b", r"\bevery (?:quarter|year|few months)\b",
                         r"\bnow and then\b", r"\bslowly\b")
CHANGES_STATIC = _rx(r"\bnever\b", r"\bstatic\b", r"\bfixed\b", r"\bstable\b", r"\bdoes(?:n't| not) change\b",
                     r"\brarely\b", r"\bhardly ever\b", r"\bbarely changes\b", r"\bunchang\w*", r"\bsettled\b",
                     r"\bwon'?t change\b", r"\bsame (?:for|since)\b")
_CHANGE_TOPIC = _rx(r"\bchang\w*", r"\bupdat\w*", r"\bstale\b", r"\boutdated\b", r"\bevolv\w*", r"\brefresh\w*",
                    r"\bnew (?:products?|versions?|releases?|policies|info\w*)\b", r"\bcurrent\b", r"\brepublish\w*",
                    r"\breissu\w*", r"\bre-?releas\w*")


# How often the knowledge changes, said as a period: "every Monday" (a weekday: weekly), "every 4 weeks", "by the
# minute". A period up to ~6 weeks is frequent (daily…monthly); up to ~6 months occasional; longer is static.
_PERIOD_UNITS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "night": 1, "week": 7, "weekend": 7, "month": 30,
                 "quarter": 90, "year": 365}
_WEEKDAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|morning|evening|night)s?"
_EVERY = re.compile(r"\b(?:every|each|once an?|once per|per|by the|several times an?|multiple times an?|(?:twice|three times) an?)"
                    r"\s+(?:(?P<n>\d+|other|few|couple of|two|three|four|six)\s+)?(?P<unit>minute|hour|day|night|week|weekend|"
                    r"month|quarter|year)s?\b|\bevery\s+" + _WEEKDAYS + r"\b|\b(?:intra-?day|live|minute[- ]by[- ]minute)\b",
                    re.IGNORECASE)
_EVERY_N = {"other": 2, "few": 3, "couple of": 2, "two": 2, "three": 3, "four": 4, "six": 6}
_CHANGES_STATIC_MORE = _rx(r"\b(?:do|does|did)(?:n't| not) (?:really |ever )?(?:change|move|get updated)\b", r"\bfrozen\b",
                           r"\bonce (?:it'?s |they'?re )?(?:written|published|released|signed)\b", r"\bstays? the same\b",
                           r"\bnever (?:change|move|get updated)s?\b", r"\b(?:set|written) in stone\b")
# What the question is about: facts, documents, prices… Other things that change ("new tickets arrive every day")
# say nothing of the knowledge the model must hold.
_KNOWLEDGE_SUBJECT = _rx(r"\bfacts?\b", r"\bknowledge\b", r"\bprices?\b", r"\bpricing\b", r"\bcatalog\w*", r"\bdocs\b",
                         r"\bdocuments?\w*", r"\bpolic(?:y|ies)\b", r"\brules\b", r"\bregulations?\b", r"\binfo\w*",
                         r"\bspecs?\b", r"\bproducts?\b", r"\bskus?\b", r"\bstock\b", r"\binventory\b", r"\bwiki\b",
                         r"\bguidelines?\b", r"\bformular\w*", r"\bcase law\b", r"\btaxonom\w*", r"\bcontent\b")


def _period_value(clause: str) -> str | None:
    m = _EVERY.search(clause)
    if not m or _negated(clause, m.start()):
        return None
    if not m.groupdict().get("unit"):
        return "frequent"  # a weekday, "live", "intraday"
    n = _EVERY_N.get((m.group("n") or "").lower()) or (int(m.group("n")) if (m.group("n") or "").isdigit() else 1)
    days = n * _PERIOD_UNITS[m.group("unit").lower()]
    times = re.match(r"(twice|three times|several times|multiple times)", m.group(0), re.I)
    if times:  # "twice a year" is every six months, "several times a month" more often than monthly
        days /= {"twice": 2, "three times": 3}.get(times.group(1).lower(), 4)
    return "frequent" if days <= 45 else "occasional" if days <= 200 else "static"


def _clause_change(clause: str) -> str | None:
    """The change frequency one clause states, if any."""
    if _any(_CHANGES_STATIC_MORE, clause) or _find(re.compile(r"\bnever\b|\bdoes(?:n't| not) change\b|\bhardly ever\b",
                                                            re.I), clause, allow_negated=True):
        return "static"
    period = _period_value(clause)
    if period:
        return period
    for value, pattern in (("frequent", CHANGES_FREQUENT), ("occasional", CHANGES_OCCASIONAL),
                           ("static", CHANGES_STATIC)):
        if _any(pattern, clause):
            return value
    return None


def _changes(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    conf = 0.9 if asked == "knowledge_changes" else 0.7
    clauses = _clauses(text) or [text]
    if asked != "knowledge_changes":
        hit = None
        for sentence in _sentences(text):
            if not (_CHANGE_TOPIC.search(sentence) or re.search(r"\brevis\w*", sentence, re.I)) or not (
                    _KNOWLEDGE_SUBJECT.search(sentence) or _EVERY.search(sentence)
                    or re.search(r"\b(?:hourly|daily|weekly|monthly)\b", sentence, re.I)):
                continue  # a change said of something that is no knowledge ("new tickets arrive every day")
            for clause in _clauses(sentence) or [sentence]:
                if _CHANGE_TOPIC.search(clause) or _EVERY.search(clause) or re.search(r"\brevis\w*", clause, re.I):
                    value = _clause_change(clause)
                    if value:
                        hit = hit or (value, clause, conf)
        return hit
    readings = [(c, _clause_change(c)) for c in clauses]
    readings = [(c, v) for c, v in readings if v]
    if readings:
        # "the dockets change daily, the forms twice a year": the fastest-changing part of what the model must know
        # decides, since a copy baked into weights goes stale at that pace
        # (among clauses about what the model must know or about something changing: "new tickets arrive every
        # day" is input arriving, not knowledge changing)
        pace = {"frequent": 0, "occasional": 1, "static": 2}
        relevant = [(c, v) for c, v in readings if _KNOWLEDGE_SUBJECT.search(c) or _CHANGE_TOPIC.search(c)
                    or re.search(r"\brevis\w*", c, re.I)]
        clause, value = min(relevant or readings, key=lambda cv: pace[cv[1]])
        hedged = re.search(r"-ish\b|\bish\b", text, re.I)  # "quarterly-ish": a guess at the period, read back
        return value, text, TENTATIVE if hedged else conf
    if YES.search(text):
        return "frequent", text, 0.6
    if NO.search(text):
        return "static", text, 0.6
    return None


SENS_AIR = _rx(r"\bclassified\b", r"\bair[- ]?gapped\b", r"\benclave\b", r"\btop[- ]secret\b", r"\bsecret\b",
               r"\bcan(?:not|'t)? never leave\b", r"\bcan never leave\b", r"\bsecure facility\b", r"\bSCIF\b",
               r"\bno internet\b", r"\boffline network\b")
# Regulated data (a law names the category and where it may be processed): it stays on infrastructure the user
# controls, the same as "must stay on-prem". De-identified records are no longer the regulated category.
SENS_REGULATED = _rx(r"\bhipaa\b", r"\bphi\b", r"\bpci\b(?:[- ]dss)?", r"\bferpa\b", r"\bglba\b", r"\bitar\b",
                     r"\bexport[- ]controlled\b", r"\bspecial categor(?:y|ies)\b", r"\bregulated\b",
                     r"\bpatients?'? (?:notes|records|data|info\w*|charts|files)\b", r"\bhealth (?:data|records|info\w*)\b",
                     r"\bmedical records\b", r"\bcard(?:holder)? (?:numbers|data|details)\b", r"\bcredit cards?\b",
                     r"\b(?:student|education(?:al)?|children'?s) (?:\w+ )?records\b",
                     r"\b(?:can(?:not|'t)?|must not|may not|never) (?:ever )?leave (?:the )?(?:eu|europe|country|germany|france|spain|italy|"
                     r"canada|switzerland|india|australia|japan|brazil|uk|us|usa|\w+ soil)\b")
_DEIDENTIFIED = re.compile(r"\b(?:de-?identified|anonymi[sz]ed|pseudonymi[sz]ed|redacted|scrubbed)\b", re.IGNORECASE)
SENS_ONPREM = _rx(r"\bon[- ]?prem\w*", r"\bour own (?:servers?|hardware|data ?cent(?:er|re)|machines|metal)\b",
                  r"\bmust stay (?:on|in|inside|within)\b",
                  r"\bcan(?:not|'t) leave (?:our|the) (?:building|network|servers?|premises|country|firewall)\b",
                  r"\bself-?host\w*", r"\bno (?:cloud|third[- ]party|external) (?:services|providers|apis?)?\b",
                  r"\bin-?house (?:only|servers?)\b", r"\bbehind (?:our|the) firewall\b", r"\bnever leave (?:our|the)\b",
                  r"\bdata residency\b", r"\bsovereign\w*")
SENS_CONF = _rx(r"\bmedical (?:data|records|notes|files|information|histor\w+)\b", r"\bpatients?\b", r"\bhealth\w*\b", r"\bfinancial data\b", r"\bclient data\b",
                r"\binternal(?:[- ]only)? (?:data|docs|documents|information|e-?mails|records|files|ip|use only)\b",
                r"\binternal only\b", r"\bcompany[- ]internal\b", r"\b(?:only )?(?:our )?employees (?:only|can)\b",
                r"\bonly (?:our )?(?:employees|staff|team)\b", r"\bintellectual property\b", r"\btrade secrets?\b",
                r"\b(?:our|internal|company) ip\b", r"\bin-?house (?:data|documents|docs)\b",
                r"\bcan(?:not|'t) leave (?:our|the) (?:vpc|cloud|account|tenant|aws|azure|gcp)\b",
                r"\bour (?:own )?(?:vpc|cloud account|tenant)\b", r"\bconfidential\b", r"\bproprietary\b", r"\bnda\b", r"\bprivate\b", r"\bpii\b", r"\bgdpr\b",
                r"\bsensitive\b", r"\bcustomer data\b", r"\bpersonal data\b", r"\bour own cloud\b", r"\binternal only\b",
                r"\bfinancial records\b", r"\bsoc ?2\b", r"\bcompliance\b", r"\bregulated\b")
SENS_PUBLIC = _rx(r"\bnothing (?:confidential|private|secret)\b", r"\bpublic\w*\b", r"\bopen[- ]source\b",
                  r"\b(?:on|from) (?:our|the) (?:public )?(?:website|web ?site|site|blog)\b", r"\bwikipedia\b",
                  r"\balready (?:published|online|public)\b", r"\banyone can (?:see|read|download)\b", r"\bnot sensitive\b", r"\bnothing sensitive\b", r"\bopen data\b",
                  r"\bno restrictions\b", r"\bnon-?sensitive\b", r"\bopen[- ]source data\b", r"\bfreely available\b",
                  r"\bno privacy\b", r"\bnot (?:really )?(?:confidential|private)\b", r"\bno (?:pii|personal data)\b")

# Words that name a subject as much as a kind of data ("health", "compliance", "GDPR")
_TOPIC_ONLY = re.compile(r"health\w*|compliance|gdpr|patients?|soc ?2|regulated", re.IGNORECASE)


def _sensitivity(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    conf = 0.9 if asked == "data_sensitivity" else 0.7
    m_pub = _find(SENS_PUBLIC, text, allow_negated=True)
    if m_pub and m_pub.group(0).lower().startswith(("not ", "nothing", "no ", "non")):
        return "public", text, conf
    regulated = _find(SENS_REGULATED, text)
    deidentified = any(not _negated(text, m.start()) and not text[m.end():m.end() + 1] == "?"
                       for m in _DEIDENTIFIED.finditer(text))  # "De-identified? No, not de-identified." is not
    if regulated and not deidentified and not _find(SENS_AIR, text):
        return "on_prem", text, conf
    for value, pattern in (("air_gapped", SENS_AIR), ("on_prem", SENS_ONPREM), ("confidential", SENS_CONF)):
        m = _find(pattern, text)
        if m:
            if asked != "data_sensitivity" and _TOPIC_ONLY.fullmatch(m.group(0)):
                # "compliance courses: GDPR, health & safety" names what the product is about, which may or may not
                # be what its data is: held below a plain statement, read back before it decides anything
                return value, text, 0.55
            # "confidential but we can train on our own cloud account" stays confidential, not on-prem
            return value, text, conf
    if asked == "data_sensitivity" and _any(re.compile(r"\binternal\b|\bin-?house\b", re.I), text):
        return "confidential", text, conf  # "de-identified already, internal"
    if m_pub and asked == "data_sensitivity":
        return "public", text, conf
    if m_pub and re.search(r"\b(?:is|are) (?:all )?(?:public\w*|open[- ]source)\b|\bpublic (?:data|text|docs|documents|"
                           r"code|datasets?|web|information)\b|\bopen[- ]source (?:code|data|documentation|docs)\b", text, re.I):
        return "public", text, conf
    if asked == "data_sensitivity":
        if NO.search(text):
            return "public", text, 0.6
        if YES.search(text):
            return "confidential", text, 0.6
    return None


WEIGHTS_NO = _rx(r"\b(?:can(?:not|'t)|may not|must not|aren't allowed to|are not allowed to|not allowed to|forbidden to) "
                 r"(?:use|rely on|touch|build on|start from) (?:any |commercial |open |third[- ]party |existing |"
                 r"pre-?trained |open[- ]weights? |open[- ]source |someone else'?s )*(?:or (?:open |commercial )?)?"
                 r"(?:model )?(?:weights|models?|foundation models?|llms?|checkpoints?)\b",
                 r"\blicen[cs]es? .{0,60}\b(?:forbid|prohibit|prevent|don'?t allow|do not allow|disallow)\w*",
                 r"\b(?:forbid|prohibit)\w* (?:the )?use of (?:commercial|open|third[- ]party|existing) (?:model )?weights\b",
                 r"\bno (?:[\w-]+ ){0,2}(?:third[- ]party|external|commercial|open[- ]weights?|open[- ]source|pre-?trained|"
                 r"existing|outside) (?:model )?(?:weights|models?)\b",
                 # "no model whose training data we cannot audit": every existing model is ruled out by a condition
                 r"\bno (?:[\w-]+[- ])?(?:models?|weights|llms?) (?:whose|unless|that (?:we )?(?:can(?:not|'t)|don'?t|didn'?t))\b",
                 r"\bruled out (?:every|all|any) (?:[\w-]+ )?(?:models?|weights)\b",
                 r"\bonly (?:allows?|permits?|lets us use) (?:\w+ ){0,2}(?:saas|api|hosted|cloud) (?:vendors?|services?|providers?|apis?)\b",
                 r"\bmust (?:own|control) every (?:weight|token)\b", r"\bevery (?:weight|token) must be ours\b",
                 r"\blegal (?:won'?t|will not|does not|doesn'?t) (?:allow|approve)\b",
                 # an API-only policy: no weights of any model on the user's side
                 r"\b(?:vendor|hosted|provider'?s?|their|an?) api(?:s)? only\b", r"\bapi[- ]only\b",
                 r"\bonly (?:use |call )?(?:the |a |an )?(?:vendor'?s?|hosted|provider'?s?|openai|anthropic)? ?apis?\b(?! (?:and|or) )",
                 r"\bno self[- ]?host\w*", r"\b(?:can(?:not|'t)|not allowed to|may not|must not) self[- ]?host\b",
                 r"\b(?:open|third[- ]party|existing|external|commercial) (?:\w+ )?(?:models?|weights) (?:is|are) (?:a )?no-?go\b",
                 r"\bno-?go\b", r"\bonly (?:models|weights) (?:we|that we) (?:trained|built|own)\b")
_OPEN_FAMILIES = r"(?:llama|mistral|mixtral|qwen|gemma|phi|falcon|olmo|deepseek|smollm|granite|starcoder|codellama)"
WEIGHTS_YES = _rx(r"\bopen[- ]weights?(?: models?)? (?:are|is) (?:fine|ok(?:ay)?|allowed|acceptable|permitted|approved)\b",
                  r"\b(?:approved|cleared|allowed|permitted|signed off on)\b[^.]{0,30}\b" + _OPEN_FAMILIES + r"\b",
                  r"\b(?:run|host|serve|deploy|use)s? " + _OPEN_FAMILIES + r"\b[^.]{0,30}\b(?:ourselves|self-?hosted|in-?house|on[- ]prem)",
                  r"\b" + _OPEN_FAMILIES + r"\b[^.]{0,40}\b(?:is what we run|we run|self-?hosted|we host)\b",
                  r"\bany licen[cs]e (?:works|is fine|is ok)\b",
                  r"\b(?:i )?(?:think|believe|guess) so\b(?!\s*\?)(?![^.]{0,40}\b(?:check|ask|confirm|not sure)\b)",
                  r"\b(?:open|commercial|permissive\w*|apache|mit|llama|mistral|qwen|gemma)\b.{0,50}\b(?:fine|ok(?:ay)?|"
                  r"allowed|acceptable|no problem|works for us)\b",
                  r"\bwe can use (?:open|existing|pre-?trained|commercial|any)\b",
                  # permission said as what the user may do with a model, or as what the law allows
                  r"\bcan (?:download|run|host|self-?host|deploy|fine[- ]?tune|use) (?:a |an |the )?" + _OPEN_FAMILIES + r"\b",
                  r"\blegal (?:has )?(?:approved|cleared|signed off on|ok'?d) the licen[cs]e\b",
                  r"\blegally,? (?:we|you) (?:can|may|could|are allowed)\b", r"\bwe(?:'re| are) legally allowed\b", r"\bno licen[cs]e (?:issues|concerns|problems)\b",
                  r"\bany (?:model|license) (?:is )?(?:fine|ok)\b", r"\bno restrictions on (?:models|weights)\b",
                  r"\b(?:apache|mit|permissive\w*|open)(?:[- ]\S+)?(?: or \w+)?[- ]licen[cs]ed\b")
_WEIGHTS_BAN = _rx(r"\bforbid\w*", r"\b(?:won'?t|will not|refuses? to|never) (?:allow|approve|permit|accept|sign off on)\b", r"\bprohibit\w*", r"\bbans?\b", r"\bbanned\b", r"\bbar(?:s|red)\b", r"\bexclud(?:es|ed)\b", r"\brules? out\b", r"\bnot allowed\b", r"\bcan(?:not|'t)\b",
                   r"\bmust not\b", r"\bmay not\b", r"\bno (?:third[- ]party|external|outside)\b", r"\bdisallow\w*")
_WEIGHTS_NOUN = _rx(r"\b(?:model )?weights\b", r"\bopen(?:[- ]weights?)? models?\b", r"\bopen[- ]source (?:llms?|models?)\b", r"\bfoundation models?\b", r"\bpre-?trained models?\b",
                    r"\bthird[- ]party models?\b", r"\bexisting (?:llms?|models?)\b", r"\bopen[- ]source models?\b")
_WEIGHTS_TOPIC = _rx(r"\bweights?\b", r"\bno (?:[\w-]+[- ])?(?:models?|llms?) (?:whose|unless|that)\b", r"\bapi[- ]only\b", r"\bself[- ]?host\w*", r"\bpre-?trained models?\b", r"\bexisting (?:llms?|models?)\b", r"\blicen[cs]\w*", r"\bopen[- ]source\b", r"\bopen models?\b",
                     r"\bfoundation models?\b", r"\bllama\b", r"\bmistral\b", r"\bqwen\b", r"\bcommercial models?\b")


def _weights(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    if asked != "weights_allowed" and not _WEIGHTS_TOPIC.search(text):
        return None
    conf = 0.9 if asked == "weights_allowed" else 0.7
    if _find(WEIGHTS_NO, text, allow_negated=True):
        return "no", text, conf
    if _any(WEIGHTS_YES, text):
        return "yes", text, conf
    for sentence in _sentences(text):  # "policy forbids using any third-party model weights"
        if _WEIGHTS_BAN.search(sentence) and _WEIGHTS_NOUN.search(sentence):
            return "no", text, conf
    if asked == "weights_allowed":
        if NO.search(text):
            return "no", text, conf
        if YES.search(text) or re.search(r"\bfine\b|\ballowed\b|\bok(?:ay)?\b", text, re.I):
            return "yes", text, conf
    return None


NOVEL = _rx(r"\bno overlap\b", r"\b(?:totally|entirely|brand|all) new\b",
            r"\b(?:invented|designed|created|made up|developed) (?:by us|in[- ]house|ourselves|internally)\b", r"\bnothing (?:public|like (?:it|this)|out there)\b", r"\bnot (?:in|on) (?:any )?(?:public|the web|the internet)\b",
            r"\bnever (?:seen|been) (?:online|public|published)\b", r"\bunique to us\b", r"\brare language\b",
            r"\bproprietary (?:format|language|notation|code)\b", r"\bcompletely (?:new|novel|different)\b",
            r"\bno (?:public|existing) (?:data|model|text)\b", r"\bnovel\b", r"\bnot covered\b", r"\bunlike anything\b",
            r"\bnobody else has\b", r"\bno model (?:knows|understands|has seen)\b", r"\bnothing public understands\b",
            # our own language or notation, used nowhere else; a modality with no text at all
            r"\bour own (?:\w+ )?(?:notation|codes|tokens|modality|alphabet)\b", r"\b(?:exists?|used) nowhere else\b",
            r"\bnobody (?:else|outside)\b", r"\bno (?:public|existing|open) (?:equivalent|data|model|text|corpus|base model)\b",
            r"\b(?:almost|virtually|practically|next to) (?:nothing|no text|no data) (?:online|public|on the (?:web|internet))?\b",
            r"\bno text at all\b", r"\bnot (?:even )?text\b", r"\bmodality\b", r"\b(?:never|not) (?:been )?seen (?:it|this|before)\b",
            r"\bno base model\b", r"\bnothing like it\b")
NOT_LANGUAGE = re.compile(r"\bno (?:relation|connection|link) to (?:natural )?(?:language|text)\b|\bno text\b(?! (?:fields?|"
                          r"columns?|box))|\b(?:aren'?t|isn'?t|is not|are not|not) (?:natural |human )?language\b|"
                          r"\bnothing to do with (?:natural )?(?:language|text)\b|\bnon-?text(?:ual)?\b", re.I)
PARTIAL = _rx(r"\bexists? in public data,? but\b", r"\bbut (?:our|the) .{0,30}(?:depth|reasoning|specifics?)\b",
              r"\bunderrepresented\b", r"\bunder-represented\b", r"\bpartly\b", r"\bpartially\b", r"\bsomewhat\b",
              r"\bthin\b", r"\bniche\b", r"\bsome(?: of it)? is public\b", r"\bshallow\b", r"\bnot deep\b",
              r"\bsurface[- ]level\b", r"\bsort of\b", r"\bkind of\b", r"\bspeciali[sz]ed\b", r"\bisn'?t there\b",
              # expert fields: public text exists, but not at the depth or in the jargon the user needs
              r"\bjargon\w*", r"\bnot at (?:our|the) (?:depth|level)\b", r"\bat (?:our|this) depth\b", r"\bexpert\w*",
              r"\btechnical\b", r"\bspecialist\b", r"\besoteric\b", r"\bobscure\b", r"\bunder-?represented\b",
              # a house dialect of a known language: the base language is public, the dialect is not
              r"\b(?:in-?house|internal|home-?grown|custom|proprietary) (?:\w+ )?(?:dialect|query language|dsl|language)\b")
COVERED = _rx(r"\bcommon\b",
              r"\b(?:the |public |existing |all |those |these )?(?:models?|llms?|gpts?) (?:already |all |obviously )?"
              r"(?:know|knows|understand|understands) (?!nothing|little|none)\w+", r"\bgeneral\b", r"\bwell[- ]covered\b", r"\beveryday\b", r"\bstandard\b", r"\bmainstream\b",
              r"\bplenty (?:of it )?online\b", r"\bwidely available\b", r"\bpublic data covers\b", r"\bwell[- ]known\b",
              r"\bordinary\b", r"\bnothing special\b", r"\bgeneric\b", r"\bmodels already know\b", r"\bfamiliar\b",
              r"\bnormal\b", r"\bnothing (?:exotic|unusual|special|niche)\b", r"\b(?:any|every) (?:model|llm) knows\b",
              r"\b(?:seen|know|knows) (?:plenty|lots|a lot) of\b", r"\bplenty of\b", r"\bpopular\b", r"\beveryone\b")


def _novelty(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    conf = 0.9 if asked == "domain_novelty" else 0.6
    if _find(_rx(r"\bnothing (?:exotic|unusual|special|niche)\b", r"\bnot (?:niche|specialised|specialized|exotic)\b"),
             text, allow_negated=True) and asked == "domain_novelty":
        return "covered", text, conf  # "nothing exotic": a cleared subject, before any word of novelty is read
    if _any(NOVEL, text) or _find(re.compile(r"\bno overlap\b|\bnothing public\b|\bno text at all\b|\bno public "
                                            r"(?:equivalent|data|model|text|corpus|base model)\b|\bno base model\b|"
                                            # data that is not language at all: signals, hits, spectrograms
                                            + NOT_LANGUAGE.pattern, re.I), text, allow_negated=True):
        return "novel", text, conf
    if asked == "domain_novelty" or re.search(r"\b(?:public|training|pre-?training) data\b|\bexisting models\b|"
                                              r"\b(?:niche|jargon\w*|speciali[sz]ed)\b[^.]{0,20}\bdomain\b|\bdomain\b[^.]{0,20}"
                                              r"\b(?:niche|speciali[sz]ed)\b", text, re.I):
        if _any(PARTIAL, text):
            return "partial", text, conf
        if _any(COVERED, text):
            return "covered", text, conf
    if asked == "domain_novelty":
        if NO.search(text):
            return "novel", text, 0.6
        if YES.search(text):
            return "covered", text, 0.6
    return None


# research that is not about models: a contract research organisation, a clinical or market research team
_NOT_ML_RESEARCH = r"(?<!contract )(?<!clinical )(?<!market )(?<!marketing )(?<!medical )(?<!user )(?<!ux )(?<!legal )"
TEAM_PRETRAIN = _rx(r"\bpre-?train(?:ing|ed)? (?:experience|expertise|background)\b", r"\bhave pre-?trained\b",
                    r"\b(?:ml|ai) researchers?\b", _NOT_ML_RESEARCH + r"\bresearch (?:team|lab|scientists?)\b", r"\btrained (?:llms?|models) from scratch\b",
                    r"\bfoundation model team\b", r"\bpretraining team\b", r"\bpre-?training\b.{0,20}\bexperience\b",
                    r"\b(?:who(?:'ve| have)?|that have|have) pre-?trained\b", r"\bpre-?trained (?:\w+ )?(?:llms?|models) before\b",
                    _NOT_ML_RESEARCH + r"\bresearch (?:group|org\w*|lab|department|division)\b",
                    r"\bpre-?training research\b",
                    r"\bresearchers?\b[^.]{0,40}\bpre-?train\w*", r"\b(?:lab|group|team) of (?:\d+ |\w+ )?(?:researchers|phds|scientists)\b",
                    r"\bpublish\w* on (?:llm |model )?pre-?training\b",
                    # having trained a language model from nothing is pretraining experience, however it is named
                    r"\btrained (?:\w+ ){0,2}(?:l?lms?|language models?|models?|foundation models?|transformers?) from scratch\b")
TEAM_ML = _rx(r"\bml engineer\w*", r"\bmachine learning (?:engineers?|team|experience)\b", r"\bdata scientists?\b",
              r"\bmlops\b", r"\bexperienced ml\b", r"\bml (?:team|experience|background|expertise)\b",
              r"\bml engineering\b", r"\bdeep learning (?:engineers?|experience)\b", r"\bfine[- ]?tun\w+ (?:before|experience)\b",
              r"\bai engineers?\b", r"\bnlp engineers?\b", r"\bresearch engineers?\b", r"\bphds?\b",
              # the role abbreviated: "three MLEs", "1 ML eng"
              r"\bmles?\b", r"\bml[- ]?eng\w*", r"\bml (?:people|folks|person|staff|specialists?)\b")
TEAM_SW = _rx(r"\bsoftware engineers?\b", r"\bdevelopers?\b", r"\bdevs?\b", r"\bfront-?end\b", r"\bback-?end\b",
              r"\bcan code\b", r"\bcoders?\b(?<!no coders)", r"\bdev shop\b", r"\bit (?:team|staff|department)\b", r"\bprogrammers?\b", r"\bfull[- ]stack\b",
              r"\bbackend engineers?\b", r"\bweb (?:devs?|developers?)\b", r"\bengineers?\b", r"\bno (?:one|body) (?:has|with) (?:ml|pre)",
              r"\bno ml\b", r"\bnot ml\b", r"\bjust (?:a|one|two|some) (?:engineers?|devs?|developers?)\b",
              # someone who writes code of any kind, or keeps the machines running, is a generalist
              r"\b(?:can|could|who can|able to|knows? how to) (?:write|do|read) (?:some |a bit of |basic )?(?:code|sql|python|"
              r"scripts?|javascript|java|bash)\b", r"\bit (?:guy|person|people|folks|admins?|support)\b", r"\bsysadmins?\b")
TEAM_NONE = _rx(r"\bjust me\b", r"\bnobody (?:here )?(?:is technical|codes)\b",
                r"\b(?:nobody|no one|no-one)(?: (?:here|in[- ]house|on (?:the|our) team|at all|really|technical|who (?:codes|can code))){0,3}"
                r"\s*(?:[.,;!]|$)", r"\bno coders\b", r"\boutsourc\w+", r"\bno one (?:technical|in[- ]house)\b", r"\bno (?:engineers|developers|technical (?:staff|team|people))\b", r"\bnon-?technical\b",
                r"\bno tech(?:nical)? team\b", r"\bonly marketers\b", r"\bno one technical\b", r"\bsolo founder\b",
                # any word of "none" before technical people: "zero technical staff", "without a single developer"
                r"\b(?:no|zero|without|not a single|not one|not any)\s+(?:\w+\s+)?(?:engineers?|developers?|programmers?|coders?|"
                r"technical (?:staff|team|people|folks|employees?|persons?|hires?)|tech (?:staff|people|folks|person))\b")
_TEAM_TOPIC = _rx(r"\bdevs?\b", r"\bmles?\b", r"\bml[- ]?eng\w*", r"\bit guy\b", r"\btechnical\b", r"\bphds?\b", r"\bresearch\w*", r"\bcoders?\b", r"\bdev shop\b", r"\boutsourc\w+", r"\bknows? (?:ml|machine learning)\b", r"\bteam\b", r"\bengineers?\b", r"\bdevelopers?\b", r"\bscientists?\b", r"\bresearchers?\b",
                  r"\bexperience\b", r"\bstaff\b", r"\bjust me\b", r"\bhire\b", r"\bexpertise\b")


def _team(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    if asked != "team" and not _TEAM_TOPIC.search(text):
        return None
    conf = 0.9 if asked == "team" else 0.7
    # the most skilled role named wins: "just me, a backend developer" is a developer; "just me" alone is nobody
    if _any(TEAM_PRETRAIN, text):
        return "pretraining", text, conf
    if _any(TEAM_ML, text):
        return "ml", text, conf
    if _any(TEAM_SW, text) or (_find(TEAM_SW, text, allow_negated=True) and re.search(
            r"\bno (?:one|body) (?:has|with) (?:ml|pre)|\bno ml\b|\bnot ml\b", text, re.I)):
        return "software", text, conf
    if _any(TEAM_NONE, text) or _find(TEAM_NONE, text, allow_negated=True):
        return "none", text, conf
    if asked == "team":
        if NO.search(text):
            return ("none" if len(text.split()) <= 3 else "software"), text, 0.5
        if YES.search(text):
            return "ml", text, 0.5
    return None


INFER_TAGS = {
    "latency": _rx(r"\blatency\b", r"\b\d+ ?ms\b", r"\bmilliseconds?\b", r"\breal[- ]time\b", r"\bfast(?:er)?\b",
                   r"\bslow\b", r"\bunder (?:a|one|\d+) seconds?\b", r"\binstant\w*", r"\bresponse time\b",
                   r"\bsub-?second\b", r"\b(?:within|below) (?:a |one |\d+ )?(?:seconds?|ms)\b",
                   r"(?<!\brun )(?<!\bruns )(?<!\bwork )(?<!\bworks )\bon the (?:phone|line)\b(?!,? offline)",
                   r"\blive (?:calls?|chat|conversations?)\b", r"\bthe wait(?:ing)?\b", r"\bwait (?:times?|too long)\b",
                   r"\bwhile (?:the |a )?(?:customer|user|caller|client)s? (?:is|are) (?:still )?(?:waiting|talking)\b"),
    "cost": _rx(r"\b(?:cut|reduce|lower) (?:\w+ )?(?:costs?|spend|bills?)\b", r"\bexpensive\b", r"\bcheap(?:er)?\b", r"\bcosts?\b", r"\bper[- ](?:call|request|token) (?:price|cost)\b",
                r"\bbudget per\b", r"\bcost-?sensitive\b", r"\bapi (?:bill|spend|costs?)\b", r"\bpric(?:ey|y)\b",
                r"\bthe bill\b", r"\bpay (?:per|by the|for every) (?:token|call|request|query)\b",
                r"\beat(?:s|ing)? (?:into |up )?(?:our |the )?(?:margin|budget)\b", r"\bcents? (?:a|per|each) (?:call|request|query)\b"),
    "volume": _rx(r"\bmillions? of (?:\w+ )?(?:requests|calls|queries|tickets|messages|documents|users|items)\b",
                  r"\b(?:requests|calls|queries|tickets|messages) (?:a|per) (?:day|second|hour|minute)\b",
                  r"\bhigh[- ]volume\b", r"\bat (?:our )?(?:scale|volume)\b", r"\bthousands (?:of \w+ )?(?:a|per) (?:second|minute)\b",
                  r"\bqps\b", r"\brps\b", r"\bthroughput\b", r"\btraffic\b", r"\bour volume\b",
                  r"\b(?:big|huge|high|large|massive|heavy) (?:volume|load)\b", r"\bbatch\w*", r"\bnightly\b",
                  r"\b\d+(?:\.\d+)?\s?(?:k|m|million|billion|thousand)\s+(?:\w+\s+)?(?:requests|calls|queries|docs|documents|"
                  r"pages|messages|tickets|items|users|conversations)\b",
                  # thousands or more of anything per period: "3M a month", "a million docs a month", "900k calls a week"
                  r"\b(?:\d[\d,.]*\s?(?:k|m|million|thousand|billion)|a (?:million|thousand|billion)|\d{1,3}(?:,\d{3})+|\d{4,})"
                  r"\s+(?:[\w-]+\s+)?(?:a|per|each|every) (?:day|week|month|hour|second|minute)\b"),
    "single_task": _rx(r"\bonly (?:ever )?(?:does|do|needs?|used for) (?:this |that |the |a |one )?(?:one |single )?task\b",
                       r"\bsingle (?:narrow )?task\b", r"\bgeneral (?:abilities|capabilit\w+|skills|knowledge) (?:don'?t|do not) matter\b",
                       r"\bone (?:narrow )?task\b", r"\bnarrow task\b", r"\bforgetting (?:is fine|doesn'?t matter|is ok)\b",
                       r"\bdon'?t care about (?:general|other)\b"),
    "on_device": _rx(r"\bon[- ]device\b",
                     # it runs inside a piece of equipment: "runs on the in-cab unit", "on each scanner"
                     r"\bruns? (?:on|inside|in) (?:the|a|an|our|their|each|every) (?:[\w-]+ ){0,2}(?:unit|device|box|terminal|"
                     r"handset|tablet|laptop|car|truck|vehicle|robot|camera|sensor|kiosk|scanner|drone|console|headset)s?\b", r"\bon (?:a|the|our|their|its) (?:own )?devices?\b", r"\bedge\b", r"(?<!on the )\bphones?\b(?! (?:numbers?|calls?|lines?|support|agents?)\b)",
                     r"\bhead unit\b", r"\bhandheld\b", r"\bno (?:internet|network|connectivity)\b", r"\bruns? locally\b",
                     r"\blocally on\b", r"\b(?:players?|users?|customers?)'? (?:own )?(?:gpus?|machines|devices|pcs|consoles)\b",
                     r"\binside (?:the|a|our) (?:car|vehicle|device|app|machine)\b", r"\bmobile\b", r"\bedge devices?\b", r"\bembedded\b",
                     r"\braspberry pi\b", r"\bin the browser\b", r"\blaptops?\b", r"\bcpu[- ]only\b", r"\boffline\b"),
}
_INFER_TOPIC = _rx(r"\bserv\w+", r"\btraffic\b", r"\bhandheld\b", r"\bhead unit\b", r"\bruns? (?:locally|on)\b",
                   r"\bour volume\b", r"\bbatch\w*", r"\bthe bill\b", r"\binference\b", r"\bin production\b", r"\bat runtime\b", r"\bper (?:request|call|query)\b",
                   r"\b(?:a|per) day\b", r"\blatency\b", r"\b\d+ ?ms\b", r"\bvolume\b", r"\bdeploy\w*", r"\bgeneral abilities\b",
                   r"\bone task\b", r"\bsingle task\b", r"\bthroughput\b", r"\bqps\b", r"\bon[- ]device\b",
                   r"\bfar too slow\b", r"\btoo (?:slow|expensive)\b",
                   r"\b(?:a|per|each|every) (?:week|month|hour|second|minute)\b", r"\bunder (?:a|one|\d+) (?:seconds?|ms)\b",
                   r"\bpay (?:per|by the)\b", r"\bcents?\b", r"\bmargin\b", r"\bthe wait\b", r"\boffline\b")


def _inference(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    if asked != "inference_constraints" and not _INFER_TOPIC.search(text):
        return None
    conf = 0.9 if asked == "inference_constraints" else 0.7
    if asked == "inference_constraints" and re.match(r"^\s*(?:doesn'?t matter|not really|no(?:ne|pe)?\b|nothing special)", text, re.I):
        return [], text, conf  # "doesn't matter, a few requests a day": no constraint, whatever the detail
    tags = sorted(tag for tag, pattern in INFER_TAGS.items() if (m := _find(pattern, text)) is not None
                  and not re.match(r"^\s*[:,]?\s*(?:no|not|isn'?t|is not|doesn'?t|does not|don'?t|do not)\b", text[m.end():m.end() + 12], re.I))
    # ("latency yes, cost no": the "no" after a word denies it)
    if tags:
        return tags, text, conf
    if asked == "inference_constraints" and (NO.search(text) or re.search(r"\bno (?:real |particular |special )?"
                                                                          r"(?:constraints|limits|requirements)\b|\bdoesn'?t matter\b|\bnot (?:a|an) (?:issue|concern)\b", text, re.I)):
        return [], text, conf
    return None


# ---- GPUs and compute -------------------------------------------------------------------------------------------

# Memory per card in GB (the common variant; "40GB A100" written out wins).
GPU_MEMORY_GB = {
    "gb200": 192, "b200": 192, "b100": 192, "h200": 141, "gh200": 96, "h100": 80, "h800": 80, "a100": 80, "a800": 80,
    "mi300x": 192, "mi300": 192, "mi250x": 128, "mi250": 128, "mi210": 64, "l40s": 48, "l40": 48, "a6000": 48,
    "rtx 6000": 48, "rtx6000": 48, "a40": 48, "a5000": 24, "a10g": 24, "a10": 24, "l4": 24, "a4000": 16, "t4": 16,
    "v100": 32, "p100": 16, "k80": 12, "p40": 24, "4090": 24, "3090": 24, "4080": 16, "3080": 10, "4070": 12,
    "3070": 8, "3060": 12, "2080": 8, "5090": 32, "titan": 24, "tpu": 32,
}
_GPU_NAME = "|".join(sorted((re.escape(k).replace(r"\ ", r"\s?") for k in GPU_MEMORY_GB), key=len, reverse=True))
_GPU_RX = re.compile(
    r"(?P<count>\b\d+|\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|sixteen|several|a few|"
    r"a couple of|a couple|a pair of|dozens of|hundreds of|thousands of|a single|single|multiple|many)\b)?"
    r"\s*(?:x\s*)?(?:(?:cloud|rented|local|spare|dedicated|big|small|old|older|new|beefy|consumer|idle)\s+)?"
    r"(?:nvidia\s+|rtx\s+|geforce\s+|tesla\s+|amd\s+|instinct\s+)?"
    r"(?:(?P<mem1>\d+)\s?gb\s+)?"
    r"(?P<name>(?:" + _GPU_NAME + r")(?:s|'s)?|gpus?|graphics cards?|cards|accelerators?)\b"
    r"(?:\s*(?:\(|with|of)?\s*(?P<mem2>\d+)\s?gb)?"
    r"(?:\s*x\s*(?P<count2>\d+))?",
    re.IGNORECASE,
)
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "a single": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5,
                "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "sixteen": 16, "several": 4,
                "a few": 3, "a couple of": 2, "a couple": 2, "a pair of": 2, "multiple": 3, "many": 8,
                "dozens of": 36, "hundreds of": 300, "thousands of": 3000}
# a GPU's hourly price: "$3/GPU-h", or an hourly price said of a card ("an A100 at $1.80/h"); not a person's rate
_HOURLY_PRICE = re.compile(r"(?:\$|€|£|\busd ?) ?\d[\d.,]{0,12} ?(?:/|per\b|an?\b) ?(?:gpu|node|card)[- ]?(?:h|hr|hour)\b|"
                           r"\b(?:" + _GPU_NAME + r"|gpus?|cards?|nodes?|instances?)\b[^.;$€£]{0,30}(?:\$|€|£|\busd ?) ?"
                           r"\d[\d.,]{0,12} ?(?:/|per\b|an?\b) ?(?:h|hr|hour)\b", re.I)
_RENT = _rx(r"\brent\w*", r"\bcloud\b", r"\bon[- ]demand\b", r"\baws\b", r"\bgcp\b", r"\bazure\b", r"\blambda\b",
            r"\brunpod\b", r"\bcolab\b", r"\bsagemaker\b", r"\bvast\.ai\b", r"\bcoreweave\b", r"\bmodal\b")
_CLUSTER = _rx(r"\bcluster\b", r"\bslurm\b", r"\bsupercomputer\b", r"\bnodes\b", r"\bpods?\b", r"\bhpc\b")
_NO_GPU = _rx(r"\bno gpus?\b", r"\bno (?:hardware|compute)\b", r"\bcpu[- ]only\b", r"\bjust (?:a |our )?laptops?\b",
              r"\bonly (?:a |our )?laptops?\b", r"\bnothing\b", r"\b(?:don'?t|do not) (?:yet )?have (?:any |a |an )?(?:own )?gpus?\b", r"\bzero gpus?\b",
              r"\bwithout (?:a |any )?gpus?\b", r"\blaptops? only\b", r"\bonly (?:have |has |got )?(?:a |our |some )?(?:cpus?|laptops?)\b",
              r"\bcpu (?:servers?|machines?|boxes|nodes)\b", r"\bnada\b", r"\bzilch\b")
_COMPUTE_TOPIC = _rx(r"\bmacbook\b", r"\blaptops?\b(?= (?:only|for training))|\bonly (?:have )?laptops?\b", r"\bcpus?\b", r"\bmac studio\b", r"\bapple silicon\b", r"\bgpus?\b", r"\bcompute\b", r"\bcluster\b", r"\bcolab\b", r"\b(?:" + _GPU_NAME + r")s?\b")


def _compute(text: str, asked: str | None) -> tuple[Any, str, float] | None:
    low = text.lower()
    cue = _CORRECTING.search(low)
    if cue and _GPU_RX.search(low[:cue.start()]):
        # "8 GPUs — no wait, that's the other team; we have one": what follows the correction wins
        rest = text[cue.end():]
        again = _compute(rest, asked)
        bare = re.search(r"\b(?:we have|we've got|just|only)\s+(one|a single|two|three|four|\d+)\s*(?:of them)?\s*[.!]?\s*$", rest, re.I)
        if again is None and bare:
            count = _COUNT_WORDS.get(bare.group(1).lower()) or int(bare.group(1)) if bare.group(1).isdigit() else \
                _COUNT_WORDS.get(bare.group(1).lower(), 1)
            again = ({"gpus": count, "gpu_memory_gb": 24.0, "access": "own"}, text, 0.6)
        if again is not None:
            return again
    if asked != "compute" and not _COMPUTE_TOPIC.search(low):
        return None
    conf = 0.9 if asked == "compute" else 0.7
    gpus, memory, named, denied, counted = 0, None, False, False, False
    for m in _GPU_RX.finditer(low):
        name = m.group("name").lower().rstrip("s").rstrip("'")
        count_text = (m.group("count") or "").strip().lower()
        counted = counted or bool(count_text or m.group("count2"))
        count = m.group("count2") and int(m.group("count2"))
        if not count:
            if count_text.isdigit():
                count = int(count_text)
            else:
                count = _COUNT_WORDS.get(count_text, 0)
        if not count_text and _find(_CLUSTER, low) and not m.group("count2"):
            count = 32  # "our own GPU cluster": dozens of cards, count unstated
        if count_text in ("a", "an", "one", "any") and re.search(
                r"\b(?:don'?t|do not|doesn'?t|does not|never) (?:yet )?(?:have|own|got|get)\s*$", low[max(0, m.start() - 25):m.start()]):
            denied = True  # "we don't have a GPU server yet": none
            continue
        if count == 0 and not count_text:
            before = low[max(0, m.start() - 25):m.start()].rstrip() + " "  # the match may begin with its space
            if re.search(r"\bno\s*$|\bzero\s*$|\bwithout\s*(?:a|any)?\s*$|\b(?:don'?t|do not|doesn'?t|does not|never) "
                         r"(?:have|own|got|get) (?:any )?(?:own )?$", before):  # (a count word is the match's own)
                denied = True  # "we don't have GPUs": none, said outright
                continue
            count = 1
        key = name.replace(" ", "")
        mem = m.group("mem1") or m.group("mem2")
        card = next((GPU_MEMORY_GB[k] for k in GPU_MEMORY_GB if k.replace(" ", "") == key), None)
        if card:
            named = True
        card_mem = float(mem) if mem else card
        if count > gpus or (count == gpus and card_mem and not memory):
            gpus, memory = count, card_mem
    # "a 24 GB card", "48 GB of VRAM"; not "12 GB of Word files", which is data
    mem_only = re.search(r"\b(\d+)\s?gb\b(?!\s+of\s+(?!(?:vram|memory|gpu|ram)\b))", low)
    if memory is None and mem_only and gpus:
        memory = float(mem_only.group(1))
    apple = re.search(r"\b(?:m[1-4](?: (?:pro|max|ultra))?|macbook(?: pro)?|mac studio|mac mini|apple silicon)\b", low)
    if apple and not gpus:  # Apple silicon: one accelerator sharing the machine's unified memory
        gpus, memory = 1, float(mem_only.group(1)) if mem_only else 16.0
        named = True
    access = None
    if _any(_RENT, low) or _HOURLY_PRICE.search(low):  # "8xH100 @ $3/GPU-h": paid by the hour is rented
        access = "rent"
    if _find(_CLUSTER, low) or gpus >= 16:
        access = "cluster"
    if access is None and gpus:
        access = "own"
    if gpus == 0:
        if access == "rent":  # "no GPUs in house but we can rent one"
            gpus = 1
        elif access == "cluster":
            gpus = 32
        elif denied or _find(_NO_GPU, low, allow_negated=True) or (asked == "compute" and NO.search(low)):
            return {"gpus": 0, "gpu_memory_gb": 0, "access": "none"}, text, conf
        elif asked == "compute" and re.search(r"\bserver\b|\bmachine\b|\bworkstation\b", low):
            gpus, access = 1, "own"
        else:
            return None
    if re.search(r"\bno gpus? in[- ]house\b|\bnothing in[- ]house\b", low) and access == "own":
        access = "rent"
    if memory is None:
        memory = 24.0  # a GPU of unstated kind: assume a 24 GB card, and say so through the lower confidence
        conf = min(conf, 0.6)
        if not counted and not named and asked != "compute":
            conf = TENTATIVE  # "we have the GPUs": no count, no card, no memory — a hint to read back, not a value
    return {"gpus": int(gpus), "gpu_memory_gb": float(memory), "access": access}, text, conf if named or gpus else 0.5


# ---- money and time ------------------------------------------------------------------------------------------

_MONEY_BEFORE = re.compile(r"(?:\$|usd\s?|us\$|€|£|eur\s?)\s*$", re.IGNORECASE)
_MONEY_AFTER = re.compile(r"^\s*(?:k|m)?\s*(?:dollars|usd|bucks|euros?|eur|pounds|gbp|grand)\b", re.IGNORECASE)
_BUDGET_WORDS = _rx(r"\bbudget\w*", r"\bspend\b", r"\bafford\b", r"\bfund\w*", r"\bdollars?\b", r"\bmoney\b", r"\$")


def _money_quantities(text: str, quantities: list[Quantity]) -> list[Quantity]:
    out = []
    for q in quantities:
        before, after = text[max(0, q.start - 5):q.start], text[q.end:q.end + 12]
        if _MONEY_BEFORE.search(before) or _MONEY_AFTER.match(after) or q.text.lower().endswith("grand"):
            out.append(q)
    return out


# "$3/GPU-h", "$1.50 per hour", "$0.50 per million tokens": an hourly or per-token rate, never the project's budget
_RATE_AFTER = re.compile(r"^\s*(?:k\b)?\s*(?:dollars?|usd|bucks|euros?)?\s*(?:/|per\b|an?\b|each\b)\s*(?:gpu[- ]?|node[- ]?|card[- ]?)?"
                         r"(?:h|hrs?|hours?|gpu|card|node|instance|million|m\b|1k|1m|k tokens|tokens?)\b", re.I)


def _budget(text: str, asked: str | None, quantities: list[Quantity]) -> tuple[Any, str, float] | None:
    conf = 0.9 if asked == "budget" else 0.7
    money = _money_quantities(text, quantities)
    low = text.lower()
    if re.search(r"\bmulti-?million\b", low):
        return 3_000_000.0, text, TENTATIVE  # an order of magnitude: read back
    if asked != "budget" and not re.search(r"\bbudget\w*|\bafford\b|\bfund\w*|\bcan spend\b", low):
        # "$40k a month" is what serving costs today, not money for this project
        money = [q for q in money if not re.match(r"^\s*(?:k\b)?\s*(?:dollars?|usd)?\s*(?:a|per|each|every|last|this) "
                                                  r"(?:month|day|year|week|request|call)", text[q.end:q.end + 25], re.I)
                 and not re.search(r"\b(?:bill|invoice|spend|spending|paying|pay|costs? us)\b[^.;]{0,20}$",
                                   text[max(0, q.start - 40):q.start], re.I)]
    money = [q for q in money if not re.match(r"^\s*(?:k\b)?\s*(?:dollars?|usd|bucks|euros?)?\s*(?:a|per|each) "
                                              r"(?:client|customer|user|seat|head|request|call)\b",
                                              text[q.end:q.end + 30], re.I)  # a unit price is no budget
             and not _RATE_AFTER.match(text[q.end:q.end + 30])]
    if money and (asked == "budget" or _BUDGET_WORDS.search(low) or len(money) == 1):
        fix = _corrected(text, quantities)  # "$8,000 — sorry, 18,000": the corrected amount needs no "$"
        pick = fix if fix is not None and (fix in money or any(q.end <= fix.start for q in money)) else (
            _corrected(text, money) or max(money, key=lambda q: q.value))
        return float(pick.value), text, TENTATIVE if _guessed(text, pick) else conf
    if asked == "budget" or re.search(r"\bbudget\b", low):
        if re.search(r"\bno budget\b|\bzero\b|\bnothing\b|\bno money\b|\bfree\b", low):
            return 0.0, text, conf
        if re.search(r"\b(?:tight|small|shoestring|limited|modest|tiny|low)\b", low):
            return 1_000.0, text, TENTATIVE  # a size word, no amount: read back
        if re.search(r"\b(?:unlimited|deep pockets|whatever it takes|no limit|huge|large|big|generous|well[- ]funded)\b", low):
            return 1_000_000.0, text, TENTATIVE
        if asked == "budget" and quantities:
            pick = _corrected(text, quantities) or quantities[0]  # "Budget 50k, actually make that 15k"
            return float(pick.value), text, TENTATIVE if _guessed(text, pick) else 0.6 if len(quantities) > 1 else 0.8
    return None


_TIME_UNITS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365, "sprint": 14}
_TIME_RX = re.compile(r"\b(?P<unit>hour|day|week|month|quarter|year|sprint)s?\b", re.IGNORECASE)
_DEADLINE = _rx(r"\bdeadline\b", r"\bby (?:the end of|next|end of)\b", r"\bwithin\b", r"\bneed (?:it|this|results?) (?:in|by|within)\b",
                r"\bship\w*\b", r"\blaunch(?:ing)? in\b", r"\bgo live\b", r"\bhave (?:only )?(?:about )?\w+ (?:weeks?|months?|days?)\b",
                r"\bin (?:\w+ )?(?:\d+ )?(?:weeks?|months?|days?)\b", r"\btimeline\b", r"\bdue\b", r"\basap\b")


def _timeline(text: str, asked: str | None, quantities: list[Quantity]) -> tuple[Any, str, float] | None:
    low = text.lower()
    if asked != "timeline" and not re.search(r"\bdeadline\b|\btimeline\b|\bgo live\b|\bdue (?:in|by)\b|\bby q[1-4]\b|"
                                             r"\b(?:need|want|have to|must|ship|launch|deliver|ready)\b[^.]{0,30}\b(?:in|by|"
                                             r"within)\s+(?:\w+\s+)?(?:days?|weeks?|months?|quarters?|sprints?)\b", low) \
            and not re.search(r"(?:^|[,;.:]\s*)(?:about |roughly |around )?(?:\d+|one|two|three|four|five|six|seven|eight|nine|"
                              r"ten|eleven|twelve|a couple of|half a) (?:days?|weeks?|months?)\s*(?:[,;.]|$)", low):
        # a bare duration is a deadline when it stands as an item of its own ("one A100, six weeks, $5k")
        return None
    conf = 0.9 if asked == "timeline" else 0.7
    # durations said as a number and a unit: "six weeks", "half a year", "a couple of months"
    durations: list[tuple[Quantity, float]] = []
    for m in _TIME_RX.finditer(low):
        unit = _TIME_UNITS[m.group("unit")]
        q = next((q for q in reversed(quantities) if q.end <= m.start() and re.fullmatch(r"\s*(?:of\s+)?|-",
                                                                                    low[q.end:m.start()])), None)
        if q is None:
            half = re.search(r"\bhalf (?:a|an)\s+$|\b(?:a|an|one|next|this)\s+$", low[:m.start()])
            if not half:
                continue
            q = Quantity(0.5 if half.group(0).startswith("half") else 1.0, half.start(), m.start(), half.group(0))
        if re.match(r"^\s*(?:ago|old)\b|^\s*(?:of (?:history|data|logs|tickets|records))", low[m.end():m.end() + 20]):
            continue  # "two years of tickets", "a month ago": not a deadline
        durations.append((q, q.value * unit))
    if durations:
        chosen = _corrected(text, [q for q, _ in durations]) or durations[0][0]
        days = next(d for q, d in durations if q is chosen)
        return float(days), text, TENTATIVE if _guessed(low, chosen) else conf
    # no duration: an urgency word, "no deadline", or a calendar reference whose distance depends on today's date —
    # each a guess at a number of days, read back before it counts
    if re.search(r"\basap\b|\burgent\w*\b|\byesterday\b|\bright away\b", low):
        return 7.0, text, TENTATIVE
    if re.search(r"\bno (?:rush|deadline|hurry)\b|\bflexible\b|\bwhenever\b", low):
        return 180.0, text, TENTATIVE
    for pattern, days in ((r"\btomorrow\b", 1.0), (r"\bnext week\b|\bthis week\b", 7.0), (r"\bnext month\b", 30.0)):
        if re.search(pattern, low):
            return days, text, conf  # a fixed distance from today
    for pattern, days in ((r"\bend of (?:the )?year\b", 120.0), (r"\bby q[1-4]\b|\bnext quarter\b|\bend of (?:the )?quarter\b", 90.0),
                          (r"\bend of (?:the|this) month\b", 30.0)):
        if re.search(pattern, low):
            return days, text, TENTATIVE
    return None


# ---- counts of data --------------------------------------------------------------------------------------------

_TOKEN_UNITS = {"tokens": 1, "token": 1, "words": 1.3, "word": 1.3, "pages": 650, "page": 650, "books": 100_000,
                "book": 100_000, "textbooks": 200_000, "gb": 2.5e8, "gigabytes": 2.5e8, "tb": 2.5e11,
                "terabytes": 2.5e11, "mb": 2.5e5, "megabytes": 2.5e5, "gigs": 2.5e8, "gig": 2.5e8, "pb": 2.5e14,
                "petabytes": 2.5e14}
# Conversion to tokens, stated: 1 word ≈ 1.3 tokens (English BPE); 1 page ≈ 500 words ≈ 650 tokens; 1 GB of plain
# text ≈ 1 billion characters ≈ 250 million tokens (4 characters a token); a document of unstated length ≈ 1,500
# tokens. "N documents of about P pages / W words each" multiplies out with the page or word factor.
_DOC_UNITS = {"documents", "docs", "files", "articles", "drafts", "reports", "papers", "filings", "contracts", "manuals",
              "transcripts", "emails", "posts", "pdfs", "records", "notes", "case reports", "statutes", "letters",
              "patents", "wiki pages", "web pages", "chapters", "memos", "policies", "tweets", "captions", "headlines",
              "snippets", "abstracts", "comments", "stories", "essays", "newsletters", "letters", "sops", "procedures",
              "specifications", "specs", "datasheets", "brochures", "handbooks", "guidelines"}
# Documents that are the finished output of a writing task (comments, emails, posts…): examples to imitate, unless
# the sentence calls them a corpus or raw text.
_OUTPUT_UNITS = {"comments", "emails", "posts", "tweets", "captions", "headlines", "letters", "memos", "newsletters",
                 "essays", "stories", "snippets", "abstracts", "notes", "descriptions", "replies", "articles", "drafts"}
_EXAMPLE_UNITS = {"examples", "example", "pairs", "pair", "samples", "rows", "labeled", "labelled", "annotated",
                  "demonstrations", "conversations", "dialogues", "dialogs", "tickets", "q&a", "qa", "questions",
                  "answers", "problems", "clauses", "dictations", "instances", "items", "entries", "responses",
                  "completions", "outputs", "pieces", "solutions", "summaries", "translations", "prompts", "cases",
                  "input-output", "question-answer", "inputs", "training", "jsonl", "reviews", "chats",
                  "exchanges", "replies", "messages", "descriptions", "sentences", "datapoints", "data points", "lines"}
_PREF_WORDS = re.compile(r"\brank(?:s|ed|ing)? (?:\d+ |two |three |four |several )?(?:answers|outputs|responses|"
                         r"completions|drafts|candidates|replies)\b|\bcompar\w*|\bpreferen\w*|\bpreferred\b|\bpairwise\b|\brank(?:ed|ings?)\b|"
                         # chosen/rejected makes a pair; "rejected drafts" alone are just bad examples
                         r"\b(?:chosen|accepted|preferred|approved|good)\b[^.]{0,25}\brejected\b|\brejected\b[^.]{0,25}\b(?:chosen|"
                         r"accepted|preferred)\b|\b(?:chosen|rejected)[ /-]+pairs?\b|\bchosen\b(?=[^.]{0,30}\bpairs?\b)|"
                         r"\bthumbs\b|\bvotes?\b|\bbetter one\b|\bwhich (?:one )?(?:is|was) better\b|\bupvote\w*|\bratings?\b|"
                         r"\bdpo\b|\brlhf\b|\ba/b\b|\bwhich of (?:the )?two\b|\b(?:liked|prefer\w*) (?:it )?(?:more|better)\b|"
                         r"\b(?:picked|chose|selected|marked) (?:which|the better|the one)\b|"
                         # one output of two kept, the other not: "taps where one of the two suggestions was kept"
                         r"\b(?:one|which) of (?:the |our )?(?:two|2|both)\b[^.;]{0,40}\b(?:kept|keeps?|chosen|chose|"
                         r"picked|picks?|selected|preferred|accepted|won)\b|"
                         r"\b(?:kept|chosen|picked|selected|preferred|accepted)\b[^.;]{0,30}\b(?:and|but|over|not) the other\b|"
                         # a judgement between two outputs of one request: "parents rate two story versions per request"
                         r"\b(?:rat|rank|pick|choos|compar|judg|vot|grad|scor)\w*\b[^.;]{0,20}\b(?:two|2|both|a pair of)\b "
                         r"(?:\w+ ){0,2}(?:versions|variants|drafts|candidates|outputs|answers|responses|completions|"
                         r"options|replies|generations)\b", re.IGNORECASE)
_LABEL_WORDS = re.compile(r"\blabell?ed\b|\bannotated\b|\bpaired\b|\bgold\b|\bwritten by\b|\bapproved\b|\breviewed\b|"
                          r"\bexamples?\b|\bpairs?\b|\bsolved\b|\bwith (?:answers|labels|summaries|notes)\b|\binput\b|"
                          r"\bq&a\b|\bquestion-answer\b|\bcorrect(?:ed)? (?:outputs?|answers?)\b|"
                          # a quality judgement on each item makes the items examples: "transcripts rated good by QA"
                          r"\brated\b|\bgraded\b|\baccepted (?:answers?|replies|solutions?)\b|"
                          r"\bmarked (?:as )?(?:good|correct|resolved)\b", re.IGNORECASE)
_CORPUS_WORDS = re.compile(r"\btokens?\b|\bcorpus\b|\barchive\b|\bunlabell?ed\b|\braw text\b|\blibrary\b|\btextbooks?\b|"
                           r"\bdocumentation\b|\bfilings\b|\bliterature\b|\bcase reports\b|\bstatutes\b|\bcommentary\b|"
                           r"\bmanuals\b|\bwiki\b|\bhistory of\b|\bdocuments\b", re.IGNORECASE)
_VOLUME_AFTER = re.compile(r"^[^.;,]{0,25}(?:\b(?:a|per|each|every) |/\s?)(?:day|second|hour|minute|month|week|year|quarter|"
                           r"d|h|mo|yr|wk)\b|"
                           r"^\s*(?:daily|weekly|monthly|yearly|annually)\b",
                           re.IGNORECASE)
_MODEL_SIZE_AFTER = re.compile(r"^\s*(?:-|\s)?(?:param\w*|model|llm|parameter)\b", re.IGNORECASE)
_VAGUE_LARGE = re.compile(r"\b(?:lots|tons|loads|plenty of|lots of|a lot of|tons of|loads of|a large|large|a huge|huge|massive|"
                          r"an enormous|enormous|years of|decades of|a big|big|a sizable|vast|extensive)\b", re.IGNORECASE)
_VAGUE_SMALL = re.compile(r"\b(?:a few|some|a handful of|a little|a small|small|limited|not much|modest)\b", re.IGNORECASE)


# Verbs of choosing between outputs: with the question about comparisons asked, a count beside them counts choices.
_CHOICE_VERBS = re.compile(r"\b(?:picked|picks?|chose|choose|chosen|compared|compares|ranked|ranks|sorted|sorts|"
                           r"preferred|voted|selected)\b", re.IGNORECASE)

_UNIT_STOP = {"on", "at", "with", "for", "and", "from", "in", "to", "by", "per", "that", "which", "we", "it",
              "but", "so", "or", "is", "are", "was", "were", "each"}


def _bare(q: Quantity) -> bool:
    """A figure said in digits alone, with no scale word ("120", "1,800"; not "12 million", "8k")."""
    return bool(re.fullmatch(r"[\d.,\s]+", q.text.strip()))


def _scale(q: Quantity) -> float:
    """The scale word's factor in a figure ("12 million" → 1e6, "8k" → 1e3, "1,5 Mio" → 1e6, "300" → 1), from
    agent.numbers' own tables; "hundred" is no scale a correction keeps ("two hundred, sorry, 20" is 20)."""
    factor = max((numbers.SCALES.get(w) or numbers.LOCALE_SCALES.get(w) or numbers.SUFFIX.get(w) or 1
                  for w in re.findall(r"[a-z]+", q.text.lower())), default=1)
    return float(factor) if factor >= 1_000 else 1.0


def _unit_after(text: str, q: Quantity) -> tuple[str, str]:
    """The noun a quantity counts: the first unit-like word within a few words after it, and the rest."""
    after = text[q.end:q.end + 80].lower()
    after = re.split(r"[.;:!?]|\bbut\b", after)[0]
    words = []
    # "~600 SOPs (Word exported to PDF)": the aside names no unit of the count
    counted = re.split(r"\d|\(", re.sub(r"\([^)]*\)", " ", after))[0]
    # the noun comes before the next number: "1,500 curated examples, ~1,200 tokens each" counts examples
    for w in re.findall(r"[a-z&][a-z&\-]*", counted)[:8]:
        if w == "of" and not words:
            continue
        if w in _UNIT_STOP or len(words) == 5:
            break
        words.append(w)
    return " ".join(words), after


def _clause_at(text: str, position: int) -> str:
    """The clause (between sentence ends, semicolons and contrast words) that holds `position`."""
    start = max([m.end() for m in _CLAUSE_SPLIT.finditer(text, 0, position) if m.end() <= position] or [0])
    following = next((m.start() for m in _CLAUSE_SPLIT.finditer(text, position)), len(text))
    return text[start:following]


# A length said of one item, before the count ("average maybe 600 tokens", "each story ~300 tokens", "prompt ~500
# tokens") or after it ("600 tokens each", "300 words on average", "800 tokens long")
_ITEM = (r"(?:prompts?|inputs?|outputs?|answers?|stor(?:y|ies)|repl(?:y|ies)|responses?|items?|examples?|rows?|"
         r"documents?|docs?|tickets?|dialog(?:ue)?s?|conversations?|chats?|messages?|e-?mails?|letters?|reports?|"
         r"articles?|posts?|entr(?:y|ies)|records?|pairs?|samples?|descriptions?|summar(?:y|ies)|transcripts?|calls?|"
         r"requests?|quer(?:y|ies))")
_ITEM_LENGTH_BEFORE = re.compile(
    r"(?:\b(?:average|avg\.?|averaging|on average|mean (?:of|length)|median|typical(?:ly)?|usually|apiece|each|every|"
    r"per)|\(\s*(?:the\s+)?" + _ITEM + r"|\b(?:each|every|per|one|a single) (?:[\w-]+ )?" + _ITEM +
    r"(?: is| of| runs| at| has)?)"
    r"\s*(?:length\s+|size\s+)?(?:is\s+|of\s+)?(?:maybe\s+|about\s+|around\s+|roughly\s+|approx\.?\s*|~\s*|≈\s*|some\s+)*$", re.I)
_ITEM_LENGTH_AFTER = re.compile(r"^\s*(?:tokens?|words?)\s+(?:each|apiece|a piece|on average|long|in length|"
                                r"(?:per|a|an|every) " + _ITEM + r"\b|(?:average|avg)\b)", re.I)
# "600k ads with final labels", "2,000 tickets and their categories": items that carry their answer
_LABELLED_WITH = re.compile(r"^\s*(?:[\w-]+\s+){1,3}(?:with (?:their |its |the |a )?|and (?:their|its) )(?:final |human |gold |correct |"
                            r"moderator |agent |expert )?(?:labels?|categories|category|classes|codes|verdicts?|"
                            r"outcomes?|decisions?|tags?|"
                            # … or its finished output: "6.800 past orders with the JSON our staff typed"
                            r"json|outputs?|answers?|replies|responses|summaries|translations|transcriptions|sql|"
                            r"corrections|annotations)\b", re.I)
_MADE_N_OF_THESE = re.compile(r"\b(?:wrote|written|drafted|made|created|produced|labell?ed|annotated|graded|"
                              r"corrected)\s+(?:about |around |roughly |over |some |~\s*)?$", re.I)


_VETTED = re.compile(r"^(?:approved|reviewed|accepted|signed[- ]?off|gold|labell?ed|annotated|graded|corrected|"
                     r"vetted|curated|validated|verified|hand-?written|hand-?checked|"
                     # coding is labelling in medicine, surveys and audits: "3,200 coded reports", "hand-coded"
                     r"(?:hand-?|manually-?|expert-?)?coded|tagged|hand-?tagged|hand-?labell?ed)$", re.I)


_MADE_BY_PEOPLE = re.compile(r"^\s*(?:[\w-]+\s+){1,3}(?:written|drafted|approved|reviewed|labell?ed|annotated|corrected|"
                             r"edited|checked|signed off|graded|translated) by (?:our|the|their|a|an|in-house|human|\w+ )",
                             re.I)


def _classify_quantity(text: str, q: Quantity, asked: str | None) -> str | None:
    """Which fact a bare quantity counts: labeled_examples, unlabeled_corpus, preference_data, or None."""
    words, after = _unit_after(text, q)
    first = words.split()[:4]
    if _VOLUME_AFTER.search(after) or _MODEL_SIZE_AFTER.search(after):
        return None
    before = text[max(0, q.start - 40):q.start]
    if any(w in ("tokens", "token", "words", "word") for w in first[:1]) and (
            _ITEM_LENGTH_BEFORE.search(before) or _ITEM_LENGTH_AFTER.match(after)):
        return None  # "average maybe 600 tokens", "each story ~300 tokens": the length of one item, not a corpus
    if re.match(r"^\s*(?:input|output|prompt|completion)\b(?:\s+tokens?)?", after) or re.match(
            r"^\s*tokens?\s+(?:of\s+)?(?:input|output|(?:in|out)(?=\s*(?:,|\+|/|&|\band\b|\d|$)))", after):
        # (… but "3 million tokens in total", "40M tokens in our archive" are a corpus)
        return None  # "~800 input + 200 output tokens each": the size of one request, not text to train on
    sentence_start = max(text.rfind(".", 0, q.start), text.rfind("\n", 0, q.start)) + 1
    sentence_end = min([i for i in (text.find(".", q.end), text.find("\n", q.end)) if i != -1] or [len(text)])
    sentence = text[sentence_start:sentence_end]
    clause = _clause_at(text, q.start)
    if re.match(r"^\s*(?:gb|tb|pb|mb|gigs?|gigabytes|megabytes|terabytes|petabytes)\b", after) and re.match(
            r"^\s*\w+\s+(?:of\s+)?(?:ram|memory|vram|gpu)\b", after):
        return None  # "8 GB RAM": memory, not text
    if re.match(r"^\s*(?:-\s*)?(?:[\w-]+\s+){0,2}(?:system\s+)?prompts?\b", after) and not re.match(
            r"^\s*(?:[\w-]+\s+)?(?:prompts?)\s+(?:with|and|each|that|where|,)", after) and re.match(
            r"^\s*(?:-\s*)?(?:page|line|paragraph|word|sentence|shot|example|k|token)s?\b", after):
        return None  # "a 3-page system prompt", "a 5-shot prompt": the size of the prompt, not a dataset
    if re.match(r"^\s*(?:[\w-]+\s+){0,2}(?:in|inside|within) (?:the|our|my|that|this) (?:system )?prompt\b", after, re.I):
        return None  # "just the 2 in the prompt", "six examples in our prompt": shots of a prompt, not a dataset
    if re.search(r"\b(?:could|would|might|will|plan(?:s|ning)? to|hope to|intend to|aim to)\s+(?:\w+\s+){0,3}"
                 r"(?:about |around |maybe |perhaps |another |a )?$", before, re.I):
        return None  # "reviewers could do a few thousand": what might be collected later is not data held now
    if re.search(r"\b(?:collect|gather|label|annotate|write|create|produce|add|get|need)\w*\s+(?:another\s+|about\s+|around\s+|"
                 r"roughly\s+|some\s+|~\s*)?$", before, re.I) and (
            re.match(r"^\s*(?:more|additional|extra|further)\b", after, re.I) or re.search(r"\banother\s+$", before, re.I)):
        return None  # "collect ~1000 more pairs", "label another 5k": what would be gathered, not data held now
    if re.match(r"^\s*held[- ]?out\b", after) or re.search(
            r"\b(?:measured|scored|evaluated|tested|benchmarked)\s+(?:it\s+|them\s+|both\s+)?(?:on|over|against)\s+"
            r"(?:a |an |the |our )?(?:set of |sample of )?$", before, re.I):
        return None  # "measured on 200 held-out reports": the test set a score was taken on, not data to train on
    if re.match(r"^\s*(?:out of|/|of (?:the|every|each))\s*\d", after) or re.search(
            r"\b(?:out of|in every|in each)\s*$|/\s*$", text[max(0, q.start - 12):q.start], re.I):
        return None  # "7 out of 10 wrong": a ratio, not a count of anything the user has
    question = sentence.rstrip().endswith("?") or text[q.end:].split("\n")[0].find("?") != -1 and not re.search(
        r"[.!;]", text[q.end:].split("?")[0])
    owned = re.search(r"\b(?:our|my|we(?: already)? have|we've got|i have)\s+(?:[\w-]+\s+){0,2}"
                      r"(?:about |around |roughly |some |~)?$", before, re.I)
    if question and len(sentence.split()) >= 5 and not owned and not re.search(
            r"\b(?:maybe|perhaps|about|around|roughly|like|~)\s*$", text[max(0, q.start - 12):q.start], re.I):
        # a count inside a question ("the docs say 50 examples minimum, right?") is no answer; the user's own
        # ("what would a run on our 4,000 examples cost?") is what they have
        return None
    if re.match(r"^\s*(?:thumbs?[- ]?(?:downs?|ups?)|(?:star )?ratings?|stars?|likes|dislikes|upvotes?|downvotes?)\b",
                after, re.I):
        return None  # "1100 thumbs downs": verdicts on single answers; DPO needs two answers compared
    if re.search(r"\bthumbs\b|\bratings?\b|\bstars?\b|\blikes\b", sentence, re.I) and re.search(
            r"\bsingle\b|\bindividual\b|\beach (?:answer|reply|response|output)\b", sentence, re.I):
        return None  # a verdict on one answer at a time compares nothing: no preference pair, no example
    if asked == "prompting_tried" and not CORRECTION.search(text) and not re.search(
            r"\bdata ?set\b|\blabell?ed\b|\btraining (?:data|set)\b|\bwe have\b", clause, re.I):
        return None  # counts in an answer about prompting are its shots, rounds and versions, not a dataset
    if (re.search(r"\bprompt\b|\bfew[- ]?shot\b|\bin-?context\b", clause, re.I)) and (
            any(w in ("examples", "example", "shots", "demonstrations", "samples") for w in first[:3])
            or "worked" in first[:2]) and not re.search(r"\bdata ?set\b|\blabell?ed\b|\btraining (?:data|set)\b", clause, re.I):
        return None  # examples inside a prompt (or in an answer about prompting) are part of the prompt, not a dataset
    if re.match(r"^\s*[a-z]+\s+(?:per|each|for each|a)\s+(?:prompt|question|input|item|query|request|ticket)\b", after):
        return None  # "4 answers per prompt": a rate; the count is the number of prompts
    if first and first[0] in ("pairs", "pair") and _PREF_WORDS.search(text) and not _LABEL_WORDS.search(
            re.sub(r"\bpairs?\b|\bno (?:single )?gold\b|\bexamples?\b", "", sentence, flags=re.I)) and asked != "labeled_examples":
        return "preference_data"  # "only comparisons. 6.500 pairs.": pairs in a message about comparisons
    if asked == "preference_data" and re.search(r"^\s*no\b|\bno (?:pairs|preference|comparisons|rankings)\b", text, re.I) \
            and not (first and first[0] in ("pairs", "pair", "comparisons", "rankings")):
        # "No pairs. We do have 7k edited final versions": the count is of something the question did not ask for
        return "labeled_examples" if first and not _PREF_WORDS.search(clause) else None
    if asked == "preference_data" and (not first or first[0] in ("pairs", "pair", "comparisons", "rankings", "of")) \
            and not re.search(r"\blabell?ed\b|\bgold\b|\binput-output\b", clause, re.I):
        return "preference_data"  # "6,500 pairs" answering the preference question: preference pairs
    if asked in ("inference_constraints", "compute", "budget", "timeline", "team") and not any(
            w in ("tokens", "token", "words", "pages") for w in first[:3]) and not _LABEL_WORDS.search(clause):
        return None  # "10 million docs a night" answering the serving question is volume, not a corpus
    if re.match(r"^\s*(?:gb|gigs?)\b", after) and re.search(r"\b(?:" + _GPU_NAME + r"|gpus?|cards?|vram)\b[^.;]{0,20}$",
                                                          text[max(0, q.start - 30):q.start], re.I):
        return None  # "one RTX 4090 with 24 GB": the card's memory, not text
    if any(w in _TOKEN_UNITS for w in first[:3]) or re.match(r"^\s*(?:gb|tb|mb|gigs?)\b", after):
        return "unlabeled_corpus"
    if re.match(r"^\s*times\b", after):  # "picked the better draft ~5k times": that many comparisons, or no data
        return "preference_data" if _PREF_WORDS.search(sentence) or asked == "preference_data" else None
    if asked == "preference_data" and _CHOICE_VERBS.search(sentence) and not re.search(
            r"\bthumbs\b|\bsingle (?:answers?|outputs?)\b|\bimpressions\b", sentence, re.I):
        return "preference_data"  # "reviewers picked A or B on 12k prompts": each pick is one comparison
    if _PREF_WORDS.search(sentence) and (asked in (None, "preference_data", "problem") or _PREF_WORDS.search(after)):
        if asked != "labeled_examples" or _PREF_WORDS.search(after):
            return "preference_data"
    if any(w in ("picks", "choices", "selections", "votes") for w in first[:4]) and re.search(
            r"\b(?:two|2|both|side by side|which one|keeps? one|kept|pick one|a or b|better of)\b", text, re.I):
        return "preference_data"  # "we show 2 drafts, the user keeps one … ~50k of these picks": each pick is a pair
    if _LABELLED_WITH.match(after) and asked not in ("unlabeled_corpus", "preference_data"):
        return "labeled_examples"  # "600k ads with final labels": each item with its answer is an example
    if re.match(r"^\s*of (?:these|those|them|such)\b", text[q.end:q.end + 20], re.I) and (
            _MADE_N_OF_THESE.search(before) or asked in ("labeled_examples", "data_quality") and re.search(
                r"\b(?:have|'ve got|got)\s+(?:only\s+)?(?:about |around |roughly |some |~\s*)?$", before, re.I)):
        # "our coaches wrote 7,800 of these": finished outputs of the task just described; "we only have 50 of
        # them" while the talk is of examples: the examples
        return "labeled_examples"
    if re.match(r"^\s*(?:[\w-]+\s+){0,3}(?:with no|without|lacking|missing|but no) (?:\w+ )?(?:answers?|labels?|replies|"
                r"responses|outputs?|solutions?)\b|^\s*(?:[\w-]+\s+){0,3}(?:unanswered|unlabell?ed)\b", after, re.I):
        return None  # "10,000 customer questions with no answers": inputs without their outputs are no examples
    if any(w in _EXAMPLE_UNITS for w in first) or any(" ".join(first[i:i + 2]) in _EXAMPLE_UNITS for i in range(3)):
        return "labeled_examples"
    if first and _VETTED.match(first[0]) and len(first) > 1 and asked not in ("unlabeled_corpus", "preference_data"):
        return "labeled_examples"  # "3k approved itineraries": outputs someone checked are examples of the task
    if asked not in ("unlabeled_corpus", "preference_data") and (
            _MADE_BY_PEOPLE.match(after) or re.search(r"\b(?:training )?data ?set of\s*(?:about |around |~)?$",
                                                       text[max(0, q.start - 30):q.start], re.I)):
        # "20,000 claim sets written by our attorneys", "a dataset of 4,000 reports": outputs of the task made by
        # people, or the training set itself — examples, not text to read
        return "labeled_examples"
    if asked not in ("unlabeled_corpus", "preference_data") and _trained_on(text, q.start):
        return "labeled_examples"  # "fine-tune a 7B on 9,000 chat transcripts": what SFT runs on are examples
    if any(w in _DOC_UNITS for w in first):
        if asked == "unlabeled_corpus":
            return "unlabeled_corpus"
        if asked == "labeled_examples" or _LABEL_WORDS.search(sentence):
            return "labeled_examples"
        if any(w in _OUTPUT_UNITS for w in first) and not _CORPUS_WORDS.search(sentence):
            return "labeled_examples"  # "50k past review comments": finished outputs of the task, i.e. examples
        return "unlabeled_corpus"
    if asked in ("labeled_examples", "unlabeled_corpus", "preference_data") and len(clause.split()) <= 8:
        return asked  # "About 800." answers the question; a bare number in a longer sentence needs its noun
    if asked == "labeled_examples" and first and text.lstrip().find(text[q.start:q.end].strip()) <= 12 and (
            q.value >= 20 and not re.search(r"\b(?:years?|months?|weeks?|days?|people|times|percent)\b", " ".join(first[:2]))):
        # the answer opens with a count of a noun the lists do not know ("~400k narratives coded by adjusters",
        # "3,000 approved SDS"): the count of what the question asked for
        return asked
    return None


# A count of examples or pairs below this, said in passing, is about one item's shape ("two candidate replies", "pick
# one", "three reviewers per pair"), not the size of a dataset; asked for directly, it is the answer.
SMALLEST_DATASET = 10
# … and an amount of text below this many tokens (about three pages), said in passing, is one item's length ("40
# short blurbs (50-80 words)", "replies of 200 tokens"), not a corpus to pretrain on
SMALLEST_CORPUS_TOKENS = 2_000


# "fine-tune an 8B model on 6,000 support conversations, ~800 tokens each": what supervised training runs on are
# examples of the task, whatever their length; the same count under "pretrain on" would be a corpus
_TRAINED_ON = re.compile(r"\b(?:fine[- ]?tun\w*|lora|qlora|sft|instruction-?tun\w*|train\w*)\b[^.?!]{0,60}?\bon\s*$", re.I)
_PRETRAINED_ON = re.compile(r"\bpre-?train\w*\b[^.?!]{0,60}?\bon\s*$", re.I)


def _trained_on(text: str, position: int) -> bool:
    """Is the count at `position` what supervised training runs on (see _TRAINED_ON)?"""
    before = text[max(0, position - 90):position]
    return bool(_TRAINED_ON.search(before)) and not _PRETRAINED_ON.search(before)
# A count the user imagines rather than holds: "if we had 10,000", "what if we labelled 5,000 more", or data to be
# generated ("Like 5,000 synthetic examples?"); it is never what they have, so it does not replace what they said
_IMAGINED = re.compile(r"\bif (?:we|i|you) (?:had|got|collected|labell?ed|gathered|bought|generated)\b|\bwhat if\b|"
                       r"\bsynthetic\b|\bgenerat(?:e|ed|ing)\b|\bcould (?:we )?(?:get|make|create|collect)\b", re.I)


def _sentence_start(text: str, position: int) -> int:
    """Where the sentence (ended by . ! ? or a new line) that holds `position` begins."""
    return max(text.rfind(m, 0, position) for m in (".", "!", "?", "\n")) + 1


def _imagined(text: str, q: Quantity) -> bool:
    """Is the count in a sentence that imagines data (see _IMAGINED) and states none the user has?"""
    start = _sentence_start(text, q.start)
    ends = [i for i in (text.find(m, q.end) for m in (".", "!", "?", "\n")) if i != -1]
    sentence = text[start:(min(ends) + 1 if ends else len(text))]
    if not _IMAGINED.search(sentence):
        return False
    question = sentence.rstrip().endswith("?")
    held = re.search(r"\b(?:we|i) (?:already )?(?:have|had|got|'ve got|own|keep)\b|\bwe've\b|\bthere (?:are|is)\b",
                     sentence, re.I)
    return bool(re.search(r"\bif (?:we|i|you) \w+|\bwhat if\b", sentence, re.I)) or (question and not held)


def _data_counts(text: str, asked: str | None, quantities: list[Quantity], skip: set[int]) -> list[Finding]:
    out: dict[str, Finding] = {}
    # "about a thousand per client across 30 clients, so ~30k total": a stated total is the count
    totals = [q for q in quantities if re.match(r"^\s*(?:\w+\s+)?(?:in )?(?:total|overall|altogether|all told)\b",
                                                 text[q.end:q.end + 25], re.I) and q.start not in skip]
    if totals:
        skip = skip | {q.start for q in quantities if q.end <= totals[-1].start}
    # "20k articles, roughly 800 words each": the per-item size multiplies the item count
    for i, q in enumerate(quantities[1:], start=1):
        each = re.match(r"^\s*(words?|pages?|tokens?)\s+(?:each|per (?:\w+))\b", text[q.end:q.end + 30], re.I)
        prev = quantities[i - 1]
        if not each and re.search(r"\beach\s+(?:[\w-]+\s+)?(?:has|is|with|comes with|gets|runs(?: to)?)\s+"
                                  r"(?:a |an |about |around |roughly |~\s*)?$", text[prev.end:q.start], re.I):
            each = re.match(r"^[\s-]*(words?|pages?|tokens?)\b", text[q.end:q.end + 12], re.I)  # "each has a one-page sheet"
            earlier = [x for x in quantities[:i] if x.start >= _sentence_start(text, q.start)]
            if each and earlier:  # "1,800 wines from 12 regions, each has …": each of the items, the sentence's largest count
                prev = max(earlier, key=lambda x: x.value)
        noun = _unit_after(text, prev)[0].split()
        vetted = noun[:1]
        examples = any(w in _EXAMPLE_UNITS for w in noun)
        if not each and examples and re.match(r"^\s*(?:words?|pages?|tokens?)\b", text[q.end:q.end + 12], re.I) and \
                re.search(r"^[^.;]{0,12}\b(?:of|averaging|avg\.?|at)\s*(?:about |around |roughly |~)?$", text[prev.end:q.start], re.I):
            each = True  # "2,300 examples of 900 tokens": the examples' length
        if each and vetted and (_VETTED.match(vetted[0]) or examples) and asked != "unlabeled_corpus":
            # "3k approved itineraries, ~600 tokens each", "4,200 commit → note pairs, ~600 tokens each": examples,
            # and their length
            skip = skip | {q.start}
            continue
        if each and _trained_on(text, prev.start) and asked != "unlabeled_corpus":
            skip = skip | {q.start}  # "fine-tune ... on 6,000 conversations, ~800 tokens each": examples
            continue
        if each and prev.start not in skip and re.search(r"\b(?:of|,|with)\b|,", text[prev.end:q.start]):
            unit = each.group(1).lower().rstrip("s") + "s"
            value = prev.value * q.value * _TOKEN_UNITS[unit]
            out["unlabeled_corpus"] = Finding("unlabeled_corpus", int(round(value)),
                                              text[max(0, prev.start - 10):q.end + 20].strip(),
                                              0.9 if asked == "unlabeled_corpus" else 0.75, end=q.end)
            skip = skip | {prev.start, q.start}
    last: dict[str, Quantity] = {}  # the quantity each finding came from
    converted: dict[str, bool] = {}  # whether that quantity was converted to tokens by a stated factor
    last_factor: dict[str, float] = {}  # the factor it was converted by (1.3 tokens a word …)

    def words_of(q: Quantity) -> bool:  # a unit word follows the figure
        return any(w in _TOKEN_UNITS or w in _DOC_UNITS or w in _EXAMPLE_UNITS for w in _unit_after(text, q)[0].split()[:2])
    for q in quantities:
        if q.start in skip:
            continue
        fact = _classify_quantity(text, q, asked)
        if fact is None:
            continue
        if fact != asked and _imagined(text, q):
            continue  # "Like 5,000 synthetic examples?": data they might make, not data they have
        if fact in ("labeled_examples", "preference_data") and fact != asked and q.value < SMALLEST_DATASET:
            continue  # "we show two phrasings and devs pick one": the shape of one item, not the size of a dataset
        factor = 1.0
        if fact == "unlabeled_corpus":
            words, _ = _unit_after(text, q)
            first = words.split()[:3]
            factor = next((_TOKEN_UNITS[w] for w in first if w in _TOKEN_UNITS), None)
            if factor is None:
                factor = 1_500 if any(w in _DOC_UNITS for w in first) else 1
            if fact != asked and q.value * factor < SMALLEST_CORPUS_TOKENS and not re.match(
                    r"^\s*(?:\w+\s+){0,2}(?:in )?(?:total|overall|altogether|all told)\b", text[q.end:q.end + 30], re.I):
                continue
        corrects = fact in out and fact in last and _corrected(text, [last[fact], q]) is not None
        if corrects and _bare(q) and not words_of(q):
            # "2 million tokens, sorry, 20", "120 million words (I wrote 12 million, it is 120)": a bare corrected
            # figure keeps the scale and the unit of the one it corrects
            q = Quantity(q.value * _scale(last[fact]), q.start, q.end, q.text, q.vague)
            factor = last_factor.get(fact, factor)
        if fact in out and fact in last and not corrects and last[fact].vague and not q.vague:
            pass  # "few — … so around 300": the figure says what the vague word only guessed
        elif fact in out and fact in last and not corrects:
            says_tokens = bool(re.match(r"tokens?\b", _unit_after(text, q)[0]))
            counted_in_tokens = fact == "unlabeled_corpus" and factor == 1 and says_tokens and converted.get(fact)
            if not (fact == "preference_data" and q.value > out[fact].value) and not counted_in_tokens:
                # "ranked 3 outputs per prompt for 2,500 prompts": the count is the larger number; "2 PB raw, ~900B
                # tokens after our tokenizer": a count in tokens beats one converted from bytes or pages
                continue
        value = q.value * factor
        converted[fact] = factor != 1
        last_factor[fact] = factor
        conf = 0.9 if asked == fact else 0.75
        if _guessed(text, q):
            conf = TENTATIVE
        out[fact] = Finding(fact, int(round(value)), text[max(0, q.start - 30):q.end + 50].strip(), conf,
                            correction=fact in out, end=q.end)
        last[fact] = q
    low = text.lower()
    # "none", "no labeled data", "only the comparisons": zero
    zero_labeled = re.search(r"\b(?:don'?t|do not) have (?:a|any) (?:\w+ )?data ?set\b|"
                             r"\bno (?:[\w'-]+ )?(?:labell?ed|annotated|gold|single gold|training|reference|ideal|target) "
                             r"(?:data|examples|answers|pairs|set|outputs|texts)\b|"
                             r"\bnone (?:really|yet|at all)?\b|\bdon'?t have (?:any )?(?:labell?ed|training|gold) (?:data|examples|"
                             r"pairs|answers|outputs)\b|\bno (?:labell?ed |training )?data ?sets?\b|\bno examples\b|"
                             r"\bonly the comparisons\b|\bzero (?:labell?ed )?examples\b|\bzero labell?ed\b", low)
    about_prompt = asked == "prompting_tried" or (zero_labeled and re.search(
        r"\b(?:zero|few|one)-?shot\b|\bin (?:the|our|my) prompt\b", _clause_at(low, zero_labeled.start())))
    if zero_labeled and about_prompt and not re.search(r"\bdata ?sets?\b|\blabell?ed\b|\btraining\b", zero_labeled.group(0)):
        zero_labeled = None  # "just zero-shot, no examples": none in the prompt, which says nothing of a dataset
    if "labeled_examples" not in out and zero_labeled and (asked == "labeled_examples" or "label" in low or "example" in low
                                                           or "data" in zero_labeled.group(0)):
        out["labeled_examples"] = Finding("labeled_examples", 0, text, 0.9 if asked == "labeled_examples" else 0.7)
    if asked != "preference_data" and "preference_data" not in out and re.search(
            r"\bno (?:preference|comparison|ranking|pairwise)(?: data| pairs| comparisons|s)?\b", low):
        out["preference_data"] = Finding("preference_data", 0, text, 0.7)  # "no labeled data and no preference data"
    if asked == "labeled_examples" and "labeled_examples" not in out and (NO.search(text) or re.search(
            r"\b(?:we )?(?:have|got) nothing\b|\bnothing (?:at all|yet|labell?ed)\b|\bnone (?:at all|yet)\b|"
            # "designers edited the winners, but we didn't keep the edits": whatever was made is gone
            r"\b(?:didn'?t|did not|never|don'?t|do not|weren'?t|were not|wasn'?t|was not) (?:\w+ )?(?:keep|kept|save|saved|"
            r"store|stored|record|recorded|log|logged|archive|archived)\b", text, re.I)):
        out["labeled_examples"] = Finding("labeled_examples", 0, text, 0.8)
    if asked == "preference_data" and "preference_data" not in out:
        if NO.search(text) or re.search(r"\b(?:haven'?t|have not|didn'?t|did not|never) (?:yet )?(?:collected|gathered|recorded|"
                                        r"built|got|made) any\b|"
                                        r"\bno (?:preference|comparison|ranking)s?\b|\bnone\b|(?:^|[.!?]\s+)(?:no|nope)\b[,.]?"
                                        r"\s*(?:nothing|none|not)?", low):
            out["preference_data"] = Finding("preference_data", 0, text, 0.8)
        elif YES.search(text):
            out["preference_data"] = Finding("preference_data", 1_000, text, 0.4)
    if asked == "labeled_examples" and "labeled_examples" not in out and _VAGUE_LARGE.search(text):
        out["labeled_examples"] = Finding("labeled_examples", 5_000, text, 0.4)  # "lots", "years of tickets"
    if asked == "labeled_examples" and "labeled_examples" not in out and YES.search(text):
        out["labeled_examples"] = Finding("labeled_examples", 500, text, 0.3)
    if "unlabeled_corpus" not in out:
        corpus_sentence = next((s for s in _sentences(text) if _CORPUS_WORDS.search(s)), None)
        if asked == "unlabeled_corpus" or corpus_sentence:
            s = corpus_sentence or text
            if re.search(r"\bno (?:unlabell?ed |raw |domain )?(?:text|corpus|documents|archive|data)\b", s, re.I) or (
                    asked == "unlabeled_corpus" and re.search(r"^\s*(?:no|none|nothing)\b", s, re.I)):
                out["unlabeled_corpus"] = Finding("unlabeled_corpus", 0, s, 0.8)
            elif re.search(r"\b(?:billions|tens of billions)\b", s, re.I):
                pass  # already a quantity
            elif _VAGUE_LARGE.search(s) and (asked == "unlabeled_corpus" or _CORPUS_WORDS.search(s)):
                out["unlabeled_corpus"] = Finding("unlabeled_corpus", 500_000_000, s, 0.5)
            elif _VAGUE_SMALL.search(s) and asked == "unlabeled_corpus":
                out["unlabeled_corpus"] = Finding("unlabeled_corpus", 5_000_000, s, 0.4)
            elif asked == "unlabeled_corpus" and YES.search(text):
                out["unlabeled_corpus"] = Finding("unlabeled_corpus", 100_000_000, s, 0.3)
    return list(out.values())


# ---- retractions, pasted text, other languages ---------------------------------------------------------------------

# Words that name each fact, for "forget what I said about the budget" and "not X" (one list per fact; the first
# few words of a retraction are matched against them).
FACT_NOUNS: dict[str, str] = {
    "budget": r"budget|money|dollars|spend",
    "timeline": r"timeline|deadline|dates?|timing|schedule",
    "labeled_examples": r"(?:number of |count of )?(?:labell?ed )?examples|dataset size|labell?ed data|training data",
    "unlabeled_corpus": r"corpus|raw text|documents|tokens|archive",
    "preference_data": r"preference(?: data)?|comparisons|rankings",
    "compute": r"compute|gpus?|hardware|machines?",
    "weights_allowed": r"weights|licen[cs]es?|open models",
    "data_sensitivity": r"sensitivity|privacy|confidentiality|regulat\w*|sensitive|pii|compliance",
    "team": r"team|people|engineers",
    "prompting_tried": r"prompt(?:ing|s)?",
    "knowledge_changes": r"updates|how often|change frequency",
    "data_quality": r"quality",
    "domain_novelty": r"domain",
    "inference_constraints": r"serving|latency|constraints",
    "problem": r"problem|what(?:'s| is) failing|issue",
}
_RETRACT_VERB = re.compile(r"\b(?:forget|scratch|ignore|disregard|strike|drop|withdraw|take back|cancel|delete|"
                           r"remove|never ?mind|unsay)\b\s+(?:about\s+)?(?:what i (?:said|told you|wrote|gave)(?: you)?"
                           r"(?: about| on| for)?|my (?:earlier|previous|last|first)?|the|that|all)?\s*", re.IGNORECASE)
_NOT_KNOWN_NOW = re.compile(r"\b(?:i )?(?:don'?t|do not) know (?:the |our |about the )?(?P<what>[\w ]{3,30}?)"
                            r"(?: situation| anymore| any more)\b|\b(?P<what2>[\w ]{3,25}?) (?:is|isn'?t|are|aren'?t) "
                            r"(?:not )?(?:decided|settled|known)(?: yet)?\b|\blegal hasn'?t decided\b", re.IGNORECASE)
_WRONG = re.compile(r"^\s*(?:no,?\s*)?(?:that'?s|that is|this is|you'?re|you are) (?:wrong|not right|incorrect|"
                    r"not what i (?:said|meant))\b", re.IGNORECASE)


_ADMITTED = re.compile(r"\b(?:i was|i'?m|we were) (?:wrong|mistaken) about\s+(?:the\s+|our\s+|my\s+)?|"
                       r"\b(?:not sure|unsure|no longer sure) (?:about|of)\s+(?:the\s+|our\s+|my\s+)?(?=[^.]{0,50}\bany ?more\b)",
                       re.IGNORECASE)


def _retractions(text: str) -> list[str]:
    """Facts the message withdraws."""
    found: list[str] = []
    for m in _ADMITTED.finditer(text):  # "I was wrong about the GPUs — let me check": withdrawn until said again
        window = text[m.end():m.end() + 40].lower()
        for fact, nouns in FACT_NOUNS.items():
            if re.match(r"^(?:[\w-]+\s+){0,3}(?:" + nouns + r")\b", window) and fact not in found:
                found.append(fact)
                break
    for m in _RETRACT_VERB.finditer(text):
        window = text[m.end():m.end() + 40].lower()
        for fact, nouns in FACT_NOUNS.items():
            if re.match(r"^(?:\w+\s+){0,3}(?:" + nouns + r")\b", window) and fact not in found:
                found.append(fact)
                break
    for m in _NOT_KNOWN_NOW.finditer(text):
        what = (m.group("what") or m.group("what2") or "weights").lower()
        for fact, nouns in FACT_NOUNS.items():
            if re.search(r"\b(?:" + nouns + r")\b", what) and fact not in found:
                found.append(fact)
                break
    return found


# Pasted text that is no answer, line by line: e-mail headers and quoted mail, signatures and disclaimers, logs and
# tracebacks, meeting invites, page furniture. Such lines are blanked before reading (offsets kept).
_NOISE_LINE = re.compile(
    r"^\s*(?:from|to|cc|bcc|subject|sent|date|reply-to)\s*:|^\s*-{3,}.*(?:forwarded|original) message|^\s*-{2,}\s*$|"
    r"^\s*>|[\w.+-]+@[\w-]+\.\w+|\b(?:t|tel|phone|m|mob|fax)\.?\s*\+?\d[\d\s()/-]{6,}|"
    r"\b(?:this e-?mail|confidential(?:ity)? notice|do not (?:distribute|forward)|intended (?:solely |only )?for|"
    r"unsubscribe|sent from my)\b|^\s*\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}|^\s*\[?\d{2}:\d{2}(?::\d{2})?\]?\s|"
    r"^\s*(?:info|warn|warning|error|debug|trace|fatal)\b|traceback \(most recent call last\)|^\s*file \".*\", line \d+|"
    r"^\s*\w+(?:error|exception):|\b(?:join (?:zoom|teams|the meeting)|meeting id|passcode|dial-?in|calendar invite)\b|"
    r"^\s*page \d+ of \d+|^\s*(?:https?://|www\.)\S+\s*$|"
    r"^\s*[{\[]\s*\"[\w.-]+\"\s*:.*$|^\s*\"[\w.-]+\"\s*:\s*[^,]+,?\s*$", re.IGNORECASE)
_LONG_PASTE_WORDS = 300  # a message this long is mostly not an answer: what it says is read back before it counts
_HEAD_WORDS = 30  # …except its head (first sentence, ≤ 30 words): the user's own framing of the paste


# What the user quotes the advisor as saying is the advisor's words, not the user's facts: "you said rent a cloud
# A100. no." (blanked to its clause's end, so "…, but we have 3,000" after it is still read)
_YOU_SAID = re.compile(r"(?:\b(?:as )?you(?:'ve| have)? (?:said|suggested|suggest|recommended|recommend|proposed|propose|"
                       r"mentioned|told (?:me|us)|wanted|asked (?:me|us) to|want (?:me|us) to)\b|"
                       # "your plan says label 3 000 examples first", "the advisor recommended a 7B"
                       r"\b(?:your|the advisor'?s?|tunewise'?s?) (?:plan|advice|recommendation|suggestion|estimate|card)?"
                       r"\s*(?:says|said|suggests|suggested|recommends|recommended|wants|proposes|proposed|is to)\b)"
                       r"[^.;!?\n]*?(?=[.;!?\n]|,? but\b|$)", re.I)


def _blank_noise(text: str) -> tuple[str, bool]:
    """The text with pasted non-answer lines blanked (same length), and whether any was found. Lines between a
    forwarded-message header and the next separator are the forwarded mail, and go too."""
    out, noise, quoted = [], False, False
    for line in text.split("\n"):
        header = bool(re.search(r"-{3,}.*(?:forwarded|original) message", line, re.I))
        if header:
            quoted = True
        elif quoted and re.match(r"^\s*-{3,}\s*$", line):
            quoted = False
            out.append(" " * len(line))
            noise = True
            continue
        if quoted or _NOISE_LINE.search(line):
            out.append(" " * len(line))
            noise = True
        else:
            out.append(line)
    return "\n".join(out), noise


# Function words of other languages (a message is foreign when it has several of one language's and fewer English
# ones); single foreign words in an English answer ("ja", "Beispiele") do not make it foreign.
FOREIGN_WORDS = {
    "German": set("der die das und ist nicht wir haben ein eine mit für auf ich sie es zu von den dem sind auch "
                  "noch nur aber oder wie was wenn kein keine unsere unser".split()),
    "French": set("le la les et est pas nous avons un une avec pour sur je vous il elle de des du sont aussi mais "
                  "ou comme que qui notre nos très".split()),
    "Spanish": set("el la los las y es no nosotros tenemos un una con para sobre yo usted de del son también pero "
                   "o como que quien nuestro nuestra muy".split()),
    "Portuguese": set("o a os as e é não nós temos um uma com para sobre eu você de do da são também mas ou como "
                      "que quem nosso nossa muito".split()),
    "Italian": set("il lo la gli le e è non noi abbiamo un una con per su io lei di del della sono anche ma o come "
                   "che chi nostro nostra molto".split()),
    "Dutch": set("de het een en is niet wij hebben met voor op ik u van zijn ook maar of hoe wat als geen onze".split()),
}
UNDERSTOOD_LANGUAGES = ("English",)


def foreign_language(text: str) -> str | None:
    words = re.findall(r"[a-zà-ÿ']+", text.lower())
    if len(words) < 4:
        return None
    english = sum(w in _STOPWORDS for w in words)
    best, count = None, 0
    for language, vocabulary in FOREIGN_WORDS.items():
        hits = sum(w in vocabulary and w not in _STOPWORDS for w in words)
        if hits > count:
            best, count = language, hits
    return best if count >= 3 and count > english else None


# Facts whose reading in passing (the question asked was about another fact) rests on single words: held only
# after a read-back. Counts with their noun, money, durations and GPUs carry their own evidence and stay.
_WEAK_IN_PASSING = {"data_quality", "data_sensitivity", "inference_constraints", "domain_novelty", "team",
                    "knowledge_changes", "weights_allowed"}
IN_PASSING = 0.45
# …except where the passing fact describes the very thing the question asked about: "20k, but auto-labelled by a
# regex" answers the count and, about the same examples, their quality; "public docs, and yes, open weights are
# allowed" answers both halves of the data-and-model policy. Such a finding is held, below CONFIRM (read back once
# when the advice depends on it). A regulated category named outright ("HIPAA", "PCI scope") is held the same way.
SAME_SUBJECT = {"labeled_examples": {"data_quality"}, "preference_data": {"data_quality"},
                "problem": {"inference_constraints"},  # "what fails is the bill and the wait": the serving constraint
                "data_sensitivity": {"weights_allowed"}, "weights_allowed": {"data_sensitivity"}}
HELD_IN_PASSING = 0.55


# ---------------------------------------------------------------------------------------------------------------

_READERS = {
    "problem": _problem,
    "prompting_tried": _prompting,
    "data_quality": _quality,
    "knowledge_changes": _changes,
    "data_sensitivity": _sensitivity,
    "weights_allowed": _weights,
    "domain_novelty": _novelty,
    "team": _team,
    "inference_constraints": _inference,
    "compute": _compute,
}


def extract(text: str, asked: str | None = None) -> Extraction:
    """Read one user message. `asked` is the fact the advisor's last question asked for, if any: a short answer
    ("Yes.", "About 800", "Weekly") is read as the answer to that question."""
    result = Extraction()
    text = _clean(text or "")
    if len(text) > MAX_CHARS:
        text, result.truncated = text[:MAX_CHARS], True
    if not text.strip():
        return result
    result.injection = bool(INJECTION.search(text))
    result.foreign = foreign_language(text)
    text, result.noise = _blank_noise(text)
    text = _YOU_SAID.sub(lambda m: " " * len(m.group(0)), text)
    stripped = text.strip()
    if not stripped:
        return result
    result.text = stripped
    result.retracts = _retractions(stripped)
    result.wrong = bool(_WRONG.search(stripped))
    result.launch_request = bool(LAUNCH.search(stripped))
    result.approval = bool(APPROVAL.search(stripped))
    correction = bool(CORRECTION.search(stripped))

    quantities = find_quantities(stripped)
    findings: list[Finding] = []
    for fact, reader in _READERS.items():
        got = reader(stripped, asked)
        if got:
            value, words, conf = got
            findings.append(Finding(fact, value, words, conf))
    money = _money_quantities(stripped, quantities)
    got = _budget(stripped, asked, quantities)
    if got:
        findings.append(Finding("budget", got[0], got[1], got[2]))
    got = _timeline(stripped, asked, quantities)
    if got:
        findings.append(Finding("timeline", got[0], got[1], got[2]))
    # quantities already read as money, GPU counts, durations or latencies are not data counts
    skip = {q.start for q in money}
    for q in quantities:
        after = stripped[q.end:q.end + 30].lower()
        if re.match(r"^\s*(?:x\s*)?(?:nvidia\s+|rtx\s+)?(?:" + _GPU_NAME + r"|gpus?|cards|nodes?)\b", after):
            skip.add(q.start)
        if re.match(r"^\s*(?:ms|milliseconds?|seconds?|s\b|hours?|days?|weeks?|months?|years?|%|percent|clients?|"
                     r"categories|classes|languages|engineers?|people|annotators|labell?ers|employees|users|customers|teams?|groups?|"
                     r"guidelines|rounds|iterations|versions|steps|tags|labels|queues|intents|fields|sections|"
                     r"columns|types|tiers|rules|researchers|phds|devs?|developers|side by side)(?![a-z])", after) or \
                q.value <= 10 and re.match(r"^\s*(?:problems|issues|things|reasons|points|goals|concerns|questions)\s*(?:[,:;.!]|$)",
                                           after) or \
                re.search(r"\b(?:better|best|one|either|both|each) of\s*$", stripped[max(0, q.start - 16):q.start], re.I):
            # "the better of two drafts": how many were compared, not how many comparisons
            skip.add(q.start)
    for q, nxt in zip(quantities, quantities[1:]):
        if re.fullmatch(r"\s*(?:in|out of|of every|for every|every)\s*", stripped[q.end:nxt.start], re.I):
            skip |= {q.start, nxt.start}  # "1 in 50 stops": a rate, neither figure a count of anything held
    findings.extend(_data_counts(stripped, asked, quantities, skip))
    dont_know = bool(DONT_KNOW.search(stripped))
    if asked in prototypes.PROTOTYPES and asked != "problem" and not any(f.fact == asked for f in findings) \
            and not dont_know and len(stripped.split()) <= 40:
        # an answer to the question in no word of the lexicon: its nearest prototype, held low (read back)
        clauses = [c for c in _clauses(stripped) if not _NEG.search(c)]
        best = max(prototypes.nearest(asked, clauses), key=lambda hit: hit[1], default=None)
        if best:
            findings.append(Finding(asked, best[0], best[2], 0.55))
    if asked in answer_model.facts() and not any(f.fact == asked or f.confidence >= HOLD for f in findings) \
            and not (dont_know or result.foreign or result.noise) \
            and len(stripped.split()) <= _CLASSIFIED_WORDS:
        # an answer neither the lexicon nor a prototype reads: the value other people's English answers like it
        # stated. Not when it plainly states another fact (it answers another question than the one asked), nor
        # in a language the reader does not understand, nor beside pasted text.
        got = answer_model.classify(asked, stripped)
        if got:
            findings.append(Finding(asked, got[0], stripped, answer_model.CONFIDENCE))

    if dont_know and asked:
        # "I don't know" answers the asked fact only; other facts said alongside still count. A value stated in a
        # sentence of its own beside the doubt ("Mostly format? Maybe tone. Hard to say.") is the user's hedged
        # answer: kept, below HOLD, for a read-back; a doubt in the same sentence as the value takes it back.
        kept = [f for f in findings if f.fact != asked]
        sure = [sent for sent in _sentences(stripped) if not DONT_KNOW.search(sent)]
        if asked == "problem" and sure and len(sure) < len(_sentences(stripped)):
            hedged = _problem(" ".join(sure), asked)
            if hedged and hedged[0]:
                kept.append(Finding("problem", hedged[0], hedged[1], TENTATIVE))
        findings = kept
    result.dont_know = dont_know
    long_paste = len(stripped.split()) > _LONG_PASTE_WORDS
    own_words: dict[str, Any] = {}
    if long_paste:
        # The user's own framing is the head (the first sentence, at most 30 words); what only the rest
        # implies is pasted text, read back before it counts.
        head = " ".join(re.split(r"(?<=[.!?])\s+|\n", stripped)[0].split()[:_HEAD_WORDS])
        own_words = {f.fact: f.value for f in extract(head, asked).findings}
    for f in findings:
        if correction:
            f.correction = True
        if asked and f.fact != asked and f.fact in _WEAK_IN_PASSING:
            strong = f.fact in SAME_SUBJECT.get(asked, set()) or (
                f.fact == "data_sensitivity" and _find(SENS_REGULATED, stripped) is not None) or (
                f.fact == "knowledge_changes" and f.value == "frequent" and bool(
                    re.search(r"\b(?:daily|weekly|monthly|hourly)\b", f.words, re.I) or _EVERY.search(f.words)))
            # a named period ("the catalog changes daily") is evidence enough to hold, read back when decisive
            f.confidence = min(f.confidence, HELD_IN_PASSING if strong else IN_PASSING)
        if long_paste and own_words.get(f.fact) != f.value:
            f.confidence = min(f.confidence, 0.4)  # a long paste is not an answer: read back anything it implies
    findings = [f for f in findings if f.fact not in result.retracts]
    if result.wrong and len(stripped.split()) <= 6:
        findings = []  # "No, that's wrong.": a withdrawal, not a "no" to the question asked
    result.findings = findings

    for sentence in re.split(r"(?<=[?])\s*|\n", unquoted(stripped)):
        if sentence.strip().endswith("?") and SIDE_QUESTION.search(sentence):
            result.side_question = sentence.strip()
            break
    result.gibberish = not findings and not dont_know and not result.side_question and not _looks_like_language(stripped)
    return result
