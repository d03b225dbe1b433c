"""Response shapes (they document the API in OpenAPI) and how records become them.

Links are relative to the server root (``/v1/jobs/<id>/result/0``) so they work behind a proxy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vivid.server.jobs import Live
from vivid.server.records import Job, Result, Upload


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. image_too_large, not_found.")
    message: str = Field(description="One line for people: what was wrong, with the value, and what to do.")


class ErrorOut(BaseModel):
    error: ErrorDetail


class UploadOut(BaseModel):
    id: str
    name: str = Field(description="The client's file name (sanitised; display only).")
    media: str
    format: str
    width: int | None
    height: int | None
    size_bytes: int
    sha256: str
    created_at: datetime
    thumbnail_url: str


class StepOut(BaseModel):
    task: str
    model: str
    scale: int
    reason: str
    alternatives: list[str] = Field(description="Other models that could do this step; send one back in the plan to use it instead.")


class AnalyzeOut(BaseModel):
    upload: UploadOut
    steps: list[StepOut]
    explanation: list[str] = Field(description="One human line per step (Plan.explain()).")
    notes: list[str]
    analysis: dict[str, Any] = Field(description="The measurements routing decided on.")
    plan: dict[str, Any] = Field(description="The plan as data (Plan.to_dict()); send it back, edited, as 'plan'.")
    models_by_task: dict[str, list[str]] = Field(description="Every model per task (vivid's, then the ones added "
                                                             "with 'vivid models add'), for task choice.")


class ResultOut(BaseModel):
    index: int
    status: str
    upload: UploadOut
    url: str | None = Field(description="Download link of the enhanced file (when done).")
    format: str | None
    width: int | None
    height: int | None
    size_bytes: int | None
    plan: dict[str, Any] | None
    provenance: dict[str, Any] | None
    error: str | None


class RejectedOut(BaseModel):
    name: str = Field(description="The refused file's name (display only).")
    reason: str = Field(description="Why it was refused, in one line.")


class JobOut(BaseModel):
    id: str
    kind: str
    mode: str = Field(description="sync (ran inside POST /v1/enhance) or queued (background workers).")
    status: str = Field(description="queued, running, done, failed or cancelled.")
    progress: float = Field(ge=0, le=1)
    eta_seconds: float | None
    message: str
    error: ErrorDetail | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    options: dict[str, Any]
    results: list[ResultOut]
    rejected: list[RejectedOut] = Field(default_factory=list, description=(
        "Files of a batch refused at submission (corrupt, not an image, too large); the others run."))
    url: str
    events_url: str
    result_url: str | None = Field(description="The one result, or a ZIP of all results of a multi-input job.")
    thumbnail_url: str | None


class JobListOut(BaseModel):
    jobs: list[JobOut]
    total: int


class EnhanceOut(BaseModel):
    job: JobOut
    result_url: str
    explanation: list[str]
    provenance: dict[str, Any]


class ModelOut(BaseModel):
    name: str
    task: str
    scales: list[int]
    any_scale: bool
    kind: str
    speed_class: str
    license: str
    summary: str
    recommended: bool = Field(description="The model 'auto' uses for this task.")
    yours: bool = Field(False, description="A model added on this server with 'vivid models add'.")
    file: str | None = Field(None, description="The file of a model added with 'vivid models add'.")
    architecture: str | None = Field(None, description="The architecture of a model added with 'vivid models add'.")


class ModelsOut(BaseModel):
    tasks: list[str]
    models: list[ModelOut]


class InfoOut(BaseModel):
    version: str
    video: bool = Field(description="Whether video jobs are available.")
    auth: bool = Field(description="Whether /v1 requires X-API-Key.")
    formats: list[str]
    max_upload_mb: float
    max_pixels: int
    sync_max_pixels: int
    max_files: int
    max_output_pixels: int = Field(description="Largest image any step of a plan may produce (pixels).")
    memory_budget_mb: float = Field(description="Estimated memory one request or job may need (MB).")
    max_video_pixels: int = Field(description="Largest video job: output frames x pixels per frame.")
    max_stream_output_pixels: int = Field(description="Largest output of a job on the streaming path (pixels).")


def upload_out(u: Upload) -> UploadOut:
    return UploadOut(id=u.id, name=u.original_name, media=u.media, format=u.format, width=u.width,
                     height=u.height, size_bytes=u.size_bytes, sha256=u.sha256, created_at=u.created_at,
                     thumbnail_url=f"/v1/uploads/{u.id}/thumbnail")


def result_out(job: Job, r: Result) -> ResultOut:
    return ResultOut(index=r.index, status=r.status, upload=upload_out(r.upload),
                     url=f"/v1/jobs/{job.id}/result/{r.index}" if r.stored_path else None,
                     format=r.format, width=r.width, height=r.height, size_bytes=r.size_bytes,
                     plan=r.plan, provenance=r.provenance, error=r.error_message)


def job_out(job: Job, live: Live | None = None) -> JobOut:
    """A job as the API shows it; ``live`` (in-memory progress) wins over the stored values."""
    status, progress, message, eta = job.status, job.progress, job.message, None
    if live is not None and live.status not in ("done", "failed", "cancelled") and status in ("queued", "running"):
        status, progress, message, eta = live.status, live.progress, live.message, live.eta_seconds()
    done = [r for r in job.results if r.stored_path]
    result_url = None
    if status == "done" and done:
        result_url = f"/v1/jobs/{job.id}/result" + (f"/{done[0].index}" if len(job.results) == 1 else "")
    error = ErrorDetail(code=job.error_code, message=job.error_message or "") if job.error_code else None
    first = job.results[0] if job.results else None
    return JobOut(
        id=job.id, kind=job.kind, mode=job.mode, status=status, progress=round(progress, 4),
        eta_seconds=round(eta, 1) if eta is not None else None, message=message, error=error,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        options=job.options, results=[result_out(job, r) for r in job.results],
        rejected=[RejectedOut(**r) for r in job.rejected or ()],
        url=f"/v1/jobs/{job.id}", events_url=f"/v1/jobs/{job.id}/events", result_url=result_url,
        thumbnail_url=f"/v1/uploads/{first.upload_id}/thumbnail" if first else None,
    )
