"""Running a recipe on several processes and machines with torchrun, unchanged.

The recipes use the Hugging Face `Trainer`, which becomes DDP when torchrun's environment (RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR ...) is present: each process takes its share of every global batch (per-device batch ×
processes × grad_accum), gradients are averaged by all-reduce (NCCL on GPUs, gloo on the CPU), and rank 0 alone
writes checkpoints. This module holds what makes that work the same everywhere:

- `torchrun_argv`: the command `tunewise train CONFIG --nproc N [--nnodes M --node-rank R --master-addr A]` runs:
  `python -m torch.distributed.run ... -m trainer.launch --config CONFIG --run-dir DIR`.
  One machine: `--standalone` (torchrun picks a free port). Several machines: a c10d rendezvous at
  MASTER_ADDR:PORT with an id derived from the config, so every node joins the same run; use a run folder on a
  shared file system (as SLURM clusters have) so checkpoints and the final model land in one place.
- `training_arguments`: the `TrainingArguments` the pretraining recipes share (gloo on the CPU, bf16 on GPUs that
  have it, full determinism on the CPU, the run folder's checkpoints).
- `callbacks`: trainer/throughput.py's tokens/s and MFU, then the job callbacks (trainer/callbacks.py).
- `is_main_process` / `main_first`: only global rank 0 writes run files other than checkpoints; data preparation
  runs on rank 0 first and the other ranks then read its cache.

What torchrun starts on every process is `python -m trainer.launch` (`trainer.launch.rank_main`). Importing this
module is cheap (no torch, no transformers), so `tunewise train --nproc N` hands over to torchrun at once.
"""

from __future__ import annotations

import hashlib
import math
import os
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path

from trainer.state.errors import UserError
from trainer.state.home import OFFLINE_ENV


class LaunchError(UserError):
    """The launch flags or the device cannot run the config as asked."""

    code, param = "bad_launch", "launch"


# ---------------------------------------------------------------------------------------------- ranks


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    return rank() == 0


def barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
        dist.barrier()


@contextmanager
def main_first(args):
    """Global rank 0 runs the block first, the other ranks after it (for caches on a shared file system; a rank
    that finds no cache builds its own, so separate file systems work too)."""
    with args.main_process_first(local=False, desc="data preparation"):
        yield


# ---------------------------------------------------------------------------------------------- Trainer set-up


def use_cuda(config) -> bool:
    import torch

    if config.training.device == "cuda" and not torch.cuda.is_available():
        raise LaunchError("training.device is cuda but no CUDA GPU is visible; set training.device: auto or cpu",
                          "no_cuda", "training.device")
    return config.training.device != "cpu" and torch.cuda.is_available()


def precision(config, cuda: bool) -> dict:
    """Mixed-precision flags for TrainingArguments: weights stay fp32, compute in bf16/fp16 on a GPU."""
    import torch

    dtype = config.model.dtype
    if not cuda:
        if dtype in ("bf16", "fp16"):
            raise LaunchError(f"model.dtype {dtype} needs a GPU here; use auto or fp32 on the CPU", "dtype_on_cpu",
                              "model.dtype")
        return {}
    if dtype == "auto":
        dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return {"bf16": dtype == "bf16", "fp16": dtype == "fp16"}


def training_arguments(config, run_dir: Path, max_steps: int, save_steps: int, eval_steps: int | None):
    """TrainingArguments shared by continued pretraining and pretraining (see the module docstring)."""
    from transformers import TrainingArguments

    t = config.training
    cuda = use_cuda(config)
    return TrainingArguments(
        output_dir=str(Path(run_dir) / "checkpoints"),
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        learning_rate=t.learning_rate,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a share of max_steps
        max_steps=max_steps,
        logging_steps=t.logging_every,
        save_strategy="steps",
        save_steps=save_steps,
        save_total_limit=2,  # >= 2, see trainer.callbacks "Complete checkpoints"
        eval_strategy="steps" if eval_steps else "no",
        eval_steps=eval_steps,
        report_to="none",
        seed=t.seed,
        data_seed=t.seed,
        full_determinism=not cuda,  # deterministic kernels cost little on the CPU, a lot on GPUs
        use_cpu=not cuda,
        ddp_backend="gloo" if not cuda and world_size() > 1 else None,  # None: no process group at all
        ddp_find_unused_parameters=False,
        activation_checkpointing=config.model.gradient_checkpointing,
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        remove_unused_columns=False,
        disable_tqdm=True,
        log_level="warning",
        **precision(config, cuda),
    )


def global_batch(config) -> int:
    """Blocks per optimizer step over all processes: batch_size × grad_accum × processes."""
    return config.training.batch_size * config.training.grad_accum * world_size()


def callbacks(run_dir: Path, flops_per_token: float):
    """The throughput callback (first, so the job callbacks see what it adds to the logs), then the job callbacks."""
    # transformers (seconds to import) comes with both: imported here so `tunewise train --nproc N` starts fast
    from trainer.callbacks import job_callbacks
    from trainer.throughput import ThroughputCallback

    return [ThroughputCallback(flops_per_token)] + job_callbacks(run_dir)


def resume_checkpoint(run_dir: Path, resume: bool) -> str | None:
    from trainer.callbacks import last_complete_checkpoint  # heavy: trainer.callbacks imports transformers

    checkpoint = last_complete_checkpoint(run_dir) if resume else None
    return str(checkpoint) if checkpoint else None


def steps_for(config, train_blocks: int, epochs: float) -> tuple[int, str]:
    """Optimizer steps for `epochs` passes over `train_blocks`, and the sentence that derives them."""
    gb = global_batch(config)
    per_epoch = max(1, math.ceil(train_blocks / gb))
    t = config.training
    if t.max_steps:
        return t.max_steps, f"{t.max_steps} steps (training.max_steps; 1 epoch = {per_epoch} steps)"
    steps = max(1, math.ceil(per_epoch * epochs))
    return steps, (f"{steps} steps = {epochs:g} epoch(s) × {per_epoch} steps; 1 step = {gb} blocks "
                   f"({t.batch_size} per device × {t.grad_accum} accumulation × {world_size()} processes)")


# ---------------------------------------------------------------------------------------------- launching


def rendezvous_id(config_text: str, master_addr: str, master_port: int) -> str:
    """The same on every node that runs the same config against the same master, different otherwise."""
    return hashlib.sha256(f"{config_text}|{master_addr}|{master_port}".encode()).hexdigest()[:12]


def torchrun_argv(config_path: Path, run_dir: Path, nproc: int, nnodes: int = 1, node_rank: int = 0,
                  master_addr: str = "127.0.0.1", master_port: int = 29500, rdzv_id: str | None = None,
                  resume: bool = False, python: str = sys.executable) -> list[str]:
    if nproc < 1 or nnodes < 1:
        raise LaunchError("--nproc and --nnodes must be at least 1", "bad_launch", "launch.nproc_per_node")
    if not 0 <= node_rank < nnodes:
        raise LaunchError(f"--node-rank must be between 0 and {nnodes - 1} for --nnodes {nnodes}", "bad_launch",
                          "launch.node_rank")
    argv = [python, "-m", "torch.distributed.run", "--nproc_per_node", str(nproc)]
    if nnodes == 1:
        argv += ["--standalone", "--nnodes", "1"]
    else:
        argv += ["--nnodes", str(nnodes), "--node_rank", str(node_rank), "--rdzv_backend", "c10d",
                 "--rdzv_endpoint", f"{master_addr}:{master_port}", "--rdzv_id", rdzv_id or "tunewise"]
    argv += ["-m", "trainer.launch", "--config", str(config_path), "--run-dir", str(run_dir)]
    return argv + (["--resume"] if resume else [])


def slurm_script(config_path: Path, nodes: int, gpus_per_node: int, job_name: str, time_limit: str = "24:00:00",
                 runs_root: str = "$HOME/.tunewise/runs") -> str:
    """An sbatch script that starts one torchrun per node with `srun`, rendezvous on the first node."""
    cfg = shlex.quote(str(Path(config_path).resolve()))
    return f"""#!/bin/bash
# Written by `tunewise train {cfg} --emit-slurm`. Submit this file with sbatch.
# {nodes} node(s) × {gpus_per_node} GPU(s); one torchrun per node, which starts {gpus_per_node} training processes.
# The config, its data and the run folder must be on a file system every node sees, at these paths.
# Activate the environment tunewise is installed in before `sbatch` (SLURM passes it on), or add it below.
#SBATCH --job-name={job_name}
#SBATCH --nodes={nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node={gpus_per_node}
#SBATCH --cpus-per-task={max(4, 8 * gpus_per_node)}
#SBATCH --time={time_limit}
#SBATCH --output=%x-%j.out
set -euo pipefail

export {' '.join(f'{k}={v}' for k, v in _offline_env().items())}
export TUNEWISE_HOME="${{TUNEWISE_HOME:-$HOME/.tunewise}}"
RUN_DIR="${{RUN_DIR:-$TUNEWISE_HOME/runs/{job_name}-$SLURM_JOB_ID}}"
mkdir -p "$RUN_DIR"
MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
MASTER_PORT=${{MASTER_PORT:-29500}}

srun --kill-on-bad-exit=1 python -m torch.distributed.run \\
    --nnodes "$SLURM_JOB_NUM_NODES" --nproc_per_node {gpus_per_node} \\
    --rdzv_backend c10d --rdzv_endpoint "$MASTER_ADDR:$MASTER_PORT" --rdzv_id "$SLURM_JOB_ID" \\
    -m trainer.launch --config {cfg} --run-dir "$RUN_DIR"
"""


def _offline_env() -> dict:
    return {k: v for k, v in OFFLINE_ENV.items() if not k.startswith(("GRADIO", "ANONYMIZED", "ORT"))}
