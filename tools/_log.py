"""Every tool call is logged with its arguments and a short result, on the "tunewise.tools" logger."""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any, Callable

from trainer.state.secrets import RedactSecrets

log = logging.getLogger("tunewise.tools")
log.addFilter(RedactSecrets())  # a tool's arguments or error may quote the LLM key; the log never does


def short(value: Any, limit: int = 300) -> str:
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def logged(func: Callable) -> Callable:
    """Log `tool NAME args=… -> result` (or the error) for each call."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        shown = {k: v for k, v in kwargs.items() if k != "config"}
        start = time.perf_counter()
        try:
            result = func(*args, **kwargs)
        except Exception as exc:
            log.warning("tool %s args=%s -> error %s: %s", func.__name__, short(shown), type(exc).__name__, exc)
            raise
        log.info("tool %s args=%s -> %s (%.0f ms)", func.__name__, short(shown), short(result),
                 (time.perf_counter() - start) * 1000)
        return result

    return wrapper
