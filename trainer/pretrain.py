"""Pretraining from scratch: a new Llama-style model from random weights, sized for your corpus and budget.

Use it only when no existing model covers your language or modality and you have a large corpus; otherwise
continued pretraining of an existing model is far cheaper. Steps, all printed before the first optimizer step:

1. the corpus (text files, a folder, or {"text": ...} JSONL) is scanned; a byte-level BPE tokenizer of
   `pretrain.vocab_size` tokens is trained on it (`pretrain.tokenizer: train`) or `model.base`'s is reused;
2. the corpus is tokenized into packed blocks of `pretrain.block_size` (trainer/corpus.py); a share
   `1 - data.split[0]` of the blocks is held out;
3. the model is sized (trainer/sizing.py): N = tokens / 20 (or N = sqrt(C / 120) for a FLOP budget C), FLOPs =
   6·N·D, and the time on this machine is measured by timing real training steps, e.g.
   "37 M tokens → 1.85 M parameters at 20 tokens/parameter ... 4.3e+14 FLOPs; ~11 min on this CPU";
4. training with warm-up then cosine decay (`training.warmup_ratio`, `training.lr_scheduler`);
5. evaluation: held-out perplexity against the uniform baseline (= vocabulary size: a model that knows nothing
   about the text) and a few sample generations.

Commands (the config's data paths are relative to the config file):

    # CPU smoke run: a 2,000-token tokenizer and a ~0.2 M-parameter model on tunewise's guides, about a minute
    tunewise train trainer/configs/pretrain-tiny-cpu.yaml
    # one GPU, with a compute budget (1e18 FLOPs) that sizes the model (≈ 91 M parameters, ≈ 1.8 B tokens)
    tunewise train trainer/configs/pretrain-budget-gpu.yaml
    # several GPUs on this machine / several machines / SLURM
    tunewise train trainer/configs/pretrain-budget-gpu.yaml --nproc 8
    tunewise train trainer/configs/pretrain-budget-gpu.yaml --nproc 8 --nnodes 4 --node-rank R --master-addr HOST0
    tunewise train trainer/configs/pretrain-budget-gpu.yaml --nproc 8 --nnodes 4 --emit-slurm pretrain.sbatch

Outputs in the run folder: config.yaml, tokenizer/ (when trained), sizing.json, metrics.jsonl (loss, eval_loss,
tokens/s; MFU on a GPU), checkpoints/, model/ (weights + tokenizer), eval/report.json|md|loss.png, result.json.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from transformers import AutoTokenizer, LlamaForCausalLM, Trainer, default_data_collator

from trainer import distributed as dist, training_setup
from trainer.base_models import load_tokenizer
from trainer.continued_pretraining import plot_losses
from trainer.config import JobConfig
from trainer.corpus import PackedBlocks, load_tokens, perplexity, scan_corpus, split_blocks, token_cache_key, \
    tokenize_to_file
from trainer.progress import report_phase
from trainer.sizing import format_duration, llama_config, measure_flops_per_s, plan
from trainer.tokenizer_train import train_tokenizer


def run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict:
    run_dir = Path(run_dir)
    main = dist.is_main_process()
    say = print if main else (lambda *a, **k: None)
    p, t = config.pretrain, config.training
    setup = training_setup.resolve(config)  # trainer/training_setup.py: device, precision, threads, arguments
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(config.to_yaml())
        say(f"pretraining from scratch on {config.data.train}")
        say(config.to_yaml())
    for line in setup.notes:
        say(f"derived: {line}")
    threads_note = training_setup.use_threads(setup, run_dir)
    if threads_note:
        say(f"derived: {threads_note}")

    # ---- corpus and tokenizer ----
    files, warnings = scan_corpus(config.data.train, p.skip_unreadable_files)
    for w in warnings:
        say(f"[warning] {w}")
    args = training_setup.training_arguments(config, run_dir, setup, max_steps=1, save_steps=1)  # starts DDP
    with dist.main_first(args):
        if p.tokenizer == "train":
            tok_dir = run_dir / "tokenizer"
            if (tok_dir / "tokenizer.json").is_file():
                tokenizer = AutoTokenizer.from_pretrained(tok_dir)
                say(f"tokenizer: reusing the one trained earlier in {tok_dir} ({len(tokenizer):,} tokens)")
            else:
                tokenizer = train_tokenizer(files, p.vocab_size, tok_dir)
                say(f"tokenizer: byte-level BPE with {len(tokenizer):,} tokens trained on the corpus → {tok_dir}")
        else:
            tokenizer = load_tokenizer(config.model.base)
            say(f"tokenizer: reused from {config.model.base} ({len(tokenizer):,} tokens)")
        token_file = run_dir / "data" / f"corpus-{token_cache_key(files, tokenizer)}.bin"
        stats = tokenize_to_file(files, tokenizer, token_file)
    tokens = load_tokens(token_file)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    train_starts, held_starts = split_blocks(len(tokens), p.block_size, 1.0 - config.data.split[0], config.data.seed)
    train_ds = PackedBlocks(tokens, train_starts, p.block_size, pad)
    held_ds = PackedBlocks(tokens, held_starts, p.block_size, pad)
    train_tokens_available = train_ds.real_tokens()
    say(f"corpus: {len(files)} file(s), {stats.documents:,} documents, {stats.tokens:,} tokens → {len(train_ds)} "
        f"training + {len(held_ds)} held-out blocks of {p.block_size} tokens "
        f"(packed-block efficiency {stats.packed_efficiency(p.block_size):.1%})")

    # ---- size the model and derive the schedule, printed before any step ----
    epochs = t.epochs  # passes over the corpus without a budget; training.max_steps, when set, decides instead
    if t.max_steps and p.compute_budget_flops is None:
        epochs = t.max_steps * training_setup.global_batch(config) * p.block_size / train_tokens_available
    sized = plan(train_tokens_available, len(tokenizer), p.tokens_per_parameter, p.compute_budget_flops, epochs,
                 p.hidden_size, p.layers)
    torch.manual_seed(t.seed)
    model = LlamaForCausalLM(llama_config(sized.shape, p.block_size, tokenizer.bos_token_id, tokenizer.eos_token_id, pad))
    assert model.num_parameters() == sized.parameters, "sizing.count_parameters disagrees with the model"
    if p.compute_budget_flops is None:
        steps, steps_line = training_setup.steps_for(config, len(train_ds), t.epochs, "blocks")
    else:  # the budget fixes the tokens: D = C / 6N
        per_step = training_setup.global_batch(config) * p.block_size
        steps = t.max_steps or max(1, math.ceil(sized.train_tokens / per_step))
        steps_line = (f"{steps} steps = {sized.train_tokens:,} budgeted tokens / {per_step:,} tokens per step"
                      if not t.max_steps else f"{steps} steps (training.max_steps overrides the budget)")
    trained_tokens = steps * training_setup.global_batch(config) * p.block_size
    model.to(setup.device)
    flops_per_s = measure_flops_per_s(model, t.batch_size, p.block_size) * dist.world_size()
    where = f"{dist.world_size()} × " + ("this GPU" if setup.cuda else "this CPU")
    for line in sized.lines(flops_per_s, where):
        say(f"sizing: {line}")
    run_flops = 6.0 * sized.parameters * trained_tokens
    say(f"schedule: {steps_line}; {trained_tokens:,} tokens = {run_flops:.2g} FLOPs, ~"
        f"{format_duration(run_flops / flops_per_s)} here; learning rate {t.learning_rate:g}, warm-up "
        f"{t.warmup_ratio:.0%} then {t.lr_scheduler}")
    if main:
        (run_dir / "sizing.json").write_text(json.dumps(sized.to_dict() | {
            "measured_flops_per_s": flops_per_s, "steps": steps, "run_tokens": trained_tokens, "run_flops": run_flops,
            "estimated_seconds": run_flops / flops_per_s}, indent=1))
    training_setup.schedule_blocks(args, config, steps, len(train_ds))

    # ---- training ----
    callbacks = training_setup.callbacks(run_dir, training_setup.flops_per_token(sized.parameters,
                                                                                  trains_all_weights=True))
    held_eval = PackedBlocks(tokens, held_starts[: p.eval_blocks], p.block_size, pad)
    trainer = Trainer(model=model, args=args, train_dataset=train_ds,
                      eval_dataset=held_eval if args.eval_strategy != "no" else None,
                      data_collator=default_data_collator, callbacks=callbacks)
    out = training_setup.train(trainer, run_dir, resume, steps)
    model_dir = run_dir / "model"
    trainer.save_model(str(model_dir))
    if not main:
        return {}
    tokenizer.save_pretrained(model_dir)

    # ---- evaluation (rank 0): perplexity against the uniform baseline, and samples ----
    report_phase(run_dir, "evaluating", detail="held-out perplexity and samples")
    ppl = perplexity(model, held_ds, t.batch_size, p.eval_blocks)
    uniform = len(tokenizer)  # a uniform guess over V tokens has perplexity V
    samples = _samples(model, tokenizer, held_ds, p.samples, p.sample_tokens, t.seed)
    report_phase(run_dir, "writing_report", detail="report and outputs")
    verdict = "learned" if ppl["perplexity"] < 0.5 * uniform else "barely_learned"
    report = {"verdict": verdict, "heldout": ppl, "uniform_perplexity": uniform,
              "perplexity_vs_uniform": ppl["perplexity"] / uniform, "samples": samples, "sizing": sized.to_dict()}
    eval_dir = run_dir / "eval"
    eval_dir.mkdir(exist_ok=True)
    (eval_dir / "report.json").write_text(json.dumps(report, indent=1))
    md = [f"# Pretraining from scratch: {verdict}", "",
          f"Held-out perplexity {ppl['perplexity']:.2f} against a uniform baseline of {uniform:,} (the vocabulary "
          f"size): {ppl['perplexity'] / uniform:.2%} of it, over {ppl['tokens']:,} held-out tokens.", "",
          f"Model: {sized.parameters:,} parameters (d={sized.shape.hidden_size}, {sized.shape.layers} layers), "
          f"{trained_tokens:,} training tokens.", "", "## Samples", ""]
    for s in samples:
        md += [f"- **{s['prompt']!r}** → {s['continuation']!r}"]
    (eval_dir / "report.md").write_text("\n".join(md) + "\n")
    plot_losses(trainer.state.log_history, eval_dir / "loss.png")
    result = {
        "kind": "pretraining",
        "steps": out.global_step,
        "final_train_loss": out.training_loss,
        "heldout_perplexity": ppl["perplexity"],
        "uniform_perplexity": uniform,
        "verdict": verdict,
        "parameters": sized.parameters,
        "train_tokens": trained_tokens,
        "flops": run_flops,
        "measured_flops_per_s": flops_per_s,
        "corpus": stats.summary() | {"train_blocks": len(train_ds), "heldout_blocks": len(held_ds),
                                     "block_size": p.block_size,
                                     "packed_efficiency": stats.packed_efficiency(p.block_size)},
        "throughput": callbacks[0].summary,
        "model_dir": str(model_dir),
        "output_model": str(model_dir),
        "eval_report": str(eval_dir / "report.json"),
    }
    (run_dir / "result.json").write_text(json.dumps(result, indent=1))
    say(f"held-out perplexity {ppl['perplexity']:.2f} (uniform baseline {uniform:,}); model → {model_dir}")
    return result


def _samples(model, tokenizer, held: PackedBlocks, n: int, new_tokens: int, seed: int) -> list[dict]:
    """Continue the first 16 tokens of `n` held-out blocks (seeded top-k sampling, temperature 0.8)."""
    out = []
    model.eval()
    device = next(model.parameters()).device
    for i in range(min(n, len(held))):
        prompt_ids = held[i]["input_ids"][:16].unsqueeze(0).to(device)
        torch.manual_seed(seed + i)
        with torch.no_grad():
            gen = model.generate(prompt_ids, attention_mask=torch.ones_like(prompt_ids), max_new_tokens=new_tokens,
                                 do_sample=True, temperature=0.8, top_k=50, pad_token_id=held.pad_id)
        out.append({"prompt": tokenizer.decode(prompt_ids[0]),
                    "continuation": tokenizer.decode(gen[0, prompt_ids.shape[1]:], skip_special_tokens=True)})
    return out
