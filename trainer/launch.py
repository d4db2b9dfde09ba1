"""`tunewise train CONFIG.yaml`: run one job (or a pipeline of jobs) headless through the same recipes the chat
launches, on one process or, with torchrun, on several processes and machines.

    tunewise train CONFIG                                  # one process, through the job system
    tunewise train CONFIG --nproc 4                        # 4 processes here: a job whose worker runs torchrun
    tunewise train CONFIG --nproc 4 --run-dir DIR          # the same straight into DIR (torchrun, no job row)
    tunewise train CONFIG --nproc 8 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1   # on node 0 ...
    tunewise train CONFIG --nproc 8 --nnodes 2 --node-rank 1 --master-addr 10.0.0.1   # ... and on node 1
    tunewise train CONFIG --nproc 8 --nnodes 2 --emit-slurm job.sbatch               # a SLURM script instead

Each recipe (trainer/recipes.py) writes everything into its run folder. A file with `stages:` is a pipeline
(trainer/pipeline.py). Command-line launch flags override the config's
`launch` section. Several machines share one run folder name (derived from the config and the master address),
so on a shared file system every node writes into the same folder and only global rank 0 writes the model.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import yaml

from trainer import distributed
from trainer.config import ConfigError, JobConfig, load_config
from trainer.foreground import run_foreground
from trainer.pipeline import PipelineConfig, is_pipeline, load_pipeline, run_pipeline
from trainer.recipes import run_recipe
from trainer.state import home
from trainer.state.errors import UserError
from trainer.state.secrets import job_environment
from trainer.state.vocabulary import JobState

def new_run_dir(prefix: str = "run") -> Path:
    run_dir = home.runs_dir() / f"{prefix}-{secrets.token_hex(4)}"
    run_dir.mkdir(parents=True)
    return run_dir


def load_any(path: str | Path):
    """A JobConfig, or a PipelineConfig when the file has `stages:`."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None  # load_config reports these with the file and line
    return load_pipeline(path) if is_pipeline(data) else load_config(path)


def run_any(config, run_dir: Path, resume: bool = False) -> dict:
    if isinstance(config, PipelineConfig):
        return run_pipeline(config, run_dir, resume)
    return run_recipe(config, run_dir, resume)


def _kind(config) -> str:
    return getattr(config, "kind", "pipeline")


def launch_settings(config, args: argparse.Namespace) -> dict:
    """config.launch with every command-line flag that was given laid over it."""
    settings = config.launch.model_dump()
    for flag, key in (("nproc", "nproc_per_node"), ("nnodes", "nnodes"), ("node_rank", "node_rank"),
                      ("master_addr", "master_addr"), ("master_port", "master_port")):
        value = getattr(args, flag, None)
        if value is not None:
            settings[key] = value
    if settings["nproc_per_node"] < 1 or settings["nnodes"] < 1:
        raise ConfigError("--nproc and --nnodes must be at least 1")
    if not 0 <= settings["node_rank"] < settings["nnodes"]:
        raise ConfigError(f"--node-rank must be between 0 and {settings['nnodes'] - 1} for --nnodes {settings['nnodes']}")
    return settings


def train_command(args: argparse.Namespace) -> int:
    if getattr(args, "resume", False) and not getattr(args, "run_dir", None):
        raise ConfigError("--resume continues the run in --run-dir; name that folder (a job resumes with "
                          "`tunewise jobs resume ID`)")
    config = load_any(args.config)
    settings = launch_settings(config, args)
    nproc, nnodes = settings["nproc_per_node"], settings["nnodes"]

    if args.emit_slurm:
        name = (getattr(config, "name", None) or _kind(config)).replace(" ", "-")
        script = distributed.slurm_script(Path(args.config), nnodes, nproc, name)
        if args.emit_slurm == "-":
            sys.stdout.write(script)
        else:
            Path(args.emit_slurm).write_text(script)
            os.chmod(args.emit_slurm, 0o755)
            print(f"wrote {args.emit_slurm}: {nnodes} node(s) × {nproc} GPU(s); submit with: sbatch {args.emit_slurm}")
        return 0

    if nproc * nnodes == 1:
        return _run_single(config, args)
    if nnodes == 1 and isinstance(config, JobConfig) and getattr(args, "run_dir", None) is None:
        # several processes on this machine: still one job (the job worker starts torchrun, cancel reaches every rank)
        config.launch.nproc_per_node = nproc
        config.launch.master_port = settings["master_port"]
        return _run_single(config, args)

    config_text = Path(args.config).read_text(encoding="utf-8")
    if getattr(args, "run_dir", None):
        run_dir = Path(args.run_dir)
    elif nnodes > 1:  # every node must name the same folder: derive it from what they share
        rdzv = distributed.rendezvous_id(config_text, settings["master_addr"], settings["master_port"])
        run_dir = home.runs_dir() / f"{_kind(config)}-{rdzv}"
    else:
        run_dir = new_run_dir(_kind(config))
    run_dir.mkdir(parents=True, exist_ok=True)
    argv = distributed.torchrun_argv(
        Path(args.config).resolve(), run_dir, nproc, nnodes, settings["node_rank"], settings["master_addr"],
        settings["master_port"], distributed.rendezvous_id(config_text, settings["master_addr"],
                                                            settings["master_port"]),
        resume=getattr(args, "resume", False))
    print(f"run folder: {run_dir}\n{nnodes} node(s) × {nproc} process(es): {' '.join(argv)}", flush=True)
    home.apply_offline_env()
    return subprocess.call(argv, env=job_environment(os.environ))  # no LLM key in the ranks or their logs


def _run_single(config, args: argparse.Namespace) -> int:
    """One machine. A job config without --run-dir goes through the job system (a job row, approved by the person
    at the terminal, live progress, cancel with Ctrl-C; the job worker starts torchrun when launch asks for several
    processes). A pipeline, or an explicit --run-dir (and --resume), runs straight into that folder."""
    run_dir = getattr(args, "run_dir", None)
    if isinstance(config, JobConfig) and run_dir is None:
        job = run_foreground(config, approver=f"cli:{getpass.getuser()}")
        return 0 if job.state == JobState.SUCCEEDED else 1
    run_dir = Path(run_dir) if run_dir else new_run_dir(_kind(config))
    print(f"run folder: {run_dir}")
    run_any(config, run_dir, resume=getattr(args, "resume", False))
    return 0


# ---------------------------------------------------------------------------------------------- one torchrun process


def rank_main(argv: list[str] | None = None) -> int:
    """`python -m trainer.launch --config C --run-dir D [--resume]`: what torchrun starts on every process
    (`trainer.distributed.torchrun_argv`). Loads the config the launcher wrote and runs its recipe, or its
    pipeline, into the shared run folder."""
    home.apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m trainer.launch")
    parser.add_argument("--config", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    try:
        run_any(load_any(args.config), Path(args.run_dir), resume=args.resume)
    except UserError as exc:  # one sentence, and run_dir/error.json for whoever launched torchrun (the job worker)
        if distributed.is_main_process():
            print(f"error: {exc}", file=sys.stderr, flush=True)
            error = {"code": getattr(exc, "code", None), "message": str(exc), "param": getattr(exc, "param", None)}
            Path(args.run_dir).mkdir(parents=True, exist_ok=True)
            (Path(args.run_dir) / "error.json").write_text(json.dumps(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(rank_main())
