"""Pretraining from scratch on a toy corpus: a trained tokenizer, a sized model, the derivation printed before any
step, and a held-out perplexity far below the uniform baseline."""

from __future__ import annotations

import json

import pytest

from tests.test_corpus import one_torch_thread, write_domain_corpus  # noqa: F401 (fixture)
from trainer import pretrain
from trainer.config import parse_config
from trainer.corpus import CorpusError
from trainer.sizing import SizingError
from tests.tracking_checks import assert_tracked


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def pretrain_config(corpus, **overrides):
    data = {
        "kind": "pretraining",
        "data": {"train": str(corpus)},
        "pretrain": {"vocab_size": 300, "block_size": 32, "eval_blocks": 16, "samples": 2, "sample_tokens": 12},
        "training": {"max_steps": 40, "learning_rate": 5e-3, "batch_size": 8, "warmup_ratio": 0.1,
                     "logging_every": 10, "save_every": 1000},
    }
    for section, values in overrides.items():
        data[section] = data.get(section, {}) | values
    return parse_config(data)


def test_a_model_pretrained_from_scratch_beats_the_uniform_baseline_by_far(tmp_path, capsys):
    corpus = write_domain_corpus(tmp_path / "corpus")
    run_dir = tmp_path / "run"
    result = pretrain.run(pretrain_config(corpus), run_dir)

    # Uniform guessing over 300 tokens has perplexity 300; the toy grammar has a handful of choices per slot, so 40
    # steps of a 0.1 M-parameter model must get below 10% of that (measured 17.9, deterministic on the CPU).
    assert result["uniform_perplexity"] == 300
    assert result["heldout_perplexity"] < 30 and result["verdict"] == "learned"
    assert result["parameters"] == json.loads((run_dir / "sizing.json").read_text())["parameters"]
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        assert (run_dir / "model" / name).is_file()
    report = json.loads((run_dir / "eval" / "report.json").read_text())
    assert len(report["samples"]) == 2 and all(s["continuation"] for s in report["samples"])

    out = capsys.readouterr().out
    derivation = out.index("sizing: ")
    assert "tokens → " in out and "parameters at 20 tokens/parameter" in out
    assert "FLOPs" in out[derivation:] and "measured" in out[derivation:] and "FLOP/s" in out[derivation:]
    assert derivation < out.index("training started")  # printed before any step

    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(run_dir / "model")
    tokenizer = AutoTokenizer.from_pretrained(run_dir / "model")
    assert model.config.vocab_size == len(tokenizer) == 300
    assert_tracked(run_dir, steps=result["steps"])


def test_the_learning_rate_warms_up_then_decays_on_a_cosine(tmp_path):
    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    config = pretrain_config(corpus, training={"max_steps": 20, "logging_every": 1, "warmup_ratio": 0.2})
    pretrain.run(config, tmp_path / "run")
    rates = [r["learning_rate"] for r in map(json.loads, (tmp_path / "run" / "metrics.jsonl").read_text().splitlines())
             if r.get("learning_rate") is not None]
    peak = rates.index(max(rates))
    assert 2 <= peak <= 4  # 20% of 20 steps warm up
    assert rates[:peak] == sorted(rates[:peak]) and rates[peak:] == sorted(rates[peak:], reverse=True)
    assert max(rates) == pytest.approx(5e-3, rel=0.05) and rates[-1] < 0.05 * max(rates)


def test_a_run_resumed_from_its_last_complete_checkpoint_ends_with_the_same_weights(tmp_path):
    import shutil

    from safetensors.torch import load_file

    corpus = write_domain_corpus(tmp_path / "corpus", files=2)
    config = pretrain_config(corpus, training={"max_steps": 6, "save_every": 3, "logging_every": 3})
    full = tmp_path / "full"
    pretrain.run(config, full)
    # the same run as if killed after its step-3 checkpoint: everything written later is gone, then it resumes
    resumed = tmp_path / "resumed"
    shutil.copytree(full, resumed)
    for later in ("checkpoints/checkpoint-6", "model", "eval", "result.json"):
        path = resumed / later
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    result = pretrain.run(config, resumed, resume=True)
    assert result["steps"] == 6
    a, b = load_file(full / "model" / "model.safetensors"), load_file(resumed / "model" / "model.safetensors")
    assert a.keys() == b.keys()
    assert max(float((a[k] - b[k]).abs().max()) for k in a) <= 1e-6  # the contract's tolerance


def test_a_reused_tokenizer_sizes_the_model_with_its_vocabulary(tmp_path, tiny_model_dir):
    corpus = write_domain_corpus(tmp_path / "corpus", files=1)
    config = pretrain_config(corpus, model={"base": str(tiny_model_dir)},
                             pretrain={"tokenizer": "reuse", "eval_blocks": 2, "samples": 0},
                             training={"max_steps": 2})
    result = pretrain.run(config, tmp_path / "run")
    assert result["uniform_perplexity"] == 49152  # the bundled SmolLM2 vocabulary
    assert not (tmp_path / "run" / "tokenizer").exists()


def test_a_vocabulary_larger_than_the_corpus_supports_fails_before_training(tmp_path):
    corpus = write_domain_corpus(tmp_path / "corpus", files=1, lines=30)
    with pytest.raises(CorpusError, match="Set pretrain.vocab_size to at most") as err:
        pretrain.run(pretrain_config(corpus, pretrain={"vocab_size": 8000}), tmp_path / "run")
    assert err.value.code == "vocab_too_large"
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_budget_that_buys_less_than_the_smallest_model_fails_before_training(tmp_path):
    corpus = write_domain_corpus(tmp_path / "corpus", files=1)
    with pytest.raises(SizingError, match="Raise pretrain.compute_budget_flops to at least"):
        pretrain.run(pretrain_config(corpus, pretrain={"compute_budget_flops": 1e6}), tmp_path / "run")


def test_a_corpus_too_small_for_a_block_fails_with_the_block_size_that_would_fit(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("tiny tiny tiny corpus corpus corpus\n" * 3)
    with pytest.raises(CorpusError, match="lower pretrain.block_size to at most"):
        pretrain.run(pretrain_config(tmp_path / "c", pretrain={"vocab_size": 258, "block_size": 512}),
                     tmp_path / "run")
