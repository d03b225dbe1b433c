"""Batched model calls give the engine's per-frame pixels; models that need it still go frame by frame."""

from __future__ import annotations

import numpy as np
import pytest

from tests.video.conftest import AutoGain, Cache, Smooth3, Upscale, gradient_frame
from vivid.engine.api import run_model
from vivid.engine.plan import Plan, Step
from vivid.io.image import Image
from vivid.models.base import Restorer
from vivid.video.clip_plan import output_size
from vivid.video.process import FrameProcessor, apply_model, batch_fits


def frames(n: int = 3, h: int = 48, w: int = 64) -> np.ndarray:
    return np.stack([gradient_frame(i, h, w).transpose(2, 0, 1).astype(np.float32) / 255 for i in range(n)])


@pytest.mark.parametrize("model", [Upscale(color_space="rgb"), Upscale(color_space="y"), Upscale(color_space="gray"),
                                   Smooth3(color_space="rgb"), Smooth3(color_space="y")],
                         ids=["sr-rgb", "sr-y", "sr-gray", "blur-rgb", "blur-y"])
def test_batched_call_equals_run_model_per_frame(model: Restorer) -> None:
    x = frames()
    assert batch_fits(model, x.shape)
    batched = apply_model(model, x)
    single = np.stack([run_model(model, Image(f)).pixels for f in x])
    assert batched.shape == single.shape
    assert np.abs(batched - single).max() < 1e-5


def test_batched_call_resizes_to_a_target_like_run_model() -> None:
    x = frames(2)
    model = Upscale(color_space="y")
    batched = apply_model(model, x, size=(72, 96))  # x1.5 through the x2 model
    single = np.stack([run_model(model, Image(f), size=(72, 96)).pixels for f in x])
    assert batched.shape == (2, 3, 72, 96) and np.abs(batched - single).max() < 1e-5


def test_one_call_per_batch_for_tileable_models() -> None:
    up = Upscale()
    apply_model(up, frames(4))
    assert (up.calls, up.frames) == (1, 4)


class BindsPerFrame(Upscale):
    """A tileable model that fixes a per-image parameter (as a noise-level denoiser does)."""

    def __init__(self) -> None:
        super().__init__()
        self.bound = 0

    def bind(self, image: np.ndarray) -> Restorer:
        self.bound += 1
        clone = Upscale()
        clone.descriptor = self.descriptor
        return clone


def test_models_with_per_frame_parameters_and_global_models_run_per_frame() -> None:
    m = BindsPerFrame()
    out = apply_model(m, frames(3))
    assert out.shape == (3, 3, 96, 128) and m.frames == 0  # every frame ran on its own bound copy
    g = AutoGain()
    assert not batch_fits(g, (3, 3, 48, 64))
    out = apply_model(g, frames(3))
    assert g.frames == 3 and np.allclose(out.mean(axis=(1, 2, 3)), 0.45, atol=0.02)


def test_processor_chains_steps_and_makes_even_sizes() -> None:
    plan = Plan(steps=(Step(task="lowlight", model="autogain"), Step(task="sr", model="up", scale=2)))
    assert output_size(plan, 47, 63, scale=None) == (94, 126)
    assert output_size(plan, 48, 64, scale=1.3) == (62, 82)  # 62.4 x 83.2 -> even
    proc = FrameProcessor(plan, Cache(autogain=AutoGain(), up=Upscale()), out_size=(62, 82), temporal_seconds=0.5)
    out = proc(frames(2), [0.0, 0.1])
    assert out.shape == (2, 3, 62, 82) and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1
    assert set(proc.state_dict()) == {"0"}  # only the global step is smoothed


class Whitening(Restorer):
    """A low-light "model" that brightens and drains colour (what learned enhancers do to lamps)."""

    def __init__(self) -> None:
        from vivid.models.base import ModelDescriptor

        self.descriptor = ModelDescriptor(name="whitening", task="lowlight", tileable=False)

    def __call__(self, batch: np.ndarray, *, size: tuple[int, int] | None = None) -> np.ndarray:
        gray = batch.mean(axis=1, keepdims=True)
        return np.clip(np.repeat(gray, 3, axis=1) * 2.0 + 0.1, 0, 1)


def test_lowlight_steps_keep_the_lamps_colour_as_photos_do() -> None:
    """A night frame (dark room, an orange lamp): the video path gives the lamp its colour back after a
    low-light step, with the same pixels as the photo path (engine.api.keep_light_colour)."""
    from vivid.engine.api import keep_light_colour

    night = np.full((1, 3, 48, 64), 0.05, np.float32)
    night[:, :, 10:20, 20:30] = np.array([0.95, 0.6, 0.2], np.float32)[:, None, None]  # the lamp
    plan = Plan(steps=(Step(task="lowlight", model="whitening"),))
    out = FrameProcessor(plan, Cache(whitening=Whitening()), out_size=None, temporal_seconds=0)(night, [0.0])
    lamp = out[0, :, 12:18, 22:28].mean(axis=(1, 2))
    assert lamp[0] - lamp[2] > 0.5  # still orange (the model alone makes it gray: R == B)
    photo = keep_light_colour(Image(night[0]), run_model(Whitening(), Image(night[0])))
    assert np.abs(out[0] - photo.pixels).max() <= 1 / 255
