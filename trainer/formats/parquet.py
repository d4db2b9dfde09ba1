"""Parquet, read with pyarrow in record batches (memory stays near one batch; each row is a dict of its columns).
A row's "line" in the report is its 1-based row number.

A list of structs (chat messages) has one schema for all its elements, so a key that only some messages carry
(`weight` on assistant turns, `tool_calls`) comes back as null on the others: nested nulls are dropped, so such a
key reads as absent, the way the JSON the file was written from had it. Top-level nulls stay (an empty column is
the validator's to report)."""

from __future__ import annotations

from typing import Iterator

from trainer.formats.example import Issue
from trainer.formats.source import Source

BATCH_ROWS = 1024


def _open(source: Source):
    # pyarrow is imported here, not at module top: it costs ~100 MB and a second of start-up that no other
    # format needs, and the validator runs in a fresh child process for each upload.
    import pyarrow.parquet as pq

    return pq.ParquetFile(source.path)


def columns(source: Source) -> list[str]:
    try:
        return list(_open(source).schema_arrow.names)
    except Exception:  # noqa: BLE001 — any pyarrow failure is reported by rows() with its message
        return []


def _without_nulls(value: object) -> object:
    """Nested dicts and lists with the null-valued keys of every dict removed."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def rows(source: Source) -> Iterator[tuple[int, object]]:
    import pyarrow  # already loaded by _open; named here for its exception type

    number = 0
    try:
        parquet = _open(source)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                number += 1
                yield number, {k: _without_nulls(v) if isinstance(v, (dict, list)) else v for k, v in record.items()}
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        yield number + 1, Issue(number + 1 if number else None, "invalid_parquet",
                                f"{source.path.name} cannot be read as Parquet after {number:,} rows: {exc}")
