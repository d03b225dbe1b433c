"""The model registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vivid.errors import ConfigError, VividError
from vivid.models import registry
from vivid.models.base import TASKS
from vivid.server.schemas import ErrorOut, ModelOut, ModelsOut
from vivid.zoo.user_models import list_user_models

router = APIRouter(prefix="/v1", tags=["models"])


def _recommended() -> dict[str, str]:
    from vivid.engine.api import DEFAULT_MODELS, default_model

    out = {}
    for task in DEFAULT_MODELS:
        try:
            out[task] = default_model(task)
        except VividError:  # a task without an installed model has no recommendation
            pass
    return out


@router.get("/models", response_model=ModelsOut, responses={422: {"model": ErrorOut}},
            summary="Every model: vivid's and the ones added with 'vivid models add' (optionally for one task)")
def list_models(task: Annotated[str | None, Query(max_length=40, description="Only models for this task: "
                                                  + ", ".join(TASKS) + ".")] = None) -> ModelsOut:
    """vivid's registered models, then yours (``yours`` true, with their file and architecture): every
    name here can be given as ``model`` to ``POST /v1/enhance`` and ``POST /v1/jobs``."""
    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    rec = _recommended()
    ours = [
        ModelOut(name=e.name, task=e.task, scales=list(e.scales), any_scale=e.any_scale, kind=e.kind,
                 speed_class=e.speed_class, license=e.license, summary=e.summary,
                 recommended=rec.get(e.task) == e.name)
        for e in registry.list_models(task)
    ]
    yours = [
        ModelOut(name=m.name, task=m.task, scales=[m.scale], any_scale=False, kind="yours", speed_class="?",
                 license=m.license, summary=f"your model ({m.architecture}), file {m.file}", recommended=False,
                 yours=True, file=m.file, architecture=m.architecture)
        for m in list_user_models() if task is None or m.task == task
    ]
    return ModelsOut(tasks=list(TASKS), models=ours + yours)
