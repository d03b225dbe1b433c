"""One enhancement, as the API runs it: typed options → plan → ``vivid.enhance`` → encoded bytes.

Shared by the synchronous endpoint and the job workers, so both do exactly the same thing (and the
same thing as the CLI: the library's ``plan_for``/``analyze`` and ``enhance``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Form
from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from vivid.engine.api import EnhanceResult, enhance, plan_for
from vivid.engine.options import EnhanceOptions, Size, TaskName, check_request  # noqa: F401 - TaskName: the API's tasks
from vivid.engine.plan import Plan, Step
from vivid.engine.progress import Progress, null_progress
from vivid.errors import ConfigError, ModelError
from vivid.io.image import Image
from vivid.io.read import read_image_bytes
from vivid.models.base import TASKS
from vivid.models.registry import ENTRIES, get_entry
from vivid.server.budget import TILE, check_input, check_plan, target_size
from vivid.server.media import OUTPUT_FORMATS, encode
from vivid.zoo.user_models import find_user_model

#: the engine's tasks (a plan analysed by the engine always validates; e.g. dejpeg when routing picks it)
StepTask = Literal[TASKS]  # type: ignore[valid-type]
FormatName = Literal["png", "jpeg", "webp", "tiff"]


def check_model(name: str, task: str) -> str:
    """A registered model, or one added with ``vivid models add``, for ``task``; the API never loads model
    files named by a path."""
    if name.startswith("file:") or "/" in name or "\\" in name:
        raise ModelError(f"model {name!r}: the API runs the models GET /v1/models lists, not files named by a path")
    yours = None if any(e.name == name for e in ENTRIES) else find_user_model(name)
    made_for = yours.task if yours is not None else get_entry(name).task  # unknown: close names
    if made_for != task:
        raise ModelError(f"model {name!r} is a {made_for} model, not {task}: pick one from GET /v1/models?task={task}")
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


class EnhanceRequest(EnhanceOptions):
    """What to do with an image: vivid's :class:`~vivid.engine.options.EnhanceOptions` (the CLI's options,
    checked the same way) plus a client's plan and the output file's format. Validated once, stored with
    the job (sizes as ``WxH``), replayed by the worker.

    Model files are not loaded from the server's disk (``allow_pickle`` is not offered), and ``tile`` is at
    most the server's own (:data:`vivid.server.budget.TILE`, what its memory budget was measured with).
    """

    plan: PlanIn | None = None
    format: FormatName = "png"
    quality: int | None = Field(None, ge=1, le=100)
    allow_pickle: SkipJsonSchema[Literal[False]] = Field(False, exclude=True)

    @field_validator("tile")
    @classmethod
    def _server_tile(cls, v: int | None) -> int | None:
        if v is not None and v > TILE:
            raise ConfigError(f"tile must be at most {TILE} on this server (its memory budget is measured with "
                              f"{TILE}-pixel tiles), got {v}")
        return v

    @field_serializer("size", when_used="json")
    def _size_as_typed(self, v: Size | None) -> str | None:
        return None if v is None else str(v)

    @model_validator(mode="after")
    def _request(self) -> EnhanceRequest:  # replaces the library's check: the API's words for models first
        if self.plan is not None and self.model is not None:
            raise ConfigError("send either a plan or a model, not both")
        if self.model is not None:
            if self.task == "auto":
                raise ConfigError("model needs an explicit task (auto picks its models itself; or send a plan)")
            check_model(self.model, self.task)
        check_request(task=self.task, model=self.model, scale=self.scale, size=self.size)
        return self

    def engine_options(self) -> EnhanceOptions:
        """The library's options for this request (the server's tile when none was asked for)."""
        fields = {k: getattr(self, k) for k in EnhanceOptions.model_fields}
        return EnhanceOptions(**{**fields, "tile": self.tile or TILE})

    @property
    def media_type(self) -> str:
        return OUTPUT_FORMATS[self.format][0]

    @property
    def extension(self) -> str:
        return OUTPUT_FORMATS[self.format][1]


def parse_size(size: str | None) -> Size | None:
    """``"1920x1080"`` (width x height) → ``Size(height=1080, width=1920)``; empty → None."""
    if size is None or not size.strip():
        return None
    return Size.parse(size)


def _described(name: str) -> str | None:
    return EnhanceRequest.model_fields[name].description


def enhance_form(
    task: Annotated[str | None, Form(description=_described("task"))] = None,
    model: Annotated[str | None, Form(description="Model for the task: a name from GET /v1/models (vivid's or "
                                                  "yours, added with 'vivid models add').")] = None,
    plan: Annotated[str | None, Form(description='A plan as JSON, e.g. the analysed plan with other models: '
                                                 '{"steps": [{"task": "sr", "model": "bicubic", "scale": 2}]}.')] = None,
    scale: Annotated[float | None, Form(description=_described("scale"))] = None,
    size: Annotated[str | None, Form(description=_described("size"))] = None,
    fit: Annotated[str | None, Form(description=_described("fit"))] = None,
    strength: Annotated[float | None, Form(description=_described("strength"))] = None,
    tile: Annotated[int | None, Form(description="Tile side in input pixels, 8 up to the server's own (384, the "
                                                 "default).")] = None,
    alpha: Annotated[str | None, Form(description=_described("alpha"))] = None,
    color_guard: Annotated[bool | None, Form(description=_described("color_guard"))] = None,
    recolor: Annotated[bool | None, Form(description=_described("recolor"))] = None,
    dtype: Annotated[str | None, Form(description=_described("dtype"))] = None,
    runtime: Annotated[str | None, Form(description=_described("runtime"))] = None,
    precision: Annotated[str | None, Form(description=_described("precision"))] = None,
    format: Annotated[str | None, Form(description="Output format: png, jpeg, webp or tiff.")] = None,  # noqa: A002
    quality: Annotated[int | None, Form(description="JPEG/WebP quality 1..100.")] = None,
) -> EnhanceRequest:
    """The enhancement options of ``POST /v1/enhance`` and ``POST /v1/jobs`` (form fields; the same names,
    values and defaults as the CLI's options)."""
    return options_from_form(task=task, model=model, plan=plan, scale=scale, size=size, fit=fit, strength=strength,
                             tile=tile, alpha=alpha, color_guard=color_guard, recolor=recolor, dtype=dtype,
                             runtime=runtime, precision=precision, format=format, quality=quality)


FormOptions = Annotated[EnhanceRequest, Depends(enhance_form)]


def options_from_form(**fields: Any) -> EnhanceRequest:
    """Validate form fields (None or empty: not sent, the default applies) into an :class:`EnhanceRequest`;
    a bad value is a :class:`ConfigError` (422) naming the field."""
    sent = {k: v for k, v in fields.items() if v is not None and v != ""}
    if isinstance(sent.get("plan"), str):
        try:
            sent["plan"] = json.loads(sent["plan"])
        except json.JSONDecodeError as e:
            raise ConfigError(f"plan must be JSON like {{\"steps\": [{{\"task\": \"sr\", \"model\": \"bicubic\", "
                              f"\"scale\": 2}}]}}: {e.msg} at character {e.pos}") from None
    if isinstance(sent.get("format"), str):
        sent["format"] = sent["format"].lower()
    if isinstance(sent.get("size"), str) and not sent["size"].strip():
        sent.pop("size")
    return EnhanceRequest(**sent)


def make_plan(image: Image, opts: EnhanceRequest, *, models: Any) -> Plan:
    """The plan that will run: the client's plan, or the library's (auto analysis or the chosen task)."""
    if opts.plan is not None:
        return opts.plan.to_plan()
    return plan_for(image, task=opts.task, model=opts.model, scale=opts.scale,
                    size=target_size(opts, image.height, image.width), models=models)


def run_enhance(image: Image, opts: EnhanceRequest, *, models: Any, plan: Plan | None = None,
                progress: Progress = null_progress) -> EnhanceResult:
    """``vivid.enhance`` with the request's options and the service's shared model cache."""
    the_plan = plan if plan is not None else make_plan(image, opts, models=models)
    return enhance(image, the_plan, options=opts.engine_options(), models=models.with_runtime(opts.runtime, opts.precision),
                   progress=progress)


def encode_result(result: EnhanceResult, opts: EnhanceRequest) -> tuple[bytes, dict[str, Any]]:
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


def enhance_upload(data: bytes, opts: EnhanceRequest, *, settings: Any, models: Any, name: str, checked: bool,
                   on_plan: Callable[[Plan], None] = lambda plan: None,
                   progress: Progress = null_progress) -> ItemOutput:
    """Decode one stored input, plan (checked against the budget), enhance and encode it: the job workers'
    in-memory path, run where the job runs it (this process, or a Ray worker with ``vivid serve --engine
    ray``). ``checked``: the input's size was checked from its header already."""
    image = read_image_bytes(data, name=name, max_pixels=settings.max_pixels)
    if not checked:  # a header only the full decoder reads
        check_input(image.width, image.height, settings, name=name)
    plan = make_plan(image, opts, models=models)
    check_plan(image.width, image.height, [(st.task, st.model, st.scale) for st in plan.steps],
               settings, scale=opts.scale, size=target_size(opts, image.height, image.width), name=name)
    on_plan(plan)
    result = run_enhance(image, opts, models=models, plan=plan, progress=progress)
    encoded, prov = encode_result(result, opts)
    return ItemOutput(encoded, prov, result.plan.to_dict(), result.image.width, result.image.height)
