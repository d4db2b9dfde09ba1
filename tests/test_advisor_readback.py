"""What the advisor holds, and how the user keeps it right: quick answers that read back as values, retractions,
profile edits that change the advice, pasted text that decides nothing, other languages said plainly, uploads
that never silently replace a stated count; and the four engine rules issue 12 added, each with its seed rule."""

from __future__ import annotations

import json

import pytest

import knowledge
from agent import brain, conversations, engine, prompts
from agent.events import AssistantMessage, Question, RecommendationEvent
from agent.extract import HOLD, extract

# A long paste unrelated to the interview (our own text): a facilities memo full of words the reader knows —
# numbers, documents, weekly, confidential, GPUs, budget, deadline — none of them about the user's model.
MEMO_PARAGRAPH = (
    "Facilities update for the third floor. The kitchen will be closed every Friday for deep cleaning, and the "
    "coffee machine is being replaced next week. We ordered 40 new chairs and 12 standing desks; the budget for "
    "furniture was $8,000 and the deadline is the end of the month. Please keep confidential visitor lists in the "
    "locked cabinet, and do not leave 300 printed documents on the shared printer. The gaming club asked whether "
    "the 4 GPUs in the old lab can be used after hours; the answer is no. Parking rules change weekly during the "
    "construction work, so check the notice board. ")


def fake_search(query, k=3, approach=None, topic=None):
    return [{"source": "guide.md", "title": "Guide", "section": "Overview", "text": f"About {query}.",
             "score": 0.8}][:k]


@pytest.fixture(autouse=True)
def fake_guidance(monkeypatch):
    monkeypatch.setattr(knowledge, "search", fake_search)


def say(cid, text, attachments=None):
    return list(brain.turn(cid, text, attachments))


def questions(events):
    return [e for e in events if isinstance(e, Question)]


def recommendation(events):
    recs = [e for e in events if isinstance(e, RecommendationEvent)]
    return recs[-1].recommendation["approach"] if recs else None


def interview_to_the_end(cid, events, answer="I don't know"):
    for _ in range(10):
        if not questions(events):
            return events
        events = say(cid, answer)
    return events


@pytest.mark.parametrize("fact", list(prompts.OPTIONS))
def test_every_quick_answer_reads_back_as_a_distinct_value_of_its_fact(fact):
    values = []
    for option in prompts.OPTIONS[fact]:
        found = [f for f in extract(option, asked=fact).findings if f.fact == fact and f.confidence >= HOLD]
        assert found, f"the button {option!r} for {fact} is not read as a value"
        values.append(json.dumps(found[0].value, sort_keys=True))
    assert len(set(values)) == len(values), f"two buttons of {fact} mean the same: {values}"


def test_forget_what_i_said_about_the_budget_removes_the_budget():
    cid = conversations.create()
    say(cid, "Our replies are off-brand. We have a budget of $5,000.")
    assert conversations.load(cid).value("budget") == 5000
    events = say(cid, "forget what I said about the budget")
    assert conversations.load(cid).value("budget") is None
    assert any("Forgotten" in e.text for e in events if isinstance(e, AssistantMessage))


def test_thats_wrong_withdraws_what_was_just_noted():
    cid = conversations.create()
    say(cid, "Our JSON output keeps breaking.")
    pending = conversations.load(cid).pending
    assert pending == "prompting_tried"
    say(cid, "We spent weeks on few-shot prompts with a schema.")
    assert conversations.load(cid).value("prompting_tried") == "tried"
    say(cid, "No, that's wrong.")
    assert conversations.load(cid).value("prompting_tried") is None


def test_a_profile_edit_sets_the_fact_and_changes_the_advice():
    cid = conversations.create()
    events = say(cid, "Our replies sound off-brand even though we tried detailed system prompts with few-shot "
                      "examples. We have 600 reviewed example replies.")
    events = interview_to_the_end(cid, events)
    assert recommendation(events) == "lora_finetune"
    # 50 examples are below the ~200 fine-tuning needs (engine.MIN_SFT_EXAMPLES): build the dataset first
    edited = brain.edit_fact(cid, "labeled_examples", "about 50 examples")
    assert conversations.load(cid).value("labeled_examples") == 50
    assert recommendation(edited) == "collect_data"


def test_a_profile_edit_that_cannot_be_read_is_a_clear_error():
    from trainer.state.errors import UserError

    cid = conversations.create()
    with pytest.raises(UserError, match="could not read"):
        brain.edit_fact(cid, "compute", "purple")


def test_a_two_thousand_word_unrelated_paste_changes_no_decisive_fact():
    cid = conversations.create()
    say(cid, "Our replies sound off-brand even though we tried detailed system prompts with few-shot examples.")
    before = conversations.load(cid).values()
    paste = MEMO_PARAGRAPH * 24
    assert len(paste.split()) >= 2_000
    say(cid, paste)
    after = conversations.load(cid)
    changed = {k: (before[k], v) for k, v in after.values().items() if v != before[k]}
    assert not changed, changed
    # what the paste implies waits as unsure readings, never held without the user's yes
    assert all(t["confidence"] < HOLD for t in after.tentative.values())


def test_a_message_in_another_language_is_answered_with_the_languages_understood():
    cid = conversations.create()
    say(cid, "Our JSON output keeps breaking.")
    events = say(cid, "Nein, wir haben das noch nicht mit einem System-Prompt versucht, aber die Daten sind gut.")
    said = " ".join(e.text for e in events if isinstance(e, AssistantMessage))
    assert "English" in said and "German" in said
    iv = conversations.load(cid)
    assert iv.value("prompting_tried") is None and iv.pending == "prompting_tried"  # asked again, not skipped
    assert [q.fact for q in questions(events)] == ["prompting_tried"]


def test_an_unread_answer_is_asked_once_more_with_quick_answers_then_skipped():
    cid = conversations.create()
    say(cid, "Our JSON output keeps breaking.")
    events = say(cid, "the weather was lovely")
    again = questions(events)
    assert [q.fact for q in again] == ["prompting_tried"] and prompts.DONT_KNOW_OPTION in again[0].options
    say(cid, "the weather was lovely")
    assert "prompting_tried" in conversations.load(cid).skipped()


def test_an_uploaded_sample_does_not_replace_a_stated_count_without_asking(tmp_path):
    path = tmp_path / "sample.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"Ticket {i}"}, {"role": "assistant", "content": f"Done {i}"}]}
            for i in range(120)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    cid = conversations.create()
    say(cid, "Our replies are off-brand. We have about 2,000 reviewed example replies.")
    events = say(cid, "Here is a sample of our data.", attachments=[str(path)])
    assert conversations.load(cid).value("labeled_examples") == 2000  # still what the user said
    asked = questions(events)
    assert asked and asked[-1].fact == "labeled_examples" and any("120" in o for o in asked[-1].options)
    say(cid, "120, the file is all we have")
    assert conversations.load(cid).value("labeled_examples") == 120


def test_a_decisive_fact_said_in_passing_is_read_back_before_the_recommendation():
    cid = conversations.create()
    # the answer to "what is failing" mentions, in passing, that the content changes weekly: a knowledge need
    events = say(cid, "Our replies follow the wrong template.")
    assert questions(events)
    iv = conversations.load(cid)
    iv.tentative["knowledge_changes"] = {"value": "frequent", "words": "prices change weekly", "confidence": 0.45}
    conversations.save(cid, iv)
    seen = []
    for _ in range(8):
        asked = questions(events)
        if not asked:
            break
        seen.append(asked[-1])
        events = say(cid, "Yes, that's right" if "Is that right" in asked[-1].text else "I don't know")
    read_backs = [q for q in seen if "Is that right" in q.text]
    assert [q.fact for q in read_backs] == ["knowledge_changes"] and read_backs[0].options
    assert conversations.load(cid).value("knowledge_changes") == "frequent"


# ---- the four rule gaps (agent/engine.py), each with the seed rule it rests on ----------------------------------

def test_a_finetune_without_a_prompt_baseline_recommends_the_best_prompt_first():
    # seed 003: compare every tuned model with the base model's best prompt; "exhaust prompting first"
    rec = engine.recommend({"problem": ["format", "plateau"], "prompting_tried": None, "labeled_examples": 4_000})
    assert rec["approach"] == "prompt_engineering" and "lora_finetune" in rec["alternatives"]
    assert any("baseline" in r for r in rec["reasons"])


def test_a_prompt_that_meets_the_target_stays_prompt_engineering():
    # seed 003's ladder: "if performance reaches your threshold, you're done"
    rec = engine.recommend({"problem": [], "prompting_tried": "meets_target", "labeled_examples": 1_200})
    assert rec["approach"] == "prompt_engineering"
    # …unless the problem is serving cost: then a small fine-tuned model (the serving rule) still wins
    served = engine.recommend({"problem": ["cost"], "prompting_tried": "meets_target", "labeled_examples": 30_000})
    assert served["approach"] == "lora_finetune"


def test_finetunes_that_lose_to_a_stronger_prompted_model_recommend_a_stronger_base_model():
    # seed 000: fine-tuning "shifts behavior within the capability envelope"; capability needs a stronger base
    rec = engine.recommend({"problem": ["base_model_gap", "plateau"], "prompting_tried": "tried",
                            "labeled_examples": 3_000})
    assert rec["approach"] == "stronger_base_model"
    said = "We fine-tuned three LoRAs and all of them still lose to GPT-4 with a good prompt."
    assert "base_model_gap" in extract(said, asked="problem").facts()["problem"]


def test_preference_pairs_after_partial_prompting_recommend_preference_tuning():
    # seed 003: DPO "when you want to shape model behavior based on preference rankings rather than single answers"
    for prompting in ("basic", "tried"):
        rec = engine.recommend({"problem": ["tone"], "prompting_tried": prompting, "labeled_examples": 0,
                                "preference_data": 10_000})
        assert rec["approach"] == "preference_tuning", prompting
    # a hedge is a partial outcome of serious prompting, not a lesser effort
    said = "Extensively: structured prompts and few-shot. It helped a bit, sort of."
    assert extract(said, asked="prompting_tried").facts()["prompting_tried"] == "tried"
