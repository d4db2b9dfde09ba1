"""How long the evaluation takes against the training it follows (issue 17's goal: at most 25 % of training).

    OMP_NUM_THREADS=1 nice .venv/bin/python tests/bench/bench_evaluation.py RUN_DIR     # RUN_DIR: a finished run
    OMP_NUM_THREADS=1 nice .venv/bin/python tests/bench/bench_evaluation.py RUN_DIR --checkpoint checkpoint-30

RUN_DIR is a run of `tunewise train CONFIG --run-dir RUN_DIR` (e.g. of the shipped example
trainer/configs/smollm2-lora-cpu.yaml): finished (adapter/ and result.json), or stopped after a checkpoint, whose
adapter is then evaluated and whose training time is extrapolated from the steps it logged (metrics.jsonl
elapsed_s at the last row × total_steps / its step: stop it right after a checkpoint on an evaluation step,
so the validation passes are counted in proportion). This reloads the tuned adapter, base model and
data splits and runs the whole evaluation again (trainer/evaluate.py: prompt search, test losses, test generation,
forgetting probe) twice, in a scratch state folder (TUNEWISE_HOME) that starts empty: first as a user's first job
on this base model and data computes it (the base model's side included: its prompt search, its test answers and
losses, its probe losses), then as a later job on the same base and rows does (that side reused from the first).
Prints one JSON object: each evaluation's parts in seconds, the run's own training seconds (result.json
`train_seconds`: trainer.train() alone, its validation passes included) and both ratios, plus the load average at
the start and end (other work on the machine moves both clocks).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from trainer.state.home import apply_offline_env  # noqa: E402

apply_offline_env()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--checkpoint", default=None, help="evaluate checkpoints/NAME instead of adapter/")
    args = parser.parse_args()
    run = args.run_dir.resolve()
    done = run / "result.json"
    result = json.loads(done.read_text()) if done.is_file() and not args.checkpoint else {}
    adapter = run / "checkpoints" / args.checkpoint if args.checkpoint else run / "adapter"
    if result:
        train_s, train_how = result["train_seconds"], "result.json train_seconds (trainer.train() alone)"
    else:
        from trainer.progress import read_jsonl

        last = read_jsonl(run / "metrics.jsonl")[-1]  # stopped just after an evaluation step: its eval is counted
        train_s = last["elapsed_s"] * last["total_steps"] / last["step"]
        train_how = (f"extrapolated: {last['elapsed_s']:.0f} s for the first {last['step']} of {last['total_steps']} "
                     "steps (metrics.jsonl)")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tunewise-bench-eval-") as scratch:
        os.environ["TUNEWISE_HOME"] = str(Path(scratch) / "home")  # empty: no cached base side, as on a first job
        from peft import PeftModel

        from trainer import evaluate, sft
        from trainer.base_models import load_model, load_tokenizer
        from trainer.config import load_config

        config = load_config(run / "config.yaml")
        tokenizer = load_tokenizer(config.model.base)
        train, val, test, _ = sft.load_splits(config, tokenizer)
        model = PeftModel.from_pretrained(load_model(config.model.base), str(adapter))
        timed = []
        for job in ("first", "later"):
            out = Path(scratch) / job
            out.mkdir()
            shutil.copy(run / "metrics.jsonl", out / "metrics.jsonl")  # the report's loss curves
            started = time.monotonic()
            report = evaluate.evaluate(out, config, tokenizer, tuned=model, base=model, train=train, test=test,
                                       validation=val, checkpoint=result.get("checkpoint"))
            timed.append((time.monotonic() - started, report))
        (seconds, report), (later_s, later) = timed
        report_md = (Path(scratch) / "first" / "eval" / "report.md").read_text()
    assert later["prompt_search"]["reused"] and later["forgetting"]["base_losses_cached"]
    assert later["comparison"] == report["comparison"]  # the same figures, without recomputing the base's side
    print(json.dumps({
        "run": str(run), "adapter": str(adapter), "evaluation_s": round(seconds, 1), "parts_s": report["timing"],
        "probe_s": (report.get("forgetting") or {}).get("seconds"), "training_s": round(train_s, 1),
        "training_s_from": train_how, "evaluation_over_training": round(seconds / train_s, 3), "goal": 0.25,
        "later_job_evaluation_s": round(later_s, 1), "later_job_parts_s": later["timing"],
        "later_job_evaluation_over_training": round(later_s / train_s, 3),
        "run_eval_seconds": result.get("eval_seconds"), "chosen_prompt": report["prompt_search"]["chosen"],
        "candidates": {c["candidate"]: c["score"] for c in report["prompt_search"]["candidates"]},
        "verdict": report["verdict"], "report_md": report_md,
        "load_average_start": [round(x, 2) for x in load_before],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
