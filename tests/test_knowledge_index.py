"""The index's bookkeeping and its behaviour on bad input, over three small guides written by each test (so
nothing here waits for the real corpus to embed; the model itself loads once per session)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from knowledge import embeddings, index as index_module
from knowledge.index import KnowledgeIndex, close_all
from trainer.state.errors import UserError

MINI_GUIDES = {
    "adapters.md": """---
title: Adapters
topics: [lora, cost]
approaches: [lora_finetune]
sources: [000_4dd4242a375791b7.txt]
---
Adapters make tuning cheap.

## Low-rank adapters
LoRA freezes the base weights and trains small low-rank matrices next to them.

## Quantized adapters
QLoRA keeps the frozen base model in four-bit form so large models fit in a small GPU.
""",
    "retrieval.md": """---
title: Retrieval
topics: [rag, freshness]
approaches: [rag]
sources: [002_b05831003daaa4c4.txt]
---
## Fresh facts
Retrieval fetches current documents at question time so answers follow every edit.

## Citations
Each retrieved passage names its source document, which makes answers auditable.
""",
    "forgetting.md": """---
title: Forgetting
topics: [catastrophic forgetting]
approaches: [lora_finetune, full_finetune]
sources: [001_9620dbf17a1b283e.txt]
---
## Symptoms
After narrow training the model answers everyday questions worse than before.
""",
}


def write_guides(folder: Path, guides: dict[str, str] = MINI_GUIDES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in guides.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def guides(tmp_path) -> Path:
    return write_guides(tmp_path / "guides")


@pytest.fixture()
def index(tmp_path, guides) -> KnowledgeIndex:
    built = KnowledgeIndex(tmp_path / "state" / "chroma", guides_dir=guides)
    yield built
    built._forget_client()


@pytest.fixture()
def embedded_texts(monkeypatch) -> list[str]:
    """Every text sent to the embedding model during the test, to prove what was (not) re-embedded."""
    seen: list[str] = []
    real = embeddings.embed

    def counting(texts: list[str]):
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(embeddings, "embed", counting)
    return seen


def _sources(outcome) -> list[str]:
    return [hit["source"] for hit in outcome.results]


# ----- idempotent, incremental rebuilds -----------------------------------------------------------------------


def test_first_build_adds_every_section_and_a_second_build_embeds_nothing(index, embedded_texts):
    first = index.sync_guides()
    assert sorted(first.added) == [
        "adapters/low-rank-adapters", "adapters/overview", "adapters/quantized-adapters",
        "forgetting/symptoms", "retrieval/citations", "retrieval/fresh-facts",
    ]
    embedded_texts.clear()
    second = index.sync_guides()
    assert (second.added, second.updated, second.removed, second.unchanged) == ([], [], [], 6)
    assert embedded_texts == []  # nothing reached the model


def test_editing_one_section_re_embeds_only_that_section(index, guides, embedded_texts):
    index.sync_guides()
    embedded_texts.clear()
    path = guides / "adapters.md"
    path.write_text(path.read_text().replace("small low-rank matrices", "tiny rank-8 matrices"), encoding="utf-8")
    report = index.sync_guides()
    assert report.updated == ["adapters/low-rank-adapters"]
    assert (report.added, report.removed, report.unchanged) == ([], [], 5)
    assert embedded_texts and all("rank-8" in text for text in embedded_texts)
    hit = index.search("rank-8 matrices", k=1).results[0]
    assert "tiny rank-8 matrices" in hit["text"]


def test_deleting_a_guide_removes_its_sections_from_the_index(index, guides):
    index.sync_guides()
    (guides / "forgetting.md").unlink()
    report = index.sync_guides()
    assert report.removed == ["forgetting/symptoms"] and report.unchanged == 5
    assert "forgetting.md" not in _sources(index.search("model got worse at everyday questions", k=5))


def test_dropping_a_topic_from_front_matter_drops_it_from_the_filter(index, guides):
    # Chroma's upsert merges metadata; the index deletes before re-adding so an old topic flag cannot linger.
    index.sync_guides()
    path = guides / "adapters.md"
    path.write_text(path.read_text().replace("topics: [lora, cost]", "topics: [lora]"), encoding="utf-8")
    report = index.sync_guides()
    assert len(report.updated) == 3
    with pytest.raises(UserError, match="unknown topic 'cost'"):
        index.search("cheap tuning", topic="cost")
    assert _sources(index.search("cheap tuning", topic="lora", k=5)) == ["adapters.md"] * 3


def test_search_notices_changed_guides_and_updates_before_answering(index, guides):
    index.search("adapters", k=1)
    (guides / "retrieval.md").write_text(
        MINI_GUIDES["retrieval.md"] + "\n## Access control\nPer-user permissions filter which documents are found.\n",
        encoding="utf-8",
    )
    outcome = index.search("which documents may each user see", k=1)
    assert outcome.results[0]["section"] == "Access control"
    assert any("guides changed" in note and "1 added" in note for note in outcome.notes)


def test_a_fresh_index_builds_itself_on_the_first_search_and_says_so(index):
    outcome = index.search("four-bit base model", k=1)
    assert outcome.results[0]["section"] == "Quantized adapters"
    assert any(note.startswith("built the guidance index: 6 added") for note in outcome.notes)
    assert json.loads(index.manifest_path.read_text())["chunks"] == 6


# ----- filters -------------------------------------------------------------------------------------------------


def test_approach_filter_keeps_only_guides_tagged_with_it(index):
    assert set(_sources(index.search("documents", k=6, approach="rag"))) == {"retrieval.md"}
    assert set(_sources(index.search("documents", k=6, approach="full_finetune"))) == {"forgetting.md"}


def test_approach_tagged_nowhere_returns_no_passages_rather_than_unfiltered_ones(index):
    assert index.search("documents", k=3, approach="pretrain_from_scratch").results == []


# ----- bad queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "\x00\x01"])
def test_an_empty_query_is_a_user_error_that_says_what_to_do(index, query):
    with pytest.raises(UserError, match="the search query is empty"):
        index.search(query)


def test_a_twenty_thousand_character_query_is_shortened_and_still_answered(index):
    query = "how does retrieval keep facts fresh " + "padding words " * 1500
    assert len(query) > 20_000
    outcome = index.search(query, k=1)
    assert outcome.results[0]["source"] == "retrieval.md"
    assert any("searched with its first" in note for note in outcome.notes)


def test_k_below_one_is_refused_and_a_huge_k_is_capped(index):
    with pytest.raises(UserError, match="k must be"):
        index.search("adapters", k=0)
    outcome = index.search("adapters", k=10_000)
    assert len(outcome.results) == 6  # every passage there is, no error
    assert any("returning at most 50" in note for note in outcome.notes)


def test_an_empty_guides_folder_never_replaces_the_built_guidance(index, guides):
    index.sync_guides()
    for path in guides.glob("*.md"):
        path.unlink()
    with pytest.raises(UserError, match="no guides found"):
        index.sync_guides()
    assert index.status()["guide_chunks"] == 6


# ----- a deleted or corrupted index folder ---------------------------------------------------------------------


def test_an_index_folder_deleted_under_a_running_process_is_rebuilt_from_the_guides(index):
    index.search("adapters", k=1)
    shutil.rmtree(index.path)
    outcome = index.search("four-bit base model", k=1)
    assert outcome.results[0]["section"] == "Quantized adapters"
    assert any("was deleted" in note for note in outcome.notes)
    assert index.manifest_path.is_file()


def test_a_corrupted_index_database_is_set_aside_and_rebuilt(tmp_path, guides):
    first = KnowledgeIndex(tmp_path / "chroma", guides_dir=guides)
    first.sync_guides()
    first._forget_client()  # as if that process ended
    (tmp_path / "chroma" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    again = KnowledgeIndex(tmp_path / "chroma", guides_dir=guides)
    try:
        outcome = again.search("four-bit base model", k=1)
    finally:
        again._forget_client()
    assert outcome.results[0]["section"] == "Quantized adapters"
    assert any("could not be read" in note for note in outcome.notes)
    assert list(tmp_path.glob("chroma.broken-*"))  # the damaged folder is kept for inspection


def test_a_garbled_manifest_only_triggers_a_resync_that_embeds_nothing(index, embedded_texts):
    index.sync_guides()
    index.manifest_path.write_text("{not json", encoding="utf-8")
    index._checked = None
    embedded_texts.clear()
    outcome = index.search("adapters", k=1)
    assert outcome.results and embedded_texts == ["adapters"]  # only the query itself was embedded


# ----- the user's own documents --------------------------------------------------------------------------------


def test_added_documents_are_searched_with_the_guides_and_cited_by_their_path(index, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    policy = docs / "gpu-policy.md"
    policy.write_text("# GPU policy\n\n## Quota\nEvery team gets 40 A100 hours a week from the zebra portal.\n")
    report = index.add_documents(docs)
    assert report.files == 1 and len(report.sync.added) == 1
    hits = index.search("how many A100 hours does a team get each week", k=2).results
    assert hits[0]["source"] == str(policy.resolve()) and hits[0]["kind"] == "user"
    assert hits[0]["title"] == "GPU policy" and hits[0]["section"] == "Quota"
    assert index.search("four-bit base model", k=1).results[0]["source"] == "adapters.md"  # guidance intact


def test_re_adding_a_folder_syncs_edits_and_deletions_like_the_guides(index, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha notes about invoices.")
    (docs / "b.txt").write_text("Beta notes about shipping.")
    index.add_documents(docs)
    (docs / "b.txt").unlink()
    (docs / "a.txt").write_text("Alpha notes about invoices and refunds.")
    report = index.add_documents(docs)
    assert (len(report.sync.added), len(report.sync.updated), len(report.sync.removed)) == (0, 1, 1)
    assert index.status()["user_files"] == 1


def test_guide_rebuilds_leave_user_documents_alone(index, tmp_path, guides):
    note = tmp_path / "note.txt"
    note.write_text("Our release checklist lives in the ops wiki.")
    index.add_documents(note)
    (guides / "forgetting.md").unlink()
    index.sync_guides()
    assert index.status()["user_chunks"] == 1


def test_filters_search_only_the_built_in_guidance(index, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("Retrieval of documents at question time, our own notes.")
    index.add_documents(note)
    assert "user" not in {hit["kind"] for hit in index.search("retrieval documents", k=8, approach="rag").results}


def test_non_utf8_and_binary_files_are_skipped_with_their_location_and_the_rest_indexed(index, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("## Refunds\nRefunds take five working days.")
    (docs / "latin1.txt").write_bytes("Caf\u00e9 menu\nsecond line".encode("latin-1"))
    (docs / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (docs / "empty.txt").write_text("   \n")
    report = index.add_documents(docs)
    assert report.files == 1
    skipped = "\n".join(report.skipped)
    assert "latin1.txt: is not UTF-8 text (byte 0xe9 at offset 3, line 1)" in skipped
    assert "image.md: looks binary (a NUL byte at offset 8)" in skipped
    assert "empty.txt: is empty" in skipped
    notes = index.take_notes()
    assert any(str(docs / "latin1.txt") in n for n in notes)
    assert index.search("how long do refunds take", k=1).results[0]["source"].endswith("good.md")


def test_a_folder_with_thousands_of_files_is_streamed_and_capped_with_a_clear_message(index, tmp_path, monkeypatch):
    docs = tmp_path / "many"
    docs.mkdir()
    for n in range(3000):
        (docs / f"note-{n:04d}.txt").write_text(f"Note number {n} about topic {n % 7}.")
    monkeypatch.setattr(index_module, "MAX_USER_FILES", 40)  # the real cap is 2,000; the logic is the same
    monkeypatch.setattr(index_module, "EMBED_BATCH", 16)
    reads: list[Path] = []
    real_read = index_module.read_text_file
    monkeypatch.setattr(index_module, "read_text_file", lambda p: (reads.append(p), real_read(p))[1])
    report = index.add_documents(docs)
    assert report.files == 40 and report.capped
    assert len(reads) == 40  # stopped reading at the cap, never loaded the other 2,960
    assert any("holds more than 40 markdown/text files" in n and "sub-folders" in n for n in index.take_notes())
    assert index.status()["user_chunks"] == 40


def test_adding_a_missing_path_or_a_non_text_file_is_a_user_error(index, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        index.add_documents(tmp_path / "nowhere")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    with pytest.raises(UserError, match="not a markdown or text file"):
        index.add_documents(pdf)


def test_user_documents_come_back_after_the_index_is_rebuilt_from_a_corrupt_folder(tmp_path, guides):
    note = tmp_path / "docs" / "runbook.md"
    note.parent.mkdir()
    note.write_text("## Rollback\nTo roll back a model, redeploy the previous adapter version.")
    first = KnowledgeIndex(tmp_path / "chroma", guides_dir=guides)
    first.add_documents(note.parent)
    first._forget_client()
    (tmp_path / "chroma" / "chroma.sqlite3").write_bytes(b"\x00garbage" * 64)
    again = KnowledgeIndex(tmp_path / "chroma", guides_dir=guides)
    try:
        outcome = again.search("how do I roll back a model", k=1)
    finally:
        again._forget_client()
    assert outcome.results[0]["source"] == str(note.resolve())
    assert any("re-added your documents" in n for n in outcome.notes)


# ----- the command line ----------------------------------------------------------------------------------------


@pytest.fixture()
def cli_guides(guides, monkeypatch):
    from knowledge import corpus

    monkeypatch.setattr(corpus, "GUIDES_DIR", guides)
    yield guides
    close_all()


def test_cli_index_reports_what_changed_then_that_nothing_did(cli_guides, capsys):
    from ui.cli import main

    assert main(["index"]) == 0
    assert "6 added, 0 updated, 0 removed, 0 unchanged" in capsys.readouterr().out
    assert main(["index", "build"]) == 0
    assert "0 added, 0 updated, 0 removed, 6 unchanged" in capsys.readouterr().out


def test_cli_index_add_and_status_show_the_users_documents(cli_guides, tmp_path, capsys):
    from ui.cli import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "faq.md").write_text("## Billing\nInvoices go out on the first of the month.")
    (docs / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    assert main(["index", "add", str(docs)]) == 0
    captured = capsys.readouterr()
    assert f"Indexed 1 file(s) from {docs.resolve()}" in captured.out
    assert "bad.txt" in captured.err and "Traceback" not in captured.err
    assert main(["index", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["user_files"] == 1 and status["user_roots"] == [str(docs.resolve())]
    assert main(["search", "when are invoices sent", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == str((docs / "faq.md").resolve())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", ""], "the search query is empty"),
        (["search", "adapters", "--approach", "lora"], "unknown approach 'lora'"),
        (["search", "adapters", "--k", "0"], "k must be"),
        (["index", "add"], "needs a PATH"),
        (["index", "add", "/no/such/folder"], "does not exist"),
        (["index", "status", "extra"], "takes no PATH"),
    ],
)
def test_cli_bad_input_prints_one_error_line_and_exits_1(cli_guides, capsys, argv, message):
    from ui.cli import main

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
