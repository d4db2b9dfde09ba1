"""Files a user drops into the chat: checked against the upload limits, then kept under TUNEWISE_HOME/uploads.

Limits (the message of each refusal names the limit and what to do):
    type   an allow-list of extensions: training data is JSONL, JSON, CSV/TSV, Parquet or plain text / markdown,
           the text ones also gzip-compressed (`.jsonl.gz`)
    size   at most `max_bytes` (default 100 MiB, `TUNEWISE_MAX_UPLOAD_MB` overrides it); Gradio's own cap at the
           HTTP layer is set a little higher so that a file just over the limit gets this clear sentence
    text   the first 64 KiB of a text type must be text: NUL bytes or invalid UTF-8 there mean a binary file (an
           image, a spreadsheet, a zip) that no data format can read; Parquet and gzip files are binary by design
           and are checked by the validator, which runs in its own capped process (trainer.validate.inspect_isolated)

A kept file goes to `uploads/<conversation id>/<UTC time>/<clean name>`: nothing is overwritten, so a fixed
re-upload sits beside the broken one and both stay readable by the validation report that named them, and the
file keeps the name the user knows it by.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from trainer.corpus import looks_binary
from trainer.state.home import uploads_dir

ALLOWED_EXTENSIONS = (".jsonl", ".json", ".csv", ".tsv", ".txt", ".md", ".parquet")
BINARY_FORMATS = (".parquet", ".gz")  # binary containers the validator opens itself
DEFAULT_MAX_MB = 100
PROBE_BYTES = 64 * 1024  # how much of a file is read to tell text from binary


def max_upload_bytes() -> int:
    """The per-file limit in bytes: TUNEWISE_MAX_UPLOAD_MB (a number of MiB) or 100 MiB."""
    raw = os.environ.get("TUNEWISE_MAX_UPLOAD_MB", "")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(mb * 2**20)


@dataclass
class Upload:
    name: str  # the name the user's file had
    path: Path | None  # where it is kept; None when refused
    size: int  # bytes
    refused: str = ""  # why it was not kept (one sentence), "" when kept

    @property
    def ok(self) -> bool:
        return not self.refused


def human_size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def clean_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return stem[-120:]


def accept(source: str | Path, original_name: str, conversation_id: str, max_bytes: int | None = None) -> Upload:
    """Check one uploaded file (at `source`, Gradio's temporary copy) and keep it when it passes."""
    source = Path(source)
    name = Path(original_name or source.name).name
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    size = source.stat().st_size if source.exists() else 0
    ext = "".join(Path(name).suffixes[-1:]).lower()
    shown = html.escape(name, quote=False)  # the name goes into a markdown message: its markup stays text
    ext_shown = html.escape(ext, quote=False).replace("`", "'")
    inner = "".join(Path(name).suffixes[-2:-1]).lower() if ext == ".gz" else ext
    if inner not in ALLOWED_EXTENSIONS or (ext == ".gz" and inner == ".parquet"):
        return Upload(name, None, size, f"**{shown}** was not accepted: `{ext_shown or 'no extension'}` is not a data file "
                      f"tunewise reads. Send {', '.join(ALLOWED_EXTENSIONS)}, or one of the text ones gzip-compressed "
                      "(JSONL is best for chat examples).")
    if size > limit:
        return Upload(name, None, size, f"**{shown}** was not accepted: it is {human_size(size)}, over the "
                      f"{human_size(limit)} upload limit. Send a smaller sample (a few thousand rows shows whether "
                      "training helps), or point a job config at the full file on disk.")
    if size == 0:
        return Upload(name, None, size, f"**{shown}** was not accepted: the file is empty.")
    if ext not in BINARY_FORMATS and looks_binary(source, PROBE_BYTES):
        return Upload(name, None, size, f"**{shown}** was not accepted: it is binary, not text (is it a spreadsheet, "
                      "an archive or an image renamed?). Export it as UTF-8 JSONL or CSV and send it again.")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    folder = uploads_dir() / clean_name(conversation_id or "unsorted") / stamp
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / clean_name(name)
    shutil.copyfile(source, target)
    return Upload(name, target, size)
