"""What this server offers: version, limits, output formats, whether video and API keys are on."""

from __future__ import annotations

from fastapi import APIRouter

from vivid import __version__
from vivid.server.media import OUTPUT_FORMATS
from vivid.server.schemas import InfoOut
from vivid.server.services import SettingsDep
from vivid.server.video import video_available

router = APIRouter(prefix="/v1", tags=["info"])


@router.get("/info", response_model=InfoOut, summary="Version, limits and what this server offers")
def info(settings: SettingsDep) -> InfoOut:
    return InfoOut(version=__version__, video=video_available(), auth=bool(settings.api_keys),
                   formats=list(OUTPUT_FORMATS), max_upload_mb=settings.max_upload_mb,
                   max_pixels=settings.max_pixels, sync_max_pixels=settings.sync_max_pixels,
                   max_files=settings.max_files, max_output_pixels=settings.max_output_pixels,
                   memory_budget_mb=settings.memory_budget_mb, max_video_pixels=settings.max_video_pixels,
                   max_stream_output_pixels=settings.max_stream_output_pixels)
