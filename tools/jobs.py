"""Training jobs: request a launch (awaiting the user's approval), status, cancel, resume, evaluation report, and
the run's reproducibility card in short (`run_card`, what the results show beside the evaluation).

No tool here approves a job. Approval is the user's own click in the app (or `tunewise jobs approve ID`), which
calls `trainer.jobs.approve_job` directly; nothing a model, a file or a retrieved document says counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool

from tools._log import logged
from trainer import jobs, preflight
from trainer.config import parse_config
from trainer.progress import CARD
from trainer.state.errors import UserError


class LaunchRefused(UserError):
    """The plan cannot become a job yet (no config, no data file, invalid config)."""

    code, param = "launch_refused", "plan"


def create_launch_request(plan: dict, conversation_id: str | None = None) -> dict:
    """Create a job in state awaiting_approval from a plan, replacing the conversation's job still awaiting approval
    (it ends cancelled, "replaced by <new id>"); return {job_id, state, plan, estimate}. The job's
    pre-flight probe starts in the background at once (trainer.preflight.measure_in_background): its estimate
    reads "measuring" until the probe has measured this config on this machine. The plan's `production_cost`
    (the advisor's cost band at production scale) is kept apart from it, under `estimate["production"]`; a plan
    with `target_seconds` (a default plan) is sized from the probe to finish in about that long."""
    config = (plan or {}).get("config")
    if not config:
        raise LaunchRefused("this plan trains nothing (no config); there is no job to launch")
    train = (config.get("data") or {}).get("train", "")
    if not train or not Path(train).expanduser().exists():
        raise LaunchRefused(f"the training data {train or '(none)'} does not exist; attach the data file first")
    parse_config(config, source="plan")
    estimate = preflight.pending_estimate(plan.get("production_cost"), plan.get("target_seconds"))
    job = jobs.create_job(config, conversation_id=conversation_id, estimate=estimate,
                          replace_pending=True)  # one job awaiting approval per conversation
    preflight.measure_in_background(job.id)
    return {"job_id": job.id, "state": job.state, "plan": plan, "estimate": estimate}


def _thread(config: RunnableConfig | None) -> str | None:
    return ((config or {}).get("configurable") or {}).get("thread_id")


@tool
@logged
def request_launch(plan: dict, job_id: Optional[str] = None, config: RunnableConfig = None) -> dict:
    """Call this only when the user asks to launch the training plan you drafted with `plan_training`.

    plan: the plan dict returned by `plan_training` (with its `config`).
    job_id: leave empty; the app fills it in when the user has already seen this request.
    Creates a job that WAITS for the user's approval in the app; it does not start training and you cannot
    approve it. Returns {job_id, state: "awaiting_approval", plan, estimate}.
    """
    if job_id:
        summary = jobs.job_summary(job_id)
        return {"job_id": job_id, "state": summary.get("state"), "plan": plan, "estimate": None}
    return create_launch_request(plan, _thread(config))


@tool
@logged
def job_status(job_id: str) -> dict:
    """Call this when the user asks how a training job is doing.

    Returns {state, progress, metrics, error} for the job.
    """
    return jobs.job_summary(job_id)


@tool
@logged
def cancel_job(job_id: str) -> dict:
    """Call this when the user asks to stop or cancel a training job. Returns the job's new state."""
    job = jobs.cancel_job(job_id)
    return {"job_id": job.id, "state": job.state}


@tool
@logged
def resume_job(job_id: str) -> dict:
    """Call this when the user asks to resume an interrupted job from its last checkpoint.
    Returns the job's new state."""
    job = jobs.resume_job(job_id)
    return {"job_id": job.id, "state": job.state}


@tool
@logged
def evaluation_report(job_id: str) -> dict:
    """Call this when a job has finished and the user asks how the tuned model did.

    Returns the evaluation (tuned vs. base model with the best prompt, forgetting check), or {"report": null}
    while the job has no report yet.
    """
    return jobs.evaluation_report(job_id) or {"report": None}


@dataclass(frozen=True)
class RunCard:
    """What it takes to reproduce a run, in short: the fields of run_dir/card.json (trainer/tracking.py) a reader
    of the results wants at a glance, and the path of the whole card. A value the card lacks is None (or left out
    of `packages`), never a default."""

    path: str  # the full card, JSON (resolved config, every package version, the command line)
    seed: int | None  # training.seed: weight init, dropout and data order
    split_seed: int | None  # data.seed: which rows went to train / validation / test
    base_model: str | None  # model.base as the config named it (a bundled name, a local path or a hub id)
    data: dict[str, Any]  # "data.train" etc. -> SHA-256 hex of the file, a folder's listing digest {..}, or None
    code_revision: str | None  # the tunewise git commit, "+dirty" with uncommitted changes; None outside a checkout
    packages: dict[str, str]  # python, torch, transformers, peft: the versions the run had (those installed)
    hardware: dict[str, Any]  # machine, system, cpus, torch_threads, cuda, gpus, world_size
    tokens_per_s: float | None  # median over the run's logged steps (non-padding input tokens, all processes)
    optimizer_steps: int | None
    train_seconds: float | None  # seconds of training in this process (the last attempt, after a resume)


SHOWN_PACKAGES = ("python", "torch", "transformers", "peft")


def read_card(path: Path) -> RunCard | None:
    """The card at `path` in short; None when the run folder has none (a run from before tracking) or it is not
    JSON (being rewritten: trainer/tracking.py replaces it atomically, so only a foreign file is)."""
    try:
        card = json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    config, seed = card.get("config") or {}, card.get("seed") or {}
    measured, packages = card.get("measured") or {}, card.get("packages") or {}
    return RunCard(path=str(path), seed=seed.get("training"), split_seed=seed.get("data_split"),
                   base_model=(config.get("model") or {}).get("base"), data=dict(card.get("data_sha256") or {}),
                   code_revision=card.get("code_revision"),
                   packages={name: packages[name] for name in SHOWN_PACKAGES if packages.get(name)},
                   hardware=dict(card.get("hardware") or {}), tokens_per_s=measured.get("median_tokens_per_s"),
                   optimizer_steps=measured.get("optimizer_steps"),
                   train_seconds=measured.get("train_seconds_this_process"))


def run_card(job_id: str) -> RunCard | None:
    """The job's reproducibility card in short (`read_card` of its run folder's card.json); None without one."""
    return read_card(Path(jobs.get_job(job_id).run_dir) / CARD)
