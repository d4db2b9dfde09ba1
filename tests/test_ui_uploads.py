"""Upload limits: only data files, only text, only up to the size limit; kept files land under
TUNEWISE_HOME/uploads/<conversation>/<time>/ with their own name, and nothing refused is kept."""

from __future__ import annotations

from ui import uploads


def test_a_jsonl_file_is_kept_under_the_conversations_upload_folder(tmp_path, tunewise_home):
    src = tmp_path / "my data.jsonl"
    src.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    kept = uploads.accept(src, src.name, "conv1")
    assert kept.ok and kept.path.read_text(encoding="utf-8") == src.read_text(encoding="utf-8")
    assert kept.path.parent.parent == tunewise_home / "uploads" / "conv1"
    assert kept.path.name == "my_data.jsonl"
    again = uploads.accept(src, src.name, "conv1")
    assert again.path != kept.path and kept.path.exists(), "a re-upload never overwrites the earlier file"


def test_binary_content_is_refused_even_with_a_data_extension(tmp_path, tunewise_home):
    src = tmp_path / "data.jsonl"
    src.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)))  # a zip renamed
    refused = uploads.accept(src, src.name, "conv1")
    assert not refused.ok and "binary" in refused.refused and refused.path is None
    latin1 = tmp_path / "notes.txt"
    latin1.write_bytes("caf\xe9 au lait\n".encode("latin-1") * 10)
    assert "binary" in uploads.accept(latin1, latin1.name, "conv1").refused, "invalid UTF-8 is refused too"
    assert not any((tunewise_home / "uploads").rglob("*.*"))


def test_a_utf8_character_cut_by_the_probe_is_still_text(tmp_path, tunewise_home):
    src = tmp_path / "long.txt"
    src.write_bytes(b"a" * (uploads.PROBE_BYTES - 1) + "é".encode("utf-8") + b"\n")
    assert uploads.accept(src, src.name, "c").ok


def test_other_types_and_empty_or_oversized_files_are_refused_with_the_limit_named(tmp_path, tunewise_home,
                                                                                      monkeypatch):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    assert "`.exe` is not a data file" in uploads.accept(exe, exe.name, "c").refused
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "empty" in uploads.accept(empty, empty.name, "c").refused
    monkeypatch.setenv("TUNEWISE_MAX_UPLOAD_MB", "0.001")  # 1 KiB (1,048 bytes)
    big = tmp_path / "big.csv"
    big.write_text("prompt,completion\n" + "q,a\n" * 400, encoding="utf-8")
    refused = uploads.accept(big, big.name, "c")
    assert "1.6 KiB, over the 1.0 KiB upload limit" in refused.refused


def test_the_limit_defaults_to_100_mib_and_ignores_a_malformed_setting(monkeypatch):
    monkeypatch.delenv("TUNEWISE_MAX_UPLOAD_MB", raising=False)
    assert uploads.max_upload_bytes() == 100 * 2**20
    monkeypatch.setenv("TUNEWISE_MAX_UPLOAD_MB", "lots")
    assert uploads.max_upload_bytes() == 100 * 2**20
