"""The corpus reader: which files count, how bad files are reported, and how text becomes packed blocks."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from trainer.corpus import (CorpusError, PackedBlocks, check_enough_tokens, load_tokens, scan_corpus, split_blocks,
                            text_blocks, tokenize_to_file)
from trainer.tokenizer_train import train_tokenizer

SUBJECTS = ["The lessee", "The lessor", "The tenant", "The landlord", "The guarantor", "Each party", "The agent"]
VERBS = ["shall pay", "must deliver", "may terminate", "shall indemnify", "will notify", "shall insure", "may assign"]
OBJECTS = ["the rent", "the premises", "the deposit", "the agreement", "all notices", "the keys", "the inventory"]
TAILS = ["within thirty days.", "before the end of the term.", "in writing.", "without delay.",
         "as set out in clause {n}.", "under schedule {n}.", "subject to clause {n}."]


@pytest.fixture
def one_torch_thread():
    """Train with one intra-op thread: on 2 cores shared with other jobs, torch's second spinning thread makes a
    tiny model's step ~20× slower (measured 20 ms vs 410 ms), and a 0.1 M-parameter model gains nothing from it.
    Test modules that train use it with `pytestmark = pytest.mark.usefixtures("one_torch_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def domain_sentences(n: int, seed: int = 0) -> list[str]:
    """Template sentences of a toy lease vocabulary: predictable enough that a few training steps learn them."""
    rng = random.Random(seed)
    return [" ".join([rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS),
                      rng.choice(TAILS).format(n=rng.randint(1, 12))]) for _ in range(n)]


def write_domain_corpus(folder: Path, files: int = 4, lines: int = 60, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (folder / f"lease-{i}.txt").write_text("\n".join(domain_sentences(lines, seed + i)) + "\n")
    return folder


@pytest.fixture(scope="module")
def bpe(tmp_path_factory):
    """A 300-token BPE tokenizer trained on the toy corpus (a second, no tokenizer download)."""
    from trainer.corpus import scan_corpus as scan

    root = write_domain_corpus(tmp_path_factory.mktemp("bpe-corpus"))
    files, _ = scan(root)
    return train_tokenizer(files, 300, tmp_path_factory.mktemp("bpe"))


def test_a_folder_mixes_text_and_jsonl_and_skips_hidden_files(tmp_path):
    (tmp_path / "a.txt").write_text("plain text\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("# notes\n")
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": "row one"}) + "\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: x\n")
    files, warnings = scan_corpus(tmp_path)
    assert [(f.path.name, f.format) for f in files] == [("a.txt", "text"), ("c.jsonl", "jsonl"), ("b.md", "text")]
    assert warnings == []


def test_empty_files_are_skipped_with_a_warning_that_names_them(tmp_path):
    (tmp_path / "good.txt").write_text("some text\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("\n \n")
    files, warnings = scan_corpus(tmp_path)
    assert [f.path.name for f in files] == ["good.txt"]
    assert "skipped 2 empty file(s)" in warnings[0] and "blank.txt" in warnings[0] and "empty.txt" in warnings[0]


def test_a_binary_file_in_a_corpus_folder_is_an_error_that_says_what_to_do(tmp_path):
    (tmp_path / "good.txt").write_text("some text\n")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\x00\x01\x02binary")
    with pytest.raises(CorpusError) as err:
        scan_corpus(tmp_path)
    message = str(err.value)
    assert "scan.pdf" in message and "convert them to text" in message and "skip_unreadable_files" in message
    assert err.value.code == "binary_file" and err.value.param == "data.train"


def test_binary_files_can_be_skipped_on_request(tmp_path):
    (tmp_path / "good.txt").write_text("some text\n")
    (tmp_path / "image.png").write_bytes(bytes(range(256)) * 4)
    files, warnings = scan_corpus(tmp_path, skip_unreadable=True)
    assert [f.path.name for f in files] == ["good.txt"] and "image.png" in warnings[0]


def test_a_folder_with_no_text_at_all_is_an_error(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(CorpusError, match="holds no text files") as err:
        scan_corpus(tmp_path)
    assert err.value.code == "empty_corpus"


def test_a_missing_corpus_says_what_a_corpus_can_be(tmp_path):
    with pytest.raises(CorpusError, match="does not exist.*folder of text files"):
        scan_corpus(tmp_path / "nope")


def test_a_jsonl_row_without_text_is_located(tmp_path, bpe):
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "fine"}) + "\n" + json.dumps({"prompt": "x"}) + "\n")
    files, _ = scan_corpus(path)
    with pytest.raises(CorpusError, match=r"rows.jsonl, line 2: no string `text` field"):
        tokenize_to_file(files, bpe, tmp_path / "t.bin")


def test_documents_are_packed_with_one_eos_each_and_only_the_last_block_is_padded(tmp_path, bpe):
    docs = tmp_path / "docs.jsonl"
    texts = domain_sentences(30)
    docs.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    files, _ = scan_corpus(docs)
    stats = tokenize_to_file(files, bpe, tmp_path / "tokens.bin")
    tokens = load_tokens(tmp_path / "tokens.bin")
    expected = sum(len(bpe(t, add_special_tokens=False)["input_ids"]) + 1 for t in texts)
    assert stats.tokens == len(tokens) == expected and stats.documents == 30
    assert int((np.asarray(tokens) == bpe.eos_token_id).sum()) == 30
    block = 16
    blocks = PackedBlocks(tokens, list(range(0, len(tokens), block)), block, bpe.pad_token_id)
    last = blocks[len(blocks) - 1]
    real_in_last = len(tokens) % block or block
    assert int(last["attention_mask"].sum()) == real_in_last
    assert (last["labels"][real_in_last:] == -100).all()
    assert all(int(blocks[i]["attention_mask"].sum()) == block for i in range(len(blocks) - 1))
    # efficiency: every slot but the last block's tail holds a real token
    assert stats.packed_efficiency(block) == pytest.approx(len(tokens) / (len(blocks) * block))
    assert stats.packed_efficiency(block) > stats.unpacked_efficiency(block)  # ~13-token sentences waste 16-blocks


def test_the_token_file_is_reused_when_it_exists(tmp_path, bpe):
    root = write_domain_corpus(tmp_path / "c", files=1, lines=5)
    files, _ = scan_corpus(root)
    first = tokenize_to_file(files, bpe, tmp_path / "t.bin")
    stamp = (tmp_path / "t.bin").stat().st_mtime_ns
    again = tokenize_to_file(files, bpe, tmp_path / "t.bin")
    assert again.tokens == first.tokens and (tmp_path / "t.bin").stat().st_mtime_ns == stamp


def test_held_out_blocks_are_disjoint_from_training_blocks_and_nothing_is_dropped():
    train, held = split_blocks(1000, 64, 0.2, seed=0)
    assert set(train).isdisjoint(held)
    assert sorted(train + held) == list(range(0, 1000, 64))  # 15 full blocks + the padded tail 960..999
    assert len(held) == 3 and 960 in train  # round(15 × 0.2) = 3 held out; the partial block trains
    assert split_blocks(1000, 64, 0.2, seed=0) == (train, held)


def test_a_corpus_too_small_for_one_block_says_what_to_change():
    with pytest.raises(CorpusError) as err:
        check_enough_tokens(300, 256)
    message = str(err.value)
    assert "300 tokens" in message and "Add more text" in message and "at most 150" in message
    assert err.value.code == "corpus_too_small" and err.value.param == "pretrain.block_size"


def test_a_vocabulary_larger_than_the_corpus_supports_names_the_size_it_supports(tmp_path):
    root = write_domain_corpus(tmp_path / "c", files=1, lines=40)
    files, _ = scan_corpus(root)
    with pytest.raises(CorpusError) as err:
        train_tokenizer(files, 5000, tmp_path / "tok")
    message = str(err.value)
    assert "supports a vocabulary of only" in message and "pretrain.vocab_size = 5,000" in message
    assert err.value.code == "vocab_too_large" and err.value.param == "pretrain.vocab_size"
    supported = int(message.split("only ")[1].split(" ")[0].replace(",", ""))
    assert 258 <= supported < 5000
    assert len(train_tokenizer(files, supported, tmp_path / "tok2")) == supported  # the size it names works


def test_in_memory_text_blocks_cover_every_paragraph(bpe):
    blocks = text_blocks("first paragraph.\n\nsecond one.\n", bpe, 8)
    assert blocks.real_tokens() == len(blocks.tokens) and int((blocks.tokens == bpe.eos_token_id).sum()) == 2


def test_corpus_problems_are_located_for_the_job_system_before_any_training(tmp_path):
    from trainer.config import parse_config
    from trainer.corpus import corpus_problems

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "good.txt").write_text("text\n")
    (tmp_path / "c" / "blob.bin").write_bytes(b"\x00\x01")
    config = parse_config({"kind": "pretraining", "data": {"train": str(tmp_path / "c")}})
    (problem,) = corpus_problems(config)
    assert problem["code"] == "binary_file" and problem["field"] == "data.train" and "blob.bin" in problem["message"]
    config.pretrain.skip_unreadable_files = True
    assert corpus_problems(config) == []
