"""Data loading, validation and splitting: every error and warning code, located, for the whole file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.datasets import DataError, detect_format, encode, encode_messages, read_file, validate_file
from trainer.splits import split_examples


def chat(i: int, answer: str | None = None) -> dict:
    return {"messages": [{"role": "user", "content": f"Question number {i}?"},
                         {"role": "assistant", "content": answer or f"Answer number {i}."}]}


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def codes(report) -> dict[int | None, set[str]]:
    found: dict[int | None, set[str]] = {}
    for e in report.errors:
        found.setdefault(e.line, set()).add(e.code)
    return found


def test_every_row_error_is_reported_with_its_line_in_one_pass(tmp_path):
    # one file, one mistake per line: the report must name all of them, not stop at the first
    path = tmp_path / "bad.jsonl"
    good = [json.dumps(chat(i)) for i in range(12)]
    bad = [
        '{"messages": [',                                                            # 13 invalid_json
        '["a list"]',                                                                # 14 not_an_object
        '{"conversation": []}',                                                      # 15 missing_messages + unknown_key
        '{"messages": [{"content": "hi"}, {"role": "assistant", "content": "x"}]}',  # 16 missing_role
        '{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}',   # 17 missing_content
        '{"messages": [{"role": "wizard", "content": "hi"}]}',                       # 18 unknown_role
        '{"messages": [{"role": "user", "content": 42}, {"role": "assistant", "content": "x"}]}',  # 19 non_string
        '{"messages": [{"role": "user", "content": "hi"}]}',                         # 20 no_assistant_message
        '{"messages": [{"role": "user", "content": "hi", "lang": "en"}, {"role": "assistant", "content": "x"}]}',  # 21
    ]
    path.write_bytes(("\n".join(good + bad) + "\n").encode() + b'{"messages": "\xff\xfe"}\n')  # 22 not_utf8
    report = validate_file(path)
    found = codes(report)
    assert not report.ok
    assert found[13] == {"invalid_json"}
    assert found[14] == {"not_an_object"}
    assert found[15] == {"missing_messages", "unknown_key"}
    assert found[16] == {"missing_role"}
    assert found[17] == {"missing_content"}
    assert found[18] == {"unknown_role"}
    assert found[19] == {"non_string_content"}
    assert found[20] == {"no_assistant_message"}
    assert found[21] == {"unknown_key"}
    assert found[22] == {"not_utf8"}
    assert report.stats["examples"] == 12  # the good rows are still parsed
    assert report.to_dict()["errors"][0] == {"line": 13, "code": "invalid_json",
                                             "message": report.errors[0].message}


def test_fewer_than_ten_examples_is_an_error(tmp_path):
    report = validate_file(write_jsonl(tmp_path / "small.jsonl", [chat(i) for i in range(9)]))
    assert [e.code for e in report.errors] == ["too_few_examples"]
    assert report.errors[0].line is None


def test_preference_rows_missing_a_field_are_located(tmp_path):
    rows = [{"prompt": f"p{i}", "chosen": "good", "rejected": "bad"} for i in range(10)]
    rows.append({"prompt": "p", "chosen": "good"})
    report = validate_file(write_jsonl(tmp_path / "pref.jsonl", rows))
    assert report.format == "preference"
    assert [(e.line, e.code) for e in report.errors] == [(11, "missing_preference_field")]


def test_binary_file_is_one_error_not_a_traceback(tmp_path):
    path = tmp_path / "model.jsonl"
    path.write_bytes(b"PK\x03\x04\x00\x00binary zip header" * 20)
    report = validate_file(path)
    assert [(e.line, e.code) for e in report.errors] == [(None, "binary_data")]  # the whole file, named by its magic
    assert "zip" in report.errors[0].message


def test_missing_empty_and_oversized_files_are_errors(tmp_path):
    assert validate_file(tmp_path / "nope.jsonl").errors[0].code == "file_not_found"
    (tmp_path / "empty.jsonl").write_text("")
    assert validate_file(tmp_path / "empty.jsonl").errors[0].code == "empty_file"
    big = write_jsonl(tmp_path / "big.jsonl", [chat(i) for i in range(20)])
    assert validate_file(big, max_bytes=100).errors[0].code == "file_too_large"


def test_unknown_forced_format_is_a_data_error():
    with pytest.raises(DataError) as info:
        read_file(__file__, format="parquet")
    assert info.value.code == "unknown_format" and info.value.param == "data.format"


@pytest.mark.parametrize("row, fmt", [
    (chat(0), "messages"),
    ({"prompt": "p", "completion": "c"}, "prompt_completion"),
    ({"instruction": "i", "input": "x", "output": "o"}, "alpaca"),
    ({"prompt": "p", "chosen": "c", "rejected": "r"}, "preference"),
    ({"text": "some text"}, "text"),
])
def test_format_is_detected_from_the_first_object(tmp_path, row, fmt):
    assert detect_format(write_jsonl(tmp_path / "d.jsonl", [row])) == fmt


def test_alpaca_and_prompt_completion_become_chat_messages(tmp_path):
    rows = [{"instruction": f"Translate {i}", "input": "chat", "output": "cat", "system": "Be terse."}
            for i in range(10)]
    report = validate_file(write_jsonl(tmp_path / "a.jsonl", rows), keep_examples=True)
    assert report.ok and report.format == "alpaca"
    assert report.examples[0].messages == [{"role": "system", "content": "Be terse."},
                                           {"role": "user", "content": "Translate 0\n\nchat"},
                                           {"role": "assistant", "content": "cat"}]
    forced = validate_file(write_jsonl(tmp_path / "b.jsonl", rows), format="prompt_completion")
    assert {e.code for e in forced.errors} == {"missing_field", "unknown_key"}  # forcing a wrong format is caught


def test_csv_with_a_column_mapping(tmp_path):
    path = tmp_path / "qa.csv"
    lines = ["question,answer,notes"] + [f'"What is {i}, really?",It is {i}.,x' for i in range(11)]
    lines.append("Empty answer here,,x")
    path.write_text("\n".join(lines) + "\n")
    report = validate_file(path, columns={"prompt": "question", "completion": "answer"}, keep_examples=True)
    assert report.format == "prompt_completion" and report.to_dict()["container"] == "csv"
    assert len(report.examples) == 11
    assert report.examples[0].messages[0] == {"role": "user", "content": "What is 0, really?"}
    assert [(e.line, e.code) for e in report.errors] == [(13, "missing_field")]
    wrong = validate_file(path, columns={"prompt": "q", "completion": "answer"})
    assert [(e.line, e.code) for e in wrong.errors] == [(1, "missing_column")]
    assert "'q'" in wrong.errors[0].message and "question, answer, notes" in wrong.errors[0].message


def test_plain_text_is_split_into_documents_at_blank_lines(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("First doc line one.\nline two.\n\n\nSecond doc.\n")
    report = validate_file(path, keep_examples=True)
    assert report.ok and report.format == "text"
    assert [(e.line, e.text) for e in report.examples] == [(1, "First doc line one.\nline two."), (5, "Second doc.")]


def test_warnings_few_examples_duplicates_truncation_and_no_trainable_tokens(tmp_path, tokenizer):
    rows = [chat(i) for i in range(20)]
    rows += [chat(3), chat(7)]  # lines 21, 22 repeat lines 4 and 8
    long_prompt = {"messages": [{"role": "user", "content": "word " * 200}, {"role": "assistant", "content": "ok"}]}
    rows.append(long_prompt)  # line 23: the prompt alone exceeds 64 tokens, so no answer token survives
    report = validate_file(write_jsonl(tmp_path / "w.jsonl", rows), tokenizer=tokenizer, max_seq_len=64)
    assert report.ok
    warnings = {w.code: w for w in report.warnings}
    assert "200-500" in warnings["few_examples"].message
    assert warnings["duplicates"].count == 2 and warnings["duplicates"].lines == [21, 22]
    assert warnings["truncated"].lines == [23]
    assert warnings["no_trainable_tokens"].lines == [23]
    stats = report.stats
    assert stats["truncated"] == 1 and stats["length_tokens"]["max"] > 200
    assert 0 < stats["trained_share"] < 0.5  # SmolLM2's template adds a default system prompt to every example
    # the streamed estimate (content tokens + the template's measured tokens per turn pattern) equals an exact
    # render of every example on ordinary chat rows
    examples = read_file(tmp_path / "w.jsonl").examples
    assert stats["tokens"] == sum(encode(tokenizer, e, 64).full_length for e in examples)


def test_a_test_file_overlapping_training_above_one_percent_is_an_error_with_its_lines(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", [chat(i) for i in range(20)])
    test = write_jsonl(tmp_path / "test.jsonl", [chat(5, "a different answer"), chat(100)])
    report = validate_file(train, test=test)
    overlap = [e for e in report.errors if e.code == "split_overlap"]
    # same prompt as train line 6, answered differently: 1 of 2 test rows (50 %) is far over the 1 % threshold
    assert len(overlap) == 1 and "lines 1 of the test file" in overlap[0].message
    assert report.stats["test_examples"] == 2


def test_a_test_file_overlapping_training_below_one_percent_is_a_warning(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", [chat(i) for i in range(20)])
    # 1 of 200 test prompts (0.5 %) repeats training line 4 once case and spacing are folded
    rows = [chat(1000 + i) for i in range(199)] + [{"messages": [{"role": "user", "content": "QUESTION  number 3?"},
                                                                 {"role": "assistant", "content": "x"}]}]
    report = validate_file(train, test=write_jsonl(tmp_path / "test.jsonl", rows))
    assert report.ok
    overlap = [w for w in report.warnings if w.code == "split_overlap"]
    assert len(overlap) == 1 and overlap[0].lines == [200]


def test_loss_mask_covers_assistant_turns_only(tokenizer):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello there!"}, {"role": "user", "content": "Bye"},
                {"role": "assistant", "content": "Goodbye."}]
    enc = encode_messages(tokenizer, messages, 1024)
    trained = tokenizer.decode([t for t, label in zip(enc.input_ids, enc.labels) if label != -100])
    # both answers and their end-of-turn tokens, nothing from the system or user turns
    assert trained == "Hello there!<|im_end|>\nGoodbye.<|im_end|>\n"


def test_split_is_seeded_80_10_10_and_keeps_a_prompt_on_one_side(tmp_path):
    rows = [chat(i) for i in range(100)] + [chat(i, "another answer") for i in range(10)]
    examples = read_file(write_jsonl(tmp_path / "s.jsonl", rows)).examples
    train, val, test = split_examples(examples, (0.8, 0.1, 0.1), seed=3)
    assert (len(train), len(val), len(test)) != (0, 0, 0)
    assert sum(map(len, (train, val, test))) == 110
    groups = [{e.prompt_key() for e in part} for part in (train, val, test)]
    assert not (groups[0] & groups[1]) and not (groups[0] & groups[2]) and not (groups[1] & groups[2])
    assert [len(g) for g in groups] == [80, 10, 10]  # 100 distinct prompts
    again = split_examples(list(reversed(examples)), (0.8, 0.1, 0.1), seed=3)
    assert {e.line for e in again[2]} == {e.line for e in test}  # independent of file order
    other = split_examples(examples, (0.8, 0.1, 0.1), seed=4)
    assert {e.line for e in other[2]} != {e.line for e in test}


def test_csv_line_numbers_stay_right_after_an_undecodable_line(tmp_path):
    path = tmp_path / "qa.csv"
    body = b"prompt,completion\n" + b"".join(f"q{i},a{i}\n".encode() for i in range(12))
    body += b"caf\xe9,latin-1 text\n" + b"q,\n"  # line 14 is not UTF-8, line 15 has an empty answer
    path.write_bytes(body)
    report = validate_file(path)
    assert [(e.line, e.code) for e in report.errors] == [(14, "not_utf8"), (15, "missing_field")]
