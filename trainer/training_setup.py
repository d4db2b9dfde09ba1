"""What every recipe (sft, dpo, continued pretraining, pretraining) sets up before its `Trainer` runs, in one place,
so the four behave alike on a laptop CPU, one GPU and a torchrun cluster. Read top to bottom:

1. `resolve`: the device and the compute precision, checked against this machine. `model.dtype: auto` is bf16 on a
   GPU that supports it (else fp16); on the CPU it is bf16 autocast where the processor has bf16 matrix
   instructions (trainer/cpu.py) and fp32 elsewhere. What the machine cannot run is a `SetupError` naming the config
   field: a CUDA device or QLoRA without a CUDA GPU, QLoRA without bitsandbytes, fp16 on the CPU, bf16 on a CPU or a
   GPU without bf16 support. Combinations that are wrong on every machine are refused earlier, when the config is
   parsed (trainer/config.py); `jobs.create_job` calls `resolve` too, so both are refused before any approval.
2. `use_threads`: on the CPU, the torch thread count measured once per run folder (trainer/cpu.py; a resume keeps
   it, because another count changes the order of floating-point sums and resume is bit-exact on the CPU).
   `attention_implementation` and `fused_linear_cross_entropy`: the GPU kernels used where they are installed
   (flash-attention's variable-length attention, Liger's fused output layer + loss); transformers' sdpa and torch's
   own loss everywhere else.
3. `training_arguments`: the `TrainingArguments` fields every recipe shares — precision flags (bf16 on the CPU is
   autocast over fp32 weights), the DDP backend (gloo on the CPU, nccl on CUDA, none for one process), full
   determinism on the CPU, seeds, checkpoints (save_total_limit 2, see trainer/callbacks.py), no external report,
   activation checkpointing, and token counting; a recipe passes only its schedule (steps, evaluation, saving).
4. Token counting and callbacks: the Trainer's own counter of non-padding input tokens, summed over processes, is
   the one count every recipe reports (`tokens_per_s` in metrics.jsonl, `throughput` in result.json); MFU on GPUs
   whose peak is known (trainer/throughput.py). `flops_per_token` says what one token costs per method.
5. Schedule and resume: `steps_for` (the optimizer steps the Trainer will run, with the sentence that derives them),
   `schedule_blocks` (evaluation and checkpoints of the packed-block recipes) and `train` (resume from the last
   complete checkpoint; a run that died after its final checkpoint loads it instead of stepping past the end).

Ranks and launching (torchrun, SLURM) are trainer/distributed.py's.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from transformers import Trainer, TrainerState, TrainingArguments
from transformers.trainer_utils import TrainOutput

from trainer import cpu
from trainer.callbacks import job_callbacks, last_complete_checkpoint
from trainer.config import JobConfig
from trainer.distributed import world_size
from trainer.state.errors import UserError
from trainer.throughput import ThroughputCallback


class SetupError(UserError):
    """A config this machine cannot run as asked (QLoRA without CUDA, bf16 on a CPU without it, ...)."""

    def __init__(self, message: str, code: str, param: str):
        super().__init__(message, code, param)  # every SetupError names its code and config field


# ---------------------------------------------------------------------------------------------- 1. device, precision


@dataclass(frozen=True)
class Setup:
    device: str  # "cuda" or "cpu"
    dtype: torch.dtype  # compute precision; the weights' dtype is the recipe's choice (fp32 on the CPU)
    notes: list[str] = field(default_factory=list)  # what was derived, printed with the config

    @property
    def cuda(self) -> bool:
        return self.device == "cuda"

    @property
    def weights_dtype(self) -> torch.dtype:
        """The weights' dtype: the compute dtype on a GPU; fp32 on the CPU, where bf16 is autocast over fp32 weights
        (so what is trained, merged and exported there keeps full precision)."""
        return self.dtype if self.cuda else torch.float32

    def precision_flags(self) -> dict[str, bool]:
        """TrainingArguments' mixed-precision flags: bf16 on the CPU is autocast over fp32 weights; fp16 is GPU-only."""
        return {"bf16": self.dtype == torch.bfloat16, "fp16": self.dtype == torch.float16 and self.cuda}


DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve(config: JobConfig) -> Setup:
    """The device and compute precision `config` runs with here; raises SetupError for what this machine cannot run."""
    notes = []
    wanted = config.training.device
    cuda = torch.cuda.is_available()
    if wanted == "cuda" and not cuda:
        raise SetupError("training.device is cuda but no CUDA GPU is visible; use device: auto or cpu",
                         "no_cuda", "training.device")
    device = "cuda" if wanted != "cpu" and cuda else "cpu"
    if wanted == "auto":
        notes.append(f"device {device} (auto: {'a CUDA GPU is visible' if cuda else 'no CUDA GPU'})")
    if config.lora.method == "qlora" and device != "cuda":
        raise SetupError("lora.method qlora needs a CUDA GPU (bitsandbytes 4-bit kernels); on this machine use "
                         "lora.method: lora — the same adapters on a full-precision base (the bundled 135M model "
                         "needs ~1 GB)", "qlora_needs_cuda", "lora.method")
    if config.lora.method == "qlora" and importlib.util.find_spec("bitsandbytes") is None:
        raise SetupError("lora.method qlora needs the bitsandbytes package: pip install bitsandbytes",
                         "bitsandbytes_missing", "lora.method")
    fast_cpu_bf16 = device == "cpu" and cpu.fast_bf16()
    if config.model.dtype == "auto":
        if device == "cpu":
            # bf16 autocast only where the CPU has bf16 matrix instructions; elsewhere it is slower than fp32
            dtype = torch.bfloat16 if fast_cpu_bf16 else torch.float32
            why = ("this CPU has bf16 matrix instructions: bf16 autocast, fp32 weights" if fast_cpu_bf16
                   else "no bf16 matrix instructions on this CPU, where bf16 would be slower")
        else:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            why = f"auto on {device}"
        notes.append(f"dtype {str(dtype).removeprefix('torch.')} ({why})")
        return Setup(device, dtype, notes)
    dtype = DTYPES[config.model.dtype]
    if device == "cpu" and dtype == torch.float16:
        raise SetupError("model.dtype fp16 is not supported for training on the CPU; use fp32 (or auto)",
                         "fp16_on_cpu", "model.dtype")
    if device == "cpu" and dtype == torch.bfloat16 and not fast_cpu_bf16:
        raise SetupError("model.dtype bf16: this CPU has no bf16 matrix instructions (AMX, AVX512-BF16 or Arm BF16), "
                         "so bf16 would run slower than fp32 here; use auto or fp32", "bf16_unsupported", "model.dtype")
    if device == "cuda" and dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        raise SetupError("model.dtype bf16: this GPU does not support bf16; use fp16 or auto", "bf16_unsupported",
                         "model.dtype")
    return Setup(device, dtype, notes)


# ---------------------------------------------------------------------------------------------- 2. threads


def use_threads(setup: Setup, run_dir: Path) -> str | None:
    """On the CPU, set the torch thread count chosen for `run_dir` and return the note saying how; None on a GPU."""
    if setup.cuda:
        return None
    threads, note = cpu.threads_for_run(run_dir)
    torch.set_num_threads(threads)
    return note


def attention_implementation(setup: Setup) -> tuple[str | None, str]:
    """(transformers' attn_implementation, a note): flash_attention_2 on a CUDA GPU where the flash-attn package is
    installed and the weights are bf16/fp16 (its kernels take nothing else; padding-free rows run its varlen path),
    else None, transformers' default sdpa (which takes padding-free rows through a block mask)."""
    if setup.cuda and setup.dtype != torch.float32 and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2", "attention flash_attention_2 (flash-attn is installed)"
    why = "no CUDA GPU" if not setup.cuda else ("fp32 weights" if setup.dtype == torch.float32
                                                 else "flash-attn is not installed")
    return None, f"attention sdpa ({why})"


def fused_linear_cross_entropy(setup: Setup) -> tuple[Callable | None, str]:
    """(loss, note): Liger's fused output layer + cross-entropy, summed, on a CUDA GPU where liger-kernel is
    installed — it computes the loss in chunks of hidden states and never holds the (tokens, vocabulary) logits —
    else None (torch's linear and cross-entropy on the trained positions only). Called as loss(weight, hidden,
    targets)."""
    if not setup.cuda or importlib.util.find_spec("liger_kernel") is None:
        return None, "loss: output layer on trained positions, then cross-entropy" + (
            "" if not setup.cuda else " (liger-kernel is not installed)")
    from liger_kernel.transformers import LigerFusedLinearCrossEntropyLoss  # optional, CUDA-only install

    return LigerFusedLinearCrossEntropyLoss(reduction="sum"), "loss: Liger fused linear + cross-entropy"


# ---------------------------------------------------------------------------------------------- 3. TrainingArguments


def ddp_backend(setup: Setup) -> str | None:
    """gloo on the CPU, nccl on CUDA; None for a single process (no process group at all)."""
    if world_size() == 1:
        return None
    return "nccl" if setup.cuda else "gloo"


def training_arguments(config: JobConfig, run_dir: Path, setup: Setup, **schedule) -> TrainingArguments:
    """The TrainingArguments every recipe shares; `schedule` holds the recipe's own fields (max_steps,
    num_train_epochs, eval_strategy/eval_steps, save_strategy/save_steps, best-checkpoint keeping) and wins."""
    t = config.training
    checkpointing = config.model.gradient_checkpointing
    shared = dict(
        output_dir=str(Path(run_dir) / "checkpoints"),
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of the total steps
        logging_steps=t.logging_every,
        save_total_limit=2,  # >= 2 so a complete checkpoint always exists (trainer/callbacks.py)
        report_to=[],  # metrics go to the run folder and the job's database rows (trainer/callbacks.py)
        seed=t.seed,
        data_seed=t.seed,
        full_determinism=not setup.cuda,  # bit-exact resume on the CPU; deterministic kernels cost a lot on GPUs
        use_cpu=not setup.cuda,
        ddp_backend=ddp_backend(setup),
        ddp_find_unused_parameters=False,
        activation_checkpointing=checkpointing,
        # non-reentrant checkpointing needs no input that requires grad, so frozen LoRA bases work as they are
        activation_checkpointing_kwargs={"use_reentrant": False} if checkpointing else None,
        include_num_input_tokens_seen="non_padding",  # the token count of section 4
        train_sampling_strategy="random",  # a recipe that groups lengths does it in its own seeded sampler
        remove_unused_columns=False,
        label_names=["labels"],
        prediction_loss_only=True,  # evaluation keeps the loss, never a (rows × vocabulary) logits tensor
        dataloader_num_workers=0,
        disable_tqdm=True,
        log_level="warning",
        **setup.precision_flags(),
    )
    return TrainingArguments(**(shared | schedule))


# ---------------------------------------------------------------------------------------------- 4. tokens, callbacks


def flops_per_token(parameters: int, trains_all_weights: bool, reference_forward: bool = False) -> float:
    """Training FLOPs per token: forward 2·N, backward 4·N when every weight trains, 2·N (input gradients only) when
    the base is frozen (LoRA); a frozen reference model's forward (DPO) adds 2·N."""
    return (6.0 if trains_all_weights else 4.0) * parameters + (2.0 * parameters if reference_forward else 0.0)


def callbacks(run_dir: Path, flops_per_token: float) -> list:
    """The throughput callback (first, so the job callbacks see what it adds to the logs), then the job callbacks.
    `callbacks(...)[0].summary` is the run's throughput for result.json once training ends."""
    return [ThroughputCallback(flops_per_token)] + job_callbacks(run_dir)


# ---------------------------------------------------------------------------------------------- 5. schedule, resume


def global_batch(config: JobConfig) -> int:
    """Rows (examples, pairs or blocks) per optimizer step over all processes: batch_size × grad_accum × processes."""
    return config.training.batch_size * config.training.grad_accum * world_size()


def steps_for(config: JobConfig, train_rows: int, epochs: float, unit: str = "rows") -> tuple[int, str]:
    """Optimizer steps for `epochs` passes over `train_rows`, as the Trainer counts them (ceil of epochs × steps per
    epoch), and the sentence that derives them; training.max_steps, when set, decides instead."""
    gb = global_batch(config)
    per_epoch = max(1, math.ceil(train_rows / gb))
    t = config.training
    if t.max_steps:
        return t.max_steps, f"{t.max_steps} steps (training.max_steps; 1 epoch = {per_epoch} steps)"
    steps = max(1, math.ceil(per_epoch * epochs))
    return steps, (f"{steps} steps = {epochs:g} epoch(s) × {per_epoch} steps; 1 step = {gb} {unit} "
                   f"({t.batch_size} per device × {t.grad_accum} accumulation × {world_size()} processes)")


def schedule_blocks(args: TrainingArguments, config: JobConfig, steps: int, train_blocks: int) -> None:
    """The packed-block recipes' schedule, set on arguments built before the data (under torchrun building them
    starts the process group the data preparation synchronises on): `steps` optimizer steps, a checkpoint every
    training.save_every steps (else each epoch), and an evaluation every training.eval_every steps, else each epoch
    when the run is longer than one."""
    per_epoch = max(1, math.ceil(train_blocks / global_batch(config)))
    t = config.training
    args.max_steps = steps
    args.save_steps = t.save_every or per_epoch
    if t.eval_every or per_epoch < steps:
        args.eval_strategy, args.eval_steps = "steps", t.eval_every or per_epoch


def resume_checkpoint(run_dir: Path, resume: bool) -> Path | None:
    """The last complete checkpoint of `run_dir` when resuming; None to start fresh."""
    return last_complete_checkpoint(run_dir) if resume else None


def checkpoint_step(checkpoint: Path) -> int:
    """The optimizer step a checkpoint folder was saved at (checkpoint-<step>)."""
    return int(Path(checkpoint).name.rsplit("-", 1)[-1])


def load_finished(trainer: Trainer, checkpoint: Path) -> TrainOutput:
    """Load the weights and state of a checkpoint saved at the final step, as if train() had just returned."""
    trainer._load_from_checkpoint(str(checkpoint))
    trainer.state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))
    best = trainer.state.best_model_checkpoint
    if trainer.args.load_best_model_at_end and best and Path(best).is_dir() and Path(best) != Path(checkpoint):
        trainer._load_from_checkpoint(best)  # what train() would have done at its end
    losses = [row["loss"] for row in trainer.state.log_history if "loss" in row]
    return TrainOutput(trainer.state.global_step, sum(losses) / max(len(losses), 1), {})


def train(trainer: Trainer, run_dir: Path, resume: bool, total_steps: int,
          event: Callable[[str], None] | None = None) -> TrainOutput:
    """trainer.train(), from the last complete checkpoint when resuming. A run that died after its final checkpoint
    is complete: train() would run one step past max_steps (the Trainer checks for the end only after a step), so
    that checkpoint is loaded instead."""
    checkpoint = resume_checkpoint(run_dir, resume)
    if resume and event is not None:
        event(f"resuming from {checkpoint.name}" if checkpoint else "no complete checkpoint: starting fresh")
    if checkpoint is not None and checkpoint_step(checkpoint) >= total_steps:
        return load_finished(trainer, checkpoint)
    return trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
