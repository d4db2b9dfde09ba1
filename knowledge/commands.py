"""`tunewise search` and `tunewise index`: thin shells over knowledge.index that print reports.

Notes (index built, query shortened, files skipped, folder repaired) go to stderr so `--json` output on stdout
stays machine-readable.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from knowledge.index import open_index
from trainer.state.errors import UserError


def _print_notes(notes: list[str]) -> None:
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def search_command(args: argparse.Namespace) -> int:
    outcome = open_index().search(args.query, k=args.k, approach=args.approach, topic=args.topic)
    _print_notes(outcome.notes)
    if args.json:
        print(json.dumps(outcome.results, ensure_ascii=False, indent=2))
        return 0
    if not outcome.results:
        print("No passages matched.")
    for n, hit in enumerate(outcome.results, 1):
        print(f"{n}. {hit['title']} — {hit['section']}  [{hit['source']}, score {hit['score']:.2f}]")
        print(textwrap.indent(hit["text"], "   "))  # as written: lists and paragraphs keep their shape
        print()
    return 0


def index_command(args: argparse.Namespace) -> int:
    index = open_index()
    if args.action == "add":
        if not args.path:
            raise UserError("`tunewise index add` needs a PATH: a markdown or text file, or a folder of them.")
        index.ensure_ready()  # the built-in guidance is always there before user documents join it
        report = index.add_documents(Path(args.path))
        _print_notes(index.take_notes())
        if args.json:
            print(json.dumps(report.as_dict(), indent=2))
        else:
            print(f"Indexed {report.files} file(s) from {report.root}: {report.sync.summary()}.")
            if report.skipped:
                print(f"Skipped {len(report.skipped)} file(s); see the notes above.")
        return 0
    if args.path:
        raise UserError(f"`tunewise index {args.action}` takes no PATH; did you mean `tunewise index add {args.path}`?")
    if args.action == "status":
        status = index.status()
        _print_notes(index.take_notes())
        if args.json:
            print(json.dumps(status, indent=2))
        else:
            state = "stale (run `tunewise index`)" if status["stale"] else "up to date"
            print(f"Index: {status['path']}")
            print(f"Guides: {status['guides']} files, {status['guide_chunks']} passages, {state}; "
                  f"built {status['built_at'] or 'never'} with {status['embedding_model'] or '-'}")
            print(f"Your documents: {status['user_files']} files, {status['user_chunks']} passages"
                  + (f" from {', '.join(status['user_roots'])}" if status["user_roots"] else ""))
        return 0
    report = index.sync_guides()
    _print_notes(index.take_notes())
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(f"Guidance index at {index.path}: {report.summary()}.")
    return 0
