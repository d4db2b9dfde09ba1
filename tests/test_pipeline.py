"""The chained plan: continued pretraining then SFT, the second stage starting from the first stage's output, run
in one go or created as linked jobs (parent_id)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.test_corpus import one_torch_thread, write_domain_corpus  # noqa: F401 (fixture)
from trainer.config import ConfigError, parse_config
from trainer.pipeline import PREVIOUS, load_pipeline, parse_pipeline, run_pipeline, stage_output


def sft_rows(n: int = 24) -> str:
    rows = [{"prompt": f"Who pays the rent under lease {i}?", "completion": "The lessee shall pay the rent."}
            for i in range(n)]
    return "".join(json.dumps(r) + "\n" for r in rows)


def pipeline_dict(model_dir, corpus, sft_data) -> dict:
    return {
        "name": "lease assistant",
        "stages": [
            {"kind": "continued_pretraining", "model": {"base": str(model_dir)}, "data": {"train": str(corpus)},
             "lora": {"method": "lora", "r": 8, "alpha": 16, "dropout": 0.0},
             "pretrain": {"block_size": 32, "eval_blocks": 4},
             "training": {"max_steps": 4, "learning_rate": 1e-2, "batch_size": 4, "save_every": 1000},
             "eval": {"forgetting_probe": False}},
            {"kind": "sft", "model": {"base": PREVIOUS, "max_seq_len": 64}, "data": {"train": str(sft_data)},
             "lora": {"r": 8, "alpha": 16},
             "training": {"max_steps": 2, "learning_rate": 1e-2, "batch_size": 4, "save_every": 1000},
             "eval": {"enabled": False}},
        ],
    }


def test_a_lora_stage_that_feeds_the_next_is_made_to_export_a_merged_model_and_says_so(tmp_path):
    pipeline = parse_pipeline(pipeline_dict("base-folder", tmp_path, tmp_path / "d.jsonl"))
    assert pipeline.stages[0].training.merge_adapter is True
    assert "stages[0].training.merge_adapter set to true" in pipeline.notes[0]
    assert stage_output(pipeline.stages[0], tmp_path / "s1") == tmp_path / "s1" / "merged"


def test_a_pretraining_stage_feeding_the_next_keeps_a_stage_config_that_parses_again(tmp_path):
    # pretraining writes a whole model (model/): no adapter to merge, so merge_adapter stays off, and the stage's
    # config still passes the combination checks when the job store parses it again (create_job)
    raw = pipeline_dict("m", tmp_path, tmp_path / "d.jsonl")
    raw["stages"][0] = {"kind": "pretraining", "data": {"train": str(tmp_path)}}
    pipeline = parse_pipeline(raw)
    assert pipeline.stages[0].training.merge_adapter is False and pipeline.notes == []
    parse_config(pipeline.stages[0].to_dict())
    assert stage_output(pipeline.stages[0], tmp_path / "s1") == tmp_path / "s1" / "model"


def test_a_lora_dpo_stage_cannot_feed_the_next_because_it_writes_no_merged_model(tmp_path):
    raw = pipeline_dict("m", tmp_path, tmp_path / "d.jsonl")
    raw["stages"][0] = {"kind": "dpo", "model": {"base": "m"}, "data": {"train": str(tmp_path / "pairs.jsonl")}}
    with pytest.raises(ConfigError, match=r"stages\[1\].model.base: '@previous' cannot start from stages\[0\], a DPO"):
        parse_pipeline(raw)


def test_the_first_stage_cannot_start_from_a_previous_one(tmp_path):
    raw = pipeline_dict("m", tmp_path, tmp_path / "d.jsonl")
    raw["stages"][0]["model"]["base"] = PREVIOUS
    with pytest.raises(ConfigError, match=r"stages\[0\].model.base"):
        parse_pipeline(raw)


def test_a_bad_field_in_a_stage_is_named_with_its_stage(tmp_path):
    raw = pipeline_dict("m", tmp_path, tmp_path / "d.jsonl")
    raw["stages"][1]["training"]["learning_rat"] = 1e-3
    with pytest.raises(ConfigError, match=r"stages\[1\]: training.learning_rat: unknown field"):
        parse_pipeline(raw)


def test_pipeline_files_resolve_data_paths_against_their_folder(tmp_path):
    raw = pipeline_dict("m", "corpus", "d.jsonl")
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(raw))
    pipeline = load_pipeline(tmp_path / "p.yaml")
    assert pipeline.stages[0].data.train == str((tmp_path / "corpus").resolve())
    assert pipeline.stages[1].data.train == str((tmp_path / "d.jsonl").resolve())


@pytest.mark.usefixtures("one_torch_thread")
def test_continued_pretraining_then_sft_runs_with_the_second_stage_on_the_first_stage_s_model(tiny_model_dir,
                                                                                                tmp_path):
    from ui.cli import main

    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    (tmp_path / "sft.jsonl").write_text(sft_rows())
    (tmp_path / "pipeline.yaml").write_text(yaml.safe_dump(pipeline_dict(tiny_model_dir, corpus, tmp_path / "sft.jsonl")))
    assert main(["train", str(tmp_path / "pipeline.yaml"), "--run-dir", str(tmp_path / "run")]) == 0  # `tunewise train`
    result = json.loads((tmp_path / "run" / "result.json").read_text())

    merged = tmp_path / "run" / "stage-1-continued_pretraining" / "merged"
    assert (merged / "model.safetensors").is_file()
    sft_config = yaml.safe_load((tmp_path / "run" / "stage-2-sft" / "config.yaml").read_text())
    assert sft_config["model"]["base"] == str(merged)  # stage 2 trained on stage 1's output, not the original base
    assert [s["kind"] for s in result["stages"]] == ["continued_pretraining", "sft"]
    assert (tmp_path / "run" / "stage-2-sft" / "adapter" / "adapter_config.json").is_file()
    assert json.loads((tmp_path / "run" / "result.json").read_text())["name"] == "lease assistant"

    # resuming a finished pipeline re-runs nothing
    again = run_pipeline(load_pipeline(tmp_path / "pipeline.yaml"), tmp_path / "run", resume=True)
    assert again["stages"][0]["steps"] == result["stages"][0]["steps"]


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "trainer" / "configs" / "pipelines").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_every_shipped_pipeline_config_parses_and_its_data_exists(path):
    pipeline = load_pipeline(path)
    assert len(pipeline.stages) >= 2 and pipeline.stages[1].model.base == PREVIOUS
    for stage in pipeline.stages:
        assert Path(stage.data.train).exists(), stage.data.train


def test_a_pipeline_becomes_linked_jobs_each_awaiting_approval(tiny_model_dir, tmp_path):
    from trainer import jobs

    corpus = write_domain_corpus(tmp_path / "corpus", files=1)
    (tmp_path / "sft.jsonl").write_text(sft_rows())
    from trainer.pipeline import create_pipeline_jobs

    first, second = create_pipeline_jobs(parse_pipeline(pipeline_dict(tiny_model_dir, corpus, tmp_path / "sft.jsonl")))
    assert first.parent_id is None and second.parent_id == first.id
    assert first.state == second.state == "awaiting_approval"
    stored = jobs.get_job(second.id)
    assert stored.config["model"]["base"].startswith(first.run_dir) and stored.config["model"]["base"].endswith("merged")


@pytest.mark.slow
def test_linked_pipeline_jobs_run_in_order_and_the_second_trains_on_the_first_s_output(tiny_model_dir, tmp_path,
                                                                                        monkeypatch):
    import time

    from trainer import jobs
    from trainer.pipeline import create_pipeline_jobs
    from trainer.runner import Runner

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    (tmp_path / "sft.jsonl").write_text(sft_rows())
    first, second = create_pipeline_jobs(parse_pipeline(pipeline_dict(tiny_model_dir, corpus, tmp_path / "sft.jsonl")))
    for job in (first, second):
        jobs.approve_job(job.id, "cli:test")
    runner = Runner()
    try:
        deadline = time.monotonic() + 400
        while jobs.get_job(second.id).state not in ("succeeded", "failed", "cancelled", "interrupted"):
            assert time.monotonic() < deadline, "pipeline jobs did not finish"
            runner.tick()
            time.sleep(0.5)
    finally:
        runner.release()
    assert jobs.get_job(first.id).state == "succeeded"
    done = jobs.get_job(second.id)
    assert done.state == "succeeded", f"{done.error_code}: {done.error_message}"
