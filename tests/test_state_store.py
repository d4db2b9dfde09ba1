"""The state store: WAL, foreign keys, named migrations, timezone-aware rows, and refusals that lose nothing."""

from __future__ import annotations

import os
import sqlite3
from datetime import timezone

import pytest
from sqlalchemy import inspect, text

from trainer.state import db, home
from agent.records import Conversation, Message
from trainer.records import Job, JobEvent, JobMetric


def test_database_uses_wal_foreign_keys_and_a_busy_timeout():
    with db.engine().connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS


def test_migrations_are_applied_once_and_recorded_by_name():
    eng = db.engine()
    assert db.applied_migrations(eng) == [name for name, _ in db.MIGRATIONS]
    assert db.migrate(eng, home.db_path()) == []  # a second run applies nothing


def test_records_match_the_migrated_tables_column_for_column():
    # The schema is made only by migrations; the SQLModel classes must describe exactly those columns.
    inspector = inspect(db.engine())
    for model in (Conversation, Message, Job, JobMetric, JobEvent):
        table = model.__tablename__
        migrated = {c["name"] for c in inspector.get_columns(table)}
        declared = set(model.model_fields)
        assert migrated == declared, f"{table}: migrations {migrated ^ declared} differ from records.py"


def test_timestamps_round_trip_timezone_aware():
    with db.session() as s:
        s.add(Conversation(id="c1", title="t"))
        s.commit()
    with db.session() as s:
        row = s.get(Conversation, "c1")
    assert row.created_at.tzinfo is not None
    assert row.created_at.utcoffset() == timezone.utc.utcoffset(None)


def test_foreign_keys_reject_a_message_for_a_missing_conversation():
    with db.session() as s:
        s.add(Message(conversation_id="nope", role="user", content="hi"))
        with pytest.raises(Exception, match="FOREIGN KEY"):
            s.commit()


def test_a_database_from_a_newer_schema_is_refused_and_left_untouched(tunewise_home):
    db.engine()
    db.reset_engines()
    path = home.db_path()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO _migrations VALUES ('9999_from_the_future', '2030-01-01T00:00:00+00:00')")
    before = path.read_bytes()
    with pytest.raises(db.DatabaseError, match="newer tunewise.*9999_from_the_future"):
        db.engine()
    assert path.read_bytes() == before


def test_a_corrupt_database_file_gives_one_clear_sentence_and_is_kept(tunewise_home):
    home.ensure_home()
    path = home.db_path()
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(db.DatabaseError, match="not a readable tunewise database.*nothing was changed"):
        db.engine()
    assert path.read_bytes() == b"this is not a database" * 100


def test_an_unwritable_home_names_the_folder_and_the_fix(tmp_path, monkeypatch):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    monkeypatch.setenv("TUNEWISE_HOME", str(blocker / "home"))
    with pytest.raises(home.HomeError, match="is not writable.*TUNEWISE_HOME"):
        home.ensure_home()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_a_read_only_home_is_reported(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    monkeypatch.setenv("TUNEWISE_HOME", str(ro))
    with pytest.raises(home.HomeError):
        home.ensure_home()
