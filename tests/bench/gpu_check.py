"""GPU check: throughput, MFU and peak memory of LoRA, QLoRA and full fine-tuning on a CUDA machine, and loss
parity of the GPU path against the CPU on one batch (run by hand, as one script, on a machine with a GPU).

    .venv/bin/python tests/bench/gpu_check.py              # everything, ~5 minutes on one H100/H200-class GPU
    .venv/bin/python tests/bench/gpu_check.py --steps 10   # a shorter look

Models: the bundled SmolLM2-135M (converted from its GGUF on first use) and a randomly initialised Llama of about
1.2 B parameters (hidden 2048, 16 layers, GQA 32/8 heads, SmolLM2's 49,152-token vocabulary) — throughput needs no
trained weights. Batches are packed: rows of log-normal lengths flattened into one sequence per micro-batch with
position ids restarting at each row, so attention runs the variable-length path (flash-attention when installed,
else sdpa on the packed mask) and no token is padding.

The loss is tunewise's own (trainer/batching.py, as trainer/sft.py computes it): the output layer on the trained
positions only, through Liger's fused linear + cross-entropy when liger-kernel is installed (training_setup.
fused_linear_cross_entropy), else torch's linear and cross-entropy; the `loss_path` column says which ran.

Reported for each (model, method): tokens/s over the timed steps (after 3 warm-up steps), model FLOPs utilisation
(MFU) = achieved FLOP/s / the GPU's dense bf16 peak, peak allocated memory, and the loss of the last step.
FLOPs per token: 6·N for full fine-tuning; 4·N for LoRA/QLoRA (forward 2·N, backward through the frozen weights
2·N, no weight gradients for them); N counts non-embedding parameters, plus the output layer.
Loss parity: four real chat rows through the bundled model, padded in fp32 on the CPU (the CPU path) and flattened
padding-free in bf16 autocast on the GPU through the same attention implementation and loss path as the rows
above; the relative difference is printed and should be under 1 %.

On a machine without CUDA it says so and exits with status 2 (nothing is measured on the CPU here; the CPU
benchmark is tests/bench/bench_sft.py).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

import torch  # noqa: E402

# dense bf16 peak, TFLOP/s, without sparsity; matched by substring of torch.cuda.get_device_name()
PEAK_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0, "A10": 125.0,
               "RTX 4090": 165.0, "RTX 3090": 71.0, "T4": 65.0}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def peak_tflops() -> float | None:
    name = torch.cuda.get_device_name()
    return next((v for k, v in PEAK_TFLOPS.items() if k in name), None)


def random_llama_1b():
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=49152, hidden_size=2048, intermediate_size=5632, num_hidden_layers=16,
                         num_attention_heads=32, num_key_value_heads=8, max_position_embeddings=4096,
                         tie_word_embeddings=True)
    return LlamaForCausalLM(config)


def load(name: str, method: str, attn: str):
    from transformers import AutoModelForCausalLM

    from trainer.base_models import resolve

    kwargs = {"attn_implementation": attn}
    if method == "qlora":
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                           bnb_4bit_use_double_quant=True,
                                                           bnb_4bit_compute_dtype=torch.bfloat16)
    if name == "llama-1b-random":
        if method == "qlora":  # 4-bit needs weights on disk: save the random model once
            folder = Path("/tmp/tunewise-gpu-check/llama-1b-random")
            if not (folder / "config.json").is_file():
                random_llama_1b().save_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, device_map={"": 0}, **kwargs)
        else:
            model = random_llama_1b().to(device="cuda", dtype=torch.bfloat16 if method != "full" else torch.float32)
            model.config._attn_implementation = attn
    else:
        dtype = torch.float32 if method == "full" else torch.bfloat16  # full: fp32 master weights, bf16 autocast
        model = AutoModelForCausalLM.from_pretrained(resolve(name).path, dtype=dtype, device_map={"": 0}, **kwargs)
    if method == "full":
        return model
    from peft import LoraConfig, get_peft_model

    if method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    return get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=TARGETS,
                                            task_type="CAUSAL_LM"))


def packed_batch(r: random.Random, tokens: int, vocab: int) -> dict[str, torch.Tensor]:
    """One flattened micro-batch of `tokens` tokens: rows of log-normal length, position ids restarting per row."""
    ids, positions, labels = [], [], []
    while len(ids) < tokens:
        n = min(tokens - len(ids), int(min(1024, max(16, r.lognormvariate(math.log(300), 0.7)))))
        row = [r.randrange(vocab) for _ in range(n)]
        ids += row
        positions += list(range(n))
        labels += [-100] + row[1:]  # the first token of a row has no prediction from the previous row
    as_tensor = lambda x: torch.tensor([x], device="cuda")  # noqa: E731
    return {"input_ids": as_tensor(ids), "position_ids": as_tensor(positions), "labels": as_tensor(labels)}


def flops_params(model) -> int:
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    embed = base.get_input_embeddings().weight
    total = sum(p.numel() for p in base.parameters())
    quantized = getattr(base, "is_loaded_in_4bit", False)
    if quantized:  # 4-bit weights are packed two per byte: count the config's shapes instead
        c = base.config
        layer = (c.hidden_size * (c.num_attention_heads + 2 * c.num_key_value_heads) * c.hidden_size
                 // c.num_attention_heads + c.hidden_size * c.hidden_size + 3 * c.hidden_size * c.intermediate_size)
        return c.num_hidden_layers * layer + c.vocab_size * c.hidden_size
    return total - embed.numel() + base.get_output_embeddings().weight.numel()


def fused_loss():
    """Liger's fused loss exactly as a tunewise job on this GPU would pick it, or None."""
    from trainer.training_setup import Setup, fused_linear_cross_entropy

    return fused_linear_cross_entropy(Setup("cuda", torch.bfloat16))[0]


def tunewise_loss(model, batch: dict[str, torch.Tensor], fused) -> torch.Tensor:
    """Mean cross-entropy over the trained positions, by the function trainer/sft.py's compute_loss calls."""
    from trainer import batching

    loss, _, targets = batching.trained_token_loss(model, model.get_output_embeddings(), batch, fused)
    return loss / max(len(targets), 1)


def measure(name: str, method: str, attn: str, steps: int, tokens: int) -> dict:
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = load(name, method, attn)
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4 if method != "full" else 1e-5)
    r = random.Random(0)
    vocab = model.config.vocab_size
    batches = [packed_batch(r, tokens, vocab) for _ in range(steps + 3)]
    fused = fused_loss()
    times, loss = [], float("nan")
    for i, batch in enumerate(batches):
        torch.cuda.synchronize()
        started = time.perf_counter()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            step_loss = tunewise_loss(model, batch, fused)
        step_loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        if i >= 3:
            times.append(time.perf_counter() - started)
        loss = step_loss.item()
    seconds = sorted(times)[len(times) // 2]
    per_token = (6 if method == "full" else 4) * flops_params(model)
    peak = peak_tflops()
    row = {"model": name, "method": method, "attention": attn, "loss_path": "liger fused" if fused else "torch",
           "tokens_per_step": tokens,
           "tokens_per_s": tokens / seconds, "step_ms_median": seconds * 1000,
           "mfu": (per_token * tokens / seconds) / (peak * 1e12) if peak else None,
           "peak_mem_gb": torch.cuda.max_memory_allocated() / 1e9, "last_loss": loss}
    del model, optimizer
    return row


def loss_parity(attn: str) -> tuple[float, float]:
    """(CPU loss, GPU loss) of four real chat rows: padded, fp32, on the CPU; flattened padding-free, bf16 autocast,
    `attn` attention and the job's loss path on the GPU."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer import batching
    from trainer.base_models import resolve
    from trainer.datasets import Example, encode, ensure_chat_template

    path = resolve("smollm2-135m-instruct").path
    tokenizer = AutoTokenizer.from_pretrained(path)
    ensure_chat_template(tokenizer)
    pairs = [("What does kneading do to dough?", "It aligns the gluten strands, so the dough holds gas and rises."),
             ("Name a primary colour.", "Red."),
             ("Summarise: the meeting moved from Tuesday to Thursday at 3 pm.", "The meeting is now Thursday, 3 pm."),
             ("Translate 'good morning' into French.", "Bonjour.")]
    rows = batching.features([encode(tokenizer, Example(0, [{"role": "user", "content": q},
                                                            {"role": "assistant", "content": a}]), 256)
                              for q, a in pairs])
    padded = batching.Collator(tokenizer.pad_token_id)(rows)
    flat = {k: v.to("cuda") for k, v in batching.flattening_collator()(rows).items()}
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    with torch.no_grad():
        cpu_loss = tunewise_loss(model, padded, None).item()
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.bfloat16, attn_implementation=attn,
                                                     device_map={"": 0}).eval()
        with torch.autocast("cuda", dtype=torch.bfloat16):
            gpu_loss = tunewise_loss(model, flat, fused_loss()).item()
    return cpu_loss, gpu_loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="timed optimizer steps per row (after 3 warm-up)")
    parser.add_argument("--tokens", type=int, default=8192, help="tokens per packed micro-batch")
    parser.add_argument("--out", default="gpu_check.json")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU visible on this machine; nothing measured (the CPU benchmark is "
              "tests/bench/bench_sft.py)")
        sys.exit(2)
    try:
        import flash_attn  # noqa: F401
        attn = "flash_attention_2"
    except ImportError:
        attn = "sdpa"
    try:
        import bitsandbytes  # noqa: F401
        methods = ["lora", "qlora", "full"]
    except ImportError:
        methods = ["lora", "full"]
        print("bitsandbytes is not installed: QLoRA rows skipped (pip install bitsandbytes)")
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, attention {attn}, loss "
          f"{'liger fused' if fused_loss() else 'torch (liger-kernel not installed)'}, dense bf16 peak "
          f"{peak_tflops()} TFLOP/s")
    rows = []
    for name in ("smollm2-135m-instruct", "llama-1b-random"):
        for method in methods:
            try:
                row = measure(name, method, attn, args.steps, args.tokens)
            except torch.cuda.OutOfMemoryError:
                row = {"model": name, "method": method, "error": "out of memory"}
            rows.append(row)
            print(json.dumps(row), flush=True)
    cpu_loss, gpu_loss = loss_parity(attn)
    parity = {"cpu_fp32_padded_loss": cpu_loss, "gpu_bf16_padding_free_loss": gpu_loss, "relative_diff": abs(gpu_loss - cpu_loss) / cpu_loss}
    print("loss parity (bundled model, one batch): " + json.dumps(parity))
    print(f"\n{'model':24s} {'method':6s} {'tok/s':>10s} {'MFU':>6s} {'peak GB':>8s}")
    for row in rows:
        if "error" in row:
            print(f"{row['model']:24s} {row['method']:6s} {row['error']}")
            continue
        mfu = f"{row['mfu']:.1%}" if row["mfu"] is not None else "n/a"
        print(f"{row['model']:24s} {row['method']:6s} {row['tokens_per_s']:10.0f} {mfu:>6s} {row['peak_mem_gb']:8.1f}")
    Path(args.out).write_text(json.dumps({"rows": rows, "parity": parity}, indent=1))


if __name__ == "__main__":
    main()
