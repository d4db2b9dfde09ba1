"""`make run`'s preparation step: convert the bundled SmolLM2 into its safetensors cache and build the guidance
index, so the first chat turn and the first job start fast. Both steps are idempotent and quick when done."""

from __future__ import annotations

from trainer.state.home import apply_offline_env

apply_offline_env()

import sys  # noqa: E402
import time  # noqa: E402

import knowledge  # noqa: E402
from trainer import base_models  # noqa: E402
from trainer.state import home  # noqa: E402
from trainer.state.errors import UserError  # noqa: E402


def main() -> int:
    try:
        home.ensure_home()
        start = time.monotonic()
        ready = base_models.bundled_cache_ready()
        path = base_models.convert_bundled()
        print(f"bundled model smollm2: {'ready' if ready else 'converted'} at {path} ({time.monotonic() - start:.1f} s)")
        start = time.monotonic()
        knowledge.search("when should I fine-tune instead of prompting", k=1)  # builds or updates the index
        print(f"guidance index: ready ({time.monotonic() - start:.1f} s)")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
