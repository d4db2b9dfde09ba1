"""Where the project's shared folder is (the scenarios and source articles tests read), found relative to the
checkout, never by a machine's absolute path.

CI clones main into a folder with `shared/` beside it, so `../shared` from the repository root. Also tried, in
order: `$TUNEWISE_SHARED`, `shared/` inside the checkout (where a copy is carried along), and `../shared` from
the main checkout of a `git worktree` (a worktree lives elsewhere; its main checkout is the one CI mirrors).

`require(relative)` returns the path, or stops the test: skipped on a developer's machine without the folder,
failed loudly when `CI=true` (there the folder must be present, and a silent skip would hide a broken set-up).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _main_checkout() -> Path | None:
    try:
        common = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--path-format=absolute", "--git-common-dir"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return Path(common).parent if common else None


def shared_dir() -> Path | None:
    candidates = [Path(os.environ["TUNEWISE_SHARED"])] if os.environ.get("TUNEWISE_SHARED") else []
    candidates += [REPO / "shared", REPO.parent / "shared"]
    main = _main_checkout()
    if main is not None:
        candidates.append(main.parent / "shared")
    return next((c for c in candidates if c.is_dir()), None)


def find(relative: str) -> Path | None:
    """The file or folder `relative` inside the shared folder, or None when it is not there."""
    root = shared_dir()
    path = root / relative if root is not None else None
    return path if path is not None and path.exists() else None


def require(relative: str) -> Path:
    """`find(relative)`, or skip the test (fail it when CI=true) naming what is missing and where it was sought."""
    import pytest

    path = find(relative)
    if path is not None:
        return path
    where = f"shared/{relative} (looked in $TUNEWISE_SHARED, {REPO / 'shared'}, {REPO.parent / 'shared'})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{where} is missing, and CI must have it beside the checkout")
    pytest.skip(f"{where} is not on this machine")
