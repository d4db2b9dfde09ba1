"""`tunewise validate-data FILE [--json]`: check a dataset before anything trains on it.

The JSON printed (and returned by `inspect_dataset`, which the advisor's "inspect dataset" tool and the UI's
upload report call) is the contract of DESIGN.md:

    {"ok": bool, "format": str, "rows": int,
     "errors":   [{"line": int | null, "code": str, "message": str}],      every error in the file, by line
     "warnings": [{"code": str, "message": str, "count": int, "lines": [int]}],
     "stats":    {"rows", "examples", "tokens", "length_tokens": {min, p50, p90, p95, p99, max, mean},
                  "truncated", "trained_tokens", "trained_share", "duplicates", ...}}

Exit status 0 when ok, 1 when not; a user mistake is never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trainer.base_models import BUNDLED, ModelError, bundled_cache_ready, bundled_tokenizer, load_tokenizer
from trainer.datasets import DEFAULT_MAX_BYTES, DataError, Issue, Report, validate_file


def tokenizer_for(base_model: str | None):
    """The tokenizer that counts tokens (None = skip token checks). The bundled model's tokenizer is read without
    converting the whole model, so a first validation takes seconds, not the 20 s conversion."""
    if not base_model:
        return None
    if base_model.lower() in (BUNDLED, "smollm2", "bundled") and not bundled_cache_ready():
        return bundled_tokenizer()
    return load_tokenizer(base_model)


def parse_columns(text: str | None) -> dict[str, str] | None:
    """'prompt=question,completion=answer' -> {'prompt': 'question', 'completion': 'answer'}."""
    if not text:
        return None
    mapping = {}
    for part in text.split(","):
        role, sep, column = part.partition("=")
        if not sep or not role.strip() or not column.strip():
            raise DataError(f"--columns: {part!r} is not ROLE=COLUMN (e.g. prompt=question,completion=answer)",
                            code="bad_columns", param="data.columns")
        mapping[role.strip()] = column.strip()
    return mapping


def inspect_dataset(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
                    base_model: str | None = BUNDLED, max_seq_len: int = 1024, validation: str | None = None,
                    test: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Validate one data file and return the report dict (the `validate-data --json` contract).

    Never raises for a bad file: problems are in "errors". When the tokenizer cannot be loaded the token checks
    are skipped and a `no_tokenizer` warning says why.
    """
    tokenizer, tokenizer_problem = None, None
    try:
        tokenizer = tokenizer_for(base_model)
    except ModelError as exc:
        tokenizer_problem = str(exc)
    try:
        report = validate_file(path, format=format, columns=columns, tokenizer=tokenizer, max_seq_len=max_seq_len,
                               validation=validation, test=test, max_bytes=max_bytes)
    except DataError as exc:  # a bad option (unknown --format, unsupported template): one located error
        report = Report(str(path), format or "unknown", 0, [Issue(None, exc.code, str(exc))], 1, [], {}, [])
    result = report.to_dict()
    if tokenizer_problem:
        result["warnings"].append({"code": "no_tokenizer", "message": f"token checks skipped: {tokenizer_problem}",
                                   "count": 0, "lines": []})
    return result


def human(result: dict[str, Any]) -> str:
    lines = [f"{result['file']}: {result['format']}, {result['rows']} rows — "
             + ("OK" if result["ok"] else f"{result['error_count']} error(s)")]
    for e in result["errors"]:
        where = f"line {e['line']}" if e["line"] else "file"
        lines.append(f"  error   {where}: {e['message']} [{e['code']}]")
    if result["error_count"] > len(result["errors"]):
        lines.append(f"  … {result['error_count'] - len(result['errors'])} more errors not shown")
    for w in result["warnings"]:
        lines.append(f"  warning {w['message']} [{w['code']}]")
    s = result["stats"]
    if s.get("tokens"):
        p = s["length_tokens"]
        lines.append(f"  stats   {s['examples']} examples, {s['tokens']:,} tokens; length p50 {p['p50']}, p90 {p['p90']}, "
                     f"max {p['max']}; {s['trained_share']:.0%} of tokens trained; {s['truncated']} truncated at "
                     f"{s['max_seq_len']}")
    return "\n".join(lines)


def validate_command(args: argparse.Namespace) -> int:
    result = inspect_dataset(args.file, format=args.format, columns=parse_columns(args.columns),
                             base_model=args.base_model, max_seq_len=args.max_seq_len,
                             validation=args.validation, test=args.test)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(human(result), file=sys.stdout if result["ok"] else sys.stderr)
    return 0 if result["ok"] else 1
