"""Secrets in the environment (the LLM API key above all) never reach logs, events, stored messages or job processes.

Two rules, applied where text leaves the process or a child is started:
- `redact(text)`: the value of every secret variable set in this process is replaced by `[redacted]` (events,
  transcript messages, tool-call logs, error messages shown to a user);
- `job_environment(env)`: a training job gets the environment without the LLM keys (it never calls an LLM, and its
  log.txt and run folder must not be able to hold one).

A secret variable is `TUNEWISE_LLM_API_KEY` or any name ending in `_API_KEY`, `_TOKEN`, `_SECRET` or `_PASSWORD`.
Values shorter than `MIN_SECRET_CHARS` are not redacted: replacing "1" or "no" everywhere would garble text and
protects nothing.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping

LLM_KEY = "TUNEWISE_LLM_API_KEY"
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_PASSWORD")
# Removed from a job's environment: keys for hosted models. Hub tokens (HF_TOKEN) stay: a job may need one to read
# a gated base model where the user has network.
JOB_DROPPED_SUFFIXES = ("_API_KEY",)
MIN_SECRET_CHARS = 6
REDACTED = "[redacted]"


def is_secret_name(name: str) -> bool:
    return name == LLM_KEY or name.upper().endswith(SECRET_SUFFIXES)


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The values to hide, longest first (a key that contains another is replaced whole)."""
    env = os.environ if env is None else env
    values = {v for k, v in env.items() if is_secret_name(k) and v and len(v) >= MIN_SECRET_CHARS}
    return sorted(values, key=len, reverse=True)


def redact(text: Any, env: Mapping[str, str] | None = None) -> Any:
    """`text` with every secret value replaced by [redacted]; non-strings are returned unchanged."""
    if not isinstance(text, str) or not text:
        return text
    for value in secret_values(env):
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_data(value: Any, env: Mapping[str, str] | None = None) -> Any:
    """`redact` through the strings of a JSON-like value (dicts, lists, tuples), returning a new value."""
    if isinstance(value, str):
        return redact(value, env)
    if isinstance(value, dict):
        return {k: redact_data(v, env) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v, env) for v in value)
    return value


def job_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without the hosted-model keys a training job has no use for."""
    return {k: v for k, v in env.items() if not (k == LLM_KEY or k.upper().endswith(JOB_DROPPED_SUFFIXES))}


class RedactSecrets(logging.Filter):
    """A logging filter that redacts the formatted message (attach it to a logger that may see a secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
