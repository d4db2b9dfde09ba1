"""Parquet, read with pyarrow in record batches (memory stays near one batch; each row is a dict of its columns).
A row's "line" in the report is its 1-based row number."""

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


def rows(source: Source) -> Iterator[tuple[int, object]]:
    import pyarrow  # already loaded by _open; named here for its exception type

    number = 0
    try:
        parquet = _open(source)
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for record in batch.to_pylist():
                number += 1
                yield number, record
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        yield number + 1, Issue(number + 1 if number else None, "invalid_parquet",
                                f"{source.path.name} cannot be read as Parquet after {number:,} rows: {exc}")
