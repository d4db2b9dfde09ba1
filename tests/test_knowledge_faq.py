"""The guides' "Questions people ask" pairs: parsed from the guides, kept out of the search passages, and matched
to a user's question by meaning (knowledge.faq), with the bundled sentence model, no index needed.

TUNING was written first and used to pick the score's weights and threshold (phrasings alone: 31/40 right pair
first; phrasings and answers mixed 0.6/0.4: 35/40; wrong first picks then scored at most 0.54, so the threshold is
0.55), and six of its misses led to a second phrasing in a guide (37/40 first after that; 29 above the threshold,
none wrong). HELD_OUT was written afterwards and never used to change a weight, a threshold or a phrasing: on its
first run 18/20 put the right pair first, 15/20 matched it above the threshold and none matched a wrong one.
None of these is a blind-set question.
"""

from __future__ import annotations

import re

import pytest

from knowledge import corpus, faq

# (a question in our own words, the guide whose pair should answer it)
TUNING = [
    ("could you explain what low-rank adapters are?", "finetuning-methods.md"),
    ("how does qlora save memory compared to normal lora", "finetuning-methods.md"),
    ("is it worth training every parameter or are adapters enough", "finetuning-methods.md"),
    ("do I need a GPU or can I fine-tune on my macbook", "finetuning-methods.md"),
    ("will a 7 billion parameter model fit on my 24GB card for training", "gpu-memory.md"),
    ("what kind of hardware does a 70B fine-tune take", "gpu-memory.md"),
    ("my run crashes with out of memory errors", "gpu-memory.md"),
    ("which learning rate is a good default for lora adapters", "lora-rank-and-learning-rate.md"),
    ("what rank should the adapter have", "lora-rank-and-learning-rate.md"),
    ("how many passes over the data should I do", "hyperparameters-and-stopping.md"),
    ("validation loss started climbing, is that bad?", "hyperparameters-and-stopping.md"),
    ("how much data do we need before tuning makes sense", "how-much-data.md"),
    ("is 300 clean examples better than 3000 messy ones", "how-much-data.md"),
    ("what should each line of the training file look like", "preparing-a-dataset.md"),
    ("how do I divide the examples into training and test sets", "preparing-a-dataset.md"),
    ("can we pad our dataset with examples written by another LLM", "synthetic-data.md"),
    ("what goes wrong when you train on generated data", "synthetic-data.md"),
    ("how can I tell if the tuned model is really an improvement", "evaluating-a-tuned-model.md"),
    ("how many test cases do I need for a reliable score", "evaluating-a-tuned-model.md"),
    ("is it fine to have gpt-4 grade the outputs", "evaluation-metrics-and-judges.md"),
    ("will the model lose its general skills after tuning", "catastrophic-forgetting.md"),
    ("what does forgetting mean for a fine-tuned model", "catastrophic-forgetting.md"),
    ("our prices change every week, train them in or retrieve them?", "rag-vs-finetuning.md"),
    ("what is retrieval augmented generation exactly", "rag-vs-finetuning.md"),
    ("how do I force the model to output valid json", "prompt-engineering.md"),
    ("what should we try first, prompts or training", "decision-ladder.md"),
    ("difference between domain pretraining and supervised tuning?", "continued-pretraining.md"),
    ("what would training a model from zero cost us", "pretraining-from-scratch.md"),
    ("how many tokens does pretraining need per parameter", "pretraining-from-scratch.md"),
    ("what is dpo and what data do I need for it", "preference-tuning.md"),
    ("chat version or base checkpoint, which one do I tune", "choosing-a-base-model.md"),
    ("is it possible to fine-tune openai models", "choosing-a-base-model.md"),
    ("roughly what will the fine-tuning run cost", "cost-hardware-time.md"),
    ("what does it cost to keep the model hosted", "cost-hardware-time.md"),
    ("how do we put the adapter into production", "exporting-and-serving.md"),
    ("can I run it locally with ollama", "exporting-and-serving.md"),
    ("is our data safe if we use a hosted fine-tuning service", "sensitive-and-regulated-data.md"),
    ("can the model spit out customer records it was trained on", "sensitive-and-regulated-data.md"),
    ("can we do retrieval without any cloud service", "sensitive-and-regulated-data.md"),
    ("why did fine-tuning make my model worse", "failure-modes.md"),
]

HELD_OUT = [
    ("what exactly are LoRA adapters and why are they small?", "finetuning-methods.md"),
    ("how much VRAM does QLoRA take for a 7B model?", "gpu-memory.md"),
    ("what alpha and r values are sensible for a first LoRA run?", "lora-rank-and-learning-rate.md"),
    ("when do I stop training to avoid overfitting?", "hyperparameters-and-stopping.md"),
    ("is a couple of hundred examples enough to teach a writing style?", "how-much-data.md"),
    ("should the training file be JSONL or CSV?", "preparing-a-dataset.md"),
    ("what are the dangers of training on machine-generated examples?", "synthetic-data.md"),
    ("how do we prove the tuned model beats the original?", "evaluating-a-tuned-model.md"),
    ("which metric fits an extraction task?", "evaluation-metrics-and-judges.md"),
    ("how do I stop fine-tuning from erasing what the model already knew?", "catastrophic-forgetting.md"),
    ("should product specs that change monthly go into the weights?", "rag-vs-finetuning.md"),
    ("how many few-shot examples belong in a prompt?", "prompt-engineering.md"),
    ("what is continued pretraining good for?", "continued-pretraining.md"),
    ("how many tokens would a model of our own need?", "pretraining-from-scratch.md"),
    ("do I need pairs of answers for preference tuning?", "preference-tuning.md"),
    ("do I fine-tune the instruct checkpoint or the raw one?", "choosing-a-base-model.md"),
    ("what will GPU time cost for a LoRA run?", "cost-hardware-time.md"),
    ("should I merge the adapter before deploying?", "exporting-and-serving.md"),
    ("can patient records leak out of a fine-tuned model?", "sensitive-and-regulated-data.md"),
    ("what happens to our adapter when a new base model version ships?", "operating-a-tuned-model.md"),
]

# Messages that answer the interview or ask for an action: no stock answer may be attached to them.
NOT_QUESTIONS = [
    "We have about 2,000 labelled support tickets.",
    "Our budget is around $5,000 and we have two A100s.",
    "yes",
    "The documents change every month.",
    "Can you launch the job now?",
    "what time is it in Tokyo?",
    "Who are you and who built you?",
    "I approve the plan",
]


def test_every_guide_has_questions_people_ask_with_answers_of_a_few_sentences():
    pairs = faq.all_pairs()
    guides = {g.file_name for g in corpus.load_guides()}
    assert {p.guide for p in pairs} == guides
    assert len(pairs) >= 80
    for p in pairs:
        sentences = len(re.findall(r"[.!?](?:\s|$)", p.answer))
        assert 2 <= sentences <= 7 and len(p.answer.split()) <= 170, (p.guide, p.question)


def test_the_pairs_are_not_search_passages():
    chunks = corpus.corpus_chunks()
    assert not [c.id for c in chunks if c.metadata["section"] == corpus.FAQ_HEADING]
    assert not [c.id for c in chunks if "### " in c.text]


def test_a_guide_section_of_questions_parses_into_pairs_with_every_phrasing():
    body = ("## Something\n\nText.\n\n## Questions people ask\n\n### What is X? | How does X work?\n"
            "X is a thing.\nIt works well.\n\n### Why Y?\nBecause.\n")
    pairs = faq.parse_pairs(body, "g.md", "G")
    assert [(p.questions, p.answer) for p in pairs] == [
        (("What is X?", "How does X work?"), "X is a thing. It works well."), (("Why Y?",), "Because.")]


def _matched(questions):
    right, wrong = [], []
    for q, guide in questions:
        if (m := faq.match(q)) is not None:
            (right if m.guide == guide else wrong).append(q)
    return right, wrong


def test_tuning_paraphrases_find_their_pair_and_never_a_wrong_one():
    right, wrong = _matched(TUNING)  # 29 and none, see the module docstring
    assert len(right) >= 27 and wrong == []


def test_held_out_paraphrases_mostly_find_their_pair_and_never_a_wrong_one():
    # a wrong stock answer is worse than none (the sentence composer then answers): zero is the bar
    right, wrong = _matched(HELD_OUT)  # 15 and none on the first run
    assert len(right) >= 14 and wrong == []


@pytest.mark.parametrize("text", NOT_QUESTIONS)
def test_an_interview_answer_or_an_action_matches_no_pair(text):
    assert faq.match(text) is None


def test_a_question_that_asks_two_things_gets_the_answer_to_each_in_its_order():
    pairs = faq.match_all("What does a chat template do, and how should I split my examples into train and test?")
    assert [p.question for p in pairs] == ["What is a chat template?",
                                           "How should I split my data into train, validation and test?"]


def test_a_short_second_part_of_a_question_is_answered_too():
    # ("how do we split it" alone matched nothing before AGREED_THRESHOLD; its words and meaning now agree on the
    # split pair, so the whole-question path this test was written for is no longer needed here)
    pairs = faq.match_all("How should our training file be laid out, and how do we split it?")
    assert "How should I split my data into train, validation and test?" in [p.question for p in pairs]


def test_a_pair_naming_the_questions_rarer_words_goes_before_one_that_only_shares_its_sentence_shape(tmp_path):
    # in our own words; by meaning alone "Can fine-tuning fix reasoning?" came first (0.513 against 0.495). The
    # guides now answer this question with a pair of its own, so the two guides are read without that pair.
    for name in ("catastrophic-forgetting.md", "diagnosing-the-gap.md"):
        text = (faq.GUIDES_DIR / name).read_text(encoding="utf-8")
        tmp_path.joinpath(name).write_text(text.split("### Can fine-tuning break the model's safety")[0],
                                           encoding="utf-8")
    ranked = faq.scored("Can tuning weaken the refusals and safety guardrails the model has?", tmp_path)
    assert ranked[0][1].guide == "catastrophic-forgetting.md"
    assert ranked[0][0] < max(score for score, _ in ranked)  # the score shown stays the meaning score


def test_a_question_about_fine_tuning_eroding_safety_finds_the_pair_that_answers_it():
    pair = faq.match("Could fine-tuning on our data make the model stop refusing harmful requests?")
    assert pair is not None and "safety" in pair.question, pair


@pytest.mark.parametrize("question, guide", [
    # in our own words, after the blind sets showed such questions finding the right pair just under the threshold
    ("one base model on one card for all 12 of our per-region adapters, is that doable?", "exporting-and-serving.md"),
    # ("if we train on the patient notes, can it spit out one patient's details to someone else?" still finds the
    # pair at 0.44 with other words ranked first by BM25: it is left to the sentence composer)
    ("could a model fine-tuned on our patient notes leak one patient's details to another user?",
     "sensitive-and-regulated-data.md"),
])
def test_a_pair_that_both_meaning_and_words_rank_first_answers_below_the_meaning_threshold(question, guide):
    pair = faq.match(question)
    assert pair is not None and pair.guide == guide
