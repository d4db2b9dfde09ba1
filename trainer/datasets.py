"""Training data: validate a file of any supported format as a stream, and turn examples into token ids.

The formats and their readers live in `trainer.formats` (JSONL, JSON arrays, CSV/TSV, Parquet, text, gzip; OpenAI
chat with tool calls and `weight`, ShareGPT, prompt/completion, Alpaca, preference pairs). Every supervised shape
becomes chat messages, so one chat template and one masking rule (loss on the assistant turns whose weight is not
0) serve them all. The checks are in `trainer.data_checks`.

`validate_file(...)` is the single entry point: it streams the file once, keeping counts, hashes and the first
located problems rather than rows (unless `keep_examples`, which the training recipes ask for), and returns a
`Report` whose `to_dict()` is the `tunewise validate-data --json` contract `{ok, format, rows, errors, warnings,
stats}` plus `format_label`, `container`, `compression`, `columns` and `mapping`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer import formats
from trainer.data_checks import FEW_EXAMPLES, FEW_EXAMPLES_ADVICE, MIN_EXAMPLES, OVERLAP_ERROR_SHARE, Repeats, \
    RowChecks, TokenMeter, Warning_, lines_text, template_supports_tools
from trainer.formats.example import Example, Issue
from trainer.formats.shapes import describe_mapping
from trainer.formats.source import Limits
from trainer.state.errors import UserError

FORMATS = formats.FORCEABLE
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: the size cap of one data file (decompressed)
MAX_REPORTED = 1000  # errors kept in a report; the count stays exact

# ChatML, for tokenizers that ship without a chat template (base models).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

__all__ = ["DataError", "Example", "Issue", "Warning_", "Report", "Encoded", "validate_file", "read_file", "encode",
           "encode_messages", "ensure_chat_template", "detect_format", "FORMATS", "DEFAULT_MAX_BYTES"]


class DataError(UserError):
    """A data file that failed validation; `errors` holds the located problems and the message lists the first."""

    code, param = "invalid_data", "data.train"

    def __init__(self, message: str, code: str | None = None, param: str | None = "data.train", errors=None):
        super().__init__(message, code, param)
        self.errors = list(errors or [])


# ---------------------------------------------------------------------------------------------------------------
# Tokenization with the loss mask


def ensure_chat_template(tokenizer) -> None:
    """Give a tokenizer without a chat template (a base model's) the ChatML one, so every format renders."""
    if not getattr(tokenizer, "chat_template", None):
        tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]  # -100 where no loss is taken (system, user, tool, weight-0 turns, template, truncated tail)
    full_length: int  # tokens before truncation

    @property
    def trained(self) -> int:
        return sum(1 for t in self.labels[1:] if t != -100)  # position 0 is never predicted


def template_name(tokenizer) -> str:
    return f"the chat template of {getattr(tokenizer, 'name_or_path', '') or 'this tokenizer'}"


def encode_messages(tokenizer, messages: list[dict[str, Any]], max_seq_len: int,
                    tools: list[dict] | None = None) -> Encoded:
    """Render the chat template and label the assistant turns (their text and end-of-turn token), except those
    with `weight` 0, which stay in the context untrained.

    Each assistant turn's span is the text between the prompt rendered with a generation prompt and the
    conversation rendered through that turn; characters are mapped to tokens with the fast tokenizer's offsets.
    """
    def render(part, generation=False):
        return tokenizer.apply_chat_template(part, tools=tools, tokenize=False, add_generation_prompt=generation)

    full = render(messages)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant" or message.get("weight", 1) == 0:
            continue
        before = render(messages[:i], generation=True) if i else ""
        through = render(messages[: i + 1])
        if not full.startswith(through) or not through.startswith(before):
            raise DataError(f"{template_name(tokenizer)} does not render conversations prefix by prefix, so the "
                            "assistant turns cannot be located for loss masking", code="unsupported_template",
                            param="model.base")
        spans.append((len(before), len(through)))
    enc = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    labels = [-100] * len(ids)
    span_index = 0
    for t, (start, _end) in enumerate(offsets):
        while span_index < len(spans) and start >= spans[span_index][1]:
            span_index += 1
        if span_index < len(spans) and spans[span_index][0] <= start < spans[span_index][1]:
            labels[t] = ids[t]
    return Encoded(ids[:max_seq_len], labels[:max_seq_len], len(ids))


def encode_text(tokenizer, text: str, max_seq_len: int) -> Encoded:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return Encoded(ids[:max_seq_len], list(ids[:max_seq_len]), len(ids))


def encode(tokenizer, example: Example, max_seq_len: int) -> Encoded:
    if example.text is not None:
        return encode_text(tokenizer, example.text, max_seq_len)
    if example.has_tool_calls and not template_supports_tools(tokenizer):
        raise DataError(f"{template_name(tokenizer)} does not render tool calls (line {example.line} has them): "
                        "training on it would silently drop the calls; use a base model whose template supports "
                        "tools", code="tools_unsupported", param="model.base")
    return encode_messages(tokenizer, example.messages, max_seq_len, tools=example.tools)


# ---------------------------------------------------------------------------------------------------------------
# Validation report


@dataclass
class Report:
    path: str
    format: str
    rows: int
    errors: list[Issue]
    error_count: int
    warnings: list[Warning_]
    stats: dict[str, Any]
    examples: list[Example]  # valid examples when asked for with keep_examples (not serialised)
    reading: formats.Reading | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # format_label, container, ... (serialised)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.path,
            "format": self.format,
            **self.extra,
            "rows": self.rows,
            "errors": [e.to_dict() for e in self.errors],
            "error_count": self.error_count,
            "warnings": [w.to_dict() for w in self.warnings],
            "stats": self.stats,
        }

    def summary(self, limit: int = 5) -> str:
        """One paragraph naming the first errors, for exceptions and the job's error message."""
        head = "; ".join(f"line {e.line}: {e.message} [{e.code}]" if e.line else f"{e.message} [{e.code}]"
                         for e in self.errors[:limit])
        more = f" (and {self.error_count - limit} more)" if self.error_count > limit else ""
        return f"{Path(self.path).name} has {self.error_count} error(s): {head}{more}"


class _Errors:
    """Errors as found: the first MAX_REPORTED kept, all counted."""

    def __init__(self):
        self.kept, self.count = [], 0

    def add(self, issue: Issue) -> None:
        self.count += 1
        if len(self.kept) < MAX_REPORTED:
            self.kept.append(issue)


@dataclass
class _Pass:
    """What one streaming pass over a file gathered."""

    reading: formats.Reading
    rows: int
    examples: int
    errors: _Errors
    repeats: Repeats
    checks: RowChecks
    meter: TokenMeter | None
    kept: list[Example]
    assistant_turns: int = 0
    multi_turn: int = 0
    tool_examples: int = 0
    weight0_turns: int = 0


def _scan(path, format, mapping, limits, tokenizer, max_seq_len, keep_examples) -> _Pass:
    reading = formats.read(path, format, mapping, limits)
    errors, repeats, checks = _Errors(), Repeats(), RowChecks(tokenizer)
    meter = TokenMeter(tokenizer, max_seq_len, encode, encode_messages) if tokenizer is not None else None
    scan = _Pass(reading, 0, 0, errors, repeats, checks, meter, [])
    tools_checked = None
    last_line = 0
    for item in reading.items():
        if isinstance(item, Issue):
            errors.add(item)
            if item.line != last_line and item.line is not None:
                scan.rows += 1
                last_line = item.line
            continue
        if item.line != last_line:
            scan.rows += 1
            last_line = item.line
        row_errors = checks.check(item)
        if item.has_tool_calls:
            scan.tool_examples += 1
            if tokenizer is not None:
                if tools_checked is None:
                    tools_checked = template_supports_tools(tokenizer)
                if not tools_checked:
                    row_errors.append(Issue(item.line, "tools_unsupported", f"this conversation has tool calls but "
                                            f"{template_name(tokenizer)} does not render them; use a base model "
                                            "whose template supports tools"))
        for issue in row_errors:
            errors.add(issue)
        if row_errors:
            continue
        scan.examples += 1
        repeats.add(item)
        turns = sum(1 for m in item.messages if m["role"] == "assistant")
        scan.assistant_turns += turns
        scan.multi_turn += turns > 1
        scan.weight0_turns += sum(1 for m in item.messages if m.get("weight") == 0)
        if meter is not None:
            meter.add(item)
        if keep_examples:
            scan.kept.append(item)
    return scan


def validate_file(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
                  tokenizer=None, max_seq_len: int = 1024, validation: str | Path | None = None,
                  test: str | Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES, keep_examples: bool = False,
                  limits: Limits | None = None, min_examples: int = MIN_EXAMPLES) -> Report:
    """Check a data file end to end: located errors for the whole file, warnings and stats.

    `columns`: the confirmed mapping {role: column} (e.g. {prompt: question, completion: answer}).
    With a `tokenizer`, token counts, truncation at `max_seq_len` and the share of trained tokens are measured;
    without one those checks are skipped. `validation` / `test`: the user's own held-out files, checked too and
    compared with the training prompts. `keep_examples`: also return every valid example (the recipes train on
    them); otherwise memory stays bounded whatever the file's size.
    """
    if format is not None and format not in FORMATS:
        raise DataError(f"unknown data format {format!r}; use one of {', '.join(FORMATS)}", code="unknown_format",
                        param="data.format")
    if tokenizer is not None:
        ensure_chat_template(tokenizer)
    if columns is None:
        columns = formats.confirmed_mapping(path)  # the mapping the user confirmed in the chat, if any
    limits = limits or Limits(max_bytes=max_bytes)
    scan = _scan(path, format, columns, limits, tokenizer, max_seq_len, keep_examples)
    reading, errors = scan.reading, scan.errors
    supervised = reading.shape != "text"
    warnings = [Warning_(n.code, n.message) for n in reading.notes]
    exact, near = scan.repeats.findings()
    unique = scan.examples - len(exact)
    stats: dict[str, Any] = {"rows": scan.rows, "examples": scan.examples, "unique_examples": unique,
                             "duplicates": len(exact), "near_duplicates": len(near)}
    if exact:
        warnings.append(Warning_("duplicates", f"{len(exact)} example(s) repeat an earlier one (lines "
                                 f"{lines_text(exact)}); the file counts as {unique} unique examples; duplicates weigh "
                                 "those examples more and can leak into the test split — remove them", len(exact),
                                 exact))
    if near:
        warnings.append(Warning_("near_duplicates", f"{len(near)} example(s) repeat an earlier one once case and "
                                 f"spacing are ignored (lines {lines_text(near)}) — keep one of each", len(near),
                                 near))
    if scan.checks.empty_user.count:
        located = scan.checks.empty_user
        warnings.append(Warning_("empty_user_content", f"{located.count} example(s) have an empty user turn (lines "
                                 f"{lines_text(located.lines)}): the model learns to answer nothing", located.count,
                                 located.lines))
    if scan.checks.no_user.count:
        located = scan.checks.no_user
        warnings.append(Warning_("no_user_message", f"{located.count} example(s) have no user turn at all (lines "
                                 f"{lines_text(located.lines)}): the model learns to speak without being asked",
                                 located.count, located.lines))
    if scan.checks.control_warned.count:
        located = scan.checks.control_warned
        warnings.append(Warning_("control_tokens", f"{located.count} example(s) contain chat control tokens such as "
                                 f"<|im_start|> (lines {lines_text(located.lines)}); with a tokenizer given these are "
                                 "errors", located.count, located.lines))
    if supervised and errors.count == 0 and not reading.failure and unique < min_examples:
        copies = f" ({scan.examples} rows, {len(exact)} of them repeats)" if exact else ""
        errors.add(Issue(None, "too_few_examples", f"only {unique} unique example(s){copies}; at least {min_examples} "
                         "are needed to train and hold some out for testing (and 100+ to expect a gain)"))
    elif supervised and 0 < unique < FEW_EXAMPLES:
        warnings.append(Warning_("few_examples", f"only {unique} unique examples: {FEW_EXAMPLES_ADVICE}", unique))
    if supervised and scan.examples:
        stats.update({"assistant_turns": scan.assistant_turns, "multi_turn_examples": scan.multi_turn,
                      "tool_call_examples": scan.tool_examples, "untrained_turns": scan.weight0_turns,
                      "examples_without_system": scan.checks.no_system})
    if scan.meter is not None and scan.examples:
        stats.update(scan.meter.stats())
        truncated, untrained = scan.meter.truncated, scan.meter.untrained
        if truncated.count:
            warnings.append(Warning_("truncated", f"{truncated.count} example(s) are longer than max_seq_len "
                                     f"{max_seq_len} tokens (lines {lines_text(truncated.lines)}); "
                                     f"{stats['truncated_tokens']:,} tokens would be cut, "
                                     f"{stats['longest_cut_tokens']:,} from the longest "
                                     f"({stats['longest_tokens']:,} tokens) — raise model.max_seq_len or "
                                     "shorten them", truncated.count, truncated.lines))
        if untrained.count and supervised:
            warnings.append(Warning_("no_trainable_tokens", f"{untrained.count} example(s) have no assistant tokens "
                                     f"left after masking and truncation (lines {lines_text(untrained.lines)}); they "
                                     "teach nothing — shorten the prompt or raise max_seq_len", untrained.count,
                                     untrained.lines))
    elif tokenizer is None:
        stats["tokens"] = None
        stats["note"] = "no tokenizer: token counts, truncation and trained share were not measured"

    for name, other_path in (("validation", validation), ("test", test)):
        if other_path is None:
            continue
        other = _scan(other_path, format, columns, limits, None, max_seq_len, False)
        for issue in other.errors.kept:
            errors.add(Issue(issue.line, issue.code, f"{name} file: {issue.message}"))
        errors.count += other.errors.count - len(other.errors.kept)
        stats[f"{name}_examples"] = other.examples
        lines = scan.repeats.overlapping(other.repeats)
        if lines:
            share = len(lines) / max(1, other.examples)
            message = (f"{len(lines)} of {other.examples} {name} example(s) ({share:.0%}) repeat a training prompt "
                       f"(lines {lines_text(lines)} of the {name} file); their scores would measure memorisation — "
                       "remove them")
            if share > OVERLAP_ERROR_SHARE:
                errors.add(Issue(None, "split_overlap", message + f" (more than {OVERLAP_ERROR_SHARE:.0%} overlap is "
                                 "an error)"))
            else:
                warnings.append(Warning_("split_overlap", message, len(lines), lines))
    kept = sorted(errors.kept, key=lambda e: e.line or 0)
    extra = {"format_label": reading.label, "container": reading.container,
             "compression": reading.source.compression if reading.source else None,
             "columns": reading.columns, "mapping": reading.mapping,
             "proposed_mapping": reading.proposed,
             "proposed_mapping_text": describe_mapping(reading.proposed) + "?" if reading.proposed else None}
    return Report(str(path), reading.shape or "unknown", scan.rows, kept, errors.count, warnings, stats, scan.kept,
                  reading, extra)


@dataclass
class Parsed:
    format: str
    rows: int
    examples: list[Example]
    errors: list[Issue]
    error_count: int


def read_file(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
              max_bytes: int = DEFAULT_MAX_BYTES, min_examples: int = MIN_EXAMPLES) -> Parsed:
    """Every valid example of a file with its located errors (no token checks)."""
    report = validate_file(path, format, columns, max_bytes=max_bytes, keep_examples=True, min_examples=min_examples)
    return Parsed(report.format, report.rows, report.examples, report.errors, report.error_count)


def detect_format(path: str | Path) -> str:
    """The shape of the file's records (messages, sharegpt, prompt_completion, alpaca, preference, text)."""
    return formats.read(path).shape or "unknown"
