"""One enhancement, as the API runs it: typed options → plan → ``vivid.enhance`` → encoded bytes.

Shared by the synchronous endpoint and the job workers, so both do exactly the same thing (and the
same thing as the CLI: the library's ``plan_for``/``analyze`` and ``enhance``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from vivid.engine.api import EnhanceResult
from vivid.engine.plan import Plan, Step
from vivid.engine.progress import Progress, null_progress
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.models.base import TASKS
from vivid.server.media import OUTPUT_FORMATS, encode

#: the engine's tasks (a plan analysed by the engine always validates; e.g. dejpeg when routing picks it)
StepTask = Literal[TASKS]  # type: ignore[valid-type]
TaskName = Literal[("auto", *TASKS)]  # type: ignore[valid-type]
FormatName = Literal["png", "jpeg", "webp", "tiff"]


def check_model(name: str, task: str) -> str:
    """A registry model for ``task``; the API never loads model files from the server's disk."""
    from vivid.models.registry import get_entry

    if name.startswith("file:") or "/" in name or "\\" in name:
        raise ModelError(f"model {name!r}: the API only runs registered models (GET /v1/models lists them)")
    entry = get_entry(name)
    if entry.task != task:
        raise ModelError(f"model {name!r} is a {entry.task} model, not {task}: pick one from GET /v1/models?task={task}")
    return name


class StepIn(BaseModel):
    """One step of a plan sent by a client (e.g. the analysed plan with another model chosen)."""

    model_config = ConfigDict(extra="ignore")

    task: StepTask
    model: str = Field(min_length=1, max_length=100)
    scale: int = Field(1, ge=1, le=8)
    reason: str = Field("chosen by the user", max_length=300)

    @model_validator(mode="after")
    def _model_fits(self) -> StepIn:
        check_model(self.model, self.task)
        if self.task != "sr" and self.scale != 1:
            raise ValueError(f"scale {self.scale} only applies to sr steps, not {self.task}")
        return self


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    steps: list[StepIn] = Field(min_length=1, max_length=8)

    def to_plan(self) -> Plan:
        return Plan(steps=tuple(Step(task=s.task, model=s.model, scale=s.scale, reason=s.reason) for s in self.steps))


class EnhanceOptions(BaseModel):
    """What to do with an image (validated once, stored with the job, replayed by the worker)."""

    model_config = ConfigDict(extra="forbid")

    task: TaskName = "auto"
    model: str | None = Field(None, max_length=100)
    plan: PlanIn | None = None
    scale: float | None = Field(None, gt=0, le=16)
    #: target (height, width)
    size: tuple[int, int] | None = None
    strength: float = Field(1.0, ge=0.0, le=1.0)
    format: FormatName = "png"
    quality: int | None = Field(None, ge=1, le=100)
    #: let a colorize step recolour a colour image (refused otherwise: its real colours would be lost)
    recolor: bool = False

    @field_validator("size")
    @classmethod
    def _size_ok(cls, v: tuple[int, int] | None) -> tuple[int, int] | None:
        if v is not None and not (1 <= v[0] <= 65536 and 1 <= v[1] <= 65536):
            raise ValueError(f"size must be between 1x1 and 65536x65536, got {v[1]}x{v[0]}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> EnhanceOptions:
        if self.model is not None:
            if self.task == "auto":
                raise ValueError("model needs an explicit task (auto picks its models itself; or send a plan)")
            check_model(self.model, self.task)
        if self.plan is not None and self.model is not None:
            raise ValueError("send either a plan or a model, not both")
        return self

    @property
    def media_type(self) -> str:
        return OUTPUT_FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return OUTPUT_FORMATS[self.format][1]


def parse_size(size: str | None) -> tuple[int, int] | None:
    """``"1920x1080"`` (width x height) → ``(1080, 1920)``."""
    if size is None or not size.strip():
        return None
    try:
        w, h = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise ConfigError(f"size must look like 1920x1080 (width x height), got {size!r}") from None
    return h, w


def options_from_form(
    *, task: str, model: str | None, plan: str | None, scale: float | None, size: str | None,
    strength: float, format: str, quality: int | None, recolor: bool = False,
) -> EnhanceOptions:
    """Validate multipart form fields into :class:`EnhanceOptions` (pydantic errors become 422s)."""
    from pydantic import ValidationError

    plan_obj: Any = None
    if plan is not None and plan.strip():
        try:
            plan_obj = json.loads(plan)
        except json.JSONDecodeError as e:
            raise ConfigError(f"plan must be JSON like {{\"steps\": [{{\"task\": \"sr\", \"model\": \"bicubic\", "
                              f"\"scale\": 2}}]}}: {e.msg} at character {e.pos}") from None
    try:
        return EnhanceOptions(task=task, model=model or None, plan=plan_obj, scale=scale, size=parse_size(size),
                              strength=strength, format=format.lower(), quality=quality, recolor=recolor)
    except ValidationError as e:
        raise ConfigError(_first_error(e)) from None


def _first_error(e: Any) -> str:
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


def make_plan(image: Image, opts: EnhanceOptions, *, models: Any) -> Plan:
    """The plan that will run: the client's plan, or the library's (auto analysis or the chosen task)."""
    from vivid.engine.api import plan_for

    if opts.plan is not None:
        return opts.plan.to_plan()
    return plan_for(image, task=opts.task, model=opts.model, scale=opts.scale, size=opts.size, models=models)


def run_enhance(image: Image, opts: EnhanceOptions, *, models: Any, plan: Plan | None = None,
                progress: Progress = null_progress) -> EnhanceResult:
    """``vivid.enhance`` with the request's options and the service's shared model cache."""
    from vivid.engine.api import enhance
    from vivid.server.budget import TILE

    the_plan = plan if plan is not None else make_plan(image, opts, models=models)
    return enhance(image, plan=the_plan, scale=opts.scale, size=opts.size, strength=opts.strength,
                   tile=TILE, models=models, recolor=opts.recolor, progress=progress)


def encode_result(result: EnhanceResult, opts: EnhanceOptions) -> tuple[bytes, dict[str, Any]]:
    """The output file's bytes (provenance embedded as text) and the provenance record."""
    prov = result.provenance()
    data = encode(result.image, format=opts.format, quality=opts.quality,
                  text={"vivid": json.dumps(prov, separators=(",", ":"))})
    return data, prov


@dataclass(frozen=True)
class ItemOutput:
    """One job input, enhanced and encoded (what the job stores and records)."""

    data: bytes
    provenance: dict[str, Any]
    plan: dict[str, Any]
    width: int
    height: int


def enhance_upload(data: bytes, opts: EnhanceOptions, *, settings: Any, models: Any, name: str, checked: bool,
                   on_plan: Callable[[Plan], None] = lambda plan: None,
                   progress: Progress = null_progress) -> ItemOutput:
    """Decode one stored input, plan (checked against the budget), enhance and encode it: the job workers'
    in-memory path, run where the job runs it (this process, or a Ray worker with ``vivid serve --engine
    ray``). ``checked``: the input's size was checked from its header already."""
    from vivid.io.read import read_image_bytes
    from vivid.server.budget import check_input, check_plan

    image = read_image_bytes(data, name=name, max_pixels=settings.max_pixels)
    if not checked:  # a header only the full decoder reads
        check_input(image.width, image.height, settings, name=name)
    plan = make_plan(image, opts, models=models)
    check_plan(image.width, image.height, [(st.task, st.model, st.scale) for st in plan.steps],
               settings, scale=opts.scale, size=opts.size, name=name)
    on_plan(plan)
    result = run_enhance(image, opts, models=models, plan=plan, progress=progress)
    encoded, prov = encode_result(result, opts)
    return ItemOutput(encoded, prov, result.plan.to_dict(), result.image.width, result.image.height)
