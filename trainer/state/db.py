"""The state store: one SQLite database under TUNEWISE_HOME, opened through one SQLModel engine.

Every connection gets WAL journaling (readers never block the writer), foreign keys, and a busy timeout so
concurrent writers wait instead of failing with "database is locked". The schema is built only by the named,
append-only migrations below; a database that carries a migration this code does not know was written by a
newer tunewise and is refused, untouched.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from trainer.state import home
from trainer.state.errors import UserError

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for the lock before giving up, in milliseconds


class DatabaseError(UserError):
    """The database cannot be used as it is; the message names the problem and the fix."""


def utcnow() -> datetime:
    """Timezone-aware now (SQLModel refuses naive datetimes at flush)."""
    return datetime.now(timezone.utc)


# Named, append-only: never edit or reorder a released migration; add a new one at the end.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_jobs",
        """
        CREATE TABLE conversation (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            owner TEXT NOT NULL DEFAULT '',
            profile JSON NOT NULL DEFAULT '{}',
            recommendation JSON,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE message (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversation(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            content TEXT NOT NULL,
            meta JSON NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        );
        CREATE INDEX ix_message_conversation ON message(conversation_id, id);
        CREATE TABLE job (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            config JSON NOT NULL,
            estimate JSON,
            fingerprint JSON,
            run_dir TEXT NOT NULL,
            conversation_id TEXT REFERENCES conversation(id) ON DELETE SET NULL,
            parent_id TEXT REFERENCES job(id) ON DELETE SET NULL,
            approved_by TEXT,
            approved_at TEXT,
            error_code TEXT,
            error_message TEXT,
            error_param TEXT,
            pid INTEGER,
            attempt INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT
        );
        CREATE INDEX ix_job_state ON job(state);
        CREATE INDEX ix_job_conversation ON job(conversation_id);
        CREATE TABLE jobmetric (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            epoch REAL,
            loss REAL,
            eval_loss REAL,
            learning_rate REAL,
            grad_norm REAL,
            tokens_per_s REAL,
            elapsed_s REAL,
            eta_s REAL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ix_jobmetric_job ON jobmetric(job_id, step);
        CREATE TABLE jobevent (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL REFERENCES job(id) ON DELETE CASCADE,
            level TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX ix_jobevent_job ON jobevent(job_id, id);
        """,
    ),
    (
        "0002_job_supervision",
        # pid_create_time: the job process's start time (psutil), so a reused pid is not mistaken for the job;
        # cancel_requested_at: a cancel was asked for (the process may still be saving its last checkpoint);
        # total_steps: optimizer steps of the whole run, known once training starts; exit_code: of the last process;
        # result: the recipe's returned summary; error_details: located errors (validation) behind error_code.
        # jobmetric.attempt: which process wrote the row (a resumed run repeats the steps after its checkpoint).
        """
        ALTER TABLE job ADD COLUMN pid_create_time REAL;
        ALTER TABLE job ADD COLUMN cancel_requested_at TEXT;
        ALTER TABLE job ADD COLUMN total_steps INTEGER;
        ALTER TABLE job ADD COLUMN exit_code INTEGER;
        ALTER TABLE job ADD COLUMN result JSON;
        ALTER TABLE job ADD COLUMN error_details JSON;
        ALTER TABLE jobmetric ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX ix_job_parent ON job(parent_id);
        """,
    ),
    (
        "0003_job_phase",
        # phase: what the running job is doing now, as trainer.progress.report_phase last wrote it:
        # {name, done, total, eta_s, detail, started_at, time} (JSON; null before the job process starts).
        """
        ALTER TABLE job ADD COLUMN phase JSON;
        """,
    ),
    (
        "0004_conversation_events",
        # message.event_key: a name for an event that must be recorded once (a job's milestone, its results); the
        # unique index makes "append unless already there" one INSERT, safe across processes (the app, `tunewise
        # ask`, `tunewise jobs run` may all report the same job). job.cancel_reason: why a job was cancelled
        # ("replaced by <id>", "rejected by <user>"), shown to the user instead of a bare "cancelled".
        """
        ALTER TABLE message ADD COLUMN event_key TEXT;
        CREATE UNIQUE INDEX ux_message_event_key ON message(conversation_id, event_key) WHERE event_key IS NOT NULL;
        ALTER TABLE job ADD COLUMN cancel_reason TEXT;
        """,
    ),
]

_engines: dict[Path, Engine] = {}
_engines_lock = threading.Lock()


def _on_connect(dbapi_conn: sqlite3.Connection, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")  # safe under WAL; a power cut loses at most the last commit
    cur.close()


def engine() -> Engine:
    """The engine for the current TUNEWISE_HOME, migrated; one per database file per process (thread-safe: the app's
    job-runner thread and its request handlers may ask at the same moment)."""
    path = home.db_path()
    if path not in _engines:
        with _engines_lock:
            if path not in _engines:
                eng = create_engine(
                    f"sqlite:///{path}",
                    connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
                )
                event.listen(eng, "connect", _on_connect)
                migrate(eng, path)
                _engines[path] = eng
    return _engines[path]


def session() -> Session:
    """A new session on the current database; use as `with db.session() as s: ...`."""
    return Session(engine(), expire_on_commit=False)


def applied_migrations(eng: Engine) -> list[str]:
    with eng.connect() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"))
        conn.commit()
        return [row[0] for row in conn.execute(text("SELECT name FROM _migrations ORDER BY name"))]


def migrate(eng: Engine, path: Path) -> list[str]:
    """Apply the migrations this database lacks, in order; return their names."""
    try:
        done = applied_migrations(eng)
    except Exception as exc:  # a file that is not a SQLite database, or is damaged
        raise DatabaseError(
            f"{path} is not a readable tunewise database ({exc.__class__.__name__}: {str(exc).splitlines()[0]}); "
            "move it aside (nothing was changed) or point TUNEWISE_HOME at another folder."
        ) from None
    known = [name for name, _ in MIGRATIONS]
    unknown = [name for name in done if name not in known]
    if unknown:
        raise DatabaseError(
            f"{path} was written by a newer tunewise (unknown migration {unknown[0]}); "
            "upgrade tunewise, or point TUNEWISE_HOME at another folder. Nothing was changed."
        )
    new = []
    raw = eng.raw_connection()
    conn: sqlite3.Connection = raw.driver_connection
    isolation = conn.isolation_level
    conn.isolation_level = None  # we issue BEGIN/COMMIT ourselves
    try:
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            # BEGIN IMMEDIATE takes the write lock first, so of several processes opening a new database at once
            # (the app and its job processes, the benchmark's writers) exactly one applies each migration; the others
            # wait, then see it recorded. A failed migration rolls back and leaves nothing.
            try:
                conn.execute("BEGIN IMMEDIATE")
                if conn.execute("SELECT 1 FROM _migrations WHERE name = ?", (name,)).fetchone():
                    conn.execute("ROLLBACK")
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, utcnow().isoformat()))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise DatabaseError(f"migration {name} failed on {path}: {exc}; nothing was changed.") from None
            new.append(name)
    finally:
        conn.isolation_level = isolation
        raw.close()
    return new


def _statements(sql: str) -> list[str]:
    """Split a migration script into complete SQL statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def reset_engines() -> None:
    """Dispose every cached engine (tests that repoint TUNEWISE_HOME call this)."""
    for eng in _engines.values():
        eng.dispose()
    _engines.clear()
