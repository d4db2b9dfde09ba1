"""The pre-flight probe runs real steps of the real SFT recipe on this machine and turns them into an estimate with a
fits / does-not-fit verdict, before any approval; it leaves no job, no run folder and no database row behind."""

from __future__ import annotations

import pytest

from tests.test_resilience import sft_config, write_pairs
from trainer import jobs
from trainer.state import home
from trainer.preflight import estimate_from, probe


def test_the_probe_measures_real_steps_and_estimates_the_whole_job(tiny_model_dir, tmp_path):
    config = sft_config(tiny_model_dir, write_pairs(tmp_path / "pairs.jsonl"), steps=40)
    estimate = probe(config, steps=2)
    assert estimate["verdict"] == "fits" and estimate["fits"] is True
    assert estimate["total_steps"] == 40  # the real run's length, not the probe's
    assert estimate["steps_measured"] == 2 and estimate["seconds_per_step"] > 0
    assert estimate["tokens_per_s"] > 0
    # train_seconds is reported to 0.1 s
    assert estimate["train_seconds"] == pytest.approx(40 * estimate["seconds_per_step"], rel=0.01, abs=0.051)
    assert estimate["estimated_seconds"] >= estimate["train_seconds"]
    assert 0 < estimate["peak_memory_bytes"] < estimate["available_memory_bytes"]
    assert estimate["summary"].startswith("fits: peak")
    assert jobs.list_jobs() == [] and list((home.home() / "runs").iterdir()) == []
    assert not any((home.home() / "preflight").iterdir())  # the scratch folder is removed
    job = jobs.create_job(config, estimate=estimate)  # what the user approves
    assert jobs.job_summary(job.id)["estimate"] == estimate


def test_a_peak_over_the_available_memory_is_a_does_not_fit_verdict():
    measured = {"seconds_per_step": 2.0, "steps_measured": 3, "total_steps": 1000, "tokens_per_s": 500.0,
                "peak_memory_bytes": 70 * 2**30, "memory_device": "cuda", "device_total_bytes": 40 * 2**30}
    estimate = estimate_from(measured, wall_s=30.0, steps=3)
    assert (estimate["verdict"], estimate["fits"]) == ("does_not_fit", False)
    assert estimate["reason"] == "peak 70.00 GiB of 40.00 GiB available CUDA memory (over the 90% safety margin)"
    assert estimate["train_seconds"] == 2000.0 and estimate["startup_seconds"] == 22.0


def test_running_out_of_memory_in_the_probe_is_itself_the_verdict():
    estimate = estimate_from({"out_of_memory": True, "memory_device": "cuda", "device_total_bytes": 8 * 2**30}, 5.0, 3)
    assert estimate["verdict"] == "does_not_fit" and "ran out of CUDA memory" in estimate["summary"]
