"""Every example config shipped in trainer/configs/ parses into a JobConfig, and its data files exist
(torchtune's test_configs.py idea: an example that no longer loads is a broken promise)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer.config import load_config

CONFIGS = sorted((Path(__file__).parents[1] / "trainer" / "configs").glob("*.yaml"))


def test_there_are_example_configs():
    names = {p.name for p in CONFIGS}
    assert {"smollm2-lora-cpu.yaml", "qlora-gpu.yaml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_example_config_parses_and_points_at_existing_data(path):
    config = load_config(path)
    for field in ("train", "validation", "test"):
        value = getattr(config.data, field)
        if value:
            assert Path(value).exists(), f"{path.name}: data.{field} {value} does not exist"


@pytest.mark.parametrize("path", [p for p in CONFIGS if load_config(p).kind == "sft"],
                         ids=lambda p: p.name)
def test_sft_example_data_validates_cleanly(path):
    from trainer.datasets import validate_file

    config = load_config(path)
    report = validate_file(config.data.train, format=config.data.format, columns=config.data.columns)
    assert report.ok, report.summary()
