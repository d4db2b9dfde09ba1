"""Sources for what the advisor says: guidance passages through the `search_guidance` tool (so every search is
logged like any tool call), cached per state folder and query, and the citations a recommendation shows.
Both brains use it."""

from __future__ import annotations

import logging

from tools.guidance import guidance_passages
from trainer.state.home import home
from trainer.state.vocabulary import APPROACHES

log = logging.getLogger("tunewise.agent")

# Retrieval results per state folder (each has its own index) and query: the built-in guides do not change while
# the app runs, so a recommendation's citations are looked up once per approach. Bounded; cleared when full.
_SEARCH_CACHE: dict[tuple[str, str, str | None, int], list[dict]] = {}
_SEARCH_CACHE_LIMIT = 512


def search_passages(query: str, approach: str | None = None, k: int = 3) -> tuple[list[dict], str | None]:
    """Whole guidance passages through the search tool's own search (logged like a tool call); ([], reason) when
    the index cannot answer."""
    key = (str(home()), query[:400], approach, k)
    if key in _SEARCH_CACHE:
        return _SEARCH_CACHE[key], None
    try:
        passages = guidance_passages(query=query[:400], approach=approach, k=k)
    except Exception as exc:  # an index that cannot load must not break the interview
        log.warning("guidance search failed: %s", exc)
        return [], f"{type(exc).__name__}: {exc}"
    if len(_SEARCH_CACHE) >= _SEARCH_CACHE_LIMIT:
        _SEARCH_CACHE.clear()
    _SEARCH_CACHE[key] = passages
    return passages, None


def warm() -> None:
    """Load the embedding model and look up every approach's citations now, so the first turns are fast.
    The app may call this once at start; it is safe to skip."""
    for approach in APPROACHES.values():
        search_passages(approach.citation_query, approach=approach.id, k=6)


def citations_of(passages: list[dict]) -> list[dict]:
    seen, out = set(), []
    for p in passages:
        key = (p.get("source"), p.get("title"))
        if key not in seen:
            seen.add(key)
            out.append({"source": p.get("source", ""), "title": p.get("title", "")})
    return out


def citation_query(rec: dict) -> str:
    """What to search the guides for to cite this recommendation: the approach's own query plus the deciding
    reasons, so two users of one approach get the passages about their own situation."""
    reasons = " ".join(e["text"] for e in rec.get("evidence", [])[:3])
    return f"{APPROACHES[rec['approach']].citation_query}; {reasons}"[:400]
