"""Continued pretraining: more next-token training of an existing model on your unlabeled domain text.

Use it when the model lacks the domain's language (terminology, notation, style) and you have far more raw text
than labeled examples; follow it with supervised fine-tuning for behaviour (see trainer/pipeline.py for the
chained plan). The corpus is a text file, a `.jsonl` file of {"text": ...} rows, or a folder of text files;
it is streamed through the base model's tokenizer and packed into blocks of `pretrain.block_size` tokens
(see trainer/corpus.py). `lora.method` picks LoRA adapters (`lora`) or every weight (`full`).

Evaluation, before and after training, on the same blocks:
- held-out perplexity on the domain text (a seeded share `1 - data.split[0]` of the blocks, or `data.validation`);
- the forgetting probe: perplexity on general English text (trainer/data/general_text.txt, else a built-in
  sample); a rise of more than 10% is reported as forgetting.

Commands (the config's data paths are relative to the config file):

    # CPU smoke run: LoRA on the bundled SmolLM2-135M over tunewise's own guides (~16 k tokens), a few minutes
    tunewise train trainer/configs/cpt-smollm2-cpu.yaml
    # one GPU: LoRA r=64 on SmolLM2-135M, bf16, 1024-token blocks, merged model for a following SFT stage
    tunewise train trainer/configs/cpt-smollm2-lora-gpu.yaml
    # several GPUs on this machine (DDP, global batch = batch_size × grad_accum × 4)
    tunewise train trainer/configs/cpt-smollm2-lora-gpu.yaml --nproc 4
    # two machines, 8 GPUs each: run on both, node-rank 0 and 1, with node 0's address
    tunewise train trainer/configs/cpt-smollm2-lora-gpu.yaml --nproc 8 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1
    # a SLURM cluster: write the sbatch script (srun torchrun ...)
    tunewise train trainer/configs/cpt-smollm2-lora-gpu.yaml --nproc 8 --nnodes 2 --emit-slurm cpt.sbatch
    # then SFT on the result, as one chained plan: trainer/configs/pipelines/cpt-then-sft-cpu.yaml

Outputs in the run folder: config.yaml, metrics.jsonl (loss, eval_loss, tokens/s; MFU on a GPU), checkpoints/,
adapter/ (LoRA) or model/ (full), merged/ (LoRA with training.merge_adapter), eval/report.json|md|loss.png,
result.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from transformers import Trainer, default_data_collator

from trainer import distributed as dist, training_setup
from trainer.base_models import load_model, load_tokenizer
from trainer.config import JobConfig
from trainer.corpus import (CorpusError, PackedBlocks, check_enough_tokens, load_tokens, perplexity, scan_corpus,
                            split_blocks, text_blocks, token_cache_key, tokenize_to_file)
from trainer.progress import report_phase

FORGETTING_TOLERANCE = 0.10  # a general-text perplexity rise above 10% is reported as forgetting

# Used when trainer/data/general_text.txt is missing: plain encyclopaedic English on everyday topics.
GENERAL_TEXT = """The water cycle describes how water moves between the oceans, the air and the land. Heat from the sun
evaporates water from seas and lakes; the vapour rises, cools and condenses into clouds, and falls again as rain or
snow. Rivers carry much of that water back to the sea, while some of it soaks into the ground and feeds wells and
springs for years before it returns to the surface.

Bread is one of the oldest prepared foods. A simple dough of flour, water, salt and yeast is kneaded until it is
smooth, left to rise while the yeast produces gas, shaped, and baked in a hot oven. The crust browns because sugars
and proteins react at high temperature, and the crumb inside stays soft because it holds on to some of its water.

The first public railways opened in the early nineteenth century. Steam locomotives pulled coal and then
passengers between growing industrial towns, and within a few decades lines crossed whole countries. Railways
changed how people thought about distance: a journey that had taken days by coach now took hours, and towns
agreed on a shared standard time so that timetables made sense.

Plants make their own food through photosynthesis. Their leaves take in carbon dioxide from the air and water from
the soil, and chlorophyll captures the energy of sunlight to turn them into sugars, releasing oxygen as a
by-product. Almost every food chain on land begins with this process, and the oxygen in the air we breathe comes
largely from it.

A library lends books, newspapers and recordings to anyone with a card, and many also offer quiet rooms to study,
computers to use and help from staff who know how to find information. Public libraries grew in number during the
nineteenth century, often funded by cities or by wealthy donors who believed that reading should not depend on
being able to buy books.

Volcanoes form where molten rock from deep inside the earth reaches the surface. Some erupt explosively, throwing
ash high into the sky, while others release slow rivers of lava that cool into new land. The soil around many
volcanoes is very fertile, which is one reason people have long farmed their slopes despite the danger.
"""


GENERAL_TEXT_FILE = Path(__file__).parent / "data" / "general_text.txt"  # the SFT evaluation's probe, shared


def general_probe_text() -> tuple[str, str]:
    """(text, source) of the forgetting probe: the project's general-text set (the one SFT's evaluation uses, so
    both forgetting figures mean the same) when it is installed, else the built-in sample above."""
    if GENERAL_TEXT_FILE.is_file():
        return GENERAL_TEXT_FILE.read_text(encoding="utf-8"), "trainer/data/general_text.txt"
    return GENERAL_TEXT, "built-in sample (trainer/continued_pretraining.py)"


def run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict:
    run_dir = Path(run_dir)
    main = dist.is_main_process()
    say = print if main else (lambda *a, **k: None)
    p, t = config.pretrain, config.training

    # ---- set-up (trainer/training_setup.py): resolve, validate and print everything before any step ----
    setup = training_setup.resolve(config)
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.yaml").write_text(config.to_yaml())
        say(f"continued pretraining of {config.model.base} ({config.lora.method}) on {config.data.train}")
        say(config.to_yaml())
    files, warnings = scan_corpus(config.data.train, p.skip_unreadable_files)
    for w in warnings:
        say(f"[warning] {w}")
    for line in setup.notes:
        say(f"derived: {line}")
    threads_note = training_setup.use_threads(setup, run_dir)
    if threads_note:
        say(f"derived: {threads_note}")
    tokenizer = load_tokenizer(config.model.base)
    # LoRA on a GPU keeps the frozen base in the compute dtype (half the memory; adapters stay fp32); full training,
    # and every run on the CPU, keeps fp32 weights and computes in autocast
    base_dtype = setup.dtype if setup.cuda and config.lora.method == "lora" else None
    model = load_model(config.model.base, dtype=base_dtype).to(setup.device)
    max_pos = getattr(model.config, "max_position_embeddings", None)
    if max_pos and p.block_size > max_pos:
        raise CorpusError(f"pretrain.block_size {p.block_size} exceeds the {max_pos} positions {config.model.base} "
                          f"supports; set it to at most {max_pos}", "block_too_long", "pretrain.block_size")

    # Arguments first: under torchrun they start the process group that main_first() synchronises on.
    args = training_setup.training_arguments(config, run_dir, setup, max_steps=1, save_steps=1)
    with dist.main_first(args):
        data_dir = run_dir / "data"
        token_file = data_dir / f"corpus-{token_cache_key(files, tokenizer)}.bin"
        stats = tokenize_to_file(files, tokenizer, token_file)
        held_file = None
        if config.data.validation:
            held_files, _ = scan_corpus(config.data.validation, p.skip_unreadable_files, "data.validation")
            held_file = data_dir / f"heldout-{token_cache_key(held_files, tokenizer)}.bin"
            tokenize_to_file(held_files, tokenizer, held_file)
    tokens = load_tokens(token_file)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if held_file is None:
        train_starts, held_starts = split_blocks(len(tokens), p.block_size, 1.0 - config.data.split[0], config.data.seed)
        train_ds = PackedBlocks(tokens, train_starts, p.block_size, pad)
        held_ds = PackedBlocks(tokens, held_starts, p.block_size, pad)
    else:
        check_enough_tokens(len(tokens), p.block_size, min_blocks=1)  # validation is held out already
        train_ds = PackedBlocks(tokens, list(range(0, len(tokens), p.block_size)), p.block_size, pad)
        held = load_tokens(held_file)
        held_ds = PackedBlocks(held, list(range(0, len(held), p.block_size)), p.block_size, pad)
    general_text, general_source = general_probe_text()
    general_ds = text_blocks(general_text, tokenizer, p.block_size) if config.eval.forgetting_probe else None

    steps, steps_line = training_setup.steps_for(config, len(train_ds), t.epochs, "blocks")
    training_setup.schedule_blocks(args, config, steps, len(train_ds))
    say(f"corpus: {len(files)} file(s), {stats.documents:,} documents, {stats.tokens:,} tokens → {len(train_ds)} "
        f"training + {len(held_ds)} held-out blocks of {p.block_size} tokens "
        f"(packed-block efficiency {stats.packed_efficiency(p.block_size):.1%} non-padding, vs "
        f"{stats.unpacked_efficiency(p.block_size):.1%} with one document per row)")
    say(f"schedule: {steps_line}; learning rate {t.learning_rate:g}, {t.lr_scheduler} after {t.warmup_ratio:.0%} "
        f"warm-up; checkpoint every {args.save_steps} steps")

    # ---- evaluation before training (the base model) ----
    before = _evaluate(model, held_ds, general_ds, t.batch_size, p.eval_blocks) if main else {}
    if main:
        say(f"before: held-out domain perplexity {before['domain']['perplexity']:.2f}" + (
            f", general-text perplexity {before['general']['perplexity']:.2f}" if general_ds else ""))

    if config.lora.method == "lora":
        from peft import LoraConfig as PeftLoraConfig, get_peft_model

        model = get_peft_model(model, PeftLoraConfig(
            r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
            target_modules=config.lora.target_modules or "all-linear", task_type="CAUSAL_LM"))
        if config.model.gradient_checkpointing:
            model.enable_input_require_grads()
    trainable = sum(x.numel() for x in model.parameters() if x.requires_grad)
    total = sum(x.numel() for x in model.parameters())
    say(f"trainable parameters: {trainable:,} of {total:,} ({trainable / total:.2%})")

    # ---- training ----
    callbacks = training_setup.callbacks(run_dir, training_setup.flops_per_token(
        total, trains_all_weights=config.lora.method == "full"))
    trainer = Trainer(model=model, args=args, train_dataset=train_ds,
                      eval_dataset=_subset(held_ds, p.eval_blocks) if args.eval_strategy != "no" else None,
                      data_collator=default_data_collator, callbacks=callbacks)
    out = training_setup.train(trainer, run_dir, resume, steps)
    out_dir = run_dir / ("adapter" if config.lora.method == "lora" else "model")
    trainer.save_model(str(out_dir))  # rank 0 writes; DDP unwrapped
    if not main:
        return {}
    tokenizer.save_pretrained(out_dir)

    # ---- evaluation after training, report and outputs (rank 0) ----
    report_phase(run_dir, "evaluating", detail="held-out domain and general-text perplexity")
    after = _evaluate(model, held_ds, general_ds, t.batch_size, p.eval_blocks)
    report_phase(run_dir, "writing_report", detail="report and outputs")
    merged_dir = None
    if config.lora.method == "lora" and t.merge_adapter:
        merged_dir = run_dir / "merged"
        model.merge_and_unload().save_pretrained(merged_dir)
        tokenizer.save_pretrained(merged_dir)
    report = _report(before, after, general_source)
    result = {
        "kind": "continued_pretraining",
        "base_model": config.model.base,
        "method": config.lora.method,
        "steps": out.global_step,
        "final_train_loss": out.training_loss,
        "domain_perplexity_before": before["domain"]["perplexity"],
        "domain_perplexity_after": after["domain"]["perplexity"],
        "general_perplexity_before": before.get("general", {}).get("perplexity"),
        "general_perplexity_after": after.get("general", {}).get("perplexity"),
        "verdict": report["verdict"],
        "corpus": stats.summary() | {"train_blocks": len(train_ds), "heldout_blocks": len(held_ds),
                                     "block_size": p.block_size,
                                     "packed_efficiency": stats.packed_efficiency(p.block_size),
                                     "unpacked_efficiency": stats.unpacked_efficiency(p.block_size)},
        "throughput": callbacks[0].summary,
        "adapter_dir" if config.lora.method == "lora" else "model_dir": str(out_dir),
        "merged_dir": str(merged_dir) if merged_dir else None,
        "output_model": str(merged_dir or out_dir) if (merged_dir or config.lora.method == "full") else None,
        "eval_report": str(run_dir / "eval" / "report.json"),
    }
    _write_eval(run_dir, report, trainer.state.log_history)
    (run_dir / "result.json").write_text(json.dumps(result, indent=1))
    say(f"after: {report['summary']}")
    return result


def _subset(ds: PackedBlocks, n: int | None) -> PackedBlocks:
    return ds if n is None else PackedBlocks(ds.tokens, ds.starts[:n], ds.block_size, ds.pad_id)


def _evaluate(model, held, general, batch_size, max_blocks) -> dict:
    out = {"domain": perplexity(model, held, batch_size, max_blocks)}
    if general is not None:
        out["general"] = perplexity(model, general, batch_size, max_blocks)
    return out


def _report(before: dict, after: dict, general_source: str) -> dict:
    d0, d1 = before["domain"]["perplexity"], after["domain"]["perplexity"]
    parts = [f"held-out domain perplexity {d0:.2f} → {d1:.2f} ({(d1 - d0) / d0:+.1%})"]
    forgot = None
    if "general" in before:
        g0, g1 = before["general"]["perplexity"], after["general"]["perplexity"]
        forgot = (g1 - g0) / g0 > FORGETTING_TOLERANCE
        parts.append(f"general-text perplexity {g0:.2f} → {g1:.2f} ({(g1 - g0) / g0:+.1%}"
                     + (", forgetting" if forgot else "") + ")")
    if d1 >= d0:
        verdict = "no_gain"  # training did not make the domain text more predictable
    elif forgot:
        verdict = "gain_with_forgetting"
    else:
        verdict = "improved"
    return {"verdict": verdict, "summary": "; ".join(parts), "before": before, "after": after,
            "forgetting_tolerance": FORGETTING_TOLERANCE, "general_probe": general_source}


def _write_eval(run_dir: Path, report: dict, log_history: list[dict]) -> None:
    eval_dir = run_dir / "eval"
    eval_dir.mkdir(parents=True, exist_ok=True)
    (eval_dir / "report.json").write_text(json.dumps(report, indent=1))
    rows = ["| text | before | after |", "|---|---|---|"]
    for key, label in (("domain", "held-out domain text"), ("general", f"general text ({report['general_probe']})")):
        if key in report["before"]:
            rows.append(f"| {label} | {report['before'][key]['perplexity']:.2f} | {report['after'][key]['perplexity']:.2f} |")
    (eval_dir / "report.md").write_text(
        f"# Continued pretraining: {report['verdict']}\n\n{report['summary']}.\n\nPerplexity (lower is better):\n\n"
        + "\n".join(rows) + "\n")
    plot_losses(log_history, eval_dir / "loss.png")


def plot_losses(log_history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key in ("loss", "eval_loss"):
        pts = [(r["step"], r[key]) for r in log_history if key in r]
        if pts:
            ax.plot(*zip(*pts), label=key, marker="o" if key == "eval_loss" else None)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("next-token loss (nats)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
