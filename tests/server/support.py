"""Helpers for the service tests: tiny test media, polling, error checks, a live uvicorn server."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Self

import numpy as np

from vivid.io.image import from_array
from vivid.server.app import create_app
from vivid.server.settings import Settings


def png_bytes(h: int = 48, w: int = 64, *, seed: int = 0, dark: bool = False, noise: float = 0.0,
              channels: int = 3, fmt: str = "png") -> bytes:
    """A small synthetic photo (gradients, edges) encoded as ``fmt``."""
    from vivid.io.write import encode_image

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = [0.55 + 0.25 * np.sin(xx / 9 + seed), 0.5 + 0.2 * np.cos(yy / 7), 0.45 + 0.2 * np.sin((xx + yy) / 11)]
    img = np.stack(base[:channels] if channels < 3 else base)
    img[:, (yy.astype(int) // 12 + xx.astype(int) // 12) % 2 == 0] *= 0.8
    if dark:
        img = img * 0.15
    if noise:
        img = img + rng.normal(0, noise, img.shape)
    arr = np.clip(img, 0, 1).astype(np.float32)
    return encode_image(from_array(arr, channels_last=False), format=fmt)


def mp4_bytes(tmp_path: Path, *, frames: int = 6, size: tuple[int, int] = (64, 48)) -> bytes:
    """A tiny H.264 MP4 clip (moving gradient) made with PyAV."""
    import av

    w, h = size
    path = tmp_path / f"clip-{uuid.uuid4().hex[:8]}.mp4"
    yy, xx = np.mgrid[0:h, 0:w]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=8, options={"preset": "ultrafast"})
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        for i in range(frames):
            rgb = np.stack([(xx * 4 + i * 10) % 256, yy * 5 % 256, np.full_like(xx, 90)], axis=-1).astype(np.uint8)
            for packet in vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    data = path.read_bytes()
    path.unlink()
    return data


def wait_for(client: Any, job_id: str, *, timeout: float = 30.0,
             states: tuple[str, ...] = ("done", "failed", "cancelled")) -> dict:
    """Poll a job until it reaches one of ``states``."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in states:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s: {job}")
        time.sleep(0.05)


def assert_error(response, status: int, code: str | None = None) -> dict:  # noqa: ANN001
    """A JSON error of the documented shape with this status (and code)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under uvicorn on a free port, in a thread (for real concurrency and the browser)."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from vivid.server.slowclients import uvicorn_options

        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on", **uvicorn_options(settings))  # as `vivid serve` runs it
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)
