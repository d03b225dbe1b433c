"""Accepting uploads: size limits, sniffing, decoding, storing under generated names, the upload record."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fastapi import UploadFile

from vivid.errors import InputError
from vivid.io.image import Image
from vivid.server.errors import NotFoundError, UnsupportedMediaError, UploadTooLargeError
from vivid.server.media import decode_image, display_name, sniff
from vivid.server.records import Upload, utcnow

if TYPE_CHECKING:
    from vivid.server.services import Services
    from vivid.server.settings import Settings


def new_id() -> str:
    return uuid.uuid4().hex


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
            width: int | None, height: int | None, when) -> Upload:  # noqa: ANN001
    rec = Upload(id=new_id(), created_at=when, original_name=name, stored_path=rel, sha256=sha, media=media,
                 format=fmt, size_bytes=size, width=width, height=height)
    with services.db.session() as s:
        s.add(rec)
    return rec


def accept_image(services: Services, settings: Settings, file: UploadFile) -> tuple[Upload, Image]:
    """Check, decode and store an uploaded image; returns its record and the decoded image."""
    name = display_name(file.filename)
    data = read_bytes(file, limit=settings.max_upload_bytes)
    media, fmt = sniff(data)
    if media != "image":
        raise UnsupportedMediaError(f"{name!r} is a video: send videos to POST /v1/jobs")
    image = decode_image(data, name=name, max_pixels=settings.max_pixels)
    when = utcnow()
    rel, sha = services.store.save_upload(data, ext=fmt, when=when)
    rec = _record(services, name=name, rel=rel, sha=sha, media="image", fmt=fmt, size=len(data),
                  width=image.width, height=image.height, when=when)
    return rec, image


def accept_video(services: Services, settings: Settings, file: UploadFile) -> Upload:
    """Store an uploaded video (streamed) after the video pipeline has probed it."""
    from vivid.server.video import check_video

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
        try:
            width, height = check_video(services.store.path(rel))
        except InputError as e:  # name the upload, not the store's file
            raise InputError(f"{name!r} is not a video vivid can read: {str(e).split(': ', 1)[-1]}") from None
    except BaseException:
        _forget_unreferenced(services, rel)
        raise
    return _record(services, name=name, rel=rel, sha=sha, media="video", fmt=fmt, size=size,
                   width=width, height=height, when=when)


def _forget_unreferenced(services: Services, rel: str) -> None:
    """Remove a stored file that no upload record refers to (a refused upload leaves nothing behind)."""
    from sqlalchemy import select

    with services.db.session() as s:
        used = s.scalar(select(Upload.id).where(Upload.stored_path == rel).limit(1))
    if used is None:
        services.store.path(rel).unlink(missing_ok=True)


def get_upload(services: Services, upload_id: str) -> Upload:
    with services.db.session() as s:
        rec = s.get(Upload, upload_id) if upload_id.isalnum() and len(upload_id) <= 32 else None
    if rec is None:
        raise NotFoundError(f"no upload with id {upload_id!r}: upload the file again")
    return rec


def load_image(services: Services, settings: Settings, upload_id: str) -> tuple[Upload, Image]:
    """A stored upload, decoded again (the client refers to an earlier upload by its id)."""
    from vivid.io.read import read_image

    rec = get_upload(services, upload_id)
    if rec.media != "image":
        raise UnsupportedMediaError(f"upload {upload_id} is a {rec.media}, not an image")
    return rec, read_image(services.store.path(rec.stored_path), max_pixels=settings.max_pixels)
