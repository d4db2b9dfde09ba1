"""Benchmark: tunewise SFT against the plain Hugging Face Trainer and TRL's SFTTrainer (run by hand, not in CI).

    .venv/bin/python tests/bench/bench_sft.py                 # 5 interleaved repeats of every variant
    .venv/bin/python tests/bench/bench_sft.py --repeats 1     # a quick look

Same tiny model (random 2-layer Llama, hidden 64, real SmolLM2 tokenizer: 49,152 tokens), same data, same seed
(repeat r uses seed r for every variant, so the spread of eval losses across repeats is the seed noise), same LoRA
(r 16, alpha 32, dropout 0.05 on q/k/v/o/gate/up/down), same optimiser settings (AdamW, lr 2e-3, cosine, 3 % warm-up,
batch 8, 1 epoch, fp32 on the CPU, one thread per run, one checkpoint at the end of the epoch):

    a  tunewise      trainer/sft.py as a job runs it (length-grouped batches, loss only where trained)
    a_pack           tunewise with training.batching: packing (to choose the default)
    b  hf_pad_max    the plain `Trainer`, every batch padded to the longest example of the data set
    c  trl_default   TRL `SFTTrainer` with its defaults (gradient checkpointing on, pad to the longest in batch,
                     completion-only loss on prompt/completion data) except bf16, off for an fp32 CPU comparison
    c_nogc           TRL with gradient checkpointing off (how much of c's time is checkpointing)

Data: 96 chat examples (64 train = 8 steps of 8, 32 validation) whose lengths vary like real instruction data: prompt and answer
word counts drawn from log-normal distributions (prompt median 45 words, σ 0.9; answer median 30 words, σ 0.8),
clipped to 3..260 words, giving a long right tail (token lengths below).

Each run is a fresh subprocess: its training loop is timed (train() only; loading and tokenising excluded), its
peak RSS read from getrusage after training, and the validation loss of the saved adapter measured the same way
for every variant (mean cross-entropy over answer tokens). Trained tokens/s = non-padding tokens of the epoch /
training seconds. Reported: medians over the repeats and ratios against tunewise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

VARIANTS = ["a", "b", "c", "a_pack", "c_nogc"]
NAMES = {"a": "tunewise", "a_pack": "tunewise packing", "b": "HF Trainer pad-to-max", "c": "TRL SFTTrainer defaults",
         "c_nogc": "TRL without grad. ckpt"}
LR, BATCH, RANK = 2e-3, 8, 16
SEED = 0  # repeat r runs every variant with seed r (set in one_run), so eval-loss spread = seed noise
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
VOCAB = ("the of and to in is that for it as with was on be by this are at from or an have not which but they "
         "data model train answer question value system user table report order city number price time team "
         "result error file line code test check plan cost week month year first second third small large").split()


def lognormal_words(r: random.Random, median: float, sigma: float) -> str:
    n = int(min(260, max(3, r.lognormvariate(0, sigma) * median)))
    return " ".join(r.choice(VOCAB) for _ in range(n))


def write_data(folder: Path) -> None:
    r = random.Random(1234)
    rows = [{"prompt": lognormal_words(r, 45, 0.9) + "?", "completion": lognormal_words(r, 30, 0.8) + "."}
            for _ in range(96)]
    for name, part in (("train", rows[:64]), ("val", rows[64:])):
        (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(x) for x in part) + "\n")


def lora_config():
    from peft import LoraConfig

    return LoraConfig(r=RANK, lora_alpha=32, lora_dropout=0.05, target_modules=TARGETS, task_type="CAUSAL_LM")


def shared_args() -> dict:
    return dict(per_device_train_batch_size=BATCH, num_train_epochs=1, learning_rate=LR, lr_scheduler_type="cosine",
                warmup_steps=0.03, seed=SEED, data_seed=SEED, use_cpu=True, report_to=[], disable_tqdm=True,
                logging_steps=5, save_strategy="epoch", dataloader_num_workers=0)


def encoded(folder: Path, name: str):
    from transformers import AutoTokenizer

    from trainer.datasets import encode, ensure_chat_template, read_file

    tokenizer = AutoTokenizer.from_pretrained(folder / "tiny")
    ensure_chat_template(tokenizer)
    return tokenizer, [encode(tokenizer, e, 1024) for e in read_file(folder / f"{name}.jsonl").examples]


def run_tunewise(folder: Path, out: Path, batching: str) -> tuple[float, int]:
    from trainer import sft
    from trainer.config import parse_config

    config = parse_config({
        "kind": "sft", "model": {"base": str(folder / "tiny"), "max_seq_len": 1024},
        "data": {"train": str(folder / "train.jsonl"), "split": [1.0, 0.0, 0.0]},
        "lora": {"method": "lora", "r": RANK, "alpha": 32, "dropout": 0.05, "target_modules": TARGETS},
        "training": {"epochs": 1, "learning_rate": LR, "batch_size": BATCH, "warmup_ratio": 0.03,
                     "lr_scheduler": "cosine", "seed": SEED, "logging_every": 5, "batching": batching},
        "eval": {"enabled": False},
    })
    result = sft.run(config, out)
    _, train = encoded(folder, "train")
    return result["train_runtime_s"], sum(len(e.input_ids) for e in train)


def run_hf_pad_max(folder: Path, out: Path) -> tuple[float, int]:
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    from trainer.batching import Collator, features

    tokenizer, train = encoded(folder, "train")
    longest = max(len(e.input_ids) for e in train)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(folder / "tiny", dtype=torch.float32), lora_config())
    args = TrainingArguments(output_dir=str(out / "checkpoints"), remove_unused_columns=False, **shared_args())
    trainer = Trainer(model=model, args=args, train_dataset=features(train),
                      data_collator=Collator(tokenizer.pad_token_id, pad_to=longest))
    runtime = trainer.train().metrics["train_runtime"]
    model.save_pretrained(out / "adapter")
    return runtime, sum(len(e.input_ids) for e in train)


def run_trl(folder: Path, out: Path, gradient_checkpointing: bool) -> tuple[float, int]:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    rows = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": x["prompt"]}],
                               "completion": [{"role": "assistant", "content": x["completion"]}]} for x in rows])
    tokenizer = AutoTokenizer.from_pretrained(folder / "tiny")
    model = AutoModelForCausalLM.from_pretrained(folder / "tiny", dtype=torch.float32)
    args = SFTConfig(output_dir=str(out / "checkpoints"), bf16=False, gradient_checkpointing=gradient_checkpointing,
                     **shared_args())
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                         peft_config=lora_config())
    tokens = sum(len(ids) for ids in trainer.train_dataset["input_ids"])
    runtime = trainer.train().metrics["train_runtime"]
    trainer.model.save_pretrained(out / "adapter")
    return runtime, tokens


def one_run(variant: str, folder: Path, out: Path, seed: int) -> dict:
    """Train one variant in this process; return its measurements."""
    import torch

    global SEED
    SEED = seed
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    if variant in ("a", "a_pack"):
        runtime, tokens = run_tunewise(folder, out, "group_by_length" if variant == "a" else "packing")
    elif variant == "b":
        runtime, tokens = run_hf_pad_max(folder, out)
    else:
        runtime, tokens = run_trl(folder, out, gradient_checkpointing=variant == "c")
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from trainer.forgetting import row_losses

    _, val = encoded(folder, "val")
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(folder / "tiny"), str(out / "adapter"))
    nats, counted = row_losses(model, val)
    loss = float(nats.sum() / counted.sum())  # nats per validation token
    return {"variant": variant, "seed": seed, "train_s": runtime, "tokens": tokens, "tokens_per_s": tokens / runtime,
            "peak_rss_mb": peak_rss_mb, "eval_loss": loss}


def prepare(folder: Path) -> None:
    from trainer.base_models import make_tiny_model

    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "tiny" / "config.json").is_file():
        make_tiny_model(folder / "tiny", tokenizer_cache=folder / "tokenizer")
    write_data(folder)
    tokenizer, train = encoded(folder, "train")
    lengths = sorted(len(e.input_ids) for e in train)
    pick = lambda q: lengths[int(q * (len(lengths) - 1))]  # noqa: E731
    print(f"train lengths (tokens): min {lengths[0]}, p50 {pick(0.5)}, p90 {pick(0.9)}, max {lengths[-1]}, "
          f"mean {statistics.mean(lengths):.0f}; pad-to-max pads every row to {lengths[-1]} "
          f"({1 - sum(lengths) / (lengths[-1] * len(lengths)):.0%} padding)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--variants", default="a,b,c,a_pack", help=f"comma-separated, from {','.join(VARIANTS)}")
    parser.add_argument("--workdir", default="/tmp/tunewise-bench-sft")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one variant, print its JSON
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.workdir)
    if args.one:
        print("RESULT " + json.dumps(one_run(args.one, folder, Path(args.out), args.seed)), flush=True)
        return
    prepare(folder)
    variants = args.variants.split(",")
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for repeat in range(args.repeats):
        for variant in variants:  # interleaved, so slow drifts of the machine hit every variant alike
            out = folder / "runs" / f"{variant}-{repeat}"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            started = time.time()
            proc = subprocess.run([sys.executable, __file__, "--one", variant, "--workdir", str(folder),
                                   "--out", str(out), "--seed", str(repeat)], capture_output=True, text=True, env={**os.environ,
                                   "TUNEWISE_HOME": str(folder / "home")})
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if not line:
                sys.exit(f"{variant} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            row = json.loads(line[0][7:])
            results[variant].append(row)
            print(f"repeat {repeat} {variant:7s} {row['tokens_per_s']:8.0f} tok/s  {row['peak_rss_mb']:6.0f} MB  "
                  f"eval loss {row['eval_loss']:.4f}  ({time.time() - started:.0f} s wall)", flush=True)
    median = {v: {k: statistics.median(r[k] for r in rows) for k in ("tokens_per_s", "peak_rss_mb", "eval_loss",
                                                                        "train_s")}
              for v, rows in results.items()}
    base = median[variants[0]]
    print(f"\nmedians over {args.repeats} repeats; speed-up = {NAMES[variants[0]]} tok/s / variant tok/s, "
          f"RSS ratio = {NAMES[variants[0]]} peak RSS / variant peak RSS")
    print(f"{'variant':26s} {'tok/s':>8s} {'speed-up':>9s} {'peak RSS MB':>12s} {'RSS ratio':>10s} {'eval loss':>10s}")
    for v in variants:
        m = median[v]
        losses = [r["eval_loss"] for r in results[v]]
        print(f"{NAMES[v]:26s} {m['tokens_per_s']:8.0f} {base['tokens_per_s'] / m['tokens_per_s']:8.2f}× "
              f"{m['peak_rss_mb']:12.0f} {base['peak_rss_mb'] / m['peak_rss_mb']:9.2f}× {m['eval_loss']:10.4f} "
              f"(seeds: {min(losses):.4f}..{max(losses):.4f})")
    (folder / "results.json").write_text(json.dumps({"runs": results, "medians": median}, indent=1))
    print(f"\nall runs: {folder / 'results.json'}")


if __name__ == "__main__":
    main()
