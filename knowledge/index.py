"""The Chroma index over the built-in guides and the user's own documents.

Two collections in one PersistentClient folder (`TUNEWISE_HOME/chroma`):
    tunewise-guides      the built-in guidance, rebuilt from `knowledge/guides/` whenever it changes
    tunewise-user-docs   files the user added with `tunewise index add PATH`, kept apart so a guide rebuild
                         never touches them and a user's folder never shadows the built-in guidance

Each passage (a guide section, or a part of a long one) is stored as several vectors ("units"): the whole
passage (unit 0) and each of its paragraphs, all carrying the passage's text and id (`chunk`). A query takes
the best unit per passage, then re-ranks with BM25 word matching (knowledge/lexical.py).

Rebuilding is idempotent: chunk ids are stable (`<guide slug>/<section slug>`) and each chunk stores a content
hash; a sync embeds only chunks whose hash changed, deletes chunks that disappeared and leaves the rest alone.
A manifest (`guides-manifest.json`) records the fingerprint of the guides the index was built from, so a
changed guide is noticed on the next search and synced before it answers.

An index folder that was deleted or cannot be read is set aside and rebuilt from the guides (the guidance is
never lost); user documents are re-added from the list of paths kept next to the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from knowledge import corpus
from knowledge.corpus import GUIDES_DIR, Chunk
from knowledge.documents import TEXT_SUFFIXES, read_text_file, text_files
from knowledge.lexical import LexicalIndex
from trainer.state.errors import UserError
from trainer.state.home import chroma_dir, home
from trainer.state.vocabulary import APPROACH_IDS

GUIDES_COLLECTION = "tunewise-guides"
USER_COLLECTION = "tunewise-user-docs"
MANIFEST_NAME = "guides-manifest.json"
DB_FILE = "chroma.sqlite3"

# A folder of thousands of notes is read one file at a time and embedded in batches; past this many files
# the add stops and says so: embedding runs at roughly 10-30 passages a second on a 2-core CPU, so 2,000
# files already take minutes.
MAX_USER_FILES = 2000
EMBED_BATCH = 64  # passages (≈ 1.3 vectors each) embedded and written per round trip; bounds memory
# The model reads ~256 word pieces (≈ 200 words); a longer query only costs tokenizer time, so it is cut.
MAX_QUERY_CHARS = 1000
MAX_K = 50
# Score = (cosine + LEXICAL_WEIGHT * BM25 / best BM25 among the candidates) / (1 + LEXICAL_WEIGHT), in [0, 1].
LEXICAL_WEIGHT = 0.2
CANDIDATE_UNITS = 40  # vectors fetched per query before grouping by passage and re-ranking

T = TypeVar("T")


@dataclass
class SyncReport:
    """What one build changed, by chunk id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def embedded(self) -> int:
        return len(self.added) + len(self.updated)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged ({self.seconds:.1f} s)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 2),
        }


@dataclass
class AddReport:
    """What `index add PATH` did: files indexed, files skipped with the reason, and the chunk changes."""

    root: str
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    capped: bool = False
    sync: SyncReport = field(default_factory=SyncReport)

    def as_dict(self) -> dict[str, Any]:
        return {"root": self.root, "files": self.files, "skipped": self.skipped, "capped": self.capped,
                **self.sync.as_dict()}


@dataclass
class SearchOutcome:
    results: list[dict[str, Any]]
    notes: list[str]  # things the user should know: index built, query cut, index repaired


class IndexUnreadable(Exception):
    """Internal: the Chroma folder could not be opened or read."""


class KnowledgeIndex:
    """One index folder. Cheap to create; Chroma and the embedding model are opened on first use."""

    def __init__(self, path: Path, guides_dir: Path = GUIDES_DIR) -> None:
        self.path = Path(path)
        self.guides_dir = Path(guides_dir)
        self.notes: list[str] = []  # collected during one call, handed to the caller, then cleared
        self._client: Any = None
        self._collections: dict[str, Any] = {}
        self._lexicals: dict[str, tuple[int, LexicalIndex]] = {}
        self._checked: tuple | None = None  # guides signature last seen fresh, to skip re-hashing per query
        self._lock = threading.RLock()

    # ----- opening, and recovering from a missing or broken folder -------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_NAME

    @property
    def user_sources_path(self) -> Path:
        # Beside the index folder, not inside it: it must survive the folder being set aside.
        return self.path.parent / f"{self.path.name}-user-sources.json"

    def _open_client(self) -> Any:
        if self._client is not None:
            return self._client
        import chromadb  # heavy (seconds): `import knowledge` stays cheap until the first search

        self.path.mkdir(parents=True, exist_ok=True)
        try:
            client = chromadb.PersistentClient(
                path=str(self.path), settings=chromadb.Settings(anonymized_telemetry=False)
            )
            client.list_collections()  # reads the database now, so a corrupt file fails here, not mid-search
        except Exception as exc:  # chromadb raises many types (rust bindings, sqlite); all mean "unreadable"
            raise IndexUnreadable(str(exc) or type(exc).__name__) from exc
        self._client = client
        return client

    def _close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # closing a broken client must not hide the repair that follows
                pass
        self._client = None
        self._collections = {}
        self._lexicals = {}
        self._checked = None

    def _forget_client(self) -> None:
        """Close our client and Chroma's cached system for this path, so the next open reads the disk afresh."""
        self._close()
        from chromadb.api.shared_system_client import SharedSystemClient

        # Chroma keeps one system per folder path for the whole process; a system for a deleted or broken
        # folder would keep serving its old database handle.
        system = SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(self.path), None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # stopping a broken system must not hide the repair that follows
                pass

    def _set_aside(self, reason: str) -> None:
        """Move an unreadable folder out of the way (kept for inspection) so a fresh one can be built."""
        self._forget_client()
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        if self.path.exists():
            try:
                self.path.rename(aside)
                where = f"moved it to {aside}"
            except OSError:
                shutil.rmtree(self.path, ignore_errors=True)
                where = "removed it"
        else:
            where = "it was gone"
        self.notes.append(
            f"the index at {self.path} could not be read ({reason[:200]}); {where} and rebuilt it from the "
            "built-in guides."
        )

    def _collection(self, name: str) -> Any:
        if name not in self._collections:
            from knowledge.embeddings import TunewiseEmbeddingFunction  # heavy (chromadb): loaded on first use

            # Always with the project's embedding function: without one Chroma would download its own model.
            self._collections[name] = self._open_client().get_or_create_collection(
                name,
                embedding_function=TunewiseEmbeddingFunction(),
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collections[name]

    def _guarded(self, action: Callable[[], T]) -> T:
        """Run an index action; if the folder is unreadable or gone, rebuild it once and run the action again."""
        with self._lock:
            if self._client is not None and not (self.path / DB_FILE).exists():
                # Deleted under a running process: start again; ensure_ready() sees no manifest and rebuilds.
                self._forget_client()
                self.notes.append(f"the index folder {self.path} was deleted; rebuilt it from the built-in guides.")
            from chromadb.errors import ChromaError

            try:
                return action()
            except (IndexUnreadable, ChromaError, sqlite3.DatabaseError) as exc:
                # A storage failure: the guides are the truth, so rebuild from them. Anything else is a bug and
                # keeps its traceback rather than costing the user their index.
                self._set_aside(str(exc) or type(exc).__name__)
                self._rebuild_after_repair()
                return action()

    def _rebuild_after_repair(self) -> None:
        self.sync_guides(_guarded=False)
        for root in self._user_sources():
            if Path(root).exists():
                self.add_documents(Path(root), _guarded=False)
                self.notes.append(f"re-added your documents from {root}.")
            else:
                self.notes.append(f"your documents at {root} no longer exist; add them again when they do.")

    def take_notes(self) -> list[str]:
        """The notes gathered since the last call (index built, files skipped, folder repaired), then cleared."""
        notes, self.notes = self.notes, []
        return notes

    # ----- built-in guides ---------------------------------------------------------------------------------

    def _guides_signature(self) -> tuple:
        files = corpus.guide_files(self.guides_dir)
        stats = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        return stats + ((self.path / DB_FILE).exists(),)

    def _read_manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def is_stale(self) -> bool:
        """True when the index was not built from the guides as they are now (or is missing or emptied)."""
        manifest = self._read_manifest()
        if manifest.get("fingerprint") != corpus.corpus_fingerprint(self.guides_dir):
            return True
        return self._collection(GUIDES_COLLECTION).count() != manifest.get("units")

    def ensure_ready(self) -> None:
        """Build the index when missing and sync it when the guides changed; cheap when nothing did."""
        with self._lock:
            signature = self._guides_signature()
            if signature == self._checked and self._client is not None:
                return
            if self._guarded(self.is_stale):
                fresh = not self.manifest_path.exists()
                report = self.sync_guides()
                what = "built the guidance index" if fresh else "the guides changed; updated the index"
                self.notes.append(f"{what}: {report.summary()}.")
            self._checked = self._guides_signature()

    def sync_guides(self, _guarded: bool = True) -> SyncReport:
        """Make the guides collection match `guides_dir`, embedding only new or changed chunks."""

        def run() -> SyncReport:
            started = time.perf_counter()
            fingerprint = corpus.corpus_fingerprint(self.guides_dir)
            chunks = corpus.corpus_chunks(self.guides_dir)
            if not chunks:  # never replace the guidance with nothing because of a packaging mistake
                raise corpus.CorpusError(
                    f"no guides found in {self.guides_dir}; reinstall tunewise (the guides ship inside the package)."
                )
            collection = self._collection(GUIDES_COLLECTION)
            report = _apply(collection, _stored_hashes(collection, None), iter(chunks))
            self._lexicals.pop(GUIDES_COLLECTION, None)  # an edit can keep the count equal; rebuild BM25 stats
            report.seconds = time.perf_counter() - started
            self._write_manifest(fingerprint, len(chunks), collection.count())
            self._checked = None
            return report

        return self._guarded(run) if _guarded else run()

    def _write_manifest(self, fingerprint: str, chunks: int, units: int) -> None:
        from knowledge.embeddings import MODEL_NAME  # heavy (chromadb), as above

        manifest = {
            "fingerprint": fingerprint,
            "chunks": chunks,
            "units": units,
            "embedding_model": MODEL_NAME,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.replace(tmp, self.manifest_path)  # atomic: a crash never leaves half a manifest

    # ----- the user's documents ----------------------------------------------------------------------------

    def _user_sources(self) -> list[str]:
        try:
            data = json.loads(self.user_sources_path.read_text(encoding="utf-8"))
            return [str(p) for p in data.get("roots", [])]
        except (OSError, ValueError):
            return []

    def _remember_source(self, root: str) -> None:
        roots = self._user_sources()
        if root not in roots:
            roots.append(root)
        self.user_sources_path.parent.mkdir(parents=True, exist_ok=True)
        self.user_sources_path.write_text(json.dumps({"roots": roots}, indent=2), encoding="utf-8")

    def add_documents(self, path: Path, _guarded: bool = True) -> AddReport:
        """Index the user's .md/.txt file or folder (recursively); re-adding a path syncs it like the guides."""
        path = Path(path).expanduser()
        if not path.exists():
            raise UserError(f"{path} does not exist; give a markdown or text file, or a folder of them.")
        root = str(path.resolve())
        if path.is_file() and path.suffix.lower() not in TEXT_SUFFIXES:
            raise UserError(
                f"{path} is not a markdown or text file; `tunewise index add` reads {', '.join(TEXT_SUFFIXES)} files."
            )

        def run() -> AddReport:
            started = time.perf_counter()
            report = AddReport(root=root)
            collection = self._collection(USER_COLLECTION)
            have = _stored_hashes(collection, {"root": root})
            report.sync = _apply(collection, have, self._read_documents(Path(root), report))
            self._lexicals.pop(USER_COLLECTION, None)
            report.sync.seconds = time.perf_counter() - started
            return report

        report = self._guarded(run) if _guarded else run()
        self._remember_source(root)
        if report.files == 0:
            self.notes.append(f"no readable .md or .txt files under {path}; nothing was added.")
        return report

    def _read_documents(self, root: Path, report: AddReport) -> Iterator[Chunk]:
        """Chunks of every readable text file under root, one file at a time (never the whole folder in memory)."""
        for file in text_files(root):
            if report.files >= MAX_USER_FILES:
                report.capped = True
                self.notes.append(
                    f"{root} holds more than {MAX_USER_FILES} markdown/text files; indexed the first "
                    f"{MAX_USER_FILES} in name order and stopped. Add its sub-folders one at a time for the rest."
                )
                return
            text, problem = read_text_file(file)
            if problem:
                report.skipped.append(f"{file}: {problem}")
                self.notes.append(f"skipped {file}: {problem}")
                continue
            chunks = list(corpus.document_chunks(file, text, root=str(root)))
            if not chunks:
                report.skipped.append(f"{file}: no text")
                continue
            report.files += 1
            yield from chunks

    # ----- search and status -------------------------------------------------------------------------------

    def search(self, query: str, k: int = 3, approach: str | None = None, topic: str | None = None) -> SearchOutcome:
        """Passages best matching `query`, best first, from the guides and (without filters) the user's documents."""
        with self._lock:  # one search at a time per index: the app may call from several threads
            self.notes = []
            query = self._check_query(query)
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise UserError(f"k must be a whole number of passages, 1 or more (got {k!r}).")
            if k > MAX_K:
                self.notes.append(f"asked for {k} passages; returning at most {MAX_K}.")
                k = MAX_K
            where = self._where(approach, topic)
            self.ensure_ready()
            return self._search(query, k, where)

    def _search(self, query: str, k: int, where: dict[str, Any] | None) -> SearchOutcome:
        """Embed the query once, search each collection, merge by score. Filters apply to guides only."""

        def run() -> list[dict[str, Any]]:
            from knowledge.embeddings import embed_query  # heavy (chromadb), as above

            vector = embed_query(query).tolist()
            names = [GUIDES_COLLECTION] if where else [GUIDES_COLLECTION, USER_COLLECTION]
            hits: list[dict[str, Any]] = []
            for name in names:
                hits += self._query_collection(name, query, vector, k, where)
            hits.sort(key=lambda h: h["score"], reverse=True)
            return hits[:k]

        results = self._guarded(run)
        return SearchOutcome(results=results, notes=self.take_notes())

    def _query_collection(
        self, name: str, query: str, vector: list[float], k: int, where: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """Best passages of one collection: nearest units grouped by passage, then re-ranked with BM25."""
        collection = self._collection(name)
        count = collection.count()
        if count == 0:
            return []
        # Distances only: fetching documents and metadata (with their many filter flags) for 40 candidates
        # cost more CPU than the rest of the search; they are fetched below for the k winners alone.
        found = collection.query(
            query_embeddings=[vector], n_results=min(count, max(CANDIDATE_UNITS, 10 * k)), where=where,
            include=["distances"],
        )
        cosine: dict[str, float] = {}
        for unit_id, distance in zip(found["ids"][0], found["distances"][0]):
            chunk_id = unit_id.rsplit("#", 1)[0]  # unit ids are "<passage id>#<n>"
            similarity = max(0.0, min(1.0, 1.0 - float(distance)))  # cosine distance is 1 - cos
            cosine[chunk_id] = max(similarity, cosine.get(chunk_id, 0.0))
        lexical = self._lexical(name, count).scores(query, list(cosine))
        top = max(lexical.values(), default=0.0) or 1.0
        fused = {c: (cosine[c] + LEXICAL_WEIGHT * lexical[c] / top) / (1 + LEXICAL_WEIGHT) for c in cosine}
        winners = sorted(fused, key=fused.get, reverse=True)[:k]
        if not winners:  # a filter that matches no passage
            return []
        stored = collection.get(ids=[f"{c}#0" for c in winners], include=["documents", "metadatas"])
        by_chunk = {i.rsplit("#", 1)[0]: (d, m or {}) for i, d, m in
                    zip(stored["ids"], stored["documents"], stored["metadatas"])}
        return [_hit(c, by_chunk[c][0], by_chunk[c][1], fused[c]) for c in winners if c in by_chunk]

    def _lexical(self, name: str, count: int) -> LexicalIndex:
        """BM25 statistics for one collection; rebuilt after this process changed it, or when its size changed
        (another process, e.g. `tunewise index add` while the app runs, changed it)."""
        cached = self._lexicals.get(name)
        if cached is None or cached[0] != count:
            stored = self._collection(name).get(where={"unit": 0}, include=["documents", "metadatas"])
            passages = {
                (m or {}).get("chunk", i): f"{(m or {}).get('title', '')} {(m or {}).get('section', '')} {d}"
                for i, d, m in zip(stored["ids"], stored["documents"], stored["metadatas"])
            }
            cached = (count, LexicalIndex(passages))
            self._lexicals[name] = cached
        return cached[1]

    def _check_query(self, query: str) -> str:
        if not isinstance(query, str):
            raise UserError("the search query must be text.")
        query = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in query)
        query = " ".join(query.split())
        if not query:
            raise UserError("the search query is empty; say in a few words what you want to know.")
        if len(query) > MAX_QUERY_CHARS:
            original = len(query)
            query = query[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or query[:MAX_QUERY_CHARS]
            self.notes.append(
                f"the query was {original:,} characters; searched with its first {len(query):,} "
                "(the embedding model reads about 200 words)."
            )
        return query

    def _where(self, approach: str | None, topic: str | None) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if approach:
            if approach not in APPROACH_IDS:
                raise UserError(f"unknown approach {approach!r}; use one of: {', '.join(APPROACH_IDS)}.")
            clauses.append({corpus.approach_key(approach): True})
        if topic:
            topics = corpus.known_topics(self.guides_dir)
            key = corpus.topic_key(topic)
            if key not in topics:
                raise UserError(f"unknown topic {topic!r}; the guides use: {', '.join(sorted(set(topics.values())))}.")
            clauses.append({key: True})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def status(self) -> dict[str, Any]:
        """What the index holds, without building anything."""
        manifest = self._read_manifest()

        def run() -> dict[str, Any]:
            guides = self._collection(GUIDES_COLLECTION)
            users = self._collection(USER_COLLECTION)
            user_meta = users.get(where={"unit": 0}, include=["metadatas"])["metadatas"] if users.count() else []
            return {
                "path": str(self.path),
                "guide_chunks": len(_stored_hashes(guides, None)),
                "guides": len(corpus.guide_files(self.guides_dir)),
                "stale": self.is_stale(),
                "built_at": manifest.get("built_at"),
                "embedding_model": manifest.get("embedding_model"),
                "user_chunks": len(user_meta),
                "user_files": len({(m or {}).get("source") for m in user_meta}),
                "user_roots": self._user_sources(),
            }

        return self._guarded(run)


def _hit(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> dict[str, Any]:
    return {
        "source": meta.get("source", ""),
        "title": meta.get("title", ""),
        "section": meta.get("section", ""),
        "text": text,
        "score": round(score, 4),
        "kind": meta.get("kind", "guide"),
        "id": chunk_id,
    }


def _stored_hashes(collection: Any, where: dict[str, Any] | None) -> dict[str, str | None]:
    """passage id -> content hash of the passages stored in `collection` (restricted by `where`)."""
    clause: dict[str, Any] = {"unit": 0} if where is None else {"$and": [where, {"unit": 0}]}
    stored = collection.get(where=clause, include=["metadatas"])
    return {(m or {}).get("chunk", i): (m or {}).get("hash") for i, m in zip(stored["ids"], stored["metadatas"])}


def _apply(collection: Any, have: dict[str, str | None], chunks: Iterator[Chunk]) -> SyncReport:
    """Bring `collection` (restricted to the passages in `have`) to exactly `chunks`, embedding changed ones in
    batches; a passage's units are replaced together."""
    from knowledge.embeddings import embed  # heavy (chromadb), as above

    report = SyncReport()
    seen: set[str] = set()
    batch: list[Chunk] = []

    def delete_passages(ids: list[str]) -> None:
        for start in range(0, len(ids), 500):  # keeps each `$in` filter a reasonable size
            collection.delete(where={"chunk": {"$in": ids[start : start + 500]}})

    def flush() -> None:
        if not batch:
            return
        # Delete first: Chroma's upsert merges metadata, which would keep a topic flag a guide no longer has,
        # and a passage that lost a paragraph must lose that paragraph's unit.
        stale = [c.id for c in batch if c.id in have]
        if stale:
            delete_passages(stale)
        unit_ids, texts, documents, metadatas = [], [], [], []
        for chunk in batch:
            for n, text in enumerate(chunk.unit_texts()):
                unit_ids.append(f"{chunk.id}#{n}")
                texts.append(text)
                documents.append(chunk.text)  # every unit returns the whole passage
                metadatas.append({**chunk.metadata, "chunk": chunk.id, "unit": n})
        vectors = embed(texts)
        collection.add(ids=unit_ids, embeddings=[v.tolist() for v in vectors], documents=documents,
                       metadatas=metadatas)
        batch.clear()

    for chunk in chunks:
        if chunk.id in seen:  # the same file reached twice (a link) counts once
            continue
        seen.add(chunk.id)
        if chunk.id not in have:
            report.added.append(chunk.id)
        elif have[chunk.id] != chunk.hash:
            report.updated.append(chunk.id)
        else:
            report.unchanged += 1
            continue
        batch.append(chunk)
        if len(batch) >= EMBED_BATCH:
            flush()
    flush()
    report.removed = sorted(set(have) - seen)
    if report.removed:
        delete_passages(report.removed)
    return report


# ----- the process-wide index for TUNEWISE_HOME ----------------------------------------------------------------

_INDEXES: dict[Path, KnowledgeIndex] = {}
_INDEXES_LOCK = threading.Lock()


def open_index() -> KnowledgeIndex:
    """The index under the current TUNEWISE_HOME (re-read on every call, so tests can repoint it)."""
    key = home() / "chroma"
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            # corpus.GUIDES_DIR read here, not bound at import, so a test can point it at a few small guides.
            _INDEXES[key] = KnowledgeIndex(chroma_dir(), guides_dir=corpus.GUIDES_DIR)
        return _INDEXES[key]


def close_all() -> None:
    """Close every index this process opened (app shutdown, or between tests that switch TUNEWISE_HOME)."""
    with _INDEXES_LOCK:
        for index in _INDEXES.values():
            index._forget_client()
        _INDEXES.clear()
