"""Benchmark: tunewise SFT against the Hugging Face Trainer and TRL's SFTTrainer, each set up as its expert users
would, on the bundled model (run by hand, not in CI).

    .venv/bin/python tests/bench/bench_sft.py                       # bundled SmolLM2-135M, 3 interleaved repeats
    .venv/bin/python tests/bench/bench_sft.py --model tiny          # the random tiny model (a secondary row)
    .venv/bin/python tests/bench/bench_sft.py --repeats 1 --rows 96 # a quick look (below the issue's 200 rows)
    .venv/bin/python tests/bench/bench_sft.py --variants tunewise --tunewise-batching pad_to_longest  # random batches

Variants (same model, data, seed, LoRA r 16 / alpha 32 on the seven projections, AdamW, cosine, 3 % warm-up,
learning rate, effective batch 8, one epoch, the same precision, gradient checkpointing off, same torch threads):

    tunewise      trainer/sft.py as a job runs it: length-grouped batches, loss (and logits) only where trained
    hf_grouped    the plain `Trainer` + peft with what a competent user picks: dynamic padding to the longest row of
                  each batch, `train_sampling_strategy="group_by_length"`, prompt tokens masked out of the loss
    trl_padfree   TRL `SFTTrainer` at its best on this data: `padding_free=True` (rows flattened into one sequence
                  with position ids, no padding at all) and completion-only loss
    trl_default   TRL `SFTTrainer` with its defaults (gradient checkpointing on, padding to the longest row of a
                  batch, completion-only loss on prompt/completion data)

Precision (`--precision`, the same for every variant): bf16 autocast over fp32 weights where this CPU has bf16
matrix instructions (AMX, AVX512-BF16), which is what tunewise's `model.dtype: auto` and TRL's default (`bf16=True`)
both pick there; fp32 elsewhere. `--precision fp32` compares everyone in fp32.

Data: real English (sentences of trainer/data/general_text.txt) in a task the model has to learn — "rewrite this
passage with every word capitalised" — so eval loss falls from the base model's and says whether a variant learned.
Passage lengths are log-normal (median 24 words, sigma 0.8, clipped to 4..170 words), so whole rows (template +
passage + rewrite) run from ~30 to ~512 tokens with a long right tail. `--rows` rows train (default 208 = 26 optimizer
steps of 8), and a further 48 rows are the one held-out split every variant's adapter is scored on.

Counted for each variant from the rows its own trainer trains on, over the epoch:
    loss-bearing tokens/s   tokens whose next-token loss is taken (the answers), per training second
    non-padding tokens/s    every real token, prompt included, per training second
Training seconds are the Trainer's own clock of its loop (`train_runtime`; loading and tokenising excluded, the
same clock for every variant). Peak RSS is read from getrusage after training; eval loss is the mean
cross-entropy over answer tokens of the held-out split, computed by one function for every variant.
Each run is a fresh subprocess; repeats are interleaved so drifts of a shared machine hit every variant alike;
medians over repeats, and ratios tunewise / variant.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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

VARIANTS = ["tunewise", "hf_grouped", "trl_padfree", "trl_default"]
NAMES = {"tunewise": "tunewise", "hf_grouped": "HF Trainer + peft, grouped", "trl_padfree": "TRL padding-free",
         "trl_default": "TRL defaults"}
BATCH, RANK, ALPHA, HELD_OUT = 8, 16, 32, 48
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
INSTRUCTION = "Rewrite this passage with every word capitalised:\n\n"


# ---------------------------------------------------------------------------------------------------------------
# data


def passages(count: int, seed: int) -> list[str]:
    """`count` contiguous runs of real sentences with log-normal word counts."""
    text = (ROOT / "trainer" / "data" / "general_text.txt").read_text()
    words = re.sub(r"\s+", " ", text).split(" ")
    r = random.Random(seed)
    out = []
    for _ in range(count):
        n = int(min(170, max(4, r.lognormvariate(0, 0.8) * 24)))
        start = r.randrange(0, len(words) - n)
        out.append(" ".join(words[start:start + n]))
    return out


def write_data(folder: Path, rows: int) -> None:
    texts = passages(rows + HELD_OUT, seed=1234)
    records = [{"prompt": INSTRUCTION + t, "completion": " ".join(w[:1].upper() + w[1:] for w in t.split(" "))}
               for t in texts]
    for name, part in (("train", records[:rows]), ("val", records[rows:])):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(x) + "\n" for x in part))


def encoded(folder: Path, name: str):
    from transformers import AutoTokenizer

    from trainer.datasets import encode, ensure_chat_template, read_file

    tokenizer = AutoTokenizer.from_pretrained(model_path(folder))
    ensure_chat_template(tokenizer)
    return tokenizer, [encode(tokenizer, e, 1024) for e in read_file(folder / f"{name}.jsonl").examples]


def counts(rows) -> tuple[int, int]:
    """(loss-bearing, non-padding) tokens of encoded rows: a label at position t is the target of position t-1."""
    return sum(sum(1 for x in e.labels[1:] if x != -100) for e in rows), sum(len(e.input_ids) for e in rows)


def model_path(folder: Path) -> str:
    return (folder / "model.txt").read_text().strip()


# ---------------------------------------------------------------------------------------------------------------
# the variants


def lora_config(dropout: float):
    from peft import LoraConfig

    return LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=dropout, target_modules=TARGETS, task_type="CAUSAL_LM")


def shared_args(lr: float, seed: int) -> dict:
    return dict(per_device_train_batch_size=BATCH, num_train_epochs=1, learning_rate=lr, lr_scheduler_type="cosine",
                warmup_steps=0.03, seed=seed, data_seed=seed, use_cpu=True, report_to=[], disable_tqdm=True,
                logging_steps=5, save_strategy="no", dataloader_num_workers=0)


TUNEWISE_BATCHING = "auto"  # training.batching of the tunewise variant (--tunewise-batching)
PRECISION = "fp32"  # every variant's compute precision (--precision, resolved): fp32 or bf16 (autocast on the CPU)


def run_tunewise(folder: Path, out: Path, lr: float, dropout: float, seed: int):
    from trainer import sft
    from trainer.config import parse_config

    config = parse_config({
        "kind": "sft", "model": {"base": model_path(folder), "max_seq_len": 1024, "dtype": PRECISION},
        "data": {"train": str(folder / "train.jsonl"), "split": [1.0, 0.0, 0.0]},
        "lora": {"method": "lora", "r": RANK, "alpha": ALPHA, "dropout": dropout, "target_modules": TARGETS},
        "training": {"epochs": 1, "learning_rate": lr, "batch_size": BATCH, "warmup_ratio": 0.03,
                     "lr_scheduler": "cosine", "seed": seed, "logging_every": 5, "batching": TUNEWISE_BATCHING,
                     "device": "cpu"},  # like every other variant (use_cpu=True), even where a GPU is
        "eval": {"enabled": False},
    })
    result = sft.run(config, out)
    _, train = encoded(folder, "train")
    return result["train_runtime_s"], counts(train), out / "adapter"


def run_hf_grouped(folder: Path, out: Path, lr: float, dropout: float, seed: int):
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

    from trainer.batching import Collator, features

    tokenizer, train = encoded(folder, "train")
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_path(folder), dtype=torch.float32),
                           lora_config(dropout))
    args = TrainingArguments(output_dir=str(out / "checkpoints"), remove_unused_columns=False,
                             train_sampling_strategy="group_by_length", bf16=PRECISION == "bf16",
                             **shared_args(lr, seed))
    # the sampler reads each row's input_ids length itself (a list has no length column)
    trainer = Trainer(model=model, args=args, train_dataset=features(train),
                      data_collator=Collator(tokenizer.pad_token_id))  # pads each batch to its own longest row
    runtime = trainer.train().metrics["train_runtime"]
    model.save_pretrained(out / "adapter")
    return runtime, counts(train), out / "adapter"


def run_trl(folder: Path, out: Path, lr: float, dropout: float, seed: int, best: bool):
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    rows = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": x["prompt"]}],
                               "completion": [{"role": "assistant", "content": x["completion"]}]} for x in rows])
    tokenizer = AutoTokenizer.from_pretrained(model_path(folder))
    model = AutoModelForCausalLM.from_pretrained(model_path(folder), dtype=torch.float32)
    # padding-free rows are not truncated by TRL (max_length None); every row here is under 1024 tokens anyway
    tuned = dict(padding_free=True, completion_only_loss=True, gradient_checkpointing=False,
                 max_length=None) if best else dict(max_length=1024)
    args = SFTConfig(output_dir=str(out / "checkpoints"), bf16=PRECISION == "bf16", **tuned,
                     **shared_args(lr, seed))
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer,
                         peft_config=lora_config(dropout))
    ds = trainer.train_dataset
    non_padding = sum(len(ids) for ids in ds["input_ids"])
    # TRL folds its completion mask into labels (-100 elsewhere); a label is the target of the position before it
    loss_bearing = sum(sum(1 for x in labels[1:] if x != -100) for labels in ds["labels"])
    runtime = trainer.train().metrics["train_runtime"]
    trainer.model.save_pretrained(out / "adapter")
    return runtime, (loss_bearing, non_padding), out / "adapter"


def one_run(variant: str, folder: Path, out: Path, seed: int, lr: float, dropout: float, threads: int) -> dict:
    """Train one variant in this process; return its measurements."""
    import torch

    torch.set_num_threads(threads)
    runner = {"tunewise": run_tunewise, "hf_grouped": run_hf_grouped,
              "trl_padfree": lambda *a: run_trl(*a, best=True), "trl_default": lambda *a: run_trl(*a, best=False)}
    runtime, (loss_bearing, non_padding), adapter = runner[variant](folder, out, lr, dropout, seed)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"variant": variant, "seed": seed, "train_s": runtime, "loss_bearing": loss_bearing,
            "non_padding": non_padding, "loss_tok_s": loss_bearing / runtime, "tok_s": non_padding / runtime,
            "peak_rss_mb": peak_rss_mb, "eval_loss": held_out_loss(folder, adapter)}


def held_out_loss(folder: Path, adapter: Path | None) -> float:
    """Mean cross-entropy (nats per answer token) of the held-out split; the base model when `adapter` is None."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from trainer.forgetting import row_losses

    _, val = encoded(folder, "val")
    model = AutoModelForCausalLM.from_pretrained(model_path(folder))
    if adapter is not None:
        model = PeftModel.from_pretrained(model, str(adapter))
    nats, counted = row_losses(model, val)
    return float(nats.sum() / counted.sum())


# ---------------------------------------------------------------------------------------------------------------
# driver


def prepare(folder: Path, model: str, rows: int) -> None:
    from trainer.base_models import make_tiny_model, resolve

    folder.mkdir(parents=True, exist_ok=True)
    if model == "tiny":
        if not (folder / "tiny" / "config.json").is_file():
            make_tiny_model(folder / "tiny", tokenizer_cache=folder / "tokenizer")
        path = str(folder / "tiny")
    else:
        path = resolve(model).path
    (folder / "model.txt").write_text(path)
    write_data(folder, rows)
    _, train = encoded(folder, "train")
    lengths = sorted(len(e.input_ids) for e in train)
    loss_bearing, non_padding = counts(train)
    pick = lambda q: lengths[int(q * (len(lengths) - 1))]  # noqa: E731
    print(f"model {path}\n{len(train)} train rows, {HELD_OUT} held out; row lengths (tokens): min {lengths[0]}, "
          f"p50 {pick(0.5)}, p90 {pick(0.9)}, max {lengths[-1]}; {loss_bearing / non_padding:.0%} of real tokens "
          f"carry loss", flush=True)


def child(variant: str, folder: Path, out: Path, args) -> dict:
    subprocess.run(["rm", "-rf", str(out)], check=True)
    proc = subprocess.run([sys.executable, __file__, "--one", variant, "--workdir", args.workdir, "--out", str(out),
                           "--model", args.model, "--seed", str(args.seed), "--lr", str(args.lr), "--dropout", str(args.dropout),
                           "--threads", str(args.threads), "--tunewise-batching", args.tunewise_batching,
                           "--precision", args.precision],
                          capture_output=True, text=True, env={**os.environ, "TUNEWISE_HOME": str(folder / "home"),
                               # the same threads for every variant: tunewise's own measured choice is off here
                               "OMP_NUM_THREADS": str(args.threads)})
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        sys.exit(f"{variant} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(line[0][7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="smollm2-135m-instruct", help="smollm2-135m-instruct (bundled) or tiny")
    parser.add_argument("--rows", type=int, default=208, help="training rows (208 = 26 optimizer steps of 8)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, from {','.join(VARIANTS)}")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--dropout", type=float, default=0.0, help="LoRA dropout, the same for every variant (0: tunewise's and peft's default)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads of every run")
    parser.add_argument("--workdir", default="/tmp/tunewise-bench-sft")
    parser.add_argument("--tunewise-batching", default="auto", help="training.batching of the tunewise variant "
                        "(auto: group_by_length on the CPU; pad_to_longest: random batches, still cut into passes)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                        help="every variant's precision (auto: bf16 autocast where the CPU has bf16 matrix "
                        "instructions, else fp32)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one variant, print its JSON
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = Path(args.workdir) / args.model
    global TUNEWISE_BATCHING, PRECISION
    TUNEWISE_BATCHING = args.tunewise_batching
    from trainer import cpu
    if args.precision == "auto":
        args.precision = "bf16" if cpu.fast_bf16() else "fp32"
    elif args.precision == "bf16" and not cpu.fast_bf16():
        # tunewise refuses bf16 here (it would run slower than fp32) while the others would run it: no comparison
        parser.error("--precision bf16: this CPU has no bf16 matrix instructions; use fp32 or auto")
    PRECISION = args.precision
    if args.one:
        row = one_run(args.one, folder, Path(args.out), args.seed, args.lr, args.dropout, args.threads)
        print("RESULT " + json.dumps(row), flush=True)
        return
    prepare(folder, args.model, args.rows)
    print(f"base model, no adapter: held-out eval loss {held_out_loss(folder, None):.4f}", flush=True)
    variants = args.variants.split(",")
    results: dict[str, list[dict]] = {v: [] for v in variants}
    for repeat in range(args.repeats):
        args.seed = repeat  # repeat r runs every variant with seed r: the spread of eval losses is the seed noise
        for variant in variants:  # interleaved, so slow drifts of the machine hit every variant alike
            started = time.time()
            row = child(variant, folder, folder / "runs" / f"{variant}-{repeat}", args)
            results[variant].append(row)
            print(f"repeat {repeat} {variant:12s} {row['loss_tok_s']:7.1f} loss-bearing tok/s {row['tok_s']:7.1f} "
                  f"non-padding tok/s {row['peak_rss_mb']:6.0f} MB  eval loss {row['eval_loss']:.4f}  "
                  f"({time.time() - started:.0f} s wall)", flush=True)
    keys = ("loss_tok_s", "tok_s", "peak_rss_mb", "eval_loss", "train_s")
    median = {v: {k: statistics.median(r[k] for r in rows) for k in keys} for v, rows in results.items()}
    ours = median[variants[0]]
    print(f"\nmedians over {args.repeats} repeats, {args.threads} threads, {args.precision}; speed-up = {NAMES[variants[0]]} / variant "
          f"(loss-bearing tokens/s); RSS ratio = {NAMES[variants[0]]} peak RSS / variant peak RSS")
    print(f"{'variant':28s} {'loss tok/s':>10s} {'speed-up':>9s} {'real tok/s':>10s} {'peak RSS MB':>12s} "
          f"{'RSS ratio':>10s} {'eval loss':>10s}")
    for v in variants:
        m = median[v]
        losses = [r["eval_loss"] for r in results[v]]
        print(f"{NAMES[v]:28s} {m['loss_tok_s']:10.1f} {ours['loss_tok_s'] / m['loss_tok_s']:8.2f}× "
              f"{m['tok_s']:10.1f} {m['peak_rss_mb']:12.0f} {ours['peak_rss_mb'] / m['peak_rss_mb']:9.2f}× "
              f"{m['eval_loss']:10.4f} (seeds: {min(losses):.4f}..{max(losses):.4f})")
    (folder / "results.json").write_text(json.dumps({"runs": results, "medians": median}, indent=1))
    print(f"\nall runs: {folder / 'results.json'}")


if __name__ == "__main__":
    main()
