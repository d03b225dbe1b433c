"""Atomic writes leave either the whole new file or the old one, never a temp file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vivid.io.atomic import write_bytes_atomic


def test_writes_and_replaces(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    write_bytes_atomic(p, "one")
    write_bytes_atomic(p, b"two")
    assert p.read_bytes() == b"two" and oct(p.stat().st_mode & 0o777) == "0o644"
    assert [f.name for f in tmp_path.iterdir()] == ["a.txt"]


def test_failure_keeps_the_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "a.txt"
    p.write_text("old")

    def boom(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_bytes_atomic(p, "new")
    assert p.read_text() == "old" and [f.name for f in tmp_path.iterdir()] == ["a.txt"]
