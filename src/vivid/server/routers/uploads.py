"""Stored uploads: metadata and thumbnails (for the history)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from vivid.server.budget import check_input
from vivid.server.errors import NotFoundError
from vivid.server.intake import get_upload
from vivid.server.media import thumbnail as make_thumbnail
from vivid.server.schemas import ErrorOut, UploadOut, upload_out
from vivid.server.services import CallerDep, ServicesDep
from vivid.server.video import video_thumbnail

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])

_VIDEO_ICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="160" viewBox="0 0 256 160">'
    '<rect width="256" height="160" fill="#2b2f36"/><polygon points="104,50 104,110 160,80" fill="#e8eaed"/></svg>'
)


@router.get("/{upload_id}", response_model=UploadOut, responses={c: {"model": ErrorOut} for c in (401, 403, 404)},
            summary="An upload's record")
def get(services: ServicesDep, caller: CallerDep, upload_id: str) -> UploadOut:
    return upload_out(get_upload(services, upload_id, caller))


_MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "tiff": "image/tiff",
                "bmp": "image/bmp", "heic": "image/heic", "avif": "image/avif", "mp4": "video/mp4",
                "mov": "video/quicktime", "webm": "video/webm", "mkv": "video/x-matroska", "avi": "video/x-msvideo"}


@router.get("/{upload_id}/file", responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "video/mp4": {}}},
                                            **{c: {"model": ErrorOut} for c in (401, 403, 404)}},
            summary="The uploaded file as it was sent (the 'before' of a result reopened from the history)")
def original(services: ServicesDep, caller: CallerDep, upload_id: str) -> FileResponse:
    rec = get_upload(services, upload_id, caller)
    path = services.store.path(rec.stored_path)
    if not path.is_file():
        raise NotFoundError(f"the file of upload {upload_id} is missing from the store")
    return FileResponse(path, media_type=_MEDIA_TYPES.get(rec.format, "application/octet-stream"),
                        headers={"Cache-Control": "private, max-age=86400"})


@router.get("/{upload_id}/thumbnail", responses={200: {"content": {"image/jpeg": {}, "image/svg+xml": {}}},
                                                 **{c: {"model": ErrorOut} for c in (401, 403, 404, 413, 429, 503)}},
            summary="A small JPEG preview (made once, then cached)")
def thumbnail(services: ServicesDep, caller: CallerDep, upload_id: str) -> Response:
    rec = get_upload(services, upload_id, caller)
    path = services.store.thumbnail_path(rec.id)
    if not path.is_file():
        with services.gate.enter(caller.owner):
            data = _make_thumbnail(services, rec)
        if data is None:
            return Response(_VIDEO_ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=3600"})
        services.store.save_thumbnail(rec.id, data)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "max-age=86400"})


def _make_thumbnail(services, rec) -> bytes | None:  # noqa: ANN001
    """A JPEG preview of an upload (None: a video with no decodable frame)."""
    if rec.media == "video":
        return video_thumbnail(services.store.path(rec.stored_path))
    from vivid.io.read import read_image

    if rec.width and rec.height:  # uploads accepted before the memory budget existed are checked here
        check_input(rec.width, rec.height, services.settings, name=rec.original_name)
    image = read_image(services.store.path(rec.stored_path), max_pixels=services.settings.max_pixels)
    return make_thumbnail(image)
