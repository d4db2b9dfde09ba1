"""The checks that catch what silently hurts training, run on a stream of examples with bounded memory.

Per example (each a located error or warning):
    empty_content            an assistant turn (without a tool call) or a rejected answer is empty: an error
    empty_user_content       a user turn is empty: a warning (the model learns to answer nothing)
    no_user_message          a conversation without any user turn: a warning (OpenAI's data-preparation guide counts
                             these; the model learns to speak unprompted)
    control_tokens           content holds the target tokenizer's control tokens (`<|im_start|>`, `<|endoftext|>`):
                             they would be read as template structure, not text — an error
    chosen_equals_rejected   a preference pair with identical answers teaches nothing: an error
Over the file (kept as 8-byte hashes and line numbers, not as rows):
    duplicates / near_duplicates   exact repeats, and repeats after folding case and whitespace (warnings); the
                                   file is judged on its unique examples (40 copies of one row are one example)
    split_overlap            a validation/test example whose prompt (normalised) is in training: an error above
                             OVERLAP_ERROR_SHARE of that file, a warning below
    truncated                examples longer than max_seq_len: count, lines and how many tokens are cut
Token counts come from the tokenizer in batches: content tokens plus the chat template's own tokens, which are
measured once per turn pattern (roles and weights) by rendering that pattern exactly; tool-call conversations and
truncated multi-turn examples are rendered exactly. `TokenMeter.checked` compares the estimate with an exact
render on the first examples and the report states the largest difference.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.formats.example import Example, Issue

MIN_EXAMPLES = 10  # unique examples below this leave nothing to evaluate on: an error
FEW_EXAMPLES = 100  # below this the guidance expects little gain: a warning
OVERLAP_ERROR_SHARE = 0.01  # more than 1 % of a held-out file repeating training prompts: an error
MAX_LINES = 1000  # line numbers kept per warning; the counts stay exact
CHUNK = 512  # examples tokenized per batch
TOKENIZE_ALL = 20_000  # the first examples are all tokenized; after them one in SAMPLE_STRIDE (weighted by it)
SAMPLE_STRIDE = 10
BYTES_PER_CHAR = 4  # UTF-8 bound; a byte-level BPE token holds at least one byte (plus 1 per content for SentencePiece)
EXACT_SAMPLE = 32  # examples rendered exactly to check the token estimate
MAX_EXACT = 2000  # exact renders at most (tool calls, truncated multi-turn); beyond, the estimate is used
HASH_MASK = (1 << 63) - 1
# Control tokens of common chat templates, checked when no tokenizer is given (a warning then, not an error).
COMMON_CONTROL_TOKENS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|start_header_id|>",
                         "<|end_header_id|>", "<|begin_of_text|>", "[INST]", "[/INST]", "<start_of_turn>",
                         "<end_of_turn>", "<|user|>", "<|assistant|>", "<|system|>")

FEW_EXAMPLES_ADVICE = (
    "fewer than 100 good examples rarely give a meaningful gain; 200-500 high-quality examples typically produce "
    "measurable change for format and style tasks, and 2,000-10,000 are needed to shift domain behaviour. "
    "Try a structured prompt with few-shot examples first, or collect more examples before training"
)


@dataclass
class Warning_:
    code: str
    message: str
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "count": self.count, "lines": self.lines[:MAX_LINES]}


def lines_text(lines: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, lines[:limit]))
    return shown + (f", … ({len(lines) - limit} more)" if len(lines) > limit else "")


def normalise(text: str) -> str:
    return " ".join(text.casefold().split())


def _h(text: str) -> int:
    return hash(text) & HASH_MASK  # salted per process: only compared within one validation run


class Located:
    """Lines of one kind of finding: an exact count, the first MAX_LINES line numbers."""

    def __init__(self):
        self.count, self.lines = 0, []

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.lines) < MAX_LINES:
            self.lines.append(line)


def control_token_pattern(tokenizer) -> tuple[re.Pattern | None, bool]:
    """(pattern of control tokens, from_tokenizer). The tokenizer's special and added-special tokens, else the
    common list."""
    tokens: set[str] = set()
    if tokenizer is not None:
        tokens.update(t for t in getattr(tokenizer, "all_special_tokens", []) if len(t) > 1)
        for added in getattr(tokenizer, "added_tokens_decoder", {}).values():
            content = getattr(added, "content", str(added))
            if getattr(added, "special", False) and len(content) > 1:
                tokens.add(content)
    from_tokenizer = bool(tokens)
    if not tokens:
        tokens = set(COMMON_CONTROL_TOKENS)
    ordered = sorted(tokens, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))), from_tokenizer


class RowChecks:
    """The per-example checks; `check(example)` returns its located errors and notes its warnings."""

    def __init__(self, tokenizer):
        self.pattern, self.strict_tokens = control_token_pattern(tokenizer)
        self.empty_user = Located()
        self.no_user = Located()  # conversations with no user turn at all
        self.no_system = 0  # conversations without a system turn (counted, as OpenAI's guide does; not a problem)
        self.control_warned = Located()  # control tokens found when judged against the common list only
        self._last_warned = 0

    def check(self, example: Example) -> list[Issue]:
        issues = []
        line = example.line
        has_user = has_system = False
        for i, m in enumerate(example.messages):
            has_user = has_user or m["role"] == "user"
            has_system = has_system or m["role"] == "system"
            content = m.get("content") or ""
            if not content.strip():
                if m["role"] == "assistant" and not m.get("tool_calls"):
                    issues.append(Issue(line, "empty_content", f"turn {i + 1} (assistant) is empty: the model would "
                                        "learn to answer nothing"))
                elif m["role"] == "user":
                    self.empty_user.add(line)
                continue
            found = self.pattern.search(content)
            if found:
                self._control(issues, line, f"turn {i + 1} ({m['role']})", found.group())
        if example.messages and not has_user:
            self.no_user.add(line)
        if example.messages and not has_system:
            self.no_system += 1
        if example.text is not None:
            found = self.pattern.search(example.text)
            if found:
                self._control(issues, line, "the text", found.group())
        if example.rejected is not None:
            if not example.rejected.strip():
                issues.append(Issue(line, "empty_content", "the rejected answer is empty"))
            elif normalise(example.rejected) == normalise(example.reference):
                issues.append(Issue(line, "chosen_equals_rejected", "chosen and rejected are the same answer: the pair "
                                    "teaches no preference"))
            found = self.pattern.search(example.rejected)
            if found:
                self._control(issues, line, "the rejected answer", found.group())
        return issues

    def _control(self, issues: list[Issue], line: int, where: str, token: str) -> None:
        if self.strict_tokens:
            issues.append(Issue(line, "control_tokens", f"{where} contains the control token {token!r} of the target "
                                "tokenizer: it would be read as chat-template structure, not text — remove it"))
        elif self._last_warned != line:  # one count per example, however many turns hold tokens
            self.control_warned.add(line)
            self._last_warned = line


class Repeats:
    """Exact and near-duplicate examples, and the prompt keys for overlap, as 8-byte hashes (8 MB per 1 M rows)."""

    def __init__(self):
        self.exact, self.near, self.prompts, self.lines = array("q"), array("q"), array("q"), array("q")

    def add(self, example: Example) -> None:
        key = example.key()
        self.exact.append(_h(key))
        self.near.append(_h(normalise(key)))
        self.prompts.append(_h(normalise(example.prompt_key())))
        self.lines.append(example.line)

    @staticmethod
    def _repeats(hashes: array) -> np.ndarray:
        """Indices of entries that repeat an earlier one."""
        values = np.frombuffer(hashes, dtype=np.int64) if len(hashes) else np.zeros(0, np.int64)
        _, first = np.unique(values, return_index=True)
        mask = np.ones(len(values), dtype=bool)
        mask[first] = False
        return np.flatnonzero(mask)

    def findings(self) -> tuple[list[int], list[int]]:
        """(lines of exact duplicates, lines of near-duplicates that are not exact ones), in file order."""
        exact = self._repeats(self.exact)
        near = np.setdiff1d(self._repeats(self.near), exact)
        lines = np.frombuffer(self.lines, dtype=np.int64) if len(self.lines) else np.zeros(0, np.int64)
        return lines[exact].tolist(), lines[near].tolist()

    def overlapping(self, other: "Repeats") -> list[int]:
        """Lines of `other` whose normalised prompt is one of ours."""
        if not len(self.prompts) or not len(other.prompts):
            return []
        ours = np.frombuffer(self.prompts, dtype=np.int64)
        theirs = np.frombuffer(other.prompts, dtype=np.int64)
        return np.frombuffer(other.lines, dtype=np.int64)[np.isin(theirs, ours)].tolist()


def template_supports_tools(tokenizer) -> bool:
    """Does the chat template render tool calls and tool results? (A template that drops them would train the
    model on conversations with the calls silently missing.)"""
    probe = [{"role": "user", "content": "q"},
             {"role": "assistant", "content": "", "tool_calls": [{"id": "c0", "type": "function", "function": {
                 "name": "probe_tool", "arguments": {"probe_argument": "probe_value"}}}]},
             {"role": "tool", "content": "probe_result", "tool_call_id": "c0"},
             {"role": "assistant", "content": "done"}]
    tools = [{"type": "function", "function": {"name": "probe_tool", "description": "a probe", "parameters": {
        "type": "object", "properties": {"probe_argument": {"type": "string"}}}}}]
    try:
        text = tokenizer.apply_chat_template(probe, tools=tools, tokenize=False)
    except Exception:  # noqa: BLE001 — a template that raises on tool calls does not support them
        return False
    return "probe_value" in text and "probe_result" in text


class TokenMeter:
    """Token lengths, truncation and trained tokens of a stream of examples, measured in batches."""

    def __init__(self, tokenizer, max_seq_len: int, encode, encode_messages):
        self.tok, self.max_seq_len = tokenizer, max_seq_len
        self.encode, self.encode_messages = encode, encode_messages
        self.pending: list[Example] = []
        self.lengths = array("l")
        self.kept = self.trained = self.cut_tokens = self.exact_renders = self.weighted_tokens = 0
        self.truncated, self.untrained = Located(), Located()
        self.overhead: dict[tuple, tuple[int, int]] = {}
        self.unit = len(tokenizer("x", add_special_tokens=False)["input_ids"])
        self.checked = 0
        self.max_estimate_error = 0
        self.seen = self.sampled = self.longest = 0
        self.weights: list[int] = []  # per pending example: how many examples it stands for (0: truncation only)

    def add(self, example: Example) -> None:
        """Queue an example: every one of the first TOKENIZE_ALL, then one in SAMPLE_STRIDE for the statistics, and
        any other whose character count could exceed max_seq_len, for the exact truncation check."""
        self.seen += 1
        if self.seen <= TOKENIZE_ALL:
            weight = 1
        elif self.seen % SAMPLE_STRIDE == 0:
            weight = SAMPLE_STRIDE
        else:
            chars = len(example.text) if example.text is not None else \
                sum(len(m.get("content") or "") + 1 for m in example.messages) + (0 if not example.has_tool_calls else
                                                                                  self.max_seq_len)
            extra = 0 if example.text is not None or example.has_tool_calls \
                else self._overhead(self._pattern(example))[0]
            if BYTES_PER_CHAR * chars + extra <= self.max_seq_len:
                return  # cannot be truncated; its tokens are counted through the sample
            weight = 0
        self.pending.append(example)
        self.weights.append(weight)
        if len(self.pending) >= CHUNK:
            self.flush()

    def _pattern(self, example: Example) -> tuple:
        return tuple((m["role"], m.get("weight", 1)) for m in example.messages)

    def _overhead(self, pattern: tuple) -> tuple[int, int]:
        """(template tokens, template tokens trained) of one turn pattern, from an exact render with one-token
        contents."""
        if pattern not in self.overhead:
            messages = [{"role": role, "content": "x", **({"weight": w} if w != 1 else {})} for role, w in pattern]
            exact = self.encode_messages(self.tok, messages, 1 << 30)
            trained_turns = sum(1 for role, w in pattern if role == "assistant" and w)
            self.overhead[pattern] = (exact.full_length - len(pattern) * self.unit,
                                      exact.trained - trained_turns * self.unit)
        return self.overhead[pattern]

    def _exact(self, example: Example) -> tuple[int, int]:
        self.exact_renders += 1
        encoded = self.encode(self.tok, example, self.max_seq_len)
        return encoded.full_length, encoded.trained

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        weights, self.weights = self.weights, []
        texts, owners = [], []
        for n, example in enumerate(batch):
            if example.text is not None:
                texts.append(example.text)
                owners.append((n, False))
            else:
                for m in example.messages:
                    texts.append(m.get("content") or "")
                    owners.append((n, m["role"] == "assistant" and m.get("weight", 1)))
        counts = [len(ids) for ids in self.tok(texts, add_special_tokens=False)["input_ids"]] if texts else []
        total, trained = [0] * len(batch), [0] * len(batch)
        for (n, is_trained), count in zip(owners, counts):
            total[n] += count
            trained[n] += count if is_trained or batch[n].text is not None else 0
        for n, example in enumerate(batch):
            if example.text is not None:
                full, learn = total[n] + 1, total[n] + 1  # one EOS per document, all trained
            elif example.has_tool_calls and self.exact_renders < MAX_EXACT:
                full, learn = self._exact(example)
            else:
                extra, extra_trained = self._overhead(self._pattern(example))
                full, learn = total[n] + extra, trained[n] + extra_trained
                if self.checked < EXACT_SAMPLE:
                    exact_full, _ = self._exact(example)
                    self.checked += 1
                    self.max_estimate_error = max(self.max_estimate_error, abs(exact_full - full))
            self.longest = max(self.longest, full)
            cut = max(0, full - self.max_seq_len)
            if cut:
                self.truncated.add(example.line)
                self.cut_tokens += cut
                last_is_answer = example.text is None and example.messages[-1]["role"] == "assistant" and \
                    sum(1 for m in example.messages if m["role"] == "assistant") == 1
                if example.text is None and not last_is_answer and self.exact_renders < MAX_EXACT:
                    learn = self._exact(example)[1]
                else:
                    learn = max(0, learn - cut)
            if example.text is None and learn <= 0:
                self.untrained.add(example.line)
            weight = weights[n]
            if weight:
                self.sampled += 1
                self.lengths.append(full)
                self.weighted_tokens += weight * full
                self.kept += weight * min(full, self.max_seq_len)
                self.trained += weight * learn

    def stats(self) -> dict[str, Any]:
        self.flush()
        lengths = np.frombuffer(self.lengths, dtype=np.int64) if len(self.lengths) else np.zeros(0, np.int64)
        sampled = "" if self.sampled == self.seen else (
            f"; tokens, lengths and trained share measured on {self.sampled:,} of {self.seen:,} examples (all of the "
            f"first {TOKENIZE_ALL:,}, then one in {SAMPLE_STRIDE}, weighted), truncation on every example that "
            "could exceed max_seq_len")
        return {
            "tokens": int(self.weighted_tokens),
            "tokens_exact": self.sampled == self.seen,
            "length_tokens": percentiles(lengths),
            "max_seq_len": self.max_seq_len,
            "truncated": self.truncated.count,
            "truncated_tokens": self.cut_tokens,
            "longest_tokens": self.longest,
            "longest_cut_tokens": max(0, self.longest - self.max_seq_len),
            "trained_tokens": self.trained,
            "trained_share": round(self.trained / self.kept, 4) if self.kept else 0.0,
            "token_count_method": f"content tokens + the template's tokens per turn pattern; checked against an exact "
                                  f"render on {self.checked} examples, largest difference {self.max_estimate_error} "
                                  f"tokens; {self.exact_renders} examples rendered exactly{sampled}",
        }


def percentiles(values: np.ndarray) -> dict[str, float]:
    if not len(values):
        return {}
    ordered = np.sort(values)

    def pick(q: float) -> int:
        return int(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))])

    return {"min": int(ordered[0]), "p50": pick(0.5), "p90": pick(0.9), "p95": pick(0.95), "p99": pick(0.99),
            "max": int(ordered[-1]), "mean": round(float(ordered.mean()), 1)}
