"""The model registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vivid.server.schemas import ModelOut, ModelsOut

router = APIRouter(prefix="/v1", tags=["models"])


def _recommended() -> dict[str, str]:
    from vivid.engine.api import DEFAULT_MODELS, default_model
    from vivid.errors import VividError

    out = {}
    for task in DEFAULT_MODELS:
        try:
            out[task] = default_model(task)
        except VividError:  # a task without an installed model has no recommendation
            pass
    return out


@router.get("/models", response_model=ModelsOut, summary="Every registered model (optionally for one task)")
def list_models(task: Annotated[str | None, Query(description="Only models for this task.")] = None) -> ModelsOut:
    from vivid.errors import ConfigError
    from vivid.models.base import TASKS
    from vivid.models.registry import list_models as registry

    if task is not None and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)}")
    rec = _recommended()
    return ModelsOut(tasks=list(TASKS), models=[
        ModelOut(name=e.name, task=e.task, scales=list(e.scales), any_scale=e.any_scale, kind=e.kind,
                 speed_class=e.speed_class, license=e.license, summary=e.summary,
                 recommended=rec.get(e.task) == e.name)
        for e in registry(task)
    ])
