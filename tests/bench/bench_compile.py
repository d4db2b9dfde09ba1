"""Does `torch.compile` make a LoRA training step faster on this CPU? (run by hand, not in CI)

    OMP_NUM_THREADS=1 .venv/bin/python tests/bench/bench_compile.py            # bundled SmolLM2-135M
    OMP_NUM_THREADS=1 .venv/bin/python tests/bench/bench_compile.py --rounds 3  # a quicker look

One model, LoRA r 16 / alpha 32 on the seven projections (the shipped recipe's adapter), AdamW, one fixed batch of
8 rows × 128 tokens (the shipped example's rows are 60–225 tokens). Two copies of the same adapted model: eager, and
the same module under `torch.compile` (inductor, the default mode). Each round runs `--steps` optimizer steps on
each, alternating, so a drift of a shared machine hits both; the first compiled steps (the compilation itself) are
timed apart and not counted. Prints median seconds per step, the ratio eager / compiled, the compile time, and the
loss of both after the same steps (they should agree closely: compilation must not change what is learned).

Shapes vary from batch to batch in a real run (length-grouped batches); a compiled model recompiles per new shape
unless marked dynamic, so the compile cost here is a lower bound of what a run would pay.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def adapted(path: str):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules=TARGETS,
                                             task_type="CAUSAL_LM"))
    model.train()
    return model


def main() -> int:
    import torch

    from trainer.base_models import resolve

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps per variant per round")
    args = parser.parse_args()
    path = resolve("smollm2-135m-instruct").path
    batch = torch.randint(100, 20_000, (8, 128), generator=torch.Generator().manual_seed(1))
    eager, compiled_base = adapted(path), adapted(path)
    compiled = torch.compile(compiled_base)
    opt_e = torch.optim.AdamW([p for p in eager.parameters() if p.requires_grad], lr=1e-4)
    opt_c = torch.optim.AdamW([p for p in compiled_base.parameters() if p.requires_grad], lr=1e-4)

    def step(model, opt) -> float:
        start = time.perf_counter()
        loss = model(input_ids=batch, labels=batch).loss  # random ids: a throughput check, not a learning one
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start, float(loss.detach())

    start = time.perf_counter()
    step(compiled, opt_c)  # compiles forward and backward
    compile_s = time.perf_counter() - start
    step(eager, opt_e)  # the same first update on the eager copy, so both have taken the same steps
    times = {"eager": [], "compiled": []}
    losses = {}
    for _ in range(args.rounds):
        for name, model, opt in (("eager", eager, opt_e), ("compiled", compiled, opt_c)):
            for _ in range(args.steps):
                seconds, losses[name] = step(model, opt)
                times[name].append(seconds)
    e, c = statistics.median(times["eager"]), statistics.median(times["compiled"])
    print(f"threads {torch.get_num_threads()}, batch 8 × 128 tokens, {len(times['eager'])} steps each")
    print(f"eager     {e:.3f} s/step")
    print(f"compiled  {c:.3f} s/step  (compilation: {compile_s:.0f} s, not counted)")
    print(f"eager / compiled = {e / c:.2f}×; loss after the same steps: eager {losses['eager']:.4f}, "
          f"compiled {losses['compiled']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
