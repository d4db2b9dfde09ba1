"""`tunewise validate-data FILE --json`: the DESIGN.md contract, exit status 0/1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trainer.validate import inspect_dataset
from ui.cli import main


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def good_rows(n: int) -> list[str]:
    return [json.dumps({"prompt": f"Capital of country {i}?", "completion": f"City {i}."}) for i in range(n)]


def run_cli(capsys, *argv) -> tuple[int, dict]:
    status = main(["validate-data", *map(str, argv), "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out)


def test_a_clean_file_exits_0_with_the_contract_keys(tmp_path, capsys, tiny_model_dir):
    status, report = run_cli(capsys, write(tmp_path / "ok.jsonl", good_rows(120)), "--base-model", tiny_model_dir)
    assert status == 0
    assert {"ok", "format", "rows", "errors", "warnings", "stats"} <= set(report)
    assert report["ok"] is True and report["format"] == "prompt_completion" and report["rows"] == 120
    assert report["errors"] == [] and report["warnings"] == []  # 120 distinct examples: nothing to warn about
    stats = report["stats"]
    assert stats["examples"] == 120 and stats["tokens"] > 120 * 10
    assert set(stats["length_tokens"]) == {"min", "p50", "p90", "p95", "p99", "max", "mean"}
    assert 0 < stats["trained_share"] < 1


def test_a_broken_file_exits_1_with_every_located_error(tmp_path, capsys, tiny_model_dir):
    lines = good_rows(12) + ["not json", json.dumps({"prompt": "only a prompt"}), "[1, 2]"]
    status, report = run_cli(capsys, write(tmp_path / "bad.jsonl", lines), "--base-model", tiny_model_dir)
    assert status == 1 and report["ok"] is False
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (13, "invalid_json"), (14, "missing_field"), (15, "not_an_object")]
    assert all(e["message"] for e in report["errors"])


@pytest.mark.parametrize("argv", [
    ["/no/such/file.jsonl"],
    ["{file}", "--format", "parquet"],
])
def test_user_mistakes_exit_1_without_a_traceback(tmp_path, capsys, argv, tiny_model_dir):
    data = write(tmp_path / "ok.jsonl", good_rows(12))
    status, report = run_cli(capsys, *[a.format(file=data) for a in argv], "--base-model", tiny_model_dir)
    assert status == 1 and report["errors"][0]["code"] in ("file_not_found", "unknown_format")


def test_a_malformed_column_mapping_is_one_sentence(tmp_path, capsys):
    data = tmp_path / "qa.csv"
    data.write_text("q,a\nx,y\n")
    status = main(["validate-data", str(data), "--columns", "prompt:q"])
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --map") and "ROLE=COLUMN" in err and "Traceback" not in err


def test_human_output_names_lines(tmp_path, capsys, tiny_model_dir):
    status = main(["validate-data", str(write(tmp_path / "bad.jsonl", good_rows(11) + ["{oops"])),
                   "--base-model", str(tiny_model_dir)])
    assert status == 1
    assert "line 12: invalid JSON" in capsys.readouterr().err


def test_csv_mapping_and_own_test_file_through_the_cli(tmp_path, capsys, tiny_model_dir):
    data = tmp_path / "qa.csv"
    data.write_text("question,answer\n" + "".join(f"Q{i}?,A{i}.\n" for i in range(15)))
    test = write(tmp_path / "test.jsonl", [json.dumps({"prompt": "Q3?", "completion": "A3."})])
    status, report = run_cli(capsys, data, "--map", "prompt=question,completion=answer", "--test", test,
                             "--base-model", tiny_model_dir)
    assert report["format"] == "prompt_completion" and report["container"] == "csv"
    assert report["mapping"] == {"prompt": "question", "completion": "answer"}
    assert [w["code"] for w in report["warnings"]] == ["few_examples"]
    # the one test row repeats training line 5: 100 % of the test file, far over the 1 % threshold
    assert status == 1 and [e["code"] for e in report["errors"]] == ["split_overlap"]


def test_inspect_dataset_without_a_loadable_tokenizer_skips_token_checks(tmp_path):
    report = inspect_dataset(write(tmp_path / "ok.jsonl", good_rows(12)), base_model="no/such-model-offline")
    # a hub id resolves but cannot load offline: the data is still checked, token stats are skipped with a reason
    assert report["ok"] is True
    assert report["warnings"][-1]["code"] == "no_tokenizer"
