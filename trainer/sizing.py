"""Compute-optimal sizing of a new Llama-style model from the user's tokens and compute budget.

The arithmetic (Hoffmann et al. 2022, "Chinchilla"; Kaplan et al. 2020 for the FLOP count):
- training FLOPs C ≈ 6 · N · D  (N parameters, D training tokens: 2 for the forward pass, 4 for the backward)
- compute-optimal data ≈ r · N with r ≈ 20 tokens per parameter.
So with a budget C: N = sqrt(C / (6 r)) and D = C / (6 N); without one, the corpus's D tokens size the model:
N = D / r, trained for `training.epochs` passes (C = 6 · N · D · epochs).

N counts every parameter of the tied-embedding model (the embedding doubles as the output layer, so its matmul is
real compute in every token's forward and backward pass). A shape (width d, depth L) is picked from a fixed grid as
the one whose exact parameter count is nearest N, keeping d/L near 64 (Llama-7B: 4096/32 = 128; SmolLM2-135M:
576/30 ≈ 19). The smallest shape (d = 64, 2 layers) is the sane minimum: a budget that buys less is an error.

The time estimate is never invented: `measure_flops_per_s` times real training steps of the sized model on this
machine and the total is FLOPs / measured FLOP/s.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

from trainer.state.errors import UserError

WIDTHS = (64, 96, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640, 768, 896, 1024, 1280, 1536, 1792, 2048,
          2560, 3072, 4096, 5120, 6144, 8192)
MIN_LAYERS, MAX_LAYERS = 2, 96
ASPECT = 64.0  # preferred width / depth
REPEAT_WARNING_EPOCHS = 4  # Muennighoff et al. 2023: returns fall fast beyond ~4 passes over the same data

# Dense bf16 peak FLOP/s used as the MFU denominator (vendor datasheets, no sparsity).
GPU_PEAK_BF16 = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "L4": 121e12, "A10": 125e12}


class SizingError(UserError):
    """The compute budget or corpus cannot size a model worth training."""

    code, param = "model_too_small", "pretrain.compute_budget_flops"


@dataclass(frozen=True)
class Shape:
    hidden_size: int
    layers: int
    heads: int
    intermediate_size: int
    vocab_size: int

    @property
    def parameters(self) -> int:
        return count_parameters(self.hidden_size, self.layers, self.intermediate_size, self.vocab_size)


@dataclass
class Plan:
    """The sized model and the arithmetic behind it; `lines()` is what the recipe prints before any step."""

    corpus_tokens: int
    tokens_per_parameter: float
    budget_flops: float | None
    target_parameters: float
    shape: Shape
    train_tokens: int
    flops: float
    epochs: float
    notes: list[str] = field(default_factory=list)

    @property
    def parameters(self) -> int:
        return self.shape.parameters

    def lines(self, flops_per_s: float | None = None, where: str = "this machine") -> list[str]:
        s, n = self.shape, self.parameters
        out = []
        if self.budget_flops is None:
            out.append(f"{_si(self.corpus_tokens)} tokens → {_si(self.target_parameters)} parameters at "
                       f"{self.tokens_per_parameter:g} tokens/parameter")
        else:
            out.append(f"budget {self.budget_flops:.2g} FLOPs → N = sqrt(C / (6 × {self.tokens_per_parameter:g})) = "
                       f"{_si(self.target_parameters)} parameters, D = C / 6N = {_si(self.train_tokens)} tokens "
                       f"({self.epochs:.2f} passes over the {_si(self.corpus_tokens)}-token corpus)")
        out.append(f"shape: d={s.hidden_size}, {s.layers} layers, {s.heads} heads, MLP {s.intermediate_size}, "
                   f"vocabulary {s.vocab_size:,} → {_si(n)} parameters ({n:,}; embedding {_si(s.vocab_size * s.hidden_size)})")
        line = (f"{_si(self.train_tokens)} training tokens × {_si(n)} parameters × 6 = {self.flops:.2g} FLOPs "
                f"({self.train_tokens / n:.1f} tokens/parameter)")
        if flops_per_s:
            line += f"; ~{format_duration(self.flops / flops_per_s)} on {where} (measured {flops_per_s:.2g} FLOP/s)"
        out.append(line)
        return out + self.notes

    def to_dict(self) -> dict:
        d = asdict(self)
        d["parameters"] = self.parameters
        return d


def _si(x: float) -> str:
    for div, unit in ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.3g}"


def format_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def mlp_width(hidden: int) -> int:
    """Llama's SwiGLU width, 8/3 · d, rounded up to a multiple of 32."""
    return 32 * math.ceil(8 * hidden / 3 / 32)


def head_count(hidden: int) -> int:
    return hidden // (32 if hidden < 256 else 64)


def count_parameters(hidden: int, layers: int, intermediate: int, vocab: int) -> int:
    """Exact parameters of a tied-embedding, bias-free Llama with full multi-head attention:
    embedding V·d + per layer (4·d² attention + 3·d·ff SwiGLU + 2·d norms) + d final norm."""
    return vocab * hidden + layers * (4 * hidden * hidden + 3 * hidden * intermediate + 2 * hidden) + hidden


def shape_for(target: float, vocab: int, hidden: int | None = None, layers: int | None = None) -> Shape:
    """The grid shape whose parameter count is nearest `target` (log distance), d/L near 64; `hidden` / `layers`
    pin one or both."""
    best, best_score = None, math.inf
    for d in (hidden,) if hidden else WIDTHS:
        for L in (layers,) if layers else range(MIN_LAYERS, MAX_LAYERS + 1):
            if not (hidden or layers) and not (16 <= d / L <= 128):
                continue
            n = count_parameters(d, L, mlp_width(d), vocab)
            score = abs(math.log(n / target)) + 0.1 * abs(math.log(d / L / ASPECT))
            if score < best_score:
                best, best_score = (d, L), score
    d, L = best
    return Shape(d, L, max(1, head_count(d)), mlp_width(d), vocab)


def smallest_shape(vocab: int) -> Shape:
    return Shape(WIDTHS[0], MIN_LAYERS, head_count(WIDTHS[0]), mlp_width(WIDTHS[0]), vocab)


def plan(
    corpus_tokens: int,
    vocab_size: int,
    tokens_per_parameter: float = 20.0,
    budget_flops: float | None = None,
    epochs: float = 1.0,
    hidden_size: int | None = None,
    layers: int | None = None,
) -> Plan:
    """Size the model. Raises SizingError when a budget buys less than the smallest sane model."""
    r = tokens_per_parameter
    minimum = smallest_shape(vocab_size)
    notes = []
    if budget_flops is not None:
        target = math.sqrt(budget_flops / (6 * r))
        if target < minimum.parameters and not (hidden_size or layers):
            need = 6 * r * minimum.parameters ** 2
            raise SizingError(
                f"a budget of {budget_flops:.2g} FLOPs buys a compute-optimal model of {_si(target)} parameters, "
                f"under the smallest sensible model ({_si(minimum.parameters)}: d=64, 2 layers, vocabulary "
                f"{vocab_size:,}). Raise pretrain.compute_budget_flops to at least {need:.2g}, lower "
                f"pretrain.vocab_size (the embedding is most of a tiny model), or set pretrain.hidden_size and "
                f"pretrain.layers to choose the size yourself.")
    else:
        target = corpus_tokens / r
    shape = shape_for(target, vocab_size, hidden_size, layers)
    if hidden_size or layers:
        notes.append(f"shape set by pretrain.hidden_size/layers ({hidden_size or 'derived'} / {layers or 'derived'}),"
                     f" not by the compute-optimal target of {_si(target)} parameters")
    elif target < minimum.parameters:
        shape = minimum
        notes.append(
            f"note: {_si(corpus_tokens)} tokens support only {_si(target)} parameters at {r:g} tokens/parameter; "
            f"using the smallest sensible model ({_si(minimum.parameters)}), which will over-fit. A compute-optimal "
            f"model of this size wants {_si(r * minimum.parameters)} tokens.")
    n = shape.parameters
    if budget_flops is not None:
        train_tokens = int(budget_flops / (6 * n))
        epochs = train_tokens / corpus_tokens
    else:
        train_tokens = int(corpus_tokens * epochs)
    if epochs > REPEAT_WARNING_EPOCHS:
        notes.append(f"note: {epochs:.1f} passes over the same text; beyond ~{REPEAT_WARNING_EPOCHS} repeated data is "
                     "worth much less than new data (Muennighoff et al. 2023) — add text if you can")
    return Plan(corpus_tokens, r, budget_flops, target, shape, train_tokens, 6.0 * n * train_tokens, epochs, notes)


def llama_config(shape: Shape, max_positions: int, bos: int | None, eos: int, pad: int | None):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=shape.vocab_size,
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=bos,
        eos_token_id=eos,
        pad_token_id=pad,
    )


def measure_flops_per_s(model, batch_size: int, block_size: int, steps: int = 2) -> float:
    """Achieved training FLOP/s of `model` on its device: time `steps` forward+backward passes (after one warm-up)
    on random tokens and divide 6·N·tokens by the time. Gradients are cleared; weights are not changed."""
    import torch

    device = next(model.parameters()).device
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (batch_size, block_size), generator=gen).to(device)
    n = sum(p.numel() for p in model.parameters())
    was_training = model.training
    model.train()
    elapsed = 0.0
    # on a GPU the Trainer computes in bf16 (or fp16) autocast: measure the same arithmetic
    half = torch.bfloat16 if device.type == "cuda" and torch.cuda.is_bf16_supported() else torch.float16
    for i in range(steps + 1):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        with torch.autocast(device.type, dtype=half, enabled=device.type == "cuda"):
            out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i:  # the first pass warms up kernels and allocators
            elapsed += time.perf_counter() - t0
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return 6.0 * n * batch_size * block_size * steps / elapsed


def gpu_peak_flops() -> float | None:
    """Dense bf16 peak of the first CUDA device, from GPU_PEAK_BF16; None on the CPU or an unknown GPU."""
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    for key, peak in GPU_PEAK_BF16.items():
        if key in name:
            return peak
    return None
