"""CPU training speed: whether bf16 compute pays on this processor, and how many torch threads to use.

bf16 autocast halves the bytes every matrix multiply moves, but it only runs faster where the processor has bf16
matrix instructions (Intel AMX, AVX512-BF16 on recent Xeon and EPYC parts, Arm's BF16 extension). Elsewhere the
CPU converts to fp32 and back around each kernel and bf16 is slower than fp32, so `auto` picks bf16 only where those
instructions are present. Weights stay fp32 either way (the Trainer's CPU autocast), so the adapters and optimizer
state keep full precision; `loss_parity` measures what bf16 changes on one batch.

The thread count is measured, not assumed: on a shared or hyper-threaded machine fewer threads than logical cores is
often faster, and a matrix multiply of a training step's shape takes a few milliseconds to time.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch

# /proc/cpuinfo flags (x86) and Features (Arm) that mean bf16 matrix instructions exist
BF16_FLAGS = {"amx_bf16", "avx512_bf16", "bf16"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The processor's feature flags; empty where /proc/cpuinfo does not exist (macOS, Windows)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    flags: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return flags


def fast_bf16(flags: set[str] | None = None) -> bool:
    """True when this CPU has bf16 matrix instructions, so bf16 autocast is faster than fp32."""
    return bool((cpu_flags() if flags is None else flags) & BF16_FLAGS)


def choose_threads(candidates: list[int] | None = None, size: int = 384, repeats: int = 3) -> tuple[int, dict[int, float]]:
    """The torch thread count whose (size × size) fp32 matmul is fastest here, and each candidate's median ms.

    Candidates default to 1, half the usable cores and all of them. The whole measurement takes well under a second.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    candidates = sorted({max(1, c) for c in (candidates or [1, cores // 2, cores])})
    before = torch.get_num_threads()
    a, b = torch.randn(size, size), torch.randn(size, size)
    timings: dict[int, float] = {}
    try:
        for n in candidates:
            torch.set_num_threads(n)
            a @ b  # warm the kernels for this thread count
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                for _ in range(4):
                    a @ b
                runs.append((time.perf_counter() - started) * 1000 / 4)
            timings[n] = sorted(runs)[len(runs) // 2]
    finally:
        torch.set_num_threads(before)
    return min(timings, key=timings.get), timings


def loss_parity(model, batch: dict[str, torch.Tensor]) -> tuple[float, float]:
    """(fp32 loss, bf16-autocast loss) of one batch on the CPU, without gradients: how far bf16 moves the loss."""
    model.eval()
    with torch.no_grad():
        full = model(**batch).loss.item()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = model(**batch).loss.item()
    return full, half


def threads_for_run(run_dir: Path) -> tuple[int, str]:
    """The torch thread count for a CPU run in `run_dir`, and a note on how it was chosen.

    Kept in run_dir/cpu_threads.json: a resumed run uses the same count as its first start, because a different
    count changes the order of floating-point sums and resume is bit-exact on the CPU.
    """
    saved = Path(run_dir) / "cpu_threads.json"
    if saved.is_file():
        chosen = json.loads(saved.read_text())
        n = chosen["threads"]
        return n, f"{n} torch threads ({chosen['why'] if chosen.get('adopted') else 'as when this run started'})"
    if os.environ.get("OMP_NUM_THREADS"):
        n, why = torch.get_num_threads(), "OMP_NUM_THREADS"
    elif int(os.environ.get("LOCAL_WORLD_SIZE", "1")) > 1:  # torchrun: the cores are shared by the local processes
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        n = max(1, cores // int(os.environ["LOCAL_WORLD_SIZE"]))
        why = f"{cores} cores / {os.environ['LOCAL_WORLD_SIZE']} local processes"
    else:
        n, timings = choose_threads()
        why = "fastest matmul of " + ", ".join(f"{k}: {v:.2f} ms" for k, v in timings.items())
    _write_atomically(saved, {"threads": n, "why": why})
    return n, f"{n} torch threads ({why})"


def _write_atomically(path: Path, value: dict) -> None:
    """Under torchrun every local process chooses its count for the same run folder: each writes its own temporary
    file and renames it into place, so none ever reads a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)  # a rank may get here before rank 0 made the run folder
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value))
    os.replace(tmp, path)


def adopt_threads(run_dir: Path, threads: int, why: str) -> None:
    """Make a run in `run_dir` use `threads` (e.g. what the pre-flight probe measured for this job, so the steps
    the card estimated and the steps that run use the same count); a count the run already chose is kept."""
    saved = Path(run_dir) / "cpu_threads.json"
    if not saved.is_file():
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"threads": int(threads), "why": why, "adopted": True}))
