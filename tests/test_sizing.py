"""Compute-optimal sizing: the arithmetic, the shapes it picks, and the error for a budget that buys too little."""

from __future__ import annotations

import math

import pytest

from trainer import sizing


@pytest.mark.parametrize("hidden,layers,vocab", [(64, 2, 300), (160, 2, 8000), (320, 5, 2000)])
def test_the_parameter_formula_matches_the_model_transformers_builds(hidden, layers, vocab):
    from transformers import LlamaForCausalLM

    shape = sizing.Shape(hidden, layers, sizing.head_count(hidden), sizing.mlp_width(hidden), vocab)
    model = LlamaForCausalLM(sizing.llama_config(shape, 128, 1, 0, 0))
    assert model.num_parameters() == shape.parameters  # exact: the plan's N is the model's N


def test_the_issues_example_37m_tokens_gives_about_1_9m_parameters_and_4e14_flops():
    plan = sizing.plan(37_000_000, vocab_size=8000)
    assert plan.target_parameters == pytest.approx(1.85e6)  # 37 M / 20 tokens per parameter
    assert abs(math.log(plan.parameters / 1.85e6)) < 0.1  # the grid shape lands within 10%
    assert plan.flops == pytest.approx(6 * plan.parameters * 37_000_000)  # one pass: C = 6·N·D
    assert 3.5e14 < plan.flops < 5e14
    lines = plan.lines(flops_per_s=6e8, where="this CPU")
    assert lines[0] == "37 M tokens → 1.85 M parameters at 20 tokens/parameter"
    assert "FLOPs" in lines[2] and "on this CPU (measured 6e+08 FLOP/s)" in lines[2]


def test_a_budget_sizes_model_and_tokens_the_chinchilla_way():
    budget = 1e19
    plan = sizing.plan(1_000_000_000, vocab_size=32000, budget_flops=budget)
    assert plan.target_parameters == pytest.approx(math.sqrt(budget / 120))  # N = sqrt(C / (6 × 20))
    assert plan.flops == pytest.approx(budget, rel=1e-6)  # D = C / 6N spends exactly the budget
    assert 15 < plan.train_tokens / plan.parameters < 25
    assert any("passes over the same text" in note for note in plan.notes)  # 5.8 passes > 4: warned


def test_a_budget_under_the_smallest_sane_model_is_an_error_that_names_the_budget_needed():
    with pytest.raises(sizing.SizingError) as err:
        sizing.plan(1_000_000, vocab_size=8000, budget_flops=1e10)
    message = str(err.value)
    smallest = sizing.smallest_shape(8000).parameters
    assert f"{6 * 20 * smallest ** 2:.2g}" in message  # the budget that buys the smallest model
    assert "pretrain.compute_budget_flops" in message and "pretrain.hidden_size" in message
    assert err.value.param == "pretrain.compute_budget_flops"


def test_a_small_corpus_without_budget_uses_the_smallest_model_and_says_so():
    plan = sizing.plan(20_000, vocab_size=300)
    assert plan.shape == sizing.smallest_shape(300)
    assert any("will over-fit" in note for note in plan.notes)


def test_width_and_depth_overrides_are_respected_and_reported():
    plan = sizing.plan(1_000_000, vocab_size=1000, hidden_size=128, layers=3)
    assert (plan.shape.hidden_size, plan.shape.layers) == (128, 3)
    assert any("set by pretrain.hidden_size/layers" in note for note in plan.notes)


def test_this_machine_s_training_flops_are_measured_not_assumed():
    from transformers import LlamaForCausalLM

    model = LlamaForCausalLM(sizing.llama_config(sizing.smallest_shape(300), 32, 1, 0, 0))
    before = [p.detach().clone() for p in model.parameters()]
    rate = sizing.measure_flops_per_s(model, batch_size=2, block_size=32, steps=1)
    assert 1e6 < rate < 1e14  # anything from a slow shared core to a fast GPU
    assert all(p.grad is None for p in model.parameters())
    assert all((a == b).all() for a, b in zip(before, model.parameters()))  # measuring never trains
