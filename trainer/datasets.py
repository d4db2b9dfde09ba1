"""Training data: read a file in any supported format, check every row, and turn examples into token ids.

Formats (detected from the file, or forced with `format=`):

    messages           JSONL  {"messages": [{"role": "system"|"user"|"assistant", "content": "..."}, ...]}
    prompt_completion  JSONL  {"prompt": "...", "completion": "..."}            (optional "system")
    alpaca             JSONL  {"instruction": "...", "input": "...", "output": "..."}  (input optional)
    preference         JSONL  {"prompt": "...", "chosen": "...", "rejected": "..."}
    text               .txt (documents separated by a blank line) or JSONL {"text": "..."}
    csv                .csv with a header; `columns` maps roles to headers, e.g. {prompt: question, completion: answer}

Every supervised format becomes a list of chat messages, so one chat template and one masking rule (loss on the
assistant turns only) serve them all. A file is read line by line (never whole into memory) up to a size cap;
every problem is collected with its line number, so a user fixes the whole file in one pass.

`validate_file(...)` is the single entry point: it returns a `Report` whose `to_dict()` is the
`tunewise validate-data --json` contract `{ok, format, rows, errors, warnings, stats}`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from trainer.state.errors import UserError

FORMATS = ("messages", "prompt_completion", "alpaca", "csv", "text", "preference")
ROLES = ("system", "user", "assistant")
MIN_EXAMPLES = 10  # below this a split leaves nothing to evaluate on: an error
FEW_EXAMPLES = 100  # below this the guidance expects little gain: a warning
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB: the size cap of one data file
MAX_REPORTED = 1000  # errors (and lines per warning) kept in a report; the counts stay exact
BINARY_PROBE_BYTES = 8192

# Advice quoted in the few-examples warning; figures from the guidance articles (knowledge/ cites them).
FEW_EXAMPLES_ADVICE = (
    "fewer than 100 good examples rarely give a meaningful gain; 200-500 high-quality examples typically produce "
    "measurable change for format and style tasks, and 2,000-10,000 are needed to shift domain behaviour. "
    "Try a structured prompt with few-shot examples first, or collect more examples before training"
)

# Keys each JSON format accepts; anything else is an `unknown_key` error (a typo would silently drop data).
ALLOWED_KEYS = {
    "messages": {"messages", "id", "metadata"},
    "prompt_completion": {"prompt", "completion", "system", "id", "metadata"},
    "alpaca": {"instruction", "input", "output", "system", "id", "metadata"},
    "preference": {"prompt", "chosen", "rejected", "system", "id", "metadata"},
    "text": {"text", "id", "metadata"},
}
MESSAGE_KEYS = {"role", "content", "name"}

# ChatML, for tokenizers that ship without a chat template (base models).
FALLBACK_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


class DataError(UserError):
    """A data file that failed validation; `errors` holds the located problems and the message lists the first."""

    def __init__(self, message: str, code: str = "invalid_data", param: str = "data.train", errors=None):
        super().__init__(message)
        self.code, self.param, self.errors = code, param, list(errors or [])


@dataclass
class Issue:
    """One located problem; `line` is 1-based, None when it concerns the whole file."""

    line: int | None
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "message": self.message}


@dataclass
class Warning_:
    code: str
    message: str
    count: int = 0
    lines: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "count": self.count, "lines": self.lines[:MAX_REPORTED]}


@dataclass
class Example:
    """One training example. Supervised formats fill `messages`; text fills `text`; preference also `rejected`."""

    line: int
    messages: list[dict[str, str]] = field(default_factory=list)
    text: str | None = None
    rejected: str | None = None

    @property
    def prompt_messages(self) -> list[dict[str, str]]:
        """Everything before the last assistant turn: what a model is asked at evaluation time."""
        last = max(i for i, m in enumerate(self.messages) if m["role"] == "assistant")
        return self.messages[:last]

    @property
    def reference(self) -> str:
        """The last assistant turn: the answer evaluation compares generations with."""
        return [m for m in self.messages if m["role"] == "assistant"][-1]["content"]

    def key(self) -> str:
        """Identity of the whole example (duplicate detection)."""
        payload = json.dumps([self.messages, self.text, self.rejected], sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(payload.encode()).hexdigest()

    def prompt_key(self) -> str:
        """Identity of the question side (split grouping and train/test overlap)."""
        payload = json.dumps(self.prompt_messages if self.messages else self.text, sort_keys=True, ensure_ascii=False)
        return hashlib.sha1(payload.encode()).hexdigest()


@dataclass
class Parsed:
    format: str
    rows: int  # data rows seen (valid or not)
    examples: list[Example]
    errors: list[Issue]
    error_count: int


# ---------------------------------------------------------------------------------------------------------------
# Reading: bytes -> located lines -> records -> examples


def _sniff_binary(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(BINARY_PROBE_BYTES)
    return b"\x00" in head


def _lines(path: Path, errors: list[Issue], placeholder: bool = False) -> Iterator[tuple[int, str]]:
    """(line number, text) for every line, streamed; undecodable lines become `not_utf8` / `binary_data` errors
    and are skipped, or replaced by an empty line when `placeholder` (the CSV reader counts lines itself)."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a UTF-8 byte-order mark is harmless
            if b"\x00" in raw:
                errors.append(Issue(number, "binary_data", "line contains NUL bytes: this looks like binary data, "
                                    "not text (did you upload the wrong file?)"))
                if placeholder:
                    yield number, "\n"
                continue
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                errors.append(Issue(number, "not_utf8", f"not UTF-8 at byte {exc.start} of the line "
                                    f"(0x{raw[exc.start]:02x}); save the file as UTF-8"))
                if placeholder:
                    yield number, "\n"


def detect_format(path: str | Path) -> str:
    """Guess the format from the extension and the first JSON object's keys; JSONL that never parses is 'messages'
    so its rows are reported as invalid JSON."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".txt", ".md", ".text"):
        return "text"
    seen = 0
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            seen += 1
            if seen > 50:
                break
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                return format_from_keys(set(record))
    if suffix in (".jsonl", ".json", ".ndjson") or seen == 0:
        return "messages"
    return "text"


def format_from_keys(keys: set[str]) -> str:
    if "messages" in keys:
        return "messages"
    if {"chosen", "rejected"} & keys:
        return "preference"
    if "instruction" in keys or "output" in keys:
        return "alpaca"
    if "prompt" in keys or "completion" in keys:
        return "prompt_completion"
    if "text" in keys:
        return "text"
    return "messages"


def _string_fields(record: dict, names: tuple[str, ...], line: int, errors: list[Issue], missing_code: str,
                   optional: tuple[str, ...] = ()) -> dict[str, str] | None:
    values, ok = {}, True
    for name in names + optional:
        if name not in record or record[name] is None:
            if name in names:
                errors.append(Issue(line, missing_code, f"missing field {name!r}"))
                ok = False
            continue
        if not isinstance(record[name], str):
            errors.append(Issue(line, "non_string_content",
                                f"field {name!r} must be a string, got {type(record[name]).__name__}"))
            ok = False
            continue
        values[name] = record[name]
    return values if ok else None


def _unknown_keys(record: dict, fmt: str, line: int, errors: list[Issue]) -> bool:
    extra = sorted(set(record) - ALLOWED_KEYS[fmt])
    if extra:
        allowed = ", ".join(sorted(ALLOWED_KEYS[fmt]))
        errors.append(Issue(line, "unknown_key", f"unknown key(s) {', '.join(map(repr, extra))} for the {fmt} "
                            f"format (allowed: {allowed})"))
    return bool(extra)


def _system(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"role": "system", "content": values["system"]}] if values.get("system") else []


def record_to_example(record: Any, fmt: str, line: int, errors: list[Issue]) -> Example | None:
    """Check one parsed JSON record against `fmt`; append its problems to `errors`; return the example or None."""
    if not isinstance(record, dict):
        errors.append(Issue(line, "not_an_object", f"each line must be a JSON object, got {type(record).__name__}"))
        return None
    bad = _unknown_keys(record, fmt, line, errors)
    if fmt == "messages":
        messages = record.get("messages")
        if not isinstance(messages, list) or not messages:
            what = "missing" if "messages" not in record else "not a non-empty list"
            errors.append(Issue(line, "missing_messages", f"'messages' is {what}; expected a list of "
                                "{role, content} objects"))
            return None
        clean = []
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                errors.append(Issue(line, "not_an_object", f"messages[{i}] must be an object with role and content"))
                bad = True
                continue
            extra = sorted(set(message) - MESSAGE_KEYS)
            if extra:
                errors.append(Issue(line, "unknown_key", f"messages[{i}] has unknown key(s) "
                                    f"{', '.join(map(repr, extra))} (allowed: role, content, name)"))
                bad = True
            if "role" not in message:
                errors.append(Issue(line, "missing_role", f"messages[{i}] has no 'role'"))
                bad = True
            elif message["role"] not in ROLES:
                errors.append(Issue(line, "unknown_role", f"messages[{i}] has role {message['role']!r}; use one of "
                                    f"{', '.join(ROLES)}"))
                bad = True
            if "content" not in message:
                errors.append(Issue(line, "missing_content", f"messages[{i}] has no 'content'"))
                bad = True
            elif not isinstance(message["content"], str):
                errors.append(Issue(line, "non_string_content", f"messages[{i}].content must be a string, got "
                                    f"{type(message['content']).__name__}"))
                bad = True
            if not bad:
                clean.append({"role": message["role"], "content": message["content"]})
        if not bad and not any(m["role"] == "assistant" for m in clean):
            errors.append(Issue(line, "no_assistant_message", "no assistant message: there is nothing to learn "
                                "from this example"))
            return None
        return None if bad else Example(line, clean)
    if fmt == "prompt_completion":
        values = _string_fields(record, ("prompt", "completion"), line, errors, "missing_field", ("system",))
        if values is None or bad:
            return None
        return Example(line, _system(values) + [{"role": "user", "content": values["prompt"]},
                                                {"role": "assistant", "content": values["completion"]}])
    if fmt == "alpaca":
        values = _string_fields(record, ("instruction", "output"), line, errors, "missing_field", ("input", "system"))
        if values is None or bad:
            return None
        prompt = values["instruction"] + (f"\n\n{values['input']}" if values.get("input") else "")
        return Example(line, _system(values) + [{"role": "user", "content": prompt},
                                                {"role": "assistant", "content": values["output"]}])
    if fmt == "preference":
        values = _string_fields(record, ("prompt", "chosen", "rejected"), line, errors, "missing_preference_field",
                                ("system",))
        if values is None or bad:
            return None
        return Example(line, _system(values) + [{"role": "user", "content": values["prompt"]},
                                                {"role": "assistant", "content": values["chosen"]}],
                       rejected=values["rejected"])
    if fmt == "text":
        values = _string_fields(record, ("text",), line, errors, "missing_field")
        if values is None or bad:
            return None
        return Example(line, text=values["text"])
    raise ValueError(f"unknown format {fmt}")


def default_columns(header: list[str]) -> dict[str, str]:
    """The identity mapping for the first role set whose columns all exist in the header."""
    for roles in (("prompt", "chosen", "rejected"), ("prompt", "completion"), ("instruction", "output")):
        if all(r in header for r in roles):
            mapping = {r: r for r in roles}
            for optional in ("input", "system"):
                if optional in header:
                    mapping[optional] = optional
            return mapping
    return {"prompt": "prompt", "completion": "completion"}


def _read_csv(path: Path, columns: dict[str, str] | None, errors: list[Issue]) -> tuple[int, list[Example]]:
    examples: list[Example] = []
    text_lines = (text for _, text in _lines(path, errors, placeholder=True))
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(text_lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return 0, examples
    except csv.Error as exc:
        errors.append(Issue(1, "invalid_csv", f"the header is not valid CSV ({exc})"))
        return 0, examples
    header = [h.strip() for h in header]
    mapping = dict(columns) if columns else default_columns(header)
    unknown_roles = set(mapping) - {"prompt", "completion", "instruction", "input", "output", "system", "chosen",
                                    "rejected", "text"}
    if unknown_roles:
        errors.append(Issue(None, "unknown_key", f"column mapping has unknown role(s) {sorted(unknown_roles)}; "
                            "use prompt, completion, instruction, input, output, system, chosen, rejected, text"))
        return 0, examples
    missing = [f"{role}={col!r}" for role, col in mapping.items() if col not in header]
    if missing:
        errors.append(Issue(1, "missing_column", f"the header has no column for {', '.join(missing)}; the header "
                            f"is {header}; map columns with --columns prompt=COL,completion=COL"))
        return 0, examples
    if {"chosen", "rejected"} & set(mapping):
        fmt = "preference"
    elif "instruction" in mapping or "output" in mapping:
        fmt = "alpaca"
    elif "text" in mapping:
        fmt = "text"
    else:
        fmt = "prompt_completion"
    index = {role: header.index(col) for role, col in mapping.items()}
    rows = 0
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rows += 1
            errors.append(Issue(reader.line_num, "invalid_csv", f"not valid CSV ({exc})"))
            continue
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        rows += 1
        record = {role: cells[i] for role, i in index.items() if i < len(cells) and cells[i] != ""}
        missing_code = "missing_preference_field" if fmt == "preference" else "missing_field"
        required = {"preference": ("prompt", "chosen", "rejected"), "alpaca": ("instruction", "output"),
                    "text": ("text",), "prompt_completion": ("prompt", "completion")}[fmt]
        gaps = [r for r in required if r not in record]
        for role in gaps:
            errors.append(Issue(start, missing_code, f"empty cell in column {mapping[role]!r} ({role})"))
        if gaps:
            continue
        example = record_to_example(record, fmt, start, errors)
        if example is not None:
            examples.append(example)
    return rows, examples


def _read_text(path: Path, errors: list[Issue]) -> tuple[int, list[Example]]:
    """Plain text: one document per blank-line-separated block; a document's line is its first line."""
    examples: list[Example] = []
    block: list[str] = []
    first = 0
    for number, text in _lines(path, errors):
        if text.strip():
            if not block:
                first = number
            block.append(text.rstrip("\n"))
        elif block:
            examples.append(Example(first, text="\n".join(block)))
            block = []
    if block:
        examples.append(Example(first, text="\n".join(block)))
    return len(examples), examples


def read_file(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
              max_bytes: int = DEFAULT_MAX_BYTES, min_examples: int = MIN_EXAMPLES) -> Parsed:
    """Parse a data file into examples, collecting every located error instead of stopping at the first.

    `min_examples`: fewer valid supervised examples is a `too_few_examples` error (1 for held-out files)."""
    path = Path(path).expanduser()
    errors: list[Issue] = []
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        return Parsed(format or "unknown", 0, [], [Issue(None, "file_not_found", f"{path} {what}")], 1)
    size = path.stat().st_size
    if size > max_bytes:
        issue = Issue(None, "file_too_large", f"{path.name} is {size / 2**20:.0f} MiB, over the {max_bytes / 2**20:.0f}"
                      " MiB cap (data.max_file_mb); split the file or raise the cap")
        return Parsed(format or "unknown", 0, [], [issue], 1)
    if size == 0:
        return Parsed(format or "unknown", 0, [], [Issue(None, "empty_file", f"{path.name} is empty")], 1)
    if _sniff_binary(path):
        issue = Issue(1, "binary_data", f"{path.name} contains NUL bytes in its first {BINARY_PROBE_BYTES} bytes: it "
                      "is binary (an archive, a spreadsheet, a model?), not a text data file")
        return Parsed(format or "unknown", 0, [], [issue], 1)
    if format is not None and format not in FORMATS:
        raise DataError(f"unknown data format {format!r}; use one of {', '.join(FORMATS)}", code="unknown_format",
                        param="data.format")
    fmt = format or detect_format(path)
    if fmt == "csv" or (columns and path.suffix.lower() in (".csv", ".tsv")):
        rows, examples = _read_csv(path, columns, errors)
        fmt = "csv"
    elif fmt == "text" and path.suffix.lower() not in (".jsonl", ".json", ".ndjson"):
        rows, examples = _read_text(path, errors)
    else:
        rows, examples = 0, []
        for number, text in _lines(path, errors):
            if not text.strip():
                continue
            rows += 1
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                hint = " (a JSON array? write one object per line: JSONL)" if number == 1 and text.lstrip()[:1] == "[" \
                    else ""
                errors.append(Issue(number, "invalid_json", f"invalid JSON at column {exc.colno}: {exc.msg}{hint}"))
                continue
            example = record_to_example(record, fmt, number, errors)
            if example is not None:
                examples.append(example)
    # decoding errors were appended while streaming; order everything by line
    errors.sort(key=lambda e: (e.line or 0))
    rows = max(rows, len(examples))
    if not errors and fmt != "text" and len(examples) < min_examples:
        errors.append(Issue(None, "too_few_examples", f"only {len(examples)} example(s); at least {min_examples} are "
                            "needed to train and hold some out for testing (and 100+ to expect a gain)"))
    return Parsed(fmt, rows, examples, errors[:MAX_REPORTED], len(errors))


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
    labels: list[int]  # -100 where no loss is taken (system, user, template tokens, truncated tail)
    full_length: int  # tokens before truncation

    @property
    def trained(self) -> int:
        return sum(1 for t in self.labels[1:] if t != -100)  # position 0 is never predicted


def encode_messages(tokenizer, messages: list[dict[str, str]], max_seq_len: int) -> Encoded:
    """Render the chat template and label only the assistant turns (their text and end-of-turn token).

    Each assistant turn's span is the text between the prompt rendered with a generation prompt and the
    conversation rendered through that turn; characters are mapped to tokens with the fast tokenizer's offsets.
    """
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = tokenizer.apply_chat_template(messages[:i], tokenize=False, add_generation_prompt=True) if i else ""
        through = tokenizer.apply_chat_template(messages[: i + 1], tokenize=False)
        if not full.startswith(through) or not through.startswith(before):
            raise DataError("this model's chat template does not render conversations prefix by prefix, so the "
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
    full_length = len(ids)
    return Encoded(ids[:max_seq_len], labels[:max_seq_len], full_length)


def encode_text(tokenizer, text: str, max_seq_len: int) -> Encoded:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    return Encoded(ids[:max_seq_len], list(ids[:max_seq_len]), len(ids))


def encode(tokenizer, example: Example, max_seq_len: int) -> Encoded:
    if example.text is not None:
        return encode_text(tokenizer, example.text, max_seq_len)
    return encode_messages(tokenizer, example.messages, max_seq_len)


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
    examples: list[Example]  # valid examples, for the recipe (not serialised)
    encoded: list[Encoded] | None = None  # token ids when a tokenizer was given (not serialised)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.path,
            "format": self.format,
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


def _percentiles(values: list[int]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pick(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"min": ordered[0], "p50": pick(0.5), "p90": pick(0.9), "p95": pick(0.95), "p99": pick(0.99),
            "max": ordered[-1], "mean": round(sum(ordered) / len(ordered), 1)}


def _lines_text(lines: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, lines[:limit]))
    return shown + (f", … ({len(lines) - limit} more)" if len(lines) > limit else "")


def overlap_warning(name: str, train: list[Example], other: list[Example]) -> Warning_ | None:
    """Examples of `other` whose prompt also appears in `train`: scores on them measure memory, not skill."""
    seen = {e.prompt_key() for e in train if e.messages or e.text}
    lines = [e.line for e in other if (e.messages or e.text) and e.prompt_key() in seen]
    if not lines:
        return None
    return Warning_("split_overlap", f"{len(lines)} {name} example(s) repeat a training prompt (lines "
                    f"{_lines_text(lines)} of the {name} file); their scores would measure memorisation — remove them",
                    len(lines), lines)


def validate_file(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
                  tokenizer=None, max_seq_len: int = 1024, validation: str | Path | None = None,
                  test: str | Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Report:
    """Check a data file end to end: located errors for the whole file, warnings and stats.

    With a `tokenizer`, token counts, truncation at `max_seq_len` and the share of trained tokens are measured
    (with the chat template and loss mask training uses); without one those checks are skipped.
    `validation` / `test`: the user's own held-out files, checked for overlap with the training prompts.
    """
    parsed = read_file(path, format, columns, max_bytes)
    warnings: list[Warning_] = []
    stats: dict[str, Any] = {"rows": parsed.rows, "examples": len(parsed.examples)}
    examples = parsed.examples
    supervised = parsed.format != "text"

    if examples and len(examples) < FEW_EXAMPLES and supervised:
        warnings.append(Warning_("few_examples", f"only {len(examples)} examples: {FEW_EXAMPLES_ADVICE}",
                                 len(examples)))
    first_line: dict[str, int] = {}
    duplicate_lines = []
    for example in examples:
        key = example.key()
        if key in first_line:
            duplicate_lines.append(example.line)
        else:
            first_line[key] = example.line
    if duplicate_lines:
        warnings.append(Warning_("duplicates", f"{len(duplicate_lines)} example(s) repeat an earlier one (lines "
                                 f"{_lines_text(duplicate_lines)}); duplicates weigh those examples more and can leak "
                                 "into the test split — remove them", len(duplicate_lines), duplicate_lines))
    stats["duplicates"] = len(duplicate_lines)
    if supervised and examples:
        turns = [sum(1 for m in e.messages if m["role"] == "assistant") for e in examples]
        stats["assistant_turns"] = sum(turns)
        stats["multi_turn_examples"] = sum(1 for t in turns if t > 1)

    encoded = None
    if tokenizer is not None and examples:
        ensure_chat_template(tokenizer)
        encoded = [encode(tokenizer, e, max_seq_len) for e in examples]
        lengths = [e.full_length for e in encoded]
        truncated = [ex.line for ex, e in zip(examples, encoded) if e.full_length > max_seq_len]
        kept_tokens = sum(len(e.input_ids) for e in encoded)
        trained_tokens = sum(e.trained for e in encoded)
        stats.update({
            "tokens": sum(lengths),
            "length_tokens": _percentiles(lengths),
            "max_seq_len": max_seq_len,
            "truncated": len(truncated),
            "trained_tokens": trained_tokens,
            "trained_share": round(trained_tokens / kept_tokens, 4) if kept_tokens else 0.0,
        })
        if truncated:
            warnings.append(Warning_("truncated", f"{len(truncated)} example(s) are longer than max_seq_len "
                                     f"{max_seq_len} tokens and would be truncated (lines {_lines_text(truncated)}); "
                                     f"the longest has {max(lengths)} tokens — raise model.max_seq_len or shorten them",
                                     len(truncated), truncated))
        if supervised:
            empty = [ex.line for ex, e in zip(examples, encoded) if e.trained == 0]
            if empty:
                warnings.append(Warning_("no_trainable_tokens", f"{len(empty)} example(s) have no assistant tokens "
                                         f"left after masking and truncation (lines {_lines_text(empty)}); they teach "
                                         "nothing — shorten the prompt or raise max_seq_len", len(empty), empty))
    elif tokenizer is None:
        stats["tokens"] = None
        stats["note"] = "no tokenizer: token counts, truncation and trained share were not measured"

    for name, other_path in (("validation", validation), ("test", test)):
        if other_path is None:
            continue
        other = read_file(other_path, parsed.format if parsed.format != "csv" else None, columns, max_bytes,
                          min_examples=1)
        for issue in other.errors:
            parsed.errors.append(Issue(issue.line, issue.code, f"{name} file: {issue.message}"))
        parsed.error_count += other.error_count
        stats[f"{name}_examples"] = len(other.examples)
        warning = overlap_warning(name, examples, other.examples)
        if warning:
            warnings.append(warning)
    return Report(str(path), parsed.format, parsed.rows, parsed.errors, parsed.error_count, warnings, stats,
                  examples, encoded)
