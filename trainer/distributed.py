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
- `is_main_process` / `main_first`: only global rank 0 writes run files other than checkpoints; data preparation
  runs on rank 0 first and the other ranks then read its cache.

What every recipe sets up before its Trainer (precision, TrainingArguments with the DDP backend, threads, token
counting, schedule, resume) is trainer/training_setup.py's.

What torchrun starts on every process is `python -m trainer.launch` (`trainer.launch.rank_main`). Importing this
module is cheap (no torch, no transformers), so `tunewise train --nproc N` hands over to torchrun at once.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path

from trainer.state.errors import UserError
from trainer.state.home import OFFLINE_ENV


class LaunchError(UserError):
    """The launch flags cannot start the run as asked (process counts, node rank)."""

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
