"""The names that are the code's and never the user's, for tests that read what a screen shows.

Taken from where they are defined — the vocabulary (approach ids, fact keys, the members of each fact's value
type, job states), the trainer's config sections (field names) and the evaluation's metric keys — so a name added there is checked too. Only
names with an underscore are kept: a one-word id such as `rag`, `budget` or `running` is also an ordinary word a
label may use.
"""

from __future__ import annotations

import re

from trainer import config, scoring
from trainer.state.vocabulary import APPROACH_IDS, FACT_KEYS, FACTS, JobState

CONFIG_SECTIONS = (config.ModelConfig, config.DataConfig, config.LoraConfig, config.TrainingConfig,
                   config.EvalConfig, config.PretrainConfig, config.DpoConfig, config.LaunchConfig, config.JobConfig)


def internal_names() -> set[str]:
    names = {*APPROACH_IDS, *FACT_KEYS, *(s.value for s in JobState)}
    for spec in FACTS.values():
        for part in ("members", "access"):
            names |= set(getattr(spec.type, part, None) or ())
    for section in CONFIG_SECTIONS:
        names |= set(section.model_fields)
    names |= set(scoring.LABELS)  # evaluation metric keys: a screen shows their labels
    return {n for n in names if "_" in n}


def leaked(text: str) -> list[str]:
    """The internal names that appear in `text` as whole words."""
    return sorted(n for n in internal_names() if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text))
