"""The application factory: ``create_app(settings)`` → the REST API (``/v1``), probes and the web UI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from vivid import __version__
from vivid.server.docs import install_docs
from vivid.server.errors import install_error_handlers
from vivid.server.guard import BrowserGuardMiddleware
from vivid.server.limits import BodyLimitMiddleware
from vivid.server.settings import Settings

STATIC = Path(__file__).with_name("static")
log = logging.getLogger("vivid.server")

_DESCRIPTION = """
Restore and enhance photos and video: super-resolution, denoising, low-light, colour and colorization.

* `POST /v1/analyze` recommends a plan (steps, reasons, alternative models);
  `POST /v1/enhance` runs one (small images, answered at once);
  `POST /v1/jobs` queues big images, batches and videos (follow `/v1/jobs/{id}/events`).
* Errors are `{"error": {"code": ..., "message": ...}}`.
* When the server has API keys, send one in the `X-API-Key` header; each key sees only its own uploads
  and jobs (others are 404), an admin key sees all.
* Limits (413 names the setting that changes it): input pixels, output pixels of the whole plan, an
  estimated memory budget per request, frames x pixels for video. Busy: 429 or 503 with `Retry-After`.
* Browsers: only allowed `Host` names are served, and cross-site POST/DELETE requests are refused (403).
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the store and database (migrated to head), start the workers; close them at shutdown."""
    import asyncio

    from vivid.server.services import Services

    settings: Settings = app.state.settings
    services = await asyncio.to_thread(Services.start, settings)
    app.state.services = services
    log.info("vivid %s serving data in %s", __version__, services.store.root)
    try:
        yield
    finally:
        app.state.services = None
        await asyncio.to_thread(services.close)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Nothing is opened here; ``lifespan`` does it when the server starts."""
    from vivid.server.routers import analyze, enhance, health, info, jobs, models, uploads
    from vivid.server.services import require_api_key

    settings = settings if settings is not None else Settings()
    app = FastAPI(title="vivid", version=__version__, description=_DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served from the package by install_docs (offline)
                  openapi_tags=[{"name": t} for t in ("enhance", "analyze", "jobs", "uploads", "models", "info",
                                                      "health")])
    app.state.settings = settings
    app.state.services = None
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes,
                       timeout=settings.client_timeout_seconds)
    app.add_middleware(BrowserGuardMiddleware, allowed_hosts=settings.host_names())  # outermost: runs first
    keyed = [Depends(require_api_key)]
    from vivid.server.schemas import ErrorOut

    documented = {c: {"model": ErrorOut, "description": d} for c, d in (
        (400, "Malformed request (e.g. invalid multipart data)"), (401, "Missing or wrong X-API-Key"),
        (403, "Host name not served, or a cross-site browser request"))}
    for router in (enhance.router, analyze.router, jobs.router, uploads.router, models.router, info.router):
        app.include_router(router, dependencies=keyed, responses=documented)
    app.include_router(health.router)
    install_docs(app)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=_UI_HEADERS)

    @app.get("/ui", include_in_schema=False)
    def ui() -> RedirectResponse:
        return RedirectResponse("/")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


_UI_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
                               "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send "Origin: null" on the UI's own POSTs
    "Cache-Control": "no-cache",
}
