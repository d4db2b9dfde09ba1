"""Raw text for next-token training: find the files, stream them through a tokenizer into one token file, cut
that into packed blocks, and measure perplexity on blocks.

What counts as corpus text:
- a text file (any name; .txt, .md, source code ...): one document, read line by line, never whole;
- a `.jsonl` file: one document per line, the string in its `text` field;
- a folder: every non-hidden file under it, recursively, in sorted order. Empty files are skipped with a
  warning; binary or non-UTF-8 files are an error that names them (or skipped with
  `pretrain.skip_unreadable_files: true`).

Packing (nanoGPT style): documents are tokenized without special tokens, each followed by EOS, and concatenated;
the stream is cut into blocks of `block_size` tokens. Every block but the last is full; the last one is padded
(padding has attention 0 and label -100, so it costs compute but never counts in the loss). Packed-block
efficiency = real tokens / (blocks × block_size), against the per-document baseline that pads each document's
last block on its own.

The token file is written once per (files, tokenizer) under `run_dir/data/` with an atomic rename, so under
torchrun the main process writes it and the others, started after it (`main_process_first`), read it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from trainer.state.errors import UserError

SNIFF_BYTES = 8192  # bytes read to decide text vs binary (a NUL byte in them means binary, as git decides)
CHUNK_CHARS = 64_000  # characters handed to the tokenizer at once; files are split at line ends
JSONL_SUFFIXES = (".jsonl",)


class CorpusError(UserError):
    """The corpus cannot be trained on as given; the message says what to change."""

    code, param = "bad_corpus", "data.train"


@dataclass(frozen=True)
class CorpusFile:
    path: Path
    format: str  # text | jsonl
    size_bytes: int


@dataclass
class TokenStats:
    """What tokenization produced; saved next to the token file and printed by the recipes."""

    tokens: int = 0  # real tokens including one EOS per document
    documents: int = 0
    files: int = 0
    bytes: int = 0
    longest_document: int = 0
    doc_lengths: list[int] = field(default_factory=list, repr=False)

    def packed_efficiency(self, block_size: int) -> float:
        """Share of non-padding tokens when documents are packed into blocks (only the last block is padded)."""
        blocks = math.ceil(self.tokens / block_size) if self.tokens else 0
        return self.tokens / (blocks * block_size) if blocks else 0.0

    def unpacked_efficiency(self, block_size: int) -> float:
        """The same share when every document is cut into blocks on its own and its last block padded."""
        slots = sum(math.ceil(n / block_size) for n in self.doc_lengths) * block_size
        return self.tokens / slots if slots else 0.0

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("doc_lengths")
        return d


# ---------------------------------------------------------------------------------------------- finding files


def looks_binary(path: Path, probe_bytes: int = SNIFF_BYTES) -> bool:
    """True when the first `probe_bytes` of the file hold a NUL byte or are not UTF-8 text."""
    with open(path, "rb") as f:
        head = f.read(probe_bytes)
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the sniff boundary is still text
        return exc.start < len(head) - 4
    return False


def _is_blank(path: Path) -> bool:
    if path.stat().st_size == 0:
        return True
    if path.stat().st_size > SNIFF_BYTES:
        return False
    return not path.read_bytes().strip()


def scan_corpus(
    source: str | Path, skip_unreadable: bool = False, param: str = "data.train"
) -> tuple[list[CorpusFile], list[str]]:
    """The corpus files under `source` (a file or folder) and warnings about files left out.

    Raises CorpusError when the source is missing, holds binary files (unless `skip_unreadable`), or holds no text.
    """
    root = Path(source).expanduser()
    if not root.exists():
        raise CorpusError(f"corpus {root} does not exist; point {param} at a text file, a .jsonl file with a "
                          "`text` field, or a folder of text files", "corpus_missing", param)
    if root.is_file():
        candidates = [root]
    else:
        candidates = sorted(
            p for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    files, empty, binary = [], [], []
    for path in candidates:
        if _is_blank(path):
            empty.append(path)
        elif looks_binary(path):
            binary.append(path)
        else:
            fmt = "jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "text"
            files.append(CorpusFile(path, fmt, path.stat().st_size))
    warnings = []
    if empty:
        warnings.append(f"skipped {len(empty)} empty file(s): {_names(empty, root)}")
    if binary:
        if not skip_unreadable:
            raise CorpusError(
                f"{len(binary)} file(s) in the corpus are binary or not UTF-8 text: {_names(binary, root)}. "
                "Remove them from the folder or convert them to text (e.g. pdftotext for PDFs), or set "
                "pretrain.skip_unreadable_files: true to leave them out.", "binary_file", param)
        warnings.append(f"skipped {len(binary)} binary or non-UTF-8 file(s): {_names(binary, root)}")
    if not files:
        what = "is empty" if root.is_file() else "holds no text files"
        raise CorpusError(f"corpus {root} {what}; a corpus needs UTF-8 text (files, or .jsonl rows with a `text` "
                          "field)", "empty_corpus", param)
    return files, warnings


def _names(paths: list[Path], root: Path, most: int = 5) -> str:
    shown = [str(p.relative_to(root)) if root.is_dir() else p.name for p in paths[:most]]
    return ", ".join(shown) + (f" and {len(paths) - most} more" if len(paths) > most else "")


def corpus_problems(config) -> list[dict]:
    """Located problems of a continued-pretraining or pretraining job's corpus, found before any training (for the
    job system's validation step): [{field, file, line, code, message}], empty when the corpus can be read."""
    problems = []
    for field in ("train", "validation"):
        source = getattr(config.data, field)
        if source is None:
            continue
        try:
            scan_corpus(source, config.pretrain.skip_unreadable_files, f"data.{field}")
        except CorpusError as exc:
            problems.append({"field": exc.param, "file": str(source), "line": None, "code": exc.code,
                             "message": str(exc)})
    return problems


# ---------------------------------------------------------------------------------------------- streaming text


def iter_chunks(files: list[CorpusFile]) -> Iterator[tuple[str, bool]]:
    """(text, ends_document) pairs: each document arrives in chunks of ~CHUNK_CHARS split at line ends."""
    for cf in files:
        try:
            with open(cf.path, encoding="utf-8") as f:
                if cf.format == "jsonl":
                    yield from _jsonl_documents(f, cf.path)
                    continue
                buf, size = [], 0
                for line in f:
                    buf.append(line)
                    size += len(line)
                    if size >= CHUNK_CHARS:
                        yield "".join(buf), False
                        buf, size = [], 0
                yield "".join(buf), True
        except UnicodeDecodeError as exc:
            raise CorpusError(f"{cf.path} is not UTF-8 text (bad byte at offset {exc.start} of a chunk); convert "
                              "it to UTF-8 or remove it from the corpus", "binary_file", "data.train") from None


def _jsonl_documents(f, path: Path) -> Iterator[tuple[str, bool]]:
    for lineno, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{path}, line {lineno}: not valid JSON ({exc.msg}); each line must be an object "
                              'like {"text": "..."}', "bad_jsonl", "data.train") from None
        text = row.get("text") if isinstance(row, dict) else None
        if not isinstance(text, str):
            raise CorpusError(f"{path}, line {lineno}: no string `text` field; corpus JSONL rows look like "
                              '{"text": "..."} (for chat or prompt/completion data use kind: sft)',
                              "bad_jsonl", "data.train")
        if text.strip():
            yield text, True


# ---------------------------------------------------------------------------------------------- tokenizing


def token_cache_key(files: list[CorpusFile], tokenizer) -> str:
    ident = {
        "files": [(str(f.path.resolve()), f.size_bytes, f.path.stat().st_mtime_ns) for f in files],
        "tokenizer": [getattr(tokenizer, "name_or_path", ""), len(tokenizer), tokenizer.eos_token_id],
    }
    return hashlib.sha256(json.dumps(ident).encode()).hexdigest()[:16]


def tokenize_to_file(files: list[CorpusFile], tokenizer, out_path: Path) -> TokenStats:
    """Stream `files` through `tokenizer` into `out_path` (raw little-endian uint16/uint32 tokens, EOS after
    every document) and `out_path`.json (the stats). Reuses both when they already exist."""
    out_path = Path(out_path)
    meta_path = out_path.with_suffix(".json")
    if out_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        meta.pop("dtype", None)
        return TokenStats(**meta)
    eos = tokenizer.eos_token_id
    if eos is None:
        raise CorpusError("the tokenizer has no EOS token to separate documents; use a tokenizer that defines one",
                          "tokenizer_without_eos", "model.base")
    dtype = np.uint16 if len(tokenizer) <= 65535 else np.uint32
    stats = TokenStats(files=len(files), bytes=sum(f.size_bytes for f in files))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + f".tmp{os.getpid()}")
    current = 0  # tokens in the document being read
    with open(tmp, "wb") as out:
        pending: list[tuple[str, bool]] = []

        def flush():
            nonlocal current
            ids_list = tokenizer([t for t, _ in pending], add_special_tokens=False)["input_ids"]
            for ids, (_, ends) in zip(ids_list, pending):
                if ends:
                    ids = ids + [eos]
                np.asarray(ids, dtype=dtype).tofile(out)
                stats.tokens += len(ids)
                current += len(ids)
                if ends:
                    stats.documents += 1
                    stats.doc_lengths.append(current)
                    stats.longest_document = max(stats.longest_document, current)
                    current = 0
            pending.clear()

        size = 0
        for text, ends in iter_chunks(files):
            pending.append((text, ends))
            size += len(text)
            if size >= CHUNK_CHARS * 4:
                flush()
                size = 0
        flush()
    meta = asdict(stats) | {"dtype": np.dtype(dtype).name}
    meta_tmp = meta_path.with_name(meta_path.name + f".tmp{os.getpid()}")
    meta_tmp.write_text(json.dumps(meta))
    os.replace(tmp, out_path)
    os.replace(meta_tmp, meta_path)
    return stats


def load_tokens(path: Path) -> np.ndarray:
    meta = json.loads(Path(path).with_suffix(".json").read_text())
    return np.memmap(path, dtype=meta.get("dtype", "uint32"), mode="r")


# ---------------------------------------------------------------------------------------------- packed blocks


def count_blocks(n_tokens: int, block_size: int) -> tuple[int, int]:
    """(full blocks, tokens left over for a padded last block)."""
    return n_tokens // block_size, n_tokens % block_size


def check_enough_tokens(n_tokens: int, block_size: int, min_blocks: int = 2, param: str = "pretrain.block_size") -> None:
    """By default two full blocks are needed: one to train on and one held out to measure perplexity."""
    full, _ = count_blocks(n_tokens, block_size)
    if full < min_blocks:
        fit = max(16, n_tokens // min_blocks)
        why = "one to train on, one held out to measure perplexity" if min_blocks == 2 else "to train on"
        raise CorpusError(
            f"the corpus has {n_tokens:,} tokens, fewer than {min_blocks} block(s) of {block_size} tokens ({why}). "
            f"Add more text, or lower {param} to at most {fit} if a context that short is enough.",
            "corpus_too_small", param)


def split_blocks(n_tokens: int, block_size: int, heldout_share: float, seed: int) -> tuple[list[int], list[int]]:
    """Block start offsets for training and held-out evaluation.

    Held-out blocks are a seeded random ≥1 of the full blocks (share `heldout_share`); training gets the other full
    blocks plus the padded last block when there is one, so no token is thrown away.
    """
    full, rest = count_blocks(n_tokens, block_size)
    check_enough_tokens(n_tokens, block_size)
    n_held = min(full - 1, max(1, round(full * heldout_share)))
    order = np.random.default_rng(seed).permutation(full)
    held = sorted(int(i) * block_size for i in order[:n_held])
    train = sorted(int(i) * block_size for i in order[n_held:])
    if rest:
        train.append(full * block_size)
    return train, held


class PackedBlocks:
    """A map-style dataset of blocks from a token array: {input_ids, attention_mask, labels}, all `block_size`
    long; padding (only in a last partial block) has attention 0 and label -100."""

    def __init__(self, tokens: np.ndarray, starts: list[int], block_size: int, pad_id: int):
        self.tokens, self.starts, self.block_size, self.pad_id = tokens, list(starts), block_size, pad_id

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, i: int) -> dict:
        import torch

        start = self.starts[i]
        ids = torch.from_numpy(np.asarray(self.tokens[start:start + self.block_size], dtype=np.int64))
        n = ids.numel()
        mask = torch.ones(self.block_size, dtype=torch.long)
        labels = ids.clone()
        if n < self.block_size:
            pad = self.block_size - n
            ids = torch.cat([ids, torch.full((pad,), self.pad_id, dtype=torch.long)])
            labels = torch.cat([labels, torch.full((pad,), -100, dtype=torch.long)])
            mask[n:] = 0
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    def real_tokens(self) -> int:
        return sum(min(self.block_size, len(self.tokens) - s) for s in self.starts)


def text_blocks(text: str, tokenizer, block_size: int) -> PackedBlocks:
    """Blocks from an in-memory text (the forgetting probe): paragraphs separated by blank lines are documents."""
    eos = tokenizer.eos_token_id
    ids: list[int] = []
    for para in (p.strip() for p in text.split("\n\n")):
        if para:
            ids += tokenizer(para, add_special_tokens=False)["input_ids"] + [eos]
    tokens = np.asarray(ids, dtype=np.int64)
    starts = list(range(0, len(tokens), block_size))
    return PackedBlocks(tokens, starts, block_size, eos)


# ---------------------------------------------------------------------------------------------- perplexity


def perplexity(model, blocks: PackedBlocks, batch_size: int = 8, max_blocks: int | None = None) -> dict:
    """Token-weighted mean next-token loss over `blocks` and its exp; the model's own device and mode are
    restored afterwards. Returns {loss, perplexity, tokens, blocks}."""
    import torch

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    n = len(blocks) if max_blocks is None else min(len(blocks), max_blocks)
    total, count = 0.0, 0
    with torch.no_grad():
        for lo in range(0, n, batch_size):
            items = [blocks[i] for i in range(lo, min(n, lo + batch_size))]
            batch = {k: torch.stack([it[k] for it in items]).to(device) for k in items[0]}
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()
            shift_logits = logits[:, :-1].reshape(-1, logits.size(-1))
            shift_labels = batch["labels"][:, 1:].reshape(-1)
            loss = torch.nn.functional.cross_entropy(shift_logits, shift_labels, ignore_index=-100, reduction="sum")
            total += loss.item()
            count += int((shift_labels != -100).sum())
    if was_training:
        model.train()
    mean = total / max(count, 1)
    return {"loss": mean, "perplexity": math.exp(min(mean, 50.0)), "tokens": count, "blocks": n}
