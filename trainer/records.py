"""The job's database rows as SQLModel classes. The schema itself is made by `trainer.state.db.MIGRATIONS`; a test
checks that these classes and the migrated tables agree column for column. (The conversation's rows are in
`agent.records`.)"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from trainer.state.columns import timestamp_field


class Job(SQLModel, table=True):
    id: str = Field(primary_key=True)
    kind: str  # sft | continued_pretraining | pretraining | pipeline
    state: str  # see trainer.jobs for the lifecycle
    config: dict = Field(sa_column=Column(JSON, nullable=False))
    estimate: Optional[dict] = Field(default=None, sa_column=Column(JSON))  # the pre-flight the user approved
    fingerprint: Optional[dict] = Field(default=None, sa_column=Column(JSON))  # dataset/config/model hashes at launch
    run_dir: str
    conversation_id: Optional[str] = None  # conversation.id (the FK is in the schema; the row class is agent.records)
    parent_id: Optional[str] = Field(default=None, foreign_key="job.id")  # the previous pipeline stage
    approved_by: Optional[str] = None
    approved_at: Optional[datetime] = timestamp_field(nullable=True)
    error_code: Optional[str] = None
    error_message: Optional[str] = None
    error_param: Optional[str] = None
    pid: Optional[int] = None  # the training process (and its process group)
    attempt: int = 0  # how many times the job process was started (resumes add one)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    started_at: Optional[datetime] = timestamp_field(nullable=True)
    finished_at: Optional[datetime] = timestamp_field(nullable=True)
    # 0002_job_supervision
    pid_create_time: Optional[float] = None  # psutil create_time() of `pid`: tells the job's process from a reused pid
    cancel_requested_at: Optional[datetime] = timestamp_field(nullable=True)  # set by cancel_job; the state follows when it exits
    total_steps: Optional[int] = None  # optimizer steps of the whole run, written when training starts
    exit_code: Optional[int] = None  # of the last job process; negative = killed by that signal
    result: Optional[dict] = Field(default=None, sa_column=Column(JSON))  # the recipe's returned summary
    error_details: Optional[list] = Field(default=None, sa_column=Column(JSON))  # located errors, e.g. data lines
    # 0003_job_phase
    phase: Optional[dict] = Field(default=None, sa_column=Column(JSON))  # trainer.progress.report_phase's last row
    # 0004_conversation_events
    cancel_reason: Optional[str] = None  # why it was cancelled: "replaced by <job id>", "rejected by <user>", …


class JobMetric(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id")
    step: int
    epoch: Optional[float] = None
    loss: Optional[float] = None
    eval_loss: Optional[float] = None
    learning_rate: Optional[float] = None
    grad_norm: Optional[float] = None
    tokens_per_s: Optional[float] = None
    elapsed_s: Optional[float] = None
    eta_s: Optional[float] = None
    created_at: datetime = timestamp_field()
    attempt: int = 0  # 0002: the job process that wrote it (job.attempt at the time)


class JobEvent(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id")
    level: str  # info | warning | error
    message: str
    created_at: datetime = timestamp_field()
