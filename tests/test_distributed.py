"""Training past one process: the torchrun and SLURM commands, 2 processes against 1 with the same global batch, and
2 "nodes" on loopback (two concurrent torchrun launches, c10d rendezvous on 127.0.0.1) writing one model. All on the
CPU with gloo; every launched process group is killed in teardown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_corpus import one_torch_thread, write_domain_corpus  # noqa: F401 (fixture)
from trainer import distributed, launch
from trainer.config import load_config
from trainer.recipes import run_recipe
from ui.cli import main as cli_main

REPO = Path(__file__).resolve().parents[1]
LAUNCH_TIMEOUT_S = 240  # a torchrun launch here: ~10 s of imports per process on 2 shared cores, then seconds of steps


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path: Path, corpus: Path, batch_size: int, steps: int = 8) -> Path:
    """A from-scratch pretraining job small enough to run in seconds (0.1 M parameters, 300-token BPE)."""
    path.write_text(yaml.safe_dump({
        "kind": "pretraining",
        "data": {"train": str(corpus)},
        "pretrain": {"vocab_size": 300, "block_size": 32, "eval_blocks": 4, "samples": 1, "sample_tokens": 4},
        "training": {"max_steps": steps, "learning_rate": 5e-3, "batch_size": batch_size, "warmup_ratio": 0.1,
                     "logging_every": 1, "save_every": 1000},
        "eval": {"forgetting_probe": False},
        # fp32: the loss-trajectory comparison is about DDP, and on a CPU with bf16 matrix instructions `auto` is
        # bf16 autocast, whose rounding drifts the two trajectories apart by ~2e-4 over 8 steps (measured on an
        # AVX512-BF16 machine) where fp32 keeps them within 1e-6
        "model": {"dtype": "fp32"},
    }))
    return path


class Launches:
    """Starts `tunewise train` commands in their own process groups and kills whatever is left at teardown."""

    def __init__(self, home: Path):
        self.procs: list[subprocess.Popen] = []
        self.env = os.environ | {"TUNEWISE_HOME": str(home), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}

    def start(self, *args: str, log: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "train", *args], cwd=REPO, env=self.env,
                                stdout=open(log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def wait(self, proc: subprocess.Popen, log: Path) -> None:
        try:
            rc = proc.wait(timeout=LAUNCH_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"launch timed out after {LAUNCH_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
        assert rc == 0, log.read_text()[-3000:]

    def kill_all(self) -> None:
        """SIGKILL each launch's process group (the CLI and torchrun) and every descendant by pid: torchrun starts
        its ranks in sessions of their own, so the group alone would leave them running."""
        import psutil

        for proc in self.procs:
            try:
                descendants = psutil.Process(proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                descendants = []
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for child in descendants:
                try:
                    child.kill()
                except psutil.NoSuchProcess:
                    pass
            proc.wait()


@pytest.fixture
def launches(tunewise_home):
    group = Launches(tunewise_home)
    yield group
    group.kill_all()


def losses(run_dir: Path) -> list[float]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r.get("loss") is not None]


# ---------------------------------------------------------------------------------------------- commands


def test_one_machine_uses_a_standalone_torchrun_that_starts_the_rank_entry_point(tmp_path):
    argv = distributed.torchrun_argv(tmp_path / "c.yaml", tmp_path / "run", nproc=4)
    assert argv[1:3] == ["-m", "torch.distributed.run"]
    assert "--standalone" in argv and argv[argv.index("--nproc_per_node") + 1] == "4"
    assert argv[-6:] == ["-m", "trainer.launch", "--config", str(tmp_path / "c.yaml"), "--run-dir",
                         str(tmp_path / "run")]


def test_several_machines_meet_at_a_c10d_rendezvous_on_the_master(tmp_path):
    argv = distributed.torchrun_argv(tmp_path / "c.yaml", tmp_path / "run", nproc=8, nnodes=2, node_rank=1,
                                     master_addr="10.0.0.1", master_port=29400, rdzv_id="abc")
    joined = " ".join(argv)
    assert "--nnodes 2" in joined and "--rdzv_backend c10d" in joined
    assert "--rdzv_endpoint 10.0.0.1:29400" in joined and "--rdzv_id abc" in joined
    assert "--standalone" not in argv


def test_every_node_derives_the_same_run_id_from_the_config_and_the_master():
    a = distributed.rendezvous_id("kind: pretraining", "10.0.0.1", 29500)
    assert a == distributed.rendezvous_id("kind: pretraining", "10.0.0.1", 29500)
    assert a != distributed.rendezvous_id("kind: pretraining", "10.0.0.1", 29501)


def test_a_node_rank_outside_the_node_count_is_refused(tmp_path, capsys):
    config = write_config(tmp_path / "c.yaml", write_domain_corpus(tmp_path / "corpus", files=1), 4)
    assert cli_main(["train", str(config), "--nnodes", "2", "--node-rank", "2"]) == 1
    assert "--node-rank must be between 0 and 1" in capsys.readouterr().err


def test_emit_slurm_writes_a_ready_sbatch_script_with_srun_torchrun(tmp_path):
    config = write_config(tmp_path / "c.yaml", write_domain_corpus(tmp_path / "corpus", files=1), 4)
    script = tmp_path / "job.sbatch"
    assert cli_main(["train", str(config), "--nnodes", "4", "--nproc", "8", "--emit-slurm", str(script)]) == 0
    text = script.read_text()
    assert text.startswith("#!/bin/bash") and os.access(script, os.X_OK)
    assert "#SBATCH --nodes=4" in text and "#SBATCH --gpus-per-node=8" in text and "#SBATCH --ntasks-per-node=1" in text
    assert "srun --kill-on-bad-exit=1 python -m torch.distributed.run" in text
    assert "--rdzv_backend c10d" in text and "--nproc_per_node 8" in text
    assert f"-m trainer.launch --config {config.resolve()}" in text
    assert "HF_HUB_OFFLINE=1" in text
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0  # valid shell


def test_a_worker_that_hits_a_user_error_leaves_it_in_error_json_for_its_launcher(tmp_path, capsys):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "blob.bin").write_bytes(b"\x00\x01\x02")
    config = write_config(tmp_path / "c.yaml", tmp_path / "c", 4)
    assert launch.rank_main(["--config", str(config), "--run-dir", str(tmp_path / "run")]) == 1
    error = json.loads((tmp_path / "run" / "error.json").read_text())
    assert error["code"] == "binary_file" and error["param"] == "data.train" and "blob.bin" in error["message"]
    assert capsys.readouterr().err.startswith("error: 1 file(s) in the corpus are binary")


def test_throughput_logs_tokens_per_second_and_mfu_against_the_gpu_peak(monkeypatch):
    from types import SimpleNamespace

    from trainer import sizing, throughput

    monkeypatch.setattr(sizing, "gpu_peak_flops", lambda: 1e12)  # as on a GPU whose dense bf16 peak is 1 TFLOP/s
    clock = iter([100.0, 102.0, 102.0])
    monkeypatch.setattr(throughput.time, "monotonic", lambda: next(clock))
    cb = throughput.ThroughputCallback(flops_per_token=6 * 1_000_000)  # 6·N for N = 1 M parameters, full training
    args, state = SimpleNamespace(world_size=2), SimpleNamespace(num_input_tokens_seen=0)
    cb.on_train_begin(args, state, None)
    state.num_input_tokens_seen = 100_000  # 100 k tokens over both processes in 2 s
    logs = {"loss": 1.0}
    cb.on_log(args, state, None, logs=logs)
    assert logs["tokens_per_s"] == 50_000
    assert logs["mfu"] == pytest.approx(6e6 * 50_000 / (2 * 1e12))  # 0.15: 15% of two GPUs' peak
    cb.on_train_end(args, state, None)
    assert cb.summary["tokens_per_s"] == 50_000 and cb.summary["processes"] == 2


# ---------------------------------------------------------------------------------------------- real launches


@pytest.mark.usefixtures("one_torch_thread")
def test_two_processes_follow_the_same_loss_trajectory_as_one_with_the_same_global_batch(tmp_path, launches):
    """Global batch 4 blocks either way: 1 process × 4, or 2 processes × 2 (each takes half of every global batch,
    DDP averages the gradients over the same 4 blocks). Same seed, same data order, so the losses agree up to
    float summation order: asserted within 1e-4 absolute (measured: ≤ 1e-6)."""
    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    one = tmp_path / "one"
    run_recipe(load_config(write_config(tmp_path / "one.yaml", corpus, batch_size=4)), one)

    two = tmp_path / "two"
    log = tmp_path / "two.log"
    proc = launches.start(str(write_config(tmp_path / "two.yaml", corpus, batch_size=2)), "--nproc", "2",
                          "--run-dir", str(two), log=log)
    launches.wait(proc, log)

    single, double = losses(one), losses(two)
    assert len(single) == len(double) == 8
    assert single[-1] < single[0]  # it trains
    assert double == pytest.approx(single, abs=1e-4)
    assert json.loads((two / "result.json").read_text())["throughput"]["processes"] == 2


def test_two_nodes_on_loopback_finish_and_write_one_model(tmp_path, launches, tunewise_home):
    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    config = write_config(tmp_path / "c.yaml", corpus, batch_size=2, steps=4)
    port = str(free_port())
    logs = [tmp_path / "node0.log", tmp_path / "node1.log"]
    procs = [launches.start(str(config), "--nnodes", "2", "--node-rank", str(rank), "--master-addr", "127.0.0.1",
                            "--master-port", port, log=logs[rank]) for rank in (0, 1)]
    for proc, log in zip(procs, logs):
        launches.wait(proc, log)

    runs = list((tunewise_home / "runs").iterdir())
    assert len(runs) == 1  # both nodes derived the same run folder
    models = list(runs[0].rglob("model.safetensors"))
    assert [m.relative_to(runs[0]).as_posix() for m in models if "checkpoints" not in m.parts] == ["model/model.safetensors"]
    result = json.loads((runs[0] / "result.json").read_text())
    assert result["steps"] == 4 and result["throughput"]["processes"] == 2
