"""What running a batch's shared start once saves in the evaluation's generation (trainer/evaluate.batch_inputs).

    OMP_NUM_THREADS=1 .venv/bin/python tests/bench/bench_shared_prefix.py [--repeats 3]

On the shipped ticket router (trainer/configs/smollm2-lora-cpu.yaml) and the bundled SmolLM2: the base model answers
the prompt search's validation rows with each best-prompt candidate (zero-shot, instruction, 1/3/5-shot), once with
the shared start (the data's system prompt, plus the derived instruction) run once per batch and copied, once with
every row run whole (left padding, the way it was before). Repeats are interleaved (on, off, on, off, ...) so that
load on a shared machine moves both alike. Prints one JSON object: per candidate the median seconds of each way,
their ratio, and whether the answers are the same; the load average at the start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from trainer import evaluate, scoring, sft
    from trainer.base_models import load_model, load_tokenizer
    from trainer.config import load_config
    from trainer.prompting import PromptBuilder

    config = load_config(ROOT / "trainer" / "configs" / "smollm2-lora-cpu.yaml")
    tokenizer = load_tokenizer(config.model.base)
    model = load_model(config.model.base)
    train, validation, _, _ = sft.load_splits(config, tokenizer)
    rows = validation[: config.eval.search_examples]
    kind, _, _ = scoring.task_kind([e.reference for e in train])
    builder = PromptBuilder(kind, train, max_shots=config.eval.few_shot)
    budget, _ = evaluate.new_token_budget(tokenizer, [e.reference for e in rows], config.eval.max_new_tokens)
    shared_min = evaluate.PREFIX_MIN
    load_start = os.getloadavg()
    results = {}
    for candidate in builder.available():
        conversations = [builder.build(candidate, e)[0] for e in rows]
        seconds = {"shared": [], "whole": []}
        answers = {}
        for _ in range(args.repeats):
            for way in ("shared", "whole"):
                evaluate.PREFIX_MIN = shared_min if way == "shared" else 10**9  # 10**9: nothing is ever shared
                started = time.monotonic()
                answers[way] = evaluate.generate(model, tokenizer, conversations, budget)
                seconds[way].append(time.monotonic() - started)
        evaluate.PREFIX_MIN = shared_min
        shared, whole = statistics.median(seconds["shared"]), statistics.median(seconds["whole"])
        results[candidate] = {"shared_s": round(shared, 2), "whole_s": round(whole, 2),
                              "whole_over_shared": round(whole / shared, 3),
                              "same_answers": answers["shared"] == answers["whole"]}
    total_shared = sum(r["shared_s"] for r in results.values())
    total_whole = sum(r["whole_s"] for r in results.values())
    print(json.dumps({"rows": len(rows), "max_new_tokens": budget, "repeats": args.repeats, "candidates": results,
                      "all_candidates": {"shared_s": round(total_shared, 2), "whole_s": round(total_whole, 2),
                                         "whole_over_shared": round(total_whole / total_shared, 3)},
                      "threads": __import__("torch").get_num_threads(),
                      "load_average_start": [round(x, 2) for x in load_start],
                      "load_average_end": [round(x, 2) for x in os.getloadavg()]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
