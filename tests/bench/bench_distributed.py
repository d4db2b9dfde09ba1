"""Benchmark, run by hand (not part of the test suite):

    .venv/bin/python tests/bench/bench_distributed.py [--repeats 3] [--steps 12] [--json out.json]

1. Training throughput, 1 process against 2 processes (torchrun, gloo on the CPU; NCCL on GPUs), at the same
   global batch: `tunewise train` of a small from-scratch pretraining job (≈ 1.9 M parameters, 128-token blocks,
   global batch 16 blocks), each run `--repeats` times. Per run: the median of the per-logging-step tokens/s the
   metrics record (first steps skipped as warm-up); reported: the median over runs and the 2-process / best
   1-process ratio. Three set-ups: 1 process using every core, 1 process with one thread (on a CPU shared with
   other work a second spinning OpenMP thread can cost more than it gives), 2 processes with cores/2 threads each.
2. Packed-block efficiency for continued pretraining: the share of non-padding tokens when documents are packed
   into blocks (trainer/corpus.py) against one document per row (each document's last block padded), for the
   guidance corpus as whole documents and split into paragraphs, with the bundled SmolLM2 tokenizer.

The load average is printed with the figures: on a shared machine, other work changes them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

WORDS = ("lease rent deposit tenant landlord clause schedule notice premises term party agent insurance repair "
         "assignment guarantor inventory keys payment default breach remedy arbitration court days writing").split()


def synthetic_corpus(folder: Path, documents: int = 400, seed: int = 0) -> Path:
    """Documents of 40-400 words from a 25-word domain vocabulary with sentence structure (≈ 0.5 M characters)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for _ in range(documents):
        sentences = []
        for _ in range(rng.randint(4, 40)):
            sentences.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + ".")
        rows.append({"text": " ".join(sentences)})
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def bench_config(path: Path, corpus: Path, per_device_batch: int, steps: int) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({
        "kind": "pretraining",
        "data": {"train": str(corpus)},
        "pretrain": {"vocab_size": 400, "block_size": 128, "hidden_size": 192, "layers": 4, "eval_blocks": 4,
                     "samples": 0},
        "training": {"max_steps": steps, "learning_rate": 1e-3, "batch_size": per_device_batch, "logging_every": 1,
                     "save_every": 100000, "warmup_ratio": 0.1},
        "eval": {"forgetting_probe": False},
    }))
    return path


def run_once(config: Path, nproc: int, threads: int, home: Path, run_dir: Path) -> float:
    env = os.environ | {"TUNEWISE_HOME": str(home), "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "ui.cli", "train", str(config), "--run-dir", str(run_dir)]
    if nproc > 1:
        cmd += ["--nproc", str(nproc)]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, start_new_session=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    rates = [r["tokens_per_s"] for r in rows if r.get("tokens_per_s")]
    return statistics.median(rates[3:] or rates)  # the first steps warm up allocators and the process group


SETUPS = {  # name: (processes, intra-op threads per process)
    "1 process × all cores": (1, os.cpu_count() or 1),
    "1 process × 1 thread": (1, 1),
    "2 processes × cores/2": (2, max(1, (os.cpu_count() or 2) // 2)),
}


def throughput(repeats: int, steps: int) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = synthetic_corpus(tmp / "corpus")
        global_batch = 16
        for k, (name, (nproc, threads)) in enumerate(SETUPS.items()):
            config = bench_config(tmp / f"bench-{nproc}.yaml", corpus, global_batch // nproc, steps)
            rates = []
            for i in range(repeats):
                rates.append(run_once(config, nproc, threads, tmp / "home", tmp / f"run-{k}-{i}"))
                print(f"  {name}, run {i + 1}: {rates[-1]:,.0f} tokens/s", flush=True)
            out[name] = {"processes": nproc, "threads": threads, "runs": rates,
                         "median_tokens_per_s": statistics.median(rates)}
        sizing = json.loads((tmp / "run-0-0" / "sizing.json").read_text())
    two = out["2 processes × cores/2"]["median_tokens_per_s"]
    out["ratio_2_over_best_1"] = two / max(v["median_tokens_per_s"] for v in out.values() if v["processes"] == 1)
    out["parameters"] = sizing["parameters"]
    out["global_batch_tokens"] = global_batch * 128
    return out


def packing_efficiency() -> dict:
    from trainer.base_models import bundled_tokenizer
    from trainer.corpus import scan_corpus, tokenize_to_file

    tokenizer = bundled_tokenizer(Path(tempfile.gettempdir()) / "tunewise-bench-tokenizer")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        guides = REPO / "knowledge" / "guides"
        paragraphs = tmp / "paragraphs.jsonl"
        with open(paragraphs, "w") as f:
            for path in sorted(guides.glob("*.md")):
                for para in path.read_text().split("\n\n"):
                    if para.strip():
                        f.write(json.dumps({"text": para.strip()}) + "\n")
        for name, source in (("guides, whole documents", guides), ("guides, one paragraph per document", paragraphs)):
            files, _ = scan_corpus(source)
            stats = tokenize_to_file(files, tokenizer, tmp / f"{len(out)}.bin")
            rows = {}
            for block in (128, 256, 512, 1024):
                rows[block] = {"packed": stats.packed_efficiency(block), "one_document_per_row":
                               stats.unpacked_efficiency(block)}
            out[name] = {"documents": stats.documents, "tokens": stats.tokens,
                         "median_document_tokens": statistics.median(stats.doc_lengths), "by_block_size": rows}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    load_before = os.getloadavg()
    t0 = time.time()
    print("packed-block efficiency (non-padding share of training tokens), SmolLM2 tokenizer:")
    packing = packing_efficiency()
    for name, r in packing.items():
        print(f"  {name}: {r['documents']} documents, {r['tokens']:,} tokens, median {r['median_document_tokens']:.0f} "
              "tokens per document")
        for block, e in r["by_block_size"].items():
            print(f"    block {block:>4}: packed {e['packed']:.2%}   one document per row {e['one_document_per_row']:.2%}")
    print(f"throughput, same global batch (16 × 128 tokens), {args.repeats} runs × {args.steps} steps each:")
    speed = throughput(args.repeats, args.steps)
    print(f"  model: {speed['parameters']:,} parameters")
    for name in SETUPS:
        print(f"  {name}: median {speed[name]['median_tokens_per_s']:,.0f} tokens/s "
              f"(runs: {', '.join(f'{x:,.0f}' for x in speed[name]['runs'])})")
    print(f"  ratio 2 processes / best 1-process set-up: {speed['ratio_2_over_best_1']:.2f}")
    load_after = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"{time.time() - t0:.0f} s in all")
    if args.json:
        Path(args.json).write_text(json.dumps({"packing": packing, "throughput": speed, "cores": os.cpu_count(),
                                               "load_average": [load_before[0], load_after[0]]}, indent=1,
                                              default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
