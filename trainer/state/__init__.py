"""The ground floor every package may import, and which imports nothing else of tunewise.

- `trainer.state.home` — the state folder (TUNEWISE_HOME) and the offline environment;
- `trainer.state.db` — the one SQLite engine, its named append-only migrations, timezone-aware timestamps;
- `trainer.state.columns` — the column types every table shares (timezone-aware timestamps);
- `trainer.state.errors` — `UserError`, the one base for mistakes a user can fix (with `code` and `param`);
- `trainer.state.vocabulary` — approach ids, fact keys and job states, with their labels and per-item data;
- `trainer.state.secrets` — API keys never reach logs, events, messages or job processes (`redact`).

It lives inside `trainer` because DESIGN.md fixes the five packages; the import contract in pyproject.toml keeps
it below everything else, so `knowledge`, `tools`, `agent` and `ui` depend on it and not on the training code.
"""
