"""Throughput of a training run, added to the Trainer's logs at every logging step (so the job callbacks write it
with the metrics) and summarised in result.json.

- tokens/s: non-padding tokens of all processes (the Trainer's own gathered counter) per second of wall time;
- MFU (model FLOPs utilisation, GPUs only): F · tokens/s / (processes × the GPU's dense bf16 peak), the share
  of the hardware's arithmetic the training actually used, with F the FLOPs per token: 6·N when every weight
  trains, ≈ 4·N with LoRA (frozen weights need no weight gradients: forward 2·N + input gradients 2·N) (trainer/sizing.py lists the peaks it knows; unknown
  GPUs and CPUs get no MFU rather than an invented one).
"""

from __future__ import annotations

import time

from transformers import TrainerCallback

from trainer import sizing


class ThroughputCallback(TrainerCallback):
    """Adds `tokens_per_s` (non-padding tokens of all processes since the last log) and, on a GPU whose peak is
    known, `mfu` to the Trainer's logs; placed before the job callbacks so they see both. Keeps the run's
    overall figures in `summary`."""

    def __init__(self, flops_per_token: float):
        self.flops_per_token = flops_per_token
        self.peak = sizing.gpu_peak_flops()
        self.summary: dict = {}

    def on_train_begin(self, args, state, control, **kwargs):
        self.t0 = self.last_t = time.monotonic()
        self.tokens0 = self.last_tokens = state.num_input_tokens_seen or 0

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs is None or "loss" not in logs:
            return
        now, tokens = time.monotonic(), state.num_input_tokens_seen or 0
        if now > self.last_t and tokens > self.last_tokens:
            rate = (tokens - self.last_tokens) / (now - self.last_t)
            logs["tokens_per_s"] = round(rate, 1)
            if self.peak:
                logs["mfu"] = round(self.flops_per_token * rate / (self.peak * max(1, args.world_size)), 4)
        self.last_t, self.last_tokens = now, tokens

    def on_train_end(self, args, state, control, **kwargs):
        seconds = time.monotonic() - self.t0
        tokens = (state.num_input_tokens_seen or 0) - self.tokens0
        rate = tokens / seconds if seconds > 0 else None
        self.summary = {"train_seconds": round(seconds, 2), "tokens_seen": tokens,
                        "tokens_per_s": round(rate, 1) if rate else None, "processes": args.world_size,
                        "mfu": round(self.flops_per_token * rate / (self.peak * args.world_size), 4)
                        if (rate and self.peak) else None}
