"""padding_free batches and the fused-loss path (trainer/batching.py, trainer/sft.py), checked on the CPU.

padding_free is the GPU default; what can be shown without a GPU is that it is right: a batch flattened into one
sequence, with position ids restarting per row, gives the padded batch's loss and gradient (so attention does not
cross rows through transformers' sdpa path), and a job trains on it. The fused linear + cross-entropy (Liger) runs
only on CUDA; its wiring — hidden states of the trained positions in, a summed loss out — is checked here with
torch's own linear and cross-entropy in the kernel's place.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from trainer import batching, sft, training_setup
from trainer.progress import read_jsonl
from tests.test_micro_batches import _batch, _gradients, _lora_model
from tests.test_sft import config, write_repeat_data

LENGTHS = [3, 40, 12, 25, 7, 40]


def _flat(tokenizer, lengths):
    """The rows of `_batch(tokenizer, lengths)`, flattened as the padding_free collator does."""
    padded = _batch(tokenizer, lengths)
    rows = [{"input_ids": ids[m.bool()].tolist(), "labels": lab[m.bool()].tolist()}
            for ids, lab, m in zip(padded["input_ids"], padded["labels"], padded["attention_mask"])]
    return padded, batching.flattening_collator()(rows)


def test_a_flattened_batch_gives_the_loss_and_gradient_of_the_same_rows_padded(tiny_model_dir):
    from transformers import AutoTokenizer

    padded, flat = _flat(AutoTokenizer.from_pretrained(tiny_model_dir), LENGTHS)
    assert flat["input_ids"].shape == (1, int(padded["attention_mask"].sum())) and "attention_mask" not in flat
    items = int((padded["labels"][:, 1:] != -100).sum())
    assert int((flat["labels"][:, 1:] != -100).sum()) == items  # no row's first token is a target of the last
    model = _lora_model(tiny_model_dir)
    want, got = _gradients(model, [padded], items), _gradients(model, [flat], items)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_flattened_batch_is_cut_at_row_starts_into_passes_within_the_budget(tiny_model_dir):
    from transformers import AutoTokenizer

    padded, flat = _flat(AutoTokenizer.from_pretrained(tiny_model_dir), LENGTHS)
    parts = batching.micro_batches(flat, budget=150)
    assert len(parts) > 1
    assert torch.equal(torch.cat([p["input_ids"] for p in parts], dim=1), flat["input_ids"])
    for part in parts:
        assert part["position_ids"][0, 0] == 0  # every pass starts at a row start
        rows = int((part["position_ids"][0] == 0).sum())
        assert part["input_ids"].shape[1] <= 150 or rows == 1
    items = int((padded["labels"][:, 1:] != -100).sum())
    model = _lora_model(tiny_model_dir)
    want, got = _gradients(model, [flat], items), _gradients(model, parts, items)
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_padding_free_job_lowers_its_loss_and_prints_the_batching_it_used(tiny_model_dir, tmp_path, capsys):
    data = write_repeat_data(tmp_path / "repeat.jsonl", n=40)
    sft.run(config(tiny_model_dir, data, training={"max_steps": 8, "batch_size": 4, "batching": "padding_free",
                                                    "eval_every": None, "save_every": None},
                   eval={"enabled": False}), tmp_path / "run")
    assert "derived: batching padding_free; at most 512 tokens per forward pass (auto on the CPU)" in \
        capsys.readouterr().out
    losses = [r["loss"] for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r.get("loss") is not None]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2


def test_a_fused_loss_fed_the_trained_hidden_states_trains_the_weights_the_logits_path_trains(
        tiny_model_dir, tmp_path, monkeypatch):
    data = write_repeat_data(tmp_path / "repeat.jsonl", n=40)
    calls = []

    def fused(weight, hidden, targets):  # torch's own linear + cross-entropy where Liger's kernel would run
        calls.append(hidden.shape)
        return F.cross_entropy(F.linear(hidden, weight).float(), targets, reduction="sum")

    weights = {}
    for name, loss in (("logits", None), ("fused", fused)):
        monkeypatch.setattr(training_setup, "fused_linear_cross_entropy", lambda setup, loss=loss: (loss, "loss"))
        # in fp32, as the two paths' arithmetic is compared (bf16 autocast rounds differently in each)
        sft.run(config(tiny_model_dir, data, model={"dtype": "fp32"}, training={"max_steps": 3, "batch_size": 4},
                       eval={"enabled": False}), tmp_path / name)
        weights[name] = load_file(tmp_path / name / "adapter" / "adapter_model.safetensors")
    assert len(calls) >= 3 and all(len(shape) == 2 and shape[0] > 0 for shape in calls)
    for key, value in weights["logits"].items():
        torch.testing.assert_close(weights["fused"][key], value, rtol=1e-3, atol=1e-5, msg=key)
