"""What one enhancement should do: :class:`EnhanceOptions`, one typed, frozen record with one set of defaults,
checked once when it is made.

The engine (:func:`vivid.engine.api.enhance`), the file path (:func:`vivid.engine.stream.enhance_file`), the
Python API (:func:`vivid.enhance`), the CLI, the REST service (which extends it with its output format) and
video (:class:`vivid.video.VideoOptions` extends it with the encoder's settings) all take this record. Its
checks are the only ones of these options: a bad value is a :class:`~vivid.errors.ConfigError` (or a
:class:`~vivid.errors.ModelError` for a model that does not exist) with one line naming the option.

Sizes: :class:`Size` names its sides. As a tuple it is ``(height, width)``, numpy's order, which the engine
computes with; as text it is ``WxH``, which is how users type it (CLI ``--size 1920x1080``, REST
``size=1920x1080``, ``vivid.enhance(size="1920x1080")``) and how it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vivid.errors import ConfigError
from vivid.models.base import TASKS
from vivid.models.registry import ENTRIES, get_entry
from vivid.zoo.loader import is_model_file_ref
from vivid.zoo.onnx_runtime import RUNTIMES, check_runtime
from vivid.zoo.quantize import PRECISIONS, check_precision
from vivid.zoo.user_models import find_user_model

#: the largest SR factor and the largest side of a target size a request may ask for (CLI and REST alike)
MAX_SCALE = 16
MAX_SIDE = 65536
#: compute dtypes (bfloat16 only for models whose descriptor offers it)
DTYPES = ("float32", "bfloat16")
#: how a target size is met: ``contain`` fits inside it (aspect kept), ``cover`` fills it (aspect kept,
#: the input's overflow cropped at the centre), ``stretch`` gives exactly that size (aspect changed)
FITS = ("contain", "cover", "stretch")
ALPHAS = ("resample", "model")
#: ``auto`` or one of the engine's tasks
TaskName = Literal[("auto", *TASKS)]  # type: ignore[valid-type]
#: the smallest tile side (input pixels) a request may ask for
MIN_TILE = 8


class Size(NamedTuple):
    """A target size. As a tuple ``(height, width)`` (numpy's order); as text ``WxH`` (how users type it)."""

    height: int
    width: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @classmethod
    def parse(cls, text: str) -> Size:
        """``"1920x1080"`` (width x height, as users type it) → ``Size(height=1080, width=1920)``."""
        try:
            w, h = (int(v) for v in str(text).lower().replace(" ", "").split("x"))
        except ValueError:
            raise ConfigError(f"size must look like 1920x1080 (width x height), got {text!r}") from None
        size = cls(h, w)
        check_size(size)
        return size


def parse_size(text: str) -> tuple[int, int]:
    """A size as users type it, ``"1920x1080"`` (width x height), as the engine's ``(height, width)``."""
    return Size.parse(text)


def check_size(size: tuple[int, int]) -> None:
    """``size`` is ``(height, width)``; messages show it as users type it, WxH."""
    h, w = size
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ConfigError(f"size must be between 1x1 and {MAX_SIDE}x{MAX_SIDE}, got {w}x{h}")


def check_scale(scale: float) -> None:
    if not (math.isfinite(scale) and 0 < scale <= MAX_SCALE):
        raise ConfigError(f"scale must be a number above 0 and at most {MAX_SCALE} (such as 2 or 1.5), got {scale:g}")


def check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise ConfigError(f"unknown dtype {dtype!r}: use float32 (default) or bfloat16")


def check_request(*, task: str, model: str | None, scale: float | None, size: tuple[int, int] | None) -> None:
    """Refuse a request that cannot mean what it says, before any image is read.

    The one check of task, model, scale and size for the library, the CLI and the REST API: an unknown
    task, a scale or size that is not positive, both a scale and a size, a scale or size for a task that
    does not resize, a model without an explicit task, a registered model made for another task.
    ``size`` is ``(height, width)``. Model files are checked when loaded (their task is known then).
    """
    if task != "auto" and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}: use one of {', '.join(TASKS)} or auto")
    if scale is not None:
        check_scale(scale)
    if size is not None:
        check_size(size)
    if scale is not None and size is not None:
        raise ConfigError("give either a scale or a size, not both")
    if (scale is not None or size is not None) and task not in ("sr", "auto"):
        raise ConfigError(f"a scale or size applies to super-resolution (task sr or auto), not to task {task}")
    if model is None:
        return
    if task == "auto":
        raise ConfigError("a model needs an explicit task (auto picks its models itself), for example task sr")
    if not is_model_file_ref(model):
        registered = any(e.name == model for e in ENTRIES)
        yours = None if registered else find_user_model(model)  # added with 'vivid models add'
        made_for = yours.task if yours is not None else get_entry(model).task  # unknown: close names
        if made_for != task:
            raise ConfigError(f"model {model!r} is made for task {made_for}, not {task}: "
                              f"choose a {task} model, or task {made_for}")


def _one_of(name: str, allowed: tuple[str, ...]) -> Callable[[str], None]:
    def check(value: str) -> None:
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")

    return check


_VALUE_CHECKS: dict[str, Callable[[str], None]] = {
    "fit": _one_of("fit", FITS), "alpha": _one_of("alpha", ALPHAS), "dtype": check_dtype, "runtime": check_runtime,
    "precision": check_precision,
}


class EnhanceOptions(BaseModel):
    """How to enhance an image: every option with its one default, checked when the record is made.

    Make one with keywords (``EnhanceOptions(task="sr", scale=2)``); :meth:`replace` gives a checked copy
    with some options changed. A bad value raises :class:`~vivid.errors.ConfigError` naming the option.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: TaskName = Field(
        "auto", description="sr, denoise, dejpeg, lowlight, color, colorize, or auto (analyse the image and plan).")
    model: str | None = Field(
        None, description="The model for the task: a registered name (see the model list), the name of a model you "
                          "added, or file:PATH (default: the task's recommended model).")
    scale: float | None = Field(
        None, description=f"Super-resolution factor above 0, at most {MAX_SCALE} (1.5 runs x2 and resamples).")
    size: Size | None = Field(
        None, description="Super-resolution target WxH (width x height), met as fit says; not with scale.")
    fit: Literal[FITS] = Field(  # type: ignore[valid-type]
        "contain", description="How size is met: contain (inside WxH, aspect kept), cover (fills WxH, aspect kept, "
                               "centre crop) or stretch (exactly WxH).")
    strength: float = Field(1.0, description="Blend of the result with the baseline (input, or bicubic for SR), 0..1.")
    tile: int | None = Field(
        None, description=f"Tile side in input pixels, at least {MIN_TILE} (default: from free memory).")
    alpha: Literal[ALPHAS] = Field(  # type: ignore[valid-type]
        "resample", description="Alpha channel: resample (bicubic) or model (the SR model runs on it too).")
    color_guard: bool = Field(
        False, description="Keep the input's low-frequency colour (SR/denoise) and report the colour shift.")
    recolor: bool = Field(
        False, description="Let a colorize step recolour a colour image (its colours are replaced by guessed ones).")
    allow_pickle: bool = Field(False, description="Allow model files that run pickled code (trusted files only).")
    dtype: Literal[DTYPES] = Field(  # type: ignore[valid-type]
        "float32", description="float32, or bfloat16 for models that offer it (vivid's torch models).")
    runtime: Literal[RUNTIMES] = Field(  # type: ignore[valid-type]
        "auto", description="auto (ONNX Runtime where measured faster), torch, onnx or openvino.")
    precision: Literal[PRECISIONS] = Field(  # type: ignore[valid-type]
        "auto", description="auto (int8 where vivid ships an int8 model that passed its quality gate: vivid-sr x2; "
                            "float32 elsewhere), float32, or int8 (other networks once 'vivid models quantize' "
                            "made them).")

    def __init__(self, **options: Any) -> None:
        try:
            super().__init__(**options)
        except ValidationError as e:  # a value of the wrong type: one line naming the option
            raise ConfigError(validation_message(e)) from None

    @field_validator("task", mode="before")
    @classmethod
    def _task(cls, v: Any) -> Any:
        if isinstance(v, str) and v != "auto" and v not in TASKS:
            raise ConfigError(f"unknown task {v!r}: use one of {', '.join(TASKS)} or auto")
        return v

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, v: Any) -> Any:
        return Size.parse(v) if isinstance(v, str) else v

    @field_validator("fit", "alpha", "dtype", "runtime", "precision", mode="before")
    @classmethod
    def _one_of_its_values(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, str):  # the option's own message (pydantic's would list a Literal's values)
            _VALUE_CHECKS[info.field_name](v)
        return v

    @field_validator("strength")
    @classmethod
    def _strength(cls, v: float) -> float:
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"strength must be between 0 and 1, got {v}")
        return v

    @field_validator("tile")
    @classmethod
    def _tile(cls, v: int | None) -> int | None:
        if v is not None and not MIN_TILE <= v <= MAX_SIDE:
            raise ConfigError(f"tile must be between {MIN_TILE} and {MAX_SIDE} pixels, got {v}")
        return v

    @model_validator(mode="after")
    def _request(self) -> EnhanceOptions:
        check_request(task=self.task, model=self.model, scale=self.scale, size=self.size)
        return self

    def replace(self, **changes: Any) -> EnhanceOptions:
        """A checked copy with ``changes`` applied."""
        return type(self)(**{**dict(self), **changes})

    @classmethod
    def merge(cls, options: EnhanceOptions | None, changes: dict[str, Any]) -> EnhanceOptions:
        """``options`` (default: the defaults) with ``changes`` (option names as keywords) applied."""
        if options is None:
            return cls(**changes)
        return options.replace(**changes) if changes else options


def validation_message(e: ValidationError) -> str:
    """pydantic's errors as one line naming the options (``strength: Input should be a valid number``)."""
    parts = []
    for err in e.errors()[:3]:
        loc = ".".join(str(p) for p in err.get("loc", ()))
        if err.get("type") == "extra_forbidden":
            parts.append(f"unknown option {loc!r}")
            continue
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
