"""Inputs and outputs of a cluster batch: local paths or fsspec URLs, read whole and written atomically.

A *location* is a string: a local path (``photos/a.png``) or a URL fsspec has a filesystem for
(``file:///data/a.png``, ``s3://bucket/a.png``, ``memory://a.png``). Workers on other machines see the
same URL, so a shared store (an object store, NFS) lets any node take any item.

Writes never leave a half-written file under its final name: the bytes go to a temporary name in the
output's ``.vivid-parts/`` folder first and are then moved into place (a rename on local disks; a
server-side copy on object stores, whose objects appear whole). ``.vivid-parts/`` is removed when a batch
ends; a worker killed mid-write leaves only a part there.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import uuid
from dataclasses import dataclass
from typing import Any

from vivid.errors import ConfigError, InputError, OutputError

#: the folder (inside the output folder) for outputs being written
PARTS = ".vivid-parts"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")


def is_url(location: str) -> bool:
    """``s3://b/k``, ``file:///x``: a URL (schemes of two or more letters; ``C:/x`` is a path)."""
    return bool(_SCHEME.match(location))


def from_cli_path(path: Any) -> str:
    """The location a user typed, from the ``Path`` a command-line parser made of it (``Path`` folds
    ``s3://b/k`` into ``s3:/b/k``): ``s3://b/k`` again, ``file:/x`` as the local path ``/x``."""
    text = str(path)
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)(.*)$", text)
    if m is None:
        return text
    scheme, rest = m.groups()
    return "/" + rest if scheme == "file" else f"{scheme}://{rest}"


def local_path(location: str) -> str | None:
    """The local path of ``location`` (a path or a ``file://`` URL), else None."""
    if not is_url(location):
        return location
    if location.startswith("file://"):
        return location[len("file://"):]
    return None


def _fsspec() -> Any:
    try:
        import fsspec
    except ImportError:
        raise ConfigError("reading or writing URLs needs fsspec: pip install 'vivid-restore[ray]' (and the "
                          "filesystem of your store, e.g. s3fs or gcsfs)") from None
    return fsspec


def filesystem(location: str) -> tuple[Any, str]:
    """``(fs, path)`` for a location; an unknown scheme is an error naming the package to install."""
    fsspec = _fsspec()
    try:
        return fsspec.core.url_to_fs(location)
    except (ImportError, ValueError) as e:  # a scheme without its filesystem package installed
        raise ConfigError(f"cannot open {location}: {e}".rstrip(".") + " (install the filesystem package for "
                          "this URL on every node)") from None


def canonical(location: str) -> str:
    """One spelling per file: an absolute path, or the URL as its filesystem writes it back
    (``memory://a`` is ``memory:///a``), so locations from listings and from users compare equal."""
    if not is_url(location):
        import os

        return os.path.abspath(location)
    fs, path = filesystem(location)
    return fs.unstrip_protocol(path)


def fingerprint(location: str) -> str:
    """The listing fingerprint of one file (see :class:`Entry`)."""
    fs, path = filesystem(location)
    return _fingerprint(fs.info(path))


def join(location: str, *parts: str) -> str:
    """``location/part/...`` (``/`` separated, for URLs and local paths alike)."""
    return posixpath.join(location.rstrip("/"), *parts) if parts else location


@dataclass(frozen=True)
class Entry:
    """A file found under an input location."""

    location: str
    #: path relative to the listed folder ('' for a file given itself)
    relative: str
    #: size and change time (or ETag) as the store lists them: a cheap "same file as last time" check
    fingerprint: str


def _fingerprint(info: dict[str, Any]) -> str:
    changed = next((info[k] for k in ("mtime", "LastModified", "last_modified", "ETag", "etag", "created",
                                      "updated") if info.get(k) is not None), "")
    return f"{info.get('size')}:{changed}"


def _unstrip(location: str, fs: Any, path: str) -> str:
    """The location of ``path`` on ``fs`` written like ``location`` (URL stays URL, path stays path)."""
    if not is_url(location):
        return path
    return fs.unstrip_protocol(path)


def list_files(location: str, *, recursive: bool, keep: Any) -> list[Entry]:
    """The files under ``location`` whose name ``keep(name)`` accepts (or ``location`` itself when it is a
    file), sorted; one listing call per folder tree. A missing location is an :class:`InputError`."""
    fs, path = filesystem(location)
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise InputError(f"input {location} does not exist") from None
    except OSError as e:
        raise InputError(f"cannot read {location} ({e}): check the URL and your credentials for it") from None
    if info.get("type") != "directory":
        return [Entry(_unstrip(location, fs, path), "", _fingerprint(info))]
    found = fs.find(path, maxdepth=None if recursive else 1, detail=True)
    base = path.rstrip("/") + "/"
    out = []
    for p, i in sorted(found.items()):
        rel = p[len(base):] if p.startswith(base) else posixpath.basename(p)
        if i.get("type") == "file" and not any(part.startswith(".") for part in rel.split("/")) and keep(rel):
            out.append(Entry(_unstrip(location, fs, p), rel, _fingerprint(i)))
    return out


def existing(location: str) -> set[str]:
    """Every file under the folder ``location`` (as locations), in one listing; empty when it is missing."""
    fs, path = filesystem(location)
    if not fs.exists(path):
        return set()
    return {_unstrip(location, fs, p) for p in fs.find(path)}


def exists(location: str) -> bool:
    fs, path = filesystem(location)
    return fs.exists(path)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(location: str, into: str) -> None:
    """Copy ``location`` to the local file ``into``."""
    fs, path = filesystem(location)
    try:
        fs.get_file(path, into)
    except FileNotFoundError:
        raise InputError(f"input {location} does not exist (any more)") from None
    except OSError as e:
        raise InputError(f"cannot read {location} ({e}): check the URL and your credentials for it") from None


def parts_folder(output_root: str) -> str:
    return join(output_root, PARTS)


def publish(local_file: str, location: str, *, parts: str) -> None:
    """Put the local file ``local_file`` at ``location`` atomically: upload it under a temporary name in
    ``parts`` (on the same filesystem), then move it into place."""
    _atomic(location, parts, lambda fs, tmp: fs.put_file(local_file, tmp))


def write_text(location: str, text: str, *, parts: str) -> None:
    """Write ``text`` (UTF-8) to ``location`` atomically (see :func:`publish`)."""
    _atomic(location, parts, lambda fs, tmp: fs.pipe_file(tmp, text.encode("utf-8")))


def _atomic(location: str, parts: str, write: Any) -> None:
    fs, dst = filesystem(location)
    _, tmp_dir = filesystem(parts)
    tmp = posixpath.join(tmp_dir, f"{uuid.uuid4().hex}-{posixpath.basename(dst)}")
    try:
        fs.makedirs(tmp_dir, exist_ok=True)
        parent = posixpath.dirname(dst)
        if parent:
            fs.makedirs(parent, exist_ok=True)
        write(fs, tmp)
        fs.mv(tmp, dst)
    except OSError as e:
        _remove_quietly(fs, tmp)
        raise OutputError(f"cannot write {location} ({e}): check that the output is writable") from None


def read_text(location: str) -> str | None:
    """The text at ``location``, or None when there is no such file."""
    fs, path = filesystem(location)
    try:
        return fs.cat_file(path).decode("utf-8")
    except FileNotFoundError:
        return None


def remove_parts(parts: str) -> None:
    """Delete the parts folder (what killed writers left behind)."""
    fs, path = filesystem(parts)
    if fs.exists(path):
        fs.rm(path, recursive=True)


def _remove_quietly(fs: Any, path: str) -> None:
    try:
        fs.rm(path)
    except OSError:
        pass
