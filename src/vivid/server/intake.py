"""Accepting uploads: size limits, sniffing, decoding, storing under generated names, the upload record."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING

from fastapi import UploadFile

from vivid.errors import ImageTooLargeError, InputError
from vivid.io.image import Image
from vivid.server.budget import check_input, header_size
from vivid.server.errors import NotFoundError, SyncTooLargeError, UnsupportedMediaError, UploadTooLargeError
from vivid.server.media import decode_image, display_name, sniff
from vivid.server.records import Upload, utcnow
from vivid.server.video import check_video

if TYPE_CHECKING:
    from vivid.server.services import Caller, Services
    from vivid.server.settings import Settings


def new_id() -> str:
    return uuid.uuid4().hex


#: a check of a video's ``(width, height, frames or None, display name)`` after probing; raises to refuse it
VideoPrecheck = Callable[[int, int, int | None, str], None]


def read_bytes(file: UploadFile, *, limit: int) -> bytes:
    """The upload's bytes (at most ``limit``; more is a 413; nothing is an error too)."""
    name = display_name(file.filename)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLargeError(f"{name!r} is larger than the {limit / 2**20:g} MB upload limit")
    if not data:
        raise InputError(f"{name!r} is empty: nothing was uploaded")
    return data


def _record(services: Services, *, name: str, rel: str, sha: str, media: str, fmt: str, size: int,
            width: int | None, height: int | None, when, owner: str) -> Upload:  # noqa: ANN001
    rec = Upload(id=new_id(), created_at=when, original_name=name, stored_path=rel, sha256=sha, media=media,
                 format=fmt, size_bytes=size, width=width, height=height, owner=owner)
    with services.db.session() as s:
        s.add(rec)
    return rec


#: a check of an image's ``(width, height, display name)`` before it is decoded; raises to refuse it
Precheck = Callable[[int, int, str], None]
#: which path a job takes for an input of ``(width, height, display name)``: "memory" or "stream"; raises to refuse
Router = Callable[[int, int, str], str]


def accept_image(services: Services, settings: Settings, file: UploadFile, *, owner: str,
                 precheck: Precheck | None = None, route: Router | None = None,
                 heavy: Callable[[], AbstractContextManager] | None = None) -> tuple[Upload, Image | None]:
    """Check, decode and store an uploaded image; returns its record and the decoded image.

    The size in the file's header is checked (``max_pixels``, the memory budget, then ``precheck``)
    before a pixel is decoded. ``route`` (jobs) replaces those checks: it says which path the job
    will take for this input; one that will be streamed is stored without decoding it here (None).
    ``heavy``: a context (a slot of the service's gate) held while the file is decoded.
    """
    name = display_name(file.filename)
    data = read_bytes(file, limit=settings.max_upload_bytes)
    media, fmt = sniff(data)
    if media != "image":
        raise UnsupportedMediaError(f"{name!r} is a video: send videos to POST /v1/jobs")
    dims = header_size(data)
    if dims is not None and route is not None:
        if route(*dims, name) == "stream":
            when = utcnow()  # too big to decode in memory here: the job's streaming decoder reads it
            rel, sha = services.store.save_upload(data, ext=fmt, when=when)
            return _record(services, name=name, rel=rel, sha=sha, media="image", fmt=fmt, size=len(data),
                           width=dims[0], height=dims[1], when=when, owner=owner), None
    elif dims is not None:
        check_input(*dims, settings, name=name)
        if precheck is not None:
            try:
                precheck(*dims, name)
            except SyncTooLargeError as e:  # kept (not decoded) so that a job can take it by its id
                when = utcnow()
                rel, sha = services.store.save_upload(data, ext=fmt, when=when)
                rec = _record(services, name=name, rel=rel, sha=sha, media="image", fmt=fmt, size=len(data),
                              width=dims[0], height=dims[1], when=when, owner=owner)
                raise SyncTooLargeError(f"{e} with upload_id={rec.id}") from None
    with heavy() if heavy is not None else nullcontext():
        image = decode_image(data, name=name, max_pixels=settings.max_pixels)
    if dims is None:  # a header only the full decoder reads (bounded by max_pixels): check it now
        check_input(image.width, image.height, settings, name=name)
        if precheck is not None:
            precheck(image.width, image.height, name)
        if route is not None and route(image.width, image.height, name) == "stream":
            raise UnsupportedMediaError(f"{name!r} is too big for the in-memory path and its format cannot be "
                                        "streamed: convert it to PNG")
    when = utcnow()
    rel, sha = services.store.save_upload(data, ext=fmt, when=when)
    rec = _record(services, name=name, rel=rel, sha=sha, media="image", fmt=fmt, size=len(data),
                  width=image.width, height=image.height, when=when, owner=owner)
    return rec, image


def accept_video(services: Services, settings: Settings, file: UploadFile, *, owner: str,
                 precheck: VideoPrecheck | None = None) -> Upload:
    """Store an uploaded video (streamed) after the video pipeline has probed it (and ``precheck``
    accepted its size and frame count)."""
    name = display_name(file.filename)
    head = file.file.read(64)
    file.file.seek(0)
    if not head:
        raise InputError(f"{name!r} is empty: nothing was uploaded")
    media, fmt = sniff(head)
    if media != "video":
        raise UnsupportedMediaError(f"{name!r} is not a video")
    when = utcnow()
    rel, sha, size = services.store.save_upload_file(file.file, ext=fmt, when=when)
    try:
        if size > settings.max_upload_bytes:
            raise UploadTooLargeError(f"{name!r} is larger than the {settings.max_upload_mb:g} MB upload limit")
        path = services.store.path(rel)
        try:
            width, height, frames = check_video(path, max_pixels=settings.max_pixels)
        except ImageTooLargeError as e:  # name the upload, never the store's path
            raise type(e)(str(e).replace(str(path), repr(name))) from None
        except InputError as e:
            reason = str(e).replace(str(path), name).replace(str(services.store.root), "<data>")
            raise InputError(f"{name!r} is not a video vivid can read: {reason.split(': ', 1)[-1]}") from None
        if precheck is not None:
            precheck(width, height, frames, name)
    except BaseException:
        _forget_unreferenced(services, rel)
        raise
    return _record(services, name=name, rel=rel, sha=sha, media="video", fmt=fmt, size=size,
                   width=width, height=height, when=when, owner=owner)


def _forget_unreferenced(services: Services, rel: str) -> None:
    """Remove a stored file that no upload record refers to (a refused upload leaves nothing behind)."""
    from sqlalchemy import select

    with services.db.session() as s:
        used = s.scalar(select(Upload.id).where(Upload.stored_path == rel).limit(1))
    if used is None:
        services.store.path(rel).unlink(missing_ok=True)


def get_upload(services: Services, upload_id: str, caller: Caller) -> Upload:
    """An upload the caller may see (another key's upload is a 404, as if it did not exist)."""
    with services.db.session() as s:
        rec = s.get(Upload, upload_id) if upload_id.isalnum() and len(upload_id) <= 32 else None
    if rec is None or not caller.sees(rec.owner):
        raise NotFoundError(f"no upload with id {upload_id!r}: upload the file again")
    return rec


def load_image(services: Services, settings: Settings, upload_id: str, caller: Caller, *,
               precheck: Precheck | None = None) -> tuple[Upload, Image]:
    """A stored upload, decoded again (the client refers to an earlier upload by its id); its recorded
    size is checked first, as for a new upload."""
    from vivid.io.read import read_image

    rec = get_upload(services, upload_id, caller)
    if rec.media != "image":
        raise UnsupportedMediaError(f"upload {upload_id} is a {rec.media}, not an image")
    if rec.width and rec.height:
        check_input(rec.width, rec.height, settings, name=rec.original_name)
        if precheck is not None:
            precheck(rec.width, rec.height, rec.original_name)
    return rec, read_image(services.store.path(rec.stored_path), max_pixels=settings.max_pixels)
