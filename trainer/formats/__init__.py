"""Reading training data in the formats people already have, all into one `Example` type.

A file is a *container* holding records of one *shape*:

    containers  jsonl (one JSON value per line), json (a JSON array of records), json_objects (JSON objects
                written one after another over several lines), csv / tsv (header row, delimiter sniffed),
                parquet, text (blank-line-separated documents); any of the text ones may be gzip-compressed
    shapes      messages (OpenAI chat, tool calls, `weight`), sharegpt, prompt_completion, alpaca, preference,
                text; see `trainer.formats.shapes`

`read(path, ...)` recognises both (from the bytes first, the file name second), and `Reading.items()` streams
every `Example` and every located `Issue` in file order. One reader module per container, top to bottom:
`jsonl`, `json_stream`, `delimited`, `parquet`, `text`; `source` opens the bytes safely and `safejson` parses
with caps. Nothing here holds more than one row (and the caps of `Limits`) in memory.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from trainer.formats import delimited, json_stream, jsonl, parquet, text
from trainer.formats.example import Example, Issue
from trainer.formats.shapes import LABELS, MAPPABLE_ROLES, SHAPES, apply_mapping, describe_mapping, propose_mapping, \
    shape_from_keys, to_example
from trainer.formats.source import Limits, Source, SourceError, open_source

CONTAINERS = ("jsonl", "json", "json_objects", "csv", "tsv", "parquet", "text")
CONTAINER_LABELS = {"jsonl": "JSONL", "json": "a JSON array", "json_objects": "pretty-printed JSON objects",
                    "csv": "CSV", "tsv": "TSV", "parquet": "Parquet", "text": "a text file"}
FORCEABLE = SHAPES + ("csv",)  # what `data.format` / `--format` may name: a shape, or CSV for the container
PEEK_ROWS = 50  # rows looked at to find the first record whose keys name the shape
TEXT_SUFFIXES = (".txt", ".md", ".text")
JSON_SUFFIXES = (".jsonl", ".json", ".ndjson", "")
TIME_CHECK_ROWS = 1024  # the clock is read once per this many rows


@dataclass
class Note:
    """A fact about the file the user should know (not a problem with a row): reported as a warning."""

    code: str
    message: str


@dataclass
class Reading:
    path: Path
    source: Source | None
    container: str
    shape: str | None
    columns: list[str] = field(default_factory=list)  # keys / header of the first record
    mapping: dict[str, str] | None = None  # the mapping applied ({role: column}), None = the file's own names
    proposed: dict[str, str] | None = None  # a mapping to confirm, when no shape was recognised
    notes: list[Note] = field(default_factory=list)
    failure: Issue | None = None  # the file cannot be read at all (items() yields only this)
    delimiter: str = ","

    @property
    def label(self) -> str:
        if self.failure and not self.shape:
            return "unreadable"
        shape = LABELS.get(self.shape or "", "unrecognised records")
        gz = ", gzip-compressed" if self.source and self.source.compression else ""
        return f"{shape} in {CONTAINER_LABELS[self.container]}{gz}"

    def _container_rows(self, errors: list[Issue]) -> Iterator[tuple[int, object]]:
        if self.container == "jsonl":
            return jsonl.rows(self.source)
        if self.container in ("json", "json_objects"):
            return json_stream.rows(self.source, array=self.container == "json")
        if self.container in ("csv", "tsv"):
            return delimited.rows(self.source, self.delimiter, errors)
        if self.container == "parquet":
            return parquet.rows(self.source)
        return text.rows(self.source)

    def items(self) -> Iterator[Example | Issue]:
        """Every example and every located problem, in file order (the time limit ends it with one issue)."""
        if self.failure:
            yield self.failure
            return
        if self.shape is None:
            yield unmapped_issue(self)
            return
        strict = self.mapping is None and self.container in ("jsonl", "json", "json_objects")
        limit = self.source.limits.time_limit_s
        deadline = self.source.limits.deadline()
        side: list[Issue] = []  # problems the CSV reader meets between records
        try:
            for count, (line, record) in enumerate(self._container_rows(side), start=1):
                if side:
                    yield from side
                    side.clear()
                if isinstance(record, Issue):
                    yield record
                    continue
                if self.mapping:
                    record = apply_mapping(record, self.mapping)
                problems: list[Issue] = []
                example = to_example(record, self.shape, line, problems, strict_keys=strict)
                yield from problems
                if example is not None:
                    yield example
                if deadline and count % TIME_CHECK_ROWS == 0 and time.monotonic() > deadline:
                    yield Issue(None, "time_limit", f"checking stopped after {count:,} rows at the {limit:.0f} s time "
                                "limit; validate the full file with `tunewise validate-data` (no limit there)")
                    return
        except SourceError as exc:  # a gzip stream cut off, or decompressing past the size cap
            yield Issue(exc.line, exc.code, exc.message)
        yield from side


def unmapped_issue(reading: Reading) -> Issue:
    columns = ", ".join(reading.columns) or "(none)"
    if reading.container == "json_objects" and len(reading.columns) <= 3:
        return Issue(1, "single_json_document", f"this looks like one pretty-printed JSON document (keys: {columns}), "
                     "not a list of records: put the records in a JSON array, or write one object per line (JSONL)")
    proposal = reading.proposed or {}
    hint = (f" Map them: {describe_mapping(proposal)}? (--map "
            f"{','.join(f'{r}={c}' for r, c in proposal.items())})") if proposal else ""
    return Issue(None, "unmapped_columns", f"the columns {columns} are not a format tunewise knows (it reads "
                 "messages, conversations, prompt/completion, instruction/output, prompt/chosen/rejected, text)."
                 + hint)


def mapping_file(path: str | Path) -> Path:
    """Where the mapping a user confirmed for a data file is kept: beside it, `<name>.mapping.json`."""
    path = Path(path)
    return path.with_name(path.name + ".mapping.json")


def confirmed_mapping(path: str | Path) -> dict[str, str] | None:
    """The mapping the user confirmed for this file (in the chat), or None."""
    try:
        value = json.loads(mapping_file(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) and value else None


def save_confirmed_mapping(path: str | Path, mapping: dict[str, str]) -> Path:
    target = mapping_file(path)
    target.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    return target


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """'prompt=question,completion=answer' -> {'prompt': 'question', 'completion': 'answer'}; ValueError names the
    bad part."""
    if not text:
        return None
    mapping = {}
    for part in text.split(","):
        role, sep, column = part.partition("=")
        role, column = role.strip(), column.strip()
        if not sep or not role or not column:
            raise ValueError(f"{part!r} is not ROLE=COLUMN (e.g. prompt=question,completion=answer)")
        if role not in MAPPABLE_ROLES:
            raise ValueError(f"{role!r} is not a role; use {', '.join(MAPPABLE_ROLES)}")
        mapping[role] = column
    return mapping


def _first_record(reading: Reading) -> dict | None:
    for count, (_, record) in enumerate(reading._container_rows([]), start=1):
        if isinstance(record, dict):
            return record
        if count >= PEEK_ROWS:
            break
    return None


def _looks_like_json_line(line: str) -> bool:
    try:
        json.loads(line)
        return True
    except (json.JSONDecodeError, RecursionError, ValueError):
        return False


def _container(source: Source, forced: str | None, notes: list[Note]) -> tuple[str, str]:
    """(container, delimiter) from the first bytes, then the name."""
    name = source.path.name.lower()
    suffix = Path(name[:-3] if name.endswith(".gz") else name).suffix
    if source.encoding == "parquet":
        return "parquet", ","
    head = source.text_head()
    lines = head.splitlines()[:-1] or head.splitlines()  # the last line may be cut by the probe
    first = head.lstrip(" \t\r\n\ufeff")[:1]
    if forced == "csv" or suffix in (".csv", ".tsv"):
        default = "\t" if suffix == ".tsv" else ","
        delimiter = delimited.sniff_delimiter(lines[:delimited.SNIFF_LINES], default) or default
        return ("tsv" if delimiter == "\t" else "csv"), delimiter
    if first == "[":
        if suffix == ".jsonl":
            notes.append(Note("json_array", f"{source.path.name} is one JSON array, not JSONL: read as an array"))
        return "json", ","
    if first == "{":
        opening = lines[0].strip() if lines else ""
        if "\n" not in head or _looks_like_json_line(opening) or not opening.endswith(("{", "[", ",", ":")):
            return "jsonl", ","  # one object per line, or broken lines: each is checked (and reported) alone
        notes.append(Note("pretty_printed_json", f"{source.path.name} looks like pretty-printed JSON (objects spread "
                          "over several lines), not JSONL: read as a sequence of JSON objects"))
        return "json_objects", ","
    if forced == "text" or suffix in TEXT_SUFFIXES:
        return "text", ","
    delimiter = delimited.sniff_delimiter(lines[:delimited.SNIFF_LINES], ",") if len(lines) >= 2 else None
    if delimiter:
        kind = "tsv" if delimiter == "\t" else "csv"
        notes.append(Note("looks_like_csv", f"{source.path.name} looks like {kind.upper()} (a header and "
                          f"{delimiter!r}-separated columns), not JSON: read as {kind.upper()}"))
        return kind, delimiter
    return ("jsonl" if suffix in JSON_SUFFIXES else "text"), ","


def read(path: str | Path, format: str | None = None, mapping: dict[str, str] | None = None,
         limits: Limits = Limits()) -> Reading:
    """Recognise the file's container and shape (or take `format`); `mapping` {role: column} renames columns."""
    path = Path(path).expanduser()
    try:
        source = open_source(path, limits)
    except SourceError as exc:
        return Reading(path, None, "jsonl", format if format in SHAPES else None,
                       failure=Issue(exc.line, exc.code, exc.message))
    notes = [Note("compressed", n) if "gzip" in n else Note("encoding", n) for n in source.notes]
    container, delimiter = _container(source, format, notes)
    reading = Reading(path, source, container, None, mapping=mapping, notes=notes, delimiter=delimiter)
    if container == "text":
        reading.shape = "text"
        return reading
    try:
        record = _first_record(reading)
    except SourceError as exc:
        reading.failure = Issue(exc.line, exc.code, exc.message)
        return reading
    reading.columns = list(record)[:50] if record else []
    if format in SHAPES:
        reading.shape = format
    elif mapping and record is not None and any(c not in record for c in mapping.values()) \
            and shape_from_keys(set(record)):
        # a held-out file written with the standard names, next to a training file that needed the mapping
        reading.shape, reading.mapping = shape_from_keys(set(record)), None
        reading.notes.append(Note("mapping_not_used", f"{path.name} has its own recognised columns "
                                  f"({', '.join(reading.columns)}); the mapping {describe_mapping(mapping)} is not "
                                  "applied to it"))
    elif mapping:
        reading.shape = shape_from_keys(set(mapping))
        missing = [c for c in mapping.values() if record is not None and c not in record]
        if missing:
            reading.failure = Issue(1, "missing_column", f"no column {', '.join(map(repr, missing))} in the data; "
                                    f"its columns are {', '.join(reading.columns)}")
    elif record is None:
        reading.shape = "messages"  # nothing parses: read as chat rows so every line's error is reported
    else:
        reading.shape = shape_from_keys(set(record))
        if reading.shape is None:
            reading.proposed = propose_mapping([c for c in reading.columns if isinstance(record[c], str)]
                                               or reading.columns)
    return reading
