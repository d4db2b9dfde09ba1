"""CSV and TSV with a header row; the delimiter is sniffed (comma, tab, semicolon, pipe) from the first lines.

Cells may span lines (quoted newlines); a record's line is the line it starts on. A line over the row cap, or one
that is not text, is reported and read as an empty line so the numbering of the rest stays right.
"""

from __future__ import annotations

import csv
from typing import Iterator

from trainer.formats.example import Issue
from trainer.formats.jsonl import decode_line, too_long
from trainer.formats.source import RowTooLong, Source

DELIMITERS = ",\t;|"
SNIFF_LINES = 20


def sniff_delimiter(sample_lines: list[str], default: str) -> str | None:
    """The delimiter that splits the sample's lines into the same number (≥ 2) of columns, or None."""
    sample = "\n".join(sample_lines)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
        return dialect.delimiter
    except csv.Error:
        pass
    for delimiter in (default,) + tuple(d for d in DELIMITERS if d != default):
        counts = {len(row) for row in csv.reader(sample_lines, delimiter=delimiter) if row}
        if len(counts) == 1 and counts.pop() >= 2:
            return delimiter
    return None


def rows(source: Source, delimiter: str, errors: list[Issue]) -> Iterator[tuple[int, object]]:
    """(line, {header: cell}) per record; decoding problems go to `errors` as they are met."""
    cap = source.limits.max_row_bytes
    csv.field_size_limit(cap)

    def text_lines() -> Iterator[str]:
        for number, raw in source.lines(collapse_blank=False):  # csv counts every line
            if isinstance(raw, RowTooLong):
                errors.append(too_long(raw, cap))
                yield "\n"
                continue
            text = decode_line(source, number, raw)
            if isinstance(text, Issue) or "\x00" in text:
                errors.append(text if isinstance(text, Issue) else Issue(number, "binary_data", "line contains NUL "
                                                                         "characters"))
                yield "\n"
                continue
            yield text + "\n"

    reader = csv.reader(text_lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, Issue(1, "invalid_csv", f"the header is not valid CSV ({exc})")
        return
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        yield 1, Issue(1, "invalid_csv", f"the header repeats a column name: {header}")
        return
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, Issue(reader.line_num, "invalid_csv", f"not valid CSV ({exc})")
            line = reader.line_num
            continue
        start, line = line + 1, reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            yield start, Issue(start, "invalid_csv", f"{len(cells)} cells but the header has {len(header)} columns "
                               "(an unquoted delimiter inside a cell?)")
            continue
        yield start, {column: cell for column, cell in zip(header, cells) if cell != ""}  # empty = absent


def header_of(source: Source, delimiter: str) -> list[str]:
    for _, record in rows(source, delimiter, []):
        return list(record) if isinstance(record, dict) else []
    return []
