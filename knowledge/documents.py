"""Reading the user's own documents for `tunewise index add`: which files count, and which are skipped and why.

Every skip comes with the file's path and, where it applies, the byte offset, so the user can fix or remove
that one file; nothing here raises for a bad file, because one broken note must not stop a folder of good ones.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 2_000_000  # a 2 MB text file is a book; bigger ones are usually exports or logs


def text_files(root: Path) -> Iterator[Path]:
    """Markdown and text files under root in name order, streamed; hidden files and folders are skipped."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(TEXT_SUFFIXES):
                yield Path(folder) / name


def read_text_file(path: Path) -> tuple[str, str | None]:
    """(text, None) for a readable UTF-8 file, or ("", why it was skipped) with the byte offset where known."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return "", f"{size / 1e6:.1f} MB is larger than the {MAX_FILE_BYTES / 1e6:.0f} MB limit for one document"
        data = path.read_bytes()
    except OSError as exc:
        return "", f"cannot be read ({exc.strerror or exc})"
    nul = data.find(b"\0", 0, 8192)  # text files never hold NUL bytes; binaries nearly always do, early
    if nul >= 0:
        return "", f"looks binary (a NUL byte at offset {nul}), not text"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}, line {line}); save it as UTF-8"
    if not text.strip():
        return "", "is empty"
    return text, None
