"""Opening a data file safely: what it is (regular file? gzip? another encoding?) and its lines, each capped.

Everything here reads in blocks of `BLOCK_BYTES`; no line, and no file, is ever held whole beyond the caps in
`Limits`, so a hostile file (a 50 MB line, a gzip bomb, a FIFO) costs bounded memory and gets one clear sentence.

The checks, in order: the path is a regular file (not a folder, FIFO or device); it is not empty; its first bytes
name a container (gzip is decompressed on the fly; zip, Parquet and other binaries are named); its byte-order
mark or NUL pattern names its encoding (UTF-16/UTF-32 with a BOM are decoded; without one, a hint to save as UTF-8).
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import stat
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

BLOCK_BYTES = 1 << 20  # 1 MiB read at a time
BLANK_RUN = re.compile(rb"\n+")
PROBE_BYTES = 8192  # bytes looked at to recognise a container or an encoding

MAGIC = {  # first bytes of containers people upload by mistake (or on purpose)
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"PAR1": "parquet",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"(\xb5/\xfd": "zstd",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"%PDF": "pdf",
    b"\xd0\xcf\x11\xe0": "ole (an old Excel/Word file)",
    b"SQLite format 3": "sqlite",
    b"GGUF": "gguf (a model file)",
    b"\x7fELF": "elf (a program)",
}
BOMS = [  # longest first: the UTF-32-LE mark starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
]


@dataclass(frozen=True)
class Limits:
    """Caps that bound memory and time whatever the file holds."""

    max_bytes: int = 1 << 30  # file size cap in bytes (decompressed size for gzip); 1 GiB
    max_row_bytes: int = 8 << 20  # one row (line, JSON array element, CSV record): 8 MiB
    max_depth: int = 64  # JSON nesting depth (a chat row needs about 6)
    max_number_chars: int = 64  # characters in one JSON number (an int64 has 19 digits)
    time_limit_s: float | None = None  # stop reading after this many seconds (None = no limit)
    started_s: float | None = None  # the time.monotonic() the limit counts from (None = when reading starts)

    def deadline(self) -> float | None:
        """The time.monotonic() at which reading stops, None without a time limit."""
        if not self.time_limit_s:
            return None
        return (time.monotonic() if self.started_s is None else self.started_s) + self.time_limit_s


class SourceError(Exception):
    """The file cannot be read as text at all; `code` and the message say why, `line` where (None = the file)."""

    def __init__(self, code: str, message: str, line: int | None = None):
        super().__init__(message)
        self.code, self.message, self.line = code, message, line


@dataclass
class RowTooLong:
    """A line over `max_row_bytes`: skipped, reported with its line and size."""

    line: int
    size: int  # bytes in the line (counted while skipping it, never held)


@dataclass
class Source:
    path: Path
    compression: str | None  # "gzip" or None
    encoding: str  # a Python codec name
    notes: list[str] = field(default_factory=list)  # facts worth telling the user ("this is gzip — ...")
    limits: Limits = field(default_factory=Limits)

    def raw(self):
        """The decompressed byte stream, capped at `limits.max_bytes`."""
        f = open(self.path, "rb")
        return _Capped(gzip.GzipFile(fileobj=f) if self.compression == "gzip" else f, self.limits.max_bytes, self)

    def head(self, n: int = PROBE_BYTES) -> bytes:
        """The first `n` decompressed bytes, or b'' when the stream is broken (the reader reports it)."""
        try:
            with self.raw() as f:
                return f.read(n)
        except (OSError, EOFError, zlib.error, SourceError):
            return b""

    def text_head(self, n: int = PROBE_BYTES) -> str:
        data = self.head(n)
        return codecs.getincrementaldecoder(self.encoding)(errors="replace").decode(data)

    def lines(self, collapse_blank: bool = True) -> Iterator[tuple[int, bytes | RowTooLong]]:
        """(line number, raw bytes without the newline) for every line; a line over the row cap is a `RowTooLong`.

        The newline is searched in the encoded form, so UTF-16/32 lines split at the right code units.
        `collapse_blank`: a run of empty lines comes out as one empty line (numbering stays right), so a flood of
        newlines (a gzip bomb of them) costs one step per block, not one per line."""
        newline = "\n".encode(self.encoding)
        unit = len(newline)
        cap = self.limits.max_row_bytes
        number, pending, skipping, skipped = 0, b"", False, 0
        with self.raw() as f:
            first = True
            while True:
                block = f.read(BLOCK_BYTES)
                if first:
                    block, first = _strip_bom(block), False
                if not block:
                    break
                data = pending + block
                start = 0
                while True:
                    end = _find_aligned(data, newline, start, unit)
                    if end < 0:
                        break
                    number += 1
                    if collapse_blank and end == start and unit == 1:
                        run = BLANK_RUN.match(data, start).end() - start  # newlines from here on
                        yield number, b""
                        number += run - 1
                        start += run
                        continue
                    if skipping:
                        yield number, RowTooLong(number, skipped + end - start)
                        skipping, skipped = False, 0
                    elif end - start > cap:
                        yield number, RowTooLong(number, end - start)
                    else:
                        yield number, data[start:end]
                    start = end + unit
                rest = data[start:]
                if skipping or len(rest) > cap:  # the current line is already over the cap: count it, drop it
                    skipped += len(rest) - (len(rest) % unit)
                    pending = rest[len(rest) - (len(rest) % unit):]
                    skipping = True
                else:
                    pending = rest
        if skipping:
            yield number + 1, RowTooLong(number + 1, skipped + len(pending))
        elif pending.strip(b"\r\n\x00" if unit > 1 else b"\r\n"):
            yield number + 1, pending

    def decode(self, raw: bytes) -> str:
        return raw.decode(self.encoding)


class _Capped:
    """A file object that raises `SourceError` once more than `cap` bytes came out of it (gzip bombs)."""

    def __init__(self, inner, cap: int, source: Source):
        self.inner, self.cap, self.seen, self.source = inner, cap, 0, source
        self.deadline = source.limits.deadline()  # also checked here: one giant line has no row boundary to stop at

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.inner.read(n)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise SourceError("truncated_gzip", f"{self.source.path.name}: the gzip data is cut off or damaged after "
                              f"{self.seen:,} decompressed bytes ({exc}); compress the file again") from None
        self.seen += len(data)
        if self.deadline and time.monotonic() > self.deadline:
            raise SourceError("time_limit", f"checking stopped after {self.seen / 2**20:,.0f} MiB at the "
                              f"{self.source.limits.time_limit_s:.0f} s time limit; validate the full file with "
                              "`tunewise validate-data` (no limit there)")
        if self.seen > self.cap:
            what = "decompresses to" if self.source.compression else "is"
            raise SourceError("file_too_large", f"{self.source.path.name} {what} more than {self.cap / 2**20:,.0f} MiB "
                              "(data.max_file_mb); split the file or raise the cap")
        return data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inner.close()


def _strip_bom(block: bytes) -> bytes:
    for bom, _ in BOMS:
        if block.startswith(bom):
            return block[len(bom):]
    return block


def _find_aligned(data: bytes, newline: bytes, start: int, unit: int) -> int:
    """Index of the next newline code unit at a multiple of `unit` bytes from `start` (UTF-16/32 safety)."""
    at = data.find(newline, start)
    while at >= 0 and (at - start) % unit:
        at = data.find(newline, at + 1)
    return at


def what_is(path: Path) -> str | None:
    """None for a regular file, else what the path is instead, in words."""
    try:
        mode = os.stat(path).st_mode  # follows symlinks: a link to a device is a device
    except FileNotFoundError:
        return "does not exist" if not os.path.lexists(path) else "is a broken symbolic link"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
        else "a socket" if stat.S_ISSOCK(mode) else "special"
    return f"is not a regular file (it is {kind}); save the data to an ordinary file"


def open_source(path: str | Path, limits: Limits = Limits()) -> Source:
    """Check the file and recognise its container and encoding; raises `SourceError` when it cannot be text."""
    path = Path(path).expanduser()
    problem = what_is(path)
    if problem:
        raise SourceError("file_not_found" if "exist" in problem or "broken" in problem else "not_a_regular_file",
                          f"{path} {problem}")
    size = path.stat().st_size
    if size == 0:
        raise SourceError("empty_file", f"{path.name} is empty")
    if size > limits.max_bytes:
        raise SourceError("file_too_large", f"{path.name} is {size / 2**20:,.0f} MiB, over the "
                          f"{limits.max_bytes / 2**20:,.0f} MiB cap (data.max_file_mb); split the file or raise the "
                          "cap")
    with open(path, "rb") as f:
        head = f.read(PROBE_BYTES)
    container = next((name for magic, name in MAGIC.items() if head.startswith(magic)), None)
    source = Source(path, None, "utf-8", limits=limits)
    if container == "gzip":
        source.compression = "gzip"
        source.notes.append(f"{path.name} is gzip-compressed: it is decompressed while reading")
        head = source.head()
        if not head:
            raise SourceError("truncated_gzip", f"{path.name} starts like gzip but its data cannot be decompressed "
                              "(cut off or damaged); compress the file again")
        if any(head.startswith(magic) for magic in MAGIC):
            inner = next(name for magic, name in MAGIC.items() if head.startswith(magic))
            raise SourceError("binary_data", f"{path.name} is gzip around {_a(inner)} file, not text data")
    elif container == "parquet":
        source.encoding = "parquet"
        return source
    elif container:
        hint = "; extract it and send the data file inside" if container in ("zip", "7z", "bzip2", "xz", "zstd") \
            else "; export the data as UTF-8 JSONL or CSV"
        raise SourceError("binary_data", f"{path.name} is {_a(container)} file, not a text data file{hint}")
    source.encoding = _encoding(path.name, head)
    if source.encoding != "utf-8":
        source.notes.append(f"{path.name} is {source.encoding.upper()} text (it has a byte-order mark): decoded as "
                            "such; UTF-8 is the usual encoding for data files")
    return source


def _a(name: str) -> str:
    return ("an " if name[:1].lower() in "aeiou" else "a ") + name


def _printable_share(data: bytes) -> float:
    return sum(1 for b in data if 32 <= b < 127 or b in (9, 10, 13)) / max(1, len(data))


def _encoding(name: str, head: bytes) -> str:
    """The codec of a text file, from its BOM; raises for binary data and for UTF-16/32 without a BOM.

    A few NUL bytes in otherwise clean UTF-8 are left to the row readers, which report them by line."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return encoding
    zeros = head.count(0)
    if zeros:
        sample = head[:4096]
        for offset in (0, 1):  # UTF-16/32 of mostly-ASCII text: every other (or 3 of 4) byte is NUL
            others = sample[offset::2]
            if sample[1 - offset::2].count(0) > 0.4 * len(sample) / 2 and others.count(0) < len(others) \
                    and _printable_share(others.replace(b"\x00", b"")) > 0.9:
                raise SourceError("not_utf8", f"{name} looks like UTF-16 or UTF-32 text without a byte-order mark; "
                                  "save it as UTF-8 (or as UTF-16 with a BOM) and send it again", 1)
    try:
        head.decode("utf-8")
        clean = True
    except UnicodeDecodeError as exc:  # a character cut at the probe's end is still text
        clean = exc.start >= len(head) - 4
    if zeros > 0.01 * len(head) or not clean and _printable_share(head) < 0.7:
        raise SourceError("binary_data", f"{name} is binary data, not text (NUL or non-text bytes in its first "
                          f"{len(head):,} bytes: the wrong file, or a spreadsheet or archive renamed?)", 1)
    return "utf-8"
