"""Database records (SQLAlchemy 2): uploads, jobs and their results.

A job has one result row per input (``index`` 0..n-1); the row exists from submission on
(status ``pending``) so a job's inputs are known even before a worker touches it, and a resumed job
skips the rows that are already ``done``. The schema is created by the Alembic migrations in
``migrations/`` (never by ``create_all``); a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: job states; the last three are final
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINAL_STATES = (DONE, FAILED, CANCELLED)
#: result (per input) states
PENDING = "pending"
#: the owner of everything when the server has no API keys
LOCAL_OWNER = "local"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class Upload(Base):
    """One uploaded file, stored under a generated name (timestamp + content hash)."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: the client's file name, sanitised, for display and download names only (never a path)
    original_name: Mapped[str] = mapped_column(String(200))
    #: path relative to the store root, e.g. uploads/2026/11/22/20261122T054301Z_0123456789abcdef.png
    stored_path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media: Mapped[str] = mapped_column(String(10))  # image | video
    format: Mapped[str] = mapped_column(String(10))  # png, jpeg, mp4, ...
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: who sent it: ``local`` (no API keys) or ``key:<sha256 of the key, 16 hex>``; other keys get 404
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class Job(Base):
    """A unit of accepted work: one or many images, or one video, with its options and plan."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    kind: Mapped[str] = mapped_column(String(10))  # image | video
    #: sync = run inside the request (POST /v1/enhance); queued = by the worker threads
    mode: Mapped[str] = mapped_column(String(10), default="queued")
    status: Mapped[str] = mapped_column(String(12), default=QUEUED, index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(300), default="")
    #: the validated request options (task, model, plan, scale, size, strength, format, quality)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    #: the server process running it (``host:pid:token``) and when it last said it still does
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: files of a batch refused at submission, ``[{"name": ..., "reason": ...}]`` (the others still run)
    rejected: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)

    results: Mapped[list[Result]] = relationship(
        back_populates="job", order_by="Result.index", cascade="all, delete-orphan")


class Result(Base):
    """The output for one input of a job (``index`` is the input's position)."""

    __tablename__ = "results"
    __table_args__ = (UniqueConstraint("job_id", "index", name="uq_results_job_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id"))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    stored_path: Mapped[str | None] = mapped_column(String(300), nullable=True)
    format: Mapped[str | None] = mapped_column(String(10), nullable=True)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: the plan that ran (Plan.to_dict) and vivid's provenance record
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)

    job: Mapped[Job] = relationship(back_populates="results")
    upload: Mapped[Upload] = relationship()
