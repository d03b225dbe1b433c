"""Jobs: submit (many images or a video), follow (status, server-sent events), cancel, download."""

from __future__ import annotations

import asyncio
import json
import zipfile
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.background import BackgroundTask

from vivid.errors import ConfigError, VividError
from vivid.server.budget import check_video, plan_geometry, planned_steps, route_job_input
from vivid.server.enhancement import FormOptions
from vivid.server.errors import ConflictError, NotFoundError, TooManyRequestsError, UnsupportedMediaError
from vivid.server.intake import accept_image, accept_video, get_upload, new_id
from vivid.server.media import OUTPUT_FORMATS, display_name, download_name, sniff
from vivid.server.records import DONE, FINAL_STATES, LOCAL_OWNER, PENDING, QUEUED, Job, Result, utcnow
from vivid.server.schemas import ErrorOut, JobListOut, JobOut, job_out
from vivid.server.services import Caller, CallerDep, Services, ServicesDep, SettingsDep
from vivid.server.settings import Settings
from vivid.server.video import video_available, video_options

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

_ERRORS = {c: {"model": ErrorOut} for c in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503)}


def load_job(s: Session, job_id: str, caller: Caller) -> Job:
    """A job the caller may see (another key's job is a 404, as if it did not exist)."""
    job = None
    if job_id.isalnum() and len(job_id) <= 32:
        job = s.scalars(select(Job).where(Job.id == job_id)
                        .options(selectinload(Job.results).selectinload(Result.upload))).one_or_none()
    if job is None or not caller.sees(job.owner):
        raise NotFoundError(f"no job with id {job_id!r}")
    return job


def _media_of(head: bytes) -> str | None:
    """image or video from a file's first bytes; None when it is neither (a batch lists it as refused)."""
    try:
        return sniff(head)[0] if head else "image"
    except UnsupportedMediaError:
        return None


def _job(services: Services, job_id: str, caller: Caller) -> JobOut:
    with services.db.session() as s:
        return job_out(load_job(s, job_id, caller), services.runner.live(job_id))


def _check_queue(services: Services, settings: Settings, caller: Caller, job: Job | None = None) -> None:
    """429 (with Retry-After) when the queue, or this key's part of it, is full. With ``job`` (just
    inserted), only the queued jobs up to it count: of several submitted at once, the later ones are refused."""
    with services.db.session() as s:
        queued = select(func.count()).select_from(Job).where(Job.status == QUEUED, Job.mode == "queued")
        if job is not None:
            queued = queued.where((Job.created_at < job.created_at) | ((Job.created_at == job.created_at)
                                                                       & (Job.id < job.id)))
        total = s.scalar(queued) or 0
        mine = s.scalar(queued.where(Job.owner == caller.owner)) or 0
    if total >= settings.max_queued_jobs:
        raise TooManyRequestsError(f"{total} jobs are waiting, the most this server queues (setting "
                                   "VIVID_MAX_QUEUED_JOBS): try again when some have run", retry_after=30)
    if mine >= settings.max_queued_jobs_per_key and caller.owner != LOCAL_OWNER:  # no keys: one user, one limit
        raise TooManyRequestsError(f"{mine} of your jobs are waiting, the most one API key may queue (setting "
                                   "VIVID_MAX_QUEUED_JOBS_PER_KEY): try again when some have run", retry_after=30)


@router.post("", status_code=202, response_model=JobOut, responses=_ERRORS,
             summary="Submit a job: one or many images, or one video")
def submit(
    services: ServicesDep,
    settings: SettingsDep,
    caller: CallerDep,
    opts: FormOptions,
    files: Annotated[list[UploadFile] | None, File(description="Images (one or many) or one video.")] = None,
    upload_ids: Annotated[list[str] | None, Form(description="Earlier uploads' ids instead of (or besides) files.")] = None,
) -> JobOut:
    """Everything is checked and stored before the answer (202 with the job); workers do the rest.
    Follow it with ``GET /v1/jobs/{id}`` or ``GET /v1/jobs/{id}/events``. In a batch, a file that cannot be
    used (corrupt, not an image, over a limit) is listed in ``rejected`` with its reason and the others run;
    when none can, the answer is the first file's error."""
    files = [f for f in (files or []) if f.filename or f.size]
    ids = [i for i in (upload_ids or []) if i]
    n = len(files) + len(ids)
    if n == 0:
        raise ConfigError("a job needs at least one file (field 'files') or upload_ids")
    if n > settings.max_files:
        raise ConfigError(f"{n} files in one job, more than the limit of {settings.max_files}: split them")
    _check_queue(services, settings, caller)
    heads = []
    for f in files:
        heads.append(f.file.read(64))
        f.file.seek(0)
    kinds = {_media_of(h) for h in heads} | {get_upload(services, i, caller).media for i in ids}
    kind = "video" if "video" in kinds else "image"
    rejected: list[tuple[str, VividError]] = []
    if kind == "video":
        if n != 1:
            raise ConfigError("a video job takes exactly one video (and no images)")
        if not video_available():
            raise UnsupportedMediaError("video is not available on this server yet: send images")
        video_options(opts)  # refuses options that mean nothing for video, before anything is stored

        def video_fits(width: int, height: int, frames: int | None, name: str) -> None:
            g = plan_geometry(height, width, planned_steps(opts, height, width), scale=opts.scale, size=None)
            check_video(frames, g.height, g.width, settings, name=name)

        if files:
            uploads = [accept_video(services, settings, files[0], owner=caller.owner, precheck=video_fits)]
        else:
            rec = get_upload(services, ids[0], caller)
            if rec.width and rec.height:
                video_fits(rec.width, rec.height, None, rec.original_name)
            uploads = [rec]
    else:
        def route(width: int, height: int, name: str) -> str:  # from the header, before decoding
            return route_job_input(opts, width, height, settings, services.models, name=name)

        earlier = [get_upload(services, i, caller) for i in ids]
        for rec in earlier:
            if rec.media == "image" and rec.width and rec.height:
                route(rec.width, rec.height, rec.original_name)
        def heavy():  # noqa: ANN202 - each file is decoded once to check it (unless streamed), in a gate slot
            return services.gate.enter(caller.owner)

        uploads = []
        for f in files:  # in a batch, a bad file is listed and the good ones still run
            try:
                uploads.append(accept_image(services, settings, f, owner=caller.owner, route=route, heavy=heavy)[0])
            except VividError as e:
                if n == 1:
                    raise
                rejected.append((display_name(f.filename), e))
        if rejected and not uploads and not earlier:
            raise rejected[0][1]
        uploads += earlier
    job = Job(id=new_id(), created_at=utcnow(), kind=kind, mode="queued", status=QUEUED, progress=0.0,
              message="queued", options=opts.model_dump(mode="json"), attempts=0, owner=caller.owner,
              rejected=[{"name": name, "reason": services.runner.scrub(str(e))} for name, e in rejected] or None)
    job.results = [Result(index=i, upload_id=u.id, status=PENDING) for i, u in enumerate(uploads)]
    with services.db.session() as s:
        s.add(job)
    try:  # submissions that raced past the first check: the ones behind a full queue go
        _check_queue(services, settings, caller, job)
    except TooManyRequestsError:
        from sqlalchemy import delete

        with services.db.session() as s:  # unless a worker took it in between: then it runs
            gone = s.execute(delete(Job).where(Job.id == job.id, Job.status == QUEUED)).rowcount
        if gone:
            raise
    services.runner.submit(job.id)
    return _job(services, job.id, caller)


@router.get("", response_model=JobListOut, summary="History: jobs, newest first (with thumbnail links)")
def history(
    services: ServicesDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    status: Annotated[str | None, Query(max_length=20, description="Only jobs in this state.")] = None,
) -> JobListOut:
    """The caller's jobs (an admin key, or the local user when there are no keys, sees every job)."""
    with services.db.session() as s:
        q = select(Job)
        if not caller.admin:
            q = q.where(Job.owner == caller.owner)
        if status is not None:
            q = q.where(Job.status == status)
        total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
        jobs = s.scalars(q.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)
                         .options(selectinload(Job.results).selectinload(Result.upload))).all()
        return JobListOut(jobs=[job_out(j, services.runner.live(j.id)) for j in jobs], total=total)


@router.get("/{job_id}", response_model=JobOut, responses=_ERRORS, summary="A job's status, progress, ETA and results")
def get_job(services: ServicesDep, caller: CallerDep, job_id: str) -> JobOut:
    return _job(services, job_id, caller)


@router.delete("/{job_id}", response_model=JobOut, responses=_ERRORS, summary="Cancel a job")
def cancel(services: ServicesDep, caller: CallerDep, job_id: str) -> JobOut:
    """A queued job is cancelled at once; a running one at its next tile, step, frame or file
    (poll the job or its events). Cancelling a finished job is a 409 (cancelled ones: no-op)."""
    current = _job(services, job_id, caller)  # 404 first
    if current.mode == "sync" and current.status == "running":
        raise ConflictError(f"job {job_id} runs inside its POST /v1/enhance request: close that request to stop it")
    status = services.runner.cancel(job_id)
    if status in (DONE, "failed"):
        raise ConflictError(f"job {job_id} has already finished ({status}); nothing to cancel")
    return _job(services, job_id, caller)


@router.get("/{job_id}/events", summary="Server-sent events: the job's progress until it ends",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "`event: progress` with the job as JSON on every change, then "
                                            "`event: end` when it has finished."}, 404: {"model": ErrorOut}})
async def events(request: Request, services: ServicesDep, caller: CallerDep, job_id: str,
                 interval: Annotated[float, Query(ge=0.05, le=5)] = 0.25) -> StreamingResponse:
    await asyncio.to_thread(_job, services, job_id, caller)  # 404 before the stream starts

    async def stream():  # noqa: ANN202
        last_version, last_sent, keepalive = None, None, 0.0
        while True:
            live = services.runner.live(job_id)  # None: not active in this process (read the record)
            version = live.version if live is not None else None
            if version is None or version != last_version:
                last_version = version
                job = await asyncio.to_thread(_job, services, job_id, caller)
                body = job.model_dump_json()
                if body != last_sent:
                    last_sent = body
                    yield f"event: progress\ndata: {body}\n\n"
                if job.status in FINAL_STATES:
                    yield f"event: end\ndata: {json.dumps({'status': job.status})}\n\n"
                    return
            if await request.is_disconnected():
                return
            await asyncio.sleep(interval)
            keepalive += interval
            if keepalive >= 15:
                keepalive = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _media_type(fmt: str | None) -> str:
    if fmt in OUTPUT_FORMATS:
        return OUTPUT_FORMATS[fmt][0]
    return {"mp4": "video/mp4", "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska",
            "avi": "video/x-msvideo"}.get(fmt or "", "application/octet-stream")


@router.get("/{job_id}/result/{index}", responses={200: {"content": {"image/png": {}, "video/mp4": {}}},
                                                   **_ERRORS}, summary="Download one result")
def result(services: ServicesDep, caller: CallerDep, job_id: str, index: int) -> FileResponse:
    with services.db.session() as s:
        job = load_job(s, job_id, caller)
        row = next((r for r in job.results if r.index == index), None)
        if row is None:
            raise NotFoundError(f"job {job_id} has no input {index} (it has {len(job.results)})")
        if row.stored_path is None:
            raise ConflictError(f"input {index} of job {job_id} has no result ({row.status}"
                                + (f": {row.error_message}" if row.error_message else "") + ")")
        path, fmt, name = services.store.path(row.stored_path), row.format, row.upload.original_name
    if not path.is_file():
        raise NotFoundError(f"the result file of job {job_id} input {index} is missing from the store")
    ext = path.suffix.lstrip(".")
    return FileResponse(path, media_type=_media_type(fmt), filename=download_name(name, suffix="_vivid", ext=ext))


@router.get("/{job_id}/result", responses={200: {"content": {"application/zip": {}, "image/png": {}}}, **_ERRORS},
            summary="Download the result (one input) or a ZIP of all results")
def results(services: ServicesDep, caller: CallerDep, job_id: str) -> FileResponse:
    with services.db.session() as s:
        job = load_job(s, job_id, caller)
        done = [(r.index, r.stored_path, r.upload.original_name) for r in job.results if r.stored_path]
        n = len(job.results)
    if not done:
        raise ConflictError(f"job {job_id} has no results yet")
    if n == 1:
        return result(services, caller, job_id, done[0][0])
    zip_path = services.store.new_temp_path(suffix=".zip")
    names: set[str] = set()
    try:
        with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_STORED) as zf:
            for index, rel, original in done:
                p = services.store.path(rel)
                name = download_name(original, suffix="_vivid", ext=p.suffix.lstrip("."))
                if name in names:
                    name = download_name(original, suffix=f"_vivid_{index}", ext=p.suffix.lstrip("."))
                names.add(name)
                zf.write(p, arcname=name)
    except BaseException:
        zip_path.unlink(missing_ok=True)
        raise
    return FileResponse(zip_path, media_type="application/zip", filename=f"vivid_{job_id}.zip",
                        background=BackgroundTask(zip_path.unlink, missing_ok=True))

