"""``POST /v1/analyze``: the recommended plan for an image, why, and the alternatives."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from vivid.engine.routing import analyze as run_analyze
from vivid.errors import ConfigError
from vivid.models.base import TASKS
from vivid.models.registry import list_models
from vivid.server.enhancement import parse_size
from vivid.server.intake import accept_image, load_image
from vivid.server.schemas import AnalyzeOut, ErrorOut, StepOut, upload_out
from vivid.server.services import CallerDep, ServicesDep, SettingsDep
from vivid.zoo.user_models import list_user_models

router = APIRouter(prefix="/v1", tags=["analyze"])

_ERRORS = {c: {"model": ErrorOut} for c in (400, 401, 403, 404, 413, 415, 422, 429, 503)}


@router.post("/analyze", response_model=AnalyzeOut, responses=_ERRORS,
             summary="Analyse an image: recommended steps with reasons and alternative models")
def analyze(
    services: ServicesDep,
    settings: SettingsDep,
    caller: CallerDep,
    image: Annotated[UploadFile | None, File(description="The image (or give upload_id).")] = None,
    upload_id: Annotated[str | None, Form(description="An earlier upload's id instead of a file.")] = None,
    scale: Annotated[float | None, Form(gt=0, le=16, description="Planned SR factor.")] = None,
    size: Annotated[str | None, Form(description="Planned SR target WxH.")] = None,
) -> AnalyzeOut:
    """The image is stored (its ``upload.id`` can be passed to ``/v1/enhance`` and ``/v1/jobs``)."""
    if (image is None) == (upload_id is None):
        raise ConfigError("send exactly one of: an image file (field 'image') or an upload_id")
    with services.gate.enter(caller.owner):
        upload, img = accept_image(services, settings, image, owner=caller.owner) if image is not None else \
            load_image(services, settings, upload_id or "", caller)
        plan = run_analyze(img, scale=scale, size=parse_size(size))
        del img
    yours = list_user_models()
    return AnalyzeOut(
        upload=upload_out(upload),
        steps=[StepOut(task=s.task, model=s.model, scale=s.scale, reason=s.reason, alternatives=list(s.alternatives))
               for s in plan.steps],
        explanation=plan.explain(), notes=list(plan.notes), analysis=plan.analysis, plan=plan.to_dict(),
        models_by_task={t: [e.name for e in list_models(t)] + [m.name for m in yours if m.task == t] for t in TASKS},
    )
