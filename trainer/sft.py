"""Supervised fine-tuning (LoRA, QLoRA or full) on chat, prompt/completion, Alpaca, CSV or preference data, followed
by the evaluation against the base model with its best prompt (trainer/evaluate.py).

Usage
-----
CPU run: the bundled SmolLM2-135M-Instruct with LoRA on the shipped ticket router (360 training rows, 270 steps;
measured on a 2-core Xeon with AMX, evaluation caches empty: 7.7 min end to end in bf16 autocast (training 375 s,
evaluation 73 s), 7.9–12.4 min in fp32 (training 369–613 s, evaluation 90–114 s) in two runs on a noisy machine;
earlier 21 min on a shared 2-core machine at load 5-19; on a shared CPU one torch thread is often faster than two):

    OMP_NUM_THREADS=1 tunewise train trainer/configs/smollm2-lora-cpu.yaml

One GPU: QLoRA (4-bit base, bf16 compute; needs CUDA and `pip install bitsandbytes`):

    tunewise train trainer/configs/qlora-gpu.yaml

Several GPUs on one machine (DDP; each process gets batch_size examples, so the global batch is
batch_size × grad_accum × processes):

    tunewise train trainer/configs/qlora-gpu.yaml --nproc 4

(one job whose worker starts `python -m torch.distributed.run --standalone --nproc_per_node 4 -m trainer.launch
--config ... --run-dir ...`; several machines: `--nnodes`, `--node-rank`, `--master-addr`, or `--emit-slurm`).

Resume an interrupted job from its last complete checkpoint: `tunewise jobs resume ID`; a run started straight
into a folder (`tunewise train CONFIG --run-dir DIR`) resumes with `--run-dir DIR --resume`.

What happens, top to bottom
---------------------------
1. set-up (trainer/training_setup.py, shared with every recipe): device and precision (bf16 on GPUs that support
   it, else fp16; on the CPU bf16 autocast where the processor has bf16 matrix instructions, else fp32), the torch
   thread count, config printed with the values that were derived, and saved as run_dir/config.yaml;
2. data: every file validated (located errors → `DataError`, nothing trains), split 80/10/10 by a seeded hash of
   the prompt (or the user's validation/test files), chat template applied, loss only on assistant tokens;
3. model: LoRA adapters on the attention and MLP projections (per architecture), QLoRA on a 4-bit base, or all
   weights; gradient checkpointing on request;
4. training: the Hugging Face `Trainer` (checkpoints, resume, mixed precision, torchrun) with padding-free batches
   on a GPU and length-grouped ones on the CPU (trainer/batching.py), forward passes of bounded size
   (`SFTTrainer.training_step`), and a loss computed only where it is trained (`SFTTrainer.compute_loss`; Liger's
   fused kernel on a GPU where it is installed);
5. outputs: adapter/ (or model/ for full fine-tuning) from the checkpoint with the lowest validation loss (when
   checkpoints fall on evaluation steps), merged/ on request, eval/ (trainer/evaluate.py) and result.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

import torch
from transformers import Trainer

from trainer import batching, evaluate, training_setup
from trainer.base_models import load_model, load_tokenizer, resolve
from trainer.config import JobConfig
from trainer.datasets import DataError, Example, encode, ensure_chat_template, validate_file
from trainer.progress import ProgressWriter, report_phase
from trainer.recipes import recipe_main
from trainer.distributed import is_main_process
from trainer.splits import split_examples
from trainer.state.errors import UserError
from trainer.training_setup import Setup

# LoRA targets per architecture (`config.model_type`): attention and MLP projections, the set that the LoRA and
# QLoRA papers found matches full fine-tuning. Anything not listed gets every linear layer ("all-linear").
LORA_TARGETS = {
    **{t: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
       for t in ("llama", "mistral", "mixtral", "qwen2", "qwen3", "gemma", "gemma2", "gemma3_text", "olmo", "olmo2",
                 "granite", "smollm3")},
    "phi3": ["qkv_proj", "o_proj", "gate_up_proj", "down_proj"],
    "gpt2": ["c_attn", "c_proj", "c_fc"],
    "gpt_neox": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "falcon": ["query_key_value", "dense", "dense_h_to_4h", "dense_4h_to_h"],
    "opt": ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"],
}


class SFTError(UserError):
    """Data or a model that supervised fine-tuning cannot train (plain text, LoRA targets the model lacks, ...);
    what this machine cannot run is a training_setup.SetupError, what no machine can run a config.ConfigError."""

    def __init__(self, message: str, code: str, param: str):
        super().__init__(message, code, param)  # every SFTError names its code and field


# ---------------------------------------------------------------------------------------------------------------
# 1. set-up: trainer/training_setup.py (device, precision, threads, TrainingArguments, token counting, resume)


# ---------------------------------------------------------------------------------------------------------------
# 2. data


def load_splits(config: JobConfig, tokenizer) -> tuple[list[Example], list[Example], list[Example], list[str]]:
    """Validate the data files (any error stops the run) and return (train, validation, test, notes)."""
    data = config.data
    common = dict(format=data.format, columns=data.columns, tokenizer=tokenizer, max_seq_len=config.model.max_seq_len,
                  max_bytes=data.max_file_mb << 20)
    report = validate_file(data.train, validation=data.validation, test=data.test, keep_examples=True, **common)
    if not report.ok:
        raise DataError(report.summary() + "; run `tunewise validate-data` on it for the full list",
                        code=report.errors[0].code, param="data.train", errors=[e.to_dict() for e in report.errors])
    if report.format == "text":
        raise SFTError(f"{Path(data.train).name} is plain text: supervised fine-tuning needs prompts and answers. "
                       "For next-token training on domain text use kind: continued_pretraining",
                       "text_data_for_sft", "data.format")
    notes = [f"data: {report.format}, {len(report.examples)} valid examples, {report.stats.get('tokens')} tokens, "
             f"{report.stats.get('trained_share', 0):.0%} of them trained"]
    notes += [f"data warning [{w.code}]: {w.message}" for w in report.warnings]
    if report.format == "preference":
        notes.append("preference pairs: training on prompt + chosen answer (the rejected answers are not used by SFT)")
    examples = report.examples
    if data.validation or data.test:
        train = examples
        held_out = dict(keep_examples=True, min_examples=1, **common)
        val = validate_file(data.validation, **held_out).examples if data.validation else []
        test = validate_file(data.test, **held_out).examples if data.test else []
        if not data.validation or not data.test:  # one file given: split the other off train
            share = data.split[1] if not data.validation else data.split[2]
            train, held, _ = split_examples(train, (1 - share, share, 0.0), data.seed)
            val, test = (held, test) if not data.validation else (val, held)
        notes.append(f"split: your files; {len(train)}/{len(val)}/{len(test)} train/validation/test")
    else:
        train, val, test = split_examples(examples, data.split, data.seed)
        notes.append(f"split: {len(train)}/{len(val)}/{len(test)} train/validation/test (seeded {data.seed}, grouped by "
                     "prompt so no prompt crosses splits)")
    if data.max_examples and len(train) > data.max_examples:
        train = train[: data.max_examples]
        notes.append(f"data.max_examples: training on the first {data.max_examples} training examples")
    return train, val, test, notes


# ---------------------------------------------------------------------------------------------------------------
# 3. model


def build_model(config: JobConfig, setup: Setup, notes: list[str]):
    """The model to train: a PEFT LoRA model over a frozen base (4-bit for QLoRA), or the whole model. On a GPU the
    weights load in the compute dtype; on the CPU in fp32 (bf16 there is autocast over fp32 weights)."""
    method = config.lora.method
    dtype = setup.dtype
    if method == "qlora":  # training_setup.resolve has checked that CUDA and bitsandbytes are here
        # bitsandbytes is an optional CUDA-only install: its transformers config is imported only for QLoRA
        from transformers import AutoModelForCausalLM, BitsAndBytesConfig
        from peft import prepare_model_for_kbit_training

        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=dtype)
        model = AutoModelForCausalLM.from_pretrained(resolve(config.model.base).path, quantization_config=quant,
                                                     dtype=dtype, device_map={"": int(os.environ.get("LOCAL_RANK", 0))})
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=config.model.gradient_checkpointing)
    else:
        attention, note = training_setup.attention_implementation(setup)
        notes.append(note)
        model = load_model(config.model.base, dtype=setup.weights_dtype,
                           attn_implementation=attention)
    if method == "full":
        return model
    from peft import LoraConfig, get_peft_model

    targets = config.lora.target_modules
    if targets is None:
        targets = LORA_TARGETS.get(model.config.model_type, "all-linear")
        notes.append(f"lora.target_modules {targets} (derived for model type {model.config.model_type})")
    lora = LoraConfig(r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
                      target_modules=targets, bias="none", task_type="CAUSAL_LM")
    try:
        model = get_peft_model(model, lora)
    except ValueError as exc:
        raise SFTError(f"lora.target_modules: {exc}", "bad_target_modules", "lora.target_modules") from None
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    notes.append(f"trainable parameters {trainable:,} of {total:,} ({trainable / total:.2%})")
    return model


# ---------------------------------------------------------------------------------------------------------------
# 4. training


class SFTTrainer(Trainer):
    """The Hugging Face Trainer with two changes:

    - the train sampler groups similar lengths (trainer/batching.py) and reseeds per epoch, so resumes replay
      exactly;
    - the loss is computed only where it is trained (`batching.trained_token_logits`): the output layer sees just
      the positions whose next token is an assistant token, so the vocabulary projection and softmax (49,152 wide
      for SmolLM2) skip prompts and padding. The value equals the usual mean cross-entropy over trained tokens.
    """

    loss_is_scaled_for_ga = True  # compute_loss divides by the token count of the whole accumulated batch

    def __init__(self, *args, lengths: list[int], batching_mode: str, data_seed: int, micro_batch_tokens: int | None,
                 fused_loss=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lengths, self.batching_mode, self.data_seed = lengths, batching_mode, data_seed
        self.micro_batch_tokens = micro_batch_tokens
        self.fused_loss = fused_loss  # loss(weight, hidden, targets) summed (Liger on a GPU), or None
        self.model_accepts_loss_kwargs = True  # so the Trainer counts trained tokens across accumulation steps

    def _get_train_sampler(self, train_dataset=None):
        if self.batching_mode == "group_by_length":
            return batching.LengthGroupedSampler(self.lengths, self.args.train_batch_size, self.data_seed)
        if self.batching_mode == "padding_free":  # nothing to group: a seeded shuffle, replayed exactly on resume
            return batching.LengthGroupedSampler(self.lengths, self.args.train_batch_size, self.data_seed,
                                                 window_batches=1)
        return super()._get_train_sampler(train_dataset)

    def training_step(self, model, inputs, num_items_in_batch=None):
        """One batch as one or more forward/backward passes of at most `micro_batch_tokens` tokens
        (`batching.micro_batches`). Each pass's loss is its sum over the whole accumulated batch's trained tokens
        (`num_items_in_batch`), so the passes' gradients add up to the unsplit batch's; under DDP only the last
        pass synchronises gradients."""
        parts = batching.micro_batches(inputs, self.micro_batch_tokens)
        if len(parts) == 1:
            return super().training_step(model, inputs, num_items_in_batch)
        if num_items_in_batch is None:  # the loop always counts them (model_accepts_loss_kwargs); kept exact anyway
            num_items_in_batch = int((inputs["labels"][:, 1:] != -100).sum())
        total = 0.0
        for i, part in enumerate(parts):
            sync = contextlib.nullcontext() if i == len(parts) - 1 else self.accelerator.no_sync(model)
            with sync:
                total = total + super().training_step(model, part, num_items_in_batch)
        return total

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        head = self.accelerator.unwrap_model(model).get_output_embeddings()
        # the fused kernel only while training: evaluation returns the logits
        loss, logits, targets = batching.trained_token_loss(model, head, inputs,
                                                            self.fused_loss if model.training else None)
        if num_items_in_batch is None:  # evaluation: mean over this batch's trained tokens
            loss = loss / max(len(targets), 1)
        else:
            loss = loss / num_items_in_batch
            if self.args.average_tokens_across_devices and self.accelerator.num_processes > 1:
                loss = loss * self.accelerator.num_processes  # DDP averages gradients over processes
        return (loss, {"logits": logits}) if return_outputs else loss


def keeps_best_checkpoint(config: JobConfig, has_eval: bool) -> bool:
    """Whether the best validation checkpoint can be kept: every checkpoint must fall on an evaluation (both per
    epoch, or save_every a multiple of eval_every)."""
    t = config.training
    if not has_eval:
        return False
    if t.eval_every is None or t.save_every is None:
        return t.eval_every is None and t.save_every is None
    return t.save_every % t.eval_every == 0


def training_arguments(config: JobConfig, run_dir: Path, setup: Setup, has_eval: bool):
    """training_setup's shared TrainingArguments with SFT's schedule: epochs (or max_steps), validation every
    training.eval_every steps or each epoch, checkpoints every training.save_every steps or each epoch."""
    t = config.training
    keep_best = keeps_best_checkpoint(config, has_eval)
    return training_setup.training_arguments(
        config, run_dir, setup,
        num_train_epochs=t.epochs,
        max_steps=t.max_steps or -1,
        eval_strategy="no" if not has_eval else ("steps" if t.eval_every else "epoch"),
        eval_steps=t.eval_every,
        save_strategy="steps" if t.save_every else "epoch",
        save_steps=t.save_every or 500,
        # the exported model is the checkpoint with the lowest validation loss (the Trainer keeps it through the
        # save_total_limit rotation and loads it when training ends), whenever checkpoints fall on evaluation steps
        load_best_model_at_end=keep_best,
        metric_for_best_model="eval_loss" if keep_best else None,
        greater_is_better=False,
    )


CPU_MICRO_BATCH_TOKENS = 512  # fastest of 458..3,664 tokens per pass on the bench's CPU, and 4x less memory


def batching_mode(config: JobConfig, setup: Setup) -> str:
    """training.batching, with auto resolved: padding_free on a CUDA GPU, group_by_length (in micro-batches) on the
    CPU, where the flattened batch's masked attention was measured slower (trainer/batching.py)."""
    if config.training.batching != "auto":
        return config.training.batching
    return "padding_free" if setup.cuda else "group_by_length"


def micro_batch_tokens(config: JobConfig, setup: Setup) -> int | None:
    """training.micro_batch_tokens, or its default: 512 on the CPU, no limit on a GPU (bigger passes use it better)."""
    if config.training.micro_batch_tokens is not None:
        return config.training.micro_batch_tokens
    return None if setup.cuda else CPU_MICRO_BATCH_TOKENS


def rows_for(config: JobConfig, encoded) -> list[dict[str, list[int]]]:
    if config.training.batching == "packing":  # the only mode that changes the rows themselves
        return batching.pack(encoded, config.model.max_seq_len, config.training.seed)
    return batching.features(encoded)


def print_config(config: JobConfig, notes: list[str]) -> None:
    print("resolved config:\n" + "\n".join("  " + line for line in config.to_yaml().splitlines()), flush=True)
    for note in notes:
        print(f"  derived: {note}", flush=True)


def checkpoint_choice(trainer: Trainer, kept_best: bool) -> dict[str, Any]:
    """Which weights are exported (and served), read from the validation losses the Trainer logged; says when the
    validation loss rose after its best step, or was still falling at the end."""
    evals = [(row["step"], row["eval_loss"]) for row in trainer.state.log_history if "eval_loss" in row]
    last_step = trainer.state.global_step
    if not evals:
        return {"exported_step": last_step, "best_step": None, "rose_late": False, "still_falling": False,
                "note": f"No validation split: the final weights (step {last_step}) are exported and served."}
    best_step, best_loss = min(evals, key=lambda e: (e[1], e[0]))
    last_eval_step, last_loss = evals[-1]
    exported = training_setup.checkpoint_step(trainer.state.best_model_checkpoint) if kept_best and trainer.state.best_model_checkpoint \
        else last_step
    # "rose late": the last validation loss is more than 1% above the best one, measured after it
    rose = last_eval_step > best_step and last_loss > best_loss * 1.01
    falling = len(evals) >= 2 and evals[-1][1] < evals[-2][1]
    curve = ", ".join(f"{loss:.3f}@{step}" for step, loss in evals)
    if kept_best:
        note = (f"Exported and served: checkpoint-{exported}, the lowest validation loss ({best_loss:.4f} at step "
                f"{best_step} of {last_step}).")
    else:
        note = (f"Exported and served: the final weights (step {last_step}); checkpoints did not fall on evaluation "
                "steps (training.save_every is not a multiple of eval_every), so the best one could not be kept.")
    if rose:
        note += f" Validation loss rose late: {best_loss:.4f} at step {best_step} → {last_loss:.4f} at step {last_eval_step}."
    elif falling:
        note += " Validation loss was still falling at the last evaluation."
    return {"exported_step": exported, "best_step": best_step, "best_eval_loss": best_loss,
            "last_eval_loss": last_loss, "rose_late": rose, "still_falling": falling, "kept_best": kept_best,
            "validation_curve": curve, "note": note}


def run(config: JobConfig, run_dir: Path, resume: bool = False) -> dict[str, Any]:
    """Train, save and evaluate one SFT job in `run_dir`; return the result summary (also run_dir/result.json)."""
    started = time.time()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rank0 = is_main_process()
    progress = ProgressWriter(run_dir) if rank0 else None

    def event(message: str, level: str = "info") -> None:
        if progress:
            progress.event(message, level)

    # 1. set-up (trainer/training_setup.py)
    setup = training_setup.resolve(config)
    notes = list(setup.notes)
    threads_note = training_setup.use_threads(setup, run_dir)
    if threads_note:
        notes.append(threads_note)
    torch.manual_seed(config.training.seed)
    tokenizer = load_tokenizer(config.model.base)
    ensure_chat_template(tokenizer)

    # 2. data
    train, val, test, data_notes = load_splits(config, tokenizer)
    notes += data_notes
    max_len = config.model.max_seq_len
    train_enc = [encode(tokenizer, e, max_len) for e in train]
    val_enc = [encode(tokenizer, e, max_len) for e in val]
    train_rows = rows_for(config, train_enc)
    total, steps_line = training_setup.steps_for(config, len(train_rows), config.training.epochs, "rows")
    notes.append(f"schedule: {steps_line} ({len(train_rows)} training rows)")
    mode = batching_mode(config, setup)
    micro_tokens = micro_batch_tokens(config, setup)
    passes = "one forward pass per batch"
    if micro_tokens:
        passes = f"at most {micro_tokens} tokens per forward pass" + (
            "" if config.training.micro_batch_tokens else " (auto on the CPU)")
    notes.append(f"batching {mode}" + (" (auto)" if config.training.batching == "auto" else "") + f"; {passes}")
    fused_loss, loss_note = training_setup.fused_linear_cross_entropy(setup)
    notes.append(loss_note)

    # 3. model
    model = build_model(config, setup, notes)
    if rank0:
        print_config(config, notes)
        (run_dir / "config.yaml").write_text(config.to_yaml())
        for note in notes:
            if note.startswith("data warning"):
                event(note, "warning")

    # 4. training
    args = training_arguments(config, run_dir, setup, has_eval=bool(val_enc))
    callbacks = training_setup.callbacks(run_dir, training_setup.flops_per_token(
        model.num_parameters(), trains_all_weights=config.lora.method == "full"))
    if config.training.early_stopping_patience and val_enc:
        from transformers import EarlyStoppingCallback
        callbacks.append(EarlyStoppingCallback(config.training.early_stopping_patience))
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=train_rows,
        eval_dataset=batching.features(val_enc) or None,
        data_collator=(batching.flattening_collator() if mode == "padding_free"
                       else batching.Collator(tokenizer.pad_token_id)),
        processing_class=tokenizer,
        callbacks=callbacks,
        lengths=[len(r["input_ids"]) for r in train_rows],
        batching_mode=mode,
        fused_loss=fused_loss,
        data_seed=config.training.seed,
        micro_batch_tokens=micro_tokens,
    )
    train_started = time.time()
    output = training_setup.train(trainer, run_dir, resume, total, event)
    train_seconds = time.time() - train_started

    result: dict[str, Any] = {
        "kind": "sft", "method": config.lora.method, "steps": trainer.state.global_step,
        "train_loss": output.training_loss, "train_examples": len(train), "validation_examples": len(val),
        "test_examples": len(test), "train_seconds": round(train_seconds, 1),  # trainer.train() alone
        "train_runtime_s": output.metrics.get("train_runtime"),  # the Trainer's own clock of its loop
        "throughput": callbacks[0].summary,  # non-padding tokens/s of all processes (training_setup, section 4)
    }
    if val_enc or (config.eval.enabled and test):  # only rank 0 reports
        report_phase(run_dir, "evaluating", detail="validation loss" + (
            f", then {len(test)} test examples against the base model" if config.eval.enabled and test else ""))
    choice = checkpoint_choice(trainer, args.load_best_model_at_end)
    result["checkpoint"] = choice
    if val_enc:
        clock = time.monotonic()
        result["eval_loss"] = trainer.evaluate()["eval_loss"]  # of the exported weights
        result["validation_seconds"] = round(time.monotonic() - clock, 2)  # one pass; the probe counts each in training
    if not rank0:
        return result

    # 5. outputs
    if config.lora.method == "full":
        out = run_dir / "model"
        trainer.save_model(str(out))
        result["model"] = str(out)
    else:
        out = run_dir / "adapter"
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        result["adapter"] = str(out)
    event(f"saved {out.name}/ after {trainer.state.global_step} steps (train loss {output.training_loss:.4f})")

    event(choice["note"])
    if config.eval.enabled and test:
        event(f"evaluating on {len(test)} held-out test examples against the base model with its best prompt "
              "(searched on validation)")
        base = model if config.lora.method != "full" else load_model(config.model.base, dtype=setup.dtype).to(model.device)
        eval_started = time.time()
        report = evaluate.evaluate(run_dir, config, tokenizer, tuned=model, base=base, train=train, test=test,
                                   validation=val, checkpoint=choice, on_progress=evaluation_progress(run_dir, event))
        result["eval_seconds"] = round(time.time() - eval_started, 1)
        result["eval"] = {"verdict": report["verdict"], "verdict_summary": report["verdict_summary"],
                          "chosen_prompt": report["prompt_search"]["chosen"], "next_steps": report["next_steps"],
                          "report": str(run_dir / "eval" / "report.json")}
        event(report["verdict"])
    elif config.eval.enabled:
        event("no test examples: evaluation skipped", "warning")

    report_phase(run_dir, "writing_report", detail="result.json" + (", merged model" if config.training.merge_adapter
                                                                   else ""))
    if config.training.merge_adapter:
        merged = merge_adapter(config, run_dir, setup.weights_dtype)
        result["merged"] = str(merged)
        event(f"merged model written to {merged}")
    result["total_seconds"] = round(time.time() - started, 1)
    (run_dir / "result.json").write_text(json.dumps(result, indent=2))
    return result


def evaluation_progress(run_dir: Path, event, every: float = 0.1):
    """The evaluation's `on_progress(done, total)`: the job's phase "evaluating k of N" after every batch (the job
    panel's bar and ETA; units are rows generated or scored), and an "evaluating k/N" event each tenth."""
    posted = [-1.0]

    def on_progress(done: int, total: int) -> None:
        report_phase(run_dir, "evaluating", done, total, detail="rows generated or scored: prompt search, test, "
                     "forgetting probe")
        share = done / max(total, 1)
        if share >= posted[0] + every or done == total:
            posted[0] = share
            event(f"evaluating {done}/{total}")

    return on_progress


def merge_adapter(config: JobConfig, run_dir: Path, dtype: torch.dtype) -> Path:
    """Fold the adapter into a fresh full-precision copy of the base (a 4-bit base cannot be merged losslessly)."""
    from peft import PeftModel

    base = load_model(config.model.base, dtype=dtype if dtype != torch.float16 else torch.float32)
    merged = PeftModel.from_pretrained(base, str(run_dir / "adapter")).merge_and_unload()
    out = run_dir / "merged"
    merged.save_pretrained(str(out))
    load_tokenizer(config.model.base).save_pretrained(str(out))
    return out


if __name__ == "__main__":  # python -m trainer.sft CONFIG.yaml --run-dir DIR [--resume]
    raise SystemExit(recipe_main("sft", run, __doc__))
