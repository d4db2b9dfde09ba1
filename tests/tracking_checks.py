"""One check that every recipe's test calls on its finished run folder: TensorBoard scalars and the card."""

from __future__ import annotations

import json
from pathlib import Path


def assert_tracked(run_dir: Path, steps: int) -> None:
    """run_dir/tensorboard holds the logged training loss, and card.json what it takes to reproduce the run."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    losses = events.Scalars("train/loss")
    assert losses and all(e.step <= steps for e in losses) and all(e.value > 0 for e in losses)
    card = json.loads((run_dir / "card.json").read_text())
    assert card["config"]["kind"] and card["seed"]["training"] is not None
    assert card["packages"]["torch"] and card["hardware"]["cpus"]
    assert card["data_sha256"] and all(card["data_sha256"].values())  # every data file or folder identified
    assert card["measured"]["optimizer_steps"] == steps
