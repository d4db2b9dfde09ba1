"""A chained plan: several training stages where each starts from the model the previous one wrote — typically
continued pretraining on domain text, then supervised fine-tuning for behaviour.

A pipeline file is YAML with `stages:`, each stage an ordinary job config; `model.base: "@previous"` means "the
model the stage before wrote" (its merged/ folder after LoRA, its model/ folder after full training):

    name: legal-assistant
    stages:
      - kind: continued_pretraining
        model: {base: smollm2-135m-instruct}
        data: {train: corpus/}
        lora: {method: lora}
        training: {merge_adapter: true}     # the next stage needs a full model; derived (and said) if left out
      - kind: sft
        model: {base: "@previous"}
        data: {train: examples.jsonl}

Run it like any config (`tunewise train pipeline.yaml`, with `--nproc N` etc.): stage i runs in
run_dir/stage-<i>-<kind>/, and a resumed pipeline skips stages that already wrote result.json. Through the jobs
system each stage is one job and stage i+1 is created with `parent_id` = stage i's job (`create_pipeline_jobs`),
its base pointing at the parent's run folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer import distributed as dist, jobs
from trainer.config import ConfigError, JobConfig, LaunchConfig, _describe, parse_config
from trainer.recipes import run_recipe

PREVIOUS = "@previous"


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="a label for the pipeline; None = the stage kinds joined by →")
    stages: list[JobConfig] = Field(..., min_length=1, description="the jobs to run in order; a stage's model.base "
                                    f"'{PREVIOUS}' is the model the stage before wrote")
    launch: LaunchConfig = Field(default_factory=LaunchConfig, description="torchrun settings for every stage")
    notes: list[str] = Field(default_factory=list, description="derived settings, filled in when loaded")

    def label(self) -> str:
        return self.name or " → ".join(s.kind for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"notes"})

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def is_pipeline(data: Any) -> bool:
    return isinstance(data, dict) and "stages" in data


def parse_pipeline(data: dict, source: str = "pipeline", text: str | None = None, base_dir: Path | None = None) -> PipelineConfig:
    """Validate a pipeline dict: every stage as a job config (errors name stages[i] and the field), `@previous`
    only after a stage, and a LoRA stage feeding another stage made to export a merged model."""
    stages = data.get("stages")
    if not isinstance(stages, list) or not stages:
        raise ConfigError(f"{source}: stages must be a non-empty list of job configs")
    parsed = [parse_config(stage, f"{source}: stages[{i}]") for i, stage in enumerate(stages)]
    try:
        pipeline = PipelineConfig.model_validate({k: v for k, v in data.items() if k != "stages"} | {"stages": parsed})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, text)) from None
    if pipeline.stages[0].model.base == PREVIOUS:
        raise ConfigError(f"{source}: stages[0].model.base: '{PREVIOUS}' needs a stage before it; name a base model")
    for i, stage in enumerate(pipeline.stages):
        if base_dir is not None:
            for field in ("train", "validation", "test"):
                value = getattr(stage.data, field)
                if value and not Path(value).expanduser().is_absolute():
                    setattr(stage.data, field, str((base_dir / value).resolve()))
        feeds_next = i + 1 < len(pipeline.stages) and pipeline.stages[i + 1].model.base == PREVIOUS
        if feeds_next and stage.kind == "dpo" and stage.lora.method != "full":
            raise ConfigError(f"{source}: stages[{i + 1}].model.base: '{PREVIOUS}' cannot start from stages[{i}], a "
                              "DPO stage with LoRA, which writes its adapter only (no merged model); put the DPO "
                              "stage last, or train it with lora.method full")
        # a pretraining stage writes a whole model whatever lora.method says; the others merge their adapter
        if feeds_next and stage.kind != "pretraining" and stage.lora.method != "full" and not stage.training.merge_adapter:
            stage.training.merge_adapter = True
            pipeline.notes.append(f"stages[{i}].training.merge_adapter set to true: stages[{i + 1}] starts from "
                                  "its output, which must be a full model")
    return pipeline


def load_pipeline(path: str | Path) -> PipelineConfig:
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    return parse_pipeline(data, str(path), text, path.parent)


def stage_dir(run_dir: Path, index: int, stage: JobConfig) -> Path:
    return Path(run_dir) / f"stage-{index + 1}-{stage.kind}"


def stage_output(stage: JobConfig, folder: Path) -> Path:
    """The full model a stage leaves for the next one (known before it runs, so every rank agrees on it)."""
    if stage.kind == "pretraining" or stage.lora.method == "full":
        return Path(folder) / "model"
    return Path(folder) / "merged"


def with_base(stage: JobConfig, base: str) -> JobConfig:
    return parse_config(stage.to_dict() | {"model": stage.model.model_dump(mode="json") | {"base": base}})


def run_pipeline(pipeline: PipelineConfig, run_dir: Path, resume: bool = False) -> dict:
    """Run every stage in this process (or this torchrun process); return {stages: [results], output_model}."""
    run_dir = Path(run_dir)
    main = dist.is_main_process()
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "pipeline.yaml").write_text(pipeline.to_yaml())
        print(f"pipeline {pipeline.label()}: {len(pipeline.stages)} stages")
        for note in pipeline.notes:
            print(f"derived: {note}")
    results, previous = [], None
    for i, stage in enumerate(pipeline.stages):
        folder = stage_dir(run_dir, i, stage)
        if stage.model.base == PREVIOUS:
            stage = with_base(stage, str(previous))
        done = folder / "result.json"
        if resume and done.is_file():
            if main:
                print(f"stage {i + 1} ({stage.kind}) already finished: {done}")
            results.append(json.loads(done.read_text()))
        else:
            if main:
                print(f"stage {i + 1}/{len(pipeline.stages)}: {stage.kind} from {stage.model.base} → {folder}")
            results.append(run_recipe(stage, folder, resume=resume))
        dist.barrier()  # the next stage loads this one's output on every rank
        previous = stage_output(stage, folder)
    summary = {"kind": "pipeline", "name": pipeline.label(), "stages": results, "output_model": str(previous)}
    if main:
        (run_dir / "result.json").write_text(json.dumps(summary, indent=1))
    return summary


def create_pipeline_jobs(pipeline: PipelineConfig, conversation_id: str | None = None,
                         estimate: dict | None = None) -> list:
    """One job per stage, each stage after the first created with parent_id = the stage before and its base set
    to the parent's output folder in the parent's run folder. Every job awaits its own approval."""
    created, parent = [], None
    for i, stage in enumerate(pipeline.stages):
        if stage.model.base == PREVIOUS:
            stage = with_base(stage, str(stage_output(pipeline.stages[i - 1], Path(parent.run_dir))))
        job = jobs.create_job(stage.to_dict(), conversation_id=conversation_id,
                              estimate=estimate if i == 0 else None, parent_id=parent.id if parent else None)
        created.append(job)
        parent = job
    return created
