"""A bounded mutation fuzz of the decoders the service runs on uploads: every corrupt, truncated or
bit-flipped image or video is a vivid error (4xx), never another exception (500).

The seeds are small files generated here (PNG, JPEG, WebP, TIFF, BMP; MP4, MKV, WebM); the mutations
are fixed by a seed, so a failure reproduces. About 400 cases, a few seconds each run.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.server.support import assert_error, png_bytes
from vivid.errors import VividError


def mutants(data: bytes, n: int, *, seed: int) -> list[bytes]:
    """Bit flips, overwritten runs, truncations and duplicated chunks of ``data``."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        b = bytearray(data)
        kind = i % 4
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            at = rng.randrange(len(b))
            b[at:at + rng.randint(1, 16)] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 2:
            b = b[: rng.randrange(8, len(b))]
        else:
            at, size = rng.randrange(len(b)), rng.randint(4, 64)
            b[at:at] = b[rng.randrange(len(b)):][:size]
        out.append(bytes(b))
    return out


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "tiff", "bmp"])
def test_image_decoder_mutants_are_vivid_errors(fmt: str) -> None:
    from vivid.server.budget import header_size
    from vivid.server.media import decode_image

    seed = png_bytes(24, 32, seed=3, fmt=fmt)
    decoded = failed = 0
    for data in mutants(seed, 60, seed=sum(fmt.encode())):
        header_size(data)  # never raises
        try:
            img = decode_image(data, name="m", max_pixels=4_000_000)
            assert img.width * img.height > 0
            decoded += 1
        except VividError:
            failed += 1
    assert decoded + failed == 60 and failed > 0  # the mutations did hit something


def _clip(path: Path, *, codec: str, frames: int = 8) -> bytes:
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=8, **({"options": {"preset": "ultrafast"}} if codec == "libx264" else {}))
        vs.width, vs.height, vs.pix_fmt = 48, 32, "yuv420p"
        yy, xx = np.mgrid[0:32, 0:48]
        for i in range(frames):
            rgb = np.stack([(xx * 5 + i * 9) % 256, yy * 7 % 256, np.full_like(xx, 80)], -1).astype(np.uint8)
            for p in vs.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
    return path.read_bytes()


@pytest.mark.parametrize(("ext", "codec"), [("mp4", "libx264"), ("mkv", "libx264"), ("webm", "libvpx-vp9")])
def test_video_probe_and_sampling_mutants_are_vivid_errors(tmp_path: Path, ext: str, codec: str) -> None:
    from vivid.video import probe
    from vivid.video.clip_plan import sample_frames

    try:
        seed = _clip(tmp_path / f"seed.{ext}", codec=codec)
    except Exception as e:  # noqa: BLE001 - an FFmpeg build without this encoder
        pytest.skip(f"cannot write {ext} with {codec}: {e}")
    outcomes = {"ok": 0, "vivid": 0}
    path = tmp_path / f"m.{ext}"
    for data in mutants(seed, 60, seed=7):
        path.write_bytes(data)
        try:
            sample_frames(probe(path), count=2)
            outcomes["ok"] += 1
        except VividError as e:
            assert "\n" not in str(e)
            outcomes["vivid"] += 1
    assert sum(outcomes.values()) == 60 and outcomes["vivid"] > 0, outcomes


def test_mangled_mp4_brand_is_an_input_error(tmp_path: Path) -> None:
    """The reviewer's repro: a non-UTF-8 byte in the ftyp brands made PyAV raise UnicodeDecodeError."""
    from vivid.errors import InputError
    from vivid.video import probe

    data = _clip(tmp_path / "seed.mp4", codec="libx264")
    i = data.index(b"iso2")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(data[:i] + b"i\xdbo2" + data[i + 4:])
    with pytest.raises(InputError, match="not a video FFmpeg can read"):
        probe(bad)


def test_corrupt_uploads_over_http_are_4xx_without_server_paths(client, settings, tmp_path) -> None:  # noqa: ANN001
    data = _clip(tmp_path / "seed.mp4", codec="libx264")
    i = data.index(b"iso2")
    root = str(settings.data_dir.resolve())
    cases = [("bad.mp4", data[:i] + b"i\xdbo2" + data[i + 4:]), ("junk.mp4", data[:32] + bytes(5000))]
    cases += [(f"m{k}.mp4", m) for k, m in enumerate(mutants(data, 12, seed=11))]
    for name, body in cases:
        r = client.post("/v1/jobs", data={"task": "sr", "model": "bicubic", "scale": "2"},
                        files={"files": (name, body, "video/mp4")})
        assert r.status_code < 500, (name, r.text)
        assert root not in r.text and "/tmp" not in r.text, r.text
        if r.status_code == 202:  # accepted: its thumbnail and its run end cleanly too
            job = r.json()
            assert client.get(job["thumbnail_url"]).status_code == 200
    for name, body in [(f"i{k}.png", m) for k, m in enumerate(mutants(png_bytes(), 12, seed=5))]:
        r = client.post("/v1/analyze", files={"image": (name, body, "image/png")})
        assert r.status_code in (200, 413, 415, 422), (name, r.text)
    assert_error(client.post("/v1/analyze", files={"image": ("e.png", b"", "image/png")}), 422)
