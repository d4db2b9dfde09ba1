"""Typed job configuration, one model per concern. Every field says its unit and what `None` means; that text
is the field's `description` in `JobConfig.model_json_schema()`. Invalid values and combinations fail at load time
with the file, line and field named.

A job config file (YAML) looks like `trainer/configs/smollm2-lora-cpu.yaml`:

    kind: sft
    model: {base: smollm2-135m-instruct, max_seq_len: 512}
    data: {train: examples.jsonl}
    lora: {method: lora, r: 16}
    training: {epochs: 3, learning_rate: 2.0e-4}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trainer.formats import confirmed_mapping
from trainer.state.errors import UserError


class ConfigError(UserError):
    """A config file or dict that does not describe a runnable job; the message names file, line and field."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModelConfig(_Section):
    base: str = Field(
        "smollm2-135m-instruct",
        description="base model: smollm2-135m-instruct (bundled, offline), a local model folder, or a hub id "
        "(hub ids need network). For pretraining from scratch: the tokenizer to reuse when pretrain.tokenizer is "
        "'reuse'.",
    )
    dtype: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="weights and compute precision; auto = bf16 on a GPU that supports it, else fp16 on "
        "GPU, fp32 on CPU",
    )
    max_seq_len: int = Field(1024, ge=16, le=131072, description="longest example in tokens; longer ones are truncated")
    gradient_checkpointing: bool = Field(False, description="recompute activations to save memory (~30% slower)")


class DataConfig(_Section):
    train: str = Field(..., description="training data file (JSONL, JSON, CSV/TSV, Parquet or text; gzip too) or, "
                       "for pretraining, a folder of text")
    format: Literal["messages", "sharegpt", "prompt_completion", "alpaca", "preference", "text", "csv"] | None = Field(
        None, description="force the record shape (or csv: read the file as CSV); None = recognise it from the file"
    )
    columns: dict[str, str] | None = Field(
        None, description="the confirmed column mapping {role: column}, e.g. {prompt: question, completion: answer}, "
        "for JSON keys, CSV headers or Parquet columns; None = the file's own names (messages, prompt/completion, "
        "instruction/input/output, ...)",
    )
    validation: str | None = Field(None, description="your own validation file; None = split it off train")
    test: str | None = Field(None, description="your own test file; None = split it off train")
    split: tuple[float, float, float] = Field(
        (0.8, 0.1, 0.1), description="train/validation/test shares used when validation and test are None"
    )
    seed: int = Field(0, description="seed of the deterministic split")
    max_examples: int | None = Field(None, ge=1, description="use at most this many training examples; None = all")
    max_file_mb: int = Field(1024, ge=1, description="size cap of one data file in MiB; bigger files are refused "
                             "before reading (data is streamed line by line below the cap)")

    @model_validator(mode="after")
    def _confirmed_mapping(self) -> "DataConfig":
        """A mapping the user confirmed in the chat for this file is written into the config, so the job keeps it."""
        if self.columns is None:
            confirmed = confirmed_mapping(self.train)
            if confirmed:  # assigning re-runs validation (validate_assignment), which then finds columns set
                self.columns = confirmed
        return self

    @model_validator(mode="after")
    def _split_sums_to_one(self) -> "DataConfig":
        if abs(sum(self.split) - 1.0) > 1e-6 or min(self.split) < 0:
            raise ValueError(f"split shares must be non-negative and sum to 1, got {list(self.split)}")
        return self


class LoraConfig(_Section):
    method: Literal["lora", "qlora", "full"] = Field(
        "lora", description="lora: train low-rank adapters; qlora: the same on a 4-bit base (CUDA only); "
        "full: train every weight",
    )
    r: int = Field(16, ge=1, le=1024, description="adapter rank (lora/qlora)")
    alpha: int = Field(32, ge=1, description="adapter scaling numerator; effective scale = alpha / r")
    # 0 by default, as in peft: on the CPU a dropout mask drawn separately in each of the ~200 adapted layers
    # costs about 29% of the forward pass (issue 19's profile, SmolLM2-135M), and the low rank already limits
    # what a small data set can overfit; raise it (0.05-0.1) when validation loss rises while training loss falls
    dropout: float = Field(0.0, ge=0.0, lt=1.0, description="dropout on the adapter input (0 = off)")
    target_modules: list[str] | None = Field(
        None, description="module names to adapt; None = chosen per architecture (attention and MLP projections)"
    )


class TrainingConfig(_Section):
    epochs: float = Field(3.0, gt=0, description="passes over the training split (ignored when max_steps is set)")
    max_steps: int | None = Field(None, ge=1, description="optimizer steps to run; None = derived from epochs")
    learning_rate: float = Field(2e-4, gt=0, lt=1, description="peak learning rate (LoRA ~1e-4..3e-4; full 1e-5..5e-5)")
    batch_size: int = Field(4, ge=1, description="examples per device per forward pass")
    grad_accum: int = Field(1, ge=1, description="forward passes per optimizer step; global batch = batch_size × "
                            "grad_accum × processes")
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="share of steps spent warming the learning rate up")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    lr_scheduler: Literal["cosine", "linear", "constant"] = Field("cosine", description="learning-rate schedule after warmup")
    batching: Literal["auto", "group_by_length", "padding_free", "packing", "pad_to_longest"] = Field(
        "auto", description="how examples are batched: group_by_length sorts similar lengths together to waste "
        "little padding; padding_free flattens each batch into one sequence whose rows attend only to themselves "
        "(no padding at all); packing concatenates examples into full blocks (fewer rows and steps); "
        "pad_to_longest pads each random batch; auto = padding_free on a CUDA GPU, group_by_length on the CPU "
        "(trainer/batching.py has the measurements)",
    )
    micro_batch_tokens: int | None = Field(
        None, ge=1, description="sft only: most tokens one forward pass holds (rows × its longest row); a batch "
        "above it runs as several passes whose gradients add up to the same optimizer step, so peak memory follows "
        "this and not the batch's longest rows; None = 512 on the CPU (fastest there, tests/bench/bench_sft.py), "
        "no limit on a GPU",
    )
    eval_every: int | None = Field(None, ge=1, description="evaluate on the validation split every N steps; None = each epoch")
    save_every: int | None = Field(None, ge=1, description="checkpoint every N steps; None = each epoch")
    logging_every: int = Field(1, ge=1, description="write metrics every N steps")
    early_stopping_patience: int | None = Field(
        None, ge=1, description="stop after this many evaluations without a lower validation loss; None = never"
    )
    merge_adapter: bool = Field(False, description="also export a merged full model after LoRA training")
    seed: int = Field(42, description="seed for weights init, dropout and data order")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="auto = cuda when available, else cpu")


class EvalConfig(_Section):
    enabled: bool = Field(True, description="run the evaluation against the base model at the end of the job")
    max_examples: int | None = Field(50, ge=1, description="test examples to generate for; None = the whole test split")
    max_new_tokens: int = Field(128, ge=1, description="generation length limit in tokens")
    search_examples: int | None = Field(
        32, ge=1, description="validation rows each best-prompt candidate is generated for (the search costs "
        "candidates × rows generations); None = the whole validation split",
    )
    few_shot: int = Field(5, ge=0, description="most training examples in a k-shot candidate of the base model's "
                          "prompt search (k = 1, 3, 5 up to this); 0 = zero-shot candidates only")
    forgetting_probe: bool = Field(True, description="run the forgetting probe (trainer/forgetting.py: 252 general "
                                   "items, base vs tuned, per domain)")


class PretrainConfig(_Section):
    """Continued pretraining and pretraining from scratch (kinds continued_pretraining and pretraining)."""

    tokenizer: Literal["train", "reuse"] = Field(
        "train", description="pretraining only; train: a new byte-level BPE tokenizer on the corpus; reuse: "
        "model.base's tokenizer"
    )
    vocab_size: int = Field(8000, ge=258, le=262144, description="tokens in a newly trained vocabulary (256 bytes + 2 "
                            "special tokens at least); the corpus must hold enough repeated pairs to fill it")
    block_size: int = Field(256, ge=16, description="tokens per packed training block (the context length trained)")
    tokens_per_parameter: float = Field(20.0, gt=0, description="compute-optimal data/parameter ratio used to size "
                                        "the model (Chinchilla ≈ 20)")
    compute_budget_flops: float | None = Field(
        None, gt=0, description="total training FLOPs to spend (≈ 6·N·D): sizes the model (N = sqrt(C/(6·ratio))) and "
        "the tokens trained (D = C/6N, repeating the corpus if needed); None = size the model from the corpus "
        "(N = tokens/ratio) and train training.epochs passes"
    )
    hidden_size: int | None = Field(None, ge=16, description="override the derived width; None = derived")
    layers: int | None = Field(None, ge=1, description="override the derived depth; None = derived")
    skip_unreadable_files: bool = Field(
        False, description="leave binary or non-UTF-8 files in a corpus folder out with a warning; False = stop "
        "with an error that names them"
    )
    eval_blocks: int | None = Field(64, ge=1, description="held-out blocks used to measure perplexity (and the "
                                    "forgetting probe); None = all of them")
    samples: int = Field(3, ge=0, description="pretraining only: sample generations in the evaluation report, each "
                         "continuing the start of a held-out block")
    sample_tokens: int = Field(48, ge=1, description="pretraining only: new tokens per sample generation")


class DpoConfig(_Section):
    beta: float = Field(0.1, gt=0, le=10, description="kind: dpo only; how far the tuned model may move from the "
                        "reference: the reward margin is β × the log-probability-ratio difference (0.1 is the DPO "
                        "paper's common value; lower lets it move further)")


class LaunchConfig(_Section):
    nproc_per_node: int = Field(1, ge=1, description="training processes on each machine (torchrun); 1 = no torchrun")
    nnodes: int = Field(1, ge=1, description="machines taking part; >1 needs master_addr reachable from all of them")
    node_rank: int = Field(0, ge=0, description="this machine's rank among nnodes")
    master_addr: str = Field("127.0.0.1", description="address of node 0 for the c10d rendezvous")
    master_port: int = Field(29500, ge=1, le=65535, description="port of node 0 for the rendezvous")


class JobConfig(_Section):
    kind: Literal["sft", "dpo", "continued_pretraining", "pretraining"] = Field(
        ..., description="sft: supervised fine-tuning; dpo: preference tuning on chosen/rejected pairs (with "
        "lora.method lora or full); continued_pretraining: next-token training on domain text; "
        "pretraining: a new model from random weights",
    )
    name: str | None = Field(None, description="a label for the run; None = derived from kind and base model")
    model: ModelConfig = Field(default_factory=ModelConfig)
    data: DataConfig
    lora: LoraConfig = Field(default_factory=LoraConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    pretrain: PretrainConfig = Field(default_factory=PretrainConfig)
    dpo: DpoConfig = Field(default_factory=DpoConfig)
    launch: LaunchConfig = Field(default_factory=LaunchConfig)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


def _line_of(text: str, loc: tuple) -> int | None:
    """The 1-based line where the YAML key at `loc` (a pydantic error location) is written, when it is."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for k, v in node.value:
            if k.value == str(key):
                line, node = k.start_mark.line + 1, v
                break
        else:
            break
    return line


def _describe(exc: ValidationError, source: str, text: str | None) -> str:
    parts = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(text, loc) if text is not None else None
        where = f"{source}, line {line}" if line else source
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see trainer/configs/ for examples)"
        parts.append(f"{where}: {field}: {message}")
    return "; ".join(parts)


def combination_errors(config: JobConfig) -> list[tuple[str, str, str]]:
    """(field, code, message) for each combination of values that no machine can run as written: each is a setting
    a recipe would refuse or silently ignore. What depends on the machine (QLoRA without CUDA, bf16 on a CPU without
    it) is trainer/training_setup.py's `resolve`; both run before a job can be approved."""
    kind, method, t = config.kind, config.lora.method, config.training
    errors = []
    if method == "qlora" and kind in ("continued_pretraining", "pretraining"):
        errors.append(("lora.method", "unsupported_method", f"kind {kind} trains lora.method lora or full, not qlora "
                       "(a 4-bit base is for supervised fine-tuning); use lora"))
    if method == "full" and config.model.dtype == "fp16" and kind in ("sft", "dpo"):
        # sft and dpo load the weights in the compute dtype on a GPU; fp16 weights overflow in the optimizer step
        errors.append(("model.dtype", "full_fp16", "full fine-tuning in fp16 weights is unstable; use bf16, fp32 or "
                       "auto (model.dtype)"))
    if t.merge_adapter and (method == "full" or kind in ("dpo", "pretraining")):
        why = {"dpo": "the DPO recipe writes its adapter only", "pretraining": "pretraining has no adapter"}.get(
            kind, "full fine-tuning already writes the whole model to model/")
        errors.append(("training.merge_adapter", "merge_without_adapter",
                       f"training.merge_adapter only applies to LoRA/QLoRA in kinds sft and continued_pretraining; {why}"))
    if t.early_stopping_patience and kind in ("sft", "dpo") and t.eval_every != t.save_every:
        errors.append(("training.early_stopping_patience", "early_stopping_steps",
                       "training.early_stopping_patience needs training.save_every equal to training.eval_every (the "
                       "best checkpoint is kept at evaluation steps)"))
    if config.data.format == "text" and kind in ("sft", "dpo"):
        errors.append(("data.format", "text_data_for_sft", f"data.format text is plain text, and kind {kind} trains on "
                       "prompts and answers; for next-token training on domain text use kind: continued_pretraining"))
    held_out = {"continued_pretraining": ("test",), "pretraining": ("validation", "test")}.get(kind, ())
    for name in held_out:
        if getattr(config.data, name):
            errors.append((f"data.{name}", "unused_file", f"kind {kind} does not read data.{name} (it holds out a "
                           "seeded share 1 - data.split[0] of the blocks" + (", or data.validation" if kind ==
                           "continued_pretraining" else "") + "); remove data." + name))
    if t.micro_batch_tokens is not None and kind != "sft":
        errors.append(("training.micro_batch_tokens", "micro_batch_unsupported", f"training.micro_batch_tokens applies "
                       f"to kind sft only; kind {kind} holds training.batch_size rows per pass (lower it for less "
                       "memory)"))
    if t.batching in ("packing", "padding_free") and kind == "dpo":
        errors.append(("training.batching", "packing_unsupported", f"training.batching {t.batching} cannot flatten "
                       "preference pairs (each pair is scored as two whole sequences); use auto, group_by_length or "
                       "pad_to_longest"))
    return errors


def hardware_fields(config: JobConfig) -> list[str]:
    """The fields that ask for particular hardware: an explicit CUDA device or precision, or QLoRA. Only these can
    ask for what a machine lacks (trainer/training_setup.py checks them); device and dtype `auto` run everywhere."""
    asked = {"training.device": config.training.device == "cuda", "model.dtype": config.model.dtype in ("bf16", "fp16"),
             "lora.method": config.lora.method == "qlora"}
    return [name for name, yes in asked.items() if yes]


def parse_config(data: dict[str, Any], source: str = "config", text: str | None = None) -> JobConfig:
    """Validate a config dict; raise ConfigError naming every bad field or combination (and its line when `text` is
    given); a single bad combination also sets the error's code and param."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a job config must be a mapping with at least `kind` and `data.train`")
    try:
        config = JobConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, text)) from None
    errors = combination_errors(config)
    if errors:
        parts = []
        for field, _, message in errors:
            line = _line_of(text, tuple(field.split("."))) if text is not None else None
            parts.append(f"{source}, line {line}: {field}: {message}" if line else f"{source}: {field}: {message}")
        if len(errors) == 1:
            raise ConfigError(parts[0], code=errors[0][1], param=errors[0][0])
        raise ConfigError("; ".join(parts))
    return config


def load_config(path: str | Path) -> JobConfig:
    """Read a YAML job config; relative data paths are resolved against the config file's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text; a job config is a YAML file") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    config = parse_config(data, str(path), text)
    for field in ("train", "validation", "test"):
        value = getattr(config.data, field)
        if value and not Path(value).expanduser().is_absolute():
            setattr(config.data, field, str((path.parent / value).resolve()))
    return config
