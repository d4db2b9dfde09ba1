"""Hostile data files through the app's checker: every answer a JSON report, none a traceback, each within 30 s,
the checking child's resident memory within 500 MB.

    python tests/bench/bench_data_hostile.py [--folder /tmp/tunewise-hostile] [--limit N] [--sample N]

Builds tests/hostile_corpus.py at full size (50 MB lines, 1,000,000 rows, 1 GiB gzip bombs; ≈ 400 MB on disk,
built once) and runs each file through `trainer.validate.inspect_isolated` — the capped child process the app
uses for uploads, with the bundled tokenizer counting tokens. Per file it records the wall time of the whole call
(child start-up included), the child's peak RSS (its VmHWM, reported by the child) and its CPU
time (user + system, which does not depend on how busy a shared machine is). Prints one line per file and a
JSON summary; exits 1 when any bound is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

from tests.hostile_corpus import build  # noqa: E402
from trainer.validate import inspect_isolated, tokenizer_for  # noqa: E402

TIME_BOUND_S = 30.0
RSS_BOUND_MB = 500.0
APP_UPLOAD_CAP = 100 << 20  # the app's upload limit in bytes (files over it never reach the checker)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", default="/tmp/tunewise-hostile")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (a quick look)")
    parser.add_argument("--sample", type=int, default=None, help="only N files spread evenly over the sorted corpus "
                        "(every kind of file, for a busy machine)")
    args = parser.parse_args()
    folder = Path(args.folder)
    marker = folder / ".built"
    if not marker.is_file():
        started = time.monotonic()
        build(folder, full=True)
        marker.write_text("ok")
        print(f"built the corpus in {time.monotonic() - started:.0f} s", flush=True)
    paths = sorted(p for p in folder.iterdir() if p.name != ".built")[: args.limit]
    if args.sample and args.sample < len(paths):
        paths = [paths[round(i * (len(paths) - 1) / (args.sample - 1))] for i in range(args.sample)]
    tokenizer_for("smollm2-135m-instruct")  # save the bundled tokenizer once, as the app's first check does
    rows, failures = [], []
    for path in paths:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = usage.ru_maxrss
        started = time.monotonic()
        report = inspect_isolated(path, max_bytes=1 << 30)
        seconds = time.monotonic() - started
        usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        after = usage_after.ru_maxrss
        cpu = usage_after.ru_utime + usage_after.ru_stime - usage.ru_utime - usage.ru_stime
        # the child's own peak (VmHWM since its exec); RUSAGE_CHILDREN would also count the forked copy of this
        # process's pages before the exec
        rss_mb = (report.get("isolation") or {}).get("peak_rss_mb") or max(after, before) / 1024
        first = (report.get("errors") or [{}])[0]
        traceback = "Traceback" in json.dumps(report) or first.get("code") in ("check_failed", "check_timeout")
        row = {"file": path.name, "ok": report.get("ok"), "seconds": round(seconds, 2), "cpu_s": round(cpu, 2),
               "child_rss_mb": round(rss_mb, 1), "format": report.get("format_label"),
               "first": f"{first.get('code')}: {first.get('message', '')[:90]}"}
        rows.append(row)
        broken = traceback or seconds > TIME_BOUND_S or rss_mb > RSS_BOUND_MB
        if broken:
            failures.append(row)
        print(f"{'FAIL' if broken else 'ok  '} {seconds:5.1f} s wall {cpu:5.1f} s cpu {rss_mb:6.0f} MB  "
              f"{path.name[:34]:34} {row['first']}", flush=True)
    summary = {"files": len(rows), "tracebacks_or_crashes": sum(1 for r in failures if "check_" in r["first"]),
               "max_seconds": max(r["seconds"] for r in rows), "max_cpu_s": max(r["cpu_s"] for r in rows),
               "load_average": os.getloadavg(), "peak_child_rss_mb": max(r["child_rss_mb"]
                                                                                      for r in rows),
               "over_bounds": len(failures), "bounds": {"seconds": TIME_BOUND_S, "rss_mb": RSS_BOUND_MB}}
    print(json.dumps(summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
