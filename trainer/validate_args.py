"""The options of `tunewise validate-data` (and of `python -m trainer.validate`, the app's isolated checker), kept
apart from the checker so that building the CLI parser imports nothing heavy."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The `validate-data` options (the CLI and `python -m trainer.validate` share them)."""
    p.add_argument("file", help="JSONL, JSON, CSV/TSV, Parquet or text file (gzip-compressed too)")
    p.add_argument("--format", help="force the record shape (messages, sharegpt, prompt_completion, alpaca, "
                   "preference, text) or read the file as csv")
    p.add_argument("--map", "--columns", dest="map", help="column mapping ROLE=COLUMN,..., e.g. "
                   "prompt=question,completion=answer (roles: prompt, completion, instruction, input, output, system, "
                   "chosen, rejected, text, messages, conversations)")
    p.add_argument("--max-seq-len", type=int, default=1024, help="sequence length in tokens for the truncation check")
    p.add_argument("--base-model", default="smollm2-135m-instruct", help="whose tokenizer counts the tokens "
                   "(empty: skip token checks)")
    p.add_argument("--validation", help="your own validation file, checked and compared with FILE for overlap")
    p.add_argument("--test", help="your own test file, checked and compared with FILE for overlap")
    p.add_argument("--max-file-mb", type=int, default=1024,
                   help="size cap in MiB (decompressed size for gzip); default 1024")
    p.add_argument("--time-limit", type=float, default=None, help="stop checking after this many seconds and say "
                   "how far it got (default: no limit)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
