"""The database under the job system's real concurrency: job processes, the app and the CLI open and write the same
SQLite file at once. (The minute-long, 8-writer figure is tests/bench/bench_jobs.py writers.)"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from sqlmodel import func, select

from trainer import jobs
from trainer.state import db
from trainer.records import JobMetric

BENCH = Path(__file__).resolve().parent / "bench" / "bench_jobs.py"
OPEN_AND_REPORT = "from trainer.state import db; print(','.join(db.applied_migrations(db.engine())))"


def test_processes_and_threads_opening_a_new_database_at_once_migrate_it_exactly_once(tunewise_home):
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AND_REPORT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(4)]
    errors: list[BaseException] = []

    def open_in_thread():
        try:
            db.engine()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=open_in_thread) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outputs = [p.communicate() for p in procs]
    assert errors == []
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err for _, err in outputs]
    expected = ",".join(sorted(name for name, _ in db.MIGRATIONS))
    assert {out.strip() for out, _ in outputs} == {expected}


def test_four_writer_processes_lose_no_row_and_never_see_a_locked_database(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "x"}\n')
    ids = [jobs.create_job({"kind": "sft", "data": {"train": str(data)}}).id for _ in range(4)]
    outs = [tmp_path / f"w{i}.json" for i in range(4)]
    procs = [subprocess.Popen([sys.executable, str(BENCH), "_writer", ids[i], "3", str(outs[i])],
                              stderr=subprocess.PIPE, text=True) for i in range(4)]
    stderr = [p.communicate()[1] for p in procs]
    assert "database is locked" not in "".join(stderr)
    for out in outs:
        report = json.loads(out.read_text())
        assert report["errors"] == [] and report["rows"] > 0
        with db.session() as s:
            stored = s.exec(select(func.count()).select_from(JobMetric).where(JobMetric.job_id == report["job_id"])).one()
        assert stored == report["rows"]  # every committed row is there
