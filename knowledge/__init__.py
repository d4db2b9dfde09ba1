"""tunewise's guidance library: markdown guides written by the project, indexed in Chroma, searched by meaning.

    from knowledge import search
    search("how many examples do I need for LoRA?", k=3, approach="lora_finetune")
    -> [{"source": "how-much-data.md", "title": ..., "section": ..., "text": ..., "score": 0.71}, ...]

Importing this package is cheap: chromadb and the embedding model load on the first search.
"""

from __future__ import annotations

import logging
from typing import Any

from knowledge.index import open_index

log = logging.getLogger("tunewise.knowledge")


def search(query: str, k: int = 3, approach: str | None = None, topic: str | None = None) -> list[dict[str, Any]]:
    """The k passages that best answer `query`, best first, each {source, title, section, text, score, kind, id}.

    `source` is the guide's file name (e.g. "rag-vs-finetuning.md") or the path of a document the user added;
    `score` is in [0, 1], higher is better. `approach` (a DESIGN.md approach id) and `topic` keep only guide
    passages tagged with them. The index is built on first use and updated when the guides changed; anything
    worth knowing about that (or about a shortened query) is logged on "tunewise.knowledge".
    Raises UserError for an empty query or an unknown approach or topic.
    """
    outcome = open_index().search(query, k=k, approach=approach, topic=topic)
    for note in outcome.notes:
        log.warning(note)
    return outcome.results


def index_status() -> dict[str, Any]:
    """What the guidance index under TUNEWISE_HOME holds: guides, passages, freshness, the user's documents.
    Builds nothing (`tunewise doctor` and `tunewise index status` call it)."""
    return open_index().status()


__all__ = ["index_status", "search"]
