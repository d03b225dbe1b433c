"""The file store under ``data_dir``: uploads, results, thumbnails and temporary files.

Every file gets a generated name; a client's file name never reaches the file system. Uploads are kept
as seed 000 kept them, by arrival time, plus a content hash:
``uploads/2026/11/22/20261122T054301Z_0123456789abcdef.png``. Writes are atomic (temporary file in
the same folder, then rename), so a crash never leaves a half-written file under a final name.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from vivid.errors import InputError
from vivid.io.atomic import write_bytes_atomic

_EXT_OK = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _ext(ext: str) -> str:
    e = ext.lower().lstrip(".")
    if not e or len(e) > 8 or not set(e) <= _EXT_OK:
        raise ValueError(f"bad file extension {ext!r}")  # a programming error: extensions are ours
    return e


class Store:
    """Files under ``root`` (``uploads/``, ``results/``, ``thumbs/``, ``tmp/``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def prepare(self) -> None:
        """Create the folders (:meth:`sweep` removes what a previous run left)."""
        for sub in ("uploads", "results", "thumbs", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    def sweep(self, *, min_age: float, keep_work: Callable[[str], bool]) -> int:
        """Remove leftovers of interrupted writes; returns how many.

        * everything in ``tmp/`` and every atomic-write temporary (``.NAME.XXXX.tmp``) under ``uploads/``,
          ``results/`` and ``thumbs/`` last modified more than ``min_age`` seconds ago (younger ones may
          belong to another server process writing into the same folder right now);
        * video work folders (``results/.../.JOB_INDEX.EXT.vivid-work``) of jobs for which ``keep_work(job_id)``
          is false (jobs no longer queued or running).
        """
        import time

        cutoff = time.time() - min_age
        removed = 0

        def old(p: Path) -> bool:
            try:
                return p.lstat().st_mtime < cutoff
            except FileNotFoundError:
                return False

        tmp = self.root / "tmp"
        candidates = list(tmp.iterdir()) if tmp.is_dir() else []
        for sub in ("uploads", "results", "thumbs"):
            if (self.root / sub).is_dir():
                candidates += [p for p in (self.root / sub).rglob(".*.tmp") if p.is_file()]
        for p in candidates:
            if old(p):
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
                removed += 1
        results = self.root / "results"
        if results.is_dir():
            for work in results.rglob(".*.vivid-work"):
                job_id = work.name[1:].split("_", 1)[0]
                if work.is_dir() and not keep_work(job_id):
                    shutil.rmtree(work, ignore_errors=True)
                    removed += 1
        return removed

    def path(self, rel: str) -> Path:
        """The absolute path of a stored file (refuses anything outside the store)."""
        p = (self.root / rel).resolve()
        if not p.is_relative_to(self.root):
            raise InputError(f"stored path {rel!r} is outside the store")
        return p

    # --- writing -----------------------------------------------------------------------------------
    def _atomic_write(self, dst: Path, data: bytes) -> None:
        dst.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(dst, data)

    @staticmethod
    def upload_name(sha256: str, ext: str, when: datetime) -> str:
        """``uploads/YYYY/MM/DD/YYYYMMDDTHHMMSSZ_<sha256[:16]>.<ext>`` for a file that arrived at ``when`` (UTC)."""
        return f"uploads/{when:%Y/%m/%d}/{when:%Y%m%dT%H%M%SZ}_{sha256[:16]}.{_ext(ext)}"

    def save_upload(self, data: bytes, *, ext: str, when: datetime) -> tuple[str, str]:
        """Store uploaded bytes; returns (relative path, sha256). Identical content at the same second
        maps to the same name, and the existing file is kept."""
        sha = hashlib.sha256(data).hexdigest()
        rel = self.upload_name(sha, ext, when)
        dst = self.path(rel)
        if not dst.exists():
            self._atomic_write(dst, data)
        return rel, sha

    def save_upload_file(self, src: BinaryIO, *, ext: str, when: datetime) -> tuple[str, str, int]:
        """Stream a (large) uploaded file into the store; returns (relative path, sha256, size)."""
        h = hashlib.sha256()
        size = 0
        with self.temp_path(suffix="." + _ext(ext)) as tmp:
            with open(tmp, "wb") as f:
                while chunk := src.read(1 << 20):
                    h.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
            sha = h.hexdigest()
            rel = self.upload_name(sha, ext, when)
            dst = self.path(rel)
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, dst)
        return rel, sha, size

    @staticmethod
    def result_name(job_id: str, index: int, ext: str, when: datetime) -> str:
        return f"results/{when:%Y/%m/%d}/{job_id}_{index}.{_ext(ext)}"

    def save_result(self, data: bytes, *, job_id: str, index: int, ext: str, when: datetime) -> str:
        rel = self.result_name(job_id, index, ext, when)
        self._atomic_write(self.path(rel), data)
        return rel

    def thumbnail_path(self, key: str, ext: str = "jpg") -> Path:
        if not key.isalnum():
            raise ValueError(f"bad thumbnail key {key!r}")
        return self.root / "thumbs" / f"{key}.{_ext(ext)}"

    def save_thumbnail(self, key: str, data: bytes, ext: str = "jpg") -> Path:
        p = self.thumbnail_path(key, ext)
        self._atomic_write(p, data)
        return p

    @contextmanager
    def temp_path(self, *, suffix: str = "") -> Iterator[Path]:
        """A fresh path under ``tmp/`` that is removed afterwards (whatever happens)."""
        p = self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"
        try:
            yield p
        finally:
            p.unlink(missing_ok=True)

    def new_temp_path(self, *, suffix: str = "") -> Path:
        """A fresh path under ``tmp/``; the caller removes it (e.g. after streaming a response)."""
        return self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"
