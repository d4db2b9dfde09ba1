"""`tunewise validate-data FILE [--json]`: check a dataset before anything trains on it.

The JSON printed (and returned by `inspect_dataset`, which the UI's upload report calls) is the contract of
DESIGN.md, with a few more keys. The advisor's `inspect_dataset` tool (tools/data.py) runs the same validator,
`trainer.datasets.validate_file`, and hands the model a shorter summary (the first few errors):

    {"ok": bool, "format": str, "format_label": str, "container": str, "compression": str | null,
     "columns": [str], "mapping": {role: column} | null, "proposed_mapping": {role: column} | null,
     "proposed_mapping_text": "question → prompt, answer → completion?" | null, "rows": int,
     "errors":   [{"line": int | null, "code": str, "message": str}],      every error in the file, by line
     "warnings": [{"code": str, "message": str, "count": int, "lines": [int]}],
     "stats":    {"rows", "examples", "unique_examples", "tokens", "length_tokens": {min, p50, p90, p95, p99, max,
                  mean}, "truncated", "truncated_tokens", "trained_tokens", "trained_share", "duplicates", ...}}

Exit status 0 when ok, 1 when not; a user mistake is never a traceback.

`inspect_isolated` runs the same check in a child process with a memory cap and a time limit: the app calls it for
uploads, so a hostile file costs that child, never the app.

    python -m trainer.validate FILE --json [--map prompt=question,completion=answer] [--time-limit 25]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from trainer.base_models import BUNDLED, ModelError, bundled_cache_dir, bundled_cache_ready, bundled_tokenizer, \
    load_tokenizer
from trainer.datasets import DEFAULT_MAX_BYTES, DataError, Issue, Report, validate_file
from trainer.formats import parse_mapping
from trainer.formats.source import Limits
from trainer.light_tokenizer import LightTokenizer
from trainer.state import home
from trainer.validate_args import add_arguments

CHILD_MEMORY_BYTES = 1536 << 20  # address-space cap of the checking child: 1.5 GiB (its resident peak is ≈ 0.4 GiB)
# The child stops reading this many seconds after it started (its start-up, ≈ 3 s on an idle CPU, included) and
# reports how far it got: an upload's answer comes within ≈ 26 s, inside the 30 s the app promises, and an ordinary
# file of 300,000 rows (≈ 20 s of checking) is still read to its end on an idle CPU.
CHILD_TIME_LIMIT_S = 25.0
CHILD_KILL_AFTER_S = 60.0  # a child still running this long is killed (a starved child on a very busy machine)
TOKENIZER_CACHE = "bundled-tokenizer"  # folder under TUNEWISE_HOME/models: the bundled tokenizer, saved once


def tokenizer_for(base_model: str | None):
    """The tokenizer that counts tokens (None = skip token checks).

    A model folder with a `tokenizer.json` is read by `LightTokenizer` (no transformers, no torch: about a second
    in a fresh process). The bundled model's tokenizer is read from the GGUF once (≈ 15 s, through transformers)
    and saved under TUNEWISE_HOME/models for that. A hub id goes through transformers."""
    if not base_model:
        return None
    if base_model.lower() in (BUNDLED, "smollm2", "bundled"):
        folder = bundled_cache_dir() if bundled_cache_ready() else home.models_dir() / TOKENIZER_CACHE
        if not LightTokenizer.can_load(folder):
            bundled_tokenizer(folder)
        return LightTokenizer(folder)
    folder = Path(base_model).expanduser()
    if folder.is_dir() and LightTokenizer.can_load(folder):
        return LightTokenizer(folder)
    return load_tokenizer(base_model)


def parse_columns(text: str | None) -> dict[str, str] | None:
    """'prompt=question,completion=answer' -> {'prompt': 'question', 'completion': 'answer'}."""
    try:
        return parse_mapping(text)
    except ValueError as exc:
        raise DataError(f"--map: {exc}", code="bad_columns", param="data.columns") from None


def inspect_dataset(path: str | Path, format: str | None = None, columns: dict[str, str] | None = None,
                    base_model: str | None = BUNDLED, max_seq_len: int = 1024, validation: str | None = None,
                    test: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                    time_limit_s: float | None = None, time_started: float | None = None) -> dict[str, Any]:
    """Validate one data file and return the report dict (the `validate-data --json` contract).

    Never raises for a bad file: problems are in "errors". When the tokenizer cannot be loaded the token checks
    are skipped and a `no_tokenizer` warning says why.
    """
    tokenizer, tokenizer_problem = None, None
    try:
        tokenizer = tokenizer_for(base_model)
    except ModelError as exc:
        tokenizer_problem = str(exc)
    limits = Limits(max_bytes=max_bytes, time_limit_s=time_limit_s, started_s=time_started)
    try:
        report = validate_file(path, format=format, columns=columns, tokenizer=tokenizer, max_seq_len=max_seq_len,
                               validation=validation, test=test, limits=limits)
    except DataError as exc:  # a bad option (unknown --format, unsupported template): one located error
        report = Report(str(path), format or "unknown", 0, [Issue(None, exc.code, str(exc))], 1, [], {}, [])
    result = report.to_dict()
    if tokenizer_problem:
        result["warnings"].append({"code": "no_tokenizer", "message": f"token checks skipped: {tokenizer_problem}",
                                   "count": 0, "lines": []})
    return result


def _limit_child() -> None:
    """In the child, before it runs: cap its address space, so a runaway allocation fails there, not here."""
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def _failed(path: str | Path, code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "file": str(path), "format": "unknown", "format_label": "unreadable", "rows": 0,
            "errors": [{"line": None, "code": code, "message": message}], "error_count": 1, "warnings": [],
            "stats": {}}


def inspect_isolated(path: str | Path, columns: dict[str, str] | None = None, base_model: str | None = BUNDLED,
                     max_seq_len: int = 1024, max_bytes: int = DEFAULT_MAX_BYTES,
                     time_limit_s: float = CHILD_TIME_LIMIT_S) -> dict[str, Any]:
    """`inspect_dataset` in a child process capped at CHILD_MEMORY_BYTES and killed after CHILD_KILL_AFTER_S;
    its peak resident memory (MiB) and wall time (s) are added under "isolation"."""
    if base_model:
        try:  # the bundled tokenizer is read from the GGUF once, here (trusted input), not in the capped child
            tokenizer_for(base_model)
        except ModelError:
            pass  # the child says why in its `no_tokenizer` warning
    command = [sys.executable, "-m", "trainer.validate", str(path), "--json", "--time-limit", str(time_limit_s),
               "--max-seq-len", str(max_seq_len), "--max-file-mb", str(max(1, max_bytes >> 20)),
               "--base-model", base_model or ""]  # "" = no tokenizer: token checks skipped
    if columns:
        command += ["--map", ",".join(f"{role}={column}" for role, column in columns.items())]
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(Path(__file__).resolve().parents[1]),
                                                                   os.environ.get("PYTHONPATH", "")] if p)}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=CHILD_KILL_AFTER_S, env=env,
                              preexec_fn=_limit_child)
    except subprocess.TimeoutExpired:
        return _failed(path, "check_timeout", f"checking {Path(path).name} took longer than {CHILD_KILL_AFTER_S:.0f} "
                       "s and was stopped; validate it with `tunewise validate-data` on the command line")
    seconds = round(time.monotonic() - started, 2)
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        memory = "MemoryError" in done.stderr or done.returncode < 0
        why = (f"it needed more than {CHILD_MEMORY_BYTES >> 20} MiB to check" if memory
               else f"the checker stopped (exit status {done.returncode})")
        return _failed(path, "check_failed", f"{Path(path).name} could not be checked: {why}; validate it with "
                       "`tunewise validate-data` for details")
    result["isolation"] = {"seconds": seconds, "exit_status": done.returncode,
                           "peak_rss_mb": result.pop("peak_rss_mb", None)}
    return result


def human(result: dict[str, Any]) -> str:
    lines = [f"{result['file']}: {result.get('format_label', result['format'])}, {result['rows']} rows — "
             + ("OK" if result["ok"] else f"{result['error_count']} error(s)")]
    if result.get("proposed_mapping_text"):
        lines.append(f"  mapping {result['proposed_mapping_text']}")
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
        lines.append(f"  stats   {s['examples']} examples, {s['tokens']:,} tokens; length p50 {p['p50']}, "
                     f"p90 {p['p90']}, max {p['max']}; {s['trained_share']:.0%} of tokens trained; "
                     f"{s['truncated']} truncated at {s['max_seq_len']}")
    return "\n".join(lines)


def _result(args: argparse.Namespace, time_started: float | None = None) -> dict[str, Any]:
    return inspect_dataset(args.file, format=args.format, columns=parse_columns(args.map),
                           base_model=args.base_model, max_seq_len=args.max_seq_len,
                           validation=args.validation, test=args.test, max_bytes=args.max_file_mb << 20,
                           time_limit_s=args.time_limit, time_started=time_started)


def _peak_rss_mb() -> float:
    """This process's peak resident memory since its exec (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def validate_command(args: argparse.Namespace) -> int:
    result = _result(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(human(result), file=sys.stdout if result["ok"] else sys.stderr)
    return 0 if result["ok"] else 1


if __name__ == "__main__":  # the isolated child of inspect_isolated
    home.apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m trainer.validate")
    add_arguments(parser)
    try:
        child_args = parser.parse_args()
        # the limit counts from this process's start (its imports are part of the user's wait): that moment on
        # the monotonic clock is now minus the seconds since its creation (psutil: seconds since the epoch)
        child = _result(child_args, time_started=time.monotonic() - (time.time() - psutil.Process().create_time()))
        child["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(child, ensure_ascii=False))
        sys.exit(0 if child["ok"] else 1)
    except DataError as exc:
        print(json.dumps(_failed(sys.argv[1] if len(sys.argv) > 1 else "", exc.code, str(exc))))
        sys.exit(1)
