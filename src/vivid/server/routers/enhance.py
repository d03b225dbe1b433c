"""``POST /v1/enhance``: enhance one image within the request (small images; big ones go to jobs)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response

from vivid.errors import ConfigError, VividError
from vivid.server.budget import check_plan, planned_steps, target_size
from vivid.server.enhancement import FormOptions, encode_result, make_plan, run_enhance
from vivid.server.errors import SyncTooLargeError, error_code
from vivid.server.intake import accept_image, load_image, new_id
from vivid.server.jobs import JobRunner
from vivid.server.media import download_name
from vivid.server.records import DONE, FAILED, RUNNING, Job, Result, utcnow
from vivid.server.routers.jobs import load_job
from vivid.server.schemas import EnhanceOut, ErrorOut, job_out
from vivid.server.services import CallerDep, ServicesDep, SettingsDep

router = APIRouter(prefix="/v1", tags=["enhance"])

_ERRORS = {c: {"model": ErrorOut} for c in (400, 401, 403, 404, 413, 415, 422, 429, 503)}


@router.post(
    "/enhance", responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}, "image/tiff": {},
                                             "application/json": {"schema": EnhanceOut.model_json_schema(
                                                 ref_template="#/components/schemas/{model}")}},
                                 "description": "The enhanced image (provenance in the X-Vivid-Provenance "
                                                "header), or JSON with ?response=json."}, **_ERRORS},
    summary="Enhance one image now",
)
def enhance(
    services: ServicesDep,
    settings: SettingsDep,
    caller: CallerDep,
    opts: FormOptions,
    image: Annotated[UploadFile | None, File(description="The image (or give upload_id).")] = None,
    upload_id: Annotated[str | None, Form(description="An earlier upload's id instead of a file.")] = None,
    response: Annotated[Literal["image", "json"], Query(description="image (the file) or json (links).")] = "image",
) -> Response:
    """Runs the plan within the request when the image has at most ``sync_max_pixels`` pixels (else 413:
    submit it to ``POST /v1/jobs``). The upload and the result are stored with a job record, so they
    appear in the history."""
    if (image is None) == (upload_id is None):
        raise ConfigError("send exactly one of: an image file (field 'image') or an upload_id")

    def fits(width: int, height: int, name: str) -> None:  # from the header, before decoding
        pixels = width * height
        if pixels > settings.sync_max_pixels:
            via = f" with upload_id={upload_id}" if upload_id else ""  # a new file's id is added when stored
            raise SyncTooLargeError(
                f"{name!r} has {width}x{height} = {pixels / 1e6:.1f} MP, more than the "
                f"{settings.sync_max_pixels / 1e6:.1f} MP enhanced within one request (setting "
                f"VIVID_SYNC_MAX_PIXELS): submit it as a job, POST /v1/jobs{via}")
        check_plan(width, height, planned_steps(opts, height, width), settings, scale=opts.scale,
                   size=target_size(opts, height, width), name=name)

    with services.gate.enter(caller.owner):
        upload, img = accept_image(services, settings, image, owner=caller.owner, precheck=fits) \
            if image is not None else load_image(services, settings, upload_id or "", caller, precheck=fits)
        job = Job(id=new_id(), created_at=utcnow(), started_at=utcnow(), kind="image", mode="sync", status=RUNNING,
                  progress=0.0, message="running", options=opts.model_dump(mode="json"), attempts=1,
                  owner=caller.owner, claimed_by=services.runner.worker_id, heartbeat_at=utcnow())
        job.results = [Result(index=0, upload_id=upload.id, status=RUNNING)]
        with services.db.session() as s:
            s.add(job)
        try:
            the_plan = make_plan(img, opts, models=services.models)
            check_plan(img.width, img.height, [(st.task, st.model, st.scale) for st in the_plan.steps], settings,
                       scale=opts.scale, size=target_size(opts, img.height, img.width), name=upload.original_name)
            result = run_enhance(img, opts, models=services.models, plan=the_plan)
            del img
            data, prov = encode_result(result, opts)
            rel = services.store.save_result(data, job_id=job.id, index=0, ext=opts.extension, when=utcnow())
        except VividError as e:
            _close(services, job.id, FAILED, error=e)
            raise
        except BaseException:
            _close(services, job.id, FAILED, error=None)
            raise
    _close(services, job.id, DONE, values={
        "stored_path": rel, "format": opts.format, "width": result.image.width, "height": result.image.height,
        "size_bytes": len(data), "plan": result.plan.to_dict(), "provenance": prov})
    result_url = f"/v1/jobs/{job.id}/result/0"
    if response == "json":
        with services.db.session() as s:
            out = job_out(load_job(s, job.id, caller))
        body = EnhanceOut(job=out, result_url=result_url, explanation=result.plan.explain(), provenance=prov)
        return Response(body.model_dump_json(), media_type="application/json")
    filename = download_name(upload.original_name, suffix="_vivid", ext=opts.extension)
    return Response(data, media_type=opts.media_type, headers={
        "X-Vivid-Provenance": json.dumps(prov, separators=(",", ":"), ensure_ascii=True),
        "X-Vivid-Job-Id": job.id,
        "X-Vivid-Result-Url": result_url,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Access-Control-Expose-Headers": "X-Vivid-Provenance, X-Vivid-Job-Id, X-Vivid-Result-Url",
    })


def _close(services, job_id: str, status: str, *, error: VividError | None = None,  # noqa: ANN001
           values: dict | None = None) -> None:
    with services.db.session() as s:
        job = s.get(Job, job_id)
        if error is not None:
            code, message = error_code(error), str(error)
        elif status == FAILED:
            code, message = "internal_error", "internal error; it was logged"
        else:
            code = message = None
        JobRunner.finish(job, status, code, message, progress=1.0 if status == DONE else None,
                          note="done" if status == DONE else None)
        row = job.results[0]
        row.status = status
        row.error_message = message
        for k, v in (values or {}).items():
            setattr(row, k, v)
