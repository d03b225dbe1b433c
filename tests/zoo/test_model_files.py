"""load_model_file: dispatch on the suffix, and the errors every format shares (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vivid.errors import ConfigError, InputError, ModelError
from vivid.zoo.model_files import load_model_file


def _jpeg_bytes() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".jpg", np.full((8, 8, 3), 128, np.uint8))
    assert ok
    return buf.tobytes()


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.pth"):
        load_model_file(tmp_path / "nope.pth")


def test_unknown_suffix_lists_the_supported_formats(tmp_path: Path) -> None:
    p = tmp_path / "model.h5"
    p.write_bytes(b"\x89HDF\r\n")
    with pytest.raises(ModelError, match=r"'model.h5'.*\.pth.*\.safetensors.*\.pb.*\.onnx"):
        load_model_file(p)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.pth", b"hello, this is text\n"),
        ("photo.pth", None),  # a JPEG renamed
        ("empty.pt", b""),
        ("weights.safetensors", b"not safetensors at all"),
        ("model.onnx", b"not a protobuf"),
        ("FSRCNN_x2.pb", b"not a graph"),
    ],
)
def test_a_file_that_is_not_a_model_says_so(tmp_path: Path, name: str, content: bytes | None) -> None:
    p = tmp_path / name
    p.write_bytes(_jpeg_bytes() if content is None else content)
    with pytest.raises(ModelError, match=rf"'{name}' is not a model file"):
        load_model_file(p)


def test_unknown_task_is_a_config_error(tmp_path: Path) -> None:
    p = tmp_path / "m.onnx"
    p.write_bytes(b"x")
    with pytest.raises(ConfigError, match="'deblur'"):
        load_model_file(p, task="deblur")


def test_family_is_only_for_opencv_files(tmp_path: Path) -> None:
    p = tmp_path / "m.onnx"
    p.write_bytes(b"x")
    with pytest.raises(ConfigError, match=r"family='fsrcnn' applies to OpenCV .pb files only"):
        load_model_file(p, family="fsrcnn")


def test_a_pytorch_file_without_torch_names_the_torch_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivid.zoo import builtin

    monkeypatch.setattr(builtin, "torch_installed", lambda: False)
    (tmp_path / "net.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(ModelError, match=r"'net\.safetensors' is a PyTorch file.*pip install 'vivid-restore\[torch\]'"):
        load_model_file(tmp_path / "net.safetensors")
