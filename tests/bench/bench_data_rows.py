"""300,000 ordinary chat rows validated by `tunewise validate-data FILE --json` (bundled tokenizer), timed.

    python tests/bench/bench_data_rows.py [--rows 300000]

Writes a realistic file (system, user, assistant; 5-25 words per turn), runs the CLI as a user would, in a child
process, and reports wall time, CPU time (user + system: the figure that does not depend on how busy the shared
machine is) and peak RSS of that child. Bound: 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOUND_S = 30.0
WORDS = "what is the best way to cook rice quickly today without a pot on a camping stove".split()


def write(path: Path, n: int) -> None:
    r = random.Random(0)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            q = " ".join(r.choice(WORDS) for _ in range(r.randint(5, 25)))
            a = " ".join(r.choice(WORDS) for _ in range(r.randint(5, 25)))
            f.write(json.dumps({"messages": [{"role": "system", "content": "You are a helpful cook."},
                                             {"role": "user", "content": f"{q} ({i})?"},
                                             {"role": "assistant", "content": f"{a}."}]}) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tunewise-rows-"))
    path = folder / "rows.jsonl"
    write(path, args.rows)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # once to save the bundled tokenizer (a first run reads it from the GGUF), then the measured run
    subprocess.run([sys.executable, "-m", "ui.cli", "validate-data", str(path.with_name("x.jsonl")), "--json"],
                   env=env, capture_output=True, cwd=ROOT)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ui.cli", "validate-data", str(path), "--json"], env=env,
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(done.stdout)
    result = {"rows": report["rows"], "ok": report["ok"], "file_mb": round(path.stat().st_size / 2**20, 1),
              "wall_s": round(wall, 1), "cpu_s": round(after.ru_utime - before.ru_utime + after.ru_stime -
                                                      before.ru_stime, 1),
              "peak_rss_mb": round(after.ru_maxrss / 1024, 1), "tokens": report["stats"].get("tokens"),
              "token_count_method": report["stats"].get("token_count_method"), "bound_s": BOUND_S,
              "load_average": os.getloadavg()}
    print(json.dumps(result, indent=1))
    return 0 if report["rows"] == args.rows and wall <= BOUND_S else 1


if __name__ == "__main__":
    sys.exit(main())
