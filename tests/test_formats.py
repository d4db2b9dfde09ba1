"""Every data format users already have: a realistic file written here is recognised (the report names its
format), validates, and trains the tiny random model for a few steps through the real SFT recipe."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import shutil
from pathlib import Path

import pytest

from trainer import sft
from trainer.config import parse_config
from trainer.datasets import DataError, encode, encode_messages, read_file, validate_file
from trainer.progress import read_jsonl

TOPICS = ["tides", "volcanoes", "compilers", "sourdough", "glaciers", "orbits", "ferns", "routers", "chess", "bees"]

# A ChatML template that renders tools and tool calls (the bundled SmolLM2 template drops them), so tool-call
# conversations can be trained through "the tokenizer's own chat template" in the test.
TOOLS_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\nTools:\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}<|im_end|>\n"
    "{% endif %}"
    "{%- for m in messages %}"
    "{%- if m.role == 'assistant' and m.tool_calls %}<|im_start|>assistant\n{% if m.content %}{{ m.content }}\n"
    "{% endif %}{% for c in m.tool_calls %}<tool_call>{{ {'name': c.function.name, 'arguments': c.function.arguments}"
    " | tojson }}</tool_call>\n{% endfor %}<|im_end|>\n"
    "{%- else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                                  "parameters": {"type": "object",
                                                                 "properties": {"city": {"type": "string"}}}}}


def qa(i: int) -> tuple[str, str]:
    r = random.Random(i)
    topic = TOPICS[i % len(TOPICS)]
    return (f"In two sentences, what should a beginner know about {topic} (case {i})?",
            f"{topic.capitalize()} follow a few simple rules. Start with rule {r.randint(1, 9)} and practise daily.")


N = 24


def openai_chat() -> list[dict]:
    rows = []
    for i in range(N):
        q, a = qa(i)
        rows.append({"messages": [{"role": "system", "content": "You are a patient tutor."},
                                  {"role": "user", "content": q},
                                  {"role": "assistant", "content": "An early draft answer.", "weight": 0},
                                  {"role": "user", "content": "Better, please."},
                                  {"role": "assistant", "content": a, "weight": 1}]})
    return rows


def tool_calls() -> list[dict]:
    rows = []
    for i in range(N):
        city = f"{TOPICS[i % 10].capitalize()}ville"
        rows.append({"tools": [WEATHER_TOOL], "messages": [
            {"role": "user", "content": f"Should I take an umbrella in {city} today ({i})?"},
            {"role": "assistant", "content": None, "tool_calls": [{"id": f"call_{i}", "type": "function", "function": {
                "name": "get_weather", "arguments": json.dumps({"city": city})}}]},
            {"role": "tool", "tool_call_id": f"call_{i}", "content": json.dumps({"rain_mm": i % 4})},
            {"role": "assistant", "content": "Yes, take one." if i % 4 else "No, it stays dry."}]})
    return rows


def sharegpt(with_tools: bool = False) -> list[dict]:
    rows = []
    for i in range(N):
        q, a = qa(i)
        turns = [{"from": "system", "value": "Answer briefly."}, {"from": "human", "value": q}]
        if with_tools:
            call = {"name": "get_weather", "arguments": {"city": "Oslo"}}
            turns += [{"from": "function_call", "value": json.dumps(call)},
                      {"from": "observation", "value": json.dumps({"rain_mm": i})}]
        turns.append({"from": "gpt", "value": a})
        row = {"conversations": turns}
        if with_tools:
            row["tools"] = json.dumps([WEATHER_TOOL])
        rows.append(row)
    return rows


def alpaca() -> list[dict]:
    return [{"instruction": qa(i)[0], "input": "" if i % 2 else f"Audience: class {i}", "output": qa(i)[1]}
            for i in range(N)]


def prompt_completion() -> list[dict]:
    return [{"prompt": qa(i)[0], "completion": qa(i)[1]} for i in range(N)]


def question_answer() -> list[dict]:  # a JSON array of records with its own column names (needs a mapping)
    return [{"id": i, "question": qa(i)[0], "answer": qa(i)[1], "source": "faq"} for i in range(N)]


def jsonl_bytes(rows) -> bytes:
    return ("\n".join(json.dumps(r) for r in rows) + "\n").encode()


def json_array_bytes(rows) -> bytes:
    return json.dumps(rows, indent=2).encode()  # pretty-printed, as alpaca_data.json is


def delimited_bytes(rows, delimiter: str) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def parquet_bytes(rows) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


# (file name, bytes, mapping, expected shape, expected container, words the label must hold, needs a tools template)
CASES = [
    ("chat.jsonl", lambda: jsonl_bytes(openai_chat()), None, "messages", "jsonl", "OpenAI chat", False),
    ("tools.jsonl", lambda: jsonl_bytes(tool_calls()), None, "messages", "jsonl", "OpenAI chat", True),
    ("sharegpt.json", lambda: json_array_bytes(sharegpt()), None, "sharegpt", "json", "ShareGPT", False),
    ("sharegpt_tools.jsonl", lambda: jsonl_bytes(sharegpt(True)), None, "sharegpt", "jsonl", "ShareGPT", True),
    ("alpaca_data.json", lambda: json_array_bytes(alpaca()), None, "alpaca", "json", "Alpaca", False),
    ("alpaca.jsonl", lambda: jsonl_bytes(alpaca()), None, "alpaca", "jsonl", "Alpaca", False),
    ("pc.json", lambda: json_array_bytes(prompt_completion()), None, "prompt_completion", "json", "prompt/completion",
     False),
    ("pc.jsonl", lambda: jsonl_bytes(prompt_completion()), None, "prompt_completion", "jsonl", "prompt/completion",
     False),
    ("faq.json", lambda: json_array_bytes(question_answer()), {"prompt": "question", "completion": "answer"},
     "prompt_completion", "json", "JSON array", False),
    ("faq.csv", lambda: delimited_bytes(question_answer(), ","), {"prompt": "question", "completion": "answer"},
     "prompt_completion", "csv", "CSV", False),
    ("pc.tsv", lambda: delimited_bytes(prompt_completion(), "\t"), None, "prompt_completion", "tsv", "TSV", False),
    ("pc_semicolon.csv", lambda: delimited_bytes(prompt_completion(), ";"), None, "prompt_completion", "csv", "CSV",
     False),
    ("alpaca.parquet", lambda: parquet_bytes(alpaca()), None, "alpaca", "parquet", "Parquet", False),
    ("chat.parquet", lambda: parquet_bytes(openai_chat()), None, "messages", "parquet", "Parquet", False),
    ("chat.jsonl.gz", lambda: gzip.compress(jsonl_bytes(openai_chat())), None, "messages", "jsonl", "gzip", False),
    ("alpaca.json.gz", lambda: gzip.compress(json_array_bytes(alpaca())), None, "alpaca", "json", "gzip", False),
    ("pc.tsv.gz", lambda: gzip.compress(delimited_bytes(prompt_completion(), "\t")), None, "prompt_completion", "tsv",
     "gzip", False),
    ("faq.csv.gz", lambda: gzip.compress(delimited_bytes(question_answer(), ",")),
     {"prompt": "question", "completion": "answer"}, "prompt_completion", "csv", "gzip", False),
]


@pytest.fixture(scope="module")
def tools_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """The tiny model with a tool-aware chat template (its weights and vocabulary unchanged)."""
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("tiny-tools-model")
    shutil.copytree(tiny_model_dir, folder, dirs_exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = TOOLS_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


def train_config(model_dir: Path, data: Path, mapping) -> object:
    return parse_config({
        "kind": "sft",
        "model": {"base": str(model_dir), "max_seq_len": 128},
        "data": {"train": str(data), "columns": mapping},
        "lora": {"r": 4, "alpha": 8},
        "training": {"max_steps": 3, "learning_rate": 1e-2, "batch_size": 4, "eval_every": 3, "save_every": 3},
        "eval": {"enabled": False},
    })


@pytest.mark.parametrize("name, make, mapping, shape, container, label_words, needs_tools", CASES,
                         ids=[c[0] for c in CASES])
def test_a_realistic_file_in_each_format_validates_names_its_format_and_trains(
        tmp_path, tiny_model_dir, tools_model_dir, name, make, mapping, shape, container, label_words, needs_tools):
    from transformers import AutoTokenizer

    path = tmp_path / name
    path.write_bytes(make())
    model_dir = tools_model_dir if needs_tools else tiny_model_dir
    report = validate_file(path, columns=mapping, tokenizer=AutoTokenizer.from_pretrained(model_dir), max_seq_len=128)
    data = report.to_dict()
    assert report.ok, data["errors"]
    assert (data["format"], data["container"]) == (shape, container)
    assert label_words in data["format_label"]
    assert data["stats"]["examples"] == N and data["stats"]["unique_examples"] == N
    if needs_tools:
        assert data["stats"]["tool_call_examples"] == N
    result = sft.run(train_config(model_dir, path, mapping), tmp_path / "run")
    losses = [r["loss"] for r in read_jsonl(tmp_path / "run" / "metrics.jsonl") if r.get("loss") is not None]
    assert len(losses) == 3 and all(loss > 0 for loss in losses)  # three real optimizer steps on this file's rows
    assert result["train_examples"] > 0


def test_an_unrecognised_json_array_gets_a_mapping_proposal_not_row_errors(tmp_path):
    path = tmp_path / "faq.json"
    path.write_bytes(json_array_bytes(question_answer()))
    data = validate_file(path).to_dict()
    assert [e["code"] for e in data["errors"]] == ["unmapped_columns"]
    assert data["proposed_mapping"] == {"prompt": "question", "completion": "answer"}
    assert data["proposed_mapping_text"] == "question → prompt, answer → completion?"
    assert "--map prompt=question,completion=answer" in data["errors"][0]["message"]


def test_a_weight_zero_turn_stays_in_the_context_but_is_not_trained(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    messages = openai_chat()[0]["messages"]
    enc = encode_messages(tokenizer, messages, 1024)
    trained = tokenizer.decode([t for t, label in zip(enc.input_ids, enc.labels) if label != -100])
    assert "An early draft answer." in tokenizer.decode(enc.input_ids)
    assert trained == messages[-1]["content"] + "<|im_end|>\n"


def test_tool_calls_with_a_template_that_cannot_render_them_are_an_error_naming_the_template(tmp_path, tiny_model_dir):
    from transformers import AutoTokenizer

    path = tmp_path / "tools.jsonl"
    path.write_bytes(jsonl_bytes(tool_calls()))
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    report = validate_file(path, tokenizer=tokenizer)
    assert {e.code for e in report.errors} == {"tools_unsupported"}
    assert str(tiny_model_dir) in report.errors[0].message and report.errors[0].line == 1
    with pytest.raises(DataError) as info:
        encode(tokenizer, read_file(path).examples[0], 256)
    assert info.value.code == "tools_unsupported" and "chat template of" in str(info.value)


def test_tool_calls_render_through_a_template_that_supports_them(tools_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tools_model_dir)
    row = tool_calls()[1]
    enc = encode(tokenizer, read_file_rows([row])[0], 1024)
    text = tokenizer.decode(enc.input_ids)
    trained = tokenizer.decode([t for t, label in zip(enc.input_ids, enc.labels) if label != -100])
    assert '"get_weather"' in text and '"rain_mm": 1' in text
    # both assistant turns are trained: the call itself and the final answer; the tool's reply is not
    assert '<tool_call>{"name": "get_weather"' in trained and "Yes, take one." in trained and "rain_mm" not in trained


def read_file_rows(rows):
    from trainer.formats.example import Issue
    from trainer.formats.shapes import to_example

    errors: list[Issue] = []
    examples = [to_example(r, "messages", i + 1, errors) for i, r in enumerate(rows)]
    assert not errors
    return examples
