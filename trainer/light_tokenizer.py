"""A tokenizer for counting, without transformers: the model's own `tokenizer.json` (the Rust `tokenizers`
library) and its own chat template (rendered with jinja2 the way transformers renders it: sandboxed, trim_blocks,
lstrip_blocks, a `tojson` that does not escape HTML, `raise_exception`).

Why: validation runs in a fresh child process per upload, and importing transformers pulls in torch (seconds and
~250 MB before the first row is read). This class offers the few members the validator uses — `__call__`,
`apply_chat_template`, the special tokens — and the test suite checks its counts and renders against
`AutoTokenizer` on the same folder.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2.ext
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

SPECIAL_KEYS = ("bos_token", "eos_token", "unk_token", "pad_token")


def _tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _raise(message):
    raise TemplateError(message)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = _tojson
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


def _token_text(value) -> str | None:
    if isinstance(value, dict):
        return value.get("content")
    return value


class LightTokenizer:
    """Counts tokens and renders chat templates exactly as the model's tokenizer does."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        self.name_or_path = str(folder)
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")) \
            if (folder / "tokenizer_config.json").is_file() else {}
        template_file = folder / "chat_template.jinja"
        self.chat_template = template_file.read_text(encoding="utf-8") if template_file.is_file() \
            else config.get("chat_template")
        self.special: dict[str, str] = {k: _token_text(config[k]) for k in SPECIAL_KEYS if _token_text(config.get(k))}
        self.added_tokens_decoder = {i: t for i, t in self._tok.get_added_tokens_decoder().items()}
        self._compiled: tuple[str, Any] | None = None

    @classmethod
    def can_load(cls, folder: Path) -> bool:
        return (Path(folder) / "tokenizer.json").is_file()

    @property
    def all_special_tokens(self) -> list[str]:
        return sorted(set(self.special.values()) | {t.content for t in self.added_tokens_decoder.values() if t.special})

    @property
    def eos_token(self) -> str | None:
        return self.special.get("eos_token")

    @property
    def pad_token(self) -> str | None:
        return self.special.get("pad_token")

    @pad_token.setter
    def pad_token(self, value: str) -> None:
        self.special["pad_token"] = value

    @property
    def eos_token_id(self) -> int | None:
        return self._tok.token_to_id(self.eos_token) if self.eos_token else None

    def __call__(self, text, add_special_tokens: bool = False, return_offsets_mapping: bool = False):
        if isinstance(text, str):
            encoding = self._tok.encode(text, add_special_tokens=add_special_tokens)
            out = {"input_ids": encoding.ids}
            if return_offsets_mapping:
                out["offset_mapping"] = encoding.offsets
            return out
        encodings = self._tok.encode_batch_fast(list(text), add_special_tokens=add_special_tokens) \
            if hasattr(self._tok, "encode_batch_fast") else self._tok.encode_batch(list(text), add_special_tokens)
        return {"input_ids": [e.ids for e in encodings]}

    def apply_chat_template(self, messages, tools=None, tokenize: bool = False, add_generation_prompt: bool = False):
        if tokenize:
            raise ValueError("LightTokenizer renders text only (tokenize=False)")
        if self._compiled is None or self._compiled[0] != self.chat_template:
            self._compiled = (self.chat_template, _environment().from_string(self.chat_template))
        return self._compiled[1].render(messages=messages, tools=tools, documents=None,
                                        add_generation_prompt=add_generation_prompt, **self.special)
